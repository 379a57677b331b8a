"""Replenishment rules: reorder point, order-up-to quantity, MOQ and pack rounding, urgency."""

from __future__ import annotations

import numpy as np
import pytest

from omnistock.purchasing import replenishment as rp


@pytest.mark.parametrize(
    ("need", "moq", "pack", "qty"),
    [
        (0, 10, 6, 0),
        (-3, 10, 6, 0),
        (1, 1, 1, 1),
        (7, 10, 1, 10),  # raised to the MOQ
        (7, 1, 6, 12),  # whole packs
        (7, 10, 6, 12),  # MOQ 10, then packs of 6
        (13, 10, 6, 18),
        (12, 12, 12, 12),
    ],
)
def test_order_qty(need, moq, pack, qty):
    assert rp.order_qty(need, moq, pack) == qty
    assert rp.order_qtys(np.array([need]), np.array([moq]), np.array([pack]))[0] == qty


def _plan(**kw):
    base = dict(
        demand=[2.0],
        sigma=[1.0],
        lead=[7],
        catalog_safety=[0],
        available=[10],
        open_po=[0],
        in_transit=[0],
        moq=[1],
        pack=[1],
        target_days=30,
    )
    base.update(kw)
    return rp.plan(**{k: np.asarray(v) if isinstance(v, list) else v for k, v in base.items()})


def test_worked_example():
    # d = 2/day, L = 7, σ = 1: S = ⌈1.65·1·√7⌉ = ⌈4.37⌉ = 5; R = 2·7 + 5 = 19;
    # P = 10 ≤ R → order up to T = 2·(7 + 30) + 5 = 79: 69 pieces.
    p = _plan()
    assert (p.safety[0], p.reorder_point[0], p.position[0], p.target[0]) == (5, 19, 10, 79)
    assert (p.need[0], p.qty[0]) == (69, 69)
    assert p.days_of_cover[0] == pytest.approx(5.0)
    assert rp.URGENCIES[p.urgency[0]] == rp.CRITICAL  # 10 < 2·7: runs out before goods arrive


def test_open_orders_and_transit_count_in_the_position():
    p = _plan(open_po=[50], in_transit=[20])
    assert p.position[0] == 80 and p.qty[0] == 0


def test_catalog_safety_stock_wins():
    p = _plan(catalog_safety=[40])
    assert p.safety[0] == 40 and p.safety_from_catalog[0]
    assert p.reorder_point[0] == 54


def test_moq_and_pack_apply():
    p = _plan(moq=[100], pack=[24])
    assert p.qty[0] == 120


def test_urgency_levels():
    p = _plan(
        demand=[1.0, 1.0, 1.0, 1.0, 0.0],
        sigma=[0.0] * 5,
        lead=[5] * 5,
        catalog_safety=[0, 0, 0, 0, 0],
        available=[0, 3, 5, 100, 7],
        open_po=[0] * 5,
        in_transit=[0] * 5,
        moq=[1] * 5,
        pack=[1] * 5,
    )
    assert [rp.URGENCIES[u] for u in p.urgency] == [rp.STOCKOUT, rp.CRITICAL, rp.REORDER, rp.OK, rp.OK]
    assert np.isnan(p.days_of_cover[4]) and p.qty[4] == 0


def test_stock_health():
    h = rp.stock_health(
        on_hand=np.array([10, 1000, 10, 0]),
        demand=np.array([0.0, 1.0, 1.0, 0.0]),
        sold_recent=np.array([0, 30, 30, 0]),
        overstock_days=90,
    )
    assert list(h) == [rp.SLOW, rp.OVERSTOCK, "", ""]
