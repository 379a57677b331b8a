"""What replenishment planning reads of stock, in bulk (a few queries, whatever the size):
daily units shipped per warehouse and SKU, on-hand and available per warehouse and SKU, and
units in transit towards each warehouse on transfer orders. Part of ``service``'s surface."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Date, cast, func, select

from omnistock.inventory import rules
from omnistock.inventory.models import (
    lot,
    stock_balance,
    stock_move,
    transfer_order,
    transfer_order_line,
    warehouse,
)
from omnistock.platform.uow import UnitOfWork


def daily_shipped(
    uow: UnitOfWork, *, since: dt.date, until: dt.date, exclude: Sequence[str] = ()
) -> list[tuple[int, int, int, int]]:
    """Units shipped as (warehouse id, SKU id, day number, units) for days in [since, until), the
    day numbered from ``since`` (0, 1, …) so callers can index arrays without date arithmetic. One
    row per shipment move — not grouped: a day's rows are for the caller to add up (grouping in
    SQL costs a sort of the whole history; an array sums them for free). ``exclude`` names document
    types whose shipments are not sales (goods returned to a supplier)."""
    sm = stock_move.c
    sqlite = uow.dialect == "sqlite"
    # SQLite stores times as ISO text: the day is its first ten characters, numbered in Python.
    day = func.substr(sm.at, 1, 10) if sqlite else cast(sm.at, Date) - since
    stmt = select(sm.warehouse_id, sm.sku_id, day, -sm.qty).where(
        sm.kind == rules.SHIPMENT,
        sm.at >= dt.datetime.combine(since, dt.time()),
        sm.at < dt.datetime.combine(until, dt.time()),
    )
    if exclude:
        stmt = stmt.where(sm.doc_type.not_in(list(exclude)))
    rows = uow.conn.execute(stmt).all()
    if not sqlite:
        return [tuple(r) for r in rows]
    number = {(since + dt.timedelta(days=i)).isoformat(): i for i in range((until - since).days)}
    return [(w, s, number[d], q) for w, s, d, q in rows]


def stock_positions(
    uow: UnitOfWork, *, today: dt.date | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """(warehouse id, SKU id) -> (on hand, available) over every real warehouse. Available leaves
    out reserved stock and stock in expired or held batches (as ``availability`` does)."""
    sb = stock_balance.c
    today = today or dt.date.today()
    unusable = lot.c.blocked.is_(True) | (lot.c.expiry_date < today)
    rows = uow.conn.execute(
        select(
            sb.warehouse_id,
            sb.sku_id,
            func.sum(sb.on_hand),
            func.sum(sb.reserved),
        )
        .select_from(stock_balance.join(warehouse, warehouse.c.id == sb.warehouse_id))
        .where(warehouse.c.code != rules.TRANSIT_WAREHOUSE)
        .group_by(sb.warehouse_id, sb.sku_id)
    ).all()
    held = {
        (w, s): int(q)
        for w, s, q in uow.conn.execute(
            select(sb.warehouse_id, sb.sku_id, func.sum(sb.on_hand - sb.reserved))
            .select_from(stock_balance.join(lot, lot.c.id == sb.lot_id))
            .where(unusable, sb.lot_id != 0)
            .group_by(sb.warehouse_id, sb.sku_id)
        )
    }
    return {
        (w, s): (int(on_hand), int(on_hand) - int(reserved) - held.get((w, s), 0))
        for w, s, on_hand, reserved in rows
    }


def in_transit_to(uow: UnitOfWork) -> dict[tuple[int, int], int]:
    """(destination warehouse id, SKU id) -> units shipped on transfer orders, not yet arrived."""
    to, tl = transfer_order.c, transfer_order_line.c
    rows = uow.conn.execute(
        select(to.to_warehouse_id, tl.sku_id, func.sum(tl.shipped - tl.received - tl.lost))
        .select_from(transfer_order_line.join(transfer_order, to.id == tl.order_id))
        .where(to.status == rules.SHIPPED)
        .group_by(to.to_warehouse_id, tl.sku_id)
    ).all()
    return {(w, s): int(q) for w, s, q in rows if q}
