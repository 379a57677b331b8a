"""The order pool (OMS): orders from every channel taken in, reviewed, routed to a warehouse and
allocated — or put in the exception queue with their reasons — and every later move of an order
until it ships. Each move is checked against ``rules.TRANSITIONS`` and written to the audit log,
which is the order's timeline."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from omnistock.catalog import service as catalog
from omnistock.inventory import rules as inv_rules
from omnistock.inventory import service as inventory
from omnistock.orders import address as addr_rules
from omnistock.orders import config, review_rules, routing_rules, rules
from omnistock.orders.intake import PAYMENT_METHODS, Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.orders.models import (
    channel,
    customer,
    order_payment,
    order_tag,
    sales_order,
    sales_order_line,
)
from omnistock.platform.clock import to_utc, utcnow
from omnistock.platform.errors import AppError, Conflict, Invalid
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

DOC = "sales_order"
MAX_TAGS = 10


@dataclass
class Taken:
    """What intake did with an order: ``created`` is False when it was already in the pool."""

    id: int
    ref: str
    status: str
    created: bool = True
    warehouse: str | None = None
    hold_reasons: list[dict] = field(default_factory=list)
    split_into: list[str] = field(default_factory=list)


def _bad(code: str, en: str, zh: str, /, **params: Any) -> Invalid:
    return Invalid(f"orders.{code}", en, zh, **params)


def _text(value: object, max_len: int, what_en: str, what_zh: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_len:
        raise _bad(
            "bad_text",
            "{what} must be text of at most {max} characters",
            "{what_zh}最多 {max} 个字符",
            what=what_en,
            what_zh=what_zh,
            max=max_len,
        )
    return value.strip()


def _money(value: object, what_en: str, what_zh: str, *, high: int = inv_rules.MAX_UNIT_CENTS * 10) -> int:
    if not inv_rules.is_non_negative_int(value) or value > high:
        raise _bad(
            "bad_money",
            "{what} must be a whole number of cents ≥ 0",
            "{what_zh}必须是不小于 0 的整数（分）",
            what=what_en,
            what_zh=what_zh,
        )
    return value


# -- intake ---------------------------------------------------------------------------------------


@dataclass
class OrderLine:
    sku: catalog.SkuRef
    qty: int
    price: int
    discount: int  # its own and its share of the order's
    revenue: int
    bundle: int | None = None
    bundle_qty: int | None = None

    @property
    def sku_id(self) -> int:
        return self.sku.id


_NEW_LINE = Sql(
    "INSERT INTO sales_order_line (order_id, line_no, sku_id, qty, unit_price_cents, revenue_cents, discount_cents, "
    "returned_qty, returned_revenue_cents, bundle_sku_id, bundle_qty) VALUES (:order_id, :line_no, :sku_id, :qty, "
    ":price, :revenue, :discount, 0, 0, :bundle, :bundle_qty)"
)


def insert_lines(uow: UnitOfWork, order_id: int, lines: Sequence) -> None:
    """Write an order's lines, numbered from 1 (``lines``: anything with sku_id, qty, price,
    revenue, discount, bundle and bundle_qty)."""
    raw(uow.conn).queue_many(
        _NEW_LINE,
        [
            {
                "order_id": order_id,
                "line_no": n,
                "sku_id": x.sku_id,
                "qty": x.qty,
                "price": x.price,
                "revenue": x.revenue,
                "discount": x.discount,
                "bundle": x.bundle,
                "bundle_qty": x.bundle_qty,
            }
            for n, x in enumerate(lines, 1)
        ],
    )


def _checked_lines(uow: UnitOfWork, order: IntakeOrder) -> tuple[list[OrderLine], int, int]:
    """The order's lines with their revenue after discounts (bundles expanded into components),
    the goods amount and the total discount. Refuses anything malformed."""
    return checked_lines(uow, order.lines, order.discount_cents)


def checked_lines(
    uow: UnitOfWork, given: Sequence[IntakeLine], order_discount_cents: object = 0
) -> tuple[list[OrderLine], int, int]:
    """``given`` lines, checked, with the order discount spread over them to the cent and bundles
    expanded: (lines, goods amount, total discount)."""
    if not given:
        raise _bad("no_lines", "An order needs at least one line", "订单至少需要一行商品")
    if len(given) > 500:
        raise _bad("too_many_lines", "An order has at most 500 lines", "一个订单最多 500 行")
    lines: list[OrderLine] = []
    for n, ln in enumerate(given, 1):
        try:
            sku = catalog.resolve_code(uow, ln.sku) if isinstance(ln.sku, str) else None
        except AppError:
            sku = None
        if sku is None:
            raise _bad(
                "unknown_sku",
                "Line {line}: unknown SKU {sku}",
                "第 {line} 行：未知的 SKU {sku}",
                line=n,
                sku=str(ln.sku)[:64],
            )
        if not inv_rules.is_positive_int(ln.qty) or ln.qty > inv_rules.MAX_QTY:
            raise _bad(
                "bad_quantity",
                "Line {line}: quantity must be a whole number > 0 (got {value})",
                "第 {line} 行：数量必须是大于 0 的整数（收到 {value}）",
                line=n,
                value=repr(ln.qty)[:40],
            )
        price = _money(
            ln.unit_price_cents, f"line {n} price", f"第 {n} 行单价", high=inv_rules.MAX_UNIT_CENTS
        )
        discount = _money(ln.discount_cents, f"line {n} discount", f"第 {n} 行优惠")
        amount = ln.qty * price
        if discount > amount:
            raise _bad(
                "discount_exceeds",
                "Line {line}: the discount is more than the line's amount",
                "第 {line} 行：优惠超过了该行金额",
                line=n,
            )
        lines.append(OrderLine(sku, ln.qty, price, discount, amount - discount))
    if len({x.sku.id for x in lines}) != len(lines):
        raise _bad("duplicate_sku_line", "The same SKU appears twice in one order", "同一订单中 SKU 重复")
    goods = sum(x.qty * x.price for x in lines)
    order_discount = _money(order_discount_cents, "order discount", "订单优惠")
    if order_discount > sum(x.revenue for x in lines):
        raise _bad("discount_exceeds", "The order discount is more than its goods", "订单优惠超过了商品金额")
    for x, share in zip(
        lines, rules.spread_discount(order_discount, [x.revenue for x in lines]), strict=True
    ):
        x.discount += share
        x.revenue -= share
    discount = sum(x.discount for x in lines)
    if any(x.sku.kind == "bundle" for x in lines):
        lines = expand_bundles(uow, lines)
    return lines, goods, discount


def expand_bundles(uow: UnitOfWork, lines: list[OrderLine]) -> list[OrderLine]:
    """A bundle line becomes its components' lines: quantity × per-bundle quantity, its revenue
    and discount split by the components' list prices, exactly. A SKU may appear once."""
    kits = catalog.components(uow, [x.sku.id for x in lines if x.sku.kind == "bundle"])
    out: list[OrderLine] = []
    for x in lines:
        if x.sku.kind != "bundle":
            out.append(x)
            continue
        parts = kits[x.sku.id]
        prices = [catalog.get_sku(uow, c.id).price_cents * q for c, q in parts]
        weights = prices if any(prices) else [q for _, q in parts]
        revenues = inv_rules.allocate(x.revenue, weights)
        discounts = inv_rules.allocate(x.discount, weights)
        for (c, q), revenue, discount in zip(parts, revenues, discounts, strict=True):
            qty = x.qty * q
            out.append(OrderLine(c, qty, (revenue + discount) // qty, discount, revenue, x.sku.id, x.qty))
    seen: set[int] = set()
    for x in out:
        if x.sku.id in seen:
            raise _bad(
                "duplicate_sku_line",
                "{sku} appears twice in the order (on its own and in a bundle, or in two bundles)",
                "{sku} 在订单中出现了两次（单独购买又在组合中，或在两个组合中）",
                sku=x.sku.code,
            )
        seen.add(x.sku.id)
    return out


def _checked_payments(payments: Sequence[Payment], at: dt.datetime) -> list[dict]:
    out = []
    for n, p in enumerate(payments, 1):
        if p.method not in PAYMENT_METHODS:
            raise _bad(
                "bad_payment_method",
                "Payment {n}: the method is one of {methods}",
                "第 {n} 笔支付：支付方式必须是 {methods} 之一",
                n=n,
                methods=", ".join(PAYMENT_METHODS),
            )
        if not inv_rules.is_positive_int(p.amount_cents) or p.amount_cents > 10**12:
            raise _bad(
                "bad_payment", "Payment {n}: the amount must be > 0", "第 {n} 笔支付：金额必须大于 0", n=n
            )
        out.append(
            {
                "method": p.method,
                "amount_cents": p.amount_cents,
                "paid_at": to_utc(p.paid_at) if p.paid_at else at,
                "txn_ref": _text(p.txn_ref, 64, "transaction number", "交易号") or None,
            }
        )
    return out


def _checked_tags(tags: Sequence[str]) -> list[str]:
    clean = []
    for t in tags or ():
        t = _text(t, 32, "a tag", "标签")
        if t and t not in clean:
            clean.append(t)
    if len(clean) > MAX_TAGS:
        raise _bad(
            "too_many_tags", "An order has at most {max} tags", "一个订单最多 {max} 个标签", max=MAX_TAGS
        )
    return clean


def _address_row(a: Address | None) -> dict[str, Any]:
    if a is None:
        return {
            k: None
            for k in (
                "receiver_name",
                "receiver_phone",
                "province",
                "city",
                "district",
                "address_detail",
                "address_key",
            )
        }
    province = addr_rules.normalize_province(a.province or "") or _text(a.province, 32, "province", "省份")
    return {
        "receiver_name": _text(a.receiver, 64, "receiver", "收货人"),
        "receiver_phone": _text(a.phone, 32, "receiver phone", "收货电话"),
        "province": province,
        "city": _text(a.city, 64, "city", "城市"),
        "district": _text(a.district, 64, "district", "区县"),
        "address_detail": _text(a.detail, 200, "address", "详细地址"),
        "address_key": addr_rules.address_key(a)[:300],
    }


_FIND_EXTERNAL = Sql(
    "SELECT id, ref, status, warehouse_id FROM sales_order WHERE channel_id = :channel_id AND external_ref = :ext"
)
# The channel, and the order it already sent under this number (if any): one round trip.
_CHANNEL_AND_ORDER = Sql(
    "SELECT c.id, c.code, c.kind, c.adapter, c.active, o.id, o.ref, o.status, o.warehouse_id FROM channel c "
    "LEFT JOIN sales_order o ON o.channel_id = c.id AND o.external_ref = :ext WHERE c.code = :code"
)
_ORDER_COLUMNS = (
    "ref",
    "external_ref",
    "channel_id",
    "customer_id",
    "warehouse_id",
    "status",
    "reject_reason",
    "ordered_at",
    "closed_at",
    "total_cents",
    "goods_cents",
    "discount_cents",
    "shipping_fee_cents",
    "paid_cents",
    "paid_at",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address_detail",
    "address_key",
    "buyer_remark",
    "seller_memo",
    "ship_after",
    "hold_reasons",
    "route_rule",
    "created_at",
    "updated_at",
)
_NEW_ORDER = Sql(
    f"INSERT INTO sales_order ({', '.join(_ORDER_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _ORDER_COLUMNS)}) ON CONFLICT DO NOTHING RETURNING id"
)
_NEW_PAYMENT = Sql(
    "INSERT INTO order_payment (order_id, method, amount_cents, paid_at, txn_ref) "
    "VALUES (:order_id, :method, :amount_cents, :paid_at, :txn_ref)"
)
_NEW_TAG = Sql("INSERT INTO order_tag (order_id, tag) VALUES (:order_id, :tag)")
_UNROUTE = Sql(
    "UPDATE sales_order SET status = :status, warehouse_id = NULL, route_rule = NULL WHERE id = :id"
)


def _existing(uow: UnitOfWork, channel_id: int, ext: str) -> Taken | None:
    row = raw(uow.conn).one(_FIND_EXTERNAL, {"channel_id": channel_id, "ext": ext})
    if row is None:
        return None
    return Taken(row[0], row[1], row[2], created=False, warehouse=_wh_code(uow, row[3]))


def _wh_code(uow: UnitOfWork, warehouse_id: int | None) -> str | None:
    return inventory.warehouse_code(uow, warehouse_id) if warehouse_id else None


def new_ref(at: dt.datetime) -> str:
    """Our order number for an order that came without one: SO + day + 8 random hex digits."""
    return f"SO{at:%y%m%d}{secrets.token_hex(4).upper()}"


def receive_order(uow: UnitOfWork, order: IntakeOrder, *, on_short: str = "hold") -> Taken:
    """Take an order into the pool, whatever channel it came from.

    Idempotent on (channel, external order number): a second delivery returns the first order.
    The buyer becomes a customer, one per mobile number across channels. A fully paid order is
    reviewed by the auto-review rules; one that passes is routed to a warehouse and its stock
    reserved, in this transaction. An order that fails review, or that no warehouse can fill,
    waits in the exception queue with its reasons (``on_short="reject"`` records it as rejected
    instead, ``"refuse"`` refuses it with nothing written).

    The hot path of every channel: everything is decided before anything is written, the order
    row is inserted in the state it ends in, every statement is prepared SQL — a constant number
    of statements plus one per line (``tests/orders/test_statement_count.py``).
    """
    uow.actor.require("orders.order.create")
    if on_short not in rules.ON_SHORT:
        raise _bad(
            "bad_on_short",
            "on_short is one of: hold, reject, refuse",
            "on_short 必须是 hold、reject 或 refuse",
        )
    uow.actor.require_scope("channel", [order.channel])
    ext = order.external_ref
    if ext is not None and (not isinstance(ext, str) or not 0 < len(ext) <= 64):
        raise _bad(
            "bad_external_ref", "The channel order number has 1-64 characters", "渠道订单号必须是 1-64 个字符"
        )
    ch, found = _channel_and_order(uow, order.channel, ext)
    if found is not None:
        return found
    with uow.audit_batch():
        return _take(uow, ch, order, on_short)


def _take(uow: UnitOfWork, ch: ChannelRef, order: IntakeOrder, on_short: str) -> Taken:
    r = raw(uow.conn)
    ext = order.external_ref
    at = to_utc(order.ordered_at) if order.ordered_at else utcnow()
    ref = order.ref or new_ref(at)
    if not isinstance(ref, str) or not 0 < len(ref) <= 64:
        raise _bad("bad_ref", "An order needs a number of 1-64 characters", "订单号必须是 1-64 个字符")
    lines, goods, discount = _checked_lines(uow, order)
    shipping = _money(order.shipping_fee_cents, "shipping fee", "运费")
    payments = _checked_payments(order.payments, at)
    tags = _checked_tags(order.tags)
    address = _address_row(order.address)
    wh = inventory.warehouse_ref(uow, order.warehouse) if order.warehouse else None
    if wh is not None:
        uow.actor.require_scope("warehouse", [wh.code])
    total = rules.payable(goods, discount, shipping)
    paid = sum(p["amount_cents"] for p in payments)
    cleared = rules.cleared_to_ship(paid, total, ch.kind)
    if on_short == "refuse" and wh is not None and cleared:
        _refuse_if_short(uow, wh.id, lines)
    customer_id, known = customer_for(uow, ch.id, order)
    o = _Order(
        0, ref, rules.PENDING_PAYMENT, ch.code, None, order.ship_after, address["province"], customer_id
    )
    doc_lines = [inventory.DocLine(n, x.sku, x.qty) for n, x in enumerate(lines, 1)]

    # Decide: the moves the order makes now (for its timeline), and where it ships from.
    moves: list[tuple[str, dict | None]] = []
    route = None
    if cleared:
        moves.append(
            (rules.PAID, {"paid_cents": paid} if paid >= total else {"paid_cents": paid, "on_account": True})
        )
        mine = frozenset((x.sku.id, x.qty) for x in lines)
        reasons = _review_reasons(uow, o, order, total, mine, known_customer=known)
        if reasons:
            moves.append((rules.ON_HOLD, {"reasons": reasons}))
            o.hold_reasons = reasons
        else:
            moves.append((rules.READY, None))
            if not (o.ship_after and o.ship_after > utcnow().date()):
                route = next(iter(_candidates(uow, o, doc_lines, wh)), None)
    status = rules.ALLOCATED if route else moves[-1][0] if moves else rules.PENDING_PAYMENT
    wh_route = inventory.warehouse_ref(uow, route[0]) if route else None
    now = r.dt(utcnow())
    row = {
        "ref": ref,
        "external_ref": ext,
        "channel_id": ch.id,
        "customer_id": customer_id,
        "warehouse_id": wh_route.id if wh_route else wh.id if wh else None,
        "status": status,
        "reject_reason": None,
        "ordered_at": r.dt(at),
        "closed_at": None,
        "total_cents": total,
        "goods_cents": goods,
        "discount_cents": discount,
        "shipping_fee_cents": shipping,
        "paid_cents": paid,
        "paid_at": r.dt(max((p["paid_at"] for p in payments), default=None)) if paid >= total else None,
        "buyer_remark": _text(order.buyer_remark, 500, "buyer remark", "买家留言") or None,
        "seller_memo": _text(order.seller_memo, 500, "seller memo", "卖家备注") or None,
        "ship_after": r.day(order.ship_after),
        "hold_reasons": r.json(o.hold_reasons) if o.hold_reasons else None,
        "route_rule": _rule_label(route[1]) if route else None,
        "created_at": now,
        "updated_at": now,
        **address,
    }
    new_id = r.one(_NEW_ORDER, row)
    if new_id is None:  # a concurrent twin (same channel order number) won: return it
        if ext is not None and (twin := _existing(uow, ch.id, ext)) is not None:
            return twin
        raise Conflict("orders.duplicate_ref", "Order {ref} already exists", "订单 {ref} 已存在", ref=ref)
    o.id = new_id[0]
    insert_lines(uow, o.id, lines)
    r.queue_many(_NEW_PAYMENT, [{"order_id": o.id, **p, "paid_at": r.dt(p["paid_at"])} for p in payments])
    r.queue_many(_NEW_TAG, [{"order_id": o.id, "tag": t} for t in tags])
    uow.audit(
        "orders.order.create",
        DOC,
        ref,
        after={
            "status": rules.PENDING_PAYMENT,
            "channel": ch.code,
            "external_ref": ext,
            "total_cents": total,
            "paid_cents": paid,
            "lines": [[x.sku.code, x.qty, x.price, x.discount] for x in lines],
        },
    )
    for target, why in moves:
        _moved(uow, o, target, why)
    if route is not None:
        short = inventory.reserve(
            uow, doc_type=DOC, doc_id=o.id, warehouse_id=wh_route.id, lines=doc_lines, at=utcnow()
        )
        if short is None:
            _moved(uow, o, rules.ALLOCATED, {"warehouse": wh_route.code, "rule": route[1]})
            o.warehouse = wh_route.code
        else:  # taken meanwhile by a concurrent order: back to ready, then the full allocation
            r.queue(_UNROUTE, {"status": rules.READY, "id": o.id})
            allocate(uow, o, warehouse=wh, on_short=on_short)
    elif o.status == rules.READY and not (o.ship_after and o.ship_after > utcnow().date()):
        allocate(uow, o, warehouse=wh, on_short=on_short)  # no warehouse can fill it: on_short says
    return Taken(
        o.id, o.ref, o.status, warehouse=o.warehouse, hold_reasons=o.hold_reasons, split_into=o.split_into
    )


def _moved(uow: UnitOfWork, o: _Order, target: str, why: dict | None) -> None:
    """Put a move the order made on its timeline (its row already says so)."""
    if not rules.can_move(o.status, target):
        raise illegal(o, target)
    uow.audit(
        f"orders.order.{target}",
        DOC,
        o.ref,
        before={"status": o.status},
        after={"status": target, **(why or {})},
    )
    o.status = target


def _refuse_if_short(uow: UnitOfWork, warehouse_id: int, lines: list[OrderLine]) -> None:
    """A flash sale's fast path: refuse before writing anything when the warehouse plainly lacks
    the stock (the reservation itself still decides, under concurrency, for the ones let through)."""
    free = inventory.sellable(uow, [x.sku.id for x in lines])
    code = inventory.warehouse_code(uow, warehouse_id)
    if any(free.get(code, {}).get(x.sku.id, 0) < x.qty for x in lines):
        raise Conflict("orders.out_of_stock", "Not enough stock for this order", "库存不足，无法下单")


# -- customers: one per mobile number across channels ---------------------------------------------


@dataclass(frozen=True)
class ChannelRef:
    id: int
    code: str
    kind: str
    adapter: str | None


def _channel_and_order(uow: UnitOfWork, code: str, ext: str | None) -> tuple[ChannelRef, Taken | None]:
    """The channel (refused when unknown or switched off) and the order it already sent as
    ``ext``, if any."""
    row = raw(uow.conn).one(_CHANNEL_AND_ORDER, {"code": code, "ext": ext}) if isinstance(code, str) else None
    if row is None:
        raise _bad("unknown_channel", "Unknown channel {code}", "未知的渠道：{code}", code=str(code)[:64])
    if not row[4]:
        raise Conflict(
            "orders.channel_inactive", "Channel {code} is switched off", "渠道 {code} 已停用", code=code
        )
    found = None
    if row[5] is not None:
        found = Taken(row[5], row[6], row[7], created=False, warehouse=_wh_code(uow, row[8]))
    return ChannelRef(row[0], row[1], row[2], row[3]), found


def channel_ref(uow: UnitOfWork, code: str) -> ChannelRef:
    return _channel_and_order(uow, code, None)[0]


def on_conflict_nothing(uow: UnitOfWork, table, row: dict):
    """``INSERT … ON CONFLICT DO NOTHING`` of ``row`` into ``table``, for either dialect."""
    if uow.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**row).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(**row).on_conflict_do_nothing()


_CUSTOMER_BY_CODE = Sql("SELECT id FROM customer WHERE code = :code")
# The buyer's channel identity first, else their mobile number (the same person elsewhere).
_FIND_BUYER = Sql(
    "SELECT 1, customer_id FROM customer_identity WHERE channel_id = :channel_id AND external_id = :ext "
    "UNION ALL SELECT 2, customer_id FROM customer_phone WHERE phone = :phone"
)
_NEW_IDENTITY = Sql(
    "INSERT INTO customer_identity (channel_id, external_id, customer_id, created_at) "
    "VALUES (:channel_id, :ext, :customer_id, :now) ON CONFLICT DO NOTHING"
)
_NEW_CUSTOMER = Sql(
    "INSERT INTO customer (code, name, phone, created_at) VALUES (:code, :name, :phone, :now) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
_CLAIM_PHONE = Sql(
    "INSERT INTO customer_phone (phone, customer_id) VALUES (:phone, :customer_id) "
    "ON CONFLICT DO NOTHING RETURNING customer_id"
)
_PHONE_OWNER = Sql("SELECT customer_id FROM customer_phone WHERE phone = :phone")
_DROP_CUSTOMER = Sql("DELETE FROM customer WHERE id = :id")


def customer_for(uow: UnitOfWork, channel_id: int, order: IntakeOrder) -> tuple[int, bool]:
    """The customer an order's buyer is, and whether they were known before: found by their id on
    this channel, else by mobile number (the same person on another channel), else created.
    Their channel identity and number are recorded so the next order finds them."""
    r = raw(uow.conn)
    if order.customer is not None:
        found = (
            r.one(_CUSTOMER_BY_CODE, {"code": order.customer}) if isinstance(order.customer, str) else None
        )
        if found is None:
            raise _bad(
                "unknown_customer",
                "Unknown customer {code}",
                "未知的客户：{code}",
                code=str(order.customer)[:64],
            )
        return found[0], True
    b = order.buyer
    ext = _text(b.external_id, 64, "buyer id", "买家 ID") or None
    # An invalid number is kept on the order; it names no customer.
    phone = addr_rules.normalize_phone(b.phone) if b.phone else None
    name = (
        _text(b.name, 200, "buyer name", "买家姓名")
        or (order.address.receiver if order.address else "")
        or "—"
    )
    hits = (
        dict(r.all(_FIND_BUYER, {"channel_id": channel_id, "ext": ext, "phone": phone}))
        if ext or phone
        else {}
    )
    found = hits.get(1, hits.get(2))
    known = found is not None
    if found is None:
        found = _new_customer(uow, name, phone)
    if ext and 1 not in hits:
        r.queue(
            _NEW_IDENTITY, {"channel_id": channel_id, "ext": ext, "customer_id": found, "now": r.dt(utcnow())}
        )
    return found, known


def claim_phone(uow: UnitOfWork, phone: str, customer_id: int) -> bool:
    """Make ``phone`` (normalised) name this customer; False when it already names one."""
    return raw(uow.conn).one(_CLAIM_PHONE, {"phone": phone, "customer_id": customer_id}) is not None


def _new_customer(uow: UnitOfWork, name: str, phone: str | None) -> int:
    r = raw(uow.conn)
    code = f"C{phone}" if phone else f"C{secrets.token_hex(5).upper()}"
    row = {"code": code, "name": name[:200], "phone": phone, "now": r.dt(utcnow())}
    new_id = r.one(_NEW_CUSTOMER, row)
    if new_id is None:  # the code is taken (by hand, or a concurrent order of the same buyer)
        code = row["code"] = f"C{secrets.token_hex(5).upper()}"
        new_id = r.one(_NEW_CUSTOMER, row)
    new_id = new_id[0]
    if phone and not claim_phone(uow, phone, new_id):
        # A concurrent order made this buyer first: use theirs.
        r.queue(_DROP_CUSTOMER, {"id": new_id})
        return r.one(_PHONE_OWNER, {"phone": phone})[0]
    uow.audit(
        "orders.customer.create", "customer", code, after={"name": name, "phone": phone, "source": "order"}
    )
    return new_id


# -- moves ------------------------------------------------------------------------------------------


@dataclass
class _Order:
    id: int
    ref: str
    status: str
    channel: str
    warehouse: str | None
    ship_after: dt.date | None
    province: str | None
    customer_id: int
    hold_reasons: list[dict] = field(default_factory=list)
    split_into: list[str] = field(default_factory=list)


_LOCKED = Sql(
    "SELECT o.id, o.ref, o.status, c.code, o.warehouse_id, o.ship_after, o.province, o.customer_id "
    "FROM sales_order o JOIN channel c ON c.id = o.channel_id WHERE o.ref = :ref",
    pg="SELECT o.id, o.ref, o.status, c.code, o.warehouse_id, o.ship_after, o.province, o.customer_id "
    "FROM sales_order o JOIN channel c ON c.id = o.channel_id WHERE o.ref = :ref FOR UPDATE OF o",
)


def locked(uow: UnitOfWork, ref: str) -> _Order:
    """The order, locked for this transaction (404-style Invalid when unknown; scope-checked)."""
    row = raw(uow.conn).one(_LOCKED, {"ref": ref}) if isinstance(ref, str) else None
    if row is None:
        raise _bad("unknown_order", "Unknown order {ref}", "订单 {ref} 不存在", ref=str(ref)[:64])
    ship_after = raw(uow.conn).read_day(row[5])
    o = _Order(row[0], row[1], row[2], row[3], _wh_code(uow, row[4]), ship_after, row[6], row[7])
    uow.actor.require_scope("channel", [o.channel])
    if o.warehouse:
        uow.actor.require_scope("warehouse", [o.warehouse])
    return o


def illegal(o: _Order, target: str) -> Conflict:
    return Conflict(
        "orders.illegal_transition",
        "Order {ref} is {current}; it cannot become {target}",
        "订单 {ref} 当前状态为 {current_zh}，不能变为 {target_zh}",
        ref=o.ref,
        current=o.status,
        target=target,
        current_zh=rules.STATUS_NAMES[o.status][0],
        target_zh=rules.STATUS_NAMES[target][0],
    )


def _move(uow: UnitOfWork, o: _Order, target: str, *, why: dict | None = None, **cols: Any) -> None:
    """Move the order to ``target`` if the state machine allows it, with one conditional UPDATE
    (a concurrent move makes it fail cleanly), and put the move on the timeline."""
    if not rules.can_move(o.status, target):
        raise illegal(o, target)
    values = {"status": target, "updated_at": utcnow(), **cols}
    if target in (rules.CANCELLED, rules.CLOSED, rules.REJECTED):
        values.setdefault("closed_at", utcnow())
    if target == rules.READY or target == rules.ALLOCATED:
        values.setdefault("hold_reasons", None)
    r = raw(uow.conn)
    params = {k: _stored(r, v) for k, v in values.items()}
    done = r.execute(_move_sql(tuple(values)), {**params, "_id": o.id, "_from": o.status})
    if done != 1:
        raise Conflict(
            "orders.changed_meanwhile",
            "Order {ref} was changed by someone else; reload it",
            "订单 {ref} 已被其他人修改，请刷新后重试",
            ref=o.ref,
        )
    _moved(uow, o, target, why)


@functools.cache
def _move_sql(columns: tuple[str, ...]) -> Sql:
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    return Sql(f"UPDATE sales_order SET {sets} WHERE id = :_id AND status = :_from")


def _stored(r, value: Any):
    """A column value as prepared SQL takes it."""
    if isinstance(value, dt.datetime):
        return r.dt(value)
    if isinstance(value, dt.date):
        return r.day(value)
    if isinstance(value, dict | list):
        return r.json(value)
    return value


def hold(uow: UnitOfWork, o: _Order, reasons: list[dict]) -> None:
    """Put the order in the exception queue with ``reasons``, releasing its reservation if any."""
    if o.status == rules.ALLOCATED:
        inventory.release(uow, doc_type=DOC, doc_id=o.id)
    _move(uow, o, rules.ON_HOLD, why={"reasons": reasons}, hold_reasons=reasons)
    o.hold_reasons = reasons


def _review_and_allocate(
    uow: UnitOfWork, o: _Order, order: IntakeOrder, total: int, *, designated, on_short: str
) -> None:
    """Review an order that has just been paid in full (stored already), then allocate it."""
    reasons = _review_reasons(uow, o, order, total, _line_set(uow, [o.id])[o.id], known_customer=True)
    if reasons:
        hold(uow, o, reasons)
        return
    _move(uow, o, rules.READY)
    if o.ship_after and o.ship_after > utcnow().date():
        return  # presale: allocated when its day comes (or by hand)
    allocate(uow, o, warehouse=designated, on_short=on_short)


def _review_reasons(
    uow: UnitOfWork, o: _Order, order: IntakeOrder, total: int, mine: frozenset, *, known_customer: bool
) -> list[dict]:
    """Why the auto-review rules hold the order (none: it passes). ``mine``: its (SKU id, qty)
    pairs; a customer created by this order has no earlier orders to be a duplicate of."""
    rule_set = config.review_config(uow)
    facts = review_rules.ReviewFacts(
        order=order,
        payable_cents=total,
        blacklist_hits=tuple(config.blacklist_hits(uow, review_rules.blacklist_candidates(order))),
        duplicate_refs=tuple(_duplicates(uow, o, order, rule_set, mine) if known_customer else ()),
    )
    return [{"code": r.code, "en": r.en, "zh": r.zh} for r in review_rules.evaluate(rule_set, facts)]


_DEAD = (rules.CANCELLED, rules.CLOSED, rules.REJECTED, rules.MERGED)
_LOOK_ALIKES = Sql(
    "SELECT id, ref FROM sales_order WHERE customer_id = :customer_id AND id <> :id AND address_key = :key "
    f"AND created_at >= :since AND status NOT IN ({', '.join(repr(x) for x in _DEAD)}) LIMIT 20"
)


def _duplicates(
    uow: UnitOfWork, o: _Order, order: IntakeOrder, rule_set: list[review_rules.RuleConfig], mine: frozenset
) -> list[str]:
    """Earlier live orders of the same customer to the same address with the same lines, within
    the duplicate rule's window."""
    rule = next((r for r in rule_set if r.kind == "possible_duplicate"), None)
    if rule is None or not rule.enabled or order.address is None:
        return []
    r = raw(uow.conn)
    since = utcnow() - dt.timedelta(hours=int(rule.params.get("window_hours", 24)))
    key = addr_rules.address_key(order.address)[:300]
    rows = r.all(_LOOK_ALIKES, {"customer_id": o.customer_id, "id": o.id, "key": key, "since": r.dt(since)})
    if not rows:
        return []
    theirs = _line_set(uow, [i for i, _ in rows])
    return [ref for i, ref in rows if theirs.get(i) == mine]


def _line_set(uow: UnitOfWork, ids: list[int]) -> dict[int, frozenset]:
    ol = sales_order_line.c
    out: dict[int, set] = {i: set() for i in ids}
    for oid, sku, qty in uow.conn.execute(select(ol.order_id, ol.sku_id, ol.qty).where(ol.order_id.in_(ids))):
        out[oid].add((sku, qty))
    return {k: frozenset(v) for k, v in out.items()}


def order_lines(uow: UnitOfWork, order_id: int) -> list[inventory.DocLine]:
    ol = sales_order_line.c
    rows = uow.conn.execute(
        select(ol.line_no, ol.sku_id, ol.qty).where(ol.order_id == order_id).order_by(ol.line_no)
    ).all()
    return [inventory.DocLine(n, catalog.sku_ref_by_id(uow, s), q) for n, s, q in rows]


def _candidates(
    uow: UnitOfWork, o: _Order, lines: list[inventory.DocLine], warehouse
) -> list[tuple[str, dict]]:
    """Where the order may ship from, as (warehouse code, the rule that chose it): the warehouse
    named, else the routing rules' choice — the configured rules first, then any one warehouse
    able to fill it all. Empty when none can."""
    if warehouse is not None:
        return [(warehouse.code, {"kind": "designated", "en": "designated warehouse", "zh": "指定仓库"})]
    stock = _stock_by_code(uow, lines)
    facts = routing_rules.RouteFacts(
        channel=o.channel, province=o.province, lines={d.sku.code: d.qty for d in lines}
    )
    route = routing_rules.choose(config.route_rules(uow), facts, stock) or routing_rules.choose(
        (), facts, stock
    )
    if route is None:
        return []
    return [
        (
            route.warehouse,
            {"kind": route.rule_kind, "id": route.rule_id, "en": route.label_en, "zh": route.label_zh},
        )
    ]


def _rule_label(rule: dict) -> str:
    label = rule["zh"] if rule.get("zh") else rule["kind"]
    return f"{rule['kind']}:{label}"[:120]


def allocate(uow: UnitOfWork, o: _Order, *, warehouse=None, on_short: str = "hold") -> bool:
    """Route a ready order to a warehouse and reserve its stock there (True), or deal with the
    shortage as ``on_short`` says: hold it in the exception queue (auto-splitting it over
    warehouses first when that setting is on), reject it, or refuse it."""
    lines = order_lines(uow, o.id)
    for code, rule in _candidates(uow, o, lines, warehouse):
        wh = inventory.warehouse_ref(uow, code)
        short = inventory.reserve(
            uow, doc_type=DOC, doc_id=o.id, warehouse_id=wh.id, lines=lines, at=utcnow()
        )
        if short is None:
            _move(
                uow,
                o,
                rules.ALLOCATED,
                why={"warehouse": wh.code, "rule": rule},
                warehouse_id=wh.id,
                route_rule=_rule_label(rule),
            )
            o.warehouse = wh.code
            return True
    if on_short == "refuse":
        raise Conflict("orders.out_of_stock", "Not enough stock for this order", "库存不足，无法下单")
    if on_short == "reject":
        _move(uow, o, rules.REJECTED, why={"reason": "out_of_stock"}, reject_reason="out_of_stock")
        return False
    if warehouse is None and config.setting(uow, "auto_split"):
        from omnistock.orders import reshape

        parts = reshape.auto_split(uow, o, lines)
        if parts:
            return True
    reason = {
        "code": "out_of_stock",
        "en": "Not enough stock in any one warehouse",
        "zh": "任何一个仓库的库存都不足",
    }
    if o.status == rules.READY:
        _move(uow, o, rules.ON_HOLD, why={"reasons": [reason]}, hold_reasons=[reason])
    o.hold_reasons = [reason]
    return False


def _stock_by_code(uow: UnitOfWork, lines: list[inventory.DocLine]) -> dict[str, dict[str, int]]:
    code_of = {d.sku.id: d.sku.code for d in lines}
    free = inventory.sellable(uow, list(code_of))
    return {w: {code_of[s]: q for s, q in per.items()} for w, per in free.items()}


# -- what operators do to an order -----------------------------------------------------------------


def _result(o: _Order) -> Taken:
    return Taken(o.id, o.ref, o.status, False, o.warehouse, o.hold_reasons, o.split_into)


def pay_order(
    uow: UnitOfWork, ref: str, *, method: str, amount_cents: int, txn_ref: str | None = None
) -> Taken:
    """Record a payment of an order waiting for one; paid in full, it is reviewed and routed."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    if o.status != rules.PENDING_PAYMENT:
        raise illegal(o, rules.PAID)
    (p,) = _checked_payments([Payment(method, amount_cents, None, txn_ref)], utcnow())
    uow.conn.execute(order_payment.insert().values(order_id=o.id, **p))
    so = sales_order.c
    total, paid = uow.conn.execute(
        update(sales_order)
        .where(so.id == o.id)
        .values(paid_cents=so.paid_cents + p["amount_cents"])
        .returning(so.total_cents, so.paid_cents)
    ).one()
    uow.audit("orders.order.payment", DOC, o.ref, after={"method": method, "amount_cents": amount_cents})
    if paid >= total:
        _move(uow, o, rules.PAID, why={"paid_cents": paid}, paid_at=utcnow())
        _review_and_allocate(
            uow, o, stored_intake(uow, o.id), total, designated=_designated(uow, o), on_short="hold"
        )
    return _result(o)


def _designated(uow: UnitOfWork, o: _Order):
    return inventory.warehouse_ref(uow, o.warehouse) if o.warehouse else None


def hold_order(uow: UnitOfWork, ref: str, *, reason: str) -> Taken:
    """An operator stops an order (its reservation, if any, is released) with a reason."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    text = _text(reason, 200, "reason", "原因")
    if not text:
        raise _bad("reason_required", "Say why the order is held", "请填写挂起原因")
    hold(uow, o, [{"code": "manual", "en": text, "zh": text}])
    return _result(o)


def release_order(uow: UnitOfWork, ref: str, *, warehouse: str | None = None) -> Taken:
    """An operator has checked an order in the exception queue: it is routed and allocated now
    (a ship-after day in the future keeps it waiting), or comes back with the stock reason."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    if o.status != rules.ON_HOLD:
        raise illegal(o, rules.READY)
    _move(uow, o, rules.READY, why={"released": True})
    if not (o.ship_after and o.ship_after > utcnow().date()):
        allocate(uow, o, warehouse=_warehouse(uow, warehouse))
    return _result(o)


def _warehouse(uow: UnitOfWork, code: str | None):
    if not code:
        return None
    wh = inventory.warehouse_ref(uow, code)
    uow.actor.require_scope("warehouse", [wh.code])
    return wh


def route_order(uow: UnitOfWork, ref: str, *, warehouse: str | None = None) -> Taken:
    """Allocate a ready order now — by the routing rules, or from the warehouse named — or move an
    allocated one to another warehouse (its reservation moves with it)."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    if o.status == rules.ALLOCATED:
        inventory.release(uow, doc_type=DOC, doc_id=o.id)
        _move(uow, o, rules.READY, why={"reroute": True}, warehouse_id=None)
    elif o.status != rules.READY:
        raise illegal(o, rules.ALLOCATED)
    allocate(uow, o, warehouse=_warehouse(uow, warehouse))
    return _result(o)


def complete_order(uow: UnitOfWork, ref: str) -> Taken:
    """The buyer has the goods (签收)."""
    uow.actor.require("orders.order.ship")
    o = locked(uow, ref)
    _move(uow, o, rules.COMPLETED)
    return _result(o)


def close_order(uow: UnitOfWork, ref: str, *, reason: str = "unpaid") -> Taken:
    """An order never paid is closed."""
    uow.actor.require("orders.order.cancel")
    o = locked(uow, ref)
    if o.status != rules.PENDING_PAYMENT:
        raise illegal(o, rules.CLOSED)
    _move(uow, o, rules.CLOSED, why={"reason": _text(reason, 200, "reason", "原因")})
    return _result(o)


def cancel(uow: UnitOfWork, ref: str, *, reason: str | None = None, at: dt.datetime | None = None) -> Taken:
    """An unshipped order is cancelled; its reservation, if any, released."""
    uow.actor.require("orders.order.cancel")
    o = locked(uow, ref)
    if not rules.can_move(o.status, rules.CANCELLED):
        raise illegal(o, rules.CANCELLED)
    inventory.release(uow, doc_type=DOC, doc_id=o.id)
    why = {"reason": _text(reason, 200, "reason", "原因")} if reason else {}
    at = to_utc(at) if at else utcnow()
    _move(uow, o, rules.CANCELLED, why={**why, "at": at.isoformat()}, closed_at=at)
    return _result(o)


_EDITABLE = (rules.PENDING_PAYMENT, rules.PAID, rules.ON_HOLD, rules.READY, rules.ALLOCATED)


def _editable(uow: UnitOfWork, ref: str) -> _Order:
    """The order, locked, for an operator to correct: refused once it has shipped (or ended)."""
    uow.actor.require("orders.order.review")
    o = locked(uow, ref)
    if o.status not in _EDITABLE:
        raise Conflict(
            "orders.not_editable",
            "Order {ref} is {state}; only unshipped orders can be edited",
            "订单 {ref} 当前状态为 {state_zh}，只有未发货订单可以修改",
            ref=o.ref,
            state=o.status,
            state_zh=rules.STATUS_NAMES[o.status][0],
        )
    return o


def edit_order(
    uow: UnitOfWork,
    ref: str,
    *,
    address=None,
    seller_memo: str | None = None,
    tags: Sequence[str] | None = None,
    ship_after: dt.date | None | type(...) = ...,
) -> Taken:
    """Correct an unshipped order: the delivery address, the seller's memo, tags, ship-after day.
    Every change is on the timeline with the values before and after."""
    o = _editable(uow, ref)
    so = sales_order.c
    values: dict[str, Any] = {}
    if address is not None:
        values.update(_address_row(address))
        o.province = values["province"]
    if seller_memo is not None:
        values["seller_memo"] = _text(seller_memo, 500, "seller memo", "卖家备注") or None
    if ship_after is not ...:
        values["ship_after"] = ship_after
    cols = [getattr(so, k) for k in values]
    before = (
        dict(zip(values, uow.conn.execute(select(*cols).where(so.id == o.id)).one(), strict=True))
        if cols
        else {}
    )
    if values:
        uow.conn.execute(update(sales_order).where(so.id == o.id).values(**values, updated_at=utcnow()))
    if tags is not None:
        clean = _checked_tags(tags)
        old = sorted(uow.conn.execute(select(order_tag.c.tag).where(order_tag.c.order_id == o.id)).scalars())
        uow.conn.execute(order_tag.delete().where(order_tag.c.order_id == o.id))
        if clean:
            uow.conn.execute(order_tag.insert(), [{"order_id": o.id, "tag": t} for t in clean])
        before["tags"], values["tags"] = old, clean
    if not values:
        raise _bad("nothing_to_change", "Nothing to change", "没有要修改的内容")
    uow.audit("orders.order.edit", DOC, o.ref, before=_plain(before), after=_plain(values))
    return _result(o)


_ORDER_MONEY = Sql(
    "SELECT goods_cents, discount_cents, shipping_fee_cents, total_cents, paid_cents FROM sales_order WHERE id = :id"
)
_DROP_LINES = Sql("DELETE FROM sales_order_line WHERE order_id = :id")
_SET_MONEY = Sql(
    "UPDATE sales_order SET goods_cents = :goods, discount_cents = :discount, total_cents = :total, "
    "updated_at = :now WHERE id = :id"
)


def edit_lines(uow: UnitOfWork, ref: str, lines: Sequence[IntakeLine]) -> Taken:
    """Change what an unshipped order sells (another variant, another quantity, a gift added):
    ``lines`` replace its lines, each with its own price and discount. The order's amounts follow;
    a paid order may not come to cost more than was paid. An allocated order gives its stock
    back and is routed again; a held one stays in the queue for the operator to release."""
    o = _editable(uow, ref)
    new, goods, discount = checked_lines(uow, lines)
    r = raw(uow.conn)
    old_goods, old_discount, shipping, old_total, paid = r.one(_ORDER_MONEY, {"id": o.id})
    total = rules.payable(goods, discount, shipping)
    if o.status != rules.PENDING_PAYMENT and total > paid:
        raise Conflict(
            "orders.edit_underpaid",
            "With these lines order {ref} would cost {total} cents but {paid} were paid; record a payment first",
            "按这些商品，订单 {ref} 应付 {total} 分，但只付了 {paid} 分；请先补录付款",
            ref=o.ref,
            total=total,
            paid=paid,
        )
    before = [[x.sku.code, x.qty] for x in order_lines(uow, o.id)]
    if o.status == rules.ALLOCATED:
        inventory.release(uow, doc_type=DOC, doc_id=o.id)
        _move(uow, o, rules.READY, why={"lines_changed": True}, warehouse_id=None)
    r.queue(_DROP_LINES, {"id": o.id})
    insert_lines(uow, o.id, new)
    r.queue(
        _SET_MONEY, {"goods": goods, "discount": discount, "total": total, "now": r.dt(utcnow()), "id": o.id}
    )
    uow.audit(
        "orders.order.edit",
        DOC,
        o.ref,
        before={
            "lines": before,
            "goods_cents": old_goods,
            "discount_cents": old_discount,
            "total_cents": old_total,
        },
        after={
            "lines": [[x.sku.code, x.qty] for x in new],
            "goods_cents": goods,
            "discount_cents": discount,
            "total_cents": total,
        },
    )
    if o.status == rules.READY and not (o.ship_after and o.ship_after > utcnow().date()):
        allocate(uow, o)
    return _result(o)


def _plain(d: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in d.items()}


def allocate_due(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Presale orders whose ship-after day has come, and ready orders left waiting, are routed
    and allocated now (the periodic job; also a button). Returns how many were allocated."""
    uow.actor.require("orders.order.review")
    so = sales_order.c
    today = utcnow().date()
    refs = uow.conn.execute(
        select(so.ref)
        .where(so.status == rules.READY, (so.ship_after.is_(None)) | (so.ship_after <= today))
        .order_by(so.ordered_at)
        .limit(limit)
    ).scalars()
    done = 0
    for ref in list(refs):
        o = locked(uow, ref)
        if o.status == rules.READY and allocate(uow, o, warehouse=_designated(uow, o)):
            done += 1
    return done


def stored_intake(uow: UnitOfWork, order_id: int) -> IntakeOrder:
    """The review-relevant facts of a stored order, in intake shape (to review it after payment)."""
    so = sales_order.c
    r = uow.conn.execute(
        select(
            sales_order,
            channel.c.code.label("channel_code"),
            customer.c.name.label("buyer_name"),
            customer.c.phone.label("buyer_phone"),
        )
        .select_from(
            sales_order.join(channel, channel.c.id == so.channel_id).join(
                customer, customer.c.id == so.customer_id
            )
        )
        .where(so.id == order_id)
    ).one()
    lines = tuple(IntakeLine(d.sku.code, d.qty, 0) for d in order_lines(uow, order_id))
    address = None
    if r.province or r.address_detail or r.receiver_name:
        address = Address(
            r.receiver_name or "",
            r.receiver_phone or "",
            r.province or "",
            r.city or "",
            r.district or "",
            r.address_detail or "",
        )
    return IntakeOrder(
        channel=r.channel_code,
        external_ref=r.external_ref,
        buyer=Buyer(r.buyer_name, r.buyer_phone),
        lines=lines,
        address=address,
        buyer_remark=r.buyer_remark or "",
        seller_memo=r.seller_memo or "",
        ship_after=r.ship_after,
    )
