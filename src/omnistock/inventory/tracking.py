"""Batches (批次) and serial numbers (SN/唯一码): which lot a quantity is in, which units move.

A batch-tracked SKU keeps balances per lot. Stock comes in with its batch number and dates;
reservations take lots earliest-expiry first (FEFO), skipping expired and blocked lots; every
later move names the lot it takes from. A serial-tracked SKU keeps its quantity at lot 0 and
each unit is a ``serial_unit`` that is received, shipped, returned and moved one by one by
scanning; a unit is in at most one warehouse and can leave only from there.

Everything here runs inside the caller's unit of work, in the documents of ``service``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select

from omnistock.catalog import service as catalog
from omnistock.inventory import rules
from omnistock.inventory.models import lot as lot_t
from omnistock.inventory.models import serial_unit, stock_balance, stock_move, stock_move_serial
from omnistock.inventory.models import warehouse as warehouse_t
from omnistock.inventory.reports import _scoped_warehouse_ids
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid, not_found
from omnistock.platform.permissions import register
from omnistock.platform.sql import Raw, Sql, raw
from omnistock.platform.uow import UnitOfWork

register(("inventory.lot.manage", "批次冻结/解冻", "Block and unblock batches"))


@dataclass(frozen=True)
class LotIn:
    """A batch as written on a receipt line: its number and dates."""

    lot_no: str
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    supplier_lot_no: str | None = None


# -- lots ------------------------------------------------------------------------------------------
_LOT_BY_NO = Sql(
    "SELECT id, production_date, expiry_date, blocked FROM lot WHERE sku_id = :s AND lot_no = :no",
    pg="SELECT id, production_date, expiry_date, blocked FROM lot WHERE sku_id = :s AND lot_no = :no FOR UPDATE",
)
_LOT_DATES = Sql("UPDATE lot SET production_date = :made, expiry_date = :expires WHERE id = :id")
_NEW_LOT = Sql(
    "INSERT INTO lot (sku_id, lot_no, supplier_lot_no, production_date, expiry_date, blocked, created_at) "
    "VALUES (:s, :no, :supplier_no, :made, :expires, :blocked, :now) RETURNING id"
)
# Free stock of a SKU's lots in one warehouse, with what FEFO needs; locked on PostgreSQL in lot
# order (after the SKU's other rows: the global lock order is by SKU, then warehouse, then lot).
_FREE_LOTS = (
    "SELECT b.lot_id, b.on_hand - b.reserved, l.expiry_date, l.blocked FROM stock_balance b "
    "JOIN lot l ON l.id = b.lot_id WHERE b.sku_id = :s AND b.warehouse_id = :w AND b.lot_id <> 0 "
    "AND b.on_hand > b.reserved ORDER BY b.lot_id"
)
FREE_LOTS = Sql(_FREE_LOTS, pg=_FREE_LOTS + " FOR UPDATE OF b")


def _bad(code: str, en: str, zh: str, **params) -> Invalid:
    return Invalid(f"inventory.{code}", en, zh, **params)


def check_lot_in(sku: catalog.SkuRef, lot: LotIn | None, line: int) -> None:
    """Edge checks of a batch given on a line (before anything is written)."""
    if sku.tracking != rules.BATCH:
        if lot is not None:
            raise _bad(
                "not_batch_tracked",
                "Line {line}: {sku} is not batch-tracked; leave the batch out",
                "第 {line} 行：{sku} 不按批次管理，不要填写批次",
                line=line,
                sku=sku.code,
            )
        return
    if lot is None or not isinstance(lot.lot_no, str) or not lot.lot_no.strip() or len(lot.lot_no) > 64:
        raise _bad(
            "lot_required",
            "Line {line}: {sku} is batch-tracked; give its batch number",
            "第 {line} 行：{sku} 按批次管理，请填写批次号",
            line=line,
            sku=sku.code,
        )
    if lot.production_date and lot.expiry_date and lot.expiry_date < lot.production_date:
        raise _bad(
            "expiry_before_production",
            "Line {line}: the expiry date {expiry} is before the production date {made}",
            "第 {line} 行：到期日 {expiry} 早于生产日期 {made}",
            line=line,
            expiry=lot.expiry_date.isoformat(),
            made=lot.production_date.isoformat(),
        )


def receive_lot(uow: UnitOfWork, sku: catalog.SkuRef, lot: LotIn, line: int) -> int:
    """The id of the batch stock comes into: found by number (its dates must agree and it must
    not be on hold) or created; without an expiry date it gets production date + shelf life."""
    r = raw(uow.conn)
    no = lot.lot_no.strip()
    expiry = lot.expiry_date
    if expiry is None and lot.production_date is not None:
        shelf = catalog.get_sku(uow, sku.id).shelf_life_days
        if shelf:
            expiry = lot.production_date + dt.timedelta(days=shelf)
    row = r.one(_LOT_BY_NO, {"s": sku.id, "no": no})
    if row is None:
        (lot_id,) = r.one(
            _NEW_LOT,
            {
                "s": sku.id,
                "no": no,
                "supplier_no": lot.supplier_lot_no,
                "made": r.day(lot.production_date),
                "expires": r.day(expiry),
                "blocked": False,
                "now": r.dt(utcnow()),
            },
        )
        return lot_id
    lot_id, made, expires, blocked = row[0], r.read_day(row[1]), r.read_day(row[2]), bool(row[3])
    if blocked:
        raise Conflict(
            "inventory.lot_blocked",
            "Line {line}: batch {lot} of {sku} is on hold; release it before receiving into it",
            "第 {line} 行：{sku} 的批次 {lot} 已冻结，解冻后才能入库",
            line=line,
            lot=no,
            sku=sku.code,
        )
    if (lot.production_date and made and lot.production_date != made) or (
        lot.expiry_date and expires and lot.expiry_date != expires
    ):
        raise Conflict(
            "inventory.lot_dates_differ",
            "Line {line}: batch {lot} of {sku} already exists with other dates",
            "第 {line} 行：{sku} 的批次 {lot} 已存在，但日期不同",
            line=line,
            lot=no,
            sku=sku.code,
        )
    if (lot.production_date and not made) or (expiry and not expires):  # dates learnt now
        check_lot_in(sku, LotIn(no, made or lot.production_date, expires or expiry), line)
        r.queue(
            _LOT_DATES,
            {
                "id": lot_id,
                "made": r.day(made or lot.production_date),
                "expires": r.day(expires or expiry),
            },
        )
    return lot_id


def find_lot(uow: UnitOfWork, sku: catalog.SkuRef, lot_no: str) -> int | None:
    """The id of the SKU's batch ``lot_no``, if it exists."""
    row = raw(uow.conn).one(_LOT_BY_NO, {"s": sku.id, "no": lot_no})
    return row[0] if row else None


