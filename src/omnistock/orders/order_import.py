"""Orders from an Excel (.xlsx) or CSV file, one row per order line, read into ``IntakeOrder``s.

Pure: bytes in, orders out, no database. Rows with the same order number (订单号) form one order;
the order's own columns (channel, buyer, address, fees, payment, remark, …) are read from its first
row, and a later row of the same order may repeat them or leave them empty but not say something
else. Headers may be in Simplified Chinese or English (see ``COLUMNS``); an unknown header is an
error, so a typo never drops a column silently.

The whole file is checked first and every bad cell is reported (row number as the spreadsheet
shows it, column, reason in en and zh-CN) in one ``ImportFailed``; a file with any error yields
no order at all. Money is read exactly: a text cell through ``MONEY_RE``, a numeric cell through
the shortest decimal string of its value (``Decimal(repr(59.9))``), at most two decimals, never
by float arithmetic. Times without a UTC offset are taken to be in ``tz`` (Beijing time unless
told otherwise); every datetime in the result is naive UTC, as the database stores them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from omnistock.orders.intake import (
    PAYMENT_METHODS,
    PAYMENT_NAMES_ZH,
    Address,
    Buyer,
    IntakeLine,
    IntakeOrder,
    Payment,
)
from omnistock.platform.clock import to_utc
from omnistock.platform.errors import Invalid
from omnistock.platform.money import MONEY_RE

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS = 500  # listed in the error; the count covers them all
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ORDER, LINE = "order", "line"


@dataclass(frozen=True)
class Col:
    key: str
    zh: str
    en: str
    level: str  # ORDER: one value per order (from its first row); LINE: one per row
    required: bool  # the column must be in the file and its cell filled
    width: int
    note_zh: str
    note_en: str
    aliases: tuple[str, ...] = ()


COLUMNS = [
    Col("order_no", "订单号", "Order no", ORDER, True, 18,
        "必填；同一订单的多行订单号相同", "Required; the rows of one order share it", ("外部订单号", "order_id")),
    Col("channel", "渠道", "Channel", ORDER, True, 12,
        "必填；渠道编码", "Required; the channel's code", ("渠道编码", "channel_code")),
    Col("ordered_at", "下单时间", "Ordered at", ORDER, False, 18,
        "如 2024-03-01 10:15；无时区时按北京时间", "e.g. 2024-03-01 10:15; Beijing time unless an offset is given"),
    Col("buyer_name", "买家姓名", "Buyer name", ORDER, True, 12, "必填", "Required", ("买家", "buyer")),
    Col("buyer_phone", "买家手机", "Buyer phone", ORDER, False, 14, "可留空", "Optional", ("买家电话",)),
    Col("receiver", "收货人", "Receiver", ORDER, False, 12,
        "填写地址时必填", "Required with an address"),
    Col("receiver_phone", "收货电话", "Receiver phone", ORDER, False, 14,
        "填写地址时必填", "Required with an address", ("收货人电话", "收货人手机")),
    Col("province", "省", "Province", ORDER, False, 10, "填写地址时必填", "Required with an address", ("省份",)),
    Col("city", "市", "City", ORDER, False, 10, "填写地址时必填", "Required with an address", ("城市",)),
    Col("district", "区县", "District", ORDER, False, 10, "可留空", "Optional", ("区", "区/县")),
    Col("address", "详细地址", "Address detail", ORDER, False, 30,
        "填写地址时必填；整单无地址时收货列全部留空", "Required with an address; leave every address column "
        "empty for an order without one", ("地址", "address_detail", "detail")),
    Col("sku", "SKU编码", "SKU code", LINE, True, 16, "必填；SKU 编码或条码", "Required; SKU code or barcode",
        ("SKU", "sku_code")),
    Col("qty", "数量", "Qty", LINE, True, 8, "必填；正整数", "Required; a whole number ≥ 1", ("quantity",)),
    Col("unit_price", "单价(元)", "Unit price (yuan)", LINE, True, 10,
        "必填；最多两位小数，如 59.90", "Required; at most 2 decimals, e.g. 59.90", ("单价", "price", "unit price")),
    Col("line_discount", "行优惠(元)", "Line discount (yuan)", LINE, False, 12,
        "该行的优惠金额，默认 0", "Discount off this line, default 0", ("行优惠", "line discount")),
    Col("shipping_fee", "运费(元)", "Shipping fee (yuan)", ORDER, False, 10, "默认 0", "Default 0",
        ("运费", "shipping fee")),
    Col("order_discount", "订单优惠(元)", "Order discount (yuan)", ORDER, False, 12,
        "整单优惠，默认 0", "Off the whole order, default 0", ("订单优惠", "order discount")),
    Col("payment_method", "支付方式", "Payment method", ORDER, False, 12,
        "微信支付、支付宝、银行卡、余额、积分、优惠券；未付款留空",
        "wechat_pay, alipay, bank_card, balance, points or coupon; empty when unpaid", ("payment",)),
    Col("paid_amount", "实付金额(元)", "Paid amount (yuan)", ORDER, False, 12,
        "与支付方式一起填写", "Together with the payment method", ("实付金额", "实付", "paid amount")),
    Col("remark", "买家留言", "Buyer remark", ORDER, False, 20, "可留空", "Optional", ("留言", "buyer_remark")),
    Col("seller_memo", "卖家备注", "Seller memo", ORDER, False, 20, "可留空", "Optional", ("备注", "memo")),
    Col("ship_after", "预售发货日", "Ship after", ORDER, False, 12,
        "预售：不早于该日期发货，如 2024-03-10", "Presale: not to ship before this day, e.g. 2024-03-10",
        ("预售发货日期", "ship after")),
    Col("tags", "标签", "Tags", ORDER, False, 16, "多个用逗号或顿号（、）分隔", "Separated by commas or 、"),
]  # fmt: skip
BY_KEY = {c.key: c for c in COLUMNS}
ORDER_KEYS = [c.key for c in COLUMNS if c.level == ORDER and c.key != "order_no"]
ADDRESS_KEYS = ("receiver", "receiver_phone", "province", "city", "district", "address")


def _norm(text: object) -> str:
    s = str(text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_]+", "", s)


HEADER_KEYS = {_norm(t): c.key for c in COLUMNS for t in (c.zh, c.en, c.key, *c.aliases)}

PAYMENT_WORDS = {
    **{_norm(m): m for m in PAYMENT_METHODS},
    **{_norm(zh): m for m, zh in PAYMENT_NAMES_ZH.items()},
    _norm("微信"): "wechat_pay",
    _norm("WeChat Pay"): "wechat_pay",
    _norm("wechat"): "wechat_pay",
    _norm("Alipay"): "alipay",
    _norm("bank card"): "bank_card",
    _norm("card"): "bank_card",
    _norm("银联"): "bank_card",
}
TAG_SPLIT = re.compile(r"[,，、]")


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number (the header is row 1)
    column: str  # a column key, or "" for the whole row
    code: str
    en: str
    zh: str
    header: str = ""  # the column's header as written in the file

    def as_json(self) -> dict[str, Any]:
        col = BY_KEY.get(self.column)
        return {
            "row": self.row,
            "column": self.column,
            "header": self.header or (col.zh if col else ""),
            "column_zh": col.zh if col else "",
            "column_en": col.en if col else "",
            "code": self.code,
            "en": self.en,
            "zh": self.zh,
        }


class ImportFailed(Invalid):
    """A file with bad cells: no order was read. ``errors`` (and the problem) lists every one."""

    def __init__(self, errors: list[RowError]):
        order = list(BY_KEY)
        self.errors = sorted(
            errors, key=lambda e: (e.row, order.index(e.column) if e.column in BY_KEY else -1)
        )
        first = self.errors[0]
        where = first.header or (BY_KEY[first.column].en if first.column in BY_KEY else "")
        where_zh = first.header or (BY_KEY[first.column].zh if first.column in BY_KEY else "")
        super().__init__(
            "orders.import_failed",
            "The file has {count} errors; no order was imported. First: row {row}{where_en}: {reason}",
            "文件中有 {count} 处错误，未导入任何订单。第一处：第 {row} 行{where_zh}：{reason_zh}",
            count=len(self.errors),
            row=first.row,
            where_en=f", column {where}" if where else "",
            where_zh=f"“{where_zh}”列" if where_zh else "",
            reason=first.en,
            reason_zh=first.zh,
            errors=[e.as_json() for e in self.errors[:MAX_ERRORS]],
        )

    def problem(self, lang: str = "zh-CN") -> dict[str, Any]:
        body = super().problem(lang)
        body["errors"] = [e.as_json() for e in self.errors[:MAX_ERRORS]]
        return body


class _Errors:
    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.items: list[RowError] = []
        self.headers = headers or {}

    def add(self, row: int, column: str, code: str, en: str, zh: str) -> None:
        self.items.append(RowError(row, column, code, en, zh, self.headers.get(column, "")))

    def bad(self, row: int, column: str, en: str, zh: str) -> None:
        self.add(row, column, "orders.import_bad_cell", en, zh)


def _fail(row: int, code: str, en: str, zh: str) -> ImportFailed:
    return ImportFailed([RowError(row, "", code, en, zh)])


# ---------------------------------------------------------------------------------------------
# Reading the file: a header and rows of raw cell values


Rows = list[tuple[int, tuple[Any, ...]]]  # (spreadsheet row number, cell values), blank rows left out


def _keep(numbered) -> Rows:
    """The non-blank rows, stopping once there are more than ``MAX_ROWS`` after the header."""
    rows: Rows = []
    for n, values in numbered:
        if all(_is_blank(v) for v in values):
            continue
        rows.append((n, tuple(values)))
        if len(rows) > MAX_ROWS + 1:
            break  # enough to say "too many rows"; a huge sheet is never read whole
    return rows


def _read_xlsx(data: bytes) -> Rows:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _unreadable() from exc
    try:
        return _keep(enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1))
    finally:
        wb.close()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else GB18030 (Excel's CSV in China)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise Invalid(
        "orders.import_unreadable",
        "The CSV file is neither UTF-8 nor GB18030 text",
        "CSV 文件既不是 UTF-8 也不是 GB18030 编码的文本",
    )


def _read_csv(data: bytes) -> Rows:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return _keep(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    except csv.Error as exc:
        raise Invalid(
            "orders.import_unreadable",
            "The CSV file cannot be read: {reason}",
            "无法读取该 CSV 文件：{reason}",
            reason=str(exc)[:200],
        ) from exc


def _unreadable() -> Invalid:
    return Invalid(
        "orders.import_unreadable",
        "The file is neither an Excel workbook (.xlsx) nor a CSV file",
        "该文件既不是 Excel 工作簿（.xlsx）也不是 CSV 文件",
    )


def _read(data: bytes, filename: str) -> Rows:
    if len(data) > MAX_FILE_BYTES:
        raise Invalid("orders.import_too_large", "The file is larger than 20 MB", "文件超过 20 MB")
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise Invalid(
            "orders.import_unreadable",
            "Old .xls workbooks are not read: save the file as .xlsx or .csv",
            "不支持旧版 .xls 文件：请另存为 .xlsx 或 .csv",
        )
    if name.endswith((".xlsx", ".xlsm")) or (
        not name.endswith((".csv", ".txt")) and data[:4] == b"PK\x03\x04"
    ):
        return _read_xlsx(data)
    return _read_csv(data)


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# ---------------------------------------------------------------------------------------------
# Cells


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # 13800138000.0, a phone number Excel stored as a number
    elif isinstance(v, dt.datetime | dt.date):
        v = v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    s = str(v).strip()
    return s or None


def _money_text(v: Any) -> str | None:
    """The decimal text of a money cell, exactly as written (None: not a plain number)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float | Decimal):
        # A numeric cell is a binary double; its shortest repr is the decimal the user typed
        # (59.9 -> "59.9"). A computed 59.900000000000006 keeps its noise and is refused.
        try:
            d = Decimal(repr(v)) if isinstance(v, float) else v
        except InvalidOperation:
            return None
        return format(d, "f") if d.is_finite() else None
    s = str(v).strip().lstrip("¥￥").strip()
    if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?", s):
        s = s.replace(",", "")  # 1,299.00
    return s


