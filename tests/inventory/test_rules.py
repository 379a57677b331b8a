"""Pure costing rules: exact half-up shares, no cent created or lost, FIFO order, gain value."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnistock.inventory import rules
from omnistock.inventory.rules import AVERAGE, FIFO, Valuation, share

values = st.integers(min_value=0, max_value=10**12)
qtys = st.integers(min_value=1, max_value=10**6)


def test_share_examples():
    assert share(100, 3, 1) == 33  # 33.33 -> 33
    assert share(100, 3, 2) == 67  # 66.67 -> 67
    assert share(1, 2, 1) == 1  # 0.5 -> 1 (half up)
    assert share(3, 2, 1) == 2  # 1.5 -> 2
    assert share(5, 4, 1) == 1  # 1.25 -> 1
    assert share(7, 4, 1) == 2  # 1.75 -> 2
    assert share(0, 5, 3) == 0
    assert share(999, 7, 7) == 999
    assert share(0, 0, 0) == 0  # everything out of an empty layer


def test_share_from_empty_layer_is_refused():
    with pytest.raises(ValueError):
        share(10, 0, 1)


@given(values, qtys, st.data())
def test_share_is_exact_half_up(v, total, data):
    q = data.draw(st.integers(min_value=0, max_value=total))
    expected = (
        int((Decimal(v) * q / Decimal(total)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if q != total
        else v
    )
    # Decimal default precision (28 digits) is plenty for these magnitudes.
    assert share(v, total, q) == expected
    assert 0 <= share(v, total, q) <= v


@given(values, qtys)
def test_share_all_is_value(v, total):
    assert share(v, total, total) == v


def _take_in_pieces(val: Valuation, pieces: list[int]) -> list[int]:
    return [val.take(p) for p in pieces]


@st.composite
def inflows_and_pieces(draw):
    inflows = draw(st.lists(st.tuples(st.integers(1, 50), st.integers(0, 100_000)), min_size=1, max_size=8))
    total = sum(q for q, _ in inflows)
    pieces = []
    left = total
    while left:
        p = draw(st.integers(1, left))
        pieces.append(p)
        left -= p
    return inflows, draw(st.permutations(pieces))


@pytest.mark.parametrize("method", [AVERAGE, FIFO])
@given(data=inflows_and_pieces())
@settings(max_examples=200)
def test_taking_everything_out_returns_exactly_what_went_in(method, data):
    inflows, pieces = data
    val = Valuation(method)
    for q, v in inflows:
        val.add(q, v)
    put_in = sum(v for _, v in inflows)
    assert val.qty == sum(q for q, _ in inflows) and val.value == put_in
    taken = _take_in_pieces(val, pieces)
    assert sum(taken) == put_in
    assert val.qty == 0 and val.value == 0 and val.layers == []
    assert all(t >= 0 for t in taken)


@pytest.mark.parametrize("method", [AVERAGE, FIFO])
@given(data=inflows_and_pieces())
def test_interleaved_in_and_out_conserves_value(method, data):
    inflows, pieces = data
    val = Valuation(method)
    put_in = taken = 0
    for (q, v), p in zip(inflows, pieces + [0] * len(inflows), strict=False):
        val.add(q, v)
        put_in += v
        if 0 < p <= val.qty:
            taken += val.take(p)
        assert val.value == put_in - taken
        assert all(lq > 0 and lv >= 0 for lq, lv in val.layers)
    if val.qty:
        taken += val.take(val.qty)
    assert taken == put_in


def test_average_pools_and_values_by_moving_average():
    val = Valuation(AVERAGE)
    val.add(10, 1000)  # 10 @ 1.00
    val.add(5, 800)  # 5 @ 1.60 -> pool 15 pieces, 18.00
    assert val.layers == [[15, 1800]]
    assert val.take(4) == 480  # 1800*4/15 = 480
    assert val.take(1) == 120
    assert val.snapshot() == [[10, 1200]]
    val = Valuation(AVERAGE)
    val.add(3, 100)
    assert [val.take(1), val.take(1), val.take(1)] == [33, 34, 33]  # 33.33, 33.5->34 of 67/2, 33


def test_fifo_takes_oldest_first():
    val = Valuation(FIFO)
    val.add(2, 200)  # @1.00
    val.add(3, 600)  # @2.00
    val.add(1, 500)  # @5.00
    assert val.take(1) == 100
    assert val.take(2) == 100 + 200  # last of layer 1, then one of layer 2
    assert val.layers == [[2, 400], [1, 500]]
    assert val.take(3) == 900
    assert val.layers == []


def test_take_more_than_held_is_refused_and_changes_nothing():
    val = Valuation(FIFO)
    val.add(2, 10)
    with pytest.raises(rules.InsufficientValuation):
        val.take(3)
    assert val.layers == [[2, 10]]
    with pytest.raises(ValueError):
        val.take(0)
    with pytest.raises(ValueError):
        val.add(0, 5)


def test_gain_value_uses_newest_layer_or_last_receipt_cost():
    fifo = Valuation(FIFO)
    fifo.add(2, 200)
    fifo.add(3, 700)  # newest: 7/3 per piece
    assert fifo.gain_value(1, 9999) == 233  # 233.33
    assert fifo.gain_value(2, 9999) == 467  # 466.67
    avg = Valuation(AVERAGE)
    avg.add(2, 200)
    avg.add(3, 700)  # pool 5 @ 9.00/5 = 1.80
    assert avg.gain_value(1, 9999) == 180
    assert avg.gain_value(3, 9999) == 540
    empty = Valuation(FIFO)
    assert empty.gain_value(4, 125) == 500
    assert Valuation(AVERAGE).gain_value(4, 0) == 0


@given(
    st.lists(st.tuples(st.integers(1, 50), st.integers(0, 10**6)), min_size=1, max_size=5),
    st.integers(1, 100),
)
def test_gain_value_is_share_of_newest_layer(layers, d):
    val = Valuation(FIFO, [list(x) for x in layers])
    q, v = layers[-1]
    expected = int((Decimal(v) * d / q).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert val.gain_value(d, 0) == expected


def test_line_return_share_gives_back_exact_remainder():
    # 3 pieces shipped at 100 cents total; returned one at a time.
    left_q, left_v, back = 3, 100, []
    for _ in range(3):
        v = rules.line_return_share(left_q, left_v, 1)
        back.append(v)
        left_q, left_v = left_q - 1, left_v - v
    assert back == [33, 34, 33] and sum(back) == 100


def test_int_predicates():
    assert rules.is_positive_int(1) and not rules.is_positive_int(0) and not rules.is_positive_int(True)
    assert not rules.is_positive_int(1.0) and not rules.is_positive_int("1")
    assert (
        rules.is_non_negative_int(0)
        and not rules.is_non_negative_int(-1)
        and not rules.is_non_negative_int(False)
    )
