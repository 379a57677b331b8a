"""Property: any sequence of batch and serial operations — legal or not — keeps every doctor
invariant (balances = Σ ledger per batch, reserved = Σ open reservations, serial units in one
place, value identity), and reservations always take the earliest-expiring sellable batches."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.inventory.models import reservation
from omnistock.inventory.service import LotIn
from omnistock.orders import service as orders
from omnistock.platform import migrate
from omnistock.platform.db import make_engine
from omnistock.platform.errors import AppError
from tests.inventory.helpers import invariants, setup_master, uow

DAY = dt.datetime(2026, 1, 15, 9, 0)
EXPIRY = {"L1": dt.date(2026, 1, 10), "L2": dt.date(2026, 2, 1), "L3": dt.date(2026, 3, 1), "L4": None}
WHS = ["WH-A", "WH-B"]

op = st.one_of(
    st.tuples(
        st.just("receive_lot"), st.sampled_from(WHS), st.sampled_from(sorted(EXPIRY)), st.integers(1, 5)
    ),
    st.tuples(
        st.just("receive_sn"), st.sampled_from(WHS), st.lists(st.integers(1, 8), min_size=1, max_size=3)
    ),
    st.tuples(st.just("order"), st.sampled_from(WHS), st.sampled_from(["MILK", "PHONE"]), st.integers(1, 6)),
    st.tuples(st.just("ship"), st.integers(0, 20), st.lists(st.integers(1, 8), max_size=3)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(
        st.just("return"), st.integers(0, 20), st.integers(1, 3), st.lists(st.integers(1, 8), max_size=2)
    ),
    st.tuples(
        st.just("transfer"),
        st.sampled_from(WHS),
        st.sampled_from(["MILK", "PHONE"]),
        st.integers(1, 4),
        st.lists(st.integers(1, 8), max_size=2),
    ),
    st.tuples(st.just("count"), st.sampled_from(WHS), st.sampled_from(sorted(EXPIRY)), st.integers(0, 6)),
    st.tuples(st.just("hold"), st.sampled_from(sorted(EXPIRY)), st.booleans()),
)


def _apply(engine, step, n: int, orders_placed: list[str]) -> None:
    kind, *a = step
    at = DAY + dt.timedelta(minutes=n)
    with uow(engine) as u:
        if kind == "receive_lot":
            wh, lot, qty = a
            inventory.receive(
                u,
                ref=f"R{n}",
                warehouse=wh,
                at=at,
                lines=[inventory.ReceiptLine("MILK", qty, 250, lot=LotIn(lot, None, EXPIRY[lot]))],
            )
        elif kind == "receive_sn":
            wh, sns = a
            inventory.receive(
                u,
                ref=f"R{n}",
                warehouse=wh,
                at=at,
                lines=[inventory.ReceiptLine("PHONE", len(sns), 90000, serials=[f"S{x}" for x in sns])],
            )
        elif kind == "order":
            wh, sku, qty = a
            orders_placed.append(f"O{n}")
            res = orders.place_order(
                u,
                ref=f"O{n}",
                channel_code="CH-1",
                customer_code="C-1",
                warehouse=wh,
                lines=[orders.OrderLineIn(sku, qty, 1000)],
                at=at,
            )
            if res.status == "allocated" and sku == "MILK":
                _check_fefo(u, res.id, wh, at.date())
        elif kind == "ship" and orders_placed:
            i, sns = a
            orders.ship_order(
                u,
                ref=orders_placed[i % len(orders_placed)],
                at=at,
                serials={"PHONE": [f"S{x}" for x in sns]} if sns else None,
            )
        elif kind == "cancel" and orders_placed:
            orders.cancel_order(u, ref=orders_placed[a[0] % len(orders_placed)], at=at)
        elif kind == "return" and orders_placed:
            i, qty, sns = a
            ref = orders_placed[i % len(orders_placed)]
            for sku in ("MILK", "PHONE"):
                try:
                    orders.return_order(
                        u,
                        ref=ref,
                        at=at,
                        lines=[
                            orders.ReturnLineIn(sku, qty, [f"S{x}" for x in sns] if sku == "PHONE" else ())
                        ],
                    )
                    break
                except AppError as e:
                    if e.code != "orders.sku_not_on_order":
                        raise
        elif kind == "transfer":
            src, sku, qty, sns = a
            dst = WHS[1 - WHS.index(src)]
            serials = [f"S{x}" for x in sns] if sku == "PHONE" else ()
            inventory.transfer(
                u,
                ref=f"T{n}",
                from_warehouse=src,
                to_warehouse=dst,
                at=at,
                lines=[inventory.QtyLine(sku, len(serials) or qty, serials=serials)],
            )
        elif kind == "count":
            wh, lot, counted = a
            inventory.count(
                u, ref=f"C{n}", warehouse=wh, at=at, lines=[inventory.CountLine("MILK", counted, lot)]
            )
        elif kind == "hold":
            lot, blocked = a
            rows = [x for x in inventory.list_lots(u, sku="MILK") if x["lot_no"] == lot]
            if rows:
                inventory.set_blocked(u, rows[0]["id"], blocked, "抽检")


def _check_fefo(u, order_id: int, wh: str, day: dt.date) -> None:
    """The batches an order reserved: no sellable batch expiring earlier still has free stock."""
    taken = {
        r.lot_id
        for r in u.conn.execute(
            select(reservation.c.lot_id).where(
                reservation.c.doc_id == order_id, reservation.c.state == "open"
            )
        )
    }
    lots = inventory.list_lots(u, sku="MILK", warehouse=wh, in_stock=True, today=day)
    sellable = [x for x in lots if not x["blocked"] and not x["expired"]]
    latest = max((x["expiry_date"] or dt.date.max) for x in sellable if x["id"] in taken)
    for x in sellable:
        if (x["expiry_date"] or dt.date.max) < latest:
            assert x["on_hand"] == x["reserved"], (x, taken)
    for x in lots:
        if x["id"] in taken:
            assert not x["blocked"] and not x["expired"], x


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(op, min_size=5, max_size=30))
def test_batches_and_serials_keep_every_invariant(tmp_path_factory, steps):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop')}/p.db")
    migrate.upgrade(engine)
    setup_master(engine, warehouses=WHS, skus=())
    with uow(engine) as u:
        catalog.create_sku(
            u, code="MILK", name="牛奶", unit="盒", price_cents=500, cost_method="fifo", tracking="batch"
        )
        catalog.create_sku(
            u, code="PHONE", name="手机", unit="台", price_cents=9, cost_method="average", tracking="serial"
        )
    placed: list[str] = []
    try:
        for n, step in enumerate(steps):
            try:
                _apply(engine, step, n, placed)
                event(f"{step[0]} done")
            except AppError as e:
                event(f"{step[0]} refused: {e.code}")
            assert invariants(engine) == [], (n, step)
    finally:
        engine.dispose()