class _Cells:
    """Typed reads of one row's cells; a bad cell is recorded and read as None."""

    def __init__(self, errors: _Errors, n: int, values: dict[str, Any], tz: dt.tzinfo):
        self.e, self.n, self.v, self.tz = errors, n, values, tz

    def text(self, key: str) -> str | None:
        return _text(self.v.get(key))

    def money(self, key: str) -> int | None:
        raw = self.v.get(key)
        if _is_blank(raw):
            return None
        s = _money_text(raw)
        m = MONEY_RE.match(s) if s is not None else None
        if m is None:
            shown = _text(raw) or ""
            self.e.bad(
                self.n,
                key,
                f"Must be a non-negative amount with at most two decimals, like 59.90 (got {shown[:30]})",
                f"必须是最多两位小数的非负金额，如 59.90（收到 {shown[:30]}）",
            )
            return None
        return int(m.group(1)) * 100 + int((m.group(2) or "").ljust(2, "0"))

    def qty(self, key: str) -> int | None:
        raw = self.v.get(key)
        if _is_blank(raw):
            return None
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif (isinstance(raw, float) and raw.is_integer()) or (
            isinstance(raw, str) and re.fullmatch(r"\s*-?[0-9]+\s*", raw)
        ):
            value = int(raw)
        if value is None or value <= 0:
            shown = _text(raw) or ""
            self.e.bad(
                self.n,
                key,
                f"Must be a whole number of at least 1 (got {shown[:30]})",
                f"必须是不小于 1 的整数（收到 {shown[:30]}）",
            )
            return None
        return value

    def when(self, key: str) -> dt.datetime | None:
        raw = self.v.get(key)
        if _is_blank(raw):
            return None
        value: dt.datetime | None = None
        if isinstance(raw, dt.datetime):
            value = raw
        elif isinstance(raw, dt.date):
            value = dt.datetime.combine(raw, dt.time())
        elif isinstance(raw, str):
            s = raw.strip().replace("/", "-")
            try:
                value = dt.datetime.fromisoformat(s)
            except ValueError:
                value = None
        if value is None:
            shown = _text(raw) or ""
            self.e.bad(
                self.n,
                key,
                f"Must be a date and time like 2024-03-01 10:15 (got {shown[:30]})",
                f"必须是形如 2024-03-01 10:15 的时间（收到 {shown[:30]}）",
            )
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return to_utc(value)

    def day(self, key: str) -> dt.date | None:
        raw = self.v.get(key)
        if _is_blank(raw):
            return None
        if isinstance(raw, dt.datetime):
            if raw.time() == dt.time():
                return raw.date()
        elif isinstance(raw, dt.date):
            return raw
        elif isinstance(raw, str):
            s = raw.strip().replace("/", "-")
            m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", s)
            if m:
                try:
                    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    pass
        shown = _text(raw) or ""
        self.e.bad(
            self.n,
            key,
            f"Must be a date like 2024-03-10 (got {shown[:30]})",
            f"必须是形如 2024-03-10 的日期（收到 {shown[:30]}）",
        )
        return None

    def payment_method(self, key: str) -> str | None:
        s = self.text(key)
        if s is None:
            return None
        method = PAYMENT_WORDS.get(_norm(s))
        if method is None:
            self.e.bad(
                self.n,
                key,
                f"Unknown payment method {s[:30]!r}: one of {', '.join(PAYMENT_METHODS)}",
                f"无法识别的支付方式“{s[:30]}”：可选 {'、'.join(PAYMENT_NAMES_ZH.values())}",
            )
        return method

    def tags(self, key: str) -> tuple[str, ...] | None:
        s = self.text(key)
        if s is None:
            return None
        return tuple(t.strip() for t in TAG_SPLIT.split(s) if t.strip())


