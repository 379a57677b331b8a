"""Order use cases: channels, customers, and sales orders that reserve, ship, cancel and return
through the inventory service in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import rules as inv_rules
from omnistock.inventory import service as inventory
from omnistock.orders import address, pool, rules
from omnistock.orders.models import (
    channel,
    customer,
    order_payment,
    sales_order,
    sales_order_line,
    sales_return,
)
from omnistock.platform import events
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import to_utc, utcnow
from omnistock.platform.errors import Conflict, Invalid
from omnistock.platform.permissions import register
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

register(
    ("orders.order.read", "查看订单", "View orders"),
    ("orders.order.create", "录入订单", "Create orders"),
    ("orders.order.ship", "订单发货", "Ship orders"),
    ("orders.order.cancel", "取消订单", "Cancel orders"),
    (
        "orders.order.review",
        "审单（挂起、放行、路由、拆单、合单、修改）",
        "Review orders (hold, release, route, split, merge, edit)",
    ),
    ("orders.rule.manage", "管理审单与路由规则、黑名单", "Manage review and routing rules, the blacklist"),
    ("orders.order.return", "订单退货", "Return orders"),
    ("orders.channel.manage", "管理渠道", "Manage channels"),
    ("orders.customer.manage", "管理客户", "Manage customers"),
)

DOC = "sales_order"

_NEW_ORDER = Sql(
    "INSERT INTO sales_order (ref, channel_id, customer_id, warehouse_id, status, ordered_at, total_cents, goods_cents, "
    "paid_cents, paid_at, created_at) VALUES (:ref, :channel_id, :customer_id, :w, :status, :at, :total, :total, :paid, "
    ":at, :now) RETURNING id"
)
_REJECT = Sql(
    "UPDATE sales_order SET status = :status, reject_reason = :reason, closed_at = :at WHERE id = :id"
)
_channels = CodeCache("channel")
_customers = CodeCache("customer")


def _code_id(uow: UnitOfWork, cache: CodeCache, table, code: str, what_en: str, what_zh: str) -> int:
    found = (
        cache.lookup(
            uow, code, lambda: uow.conn.execute(select(table.c.id).where(table.c.code == code)).scalar()
        )
        if isinstance(code, str)
        else None
    )
    if found is None:
        raise Invalid(
            f"orders.unknown_{table.name}",
            f"Unknown {what_en} {{code}}",
            f"未知的{what_zh}：{{code}}",
            code=str(code)[:64],
        )
    return found


def create_channel(uow: UnitOfWork, *, code: str, name: str, kind: str = "other") -> int:
    uow.actor.require("orders.channel.manage")
    if kind not in rules.CHANNEL_KINDS:
        raise Invalid(
            "orders.bad_channel_kind",
            "A channel kind is one of: " + ", ".join(rules.CHANNEL_KINDS),
            "渠道类型必须是以下之一：" + "、".join(rules.CHANNEL_KINDS),
        )
    return _create_master(
        uow, channel, "channel", "渠道", {"code": code, "name": name, "kind": kind, "active": True}
    )


def create_customer(uow: UnitOfWork, *, code: str, name: str, phone: str | None = None) -> int:
    """A customer; a valid mobile number also names them for orders from any channel."""
    uow.actor.require("orders.customer.manage")
    new_id = _create_master(uow, customer, "customer", "客户", {"code": code, "name": name, "phone": phone})
    mobile = address.normalize_phone(phone) if phone else None
    if mobile:
        pool.claim_phone(uow, mobile, new_id)
    return new_id


_INSERT_MASTER = {
    t.name: Sql(
        f"INSERT INTO {t.name} ({', '.join(cols)}, created_at) "
        f"VALUES ({', '.join(':' + c for c in cols)}, :created_at) RETURNING id"
    )
    for t, cols in ((channel, ("code", "name", "kind", "active")), (customer, ("code", "name", "phone")))
}
_MASTER_CACHE = {"channel": _channels, "customer": _customers}


def _create_master(uow: UnitOfWork, table, what_en: str, what_zh: str, row: dict) -> int:
    from omnistock.catalog.rules import check_code

    if check_code(row["code"]) or not row.get("name"):
        raise Invalid(
            f"orders.bad_{what_en}",
            f"A {what_en} needs a valid code and a name",
            f"{what_zh}需要合法的编码和名称",
        )
    r = raw(uow.conn)
    try:
        (new_id,) = r.one(_INSERT_MASTER[table.name], {**row, "created_at": r.dt(utcnow())})
    except r.IntegrityError as exc:  # the code is the only unique column
        raise Conflict(
            f"orders.duplicate_{what_en}",
            f"{what_en} {{code}} already exists",
            f"{what_zh} {{code}} 已存在",
            code=row["code"],
        ) from exc
    _MASTER_CACHE[table.name].put_after_commit(uow, row["code"], new_id)
    uow.audit(f"orders.{what_en}.create", what_en, row["code"], after=row)
    return new_id


@dataclass(frozen=True)
class OrderLineIn:
    sku: str
    qty: int
    unit_price_cents: int


@dataclass
class OrderResult:
    id: int
    ref: str
    status: str
    reject_reason: str | None = None


def place_order(
    uow: UnitOfWork,
    *,
    ref: str,
    channel_code: str,
    customer_code: str,
    warehouse: str,
    lines: Sequence[OrderLineIn],
    at: dt.datetime | None = None,
    paid_cents: int | None = None,
) -> OrderResult:
    """Take an order into the pool: it reserves every line in its warehouse, or is recorded as
    rejected (out of stock) with nothing reserved. ``paid_cents``: what the customer has paid
    (None: all of it); a B2B customer on credit pays the rest after shipment (a receivable)."""
    uow.actor.require("orders.order.create")
    if not isinstance(ref, str) or not ref or len(ref) > 64:
        raise Invalid(
            "orders.bad_ref", "An order needs a number of 1-64 characters", "订单号必须是 1-64 个字符"
        )
    if not lines:
        raise Invalid("orders.no_lines", "An order needs at least one line", "订单至少需要一行商品")
    wh = inventory.warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    uow.actor.require_scope("channel", [channel_code])
    channel_id = _code_id(uow, _channels, channel, channel_code, "channel", "渠道")
    customer_id = _code_id(uow, _customers, customer, customer_code, "customer", "客户")
    if len({ln.sku for ln in lines}) != len(lines):
        raise Invalid(
            "orders.duplicate_sku_line", "The same SKU appears twice in one order", "同一订单中 SKU 重复"
        )
    doc_lines = []
    for i, ln in enumerate(lines, 1):
        sku = catalog.sku_ref(uow, ln.sku)
        if not inv_rules.is_positive_int(ln.qty):
            raise Invalid(
                "orders.bad_quantity",
                "Quantity must be a whole number > 0 (got {value})",
                "数量必须是大于 0 的整数（收到 {value}）",
                value=repr(ln.qty)[:40],
            )
        if not inv_rules.is_non_negative_int(ln.unit_price_cents):
            raise Invalid(
                "orders.bad_price",
                "Unit price must be a whole number of cents ≥ 0",
                "单价必须是不小于 0 的整数（分）",
            )
        doc_lines.append(inventory.DocLine(i, sku, ln.qty))
    # The order's stored lines: a line per SKU sold, a bundle's components in its place.
    stored = [
        pool.OrderLine(d.sku, ln.qty, ln.unit_price_cents, 0, rules.line_revenue(ln.qty, ln.unit_price_cents))
        for d, ln in zip(doc_lines, lines, strict=True)
    ]
    if any(d.sku.kind == "bundle" for d in doc_lines):
        stored = pool.expand_bundles(uow, stored)
        doc_lines = [inventory.DocLine(i, x.sku, x.qty) for i, x in enumerate(stored, 1)]
    at = utcnow() if at is None else to_utc(at)
    total = sum(rules.line_revenue(ln.qty, ln.unit_price_cents) for ln in lines)
    paid = total if paid_cents is None else paid_cents
    if isinstance(paid, bool) or not isinstance(paid, int) or not 0 <= paid <= total:
        raise Invalid(
            "orders.bad_paid",
            "The amount paid must be whole cents from 0 to the order's total",
            "已付金额应为 0 到订单总额之间的整数（分）",
        )
    r = raw(uow.conn)
    try:
        (order_id,) = r.one(
            _NEW_ORDER,
            {
                "ref": ref,
                "channel_id": channel_id,
                "customer_id": customer_id,
                "w": wh.id,
                "status": rules.ALLOCATED,
                "at": r.dt(at),
                "total": total,
                "paid": paid,
                "now": r.dt(utcnow()),
            },
        )
    except r.IntegrityError as exc:
        raise Conflict(
            "orders.duplicate_ref", "Order {ref} already exists", "订单 {ref} 已存在", ref=ref
        ) from exc
    pool.insert_lines(uow, order_id, stored)
    short = inventory.reserve(uow, doc_type=DOC, doc_id=order_id, warehouse_id=wh.id, lines=doc_lines, at=at)
    status, reason = rules.ALLOCATED, None
    if short:
        status = rules.REJECTED
        reason = f"out_of_stock:{short.sku}:{short.wanted}>{short.available}"
        r.queue(_REJECT, {"id": order_id, "status": status, "reason": reason, "at": r.dt(at)})
    uow.audit(
        "orders.order.create",
        "sales_order",
        ref,
        after={
            "status": status,
            "channel": channel_code,
            "customer": customer_code,
            "warehouse": wh.code,
            "lines": [[ln.sku, ln.qty, ln.unit_price_cents] for ln in lines],
            "reason": reason,
        },
    )
    return OrderResult(order_id, ref, status, reason)


_ORDER_FOR_UPDATE = Sql(
    "SELECT id, status, warehouse_id FROM sales_order WHERE ref = :ref",
    pg="SELECT id, status, warehouse_id FROM sales_order WHERE ref = :ref FOR UPDATE",
)


def _order_for_update(uow: UnitOfWork, ref: str) -> tuple[int, str, int]:
    """(id, status, warehouse id) of the order, locked until the transaction ends."""
    row = raw(uow.conn).one(_ORDER_FOR_UPDATE, {"ref": ref}) if isinstance(ref, str) else None
    if row is None:
        raise Invalid("orders.unknown_order", "Unknown order {ref}", "订单 {ref} 不存在", ref=str(ref)[:64])
    return row


def _require_order_scope(uow: UnitOfWork, ref: str) -> None:
    """A user limited to some warehouses or channels may only touch orders inside them."""
    actor = uow.actor
    if actor.allowed("warehouse") is None and actor.allowed("channel") is None:
        return
    row = (
        uow.conn.execute(
            select(sales_order.c.warehouse_id, channel.c.code)
            .select_from(sales_order.join(channel, channel.c.id == sales_order.c.channel_id))
            .where(sales_order.c.ref == ref)
        ).first()
        if isinstance(ref, str)
        else None
    )
    if row is None:
        return  # an unknown order is reported by the caller
    actor.require_scope("warehouse", [inventory.warehouse_code(uow, row.warehouse_id)])
    actor.require_scope("channel", [row.code])


_MARK_SHIPPED = Sql(
    "UPDATE sales_order SET status = 'shipped', shipped_at = :at, updated_at = :at WHERE ref = :ref "
    "AND status = 'allocated' AND (ship_after IS NULL OR ship_after <= :day) "
    "RETURNING id, channel_id, customer_id, total_cents, shipping_fee_cents, paid_cents, warehouse_id, "
    "discount_cents"
)
# An order's payments and tags in one read: ('p', method, cents) and ('t', tag, 0).
_PAYMENTS_AND_TAGS = Sql(
    "SELECT 'p', method, amount_cents, id FROM order_payment WHERE order_id = :order_id "
    "UNION ALL SELECT 't', tag, 0, 0 FROM order_tag WHERE order_id = :order_id ORDER BY 1, 4, 2"
)

SHIPPED_EVENT = "orders.shipped"
RETURNED_EVENT = "orders.returned"


@dataclass(frozen=True)
class OrderShipped:
    """Published as ``orders.shipped`` in the shipment's transaction: what the order is worth.
    ``lines``: (SKU id, revenue: qty × price − discounts); ``payments``: (method, cents);
    ``line_items``: (line number, SKU id, quantity) of the same lines; ``discount_cents``: line and
    order discounts (already off the lines' revenue)."""

    order_id: int
    ref: str
    at: dt.datetime
    channel_id: int
    customer_id: int
    total_cents: int  # Σ line revenue + shipping fee
    shipping_fee_cents: int
    paid_cents: int
    lines: tuple[tuple[int, int], ...]
    payments: tuple[tuple[str, int], ...]
    line_items: tuple[tuple[int, int, int], ...] = ()
    warehouse_id: int | None = None
    discount_cents: int = 0
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderReturned:
    """Published as ``orders.returned``: goods of a shipped order came back and ``refund_cents``
    of its revenue is given back; ``lines``: (SKU id, revenue given back); ``quantities``: (SKU id,
    quantity returned) of the same lines."""

    order_id: int
    ref: str
    return_ref: str
    at: dt.datetime
    channel_id: int
    customer_id: int
    refund_cents: int
    lines: tuple[tuple[int, int], ...]
    quantities: tuple[tuple[int, int], ...] = ()


def _mark_shipped(uow: UnitOfWork, ref: str, at: dt.datetime) -> tuple:
    """Allocated → shipped with one conditional UPDATE (the state machine and the presale day in
    its WHERE); returns (id, channel id, customer id, total, shipping fee, paid)."""
    r = raw(uow.conn)
    params = {"at": r.dt(at), "ref": ref, "day": at.date().isoformat()}
    row = r.one(_MARK_SHIPPED, params) if isinstance(ref, str) else None
    if row is None:
        status = _order_for_update(uow, ref)[1]  # unknown order -> Invalid
        if status == rules.ALLOCATED:
            raise Conflict(
                "orders.presale_not_due",
                "Order {ref} is a presale order; it ships on its ship-after day at the earliest",
                "订单 {ref} 是预售订单，最早在预售发货日发货",
                ref=ref,
            )
        raise Conflict(
            "orders.illegal_transition",
            "Order {ref} is {current}; it cannot become {target}",
            "订单 {ref} 当前状态为 {current_zh}，不能变为 {target_zh}",
            ref=ref,
            current=status,
            target=rules.SHIPPED,
            current_zh=rules.STATUS_NAMES[status][0],
            target_zh=rules.STATUS_NAMES[rules.SHIPPED][0],
        )
    uow.audit(
        "orders.order.shipped",
        "sales_order",
        ref,
        before={"status": rules.ALLOCATED},
        after={"status": rules.SHIPPED, "at": at.isoformat()},
    )
    return row


def ship_order(
    uow: UnitOfWork,
    *,
    ref: str,
    at: dt.datetime | None = None,
    serials: Mapping[str, Sequence[str]] | None = None,
) -> list[inventory.LineCost]:
    """The whole order leaves its warehouse: the reservation is consumed, cost of goods taken.
    ``serials``: for each serial-tracked SKU on the order, the numbers of the units scanned."""
    uow.actor.require("orders.order.ship")
    _require_order_scope(uow, ref)
    at = utcnow() if at is None else to_utc(at)
    order_id, channel_id, customer_id, total, shipping_fee, paid, warehouse_id, discount = _mark_shipped(
        uow, ref, at
    )
    r = raw(uow.conn)
    order_lines = r.all(_ORDER_LINES, {"order_id": order_id})
    by_line = {}
    if serials:
        line_of = {sku_id: line_no for sku_id, line_no, *_ in order_lines}
        for code, numbers in serials.items():
            line_no = line_of.get(catalog.sku_ref(uow, code).id)
            if line_no is None:
                raise Invalid(
                    "orders.sku_not_on_order",
                    "{sku} is not on order {ref}",
                    "{sku} 不在订单 {ref} 中",
                    sku=code,
                    ref=ref,
                )
            by_line[line_no] = list(numbers)
    costs = inventory.ship_reserved(uow, doc_type=DOC, doc_id=order_id, ref=ref, at=at, serials=by_line)
    payments, tags = [], []
    for kind, value, cents, _id in r.all(_PAYMENTS_AND_TAGS, {"order_id": order_id}):
        if kind == "p":
            payments.append((value, cents))
        else:
            tags.append(value)
    events.publish(
        uow,
        SHIPPED_EVENT,
        OrderShipped(
            order_id,
            ref,
            at,
            channel_id,
            customer_id,
            total,
            shipping_fee,
            paid,
            tuple((ln[0], ln[3]) for ln in order_lines),
            tuple(payments),
            tuple((ln[1], ln[0], ln[2]) for ln in order_lines),
            warehouse_id,
            discount,
            tuple(sorted(tags)),
        ),
    )
    return costs


def cancel_order(
    uow: UnitOfWork, *, ref: str, at: dt.datetime | None = None, reason: str | None = None
) -> None:
    """An unshipped order is cancelled and its reservation, if any, released."""
    pool.cancel(uow, ref, reason=reason, at=at)


_ORDER_LINES = Sql(
    "SELECT sku_id, line_no, qty, revenue_cents, returned_qty, returned_revenue_cents FROM sales_order_line "
    "WHERE order_id = :order_id"
)
_ORDER_PARTIES = Sql("SELECT channel_id, customer_id FROM sales_order WHERE id = :id")
_COUNT_RETURNS = Sql("SELECT COUNT(*) FROM sales_return WHERE order_id = :order_id")
_NEW_RETURN = Sql(
    "INSERT INTO sales_return (order_id, ref, at, refund_cents, created_at) "
    "VALUES (:order_id, :ref, :at, :refund, :now) RETURNING id"
)
_NEW_RETURN_LINE = Sql(
    "INSERT INTO sales_return_line (return_id, line_no, qty, revenue_cents) "
    "VALUES (:return_id, :line_no, :qty, :revenue)"
)
_LINE_RETURNED = Sql(
    "UPDATE sales_order_line SET returned_qty = returned_qty + :qty, "
    "returned_revenue_cents = returned_revenue_cents + :revenue WHERE order_id = :order_id AND line_no = :line_no"
)


@dataclass(frozen=True)
class ReturnLineIn:
    sku: str
    qty: int
    serials: Sequence[str] = ()  # serial-tracked SKUs: the units coming back


def return_order(
    uow: UnitOfWork, *, ref: str, lines: Sequence[ReturnLineIn], at: dt.datetime | None = None
) -> dict:
    """Goods of a shipped order come back into its warehouse; revenue and cost of goods are given
    back out of each line's not-yet-returned amounts."""
    uow.actor.require("orders.order.return")
    _require_order_scope(uow, ref)
    order_id, status, warehouse_id = _order_for_update(uow, ref)
    if status not in rules.RETURNABLE:
        raise Conflict(
            "orders.not_shipped",
            "Order {ref} is {state}; only shipped orders take returns",
            "订单 {ref} 当前状态为 {state}，只有已发货订单可以退货",
            ref=ref,
            state=status,
        )
    if not lines:
        raise Invalid("orders.no_lines", "A return needs at least one line", "退货至少需要一行商品")
    if len({ln.sku for ln in lines}) != len(lines):
        raise Invalid(
            "orders.duplicate_sku_line", "The same SKU appears twice in one return", "同一退货单中 SKU 重复"
        )
    r = raw(uow.conn)
    # sku id -> (line no, qty, revenue, returned qty, returned revenue)
    by_sku = {row[0]: row[1:] for row in r.all(_ORDER_LINES, {"order_id": order_id})}
    doc_lines, revenue_back = [], {}
    for ln in lines:
        sku = catalog.sku_ref(uow, ln.sku)
        if not inv_rules.is_positive_int(ln.qty):
            raise Invalid(
                "orders.bad_quantity",
                "Quantity must be a whole number > 0 (got {value})",
                "数量必须是大于 0 的整数（收到 {value}）",
                value=repr(ln.qty)[:40],
            )
        line = by_sku.get(sku.id)
        if line is None:
            raise Invalid(
                "orders.sku_not_on_order",
                "{sku} is not on order {ref}",
                "{sku} 不在订单 {ref} 中",
                sku=ln.sku,
                ref=ref,
            )
        line_no, qty, revenue, returned_qty, returned_revenue = line
        left = qty - returned_qty
        if ln.qty > left:
            raise Invalid(
                "orders.return_exceeds",
                "Cannot return {qty} of {sku}: only {left} not yet returned",
                "{sku} 最多还能退 {left}，不能退 {qty}",
                qty=ln.qty,
                sku=ln.sku,
                left=left,
            )
        revenue_back[line_no] = inv_rules.line_return_share(left, revenue - returned_revenue, ln.qty)
        doc_lines.append(inventory.DocLine(line_no, sku, ln.qty, tuple(ln.serials or ())))
    at = utcnow() if at is None else to_utc(at)
    costs = inventory.return_in(
        uow, doc_type=DOC, doc_id=order_id, ref=ref, warehouse_id=warehouse_id, lines=doc_lines, at=at
    )
    (n,) = r.one(_COUNT_RETURNS, {"order_id": order_id})
    return_ref = f"{ref}-R{n + 1}"
    refund = sum(revenue_back.values())
    (return_id,) = r.one(
        _NEW_RETURN,
        {"order_id": order_id, "ref": return_ref, "at": r.dt(at), "refund": refund, "now": r.dt(utcnow())},
    )
    r.queue_many(
        _NEW_RETURN_LINE,
        [
            {"return_id": return_id, "line_no": c.line_no, "qty": c.qty, "revenue": revenue_back[c.line_no]}
            for c in costs
        ],
    )
    r.queue_many(
        _LINE_RETURNED,
        [
            {"order_id": order_id, "line_no": c.line_no, "qty": c.qty, "revenue": revenue_back[c.line_no]}
            for c in costs
        ],
    )
    result = {
        "ref": return_ref,
        "order": ref,
        "refund_cents": refund,
        "lines": [
            {
                "line_no": c.line_no,
                "qty": c.qty,
                "revenue_cents": revenue_back[c.line_no],
                "cost_cents": c.cost_cents,
            }
            for c in costs
        ],
    }
    uow.audit("orders.order.return", "sales_order", ref, after=result)
    channel_id, customer_id = r.one(_ORDER_PARTIES, {"id": order_id})
    sku_of = {line[0]: sku_id for sku_id, line in by_sku.items()}
    events.publish(
        uow,
        RETURNED_EVENT,
        OrderReturned(
            order_id,
            ref,
            return_ref,
            at,
            channel_id,
            customer_id,
            refund,
            tuple((sku_of[c.line_no], revenue_back[c.line_no]) for c in costs),
            tuple((sku_of[c.line_no], c.qty) for c in costs),
        ),
    )
    return result


# -- what the warehouse side (fulfillment) needs of orders -----------------------------------------


@dataclass(frozen=True)
class SheetLine:
    line_no: int
    sku_id: int
    sku: str
    name: str
    qty: int
    returned_qty: int
    tracking: str  # none | batch | serial


@dataclass(frozen=True)
class OrderSheet:
    """An order as the warehouse sees it: where it goes and what is in it."""

    id: int
    ref: str
    status: str
    warehouse_id: int | None
    ordered_at: dt.datetime
    receiver: str
    phone: str
    province: str
    city: str
    address: str
    remark: str
    lines: tuple[SheetLine, ...]


def order_sheets(
    uow: UnitOfWork,
    *,
    ids: Sequence[int] | None = None,
    refs: Sequence[str] | None = None,
    status: str | None = None,
    warehouse_ids: Sequence[int] | None = None,
    limit: int = 2000,
    lines: bool = True,
) -> list[OrderSheet]:
    """Orders with their lines (``lines=False``: without), by id, by ref or by status (and
    warehouse), oldest first. No permission or scope check: the calling area checks its own."""
    so, ol = sales_order.c, sales_order_line.c
    stmt = select(
        so.id,
        so.ref,
        so.status,
        so.warehouse_id,
        so.ordered_at,
        so.receiver_name,
        so.receiver_phone,
        so.province,
        so.city,
        so.district,
        so.address_detail,
        so.buyer_remark,
    ).order_by(so.ordered_at, so.id)
    if ids is not None:
        stmt = stmt.where(so.id.in_(list(ids)))
    if refs is not None:
        stmt = stmt.where(so.ref.in_([r for r in refs if isinstance(r, str)]))
    if status is not None:
        stmt = stmt.where(so.status == status)
    if warehouse_ids is not None:
        stmt = stmt.where(so.warehouse_id.in_(list(warehouse_ids)))
    heads = uow.conn.execute(stmt.limit(limit)).all()
    by_order: dict[int, list[SheetLine]] = {h.id: [] for h in heads}
    if heads and lines:
        rows = uow.conn.execute(
            select(ol.order_id, ol.line_no, ol.sku_id, ol.qty, ol.returned_qty)
            .where(ol.order_id.in_(list(by_order)))
            .order_by(ol.order_id, ol.line_no)
        )
        skus: dict[int, catalog.Sku] = {}
        for order_id, line_no, sku_id, qty, returned in rows:
            sku = skus.get(sku_id) or skus.setdefault(sku_id, catalog.get_sku(uow, sku_id))
            tracking = catalog.sku_ref_by_id(uow, sku_id).tracking
            by_order[order_id].append(SheetLine(line_no, sku_id, sku.code, sku.name, qty, returned, tracking))
    return [
        OrderSheet(
            h.id,
            h.ref,
            h.status,
            h.warehouse_id,
            h.ordered_at,
            h.receiver_name or "",
            h.receiver_phone or "",
            h.province or "",
            h.city or "",
            " ".join(x for x in (h.province, h.city, h.district, h.address_detail) if x),
            h.buyer_remark or "",
            tuple(by_order[h.id]),
        )
        for h in heads
    ]


def hold_short_pick(uow: UnitOfWork, ref: str, *, sku: str, needed: int, picked: int) -> None:
    """The warehouse could not pick an allocated order's goods: it goes back to the exception queue
    (on hold, reason ``short_pick``) and its reservation is released, as any hold releases it, so
    the stock the system still counts is free to be checked and counted again."""
    uow.actor.require("orders.order.ship")
    o = pool.locked(uow, ref)
    if o.status != rules.ALLOCATED:
        raise pool.illegal(o, rules.ON_HOLD)
    reason = {
        "code": "short_pick",
        "en": f"Short pick: {sku} (needed {needed}, picked {picked})",
        "zh": f"拣货缺货：{sku}（需要 {needed}，实拣 {picked}）",
    }
    pool.hold(uow, o, [reason])


def count_open(uow: UnitOfWork) -> int:
    """Orders waiting to ship, within this actor's warehouses and channels."""
    stmt = select(func.count()).select_from(sales_order).where(sales_order.c.status == rules.ALLOCATED)
    warehouses, channels = uow.actor.allowed("warehouse"), uow.actor.allowed("channel")
    if warehouses is not None:
        ids = [inventory.warehouse_ref(uow, c).id for c in sorted(warehouses) if _known_warehouse(uow, c)]
        stmt = stmt.where(sales_order.c.warehouse_id.in_(ids))
    if channels is not None:
        stmt = stmt.where(
            sales_order.c.channel_id.in_(select(channel.c.id).where(channel.c.code.in_(sorted(channels))))
        )
    return uow.conn.execute(stmt).scalar_one()


def _known_warehouse(uow: UnitOfWork, code: str) -> bool:
    try:
        inventory.warehouse_ref(uow, code)
    except Invalid:
        return False
    return True


def customer_names(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, str]:
    c = customer.c
    return dict(uow.conn.execute(select(c.id, c.name).where(c.id.in_(sorted(set(ids))))).all())


def customer_id(uow: UnitOfWork, code: str) -> int:
    """A customer's id by code; an unknown code is refused (``orders.unknown_customer``)."""
    return _code_id(uow, _customers, customer, code, "customer", "客户")


def customer_refs(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(code, name) of each customer id."""
    c = customer.c
    rows = uow.conn.execute(select(c.id, c.code, c.name).where(c.id.in_(sorted(set(ids))))).all()
    return {i: (code, name) for i, code, name in rows}


def channel_names(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, str]:
    c = channel.c
    return dict(uow.conn.execute(select(c.id, c.name).where(c.id.in_(sorted(set(ids))))).all())


@dataclass(frozen=True)
class ChannelInfo:
    id: int
    code: str
    name: str
    kind: str
    active: bool


def channel_infos(uow: UnitOfWork) -> list[ChannelInfo]:
    """Every channel (id, code, name, kind), by code: for other areas' settings and filters."""
    c = channel.c
    rows = uow.conn.execute(select(c.id, c.code, c.name, c.kind, c.active).order_by(c.code))
    return [ChannelInfo(*r) for r in rows]


def totals(conn) -> dict:
    """Order counts and recognised revenue (shipped, net of returns)."""
    by_status = dict(
        conn.execute(select(sales_order.c.status, func.count()).group_by(sales_order.c.status)).all()
    )
    ol, so = sales_order_line.c, sales_order.c
    revenue = conn.execute(
        select(func.coalesce(func.sum(ol.revenue_cents - ol.returned_revenue_cents), 0))
        .select_from(sales_order_line.join(sales_order, so.id == ol.order_id))
        .where(so.status == rules.SHIPPED)
    ).scalar_one()
    returns = conn.execute(select(func.count()).select_from(sales_return)).scalar_one()
    return {
        "orders_accepted": sum(int(n) for s, n in by_status.items() if s != rules.REJECTED),
        "orders_rejected": int(by_status.get(rules.REJECTED, 0)),
        "shipments": int(by_status.get(rules.SHIPPED, 0)),
        "cancellations": int(by_status.get(rules.CANCELLED, 0)),
        "orders_open": int(by_status.get(rules.ALLOCATED, 0)),
        "returns": int(returns),
        "revenue": int(revenue),
    }


# -- what finance (channel settlement reconciliation) needs of orders -------------------------------


def channel_id(uow: UnitOfWork, code: str) -> int:
    """The id of the channel ``code`` (422 ``orders.unknown_channel`` when there is none)."""
    return _code_id(uow, _channels, channel, code, "channel", "渠道")


@dataclass(frozen=True)
class OrderMoney:
    """An order's money as settlement reconciliation sees it. ``payments``: (method, cents);
    ``refunded_cents``: Σ refunds of its returns. No permission check: finance checks its own."""

    id: int
    ref: str
    external_ref: str | None
    channel_id: int
    status: str
    shipped_at: dt.datetime | None
    total_cents: int
    paid_cents: int
    refunded_cents: int
    payments: tuple[tuple[str, int], ...]


def order_money(
    uow: UnitOfWork,
    *,
    channel_id: int | None = None,
    refs: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
    shipped_before: dt.datetime | None = None,
    shipped_after: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 5000,
) -> list[OrderMoney]:
    """Orders by ``ref`` or ``external_ref`` (``refs``), by id, or shipped in a window (newest id
    first, ``before_id`` for the next batch), optionally of one channel."""
    so = sales_order.c
    stmt = select(
        so.id, so.ref, so.external_ref, so.channel_id, so.status, so.shipped_at, so.total_cents, so.paid_cents
    ).order_by(so.id.desc())
    if channel_id is not None:
        stmt = stmt.where(so.channel_id == channel_id)
    if refs is not None:
        wanted = sorted({r for r in refs if isinstance(r, str) and r})
        if not wanted:
            return []
        stmt = stmt.where((so.ref.in_(wanted)) | (so.external_ref.in_(wanted)))
    if ids is not None:
        stmt = stmt.where(so.id.in_(sorted(set(ids))))
    if shipped_before is not None:
        stmt = stmt.where(so.shipped_at <= shipped_before)
    if shipped_after is not None:
        stmt = stmt.where(so.shipped_at >= shipped_after)
    if shipped_before is not None or shipped_after is not None:
        stmt = stmt.where(so.shipped_at.is_not(None))
    if before_id is not None:
        stmt = stmt.where(so.id < before_id)
    heads = uow.conn.execute(stmt.limit(limit)).all()
    if not heads:
        return []
    order_ids = [h.id for h in heads]
    refunds = dict(
        uow.conn.execute(
            select(sales_return.c.order_id, func.sum(sales_return.c.refund_cents))
            .where(sales_return.c.order_id.in_(order_ids))
            .group_by(sales_return.c.order_id)
        ).all()
    )
    payments: dict[int, list[tuple[str, int]]] = {}
    for oid, method, cents in uow.conn.execute(
        select(order_payment.c.order_id, order_payment.c.method, order_payment.c.amount_cents)
        .where(order_payment.c.order_id.in_(order_ids))
        .order_by(order_payment.c.id)
    ):
        payments.setdefault(oid, []).append((method, int(cents)))
    return [
        OrderMoney(
            h.id,
            h.ref,
            h.external_ref,
            h.channel_id,
            h.status,
            h.shipped_at,
            int(h.total_cents),
            int(h.paid_cents),
            int(refunds.get(h.id) or 0),
            tuple(payments.get(h.id, ())),
        )
        for h in heads
    ]


def channel_codes(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, str]:
    """Channel codes by id."""
    c = channel.c
    if not ids:
        return {}
    return dict(uow.conn.execute(select(c.id, c.code).where(c.id.in_(sorted(set(ids))))).all())


# isort: split
# The order pool (intake, review, routing, the exception queue, split and merge) and what operators
# configure for it are part of this public surface too; importing ``writeback`` registers this
# area's handler of ``fulfillment.shipped`` (shipments written back to their channel).
from omnistock.orders import writeback  # noqa: E402,F401
from omnistock.orders.config import (  # noqa: E402,F401
    add_blacklist,
    delete_route_rule,
    list_blacklist,
    list_route_rules,
    remove_blacklist,
    review_config,
    save_route_rule,
    set_review_rule,
    set_setting,
    settings,
)
from omnistock.orders.pool import (  # noqa: E402,F401
    Taken,
    allocate_due,
    channel_ref,
    close_order,
    complete_order,
    edit_lines,
    edit_order,
    hold_order,
    pay_order,
    receive_order,
    release_order,
    route_order,
)
from omnistock.orders.reshape import merge_orders, split_order, unmerge_order  # noqa: E402,F401
