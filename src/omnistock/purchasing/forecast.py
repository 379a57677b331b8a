"""Daily demand forecasting for every (warehouse, SKU) series at once (pure; NumPy only).

``history`` is a float matrix, one row per series and one column per day (oldest first), of units
sold. Each candidate model forecasts every row in a handful of vector operations per day of
history, so 40,000 series of 180 days take a fraction of a second:

* ``ma7`` / ``ma28`` — the mean of the last 7 / 28 days;
* ``ses`` — simple exponential smoothing (α = 0.3);
* ``seasonal`` — additive Holt-Winters without trend, weekly season (α = 0.2, γ = 0.2), only for
  series with at least four weeks of training history.

The model of each series is chosen by its error on the last ``holdout`` days of history (a
backtest: fitted on what came before, forecasting those days); the chosen model is then refitted
on the whole history. ``naive`` (the last value, repeated) is the baseline every figure is
compared with, never a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEASON = 7
MODELS = ("ma7", "ma28", "ses", "seasonal")
NAIVE = "naive"
SES_ALPHA = 0.3
HW_ALPHA = 0.2
HW_GAMMA = 0.2
MIN_SEASONAL_DAYS = 4 * SEASON


@dataclass(frozen=True)
class Forecast:
    model: np.ndarray  # (N,) index into MODELS of the chosen model
    daily: np.ndarray  # (N,) mean forecast demand per day over the horizon
    path: np.ndarray  # (N, horizon) the chosen model's forecast, day by day
    mae: np.ndarray  # (N,) the chosen model's mean absolute error in the backtest
    wmape: np.ndarray  # (N,) Σ|error| / Σ actual in the backtest (nan when nothing was sold)
    sigma: np.ndarray  # (N,) root mean square error in the backtest (for safety stock)
    naive_mae: np.ndarray  # (N,) the naive baseline's mean absolute error in the backtest

    def model_names(self) -> list[str]:
        return [MODELS[i] for i in self.model.tolist()]


def _repeat(level: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(level[:, None], horizon, axis=1)


def naive(y: np.ndarray, horizon: int) -> np.ndarray:
    return _repeat(y[:, -1], horizon)


def moving_average(y: np.ndarray, horizon: int, window: int) -> np.ndarray:
    return _repeat(y[:, -min(window, y.shape[1]) :].mean(axis=1), horizon)


def ses(y: np.ndarray, horizon: int, alpha: float = SES_ALPHA) -> np.ndarray:
    level = y[:, 0].copy()
    for t in range(1, y.shape[1]):
        level += alpha * (y[:, t] - level)
    return _repeat(level, horizon)


def seasonal(y: np.ndarray, horizon: int, alpha: float = HW_ALPHA, gamma: float = HW_GAMMA) -> np.ndarray:
    """Additive Holt-Winters without trend, season ``SEASON``; needs ≥ 4 seasons of history.
    Initial level and seasonal indices come from the first four weeks."""
    n, t_len = y.shape
    if t_len < MIN_SEASONAL_DAYS:
        return np.full((n, horizon), np.nan)
    first = y[:, :MIN_SEASONAL_DAYS]
    level = first.mean(axis=1)
    season = first.reshape(n, MIN_SEASONAL_DAYS // SEASON, SEASON).mean(axis=1) - level[:, None]
    for t in range(t_len):
        j = t % SEASON
        new_level = level + alpha * (y[:, t] - season[:, j] - level)
        season[:, j] += gamma * (y[:, t] - new_level - season[:, j])
        level = new_level
    steps = (t_len + np.arange(horizon)) % SEASON
    return np.maximum(level[:, None] + season[:, steps], 0.0)


def predict(y: np.ndarray, horizon: int) -> np.ndarray:
    """Every candidate's forecast: shape (len(MODELS), N, horizon); nan where a model cannot run."""
    return np.stack(
        [
            moving_average(y, horizon, 7),
            moving_average(y, horizon, 28),
            ses(y, horizon),
            seasonal(y, horizon),
        ]
    )


def mae(actual: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return np.abs(pred - actual).mean(axis=-1)


def wmape(actual: np.ndarray, pred: np.ndarray) -> np.ndarray:
    sold = actual.sum(axis=-1)
    err = np.abs(pred - actual).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sold > 0, err / np.where(sold > 0, sold, 1), np.nan)


def mape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute percentage error over the days something was sold (all series together)."""
    sold = actual > 0
    return float(np.mean(np.abs(pred[sold] - actual[sold]) / actual[sold])) if sold.any() else float("nan")


def smape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric MAPE, 2|e| / (|a| + |p|), over the days either is non-zero (all series together)."""
    den = np.abs(actual) + np.abs(pred)
    used = den > 0
    return float(np.mean(2 * np.abs(pred[used] - actual[used]) / den[used])) if used.any() else float("nan")


MIN_HOLDOUT = 7


def forecast(history: np.ndarray, *, horizon: int = 28, holdout: int = 28) -> Forecast:
    """Choose a model per series by its backtest on the last ``holdout`` days (at most a third of
    the history), then forecast ``horizon`` days from the whole history with it. With fewer than
    three weeks of history there is no backtest: ``ma7`` is used and the errors are nan."""
    y = np.asarray(history, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError("history must be a non-empty (series, days) matrix")
    n, t_len = y.shape
    holdout = min(holdout, t_len // 3)
    if holdout < MIN_HOLDOUT:
        path = moving_average(y, horizon, 7)
        nan = np.full(n, np.nan)
        return Forecast(np.zeros(n, dtype=np.int64), path.mean(axis=1), path, nan, nan, nan, nan)
    train, test = y[:, :-holdout], y[:, -holdout:]
    backtest = predict(train, holdout)
    errors = np.where(np.isnan(backtest).any(axis=2), np.inf, mae(test[None], backtest))
    chosen = errors.argmin(axis=0)
    rows = np.arange(n)
    chosen_pred = backtest[chosen, rows]
    full = predict(y, horizon)[chosen, rows]
    return Forecast(
        model=chosen,
        daily=full.mean(axis=1),
        path=full,
        mae=errors[chosen, rows],
        wmape=wmape(test, chosen_pred),
        sigma=np.sqrt(((chosen_pred - test) ** 2).mean(axis=1)),
        naive_mae=mae(test, naive(train, holdout)),
    )