_BAD = object()  # an order-level cell that could not be read (not compared with other rows)


@dataclass
class _Row:
    n: int
    order_no: str | None
    order: dict[str, Any]  # order-level key -> parsed value (None: empty; _BAD: unreadable)
    line: IntakeLine | None


def _parse_row(errors: _Errors, n: int, values: dict[str, Any], tz: dt.tzinfo) -> _Row:
    c = _Cells(errors, n, values, tz)
    readers = {
        "ordered_at": c.when,
        "shipping_fee": c.money,
        "order_discount": c.money,
        "paid_amount": c.money,
        "payment_method": c.payment_method,
        "ship_after": c.day,
        "tags": c.tags,
    }
    order: dict[str, Any] = {}
    for key in ORDER_KEYS:
        before = len(errors.items)
        value = readers.get(key, c.text)(key)
        order[key] = _BAD if len(errors.items) > before else value
    order_no = c.text("order_no")
    if order_no is None:
        errors.bad(n, "order_no", "Required: the order this line belongs to", "必填：该行所属的订单")
    sku = c.text("sku")
    if sku is None:
        errors.bad(n, "sku", "Required", "必填")
    qty = c.qty("qty")
    if qty is None and _is_blank(values.get("qty")):
        errors.bad(n, "qty", "Required", "必填")
    price = c.money("unit_price")
    if price is None and _is_blank(values.get("unit_price")):
        errors.bad(n, "unit_price", "Required", "必填")
    discount = c.money("line_discount") or 0
    if qty is not None and price is not None and discount > qty * price:
        errors.bad(
            n,
            "line_discount",
            "More than the line amount (qty × unit price)",
            "超过了该行金额（数量 × 单价）",
        )
    line = IntakeLine(sku, qty, price, discount) if sku and qty and price is not None else None
    return _Row(n, order_no, order, line)


