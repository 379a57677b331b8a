"""Purchasing use cases: suppliers and what they supply, settings, purchase orders and their
state machine with approval. Receiving, supplier returns, bills and replenishment live in their
own modules and are re-exported at the end: this module is the area's public surface.

Every function takes the caller's unit of work and never commits; every write is audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from omnistock.catalog import service as catalog
from omnistock.catalog.rules import check_code
from omnistock.inventory import service as inventory
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Forbidden, Invalid, not_found
from omnistock.platform.pagination import after_id, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import rules
from omnistock.purchasing.models import (
    purchase_order,
    purchase_order_line,
    purchasing_setting,
    supplier,
    supplier_price_history,
    supplier_sku,
)

register(
    ("purchasing.supplier.read", "查看供应商", "View suppliers"),
    ("purchasing.supplier.manage", "管理供应商", "Manage suppliers"),
    ("purchasing.po.read", "查看采购单", "View purchase orders"),
    ("purchasing.po.create", "创建与提交采购单", "Create, submit and send purchase orders"),
    (rules.APPROVE, "审批采购单", "Approve purchase orders"),
    (rules.APPROVE_LARGE, "审批大额采购单", "Approve large purchase orders"),
    (rules.APPROVE_OWN, "审批自己创建的采购单", "Approve purchase orders one created"),
    ("purchasing.receipt.create", "采购收货", "Receive goods against purchase orders"),
    ("purchasing.hold.release", "质检放行与拒收", "Release or reject goods on quality hold"),
    ("purchasing.return.create", "采购退货", "Return goods to suppliers"),
    ("purchasing.request.create", "提交采购申请", "Request purchases"),
    ("purchasing.replenishment.read", "查看智能补货", "View replenishment suggestions"),
    ("purchasing.bill.read", "查看供应商账单", "View supplier bills"),
    ("purchasing.bill.create", "登记供应商账单", "Enter supplier bills"),
    ("purchasing.bill.approve", "审核供应商账单", "Approve supplier bills"),
    ("purchasing.settings.manage", "采购设置", "Change purchasing settings"),
)

_suppliers = CodeCache("supplier")
MAX_MONEY = 10**11  # cents per unit or per landed cost: ¥1,000,000,000.00


# ---------------------------------------------------------------------------------------------
# Suppliers


@dataclass(frozen=True)
class SupplierFields:
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    lead_time_days: int = 7
    payment_terms: str | None = None
    currency: str = "CNY"
    tolerance_pct: int | None = None
    active: bool = True


_SUPPLIER_COLS = (
    "id",
    "code",
    "name",
    "contact_name",
    "phone",
    "email",
    "address",
    "lead_time_days",
    "payment_terms",
    "currency",
    "tolerance_pct",
    "active",
)


def _check_supplier(name: object, f: SupplierFields) -> None:
    ok = (
        isinstance(name, str)
        and 0 < len(name) <= 200
        and isinstance(f.lead_time_days, int)
        and 0 <= f.lead_time_days <= 365
        and isinstance(f.currency, str)
        and len(f.currency) == 3
        and (f.tolerance_pct is None or 0 <= f.tolerance_pct <= rules.MAX_TOLERANCE_PCT)
    )
    if not ok:
        raise Invalid(
            "purchasing.bad_supplier",
            "A supplier needs a name, a lead time of 0–365 days, a 3-letter currency and a tolerance of 0–100 %",
            "供应商需要名称、0–365 天的交期、3 位币种代码和 0–100% 的超收容差",
        )


def create_supplier(uow: UnitOfWork, *, code: str, name: str, fields: SupplierFields | None = None) -> int:
    uow.actor.require("purchasing.supplier.manage")
    f = fields or SupplierFields()
    if check_code(code):
        raise Invalid(
            "purchasing.bad_supplier",
            "A supplier needs a valid code and a name",
            "供应商需要合法的编码和名称",
        )
    _check_supplier(name, f)
    if uow.conn.execute(select(supplier.c.id).where(supplier.c.code == code)).first():
        raise Conflict(
            "purchasing.duplicate_supplier",
            "Supplier {code} already exists",
            "供应商 {code} 已存在",
            code=code,
        )
    values = {
        "code": code,
        "name": name,
        "created_at": utcnow(),
        **f.__dict__,
        "currency": f.currency.upper(),
    }
    sid = uow.conn.execute(insert(supplier).returning(supplier.c.id), values).scalar_one()
    uow.audit(
        "purchasing.supplier.create",
        "supplier",
        code,
        after={k: v for k, v in values.items() if k != "created_at"},
    )
    return sid


def update_supplier(uow: UnitOfWork, code: str, *, name: str, fields: SupplierFields) -> dict:
    uow.actor.require("purchasing.supplier.manage")
    before = get_supplier(uow, code)
    _check_supplier(name, fields)
    after = {"name": name, **fields.__dict__, "currency": fields.currency.upper()}
    uow.conn.execute(update(supplier).where(supplier.c.code == code).values(**after))
    uow.audit("purchasing.supplier.update", "supplier", code, before=before, after=after)
    return get_supplier(uow, code)


def supplier_id(uow: UnitOfWork, code: str) -> int:
    found = (
        _suppliers.lookup(
            uow, code, lambda: uow.conn.execute(select(supplier.c.id).where(supplier.c.code == code)).scalar()
        )
        if isinstance(code, str)
        else None
    )
    if found is None:
        raise Invalid(
            "purchasing.unknown_supplier",
            "Unknown supplier {code}",
            "未知的供应商：{code}",
            code=str(code)[:64],
        )
    return found


def get_supplier(uow: UnitOfWork, code: str) -> dict:
    row = uow.conn.execute(
        select(*(supplier.c[c] for c in _SUPPLIER_COLS)).where(supplier.c.code == code)
    ).first()
    if row is None:
        raise not_found("supplier", code, zh="供应商")
    return dict(row._mapping)


def list_suppliers(uow: UnitOfWork) -> list[dict]:
    return [
        dict(r._mapping)
        for r in uow.conn.execute(select(*(supplier.c[c] for c in _SUPPLIER_COLS)).order_by(supplier.c.code))
    ]


def check_amount(v: object, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_MONEY:
        raise Invalid(
            "purchasing.bad_amount",
            "{what} must be a whole number of cents from 0 to {max}",
            "{what} 必须是 0 到 {max} 之间的整数（分）",
            what=what,
            max=MAX_MONEY,
        )
    return v


def check_qty(v: object, what: str, *, low: int = 1) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= 10**9:
        raise Invalid(
            "purchasing.bad_quantity",
            "{what} must be a whole number from {low} to 1,000,000,000",
            "{what} 必须是 {low} 到 1,000,000,000 之间的整数",
            what=what,
            low=low,
        )
    return v


def set_supplier_sku(
    uow: UnitOfWork,
    supplier_code: str,
    *,
    sku: str,
    price_cents: int,
    moq: int = 1,
    pack_size: int = 1,
    preferred: bool = False,
    supplier_sku_code: str | None = None,
) -> dict:
    """Add or change what a supplier supplies a SKU at; a new price joins the price history.
    Marking it preferred un-marks the SKU's other suppliers."""
    uow.actor.require("purchasing.supplier.manage")
    sid = supplier_id(uow, supplier_code)
    s = catalog.sku_ref(uow, sku)
    check_amount(price_cents, "price_cents")
    check_qty(moq, "moq")
    check_qty(pack_size, "pack_size")
    now = utcnow()
    key = (supplier_sku.c.supplier_id == sid) & (supplier_sku.c.sku_id == s.id)
    old = uow.conn.execute(select(supplier_sku).where(key)).first()
    values = {
        "supplier_sku_code": supplier_sku_code,
        "price_cents": price_cents,
        "moq": moq,
        "pack_size": pack_size,
        "preferred": bool(preferred),
        "updated_at": now,
    }
    if preferred:
        uow.conn.execute(update(supplier_sku).where(supplier_sku.c.sku_id == s.id).values(preferred=False))
    if old is None:
        uow.conn.execute(insert(supplier_sku).values(supplier_id=sid, sku_id=s.id, **values))
    else:
        uow.conn.execute(update(supplier_sku).where(key).values(**values))
    if old is None or old.price_cents != price_cents:
        _price_point(uow, sid, s.id, price_cents, "quote", None, now)
    after = {"sku": sku, **{k: v for k, v in values.items() if k != "updated_at"}}
    uow.audit("purchasing.supplier_sku.set", "supplier", supplier_code, after=after)
    return after


