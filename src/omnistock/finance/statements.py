"""Settlement statements (渠道对账单): a provider's CSV or Excel file read into ``StatementRow``s.

Pure: bytes in, rows out, no database. A ``StatementTemplate`` says which of the file's columns
holds each of our fields (``FIELDS``) and how to read them; the built-in ones (``TEMPLATES``):

- ``wechat_pay``: WeChat Pay's merchant trade bill (微信支付交易账单), CSV. Every cell starts with a
  backtick (`), which keeps Excel from turning long numbers into 1.0E+27; the two summary lines
  at the end (总交易单数,… and its totals) end the rows. 交易状态 SUCCESS is a sale (应结订单金额,
  微信订单号), REFUND and REVOKED are refunds (退款金额, 微信退款单号); 手续费 is on the same row
  (negative on a refund: the fee given back).
- ``alipay``: Alipay's account statement (支付宝账务明细), CSV with '#' lines before and after the
  table and cells padded with tabs. 业务类型 tells a sale (交易) from a refund (退款), a fee (服务费,
  on its own row) or a payout (提现); the amount is 收入金额 minus 支出金额. A fee row with no
  商户订单号 takes the order of the sale with the same 业务流水号, or the order number in its 备注.
- ``generic``: our own layout, for any other channel (CSV or .xlsx), headers
  ``order_ref,type,amount,fee,commission,settled_at,txn_id``; ``type`` is one of sale, refund,
  fee, commission, payout, other (or 收款, 退款, 手续费, 佣金, 提现, 其他); ``amount``, ``fee`` and
  ``commission`` are written as positive amounts, the type giving the sign (a refund's amount is
  what was refunded); a fee or commission row may give its amount in ``amount`` or in ``fee`` /
  ``commission``; ``fee``, ``commission`` and ``txn_id`` may be left out.

A custom template is the same dataclass built from a dict (``StatementTemplate.from_dict``; the
database keeps ``to_dict()`` as JSON); building one validates it.

Encodings: UTF-8 with or without a BOM, UTF-16 with a BOM, else GB18030 (a superset of the GBK
Chinese providers export), unless the template names one. ``row_no`` is the row as Excel shows
it. Money is read exactly into integer cents, never through a float: "59.90", "¥1,234.50",
"-3.2", "`0.36"; digits past the cent must be zeros. Times without an offset are in the
template's ``utc_offset_minutes`` (UTC+8 unless told otherwise) and come out aware.

Every bad cell of the file is reported at once: ``StatementError`` (a 422 ``Invalid``) carries
``errors``, a list of ``RowError(row_no, column, code, message_en, message_zh)``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from openpyxl import load_workbook

from omnistock.finance.reconcile_rules import (
    COMMISSION,
    FEE,
    KINDS,
    OTHER,
    PAYOUT,
    REFUND,
    SALE,
    StatementRow,
    minute_utc,
)
from omnistock.platform.errors import Invalid
from omnistock.platform.money import format_cents

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_ERRORS = 500  # listed in the error; its count covers them all
HEADER_SEARCH_ROWS = 30  # a header may follow a few title lines
CHINA_OFFSET_MINUTES = 8 * 60

# Our fields: (English, Chinese) names for messages.
FIELDS: dict[str, tuple[str, str]] = {
    "txn_id": ("transaction id", "交易流水号"),
    "order_ref": ("order number", "商户订单号"),
    "kind": ("type", "类型"),
    "amount": ("amount", "金额"),
    "income": ("income", "收入金额"),
    "expense": ("expense", "支出金额"),
    "fee": ("fee", "手续费"),
    "commission": ("commission", "佣金"),
    "settled_at": ("time", "时间"),
    "trade_no": ("trade number", "业务流水号"),
    "memo": ("remark", "备注"),
}
MONEY_FIELDS = ("amount", "income", "expense", "fee", "commission")

# How amounts are signed in the file.
BY_KIND = "by_kind"  # positive amounts; the row's kind gives the sign (refunds, payouts negative)
BALANCE = "balance"  # signed as the change to the merchant's balance (+ income, - expense)
AMOUNT_SIGNS = (BY_KIND, BALANCE)

AUTO = "auto"

# Codes of StatementError and of its rows
E_COLUMNS = "finance.statement_columns"
E_ROWS = "finance.statement_rows"
E_EMPTY = "finance.statement_empty"
E_UNREADABLE = "finance.statement_unreadable"
E_TOO_LARGE = "finance.statement_too_large"
E_BAD_AMOUNT = "finance.statement_bad_amount"
E_BAD_DATE = "finance.statement_bad_date"
E_BAD_KIND = "finance.statement_bad_kind"
E_MISSING_VALUE = "finance.statement_missing_value"
E_MISSING_COLUMN = "finance.statement_missing_column"
E_TEMPLATE = "finance.template_invalid"
E_TEMPLATE_UNKNOWN = "finance.template_unknown"


def _norm(text: str) -> str:
    """A header or a type value for matching: NFKC (（ -> (), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lstrip("\ufeff").lower()


# ---------------------------------------------------------------------------------------------
# Errors


class RowError(NamedTuple):
    row_no: int  # as Excel shows it (the header and comment lines counted); 0: the whole file
    column: str  # the column's header as written in the file, or "" for the whole row
    code: str
    message_en: str
    message_zh: str

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


class StatementError(Invalid):
    """The file cannot be imported; ``errors`` lists every reason, with its row number."""

    def __init__(self, code: str, errors: Sequence[RowError], en: str, zh: str, **params: Any) -> None:
        self.errors = list(errors)
        # The messages quote the file (headers, cells): keep their braces out of str.format.
        super().__init__(code, _literal(en), _literal(zh), count=len(self.errors), **params)

    def problem(self, lang: str = "zh-CN") -> dict[str, Any]:
        body = super().problem(lang)
        body["errors"] = [e.as_json() for e in self.errors[:MAX_ERRORS]]
        return body


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _file_error(code: str, en: str, zh: str) -> StatementError:
    return StatementError(code, [RowError(0, "", code, en, zh)], en, zh)


def _rows_error(errors: list[RowError]) -> StatementError:
    errors = sorted(errors, key=lambda e: e.row_no)
    first = errors[0]
    where_en = f", column {first.column}" if first.column else ""
    where_zh = f"“{first.column}”列" if first.column else ""
    return StatementError(
        E_ROWS,
        errors,
        f"The statement has {len(errors)} errors; nothing was imported. First: row {first.row_no}"
        f"{where_en}: {first.message_en}",
        f"对账单中有 {len(errors)} 处错误，未导入任何内容。第一处：第 {first.row_no} 行{where_zh}："
        f"{first.message_zh}",
    )


class TemplateError(Invalid):
    """A template that cannot work; ``issues`` lists (field, message_en, message_zh)."""

    def __init__(self, issues: list[tuple[str, str, str]]) -> None:
        self.issues = issues
        super().__init__(
            E_TEMPLATE,
            "The statement template is not valid: {en_list}",
            "对账单模板无效：{zh_list}",
            en_list="; ".join(en for _, en, _ in issues),
            zh_list="；".join(zh for _, _, zh in issues),
        )


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class StatementTemplate:
    """Where a provider's file keeps our fields, and how to read them.

    ``columns``: our field (``FIELDS``) -> the file's header. Needed: ``order_ref``,
    ``settled_at``, and either ``amount`` or ``income``/``expense``; and ``kind`` unless
    ``kind_default`` says what every row is. ``optional``: fields whose column may be absent.
    ``kind_map``: the file's type value -> our kind (exact, else the longest key the value
    contains; our own kind names are always understood); a value nothing maps is
    ``kind_default``, or an error when that is None. ``kind_columns``: per kind, fields read
    from another column (WeChat's refund rows: 退款金额 instead of 应结订单金额).
    ``amount_sign``: ``by_kind`` or ``balance`` (see the module's constants).
    ``skip_prefixes``: lines whose first cell starts so are left out (Alipay's '#');
    ``stop_prefixes``: the first such line after the header ends the rows (WeChat's summary);
    ``cell_prefix``: taken off every cell (WeChat's backtick).
    ``date_format``: a ``strptime`` format, or None for the usual ones (2024-03-01 10:15:00,
    2024/3/1 10:15, 2024年03月01日 10:15:00, 20240301101500, ISO with an offset).
    ``memo_ref_pattern``: a regular expression with one group that finds an order number in
    ``memo`` for a fee row that has none. ``null_texts``: values that mean "none" in the text
    fields (ids, order numbers): WeChat writes `0 where a row has no refund number.
    """

    name: str
    columns: Mapping[str, str]
    title_en: str = ""
    title_zh: str = ""
    optional: tuple[str, ...] = ()
    kind_map: Mapping[str, str] = field(default_factory=dict)
    kind_default: str | None = None
    kind_columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    amount_sign: str = BY_KIND
    encoding: str = AUTO
    delimiter: str = AUTO
    skip_prefixes: tuple[str, ...] = ()
    stop_prefixes: tuple[str, ...] = ()
    cell_prefix: str = ""
    date_format: str | None = None
    utc_offset_minutes: int = CHINA_OFFSET_MINUTES
    memo_ref_pattern: str | None = None
    null_texts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        issues = _template_issues(self)
        if issues:
            raise TemplateError(issues)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatementTemplate:
        """A template from its JSON form (as ``to_dict`` writes it); lists become tuples."""
        if not isinstance(data, Mapping):
            raise TemplateError([("", "a template must be an object", "模板必须是一个对象")])
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise TemplateError(
                [
                    (
                        k,
                        f"unknown option {k!r}",
                        f"未知的选项 {k!r}",
                    )
                    for k in unknown
                ]
            )
        values = dict(data)
        for key in ("optional", "skip_prefixes", "stop_prefixes", "null_texts"):
            if isinstance(values.get(key), str):
                values[key] = (values[key],)
            elif isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        missing = [k for k in ("name", "columns") if k not in values]
        if missing:
            raise TemplateError([(k, f"{k} is required", f"缺少 {k}") for k in missing])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": dict(self.columns),
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "optional": list(self.optional),
            "kind_map": dict(self.kind_map),
            "kind_default": self.kind_default,
            "kind_columns": {k: dict(v) for k, v in self.kind_columns.items()},
            "amount_sign": self.amount_sign,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "skip_prefixes": list(self.skip_prefixes),
            "stop_prefixes": list(self.stop_prefixes),
            "cell_prefix": self.cell_prefix,
            "date_format": self.date_format,
            "utc_offset_minutes": self.utc_offset_minutes,
            "memo_ref_pattern": self.memo_ref_pattern,
            "null_texts": list(self.null_texts),
        }

    @property
    def titles(self) -> tuple[str, str]:
        return self.title_en or self.name, self.title_zh or self.title_en or self.name

    @property
    def tz(self) -> dt.tzinfo:
        return dt.timezone(dt.timedelta(minutes=self.utc_offset_minutes))

    def columns_for(self, kind: str) -> dict[str, str]:
        """Our field -> header for a row of ``kind`` (the overrides of ``kind_columns`` applied)."""
        return {**self.columns, **self.kind_columns.get(kind, {})}


