"""Supplier bills and the 3-way match, over the received-not-billed accrual.

Receiving accrues the payable per receipt line at the order price (``purchase_accrual``). A bill
names its order and, per line, the order line, quantity and unit price billed; each line is
matched against the order price and the quantity received and not yet billed, and flagged on a
difference. A bill is ``matched`` or ``difference``, then ``approved`` by someone allowed to. The
journal entries come with the finance area; this keeps the sub-ledger only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from omnistock.catalog import service as catalog
from omnistock.platform import events
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid, not_found
from omnistock.platform.pagination import after_id, encode_cursor
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import rules
from omnistock.purchasing import service as po_service
from omnistock.purchasing.models import (
    purchase_accrual,
    purchase_order,
    purchase_order_line,
    supplier,
    supplier_bill,
    supplier_bill_line,
)


@dataclass(frozen=True)
class BillLineIn:
    order_line_no: int
    qty: int
    price_cents: int


def _received_by_line(uow: UnitOfWork, po_id: int) -> dict[int, int]:
    a = purchase_accrual.c
    rows = uow.conn.execute(
        select(a.order_line_no, func.sum(a.qty)).where(a.order_id == po_id).group_by(a.order_line_no)
    ).all()
    return {n: int(q) for n, q in rows}


def create_bill(
    uow: UnitOfWork,
    *,
    supplier_code: str,
    bill_no: str,
    order_id: int,
    lines: Sequence[BillLineIn],
    bill_date: dt.date | None = None,
) -> dict:
    uow.actor.require("purchasing.bill.create")
    sid = po_service.supplier_id(uow, supplier_code)
    if not isinstance(bill_no, str) or not 0 < len(bill_no) <= 64:
        raise Invalid(
            "purchasing.bad_bill_no", "A bill needs the supplier's bill number", "账单需要供应商的发票号"
        )
    if not lines:
        raise Invalid("purchasing.no_lines", "A bill needs at least one line", "账单至少需要一行明细")
    po = po_service.lock_order(uow, order_id)
    if po.supplier_id != sid:
        raise Invalid(
            "purchasing.bill_mismatch",
            "Purchase order {ref} is another supplier's",
            "采购单 {ref} 属于其他供应商",
            ref=po.ref,
        )
    if uow.conn.execute(
        select(supplier_bill.c.id).where(
            supplier_bill.c.supplier_id == sid, supplier_bill.c.bill_no == bill_no
        )
    ).first():
        raise Conflict(
            "purchasing.duplicate_bill",
            "Bill {no} of this supplier is already entered",
            "该供应商的账单 {no} 已登记",
            no=bill_no,
        )
    order_lines = {o.line_no: o for o in po_service.order_lines_for(uow, order_id)}
    received = _received_by_line(uow, order_id)
    rows, matches = [], []
    seen = set()
    for i, ln in enumerate(lines, 1):
        o = order_lines.get(ln.order_line_no)
        if o is None or ln.order_line_no in seen:
            raise Invalid(
                "purchasing.bad_bill_line",
                "Bill line {line}: order line {n} does not exist or is billed twice",
                "账单第 {line} 行：采购单行 {n} 不存在或重复",
                line=i,
                n=ln.order_line_no,
            )
        seen.add(ln.order_line_no)
        po_service.check_qty(ln.qty, "qty")
        po_service.check_amount(ln.price_cents, "price_cents")
        unbilled = received.get(o.line_no, 0) - o.billed
        m = rules.match_line(
            po_price=o.price_cents, billed_price=ln.price_cents, unbilled_received=unbilled, billed_qty=ln.qty
        )
        matches.append(m)
        rows.append(
            {
                "line_no": i,
                "order_line_no": o.line_no,
                "sku_id": o.sku_id,
                "qty": ln.qty,
                "price_cents": ln.price_cents,
                "amount_cents": ln.qty * ln.price_cents,
                "po_price_cents": o.price_cents,
                "unbilled_received": unbilled,
                "price_diff_cents": m.price_diff_cents,
                "qty_diff": m.qty_diff,
                "flags": ",".join(m.flags),
            }
        )
    status = rules.bill_status(matches)
    total = sum(r["amount_cents"] for r in rows)
    bill_id = uow.conn.execute(
        insert(supplier_bill)
        .values(
            supplier_id=sid,
            bill_no=bill_no,
            order_id=order_id,
            status=status,
            total_cents=total,
            bill_date=bill_date or utcnow().date(),
            created_at=utcnow(),
            created_by=uow.actor.username,
        )
        .returning(supplier_bill.c.id)
    ).scalar_one()
    uow.conn.execute(insert(supplier_bill_line), [{"bill_id": bill_id, **r} for r in rows])
    pol = purchase_order_line.c
    for r in rows:
        uow.conn.execute(
            update(purchase_order_line)
            .where(pol.order_id == order_id, pol.line_no == r["order_line_no"])
            .values(billed=pol.billed + r["qty"])
        )
    out = bill_detail(uow, bill_id)
    uow.audit(
        "purchasing.bill.create",
        "supplier_bill",
        bill_no,
        after={"order": po.ref, "status": status, "total_cents": total},
    )
    return out


BILL_APPROVED_EVENT = "purchasing.bill_approved"


@dataclass(frozen=True)
class BillApproved:
    """Published as ``purchasing.bill_approved``: the supplier is owed ``total_cents`` from
    ``bill_date``; ``accrued_cents`` (billed quantities at the order price) is what the goods were
    accrued at when received."""

    bill_id: int
    bill_no: str
    supplier_id: int
    bill_date: dt.date
    total_cents: int
    accrued_cents: int


def approve_bill(uow: UnitOfWork, bill_id: int) -> dict:
    """Approve a bill — a matched one, or one whose differences were accepted."""
    uow.actor.require("purchasing.bill.approve")
    sb = supplier_bill.c
    row = uow.conn.execute(
        update(supplier_bill)
        .where(sb.id == bill_id, sb.status.in_([rules.MATCHED, rules.DIFFERENCE]))
        .values(status=rules.BILL_APPROVED, approved_at=utcnow(), approved_by=uow.actor.username)
        .returning(sb.bill_no, sb.supplier_id, sb.bill_date, sb.total_cents)
    ).first()
    if row is None:
        found = uow.conn.execute(select(sb.status).where(sb.id == bill_id)).scalar()
        if found is None:
            raise not_found("supplier_bill", bill_id, zh="供应商账单")
        raise Conflict("purchasing.bill_approved", "The bill is already approved", "该账单已审核")
    uow.audit("purchasing.bill.approve", "supplier_bill", row.bill_no, after={"status": rules.BILL_APPROVED})
    bl = supplier_bill_line.c
    accrued = uow.conn.execute(
        select(func.coalesce(func.sum(bl.qty * bl.po_price_cents), 0)).where(bl.bill_id == bill_id)
    ).scalar_one()
    events.publish(
        uow,
        BILL_APPROVED_EVENT,
        BillApproved(bill_id, row.bill_no, row.supplier_id, row.bill_date, row.total_cents, int(accrued)),
    )
    return bill_detail(uow, bill_id)


_BILL_COLS = (
    supplier_bill.c.id,
    supplier_bill.c.bill_no,
    supplier_bill.c.status,
    supplier_bill.c.total_cents,
    supplier_bill.c.bill_date,
    supplier_bill.c.created_by,
    supplier_bill.c.approved_by,
    supplier.c.code.label("supplier"),
    purchase_order.c.ref.label("order"),
    purchase_order.c.id.label("order_id"),
)


def _bills():
    return select(*_BILL_COLS).select_from(
        supplier_bill.join(supplier, supplier.c.id == supplier_bill.c.supplier_id).join(
            purchase_order, purchase_order.c.id == supplier_bill.c.order_id
        )
    )


def list_bills(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    supplier_code: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """Supplier bills, newest first: one page (keyset on id) and the cursor of the next, or None."""
    uow.actor.require("purchasing.bill.read")
    stmt = _bills()
    if status:
        stmt = stmt.where(supplier_bill.c.status == status)
    if supplier_code:
        stmt = stmt.where(supplier_bill.c.supplier_id == po_service.supplier_id(uow, supplier_code))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(supplier_bill.c.id < after)
    rows = uow.conn.execute(stmt.order_by(supplier_bill.c.id.desc()).limit(limit + 1)).all()
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return [dict(r._mapping) for r in rows[:limit]], nxt


def bill_detail(uow: UnitOfWork, bill_id: int) -> dict:
    row = uow.conn.execute(_bills().where(supplier_bill.c.id == bill_id)).first()
    if row is None:
        raise not_found("supplier_bill", bill_id, zh="供应商账单")
    d = dict(row._mapping)
    bl = supplier_bill_line.c
    d["lines"] = [
        dict(r._mapping)
        | {"sku": catalog.sku_ref_by_id(uow, r.sku_id).code, "flags": [f for f in r.flags.split(",") if f]}
        for r in uow.conn.execute(
            select(supplier_bill_line).where(bl.bill_id == bill_id).order_by(bl.line_no)
        )
    ]
    for ln in d["lines"]:
        ln.pop("bill_id")
        ln.pop("sku_id")
    return d


def accruals(uow: UnitOfWork, *, supplier_code: str | None = None) -> list[dict]:
    """Per order line: received (net of returns), billed, and received-not-billed at the order price."""
    uow.actor.require("purchasing.bill.read")
    a, pol, po = purchase_accrual.c, purchase_order_line.c, purchase_order.c
    stmt = (
        select(
            po.id.label("order_id"),
            po.ref.label("order"),
            supplier.c.code.label("supplier"),
            a.order_line_no,
            pol.sku_id,
            pol.price_cents,
            pol.billed,
            func.sum(a.qty).label("received"),
            func.sum(a.amount_cents).label("accrued_cents"),
        )
        .select_from(
            purchase_accrual.join(purchase_order, po.id == a.order_id)
            .join(supplier, supplier.c.id == a.supplier_id)
            .join(purchase_order_line, (pol.order_id == a.order_id) & (pol.line_no == a.order_line_no))
        )
        .group_by(po.id, po.ref, supplier.c.code, a.order_line_no, pol.sku_id, pol.price_cents, pol.billed)
        .order_by(po.id.desc(), a.order_line_no)
    )
    if supplier_code:
        stmt = stmt.where(a.supplier_id == po_service.supplier_id(uow, supplier_code))
    out = []
    for r in uow.conn.execute(stmt):
        unbilled = int(r.received) - r.billed
        out.append(
            {
                "order_id": r.order_id,
                "order": r.order,
                "supplier": r.supplier,
                "order_line_no": r.order_line_no,
                "sku": catalog.sku_ref_by_id(uow, r.sku_id).code,
                "received": int(r.received),
                "billed": r.billed,
                "unbilled_qty": unbilled,
                "unbilled_cents": unbilled * r.price_cents,
                "accrued_cents": int(r.accrued_cents),
            }
        )
    return out
