"""Splitting and merging unshipped orders (拆单 / 合单), by hand or — for splits by warehouse
availability — automatically. Money moves with the goods exactly: a moved quantity takes its
share of the line's revenue and discount by the one rule (``inventory.rules.share``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from omnistock.catalog import service as catalog
from omnistock.inventory import rules as inv_rules
from omnistock.inventory import service as inventory
from omnistock.orders import routing_rules, rules
from omnistock.orders.models import order_tag, sales_order, sales_order_line
from omnistock.orders.pool import (
    DOC,
    Taken,
    _bad,
    _move,
    _Order,
    _result,
    allocate,
    illegal,
    insert_lines,
    locked,
)
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict
from omnistock.platform.uow import UnitOfWork

SPLITTABLE = (rules.ON_HOLD, rules.READY, rules.ALLOCATED)


@dataclass
class _StoredLine:
    line_no: int
    sku_id: int
    qty: int
    price: int
    revenue: int
    discount: int
    bundle: int | None
    bundle_qty: int | None


def _lines(uow: UnitOfWork, order_id: int) -> list[_StoredLine]:
    ol = sales_order_line.c
    rows = uow.conn.execute(
        select(
            ol.line_no,
            ol.sku_id,
            ol.qty,
            ol.unit_price_cents,
            ol.revenue_cents,
            ol.discount_cents,
            ol.bundle_sku_id,
            ol.bundle_qty,
        )
        .where(ol.order_id == order_id)
        .order_by(ol.line_no)
    ).all()
    return [_StoredLine(*r) for r in rows]


def _header(uow: UnitOfWork, order_id: int) -> dict:
    return dict(uow.conn.execute(select(sales_order).where(sales_order.c.id == order_id)).one()._mapping)


def _next_ref(uow: UnitOfWork, base: str, mark: str) -> str:
    """``base-S1``, ``base-S2`` … (splits) or ``base-M1`` … (merges): the first number free."""
    n = uow.conn.execute(
        select(func.count()).select_from(sales_order).where(sales_order.c.ref.like(f"{base}-{mark}%"))
    ).scalar_one()
    while True:
        n += 1
        ref = f"{base[: 64 - len(mark) - 6]}-{mark}{n}"
        if uow.conn.execute(select(sales_order.c.id).where(sales_order.c.ref == ref)).first() is None:
            return ref


def _new_order(uow: UnitOfWork, header: dict, ref: str, lines: list[_StoredLine], **over) -> int:
    goods = sum(x.qty * x.price for x in lines)
    discount = sum(x.discount for x in lines)
    shipping = over.pop("shipping_fee_cents", 0)
    total = rules.payable(goods, discount, shipping)
    row = {
        k: v
        for k, v in header.items()
        if k not in ("id", "ref", "external_ref", "shipped_at", "closed_at", "reject_reason", "hold_reasons")
    }
    row.update(
        ref=ref,
        goods_cents=goods,
        discount_cents=discount,
        shipping_fee_cents=shipping,
        total_cents=total,
        paid_cents=total,
        created_at=utcnow(),
        updated_at=utcnow(),
        **over,
    )
    new_id = uow.conn.execute(sales_order.insert().values(**row).returning(sales_order.c.id)).scalar_one()
    insert_lines(uow, new_id, lines)
    return new_id


def _retotal(uow: UnitOfWork, order_id: int) -> None:
    ol, so = sales_order_line.c, sales_order.c
    goods, discount = uow.conn.execute(
        select(func.sum(ol.qty * ol.unit_price_cents), func.sum(ol.discount_cents)).where(
            ol.order_id == order_id
        )
    ).one()
    shipping, paid = uow.conn.execute(
        select(so.shipping_fee_cents, so.paid_cents).where(so.id == order_id)
    ).one()
    total = rules.payable(int(goods), int(discount), shipping)
    uow.conn.execute(
        update(sales_order)
        .where(so.id == order_id)
        .values(
            goods_cents=int(goods),
            discount_cents=int(discount),
            total_cents=total,
            paid_cents=min(paid, total),
        )
    )


def _take(line: _StoredLine, qty: int) -> _StoredLine:
    """``qty`` pieces of a line, with their exact share of its revenue and discount."""
    return _StoredLine(
        0,
        line.sku_id,
        qty,
        line.price,
        inv_rules.share(line.revenue, line.qty, qty),
        inv_rules.share(line.discount, line.qty, qty),
        line.bundle,
        line.bundle_qty,
    )


def _split(uow: UnitOfWork, o: _Order, parts: Sequence[Mapping[int, int]]) -> list[_Order]:
    """Move each part (SKU id -> qty) out of ``o`` into a new order in ``o``'s state (its
    reservation, if any, is released and it becomes ready; the caller allocates again)."""
    if o.status == rules.ALLOCATED:
        inventory.release(uow, doc_type=DOC, doc_id=o.id)
        _move(uow, o, rules.READY, why={"split": True}, warehouse_id=None)
    header = _header(uow, o.id)
    lines = {x.sku_id: x for x in _lines(uow, o.id)}
    new_orders = []
    for part in parts:
        moved = []
        for sku_id, qty in part.items():
            line = lines[sku_id]
            taken = _take(line, qty)
            line.qty -= qty
            line.revenue -= taken.revenue
            line.discount -= taken.discount
            moved.append(taken)
        ref = _next_ref(uow, o.ref, "S")
        new_id = _new_order(uow, header, ref, moved, split_from_id=o.id, status=o.status, warehouse_id=None)
        tags = uow.conn.execute(select(order_tag.c.tag).where(order_tag.c.order_id == o.id)).scalars().all()
        if tags:
            uow.conn.execute(order_tag.insert(), [{"order_id": new_id, "tag": t} for t in tags])
        uow.audit(
            "orders.order.create",
            DOC,
            ref,
            after={
                "status": o.status,
                "split_from": o.ref,
                "lines": [[_code(uow, x.sku_id), x.qty] for x in moved],
            },
        )
        new_orders.append(
            _Order(new_id, ref, o.status, o.channel, None, o.ship_after, o.province, o.customer_id)
        )
    ol = sales_order_line.c
    for line in lines.values():
        if line.qty == 0:
            uow.conn.execute(delete(sales_order_line).where(ol.order_id == o.id, ol.line_no == line.line_no))
        else:
            uow.conn.execute(
                update(sales_order_line)
                .where(ol.order_id == o.id, ol.line_no == line.line_no)
                .values(qty=line.qty, revenue_cents=line.revenue, discount_cents=line.discount)
            )
    _retotal(uow, o.id)
    for n in new_orders:
        _retotal(uow, n.id)
    uow.audit("orders.order.split", DOC, o.ref, after={"into": [n.ref for n in new_orders]})
    o.split_into = [n.ref for n in new_orders]
    return new_orders


def _code(uow: UnitOfWork, sku_id: int) -> str:
    return catalog.sku_ref_by_id(uow, sku_id).code


def split_order(uow: UnitOfWork, ref: str, parts: Sequence[Mapping[str, int]]) -> list[Taken]:
    """Split an unshipped order by hand: each part (SKU code -> quantity) becomes a new order
    (``REF-S1``, …); what is left stays on the order. An allocated order's parts are allocated
    again — from the same warehouse when it still holds them."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    if o.status not in SPLITTABLE:
        raise Conflict(
            "orders.not_splittable",
            "Order {ref} is {state}; only orders on hold, ready or allocated can be split",
            "订单 {ref} 当前状态为 {state_zh}，只有异常、待分配或已分配的订单可以拆分",
            ref=o.ref,
            state=o.status,
            state_zh=rules.STATUS_NAMES[o.status][0],
        )
    lines = {x.sku_id: x for x in _lines(uow, o.id)}
    if not parts:
        raise _bad("no_parts", "Say which quantities to split off", "请指定要拆出的商品和数量")
    left = {k: v.qty for k, v in lines.items()}
    by_id = []
    for n, part in enumerate(parts, 1):
        if not part:
            raise _bad("empty_part", "Part {n} is empty", "第 {n} 个拆分包裹为空", n=n)
        mapped = {}
        for code, qty in part.items():
            sku = catalog.sku_ref(uow, code) if isinstance(code, str) else None
            if sku is None or sku.id not in lines:
                raise _bad(
                    "sku_not_on_order",
                    "{sku} is not on order {ref}",
                    "{sku} 不在订单 {ref} 中",
                    sku=str(code)[:64],
                    ref=o.ref,
                )
            if not inv_rules.is_positive_int(qty) or qty > left[sku.id]:
                raise _bad(
                    "bad_split_qty",
                    "Cannot split off {qty} of {sku}: {left} left on the order",
                    "{sku} 只剩 {left}，不能拆出 {qty}",
                    qty=repr(qty)[:20],
                    sku=code,
                    left=left[sku.id],
                )
            left[sku.id] -= qty
            mapped[sku.id] = qty
        by_id.append(mapped)
    if not any(left.values()):
        raise _bad("split_takes_all", "A split must leave something on the order", "拆分后原订单必须保留商品")
    was_allocated = o.status == rules.ALLOCATED
    warehouse = inventory.warehouse_ref(uow, o.warehouse) if o.warehouse else None
    new_orders = _split(uow, o, by_id)
    if was_allocated:  # each part from the same warehouse (the stock just released is there)
        for x in (o, *new_orders):
            allocate(uow, x, warehouse=warehouse)
    return [_result(o), *(_result(x) for x in new_orders)]


