"""Catalog use cases: products (SPU) and SKUs, barcodes, bundles, categories and brands.

A SKU's id, code, cost method, kind and tracking never change once created, and neither do a
bundle's components, so lookups of them are cached per database after the transaction that
read them commits. SKU codes and barcodes share one namespace: a scanned code names at most one
SKU (``resolve_code``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from omnistock.catalog import images, rules
from omnistock.catalog.models import barcode as barcode_t
from omnistock.catalog.models import brand as brand_t
from omnistock.catalog.models import bundle_component as bundle_t
from omnistock.catalog.models import category as category_t
from omnistock.catalog.models import product as product_t
from omnistock.catalog.models import sku as sku_t
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError, Conflict, Invalid, not_found
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork

register(
    ("catalog.sku.read", "查看 SKU", "View SKUs"),
    ("catalog.sku.create", "新建 SKU 与组合套餐", "Create SKUs and bundles"),
    (
        "catalog.sku.update",
        "修改 SKU（名称、价格、条码、停用）",
        "Update SKUs (name, price, barcodes, archive)",
    ),
    ("catalog.product.read", "查看商品、类目与品牌", "View products, categories and brands"),
    ("catalog.product.create", "新建商品（含 SKU）", "Create products with their SKUs"),
    ("catalog.product.update", "修改商品、增加 SKU、归档", "Update products, add SKUs, archive"),
    ("catalog.category.manage", "管理商品类目", "Manage categories"),
    ("catalog.brand.manage", "管理品牌", "Manage brands"),
    ("catalog.image.upload", "上传商品图片", "Upload product images"),
    ("catalog.import", "Excel 导入商品", "Import products from Excel"),
)


class _Keep:
    """A keyword left out of an update: keep the stored value (``None`` clears a nullable one)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


# ---------------------------------------------------------------------------------------------
# Returned data


@dataclass(frozen=True)
class SkuRef:
    """What other areas need of a SKU on every line; none of it ever changes once created."""

    id: int
    code: str
    cost_method: str
    kind: str = "standard"
    tracking: str = "none"


@dataclass(frozen=True)
class ComponentLine:
    sku_id: int
    code: str
    name: str
    qty: int


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
    product_id: int | None = None
    product_code: str | None = None
    attributes: dict[str, str] | None = None
    kind: str = "standard"
    tracking: str = "none"
    shelf_life_days: int | None = None
    barcodes: tuple[str, ...] = ()
    components: tuple[ComponentLine, ...] = ()


@dataclass(frozen=True)
class Component:
    """A bundle's component in a request: a standard SKU's code and how many go in one bundle."""

    sku: str
    qty: int


@dataclass(frozen=True)
class NewSku:
    """One SKU to create (standalone, or of a product)."""

    code: str
    name: str | None = None  # of a product's SKU: the product name and the attribute values
    unit: str = "pcs"
    price_cents: int = 0
    cost_method: str = "average"
    safety_stock: int = 0
    attributes: Mapping[str, str] | None = None
    barcodes: Sequence[str] = ()
    tracking: str = "none"
    shelf_life_days: int | None = None
    kind: str = "standard"
    components: Sequence[Component] = ()
    active: bool = True


@dataclass(frozen=True)
class Product:
    id: int
    code: str
    name: str
    category_id: int | None
    category_code: str | None
    category_name: str | None
    brand_id: int | None
    brand_code: str | None
    brand_name: str | None
    description: str
    images: list[str]
    attributes: list[dict]
    status: str
    created_at: Any
    updated_at: Any
    sku_count: int = 0
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    skus: tuple[Sku, ...] = ()


@dataclass(frozen=True)
class Category:
    id: int
    code: str
    name: str
    parent_id: int | None
    parent_code: str | None
    sort: int
    product_count: int = 0
    child_count: int = 0


@dataclass(frozen=True)
class Brand:
    id: int
    code: str
    name: str
    product_count: int = 0


_cache = CodeCache("sku")
_components = CodeCache("bundle_components")

# A read-only selectable of SKU attributes for other areas' reports to join (never to write).
sku_view = sku_t


# ---------------------------------------------------------------------------------------------
# Errors


def _unknown(code: str) -> Invalid:
    return Invalid("catalog.unknown_sku", "Unknown SKU {sku}", "未知的 SKU：{sku}", sku=code)


def _rule(err: rules.RuleError, **params: Any) -> Invalid:
    return Invalid(err.code, err.en, err.zh, **params)


def _bad_code(code: object, what_en: str = "SKU code", what_zh: str = "SKU 编码") -> Invalid:
    return Invalid(
        "catalog.bad_code",
        what_en + " {code} is not valid: " + (rules.check_code(code) or ""),
        what_zh + " {code} 不合法：只能包含字母、数字和 . _ - /，以字母或数字开头，最长 64 位",
        code=str(code)[:80],
    )


def _duplicate_sku(code: str) -> Conflict:
    return Conflict("catalog.duplicate_sku", "SKU {sku} already exists", "SKU {sku} 已存在", sku=code)


def _code_is_barcode(code: str) -> Conflict:
    return Conflict(
        "catalog.code_is_barcode",
        "{code} is already a barcode of another SKU",
        "{code} 已是其他 SKU 的条码",
        code=code,
    )


def _duplicate_barcode(code: str, owner: str | None = None) -> Conflict:
    if owner:
        return Conflict(
            "catalog.duplicate_barcode",
            "Barcode {barcode} is taken: it names SKU {owner}",
            "条码 {barcode} 已被 SKU {owner} 使用（作为其编码或条码）",
            barcode=code,
            owner=owner,
        )
    return Conflict(
        "catalog.duplicate_barcode", "Barcode {barcode} is used twice", "条码 {barcode} 重复", barcode=code
    )