def remove_supplier_sku(uow: UnitOfWork, supplier_code: str, sku: str) -> None:
    uow.actor.require("purchasing.supplier.manage")
    sid = supplier_id(uow, supplier_code)
    s = catalog.sku_ref(uow, sku)
    uow.conn.execute(
        delete(supplier_sku).where(supplier_sku.c.supplier_id == sid, supplier_sku.c.sku_id == s.id)
    )
    uow.audit("purchasing.supplier_sku.remove", "supplier", supplier_code, before={"sku": sku})


def supplier_skus(uow: UnitOfWork, supplier_code: str | None = None, sku: str | None = None) -> list[dict]:
    ss = supplier_sku.c
    stmt = select(
        supplier.c.code.label("supplier"),
        ss.sku_id,
        ss.supplier_sku_code,
        ss.price_cents,
        ss.moq,
        ss.pack_size,
        ss.preferred,
        supplier.c.lead_time_days,
    ).select_from(supplier_sku.join(supplier, supplier.c.id == ss.supplier_id))
    if supplier_code is not None:
        stmt = stmt.where(ss.supplier_id == supplier_id(uow, supplier_code))
    if sku is not None:
        stmt = stmt.where(ss.sku_id == catalog.sku_ref(uow, sku).id)
    out = []
    for r in uow.conn.execute(stmt.order_by(supplier.c.code, ss.sku_id)):
        d = dict(r._mapping)
        d["sku"] = catalog.sku_ref_by_id(uow, d.pop("sku_id")).code
        out.append(d)
    return out


