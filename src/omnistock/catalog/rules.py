"""Pure catalog rules: what a valid code, attribute set, SKU matrix, bundle and price cell are."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

COST_METHODS = ("average", "fifo")
KINDS = ("standard", "bundle")
TRACKING = ("none", "batch", "serial")
PRODUCT_STATUSES = ("active", "archived")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")

MAX_ATTRIBUTES = 5  # attributes per product (颜色, 尺码, ...)
MAX_VALUES = 100  # values per attribute
MAX_MATRIX = 500  # SKUs one product's attributes may describe
MAX_NAME = 32  # characters of an attribute name or value
MAX_BARCODES = 20  # per SKU
MAX_COMPONENTS = 50  # per bundle
MAX_BUNDLE_QTY = 10_000
MAX_PRICE_CENTS = 10**11
MAX_SHELF_LIFE_DAYS = 36_500


def check_code(code: object) -> str | None:
    """None when ``code`` is a usable SKU/warehouse code, else the English reason."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        return "codes are 1-64 letters, digits or . _ - /, starting with a letter or digit"
    return None


def check_barcode(code: object) -> str | None:
    """Barcodes follow the code rule (EAN-13, UPC, Code 128 and in-house labels all fit)."""
    return check_code(code)


class RuleError(ValueError):
    """A broken catalog rule: a stable ``code`` and the message in English and Chinese."""

    def __init__(self, code: str, en: str, zh: str):
        super().__init__(en)
        self.code, self.en, self.zh = code, en, zh


# -- attributes and the SKU matrix ---------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    name: str
    values: tuple[str, ...]

    def as_json(self) -> dict:
        return {"name": self.name, "values": list(self.values)}


def _label(v: object) -> str | None:
    if not isinstance(v, str):
        return None
    v = v.strip()
    return v if 0 < len(v) <= MAX_NAME else None


def attribute_definitions(raw: object) -> list[Attribute]:
    """Validate attribute definitions ``[{"name": "颜色", "values": ["红", "黑"]}, ...]``."""
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) > MAX_ATTRIBUTES:
        raise RuleError(
            "catalog.bad_attributes",
            f"Attributes are a list of at most {MAX_ATTRIBUTES} {{name, values}}",
            f"规格最多 {MAX_ATTRIBUTES} 项，每项包含名称和取值",
        )
    out: list[Attribute] = []
    for item in raw:
        name = _label(item.get("name")) if isinstance(item, Mapping) else None
        values = item.get("values") if isinstance(item, Mapping) else None
        if name is None or not isinstance(values, Sequence) or isinstance(values, str):
            raise RuleError(
                "catalog.bad_attributes",
                f"Each attribute needs a name of 1-{MAX_NAME} characters and a list of values",
                f"每个规格需要 1-{MAX_NAME} 个字符的名称和取值列表",
            )
        labels = [_label(v) for v in values]
        if not labels or len(labels) > MAX_VALUES or None in labels:
            raise RuleError(
                "catalog.bad_attributes",
                f"Attribute {name} needs 1-{MAX_VALUES} values of 1-{MAX_NAME} characters",
                f"规格“{name}”需要 1-{MAX_VALUES} 个取值，每个 1-{MAX_NAME} 个字符",
            )
        if len(set(labels)) != len(labels):
            raise RuleError(
                "catalog.bad_attributes", f"Attribute {name} repeats a value", f"规格“{name}”的取值重复"
            )
        if any(a.name == name for a in out):
            raise RuleError("catalog.bad_attributes", f"Attribute {name} repeats", f"规格“{name}”重复")
        out.append(Attribute(name, tuple(labels)))  # type: ignore[arg-type]
    if matrix_size(out) > MAX_MATRIX:
        raise RuleError(
            "catalog.bad_attributes",
            f"These attributes describe more than {MAX_MATRIX} SKUs",
            f"规格组合超过 {MAX_MATRIX} 个 SKU",
        )
    return out


def matrix_size(attrs: Sequence[Attribute]) -> int:
    n = 1
    for a in attrs:
        n *= len(a.values)
    return n if attrs else 0


def matrix(attrs: Sequence[Attribute]) -> list[dict[str, str]]:
    """Every combination of the attribute values (the SKU rows of a product), in display order."""
    if not attrs:
        return []
    return [
        dict(zip([a.name for a in attrs], combo, strict=True))
        for combo in itertools.product(*[a.values for a in attrs])
    ]


