"""Excel import and export of products and SKUs (openpyxl), one row per SKU.

The export, the template and the import share one column layout. An import checks the whole
file first and reports every bad row (row number, column, reason in zh-CN and en); a file with
any error imports nothing. A good file creates new products and SKUs and updates existing
SKUs' name, price, safety stock and barcodes, all in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from omnistock.catalog import rules, service
from omnistock.platform.errors import AppError, Forbidden, Invalid
from omnistock.platform.uow import UnitOfWork

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_ERRORS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Col:
    key: str
    zh: str
    en: str
    width: int
    note_zh: str
    note_en: str


COLUMNS = [
    Col(
        "product_code",
        "商品编码",
        "Product code",
        16,
        "商品（SPU）编码；留空表示独立 SKU",
        "Product (SPU) code; empty: a standalone SKU",
    ),
    Col("product_name", "商品名称", "Product name", 24, "新商品必填", "Required for a new product"),
    Col(
        "category",
        "类目编码",
        "Category code",
        12,
        "已有类目的编码，可留空",
        "Code of an existing category, or empty",
    ),
    Col(
        "brand", "品牌编码", "Brand code", 12, "已有品牌的编码，可留空", "Code of an existing brand, or empty"
    ),
    Col("description", "商品描述", "Description", 30, "可留空", "Optional"),
    Col(
        "sku_code",
        "SKU编码",
        "SKU code",
        18,
        "必填；已存在的 SKU 会被更新",
        "Required; an existing SKU is updated",
    ),
    Col(
        "sku_name",
        "SKU名称",
        "SKU name",
        28,
        "留空：商品名称 + 规格值",
        "Empty: product name + attribute values",
    ),
    Col("attributes", "规格", "Attributes", 20, "如 颜色:红;尺码:M", "e.g. Color:Red;Size:M"),
    Col("unit", "单位", "Unit", 8, "新 SKU 必填，如 件", "Required for a new SKU, e.g. pcs"),
    Col(
        "price",
        "售价(元)",
        "Price (yuan)",
        10,
        "新 SKU 必填，最多两位小数，如 59.90",
        "Required for a new SKU; at most 2 decimals, e.g. 59.90",
    ),
    Col(
        "cost_method",
        "成本计价",
        "Cost method",
        12,
        "average（移动加权平均）或 fifo（先进先出），默认 average",
        "average or fifo (default average)",
    ),
    Col("safety_stock", "安全库存", "Safety stock", 10, "整数，默认 0", "Whole number, default 0"),
    Col(
        "barcodes",
        "条码",
        "Barcodes",
        28,
        "该 SKU 的全部条码，逗号分隔；留空表示没有条码",
        "All the SKU's barcodes, comma-separated; empty: none",
    ),
    Col(
        "tracking",
        "批次管理",
        "Tracking",
        10,
        "none（不管理）、batch（批次）或 serial（序列号），默认 none",
        "none, batch or serial (default none)",
    ),
    Col("shelf_life_days", "保质期(天)", "Shelf life (days)", 10, "整数天数，可留空", "Whole days, optional"),
]
BY_KEY = {c.key: c for c in COLUMNS}

COST_WORDS = {
    "average": "average",
    "fifo": "fifo",
    "移动加权平均": "average",
    "加权平均": "average",
    "先进先出": "fifo",
}
TRACKING_WORDS = {
    "none": "none",
    "batch": "batch",
    "serial": "serial",
    "不管理": "none",
    "无": "none",
    "批次": "batch",
    "序列号": "serial",
}


def _norm(text: object) -> str:
    s = str(text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", s)


HEADER_KEYS = {_norm(t): c.key for c in COLUMNS for t in (c.zh, c.en, c.key)}


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # a column key, or "" for the whole row
    code: str
    en: str
    zh: str

    def as_json(self) -> dict[str, Any]:
        col = BY_KEY.get(self.column)
        return {
            "row": self.row,
            "column": self.column,
            "column_zh": col.zh if col else "",
            "column_en": col.en if col else "",
            "code": self.code,
            "zh": self.zh,
            "en": self.en,
        }


class ImportFailed(Invalid):
    """A file with bad rows: nothing was imported. The problem lists every error."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(
            errors, key=lambda e: (e.row, list(BY_KEY).index(e.column) if e.column in BY_KEY else -1)
        )
        super().__init__(
            "catalog.import_invalid",
            "The file has {count} errors; nothing was imported",
            "文件中有 {count} 处错误，未导入任何数据",
            count=len(errors),
        )

    def problem(self, lang: str = "zh-CN") -> dict[str, Any]:
        body = super().problem(lang)
        body["errors"] = [e.as_json() for e in self.errors[:MAX_ERRORS]]
        return body