def _template_issues(t: StatementTemplate) -> list[tuple[str, str, str]]:
    issues: list[tuple[str, str, str]] = []

    def bad(where: str, en: str, zh: str) -> None:
        issues.append((where, en, zh))

    if not isinstance(t.name, str) or not t.name.strip():
        bad("name", "name must not be empty", "模板名称不能为空")
    if not isinstance(t.columns, Mapping):
        bad("columns", "columns must map our fields to the file's headers", "columns 必须是字段到列名的映射")
        return issues
    _check_mapping(t.columns, "columns", bad)
    if not _is_str_tuple(t.optional) or set(t.optional) - set(FIELDS):
        bad("optional", "optional must list field names", "optional 必须是字段名列表")
    mapped = set(t.columns)
    for need in ("order_ref", "settled_at"):
        if need not in mapped:
            en, zh = FIELDS[need]
            bad(need, f"the {en} ({need}) column is not mapped", f"未指定{zh}（{need}）列")
    if not mapped & {"amount", "income", "expense"}:
        bad("amount", "map amount, or income and expense", "必须指定金额列（amount，或 income 与 expense）")
    if "amount" in mapped and mapped & {"income", "expense"}:
        bad(
            "amount", "map either amount or income/expense, not both", "amount 与 income/expense 只能指定一种"
        )
    if not isinstance(t.kind_default, str | None) or (
        t.kind_default is not None and t.kind_default not in KINDS
    ):
        bad(
            "kind_default",
            f"kind_default must be one of {', '.join(KINDS)}",
            f"kind_default 必须是 {'、'.join(KINDS)} 之一",
        )
    if "kind" not in mapped and t.kind_default is None:
        bad("kind", "map the type (kind) column or set kind_default", "必须指定类型（kind）列或 kind_default")
    if not isinstance(t.kind_map, Mapping) or not all(
        isinstance(k, str) and v in KINDS for k, v in t.kind_map.items()
    ):
        bad(
            "kind_map",
            f"kind_map values must be one of {', '.join(KINDS)}",
            f"kind_map 的值必须是 {'、'.join(KINDS)} 之一",
        )
    _check_kind_columns(t.kind_columns, bad)
    if t.amount_sign not in AMOUNT_SIGNS:
        bad("amount_sign", "amount_sign must be by_kind or balance", "amount_sign 必须是 by_kind 或 balance")
    _check_reading_options(t, bad)
    return issues


