"""Catalog use cases. SKU ids and cost methods never change once created, so lookups by code
are cached per database after the transaction that read them commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, or_, select

from omnistock.catalog import rules
from omnistock.catalog.models import sku as sku_t
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork

register(
    ("catalog.sku.read", "查看商品", "View SKUs"),
    ("catalog.sku.create", "新建商品", "Create SKUs"),
)


@dataclass(frozen=True)
class SkuRef:
    id: int
    code: str
    cost_method: str


@dataclass(frozen=True)
class Sku:
    id: int
    code: str
    name: str
    unit: str
    price_cents: int
    cost_method: str
    safety_stock: int
    active: bool


_cache = CodeCache("sku")

# A read-only selectable of SKU attributes for other areas' reports to join (never to write).
sku_view = sku_t


def _unknown(code: str) -> Invalid:
    return Invalid("catalog.unknown_sku", "Unknown SKU {sku}", "未知的 SKU：{sku}", sku=code)


def create_sku(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    unit: str,
    price_cents: int,
    cost_method: str,
    safety_stock: int = 0,
) -> Sku:
    uow.actor.require("catalog.sku.create")
    reason = rules.check_code(code)
    if reason:
        raise Invalid(
            "catalog.bad_code", "Bad SKU code {sku}: " + reason, "SKU 编码 {sku} 不合法", sku=str(code)
        )
    if cost_method not in rules.COST_METHODS:
        raise Invalid(
            "catalog.bad_cost_method",
            "Cost method must be average or fifo",
            "成本计价方法必须是移动加权平均（average）或先进先出（fifo）",
        )
    if not name or not unit:
        raise Invalid("catalog.missing_name", "A SKU needs a name and a unit", "商品需要名称和单位")
    if not _is_count(price_cents) or not _is_count(safety_stock):
        raise Invalid(
            "catalog.bad_number",
            "Price and safety stock must be whole numbers ≥ 0",
            "价格和安全库存必须是不小于 0 的整数",
        )
    exists = uow.conn.execute(select(sku_t.c.id).where(sku_t.c.code == code)).first()
    if exists:
        raise Conflict("catalog.duplicate_sku", "SKU {sku} already exists", "SKU {sku} 已存在", sku=code)
    row = {
        "code": code,
        "name": name,
        "unit": unit,
        "price_cents": price_cents,
        "cost_method": cost_method,
        "safety_stock": safety_stock,
        "active": True,
        "created_at": utcnow(),
    }
    sku_id = uow.conn.execute(insert(sku_t).returning(sku_t.c.id), row).scalar_one()
    uow.audit("catalog.sku.create", "sku", code, after={k: v for k, v in row.items() if k != "created_at"})
    return Sku(id=sku_id, **{k: row[k] for k in Sku.__dataclass_fields__ if k != "id"})


def _is_count(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def sku_ref(uow: UnitOfWork, code: str) -> SkuRef:
    """The SKU with ``code`` (id and cost method), or an ``Invalid`` error."""

    def load() -> SkuRef | None:
        row = uow.conn.execute(select(sku_t.c.id, sku_t.c.cost_method).where(sku_t.c.code == code)).first()
        return SkuRef(row.id, code, row.cost_method) if row else None

    ref = _cache.lookup(uow, code, load)
    if ref is None:
        raise _unknown(code)
    return ref


def sku_ref_by_id(uow: UnitOfWork, sku_id: int) -> SkuRef:
    def load() -> SkuRef | None:
        row = uow.conn.execute(select(sku_t.c.code, sku_t.c.cost_method).where(sku_t.c.id == sku_id)).first()
        return SkuRef(sku_id, row.code, row.cost_method) if row else None

    ref = _cache.lookup(uow, f"#{sku_id}", load)
    if ref is None:
        raise _unknown(f"#{sku_id}")
    return ref


def _sku(r) -> Sku:
    return Sku(r.id, r.code, r.name, r.unit, r.price_cents, r.cost_method, r.safety_stock, r.active)


def list_skus(uow: UnitOfWork, *, q: str | None = None, cursor: str | None = None, limit: int = 50):
    stmt = select(sku_t).order_by(sku_t.c.code).limit(limit + 1)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(sku_t.c.code.ilike(like), sku_t.c.name.ilike(like)))
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(sku_t.c.code > str(after.get("code", "")))
    rows = [_sku(r) for r in uow.conn.execute(stmt)]
    nxt = encode_cursor({"code": rows[limit - 1].code}) if len(rows) > limit else None
    return rows[:limit], nxt


def count_skus(uow: UnitOfWork) -> int:
    return uow.conn.execute(select(func.count()).select_from(sku_t)).scalar_one()
