"""Pure fulfilment rules: wave grouping, courier choice and fees, short picks, pack scans and
tracking-number ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.fulfillment import rules


def _rule(
    id=1,
    account="A",
    priority=10,
    provinces=(),
    cities=(),
    lo=0,
    hi=None,
    first=1000,
    fee=1000,
    step=1000,
    extra=200,
):
    return rules.CourierRule(
        id, f"r{id}", account, priority, provinces, cities, lo, hi, first, fee, step, extra
    )


def test_fee_is_first_weight_plus_every_started_step():
    r = _rule(first=1000, fee=1000, step=500, extra=100)
    assert [rules.fee(r, w) for w in (0, 1000, 1001, 1500, 1501)] == [1000, 1000, 1100, 1100, 1200]


def test_the_cheapest_eligible_rule_wins_unless_priority_is_asked_for():
    national = _rule(1, "SF", priority=1, fee=1200)
    local = _rule(2, "ZTO", priority=5, provinces=("浙江省",), fee=600)
    heavy = _rule(3, "DB", priority=0, lo=5000, fee=300)
    pick = rules.choose_courier([national, local, heavy], province="浙江省", city="杭州市", weight_g=800)
    assert (pick.rule.account, pick.fee_cents) == ("ZTO", 600)
    pick = rules.choose_courier(
        [national, local, heavy], province="浙江省", city="杭州市", weight_g=800, strategy="priority"
    )
    assert pick.rule.account == "SF"
    assert rules.choose_courier([local], province="广东省", city="广州市", weight_g=1) is None
    assert rules.choose_courier([heavy], province="", city="", weight_g=6000).rule.account == "DB"


def test_waves_group_single_items_same_skus_and_the_rest():
    def o(ref, lines, account="SF"):
        return rules.WaveOrder(ref, "SH", account, lines)

    orders = [
        o("1", (("TEA", 1),)),
        o("2", (("CUP", 1),)),
        o("3", (("TEA", 2),)),
        o("4", (("TEA", 2),)),
        o("5", (("TEA", 1), ("CUP", 1))),
        o("6", (("TEA", 1),), account="YTO"),
    ]
    plan = [(kind, [x.ref for x in members]) for kind, members in rules.plan_waves(orders, max_orders=10)]
    assert plan == [("mixed", ["5"]), ("same_sku", ["3", "4"]), ("single", ["2", "1"]), ("single", ["6"])]
    cut = rules.plan_waves(orders[:2], max_orders=1)
    assert [len(m) for _, m in cut] == [1, 1]
    with pytest.raises(ValueError):
        rules.plan_waves(orders, max_orders=0)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["SH", "GZ"]),
            st.sampled_from(["SF", "YTO"]),
            st.lists(
                st.tuples(st.sampled_from("ABC"), st.integers(1, 3)),
                min_size=1,
                max_size=3,
                unique_by=lambda x: x[0],
            ),
        ),
        max_size=40,
    ),
    st.integers(1, 7),
)
def test_every_order_lands_in_exactly_one_wave_of_its_warehouse_and_courier(specs, size):
    orders = [rules.WaveOrder(str(i), w, a, tuple(lines)) for i, (w, a, lines) in enumerate(specs)]
    plan = rules.plan_waves(orders, max_orders=size)
    placed = [o.ref for _, members in plan for o in members]
    assert sorted(placed) == sorted(o.ref for o in orders)
    for _, members in plan:
        assert 1 <= len(members) <= size
        assert len({(o.warehouse, o.account) for o in members}) == 1


@given(st.lists(st.integers(1, 5), max_size=10), st.integers(0, 60))
def test_a_short_pick_fills_earlier_slots_and_never_more_than_was_picked(needs, picked):
    refs = [(str(i), q) for i, q in enumerate(needs)]
    short = set(rules.short_orders(refs, picked))
    filled = [q for r, q in refs if r not in short]
    assert sum(filled) <= picked
    if sum(needs) <= picked:
        assert not short


def test_pack_scans():
    expected = {"TEA": 2, "CUP": 1}
    assert rules.check_scan(expected, {}, "TEA") is None
    assert rules.check_scan(expected, {"CUP": 1}, "CUP") == "too_many"
    assert rules.check_scan(expected, {}, "PEN") == "not_on_order"
    assert rules.missing_items(expected, {"TEA": 1, "PEN": 1}) == {"CUP": 1, "PEN": -1, "TEA": 1}
    assert rules.missing_items(expected, {"TEA": 2, "CUP": 1}) == {}


def test_tracking_ranges_and_numbers():
    assert rules.number_range("SF", 8, 10, 4) == ["SF0008", "SF0009", "SF0010"]
    for bad in ((10, 8, 4), (1, 10001, 6), (1, 100000, 4)):
        with pytest.raises(ValueError):
            rules.number_range("SF", *bad)
    assert (
        rules.good_number("SF0000000001")
        and not rules.good_number("12 34 56")
        and not rules.good_number("12345")
    )


def test_the_state_machines_are_data():
    assert rules.can_move(rules.WAVE_TRANSITIONS, rules.CREATED, rules.RELEASED)
    assert not rules.can_move(rules.WAVE_TRANSITIONS, rules.CREATED, rules.PICKED)
    assert rules.sources(rules.SLOT_TRANSITIONS, rules.SHIPPED) == {rules.PACKED}
    assert rules.check_rule_numbers(_rule(step=0)) == "extra_unit"
    assert rules.check_rule_numbers(_rule(lo=5, hi=4)) == "weight_band"
