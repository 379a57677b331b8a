"""Purchasing test set-up: warehouses, SKUs (plain, batch, serial), suppliers and actors with
the built-in roles' permissions."""

from __future__ import annotations

from omnistock.catalog import service as catalog
from omnistock.identity.service import BUILTIN_ROLES
from omnistock.inventory import service as inventory
from omnistock.platform.auth import Actor
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

SYSTEM = Actor.system("test")


def role_actor(username: str, *roles: str) -> Actor:
    perms = {p for r in BUILTIN_ROLES if r["code"] in roles for p in r["permissions"]}
    return Actor(user_id=None, username=username, permissions=frozenset(perms))


BUYER = role_actor("buyer", "purchaser")
BOSS = role_actor("boss", "purchase_manager")
CLERK = role_actor("clerk", "warehouse")


def uow(engine, actor: Actor = SYSTEM) -> UnitOfWork:
    return UnitOfWork(engine, actor)


def setup(engine) -> None:
    with uow(engine) as u:
        inventory.create_warehouse(u, code="WH-A", name="上海仓")
        inventory.create_warehouse(u, code="WH-B", name="广州仓")
        catalog.create_sku(
            u,
            code="STD-1",
            name="标准品",
            unit="件",
            price_cents=1999,
            cost_method="average",
            barcodes=["6900001"],
        )
        catalog.create_sku(u, code="STD-2", name="标准品二", unit="件", price_cents=999, cost_method="fifo")
        catalog.create_sku(
            u,
            code="BAT-1",
            name="批次品",
            unit="盒",
            price_cents=2999,
            cost_method="average",
            tracking="batch",
            shelf_life_days=365,
        )
        catalog.create_sku(
            u,
            code="SER-1",
            name="序列号品",
            unit="台",
            price_cents=99900,
            cost_method="average",
            tracking="serial",
        )
        purchasing.create_supplier(
            u,
            code="SUP-1",
            name="供应商一",
            fields=purchasing.SupplierFields(lead_time_days=5, tolerance_pct=10),
        )
        purchasing.create_supplier(u, code="SUP-2", name="供应商二")
        purchasing.set_supplier_sku(
            u, "SUP-1", sku="STD-1", price_cents=1000, moq=10, pack_size=5, preferred=True
        )
        purchasing.set_supplier_sku(u, "SUP-2", sku="STD-1", price_cents=900)
        purchasing.set_supplier_sku(u, "SUP-1", sku="STD-2", price_cents=500)
        purchasing.set_supplier_sku(u, "SUP-1", sku="BAT-1", price_cents=2000)
        purchasing.set_supplier_sku(u, "SUP-1", sku="SER-1", price_cents=50000)


def approved_order(engine, lines, *, supplier="SUP-1", warehouse="WH-A") -> int:
    """A purchase order created and submitted by the buyer, approved by the manager."""
    with uow(engine, BUYER) as u:
        po = purchasing.create_order(
            u,
            supplier_code=supplier,
            warehouse=warehouse,
            lines=[purchasing.OrderLineIn(*ln) for ln in lines],
        )
        purchasing.submit_order(u, po["id"])
    with uow(engine, BOSS) as u:
        purchasing.approve_order(u, po["id"])
    return po["id"]