def existing_lot(uow: UnitOfWork, sku: catalog.SkuRef, lot_no: str, line: int) -> int:
    lot_id = find_lot(uow, sku, lot_no)
    if lot_id is None:
        raise _bad(
            "unknown_lot",
            "Line {line}: {sku} has no batch {lot}",
            "第 {line} 行：{sku} 没有批次 {lot}",
            line=line,
            sku=sku.code,
            lot=str(lot_no)[:64],
        )
    return lot_id


def allocate(
    r: Raw, warehouse_id: int, sku: catalog.SkuRef, qty: int, day: dt.date, *, sellable_only: bool = True
) -> tuple[list[tuple[int, int]] | None, int]:
    """FEFO allocation of ``qty`` free units of a batch SKU in a warehouse: ([(lot, qty)], free).

    ``sellable_only`` skips expired and blocked lots (reservations and transfers); the list is
    None when the free stock is short.
    """
    lots = []
    for lot_id, free, expiry, blocked in r.all(FREE_LOTS, {"s": sku.id, "w": warehouse_id}):
        expiry = r.read_day(expiry)
        if sellable_only and (blocked or rules.is_expired(expiry, day)):
            continue
        lots.append((lot_id, free, expiry))
    return rules.fefo(lots, qty), sum(x[1] for x in lots)