# ---------------------------------------------------------------------------------------------
# Export and template


def _workbook(lang: str) -> tuple[Workbook, Any]:
    wb = Workbook()
    ws = wb.active
    ws.title = "商品" if lang.startswith("zh") else "Products"
    ws.append([c.zh if lang.startswith("zh") else c.en for c in COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[get_column_letter(i)].width = c.width
    ws.freeze_panes = "A2"
    return wb, ws


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _yuan(cents: int) -> Decimal:
    """A price cell: the exact decimal (never a float), shown with two places."""
    return Decimal(rules.cents_to_yuan(cents))


def _row(product: service.Product | None, s: service.Sku) -> list[Any]:
    return [
        product.code if product else None,
        product.name if product else None,
        product.category_code if product else None,
        product.brand_code if product else None,
        (product.description or None) if product else None,
        s.code,
        s.name,
        rules.format_attribute_cell(s.attributes) or None,
        s.unit,
        _yuan(s.price_cents),
        s.cost_method,
        s.safety_stock,
        ",".join(s.barcodes) or None,
        s.tracking,
        s.shelf_life_days,
    ]


def _write_rows(ws, rows: Iterable[list[Any]]) -> None:
    price_col = list(BY_KEY).index("price") + 1
    n = ws.max_row  # the header
    for values in rows:
        ws.append(values)
        n += 1
        ws.cell(row=n, column=price_col).number_format = "0.00"


def export_products(uow: UnitOfWork, lang: str = "zh-CN", **filters: Any) -> bytes:
    """Every SKU of the products the filters match (with no filter: standalone SKUs too)."""
    uow.actor.require("catalog.product.read")
    wb, ws = _workbook(lang)
    _write_rows(ws, (_row(p, s) for p, s in service.export_rows(uow, **filters)))
    return _save(wb)


def template(lang: str = "zh-CN") -> bytes:
    """An empty import file: the header, two example rows and a sheet explaining each column."""
    zh = lang.startswith("zh")
    wb, ws = _workbook(lang)
    examples = [
        ["TS-DEMO", "纯棉T恤" if zh else "Cotton T-shirt", None, None, None, "TS-DEMO-RED-M", None,
         "颜色:红;尺码:M" if zh else "Color:Red;Size:M", "件" if zh else "pcs", Decimal("59.90"), "average", 10,
         "6901234567892", "none", None],
        ["TS-DEMO", "纯棉T恤" if zh else "Cotton T-shirt", None, None, None, "TS-DEMO-RED-L", None,
         "颜色:红;尺码:L" if zh else "Color:Red;Size:L", "件" if zh else "pcs", Decimal("59.90"), "average", 10,
         "6901234567908", "none", None],
    ]  # fmt: skip
    _write_rows(ws, examples)
    notes = wb.create_sheet("填写说明" if zh else "Instructions")
    notes.append(["列" if zh else "Column", "说明" if zh else "Notes"])
    for c in COLUMNS:
        notes.append([c.zh if zh else c.en, c.note_zh if zh else c.note_en])
    notes.append([])
    notes.append(
        [
            "导入" if zh else "Import",
            "一行一个 SKU；同一商品的多行商品编码相同。文件有任何错误时不导入任何数据，并列出每一处错误。"
            if zh
            else "One row per SKU; rows of one product share its product code. A file with any error "
            "imports nothing and lists every error.",
        ]
    )
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 90
    return _save(wb)


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class Row:
    n: int  # the spreadsheet row number (the header is row 1)
    values: dict[str, Any]
    product_code: str | None = None
    sku_code: str | None = None
    sku_name: str | None = None
    attributes: dict[str, str] | None = None
    unit: str | None = None
    price_cents: int | None = None
    cost_method: str | None = None
    safety_stock: int | None = None
    barcodes: list[str] = field(default_factory=list)
    tracking: str | None = None
    shelf_life_days: int | None = None


@dataclass(frozen=True)
class ImportResult:
    rows: int
    products_created: int
    skus_created: int
    skus_updated: int
    skus_unchanged: int


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.bad_rows: set[int] = set()

    def add(self, row: int, column: str, code: str, en: str, zh: str) -> None:
        self.items.append(RowError(row, column, code, en, zh))
        self.bad_rows.add(row)

    def app(self, row: int, column: str, err: AppError) -> None:
        self.add(row, column, err.code, err.en, err.zh)


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime | dt.date):
        v = v.isoformat()
    s = str(v).strip()
    return s or None


def _read(data: bytes):
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(
            "catalog.import_too_large",
            "The file is larger than 10 MB",
            "文件超过 10 MB",
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise Invalid(
            "catalog.import_unreadable",
            "The file is not an Excel workbook (.xlsx)",
            "该文件不是 Excel 工作簿（.xlsx）",
        ) from exc
    return wb


def import_products(uow: UnitOfWork, data: bytes) -> ImportResult:
    """Check the whole file, then apply it; any error imports nothing (``ImportFailed``)."""
    uow.actor.require("catalog.import")
    wb = _read(data)
    try:
        rows = _parse(wb)
    finally:
        wb.close()
    plan = _Plan(uow, rows)
    plan.check()
    if plan.errors.items:
        raise ImportFailed(plan.errors.items)
    result = plan.apply()
    uow.audit(
        "catalog.import",
        "import",
        f"{result.rows} rows",
        after={
            "rows": result.rows,
            "products_created": result.products_created,
            "skus_created": result.skus_created,
            "skus_updated": result.skus_updated,
            "skus_unchanged": result.skus_unchanged,
        },
    )
    return result


def _parse(wb) -> list[Row]:
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    errors = _Errors()
    if header is None:
        raise ImportFailed([RowError(1, "", "catalog.import_empty", "The sheet is empty", "工作表是空的")])
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        if h is None or not str(h).strip():
            continue
        key = HEADER_KEYS.get(_norm(h))
        if key is None:
            errors.add(
                1,
                "",
                "catalog.import_unknown_column",
                f"Unknown column {str(h)[:40]!r} (column {get_column_letter(i + 1)})",
                f"无法识别的列“{str(h)[:40]}”（第 {get_column_letter(i + 1)} 列）",
            )
        elif key in index:
            errors.add(
                1, key, "catalog.import_duplicate_column", "This column appears twice", "该列出现了两次"
            )
        else:
            index[key] = i
    for c in COLUMNS:
        if c.key not in index:
            errors.add(1, c.key, "catalog.import_missing_column", "This column is missing", "缺少该列")
    if errors.items:
        raise ImportFailed(errors.items)
    rows: list[Row] = []
    for n, values in enumerate(it, start=2):
        cells = {k: (values[i] if i < len(values) else None) for k, i in index.items()}
        if all(_cell_text(v) is None for v in cells.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFailed(
                [
                    RowError(
                        n,
                        "",
                        "catalog.import_too_many_rows",
                        f"A file has at most {MAX_ROWS} rows",
                        f"一个文件最多 {MAX_ROWS} 行",
                    )
                ]
            )
        rows.append(Row(n, cells))
    if not rows:
        raise ImportFailed(
            [RowError(2, "", "catalog.import_empty", "The file has no rows", "文件中没有数据行")]
        )
    return rows


class _Plan:
    """The checked changes of one file, applied only when every row is good."""

    def __init__(self, uow: UnitOfWork, rows: list[Row]):
        self.uow = uow
        self.rows = rows
        self.errors = _Errors()
        self.snap: service.CatalogSnapshot | None = None
        # product code -> its rows (new SKUs only, for existing products)
        self.new_products: dict[str, list[Row]] = {}
        self.product_additions: dict[str, list[Row]] = {}
        self.standalone: list[Row] = []
        self.updates: list[Row] = []
        self.extended: dict[str, list[rules.Attribute]] = {}
        self.new_defs: dict[str, list[rules.Attribute]] = {}

    # -- checks ------------------------------------------------------------------------------
    def check(self) -> None:
        for r in self.rows:
            self._cells(r)
        self.snap = service.snapshot(
            self.uow,
            sku_codes=[r.sku_code for r in self.rows if r.sku_code],
            barcodes=[b for r in self.rows for b in r.barcodes],
            product_codes=[r.product_code for r in self.rows if r.product_code],
        )
        self._references()
        self._duplicates()
        self._classify()
        self._products()

    def _cells(self, r: Row) -> None:
        v, e = r.values, self.errors
        for key in ("product_code", "sku_code"):
            text = _cell_text(v[key])
            if text is None:
                if key == "sku_code":
                    e.add(r.n, key, "catalog.import_required", "Required", "必填")
                continue
            if rules.check_code(text):
                e.add(
                    r.n,
                    key,
                    "catalog.bad_code",
                    f"{text[:40]!r} is not a valid code: letters, digits and . _ - /, at most 64",
                    f"“{text[:40]}”不是合法编码：只能包含字母、数字和 . _ - /，最长 64 位",
                )
                continue
            setattr(r, key, text)
        name = _cell_text(v["sku_name"])
        if name is not None and len(name) > 200:
            e.add(r.n, "sku_name", "catalog.name_too_long", "At most 200 characters", "最长 200 个字符")
        r.sku_name = name
        for key, limit in (("product_name", 200), ("description", 20_000)):
            text = _cell_text(v[key])
            if text is not None and len(text) > limit:
                e.add(
                    r.n, key, "catalog.name_too_long", f"At most {limit} characters", f"最长 {limit} 个字符"
                )
        attrs = rules.parse_attribute_cell(v["attributes"])
        if attrs is None:
            e.add(
                r.n,
                "attributes",
                "catalog.import_bad_attributes",
                "Write attributes as name:value pairs separated by ; (颜色:红;尺码:M)",
                "规格请写成“名称:值”，多个用分号分隔，如 颜色:红;尺码:M",
            )
        r.attributes = attrs or None
        unit = _cell_text(v["unit"])
        if unit is not None and len(unit) > 16:
            e.add(r.n, "unit", "catalog.name_too_long", "At most 16 characters", "最长 16 个字符")
        r.unit = unit
        if v["price"] is not None and _cell_text(v["price"]) is not None:
            cents = rules.yuan_to_cents(v["price"])
            if cents is None or cents > rules.MAX_PRICE_CENTS:
                e.add(
                    r.n,
                    "price",
                    "catalog.import_bad_price",
                    f"{_cell_text(v['price'])[:20]!r} is not a price: a non-negative amount with at most 2 decimals, e.g. 59.90",
                    f"“{_cell_text(v['price'])[:20]}”不是合法售价：应为不小于 0、最多两位小数的金额，如 59.90",
                )
            r.price_cents = cents
        cost = _cell_text(v["cost_method"])
        if cost is not None:
            r.cost_method = COST_WORDS.get(cost.lower())
            if r.cost_method is None:
                e.add(
                    r.n,
                    "cost_method",
                    "catalog.bad_cost_method",
                    "Cost method is average or fifo",
                    "成本计价应为 average（移动加权平均）或 fifo（先进先出）",
                )
        tracking = _cell_text(v["tracking"])
        if tracking is not None:
            r.tracking = TRACKING_WORDS.get(tracking.lower())
            if r.tracking is None:
                e.add(
                    r.n,
                    "tracking",
                    "catalog.bad_tracking",
                    "Tracking is none, batch or serial",
                    "批次管理应为 none（不管理）、batch（批次）或 serial（序列号）",
                )
        for key, lo, hi in (("safety_stock", 0, 10**9), ("shelf_life_days", 1, rules.MAX_SHELF_LIFE_DAYS)):
            if _cell_text(v[key]) is None:
                continue
            num = rules.whole_number(v[key])
            if num is None or not lo <= num <= hi:
                e.add(
                    r.n,
                    key,
                    "catalog.import_bad_number",
                    f"A whole number from {lo} to {hi}",
                    f"应为 {lo} 到 {hi} 之间的整数",
                )
            setattr(r, key, num)
        r.barcodes = []
        for b in rules.split_list(v["barcodes"]):
            if rules.check_barcode(b):
                e.add(
                    r.n,
                    "barcodes",
                    "catalog.bad_barcode",
                    f"{b[:40]!r} is not a valid barcode: letters, digits and . _ - /, at most 64",
                    f"条码“{b[:40]}”不合法：只能包含字母、数字和 . _ - /，最长 64 位",
                )
            elif b in r.barcodes:
                e.add(
                    r.n,
                    "barcodes",
                    "catalog.duplicate_barcode",
                    f"Barcode {b} is listed twice",
                    f"条码 {b} 重复",
                )
            else:
                r.barcodes.append(b)
        if len(r.barcodes) > rules.MAX_BARCODES:
            e.add(
                r.n,
                "barcodes",
                "catalog.too_many_barcodes",
                f"At most {rules.MAX_BARCODES} barcodes",
                f"最多 {rules.MAX_BARCODES} 个条码",
            )

    def _references(self) -> None:
        snap, e = self.snap, self.errors
        assert snap is not None
        for r in self.rows:
            for key, known, en, zh in (
                ("category", snap.categories, "Unknown category", "未知的类目"),
                ("brand", snap.brands, "Unknown brand", "未知的品牌"),
            ):
                text = _cell_text(r.values[key])
                if text is not None and text not in known:
                    e.add(r.n, key, f"catalog.unknown_{key}", f"{en} {text[:40]}", f"{zh}：{text[:40]}")

    def _duplicates(self) -> None:
        """SKU codes and barcodes: once each in the file, and not naming another SKU already."""
        snap, e = self.snap, self.errors
        assert snap is not None
        first_sku: dict[str, int] = {}
        for r in self.rows:
            if r.sku_code is None:
                continue
            if r.sku_code in first_sku:
                e.add(
                    r.n,
                    "sku_code",
                    "catalog.duplicate_sku",
                    f"SKU {r.sku_code} is also on row {first_sku[r.sku_code]}",
                    f"SKU {r.sku_code} 与第 {first_sku[r.sku_code]} 行重复",
                )
            else:
                first_sku[r.sku_code] = r.n
            owner = snap.barcode_owner.get(r.sku_code)
            if r.sku_code not in snap.skus and owner is not None:
                e.add(
                    r.n,
                    "sku_code",
                    "catalog.code_is_barcode",
                    f"{r.sku_code} is already a barcode of SKU {owner}",
                    f"{r.sku_code} 已是 SKU {owner} 的条码",
                )
        # Where each barcode ends up once the file is applied: the SKUs in the file take what
        # they list and let go of what they no longer list.
        listed: dict[str, set[str]] = {r.sku_code: set(r.barcodes) for r in self.rows if r.sku_code}
        first_barcode: dict[str, tuple[int, str]] = {}
        for r in self.rows:
            if r.sku_code is None:
                continue
            for b in r.barcodes:
                if b in first_barcode and first_barcode[b][1] != r.sku_code:
                    e.add(
                        r.n,
                        "barcodes",
                        "catalog.duplicate_barcode",
                        f"Barcode {b} is also on row {first_barcode[b][0]}",
                        f"条码 {b} 与第 {first_barcode[b][0]} 行重复",
                    )
                    continue
                first_barcode.setdefault(b, (r.n, r.sku_code))
                if b != r.sku_code and (b in first_sku or b in snap.skus):
                    e.add(
                        r.n,
                        "barcodes",
                        "catalog.duplicate_barcode",
                        f"Barcode {b} is the code of SKU {b}",
                        f"条码 {b} 是 SKU {b} 的编码",
                    )
                    continue
                owner = snap.barcode_owner.get(b)
                if owner is not None and owner != r.sku_code and b in listed.get(owner, {b}):
                    e.add(
                        r.n,
                        "barcodes",
                        "catalog.duplicate_barcode",
                        f"Barcode {b} already belongs to SKU {owner}",
                        f"条码 {b} 已属于 SKU {owner}",
                    )

    def _classify(self) -> None:
        snap, e = self.snap, self.errors
        assert snap is not None
        for r in self.rows:
            if r.sku_code is None:
                continue
            existing = snap.skus.get(r.sku_code)
            if existing is not None:
                self._check_existing(r, existing)
                self.updates.append(r)
            elif r.product_code is None:
                if r.sku_name is None:
                    e.add(
                        r.n,
                        "sku_name",
                        "catalog.import_required",
                        "Required for a standalone SKU",
                        "独立 SKU 必填",
                    )
                if r.attributes:
                    e.add(
                        r.n,
                        "attributes",
                        "catalog.bad_sku_attributes",
                        "Only a product's SKUs have attributes (fill in the product code)",
                        "只有属于商品的 SKU 才有规格（请填写商品编码）",
                    )
                self._check_new(r)
                self.standalone.append(r)
            else:
                self._check_new(r)
                group = self.product_additions if r.product_code in snap.products else self.new_products
                group.setdefault(r.product_code, []).append(r)

    def _check_new(self, r: Row) -> None:
        e = self.errors
        for key, value in (("unit", r.unit), ("price", r.price_cents)):
            if value is None and _cell_text(r.values[key]) is None:
                e.add(r.n, key, "catalog.import_required", "Required for a new SKU", "新 SKU 必填")

    def _check_existing(self, r: Row, existing: Any) -> None:
        e = self.errors
        if r.product_code is not None and r.product_code != existing.product_code:
            where_en = f"product {existing.product_code}" if existing.product_code else "no product"
            where_zh = f"商品 {existing.product_code}" if existing.product_code else "独立 SKU（无商品）"
            e.add(
                r.n,
                "product_code",
                "catalog.import_wrong_product",
                f"SKU {r.sku_code} belongs to {where_en}",
                f"SKU {r.sku_code} 属于{where_zh}",
            )
        for key, new, old, en, zh in (
            ("unit", r.unit, existing.unit, "unit", "单位"),
            ("cost_method", r.cost_method, existing.cost_method, "cost method", "成本计价"),
            ("tracking", r.tracking, existing.tracking, "tracking", "批次管理"),
        ):
            if new is not None and new != old:
                e.add(
                    r.n,
                    key,
                    "catalog.import_immutable",
                    f"The {en} of an existing SKU cannot change (it is {old})",
                    f"已有 SKU 的{zh}不能修改（当前为 {old}）",
                )
        if r.attributes and r.attributes != (existing.attributes or {}):
            e.add(
                r.n,
                "attributes",
                "catalog.import_immutable",
                "Change an existing SKU's attributes in the product editor",
                "已有 SKU 的规格请在商品编辑页修改",
            )

    def _products(self) -> None:
        """New products: consistent product columns, attribute definitions from their rows.
        Existing products gaining SKUs: attributes fit (new values extend the definitions)."""
        snap, e = self.snap, self.errors
        assert snap is not None
        for code, rows in self.new_products.items():
            first = rows[0]
            if _cell_text(first.values["product_name"]) is None:
                e.add(
                    first.n,
                    "product_name",
                    "catalog.import_required",
                    "Required for a new product",
                    "新商品必填",
                )
            for r in rows[1:]:
                for key in ("product_name", "category", "brand", "description"):
                    mine = _cell_text(r.values[key])
                    if mine is not None and mine != _cell_text(first.values[key]):
                        e.add(
                            r.n,
                            key,
                            "catalog.import_inconsistent_product",
                            f"Differs from row {first.n} of the same product",
                            f"与同一商品的第 {first.n} 行不一致",
                        )
            defs = self._definitions_from_rows(rows, [])
            if defs is not None:
                self.new_defs[code] = defs
                self._combos(rows, [], defs)
        for code, rows in self.product_additions.items():
            p = snap.products[code]
            old = [rules.Attribute(a["name"], tuple(a["values"])) for a in p.attributes or []]
            defs = self._definitions_from_rows(rows, old)
            if defs is None:
                continue
            if defs != old:
                self.extended[code] = defs
            self._combos(rows, snap.product_skus.get(p.id, []), defs)

    def _definitions_from_rows(
        self, rows: list[Row], old: list[rules.Attribute]
    ) -> list[rules.Attribute] | None:
        e = self.errors
        names = [a.name for a in old] or list((rows[0].attributes or {}).keys())
        values: dict[str, list[str]] = {a.name: list(a.values) for a in old} or {n: [] for n in names}
        ok = True
        for r in rows:
            attrs = r.attributes or {}
            if set(attrs) != set(names):
                ok = False
                e.add(
                    r.n,
                    "attributes",
                    "catalog.bad_sku_attributes",
                    "Every SKU of this product needs a value of each attribute: "
                    + (", ".join(names) or "none"),
                    "该商品的每个 SKU 都要填写全部规格：" + ("、".join(names) or "无"),
                )
                continue
            for n, v in attrs.items():
                if v not in values[n]:
                    values[n].append(v)
        if not ok:
            return None
        try:
            return rules.attribute_definitions([{"name": n, "values": values[n]} for n in names])
        except rules.RuleError as err:
            e.add(rows[0].n, "attributes", err.code, err.en, err.zh)
            return None

    def _combos(self, rows: list[Row], existing: list[tuple[str, Any]], defs: list[rules.Attribute]) -> None:
        seen: dict[tuple, tuple[str, str]] = {
            rules.combo_key(a): (f"SKU {c}", f"SKU {c}") for c, a in existing
        }
        for r in rows:
            key = rules.combo_key(r.attributes)
            if key in seen:
                en, zh = seen[key]
                self.errors.add(
                    r.n,
                    "attributes",
                    "catalog.duplicate_combination",
                    f"{en} of this product already has these attribute values",
                    f"该商品的{zh}已是这组规格值",
                )
            else:
                seen[key] = (f"row {r.n}", f"第 {r.n} 行")

    # -- apply -------------------------------------------------------------------------------
    def apply(self) -> ImportResult:
        snap = self.snap
        assert snap is not None
        created = updated = products = 0
        # Barcodes that move between SKUs of the file are let go of first.
        for r in self.updates:
            existing = snap.skus[r.sku_code]
            owned = {b for b, o in snap.barcode_owner.items() if o == r.sku_code}
            if owned - set(r.barcodes):
                self._run(
                    r,
                    lambda r=r, existing=existing: service.release_barcodes(
                        self.uow, existing.id, r.barcodes
                    ),
                )
        for code, rows in self.new_products.items():
            first = rows[0]
            self._run(
                first,
                lambda code=code, rows=rows, first=first: service.create_product(
                    self.uow,
                    code=code,
                    name=_cell_text(first.values["product_name"]) or "",
                    category=_cell_text(first.values["category"]),
                    brand=_cell_text(first.values["brand"]),
                    description=_cell_text(first.values["description"]) or "",
                    attributes=[a.as_json() for a in self.new_defs.get(code, [])],
                    skus=[self._new_sku(r) for r in rows],
                ),
            )
            products += 1
            created += len(rows)
        for code, rows in self.product_additions.items():
            pid = snap.products[code].id
            if code in self.extended:
                self._run(
                    rows[0],
                    lambda pid=pid, code=code: service.update_product(
                        self.uow, pid, attributes=[a.as_json() for a in self.extended[code]]
                    ),
                )
            self._run(
                rows[0],
                lambda pid=pid, rows=rows: service.add_skus(self.uow, pid, [self._new_sku(r) for r in rows]),
            )
            created += len(rows)
        for r in self.standalone:
            spec = self._new_sku(r)
            self._run(
                r,
                lambda spec=spec: service.create_sku(
                    self.uow,
                    code=spec.code,
                    name=spec.name or "",
                    unit=spec.unit,
                    price_cents=spec.price_cents,
                    cost_method=spec.cost_method,
                    safety_stock=spec.safety_stock,
                    barcodes=spec.barcodes,
                    tracking=spec.tracking,
                    shelf_life_days=spec.shelf_life_days,
                ),
            )
            created += 1
        for r in self.updates:
            existing = snap.skus[r.sku_code]
            owned = {b for b, o in snap.barcode_owner.items() if o == r.sku_code}
            changes: dict[str, Any] = {}
            if set(r.barcodes) != owned:
                changes["barcodes"] = r.barcodes
            for key, new, old in (
                ("name", r.sku_name, existing.name),
                ("price_cents", r.price_cents, existing.price_cents),
                ("safety_stock", r.safety_stock, existing.safety_stock),
                ("shelf_life_days", r.shelf_life_days, existing.shelf_life_days),
            ):
                if new is not None and new != old:
                    changes[key] = new
            if changes:
                self._run(r, lambda i=existing.id, c=changes: service.update_sku(self.uow, i, **c))
                updated += 1
        return ImportResult(len(self.rows), products, created, updated, len(self.updates) - updated)

    def _new_sku(self, r: Row) -> service.NewSku:
        return service.NewSku(
            code=r.sku_code or "",
            name=r.sku_name,
            unit=r.unit or "",
            price_cents=r.price_cents if r.price_cents is not None else 0,
            cost_method=r.cost_method or "average",
            safety_stock=r.safety_stock or 0,
            attributes=r.attributes,
            barcodes=r.barcodes,
            tracking=r.tracking or "none",
            shelf_life_days=r.shelf_life_days,
        )

    def _run(self, r: Row, fn) -> Any:
        """A service call for row ``r``: a rule it breaks fails the import, naming that row."""
        try:
            return fn()
        except Forbidden:
            raise
        except AppError as err:
            raise ImportFailed([RowError(r.n, "", err.code, err.en, err.zh)]) from err