def _check_mapping(columns: Mapping[Any, Any], where: str, bad) -> None:
    for key, header in columns.items():
        if key not in FIELDS:
            bad(where, f"unknown field {key!r} (known: {', '.join(FIELDS)})", f"未知字段 {key!r}")
        elif not isinstance(header, str) or not _norm(header):
            bad(where, f"the column of {key} must be a header text", f"{key} 的列名必须是非空文本")


def _check_kind_columns(kind_columns: Any, bad) -> None:
    if not isinstance(kind_columns, Mapping):
        bad("kind_columns", "kind_columns must map a kind to columns", "kind_columns 必须是类型到列的映射")
        return
    for kind, columns in kind_columns.items():
        if kind not in KINDS or not isinstance(columns, Mapping):
            bad(
                "kind_columns",
                f"kind_columns: {kind!r} is not a kind",
                f"kind_columns：{kind!r} 不是有效类型",
            )
        elif "kind" in columns:
            bad("kind_columns", "kind_columns cannot move the type column", "kind_columns 不能改变类型列")
        else:
            _check_mapping(columns, "kind_columns", bad)


def _check_reading_options(t: StatementTemplate, bad) -> None:
    if t.encoding != AUTO:
        try:
            codecs.lookup(t.encoding)
        except (LookupError, TypeError):
            bad("encoding", f"unknown encoding {t.encoding!r}", f"未知的编码 {t.encoding!r}")
    if t.delimiter != AUTO and (not isinstance(t.delimiter, str) or len(t.delimiter) != 1):
        bad("delimiter", "delimiter must be one character or auto", "分隔符必须是单个字符或 auto")
    for name in ("skip_prefixes", "stop_prefixes"):
        value = getattr(t, name)
        if not _is_str_tuple(value) or not all(value):
            bad(name, f"{name} must be a list of texts", f"{name} 必须是非空文本的列表")
    if not _is_str_tuple(t.null_texts):
        bad("null_texts", "null_texts must be a list of texts", "null_texts 必须是文本列表")
    if not isinstance(t.cell_prefix, str) or len(t.cell_prefix) > 3:
        bad("cell_prefix", "cell_prefix must be at most 3 characters", "cell_prefix 最多 3 个字符")
    if t.date_format is not None and not _good_date_format(t.date_format):
        bad(
            "date_format",
            "date_format must be a strptime format such as %Y-%m-%d %H:%M:%S",
            "date_format 必须是形如 %Y-%m-%d %H:%M:%S 的格式",
        )
    if (
        isinstance(t.utc_offset_minutes, bool)
        or not isinstance(t.utc_offset_minutes, int)
        or not (-720 <= t.utc_offset_minutes <= 840)
    ):
        bad(
            "utc_offset_minutes",
            "utc_offset_minutes must be whole minutes from -720 to 840",
            "utc_offset_minutes 必须是 -720 到 840 之间的整数分钟",
        )
    if t.memo_ref_pattern is not None:
        try:
            groups = re.compile(t.memo_ref_pattern).groups
        except (re.error, TypeError):
            groups = -1
        if groups != 1:
            bad(
                "memo_ref_pattern",
                "memo_ref_pattern must be a regular expression with one group",
                "memo_ref_pattern 必须是含一个分组的正则表达式",
            )