def _price_point(uow: UnitOfWork, sid: int, sku_id: int, price: int, source: str, ref, at) -> None:
    uow.conn.execute(
        insert(supplier_price_history).values(
            supplier_id=sid, sku_id=sku_id, price_cents=price, source=source, ref=ref, at=at
        )
    )


def price_history(uow: UnitOfWork, *, sku: str | None = None, supplier_code: str | None = None) -> list[dict]:
    h = supplier_price_history.c
    stmt = select(
        supplier.c.code.label("supplier"), h.sku_id, h.price_cents, h.source, h.ref, h.at
    ).select_from(supplier_price_history.join(supplier, supplier.c.id == h.supplier_id))
    if sku is not None:
        stmt = stmt.where(h.sku_id == catalog.sku_ref(uow, sku).id)
    if supplier_code is not None:
        stmt = stmt.where(h.supplier_id == supplier_id(uow, supplier_code))
    out = []
    for r in uow.conn.execute(stmt.order_by(h.at.desc(), h.id.desc()).limit(500)):
        d = dict(r._mapping)
        d["sku"] = catalog.sku_ref_by_id(uow, d.pop("sku_id")).code
        out.append(d)
    return out


# ---------------------------------------------------------------------------------------------
# Settings

DEFAULT_SETTINGS: dict[str, Any] = {
    "tolerance_pct": 5,  # over-receipt allowed, percent of the ordered quantity
    "approval_thresholds": [list(t) for t in rules.DEFAULT_THRESHOLDS],
    "target_days": 30,  # replenishment: days of cover an order should reach after arriving
    "overstock_days": 90,
}


