"""Reconciliation rules: statement rows against orders, with no database."""

from __future__ import annotations

import ast
import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnistock.finance import reconcile_rules
from omnistock.finance.reconcile_rules import (
    AMOUNT_MISMATCH,
    CHANNEL_FEE,
    COMMISSION,
    DUPLICATE,
    FEE,
    MATCHED,
    NO_ORDER,
    ORDER_FEE,
    OTHER,
    PAYOUT,
    PAYOUT_ROW,
    REFUND,
    REFUND_SIDE,
    SALE,
    SALE_SIDE,
    STATUSES,
    TO_REVIEW,
    OrderMoney,
    StatementRow,
    Totals,
    reconcile,
    shipped_not_settled,
    summarize,
)
from omnistock.finance.statements import generic_csv, parse_statement

CN = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2024, 3, 1, 10, 0, tzinfo=CN)
DATA = Path(__file__).parent / "data"


def row(
    n: int,
    kind: str,
    ref: str,
    gross: int = 0,
    fee: int = 0,
    commission: int = 0,
    txn: str | None = None,
    when: dt.datetime = T0,
) -> StatementRow:
    return StatementRow(
        row_no=n,
        txn_id=f"T{n}" if txn is None else txn,
        order_ref=ref,
        kind=kind,
        gross_cents=gross,
        fee_cents=fee,
        commission_cents=commission,
        net_cents=gross - fee - commission,
        settled_at=when,
    )


def order(
    order_id: int,
    ref: str,
    receivable: int,
    *,
    external_ref: str | None = None,
    channel_id: int | None = 1,
    refunded: int = 0,
    settled: int = 0,
    settled_refunds: int = 0,
    keys: frozenset[str] = frozenset(),
    shipped_at: dt.datetime | None = None,
) -> OrderMoney:
    return OrderMoney(
        order_id=order_id,
        ref=ref,
        external_ref=external_ref,
        channel_id=channel_id,
        status="shipped",
        shipped_at=shipped_at,
        receivable_cents=receivable,
        refunded_cents=refunded,
        already_settled_cents=settled,
        settled_txn_ids=keys,
        already_settled_refund_cents=settled_refunds,
    )


def statuses(result) -> list[tuple[int, str, int | None, int]]:
    return [(r.row_no, r.status, r.order_id, r.difference_cents) for r in result.rows]


# ---------------------------------------------------------------------------------------------
# Rows