def set_blocked(uow: UnitOfWork, lot_id: int, blocked: bool, reason: str | None = None) -> dict:
    """Put a batch on quality hold (its stock stops being available) or release it."""
    uow.actor.require("inventory.lot.manage")
    row = uow.conn.execute(select(lot_t).where(lot_t.c.id == lot_id).with_for_update()).first()
    if row is None:
        raise not_found("lot", lot_id, zh="批次")
    if blocked and not (reason or "").strip():
        raise _bad("block_reason_required", "Say why the batch is put on hold", "请填写冻结原因")
    if blocked:
        reserved = uow.conn.execute(
            select(stock_balance.c.reserved).where(
                stock_balance.c.lot_id == lot_id, stock_balance.c.reserved > 0
            )
        ).first()
        if reserved:
            raise Conflict(
                "inventory.lot_reserved",
                "Batch {lot} has stock reserved for orders; release or re-route them first",
                "批次 {lot} 有订单已预留的库存，请先释放或改派这些订单",
                lot=row.lot_no,
            )
    uow.conn.execute(
        lot_t.update()
        .where(lot_t.c.id == lot_id)
        .values(blocked=blocked, block_reason=reason if blocked else None)
    )
    uow.audit(
        "inventory.lot.block" if blocked else "inventory.lot.unblock",
        "lot",
        lot_id,
        before={"blocked": row.blocked},
        after={"blocked": blocked, "reason": reason},
    )
    return lot_view(uow, lot_id)


def lot_view(uow: UnitOfWork, lot_id: int) -> dict:
    rows = list_lots(uow, lot_id=lot_id)
    if not rows:
        raise not_found("lot", lot_id, zh="批次")
    return rows[0]


def list_lots(
    uow: UnitOfWork,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    expiring_within_days: int | None = None,
    expired: bool | None = None,
    blocked: bool | None = None,
    in_stock: bool = False,
    lot_id: int | None = None,
    today: dt.date | None = None,
    limit: int = 500,
) -> list[dict]:
    """Batches with their stock per warehouse (within the actor's warehouses), soonest expiry first."""
    from omnistock.inventory.service import warehouse_ref

    today = today or utcnow().date()
    sb, lt, wh = stock_balance.c, lot_t.c, warehouse_t.c
    skus = catalog.sku_view.c
    stmt = (
        select(
            lt.id,
            lt.lot_no,
            lt.supplier_lot_no,
            lt.production_date,
            lt.expiry_date,
            lt.blocked,
            lt.block_reason,
            skus.code.label("sku"),
            skus.name.label("sku_name"),
            wh.code.label("warehouse"),
            sb.on_hand,
            sb.reserved,
        )
        .select_from(
            lot_t.join(catalog.sku_view, skus.id == lt.sku_id)
            .outerjoin(stock_balance, and_(sb.lot_id == lt.id, sb.on_hand > 0))
            .outerjoin(warehouse_t, wh.id == sb.warehouse_id)
        )
        .order_by(lt.expiry_date.is_(None), lt.expiry_date, lt.id, wh.code)
        .limit(limit)
    )
    allowed = uow.actor.allowed("warehouse")
    if allowed is not None or in_stock:
        stmt = stmt.where(sb.on_hand > 0)
    if allowed is not None:
        stmt = stmt.where(wh.code.in_(sorted(allowed)))
    if warehouse:
        stmt = stmt.where(sb.warehouse_id == warehouse_ref(uow, warehouse).id)
    if sku:
        stmt = stmt.where(lt.sku_id == catalog.sku_ref(uow, sku).id)
    if lot_id is not None:
        stmt = stmt.where(lt.id == lot_id)
    if expired is True:
        stmt = stmt.where(lt.expiry_date < today)
    elif expired is False:
        stmt = stmt.where((lt.expiry_date.is_(None)) | (lt.expiry_date >= today))
    if expiring_within_days is not None:
        stmt = stmt.where(
            lt.expiry_date >= today, lt.expiry_date <= today + dt.timedelta(days=expiring_within_days)
        )
    if blocked is not None:
        stmt = stmt.where(lt.blocked.is_(blocked))
    out = []
    r = raw(uow.conn)
    for row in uow.conn.execute(stmt):
        expiry = r.read_day(row.expiry_date)
        out.append(
            {
                "id": row.id,
                "lot_no": row.lot_no,
                "supplier_lot_no": row.supplier_lot_no,
                "sku": row.sku,
                "sku_name": row.sku_name,
                "production_date": r.read_day(row.production_date),
                "expiry_date": expiry,
                "days_left": (expiry - today).days if expiry else None,
                "expired": rules.is_expired(expiry, today),
                "blocked": bool(row.blocked),
                "block_reason": row.block_reason,
                "warehouse": row.warehouse,
                "on_hand": int(row.on_hand or 0),
                "reserved": int(row.reserved or 0),
            }
        )
    return out