def _is_str_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, str) for v in value)


def _good_date_format(fmt: Any) -> bool:
    if not isinstance(fmt, str) or "%" not in fmt:
        return False
    sample = dt.datetime(2024, 3, 1, 10, 15, 30)
    try:
        return dt.datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
    except ValueError:
        return False


WECHAT_PAY = StatementTemplate(
    name="wechat_pay",
    title_en="WeChat Pay trade bill",
    title_zh="微信支付交易账单",
    columns={
        "settled_at": "交易时间",
        "txn_id": "微信订单号",
        "order_ref": "商户订单号",
        "kind": "交易状态",
        "amount": "应结订单金额",
        "fee": "手续费",
    },
    kind_map={"SUCCESS": SALE, "REFUND": REFUND, "REVOKED": REFUND},
    kind_default=OTHER,
    kind_columns={REFUND: {"amount": "退款金额", "txn_id": "微信退款单号"}},
    amount_sign=BY_KIND,
    cell_prefix="`",
    stop_prefixes=("总交易单数",),
    null_texts=("0",),
)

ALIPAY = StatementTemplate(
    name="alipay",
    title_en="Alipay account statement",
    title_zh="支付宝账务明细",
    columns={
        "txn_id": "账务流水号",
        "trade_no": "业务流水号",
        "order_ref": "商户订单号",
        "settled_at": "发生时间",
        "income": "收入金额（+元）",
        "expense": "支出金额（-元）",
        "kind": "业务类型",
        "memo": "备注",
    },
    optional=("memo",),
    kind_map={
        "交易": SALE,
        "在线支付": SALE,
        "交易付款": SALE,
        "收款": SALE,
        "退款": REFUND,
        "交易退款": REFUND,
        "服务费": FEE,
        "收费": FEE,
        "佣金": COMMISSION,
        "提现": PAYOUT,
    },
    kind_default=OTHER,
    amount_sign=BALANCE,
    skip_prefixes=("#",),
    memo_ref_pattern=r"[\[【(（]\s*([A-Za-z0-9][A-Za-z0-9_\-]*)\s*[\]】)）]",
)

GENERIC = StatementTemplate(
    name="generic",
    title_en="Generic settlement file",
    title_zh="通用对账单",
    columns={
        "order_ref": "order_ref",
        "kind": "type",
        "amount": "amount",
        "fee": "fee",
        "commission": "commission",
        "settled_at": "settled_at",
        "txn_id": "txn_id",
    },
    optional=("fee", "commission", "txn_id"),
    kind_map={
        "收款": SALE,
        "销售": SALE,
        "退款": REFUND,
        "手续费": FEE,
        "佣金": COMMISSION,
        "提现": PAYOUT,
        "打款": PAYOUT,
        "其他": OTHER,
    },
    amount_sign=BY_KIND,
)

TEMPLATES: dict[str, StatementTemplate] = {t.name: t for t in (WECHAT_PAY, ALIPAY, GENERIC)}
GENERIC_HEADERS = ("order_ref", "type", "amount", "fee", "commission", "settled_at", "txn_id")


def resolve_template(template: StatementTemplate | Mapping[str, Any] | str) -> StatementTemplate:
    """A template from a built-in name, its dict form, or itself."""
    if isinstance(template, StatementTemplate):
        return template
    if isinstance(template, str):
        return get_template(template)
    return StatementTemplate.from_dict(template)


def get_template(name: str) -> StatementTemplate:
    template = TEMPLATES.get(name)
    if template is None:
        raise Invalid(
            E_TEMPLATE_UNKNOWN,
            "There is no statement template {name} (built in: {known})",
            "没有名为 {name} 的对账单模板（内置：{known}）",
            name=name,
            known=", ".join(TEMPLATES),
        )
    return template


# ---------------------------------------------------------------------------------------------
# Cells: text, money, time


class CellError(ValueError):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.S)  # ="0012345": how some exports keep a number as text
_AMOUNT = re.compile(r"^([+-]?)(\d+|\d{1,3}(?:,\d{3})+)?(?:\.(\d*))?$")
_CURRENCY = re.compile(r"^(?:¥|CNY|RMB)|(?:元|CNY|RMB)$", re.I)


def clean_cell(value: Any, prefix: str = "") -> Any:
    """A cell as read, with spaces, tabs, ``prefix`` (WeChat's backtick) and ="…" taken off."""
    if not isinstance(value, str):
        return value
    s = value.strip().lstrip("\ufeff").strip()
    if prefix and s.startswith(prefix):
        s = s[len(prefix) :].strip()
    m = _EXCEL_TEXT.match(s)
    return m.group(1).strip() if m else s


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_amount(value: Any) -> int:
    """An amount as exact integer cents: ``"¥1,234.50"`` -> 123450, ``"-3.2"`` -> -320.

    Text may carry a sign, ¥/￥/CNY/RMB/元, thousands separators, a leading backtick and
    accounting brackets ("(3.20)" is -3.20). A number cell is read through its shortest decimal
    form, never by float arithmetic. Digits past the cent must be zeros. Raises ``CellError``.
    """
    if isinstance(value, bool) or value is None:
        raise _not_amount(value)
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float | Decimal):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else value
        except InvalidOperation as exc:
            raise _not_amount(value) from exc
        return _decimal_cents(number, value)
    return _text_cents(str(value))


