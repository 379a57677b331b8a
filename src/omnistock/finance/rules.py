"""Pure finance rules (standard library only): the seeded chart of accounts, which account each
automatic posting uses, periods, the balance of an entry, the output-VAT split and the manual
entry's state machine. Money is integer cents; nothing rounds through a float."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# -- account kinds --------------------------------------------------------------------------------
ASSET, LIABILITY, EQUITY, COST, REVENUE, EXPENSE = (
    "asset",
    "liability",
    "equity",
    "cost",
    "revenue",
    "expense",
)
KINDS = (ASSET, LIABILITY, EQUITY, COST, REVENUE, EXPENSE)
DEBIT_NORMAL = frozenset({ASSET, COST, EXPENSE})
KIND_NAMES = {
    ASSET: ("资产", "Asset"),
    LIABILITY: ("负债", "Liability"),
    EQUITY: ("所有者权益", "Equity"),
    COST: ("成本", "Cost"),
    REVENUE: ("收入", "Revenue"),
    EXPENSE: ("费用", "Expense"),
}


# The standard chart of a Chinese small enterprise (小企业会计准则), the accounts an e-commerce
# seller uses. (code, name, English name, kind); a sub-account's parent is its code minus 2 digits.
CHART: tuple[tuple[str, str, str, str], ...] = (
    ("1001", "库存现金", "Cash on hand", ASSET),
    ("1002", "银行存款", "Bank deposits", ASSET),
    ("1012", "其他货币资金", "Other monetary funds", ASSET),
    ("101201", "其他货币资金-微信", "WeChat Pay merchant account", ASSET),
    ("101202", "其他货币资金-支付宝", "Alipay account", ASSET),
    ("101203", "其他货币资金-平台账户", "Marketplace wallets", ASSET),
    ("1122", "应收账款", "Accounts receivable", ASSET),
    ("1123", "预付账款", "Prepayments", ASSET),
    ("1221", "其他应收款", "Other receivables", ASSET),
    ("122101", "其他应收款-渠道待结算", "Channel clearing (paid by buyers, not yet settled)", ASSET),
    ("1405", "库存商品", "Merchandise inventory", ASSET),
    ("1901", "待处理财产损溢", "Stock losses and gains pending", ASSET),
    ("2202", "应付账款", "Accounts payable", LIABILITY),
    ("220201", "应付账款-供应商", "Payable to suppliers", LIABILITY),
    ("220202", "应付账款-暂估", "Received, not yet billed", LIABILITY),
    ("220203", "应付账款-快递费", "Courier fees payable", LIABILITY),
    ("2203", "预收账款", "Advances from customers (stored value)", LIABILITY),
    ("2211", "应付职工薪酬", "Payroll payable", LIABILITY),
    ("2221", "应交税费", "Taxes payable", LIABILITY),
    ("222101", "应交税费-应交增值税(销项税额)", "Output VAT", LIABILITY),
    ("222102", "应交税费-应交增值税(进项税额)", "Input VAT", LIABILITY),
    ("3001", "实收资本", "Paid-in capital", EQUITY),
    ("3103", "本年利润", "Profit of the year", EQUITY),
    ("3104", "利润分配", "Retained earnings", EQUITY),
    ("6001", "主营业务收入", "Sales revenue", REVENUE),
    ("6051", "其他业务收入", "Other revenue (shipping charged)", REVENUE),
    ("6301", "营业外收入", "Non-operating income", REVENUE),
    ("6401", "主营业务成本", "Cost of goods sold", COST),
    ("6402", "其他业务成本", "Other costs", COST),
    ("6601", "销售费用", "Selling expenses", EXPENSE),
    ("660101", "销售费用-平台佣金", "Platform commission", EXPENSE),
    ("660102", "销售费用-支付手续费", "Payment fees", EXPENSE),
    ("660103", "销售费用-快递费", "Shipping costs", EXPENSE),
    ("660104", "销售费用-推广费", "Promotion (coupons, points, ads)", EXPENSE),
    ("660105", "销售费用-分销佣金", "Distributor commission", EXPENSE),
    ("6602", "管理费用", "Administrative expenses", EXPENSE),
    ("6603", "财务费用", "Financial expenses", EXPENSE),
    ("6711", "营业外支出", "Non-operating expenses", EXPENSE),
)


def parent_code(code: str, codes: Iterable[str]) -> str | None:
    """The nearest shorter code in ``codes`` that ``code`` starts with (101201 → 1012)."""
    known = set(codes)
    for n in range(len(code) - 2, 3, -2):
        if code[:n] in known:
            return code[:n]
    return None


# -- posting roles: which account an automatic posting uses ------------------------------------
ROLES: dict[str, tuple[str, str, str]] = {
    # role: (default account code, 中文, English)
    "inventory": ("1405", "库存商品", "Inventory"),
    "grni": ("220202", "收货未开票（暂估）", "Received, not billed"),
    "ap": ("220201", "应付供应商", "Payable to suppliers"),
    "ar": ("1122", "客户应收（赊销）", "Customer receivables (credit)"),
    "clearing": ("122101", "渠道待结算", "Channel clearing"),
    "stored_value": ("2203", "会员储值", "Member stored value"),
    "revenue": ("6001", "商品销售收入", "Sales revenue"),
    "shipping_revenue": ("6051", "运费收入", "Shipping charged"),
    "output_vat": ("222101", "销项税额", "Output VAT"),
    "cogs": ("6401", "销售成本", "Cost of goods sold"),
    "purchase_variance": ("6401", "采购价差", "Purchase price variance"),
    "shrinkage": ("1901", "盘盈盘亏与报损", "Stock losses and gains"),
    "commission": ("660101", "平台佣金", "Platform commission"),
    "payment_fee": ("660102", "支付手续费", "Payment fees"),
    "shipping_cost": ("660103", "快递费", "Shipping costs"),
    "courier_payable": ("220203", "应付快递费", "Courier fees payable"),
    "promotion": ("660104", "推广费（优惠券、积分）", "Promotion (coupons, points)"),
    "distributor_commission": ("660105", "分销佣金", "Distributor commission"),
    "bank": ("1002", "银行存款", "Bank"),
    "wechat": ("101201", "微信商户号", "WeChat Pay"),
    "alipay": ("101202", "支付宝", "Alipay"),
    "marketplace": ("101203", "平台账户", "Marketplace wallet"),
    "profit": ("3103", "本年利润", "Profit of the year"),
}

# How an order's payments are booked when it ships: money held by the channel or payment provider
# waits in channel clearing until the settlement statement says what was paid out; stored value
# is owed to the member until spent; coupons and points are the seller's promotion cost.
PAYMENT_ROLE = {
    "wechat_pay": "clearing",
    "alipay": "clearing",
    "bank_card": "clearing",
    "balance": "stored_value",
    "points": "promotion",
    "coupon": "promotion",
}


def channel_owes(total: int, paid: int, payments: Sequence[tuple[str, int]]) -> int:
    """What the channel (or payment provider) holds for a shipped order: what was paid, less what
    was paid otherwise than through it (stored value, coupons, points). The unpaid part, if any,
    is the customer's receivable instead."""
    unpaid = max(0, total - paid)
    other = sum(a for m, a in payments if PAYMENT_ROLE.get(m, "clearing") != "clearing")
    return total - unpaid - other