def test_a_row_keeps_net_equal_to_gross_less_fee_and_commission():
    with pytest.raises(ValueError, match="net"):
        StatementRow(1, "T", "SO", SALE, 1000, 6, 0, 1000, T0)
    with pytest.raises(TypeError):
        StatementRow(1, "T", "SO", SALE, 10.0, 0, 0, 10.0, T0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        StatementRow(1, "T", "SO", "gift", 0, 0, 0, 0, T0)


def test_dedup_key_uses_the_transaction_id_or_the_content_to_the_minute():
    assert row(2, SALE, "SO-1", 100, txn="4200").dedup_key == "sale:4200"
    a = row(2, SALE, "SO-1", 100, txn="", when=T0.replace(second=12))
    b = row(9, SALE, "SO-1", 100, txn="", when=T0.replace(second=0))
    assert a.dedup_key == b.dedup_key and a.dedup_key.startswith("sale:#")
    assert row(2, SALE, "SO-1", 101, txn="").dedup_key != a.dedup_key


# ---------------------------------------------------------------------------------------------
# Classification


def test_a_sale_and_its_separate_fee_rows_are_compared_as_one():
    rows = [
        row(6, SALE, "AL-1", 5990),
        row(7, FEE, "AL-1", fee=36),
        row(8, COMMISSION, "AL-1", commission=599),
    ]
    result = reconcile(rows, [order(11, "SO-11", 5990, external_ref="AL-1")])
    assert statuses(result) == [(6, MATCHED, 11, 0), (7, ORDER_FEE, 11, 0), (8, ORDER_FEE, 11, 0)]
    [o] = result.orders
    assert (o.order_id, o.side, o.status, o.expected_cents, o.settled_cents) == (
        11,
        SALE_SIDE,
        MATCHED,
        5990,
        5990,
    )
    assert (o.gross_cents, o.fee_cents, o.commission_cents, o.net_cents) == (5990, 36, 599, 5355)
    assert o.row_nos == (6, 7, 8)
    assert "as expected" in o.reason_en and "与应收一致" in o.reason_zh
    assert result.rows[1].reason_en == "Fee of 0.36 for order SO-11"
    assert result.rows[2].reason_zh == "订单 SO-11 的佣金 5.99"


def test_a_short_settlement_is_a_mismatch_with_its_difference_on_the_first_row():
    rows = [row(2, SALE, "SO-1", 3000), row(3, SALE, "SO-1", 2000), row(4, FEE, "SO-1", fee=30)]
    result = reconcile(rows, [order(1, "SO-1", 5990)])
    assert statuses(result) == [
        (2, AMOUNT_MISMATCH, 1, -990),
        (3, AMOUNT_MISMATCH, 1, 0),
        (4, ORDER_FEE, 1, 0),
    ]
    [o] = result.orders
    assert o.difference_cents == -990 and o.settled_cents == 5000 and o.expected_cents == 5990
    assert o.reason_en == "Order SO-1: settled 50.00 but 59.90 was expected; difference -9.90"
    assert o.reason_zh == "订单 SO-1：结算 50.00，应结 59.90，差额 -9.90"


def test_what_earlier_statements_settled_is_taken_off_what_is_expected():
    result = reconcile([row(2, SALE, "SO-1", 2990)], [order(1, "SO-1", 5990, settled=3000)])
    assert statuses(result) == [(2, MATCHED, 1, 0)]
    assert "3000" not in result.orders[0].reason_en and "30.00 settled before" in result.orders[0].reason_en
    # Settled in full already: the same sale under another id is an over-settlement.
    again = reconcile([row(2, SALE, "SO-1", 5990, txn="NEW")], [order(1, "SO-1", 5990, settled=5990)])
    assert statuses(again) == [(2, AMOUNT_MISMATCH, 1, 5990)]


def test_refunds_are_matched_against_the_orders_refunds():
    rows = [
        row(2, REFUND, "SO-1", -2000, fee=-12),
        row(3, REFUND, "SO-2", -1000),
        row(4, REFUND, "SO-3", -500),
    ]
    orders = [
        order(1, "SO-1", 5990, refunded=2000),
        order(2, "SO-2", 5990, refunded=3000),  # 20.00 more to come on a later statement
        order(3, "SO-3", 5990, refunded=500, settled_refunds=500),  # already settled
    ]
    result = reconcile(rows, orders)
    assert statuses(result) == [
        (2, MATCHED, 1, 0),
        (3, AMOUNT_MISMATCH, 2, -2000),
        (4, AMOUNT_MISMATCH, 3, 500),
    ]
    first, second, third = result.orders
    assert (first.side, first.settled_cents, first.fee_cents, first.net_cents) == (
        REFUND_SIDE,
        2000,
        -12,
        -1988,
    )
    assert "later statement" in second.reason_en and "后续对账单" in second.reason_zh
    assert "5.00 settled before" in third.reason_en


def test_a_sale_and_a_refund_of_one_order_on_one_statement_are_two_comparisons():
    rows = [row(2, SALE, "SO-1", 5990), row(3, REFUND, "SO-1", -2000)]
    result = reconcile(rows, [order(1, "SO-1", 5990, refunded=2000)])
    assert statuses(result) == [(2, MATCHED, 1, 0), (3, MATCHED, 1, 0)]
    assert [(o.side, o.status) for o in result.orders] == [(SALE_SIDE, MATCHED), (REFUND_SIDE, MATCHED)]


def test_rows_without_an_order():
    rows = [
        row(2, SALE, "", 100),
        row(3, SALE, "NOPE", 100),
        row(4, REFUND, "NOPE", -100),
        row(5, FEE, "", fee=60),
        row(6, COMMISSION, "NOPE", commission=10),
    ]
    result = reconcile(rows, [order(1, "SO-1", 100)])
    assert statuses(result) == [
        (2, NO_ORDER, None, 0),
        (3, NO_ORDER, None, 0),
        (4, NO_ORDER, None, 0),
        (5, CHANNEL_FEE, None, 0),
        (6, CHANNEL_FEE, None, 0),
    ]
    assert result.rows[0].reason_en == "Sale of 1.00 has no order number"
    assert result.rows[1].reason_zh == "收款 1.00，但找不到单号为 NOPE 的订单"
    assert result.rows[3].reason_en == "Fee of 0.60 kept as a channel fee (not tied to an order)"
    assert result.rows[4].reason_zh == "佣金 0.10 记为渠道费用（找不到订单 NOPE）"
    assert result.orders == ()


def test_a_fee_of_an_order_settled_earlier_attaches_to_it():
    result = reconcile(
        [row(11, FEE, "AL-0", fee=60)], [order(9, "SO-9", 5990, external_ref="AL-0", settled=5990)]
    )
    assert statuses(result) == [(11, ORDER_FEE, 9, 0)]
    assert result.orders == ()


def test_an_order_is_found_by_external_ref_or_ref_and_the_statements_channel_wins_a_tie():
    orders = [
        order(1, "SO-1", 100, external_ref="X-1", channel_id=1),
        order(2, "SO-2", 100, external_ref="X-1", channel_id=2),
        order(3, "SO-3", 100, external_ref="X-3", channel_id=2),
    ]
    rows = [row(2, SALE, "X-1", 100), row(3, SALE, "SO-3", 100)]
    assert statuses(reconcile(rows, orders, channel_id=2)) == [(2, MATCHED, 2, 0), (3, MATCHED, 3, 0)]
    ambiguous = reconcile(rows, orders)
    assert statuses(ambiguous)[0] == (2, NO_ORDER, None, 0)
    assert ambiguous.rows[0].reason_en == "2 orders have the number X-1: choose one by hand"


def test_duplicates_within_the_statement_and_with_earlier_ones():
    sale = row(2, SALE, "SO-1", 5990, txn="W1")
    rows = [
        sale,
        row(3, SALE, "SO-1", 5990, txn="W1"),  # the same transaction twice on this statement
        row(4, SALE, "SO-2", 100, txn="W2"),  # imported with an earlier statement (no order then)
        row(5, SALE, "SO-3", 100, txn="W3"),  # already reconciled to its order
    ]
    orders = [
        order(1, "SO-1", 5990),
        order(2, "SO-2", 100),
        order(3, "SO-3", 100, keys=frozenset({"sale:W3"})),
    ]
    result = reconcile(rows, orders, seen_keys={"sale:W2"})
    assert statuses(result) == [
        (2, MATCHED, 1, 0),
        (3, DUPLICATE, None, 0),
        (4, DUPLICATE, None, 0),
        (5, DUPLICATE, None, 0),
    ]
    assert result.rows[1].reason_en == "Transaction W1 is already on row 2 of this statement"
    assert result.rows[2].reason_zh == "交易 W2 已在之前的对账单中导入"
    assert [o.order_id for o in result.orders] == [1]


def test_a_fee_sharing_its_sales_transaction_id_is_not_a_duplicate():
    rows = [row(2, SALE, "SO-1", 5990, txn="P1"), row(3, FEE, "SO-1", fee=36, txn="P1")]
    assert statuses(reconcile(rows, [order(1, "SO-1", 5990)])) == [(2, MATCHED, 1, 0), (3, ORDER_FEE, 1, 0)]


def test_payouts_and_other_rows():
    rows = [row(2, PAYOUT, "", -100000, fee=100), row(3, OTHER, "SO-1", -100), row(4, OTHER, "", 50)]
    result = reconcile(rows, [order(1, "SO-1", 5990)])
    assert statuses(result) == [(2, PAYOUT_ROW, None, 0), (3, TO_REVIEW, 1, 0), (4, TO_REVIEW, None, 0)]
    assert result.rows[0].reason_en == "Payout of 1000.00 to the merchant's account"
    assert result.rows[2].reason_zh == "非收款、退款、费用或提现（+0.50），请人工核查"


def test_an_empty_statement_reconciles_to_nothing():
    result = reconcile([], [order(1, "SO-1", 100)])
    assert result.rows == () and result.orders == ()
    summary = result.summary()
    assert summary.rows == 0 and summary.total == Totals()


# ---------------------------------------------------------------------------------------------
# Summary


def test_summary_counts_and_totals_by_status():
    rows = [
        row(2, SALE, "SO-1", 5990),
        row(3, FEE, "SO-1", fee=36),
        row(4, SALE, "SO-2", 5000),
        row(5, SALE, "SO-2", 5000, txn="T4"),  # duplicate of row 4
        row(6, SALE, "NOPE", 700),
        row(7, FEE, "", fee=60),
        row(8, PAYOUT, "", -10000),
    ]
    summary = summarize(reconcile(rows, [order(1, "SO-1", 5990), order(2, "SO-2", 5990)]).rows)
    assert list(summary.by_status) == list(STATUSES)
    assert summary.by_status[MATCHED] == Totals(1, 5990, 0, 0, 5990, 0)
    assert summary.by_status[ORDER_FEE] == Totals(1, 0, 36, 0, -36, 0)
    assert summary.by_status[AMOUNT_MISMATCH] == Totals(1, 5000, 0, 0, 5000, -990)
    assert summary.by_status[DUPLICATE] == Totals(1, 5000, 0, 0, 5000, 0)
    assert summary.by_status[NO_ORDER] == Totals(1, 700, 0, 0, 700, 0)
    assert summary.by_status[CHANNEL_FEE] == Totals(1, 0, 60, 0, -60, 0)
    assert summary.by_status[PAYOUT_ROW] == Totals(1, -10000, 0, 0, -10000, 0)
    assert summary.by_status[TO_REVIEW] == Totals()
    assert summary.total == Totals(6, 1690, 96, 0, 1594, -990)
    assert summary.duplicates == 1 and summary.rows == 7
    full = reconcile(rows, [order(1, "SO-1", 5990), order(2, "SO-2", 5990)]).summary()
    assert full.orders_by_status == {MATCHED: 1, AMOUNT_MISMATCH: 1}


# ---------------------------------------------------------------------------------------------
# Shipped, not settled


def test_shipped_orders_still_owed_after_n_days():
    today = dt.date(2024, 3, 20)
    utc = dt.UTC
    orders = [
        # shipped 2024-03-12 23:30 Beijing time (15:30 UTC, stored naive): 8 days
        order(1, "SO-1", 5990, shipped_at=dt.datetime(2024, 3, 12, 15, 30)),
        # shipped 2024-03-13 00:30 Beijing time (2024-03-12 16:30 UTC): 7 days, just in
        order(2, "SO-2", 5990, shipped_at=dt.datetime(2024, 3, 12, 16, 30, tzinfo=utc)),
        order(3, "SO-3", 5990, shipped_at=dt.datetime(2024, 3, 18, tzinfo=CN)),  # too recent
        order(4, "SO-4", 5990, settled=5990, shipped_at=dt.datetime(2024, 3, 1, tzinfo=CN)),  # settled
        order(5, "SO-5", 5990, settled=3000, shipped_at=dt.datetime(2024, 3, 1, tzinfo=CN)),  # in part
        order(
            6, "SO-6", 5990, refunded=5990, shipped_at=dt.datetime(2024, 3, 1, tzinfo=CN)
        ),  # refunded in full
        order(
            7, "SO-7", 5990, refunded=990, settled=5990, shipped_at=dt.datetime(2024, 3, 1, tzinfo=CN)
        ),  # owes us
        order(8, "SO-8", 5990),  # not shipped
    ]
    found = shipped_not_settled(orders, today, days=7)
    assert [
        (u.order_id, u.days_since_shipped, u.expected_cents, u.settled_cents, u.outstanding_cents)
        for u in found
    ] == [
        (5, 19, 5990, 3000, 2990),
        (1, 8, 5990, 0, 5990),
        (2, 7, 5990, 0, 5990),
    ]
    assert found[0].reason_en == "Shipped 19 days ago; 30.00 of 59.90 settled, 29.90 outstanding"
    assert found[1].reason_zh == "已发货 8 天，应结 59.90 尚未结算"
    assert shipped_not_settled(orders, today, days=30) == []
    with pytest.raises(ValueError):
        shipped_not_settled(orders, today, days=-1)


# ---------------------------------------------------------------------------------------------
# From real statements


def test_the_alipay_statement_against_its_orders():
    parsed = parse_statement((DATA / "alipay_statement_gbk.csv").read_bytes(), "alipay")
    orders = [
        order(1, "SO-1", 5990, external_ref="AL2403010001", refunded=2000),
        order(2, "SO-2", 9900, external_ref="AL2403010002"),  # the channel settled 89.00 of 99.00
        order(3, "SO-3", 4990, external_ref="AL2402280009", settled=4990),  # its fee came a day late
    ]
    result = reconcile(parsed.rows, orders, channel_id=1)
    assert statuses(result) == [
        (6, MATCHED, 1, 0),
        (7, ORDER_FEE, 1, 0),
        (8, AMOUNT_MISMATCH, 2, -1000),
        (9, ORDER_FEE, 2, 0),
        (10, MATCHED, 1, 0),
        (11, ORDER_FEE, 3, 0),
        (12, PAYOUT_ROW, None, 0),
    ]
    sale_1 = result.orders[0]
    assert (sale_1.gross_cents, sale_1.fee_cents, sale_1.net_cents) == (5990, 36, 5954)
    # Importing the same statement again: every row is a duplicate.
    again = reconcile(parsed.rows, orders, seen_keys={r.dedup_key for r in parsed.rows})
    assert {r.status for r in again.rows} == {DUPLICATE}


def test_the_wechat_bill_against_its_orders():
    parsed = parse_statement((DATA / "wechat_pay_bill_gbk.csv").read_bytes(), "wechat_pay")
    orders = [
        order(1, "SO-1", 5990, external_ref="WX2403010001", refunded=2000),
        order(2, "SO-2", 123450, external_ref="WX2403010002"),
    ]
    result = reconcile(parsed.rows, orders)
    assert statuses(result) == [
        (2, MATCHED, 1, 0),
        (3, MATCHED, 2, 0),
        (4, MATCHED, 1, 0),
        (5, NO_ORDER, None, 0),
    ]
    summary = result.summary()
    assert summary.by_status[MATCHED].count == 3 and summary.by_status[NO_ORDER].gross_cents == 8000


# ---------------------------------------------------------------------------------------------
# Properties


@st.composite
def settled_orders(draw):
    """Orders with sales split over rows, fees and commissions (some on rows of their own)."""
    count = draw(st.integers(min_value=1, max_value=6))
    rows: list[StatementRow] = []
    orders: list[OrderMoney] = []
    n = 2
    for i in range(count):
        ref = f"EXT-{i}"
        parts = draw(st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=3))
        for part in parts:
            fee = draw(st.integers(min_value=0, max_value=part))
            commission = draw(st.integers(min_value=0, max_value=part - fee))
            rows.append(row(n, SALE, ref, part, fee, commission))
            n += 1
        for extra_kind in draw(st.lists(st.sampled_from([FEE, COMMISSION]), max_size=2)):
            charge = draw(st.integers(min_value=1, max_value=10**6))
            rows.append(
                row(
                    n,
                    extra_kind,
                    ref,
                    0,
                    charge if extra_kind == FEE else 0,
                    charge if extra_kind == COMMISSION else 0,
                )
            )
            n += 1
        short = draw(st.sampled_from([0, 0, 1, -7]))
        orders.append(order(i + 1, f"SO-{i}", sum(parts) + short, external_ref=ref))
    draw(st.randoms()).shuffle(rows)
    return rows, orders


