"""Returns intake (售后入库, the warehouse side of after-sales).

A parcel coming back is received against its order by scanning: every unit is either restocked
or marked defective. The whole return goes through the orders area's return (stock back into the
warehouse at the cost it left with, revenue given back), then the defective units are written off
at that same cost by a stock adjustment with reason ``damaged`` — shrinkage, by the costing rules —
so they are never sold again. The refund paid to the buyer is recorded on the intake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from omnistock.catalog import service as catalog
from omnistock.fulfillment import rules, waves
from omnistock.fulfillment.models import return_intake
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError, Invalid
from omnistock.platform.uow import UnitOfWork

ri_ = return_intake.c
MAX_REFUND = 10**12


@dataclass(frozen=True)
class ReturnItem:
    sku: str  # SKU code or barcode
    qty: int
    disposition: str = rules.RESTOCK
    serials: Sequence[str] = field(default_factory=tuple)


def receive_return(
    uow: UnitOfWork,
    order_ref: str,
    *,
    items: Sequence[ReturnItem],
    refund_cents: int | None = None,
    note: str | None = None,
) -> dict:
    """Receive returned goods of a shipped order; ``refund_cents`` defaults to the revenue the
    returned lines give back."""
    uow.actor.require("fulfillment.return")
    sheets = orders.order_sheets(uow, refs=[order_ref]) if isinstance(order_ref, str) else []
    if not sheets:
        raise Invalid(
            "fulfillment.unknown_order", "Unknown order {ref}", "订单 {ref} 不存在", ref=str(order_ref)[:64]
        )
    o = sheets[0]
    wh = waves.check_scope(uow, o.warehouse_id)
    if not items:
        raise Invalid("fulfillment.no_items", "Scan at least one returned item", "请至少扫描一件退回商品")
    if refund_cents is not None and (
        not isinstance(refund_cents, int)
        or isinstance(refund_cents, bool)
        or not 0 <= refund_cents <= MAX_REFUND
    ):
        raise Invalid(
            "fulfillment.bad_refund",
            "The refund is a whole number of cents ≥ 0",
            "退款金额须为不小于 0 的整数（分）",
        )
    if note is not None and len(note) > 200:
        raise Invalid("fulfillment.bad_note", "A note is at most 200 characters", "备注最多 200 字")
    # SKU code -> [qty back, defective qty, serials back, defective serials]
    per_sku: dict[str, list] = {}
    for it in items:
        try:
            sku = catalog.resolve_code(uow, it.sku) if isinstance(it.sku, str) else None
        except AppError:
            sku = None
        if sku is None or sku.code not in {ln.sku for ln in o.lines}:
            raise Invalid(
                "fulfillment.item_not_on_order",
                "{code} is not on order {ref}",
                "{code} 不是订单 {ref} 的商品",
                code=str(it.sku)[:64],
                ref=o.ref,
            )
        if it.disposition not in rules.DISPOSITIONS:
            raise Invalid(
                "fulfillment.bad_disposition",
                "Each returned item is restocked or defective",
                "每件退回商品须为「入库」或「次品」",
            )
        if not isinstance(it.qty, int) or isinstance(it.qty, bool) or it.qty < 1:
            raise Invalid(
                "fulfillment.bad_quantity", "A quantity is a whole number > 0", "数量须为大于 0 的整数"
            )
        if it.disposition == rules.DEFECTIVE and sku.tracking == "batch":
            raise Invalid(
                "fulfillment.defective_batch",
                "{sku} is batch-tracked: restock it, then write the defective units off their batch "
                "with a stock adjustment",
                "{sku} 按批次管理：请先入库，再按批次做库存调整报损",
                sku=sku.code,
            )
        acc = per_sku.setdefault(sku.code, [0, 0, [], []])
        acc[0] += it.qty
        acc[2].extend(it.serials or ())
        if it.disposition == rules.DEFECTIVE:
            acc[1] += it.qty
            acc[3].extend(it.serials or ())
    back = orders.return_order(
        uow,
        ref=o.ref,
        lines=[orders.ReturnLineIn(code, a[0], tuple(a[2])) for code, a in sorted(per_sku.items())],
    )
    defective = [
        inventory.AdjustLine(code, -a[1], serials=tuple(a[3])) for code, a in sorted(per_sku.items()) if a[1]
    ]
    writeoff = None
    if defective:
        writeoff = inventory.adjust(
            uow,
            ref=f"{back['ref']}-D",
            warehouse=wh,
            reason="damaged",
            lines=defective,
            note=f"退货次品 defective return {back['ref']}",
        ).ref
    cost = {c["line_no"]: c["cost_cents"] for c in back["lines"]}
    line_no = {ln.sku: ln.line_no for ln in o.lines}
    lines = [
        {
            "sku": code,
            "qty": a[0],
            "restocked": a[0] - a[1],
            "defective": a[1],
            "serials": a[2],
            "cost_cents": cost.get(line_no[code], 0),
        }
        for code, a in sorted(per_sku.items())
    ]
    refund = back["refund_cents"] if refund_cents is None else refund_cents
    at = utcnow()
    uow.conn.execute(
        return_intake.insert().values(
            ref=back["ref"],
            order_id=o.id,
            order_ref=o.ref,
            warehouse_id=o.warehouse_id,
            refund_cents=refund,
            lines=lines,
            writeoff_ref=writeoff,
            note=note,
            at=at,
            by=uow.actor.username,
        )
    )
    out = {
        "ref": back["ref"],
        "order": o.ref,
        "refund_cents": refund,
        "lines": lines,
        "writeoff_ref": writeoff,
    }
    uow.audit("fulfillment.return.receive", "sales_order", o.ref, after=out)
    return out


def list_returns(uow: UnitOfWork, *, limit: int = 200) -> list[dict]:
    uow.actor.require("fulfillment.read")
    stmt = select(return_intake).order_by(ri_.id.desc()).limit(limit)
    ids = waves.scoped_warehouse_ids(uow)
    if ids is not None:
        stmt = stmt.where(ri_.warehouse_id.in_(ids))
    return [
        {
            "ref": r.ref,
            "order": r.order_ref,
            "warehouse": inventory.warehouse_code(uow, r.warehouse_id),
            "refund_cents": r.refund_cents,
            "lines": r.lines,
            "writeoff_ref": r.writeoff_ref,
            "note": r.note,
            "at": r.at,
            "by": r.by,
        }
        for r in uow.conn.execute(stmt).all()
    ]
