"""What replenishment planning reads of stock, in bulk (a few queries, whatever the size):
daily units shipped per warehouse and SKU, on-hand and available per warehouse and SKU, and
units in transit towards each warehouse on transfer orders. Part of ``service``'s surface."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

from sqlalchemy import func, select

from omnistock.inventory import rules
from omnistock.inventory.models import (
    lot,
    stock_balance,
    transfer_order,
    transfer_order_line,
    warehouse,
)
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork


def daily_shipped(
    uow: UnitOfWork, *, since: dt.date, until: dt.date, exclude: Sequence[str] = ()
) -> list[tuple[int, int, int, int]]:
    """Units shipped as (warehouse id, SKU id, day number, units) for days in [since, until), the
    day numbered from ``since`` (0, 1, …) so callers can index arrays without date arithmetic.
    Read from the daily totals the ledger keeps (``shipped_daily``): one row per warehouse, SKU,
    day and document type, however many shipments there were. ``exclude`` names document types
    whose shipments are not sales (goods returned to a supplier)."""
    r = raw(uow.conn)
    params: dict = {"since": r.day(since), "until": r.day(until)}
    params.update({f"x{i}": d for i, d in enumerate(exclude)})
    return r.all(_daily_sql(len(exclude)), params)


@functools.cache
def _daily_sql(excluded: int) -> Sql:
    """Prepared: millions of rows come back, so the day's number is worked out by the database and
    no row goes through SQLAlchemy's result processing."""
    where = "day >= :since AND day < :until"
    if excluded:
        where += f" AND doc_type NOT IN ({', '.join(f':x{i}' for i in range(excluded))})"
    return Sql(
        "SELECT warehouse_id, sku_id, CAST(julianday(day) - julianday(:since) AS INTEGER), qty "
        f"FROM shipped_daily WHERE {where}",
        pg=f"SELECT warehouse_id, sku_id, day - CAST(:since AS DATE), qty FROM shipped_daily WHERE {where}",
    )


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
