"""The ledger keeps each day's shipment totals (what replenishment reads): shipments of one day add
up in one row per warehouse, SKU and document type, a back-dated shipment lands on its own day,
returns do not count, and `doctor` finds a total that drifted from the ledger."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from omnistock.inventory import service as inventory
from omnistock.inventory.models import shipped_daily
from tests.inventory.helpers import invariants, order, receive, setup_master, ship, uow

DAY = dt.datetime(2026, 3, 2, 9, 0)


def _shipped(engine, since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 8), exclude=()):
    with uow(engine) as u:
        return sorted(inventory.daily_shipped(u, since=since, until=until, exclude=exclude))


def test_a_days_shipments_add_up_and_each_lands_on_its_own_day(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 100, 500, at=DAY - dt.timedelta(days=1))
    for n, (qty, days) in enumerate(((2, 0), (3, 0), (4, 2))):
        ref = f"SO-{n}"
        order(engine, ref, [("AVG-1", qty, 999)], at=DAY + dt.timedelta(days=days))
        ship(engine, ref, at=DAY + dt.timedelta(days=days, hours=1))
    # A back-dated one, shipped on the 1st after the later ones were posted.
    order(engine, "SO-OLD", [("AVG-1", 1, 999)], at=DAY - dt.timedelta(hours=21))
    ship(engine, "SO-OLD", at=DAY - dt.timedelta(hours=20))
    wh = inventory_id(engine, "WH-A")
    sku = sku_id(engine, "AVG-1")
    # day numbers from the 1st: the 2nd is 1, the 4th is 3
    assert _shipped(engine) == [(wh, sku, 0, 1), (wh, sku, 1, 5), (wh, sku, 3, 4)]
    assert _shipped(engine, since=dt.date(2026, 3, 2), until=dt.date(2026, 3, 3)) == [(wh, sku, 0, 5)]
    assert invariants(engine) == []


def test_returns_do_not_count_and_excluded_document_types_are_left_out(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 10, 500, at=DAY - dt.timedelta(days=1))
    order(engine, "SO-R", [("AVG-1", 3, 999)], at=DAY)
    ship(engine, "SO-R", at=DAY)
    from omnistock.orders import service as orders

    with uow(engine) as u:
        orders.return_order(
            u, ref="SO-R", lines=[orders.ReturnLineIn("AVG-1", 1)], at=DAY + dt.timedelta(hours=1)
        )
    wh, sku = inventory_id(engine, "WH-A"), sku_id(engine, "AVG-1")
    assert _shipped(engine) == [(wh, sku, 1, 3)]
    assert _shipped(engine, exclude=("sales_order",)) == []
    assert invariants(engine) == []


def test_doctor_names_a_daily_total_that_drifted_from_the_ledger(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 10, 500, at=DAY - dt.timedelta(days=1))
    order(engine, "SO-D", [("AVG-1", 2, 999)], at=DAY)
    ship(engine, "SO-D", at=DAY)
    with engine.begin() as conn:
        conn.execute(update(shipped_daily).values(qty=shipped_daily.c.qty + 1))
    problems = invariants(engine)
    assert any(p.startswith("shipped_daily(") and "Σ ledger shipments 2" in p for p in problems), problems


def inventory_id(engine, code: str) -> int:
    with uow(engine) as u:
        return inventory.warehouse_ref(u, code).id


def sku_id(engine, code: str) -> int:
    from omnistock.catalog import service as catalog

    with uow(engine) as u:
        return catalog.sku_ref(u, code).id
