"""The valuation report at a past moment, checked against an independent model of the events
(and, on a generated workload, against the ledger's recorded pool values); its Excel export."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.inventory.valuation_report import cells, pool_values_at
from omnistock.platform.uow import UnitOfWork
from tests.identity.helpers import PASSWORD, bearer
from tests.inventory.conftest import t
from tests.inventory.helpers import SYSTEM, order, receive, setup_master, ship, uow

INV = "/api/v1/inventory"
GEN = Path(__file__).resolve().parents[3] / "shared" / "workload" / "gen.py"


# -- an independent model: the events in time order, costed by hand ----------------------------
class Model:
    def __init__(self, methods: dict[str, str]):
        self.methods = methods
        self.events: list[tuple] = []

    def add(self, at, op, sku, wh, qty, extra=None):
        self.events.append((at, len(self.events), op, sku, wh, qty, extra))

    def at(self, when: dt.datetime) -> dict[tuple[str, str], tuple[int, int]]:
        """(warehouse, sku) -> (qty, value) at ``when``: quantities per warehouse, the SKU's pool
        value split by quantity with the largest remainders getting the odd cents."""
        layers: dict[str, list[list[int]]] = {s: [] for s in self.methods}
        qty: dict[tuple[str, str], int] = {}
        for at, _, op, sku, wh, q, extra in sorted(self.events):
            if at > when:
                break
            if op == "in":
                if self.methods[sku] == "average" and layers[sku]:
                    layers[sku][0][0] += q
                    layers[sku][0][1] += q * extra
                else:
                    layers[sku].append([q, q * extra])
                qty[(wh, sku)] = qty.get((wh, sku), 0) + q
            elif op == "out":
                left = q
                while left:
                    lq, lv = layers[sku][0]
                    take = min(left, lq)
                    v = lv if take == lq else (2 * lv * take + lq) // (2 * lq)
                    layers[sku][0] = [lq - take, lv - v]
                    if take == lq:
                        layers[sku].pop(0)
                    left -= take
                qty[(wh, sku)] -= q
            else:  # move
                qty[(wh, sku)] -= q
                qty[(extra, sku)] = qty.get((extra, sku), 0) + q
        out = {}
        for sku, ls in layers.items():
            value = sum(v for _, v in ls)
            keys = sorted(k for k in qty if k[1] == sku)
            total = sum(qty[k] for k in keys)
            if not total:
                continue
            exact = {k: Fraction(value * qty[k], total) for k in keys}
            part = {k: exact[k].numerator // exact[k].denominator for k in keys}
            odd = value - sum(part.values())
            for k in sorted(keys, key=lambda k: (-(exact[k] - part[k]), -qty[k], keys.index(k)))[:odd]:
                part[k] += 1
            out.update({k: (qty[k], part[k]) for k in keys if qty[k] or part[k]})
        return out


def report(engine, at, **kw) -> dict[tuple[str, str], tuple[int, int]]:
    with UnitOfWork(engine, SYSTEM, readonly=True) as u:
        rep = inventory.valuation_report(u, at=at, limit=None, **kw)
    return {(r.warehouse, r.sku): (r.qty, r.value_cents) for r in rep.rows}


@pytest.fixture
def history(engine):
    """Two warehouses, an average and a FIFO SKU, receipts, shipments, a transfer and a count."""
    setup_master(engine)
    m = Model({"AVG-1": "average", "FIFO-1": "fifo"})
    receive(engine, "AVG-1", 10, 100, wh="WH-A", at=t(1))
    m.add(t(1), "in", "AVG-1", "WH-A", 10, 100)
    receive(engine, "AVG-1", 10, 333, wh="WH-B", at=t(2))
    m.add(t(2), "in", "AVG-1", "WH-B", 10, 333)
    order(engine, "SO-1", [("AVG-1", 7, 999)], wh="WH-A", at=t(3))
    ship(engine, "SO-1", at=t(3))
    m.add(t(3), "out", "AVG-1", "WH-A", 7)
    with uow(engine) as u:
        inventory.transfer(
            u,
            ref="TR-1",
            from_warehouse="WH-B",
            to_warehouse="WH-A",
            at=t(4),
            lines=[inventory.QtyLine("AVG-1", 3)],
        )
    m.add(t(4), "move", "AVG-1", "WH-B", 3, "WH-A")
    receive(engine, "FIFO-1", 4, 250, wh="WH-A", at=t(5))
    m.add(t(5), "in", "FIFO-1", "WH-A", 4, 250)
    receive(engine, "FIFO-1", 6, 333, wh="WH-B", at=t(6))
    m.add(t(6), "in", "FIFO-1", "WH-B", 6, 333)
    order(engine, "SO-2", [("FIFO-1", 5, 999)], wh="WH-B", at=t(7))
    ship(engine, "SO-2", at=t(7))
    m.add(t(7), "out", "FIFO-1", "WH-B", 5)
    with uow(engine) as u:
        inventory.adjust(
            u,
            ref="ADJ-1",
            warehouse="WH-B",
            reason="damaged",
            at=t(8),
            lines=[inventory.AdjustLine("AVG-1", -1)],
        )
    m.add(t(8), "out", "AVG-1", "WH-B", 1)
    return m


TIMES = [t(0), t(1), t(2.5), t(3), t(4), t(5.5), t(7), t(8), t(100)]


def test_report_matches_the_independent_model_at_every_moment(engine, history):
    for when in TIMES:
        assert report(engine, when) == history.at(when), when
        with UnitOfWork(engine, SYSTEM, readonly=True) as u:
            assert cells(u, when, direction="forward") == cells(u, when, direction="backward")


def test_warehouses_add_up_to_the_pool_value_recorded_in_the_ledger(engine, history):
    for when in TIMES:
        rows = report(engine, when)
        with UnitOfWork(engine, SYSTEM, readonly=True) as u:
            pools = pool_values_at(u, when)
            ids = {c: catalog.sku_ref(u, c).id for c in ("AVG-1", "FIFO-1")}
        for sku in ("AVG-1", "FIFO-1"):
            mine = [v for (w, s), v in rows.items() if s == sku]
            expected = pools.get(ids[sku], (0, 0))
            assert (sum(q for q, _ in mine), sum(v for _, v in mine)) == expected, (when, sku)


def test_a_back_dated_receipt_changes_earlier_figures(engine, history):
    before = report(engine, t(3.5))
    # A receipt dated t(2.5), posted now: it enters every report from t(2.5) on and re-values the
    # shipment of t(3) (and everything after it).
    receive(engine, "AVG-1", 10, 700, wh="WH-A", at=t(2.5))
    history.add(t(2.5), "in", "AVG-1", "WH-A", 10, 700)
    assert report(engine, t(2.4)) == history.at(t(2.4))  # the past before it is unchanged
    after = report(engine, t(3.5))
    assert after == history.at(t(3.5)) and after != before
    assert after[("WH-A", "AVG-1")][0] == before[("WH-A", "AVG-1")][0] + 10
    for when in TIMES:
        assert report(engine, when) == history.at(when), when


def test_now_equals_the_stock_overview_and_the_dashboard(engine, history, admin):
    now = report(engine, t(1000))
    with UnitOfWork(engine, SYSTEM, readonly=True) as u:
        assert now == overview(u)
    summary = admin.get("/api/v1/dashboard/summary").json()
    assert summary["inventory_value_cents"] == sum(v for _, v in now.values())


def overview(u) -> dict[tuple[str, str], tuple[int, int]]:
    """Every row of the stock overview with stock or value: (warehouse, sku) -> (on hand, value)."""
    out, cursor = {}, None
    while True:
        rows, cursor = inventory.stock(u, cursor=cursor, limit=500)
        out.update(
            {(r.warehouse, r.sku): (r.on_hand, r.value_cents) for r in rows if r.on_hand or r.value_cents}
        )
        if cursor is None:
            return out


def test_api_groups_pages_scopes_and_refuses_bad_input(engine, history, admin, client, make_user, login):
    at = "2026-01-01T14:30:00+08:00"  # = 06:30 UTC = t(-2.5): before any move
    r = admin.get(f"{INV}/valuation-report", params={"at": at})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "at": "2026-01-01T06:30:00Z",
        "group": "sku",
        "items": [],
        "total_qty": 0,
        "total_value_cents": 0,
        "next_cursor": None,
    }
    expected = history.at(t(7.5))
    at = "2026-01-01T16:30:00Z"  # t(7.5)
    whole = admin.get(f"{INV}/valuation-report", params={"at": at}).json()
    assert {(x["warehouse"], x["sku"]): (x["qty"], x["value_cents"]) for x in whole["items"]} == expected
    assert whole["total_value_cents"] == sum(v for _, v in expected.values())
    assert whole["total_qty"] == sum(q for q, _ in expected.values())
    keys = [(x["sku"], x["warehouse"]) for x in whole["items"]]
    assert keys == sorted(keys)

    paged, cursor = [], None
    while True:
        params = {"at": at, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = admin.get(f"{INV}/valuation-report", params=params).json()
        paged += page["items"]
        assert page["total_value_cents"] == whole["total_value_cents"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == whole["items"]

    by_wh = admin.get(f"{INV}/valuation-report", params={"at": at, "group": "warehouse"}).json()
    per_wh = {}
    for (w, _s), (q, v) in expected.items():
        acc = per_wh.setdefault(w, [0, 0, 0])
        acc[0], acc[1], acc[2] = acc[0] + 1, acc[1] + q, acc[2] + v
    assert {x["warehouse"]: [x["skus"], x["qty"], x["value_cents"]] for x in by_wh["items"]} == per_wh
    assert by_wh["items"][0]["warehouse_name"] == "仓库 WH-A" and by_wh["items"][0]["sku"] is None

    make_user("b-staff", roles=["warehouse"], scopes={"warehouse": ["WH-B"]})
    staff = bearer(login("b-staff", PASSWORD))
    mine = client.get(f"{INV}/valuation-report", headers=staff, params={"at": at}).json()
    assert {x["warehouse"] for x in mine["items"]} == {"WH-B"}
    assert mine["total_value_cents"] == sum(v for (w, _), (_, v) in expected.items() if w == "WH-B")
    other = client.get(f"{INV}/valuation-report", headers=staff, params={"at": at, "warehouse": "WH-A"})
    assert other.json()["items"] == [] and other.json()["total_value_cents"] == 0

    for params in (
        {"at": "yesterday"},
        {"group": "brand"},
        {"cursor": "!!"},
        {"limit": 0},
        {"at": "2026-13-01T00:00:00"},
    ):
        r = admin.get(f"{INV}/valuation-report", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert set(r.json()["messages"]) == {"zh-CN", "en"}


def test_permissions(engine, history, client, make_user, login):
    from omnistock.identity import service as identity

    with UnitOfWork(engine, SYSTEM) as u:
        identity.create_role(u, code="stock_only", name="只看库存", permissions=["inventory.stock.read"])
    make_user("clerk", roles=["stock_only"])
    clerk = bearer(login("clerk", PASSWORD))
    for path in ("/valuation-report", "/valuation-report/export"):
        assert client.get(f"{INV}{path}", headers=clerk).status_code == 403
    for role in ("finance", "warehouse"):
        make_user(f"u-{role}", roles=[role])
        r = client.get(f"{INV}/valuation-report", headers=bearer(login(f"u-{role}", PASSWORD)))
        assert r.status_code == 200, (role, r.text)


def _sheet(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return wb.worksheets[0]


def _yuan(cell) -> Decimal:
    assert cell.number_format == "#,##0.00"
    assert isinstance(cell.value, int | float)
    return Decimal(str(cell.value))


def test_excel_export_of_the_report(engine, history, admin):
    at = "2026-01-01T16:30:00Z"
    expected = history.at(t(7.5))
    r = admin.get(f"{INV}/valuation-report/export", params={"at": at})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        "attachment" in r.headers["content-disposition"]
        and "20260101-163000" in r.headers["content-disposition"]
    )
    ws = _sheet(r.content)
    rows = list(ws.iter_rows())
    assert [c.value for c in rows[0]] == ["仓库", "SKU", "商品名称", "数量", "金额（元）"]
    body, total = rows[1:-1], rows[-1]
    got = {(row[0].value, row[1].value): (row[3].value, _yuan(row[4])) for row in body}
    assert got == {k: (q, Decimal(v) / 100) for k, (q, v) in expected.items()}
    assert total[0].value == "合计"
    assert total[3].value == sum(q for q, _ in expected.values())
    assert _yuan(total[4]) == Decimal(sum(v for _, v in expected.values())) / 100

    r = admin.get(
        f"{INV}/valuation-report/export",
        params={"at": at, "group": "warehouse"},
        headers={"Accept-Language": "en"},
    )
    rows = list(_sheet(r.content).iter_rows(values_only=True))
    assert rows[0] == ("Warehouse", "Warehouse name", "SKUs", "Quantity", "Value (CNY)")
    assert [x[0] for x in rows[1:]] == ["WH-A", "WH-B", "Total"]


def test_generated_workload_adds_up_at_many_moments(engine, tmp_path):
    """A replayed workload (receipts, orders, returns, transfers, counts over four warehouses):
    both directions agree, and the warehouses add up to the ledger's pool value, at every tenth."""
    from rich.console import Console

    from omnistock import replay

    if not GEN.exists():
        pytest.skip("the workload generator is not beside the repository")
    path = tmp_path / "w.jsonl"
    with path.open("w") as f:
        subprocess.run(
            [sys.executable, str(GEN), "--seed", "5", "--orders", "400", "--warehouses", "3"],
            stdout=f,
            check=True,
        )
    replay.run(engine, path, console=Console(file=io.StringIO()))
    with UnitOfWork(engine, SYSTEM, readonly=True) as u:
        from omnistock.inventory.valuation_report import _bounds

        lo, hi = _bounds(u)
        for i in range(11):
            when = lo + (hi - lo) * i / 10
            fwd = cells(u, when, direction="forward")
            assert fwd == cells(u, when, direction="backward") == cells(u, when)
            per_sku: dict[int, list[int]] = {}
            for (s, _w), (q, v) in fwd.items():
                acc = per_sku.setdefault(s, [0, 0])
                acc[0] += q
                acc[1] += v
            pools = {s: p for s, p in pool_values_at(u, when).items() if p != (0, 0)}
            assert {s: tuple(x) for s, x in per_sku.items()} == pools
            assert all(q >= 0 for q, _ in fwd.values())
        rep = inventory.valuation_report(u, at=hi, limit=None)
        assert {(r.warehouse, r.sku): (r.qty, r.value_cents) for r in rep.rows} == overview(u)