def settings(uow: UnitOfWork) -> dict[str, Any]:
    stored = dict(uow.conn.execute(select(purchasing_setting.c.key, purchasing_setting.c.value)).all())
    return {k: stored.get(k, v) for k, v in DEFAULT_SETTINGS.items()}


def update_settings(uow: UnitOfWork, changes: dict[str, Any]) -> dict[str, Any]:
    uow.actor.require("purchasing.settings.manage")
    before = settings(uow)
    for key, value in changes.items():
        if key not in DEFAULT_SETTINGS:
            raise Invalid(
                "purchasing.bad_setting", "Unknown setting {key}", "未知的设置项：{key}", key=str(key)[:40]
            )
        if key == "approval_thresholds":
            problem = rules.check_thresholds(value)
            if problem:
                raise Invalid(
                    "purchasing.bad_setting",
                    "Approval thresholds are [amount in cents, permission] pairs starting at 0 ({problem})",
                    "审批阈值须为从 0 开始的 [金额（分）, 权限] 列表（{problem}）",
                    problem=problem,
                )
            value = [list(t) for t in sorted(value)]
        else:
            limit = rules.MAX_TOLERANCE_PCT if key == "tolerance_pct" else 3650
            check_qty(value, key, low=0 if key == "tolerance_pct" else 1)
            if value > limit:
                raise Invalid(
                    "purchasing.bad_setting",
                    "{key} is at most {limit}",
                    "{key} 最大为 {limit}",
                    key=key,
                    limit=limit,
                )
        uow.conn.execute(delete(purchasing_setting).where(purchasing_setting.c.key == key))
        uow.conn.execute(insert(purchasing_setting).values(key=key, value=value))
    after = settings(uow)
    uow.audit("purchasing.settings.update", "purchasing_setting", "settings", before=before, after=after)
    return after


# ---------------------------------------------------------------------------------------------
# Purchase orders


@dataclass(frozen=True)
class OrderLineIn:
    sku: str
    qty: int
    price_cents: int | None = None  # default: the supplier's price for the SKU


PO = ("采购单", "purchase order")


def _new_ref() -> str:
    return f"PO{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def _priced_lines(uow: UnitOfWork, sid: int, lines: Sequence[OrderLineIn]) -> list[dict]:
    if not lines:
        raise Invalid(
            "purchasing.no_lines", "A purchase order needs at least one line", "采购单至少需要一行明细"
        )
    if len(lines) > 500:
        raise Invalid("purchasing.too_many_lines", "At most 500 lines per order", "每张采购单最多 500 行")
    out = []
    for i, ln in enumerate(lines, 1):
        s = catalog.sku_ref(uow, ln.sku)
        if s.kind != "standard":
            raise Invalid(
                "purchasing.bundle_not_purchasable",
                "{sku} is a bundle: order its components",
                "{sku} 是组合商品，请采购其组件",
                sku=ln.sku,
            )
        check_qty(ln.qty, "qty")
        price = ln.price_cents
        if price is None:
            price = uow.conn.execute(
                select(supplier_sku.c.price_cents).where(
                    supplier_sku.c.supplier_id == sid, supplier_sku.c.sku_id == s.id
                )
            ).scalar()
            if price is None:
                raise Invalid(
                    "purchasing.no_price",
                    "Line {line}: the supplier has no price for {sku}; give one",
                    "第 {line} 行：该供应商没有 {sku} 的价格，请填写单价",
                    line=i,
                    sku=ln.sku,
                )
        out.append(
            {
                "line_no": i,
                "sku_id": s.id,
                "sku": s.code,
                "qty": ln.qty,
                "price_cents": check_amount(price, "price"),
            }
        )
    return out


