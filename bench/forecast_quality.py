"""Forecast quality on a held-out tail: the chosen model against the naive last value.

Generates daily sales (the same generator as ``bench/replenishment.py``: weekly seasonality of
varying strength, intermittent and newly launched SKUs) for 180 + 28 days, forecasts the last 28
days from the first 180 — each series' model chosen by its own backtest inside those 180 days,
never looking at the tail — and scores the forecast on the tail. Also shows each candidate model
used for every series, for context.

    .venv/bin/python bench/forecast_quality.py            # 10,000 series
    .venv/bin/python bench/forecast_quality.py --smoke    # 1,000 series
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from replenishment import sales

from omnistock.purchasing import forecast

TAIL = 28


def scores(actual: np.ndarray, pred: np.ndarray) -> str:
    wmape = np.abs(pred - actual).sum() / actual.sum()
    return (
        f"MAPE {forecast.mape(actual, pred):6.1%}  sMAPE {forecast.smape(actual, pred):6.1%}  "
        f"wMAPE {wmape:6.1%}  MAE {np.abs(pred - actual).mean():.3f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--series", type=int, default=10_000)
    p.add_argument("--smoke", action="store_true", help="1,000 series")
    p.add_argument("--seed", type=int, default=2)
    a = p.parse_args()
    n = 1_000 if a.smoke else a.series
    y = sales(n, 180 + TAIL, np.random.default_rng(a.seed))
    train, tail = y[:, :-TAIL], y[:, -TAIL:]
    t0 = time.perf_counter()
    f = forecast.forecast(train, horizon=TAIL)
    took = time.perf_counter() - t0
    chosen = np.bincount(f.model, minlength=len(forecast.MODELS))
    print(f"{n:,} series: 180 days to learn from, the next {TAIL} days held out ({took:.2f} s)")
    print(
        "chosen per series: "
        + ", ".join(f"{m} {k:,}" for m, k in zip(forecast.MODELS, chosen.tolist(), strict=True))
    )
    print(f"{'chosen model':<14}" + scores(tail, f.path))
    print(f"{'naive (last)':<14}" + scores(tail, forecast.naive(train, TAIL)))
    for i, name in enumerate(forecast.MODELS):
        print(f"{'all ' + name:<14}" + scores(tail, forecast.predict(train, TAIL)[i]))


if __name__ == "__main__":
    main()