@settings(max_examples=60, deadline=None)
@given(settled_orders())
def test_per_order_gross_is_net_plus_fees_and_commission(case):
    rows, orders = case
    # Through the generic file and back, as an import would.
    parsed = parse_statement(generic_csv(rows), "generic", filename="s.csv")
    result = reconcile(parsed.rows, orders)
    by_id = {o.order_id: o for o in orders}
    assert len(result.orders) == len(orders)
    for o in result.orders:
        assert o.gross_cents == o.net_cents + o.fee_cents + o.commission_cents
        mine = [r for r in parsed.rows if r.order_ref == by_id[o.order_id].external_ref]
        assert o.gross_cents == sum(r.gross_cents for r in mine if r.kind == SALE)
        assert o.fee_cents == sum(r.fee_cents for r in mine)
        assert o.difference_cents == o.gross_cents - by_id[o.order_id].receivable_cents
        assert o.status == (MATCHED if o.difference_cents == 0 else AMOUNT_MISMATCH)
    summary = result.summary()
    assert (
        summary.total.gross_cents
        == summary.total.net_cents + summary.total.fee_cents + summary.total.commission_cents
    )
    assert summary.total.count == len(rows)


# ---------------------------------------------------------------------------------------------
# Purity


def test_the_rules_import_only_the_standard_library():
    tree = ast.parse(Path(reconcile_rules.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
