"""Receiving against a purchase order, quality hold, and returns to the supplier.

A receipt is one inventory receipt (stock and value in the same transaction): each line valued
at the order price plus its share of the landed costs (freight, duty — allocated by value or by
quantity, to the cent, largest remainder). Each line's received quantity grows by one
conditional UPDATE that refuses going over ordered × (1 + tolerance), so concurrent receipts can
never over-receive. Goods received on **quality hold** are on hand but not available: a
reservation of the receipt line (``purchase_hold``) holds them until QC releases them, or rejects
them — which returns them to the supplier at their cost. Receiving also accrues the payable
(received, not billed) per line at the order price.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import insert, select, update

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.platform.clock import to_utc, utcnow
from omnistock.platform.errors import Conflict, Invalid, not_found
from omnistock.platform.pagination import after_id, encode_cursor
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import rules
from omnistock.purchasing import service as po_service
from omnistock.purchasing.models import (
    purchase_accrual,
    purchase_order,
    purchase_order_line,
    purchase_receipt,
    purchase_receipt_line,
    supplier,
    supplier_return,
    supplier_return_line,
)

HOLD_DOC = "purchase_hold"
RETURN_DOC = "supplier_return"
NONE, HELD, RELEASED, REJECTED = "none", "held", "released", "rejected"


@dataclass(frozen=True)
class ReceiveLineIn:
    code: str  # SKU code or barcode, as scanned
    qty: int
    lot_no: str | None = None
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    supplier_lot_no: str | None = None
    serials: Sequence[str] = ()
    hold: bool = False  # quality hold: on hand, not available until released


def _ref(prefix: str) -> str:
    return f"{prefix}{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def receive_order(
    uow: UnitOfWork,
    po_id: int,
    *,
    lines: Sequence[ReceiveLineIn],
    freight_cents: int = 0,
    duty_cents: int = 0,
    allocation: str = rules.BY_VALUE,
    ref: str | None = None,
    at: dt.datetime | None = None,
) -> dict:
    uow.actor.require("purchasing.receipt.create")
    if not lines:
        raise Invalid("purchasing.no_lines", "A receipt needs at least one line", "收货单至少需要一行明细")
    if allocation not in rules.ALLOCATIONS:
        raise Invalid(
            "purchasing.bad_allocation", "Allocate landed costs by value or qty", "到岸费用按金额或数量分摊"
        )
    po_service.check_amount(freight_cents, "freight_cents")
    po_service.check_amount(duty_cents, "duty_cents")
    po = po_service.lock_order(uow, po_id)
    if po.status not in rules.RECEIVABLE:
        raise po_service.illegal(po.ref, po.status, rules.RECEIVED)
    order_lines = po_service.order_lines_for(uow, po_id)
    tol = po_service.tolerance_pct(uow, po.supplier_id)
    # Which order line each scanned line belongs to: the first line of its SKU with room left.
    planned: dict[int, int] = {}
    matched = []
    for i, ln in enumerate(lines, 1):
        s = catalog.resolve_code(uow, ln.code)
        po_service.check_qty(ln.qty, "qty")
        of_sku = [o for o in order_lines if o.sku_id == s.id]
        if not of_sku:
            raise Invalid(
                "purchasing.not_on_order",
                "Line {line}: {sku} is not on purchase order {ref}",
                "第 {line} 行：{sku} 不在采购单 {ref} 上",
                line=i,
                sku=s.code,
                ref=po.ref,
            )
        target = next((o for o in of_sku if o.received + planned.get(o.line_no, 0) < o.qty), of_sku[-1])
        planned[target.line_no] = planned.get(target.line_no, 0) + ln.qty
        matched.append((s, ln, target))
    for o in order_lines:
        q = planned.get(o.line_no)
        if not q:
            continue
        limit = rules.receivable_limit(o.qty, tol)
        pol = purchase_order_line.c
        done = uow.conn.execute(
            update(purchase_order_line)
            .where(pol.order_id == po_id, pol.line_no == o.line_no, pol.received + q <= limit)
            .values(received=pol.received + q)
        ).rowcount
        if done != 1:
            raise Conflict(
                "purchasing.over_tolerance",
                "{sku}: receiving {qty} more would exceed the {tol}% tolerance ({limit} at most, {received} received)",
                "{sku}：再收 {qty} 将超出 {tol}% 的超收容差（最多 {limit}，已收 {received}）",
                sku=catalog.sku_ref_by_id(uow, o.sku_id).code,
                qty=q,
                tol=tol,
                limit=limit,
                received=o.received,
            )
    goods = [ln.qty * o.price_cents for _, ln, o in matched]
    landed = rules.landed_shares(
        freight_cents + duty_cents,
        [(ln.qty, g) for (_, ln, _), g in zip(matched, goods, strict=True)],
        allocation,
    )
    receipt_lines = []
    for (s, ln, _), g, extra in zip(matched, goods, landed, strict=True):
        value = g + extra
        line = inventory.ReceiptLine.of(
            s.code,
            ln.qty,
            value // ln.qty,
            lot_no=ln.lot_no,
            production_date=ln.production_date,
            expiry_date=ln.expiry_date,
            supplier_lot_no=ln.supplier_lot_no,
            serials=list(ln.serials),
        )
        receipt_lines.append(replace(line, value_cents=value))
    supplier_code = uow.conn.execute(
        select(supplier.c.code).where(supplier.c.id == po.supplier_id)
    ).scalar_one()
    warehouse = inventory.warehouse_code(uow, po.warehouse_id)
    ref = ref or _ref("PR")
    if uow.conn.execute(select(purchase_receipt.c.id).where(purchase_receipt.c.ref == ref)).first():
        raise Conflict(
            "purchasing.duplicate_ref", "Receipt {ref} already exists", "收货单 {ref} 已存在", ref=ref
        )
    doc = inventory.receive(
        uow, ref=ref, warehouse=warehouse, lines=receipt_lines, at=at, partner=supplier_code, note=po.ref
    )
    receipt_id = uow.conn.execute(
        insert(purchase_receipt)
        .values(
            ref=ref,
            order_id=po_id,
            stock_document_id=doc.id,
            at=doc.at,
            freight_cents=freight_cents,
            duty_cents=duty_cents,
            allocation=allocation,
            created_by=uow.actor.username,
        )
        .returning(purchase_receipt.c.id)
    ).scalar_one()
    out = []
    wh = inventory.warehouse_ref(uow, warehouse)
    for i, ((s, ln, o), g, extra, rl) in enumerate(
        zip(matched, goods, landed, receipt_lines, strict=True), 1
    ):
        lot_no = rl.lot.lot_no.strip() if rl.lot else None
        line_id = uow.conn.execute(
            insert(purchase_receipt_line)
            .values(
                receipt_id=receipt_id,
                line_no=i,
                order_line_no=o.line_no,
                sku_id=s.id,
                qty=ln.qty,
                price_cents=o.price_cents,
                landed_cents=extra,
                value_cents=g + extra,
                lot_no=lot_no,
                serials=list(rl.serials) or None,
                hold=HELD if ln.hold else NONE,
            )
            .returning(purchase_receipt_line.c.id)
        ).scalar_one()
        uow.conn.execute(
            insert(purchase_accrual).values(
                supplier_id=po.supplier_id,
                order_id=po_id,
                order_line_no=o.line_no,
                receipt_line_id=line_id,
                qty=ln.qty,
                amount_cents=g,
                at=doc.at,
            )
        )
        if ln.hold:
            short = inventory.reserve(
                uow,
                doc_type=HOLD_DOC,
                doc_id=line_id,
                warehouse_id=wh.id,
                lines=[inventory.DocLine(1, s, ln.qty, lot_no=lot_no)],
            )
            if short is not None:
                raise Conflict(
                    "purchasing.hold_failed",
                    "{sku}: the goods received could not be put on hold",
                    "{sku}：收到的货物无法冻结",
                    sku=s.code,
                )
            if rl.serials:  # the very units are held: none of them may leave until released
                inventory.hold_serials(uow, s, list(rl.serials), wh.id, _hold_ref(line_id))
        out.append(
            {
                "id": line_id,
                "line_no": i,
                "order_line_no": o.line_no,
                "sku": s.code,
                "qty": ln.qty,
                "price_cents": o.price_cents,
                "landed_cents": extra,
                "value_cents": g + extra,
                "lot_no": lot_no,
                "serials": list(rl.serials),
                "hold": HELD if ln.hold else NONE,
            }
        )
    received = [(q, r) for _, _, q, _, r, _ in po_service.order_lines_for(uow, po_id)]
    status = rules.order_status_after_receipt(received)
    po_service.move(uow, po_id, status)
    result = {
        "id": receipt_id,
        "ref": ref,
        "order": po.ref,
        "order_status": status,
        "warehouse": warehouse,
        "at": doc.at,
        "freight_cents": freight_cents,
        "duty_cents": duty_cents,
        "allocation": allocation,
        "lines": out,
    }
    uow.audit(
        "purchasing.receipt.create",
        "purchase_receipt",
        ref,
        before={"order_status": po.status},
        after={k: v for k, v in result.items() if k != "at"},
    )
    return result


def list_receipts(uow: UnitOfWork, po_id: int) -> list[dict]:
    uow.actor.require("purchasing.po.read")
    pr, prl = purchase_receipt.c, purchase_receipt_line.c
    rows = uow.conn.execute(
        select(pr.id, pr.ref, pr.at, pr.freight_cents, pr.duty_cents, pr.allocation, pr.created_by)
        .where(pr.order_id == po_id)
        .order_by(pr.id)
    ).all()
    out = []
    for r in rows:
        d = dict(r._mapping)
        d["lines"] = [
            dict(x._mapping)
            | {"sku": catalog.sku_ref_by_id(uow, x.sku_id).code, "serials": list(x.serials or ())}
            for x in uow.conn.execute(
                select(
                    prl.id,
                    prl.line_no,
                    prl.order_line_no,
                    prl.sku_id,
                    prl.qty,
                    prl.price_cents,
                    prl.landed_cents,
                    prl.value_cents,
                    prl.lot_no,
                    prl.serials,
                    prl.hold,
                )
                .where(prl.receipt_id == r.id)
                .order_by(prl.line_no)
            )
        ]
        out.append(d)
    return out


def list_holds(uow: UnitOfWork, *, state: str = HELD) -> list[dict]:
    uow.actor.require("purchasing.po.read")
    pr, prl, po = purchase_receipt.c, purchase_receipt_line.c, purchase_order.c
    rows = uow.conn.execute(
        select(
            prl.id,
            prl.sku_id,
            prl.qty,
            prl.lot_no,
            prl.hold,
            prl.value_cents,
            pr.ref.label("receipt"),
            pr.at,
            po.ref.label("order"),
            po.warehouse_id,
        )
        .select_from(
            purchase_receipt_line.join(purchase_receipt, pr.id == prl.receipt_id).join(
                purchase_order, po.id == pr.order_id
            )
        )
        .where(prl.hold == state)
        .order_by(prl.id.desc())
        .limit(500)
    ).all()
    out = []
    for r in rows:
        d = dict(r._mapping)
        d["sku"] = catalog.sku_ref_by_id(uow, d.pop("sku_id")).code
        d["warehouse"] = inventory.warehouse_code(uow, d.pop("warehouse_id"))
        out.append(d)
    return out


def _held_line(uow: UnitOfWork, line_id: int, target: str):
    prl = purchase_receipt_line.c
    row = uow.conn.execute(
        update(purchase_receipt_line)
        .where(prl.id == line_id, prl.hold == HELD)
        .values(hold=target, hold_closed_at=utcnow(), hold_closed_by=uow.actor.username)
        .returning(*purchase_receipt_line.c)
    ).first()
    if row is None:
        found = uow.conn.execute(select(prl.hold).where(prl.id == line_id)).scalar()
        if found is None:
            raise not_found("purchase_receipt_line", line_id, zh="收货行")
        raise Conflict(
            "purchasing.not_on_hold",
            "Receipt line {id} is not on quality hold (it is {state})",
            "收货行 {id} 不在质检冻结中（当前：{state}）",
            id=line_id,
            state=found,
        )
    inventory.release(uow, doc_type=HOLD_DOC, doc_id=line_id)
    inventory.release_serial_hold(uow, _hold_ref(line_id))
    return row


def _hold_ref(line_id: int) -> str:
    """What holds the serial units of a receipt line on quality hold."""
    return f"{HOLD_DOC}:{line_id}"


def release_hold(uow: UnitOfWork, line_id: int) -> dict:
    """QC passed: the goods on hold become available."""
    uow.actor.require("purchasing.hold.release")
    row = _held_line(uow, line_id, RELEASED)
    uow.audit(
        "purchasing.hold.release",
        "purchase_receipt_line",
        line_id,
        before={"hold": HELD},
        after={"hold": RELEASED},
    )
    return {"id": row.id, "hold": RELEASED}


def reject_hold(
    uow: UnitOfWork, line_id: int, *, reason: str | None = None, serials: Sequence[str] = ()
) -> dict:
    """QC failed: the held goods go back to the supplier at their cost. Serial-tracked goods leave
    as the units named, by default the very units the line received."""
    uow.actor.require("purchasing.hold.release")
    row = _held_line(uow, line_id, REJECTED)
    receipt = uow.conn.execute(
        select(purchase_receipt.c.order_id).where(purchase_receipt.c.id == row.receipt_id)
    ).scalar_one()
    po = uow.conn.execute(
        select(purchase_order.c.supplier_id, purchase_order.c.warehouse_id).where(
            purchase_order.c.id == receipt
        )
    ).one()
    supplier_code = uow.conn.execute(
        select(supplier.c.code).where(supplier.c.id == po.supplier_id)
    ).scalar_one()
    sku = catalog.sku_ref_by_id(uow, row.sku_id)
    ret = return_to_supplier(
        uow,
        supplier_code=supplier_code,
        warehouse=inventory.warehouse_code(uow, po.warehouse_id),
        lines=[ReturnLineIn(sku.code, row.qty, row.lot_no, tuple(serials) or tuple(row.serials or ()))],
        order_id=receipt,
        reason=reason or "QC rejected",
        receipt_line_id=line_id,
        permission="purchasing.hold.release",
    )
    uow.audit(
        "purchasing.hold.reject",
        "purchase_receipt_line",
        line_id,
        before={"hold": HELD},
        after={"hold": REJECTED, "return": ret["ref"]},
    )
    return {"id": row.id, "hold": REJECTED, "return": ret}


@dataclass(frozen=True)
class ReturnLineIn:
    sku: str
    qty: int
    lot_no: str | None = None
    serials: Sequence[str] = ()


def return_to_supplier(
    uow: UnitOfWork,
    *,
    supplier_code: str,
    warehouse: str,
    lines: Sequence[ReturnLineIn],
    order_id: int | None = None,
    reason: str | None = None,
    ref: str | None = None,
    at: dt.datetime | None = None,
    receipt_line_id: int | None = None,
    permission: str = "purchasing.return.create",
) -> dict:
    """Goods go back to the supplier: free stock leaves at its cost (taken by the costing rules,
    like a sale's cost of goods — not shrinkage). Against an order, the returned quantity comes off
    the order line's received quantity and its accrued payable."""
    uow.actor.require(permission)
    sid = po_service.supplier_id(uow, supplier_code)
    wh = inventory.warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    if not lines:
        raise Invalid("purchasing.no_lines", "A return needs at least one line", "退货单至少需要一行明细")
    order_lines = []
    if order_id is not None:
        po = po_service.lock_order(uow, order_id)
        if po.supplier_id != sid or po.warehouse_id != wh.id:
            raise Invalid(
                "purchasing.return_mismatch",
                "Purchase order {ref} is of another supplier or warehouse",
                "采购单 {ref} 属于其他供应商或仓库",
                ref=po.ref,
            )
        order_lines = po_service.order_lines_for(uow, order_id)
    resolved = []
    for ln in lines:
        s = catalog.resolve_code(uow, ln.sku)
        po_service.check_qty(ln.qty, "qty")
        resolved.append((s, ln))
    if order_id is not None:
        _check_returnable(uow, po.ref, order_lines, resolved)
    ref = ref or _ref("RT")
    now = utcnow()
    when = to_utc(at) if at else now
    return_id = uow.conn.execute(
        insert(supplier_return)
        .values(
            ref=ref,
            supplier_id=sid,
            warehouse_id=wh.id,
            order_id=order_id,
            reason=reason,
            value_cents=0,
            at=when,
            created_by=uow.actor.username,
        )
        .returning(supplier_return.c.id)
    ).scalar_one()
    doc_lines, by_line = [], {}
    for i, (s, ln) in enumerate(resolved, 1):
        doc_lines.append(inventory.DocLine(i, s, ln.qty, lot_no=ln.lot_no))
        by_line[i] = (s, ln)
    short = inventory.reserve(
        uow, doc_type=RETURN_DOC, doc_id=return_id, warehouse_id=wh.id, lines=doc_lines, at=when
    )
    if short is not None:
        raise Conflict(
            "purchasing.insufficient_stock",
            "Not enough free stock of {sku} to return: wanted {wanted}, available {available}",
            "{sku} 可用库存不足，无法退货：需要 {wanted}，可用 {available}",
            sku=short.sku,
            wanted=short.wanted,
            available=short.available,
        )
    costs = inventory.ship_reserved(
        uow,
        doc_type=RETURN_DOC,
        doc_id=return_id,
        ref=ref,
        at=when,
        serials={i: list(ln.serials) for i, (_, ln) in by_line.items() if ln.serials},
    )
    total = 0
    out = []
    for c in costs:
        s, ln = by_line[c.line_no]
        total += c.cost_cents
        uow.conn.execute(
            insert(supplier_return_line).values(
                return_id=return_id,
                line_no=c.line_no,
                sku_id=s.id,
                qty=c.qty,
                value_cents=c.cost_cents,
                receipt_line_id=receipt_line_id,
            )
        )
        out.append({"line_no": c.line_no, "sku": s.code, "qty": c.qty, "value_cents": c.cost_cents})
        if order_lines:
            _unreceive(uow, sid, order_id, order_lines, s, c.qty, return_id, when)
    uow.conn.execute(
        update(supplier_return).where(supplier_return.c.id == return_id).values(value_cents=total)
    )
    result = {
        "id": return_id,
        "ref": ref,
        "supplier": supplier_code,
        "warehouse": wh.code,
        "value_cents": total,
        "lines": out,
    }
    uow.audit("purchasing.return.create", "supplier_return", ref, after=result)
    return result


def _check_returnable(uow: UnitOfWork, po_ref: str, order_lines, resolved) -> None:
    """Against an order, each SKU returned must be on it and no more of it than received (net of
    earlier returns) may go back."""
    wanted: dict[int, int] = {}
    for s, ln in resolved:
        if not any(o.sku_id == s.id for o in order_lines):
            raise Invalid(
                "purchasing.not_on_order",
                "{sku} is not on purchase order {ref}",
                "{sku} 不在采购单 {ref} 上",
                sku=s.code,
                ref=po_ref,
            )
        wanted[s.id] = wanted.get(s.id, 0) + ln.qty
    for sku_id, qty in wanted.items():
        received = sum(o.received for o in order_lines if o.sku_id == sku_id)
        if qty > received:
            raise Invalid(
                "purchasing.return_exceeds_received",
                "Cannot return {qty} of {sku}: only {received} received on {ref}",
                "无法退回 {qty} 件 {sku}：采购单 {ref} 仅收货 {received} 件",
                qty=qty,
                sku=catalog.sku_ref_by_id(uow, sku_id).code,
                received=received,
                ref=po_ref,
            )


def list_returns(
    uow: UnitOfWork,
    *,
    supplier_code: str | None = None,
    order_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """Returns to suppliers, newest first (keyset on id), with their lines."""
    uow.actor.require("purchasing.po.read")
    sr, srl, po = supplier_return.c, supplier_return_line.c, purchase_order.c
    stmt = select(
        sr.id,
        sr.ref,
        sr.at,
        sr.reason,
        sr.value_cents,
        sr.created_by,
        sr.warehouse_id,
        sr.order_id,
        supplier.c.code.label("supplier"),
        supplier.c.name.label("supplier_name"),
        po.ref.label("order"),
    ).select_from(
        supplier_return.join(supplier, supplier.c.id == sr.supplier_id).outerjoin(
            purchase_order, po.id == sr.order_id
        )
    )
    if supplier_code:
        stmt = stmt.where(sr.supplier_id == po_service.supplier_id(uow, supplier_code))
    if order_id is not None:
        stmt = stmt.where(sr.order_id == order_id)
    if uow.actor.allowed("warehouse") is not None:
        stmt = stmt.where(sr.warehouse_id.in_([w.id for w in inventory.list_warehouses(uow)]))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(sr.id < after)
    rows = uow.conn.execute(stmt.order_by(sr.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    lines: dict[int, list[dict]] = {}
    if rows:
        for x in uow.conn.execute(
            select(srl.return_id, srl.line_no, srl.sku_id, srl.qty, srl.value_cents)
            .where(srl.return_id.in_([r.id for r in rows]))
            .order_by(srl.return_id, srl.line_no)
        ):
            lines.setdefault(x.return_id, []).append(
                {
                    "line_no": x.line_no,
                    "sku": catalog.sku_ref_by_id(uow, x.sku_id).code,
                    "qty": x.qty,
                    "value_cents": x.value_cents,
                }
            )
    out = []
    for r in rows:
        d = dict(r._mapping)
        d["warehouse"] = inventory.warehouse_code(uow, d.pop("warehouse_id"))
        d["lines"] = lines.get(r.id, [])
        out.append(d)
    return out, encode_cursor({"id": rows[-1].id}) if more else None


def _unreceive(
    uow: UnitOfWork, sid: int, order_id: int, order_lines, sku, qty: int, return_id: int, at
) -> None:
    """Take ``qty`` of ``sku`` off the order lines' received quantities (latest lines first) and
    accrue the payable back at the order price."""
    left = qty
    pol = purchase_order_line.c
    for o in reversed([o for o in order_lines if o.sku_id == sku.id]):
        take = min(left, o.received)
        if take <= 0:
            continue
        uow.conn.execute(
            update(purchase_order_line)
            .where(pol.order_id == order_id, pol.line_no == o.line_no)
            .values(received=pol.received - take)
        )
        uow.conn.execute(
            insert(purchase_accrual).values(
                supplier_id=sid,
                order_id=order_id,
                order_line_no=o.line_no,
                return_id=return_id,
                qty=-take,
                amount_cents=-take * o.price_cents,
                at=at,
            )
        )
        left -= take
        if left == 0:
            break