# -- serial numbers ----------------------------------------------------------------------------------
_SERIALS = Sql(
    "SELECT id, serial_no, status, warehouse_id, hold_ref FROM serial_unit "
    "WHERE sku_id = :s AND serial_no = :no",
    pg="SELECT id, serial_no, status, warehouse_id, hold_ref FROM serial_unit "
    "WHERE sku_id = :s AND serial_no = :no FOR UPDATE",
)
_HOLD_SERIAL = Sql("UPDATE serial_unit SET hold_ref = :ref, updated_at = :now WHERE id = :id")
_RELEASE_SERIALS = Sql("UPDATE serial_unit SET hold_ref = NULL, updated_at = :now WHERE hold_ref = :ref")
_NEW_SERIAL = Sql(
    "INSERT INTO serial_unit (sku_id, serial_no, status, warehouse_id, created_at, updated_at) "
    "VALUES (:s, :no, 'in_stock', :w, :now, :now) RETURNING id"
)
_MOVE_SERIAL = Sql(
    "UPDATE serial_unit SET status = :status, warehouse_id = :w, updated_at = :now WHERE id = :id"
)
_SHIPPED_ON_LINE = Sql(
    "SELECT ms.serial_id FROM stock_move_serial ms JOIN stock_move m ON m.id = ms.move_id "
    "WHERE m.doc_type = :doc_type AND m.doc_id = :doc_id AND m.line_no = :line_no AND m.kind = 'shipment'"
)


def check_serials(sku: catalog.SkuRef, serials: Sequence[str] | None, qty: int, line: int) -> list[str]:
    """Edge checks of the serial numbers scanned for a line; returns them stripped."""
    if sku.tracking != rules.SERIAL:
        if serials:
            raise _bad(
                "not_serial_tracked",
                "Line {line}: {sku} has no serial numbers; leave them out",
                "第 {line} 行：{sku} 不管理序列号，不要填写序列号",
                line=line,
                sku=sku.code,
            )
        return []
    given = [s.strip() if isinstance(s, str) else s for s in (serials or [])]
    problem = rules.serial_problem(given, qty)
    if problem == "count":
        raise _bad(
            "serial_count",
            "Line {line}: {sku} needs one serial number per unit: {qty} units, {n} serial numbers",
            "第 {line} 行：{sku} 每件都要扫描序列号：数量 {qty}，序列号 {n} 个",
            line=line,
            sku=sku.code,
            qty=qty,
            n=len(given),
        )
    if problem == "duplicate":
        dup = next(s for s in given if given.count(s) > 1)
        raise _bad(
            "serial_scanned_twice",
            "Line {line}: serial number {serial} is scanned twice",
            "第 {line} 行：序列号 {serial} 重复扫描",
            line=line,
            serial=str(dup)[:64],
        )
    if problem:
        raise _bad(
            "bad_serial",
            "Line {line}: a serial number is 1-64 characters",
            "第 {line} 行：序列号为 1-64 个字符",
            line=line,
        )
    return given