def _text_cents(text: str) -> int:
    s = unicodedata.normalize("NFKC", text).strip().lstrip("`").replace("\u2212", "-").replace(" ", "")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    sign = ""
    if s and s[0] in "+-":
        sign, s = s[0], s[1:]
    s = _CURRENCY.sub("", _CURRENCY.sub("", s))
    m = _AMOUNT.match(s)
    if m is None or not (m.group(2) or m.group(3)) or (sign and m.group(1)):
        raise _not_amount(text)
    sign = sign or m.group(1)
    whole = int((m.group(2) or "0").replace(",", ""))
    frac = m.group(3) or ""
    if frac[2:].strip("0"):
        raise _too_precise(text)
    cents = whole * 100 + int(frac[:2].ljust(2, "0"))
    return -cents if (sign == "-") != negative else cents


def _decimal_cents(number: Decimal, shown: Any) -> int:
    if not number.is_finite():
        raise _not_amount(shown)
    cents = number.scaleb(2)
    if cents != cents.to_integral_value():
        raise _too_precise(shown)
    return int(cents)


def _not_amount(value: Any) -> CellError:
    shown = cell_text(value)[:30]
    return CellError(
        f"Not an amount like 59.90 (got {shown!r})",
        f"不是形如 59.90 的金额（收到 {shown!r}）",
    )


def _too_precise(value: Any) -> CellError:
    shown = cell_text(value)[:30]
    return CellError(
        f"An amount has at most two decimals (got {shown!r})",
        f"金额最多两位小数（收到 {shown!r}）",
    )


def format_amount(cents: int) -> str:
    """Integer cents as the text ``parse_amount`` reads back: 5990 -> ``"59.90"``."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money must be integer cents, got {cents!r}")
    return format_cents(cents)


_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")


def parse_datetime(value: Any, tz: dt.tzinfo, fmt: str | None = None) -> dt.datetime:
    """A cell as an aware datetime; without an offset it is in ``tz``. Raises ``CellError``."""
    when: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str) and value.strip():
        when = _datetime_text(value.strip(), fmt)
    if when is None:
        shown = cell_text(value)[:30]
        example = fmt or "2024-03-01 10:15:00"
        raise CellError(
            f"Not a date and time like {example} (got {shown!r})",
            f"不是形如 {example} 的时间（收到 {shown!r}）",
        )
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def _datetime_text(text: str, fmt: str | None) -> dt.datetime | None:
    if fmt:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            return None
    s = unicodedata.normalize("NFKC", text).replace("/", "-")
    s = re.sub(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", r"\1-\2-\3", s)
    s = re.sub(r"(\d)年(\d)", r"\1-\2", s)
    s = re.sub(r"(\d)月(\d)", r"\1-\2", s)
    s = re.sub(r"\s+", " ", s.replace("日", " ")).strip()
    m = _DATE_TIME.match(s) or _COMPACT.match(s)
    if m is None:
        return None
    parts = [int(p) if p else 0 for p in m.groups()[:6]]
    micro = int((m.group(7) or "").ljust(6, "0")) if m.re is _DATE_TIME and m.group(7) else 0
    try:
        when = dt.datetime(*parts[:3], parts[3], parts[4], parts[5], micro)
    except ValueError:
        return None
    offset = m.group(8) if m.re is _DATE_TIME else None
    if offset:
        when = when.replace(tzinfo=_offset_tz(offset))
    return when


def _offset_tz(text: str) -> dt.tzinfo:
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# ---------------------------------------------------------------------------------------------
# Reading the file: numbered rows of cells


Table = list[tuple[int, tuple[Any, ...]]]  # (row number as Excel shows it, cells)


def _read_table(data: bytes, filename: str, template: StatementTemplate) -> Table:
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(E_TOO_LARGE, "The file is larger than 50 MB", "文件超过 50 MB")
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise _file_error(E_EMPTY, "The file is empty", "文件是空的")
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise _file_error(
            E_UNREADABLE,
            "Old .xls workbooks are not read: save the file as .xlsx or .csv",
            "不支持旧版 .xls 文件：请另存为 .xlsx 或 .csv",
        )
    if name.endswith((".xlsx", ".xlsm")) or (
        not name.endswith((".csv", ".txt")) and data[:4] == b"PK\x03\x04"
    ):
        return _read_xlsx(data)
    return _read_csv(data, template)


def _read_xlsx(data: bytes) -> Table:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _file_error(
            E_UNREADABLE,
            "The file is neither an Excel workbook (.xlsx) nor a CSV file",
            "该文件既不是 Excel 工作簿（.xlsx）也不是 CSV 文件",
        ) from exc
    try:
        sheet = wb.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong size; read what is there
        return _limit(enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        wb.close()


def decode(data: bytes, encoding: str = AUTO) -> str:
    """The file's text: ``encoding``, or UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030."""
    if encoding != AUTO:
        candidates = [encoding]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _file_error(
        E_UNREADABLE,
        f"The file is not {' or '.join(candidates)} text",
        f"文件不是 {' 或 '.join(candidates)} 编码的文本",
    )