# ---------------------------------------------------------------------------------------------
# Import


def parse_orders(data: bytes, filename: str, *, tz: dt.tzinfo = CHINA_TIME) -> list[IntakeOrder]:
    """The orders in an .xlsx or CSV file, in the order they first appear.

    ``filename`` tells the format (``.xlsx`` or ``.csv``; sniffed otherwise); ``tz`` is the time
    zone of times written without an offset. Raises ``ImportFailed`` listing every bad cell, or
    ``Invalid`` (``orders.import_unreadable`` / ``orders.import_too_large``) for the file itself.
    """
    raw_rows = _read(data, filename)
    if not raw_rows:
        raise _fail(1, "orders.import_empty", "The file is empty: no header row", "文件是空的：没有表头行")
    (header_n, header), body = raw_rows[0], raw_rows[1:]

    errors = _Errors()
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    unnamed: list[int] = []
    for i, h in enumerate(header):
        if _is_blank(h):
            unnamed.append(i)
            continue
        text = str(h).strip().lstrip("\ufeff")
        key = HEADER_KEYS.get(_norm(text))
        letter = get_column_letter(i + 1)
        if key is None:
            errors.add(
                header_n,
                "",
                "orders.import_unknown_column",
                f"Unknown column {text[:40]!r} (column {letter})",
                f"无法识别的列“{text[:40]}”（第 {letter} 列）",
            )
        elif key in index:
            errors.add(
                header_n,
                key,
                "orders.import_duplicate_column",
                f"Column {text[:40]!r} appears twice (column {letter})",
                f"列“{text[:40]}”出现了两次（第 {letter} 列）",
            )
        else:
            index[key] = i
            written[key] = text
    for col in COLUMNS:
        if col.required and col.key not in index:
            errors.add(
                header_n,
                col.key,
                "orders.import_missing_column",
                f"The required column {col.en!r} ({col.zh}) is missing",
                f"缺少必需的列“{col.zh}”（{col.en}）",
            )
    if errors.items:
        raise ImportFailed(errors.items)

    errors = _Errors(written)
    rows: list[_Row] = []
    for n, values in body:
        if len(rows) >= MAX_ROWS:
            raise _fail(
                n,
                "orders.import_too_many_rows",
                f"A file has at most {MAX_ROWS} rows",
                f"一个文件最多 {MAX_ROWS} 行",
            )
        stray = [i for i in unnamed if i < len(values) and not _is_blank(values[i])]
        stray += [i for i in range(len(header), len(values)) if not _is_blank(values[i])]
        for i in stray:
            letter = get_column_letter(i + 1)
            errors.add(
                n,
                "",
                "orders.import_no_header",
                f"A value in column {letter}, which has no header",
                f"第 {letter} 列有数据但没有表头",
            )
        cells = {k: (values[i] if i < len(values) else None) for k, i in index.items()}
        rows.append(_parse_row(errors, n, cells, tz))
    if not rows:
        raise _fail(header_n + 1, "orders.import_empty", "The file has no order rows", "文件中没有订单行")

    groups: dict[str, list[_Row]] = {}
    for r in rows:
        if r.order_no is not None:
            groups.setdefault(r.order_no, []).append(r)
    orders = [_order(errors, no, group) for no, group in groups.items()]
    if errors.items:
        raise ImportFailed(errors.items)
    return [o for o in orders if o is not None]