def serials_in(
    uow: UnitOfWork, sku: catalog.SkuRef, serials: list[str], warehouse_id: int
) -> tuple[int, ...]:
    """Units entering stock in a warehouse (receipts, gains): new numbers are registered; a number
    already in stock anywhere is refused."""
    r = raw(uow.conn)
    now = r.dt(utcnow())
    ids = []
    for no in serials:
        row = r.one(_SERIALS, {"s": sku.id, "no": no})
        if row is None:
            (sid,) = r.one(_NEW_SERIAL, {"s": sku.id, "no": no, "w": warehouse_id, "now": now})
        elif row[2] == rules.SERIAL_IN_STOCK:
            from omnistock.inventory.service import warehouse_code

            raise Conflict(
                "inventory.serial_in_stock",
                "Serial number {serial} of {sku} is already in stock in {warehouse}",
                "{sku} 的序列号 {serial} 已在仓库 {warehouse} 的库存中",
                serial=no,
                sku=sku.code,
                warehouse=warehouse_code(uow, row[3]),
            )
        else:
            sid = row[0]
            r.queue(_MOVE_SERIAL, {"status": rules.SERIAL_IN_STOCK, "w": warehouse_id, "now": now, "id": sid})
        ids.append(sid)
    return tuple(ids)


def serials_out(
    uow: UnitOfWork,
    sku: catalog.SkuRef,
    serials: list[str],
    warehouse_id: int,
    status: str,
    to_warehouse: int | None = None,
) -> tuple[int, ...]:
    """Units leaving a warehouse (shipped, lost, or moved to ``to_warehouse``): each must be in
    stock there — a unit cannot be sold twice or leave from where it is not."""
    from omnistock.inventory.service import warehouse_code

    r = raw(uow.conn)
    now = r.dt(utcnow())
    ids = []
    for no in serials:
        row = r.one(_SERIALS, {"s": sku.id, "no": no})
        if row is None:
            raise _bad(
                "unknown_serial",
                "{sku} has no unit with serial number {serial}",
                "{sku} 没有序列号为 {serial} 的商品",
                sku=sku.code,
                serial=no,
            )
        if row[2] != rules.SERIAL_IN_STOCK:
            raise Conflict(
                "inventory.serial_not_in_stock",
                "Serial number {serial} of {sku} is not in stock (it is {state})",
                "{sku} 的序列号 {serial} 不在库存中（状态：{state}）",
                serial=no,
                sku=sku.code,
                state=row[2],
            )
        if row[3] != warehouse_id:
            raise Conflict(
                "inventory.serial_wrong_warehouse",
                "Serial number {serial} of {sku} is in {actual}, not in {expected}",
                "{sku} 的序列号 {serial} 在仓库 {actual}，不在 {expected}",
                serial=no,
                sku=sku.code,
                actual=warehouse_code(uow, row[3]),
                expected=warehouse_code(uow, warehouse_id),
            )
        if row[4] is not None:
            raise Conflict(
                "inventory.serial_on_hold",
                "Serial number {serial} of {sku} is on hold ({holder}) and cannot leave stock until released",
                "{sku} 的序列号 {serial} 已冻结（{holder}），放行前不能出库",
                serial=no,
                sku=sku.code,
                holder=row[4],
            )
        new_status = rules.SERIAL_IN_STOCK if to_warehouse else status
        r.queue(_MOVE_SERIAL, {"status": new_status, "w": to_warehouse, "now": now, "id": row[0]})
        ids.append(row[0])
    return tuple(ids)