def create_order(
    uow: UnitOfWork,
    *,
    supplier_code: str,
    warehouse: str,
    lines: Sequence[OrderLineIn],
    ref: str | None = None,
    expected_date: dt.date | None = None,
    note: str | None = None,
    source: str = "manual",
) -> dict:
    """A draft purchase order; prices default to the supplier's."""
    uow.actor.require("purchasing.po.create")
    sid = supplier_id(uow, supplier_code)
    wh = inventory.warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    priced = _priced_lines(uow, sid, lines)
    ref = ref or _new_ref()
    if (
        len(ref) > 64
        or uow.conn.execute(select(purchase_order.c.id).where(purchase_order.c.ref == ref)).first()
    ):
        raise Conflict(
            "purchasing.duplicate_ref",
            "Purchase order {ref} already exists",
            "采购单 {ref} 已存在",
            ref=ref[:64],
        )
    currency = uow.conn.execute(select(supplier.c.currency).where(supplier.c.id == sid)).scalar_one()
    total = sum(ln["qty"] * ln["price_cents"] for ln in priced)
    po_id = uow.conn.execute(
        insert(purchase_order)
        .values(
            ref=ref,
            supplier_id=sid,
            warehouse_id=wh.id,
            status=rules.DRAFT,
            currency=currency,
            total_cents=total,
            expected_date=expected_date,
            note=note,
            source=source,
            created_at=utcnow(),
            created_by=uow.actor.username,
        )
        .returning(purchase_order.c.id)
    ).scalar_one()
    uow.conn.execute(
        insert(purchase_order_line),
        [
            {
                "order_id": po_id,
                "line_no": ln["line_no"],
                "sku_id": ln["sku_id"],
                "qty": ln["qty"],
                "price_cents": ln["price_cents"],
                "received": 0,
                "billed": 0,
            }
            for ln in priced
        ],
    )
    uow.audit(
        "purchasing.po.create",
        "purchase_order",
        ref,
        after={
            "supplier": supplier_code,
            "warehouse": wh.code,
            "total_cents": total,
            "source": source,
            "lines": [{k: ln[k] for k in ("sku", "qty", "price_cents")} for ln in priced],
        },
    )
    return order_detail(uow, po_id)


def update_order(
    uow: UnitOfWork,
    po_id: int,
    *,
    lines: Sequence[OrderLineIn],
    expected_date: dt.date | None = None,
    note: str | None = None,
) -> dict:
    """Replace a draft order's lines (and expected date, note)."""
    uow.actor.require("purchasing.po.create")
    po = lock_order(uow, po_id)
    if po.status != rules.DRAFT:
        raise Conflict(
            "purchasing.not_draft",
            "Purchase order {ref} is {current}: only a draft can be edited",
            "采购单 {ref} 当前为「{current_zh}」，只有草稿可以修改",
            ref=po.ref,
            current=po.status,
            current_zh=rules.STATE_LABELS[po.status][0],
        )
    priced = _priced_lines(uow, po.supplier_id, lines)
    before = order_detail(uow, po_id)
    total = sum(ln["qty"] * ln["price_cents"] for ln in priced)
    uow.conn.execute(delete(purchase_order_line).where(purchase_order_line.c.order_id == po_id))
    uow.conn.execute(
        insert(purchase_order_line),
        [
            {
                "order_id": po_id,
                "line_no": ln["line_no"],
                "sku_id": ln["sku_id"],
                "qty": ln["qty"],
                "price_cents": ln["price_cents"],
                "received": 0,
                "billed": 0,
            }
            for ln in priced
        ],
    )
    uow.conn.execute(
        update(purchase_order)
        .where(purchase_order.c.id == po_id)
        .values(total_cents=total, expected_date=expected_date, note=note)
    )
    after = order_detail(uow, po_id)
    uow.audit("purchasing.po.update", "purchase_order", po.ref, before=_brief(before), after=_brief(after))
    return after


def _brief(d: dict) -> dict:
    return {
        "total_cents": d["total_cents"],
        "lines": [{k: ln[k] for k in ("sku", "qty", "price_cents")} for ln in d["lines"]],
    }