def sku_attributes(attrs: Sequence[Attribute], raw: object) -> dict[str, str] | None:
    """A SKU's attribute values checked against its product's definitions (None: no attributes)."""
    if not attrs:
        if raw:
            raise RuleError(
                "catalog.bad_sku_attributes",
                "The product defines no attributes, so its SKUs have none",
                "该商品未定义规格，SKU 不能填写规格值",
            )
        return None
    if not isinstance(raw, Mapping):
        raw = {}
    names = [a.name for a in attrs]
    if set(raw) != set(names):
        raise RuleError(
            "catalog.bad_sku_attributes",
            "A SKU needs exactly one value of each attribute: " + ", ".join(names),
            "SKU 必须为每个规格各填一个值：" + "、".join(names),
        )
    for a in attrs:
        v = raw[a.name]
        if v not in a.values:
            raise RuleError(
                "catalog.bad_sku_attributes",
                f"{v!s:.40} is not a value of attribute {a.name}",
                f"“{v!s:.40}”不是规格“{a.name}”的取值",
            )
    return {a.name: raw[a.name] for a in attrs}


def combo_key(attributes: Mapping[str, str] | None) -> tuple:
    return tuple(sorted((attributes or {}).items()))


def check_definition_change(
    old: Sequence[Attribute], new: Sequence[Attribute], used: Iterable[Mapping[str, str] | None]
) -> None:
    """New definitions must keep every attribute name and every value the product's SKUs use."""
    used = [u for u in used if u is not None]
    if not used:
        return
    if [a.name for a in old] != [a.name for a in new] and {a.name for a in old} != {a.name for a in new}:
        raise RuleError(
            "catalog.attributes_in_use",
            "The product has SKUs: attributes can gain values but not be added, removed or renamed",
            "商品已有 SKU：规格只能增加取值，不能增删或改名",
        )
    values = {a.name: set(a.values) for a in new}
    for u in used:
        for name, v in u.items():
            if v not in values.get(name, ()):
                raise RuleError(
                    "catalog.attributes_in_use",
                    f"Value {v} of attribute {name} is used by a SKU",
                    f"规格“{name}”的取值“{v}”已被 SKU 使用，不能删除",
                )


def default_sku_name(product_name: str, attributes: Mapping[str, str] | None) -> str:
    """``纯棉T恤 白色 M`` from the product name and the SKU's values."""
    return " ".join([product_name, *(attributes or {}).values()])[:200]


# -- bundles -------------------------------------------------------------------------------------


def bundle_available(components: Iterable[tuple[int, int]]) -> int:
    """Kits that can be made from ``(qty per kit, available)`` of each component: min ⌊a/q⌋ ≥ 0."""
    kits = [max(available, 0) // qty for qty, available in components]
    return min(kits) if kits else 0


# -- categories ----------------------------------------------------------------------------------


def would_cycle(parents: Mapping[int, int | None], node: int, new_parent: int | None) -> bool:
    """Whether putting ``node`` under ``new_parent`` makes the tree a loop."""
    seen = set()
    p = new_parent
    while p is not None:
        if p == node or p in seen:
            return True
        seen.add(p)
        p = parents.get(p)
    return False


def descendants(parents: Mapping[int, int | None], root: int) -> set[int]:
    """``root`` and every category below it."""
    children: dict[int | None, list[int]] = {}
    for c, p in parents.items():
        children.setdefault(p, []).append(c)
    out, todo = set(), [root]
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(children.get(c, ()))
    return out


# -- Excel cells ---------------------------------------------------------------------------------

PRICE_RE = re.compile(r"^([0-9]{1,10})(?:\.([0-9]{1,2}))?$")


def yuan_to_cents(value: object) -> int | None:
    """A price cell in yuan (``12.5``, ``"12.50"``, ``12``) as integer cents, exactly; None when
    it is not a non-negative amount with at most two decimals. A number typed into Excel arrives
    as a binary float: its shortest decimal form (``repr``) is exactly what was typed, so the
    digits are read from that text — never computed in floating point."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
    elif isinstance(value, str):
        text = value.strip().replace(",", "").lstrip("¥￥").strip()
    else:
        text = str(value)  # Decimal
    m = PRICE_RE.match(text)
    if m is None:
        return None
    return int(m.group(1)) * 100 + int((m.group(2) or "").ljust(2, "0"))


def cents_to_yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def whole_number(value: object) -> int | None:
    """An integer cell (``5``, ``"5"``, ``5.0``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,12}\s*", value):
        return int(value)
    return None


def split_list(value: object) -> list[str]:
    """A comma-separated cell (ASCII or full-width commas, or 、) as trimmed, non-empty items."""
    if value is None:
        return []
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return [p.strip() for p in re.split(r"[,，、\n]", text) if p.strip()]


def parse_attribute_cell(value: object) -> dict[str, str] | None:
    """``颜色:红;尺码:M`` (ASCII or full-width separators) as a dict; None when malformed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    out: dict[str, str] = {}
    for part in re.split(r"[;；\n]", str(value)):
        if not part.strip():
            continue
        pieces = re.split(r"[:：=]", part, maxsplit=1)
        if len(pieces) != 2:
            return None
        name, v = pieces[0].strip(), pieces[1].strip()
        if not name or not v or name in out:
            return None
        out[name] = v
    return out


def format_attribute_cell(attributes: Mapping[str, str] | None) -> str:
    return ";".join(f"{k}:{v}" for k, v in (attributes or {}).items())
