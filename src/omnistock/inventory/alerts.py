"""Stock alerts: conditions of a warehouse's stock that someone should act on.

Each alert kind (``rules.ALERT_KINDS``) has a *source*: one SQL select yielding the rows in that
condition right now, with the same columns for every kind. The list API and the periodic scan
run the union of the sources as one statement, so a scan costs one query over the balances,
never one per SKU. The batch kinds (``near_expiry``: expires within ``rules.NEAR_EXPIRY_DAYS``;
``expired``) are per batch, the others per warehouse and SKU.

The scan (``scan_alerts``, every few minutes in the serve process's worker and by
``omnistock alerts scan``) remembers the conditions it saw in ``stock_alert``: a condition that
is new since the last scan is notified — one notification per warehouse and kind, addressed to
everyone allowed to read that warehouse's alerts — and is not notified again until it has
cleared and come back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)

from omnistock.catalog import service as catalog
from omnistock.inventory import rules
from omnistock.inventory.models import lot, stock_alert, stock_balance, warehouse
from omnistock.inventory.reports import _scoped_warehouse_ids
from omnistock.platform import notifications
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Invalid
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork

register(("inventory.alerts.read", "查看库存预警", "View stock alerts"))

READ = "inventory.alerts.read"
sb, sa_ = stock_balance.c, stock_alert.c

# ---------------------------------------------------------------------------------------------
# Sources: kind -> a select of (kind, warehouse_id, sku_id, lot_id, on_hand, reserved)


def _per_warehouse(w_ids: list[int] | None):
    """On-hand and reserved per (warehouse, SKU), batches summed."""
    stmt = select(
        sb.warehouse_id,
        sb.sku_id,
        func.sum(sb.on_hand).label("on_hand"),
        func.sum(sb.reserved).label("reserved"),
    ).group_by(sb.sku_id, sb.warehouse_id)
    if w_ids is not None:
        stmt = stmt.where(sb.warehouse_id.in_(w_ids))
    return stmt.subquery("per_wh")


def _balance_source(kind: str, condition: Callable) -> Callable[[list[int] | None], Select]:
    def source(w_ids: list[int] | None) -> Select:
        b = _per_warehouse(w_ids)
        sku_t = catalog.sku_view
        return (
            select(
                literal(kind, String(24)).label("kind"),
                b.c.warehouse_id,
                b.c.sku_id,
                literal(0, BigInteger).label("lot_id"),
                b.c.on_hand,
                b.c.reserved,
            )
            .select_from(b.join(sku_t, sku_t.c.id == b.c.sku_id))
            .where(condition(b.c.on_hand, b.c.reserved, sku_t.c.safety_stock))
        )

    return source


def _lot_source(kind: str, condition: Callable) -> Callable[[list[int] | None], Select]:
    """Batches with stock whose expiry date meets ``condition(expiry, today)``."""

    def source(w_ids: list[int] | None) -> Select:
        stmt = (
            select(
                literal(kind, String(24)).label("kind"),
                sb.warehouse_id,
                sb.sku_id,
                sb.lot_id,
                sb.on_hand,
                sb.reserved,
            )
            .select_from(stock_balance.join(lot, lot.c.id == sb.lot_id))
            .where(sb.on_hand > 0, condition(lot.c.expiry_date, utcnow().date()))
        )
        if w_ids is not None:
            stmt = stmt.where(sb.warehouse_id.in_(w_ids))
        return stmt

    return source


SOURCES: dict[str, Callable[[list[int] | None], Select]] = {
    rules.LOW_STOCK: _balance_source(rules.LOW_STOCK, lambda h, r, safety: h - r < safety),
    rules.NEGATIVE_AVAILABLE: _balance_source(rules.NEGATIVE_AVAILABLE, lambda h, r, _s: and_(r > h, h > 0)),
    rules.RESERVED_NO_STOCK: _balance_source(rules.RESERVED_NO_STOCK, lambda h, r, _s: and_(h == 0, r > 0)),
    rules.NEAR_EXPIRY: _lot_source(
        rules.NEAR_EXPIRY,
        lambda expiry, today: and_(
            expiry >= today, expiry <= today + dt.timedelta(days=rules.NEAR_EXPIRY_DAYS)
        ),
    ),
    rules.EXPIRED: _lot_source(rules.EXPIRED, lambda expiry, today: expiry < today),
}


def _union(kinds: list[str], w_ids: list[int] | None):
    selects = [SOURCES[k](w_ids) for k in kinds if k in SOURCES]
    if not selects:
        return None
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("alert")


def _kinds(kind: str | None) -> list[str]:
    if kind is None:
        return list(rules.ALERT_KINDS)
    if kind not in rules.ALERT_KINDS:
        raise Invalid(
            "inventory.unknown_alert_kind",
            "Unknown alert kind {kind}",
            "未知的预警类型：{kind}",
            kind=str(kind)[:40],
        )
    return [kind]


_POSITION = {k: i for i, k in enumerate(rules.ALERT_KINDS)}


def _position(col):
    return case(_POSITION, value=col)


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class AlertRow:
    kind: str
    severity: str
    warehouse: str
    warehouse_name: str
    sku: str
    sku_name: str
    lot: str | None
    on_hand: int
    reserved: int
    available: int
    safety_stock: int
    shortfall: int
    since: dt.datetime | None  # first seen by a scan; None until a scan has seen it


def _detailed(a):
    sku_t = catalog.sku_view
    return (
        select(
            a.c.kind,
            warehouse.c.code.label("wh"),
            warehouse.c.name.label("wh_name"),
            sku_t.c.code.label("sku"),
            sku_t.c.name.label("sku_name"),
            sku_t.c.safety_stock,
            a.c.warehouse_id,
            a.c.sku_id,
            a.c.lot_id,
            lot.c.lot_no,
            a.c.on_hand,
            a.c.reserved,
            sa_.first_seen_at,
        )
        .select_from(
            a.join(warehouse, warehouse.c.id == a.c.warehouse_id)
            .join(sku_t, sku_t.c.id == a.c.sku_id)
            .outerjoin(lot, lot.c.id == a.c.lot_id)
            .outerjoin(
                stock_alert,
                and_(
                    sa_.kind == a.c.kind,
                    sa_.warehouse_id == a.c.warehouse_id,
                    sa_.sku_id == a.c.sku_id,
                    sa_.lot_id == a.c.lot_id,
                ),
            )
        )
        .order_by(_position(a.c.kind), sku_t.c.code, warehouse.c.code)
    )


def _row(r) -> AlertRow:
    on_hand, reserved = int(r.on_hand), int(r.reserved)
    return AlertRow(
        kind=r.kind,
        severity=rules.ALERT_KINDS[r.kind][0],
        warehouse=r.wh,
        warehouse_name=r.wh_name,
        sku=r.sku,
        sku_name=r.sku_name,
        lot=r.lot_no,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        safety_stock=r.safety_stock,
        shortfall=rules.shortfall(r.kind, on_hand, reserved, r.safety_stock),
        since=r.first_seen_at,
    )


def alerts(
    uow: UnitOfWork,
    *,
    warehouse_code: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AlertRow], str | None]:
    """Stock alerts in the warehouses the actor may see, by kind, SKU and warehouse."""
    kinds = _kinds(kind)
    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    a = _union(kinds, w_ids)
    if a is None or w_ids == []:
        return [], None
    sku_t = catalog.sku_view
    stmt = _detailed(a).limit(limit + 1)
    after = decode_cursor(cursor)
    if after:
        try:
            pos, s, w = _POSITION[after["k"]], str(after["s"]), str(after["w"])
        except (KeyError, TypeError) as exc:
            raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc
        p = _position(a.c.kind)
        stmt = stmt.where(
            or_(
                p > pos,
                and_(p == pos, or_(sku_t.c.code > s, and_(sku_t.c.code == s, warehouse.c.code > w))),
            )
        )
    rows = uow.conn.execute(stmt).all()
    out = [_row(r) for r in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = out[-1]
        nxt = encode_cursor({"k": last.kind, "s": last.sku, "w": last.warehouse})
    return out, nxt


def alert_counts(uow: UnitOfWork, *, warehouse_code: str | None = None) -> dict[str, int]:
    """How many alerts of each kind (every kind, 0 included) the actor may see."""
    counts = dict.fromkeys(rules.ALERT_KINDS, 0)
    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    a = _union(list(rules.ALERT_KINDS), w_ids)
    if a is None or w_ids == []:
        return counts
    for k, c in uow.conn.execute(select(a.c.kind, func.count()).group_by(a.c.kind)):
        counts[k] = int(c)
    return counts


# ---------------------------------------------------------------------------------------------
# The periodic scan


@dataclass(frozen=True)
class ScanResult:
    active: int  # conditions present now
    new: int  # of which not seen by the previous scan
    cleared: int  # seen by the previous scan, gone now
    notifications: int  # notifications published (one per warehouse and kind with news)


MAX_LISTED = 10  # SKUs named in a notification's body


def _phrase(kind: str, n: int) -> tuple[str, str]:
    zh = {
        rules.LOW_STOCK: "{n} 个 SKU 低于安全库存",
        rules.NEGATIVE_AVAILABLE: "{n} 个 SKU 可用库存为负",
        rules.RESERVED_NO_STOCK: "{n} 个 SKU 零库存仍有预占",
        rules.NEAR_EXPIRY: "{n} 个批次临期",
        rules.EXPIRED: "{n} 个批次已过期",
    }[kind]
    en = {
        rules.LOW_STOCK: "{n} SKU(s) below safety stock",
        rules.NEGATIVE_AVAILABLE: "{n} SKU(s) with negative available stock",
        rules.RESERVED_NO_STOCK: "{n} SKU(s) reserved with nothing on hand",
        rules.NEAR_EXPIRY: "{n} batch(es) near expiry",
        rules.EXPIRED: "{n} batch(es) expired",
    }[kind]
    return zh.format(n=n), en.format(n=n)


def _line(row: AlertRow) -> tuple[str, str]:
    if row.kind == rules.LOW_STOCK:
        return (
            f"{row.sku} {row.sku_name}：可用 {row.available}，安全库存 {row.safety_stock}，缺 {row.shortfall}",
            f"{row.sku} {row.sku_name}: available {row.available}, safety stock {row.safety_stock}, "
            f"short {row.shortfall}",
        )
    return (
        f"{row.sku} {row.sku_name}：在库 {row.on_hand}，预占 {row.reserved}",
        f"{row.sku} {row.sku_name}: on hand {row.on_hand}, reserved {row.reserved}",
    )


def _notice(kind: str, rows: list[AlertRow]) -> notifications.Notice:
    wh, wh_name = rows[0].warehouse, rows[0].warehouse_name
    zh, en = _phrase(kind, len(rows))
    lines = [_line(r) for r in rows[:MAX_LISTED]]
    body_zh = "\n".join(z for z, _ in lines)
    body_en = "\n".join(e for _, e in lines)
    if len(rows) > MAX_LISTED:
        body_zh += f"\n…… 另有 {len(rows) - MAX_LISTED} 个"
        body_en += f"\n… and {len(rows) - MAX_LISTED} more"
    return notifications.Notice(
        kind=f"inventory.alert.{kind}",
        severity=rules.ALERT_KINDS[kind][0],
        title_zh=f"{wh} {wh_name}：{zh}",
        title_en=f"{wh} {wh_name}: {en}",
        body_zh=body_zh,
        body_en=body_en,
        link=f"/inventory/alerts?kind={kind}&warehouse={wh}",
        params={"alert_kind": kind, "warehouse": wh, "count": len(rows), "skus": [r.sku for r in rows[:50]]},
        permission=READ,
        scope_kind="warehouse",
        scope_code=wh,
    )


_SCAN_LOCK = 0x0A1E575CA9  # PostgreSQL advisory lock: one scan at a time


def scan_alerts(uow: UnitOfWork) -> ScanResult:
    """Compare the alert conditions now with those the last scan saw; notify the new ones."""
    if uow.dialect == "postgresql":  # SQLite: the write transaction already runs alone
        uow.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCAN_LOCK})
    a = _union(list(rules.ALERT_KINDS), None)
    if a is None:  # pragma: no cover - there are always balance sources
        return ScanResult(0, 0, 0, 0)
    rows = uow.conn.execute(_detailed(a)).all()
    known = {tuple(k) for k in uow.conn.execute(select(sa_.kind, sa_.warehouse_id, sa_.sku_id, sa_.lot_id))}
    now_keys = {(r.kind, r.warehouse_id, r.sku_id, r.lot_id) for r in rows}
    new = [r for r in rows if (r.kind, r.warehouse_id, r.sku_id, r.lot_id) not in known]
    cleared = known - now_keys
    if cleared:
        uow.conn.execute(
            delete(stock_alert).where(
                sa_.kind == bindparam("k"),
                sa_.warehouse_id == bindparam("w"),
                sa_.sku_id == bindparam("s"),
                sa_.lot_id == bindparam("l"),
            ),
            [{"k": k, "w": w, "s": s, "l": lot} for k, w, s, lot in sorted(cleared)],
        )
    now = utcnow()
    if new:
        uow.conn.execute(
            insert(stock_alert),
            [
                {
                    "kind": r.kind,
                    "warehouse_id": r.warehouse_id,
                    "sku_id": r.sku_id,
                    "lot_id": r.lot_id,
                    "first_seen_at": now,
                }
                for r in new
            ],
        )
    groups: dict[tuple[str, str], list[AlertRow]] = {}
    for r in new:
        row = _row(r)
        groups.setdefault((row.warehouse, row.kind), []).append(row)
    for (_wh, kind), group in sorted(groups.items(), key=lambda g: (g[0][0], _POSITION[g[0][1]])):
        notifications.publish(uow, _notice(kind, group))
    return ScanResult(active=len(rows), new=len(new), cleared=len(cleared), notifications=len(groups))