# Settings' defaults: days before due that reminders go out, days after shipping that an order
# not yet settled by its channel is listed.
SETTING_DEFAULTS = {"reminder_days": 3, "unsettled_days": 15, "default_tax_rate_bp": 0}


# -- periods ------------------------------------------------------------------------------------
def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_period(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + (m == 12):04d}-{m % 12 + 1:02d}"


def previous_period(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def is_period(text: object) -> bool:
    return (
        isinstance(text, str)
        and len(text) == 7
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
        and 1 <= int(text[5:]) <= 12
        and int(text[:4]) >= 1900
    )


# -- entries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount`` > 0 is a debit, < 0 a credit (of −amount)."""

    role_or_account: str | int  # a posting role ("inventory") or an account id
    amount: int
    party_type: str | None = None
    party_id: int | None = None
    memo: str | None = None


def net_lines(lines: Sequence[Line]) -> list[Line]:
    """Lines with the same account and party netted into one; zero results dropped (the order of
    first appearance is kept)."""
    sums: dict[tuple, int] = {}
    first: dict[tuple, Line] = {}
    for ln in lines:
        key = (ln.role_or_account, ln.party_type, ln.party_id, ln.memo)
        sums[key] = sums.get(key, 0) + ln.amount
        first.setdefault(key, ln)
    return [
        Line(k[0], v, first[k].party_type, first[k].party_id, first[k].memo)
        for k, v in sums.items()
        if v != 0
    ]


def imbalance(lines: Sequence[Line]) -> int:
    """Σ debit − Σ credit: 0 for a balanced entry."""
    return sum(ln.amount for ln in lines)


# -- output VAT ---------------------------------------------------------------------------------
def split_vat(gross: int, rate_bp: int) -> tuple[int, int]:
    """A tax-inclusive amount split into (net, VAT) at ``rate_bp`` basis points; the VAT is
    round-half-up of gross × r / (1 + r), and net + VAT == gross exactly."""
    if rate_bp <= 0 or gross == 0:
        return gross, 0
    sign = -1 if gross < 0 else 1
    g = abs(gross)
    vat = (2 * g * rate_bp + (10000 + rate_bp)) // (2 * (10000 + rate_bp))
    return sign * (g - vat), sign * vat


# -- manual entries ---------------------------------------------------------------------------------
DRAFT, PENDING, POSTED, REJECTED = "draft", "pending", "posted", "rejected"
ENTRY_TRANSITIONS: dict[str, set[str]] = {
    PENDING: {POSTED, REJECTED},
    REJECTED: set(),
    POSTED: set(),
}
ENTRY_STATUS_NAMES = {
    PENDING: ("待审核", "pending approval"),
    POSTED: ("已记账", "posted"),
    REJECTED: ("已驳回", "rejected"),
}
MAX_ENTRY_CENTS = 10**15


# -- open items -----------------------------------------------------------------------------------
AR, AP = "ar", "ap"
OPEN, SETTLED = "open", "settled"
AGEING_BUCKETS = (
    (0, "未到期", "not due"),
    (30, "1-30 天", "1-30 days"),
    (60, "31-60 天", "31-60 days"),
    (90, "61-90 天", "61-90 days"),
    (None, "90 天以上", "over 90 days"),
)


def ageing_bucket(due: dt.date, today: dt.date) -> int:
    """Index into ``AGEING_BUCKETS`` of an item due on ``due``: 0 when not yet due."""
    late = (today - due).days
    if late <= 0:
        return 0
    for i, (limit, *_names) in enumerate(AGEING_BUCKETS[1:], 1):
        if limit is None or late <= limit:
            return i
    return len(AGEING_BUCKETS) - 1


# -- automatic postings of stock movements ------------------------------------------------------
# A ledger row's value goes into (+) or out of (−) the inventory account; the other side is the
# account its kind of move names. Kinds are the stock ledger's (``docs/inventory.md``).
STOCK_COUNTER_ROLE = {
    "receipt": "grni",  # bought: owed to the supplier once billed
    "shipment": "cogs",  # sold
    "return": "cogs",  # sold goods back: their cost of goods given back
    "count_gain": "shrinkage",
    "count_loss": "shrinkage",
    "adjust_in": "shrinkage",
    "adjust_out": "shrinkage",
    "transit_loss": "shrinkage",
}
# Documents whose outgoing stock is not sold: goods sent back to their supplier reduce what the
# supplier is owed for them.
SUPPLIER_RETURN_DOC = "supplier_return"


def stock_lines(kind: str, doc_type: str, value: int) -> list[Line]:
    """The two lines of a stock movement worth ``value`` (signed, into stock > 0)."""
    if value == 0:
        return []
    counter = "grni" if doc_type == SUPPLIER_RETURN_DOC else STOCK_COUNTER_ROLE.get(kind)
    if counter is None:
        raise ValueError(f"no posting rule for stock moves of kind {kind!r}")
    return [Line("inventory", value), Line(counter, -value)]


# -- allocating money to open items ---------------------------------------------------------------
@dataclass(frozen=True)
class OpenAmount:
    """What is still open of an item: ``open`` > 0 is owed (an invoice or bill), < 0 a credit
    (a credit note, an advance)."""

    item_id: int
    due_date: dt.date
    open: int


def auto_allocate(amount: int, items: Sequence[OpenAmount]) -> list[tuple[int, int]]:
    """Allocations (item id, cents taken off its open amount, > 0) of ``amount`` received or paid:
    the party's credits first, then owed items oldest due first, as far as credits plus money reach.
    Money not needed stays unallocated (an advance)."""
    if amount < 0:
        raise ValueError("amount must be >= 0")
    order = sorted(items, key=lambda i: (i.due_date, i.item_id))
    debits = [i for i in order if i.open > 0]
    credits = [i for i in order if i.open < 0]
    owed = sum(i.open for i in debits)
    credit = -sum(i.open for i in credits)
    reach = min(owed, credit + amount)
    out: list[tuple[int, int]] = []
    left = reach
    for i in debits:
        if left <= 0:
            break
        take = min(i.open, left)
        out.append((i.item_id, take))
        left -= take
    left = min(credit, reach)
    for i in credits:
        if left <= 0:
            break
        take = min(-i.open, left)
        out.append((i.item_id, take))
        left -= take
    return out


def allocation_effect(open_amount: int, cents: int) -> int:
    """The signed change of an item's settled amount when ``cents`` (> 0) are allocated to it."""
    return cents if open_amount > 0 else -cents


def allocation_problem(amount: int, allocations: Sequence[tuple[int, int]]) -> str | None:
    """Why (open amount, cents allocated) pairs do not fit money of ``amount``, or None:
    ``bad_allocation`` (cents ≤ 0), ``over_allocation`` (more than an item's open amount),
    ``allocation_exceeds_amount`` (items net to more than the money), ``credit_exceeds_items``
    (credits applied beyond the items they pay)."""
    net = 0
    for open_amount, cents in allocations:
        if cents <= 0:
            return "bad_allocation"
        if cents > abs(open_amount):
            return "over_allocation"
        net += allocation_effect(open_amount, cents)
    if net > amount:
        return "allocation_exceeds_amount"
    if net < 0:
        return "credit_exceeds_items"
    return None


# -- reminders --------------------------------------------------------------------------------------
BEFORE_DUE, OVERDUE = "before", "overdue"


def reminder_due(due: dt.date, today: dt.date, days_before: int, sent: Sequence[str]) -> str | None:
    """The reminder an open item due on ``due`` needs today (``before:<due>`` within
    ``days_before`` days of its due date, ``overdue:<due>`` once past it), or None when none or
    when it was sent already."""
    if due < today:
        tag = f"{OVERDUE}:{due.isoformat()}"
    elif (due - today).days <= days_before:
        tag = f"{BEFORE_DUE}:{due.isoformat()}"
    else:
        return None
    return None if tag in sent else tag
