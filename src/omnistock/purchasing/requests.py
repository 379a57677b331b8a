"""Purchase requests (采购申请): someone needs a quantity of a SKU in a warehouse; a purchaser turns
open requests into draft purchase orders — one per preferred supplier and warehouse, at the
supplier's prices — or rejects them. Each request moves open → ordered | rejected exactly once
(a conditional UPDATE), so a request is never ordered twice."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from sqlalchemy import insert, select, update

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import rules
from omnistock.purchasing import service as po_service
from omnistock.purchasing.models import purchase_order, purchase_request
from omnistock.purchasing.workbench import preferred_sources


def create_request(
    uow: UnitOfWork,
    *,
    warehouse: str,
    sku: str,
    qty: int,
    needed_by: dt.date | None = None,
    reason: str | None = None,
) -> dict:
    uow.actor.require("purchasing.request.create")
    wh = inventory.warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    s = catalog.sku_ref(uow, sku)
    if s.kind != "standard":
        raise Invalid(
            "purchasing.bundle_not_purchasable",
            "{sku} is a bundle: request its components",
            "{sku} 是组合商品，请申请其组件",
            sku=sku,
        )
    po_service.check_qty(qty, "qty")
    if reason is not None and len(reason) > 200:
        raise Invalid(
            "purchasing.bad_reason", "A reason has at most 200 characters", "申请原因最长 200 个字符"
        )
    ref = f"PRQ{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"
    rid = uow.conn.execute(
        insert(purchase_request)
        .values(
            ref=ref,
            warehouse_id=wh.id,
            sku_id=s.id,
            qty=qty,
            needed_by=needed_by,
            reason=reason,
            status=rules.REQUEST_OPEN,
            created_at=utcnow(),
            created_by=uow.actor.username,
        )
        .returning(purchase_request.c.id)
    ).scalar_one()
    uow.audit(
        "purchasing.request.create",
        "purchase_request",
        ref,
        after={"warehouse": wh.code, "sku": sku, "qty": qty},
    )
    return _view(uow, rid)


def _close(uow: UnitOfWork, ids: Sequence[int], target: str, order_id: int | None = None) -> None:
    pr = purchase_request.c
    done = uow.conn.execute(
        update(purchase_request)
        .where(pr.id.in_(list(ids)), pr.status.in_(sorted(rules.sources(target, rules.REQUEST_TRANSITIONS))))
        .values(status=target, order_id=order_id, closed_at=utcnow(), closed_by=uow.actor.username)
    ).rowcount
    if done != len(set(ids)):
        raise Conflict(
            "purchasing.request_not_open",
            "Only open requests can be ordered or rejected",
            "只有待处理的申请才能下单或驳回",
        )


def reject_request(uow: UnitOfWork, request_id: int) -> dict:
    uow.actor.require("purchasing.po.create")
    _close(uow, [request_id], rules.REQUEST_REJECTED)
    view = _view(uow, request_id)
    uow.audit(
        "purchasing.request.reject", "purchase_request", view["ref"], after={"status": rules.REQUEST_REJECTED}
    )
    return view


def order_requests(uow: UnitOfWork, request_ids: Sequence[int]) -> list[dict]:
    """Open requests become draft purchase orders grouped by (preferred supplier, warehouse); a
    request that is not open, or a SKU without a supplier, refuses the whole call."""
    uow.actor.require("purchasing.po.create")
    if not request_ids:
        raise Invalid("purchasing.no_lines", "Choose at least one request", "请至少选择一条申请")
    pr = purchase_request.c
    rows = uow.conn.execute(
        select(pr.id, pr.warehouse_id, pr.sku_id, pr.qty, pr.status)
        .where(pr.id.in_(list(request_ids)))
        .order_by(pr.id)
    ).all()
    if len(rows) != len(set(request_ids)) or any(r.status != rules.REQUEST_OPEN for r in rows):
        raise Conflict(
            "purchasing.request_not_open",
            "Only open requests can be ordered or rejected",
            "只有待处理的申请才能下单或驳回",
        )
    sources = preferred_sources(uow)
    groups: dict[tuple[str, str], list] = {}
    for r in rows:
        src = sources.get(r.sku_id)
        code = catalog.sku_ref_by_id(uow, r.sku_id).code
        if src is None:
            raise Invalid(
                "purchasing.no_supplier",
                "{sku} has no supplier: add it to a supplier first",
                "{sku} 没有供应商，请先在供应商中添加",
                sku=code,
            )
        groups.setdefault((src.supplier, inventory.warehouse_code(uow, r.warehouse_id)), []).append(
            (r.id, code, r.qty, src.price_cents)
        )
    made = []
    for (sup, wh), items in sorted(groups.items()):
        lines: dict[str, list[int]] = {}
        for _, code, qty, price in items:  # the same SKU requested twice: one line, quantities added
            lines.setdefault(code, [0, price])[0] += qty
        order = po_service.create_order(
            uow,
            supplier_code=sup,
            warehouse=wh,
            lines=[po_service.OrderLineIn(code, q, price) for code, (q, price) in lines.items()],
            source="request",
        )
        _close(uow, [i for i, *_ in items], rules.REQUEST_ORDERED, order["id"])
        made.append(order)
    uow.audit(
        "purchasing.request.order",
        "purchase_request",
        ",".join(str(i) for i in sorted(request_ids))[:200],
        after={"orders": [m["ref"] for m in made]},
    )
    return made


def _select():
    pr = purchase_request.c
    return select(
        pr.id,
        pr.ref,
        pr.warehouse_id,
        pr.sku_id,
        pr.qty,
        pr.needed_by,
        pr.reason,
        pr.status,
        pr.created_at,
        pr.created_by,
        pr.closed_by,
        purchase_order.c.ref.label("order"),
    ).select_from(purchase_request.outerjoin(purchase_order, purchase_order.c.id == pr.order_id))


def _row(uow: UnitOfWork, r) -> dict:
    d = dict(r._mapping)
    d["warehouse"] = inventory.warehouse_code(uow, d.pop("warehouse_id"))
    d["sku"] = catalog.sku_ref_by_id(uow, d.pop("sku_id")).code
    return d


def _view(uow: UnitOfWork, request_id: int) -> dict:
    return _row(uow, uow.conn.execute(_select().where(purchase_request.c.id == request_id)).one())


def list_requests(uow: UnitOfWork, *, status: str | None = None) -> list[dict]:
    uow.actor.require("purchasing.po.read")
    stmt = _select()
    if status:
        stmt = stmt.where(purchase_request.c.status == status)
    rows = [_row(uow, r) for r in uow.conn.execute(stmt.order_by(purchase_request.c.id.desc()).limit(500))]
    allowed = uow.actor.allowed("warehouse")
    return [r for r in rows if allowed is None or r["warehouse"] in allowed]
