"""Inventory use cases: the area's public surface.

Every stock change writes ledger rows (``stock_move``) and the balance in one transaction;
every value change goes through the SKU's layers (``rules.Valuation``). Writers lock rows in one
global order — by SKU id, within a SKU its balances (by warehouse) before its cost pool — so
concurrent documents never deadlock, and reservations are single conditional UPDATEs, so stock
is never oversold and no caller ever sees a serialization error.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select

from omnistock.catalog import service as catalog
from omnistock.inventory import ledger, rules, tracking
from omnistock.inventory.models import (
    lot as lot_t,
)
from omnistock.inventory.models import (
    reservation,
    stock_move,
    warehouse,
)
from omnistock.inventory.tracking import LotIn
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import to_utc, utcnow
from omnistock.platform.errors import Conflict, Invalid
from omnistock.platform.permissions import register
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

register(
    ("inventory.stock.read", "查看库存与流水", "View stock and ledger"),
    ("inventory.warehouse.manage", "管理仓库", "Manage warehouses"),
    ("inventory.receipt.create", "入库", "Receive stock"),
    ("inventory.transfer.create", "调拨", "Transfer stock"),
    ("inventory.count.create", "盘点", "Post stocktakes"),
    ("inventory.adjustment.create", "库存调整", "Adjust stock"),
)

# ---------------------------------------------------------------------------------------------
# Warehouses


@dataclass(frozen=True)
class WarehouseRef:
    id: int
    code: str


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    name: str
    active: bool


_warehouses = CodeCache("warehouse")


def create_warehouse(uow: UnitOfWork, *, code: str, name: str) -> Warehouse:
    uow.actor.require("inventory.warehouse.manage")
    from omnistock.catalog.rules import check_code

    reason = check_code(code)
    if reason:
        raise Invalid("inventory.bad_code", "Bad warehouse code: " + reason, "仓库编码不合法", code=str(code))
    if not name:
        raise Invalid("inventory.missing_name", "A warehouse needs a name", "仓库需要名称")
    if uow.conn.execute(select(warehouse.c.id).where(warehouse.c.code == code)).first():
        raise Conflict(
            "inventory.duplicate_warehouse",
            "Warehouse {code} already exists",
            "仓库 {code} 已存在",
            code=code,
        )
    wid = uow.conn.execute(
        insert(warehouse).returning(warehouse.c.id),
        {"code": code, "name": name, "active": True, "created_at": utcnow()},
    ).scalar_one()
    uow.audit("inventory.warehouse.create", "warehouse", code, after={"code": code, "name": name})
    return Warehouse(wid, code, name, True)


def warehouse_ref(uow: UnitOfWork, code: str) -> WarehouseRef:
    def load() -> WarehouseRef | None:
        if code == rules.TRANSIT_WAREHOUSE:  # goods in transit: no document may name it
            return None
        wid = uow.conn.execute(select(warehouse.c.id).where(warehouse.c.code == code)).scalar()
        return WarehouseRef(wid, code) if wid is not None else None

    ref = _warehouses.lookup(uow, code, load)
    if ref is None:
        raise Invalid(
            "inventory.unknown_warehouse", "Unknown warehouse {code}", "未知的仓库：{code}", code=str(code)
        )
    return ref


def warehouse_code(uow: UnitOfWork, warehouse_id: int) -> str:
    """The code of a warehouse by id (codes never change, so it is cached)."""
    return _warehouses.lookup(
        uow,
        f"#{warehouse_id}",
        lambda: uow.conn.execute(select(warehouse.c.code).where(warehouse.c.id == warehouse_id)).scalar_one(),
    )


def list_warehouses(uow: UnitOfWork) -> list[Warehouse]:
    allowed = uow.actor.allowed("warehouse")
    stmt = select(warehouse).where(warehouse.c.code != rules.TRANSIT_WAREHOUSE).order_by(warehouse.c.code)
    if allowed is not None:
        stmt = stmt.where(warehouse.c.code.in_(sorted(allowed)))
    return [Warehouse(r.id, r.code, r.name, r.active) for r in uow.conn.execute(stmt)]


# ---------------------------------------------------------------------------------------------
# Input checks shared by every document


def _qty(v: object, *, allow_zero: bool = False, what: str = "qty") -> int:
    ok = rules.is_non_negative_int(v) if allow_zero else rules.is_positive_int(v)
    if not ok or v > rules.MAX_QTY:
        raise Invalid(
            "inventory.bad_quantity",
            "{what} must be a whole number " + ("≥ 0" if allow_zero else "> 0") + " (got {value})",
            "{what} 必须是" + ("不小于 0" if allow_zero else "大于 0") + "的整数（收到 {value}）",
            what=what,
            value=repr(v)[:40],
        )
    return v  # type: ignore[return-value]


def _check_lines(lines: Sequence) -> None:
    if not lines:
        raise Invalid("inventory.no_lines", "A document needs at least one line", "单据至少需要一行明细")


def _unique_skus(codes: Sequence) -> None:
    if len(set(codes)) != len(codes):
        raise Invalid(
            "inventory.duplicate_sku_line",
            "The same SKU appears twice in one document",
            "同一单据中 SKU 重复",
        )


def _ref(ref: str | None, prefix: str) -> str:
    if ref:
        if len(ref) > 64:
            raise Invalid(
                "inventory.bad_ref", "A document number has at most 64 characters", "单号最长 64 个字符"
            )
        return ref
    return f"{prefix}{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def _at(at: dt.datetime | None) -> dt.datetime:
    return utcnow() if at is None else to_utc(at)


_NEW_DOCUMENT = Sql(
    "INSERT INTO stock_document (kind, ref, status, warehouse_id, to_warehouse_id, at, partner, reason, note, "
    "created_at, created_by) VALUES (:kind, :ref, :status, :w, :to_w, :at, :partner, :reason, :note, :now, :by) "
    "RETURNING id"
)
_NEW_LINE = Sql(
    "INSERT INTO stock_document_line (document_id, line_no, sku_id, qty, unit_cost_cents, counted, on_hand_before) "
    "VALUES (:doc, :n, :s, :qty, :unit_cost, :counted, :before)"
)


def _new_document(
    uow: UnitOfWork,
    *,
    kind: str,
    ref: str,
    status: str,
    warehouse_id: int,
    at: dt.datetime,
    lines: list[dict],
    to_warehouse_id: int | None = None,
    partner: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> int:
    """Insert a stock document and its lines; a number already used by its kind is refused."""
    r = raw(uow.conn)
    try:
        (doc_id,) = r.one(
            _NEW_DOCUMENT,
            {
                "kind": kind,
                "ref": ref,
                "status": status,
                "w": warehouse_id,
                "to_w": to_warehouse_id,
                "at": r.dt(at),
                "partner": partner,
                "reason": reason,
                "note": note,
                "now": r.dt(utcnow()),
                "by": uow.actor.username,
            },
        )
    except r.IntegrityError as exc:
        raise Conflict(
            "inventory.duplicate_ref", "Document number {ref} is already used", "单号 {ref} 已被使用", ref=ref
        ) from exc
    r.queue_many(
        _NEW_LINE, [{"doc": doc_id, "unit_cost": None, "counted": None, "before": None, **ln} for ln in lines]
    )
    return doc_id


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    qty: int
    unit_cost_cents: int
    lot: LotIn | None = None  # batch-tracked SKUs: the batch received
    serials: Sequence[str] = ()  # serial-tracked SKUs: one scanned number per unit
    # The line's whole value in cents when it is not qty × unit cost (a purchase receipt whose
    # landed costs do not divide evenly over its pieces); default: qty × unit cost.
    value_cents: int | None = None

    @classmethod
    def of(
        cls,
        sku: str,
        qty: int,
        unit_cost_cents: int,
        *,
        lot_no: str | None = None,
        production_date: dt.date | None = None,
        expiry_date: dt.date | None = None,
        supplier_lot_no: str | None = None,
        serials: Sequence[str] | None = (),
    ) -> ReceiptLine:
        """A line as an API or a file gives it: flat batch fields, a batch only when any is set."""
        given = lot_no is not None or production_date or expiry_date or supplier_lot_no
        lot = LotIn(lot_no, production_date, expiry_date, supplier_lot_no) if given else None
        return cls(sku, qty, unit_cost_cents, lot, tuple(serials or ()))


@dataclass(frozen=True)
class QtyLine:
    sku: str
    qty: int
    lot_no: str | None = None  # batch-tracked SKUs: this batch (default: earliest expiry first)
    serials: Sequence[str] = ()


@dataclass(frozen=True)
class CountLine:
    sku: str
    counted: int
    lot_no: str | None = None  # batch-tracked SKUs are counted per batch
    serials: Sequence[str] | None = None  # serial-tracked SKUs: the numbers of the units found


@dataclass(frozen=True)
class AdjustLine:
    sku: str
    qty: int  # signed: + stock in, - stock out
    unit_cost_cents: int | None = None  # for stock in; default: the current unit cost
    lot_no: str | None = None
    serials: Sequence[str] = ()


@dataclass
class DocumentResult:
    id: int
    kind: str
    ref: str
    status: str
    warehouse: str
    to_warehouse: str | None
    at: dt.datetime
    lines: list[dict] = field(default_factory=list)
    rejection: dict | None = None


def receive(
    uow: UnitOfWork,
    *,
    ref: str | None,
    warehouse: str,
    lines: Sequence[ReceiptLine],
    at: dt.datetime | None = None,
    partner: str | None = None,
    note: str | None = None,
) -> DocumentResult:
    """Stock in at cost: each line adds ``qty`` pieces worth ``qty × unit cost``."""
    uow.actor.require("inventory.receipt.create")
    _check_lines(lines)
    wh = warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    _unique_skus([(ln.sku, ln.lot.lot_no if ln.lot else None) for ln in lines])
    skus = [catalog.sku_ref(uow, ln.sku) for ln in lines]
    serials = []
    for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1):
        _qty(ln.qty)
        _cost(ln.unit_cost_cents)
        if ln.value_cents is not None and (
            not rules.is_non_negative_int(ln.value_cents) or ln.value_cents > ln.qty * rules.MAX_UNIT_CENTS
        ):
            raise Invalid(
                "inventory.bad_cost",
                "A line value is a whole number of cents ≥ 0",
                "行金额必须是不小于 0 的整数（分）",
            )
        tracking.check_lot_in(s, ln.lot, i)
        serials.append(tracking.check_serials(s, ln.serials, ln.qty, i))
    at = _at(at)
    ref = _ref(ref, "RC")
    doc_id = _new_document(
        uow,
        kind="receipt",
        ref=ref,
        status="done",
        warehouse_id=wh.id,
        at=at,
        partner=partner,
        note=note,
        lines=[
            {"n": i, "s": s.id, "qty": ln.qty, "unit_cost": ln.unit_cost_cents}
            for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1)
        ],
    )
    r = raw(uow.conn)
    lots = [
        tracking.receive_lot(uow, s, ln.lot, i) if ln.lot else 0
        for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1)
    ]
    units = [
        tracking.serials_in(uow, s, sn, wh.id) if sn else () for s, sn in zip(skus, serials, strict=True)
    ]
    r.queue_many(
        ledger.ADD_ON_HAND,
        sorted(
            (
                {"w": wh.id, "s": s.id, "lot": lot, "q": ln.qty}
                for s, ln, lot in zip(skus, lines, lots, strict=True)
            ),
            key=lambda x: (x["s"], x["lot"]),
        ),
    )
    ledger.post(
        uow,
        at,
        [
            ledger.Move(
                s,
                wh.id,
                rules.RECEIPT,
                ln.qty,
                "receipt",
                doc_id,
                i,
                ref,
                value=ln.qty * ln.unit_cost_cents if ln.value_cents is None else ln.value_cents,
                unit_cost=ln.unit_cost_cents,
                lot_id=lot,
                serial_ids=u,
            )
            for i, (s, ln, lot, u) in enumerate(zip(skus, lines, lots, units, strict=True), 1)
        ],
    )
    out = [
        {"sku": ln.sku, "qty": ln.qty, "unit_cost_cents": ln.unit_cost_cents}
        | ({"lot_no": ln.lot.lot_no.strip()} if ln.lot else {})
        | ({"serials": sn} if sn else {})
        for ln, sn in zip(lines, serials, strict=True)
    ]
    uow.audit(
        "inventory.receipt.create",
        "stock_document",
        ref,
        after={"warehouse": wh.code, "partner": partner, "lines": out},
    )
    return DocumentResult(doc_id, "receipt", ref, "done", wh.code, None, at, out)


def _cost(v: object) -> None:
    if not rules.is_non_negative_int(v) or v > rules.MAX_UNIT_CENTS:
        raise Invalid(
            "inventory.bad_cost",
            "Unit cost must be a whole number of cents from 0 to {max}",
            "单位成本必须是 0 到 {max} 之间的整数（分）",
            max=rules.MAX_UNIT_CENTS,
        )


def transfer(
    uow: UnitOfWork,
    *,
    ref: str | None,
    from_warehouse: str,
    to_warehouse: str,
    lines: Sequence[QtyLine],
    at: dt.datetime | None = None,
    note: str | None = None,
) -> DocumentResult:
    """Move free stock between warehouses, all lines or none.

    When any line is short the transfer is recorded as ``rejected`` (its number is taken, like
    a rejected order's) and no stock moves. Value is pooled per SKU: a transfer moves quantity only.
    Batches keep their number in the new warehouse (taken earliest expiry first unless named);
    serial-tracked units are the ones scanned.
    """
    uow.actor.require("inventory.transfer.create")
    _check_lines(lines)
    src, dst = warehouse_ref(uow, from_warehouse), warehouse_ref(uow, to_warehouse)
    uow.actor.require_scope("warehouse", [src.code, dst.code])
    if src.id == dst.id:
        raise Invalid(
            "inventory.same_warehouse",
            "A transfer needs two different warehouses",
            "调拨的调出仓和调入仓不能相同",
        )
    _unique_skus([(ln.sku, ln.lot_no) for ln in lines])
    skus = [catalog.sku_ref(uow, ln.sku) for ln in lines]
    serials = []
    for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1):
        _qty(ln.qty)
        _no_lot_unless_batch(s, ln.lot_no, i)
        serials.append(tracking.check_serials(s, ln.serials, ln.qty, i))
    at = _at(at)
    ref = _ref(ref, "TR")
    r = raw(uow.conn)
    numbered = sorted(
        ((s, ln, i, sn) for i, (s, ln, sn) in enumerate(zip(skus, lines, serials, strict=True), 1)),
        key=lambda p: p[0].id,
    )
    taken, short = [], None  # taken: (sku, line, line no, lot, qty, units)
    for s, ln, i, sn in numbered:
        parts, free = _free_parts(uow, src.id, s, ln.qty, ln.lot_no, i, at)
        if parts is None:
            short = {"sku": ln.sku, "wanted": ln.qty, "available": free}
            break
        for lot, q in parts:
            if r.execute(ledger.TAKE_FREE, {"w": src.id, "s": s.id, "lot": lot, "q": q}) != 1:
                free = ledger.available(r, src.id, s.id) if free is None else free
                short = {"sku": ln.sku, "wanted": ln.qty, "available": free}
                break
            units = tracking.serials_out(uow, s, sn, src.id, rules.SERIAL_IN_STOCK, dst.id) if sn else ()
            taken.append((s, ln, i, lot, q, units))
        if short:
            break
    if short:  # give back what the lines before the short one took
        r.queue_many(
            ledger.ADD_ON_HAND, [{"w": src.id, "s": s.id, "lot": lot, "q": q} for s, _, _, lot, q, _ in taken]
        )
    status = "rejected" if short else "done"
    doc_id = _new_document(
        uow,
        kind="transfer",
        ref=ref,
        status=status,
        warehouse_id=src.id,
        to_warehouse_id=dst.id,
        at=at,
        note=note,
        reason="out_of_stock" if short else None,
        lines=[{"n": i, "s": s.id, "qty": ln.qty} for s, ln, i, _ in numbered],
    )
    if not short:
        r.queue_many(
            ledger.ADD_ON_HAND, [{"w": dst.id, "s": s.id, "lot": lot, "q": q} for s, _, _, lot, q, _ in taken]
        )
        moves = []
        for s, _, i, lot, q, units in taken:
            moves.append(
                ledger.Move(
                    s,
                    src.id,
                    rules.TRANSFER_OUT,
                    -q,
                    "transfer",
                    doc_id,
                    i,
                    ref,
                    lot_id=lot,
                    serial_ids=units,
                )
            )
            moves.append(
                ledger.Move(
                    s, dst.id, rules.TRANSFER_IN, q, "transfer", doc_id, i, ref, lot_id=lot, serial_ids=units
                )
            )
        ledger.post(uow, at, moves)
    out = [{"sku": ln.sku, "qty": ln.qty} for ln in lines]
    uow.audit(
        "inventory.transfer.create",
        "stock_document",
        ref,
        after={"from": src.code, "to": dst.code, "status": status, "lines": out, "short": short},
    )
    return DocumentResult(doc_id, "transfer", ref, status, src.code, dst.code, at, out, rejection=short)


def _no_lot_unless_batch(sku: catalog.SkuRef, lot_no: str | None, line: int) -> None:
    if lot_no is not None and sku.tracking != rules.BATCH:
        raise Invalid(
            "inventory.not_batch_tracked",
            "Line {line}: {sku} is not batch-tracked; leave the batch out",
            "第 {line} 行：{sku} 不按批次管理，不要填写批次",
            line=line,
            sku=sku.code,
        )


def _free_parts(
    uow: UnitOfWork,
    warehouse_id: int,
    sku: catalog.SkuRef,
    qty: int,
    lot_no: str | None,
    line: int,
    at: dt.datetime,
) -> tuple[list[tuple[int, int]] | None, int | None]:
    """Where ``qty`` free units come from: [(lot, qty)] (None when short) and the free quantity
    (None when not looked up: a SKU without batches is taken by one conditional update)."""
    r = raw(uow.conn)
    if sku.tracking != rules.BATCH:
        return [(0, qty)], None
    if lot_no is not None:
        lot = tracking.existing_lot(uow, sku, lot_no, line)
        free = ledger.available(r, warehouse_id, sku.id, lot=lot)
        return ([(lot, qty)] if free >= qty else None), free
    return tracking.allocate(r, warehouse_id, sku, qty, at.date())


def count(
    uow: UnitOfWork,
    *,
    ref: str | None,
    warehouse: str,
    lines: Sequence[CountLine],
    at: dt.datetime | None = None,
    note: str | None = None,
) -> DocumentResult:
    """Stocktake: on-hand becomes ``counted``. A loss is valued like a shipment (shrinkage), a gain
    at the current unit cost (negative shrinkage). A count below what is reserved is refused:
    release or re-route those orders first. Batch-tracked SKUs are counted per batch; for a
    serial-tracked SKU the units found are scanned, and units missing from the scan are lost."""
    uow.actor.require("inventory.count.create")
    _check_lines(lines)
    wh = warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    _unique_skus([(ln.sku, ln.lot_no) for ln in lines])
    skus = [catalog.sku_ref(uow, ln.sku) for ln in lines]
    for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1):
        _qty(ln.counted, allow_zero=True, what="counted")
        _no_lot_unless_batch(s, ln.lot_no, i)
        if s.tracking == rules.BATCH and not ln.lot_no:
            raise Invalid(
                "inventory.lot_required",
                "Line {line}: {sku} is batch-tracked; give its batch number",
                "第 {line} 行：{sku} 按批次管理，请填写批次号",
                line=i,
                sku=s.code,
            )
        if s.tracking == rules.SERIAL or ln.serials:
            tracking.check_serials(s, ln.serials, ln.counted, i)
    at = _at(at)
    ref = _ref(ref, "CNT")
    r = raw(uow.conn)
    numbered = sorted(
        ((s, ln, i) for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1)), key=lambda p: p[0].id
    )
    doc_lines, moves, result = [], [], {}
    for s, ln, i in numbered:
        lot = _count_lot(uow, s, ln.lot_no, i) if ln.lot_no else 0
        before, reserved = ledger.balance(r, wh.id, s.id, lot=lot, lock=True)
        if ln.counted < reserved:
            raise Conflict(
                "inventory.count_below_reserved",
                "{sku}: counted {counted} is below the {reserved} reserved for orders",
                "{sku}：盘点数 {counted} 小于订单已预留的 {reserved}，请先释放或改派这些订单",
                sku=ln.sku,
                counted=ln.counted,
                reserved=reserved,
            )
        d = ln.counted - before
        doc_lines.append({"n": i, "s": s.id, "qty": d, "counted": ln.counted, "before": before})
        if d > 0:
            r.queue(ledger.ADD_ON_HAND, {"w": wh.id, "s": s.id, "lot": lot, "q": d})
        elif d < 0:
            r.queue(ledger.SET_ON_HAND, {"w": wh.id, "s": s.id, "lot": lot, "q": ln.counted})
        if s.tracking == rules.SERIAL:  # the units missing are lost, those found come in
            missing, found = tracking.count_serials(uow, s, [x.strip() for x in ln.serials or ()], wh.id)
            if missing:
                moves.append(
                    (
                        i,
                        ledger.Move(
                            s, wh.id, rules.COUNT_LOSS, -len(missing), "count", 0, i, ref, serial_ids=missing
                        ),
                    )
                )
            if found:
                moves.append(
                    (
                        i,
                        ledger.Move(
                            s, wh.id, rules.COUNT_GAIN, len(found), "count", 0, i, ref, serial_ids=found
                        ),
                    )
                )
        elif d:
            kind = rules.COUNT_GAIN if d > 0 else rules.COUNT_LOSS
            moves.append((i, ledger.Move(s, wh.id, kind, d, "count", 0, i, ref, lot_id=lot)))
        result[i] = {
            "sku": ln.sku,
            "counted": ln.counted,
            "on_hand_before": before,
            "difference": d,
            "value_cents": 0,
        } | ({"lot_no": ln.lot_no} if ln.lot_no else {})
    doc_id = _new_document(
        uow,
        kind="count",
        ref=ref,
        status="done",
        warehouse_id=wh.id,
        at=at,
        note=note,
        lines=sorted(doc_lines, key=lambda x: x["n"]),
    )
    for _, m in moves:
        m.doc_id = doc_id
    for (i, _), v in zip(moves, ledger.post(uow, at, [m for _, m in moves]), strict=True):
        result[i]["value_cents"] += v
    out = [result[i] for i in sorted(result)]
    uow.audit("inventory.count.create", "stock_document", ref, after={"warehouse": wh.code, "lines": out})
    return DocumentResult(doc_id, "count", ref, "done", wh.code, None, at, out)


def _count_lot(uow: UnitOfWork, sku: catalog.SkuRef, lot_no: str, line: int) -> int:
    """The batch a count line names; a batch found that was never recorded is registered."""
    try:
        return tracking.existing_lot(uow, sku, lot_no, line)
    except Invalid:
        return tracking.receive_lot(uow, sku, LotIn(lot_no), line)


def adjust(
    uow: UnitOfWork,
    *,
    ref: str | None,
    warehouse: str,
    reason: str,
    lines: Sequence[AdjustLine],
    at: dt.datetime | None = None,
    note: str | None = None,
) -> DocumentResult:
    """A manual adjustment with a reason code. Stock out takes free stock at cost; stock in is
    valued at the given unit cost or, without one, at the SKU's current unit cost."""
    uow.actor.require("inventory.adjustment.create")
    if reason not in rules.ADJUST_REASONS:
        raise Invalid(
            "inventory.bad_reason",
            "Unknown adjustment reason {reason}",
            "未知的调整原因：{reason}",
            reason=str(reason)[:32],
        )
    _check_lines(lines)
    wh = warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    _unique_skus([(ln.sku, ln.lot_no) for ln in lines])
    skus = [catalog.sku_ref(uow, ln.sku) for ln in lines]
    serials = []
    for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1):
        if (
            not isinstance(ln.qty, int)
            or isinstance(ln.qty, bool)
            or ln.qty == 0
            or abs(ln.qty) > rules.MAX_QTY
        ):
            raise Invalid(
                "inventory.bad_quantity",
                "An adjustment quantity is a non-zero whole number",
                "调整数量必须是非零整数",
            )
        if ln.unit_cost_cents is not None:
            _cost(ln.unit_cost_cents)
        _no_lot_unless_batch(s, ln.lot_no, i)
        tracking.check_lot_in(s, LotIn(ln.lot_no) if ln.lot_no else None, i)
        serials.append(tracking.check_serials(s, ln.serials, abs(ln.qty), i))
    at = _at(at)
    ref = _ref(ref, "ADJ")
    r = raw(uow.conn)
    numbered = sorted(
        ((s, ln, i, sn) for i, (s, ln, sn) in enumerate(zip(skus, lines, serials, strict=True), 1)),
        key=lambda p: p[0].id,
    )
    lots, units = {}, {}
    for s, ln, i, sn in numbered:
        lot = lots[i] = _count_lot(uow, s, ln.lot_no, i) if ln.lot_no else 0
        if ln.qty > 0:
            r.queue(ledger.ADD_ON_HAND, {"w": wh.id, "s": s.id, "lot": lot, "q": ln.qty})
            units[i] = tracking.serials_in(uow, s, sn, wh.id) if sn else ()
        elif r.execute(ledger.TAKE_FREE, {"w": wh.id, "s": s.id, "lot": lot, "q": -ln.qty}) != 1:
            raise _short(ln.sku, -ln.qty, ledger.available(r, wh.id, s.id, lot=lot))
        else:
            units[i] = tracking.serials_out(uow, s, sn, wh.id, rules.SERIAL_REMOVED) if sn else ()
    doc_id = _new_document(
        uow,
        kind="adjustment",
        ref=ref,
        status="done",
        warehouse_id=wh.id,
        at=at,
        reason=reason,
        note=note,
        lines=[
            {"n": i, "s": s.id, "qty": ln.qty, "unit_cost": ln.unit_cost_cents} for s, ln, i, _ in numbered
        ],
    )
    moves = [
        ledger.Move(
            s,
            wh.id,
            rules.ADJUST_IN if ln.qty > 0 else rules.ADJUST_OUT,
            ln.qty,
            "adjustment",
            doc_id,
            i,
            ref,
            reason=reason,
            value=ln.qty * ln.unit_cost_cents if ln.qty > 0 and ln.unit_cost_cents is not None else None,
            lot_id=lots[i],
            serial_ids=units[i],
        )
        for s, ln, i, _ in numbered
    ]
    values = dict(zip((i for _, _, i, _ in numbered), ledger.post(uow, at, moves), strict=True))
    out = [{"sku": ln.sku, "qty": ln.qty, "value_cents": values[i]} for i, ln in enumerate(lines, 1)]
    uow.audit(
        "inventory.adjustment.create",
        "stock_document",
        ref,
        after={"warehouse": wh.code, "reason": reason, "lines": out},
    )
    return DocumentResult(doc_id, "adjustment", ref, "done", wh.code, None, at, out)


