"""Helpers for the inventory tests: master data set-up and before/after snapshots."""

from __future__ import annotations

from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform.auth import Actor
from omnistock.platform.db import metadata
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

SYSTEM = Actor.system("test")


def uow(engine) -> UnitOfWork:
    return UnitOfWork(engine, SYSTEM)


def setup_master(
    engine, *, warehouses=("WH-A", "WH-B"), skus=(("AVG-1", "average"), ("FIFO-1", "fifo"))
) -> None:
    with uow(engine) as u:
        for w in warehouses:
            inventory.create_warehouse(u, code=w, name=f"仓库 {w}")
        for code, method in skus:
            catalog.create_sku(
                u, code=code, name=f"商品 {code}", unit="件", price_cents=999, cost_method=method
            )
        orders.create_channel(u, code="CH-1", name="小程序")
        orders.create_customer(u, code="C-1", name="张三")
        purchasing.create_supplier(u, code="SUP-1", name="供应商")


def receive(engine, sku, qty, unit_cents, *, wh="WH-A", ref=None, at=None):
    with uow(engine) as u:
        return purchasing.receive_goods(
            u,
            ref=ref,
            supplier_code="SUP-1",
            warehouse=wh,
            lines=[inventory.ReceiptLine(sku, qty, unit_cents)],
            at=at,
        )


def order(engine, ref, lines, *, wh="WH-A", at=None):
    with uow(engine) as u:
        return orders.place_order(
            u,
            ref=ref,
            channel_code="CH-1",
            customer_code="C-1",
            warehouse=wh,
            lines=[orders.OrderLineIn(s, q, p) for s, q, p in lines],
            at=at,
        )


def ship(engine, ref, at=None):
    with uow(engine) as u:
        return orders.ship_order(u, ref=ref, at=at)


def snapshot(engine) -> dict:
    """Everything a refused call must leave unchanged: totals, row counts, balances and pools."""
    from omnistock.inventory.models import cost_pool, stock_balance

    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }
        return {
            "totals": inventory.totals(conn),
            "orders": orders.totals(conn),
            "counts": counts,
            "balances": sorted(tuple(r) for r in conn.execute(select(stock_balance))),
            "pools": sorted(
                (r.sku_id, r.qty, r.value_cents, str(r.layers)) for r in conn.execute(select(cost_pool))
            ),
        }


def invariants(engine) -> list[str]:
    with engine.connect() as conn:
        return inventory.check_invariants(conn)


def totals(engine) -> dict:
    with engine.connect() as conn:
        return inventory.totals(conn)


def balance(engine, sku, wh="WH-A") -> tuple[int, int]:
    with uow(engine) as u:
        rows = inventory.availability(u, [sku], [wh])[0]["warehouses"]
        return (rows[0]["on_hand"], rows[0]["reserved"]) if rows else (0, 0)


def pool(engine, sku) -> dict:
    with uow(engine) as u:
        return inventory.valuation(u, sku)