def hold_serials(
    uow: UnitOfWork, sku: catalog.SkuRef, serials: Sequence[str], warehouse_id: int, hold_ref: str
) -> tuple[int, ...]:
    """Put units in stock in a warehouse on hold for ``hold_ref``: they stay in stock but cannot
    leave it (``serials_out`` refuses them) until ``release_serial_hold(hold_ref)``."""
    r = raw(uow.conn)
    now = r.dt(utcnow())
    ids = []
    for no in serials:
        row = r.one(_SERIALS, {"s": sku.id, "no": no})
        if row is None or row[2] != rules.SERIAL_IN_STOCK or row[3] != warehouse_id:
            raise Conflict(
                "inventory.serial_not_in_stock",
                "Serial number {serial} of {sku} is not in stock here, so it cannot be held",
                "{sku} 的序列号 {serial} 不在此仓库的库存中，无法冻结",
                serial=no,
                sku=sku.code,
            )
        if row[4] is not None and row[4] != hold_ref:
            raise Conflict(
                "inventory.serial_on_hold",
                "Serial number {serial} of {sku} is already on hold ({holder})",
                "{sku} 的序列号 {serial} 已被冻结（{holder}）",
                serial=no,
                sku=sku.code,
                holder=row[4],
            )
        r.queue(_HOLD_SERIAL, {"ref": hold_ref, "now": now, "id": row[0]})
        ids.append(row[0])
    return tuple(ids)


def release_serial_hold(uow: UnitOfWork, hold_ref: str) -> None:
    """The units ``hold_ref`` held may leave stock again."""
    r = raw(uow.conn)
    r.queue(_RELEASE_SERIALS, {"ref": hold_ref, "now": r.dt(utcnow())})


_IN_STOCK_AT = Sql(
    "SELECT id, serial_no FROM serial_unit WHERE sku_id = :s AND warehouse_id = :w AND status = 'in_stock'"
)