def _short(sku: str, wanted: int, available: int) -> Conflict:
    return Conflict(
        "inventory.insufficient_stock",
        "Not enough free stock of {sku}: wanted {wanted}, available {available}",
        "{sku} 可用库存不足：需要 {wanted}，可用 {available}",
        sku=sku,
        wanted=wanted,
        available=available,
    )


# ---------------------------------------------------------------------------------------------
# Reservations, shipments and returns for documents of other areas (sales orders, ...)


@dataclass(frozen=True)
class DocLine:
    line_no: int
    sku: catalog.SkuRef
    qty: int
    serials: Sequence[str] = ()  # returns of serial-tracked SKUs: the units coming back
    lot_no: str | None = None  # reserve: this batch only (default: earliest expiry first)


@dataclass(frozen=True)
class Shortage:
    sku: str
    wanted: int
    available: int


# A document line reserved again after its reservation was released (an order held, re-routed or
# split, then allocated again) reopens that row; an open or consumed one is never touched.
_NEW_RESERVATION = Sql(
    "INSERT INTO reservation (warehouse_id, sku_id, lot_id, qty, doc_type, doc_id, line_no, state, created_at) "
    "VALUES (:w, :s, :lot, :q, :doc_type, :doc_id, :line_no, 'open', :now) "
    "ON CONFLICT (doc_type, doc_id, line_no, warehouse_id, lot_id) DO UPDATE SET qty = excluded.qty, "
    "sku_id = excluded.sku_id, state = 'open', created_at = excluded.created_at, closed_at = NULL "
    "WHERE reservation.state = 'released'"
)
_CLOSE_RESERVATIONS = Sql(
    "UPDATE reservation SET state = :state, closed_at = :now "
    "WHERE doc_type = :doc_type AND doc_id = :doc_id AND state = 'open' "
    "RETURNING warehouse_id, sku_id, qty, line_no, lot_id"
)


