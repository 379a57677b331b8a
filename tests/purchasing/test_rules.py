"""Pure purchasing rules: the order state machine, approval thresholds, tolerance, landed-cost
allocation and the 3-way match."""

from __future__ import annotations

import pytest

from omnistock.purchasing import rules


def test_state_machine_is_data_and_final_states_are_final():
    assert set(rules.TRANSITIONS) == set(rules.STATES)
    assert rules.TRANSITIONS[rules.CLOSED] == set()
    assert rules.TRANSITIONS[rules.CANCELLED] == set()
    for targets in rules.TRANSITIONS.values():
        assert targets <= set(rules.STATES)
    assert rules.sources(rules.APPROVED) == {rules.SUBMITTED}
    assert rules.sources(rules.SUBMITTED) == {rules.DRAFT}
    assert not rules.can_move(rules.DRAFT, rules.APPROVED)  # approval needs a submitted order
    assert not rules.can_move(rules.PARTIAL, rules.CANCELLED)  # goods arrived: close short instead
    assert rules.can_move(rules.PARTIAL, rules.CLOSED)


def test_every_state_has_labels():
    assert set(rules.STATE_LABELS) == set(rules.STATES)


def test_required_permission_by_amount():
    thresholds = [(0, rules.APPROVE), (5_000_000, rules.APPROVE_LARGE)]
    assert rules.required_permission(0, thresholds) == rules.APPROVE
    assert rules.required_permission(4_999_999, thresholds) == rules.APPROVE
    assert rules.required_permission(5_000_000, thresholds) == rules.APPROVE_LARGE


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([], "empty"),
        ([[100, rules.APPROVE]], "starts"),
        ([[0, "inventory.stock.read"]], "permission"),
        ([[0, rules.APPROVE], [-1, rules.APPROVE_LARGE]], "amount"),
        ([[0, rules.APPROVE, 1]], "shape"),
        ([[0, rules.APPROVE], [0, rules.APPROVE_LARGE]], "starts"),
    ],
)
def test_bad_thresholds(value, problem):
    assert rules.check_thresholds(value) == problem


def test_thresholds_ok():
    assert rules.check_thresholds([[0, rules.APPROVE], [100, rules.APPROVE_LARGE]]) is None


def test_receivable_limit_rounds_down():
    assert rules.receivable_limit(100, 5) == 105
    assert rules.receivable_limit(10, 5) == 10  # 10.5 → 10 whole pieces
    assert rules.receivable_limit(10, 0) == 10


def test_order_status_after_receipt():
    assert rules.order_status_after_receipt([(10, 10), (5, 6)]) == rules.RECEIVED
    assert rules.order_status_after_receipt([(10, 9), (5, 6)]) == rules.PARTIAL


def test_allocate_largest_remainder():
    # 100 cents over values 1:1:1 → 34, 33, 33 (the first line gets the odd cent on a tie)
    assert rules.allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert rules.allocate(10, [3, 7]) == [3, 7]
    assert rules.allocate(5, [0, 0]) == [3, 2]
    assert rules.allocate(0, [5, 5]) == [0, 0]
    assert rules.allocate(7, []) == []


def test_landed_shares_by_value_or_quantity():
    lines = [(1, 9000), (9, 1000)]  # (qty, goods value)
    assert rules.landed_shares(1000, lines, rules.BY_VALUE) == [900, 100]
    assert rules.landed_shares(1000, lines, rules.BY_QTY) == [100, 900]
    with pytest.raises(ValueError):
        rules.landed_shares(1, lines, "weight")


def test_match_line_flags_price_and_quantity():
    ok = rules.match_line(po_price=100, billed_price=100, unbilled_received=5, billed_qty=5)
    assert ok.flags == () and rules.bill_status([ok]) == rules.MATCHED
    diff = rules.match_line(po_price=100, billed_price=110, unbilled_received=5, billed_qty=6)
    assert diff.flags == ("price", "qty")
    assert (diff.price_diff_cents, diff.qty_diff) == (10, 1)
    assert rules.bill_status([ok, diff]) == rules.DIFFERENCE