def lock_order(uow: UnitOfWork, po_id: int):
    """The order's row, locked until the transaction ends (PostgreSQL; SQLite serializes writers)."""
    row = uow.conn.execute(
        select(purchase_order).where(purchase_order.c.id == po_id).with_for_update()
    ).first()
    if row is None:
        raise not_found("purchase_order", po_id, zh="采购单")
    return row


def illegal(ref: str, current: str, target: str) -> Conflict:
    cur_zh, cur_en = rules.STATE_LABELS.get(current, (current, current))
    tgt_zh, tgt_en = rules.STATE_LABELS.get(target, (target, target))
    return Conflict(
        "purchasing.illegal_transition",
        "Purchase order {ref} is {current_en}; it cannot become {target_en}",
        "采购单 {ref} 当前为「{current_zh}」，不能变为「{target_zh}」",
        ref=ref,
        current=current,
        target=target,
        current_en=cur_en,
        current_zh=cur_zh,
        target_en=tgt_en,
        target_zh=tgt_zh,
    )


def move(uow: UnitOfWork, po_id: int, target: str, **values: Any):
    """Move an order to ``target`` with one conditional UPDATE (``WHERE status IN`` the states it
    may come from), so two concurrent commands cannot both move it; an illegal move raises."""
    row = uow.conn.execute(
        update(purchase_order)
        .where(purchase_order.c.id == po_id, purchase_order.c.status.in_(sorted(rules.sources(target))))
        .values(status=target, **values)
        .returning(*purchase_order.c)
    ).first()
    if row is not None:
        return row
    found = uow.conn.execute(
        select(purchase_order.c.ref, purchase_order.c.status).where(purchase_order.c.id == po_id)
    ).first()
    if found is None:
        raise not_found("purchase_order", po_id, zh="采购单")
    raise illegal(found.ref, found.status, target)


def _transition(uow: UnitOfWork, po_id: int, target: str, action: str, **values: Any) -> dict:
    before = uow.conn.execute(select(purchase_order.c.status).where(purchase_order.c.id == po_id)).scalar()
    row = move(uow, po_id, target, **values)
    uow.audit(
        f"purchasing.po.{action}",
        "purchase_order",
        row.ref,
        before={"status": before},
        after={"status": target},
    )
    return order_detail(uow, po_id)


def submit_order(uow: UnitOfWork, po_id: int) -> dict:
    uow.actor.require("purchasing.po.create")
    return _transition(uow, po_id, rules.SUBMITTED, "submit", submitted_at=utcnow())


def approval_needed(uow: UnitOfWork, amount_cents: int) -> str:
    return rules.required_permission(amount_cents, [tuple(t) for t in settings(uow)["approval_thresholds"]])


def approve_order(uow: UnitOfWork, po_id: int) -> dict:
    """Approve a submitted order: the approver needs the permission its amount requires, and may
    not approve an order they created without ``purchasing.po.approve_own``. The approved prices
    join the supplier's price history."""
    po = lock_order(uow, po_id)
    uow.actor.require(approval_needed(uow, po.total_cents))
    if po.created_by == uow.actor.username and not uow.actor.has(rules.APPROVE_OWN):
        raise Forbidden(
            "purchasing.approve_own",
            "You created purchase order {ref}: someone else must approve it",
            "采购单 {ref} 由您创建，须由他人审批",
            ref=po.ref,
        )
    now = utcnow()
    out = _transition(uow, po_id, rules.APPROVED, "approve", approved_at=now, approved_by=uow.actor.username)
    for ln in uow.conn.execute(
        select(purchase_order_line.c.sku_id, purchase_order_line.c.price_cents).where(
            purchase_order_line.c.order_id == po_id
        )
    ):
        _price_point(uow, po.supplier_id, ln.sku_id, ln.price_cents, "order", po.ref, now)
    return out


