"""The home dashboard: live counts from every area (never made-up numbers)."""

from __future__ import annotations

from fastapi import Depends, Request

from omnistock.catalog import service as catalog
from omnistock.identity import service as identity
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform import audit
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import utcnow
from omnistock.platform.http import AreaRouter, unit_of_work
from omnistock.platform.permissions import register
from omnistock.platform.schemas import Output

router = AreaRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
register(("dashboard.view", "查看首页看板", "View the dashboard"))


class Summary(Output):
    users: int
    roles: int
    audit_today: int
    warehouses: int
    skus: int
    on_hand_total: int
    reserved_total: int
    inventory_value_cents: int
    orders_open: int
    low_stock: int


@router.get("/summary", operation_id="getDashboardSummary")
def summary(request: Request, actor: Actor = Depends(requires("dashboard.view"))) -> Summary:
    with unit_of_work(request, actor, readonly=True) as uow:
        conn = uow.conn
        stock = inventory.stock_summary(uow)
        since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        alerts = inventory.alert_counts(uow)
        return Summary(
            users=identity.count_users(conn),
            roles=identity.count_roles(conn),
            audit_today=audit.count_since(conn, since),
            warehouses=len(inventory.list_warehouses(uow)),
            skus=catalog.count_skus(uow),
            on_hand_total=stock["on_hand"],
            reserved_total=stock["reserved"],
            inventory_value_cents=stock["value_cents"],
            orders_open=orders.count_open(uow),
            low_stock=alerts["low_stock"],
        )