def auto_split(uow: UnitOfWork, o: _Order, lines: list[inventory.DocLine]) -> list[str]:
    """An order no single warehouse can fill, split by availability into as few packages as
    practical, each allocated from its warehouse. Nothing happens (empty list) when even all
    warehouses together are short."""
    code_of = {d.sku.id: d.sku.code for d in lines}
    id_of = {v: k for k, v in code_of.items()}
    free = inventory.sellable(uow, list(code_of))
    stock = {w: {code_of[s]: q for s, q in per.items()} for w, per in free.items()}
    plan = routing_rules.split_plan({d.sku.code: d.qty for d in lines}, stock)
    if not plan or len(plan) < 2:
        return []
    new_orders = _split(uow, o, [{id_of[c]: q for c, q in pkg.items()} for _, pkg in plan[1:]])
    rule = {"kind": "auto_split", "en": "split by warehouse stock", "zh": "按库存自动拆单"}
    for x, (wh_code, _) in zip((o, *new_orders), plan, strict=True):
        wh = inventory.warehouse_ref(uow, wh_code)
        short = inventory.reserve(
            uow, doc_type=DOC, doc_id=x.id, warehouse_id=wh.id, lines=_doc_lines(uow, x.id), at=utcnow()
        )
        if short is not None:  # stock moved under us: this package waits in the queue
            reason = {
                "code": "out_of_stock",
                "en": "Not enough stock in any one warehouse",
                "zh": "任何一个仓库的库存都不足",
            }
            _move(uow, x, rules.ON_HOLD, why={"reasons": [reason]}, hold_reasons=[reason])
            continue
        _move(
            uow,
            x,
            rules.ALLOCATED,
            why={"warehouse": wh.code, "rule": rule},
            warehouse_id=wh.id,
            route_rule="auto_split:按库存自动拆单",
        )
        x.warehouse = wh.code
    o.split_into = [x.ref for x in new_orders]
    return o.split_into


