"""The pack station (验货打包) and shipping.

At the pack station an order is found by its ref or its wave slot (``W261122-0001-3``), each
item is scanned (a wrong item or one too many is refused on the spot), serial numbers are
captured as the units are scanned, and the parcel is weighed. Packing checks the whole parcel
again. Shipping needs a packed parcel and a tracking number never used before (typed, scanned or
the next from the account's pool); it ships the order through the orders area — the reservation
consumed and cost of goods taken in the same transaction — and puts ``fulfillment.shipped`` on
the outbox for the channel write-back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select, update

from omnistock.catalog import service as catalog
from omnistock.fulfillment import couriers, rules, waves
from omnistock.fulfillment.models import shipment, wave, wave_order
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform import events
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError, Conflict, Invalid
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

SLOT_CODE = re.compile(r"^(W\d{6}-\d{4})-(\d{1,4})$")
sh_, wo_ = shipment.c, wave_order.c
MAX_WEIGHT_G = 1_000_000


def _unknown(code: str) -> Invalid:
    return Invalid(
        "fulfillment.unknown_order",
        "No order or wave slot {code}",
        "没有订单或波次格口 {code}",
        code=str(code)[:64],
    )


def _order(uow: UnitOfWork, code: str) -> orders.OrderSheet:
    """The order a scanned code names: its ref, or a wave ref and slot."""
    if not isinstance(code, str) or not code or len(code) > 64:
        raise _unknown(str(code))
    m = SLOT_CODE.match(code)
    if m:
        order_id = uow.conn.execute(
            select(wo_.order_id)
            .select_from(wave_order.join(wave, wave.c.id == wo_.wave_id))
            .where(wave.c.ref == m.group(1), wo_.slot == int(m.group(2)))
        ).scalar()
        sheets = orders.order_sheets(uow, ids=[order_id]) if order_id is not None else []
    else:
        sheets = orders.order_sheets(uow, refs=[code])
    if not sheets:
        raise _unknown(code)
    waves.check_scope(uow, sheets[0].warehouse_id)
    return sheets[0]


def station(uow: UnitOfWork, code: str) -> dict:
    """What the pack station shows for a scanned order or slot."""
    uow.actor.require("fulfillment.read")
    o = _order(uow, code)
    slot = uow.conn.execute(
        select(wo_.slot, wo_.status, wave.c.ref)
        .select_from(wave_order.join(wave, wave.c.id == wo_.wave_id))
        .where(wo_.order_id == o.id)
    ).first()
    parcel = uow.conn.execute(
        select(sh_.status, sh_.tracking_no, sh_.weight_g).where(sh_.order_id == o.id)
    ).first()
    chosen = couriers.assigned(uow, [o.id]).get(o.id)
    return {
        "order": o.ref,
        "order_status": o.status,
        "wave": slot.ref if slot else None,
        "slot": slot.slot if slot else None,
        "status": slot.status if slot else None,
        "receiver": o.receiver,
        "address": o.address,
        "remark": o.remark,
        "account": couriers.account_by_id(uow, chosen[0]).code if chosen else None,
        "tracking_no": parcel.tracking_no if parcel else None,
        "weight_g": parcel.weight_g if parcel else None,
        "lines": [{"sku": ln.sku, "name": ln.name, "qty": ln.qty, "tracking": ln.tracking} for ln in o.lines],
    }


def _not_on_order(code: str, ref: str) -> Invalid:
    return Invalid(
        "fulfillment.item_not_on_order",
        "{code} is not on order {ref}",
        "{code} 不是订单 {ref} 的商品",
        code=str(code)[:64],
        ref=ref,
    )


def scan(uow: UnitOfWork, order_ref: str, code: str, scanned: dict[str, int]) -> dict:
    """One scan at the pack station: the SKU it names, if one more of it belongs in the parcel
    (``scanned``: SKU code -> pieces already in it). Writes nothing."""
    uow.actor.require("fulfillment.pack")
    o = _order(uow, order_ref)
    try:
        sku = catalog.resolve_code(uow, code) if isinstance(code, str) and code else None
    except AppError:
        sku = None
    if sku is None:
        raise _not_on_order(code, o.ref)
    expected = {ln.sku: ln.qty for ln in o.lines}
    problem = rules.check_scan(expected, scanned, sku.code)
    if problem == "not_on_order":
        raise _not_on_order(code, o.ref)
    if problem == "too_many":
        raise Invalid(
            "fulfillment.too_many",
            "Order {ref} needs only {qty} of {sku}; this one is too many",
            "订单 {ref} 只需要 {qty} 件 {sku}，这件多了",
            ref=o.ref,
            qty=expected[sku.code],
            sku=sku.code,
        )
    line = next(ln for ln in o.lines if ln.sku == sku.code)
    return {
        "sku": sku.code,
        "name": line.name,
        "tracking": line.tracking,
        "left": expected[sku.code] - scanned.get(sku.code, 0) - 1,
    }


@dataclass(frozen=True)
class PackItem:
    sku: str
    qty: int
    serials: Sequence[str] = field(default_factory=tuple)


def pack(uow: UnitOfWork, order_ref: str, *, items: Sequence[PackItem], weight_g: int) -> dict:
    """The parcel is checked item by item and weighed; the courier's fee is worked out from the
    weight (the assigned account's cheapest eligible rule)."""
    uow.actor.require("fulfillment.pack")
    o = _order(uow, order_ref)
    slot = uow.conn.execute(select(wo_.wave_id, wo_.status).where(wo_.order_id == o.id)).first()
    if slot is None or slot.status != rules.PICKED:
        raise Conflict(
            "fulfillment.not_picked",
            "Order {ref} is not waiting at the pack station (picked in a wave)",
            "订单 {ref} 不在待打包状态（须先在波次中拣货）",
            ref=o.ref,
        )
    if not isinstance(weight_g, int) or isinstance(weight_g, bool) or not 1 <= weight_g <= MAX_WEIGHT_G:
        raise Invalid(
            "fulfillment.bad_weight",
            "The parcel weight is a whole number of grams from 1 to {max}",
            "包裹重量须为 1 到 {max} 之间的整数（克）",
            max=MAX_WEIGHT_G,
        )
    expected = {ln.sku: ln.qty for ln in o.lines}
    tracking = {ln.sku: ln.tracking for ln in o.lines}
    scanned: dict[str, int] = {}
    serials: dict[str, list[str]] = {}
    for it in items:
        try:
            sku = catalog.resolve_code(uow, it.sku) if isinstance(it.sku, str) else None
        except AppError:
            sku = None
        if sku is None or sku.code not in expected:
            raise _not_on_order(it.sku, o.ref)
        if not isinstance(it.qty, int) or isinstance(it.qty, bool) or it.qty < 1:
            raise Invalid(
                "fulfillment.bad_quantity", "A quantity is a whole number > 0", "数量须为大于 0 的整数"
            )
        scanned[sku.code] = scanned.get(sku.code, 0) + it.qty
        serials.setdefault(sku.code, []).extend(it.serials or ())
    diff = rules.missing_items(expected, scanned)
    if diff:
        sku, n = next(iter(diff.items()))
        raise Invalid(
            "fulfillment.count_mismatch",
            "The parcel does not match order {ref}: {sku} {n:+d}",
            "包裹与订单 {ref} 不符：{sku} {n:+d}",
            ref=o.ref,
            sku=sku,
            n=-n,
        )
    for code, numbers in serials.items():
        if tracking[code] == "serial" and (
            len(numbers) != expected[code] or len(set(numbers)) != len(numbers)
        ):
            raise Invalid(
                "fulfillment.serials_needed",
                "Scan the serial number of each unit of {sku} ({qty})",
                "请扫描每件 {sku} 的序列号（共 {qty} 个）",
                sku=code,
                qty=expected[code],
            )
    chosen = couriers.assigned(uow, [o.id]).get(o.id)
    if chosen is None:
        raise Conflict(
            "fulfillment.no_courier", "Order {ref} has no courier", "订单 {ref} 没有指定快递", ref=o.ref
        )
    acc = couriers.account_by_id(uow, chosen[0])
    pick = couriers.choose(
        uow, province=o.province, city=o.city, weight_g=weight_g, strategy="cheapest", account_code=acc.code
    )
    rule_id, label, fee = (
        (pick.rule.id, pick.rule.name, pick.fee_cents) if pick else (chosen[1], chosen[2], 0)
    )
    done = uow.conn.execute(
        update(wave_order)
        .where(and_(wo_.order_id == o.id, wo_.status == rules.PICKED))
        .values(status=rules.PACKED)
    ).rowcount
    if done != 1:
        raise Conflict(
            "fulfillment.changed_meanwhile",
            "Order {ref} was packed by someone else meanwhile",
            "订单 {ref} 已被其他人打包",
            ref=o.ref,
        )
    content = [
        {"sku": code, "qty": q, "serials": serials.get(code, [])} for code, q in sorted(scanned.items())
    ]
    uow.conn.execute(
        shipment.insert().values(
            order_id=o.id,
            order_ref=o.ref,
            wave_id=slot.wave_id,
            warehouse_id=o.warehouse_id,
            account_id=acc.id,
            rule_id=rule_id,
            rule_label=label,
            weight_g=weight_g,
            fee_cents=fee,
            items=content,
            status="packed",
            packed_at=utcnow(),
            packed_by=uow.actor.username,
        )
    )
    out = {"order": o.ref, "account": acc.code, "rule": label, "weight_g": weight_g, "fee_cents": fee}
    uow.audit("fulfillment.parcel.packed", "sales_order", o.ref, after={**out, "items": content})
    return out


_SHIP = Sql(
    "UPDATE shipment SET status = 'shipped', tracking_no = :tracking, shipped_at = :now, shipped_by = :by "
    "WHERE id = :id AND status = 'packed'"
)


def _tracking_used(number: str) -> Conflict:
    return Conflict(
        "fulfillment.tracking_used",
        "Tracking number {number} is already in use",
        "快递单号 {number} 已被使用",
        number=number,
    )


PARCEL_SHIPPED_EVENT = "fulfillment.parcel_shipped"


@dataclass(frozen=True)
class ParcelShipped:
    """Published as ``fulfillment.parcel_shipped`` when a parcel with a courier fee ships."""

    order_id: int
    order_ref: str
    at: dt.datetime
    carrier: str
    fee_cents: int


def ship(uow: UnitOfWork, order_ref: str, *, tracking_no: str | None = None) -> dict:
    """Ship a packed parcel with ``tracking_no``, or the next number of its account's pool."""
    uow.actor.require("fulfillment.ship")
    o = _order(uow, order_ref)
    parcel = uow.conn.execute(select(shipment).where(sh_.order_id == o.id)).first()
    if parcel is None:
        raise Conflict(
            "fulfillment.not_packed",
            "Order {ref} has not been packed; pack it at the pack station first",
            "订单 {ref} 尚未打包，请先在验货打包台打包",
            ref=o.ref,
        )
    if parcel.status != "packed":
        raise Conflict(
            "fulfillment.already_shipped", "Order {ref} has shipped already", "订单 {ref} 已发货", ref=o.ref
        )
    if tracking_no is None or tracking_no == "":
        number = couriers.take_next(uow, parcel.account_id, parcel.id)
    else:
        if not rules.good_number(tracking_no):
            raise Invalid(
                "fulfillment.bad_tracking_no",
                "{number} is not a tracking number (6-40 letters, digits or '-')",
                "{number} 不是合法的快递单号（6-40 位字母、数字或横线）",
                number=str(tracking_no)[:40],
            )
        if uow.conn.execute(select(sh_.id).where(sh_.tracking_no == tracking_no)).first():
            raise _tracking_used(tracking_no)
        couriers.use_number(uow, tracking_no, parcel.id)
        number = tracking_no
    r = raw(uow.conn)
    now = utcnow()
    try:
        done = r.execute(
            _SHIP, {"tracking": number, "now": r.dt(now), "by": uow.actor.username, "id": parcel.id}
        )
    except r.IntegrityError as exc:  # the same number taken by a concurrent parcel
        raise _tracking_used(number) from exc
    if done != 1:
        raise Conflict(
            "fulfillment.already_shipped", "Order {ref} has shipped already", "订单 {ref} 已发货", ref=o.ref
        )
    serials = {it["sku"]: it["serials"] for it in parcel.items if it.get("serials")}
    costs = orders.ship_order(uow, ref=o.ref, at=now, serials=serials or None)
    uow.conn.execute(update(wave_order).where(wo_.order_id == o.id).values(status=rules.SHIPPED))
    waves.finish_if_done(uow, parcel.wave_id)
    acc = couriers.account_by_id(uow, parcel.account_id)
    payload = {
        "order": o.ref,
        "tracking_no": number,
        "carrier": acc.carrier,
        "carrier_name": acc.carrier_name,
        "account": acc.code,
        "shipped_at": now.isoformat(),
        "items": parcel.items,
    }
    uow.enqueue("fulfillment.shipped", payload, key=o.ref)
    if parcel.fee_cents:
        events.publish(
            uow, PARCEL_SHIPPED_EVENT, ParcelShipped(o.id, o.ref, now, acc.carrier, parcel.fee_cents)
        )
    cogs = sum(c.cost_cents for c in costs)
    uow.audit(
        "fulfillment.parcel.shipped", "sales_order", o.ref, after={"tracking_no": number, "cogs_cents": cogs}
    )
    return {"order": o.ref, "tracking_no": number, "carrier": acc.carrier, "cogs_cents": cogs}


def list_shipments(
    uow: UnitOfWork, *, status: str | None = None, q: str | None = None, limit: int = 200
) -> list[dict]:
    uow.actor.require("fulfillment.read")
    stmt = select(shipment).order_by(sh_.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(sh_.status == status)
    if q:
        stmt = stmt.where(or_(sh_.order_ref == q, sh_.tracking_no == q))
    ids = waves.scoped_warehouse_ids(uow)
    if ids is not None:
        stmt = stmt.where(sh_.warehouse_id.in_(ids))
    out = []
    for r in uow.conn.execute(stmt).all():
        acc = couriers.account_by_id(uow, r.account_id)
        out.append(
            {
                "order": r.order_ref,
                "warehouse": inventory.warehouse_code(uow, r.warehouse_id),
                "carrier": acc.carrier_name,
                "account": acc.code,
                "rule": r.rule_label,
                "weight_g": r.weight_g,
                "fee_cents": r.fee_cents,
                "status": r.status,
                "tracking_no": r.tracking_no,
                "packed_at": r.packed_at,
                "shipped_at": r.shipped_at,
                "items": r.items,
            }
        )
    return out


def parcel_document(uow: UnitOfWork, order_ref: str) -> dict:
    """Everything a packing slip and a shipping label print."""
    uow.actor.require("fulfillment.read")
    o = _order(uow, order_ref)
    parcel = uow.conn.execute(select(shipment).where(sh_.order_id == o.id)).first()
    if parcel is None:
        raise Conflict(
            "fulfillment.not_packed",
            "Order {ref} has not been packed; pack it at the pack station first",
            "订单 {ref} 尚未打包，请先在验货打包台打包",
            ref=o.ref,
        )
    acc = couriers.account_by_id(uow, parcel.account_id)
    return {
        "order": o.ref,
        "ordered_at": o.ordered_at,
        "receiver": o.receiver,
        "phone": o.phone,
        "address": o.address,
        "remark": o.remark,
        "warehouse": inventory.warehouse_code(uow, parcel.warehouse_id),
        "carrier": acc.carrier_name,
        "account": acc.name,
        "tracking_no": parcel.tracking_no,
        "weight_g": parcel.weight_g,
        "lines": [{"sku": ln.sku, "name": ln.name, "qty": ln.qty} for ln in o.lines],
        "items": parcel.items,
    }