def reserve(
    uow: UnitOfWork,
    *,
    doc_type: str,
    doc_id: int,
    warehouse_id: int,
    lines: Sequence[DocLine],
    at: dt.datetime | None = None,
) -> Shortage | None:
    """Reserve every line in one warehouse, or nothing: returns the first shortage, if any.

    One conditional UPDATE per line (per batch, for batch-tracked SKUs: earliest expiry first,
    expired and blocked batches skipped), in SKU order: never oversold, never deadlocked.
    """
    r = raw(uow.conn)
    done, rows = [], []
    day = _at(at).date()
    for ln in sorted(lines, key=lambda x: x.sku.id):
        if ln.lot_no is not None:
            parts, free = [(tracking.existing_lot(uow, ln.sku, ln.lot_no, ln.line_no), ln.qty)], None
        elif ln.sku.tracking == rules.BATCH:
            parts, free = tracking.allocate(r, warehouse_id, ln.sku, ln.qty, day)
        else:
            parts, free = [(0, ln.qty)], None
        for lot, q in parts or ():
            if r.execute(ledger.RESERVE, {"w": warehouse_id, "s": ln.sku.id, "lot": lot, "q": q}) != 1:
                parts = None
                break
            done.append({"w": warehouse_id, "s": ln.sku.id, "lot": lot, "q": q})
            rows.append((ln, lot, q))
        if parts is None:
            r.queue_many(ledger.UNRESERVE, done)
            free = ledger.available(r, warehouse_id, ln.sku.id) if free is None else free
            return Shortage(ln.sku.code, ln.qty, free)
    now = r.dt(utcnow())
    r.queue_many(
        _NEW_RESERVATION,
        [
            {
                "w": warehouse_id,
                "s": ln.sku.id,
                "lot": lot,
                "q": q,
                "doc_type": doc_type,
                "doc_id": doc_id,
                "line_no": ln.line_no,
                "now": now,
            }
            for ln, lot, q in rows
        ],
    )
    return None


