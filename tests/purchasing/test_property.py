"""Properties: landed costs always add up to the cent; receiving never exceeds the tolerance."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from omnistock.purchasing import rules


@given(
    total=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=30),
)
def test_allocation_sums_exactly_and_is_fair(total, weights):
    parts = rules.allocate(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    w_total = sum(weights) or len(weights)
    for p, w in zip(parts, weights if sum(weights) else [1] * len(weights), strict=True):
        exact = total * w / w_total
        assert abs(p - exact) < 1 + 1e-6  # never more than a cent from its exact share


@given(
    ordered=st.integers(1, 10_000),
    tol=st.integers(0, 100),
    receipts=st.lists(st.integers(1, 5_000), max_size=20),
)
def test_received_never_exceeds_ordered_times_tolerance(ordered, tol, receipts):
    limit = rules.receivable_limit(ordered, tol)
    received = 0
    for q in receipts:
        if received + q <= limit:  # the conditional UPDATE's WHERE
            received += q
    assert received <= ordered * (100 + tol) / 100
    assert limit <= ordered * (100 + tol) / 100 < limit + 1
