"""Selling a bundle (组合套餐) reserves and ships its components; the bundle's revenue is split
over them by list price, exactly; cost of goods is the components' cost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.orders.models import sales_order_line
from omnistock.platform.errors import AppError
from tests.inventory.conftest import t
from tests.inventory.helpers import invariants, order, receive, setup_master, ship, uow


@pytest.fixture
def shop(engine):
    setup_master(engine, skus=(("TEA", "average"), ("MUG", "fifo")))
    with uow(engine) as u:
        catalog.create_sku(
            u,
            code="GIFT",
            name="茶礼盒",
            unit="盒",
            price_cents=29900,
            cost_method="average",
            kind="bundle",
            components=[catalog.Component("TEA", 1), catalog.Component("MUG", 2)],
        )
    receive(engine, "TEA", 10, 1000, at=t(1))
    receive(engine, "MUG", 10, 300, at=t(1))
    yield engine
    assert invariants(engine) == []


def lines(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.line_no, r.sku_id, r.qty, r.revenue_cents, r.bundle_sku_id is not None, r.bundle_qty)
            for r in conn.execute(select(sales_order_line).order_by(sales_order_line.c.line_no))
        ]


def test_a_bundle_reserves_and_ships_its_components(shop):
    res = order(shop, "SO-1", [("GIFT", 3, 20000)], at=t(2))
    assert res.status == "allocated"
    with uow(shop) as u:
        (gift,) = inventory.availability(u, ["GIFT"], ["WH-A"])
        tea, mug = (catalog.sku_ref(u, c) for c in ("TEA", "MUG"))
    assert gift["available"] == 2  # 7 tea and 4 mugs left free: two more kits
    got = lines(shop)
    assert [(n, s, q, b, bq) for n, s, q, _, b, bq in got] == [
        (1, tea.id, 3, True, 3),
        (2, mug.id, 6, True, 3),
    ]
    # ¥600.00 over list prices TEA 9.99 × 1 and MUG 9.99 × 2 → 1 : 2, to the cent.
    assert [x[3] for x in got] == [20000, 40000]
    costs = ship(shop, "SO-1")
    assert sorted((c.qty, c.cost_cents) for c in costs) == [(3, 3000), (6, 1800)]


def test_a_bundle_short_of_a_component_is_rejected(shop):
    assert order(shop, "SO-1", [("GIFT", 6, 20000)], at=t(2)).status == "rejected"  # 12 mugs > 10


def test_a_sku_on_its_own_and_in_a_bundle_is_refused(shop):
    with pytest.raises(AppError) as info, uow(shop) as u:
        orders.place_order(
            u,
            ref="SO-1",
            channel_code="CH-1",
            customer_code="C-1",
            warehouse="WH-A",
            lines=[orders.OrderLineIn("GIFT", 1, 100), orders.OrderLineIn("MUG", 1, 100)],
        )
    assert info.value.code == "orders.duplicate_sku_line"