def _close_reservations(uow: UnitOfWork, doc_type: str, doc_id: int, state: str) -> list[tuple]:
    """Close the document's open reservations exactly once; returns (warehouse, sku, qty, line, lot)."""
    r = raw(uow.conn)
    rows = r.all(
        _CLOSE_RESERVATIONS, {"state": state, "now": r.dt(utcnow()), "doc_type": doc_type, "doc_id": doc_id}
    )
    return sorted(rows, key=lambda x: (x[1], x[0], x[4]))


def release(uow: UnitOfWork, *, doc_type: str, doc_id: int) -> int:
    """Release the document's open reservations; returns how many."""
    rows = _close_reservations(uow, doc_type, doc_id, "released")
    raw(uow.conn).queue_many(
        ledger.UNRESERVE, [{"w": w, "s": s, "q": q, "lot": lot} for w, s, q, _, lot in rows]
    )
    return len(rows)


@dataclass(frozen=True)
class LineCost:
    line_no: int
    sku_id: int
    qty: int
    cost_cents: int


def ship_reserved(
    uow: UnitOfWork,
    *,
    doc_type: str,
    doc_id: int,
    ref: str,
    at: dt.datetime | None = None,
    serials: Mapping[int, Sequence[str]] | None = None,
) -> list[LineCost]:
    """Consume the document's open reservations: stock leaves, each line takes its cost of goods.
    Lines of serial-tracked SKUs need the scanned serial numbers of the units (by line number)."""
    at = _at(at)
    serials = serials or {}
    rows = _close_reservations(uow, doc_type, doc_id, "consumed")
    if not rows:
        raise Conflict(
            "inventory.nothing_reserved", "Nothing is reserved for {ref}", "{ref} 没有已预留的库存", ref=ref
        )
    raw(uow.conn).queue_many(
        ledger.CONSUME, [{"w": w, "s": s, "q": q, "lot": lot} for w, s, q, _, lot in rows]
    )
    moves = []
    for w, s, q, n, lot in rows:
        sku = catalog.sku_ref_by_id(uow, s)
        units: tuple[int, ...] = ()
        if sku.tracking == rules.SERIAL or serials.get(n):
            scanned = tracking.check_serials(sku, serials.get(n), q, n)
            units = tracking.serials_out(uow, sku, scanned, w, rules.SERIAL_SHIPPED)
        moves.append(
            ledger.Move(sku, w, rules.SHIPMENT, -q, doc_type, doc_id, n, ref, lot_id=lot, serial_ids=units)
        )
    values = ledger.post(uow, at, moves)
    by_line: dict[int, list[int]] = {}
    for m, v in zip(moves, values, strict=True):
        acc = by_line.setdefault(m.line_no, [m.sku.id, 0, 0])
        acc[1] -= m.qty
        acc[2] -= v
    return [LineCost(n, s, q, c) for n, (s, q, c) in sorted(by_line.items())]