def _read_csv(data: bytes, template: StatementTemplate) -> Table:
    text = decode(data, template.encoding)
    delimiter = template.delimiter if template.delimiter != AUTO else _sniff_delimiter(text, template)
    try:
        return _limit(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    except csv.Error as exc:
        raise _file_error(
            E_UNREADABLE, f"The CSV file cannot be read: {exc}", f"无法读取该 CSV 文件：{exc}"
        ) from exc


def _sniff_delimiter(text: str, template: StatementTemplate) -> str:
    """The delimiter that splits a line of the file's first ones into most of the needed headers."""
    needed = set(_needed_headers(template))
    lines = text.splitlines()[: HEADER_SEARCH_ROWS * 2]
    best, best_found = ",", 0
    for delimiter in (",", "\t", ";", "|"):
        for line in lines:
            cells = {_norm(clean_cell(c, template.cell_prefix)) for c in line.split(delimiter)}
            found = len(needed & cells)
            if found > best_found:
                best, best_found = delimiter, found
    return best


def _limit(numbered: Iterable[tuple[int, Sequence[Any]]]) -> Table:
    table: Table = []
    for n, cells in numbered:
        table.append((n, tuple(cells)))
        if len(table) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _file_error(
                E_TOO_LARGE,
                f"The file has more than {MAX_ROWS} rows: split it",
                f"文件超过 {MAX_ROWS} 行，请拆分后导入",
            )
    return table


# ---------------------------------------------------------------------------------------------
# Header


@dataclass(frozen=True)
class _Header:
    row_no: int
    headers: tuple[str, ...]  # as written (cleaned)
    index: dict[str, int]  # normalized header -> column position


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c) for c in cells)


def _skipped(cells: Sequence[Any], prefixes: tuple[str, ...]) -> bool:
    first = next((c for c in cells if c not in (None, "")), None)
    return isinstance(first, str) and first.startswith(prefixes) if prefixes else False


def _clean_row(cells: Sequence[Any], prefix: str) -> tuple[Any, ...]:
    return tuple(clean_cell(c, prefix) for c in cells)


def _needed_headers(template: StatementTemplate) -> dict[str, str]:
    """Normalized header -> header, for the base columns the file must have."""
    return {_norm(h): h for f, h in template.columns.items() if f not in template.optional}


def _find_header(table: Table, template: StatementTemplate) -> tuple[_Header, int]:
    """The header row (the first with every needed column) and its position in ``table``."""
    needed = _needed_headers(template)
    best: tuple[int, int, tuple[Any, ...]] | None = None  # (found, position, cells)
    looked = 0
    for pos, (n, raw) in enumerate(table):
        cells = _clean_row(raw, template.cell_prefix)
        if _is_blank(cells) or _skipped(cells, template.skip_prefixes):
            continue
        names = {_norm(cell_text(c)) for c in cells}
        found = len(set(needed) & names)
        if found == len(needed):
            return _header(n, cells), pos
        if best is None or found > best[0]:
            best = (found, pos, cells)
        looked += 1
        if looked >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise _file_error(E_EMPTY, "The file has no rows", "文件中没有数据行")
    _, pos, cells = best
    n = table[pos][0]
    header = _header(n, cells)
    missing = [h for key, h in needed.items() if key not in header.index]
    raise _columns_error(template, header, missing)


def _header(n: int, cells: tuple[Any, ...]) -> _Header:
    headers = tuple(cell_text(c) for c in cells)
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h:
            index.setdefault(_norm(h), i)
    return _Header(n, headers, index)


