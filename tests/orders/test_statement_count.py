"""Taking a paid order costs a constant number of SQL statements plus a small constant per line:
no statement per line that could be batched slips into the hot path unnoticed.

Statements are counted in two places: SQLAlchemy's ``before_cursor_execute`` on the engine (an
executemany counts once), and the hot-path ``platform.sql.Raw`` executor, which runs prepared SQL
straight on the driver's cursor and so is invisible to engine events.
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.platform import sql
from omnistock.purchasing import service as purchasing
from tests.orders.pool_helpers import ADDRESS, setup_pool, uow

PRICES = {"TEA": 2000, "CUP": 3000, "MUG": 2500, "PEN": 900}
RAW_METHODS = ("execute", "queue", "queue_many", "executemany", "one", "all")


class StatementCounter:
    def __init__(self, engine, monkeypatch):
        self.core = self.raw = 0
        self.on = False
        self._depth = 0

        @event.listens_for(engine, "before_cursor_execute")
        def _core(conn, cursor, statement, parameters, context, executemany):
            if self.on:
                self.core += 1

        for name in RAW_METHODS:
            monkeypatch.setattr(sql.Raw, name, self._wrap(getattr(sql.Raw, name)))

    def _wrap(self, fn):
        def counted(raw, *args, **kwargs):
            # Raw.executemany of one row calls Raw.execute: one statement, counted once.
            if self.on and self._depth == 0:
                self.raw += 1
            self._depth += 1
            try:
                return fn(raw, *args, **kwargs)
            finally:
                self._depth -= 1

        return counted

    @contextlib.contextmanager
    def counting(self):
        self.core = self.raw = 0
        self.on = True
        try:
            yield
        finally:
            self.on = False


def _order(n: int, skus: tuple[str, ...]) -> IntakeOrder:
    phone = f"139{n:08d}"  # a new buyer each time: no duplicate-order hold, the same customer path
    lines = tuple(IntakeLine(s, 1, PRICES[s]) for s in skus)
    return IntakeOrder(
        channel="WX",
        external_ref=f"WX-STMT-{n}",
        buyer=Buyer("李雷", phone, f"openid-{n}"),
        lines=lines,
        address=Address(**{**ADDRESS, "phone": phone}),
        payments=(Payment("wechat_pay", sum(PRICES[s] for s in skus)),),
    )


@pytest.fixture
def counter(engine, monkeypatch) -> StatementCounter:
    setup_pool(engine)
    with uow(engine) as u:
        for code in ("MUG", "PEN"):
            catalog.create_sku(
                u, code=code, name=f"商品 {code}", unit="件", price_cents=PRICES[code], cost_method="average"
            )
    with uow(engine) as u:
        purchasing.receive_goods(
            u,
            ref=None,
            supplier_code="SUP",
            warehouse="SH",
            lines=[inventory.ReceiptLine(s, 100, 500) for s in PRICES],
        )
    return StatementCounter(engine, monkeypatch)


def test_statements_per_order_are_a_constant_plus_a_small_constant_per_line(engine, counter, monkeypatch):
    from omnistock.orders import config

    monkeypatch.setattr(config._rules, "ttl", 3600.0)  # however slow this machine, no re-read midway
    skus = tuple(PRICES)

    def take(n: int, lines: int) -> tuple[int, int]:
        with counter.counting(), uow(engine) as u:
            taken = orders.receive_order(u, _order(n, skus[:lines]))
        assert taken.status == "allocated", taken
        return counter.core, counter.raw

    take(0, 4)  # warm-up: SKU, warehouse, channel and rule caches filled
    measured = {lines: take(lines, lines) for lines in (1, 2, 4)}
    total = {lines: core + raw for lines, (core, raw) in measured.items()}
    b = total[2] - total[1]
    a = total[1] - b
    detail = (
        f"statements per order = {a} + {b} x lines; measured (core SQLAlchemy, raw driver) by lines: "
        f"{measured} on {engine.dialect.name}"
    )
    assert total[4] - total[2] == 2 * b, detail
    assert 0 <= b <= 3, detail
    assert a <= 14, detail  # every statement on this path is prepared SQL (13 when measured)
    assert total[4] == a + 4 * b, detail
    print(detail)