def return_in(
    uow: UnitOfWork,
    *,
    doc_type: str,
    doc_id: int,
    ref: str,
    warehouse_id: int,
    lines: Sequence[DocLine],
    at: dt.datetime | None = None,
) -> list[LineCost]:
    """Goods of shipped lines come back: each gives back cost out of its line's not-yet-returned
    cost of goods (the take rule) and re-enters stock at that cost — into the batches it left
    from, or as the very units (serial numbers) that were shipped on the line."""
    at = _at(at)
    moves = []
    for ln in sorted(lines, key=lambda x: x.sku.id):
        left_qty, left_cost = ledger.line_remaining(uow, doc_type, doc_id, ln.line_no)
        if ln.qty > left_qty:
            raise Invalid(
                "inventory.return_exceeds",
                "Cannot return {qty} of {sku}: only {left} not yet returned",
                "{sku} 最多还能退 {left}，不能退 {qty}",
                qty=ln.qty,
                sku=ln.sku.code,
                left=left_qty,
            )
        value = rules.line_return_share(left_qty, left_cost, ln.qty)
        units: tuple[int, ...] = ()
        if ln.sku.tracking == rules.SERIAL or ln.serials:
            scanned = tracking.check_serials(ln.sku, ln.serials, ln.qty, ln.line_no)
            units = tracking.serials_back(
                uow, ln.sku, scanned, warehouse_id, doc_type=doc_type, doc_id=doc_id, line_no=ln.line_no
            )
        parts = [(0, ln.qty)]
        if ln.sku.tracking == rules.BATCH:
            parts, want = [], ln.qty
            for lot, q in tracking.line_lots(uow, doc_type, doc_id, ln.line_no):
                take = min(q, want)
                if take:
                    parts.append((lot, take))
                    want -= take
        for (lot, q), v in zip(parts, rules.split_value(value, [q for _, q in parts]), strict=True):
            moves.append(
                ledger.Move(
                    ln.sku,
                    warehouse_id,
                    rules.RETURN,
                    q,
                    doc_type,
                    doc_id,
                    ln.line_no,
                    ref,
                    value=v,
                    lot_id=lot,
                    serial_ids=units,
                )
            )
    raw(uow.conn).queue_many(
        ledger.ADD_ON_HAND, [{"w": warehouse_id, "s": m.sku.id, "lot": m.lot_id, "q": m.qty} for m in moves]
    )
    ledger.post(uow, at, moves)
    by_line: dict[int, list[int]] = {}
    for m in moves:
        acc = by_line.setdefault(m.line_no, [m.sku.id, 0, 0])
        acc[1] += m.qty
        acc[2] += m.value or 0
    return [LineCost(n, s, q, c) for n, (s, q, c) in sorted(by_line.items())]


