"""Replenishment rules (pure; NumPy only), vectorised over every (warehouse, SKU) at once.

For one row, with daily demand ``d`` (the forecast), lead time ``L`` days and target cover ``C``
days:

* safety stock ``S`` = the SKU's safety stock when the catalog sets one, else
  ``⌈z · σ · √L⌉`` (σ = the forecast's backtest RMSE per day, z = 1.65 ≈ 95 % service);
* reorder point ``R = ⌈d·L + S⌉``;
* stock position ``P`` = available + open purchase orders (not yet received) + in transit;
* when ``P ≤ R``: order up to ``T = ⌈d·(L + C) + S⌉``, i.e. ``T − P``, raised to the supplier's
  minimum order quantity, then rounded up to whole packs; else nothing;
* days of cover = available ÷ d (none when nothing sells);
* urgency: ``stockout`` (nothing available, demand > 0), ``critical`` (available runs out within
  the lead time), ``reorder`` (P ≤ R), ``ok``; the sort key ``slack`` = days of cover − L.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from omnistock.purchasing.forecast import forecast

Z_SERVICE = 1.65
HISTORY_DAYS = 180  # days of sales the workbench forecasts from
STOCKOUT, CRITICAL, REORDER, OK = "stockout", "critical", "reorder", "ok"
URGENCIES = (STOCKOUT, CRITICAL, REORDER, OK)


def order_qty(need: int, moq: int, pack: int) -> int:
    """The quantity to order for a need: 0 for none, else at least ``moq``, in whole packs."""
    if need <= 0:
        return 0
    q = max(need, moq, 1)
    pack = max(pack, 1)
    return -(-q // pack) * pack


def order_qtys(need: np.ndarray, moq: np.ndarray, pack: np.ndarray) -> np.ndarray:
    """``order_qty`` over arrays of integers."""
    pack = np.maximum(pack, 1)
    q = np.maximum(np.maximum(need, moq), 1)
    return np.where(need > 0, -(-q // pack) * pack, 0).astype(np.int64)


@dataclass(frozen=True)
class Plan:
    safety: np.ndarray
    safety_from_catalog: np.ndarray  # bool
    reorder_point: np.ndarray
    position: np.ndarray
    target: np.ndarray
    need: np.ndarray
    qty: np.ndarray
    days_of_cover: np.ndarray  # float, nan when nothing sells
    slack: np.ndarray  # days of cover − lead time (inf when nothing sells)
    urgency: np.ndarray  # index into URGENCIES


def plan(
    *,
    demand: np.ndarray,
    sigma: np.ndarray,
    lead: np.ndarray,
    catalog_safety: np.ndarray,
    available: np.ndarray,
    open_po: np.ndarray,
    in_transit: np.ndarray,
    moq: np.ndarray,
    pack: np.ndarray,
    target_days: int,
) -> Plan:
    d = np.maximum(np.asarray(demand, dtype=np.float64), 0.0)
    lead = np.asarray(lead, dtype=np.int64)
    sig = np.nan_to_num(np.asarray(sigma, dtype=np.float64), nan=0.0)
    from_catalog = np.asarray(catalog_safety) > 0
    stat_safety = np.ceil(Z_SERVICE * sig * np.sqrt(lead) - 1e-9).astype(np.int64)
    safety = np.where(from_catalog, catalog_safety, stat_safety).astype(np.int64)
    # A tiny epsilon keeps exact products such as 2.0 × 7 from rounding up to 15 by float error.
    reorder_point = np.ceil(d * lead + safety - 1e-9).astype(np.int64)
    available = np.asarray(available, dtype=np.int64)
    position = available + np.asarray(open_po, dtype=np.int64) + np.asarray(in_transit, dtype=np.int64)
    target = np.ceil(d * (lead + target_days) + safety - 1e-9).astype(np.int64)
    sells = d > 0
    due = (position <= reorder_point) & (sells | (safety > 0))
    need = np.where(due, np.maximum(target - position, 0), 0)
    qty = order_qtys(need, np.asarray(moq, dtype=np.int64), np.asarray(pack, dtype=np.int64))
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(sells, np.maximum(available, 0) / np.where(sells, d, 1.0), np.nan)
    slack = np.where(sells, cover - lead, np.inf)
    urgency = np.select(
        [sells & (available <= 0), sells & (available < d * lead), due],
        [0, 1, 2],
        default=3,
    )
    return Plan(safety, from_catalog, reorder_point, position, target, need, qty, cover, slack, urgency)


SLOW, OVERSTOCK = "slow_moving", "overstock"


def stock_health(
    *, on_hand: np.ndarray, demand: np.ndarray, sold_recent: np.ndarray, overstock_days: int
) -> np.ndarray:
    """Per row: ``slow_moving`` (stock on hand, nothing sold in the recent window), ``overstock``
    (days of cover on hand above ``overstock_days``) or '' (neither)."""
    on_hand = np.asarray(on_hand)
    d = np.asarray(demand, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(d > 0, on_hand / np.where(d > 0, d, 1.0), np.inf)
    slow = (on_hand > 0) & (np.asarray(sold_recent) <= 0)
    over = (on_hand > 0) & ~slow & (cover > overstock_days)
    return np.where(slow, SLOW, np.where(over, OVERSTOCK, ""))


def suggest(
    history: np.ndarray,
    *,
    lead: np.ndarray,
    catalog_safety: np.ndarray,
    on_hand: np.ndarray,
    available: np.ndarray,
    open_po: np.ndarray,
    in_transit: np.ndarray,
    moq: np.ndarray,
    pack: np.ndarray,
    target_days: int,
    overstock_days: int,
    recent_days: int = 30,
):
    """The whole computation for every row at once: forecast, plan and stock health.
    Returns (forecast.Forecast, Plan, health labels, units sold in the last ``recent_days``)."""
    f = forecast(history)
    p = plan(
        demand=f.daily,
        sigma=f.sigma,
        lead=lead,
        catalog_safety=catalog_safety,
        available=available,
        open_po=open_po,
        in_transit=in_transit,
        moq=moq,
        pack=pack,
        target_days=target_days,
    )
    sold = history[:, -recent_days:].sum(axis=1)
    health = stock_health(on_hand=on_hand, demand=f.daily, sold_recent=sold, overstock_days=overstock_days)
    return f, p, health, sold


def _lookup(index: dict[int, int]) -> np.ndarray:
    """An array mapping ids to positions (-1 for ids not in ``index``)."""
    out = np.full(max(index, default=0) + 1, -1, dtype=np.int64)
    out[list(index)] = list(index.values())
    return out


def sales_matrix(
    sold: Sequence[tuple[int, int, int, int]], w_index: dict[int, int], s_index: dict[int, int], days: int
) -> np.ndarray:
    """Daily units sold as a (warehouses × SKUs, days) matrix, row ``w·len(SKUs) + s``, from rows
    (warehouse id, SKU id, day number, units) — read straight into one integer array; rows of the
    same warehouse, SKU and day add up."""
    n_s = len(s_index)
    history = np.zeros((len(w_index) * n_s, days))
    if not sold:
        return history
    a = np.fromiter(chain.from_iterable(sold), dtype=np.int64, count=4 * len(sold)).reshape(-1, 4)
    w_of, s_of = _lookup(w_index), _lookup(s_index)
    w_ok = (a[:, 0] >= 0) & (a[:, 0] < len(w_of))
    s_ok = (a[:, 1] >= 0) & (a[:, 1] < len(s_of))
    a = a[w_ok & s_ok & (a[:, 2] >= 0) & (a[:, 2] < days)]
    wi, si = w_of[a[:, 0]], s_of[a[:, 1]]
    keep = (wi >= 0) & (si >= 0)
    np.add.at(history, ((wi * n_s + si)[keep], a[keep, 2]), a[keep, 3].astype(np.float64))
    return history