def _order(errors: _Errors, order_no: str, rows: list[_Row]) -> IntakeOrder | None:
    first = rows[0]
    v = first.order
    for r in rows[1:]:
        for key in ORDER_KEYS:
            mine = r.order[key]
            if mine is None or mine is _BAD or v[key] is _BAD or mine == v[key]:
                continue
            errors.bad(
                r.n,
                key,
                f"Differs from row {first.n}, the first row of order {order_no}",
                f"与订单 {order_no} 的首行（第 {first.n} 行）不一致",
            )
    n = first.n
    for key in ("channel", "buyer_name"):
        if v[key] is None:
            errors.bad(n, key, "Required (on the order's first row)", "必填（填在订单的首行）")
    address = None
    if any(v[k] is not None for k in ADDRESS_KEYS):
        for key in ADDRESS_KEYS:
            if key != "district" and v[key] is None:
                errors.bad(
                    n,
                    key,
                    "Required with an address (or leave every address column empty)",
                    "填写地址时必填（或将地址各列全部留空）",
                )
        if all(v[k] not in (None, _BAD) for k in ADDRESS_KEYS if k != "district"):
            address = Address(
                receiver=v["receiver"],
                phone=v["receiver_phone"],
                province=v["province"],
                city=v["city"],
                district=v["district"] or "",
                detail=v["address"],
            )
    payments: tuple[Payment, ...] = ()
    method, paid = v["payment_method"], v["paid_amount"]
    if method is _BAD or paid is _BAD:
        pass  # already reported
    elif method is not None and paid is None:
        errors.bad(n, "paid_amount", "Required with a payment method", "填写支付方式时必填")
    elif paid is not None and method is None:
        errors.bad(n, "payment_method", "Required with a paid amount", "填写实付金额时必填")
    elif paid == 0:
        errors.bad(
            n,
            "paid_amount",
            "Must be more than 0 (leave both empty when unpaid)",
            "必须大于 0（未付款请留空）",
        )
    elif method is not None and paid is not None:
        payments = (Payment(method, paid),)
    lines = tuple(r.line for r in rows if r.line is not None)
    if errors.items or len(lines) != len(rows):
        return None

    def val(key: str, default: Any = None) -> Any:
        return default if v[key] is None else v[key]

    return IntakeOrder(
        channel=v["channel"],
        external_ref=order_no,
        buyer=Buyer(v["buyer_name"], val("buyer_phone")),
        lines=lines,
        address=address,
        discount_cents=val("order_discount", 0),
        shipping_fee_cents=val("shipping_fee", 0),
        payments=payments,
        buyer_remark=val("remark", ""),
        seller_memo=val("seller_memo", ""),
        ship_after=val("ship_after"),
        tags=val("tags", ()),
        ordered_at=val("ordered_at"),
    )


