"""The read side of the order pool: the filtered list (keyset-paged, newest first), counts per
state for the tabs, and one order in full with its timeline (its audit-log entries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, union

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import rules
from omnistock.orders.models import (
    channel,
    customer,
    customer_identity,
    order_payment,
    order_tag,
    sales_order,
    sales_order_line,
    sales_return,
)
from omnistock.platform import audit
from omnistock.platform.clock import to_utc
from omnistock.platform.errors import Invalid
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.uow import UnitOfWork

so, ol = sales_order.c, sales_order_line.c


@dataclass(frozen=True)
class OrderFilter:
    status: Sequence[str] = ()
    channel: str | None = None
    warehouse: str | None = None
    tag: str | None = None
    q: str | None = None  # order no, channel order no, buyer name or phone, receiver phone
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    presale: bool | None = None
    hold_reason: str | None = None


def _conditions(uow: UnitOfWork, f: OrderFilter, *, with_status: bool = True) -> list:
    conds: list = []
    if with_status and f.status:
        bad = [s for s in f.status if s not in rules.TRANSITIONS]
        if bad:
            raise Invalid(
                "orders.bad_status",
                "Unknown order state {state}",
                "未知的订单状态：{state}",
                state=bad[0][:20],
            )
        conds.append(so.status.in_(list(f.status)))
    if f.channel:
        conds.append(
            so.channel_id == select(channel.c.id).where(channel.c.code == f.channel).scalar_subquery()
        )
    if f.warehouse:
        wh = inventory.warehouse_ref(uow, f.warehouse)
        conds.append(so.warehouse_id == wh.id)
    if f.tag:
        conds.append(exists().where(order_tag.c.order_id == so.id, order_tag.c.tag == f.tag))
    if f.since:
        conds.append(so.ordered_at >= to_utc(f.since))
    if f.until:
        conds.append(so.ordered_at < to_utc(f.until))
    if f.presale is not None:
        conds.append(so.ship_after.is_not(None) if f.presale else so.ship_after.is_(None))
    if f.q:
        # Each way of naming an order is an indexed lookup of its own; the union names the orders.
        q = f.q.strip()
        prefix = q.replace("%", "").replace("_", "") + "%"
        named = union(
            select(so.id).where(so.ref == q),
            select(so.id).where(so.external_ref == q),
            select(so.id).where(so.receiver_phone == q),
            select(so.id).where(so.customer_id.in_(select(customer.c.id).where(customer.c.phone == q))),
            select(so.id).where(
                so.customer_id.in_(select(customer.c.id).where(customer.c.name.like(prefix)))
            ),
        ).subquery()
        conds.append(so.id.in_(select(named.c[0])))
    # The actor's data scope: warehouses and channels they may see.
    warehouses, channels = uow.actor.allowed("warehouse"), uow.actor.allowed("channel")
    if warehouses is not None:
        ids = [w.id for w in inventory.list_warehouses(uow) if w.code in warehouses]
        conds.append(or_(so.warehouse_id.in_(ids), so.warehouse_id.is_(None)))
    if channels is not None:
        conds.append(so.channel_id.in_(select(channel.c.id).where(channel.c.code.in_(sorted(channels)))))
    return conds


def list_orders(
    uow: UnitOfWork, f: OrderFilter, *, cursor: str | None = None, limit: int = 50
) -> dict[str, Any]:
    """A page of orders, newest first, and the cursor of the next page (None at the end)."""
    uow.actor.require("orders.order.read")
    conds = _conditions(uow, f)
    after = decode_cursor(cursor)
    if after:
        try:
            at, last = dt.datetime.fromisoformat(after["at"]), int(after["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc
        conds.append(or_(so.ordered_at < at, and_(so.ordered_at == at, so.id < last)))
    stmt = (
        select(
            so.id,
            so.ref,
            so.external_ref,
            so.status,
            so.ordered_at,
            so.total_cents,
            so.paid_cents,
            so.warehouse_id,
            so.receiver_name,
            so.receiver_phone,
            so.province,
            so.city,
            so.ship_after,
            so.hold_reasons,
            so.route_rule,
            so.buyer_remark,
            so.seller_memo,
            channel.c.code.label("channel"),
            channel.c.name.label("channel_name"),
            customer.c.name.label("buyer"),
            customer.c.phone.label("buyer_phone"),
        )
        .select_from(
            sales_order.join(channel, channel.c.id == so.channel_id).join(
                customer, customer.c.id == so.customer_id
            )
        )
        .where(*conds)
        .order_by(so.ordered_at.desc(), so.id.desc())
        .limit(limit + 1)
    )
    rows = uow.conn.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r.id for r in rows]
    tags = _tags(uow, ids)
    summary = _line_summary(uow, ids)
    items = [
        {
            "ref": r.ref,
            "external_ref": r.external_ref,
            "status": r.status,
            "channel": r.channel,
            "channel_name": r.channel_name,
            "buyer": r.buyer,
            "buyer_phone": r.buyer_phone,
            "receiver_name": r.receiver_name,
            "receiver_phone": r.receiver_phone,
            "province": r.province,
            "city": r.city,
            "warehouse": inventory.warehouse_code(uow, r.warehouse_id) if r.warehouse_id else None,
            "ordered_at": r.ordered_at,
            "ship_after": r.ship_after,
            "total_cents": r.total_cents,
            "paid_cents": r.paid_cents,
            "hold_reasons": r.hold_reasons or [],
            "route_rule": r.route_rule,
            "buyer_remark": r.buyer_remark,
            "seller_memo": r.seller_memo,
            "tags": tags.get(r.id, []),
            "items": summary.get(r.id, {}).get("items", ""),
            "qty": summary.get(r.id, {}).get("qty", 0),
        }
        for r in rows
    ]
    nxt = encode_cursor({"at": rows[-1].ordered_at.isoformat(), "id": rows[-1].id}) if more and rows else None
    return {"items": items, "next_cursor": nxt}


def _tags(uow: UnitOfWork, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if ids:
        for oid, tag in uow.conn.execute(
            select(order_tag.c.order_id, order_tag.c.tag).where(order_tag.c.order_id.in_(ids))
        ):
            out.setdefault(oid, []).append(tag)
    return {k: sorted(v) for k, v in out.items()}


def _line_summary(uow: UnitOfWork, ids: list[int]) -> dict[int, dict]:
    """Per order: ``SKU×qty`` of its first lines and the total pieces."""
    out: dict[int, dict] = {}
    if not ids:
        return out
    for oid, sku_id, qty in uow.conn.execute(
        select(ol.order_id, ol.sku_id, ol.qty).where(ol.order_id.in_(ids)).order_by(ol.order_id, ol.line_no)
    ):
        d = out.setdefault(oid, {"parts": [], "qty": 0})
        d["qty"] += qty
        if len(d["parts"]) < 3:
            d["parts"].append(f"{catalog.sku_ref_by_id(uow, sku_id).code}×{qty}")
        elif len(d["parts"]) == 3:
            d["parts"].append("…")
    return {k: {"items": " ".join(v["parts"]), "qty": v["qty"]} for k, v in out.items()}


def status_counts(uow: UnitOfWork, f: OrderFilter) -> dict[str, int]:
    """How many orders in each state, under the filter's other conditions (the list's tabs)."""
    uow.actor.require("orders.order.read")
    conds = _conditions(uow, f, with_status=False)
    rows = uow.conn.execute(select(so.status, func.count()).where(*conds).group_by(so.status)).all()
    counts = {s: 0 for s in rules.TRANSITIONS}
    counts.update({s: int(n) for s, n in rows})
    return counts


def export_rows(uow: UnitOfWork, f: OrderFilter, *, max_rows: int = 50_000) -> list[dict]:
    """The filtered list, every page (for the Excel export)."""
    out: list[dict] = []
    cursor = None
    while len(out) < max_rows:
        page = list_orders(uow, f, cursor=cursor, limit=min(1000, max_rows - len(out)))
        out.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return out


def get_order(uow: UnitOfWork, ref: str) -> dict[str, Any]:
    """One order in full: header, lines, payments, tags, returns, related orders and timeline."""
    uow.actor.require("orders.order.read")
    r = (
        uow.conn.execute(
            select(
                sales_order,
                channel.c.code.label("channel"),
                channel.c.name.label("channel_name"),
                customer.c.code.label("customer_code"),
                customer.c.name.label("buyer"),
                customer.c.phone.label("buyer_phone"),
            )
            .select_from(
                sales_order.join(channel, channel.c.id == so.channel_id).join(
                    customer, customer.c.id == so.customer_id
                )
            )
            .where(so.ref == ref)
        ).first()
        if isinstance(ref, str)
        else None
    )
    if r is None:
        raise Invalid("orders.unknown_order", "Unknown order {ref}", "订单 {ref} 不存在", ref=str(ref)[:64])
    uow.actor.require_scope("channel", [r.channel])
    warehouse = inventory.warehouse_code(uow, r.warehouse_id) if r.warehouse_id else None
    if warehouse:
        uow.actor.require_scope("warehouse", [warehouse])
    lines = []
    for x in uow.conn.execute(select(sales_order_line).where(ol.order_id == r.id).order_by(ol.line_no)):
        sku = catalog.sku_ref_by_id(uow, x.sku_id)
        lines.append(
            {
                "line_no": x.line_no,
                "sku": sku.code,
                "name": catalog.get_sku(uow, x.sku_id).name,
                "qty": x.qty,
                "unit_price_cents": x.unit_price_cents,
                "discount_cents": x.discount_cents,
                "revenue_cents": x.revenue_cents,
                "returned_qty": x.returned_qty,
                "bundle": catalog.sku_ref_by_id(uow, x.bundle_sku_id).code if x.bundle_sku_id else None,
            }
        )
    payments = [
        {"method": p.method, "amount_cents": p.amount_cents, "paid_at": p.paid_at, "txn_ref": p.txn_ref}
        for p in uow.conn.execute(
            select(order_payment).where(order_payment.c.order_id == r.id).order_by(order_payment.c.id)
        )
    ]
    related = {
        "split_from": _ref_of(uow, r.split_from_id),
        "merged_into": _ref_of(uow, r.merged_into_id),
        "split_into": list(
            uow.conn.execute(select(so.ref).where(so.split_from_id == r.id).order_by(so.ref)).scalars()
        ),
        "merged_from": list(
            uow.conn.execute(select(so.ref).where(so.merged_into_id == r.id).order_by(so.ref)).scalars()
        ),
    }
    identities = [
        {"channel": c, "external_id": e}
        for c, e in uow.conn.execute(
            select(channel.c.code, customer_identity.c.external_id)
            .select_from(customer_identity.join(channel, channel.c.id == customer_identity.c.channel_id))
            .where(customer_identity.c.customer_id == r.customer_id)
        )
    ]
    returns = [
        {"ref": x.ref, "at": x.at, "refund_cents": x.refund_cents}
        for x in uow.conn.execute(
            select(sales_return).where(sales_return.c.order_id == r.id).order_by(sales_return.c.id)
        )
    ]
    return {
        "ref": r.ref,
        "external_ref": r.external_ref,
        "status": r.status,
        "channel": r.channel,
        "channel_name": r.channel_name,
        "customer": r.customer_code,
        "buyer": r.buyer,
        "buyer_phone": r.buyer_phone,
        "identities": identities,
        "warehouse": warehouse,
        "route_rule": r.route_rule,
        "ordered_at": r.ordered_at,
        "paid_at": r.paid_at,
        "shipped_at": r.shipped_at,
        "closed_at": r.closed_at,
        "ship_after": r.ship_after,
        "goods_cents": r.goods_cents,
        "discount_cents": r.discount_cents,
        "shipping_fee_cents": r.shipping_fee_cents,
        "total_cents": r.total_cents,
        "paid_cents": r.paid_cents,
        "address": {
            "receiver": r.receiver_name or "",
            "phone": r.receiver_phone or "",
            "province": r.province or "",
            "city": r.city or "",
            "district": r.district or "",
            "detail": r.address_detail or "",
        },
        "buyer_remark": r.buyer_remark,
        "seller_memo": r.seller_memo,
        "hold_reasons": r.hold_reasons or [],
        "reject_reason": r.reject_reason,
        "tags": _tags(uow, [r.id]).get(r.id, []),
        "lines": lines,
        "payments": payments,
        "returns": returns,
        "related": related,
        "allowed": sorted(rules.TRANSITIONS[r.status]),
        "timeline": timeline(uow, r.ref),
    }


def _ref_of(uow: UnitOfWork, order_id: int | None) -> str | None:
    return uow.conn.execute(select(so.ref).where(so.id == order_id)).scalar() if order_id else None


def timeline(uow: UnitOfWork, ref: str) -> list[dict]:
    """Every change of the order, oldest first: who, when, what (before → after) and why."""
    rows = audit.search(uow.conn, entity_type="sales_order", entity_id=ref, limit=500)
    return [
        {
            "at": x["at"],
            "actor": x["actor_name"],
            "action": x["action"],
            "before": x["before"],
            "after": x["after"],
        }
        for x in reversed(rows)
    ]