def reject_order(uow: UnitOfWork, po_id: int) -> dict:
    """Send a submitted order back to its author as a draft."""
    po = lock_order(uow, po_id)
    uow.actor.require(approval_needed(uow, po.total_cents))
    return _transition(uow, po_id, rules.DRAFT, "reject", submitted_at=None)


def send_order(uow: UnitOfWork, po_id: int) -> dict:
    uow.actor.require("purchasing.po.create")
    return _transition(uow, po_id, rules.SENT, "send", sent_at=utcnow())


def cancel_order(uow: UnitOfWork, po_id: int) -> dict:
    uow.actor.require("purchasing.po.create")
    return _transition(uow, po_id, rules.CANCELLED, "cancel", closed_at=utcnow())


def close_order(uow: UnitOfWork, po_id: int) -> dict:
    """Close a received order, or one partly received whose rest is not coming."""
    uow.actor.require("purchasing.po.create")
    return _transition(uow, po_id, rules.CLOSED, "close", closed_at=utcnow())


_ORDER_COLS = (
    purchase_order.c.id,
    purchase_order.c.ref,
    purchase_order.c.status,
    purchase_order.c.currency,
    purchase_order.c.total_cents,
    purchase_order.c.expected_date,
    purchase_order.c.note,
    purchase_order.c.source,
    purchase_order.c.created_at,
    purchase_order.c.created_by,
    purchase_order.c.submitted_at,
    purchase_order.c.approved_at,
    purchase_order.c.approved_by,
    purchase_order.c.sent_at,
    purchase_order.c.closed_at,
    purchase_order.c.warehouse_id,
    supplier.c.code.label("supplier"),
    supplier.c.name.label("supplier_name"),
)


def _order_view(uow: UnitOfWork, r) -> dict:
    d = dict(r._mapping)
    d["warehouse"] = inventory.warehouse_code(uow, d.pop("warehouse_id"))
    return d


