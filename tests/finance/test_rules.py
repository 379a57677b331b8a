"""Pure finance rules: the VAT split, what a channel holds for an order, periods, netting."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from omnistock.finance import rules
from omnistock.finance.rules import Line


@given(st.integers(-(10**12), 10**12), st.integers(0, 10000))
def test_a_vat_split_adds_up_to_the_gross_amount_exactly(gross, rate):
    net, vat = rules.split_vat(gross, rate)
    assert net + vat == gross
    assert abs(vat) <= abs(gross)
    assert rules.split_vat(-gross, rate) == (-net, -vat)  # a return reverses the sale's split


def test_a_vat_split_rounds_half_up():
    assert rules.split_vat(11300, 1300) == (10000, 1300)
    assert rules.split_vat(100, 1300) == (88, 12)  # 11.504… → 12
    assert rules.split_vat(100, 0) == (100, 0)


def test_the_channel_holds_what_was_paid_through_it():
    assert rules.channel_owes(10000, 10000, []) == 10000  # paid, methods not recorded
    assert rules.channel_owes(10000, 10000, [("wechat_pay", 7000), ("coupon", 3000)]) == 7000
    assert rules.channel_owes(10000, 2000, [("balance", 2000)]) == 0  # the rest is on account
    assert rules.channel_owes(10000, 0, []) == 0


def test_periods():
    assert rules.period_of(dt.date(2026, 12, 31)) == "2026-12"
    assert rules.next_period("2026-12") == "2027-01" and rules.previous_period("2027-01") == "2026-12"
    assert rules.is_period("2026-02") and not rules.is_period("2026-13") and not rules.is_period("26-01")


def test_lines_of_one_account_and_party_are_netted_and_zeros_dropped():
    lines = [Line("clearing", 500, "channel", 1), Line("clearing", -500, "channel", 1), Line("revenue", -300)]
    assert rules.net_lines(lines) == [Line("revenue", -300)]
    assert rules.imbalance([Line("a", 5), Line("b", -5)]) == 0


def test_stock_moves_post_against_the_account_their_kind_names():
    assert rules.stock_lines("receipt", "stock_document", 900) == [Line("inventory", 900), Line("grni", -900)]
    assert rules.stock_lines("shipment", "supplier_return", -400) == [
        Line("inventory", -400),
        Line("grni", 400),
    ]
    assert rules.stock_lines("count_loss", "count", -30)[1] == Line("shrinkage", 30)
    assert rules.stock_lines("transfer_in", "transfer_order", 0) == []
