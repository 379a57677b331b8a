"""Warehouse routing (仓库路由): rules by priority, whole-order warehouses, and split plans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnistock.orders.routing_rules import (
    ROUTE_KINDS,
    BadRouteRule,
    Route,
    RouteFacts,
    RouteRule,
    can_fill,
    choose,
    split_plan,
    validate_rule,
)

STOCK = {
    "SH": {"TEA": 10, "CUP": 5, "PEN": 0},
    "GZ": {"TEA": 3, "CUP": 20, "PEN": 8},
    "BJ": {"TEA": 50, "CUP": 50},
}

RULES = [
    RouteRule(1, "channel", 10, "GZ", channels=("live_dy",)),
    RouteRule(2, "sku", 20, "GZ", skus=("PEN", "CUP")),
    RouteRule(3, "region", 30, "SH", provinces=("上海", "江苏", "浙江省")),
    RouteRule(4, "region", 30, "BJ", provinces=("北京", "河北", "天津")),
    RouteRule(5, "fallback", 100, "BJ"),
]


def _facts(lines, channel="wechat_mini", province="广东省") -> RouteFacts:
    return RouteFacts(channel, province, lines)


def _route(rules, facts, stock=STOCK) -> tuple[str, int | None, str] | None:
    route = choose(rules, facts, stock)
    return None if route is None else (route.warehouse, route.rule_id, route.rule_kind)


# ---------------------------------------------------------------------------------- choose


@pytest.mark.parametrize(
    "facts, expected",
    [
        # channel rule wins first
        (_facts({"TEA": 1}, channel="live_dy"), ("GZ", 1, "channel")),
        # channel rule matches but GZ has only 3 TEA: passed over; region then fallback
        (_facts({"TEA": 4}, channel="live_dy", province="上海"), ("SH", 3, "region")),
        (_facts({"TEA": 4}, channel="live_dy"), ("BJ", 5, "fallback")),
        # every SKU in the sku rule's list
        (_facts({"PEN": 2, "CUP": 2}), ("GZ", 2, "sku")),
        # not every SKU in the list: sku rule does not match
        (_facts({"PEN": 2, "TEA": 1}, province="上海"), None),
        (_facts({"CUP": 2, "TEA": 1}, province="上海"), ("SH", 3, "region")),
        # region by short or full province name
        (_facts({"TEA": 1}, province="江苏省"), ("SH", 3, "region")),
        (_facts({"TEA": 1}, province=" 浙江 "), ("SH", 3, "region")),
        (_facts({"TEA": 1}, province="北京"), ("BJ", 4, "region")),
        # region matches but SH is short: the fallback takes it
        (_facts({"TEA": 11}, province="上海"), ("BJ", 5, "fallback")),
        # no region matches, unknown or missing province
        (_facts({"TEA": 1}, province="广东"), ("BJ", 5, "fallback")),
        (_facts({"TEA": 1}, province=None), ("BJ", 5, "fallback")),
        (_facts({"TEA": 1}, province="火星"), ("BJ", 5, "fallback")),
        # nobody can fill 60 TEA
        (_facts({"TEA": 60}), None),
        # the fallback warehouse has no PEN at all
        (_facts({"PEN": 1, "TEA": 1}), None),
    ],
)
def test_rules_in_priority_order(facts, expected):
    assert _route(RULES, facts) == expected


def test_priority_not_list_order_decides_and_id_breaks_ties():
    rules = [
        RouteRule(9, "fallback", 50, "BJ"),
        RouteRule(8, "fallback", 50, "SH"),
        RouteRule(7, "fallback", 60, "GZ"),
    ]
    assert _route(rules, _facts({"TEA": 1})) == ("SH", 8, "fallback")


def test_disabled_rules_are_skipped():
    rules = [RouteRule(1, "fallback", 1, "SH", enabled=False), RouteRule(2, "fallback", 2, "GZ")]
    assert _route(rules, _facts({"TEA": 1})) == ("GZ", 2, "fallback")


def test_a_rule_for_an_unknown_warehouse_is_passed_over():
    rules = [RouteRule(1, "fallback", 1, "XX"), RouteRule(2, "fallback", 2, "SH")]
    assert _route(rules, _facts({"TEA": 1})) == ("SH", 2, "fallback")


@pytest.mark.parametrize(
    "rule, lines, expected",
    [
        # TEA 2 + CUP 2: every warehouse can; no preference → most available (BJ 100)
        (RouteRule(1, "fewest_packages", 1, None), {"TEA": 2, "CUP": 2}, "BJ"),
        # preference order wins over availability
        (RouteRule(1, "fewest_packages", 1, None, warehouses=("GZ", "SH")), {"TEA": 2, "CUP": 2}, "GZ"),
        # a preferred warehouse that cannot fill is skipped for the next preferred
        (RouteRule(1, "fewest_packages", 1, None, warehouses=("GZ", "SH")), {"TEA": 5}, "SH"),
        # preferred ones all unable: the best of the rest
        (RouteRule(1, "fewest_packages", 1, None, warehouses=("GZ",)), {"TEA": 5}, "BJ"),
        # a warehouse given on the rule comes before the list
        (RouteRule(1, "fewest_packages", 1, "SH", warehouses=("GZ",)), {"TEA": 2}, "SH"),
        # only GZ holds PEN
        (RouteRule(1, "fewest_packages", 1, None, warehouses=("BJ",)), {"PEN": 1, "TEA": 1}, "GZ"),
    ],
)
def test_fewest_packages(rule, lines, expected):
    route = choose([rule], _facts(lines), STOCK)
    assert route is not None
    assert (route.warehouse, route.rule_id, route.rule_kind) == (expected, 1, "fewest_packages")


def test_fewest_packages_ties_go_by_code():
    stock = {"B": {"X": 5}, "A": {"X": 5}, "C": {"X": 5}}
    assert choose([RouteRule(1, "fewest_packages", 1, None)], _facts({"X": 1}), stock).warehouse == "A"


def test_no_rules_means_fewest_packages():
    route = choose([], _facts({"TEA": 2, "PEN": 1}), STOCK)
    assert route == Route(route.warehouse, None, "fewest_packages", route.label_en, route.label_zh)
    assert route.warehouse == "GZ"
    assert choose([], _facts({"TEA": 51}), STOCK) is None
    # only disabled rules: the same as none
    assert _route([RouteRule(1, "fallback", 1, "SH", enabled=False)], _facts({"PEN": 1})) == (
        "GZ",
        None,
        "fewest_packages",
    )


def test_labels_say_why_in_both_languages():
    route = choose(RULES, _facts({"TEA": 1}, province="江苏"), STOCK)
    assert "#3" in route.label_en and "SH" in route.label_en and "江苏省" in route.label_en
    assert "属地" in route.label_zh and "SH" in route.label_zh
    route = choose(RULES, _facts({"TEA": 1}, channel="live_dy"), STOCK)
    assert "live_dy" in route.label_en and "渠道" in route.label_zh


def test_can_fill():
    assert can_fill(STOCK, "SH", {"TEA": 10, "CUP": 5})
    assert not can_fill(STOCK, "SH", {"TEA": 11})
    assert not can_fill(STOCK, "SH", {"PEN": 1})
    assert not can_fill(STOCK, "SH", {"INK": 1})
    assert not can_fill(STOCK, "XX", {"TEA": 1})
    assert not can_fill(STOCK, None, {"TEA": 1})
    assert can_fill({"N": {"TEA": -3}}, "N", {"TEA": 0})
    assert not can_fill({"N": {"TEA": -3}}, "N", {"TEA": 1})


# ------------------------------------------------------------------------------ split plan


@pytest.mark.parametrize(
    "lines, stock, preference, expected",
    [
        # one warehouse can: one package
        ({"A": 2, "B": 2}, {"W1": {"A": 5}, "W2": {"A": 5, "B": 5}}, (), [("W2", {"A": 2, "B": 2})]),
        # whole lines where a chosen warehouse has them, not A5 + B3 then B2
        (
            {"A": 5, "B": 5},
            {"W1": {"A": 5, "B": 3}, "W2": {"B": 5}},
            (),
            [("W1", {"A": 5}), ("W2", {"B": 5})],
        ),
        # a line both chosen warehouses hold whole goes to the one chosen first (W1 wins the
        # 6-vs-6 tie by code), not to the one holding more
        (
            {"A": 5, "B": 5, "C": 1},
            {"W1": {"A": 5, "C": 1}, "W2": {"B": 5, "C": 9}},
            (),
            [("W1", {"A": 5, "C": 1}), ("W2", {"B": 5})],
        ),
        # a line split only because nobody holds it whole; bigger share first
        ({"A": 10}, {"W1": {"A": 4}, "W2": {"A": 7}}, (), [("W2", {"A": 7}), ("W1", {"A": 3})]),
        # the warehouse covering most goes first, W3 is not needed
        (
            {"A": 3, "B": 3, "C": 3},
            {"W1": {"A": 3, "B": 3}, "W2": {"C": 3}, "W3": {"A": 1, "C": 1}},
            (),
            [("W1", {"A": 3, "B": 3}), ("W2", {"C": 3})],
        ),
        # ties go by preference, then code
        (
            {"A": 1, "B": 1},
            {"W1": {"A": 1}, "W2": {"A": 1}, "W3": {"B": 1}},
            ("W2",),
            [("W2", {"A": 1}), ("W3", {"B": 1})],
        ),
        (
            {"A": 1, "B": 1},
            {"W2": {"A": 1}, "W1": {"A": 1}, "W3": {"B": 1}},
            (),
            [("W1", {"A": 1}), ("W3", {"B": 1})],
        ),
        # short in total
        ({"A": 10}, {"W1": {"A": 4}, "W2": {"A": 5}}, (), None),
        ({"A": 1, "Z": 1}, {"W1": {"A": 4}}, (), None),
        # nothing to ship
        ({}, {"W1": {"A": 1}}, (), []),
        ({"A": 0}, {"W1": {}}, (), []),
    ],
)
def test_split_plan(lines, stock, preference, expected):
    assert split_plan(lines, stock, preference) == expected


def test_split_plan_refuses_negative_quantities():
    with pytest.raises(ValueError):
        split_plan({"A": -1}, {"W1": {"A": 1}})


# ------------------------------------------------------------------------------ properties

SKUS = ["A", "B", "C", "D"]
WAREHOUSES = ["W1", "W2", "W3", "W4"]

stocks = st.dictionaries(
    st.sampled_from(WAREHOUSES),
    st.dictionaries(st.sampled_from(SKUS), st.integers(min_value=-2, max_value=12), max_size=4),
    min_size=1,
    max_size=4,
)
orders = st.dictionaries(st.sampled_from(SKUS), st.integers(min_value=0, max_value=15), max_size=4)
preferences = st.lists(st.sampled_from([*WAREHOUSES, "W9"]), max_size=4, unique=True)


def _available(stock, warehouse, sku):
    return max(0, stock.get(warehouse, {}).get(sku, 0))


@settings(max_examples=400, deadline=None)
@given(lines=orders, stock=stocks, preference=preferences)
def test_split_plan_properties(lines, stock, preference):
    plan = split_plan(lines, stock, preference)
    needed = {sku: qty for sku, qty in lines.items() if qty > 0}
    enough = all(sum(_available(stock, w, sku) for w in stock) >= qty for sku, qty in needed.items())
    assert (plan is not None) is enough
    if plan is None:
        return
    # every SKU shipped exactly, nothing else shipped
    shipped: dict[str, int] = {}
    for _, package in plan:
        for sku, qty in package.items():
            shipped[sku] = shipped.get(sku, 0) + qty
    assert shipped == needed
    # no empty packages, no warehouse twice, within each warehouse's availability
    warehouses = [w for w, _ in plan]
    assert len(warehouses) == len(set(warehouses))
    for warehouse, package in plan:
        assert warehouse in stock
        assert package
        for sku, qty in package.items():
            assert 0 < qty <= _available(stock, warehouse, sku)
    # one warehouse able to fill it all → one package
    if needed and any(can_fill(stock, w, needed) for w in stock):
        assert len(plan) == 1
    # never more packages than warehouses, nor than pieces shipped
    assert len(plan) <= min(len(stock), sum(needed.values()))


rules_strategy = st.lists(
    st.builds(
        RouteRule,
        id=st.integers(min_value=1, max_value=50),
        kind=st.sampled_from(list(ROUTE_KINDS)),
        priority=st.integers(min_value=0, max_value=5),
        warehouse=st.one_of(st.none(), st.sampled_from([*WAREHOUSES, "W9"])),
        channels=st.lists(st.sampled_from(["c1", "c2"]), max_size=2).map(tuple),
        skus=st.lists(st.sampled_from(SKUS), max_size=3).map(tuple),
        provinces=st.lists(st.sampled_from(["广东", "上海市", "新疆"]), max_size=2).map(tuple),
        enabled=st.booleans(),
        warehouses=st.lists(st.sampled_from(WAREHOUSES), max_size=3).map(tuple),
    ),
    max_size=6,
    unique_by=lambda r: r.id,  # ids are the table's primary key
)


@settings(max_examples=400, deadline=None)
@given(
    rules=rules_strategy,
    lines=orders,
    stock=stocks,
    channel=st.sampled_from(["c1", "c2", "c3"]),
    province=st.sampled_from([None, "广东省", "上海", "新疆", "火星"]),
)
def test_choose_always_picks_a_warehouse_that_can_fill_the_order(rules, lines, stock, channel, province):
    route = choose(rules, RouteFacts(channel, province, lines), stock)
    enabled = [r for r in rules if r.enabled]
    anyone_can = any(can_fill(stock, w, lines) for w in stock)
    if route is None:
        # nothing that always matches could have routed it
        assert not any(r.kind == "fallback" and can_fill(stock, r.warehouse, lines) for r in enabled)
        assert not (anyone_can and any(r.kind == "fewest_packages" for r in enabled))
        assert not (anyone_can and not enabled)
        return
    assert can_fill(stock, route.warehouse, lines)
    assert route.label_en and route.label_zh
    if route.rule_id is None:
        assert not enabled and route.rule_kind == "fewest_packages"
        return
    winner = min(
        (r for r in enabled if r.id == route.rule_id and r.kind == route.rule_kind),
        key=lambda r: r.priority,
    )
    if winner.kind != "fewest_packages":
        assert route.warehouse == winner.warehouse
    # no always-matching rule tried before the winner could have routed it
    for r in enabled:
        if (r.priority, r.id) < (winner.priority, winner.id):
            assert not (r.kind == "fallback" and can_fill(stock, r.warehouse, lines))
            assert r.kind != "fewest_packages"


@settings(max_examples=200, deadline=None)
@given(lines=orders, stock=stocks)
def test_fallback_to_an_able_warehouse_always_routes(lines, stock):
    able = [w for w in stock if can_fill(stock, w, lines)]
    rules = [RouteRule(1, "region", 1, "W1", provinces=("广东",)), RouteRule(2, "fallback", 9, "W9")]
    rules += [RouteRule(3 + i, "fallback", 10 + i, w) for i, w in enumerate(able)]
    route = choose(rules, RouteFacts("c1", "广东", lines), stock)
    assert (route is not None) is bool(able)


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "rule",
    [
        RouteRule(1, "channel", 1, "SH", channels=("live_dy",)),
        RouteRule(1, "sku", 1, "SH", skus=("TEA",)),
        RouteRule(1, "region", 1, "SH", provinces=("上海", "江苏省", "内蒙古")),
        RouteRule(1, "fewest_packages", 1, None),
        RouteRule(1, "fewest_packages", 1, None, warehouses=("SH", "GZ")),
        RouteRule(1, "fallback", 1, "BJ"),
    ],
)
def test_valid_rules(rule):
    validate_rule(rule)


@pytest.mark.parametrize(
    "rule, fragment",
    [
        (RouteRule(1, "nearest", 1, "SH"), "unknown routing rule kind"),
        (RouteRule(1, "fallback", 1, None), "warehouse"),
        (RouteRule(1, "fallback", 1, "  "), "warehouse"),
        (RouteRule(1, "channel", 1, None, channels=("x",)), "warehouse"),
        (RouteRule(1, "channel", 1, "SH"), "channels"),
        (RouteRule(1, "channel", 1, "SH", channels=("",)), "channels"),
        (RouteRule(1, "sku", 1, "SH"), "SKUs"),
        (RouteRule(1, "region", 1, "SH"), "provinces"),
        (RouteRule(1, "region", 1, "SH", provinces=("上海", "火星")), "火星"),
        (RouteRule(1, "fallback", "1", "SH"), "priority"),
        (RouteRule(1, "fewest_packages", 1, None, warehouses=("",)), "blank"),
    ],
)
def test_invalid_rules_are_refused_in_both_languages(rule, fragment):
    with pytest.raises(BadRouteRule) as info:
        validate_rule(rule)
    assert isinstance(info.value, ValueError)
    assert fragment in info.value.en
    assert info.value.zh and info.value.zh != info.value.en