def list_orders(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    supplier_code: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """Purchase orders of the warehouses the actor may see, newest first: one page (keyset on id)
    and the cursor of the next, or None."""
    uow.actor.require("purchasing.po.read")
    stmt = _scoped(
        uow,
        select(*_ORDER_COLS).select_from(
            purchase_order.join(supplier, supplier.c.id == purchase_order.c.supplier_id)
        ),
    )
    if status:
        stmt = stmt.where(purchase_order.c.status == status)
    if supplier_code:
        stmt = stmt.where(purchase_order.c.supplier_id == supplier_id(uow, supplier_code))
    if q:
        stmt = stmt.where(purchase_order.c.ref.contains(q, autoescape=True))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(purchase_order.c.id < after)
    rows = uow.conn.execute(stmt.order_by(purchase_order.c.id.desc()).limit(limit + 1)).all()
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return [_order_view(uow, r) for r in rows[:limit]], nxt


def _scoped(uow: UnitOfWork, stmt):
    """Only orders of the warehouses the actor's data scope allows."""
    if uow.actor.allowed("warehouse") is None:
        return stmt
    return stmt.where(purchase_order.c.warehouse_id.in_([w.id for w in inventory.list_warehouses(uow)]))


def status_counts(uow: UnitOfWork) -> dict[str, int]:
    uow.actor.require("purchasing.po.read")
    rows = uow.conn.execute(
        _scoped(uow, select(purchase_order.c.status, func.count())).group_by(purchase_order.c.status)
    ).all()
    return {s: 0 for s in rules.STATES} | {s: int(n) for s, n in rows}


def order_id_by_ref(uow: UnitOfWork, ref: str) -> int:
    found = uow.conn.execute(select(purchase_order.c.id).where(purchase_order.c.ref == ref)).scalar()
    if found is None:
        raise not_found("purchase_order", ref, zh="采购单")
    return found


def order_detail(uow: UnitOfWork, po_id: int) -> dict:
    row = uow.conn.execute(
        select(*_ORDER_COLS)
        .select_from(purchase_order.join(supplier, supplier.c.id == purchase_order.c.supplier_id))
        .where(purchase_order.c.id == po_id)
    ).first()
    if row is None:
        raise not_found("purchase_order", po_id, zh="采购单")
    d = _order_view(uow, row)
    pol = purchase_order_line.c
    lines = []
    for ln in uow.conn.execute(
        select(pol.line_no, pol.sku_id, pol.qty, pol.price_cents, pol.received, pol.billed)
        .where(pol.order_id == po_id)
        .order_by(pol.line_no)
    ):
        s = catalog.sku_ref_by_id(uow, ln.sku_id)
        lines.append(
            {
                "line_no": ln.line_no,
                "sku": s.code,
                "tracking": s.tracking,
                "qty": ln.qty,
                "price_cents": ln.price_cents,
                "amount_cents": ln.qty * ln.price_cents,
                "received": ln.received,
                "billed": ln.billed,
                "remaining": max(ln.qty - ln.received, 0),
            }
        )
    d["lines"] = lines
    d["approval_permission"] = approval_needed(uow, d["total_cents"])
    d["next"] = sorted(rules.TRANSITIONS[d["status"]])
    return d


def order_lines_for(uow: UnitOfWork, po_id: int) -> list:
    """The order's lines (line_no, sku_id, qty, price_cents, received, billed), in line order."""
    pol = purchase_order_line.c
    return uow.conn.execute(
        select(pol.line_no, pol.sku_id, pol.qty, pol.price_cents, pol.received, pol.billed)
        .where(pol.order_id == po_id)
        .order_by(pol.line_no)
    ).all()


def tolerance_pct(uow: UnitOfWork, sid: int) -> int:
    own = uow.conn.execute(select(supplier.c.tolerance_pct).where(supplier.c.id == sid)).scalar()
    return own if own is not None else int(settings(uow)["tolerance_pct"])


# ---------------------------------------------------------------------------------------------
# Goods received without an order (kept for documents that name a supplier only)


def receive_goods(
    uow: UnitOfWork,
    *,
    ref: str | None,
    supplier_code: str,
    warehouse: str,
    lines: Sequence[inventory.ReceiptLine],
    at: dt.datetime | None = None,
    note: str | None = None,
) -> inventory.DocumentResult:
    """Goods from a supplier arrive: stock in at the supplier's unit cost."""
    supplier_id(uow, supplier_code)
    return inventory.receive(
        uow, ref=ref, warehouse=warehouse, lines=lines, at=at, partner=supplier_code, note=note
    )


def supplier_names(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, str]:
    s = supplier.c
    return dict(uow.conn.execute(select(s.id, s.name).where(s.id.in_(sorted(set(ids))))).all())


def supplier_refs(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(code, name) of each supplier id."""
    s = supplier.c
    rows = uow.conn.execute(select(s.id, s.code, s.name).where(s.id.in_(sorted(set(ids))))).all()
    return {i: (code, name) for i, code, name in rows}


# The rest of the public surface lives in its own modules (they use this one's helpers).
from omnistock.purchasing.bills import (  # noqa: E402,F401
    BILL_APPROVED_EVENT,
    BillApproved,
    BillLineIn,
    accruals,
    approve_bill,
    bill_detail,
    create_bill,
    list_bills,
)
from omnistock.purchasing.receiving import (  # noqa: E402,F401
    ReceiveLineIn,
    ReturnLineIn,
    list_holds,
    list_receipts,
    list_returns,
    receive_order,
    reject_hold,
    release_hold,
    return_to_supplier,
)
from omnistock.purchasing.workbench import Pick, create_draft_orders, replenishment, stock_health  # noqa: E402,F401

# isort: split
from omnistock.purchasing.requests import create_request, list_requests, order_requests, reject_request  # noqa: E402,F401
