"""Fulfilment use cases (WMS): the area's public surface.

From an allocated order to a parcel with a tracking number: couriers chosen by rules, waves,
picking, the pack station, shipping, and returns received back into the warehouse. Every function
takes the caller's unit of work and never commits; the modules below hold the use cases.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from omnistock.fulfillment import rules
from omnistock.fulfillment.models import shipment, wave_order
from omnistock.orders import service as orders
from omnistock.platform.clock import utcnow
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork

register(
    (
        "fulfillment.read",
        "查看仓储作业（波次、拣货、发货、退货）",
        "View fulfilment (waves, picks, parcels, returns)",
    ),
    (
        "fulfillment.courier.manage",
        "管理快递公司、快递规则与面单号池",
        "Manage carriers, courier rules and tracking pools",
    ),
    (
        "fulfillment.wave.manage",
        "管理波次（创建、释放、指定快递）",
        "Manage waves (create, release, set couriers)",
    ),
    ("fulfillment.pick", "拣货确认", "Confirm picks"),
    ("fulfillment.pack", "验货打包", "Pack parcels"),
    ("fulfillment.ship", "发货", "Ship parcels"),
    ("fulfillment.return", "退货入库", "Receive returns"),
)


def dashboard(uow: UnitOfWork) -> dict:
    """Today's work of the warehouses in the actor's scope: orders to pick, pack and ship, what
    shipped today, and the late orders (allocated more than a day ago and not shipped)."""
    from omnistock.fulfillment.waves import scoped_warehouse_ids

    uow.actor.require("fulfillment.read")
    ids = scoped_warehouse_ids(uow)
    allocated = orders.order_sheets(uow, status="allocated", warehouse_ids=ids, limit=100_000, lines=False)
    slots = dict(
        uow.conn.execute(
            select(wave_order.c.order_id, wave_order.c.status).where(
                wave_order.c.order_id.in_([o.id for o in allocated])
            )
        ).all()
    )
    to_pick = sum(1 for o in allocated if slots.get(o.id) in (None, rules.WAITING, rules.PICKING))
    to_pack = sum(1 for o in allocated if slots.get(o.id) == rules.PICKED)
    to_ship = sum(1 for o in allocated if slots.get(o.id) == rules.PACKED)
    now = utcnow()
    start = dt.datetime(now.year, now.month, now.day)
    stmt = (
        select(func.count())
        .select_from(shipment)
        .where(shipment.c.status == "shipped", shipment.c.shipped_at >= start)
    )
    if ids is not None:
        stmt = stmt.where(shipment.c.warehouse_id.in_(ids))
    shipped_today = uow.conn.execute(stmt).scalar_one()
    late_before = now - dt.timedelta(hours=rules.LATE_AFTER_HOURS)
    late = [o for o in allocated if o.ordered_at < late_before]
    return {
        "to_pick": to_pick,
        "to_pack": to_pack,
        "to_ship": to_ship,
        "shipped_today": int(shipped_today),
        "late_count": len(late),
        "late": [
            {
                "order": o.ref,
                "ordered_at": o.ordered_at,
                "hours": int((now - o.ordered_at).total_seconds() // 3600),
                "stage": slots.get(o.id) or "no_wave",
                "receiver": o.receiver,
            }
            for o in late[:50]
        ],
    }


# isort: split
# The use cases live in their own modules; they are part of this public surface.
from omnistock.fulfillment.couriers import (  # noqa: E402,F401
    RuleIn,
    accounts,
    add_numbers,
    create_account,
    create_carrier,
    list_carriers,
    list_rules,
    save_rule,
)
from omnistock.fulfillment.packing import (  # noqa: E402,F401
    PARCEL_SHIPPED_EVENT,
    PackItem,
    ParcelShipped,
    list_shipments,
    pack,
    parcel_document,
    scan,
    ship,
    station,
)
from omnistock.fulfillment.returns import ReturnItem, list_returns, receive_return  # noqa: E402,F401
from omnistock.fulfillment.waves import (  # noqa: E402,F401
    Created,
    PickIn,
    confirm_picks,
    create_waves,
    list_waves,
    pick_list,
    release_wave,
    set_courier,
)