def _doc_lines(uow: UnitOfWork, order_id: int) -> list[inventory.DocLine]:
    from omnistock.orders.pool import order_lines

    return order_lines(uow, order_id)


# -- merge ------------------------------------------------------------------------------------------


def merge_orders(uow: UnitOfWork, refs: Sequence[str]) -> Taken:
    """Merge unshipped orders of one buyer to one address into a new order (``REF-M1``) that
    ships as one package; the originals wait as merged until it ships or the merge is undone."""
    uow.actor.require("orders.order.review")
    refs = sorted(dict.fromkeys(refs))
    if len(refs) < 2:
        raise _bad("merge_needs_two", "Merging needs at least two orders", "合并至少需要两个订单")
    orders = [locked(uow, r) for r in refs]
    headers = [_header(uow, o.id) for o in orders]
    for o in orders:
        if o.status not in rules.MERGEABLE:
            raise illegal(o, rules.MERGED)
    first = headers[0]
    for h in headers[1:]:
        if (
            h["customer_id"] != first["customer_id"]
            or (h["address_key"] or "") != (first["address_key"] or "")
            or not first["address_key"]
        ):
            raise Conflict(
                "orders.merge_mismatch",
                "Only orders of the same buyer to the same address can be merged ({ref})",
                "只有同一买家、同一地址的订单可以合并（{ref}）",
                ref=h["ref"],
            )
        if h["ship_after"] != first["ship_after"]:
            raise Conflict(
                "orders.merge_presale",
                "Orders with different ship-after days cannot be merged",
                "预售发货日期不同的订单不能合并",
            )
    combined: dict[int, _StoredLine] = {}
    for o in orders:
        if o.status == rules.ALLOCATED:
            inventory.release(uow, doc_type=DOC, doc_id=o.id)
        for x in _lines(uow, o.id):
            have = combined.get(x.sku_id)
            if have is None:
                combined[x.sku_id] = x
            else:
                have.qty += x.qty
                have.revenue += x.revenue
                have.discount += x.discount
                have.price = (have.revenue + have.discount) // have.qty
                if have.bundle != x.bundle:
                    have.bundle, have.bundle_qty = None, None
    ref = _next_ref(uow, orders[0].ref, "M")
    new_id = _new_order(
        uow,
        first,
        ref,
        list(combined.values()),
        status=rules.READY,
        warehouse_id=None,
        shipping_fee_cents=sum(h["shipping_fee_cents"] for h in headers),
        seller_memo=" / ".join(h["seller_memo"] for h in headers if h["seller_memo"])[:500] or None,
        buyer_remark=" / ".join(h["buyer_remark"] for h in headers if h["buyer_remark"])[:500] or None,
    )
    tags = sorted(
        set(
            uow.conn.execute(
                select(order_tag.c.tag).where(order_tag.c.order_id.in_([o.id for o in orders]))
            ).scalars()
        )
    )
    if tags:
        uow.conn.execute(order_tag.insert(), [{"order_id": new_id, "tag": t} for t in tags[:10]])
    uow.audit("orders.order.create", DOC, ref, after={"status": rules.READY, "merged_from": refs})
    for o in orders:
        _move(uow, o, rules.MERGED, why={"into": ref}, merged_into_id=new_id, warehouse_id=None)
    merged = _Order(
        new_id,
        ref,
        rules.READY,
        orders[0].channel,
        None,
        first["ship_after"],
        first["province"],
        first["customer_id"],
    )
    if not (merged.ship_after and merged.ship_after > utcnow().date()):
        allocate(uow, merged)
    return _result(merged)


def unmerge_order(uow: UnitOfWork, ref: str) -> list[Taken]:
    """Undo a merge: the merged order is closed (its reservation released) and the originals come
    back, each routed and allocated again."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    so = sales_order.c
    originals = (
        uow.conn.execute(select(so.ref).where(so.merged_into_id == o.id).order_by(so.ref)).scalars().all()
    )
    if not originals:
        raise _bad(
            "not_merged", "Order {ref} is not a merged order", "订单 {ref} 不是合并生成的订单", ref=o.ref
        )
    if o.status not in rules.MERGEABLE:
        raise illegal(o, rules.CLOSED)
    inventory.release(uow, doc_type=DOC, doc_id=o.id)
    _move(uow, o, rules.CLOSED, why={"reason": "unmerged", "back": list(originals)}, warehouse_id=None)
    out = []
    for r in originals:
        x = locked(uow, r)
        _move(uow, x, rules.READY, why={"unmerged_from": o.ref}, merged_into_id=None)
        if not (x.ship_after and x.ship_after > utcnow().date()):
            allocate(uow, x)
        out.append(_result(x))
    return out
