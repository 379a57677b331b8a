"""Demand forecasting over many series at once: the model chosen by backtest."""

from __future__ import annotations

import numpy as np
import pytest

from omnistock.purchasing import forecast

WEEK = np.array([0.6, 0.8, 1.0, 1.0, 1.1, 1.6, 1.9])


def test_seasonal_series_choose_the_seasonal_model():
    rng = np.random.default_rng(7)
    t = np.arange(180)
    y = rng.poisson(np.tile(30 * WEEK[t % 7], (100, 1))).astype(float)
    f = forecast.forecast(y)
    names = f.model_names()
    assert names.count("seasonal") >= 90
    # and the chosen model beats the naive last value in the backtest, on average
    assert f.mae.mean() < f.naive_mae.mean()
    # the forecast path keeps the weekly shape: weekend days above midweek days
    assert f.path[:, :7].std(axis=1).mean() > 3


def test_flat_noise_chooses_a_moving_average_most_often():
    rng = np.random.default_rng(11)
    y = rng.poisson(10, (400, 180)).astype(float)
    f = forecast.forecast(y)
    counts = {m: f.model_names().count(m) for m in forecast.MODELS}
    assert max(counts, key=counts.get) == "ma28"
    assert counts["ma7"] + counts["ma28"] > 0.6 * 400
    assert np.allclose(f.daily.mean(), 10, atol=0.5)


def test_constant_series_forecast_exactly():
    y = np.full((3, 60), 4.0)
    f = forecast.forecast(y)
    assert np.allclose(f.daily, 4.0)
    assert np.allclose(f.mae, 0.0)
    assert np.allclose(f.wmape, 0.0)


def test_short_history_falls_back_to_ma7_without_backtest():
    y = np.array([[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
    f = forecast.forecast(y)
    assert f.model_names() == ["ma7"]
    assert f.daily[0] == pytest.approx(7.0)
    assert np.isnan(f.mae[0])


def test_no_sales_forecasts_zero_and_wmape_is_undefined():
    f = forecast.forecast(np.zeros((2, 90)))
    assert np.all(f.daily == 0)
    assert np.all(np.isnan(f.wmape))


def test_seasonal_needs_four_weeks():
    assert np.isnan(forecast.seasonal(np.ones((1, 27)), 7)).all()
    assert not np.isnan(forecast.seasonal(np.ones((1, 28)), 7)).any()


def test_error_measures():
    a = np.array([[10.0, 0.0, 5.0]])
    p = np.array([[8.0, 1.0, 5.0]])
    assert forecast.mape(a, p) == pytest.approx((0.2 + 0.0) / 2)
    assert forecast.smape(a, p) == pytest.approx((2 * 2 / 18 + 2 * 1 / 1 + 0) / 3)
    assert forecast.wmape(a, p)[0] == pytest.approx(3 / 15)


def test_bad_history_is_refused():
    with pytest.raises(ValueError):
        forecast.forecast(np.zeros(10))
