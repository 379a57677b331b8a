"""Pure catalog rules: attribute definitions, the SKU matrix, bundles, the category tree and
Excel cells (prices read exactly, never through floating point)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.catalog import rules

COLOR = {"name": "颜色", "values": ["红", "黑"]}
SIZE = {"name": "尺码", "values": ["S", "M", "L"]}


def test_matrix_is_the_cartesian_product_in_display_order():
    defs = rules.attribute_definitions([COLOR, SIZE])
    rows = rules.matrix(defs)
    assert rules.matrix_size(defs) == 6
    assert rows[:3] == [
        {"颜色": "红", "尺码": "S"},
        {"颜色": "红", "尺码": "M"},
        {"颜色": "红", "尺码": "L"},
    ]
    assert rows[-1] == {"颜色": "黑", "尺码": "L"}
    assert rules.matrix([]) == []


@pytest.mark.parametrize(
    "raw",
    [
        "颜色",
        [{"name": "", "values": ["红"]}],
        [{"name": "颜色", "values": []}],
        [{"name": "颜色", "values": ["红", "红"]}],
        [COLOR, COLOR],
        [{"name": "颜色", "values": ["红", " "]}],
        [{"name": "x" * 33, "values": ["a"]}],
        [{"name": f"a{i}", "values": ["1"]} for i in range(6)],
        [{"name": f"a{i}", "values": [str(v) for v in range(10)]} for i in range(3)],  # 1000 SKUs
    ],
)
def test_bad_attribute_definitions_are_refused(raw):
    with pytest.raises(rules.RuleError) as err:
        rules.attribute_definitions(raw)
    assert err.value.code == "catalog.bad_attributes"
    assert err.value.zh and err.value.en


def test_definitions_are_trimmed():
    defs = rules.attribute_definitions([{"name": " 颜色 ", "values": [" 红", "黑 "]}])
    assert defs == [rules.Attribute("颜色", ("红", "黑"))]


def test_sku_attributes_must_name_one_defined_value_of_each_attribute():
    defs = rules.attribute_definitions([COLOR, SIZE])
    assert rules.sku_attributes(defs, {"尺码": "M", "颜色": "红"}) == {"颜色": "红", "尺码": "M"}
    for bad in ({"颜色": "红"}, {"颜色": "蓝", "尺码": "M"}, {"颜色": "红", "尺码": "M", "材质": "棉"}, None):
        with pytest.raises(rules.RuleError):
            rules.sku_attributes(defs, bad)
    assert rules.sku_attributes([], None) is None
    with pytest.raises(rules.RuleError):
        rules.sku_attributes([], {"颜色": "红"})


def test_definitions_of_a_product_with_skus_can_only_gain_values():
    old = rules.attribute_definitions([COLOR, SIZE])
    used = [{"颜色": "红", "尺码": "S"}]
    more = rules.attribute_definitions([SIZE | {"values": ["S", "M", "L", "XL"]}, COLOR])  # reordered too
    rules.check_definition_change(old, more, used)
    for new in (
        rules.attribute_definitions([COLOR]),  # an attribute removed
        rules.attribute_definitions([COLOR, SIZE, {"name": "材质", "values": ["棉"]}]),  # added
        rules.attribute_definitions([{"name": "颜色", "values": ["黑"]}, SIZE]),  # a used value removed
    ):
        with pytest.raises(rules.RuleError) as err:
            rules.check_definition_change(old, new, used)
        assert err.value.code == "catalog.attributes_in_use"
    # Values no SKU uses can go; without SKUs anything goes.
    rules.check_definition_change(
        old, rules.attribute_definitions([COLOR, {"name": "尺码", "values": ["S"]}]), used
    )
    rules.check_definition_change(old, [], [])


def test_default_sku_name():
    assert rules.default_sku_name("纯棉T恤", {"颜色": "白色", "尺码": "M"}) == "纯棉T恤 白色 M"
    assert rules.default_sku_name("普洱茶", None) == "普洱茶"


@pytest.mark.parametrize(
    ("parts", "kits"),
    [
        ([(1, 10), (2, 10)], 5),
        ([(3, 10)], 3),
        ([(1, 10), (1, 0)], 0),
        ([(2, -3)], 0),  # never negative
        ([], 0),
    ],
)
def test_bundle_availability_is_the_scarcest_component(parts, kits):
    assert rules.bundle_available(parts) == kits


@given(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 1000)), min_size=1, max_size=6))
def test_bundle_availability_never_overcommits(parts):
    kits = rules.bundle_available(parts)
    assert all(kits * q <= a for q, a in parts)
    assert any((kits + 1) * q > a for q, a in parts)


def test_category_tree():
    parents = {1: None, 2: 1, 3: 2, 4: None}
    assert rules.would_cycle(parents, 1, 3)  # under its own grandchild
    assert rules.would_cycle(parents, 2, 2)
    assert not rules.would_cycle(parents, 3, 4)
    assert not rules.would_cycle(parents, 2, None)
    assert rules.descendants(parents, 1) == {1, 2, 3}
    assert rules.descendants(parents, 4) == {4}


@pytest.mark.parametrize(
    ("cell", "cents"),
    [
        ("12.5", 1250),
        ("12.50", 1250),
        (" ¥1,299.00 ", 129900),
        (12.5, 1250),
        (0.1, 10),
        (19.99, 1999),
        (1999.9, 199990),
        (12, 1200),
        (0, 0),
        (Decimal("59.90"), 5990),
        (123456789.99, 12345678999),
    ],
)
def test_prices_are_read_exactly(cell, cents):
    assert rules.yuan_to_cents(cell) == cents


@pytest.mark.parametrize("cell", ["12.345", 12.345, "-1", -1.5, "abc", "1e3", 1e16, True, "", "12.", ".5"])
def test_bad_prices(cell):
    assert rules.yuan_to_cents(cell) is None


@given(st.integers(0, 10**11))
def test_price_cells_round_trip(cents):
    text = rules.cents_to_yuan(cents)
    assert rules.yuan_to_cents(text) == cents
    assert rules.yuan_to_cents(Decimal(text)) == cents
    # What Excel hands back for a number typed as that text: a binary float.
    assert rules.yuan_to_cents(float(text)) == cents


def test_list_and_attribute_cells():
    assert rules.split_list("690123, 690124，690125、 ") == ["690123", "690124", "690125"]
    assert rules.split_list(6901234567892.0) == ["6901234567892"]
    assert rules.split_list(None) == []
    assert rules.parse_attribute_cell("颜色:红;尺码：M") == {"颜色": "红", "尺码": "M"}
    assert rules.parse_attribute_cell("颜色=红；尺码:M;") == {"颜色": "红", "尺码": "M"}
    assert rules.parse_attribute_cell(None) == {}
    for bad in ("颜色", "颜色:红;颜色:黑", ":红", "颜色:"):
        assert rules.parse_attribute_cell(bad) is None
    assert rules.format_attribute_cell({"颜色": "红", "尺码": "M"}) == "颜色:红;尺码:M"
    assert rules.whole_number("12") == 12 and rules.whole_number(3.0) == 3
    assert rules.whole_number(2.5) is None and rules.whole_number("x") is None