# ---------------------------------------------------------------------------------------------
# Template


def template(lang: str = "zh-CN") -> bytes:
    """An import file to fill in: the header, one example order of two lines, and instructions."""
    zh = not lang.lower().startswith("en")
    wb = Workbook()
    ws = wb.active
    ws.title = "订单" if zh else "Orders"
    ws.append([c.zh if zh else c.en for c in COLUMNS])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[get_column_letter(i)].width = c.width
    ws.freeze_panes = "A2"
    order = {
        "order_no": "WX20240301001",
        "channel": "wechat",
        "ordered_at": dt.datetime(2024, 3, 1, 10, 15),
        "buyer_name": "张三" if zh else "Zhang San",
        "buyer_phone": "13800138000",
        "receiver": "张三" if zh else "Zhang San",
        "receiver_phone": "13800138000",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "address": "科苑路 15 号 A 座 1203 室",
        "shipping_fee": Decimal("8.00"),
        "order_discount": Decimal("10.00"),
        "payment_method": "微信支付" if zh else "wechat_pay",
        "paid_amount": Decimal("162.70"),
        "remark": "工作日送货" if zh else "Weekdays only",
        "seller_memo": "",
        "ship_after": None,
        "tags": "VIP、复购" if zh else "VIP, repeat",
    }
    lines = [
        {"sku": "TS-DEMO-RED-M", "qty": 2, "unit_price": Decimal("59.90"), "line_discount": Decimal("5.00")},
        {"sku": "MUG-01", "qty": 1, "unit_price": Decimal("49.90"), "line_discount": None},
    ]
    money_cols = {"unit_price", "line_discount", "shipping_fee", "order_discount", "paid_amount"}
    for n, line in enumerate(lines, start=2):
        values = {**order, **line}
        for i, c in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=n, column=i, value=values.get(c.key) or None)
            if c.key in money_cols:
                cell.number_format = "0.00"
            elif c.key == "ordered_at":
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif c.key in ("buyer_phone", "receiver_phone", "order_no"):
                cell.number_format = "@"  # text: keeps a phone number's digits
    notes = wb.create_sheet("填写说明" if zh else "Instructions")
    notes.append(["列" if zh else "Column", "说明" if zh else "Notes"])
    for c in COLUMNS:
        notes.append([c.zh if zh else c.en, c.note_zh if zh else c.note_en])
    notes.append([])
    notes.append(
        [
            "导入" if zh else "Import",
            "一行一个订单行；同一订单的多行订单号相同，订单信息（渠道、买家、地址、运费、支付等）以首行为准，"
            "其余行可留空或填写相同的值。文件有任何错误时不导入任何订单，并列出每一处错误。"
            if zh
            else "One row per order line; the rows of one order share its order no. The order's own "
            "columns (channel, buyer, address, fees, payment, …) are read from its first row; later rows "
            "leave them empty or repeat them. A file with any error imports nothing and lists every error.",
        ]
    )
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