def count_serials(
    uow: UnitOfWork, sku: catalog.SkuRef, found: list[str], warehouse_id: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A stocktake of a serial-tracked SKU: (units missing from the scan, now lost; units found
    that were not on the books here, now in stock)."""
    r = raw(uow.conn)
    on_books = {no: sid for sid, no in r.all(_IN_STOCK_AT, {"s": sku.id, "w": warehouse_id})}
    missing = [no for no in on_books if no not in set(found)]
    extra = [no for no in found if no not in on_books]
    lost = serials_out(uow, sku, missing, warehouse_id, rules.SERIAL_REMOVED) if missing else ()
    return lost, serials_in(uow, sku, extra, warehouse_id) if extra else ()


def serials_back(
    uow: UnitOfWork,
    sku: catalog.SkuRef,
    serials: list[str],
    warehouse_id: int,
    *,
    doc_type: str,
    doc_id: int,
    line_no: int,
) -> tuple[int, ...]:
    """Units of a shipped line coming back: each must have left on that very line."""
    r = raw(uow.conn)
    shipped = {
        row[0]
        for row in r.all(_SHIPPED_ON_LINE, {"doc_type": doc_type, "doc_id": doc_id, "line_no": line_no})
    }
    now = r.dt(utcnow())
    ids = []
    for no in serials:
        row = r.one(_SERIALS, {"s": sku.id, "no": no})
        if row is None or row[0] not in shipped or row[2] != rules.SERIAL_SHIPPED:
            raise Conflict(
                "inventory.serial_not_shipped_here",
                "Serial number {serial} of {sku} did not leave on this order line (or is already back)",
                "{sku} 的序列号 {serial} 不是此订单行发出的（或已退回）",
                serial=no,
                sku=sku.code,
            )
        r.queue(_MOVE_SERIAL, {"status": rules.SERIAL_IN_STOCK, "w": warehouse_id, "now": now, "id": row[0]})
        ids.append(row[0])
    return tuple(ids)


def serial_trace(uow: UnitOfWork, serial_no: str) -> list[dict]:
    """Every unit with this serial number (one per SKU, usually one) and each of its moves with
    the document it belongs to, oldest first."""
    from omnistock.inventory.service import warehouse_code

    su, sm, ms = serial_unit.c, stock_move.c, stock_move_serial.c
    skus = catalog.sku_view.c
    units = uow.conn.execute(
        select(su.id, su.serial_no, su.status, su.warehouse_id, su.hold_ref, skus.code, skus.name)
        .select_from(serial_unit.join(catalog.sku_view, skus.id == su.sku_id))
        .where(su.serial_no == serial_no)
        .order_by(skus.code)
    ).all()
    allowed = uow.actor.allowed("warehouse")
    out = []
    for u in units:
        moves = uow.conn.execute(
            select(sm.id, sm.at, sm.warehouse_id, sm.kind, sm.qty, sm.doc_type, sm.doc_id, sm.line_no, sm.ref)
            .select_from(stock_move_serial.join(stock_move, sm.id == ms.move_id))
            .where(ms.serial_id == u.id)
            .order_by(sm.at, sm.id)
        ).all()
        codes = {m.warehouse_id: warehouse_code(uow, m.warehouse_id) for m in moves}
        if allowed is not None and not (set(codes.values()) & allowed):
            continue  # a unit that never was in this user's warehouses
        out.append(
            {
                "serial_no": u.serial_no,
                "sku": u.code,
                "sku_name": u.name,
                "status": u.status,
                "warehouse": warehouse_code(uow, u.warehouse_id) if u.warehouse_id else None,
                "hold_ref": u.hold_ref,
                "moves": [
                    {
                        "id": m.id,
                        "at": m.at,
                        "warehouse": codes[m.warehouse_id],
                        "kind": m.kind,
                        "direction": 1 if m.qty > 0 else -1,
                        "doc_type": m.doc_type,
                        "doc_id": m.doc_id,
                        "line_no": m.line_no,
                        "ref": m.ref,
                    }
                    for m in moves
                ],
            }
        )
    return out


def list_serials(
    uow: UnitOfWork,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[dict]:
    from omnistock.inventory.service import warehouse_code, warehouse_ref

    su, skus = serial_unit.c, catalog.sku_view.c
    stmt = (
        select(su.serial_no, su.status, su.warehouse_id, su.hold_ref, skus.code)
        .select_from(serial_unit.join(catalog.sku_view, skus.id == su.sku_id))
        .order_by(skus.code, su.serial_no)
        .limit(limit)
    )
    if warehouse:
        warehouse_ref(uow, warehouse)  # an unknown code is a clear error
    w_ids = _scoped_warehouse_ids(uow, warehouse)
    if w_ids is not None:
        stmt = stmt.where(su.warehouse_id.in_(w_ids))
    if sku:
        stmt = stmt.where(su.sku_id == catalog.sku_ref(uow, sku).id)
    if status:
        stmt = stmt.where(su.status == status)
    return [
        {
            "serial_no": r.serial_no,
            "sku": r.code,
            "status": r.status,
            "warehouse": warehouse_code(uow, r.warehouse_id) if r.warehouse_id else None,
            "hold_ref": r.hold_ref,
        }
        for r in uow.conn.execute(stmt)
    ]


# -- lots a returned line goes back into ------------------------------------------------------------
_LINE_LOTS = Sql(
    "SELECT m.lot_id, SUM(m.qty), l.expiry_date FROM stock_move m JOIN lot l ON l.id = m.lot_id "
    "WHERE m.doc_type = :doc_type AND m.doc_id = :doc_id AND m.line_no = :line_no GROUP BY m.lot_id, l.expiry_date"
)


def line_lots(uow: UnitOfWork, doc_type: str, doc_id: int, line_no: int) -> list[tuple[int, int]]:
    """(lot, qty) of a shipped line not yet returned, per batch, in the order they were picked
    (earliest expiry first)."""
    r = raw(uow.conn)
    rows = r.all(_LINE_LOTS, {"doc_type": doc_type, "doc_id": doc_id, "line_no": line_no})
    left = [(lot_id, -int(q), r.read_day(expiry)) for lot_id, q, expiry in rows if -int(q) > 0]
    return [
        (lot_id, q) for lot_id, q, _ in sorted(left, key=lambda x: (x[2] is None, x[2] or dt.date.min, x[0]))
    ]