def _columns_error(template: StatementTemplate, header: _Header, missing: list[str]) -> StatementError:
    title_en, title_zh = template.titles
    found = [h for h in header.headers if h]
    en = (
        f"This is not a {title_en} file: the columns {', '.join(missing)} are missing "
        f"(columns found on row {header.row_no}: {', '.join(found) or 'none'})"
    )
    zh = (
        f"该文件不是{title_zh}：缺少列 {'、'.join(missing)}"
        f"（第 {header.row_no} 行的列：{'、'.join(found) or '无'}）"
    )
    error = RowError(header.row_no, "", E_COLUMNS, en, zh)
    return StatementError(E_COLUMNS, [error], en, zh, missing=missing, found=found)


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class ParsedStatement:
    template: str
    rows: tuple[StatementRow, ...]
    fingerprint: str
    columns: tuple[str, ...]  # the file's headers, as written
    header_row: int

    @property
    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The first and the last settlement time on the statement."""
        times = [r.settled_at for r in self.rows]
        return min(times), max(times)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "gross_cents": sum(r.gross_cents for r in self.rows),
            "fee_cents": sum(r.fee_cents for r in self.rows),
            "commission_cents": sum(r.commission_cents for r in self.rows),
            "net_cents": sum(r.net_cents for r in self.rows),
        }


class _RowReader:
    """Reads one data row into a ``StatementRow``; bad cells go to ``errors``."""

    def __init__(self, template: StatementTemplate, header: _Header) -> None:
        self.t = template
        self.header = header
        self.tz = template.tz
        self.kinds = {_norm(k): k for k in KINDS}
        self.kinds.update({_norm(k): v for k, v in template.kind_map.items()})
        self.kinds_by_length = sorted(self.kinds.items(), key=lambda kv: -len(kv[0]))
        self.errors: list[RowError] = []
        self.reported_columns: set[tuple[str, str]] = set()

    def error(self, n: int, column: str, code: str, en: str, zh: str) -> None:
        self.errors.append(RowError(n, column, code, en, zh))

    def read(self, n: int, cells: tuple[Any, ...]) -> tuple[StatementRow | None, str]:
        """The row (None if it has errors) and its memo."""
        before = len(self.errors)
        raw = {
            h: cell_text(cells[i]) if i < len(cells) else "" for i, h in enumerate(self.header.headers) if h
        }
        kind = self._kind(n, cells)
        columns = self.t.columns_for(kind) if kind else dict(self.t.columns)
        get = _CellGetter(self, n, cells, columns, kind or "")
        money = {f: get.money(f) for f in MONEY_FIELDS if f in columns}
        settled_at = get.when("settled_at")
        texts = {f: get.text(f) for f in ("txn_id", "order_ref", "trade_no", "memo")}
        amounts = self._amounts(n, kind, money, columns, get.bad) if kind else None
        if len(self.errors) > before or kind is None or amounts is None or settled_at is None:
            return None, ""
        gross, fee, commission = amounts
        row = StatementRow(
            row_no=n,
            txn_id=texts["txn_id"],
            order_ref=texts["order_ref"],
            kind=kind,
            gross_cents=gross,
            fee_cents=fee,
            commission_cents=commission,
            net_cents=gross - fee - commission,
            settled_at=settled_at,
            raw=raw,
            trade_no=texts["trade_no"],
        )
        return row, texts["memo"]

    def _kind(self, n: int, cells: tuple[Any, ...]) -> str | None:
        if "kind" not in self.t.columns:
            return self.t.kind_default
        header = self.t.columns["kind"]
        value = cell_text(_cell(cells, self.header.index.get(_norm(header))))
        key = _norm(value)
        kind = self.kinds.get(key) if key else None
        if kind is None and key:
            kind = next((k for name, k in self.kinds_by_length if name and name in key), None)
        if kind is None:
            kind = self.t.kind_default
        if kind is None:
            shown = value[:30]
            if not value:
                self.error(n, header, E_MISSING_VALUE, "The type is empty", "类型为空")
            else:
                self.error(
                    n,
                    header,
                    E_BAD_KIND,
                    f"Unknown type {shown!r}: use one of {', '.join(KINDS)}",
                    f"未知的类型 {shown!r}：应为 {'、'.join(KINDS)} 之一",
                )
        return kind

    def _amounts(
        self, n: int, kind: str, money: dict[str, int | None], columns: Mapping[str, str], bad: set[str]
    ) -> tuple[int, int, int] | None:
        if "amount" in columns:
            amount = money.get("amount")
        elif money.get("income") is None and money.get("expense") is None:
            amount = None
        else:
            amount = (money.get("income") or 0) - abs(money.get("expense") or 0)
        fee, commission = money.get("fee"), money.get("commission")
        needs_amount = not (kind == FEE and fee) and not (kind == COMMISSION and commission)
        if bad & set(MONEY_FIELDS):
            return None  # already reported
        if amount is None and needs_amount:
            header = columns.get("amount") or columns.get("income") or columns.get("expense", "")
            self.error(n, header, E_MISSING_VALUE, "The amount is empty", "金额为空")
            return None
        return signed_amounts(kind, amount or 0, fee or 0, commission or 0, self.t.amount_sign)


def _cell(cells: tuple[Any, ...], i: int | None) -> Any:
    return cells[i] if i is not None and i < len(cells) else None


class _CellGetter:
    def __init__(
        self, reader: _RowReader, n: int, cells: tuple[Any, ...], columns: Mapping[str, str], kind: str
    ):
        self.r, self.n, self.cells, self.columns, self.kind = reader, n, cells, columns, kind
        self.bad: set[str] = set()  # fields with a reported error

    def _value(self, f: str) -> Any:
        header = self.columns.get(f)
        if header is None:
            return None
        i = self.r.header.index.get(_norm(header))
        if i is None:
            if f not in self.r.t.optional:
                self.bad.add(f)
                self._missing_column(f, header)
            return None
        value = _cell(self.cells, i)
        return None if isinstance(value, str) and not value else value

    def _missing_column(self, f: str, header: str) -> None:
        """A column only some kinds use (``kind_columns``), absent: said once per column."""
        if (self.kind, header) in self.r.reported_columns:
            return
        self.r.reported_columns.add((self.kind, header))
        kind_en = self.kind
        self.r.error(
            self.n,
            header,
            E_MISSING_COLUMN,
            f"Rows of type {kind_en} need the column {header}, which the file does not have",
            f"{kind_en} 类型的行需要“{header}”列，但文件中没有该列",
        )

    def text(self, f: str) -> str:
        text = cell_text(self._value(f))
        return "" if text in self.r.t.null_texts else text

    def money(self, f: str) -> int | None:
        value = self._value(f)
        if value is None:
            return None
        try:
            return parse_amount(value)
        except CellError as exc:
            self.bad.add(f)
            self.r.error(self.n, self.columns[f], E_BAD_AMOUNT, exc.en, exc.zh)
            return None

    def when(self, f: str) -> dt.datetime | None:
        value = self._value(f)
        header = self.columns[f]
        if value is None:
            if header and self.r.header.index.get(_norm(header)) is not None:
                self.r.error(self.n, header, E_MISSING_VALUE, "The time is empty", "时间为空")
            return None
        try:
            return parse_datetime(value, self.r.tz, self.r.t.date_format)
        except CellError as exc:
            self.r.error(self.n, header, E_BAD_DATE, exc.en, exc.zh)
            return None


def signed_amounts(kind: str, amount: int, fee: int, commission: int, sign: str) -> tuple[int, int, int]:
    """(gross, fee, commission) of a row, signed as ``StatementRow`` wants them.

    ``by_kind``: the file writes magnitudes; a refund's amount, fee and commission come back
    negative, a payout's amount negative, a fee or commission row's charge positive (from
    ``amount`` when its own column is empty). ``balance``: the amount is the change to the
    merchant's balance, so it is the gross as it stands, and a fee or commission row's charge is
    its negation; fee and commission columns are charges as written.
    """
    if sign == BALANCE:
        if kind == FEE:
            return 0, fee or -amount, commission
        if kind == COMMISSION:
            return 0, fee, commission or -amount
        return amount, fee, commission
    if kind == SALE:
        return abs(amount), abs(fee), abs(commission)
    if kind == REFUND:
        return -abs(amount), -abs(fee), -abs(commission)
    if kind == FEE:
        return 0, abs(fee or amount), abs(commission)
    if kind == COMMISSION:
        return 0, abs(fee), abs(commission or amount)
    if kind == PAYOUT:
        return -abs(amount), abs(fee), abs(commission)
    return amount, fee, commission


def _data_rows(
    table: Table, start: int, template: StatementTemplate
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for n, raw in table[start:]:
        cells = _clean_row(raw, template.cell_prefix)
        if _is_blank(cells):
            continue
        if _skipped(cells, template.stop_prefixes):
            return
        if _skipped(cells, template.skip_prefixes):
            continue
        yield n, cells


def parse_statement(
    data: bytes, template: StatementTemplate | Mapping[str, Any] | str, *, filename: str = ""
) -> ParsedStatement:
    """Read a statement file (CSV or .xlsx, told apart by ``filename`` or by content).

    ``template``: a built-in name (``TEMPLATES``), a ``StatementTemplate``, or a custom
    template's dict (``StatementTemplate.from_dict``). Raises ``StatementError``
    (``finance.statement_*``) with every reason at once; nothing is read in part.
    """
    t = resolve_template(template)
    table = _read_table(data, filename, t)
    header, pos = _find_header(table, t)
    reader = _RowReader(t, header)
    rows: list[StatementRow] = []
    memos: dict[int, str] = {}
    for n, cells in _data_rows(table, pos + 1, t):
        row, memo = reader.read(n, cells)
        if row is not None:
            rows.append(row)
            memos[n] = memo
    if reader.errors:
        raise _rows_error(reader.errors)
    if not rows:
        title_en, title_zh = t.titles
        raise _file_error(
            E_EMPTY,
            f"The {title_en} has a header but no transactions",
            f"{title_zh}只有表头，没有任何交易",
        )
    linked = link_fee_rows(rows, memos, t.memo_ref_pattern)
    return ParsedStatement(
        template=t.name,
        rows=tuple(linked),
        fingerprint=fingerprint(linked),
        columns=tuple(h for h in header.headers if h),
        header_row=header.row_no,
    )


def link_fee_rows(
    rows: Sequence[StatementRow], memos: Mapping[int, str], memo_ref_pattern: str | None
) -> list[StatementRow]:
    """Fee and commission rows with no order number take the order of the row they belong to.

    By the same ``trade_no`` as a row with an order; else by a trade number or an order number
    of this statement in the memo; else by ``memo_ref_pattern``'s group. ``memos``: by row_no.
    """
    by_trade = {r.trade_no: r.order_ref for r in rows if r.trade_no and r.order_ref}
    refs = {r.order_ref for r in rows if r.order_ref}
    pattern = re.compile(memo_ref_pattern) if memo_ref_pattern else None
    linked: list[StatementRow] = []
    for row in rows:
        if row.kind in (FEE, COMMISSION) and not row.order_ref:
            ref = _ref_for(row, memos.get(row.row_no, ""), by_trade, refs, pattern)
            if ref:
                row = replace(row, order_ref=ref)
        linked.append(row)
    return linked


def _ref_for(
    row: StatementRow, memo: str, by_trade: Mapping[str, str], refs: set[str], pattern: re.Pattern[str] | None
) -> str:
    if row.trade_no in by_trade:
        return by_trade[row.trade_no]
    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9_\-]{3,}", memo):
        if token in by_trade:
            return by_trade[token]
        if token in refs:
            return token
    m = pattern.search(memo) if pattern and memo else None
    return m.group(1) if m else ""


def fingerprint(rows: Iterable[StatementRow]) -> str:
    """sha256 of the rows' content, not of the file's bytes, in no particular order.

    The same statement re-saved by Excel (another encoding, the backticks gone, 0.10 written
    0.1, times without seconds, as .xlsx) gives the same fingerprint.
    """
    lines = sorted(
        "|".join(
            (
                r.kind,
                r.txn_id,
                r.order_ref,
                str(r.gross_cents),
                str(r.fee_cents),
                str(r.commission_cents),
                minute_utc(r.settled_at),
            )
        )
        for r in rows
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Writing the generic layout


def generic_csv(rows: Iterable[StatementRow]) -> bytes:
    """Rows in the ``generic`` layout, UTF-8 with a BOM (so Excel shows the Chinese right).

    Amounts are written as the template reads them back: magnitudes, the type giving the sign.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GENERIC_HEADERS)
    for r in rows:
        amount, fee, commission = _generic_amounts(r)
        writer.writerow(
            (
                r.order_ref,
                r.kind,
                amount,
                fee,
                commission,
                r.settled_at.isoformat(sep=" "),
                r.txn_id,
            )
        )
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _generic_amounts(r: StatementRow) -> tuple[str, str, str]:
    def text(cents: int) -> str:
        return format_amount(cents) if cents else ""

    if r.kind == OTHER:
        return format_amount(r.gross_cents), text(r.fee_cents), text(r.commission_cents)
    if r.kind in (FEE, COMMISSION):
        return "", text(abs(r.fee_cents)), text(abs(r.commission_cents))
    return format_amount(abs(r.gross_cents)), text(abs(r.fee_cents)), text(abs(r.commission_cents))
