"""Channel settlement reconciliation (多渠道对账): pure rules, standard library only.

A settlement statement, once read (``omnistock.finance.statements``), is a list of
``StatementRow``s. ``reconcile`` sets each row against the orders it names and decides what it
is; ``summarize`` counts and totals the result for the workbench header; ``shipped_not_settled``
lists the shipped orders a channel still owes money for after some days.

Money is integer cents, signed as the change to what the channel owes the merchant: a sale is
positive, a refund negative, a payout (the channel sending the balance to the merchant's bank)
negative. ``fee_cents`` and ``commission_cents`` are charges (positive; negative when the channel
gives them back, as on a refund), so on every row ``net_cents = gross_cents - fee_cents -
commission_cents``.

Row statuses (``STATUSES``):

- ``matched``: a sale (or refund) whose order's amount agrees with the statement.
- ``amount_mismatch``: it names an order, but the amounts differ; the group's difference in cents
  (statement minus expected) is on its first row.
- ``no_order``: a sale or refund whose order number is empty, unknown, or names several orders.
- ``duplicate``: its transaction was already on an earlier row of this statement or on an
  earlier statement; it is counted nowhere else.
- ``fee``: a fee or commission row of a known order (with its sale, if on this statement).
- ``channel_fee``: a fee or commission row tied to no known order (kept at channel level).
- ``payout``: money the channel sent to the merchant's bank account.
- ``other``: a row of a kind nothing here understands, to be looked at by a person.

Sales, fees and commissions of one order on one statement form one group (Alipay puts a sale and
its fee on separate rows), compared as a whole with the order's receivable; refunds of one order
form another group, compared with the order's refunds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

SALE = "sale"
REFUND = "refund"
FEE = "fee"
COMMISSION = "commission"
PAYOUT = "payout"
OTHER = "other"
KINDS = (SALE, REFUND, FEE, COMMISSION, PAYOUT, OTHER)
KIND_NAMES = {
    SALE: ("Sale", "收款"),
    REFUND: ("Refund", "退款"),
    FEE: ("Fee", "手续费"),
    COMMISSION: ("Commission", "佣金"),
    PAYOUT: ("Payout", "提现"),
    OTHER: ("Other", "其他"),
}

MATCHED = "matched"
AMOUNT_MISMATCH = "amount_mismatch"
NO_ORDER = "no_order"
DUPLICATE = "duplicate"
ORDER_FEE = "fee"
CHANNEL_FEE = "channel_fee"
PAYOUT_ROW = "payout"
TO_REVIEW = "other"
STATUSES = (MATCHED, AMOUNT_MISMATCH, NO_ORDER, DUPLICATE, ORDER_FEE, CHANNEL_FEE, PAYOUT_ROW, TO_REVIEW)
STATUS_NAMES = {
    MATCHED: ("Matched", "已匹配"),
    AMOUNT_MISMATCH: ("Amount differs", "金额不符"),
    NO_ORDER: ("No order", "无对应订单"),
    DUPLICATE: ("Duplicate", "重复"),
    ORDER_FEE: ("Order fee", "订单费用"),
    CHANNEL_FEE: ("Channel fee", "渠道费用"),
    PAYOUT_ROW: ("Payout", "提现/打款"),
    TO_REVIEW: ("To review", "待核查"),
}

# The two sides of an order a statement settles.
SALE_SIDE = "sale"
REFUND_SIDE = "refund"

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class StatementRow:
    """One transaction of a settlement statement, as every template normalizes it.

    ``row_no`` is the row as the file shows it in Excel (1-based, the header and comment lines
    counted); ``raw`` holds the row's cells by header, for display. ``settled_at`` is aware.
    ``trade_no`` is the provider's number tying related rows together (Alipay's 业务流水号).
    """

    row_no: int
    txn_id: str
    order_ref: str
    kind: str
    gross_cents: int
    fee_cents: int
    commission_cents: int
    net_cents: int
    settled_at: dt.datetime
    raw: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    trade_no: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for name in ("gross_cents", "fee_cents", "commission_cents", "net_cents"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be integer cents, got {value!r}")
        if self.net_cents != self.gross_cents - self.fee_cents - self.commission_cents:
            raise ValueError(
                f"row {self.row_no}: net {self.net_cents} != gross {self.gross_cents} - fee "
                f"{self.fee_cents} - commission {self.commission_cents}"
            )

    @property
    def dedup_key(self) -> str:
        """What makes this row the same transaction on another statement.

        The kind and the provider's transaction id; with no id, a digest of the row's content
        (kind, order, amounts, time to the minute: Excel drops the seconds when it re-saves).
        Store it with the row: ``OrderMoney.settled_txn_ids`` and ``reconcile(seen_keys=...)``
        take these keys.
        """
        if self.txn_id:
            return f"{self.kind}:{self.txn_id}"
        content = "|".join(
            (
                self.kind,
                self.order_ref,
                str(self.gross_cents),
                str(self.fee_cents),
                str(self.commission_cents),
                minute_utc(self.settled_at),
            )
        )
        return f"{self.kind}:#" + hashlib.sha256(content.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class OrderMoney:
    """What reconciliation needs to know of one order (built by the service from the database).

    ``receivable_cents``: what the channel owes for the order (the total the buyer paid).
    ``refunded_cents``: what was refunded to the buyer (positive).
    ``already_settled_cents``: sale amounts (gross) earlier statements settled for it.
    ``already_settled_refund_cents``: refund amounts (positive) earlier statements settled.
    ``settled_txn_ids``: the ``StatementRow.dedup_key`` of every row earlier statements
    attached to the order.
    """

    order_id: int
    ref: str
    external_ref: str | None
    channel_id: int | None
    status: str
    shipped_at: dt.datetime | None
    receivable_cents: int
    refunded_cents: int = 0
    already_settled_cents: int = 0
    settled_txn_ids: frozenset[str] = frozenset()
    already_settled_refund_cents: int = 0


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RowResult:
    row: StatementRow
    status: str
    order_id: int | None
    difference_cents: int  # statement minus expected, on the first row of a mismatched group
    reason_en: str
    reason_zh: str

    @property
    def row_no(self) -> int:
        return self.row.row_no


@dataclass(frozen=True)
class OrderResult:
    """One order's sale side or refund side on this statement, compared as a whole."""

    order_id: int
    ref: str
    side: str  # SALE_SIDE | REFUND_SIDE
    status: str  # MATCHED | AMOUNT_MISMATCH
    expected_cents: int  # what was still to settle (refunds: positive)
    settled_cents: int  # what this statement settles (refunds: positive)
    difference_cents: int  # settled - expected
    gross_cents: int
    fee_cents: int
    commission_cents: int
    net_cents: int
    row_nos: tuple[int, ...]
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class Totals:
    count: int = 0
    gross_cents: int = 0
    fee_cents: int = 0
    commission_cents: int = 0
    net_cents: int = 0
    difference_cents: int = 0

    def plus(self, row: StatementRow, difference_cents: int = 0) -> Totals:
        return Totals(
            self.count + 1,
            self.gross_cents + row.gross_cents,
            self.fee_cents + row.fee_cents,
            self.commission_cents + row.commission_cents,
            self.net_cents + row.net_cents,
            self.difference_cents + difference_cents,
        )