@dataclass(frozen=True)
class ReservedPart:
    doc_id: int
    line_no: int
    sku_id: int
    lot_no: str  # '' for SKUs without batches
    qty: int


def reserved_parts(uow: UnitOfWork, *, doc_type: str, doc_ids: Sequence[int]) -> list[ReservedPart]:
    """The open reservations of documents, per line and batch (what a picker takes from where),
    ordered by document, line and batch."""
    if not doc_ids:
        return []
    rv = reservation.c
    rows = uow.conn.execute(
        select(rv.doc_id, rv.line_no, rv.sku_id, func.coalesce(lot_t.c.lot_no, ""), rv.qty)
        .select_from(reservation.outerjoin(lot_t, lot_t.c.id == rv.lot_id))
        .where(rv.doc_type == doc_type, rv.doc_id.in_(sorted(set(doc_ids))), rv.state == "open")
        .order_by(rv.doc_id, rv.line_no, rv.lot_id)
    )
    return [ReservedPart(*row) for row in rows]


def line_costs(uow: UnitOfWork, *, doc_type: str, doc_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """Net cost of goods per (doc_id, line_no): shipments minus returns."""
    if not doc_ids:
        return {}
    sm = stock_move.c
    rows = uow.conn.execute(
        select(sm.doc_id, sm.line_no, func.sum(sm.value_cents))
        .where(sm.doc_type == doc_type, sm.doc_id.in_(list(doc_ids)))
        .group_by(sm.doc_id, sm.line_no)
    )
    return {(row[0], row[1]): -int(row[2]) for row in rows}


# The read side lives in ``reports``; it is part of this public surface too.
from omnistock.inventory.reports import (  # noqa: E402,F401
    availability,
    check_invariants,
    document,
    documents,
    inventory_value,
    list_moves,
    on_hand_digest,
    sellable,
    stock,
    stock_summary,
    totals,
    valuation,
)
from omnistock.inventory.tracking import (  # noqa: E402,F401
    hold_serials,
    list_lots,
    list_serials,
    lot_view,
    release_serial_hold,
    serial_trace,
    set_blocked,
)

# isort: split
# Stock alerts (their read side and the periodic scan) and the valuation report at a past moment.
from omnistock.inventory.alerts import AlertRow, ScanResult, alert_counts, alerts, scan_alerts  # noqa: E402,F401
from omnistock.inventory.bins import BinLine, bins_of, check_bin, set_bins, skus_in_bins  # noqa: E402,F401

# What every posting that changes the inventory's value publishes in its transaction (the journal
# subscribes to it).
from omnistock.inventory.ledger import VALUED, StockValued, ValueChange  # noqa: E402,F401
from omnistock.inventory.planning import daily_shipped, in_transit_to, stock_positions  # noqa: E402,F401

# Two-step transfers and stocktake sheets live in their own modules; they are part of this public
# surface too (import them from here: those modules use this one's helpers).
from omnistock.inventory.stocktakes import (  # noqa: E402,F401
    CountResult,
    cancel_stocktake,
    create_stocktake,
    list_stocktakes,
    post_stocktake,
    record_count,
    resolve_code,
    send_to_recount,
    stocktake_detail,
)
from omnistock.inventory.transfers import (  # noqa: E402,F401
    ReceivedLine,
    cancel_transfer_order,
    create_transfer_order,
    list_transfer_orders,
    receive_transfer_order,
    ship_transfer_order,
    transfer_order_detail,
    update_transfer_order,
)
from omnistock.inventory.valuation_report import GROUPS as VALUATION_GROUPS  # noqa: E402,F401
from omnistock.inventory.valuation_report import valuation_report  # noqa: E402,F401
