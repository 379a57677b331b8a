"""The pure profit rules: exact allocation, estimates, margins, an order's facts and its waterfall."""

from __future__ import annotations

import ast
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.finance import profit_rules as pr


def test_allocation_by_revenue_share_gives_leftover_cents_to_the_largest_remainders():
    assert pr.allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert pr.allocate(10, [5, 3, 2]) == [5, 3, 2]
    assert pr.allocate(7, [2, 5]) == [2, 5]
    assert pr.allocate(1, [1, 2]) == [0, 1]  # 1/3 vs 2/3: the larger remainder takes the cent
    assert pr.allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert pr.allocate(5, [0, 0]) == [3, 2]  # nothing to weigh by: equal shares
    assert pr.allocate(0, []) == []
    with pytest.raises(ValueError):
        pr.allocate(1, [])
    with pytest.raises(ValueError):
        pr.allocate(1, [-1, 2])


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30),
)
def test_allocations_always_add_up_exactly_and_stay_within_a_cent_of_the_share(total, weights):
    parts = pr.allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights) or len(weights)
    ws = weights if sum(weights) else [1] * len(weights)
    for part, w in zip(parts, ws, strict=True):
        assert abs(part * whole - total * w) < whole  # |part − exact share| < 1 cent


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=10000))
def test_estimates_round_half_away_from_zero(amount, bp):
    e = pr.estimate(amount, bp)
    assert pr.estimate(-amount, bp) == -e
    assert abs(e * 10000 - amount * bp) <= 5000


def test_estimates_and_margins():
    assert pr.estimate(7200, 500) == 360
    assert pr.estimate(7200, 60) == 43  # 43.2
    assert pr.estimate(250, 200) == 5
    assert pr.estimate(25, 200) == 1  # 0.5 rounds up
    assert pr.margin_bp(215, 1000) == 2150
    assert pr.margin_bp(-1, 3) == -3333
    assert pr.margin_bp(5, 0) is None


@given(
    st.lists(
        st.tuples(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(1, 100)), min_size=1, max_size=8
    ),
    st.integers(0, 10**5),
    st.integers(0, 10**5),
    st.integers(0, 10**6),
    st.integers(0, 10000),
    st.integers(0, 10000),
    st.integers(0, 10000),
)
def test_an_orders_lines_add_up_to_the_order(lines, ship_in, ship_cost, coupon, c_bp, f_bp, d_bp):
    facts = pr.order_facts(
        [pr.LineIn(i + 100, i + 1, q, rev, cogs) for i, (rev, cogs, q) in enumerate(lines)],
        shipping_income=ship_in,
        payments=[("coupon", coupon), ("wechat_pay", 999)],
        shipping_cost=ship_cost,
        rates=pr.Rates(c_bp, f_bp, d_bp),
    )
    for key in pr.KEYS:
        assert sum(ln[key] for ln in facts.lines) == facts.order[key]
    assert facts.order["promotion"] == coupon
    assert sum(pr.profit_of(ln) for ln in facts.lines) == facts.profit


def test_an_order_with_discounts_coupons_points_and_shipping():
    facts = pr.order_facts(
        [pr.LineIn(1, 1, 2, 3702, 1000), pr.LineIn(2, 2, 1, 2498, 500)],
        shipping_income=1000,
        payments=[("coupon", 1000), ("points", 200), ("wechat_pay", 6000)],
        shipping_cost=1400,
        rates=pr.Rates(500, 60, 0),
    )
    o = facts.order
    assert o == {
        "revenue": 6200,
        "shipping_income": 1000,
        "cogs": 1500,
        "shipping_cost": 1400,
        "promotion": 1200,
        "commission": 360,
        "payment_fee": 43,
        "distributor_commission": 0,
    }
    assert facts.profit == 6200 + 1000 - 1500 - 360 - 43 - 1400 - 1200
    steps = pr.waterfall(o)
    assert [s.key for s in steps] == list(pr.KEYS)
    assert steps[0].amount == 6200 and steps[2].amount == -1500
    assert steps[-1].running == facts.profit


def test_a_return_re_estimates_the_fees_on_what_is_left():
    before = pr.fees(7200, pr.Rates(500, 60, 1000))
    change = pr.return_fee_changes(
        base_before=7200, refund=1851, fees_before=before, rates=pr.Rates(500, 60, 1000)
    )
    after = pr.fees(7200 - 1851, pr.Rates(500, 60, 1000))
    assert {k: before[k] + change[k] for k in before} == after


def test_rates_are_whole_basis_points_between_0_and_10000():
    assert pr.good_rate(0) and pr.good_rate(10000) and pr.good_rate(150)
    assert (
        not pr.good_rate(-1) and not pr.good_rate(10001) and not pr.good_rate(1.5) and not pr.good_rate(True)
    )


def test_the_rules_import_only_the_standard_library_and_pure_rules():
    tree = ast.parse(pathlib.Path(pr.__file__).read_text())
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    }
    assert imported <= {"__future__", "collections", "dataclasses", "omnistock"}