@dataclass(frozen=True)
class Summary:
    """The workbench header: rows and money by status, orders by status.

    ``by_status`` has every status of ``STATUSES`` (zero where none), in that order. ``total``
    covers every row but the duplicates (which would count money twice).
    """

    by_status: dict[str, Totals]
    total: Totals
    orders_by_status: dict[str, int]
    duplicates: int

    @property
    def rows(self) -> int:
        return self.total.count + self.duplicates


@dataclass(frozen=True)
class Reconciliation:
    rows: tuple[RowResult, ...]
    orders: tuple[OrderResult, ...]

    def summary(self) -> Summary:
        return summarize(self.rows, self.orders)


@dataclass(frozen=True)
class UnsettledOrder:
    order_id: int
    ref: str
    external_ref: str | None
    channel_id: int | None
    shipped_at: dt.datetime
    days_since_shipped: int
    expected_cents: int  # receivable less refunds
    settled_cents: int  # settled sales less settled refunds
    outstanding_cents: int
    reason_en: str
    reason_zh: str


# ---------------------------------------------------------------------------------------------
# Helpers


def yuan(cents: int) -> str:
    """12345 -> ``"123.45"``; -320 -> ``"-3.20"`` (for messages)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def signed_yuan(cents: int) -> str:
    return ("+" if cents > 0 else "") + yuan(cents)


def minute_utc(when: dt.datetime) -> str:
    """The minute a time falls in, in UTC (a naive time is taken to be UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M")


class _OrderIndex:
    """Orders by ``external_ref`` and by ``ref``; the statement's channel wins a tie."""

    def __init__(self, orders: Iterable[OrderMoney], channel_id: int | None) -> None:
        self.channel_id = channel_id
        self.by_ref: dict[str, list[OrderMoney]] = defaultdict(list)
        for order in orders:
            refs = {(order.external_ref or "").strip(), order.ref.strip()} - {""}
            for ref in refs:
                self.by_ref[ref].append(order)

    def find(self, ref: str) -> list[OrderMoney]:
        """The one order ``ref`` names (``[order]``), none (``[]``), or the ambiguous ones."""
        found = self.by_ref.get(ref.strip(), []) if ref.strip() else []
        if len(found) > 1 and self.channel_id is not None:
            mine = [o for o in found if o.channel_id == self.channel_id]
            if mine:
                found = mine
        unique = {o.order_id: o for o in found}
        return list(unique.values())


# ---------------------------------------------------------------------------------------------
# Classification


def reconcile(
    rows: Sequence[StatementRow],
    orders: Iterable[OrderMoney],
    *,
    seen_keys: Iterable[str] = (),
    channel_id: int | None = None,
) -> Reconciliation:
    """Classify every row of one statement.

    ``orders``: the orders the rows name (by external_ref or ref), with their money.
    ``seen_keys``: the ``dedup_key``s of the rows of earlier statements of the channel (with or
    without an order); the orders' ``settled_txn_ids`` are added to them.
    ``channel_id``: the statement's channel, preferred when a reference names orders of several.
    """
    order_list = list(orders)
    index = _OrderIndex(order_list, channel_id)
    earlier = set(seen_keys)
    for order in order_list:
        earlier |= order.settled_txn_ids

    results: dict[int, RowResult] = {}
    groups: dict[tuple[int, str], list[tuple[int, StatementRow]]] = defaultdict(list)
    group_orders: dict[int, OrderMoney] = {}
    first_seen: dict[str, int] = {}

    for i, row in enumerate(rows):
        key = row.dedup_key
        if key in earlier:
            results[i] = _duplicate(row, None)
            continue
        if key in first_seen:
            results[i] = _duplicate(row, first_seen[key])
            continue
        first_seen[key] = row.row_no
        if row.kind == PAYOUT:
            results[i] = _plain(row, PAYOUT_ROW, None)
            continue
        found = index.find(row.order_ref)
        order = found[0] if len(found) == 1 else None
        if row.kind == OTHER:
            results[i] = _plain(row, TO_REVIEW, order.order_id if order else None)
        elif order is None and row.kind in (FEE, COMMISSION):
            results[i] = _channel_fee(row, len(found))
        elif order is None:
            results[i] = _no_order(row, len(found))
        else:
            side = REFUND_SIDE if row.kind == REFUND else SALE_SIDE
            groups[(order.order_id, side)].append((i, row))
            group_orders[order.order_id] = order

    order_results: list[OrderResult] = []
    for (order_id, side), members in groups.items():
        order = group_orders[order_id]
        group = [row for _, row in members]
        if not any(row.kind in (SALE, REFUND) for row in group):
            for i, row in members:
                results[i] = _order_fee(row, order)
            continue
        outcome = _compare(order, side, group)
        order_results.append(outcome)
        first = True
        for i, row in members:
            if row.kind in (SALE, REFUND):
                diff = outcome.difference_cents if first else 0
                first = False
                results[i] = RowResult(
                    row, outcome.status, order_id, diff, outcome.reason_en, outcome.reason_zh
                )
            else:
                results[i] = _order_fee(row, order)

    return Reconciliation(
        rows=tuple(results[i] for i in range(len(rows))),
        orders=tuple(sorted(order_results, key=lambda o: (o.row_nos[0], o.side))),
    )


def _compare(order: OrderMoney, side: str, group: list[StatementRow]) -> OrderResult:
    gross = sum(r.gross_cents for r in group)
    fee = sum(r.fee_cents for r in group)
    commission = sum(r.commission_cents for r in group)
    net = sum(r.net_cents for r in group)
    if side == SALE_SIDE:
        expected = order.receivable_cents - order.already_settled_cents
        settled = gross
    else:
        expected = order.refunded_cents - order.already_settled_refund_cents
        settled = -gross
    difference = settled - expected
    status = MATCHED if difference == 0 else AMOUNT_MISMATCH
    en, zh = _compare_reason(order, side, settled, expected, difference)
    return OrderResult(
        order_id=order.order_id,
        ref=order.ref,
        side=side,
        status=status,
        expected_cents=expected,
        settled_cents=settled,
        difference_cents=difference,
        gross_cents=gross,
        fee_cents=fee,
        commission_cents=commission,
        net_cents=net,
        row_nos=tuple(r.row_no for r in group),
        reason_en=en,
        reason_zh=zh,
    )


def _compare_reason(order: OrderMoney, side: str, settled: int, expected: int, diff: int) -> tuple[str, str]:
    ref = order.ref
    if side == SALE_SIDE:
        earlier_en = earlier_zh = ""
        if order.already_settled_cents:
            earlier_en = (
                f" ({yuan(order.receivable_cents)} receivable, "
                f"{yuan(order.already_settled_cents)} settled before)"
            )
            earlier_zh = (
                f"（应收 {yuan(order.receivable_cents)}，此前已结算 {yuan(order.already_settled_cents)}）"
            )
        if diff == 0:
            return (
                f"Order {ref}: settled {yuan(settled)}, as expected{earlier_en}",
                f"订单 {ref}：结算 {yuan(settled)}，与应收一致{earlier_zh}",
            )
        return (
            f"Order {ref}: settled {yuan(settled)} but {yuan(expected)} was expected{earlier_en}; "
            f"difference {signed_yuan(diff)}",
            f"订单 {ref}：结算 {yuan(settled)}，应结 {yuan(expected)}{earlier_zh}，差额 {signed_yuan(diff)}",
        )
    earlier_en = earlier_zh = ""
    if order.already_settled_refund_cents:
        earlier_en = f" ({yuan(order.already_settled_refund_cents)} settled before)"
        earlier_zh = f"（此前已结算 {yuan(order.already_settled_refund_cents)}）"
    if diff == 0:
        return (
            f"Order {ref}: refund of {yuan(settled)} agrees with the order's refunds{earlier_en}",
            f"订单 {ref}：退款 {yuan(settled)}，与订单退款一致{earlier_zh}",
        )
    later_en = " (the rest may be on a later statement)" if diff < 0 else ""
    later_zh = "（其余可能在后续对账单中）" if diff < 0 else ""
    return (
        f"Order {ref}: refund of {yuan(settled)} but the order's refunds still to settle are "
        f"{yuan(expected)}{earlier_en}; difference {signed_yuan(diff)}{later_en}",
        f"订单 {ref}：渠道退款 {yuan(settled)}，订单待结算退款 {yuan(expected)}{earlier_zh}，"
        f"差额 {signed_yuan(diff)}{later_zh}",
    )


def _duplicate(row: StatementRow, earlier_row: int | None) -> RowResult:
    what_en = f"Transaction {row.txn_id}" if row.txn_id else "The same transaction"
    what_zh = f"交易 {row.txn_id} " if row.txn_id else "相同的交易"
    if earlier_row is None:
        return RowResult(
            row,
            DUPLICATE,
            None,
            0,
            f"{what_en} was already imported with an earlier statement",
            f"{what_zh}已在之前的对账单中导入",
        )
    return RowResult(
        row,
        DUPLICATE,
        None,
        0,
        f"{what_en} is already on row {earlier_row} of this statement",
        f"{what_zh}与本对账单第 {earlier_row} 行重复",
    )


def _no_order(row: StatementRow, found: int) -> RowResult:
    kind_en, kind_zh = KIND_NAMES[row.kind]
    money = yuan(abs(row.gross_cents))
    if not row.order_ref.strip():
        en = f"{kind_en} of {money} has no order number"
        zh = f"{kind_zh} {money} 没有商户订单号"
    elif found > 1:
        en = f"{found} orders have the number {row.order_ref}: choose one by hand"
        zh = f"有 {found} 个订单的单号为 {row.order_ref}，请人工指定"
    else:
        en = f"{kind_en} of {money} for order {row.order_ref}, but no such order exists"
        zh = f"{kind_zh} {money}，但找不到单号为 {row.order_ref} 的订单"
    return RowResult(row, NO_ORDER, None, 0, en, zh)


def _charge(row: StatementRow) -> tuple[str, str, int]:
    if row.kind == COMMISSION or (row.commission_cents and not row.fee_cents):
        return "Commission", "佣金", row.commission_cents
    return "Fee", "手续费", row.fee_cents


def _order_fee(row: StatementRow, order: OrderMoney) -> RowResult:
    en, zh, cents = _charge(row)
    return RowResult(
        row,
        ORDER_FEE,
        order.order_id,
        0,
        f"{en} of {yuan(cents)} for order {order.ref}",
        f"订单 {order.ref} 的{zh} {yuan(cents)}",
    )


def _channel_fee(row: StatementRow, found: int) -> RowResult:
    en, zh, cents = _charge(row)
    if not row.order_ref.strip():
        why_en, why_zh = "not tied to an order", "未关联订单"
    elif found > 1:
        why_en = f"{found} orders have the number {row.order_ref}"
        why_zh = f"有 {found} 个订单的单号为 {row.order_ref}"
    else:
        why_en, why_zh = f"no order {row.order_ref} exists", f"找不到订单 {row.order_ref}"
    return RowResult(
        row,
        CHANNEL_FEE,
        None,
        0,
        f"{en} of {yuan(cents)} kept as a channel fee ({why_en})",
        f"{zh} {yuan(cents)} 记为渠道费用（{why_zh}）",
    )


def _plain(row: StatementRow, status: str, order_id: int | None) -> RowResult:
    if status == PAYOUT_ROW:
        money = yuan(-row.gross_cents)
        return RowResult(
            row,
            status,
            None,
            0,
            f"Payout of {money} to the merchant's account",
            f"提现/打款 {money} 至商户账户",
        )
    money = signed_yuan(row.net_cents)
    return RowResult(
        row,
        status,
        order_id,
        0,
        f"Not a sale, refund, fee or payout ({money}): check it by hand",
        f"非收款、退款、费用或提现（{money}），请人工核查",
    )


# ---------------------------------------------------------------------------------------------
# Summary


def summarize(rows: Iterable[RowResult], orders: Iterable[OrderResult] = ()) -> Summary:
    """Counts and money by row status, and orders by status, for the workbench header."""
    by_status = {status: Totals() for status in STATUSES}
    total = Totals()
    duplicates = 0
    for result in rows:
        by_status[result.status] = by_status[result.status].plus(result.row, result.difference_cents)
        if result.status == DUPLICATE:
            duplicates += 1
        else:
            total = total.plus(result.row, result.difference_cents)
    orders_by_status = {MATCHED: 0, AMOUNT_MISMATCH: 0}
    for order in orders:
        orders_by_status[order.status] += 1
    return Summary(by_status, total, orders_by_status, duplicates)


# ---------------------------------------------------------------------------------------------
# Shipped, not settled


def shipped_not_settled(
    orders: Iterable[OrderMoney],
    today: dt.date,
    *,
    days: int = 7,
    tz: dt.tzinfo = CHINA_TIME,
) -> list[UnsettledOrder]:
    """Orders shipped at least ``days`` days before ``today`` the channel still owes money for.

    Owed: the receivable less refunds, minus what statements settled (sales less refunds).
    ``shipped_at`` may be naive (then UTC, as the database keeps it) or aware; its day is
    counted in ``tz`` (Beijing time unless told otherwise). Oldest shipment first.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    found: list[UnsettledOrder] = []
    for order in orders:
        if order.shipped_at is None:
            continue
        shipped = order.shipped_at
        if shipped.tzinfo is None:
            shipped = shipped.replace(tzinfo=dt.UTC)
        age = (today - shipped.astimezone(tz).date()).days
        expected = order.receivable_cents - order.refunded_cents
        settled = order.already_settled_cents - order.already_settled_refund_cents
        outstanding = expected - settled
        if age < days or outstanding <= 0:
            continue
        if settled:
            en = (
                f"Shipped {age} days ago; {yuan(settled)} of {yuan(expected)} settled, "
                f"{yuan(outstanding)} outstanding"
            )
            zh = f"已发货 {age} 天，应结 {yuan(expected)}，已结 {yuan(settled)}，未结 {yuan(outstanding)}"
        else:
            en = f"Shipped {age} days ago; none of {yuan(expected)} settled yet"
            zh = f"已发货 {age} 天，应结 {yuan(expected)} 尚未结算"
        found.append(
            UnsettledOrder(
                order_id=order.order_id,
                ref=order.ref,
                external_ref=order.external_ref,
                channel_id=order.channel_id,
                shipped_at=order.shipped_at,
                days_since_shipped=age,
                expected_cents=expected,
                settled_cents=settled,
                outstanding_cents=outstanding,
                reason_en=en,
                reason_zh=zh,
            )
        )
    found.sort(key=lambda u: (-u.days_since_shipped, u.order_id))
    return found