def _is_count(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _text(v: object, max_len: int) -> str | None:
    """A trimmed, non-empty string of at most ``max_len`` characters, else None."""
    if not isinstance(v, str):
        return None
    v = v.strip()
    return v if 0 < len(v) <= max_len else None


# ---------------------------------------------------------------------------------------------
# SKUs


def _check_sku_fields(
    *,
    code: object,
    name: object,
    unit: object,
    price_cents: object,
    cost_method: object,
    safety_stock: object,
) -> None:
    if rules.check_code(code):
        raise Invalid(
            "catalog.bad_code",
            "Bad SKU code {sku}: " + (rules.check_code(code) or ""),
            "SKU 编码 {sku} 不合法",
            sku=str(code),
        )
    if cost_method not in rules.COST_METHODS:
        raise Invalid(
            "catalog.bad_cost_method",
            "Cost method must be average or fifo",
            "成本计价方法必须是移动加权平均（average）或先进先出（fifo）",
        )
    if not name or not unit or not isinstance(name, str) or not isinstance(unit, str):
        raise Invalid("catalog.missing_name", "A SKU needs a name and a unit", "商品需要名称和单位")
    if len(name) > 200 or len(unit) > 16:
        raise Invalid(
            "catalog.name_too_long",
            "A SKU name is at most 200 characters and a unit at most 16",
            "SKU 名称最长 200 个字符，单位最长 16 个字符",
        )
    if (
        not _is_count(price_cents)
        or not _is_count(safety_stock)
        or price_cents > rules.MAX_PRICE_CENTS  # type: ignore[operator]
        or safety_stock > 10**9  # type: ignore[operator]
    ):
        raise Invalid(
            "catalog.bad_number",
            "Price and safety stock must be whole numbers ≥ 0",
            "价格和安全库存必须是不小于 0 的整数",
        )


def _check_tracking(kind: object, tracking: object, shelf_life_days: object) -> None:
    if kind not in rules.KINDS:
        raise Invalid("catalog.bad_kind", "A SKU is standard or bundle", "SKU 类型必须是普通或组合")
    if tracking not in rules.TRACKING:
        raise Invalid(
            "catalog.bad_tracking",
            "Tracking must be none, batch or serial",
            "批次管理方式必须是 none（不管理）、batch（批次）或 serial（序列号）",
        )
    _check_shelf_life(shelf_life_days)
    if kind == "bundle" and (tracking != "none" or shelf_life_days is not None):
        raise Invalid(
            "catalog.bad_bundle",
            "A bundle has no batch or serial tracking and no shelf life of its own",
            "组合套餐本身不做批次或序列号管理，也没有保质期",
        )


def _check_shelf_life(days: object) -> None:
    if days is not None and (
        not _is_count(days) or not 0 < days <= rules.MAX_SHELF_LIFE_DAYS  # type: ignore[operator]
    ):
        raise Invalid(
            "catalog.bad_shelf_life",
            "Shelf life is a whole number of days from 1 to {max}",
            "保质期必须是 1 到 {max} 之间的整数天数",
            max=rules.MAX_SHELF_LIFE_DAYS,
        )


def _clean_barcodes(codes: Iterable[object]) -> list[str]:
    out: list[str] = []
    for c in codes:
        if rules.check_barcode(c):
            raise Invalid(
                "catalog.bad_barcode",
                "Barcode {barcode} is not valid: " + (rules.check_barcode(c) or ""),
                "条码 {barcode} 不合法：只能包含字母、数字和 . _ - /，以字母或数字开头，最长 64 位",
                barcode=str(c)[:80],
            )
        if c in out:
            raise _duplicate_barcode(c)  # type: ignore[arg-type]
        out.append(c)  # type: ignore[arg-type]
    if len(out) > rules.MAX_BARCODES:
        raise Invalid(
            "catalog.too_many_barcodes",
            "A SKU has at most {max} barcodes",
            "一个 SKU 最多 {max} 个条码",
            max=rules.MAX_BARCODES,
        )
    return out


def _check_codes_free(uow: UnitOfWork, sku_codes: Sequence[str], barcodes: Mapping[str, str]) -> None:
    """New SKU codes and new barcodes (barcode -> its SKU's code) must name nothing yet: no SKU
    and no barcode of another SKU. One query for the lot."""
    wanted = list(dict.fromkeys([*sku_codes, *barcodes]))
    if not wanted:
        return
    taken: dict[str, str] = {}  # code -> the SKU code it names now
    for chunk in _chunks(wanted):
        for code, owner in uow.conn.execute(
            select(sku_t.c.code, sku_t.c.code.label("owner"))
            .where(sku_t.c.code.in_(chunk))
            .union_all(
                select(barcode_t.c.code, sku_t.c.code)
                .join(sku_t, sku_t.c.id == barcode_t.c.sku_id)
                .where(barcode_t.c.code.in_(chunk))
            )
        ):
            taken[code] = owner
    for code in sku_codes:
        if code in taken:
            raise _duplicate_sku(code) if taken[code] == code else _code_is_barcode(code)
    for code, sku_code in barcodes.items():
        owner = taken.get(code)
        if owner is not None and owner != sku_code:
            raise _duplicate_barcode(code, owner)


def _chunks(items: Sequence, size: int = 500) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def create_sku(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    unit: str,
    price_cents: int,
    cost_method: str,
    safety_stock: int = 0,
    barcodes: Sequence[str] = (),
    tracking: str = "none",
    shelf_life_days: int | None = None,
    kind: str = "standard",
    components: Sequence[Component] = (),
) -> Sku:
    """A standalone SKU (no product); ``kind="bundle"`` with its ``components`` makes a kit."""
    uow.actor.require("catalog.sku.create")
    _check_sku_fields(
        code=code,
        name=name,
        unit=unit,
        price_cents=price_cents,
        cost_method=cost_method,
        safety_stock=safety_stock,
    )
    if kind != "standard" or tracking != "none" or shelf_life_days is not None:
        _check_tracking(kind, tracking, shelf_life_days)
    if barcodes or components or kind != "standard" or tracking != "none" or shelf_life_days is not None:
        spec = NewSku(
            code=code,
            name=name,
            unit=unit,
            price_cents=price_cents,
            cost_method=cost_method,
            safety_stock=safety_stock,
            barcodes=_clean_barcodes(barcodes),
            tracking=tracking,
            shelf_life_days=shelf_life_days,
            kind=kind,
            components=components,
        )
        _check_codes_free(uow, [code], {b: code for b in spec.barcodes})
        parts = _check_components(uow, spec)
        return _insert_sku(uow, spec, name, None, None, parts)
    # The hot path (workload replay): one query to check the code, one insert.
    taken = uow.conn.execute(
        select(sku_t.c.code)
        .where(sku_t.c.code == code)
        .union_all(select(barcode_t.c.code).where(barcode_t.c.code == code))
    ).first()
    if taken:
        raise _duplicate_sku(code) if _sku_code_exists(uow, code) else _code_is_barcode(code)
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
    return Sku(id=sku_id, **{k: row[k] for k in Sku.__dataclass_fields__ if k in row and k != "id"})


def _sku_code_exists(uow: UnitOfWork, code: str) -> bool:
    return uow.conn.execute(select(sku_t.c.id).where(sku_t.c.code == code)).first() is not None


def _check_components(uow: UnitOfWork, spec: NewSku) -> list[tuple[SkuRef, int]]:
    if spec.kind != "bundle":
        if spec.components:
            raise Invalid("catalog.bad_bundle", "Only a bundle has components", "只有组合套餐才有组成商品")
        return []
    if not spec.components or len(spec.components) > rules.MAX_COMPONENTS:
        raise Invalid(
            "catalog.bad_bundle",
            "A bundle needs 1-{max} components",
            "组合套餐需要 1-{max} 个组成商品",
            max=rules.MAX_COMPONENTS,
        )
    out: list[tuple[SkuRef, int]] = []
    for c in spec.components:
        if c.sku == spec.code:
            raise Invalid("catalog.bad_bundle", "A bundle cannot contain itself", "组合套餐不能包含自身")
        ref = sku_ref(uow, c.sku)
        if ref.kind != "standard":
            raise Invalid(
                "catalog.bad_bundle",
                "Component {sku} is a bundle itself: bundles do not nest",
                "组成商品 {sku} 本身是组合套餐，套餐不能嵌套",
                sku=c.sku,
            )
        if not _is_count(c.qty) or not 0 < c.qty <= rules.MAX_BUNDLE_QTY:
            raise Invalid(
                "catalog.bad_bundle",
                "The quantity of {sku} in a bundle is a whole number from 1 to {max}",
                "组合中 {sku} 的数量必须是 1 到 {max} 之间的整数",
                sku=c.sku,
                max=rules.MAX_BUNDLE_QTY,
            )
        if any(r.id == ref.id for r, _ in out):
            raise Invalid(
                "catalog.bad_bundle", "Component {sku} is listed twice", "组成商品 {sku} 重复", sku=c.sku
            )
        out.append((ref, c.qty))
    return out


def _insert_sku(
    uow: UnitOfWork,
    spec: NewSku,
    name: str,
    product_id: int | None,
    attributes: dict[str, str] | None,
    parts: list[tuple[SkuRef, int]],
    *,
    product_code: str | None = None,
) -> Sku:
    """Insert a checked SKU with its barcodes and components; audited."""
    now = utcnow()
    row = {
        "code": spec.code,
        "name": name,
        "unit": spec.unit,
        "price_cents": spec.price_cents,
        "cost_method": spec.cost_method,
        "safety_stock": spec.safety_stock,
        "active": spec.active,
        "product_id": product_id,
        "attributes": attributes,
        "kind": spec.kind,
        "tracking": spec.tracking,
        "shelf_life_days": spec.shelf_life_days,
        "created_at": now,
    }
    sku_id = uow.conn.execute(insert(sku_t).returning(sku_t.c.id), row).scalar_one()
    if spec.barcodes:
        _insert_barcodes(uow, sku_id, list(spec.barcodes), now)
    if parts:
        uow.conn.execute(
            insert(bundle_t),
            [{"bundle_sku_id": sku_id, "component_sku_id": r.id, "qty": q} for r, q in parts],
        )
    comps = tuple(_components_of(uow, [sku_id])[sku_id]) if parts else ()
    sku = Sku(
        id=sku_id,
        product_code=product_code,
        barcodes=tuple(spec.barcodes),
        components=comps,
        **{k: v for k, v in row.items() if k in Sku.__dataclass_fields__},
    )
    uow.audit("catalog.sku.create", "sku", spec.code, after=_sku_view(sku))
    return sku


def _insert_barcodes(uow: UnitOfWork, sku_id: int, codes: list[str], now) -> None:
    try:
        uow.conn.execute(insert(barcode_t), [{"code": c, "sku_id": sku_id, "created_at": now} for c in codes])
    except IntegrityError as exc:  # a concurrent writer took one first
        raise _duplicate_barcode(", ".join(codes)) from exc


def _sku_view(s: Sku) -> dict[str, Any]:
    view = {
        "code": s.code,
        "name": s.name,
        "unit": s.unit,
        "price_cents": s.price_cents,
        "cost_method": s.cost_method,
        "safety_stock": s.safety_stock,
        "active": s.active,
        "product": s.product_code,
        "attributes": s.attributes,
        "kind": s.kind,
        "tracking": s.tracking,
        "shelf_life_days": s.shelf_life_days,
        "barcodes": list(s.barcodes),
    }
    if s.components:
        view["components"] = [{"sku": c.code, "qty": c.qty} for c in s.components]
    return view


def _ref(row) -> SkuRef:
    return SkuRef(row.id, row.code, row.cost_method, row.kind, row.tracking)


_REF_COLS = (sku_t.c.id, sku_t.c.code, sku_t.c.cost_method, sku_t.c.kind, sku_t.c.tracking)


def sku_ref(uow: UnitOfWork, code: str) -> SkuRef:
    """The SKU with ``code`` (id, cost method, kind, tracking), or an ``Invalid`` error."""

    def load() -> SkuRef | None:
        row = uow.conn.execute(select(*_REF_COLS).where(sku_t.c.code == code)).first()
        if row is None:
            return None
        ref = _ref(row)
        _cache.put_after_commit(uow, f"#{ref.id}", ref)
        return ref

    ref = _cache.lookup(uow, code, load)
    if ref is None:
        raise _unknown(code)
    return ref


def sku_ref_by_id(uow: UnitOfWork, sku_id: int) -> SkuRef:
    def load() -> SkuRef | None:
        row = uow.conn.execute(select(*_REF_COLS).where(sku_t.c.id == sku_id)).first()
        if row is None:
            return None
        ref = _ref(row)
        _cache.put_after_commit(uow, ref.code, ref)
        return ref

    ref = _cache.lookup(uow, f"#{sku_id}", load)
    if ref is None:
        raise _unknown(f"#{sku_id}")
    return ref


def sku_labels(uow: UnitOfWork, sku_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Code and name of each SKU id (unknown ids are left out): for reports that show SKUs."""
    ids = sorted({int(i) for i in sku_ids})
    out: dict[int, tuple[str, str]] = {}
    for part in _chunks(ids):
        for sid, code, name in uow.conn.execute(
            select(sku_t.c.id, sku_t.c.code, sku_t.c.name).where(sku_t.c.id.in_(part))
        ):
            out[sid] = (code, name)
    return out


def resolve_code(uow: UnitOfWork, code: str) -> SkuRef:
    """The SKU a scanned code names: its SKU code or one of its barcodes (404 when neither)."""
    hit = _cache.get(uow, code)
    if hit is not None:
        return hit
    by_barcode = select(barcode_t.c.sku_id).where(barcode_t.c.code == code).scalar_subquery()
    row = uow.conn.execute(
        select(*_REF_COLS).where(or_(sku_t.c.code == code, sku_t.c.id == by_barcode)).limit(1)
    ).first()
    if row is None:
        raise AppError(
            "catalog.unknown_code",
            "No SKU has the code or barcode {code}",
            "没有 SKU 的编码或条码是 {code}",
            status=404,
            code=code,
        )
    ref = _ref(row)
    if ref.code == code:
        _cache.put_after_commit(uow, code, ref)
    return ref


def components(uow: UnitOfWork, sku_ids: Iterable[int]) -> dict[int, list[tuple[SkuRef, int]]]:
    """The components (SKU, quantity per bundle) of each bundle among ``sku_ids``; SKUs that are
    not bundles are left out. Cached: a bundle's components never change."""
    out: dict[int, list[tuple[SkuRef, int]]] = {}
    missing: list[int] = []
    for sid in dict.fromkeys(sku_ids):
        if sku_ref_by_id(uow, sid).kind != "bundle":
            continue
        hit = _components.get(uow, sid)
        if hit is None:
            missing.append(sid)
        else:
            out[sid] = list(hit)
    if missing:
        rows: dict[int, list[tuple[int, int]]] = {sid: [] for sid in missing}
        for chunk in _chunks(missing):
            for b, c, q in uow.conn.execute(
                select(bundle_t.c.bundle_sku_id, bundle_t.c.component_sku_id, bundle_t.c.qty)
                .where(bundle_t.c.bundle_sku_id.in_(chunk))
                .order_by(bundle_t.c.bundle_sku_id, bundle_t.c.component_sku_id)
            ):
                rows[b].append((c, q))
        for sid in missing:
            value = tuple((sku_ref_by_id(uow, c), q) for c, q in rows[sid])
            _components.put_after_commit(uow, sid, value)
            out[sid] = list(value)
    return out


def _sku_select():
    return select(
        sku_t, product_t.c.code.label("product_code"), product_t.c.attributes.label("definitions")
    ).select_from(sku_t.outerjoin(product_t, product_t.c.id == sku_t.c.product_id))


def _ordered(attributes: dict[str, str] | None, definitions: list[dict] | None) -> dict[str, str] | None:
    """A SKU's values in its product's attribute order (PostgreSQL's JSONB keeps no key order)."""
    if not attributes:
        return attributes
    names = [a["name"] for a in definitions or []]
    return {n: attributes[n] for n in names if n in attributes} | {
        k: v for k, v in attributes.items() if k not in names
    }


def _sku(r, barcodes: Sequence[str] = (), comps: Sequence[ComponentLine] = ()) -> Sku:
    return Sku(
        id=r.id,
        code=r.code,
        name=r.name,
        unit=r.unit,
        price_cents=r.price_cents,
        cost_method=r.cost_method,
        safety_stock=r.safety_stock,
        active=bool(r.active),
        product_id=r.product_id,
        product_code=r.product_code,
        attributes=_ordered(r.attributes, r.definitions),
        kind=r.kind,
        tracking=r.tracking,
        shelf_life_days=r.shelf_life_days,
        barcodes=tuple(barcodes),
        components=tuple(comps),
    )


def _barcodes_of(uow: UnitOfWork, sku_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in sku_ids}
    for chunk in _chunks(list(sku_ids)):
        for sid, code in uow.conn.execute(
            select(barcode_t.c.sku_id, barcode_t.c.code)
            .where(barcode_t.c.sku_id.in_(chunk))
            .order_by(barcode_t.c.id)
        ):
            out[sid].append(code)
    return out


def _components_of(uow: UnitOfWork, sku_ids: Sequence[int]) -> dict[int, list[ComponentLine]]:
    out: dict[int, list[ComponentLine]] = {}
    for chunk in _chunks(list(sku_ids)):
        for b, cid, code, name, qty in uow.conn.execute(
            select(bundle_t.c.bundle_sku_id, sku_t.c.id, sku_t.c.code, sku_t.c.name, bundle_t.c.qty)
            .join(sku_t, sku_t.c.id == bundle_t.c.component_sku_id)
            .where(bundle_t.c.bundle_sku_id.in_(chunk))
            .order_by(bundle_t.c.bundle_sku_id, sku_t.c.code)
        ):
            out.setdefault(b, []).append(ComponentLine(cid, code, name, qty))
    return out


def _skus_from_rows(uow: UnitOfWork, rows: Sequence) -> list[Sku]:
    ids = [r.id for r in rows]
    codes = _barcodes_of(uow, ids)
    bundles = [r.id for r in rows if r.kind == "bundle"]
    comps = _components_of(uow, bundles) if bundles else {}
    return [_sku(r, codes[r.id], comps.get(r.id, ())) for r in rows]


def get_sku(uow: UnitOfWork, sku_id: int) -> Sku:
    """One SKU with its barcodes and (of a bundle) components."""
    row = uow.conn.execute(_sku_select().where(sku_t.c.id == sku_id)).first()
    if row is None:
        raise not_found("sku", sku_id, zh="SKU")
    return _skus_from_rows(uow, [row])[0]


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_skus(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
    product_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    """SKUs by code; ``q`` matches code or name, or is one of the SKU's barcodes."""
    stmt = _sku_select().order_by(sku_t.c.code).limit(limit + 1)
    if q:
        like = _like(q)
        stmt = stmt.where(
            or_(
                sku_t.c.code.ilike(like, escape="\\"),
                sku_t.c.name.ilike(like, escape="\\"),
                sku_t.c.id.in_(select(barcode_t.c.sku_id).where(barcode_t.c.code == q)),
            )
        )
    if kind:
        stmt = stmt.where(sku_t.c.kind == kind)
    if active is not None:
        stmt = stmt.where(sku_t.c.active == active)
    if product_id is not None:
        stmt = stmt.where(sku_t.c.product_id == product_id)
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(sku_t.c.code > str(after.get("code", "")))
    rows = uow.conn.execute(stmt).all()
    nxt = encode_cursor({"code": rows[limit - 1].code}) if len(rows) > limit else None
    return _skus_from_rows(uow, rows[:limit]), nxt


@dataclass(frozen=True)
class PlanningSku:
    """What replenishment planning needs of an active standard SKU."""

    id: int
    code: str
    name: str
    safety_stock: int


def planning_skus(uow: UnitOfWork) -> list[PlanningSku]:
    """Every active standard (not bundle) SKU, in one query (for purchasing's replenishment)."""
    c = sku_t.c
    rows = uow.conn.execute(
        select(c.id, c.code, c.name, c.safety_stock)
        .where(c.active.is_(True), c.kind == "standard")
        .order_by(c.id)
    )
    return [PlanningSku(r.id, r.code, r.name, r.safety_stock) for r in rows]


def count_skus(uow: UnitOfWork) -> int:
    return uow.conn.execute(select(func.count()).select_from(sku_t)).scalar_one()


def update_sku(
    uow: UnitOfWork,
    sku_id: int,
    *,
    name: str = KEEP,
    price_cents: int = KEEP,
    safety_stock: int = KEEP,
    attributes: Mapping[str, str] | None = KEEP,
    shelf_life_days: int | None = KEEP,
    barcodes: Sequence[str] = KEEP,
) -> Sku:
    """Change what may change of a SKU; its code, unit, cost method, kind and tracking never do.
    ``barcodes`` is the SKU's whole new set of barcodes."""
    uow.actor.require("catalog.sku.update")
    before = _locked_sku(uow, sku_id)
    values: dict[str, Any] = {}
    if name is not KEEP:
        clean = _text(name, 200)
        if clean is None:
            raise Invalid("catalog.missing_name", "A SKU needs a name (1-200 characters)", "SKU 名称不能为空")
        values["name"] = clean
    if price_cents is not KEEP or safety_stock is not KEEP:
        p = before.price_cents if price_cents is KEEP else price_cents
        s = before.safety_stock if safety_stock is KEEP else safety_stock
        _check_sku_fields(
            code=before.code,
            name=before.name,
            unit=before.unit,
            price_cents=p,
            cost_method=before.cost_method,
            safety_stock=s,
        )
        values.update(price_cents=p, safety_stock=s)
    if shelf_life_days is not KEEP:
        _check_shelf_life(shelf_life_days)
        if before.kind == "bundle" and shelf_life_days is not None:
            raise Invalid("catalog.bad_bundle", "A bundle has no shelf life of its own", "组合套餐没有保质期")
        values["shelf_life_days"] = shelf_life_days
    if attributes is not KEEP:
        values["attributes"] = _checked_sku_attributes(uow, before, attributes)
    if values:
        uow.conn.execute(update(sku_t).where(sku_t.c.id == sku_id).values(**values))
    if barcodes is not KEEP:
        _set_barcodes(uow, before, _clean_barcodes(barcodes or []))
    after = get_sku(uow, sku_id)
    if after != before:
        uow.audit("catalog.sku.update", "sku", before.code, before=_sku_view(before), after=_sku_view(after))
    return after


def _locked_sku(uow: UnitOfWork, sku_id: int) -> Sku:
    """The SKU, its row locked for this transaction on PostgreSQL (SQLite writers are serial)."""
    stmt = _sku_select().where(sku_t.c.id == sku_id)
    if uow.dialect != "sqlite":
        stmt = stmt.with_for_update(of=sku_t)
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise not_found("sku", sku_id, zh="SKU")
    return _skus_from_rows(uow, [row])[0]


def _checked_sku_attributes(uow: UnitOfWork, sku: Sku, attributes: Mapping[str, str] | None):
    if sku.product_id is None:
        if attributes:
            raise Invalid(
                "catalog.bad_sku_attributes",
                "Only a product's SKUs have attribute values",
                "只有属于商品的 SKU 才有规格值",
            )
        return None
    defs = _definitions(uow, sku.product_id)
    try:
        clean = rules.sku_attributes(defs, attributes)
    except rules.RuleError as err:
        raise _rule(err, sku=sku.code) from err
    others = uow.conn.execute(
        select(sku_t.c.code, sku_t.c.attributes).where(
            sku_t.c.product_id == sku.product_id, sku_t.c.id != sku.id
        )
    ).all()
    for code, attrs in others:
        if rules.combo_key(attrs) == rules.combo_key(clean):
            raise _duplicate_combination(code)
    return clean


def _product_archived(code: str | None) -> Conflict:
    return Conflict(
        "catalog.product_archived",
        "Product {product} is archived: unarchive it first",
        "商品 {product} 已归档，请先恢复商品",
        product=code,
    )


def _duplicate_combination(other: str) -> Conflict:
    return Conflict(
        "catalog.duplicate_combination",
        "SKU {other} of this product already has these attribute values",
        "该商品的 SKU {other} 已是这组规格值",
        other=other,
    )


def _set_barcodes(uow: UnitOfWork, sku: Sku, codes: list[str]) -> None:
    gone = [c for c in sku.barcodes if c not in codes]
    new = [c for c in codes if c not in sku.barcodes]
    if gone:
        uow.conn.execute(delete(barcode_t).where(barcode_t.c.sku_id == sku.id, barcode_t.c.code.in_(gone)))
    if new:
        _check_codes_free(uow, [], {c: sku.code for c in new})
        _insert_barcodes(uow, sku.id, new, utcnow())


def release_barcodes(uow: UnitOfWork, sku_id: int, keep: Iterable[str]) -> None:
    """Remove the SKU's barcodes that are not in ``keep`` (so another SKU can take them)."""
    uow.actor.require("catalog.sku.update")
    before = _locked_sku(uow, sku_id)
    keep = set(keep)
    gone = [c for c in before.barcodes if c not in keep]
    if gone:
        uow.conn.execute(delete(barcode_t).where(barcode_t.c.sku_id == sku_id, barcode_t.c.code.in_(gone)))
        after = replace(before, barcodes=tuple(c for c in before.barcodes if c in keep))
        uow.audit("catalog.sku.update", "sku", before.code, before=_sku_view(before), after=_sku_view(after))


def set_sku_active(uow: UnitOfWork, sku_id: int, active: bool) -> Sku:
    """Archive (停用) or bring back a SKU. A SKU of an archived product stays archived."""
    uow.actor.require("catalog.sku.update")
    before = _locked_sku(uow, sku_id)
    if active and before.product_id is not None:
        status = uow.conn.execute(
            select(product_t.c.status).where(product_t.c.id == before.product_id)
        ).scalar_one()
        if status != "active":
            raise _product_archived(before.product_code)
    if before.active == active:
        return before
    uow.conn.execute(update(sku_t).where(sku_t.c.id == sku_id).values(active=active))
    after = replace(before, active=active)
    action = "catalog.sku.unarchive" if active else "catalog.sku.archive"
    uow.audit(action, "sku", before.code, before={"active": before.active}, after={"active": active})
    return after


# ---------------------------------------------------------------------------------------------
# Products


def _definitions(uow: UnitOfWork, product_id: int) -> list[rules.Attribute]:
    raw = uow.conn.execute(select(product_t.c.attributes).where(product_t.c.id == product_id)).scalar_one()
    return [rules.Attribute(a["name"], tuple(a["values"])) for a in raw or []]


def _product_select():
    counts = (
        select(
            sku_t.c.product_id.label("pid"),
            func.count().label("n"),
            func.min(sku_t.c.price_cents).label("pmin"),
            func.max(sku_t.c.price_cents).label("pmax"),
        )
        .where(sku_t.c.product_id.is_not(None))
        .group_by(sku_t.c.product_id)
        .subquery()
    )
    return select(
        product_t,
        category_t.c.code.label("category_code"),
        category_t.c.name.label("category_name"),
        brand_t.c.code.label("brand_code"),
        brand_t.c.name.label("brand_name"),
        func.coalesce(counts.c.n, 0).label("sku_count"),
        counts.c.pmin,
        counts.c.pmax,
    ).select_from(
        product_t.outerjoin(category_t, category_t.c.id == product_t.c.category_id)
        .outerjoin(brand_t, brand_t.c.id == product_t.c.brand_id)
        .outerjoin(counts, counts.c.pid == product_t.c.id)
    )


def _product(r, skus: Sequence[Sku] = ()) -> Product:
    return Product(
        id=r.id,
        code=r.code,
        name=r.name,
        category_id=r.category_id,
        category_code=r.category_code,
        category_name=r.category_name,
        brand_id=r.brand_id,
        brand_code=r.brand_code,
        brand_name=r.brand_name,
        description=r.description,
        images=list(r.images or []),
        attributes=list(r.attributes or []),
        status=r.status,
        created_at=r.created_at,
        updated_at=r.updated_at,
        sku_count=int(r.sku_count),
        price_min_cents=r.pmin,
        price_max_cents=r.pmax,
        skus=tuple(skus),
    )


def get_product(uow: UnitOfWork, product_id: int) -> Product:
    """A product with its SKUs (each with its barcodes), SKUs in the order they were created."""
    row = uow.conn.execute(_product_select().where(product_t.c.id == product_id)).first()
    if row is None:
        raise not_found("product", product_id, zh="商品")
    sku_rows = uow.conn.execute(
        _sku_select().where(sku_t.c.product_id == product_id).order_by(sku_t.c.id)
    ).all()
    return _product(row, _skus_from_rows(uow, sku_rows))


def product_id_by_code(uow: UnitOfWork, code: str) -> int | None:
    return uow.conn.execute(select(product_t.c.id).where(product_t.c.code == code)).scalar()


def list_products(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    category: str | None = None,
    brand: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Product], str | None]:
    """Products by code. ``q`` matches the product's code or name, one of its SKU codes, or is
    one of its barcodes; ``category`` includes the categories below it."""
    stmt = _filtered_products(uow, _product_select(), q=q, category=category, brand=brand, status=status)
    stmt = stmt.order_by(product_t.c.code).limit(limit + 1)
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(product_t.c.code > str(after.get("code", "")))
    rows = uow.conn.execute(stmt).all()
    nxt = encode_cursor({"code": rows[limit - 1].code}) if len(rows) > limit else None
    return [_product(r) for r in rows[:limit]], nxt


def _filtered_products(uow: UnitOfWork, stmt, *, q, category, brand, status):
    if q:
        like = _like(q)
        stmt = stmt.where(
            or_(
                product_t.c.code.ilike(like, escape="\\"),
                product_t.c.name.ilike(like, escape="\\"),
                product_t.c.id.in_(
                    select(sku_t.c.product_id).where(
                        or_(
                            sku_t.c.code.ilike(like, escape="\\"),
                            sku_t.c.id.in_(select(barcode_t.c.sku_id).where(barcode_t.c.code == q)),
                        )
                    )
                ),
            )
        )
    if category:
        root = _category_by_code(uow, category)
        parents = dict(uow.conn.execute(select(category_t.c.id, category_t.c.parent_id)).all())
        stmt = stmt.where(product_t.c.category_id.in_(sorted(rules.descendants(parents, root.id))))
    if brand:
        stmt = stmt.where(product_t.c.brand_id == _brand_by_code(uow, brand).id)
    if status:
        stmt = stmt.where(product_t.c.status == status)
    return stmt


def _check_product_fields(code: object, name: object, description: object) -> None:
    if rules.check_code(code):
        raise _bad_code(code, "Product code", "商品编码")
    if _text(name, 200) is None:
        raise Invalid(
            "catalog.missing_name",
            "A product needs a name (1-200 characters)",
            "商品名称不能为空（最长 200 个字符）",
        )
    if not isinstance(description, str) or len(description) > 20_000:
        raise Invalid(
            "catalog.bad_description",
            "The description is text of at most 20,000 characters",
            "商品描述最长 20000 个字符",
        )


def _check_images(names: object) -> list[str]:
    if not isinstance(names, Sequence) or isinstance(names, str) or len(names) > images.MAX_PER_PRODUCT:
        raise Invalid(
            "catalog.bad_images",
            "A product has at most {max} images",
            "一个商品最多 {max} 张图片",
            max=images.MAX_PER_PRODUCT,
        )
    out: list[str] = []
    for n in names:
        if not images.exists(n):
            raise Invalid(
                "catalog.unknown_image",
                "Image {image} was not uploaded",
                "图片 {image} 不存在，请先上传",
                image=str(n)[:80],
            )
        if n not in out:
            out.append(n)
    return out


def _definitions_from(raw: object) -> list[rules.Attribute]:
    try:
        return rules.attribute_definitions(raw)
    except rules.RuleError as err:
        raise _rule(err) from err


def create_product(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    category: str | None = None,
    brand: str | None = None,
    description: str = "",
    images: Sequence[str] = (),
    attributes: Sequence[Mapping[str, Any]] = (),
    skus: Sequence[NewSku] = (),
) -> Product:
    """A product (SPU) with its SKUs, all or nothing. ``category`` and ``brand`` are codes;
    ``attributes`` are the definitions ``[{"name": "颜色", "values": ["红", "黑"]}, ...]``."""
    uow.actor.require("catalog.product.create")
    _check_product_fields(code, name, description)
    defs = _definitions_from(attributes)
    image_names = _check_images(images)
    category_id = _category_by_code(uow, category).id if category else None
    brand_id = _brand_by_code(uow, brand).id if brand else None
    if uow.conn.execute(select(product_t.c.id).where(product_t.c.code == code)).first():
        raise Conflict(
            "catalog.duplicate_product",
            "Product {product} already exists",
            "商品 {product} 已存在",
            product=code,
        )
    now = utcnow()
    row = {
        "code": code,
        "name": name.strip(),
        "category_id": category_id,
        "brand_id": brand_id,
        "description": description,
        "images": image_names,
        "attributes": [a.as_json() for a in defs],
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }
    product_id = uow.conn.execute(insert(product_t).returning(product_t.c.id), row).scalar_one()
    _add_skus(uow, product_id, code, row["name"], defs, [], skus)
    p = get_product(uow, product_id)
    uow.audit("catalog.product.create", "product", code, after=_product_view(p))
    return p


def add_skus(uow: UnitOfWork, product_id: int, skus: Sequence[NewSku]) -> list[Sku]:
    """Add SKUs to a product, all or nothing."""
    uow.actor.require("catalog.product.update")
    p = _locked_product(uow, product_id)
    if not skus:
        raise Invalid("catalog.no_skus", "Send at least one SKU", "至少需要一个 SKU")
    if p.status != "active":
        raise _product_archived(p.code)
    existing = uow.conn.execute(
        select(sku_t.c.code, sku_t.c.attributes).where(sku_t.c.product_id == product_id)
    ).all()
    defs = [rules.Attribute(a["name"], tuple(a["values"])) for a in p.attributes]
    return _add_skus(uow, product_id, p.code, p.name, defs, existing, skus)


def _add_skus(
    uow: UnitOfWork,
    product_id: int,
    product_code: str,
    product_name: str,
    defs: list[rules.Attribute],
    existing: Sequence,
    skus: Sequence[NewSku],
) -> list[Sku]:
    if len(skus) > rules.MAX_MATRIX:
        raise Invalid(
            "catalog.too_many_skus",
            "At most {max} SKUs at once",
            "一次最多 {max} 个 SKU",
            max=rules.MAX_MATRIX,
        )
    combos = {rules.combo_key(attrs): code for code, attrs in existing}
    codes: list[str] = []
    barcodes: dict[str, str] = {}
    checked: list[tuple[NewSku, str, dict | None, list]] = []
    for spec in skus:
        try:
            attrs = rules.sku_attributes(defs, spec.attributes)
        except rules.RuleError as err:
            raise _rule(err, sku=str(spec.code)) from err
        name = spec.name.strip() if isinstance(spec.name, str) and spec.name.strip() else None
        name = name or rules.default_sku_name(product_name, attrs)
        _check_sku_fields(
            code=spec.code,
            name=name,
            unit=spec.unit,
            price_cents=spec.price_cents,
            cost_method=spec.cost_method,
            safety_stock=spec.safety_stock,
        )
        _check_tracking(spec.kind, spec.tracking, spec.shelf_life_days)
        key = rules.combo_key(attrs)
        if key in combos:
            raise _duplicate_combination(combos[key])
        combos[key] = spec.code
        if spec.code in codes or spec.code in barcodes:
            raise _duplicate_sku(spec.code)
        codes.append(spec.code)
        for b in _clean_barcodes(spec.barcodes):
            if b in barcodes or (b in codes and b != spec.code):
                raise _duplicate_barcode(b)
            barcodes[b] = spec.code
        checked.append((spec, name, attrs, _check_components(uow, spec)))
    for code in codes:
        if code in barcodes and barcodes[code] != code:
            raise _duplicate_barcode(code)
    _check_codes_free(uow, codes, barcodes)
    return [
        _insert_sku(
            uow,
            replace(spec, barcodes=[b for b, owner in barcodes.items() if owner == spec.code]),
            name,
            product_id,
            attrs,
            parts,
            product_code=product_code,
        )
        for spec, name, attrs, parts in checked
    ]


def _locked_product(uow: UnitOfWork, product_id: int) -> Product:
    stmt = _product_select().where(product_t.c.id == product_id)
    if uow.dialect != "sqlite":
        stmt = stmt.with_for_update(of=product_t)
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise not_found("product", product_id, zh="商品")
    return _product(row)


def _product_view(p: Product) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "category": p.category_code,
        "brand": p.brand_code,
        "description": p.description,
        "images": p.images,
        "attributes": p.attributes,
        "status": p.status,
    }


def update_product(
    uow: UnitOfWork,
    product_id: int,
    *,
    name: str = KEEP,
    category: str | None = KEEP,
    brand: str | None = KEEP,
    description: str = KEEP,
    images: Sequence[str] = KEEP,
    attributes: Sequence[Mapping[str, Any]] = KEEP,
) -> Product:
    """Change a product's fields. Attribute definitions may gain values (and be reordered) once
    the product has SKUs; values its SKUs use cannot be removed."""
    uow.actor.require("catalog.product.update")
    before = _locked_product(uow, product_id)
    values: dict[str, Any] = {}
    if name is not KEEP or description is not KEEP:
        n = before.name if name is KEEP else name
        d = before.description if description is KEEP else description
        _check_product_fields(before.code, n, d)
        values.update(name=n.strip(), description=d)
    if category is not KEEP:
        values["category_id"] = _category_by_code(uow, category).id if category else None
    if brand is not KEEP:
        values["brand_id"] = _brand_by_code(uow, brand).id if brand else None
    if images is not KEEP:
        values["images"] = _check_images(images)
    if attributes is not KEEP:
        new = _definitions_from(attributes)
        old = [rules.Attribute(a["name"], tuple(a["values"])) for a in before.attributes]
        used = uow.conn.execute(select(sku_t.c.attributes).where(sku_t.c.product_id == product_id)).scalars()
        try:
            rules.check_definition_change(old, new, list(used))
        except rules.RuleError as err:
            raise _rule(err) from err
        values["attributes"] = [a.as_json() for a in new]
    if values:
        values["updated_at"] = utcnow()
        uow.conn.execute(update(product_t).where(product_t.c.id == product_id).values(**values))
    after = get_product(uow, product_id)
    if _product_view(after) != _product_view(before):
        uow.audit(
            "catalog.product.update",
            "product",
            before.code,
            before=_product_view(before),
            after=_product_view(after),
        )
    return after


def set_product_status(uow: UnitOfWork, product_id: int, status: str) -> Product:
    """Archive a product (its SKUs are archived with it) or bring it back with all its SKUs."""
    uow.actor.require("catalog.product.update")
    if status not in rules.PRODUCT_STATUSES:
        raise Invalid("catalog.bad_status", "A product is active or archived", "商品状态必须是启用或归档")
    before = _locked_product(uow, product_id)
    if before.status != status:
        now = utcnow()
        uow.conn.execute(
            update(product_t).where(product_t.c.id == product_id).values(status=status, updated_at=now)
        )
        active = status == "active"
        changed = list(
            uow.conn.execute(
                select(sku_t.c.code).where(sku_t.c.product_id == product_id, sku_t.c.active != active)
            ).scalars()
        )
        if changed:
            uow.conn.execute(
                update(sku_t)
                .where(sku_t.c.product_id == product_id, sku_t.c.active != active)
                .values(active=active)
            )
        action = "catalog.product.unarchive" if active else "catalog.product.archive"
        uow.audit(
            action,
            "product",
            before.code,
            before={"status": before.status},
            after={"status": status, "skus_" + ("activated" if active else "archived"): changed},
        )
    return get_product(uow, product_id)


# ---------------------------------------------------------------------------------------------
# Categories


def _category_by_code(uow: UnitOfWork, code: str) -> Category:
    row = uow.conn.execute(select(category_t).where(category_t.c.code == code)).first()
    if row is None:
        raise Invalid(
            "catalog.unknown_category",
            "Unknown category {category}",
            "未知的类目：{category}",
            category=str(code),
        )
    return Category(row.id, row.code, row.name, row.parent_id, None, row.sort)


def sku_categories(uow: UnitOfWork, sku_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """sku id -> (category code, name) of the SKU's product; SKUs without one are left out."""
    ids = sorted(set(sku_ids))
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):
        rows = uow.conn.execute(
            select(sku_t.c.id, category_t.c.code, category_t.c.name)
            .select_from(
                sku_t.join(product_t, product_t.c.id == sku_t.c.product_id).join(
                    category_t, category_t.c.id == product_t.c.category_id
                )
            )
            .where(sku_t.c.id.in_(ids[i : i + 500]))
        )
        out.update({r.id: (r.code, r.name) for r in rows})
    return out


def skus_in_category(uow: UnitOfWork, code: str) -> list[int]:
    """Ids of the SKUs whose product is in category ``code`` or any category below it."""
    root = _category_by_code(uow, code)
    parents = dict(uow.conn.execute(select(category_t.c.id, category_t.c.parent_id)).all())
    wanted, frontier = {root.id}, {root.id}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - wanted
        wanted |= frontier
    return list(
        uow.conn.execute(
            select(sku_t.c.id)
            .join(product_t, product_t.c.id == sku_t.c.product_id)
            .where(product_t.c.category_id.in_(sorted(wanted)))
            .order_by(sku_t.c.code)
        ).scalars()
    )


def list_categories(uow: UnitOfWork) -> list[Category]:
    """Every category (the tree is small), parents before children, siblings by sort then code."""
    products = dict(
        uow.conn.execute(
            select(product_t.c.category_id, func.count())
            .where(product_t.c.category_id.is_not(None))
            .group_by(product_t.c.category_id)
        ).all()
    )
    rows = uow.conn.execute(select(category_t).order_by(category_t.c.sort, category_t.c.code)).all()
    code_of = {r.id: r.code for r in rows}
    children: dict[int | None, list] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(r)
    out: list[Category] = []

    def walk(parent: int | None) -> None:
        for r in children.get(parent, ()):
            out.append(
                Category(
                    r.id,
                    r.code,
                    r.name,
                    r.parent_id,
                    code_of.get(r.parent_id),
                    r.sort,
                    int(products.get(r.id, 0)),
                    len(children.get(r.id, ())),
                )
            )
            walk(r.id)

    walk(None)
    return out


def _category_view(c: Category) -> dict[str, Any]:
    return {"code": c.code, "name": c.name, "parent": c.parent_code, "sort": c.sort}


def _get_category(uow: UnitOfWork, category_id: int) -> Category:
    for c in list_categories(uow):
        if c.id == category_id:
            return c
    raise not_found("category", category_id, zh="类目")


def _check_sort(sort: object) -> int:
    if not isinstance(sort, int) or isinstance(sort, bool) or not -(10**6) <= sort <= 10**6:
        raise Invalid("catalog.bad_sort", "Sort is a whole number", "排序必须是整数")
    return sort


def create_category(
    uow: UnitOfWork, *, code: str, name: str, parent: str | None = None, sort: int = 0
) -> Category:
    uow.actor.require("catalog.category.manage")
    if rules.check_code(code):
        raise _bad_code(code, "Category code", "类目编码")
    clean = _text(name, 100)
    if clean is None:
        raise Invalid(
            "catalog.missing_name", "A category needs a name (1-100 characters)", "类目名称不能为空"
        )
    _check_sort(sort)
    parent_id = _category_by_code(uow, parent).id if parent else None
    if uow.conn.execute(select(category_t.c.id).where(category_t.c.code == code)).first():
        raise Conflict(
            "catalog.duplicate_category",
            "Category {category} already exists",
            "类目 {category} 已存在",
            category=code,
        )
    cid = uow.conn.execute(
        insert(category_t).returning(category_t.c.id),
        {"code": code, "name": clean, "parent_id": parent_id, "sort": sort, "created_at": utcnow()},
    ).scalar_one()
    c = _get_category(uow, cid)
    uow.audit("catalog.category.create", "category", code, after=_category_view(c))
    return c


def update_category(
    uow: UnitOfWork, category_id: int, *, name: str = KEEP, parent: str | None = KEEP, sort: int = KEEP
) -> Category:
    uow.actor.require("catalog.category.manage")
    before = _get_category(uow, category_id)
    values: dict[str, Any] = {}
    if name is not KEEP:
        clean = _text(name, 100)
        if clean is None:
            raise Invalid(
                "catalog.missing_name", "A category needs a name (1-100 characters)", "类目名称不能为空"
            )
        values["name"] = clean
    if sort is not KEEP:
        values["sort"] = _check_sort(sort)
    if parent is not KEEP:
        parent_id = _category_by_code(uow, parent).id if parent else None
        parents = dict(uow.conn.execute(select(category_t.c.id, category_t.c.parent_id)).all())
        if rules.would_cycle(parents, category_id, parent_id):
            raise Conflict(
                "catalog.category_cycle",
                "Category {category} cannot go under itself or its own subcategory",
                "类目 {category} 不能移到自身或其下级类目之下",
                category=before.code,
            )
        values["parent_id"] = parent_id
    if values:
        uow.conn.execute(update(category_t).where(category_t.c.id == category_id).values(**values))
    after = _get_category(uow, category_id)
    if _category_view(after) != _category_view(before):
        uow.audit(
            "catalog.category.update",
            "category",
            before.code,
            before=_category_view(before),
            after=_category_view(after),
        )
    return after


def delete_category(uow: UnitOfWork, category_id: int) -> None:
    uow.actor.require("catalog.category.manage")
    c = _get_category(uow, category_id)
    if c.child_count:
        raise Conflict(
            "catalog.category_has_children",
            "Category {category} has {count} subcategories: move or delete them first",
            "类目 {category} 下还有 {count} 个子类目，请先移走或删除",
            category=c.code,
            count=c.child_count,
        )
    if c.product_count:
        raise Conflict(
            "catalog.category_in_use",
            "Category {category} has {count} products: move them to another category first",
            "类目 {category} 下还有 {count} 个商品，请先把商品移到其他类目",
            category=c.code,
            count=c.product_count,
        )
    uow.conn.execute(delete(category_t).where(category_t.c.id == category_id))
    uow.audit("catalog.category.delete", "category", c.code, before=_category_view(c))


# ---------------------------------------------------------------------------------------------
# Brands


def _brand_by_code(uow: UnitOfWork, code: str) -> Brand:
    row = uow.conn.execute(select(brand_t).where(brand_t.c.code == code)).first()
    if row is None:
        raise Invalid(
            "catalog.unknown_brand", "Unknown brand {brand}", "未知的品牌：{brand}", brand=str(code)
        )
    return Brand(row.id, row.code, row.name)


def list_brands(uow: UnitOfWork) -> list[Brand]:
    counts = (
        select(product_t.c.brand_id.label("bid"), func.count().label("n"))
        .where(product_t.c.brand_id.is_not(None))
        .group_by(product_t.c.brand_id)
        .subquery()
    )
    rows = uow.conn.execute(
        select(brand_t, func.coalesce(counts.c.n, 0).label("n"))
        .select_from(brand_t.outerjoin(counts, counts.c.bid == brand_t.c.id))
        .order_by(brand_t.c.code)
    ).all()
    return [Brand(r.id, r.code, r.name, int(r.n)) for r in rows]


def _get_brand(uow: UnitOfWork, brand_id: int) -> Brand:
    for b in list_brands(uow):
        if b.id == brand_id:
            return b
    raise not_found("brand", brand_id, zh="品牌")


def create_brand(uow: UnitOfWork, *, code: str, name: str) -> Brand:
    uow.actor.require("catalog.brand.manage")
    if rules.check_code(code):
        raise _bad_code(code, "Brand code", "品牌编码")
    clean = _text(name, 100)
    if clean is None:
        raise Invalid("catalog.missing_name", "A brand needs a name (1-100 characters)", "品牌名称不能为空")
    if uow.conn.execute(select(brand_t.c.id).where(brand_t.c.code == code)).first():
        raise Conflict(
            "catalog.duplicate_brand", "Brand {brand} already exists", "品牌 {brand} 已存在", brand=code
        )
    bid = uow.conn.execute(
        insert(brand_t).returning(brand_t.c.id), {"code": code, "name": clean, "created_at": utcnow()}
    ).scalar_one()
    uow.audit("catalog.brand.create", "brand", code, after={"code": code, "name": clean})
    return Brand(bid, code, clean)


def update_brand(uow: UnitOfWork, brand_id: int, *, name: str) -> Brand:
    uow.actor.require("catalog.brand.manage")
    before = _get_brand(uow, brand_id)
    clean = _text(name, 100)
    if clean is None:
        raise Invalid("catalog.missing_name", "A brand needs a name (1-100 characters)", "品牌名称不能为空")
    if clean != before.name:
        uow.conn.execute(update(brand_t).where(brand_t.c.id == brand_id).values(name=clean))
        uow.audit(
            "catalog.brand.update", "brand", before.code, before={"name": before.name}, after={"name": clean}
        )
    return replace(before, name=clean)


def delete_brand(uow: UnitOfWork, brand_id: int) -> None:
    uow.actor.require("catalog.brand.manage")
    b = _get_brand(uow, brand_id)
    if b.product_count:
        raise Conflict(
            "catalog.brand_in_use",
            "Brand {brand} has {count} products: change their brand first",
            "品牌 {brand} 下还有 {count} 个商品，请先修改这些商品的品牌",
            brand=b.code,
            count=b.product_count,
        )
    uow.conn.execute(delete(brand_t).where(brand_t.c.id == brand_id))
    uow.audit("catalog.brand.delete", "brand", b.code, before={"code": b.code, "name": b.name})


# ---------------------------------------------------------------------------------------------
# Bulk reads for the Excel import and export (same area)


@dataclass
class CatalogSnapshot:
    """What an import needs to know of the codes a file names."""

    skus: dict[str, Any] = field(default_factory=dict)  # code -> row (id, product_id, kind, ...)
    barcode_owner: dict[str, str] = field(default_factory=dict)  # barcode -> SKU code
    products: dict[str, Any] = field(default_factory=dict)  # code -> row (id, name, attributes)
    product_skus: dict[int, list[tuple[str, Any]]] = field(default_factory=dict)  # id -> (code, attrs)
    categories: set[str] = field(default_factory=set)
    brands: set[str] = field(default_factory=set)


def snapshot(
    uow: UnitOfWork, *, sku_codes: Iterable[str], barcodes: Iterable[str], product_codes: Iterable[str]
) -> CatalogSnapshot:
    snap = CatalogSnapshot()
    names = list(dict.fromkeys([*sku_codes, *barcodes]))
    for chunk in _chunks(names):
        for r in uow.conn.execute(
            select(
                sku_t.c.id,
                sku_t.c.code,
                sku_t.c.name,
                sku_t.c.unit,
                sku_t.c.price_cents,
                sku_t.c.safety_stock,
                sku_t.c.shelf_life_days,
                sku_t.c.product_id,
                sku_t.c.kind,
                sku_t.c.cost_method,
                sku_t.c.tracking,
                sku_t.c.attributes,
                product_t.c.code.label("product_code"),
            )
            .select_from(sku_t.outerjoin(product_t, product_t.c.id == sku_t.c.product_id))
            .where(sku_t.c.code.in_(chunk))
        ):
            snap.skus[r.code] = r
        for code, owner in uow.conn.execute(
            select(barcode_t.c.code, sku_t.c.code)
            .join(sku_t, sku_t.c.id == barcode_t.c.sku_id)
            .where(or_(barcode_t.c.code.in_(chunk), sku_t.c.code.in_(chunk)))
        ):
            snap.barcode_owner[code] = owner
    pcodes = list(dict.fromkeys(product_codes))
    for chunk in _chunks(pcodes):
        for r in uow.conn.execute(
            select(product_t.c.id, product_t.c.code, product_t.c.name, product_t.c.attributes).where(
                product_t.c.code.in_(chunk)
            )
        ):
            snap.products[r.code] = r
    ids = [r.id for r in snap.products.values()]
    for chunk in _chunks(ids):
        for pid, code, attrs in uow.conn.execute(
            select(sku_t.c.product_id, sku_t.c.code, sku_t.c.attributes).where(sku_t.c.product_id.in_(chunk))
        ):
            snap.product_skus.setdefault(pid, []).append((code, attrs))
    snap.categories = set(uow.conn.execute(select(category_t.c.code)).scalars())
    snap.brands = set(uow.conn.execute(select(brand_t.c.code)).scalars())
    return snap


def export_rows(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    category: str | None = None,
    brand: str | None = None,
    status: str | None = None,
) -> Iterable[tuple[Any, Sku]]:
    """(product row or None, SKU) for every standard SKU of the products the filters match, in
    product-code order; with no filter, standalone SKUs follow."""
    stmt = _filtered_products(
        uow, _product_select(), q=q, category=category, brand=brand, status=status
    ).order_by(product_t.c.code)
    products = uow.conn.execute(stmt).all()
    by_id = {p.id: p for p in products}
    for chunk in _chunks([p.id for p in products], 200):
        rows = uow.conn.execute(
            _sku_select()
            .where(sku_t.c.product_id.in_(chunk), sku_t.c.kind == "standard")
            .order_by(product_t.c.code, sku_t.c.id)
        ).all()
        for s in _skus_from_rows(uow, rows):
            yield _product(by_id[s.product_id]), s
    if not (q or category or brand or status):
        after = ""
        while True:
            rows = uow.conn.execute(
                _sku_select()
                .where(sku_t.c.product_id.is_(None), sku_t.c.kind == "standard", sku_t.c.code > after)
                .order_by(sku_t.c.code)
                .limit(1000)
            ).all()
            if not rows:
                break
            for s in _skus_from_rows(uow, rows):
                yield None, s
            after = rows[-1].code
