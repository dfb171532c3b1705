"""Demand baseline: famille fallback, backtest against naive rivals, conformal bands, JSON round trip."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from workforce.forecast import demand as D

SMALL = dict(n_origins=3, horizon_months=12, min_train=36, max_horizon_months=48, uncertainty_samples=100,
             min_months=36, min_mean=5.0)


def _history(n=84, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2018-01-31", periods=n, freq="ME")
    t = np.arange(n)
    series = {
        "TREND": 100 + 0.4 * t + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1.0, n),
        "RW": 60 + np.cumsum(rng.normal(0, 1.5, n)),
        "SP1": np.where(rng.random(n) < 0.5, 1.0, 0.0) * 2,
        "SP2": 3 + rng.normal(0, 0.3, n),
    }
    return pd.concat([pd.DataFrame({"ds": ds, "metier_code": k, "y": v}) for k, v in series.items()],
                     ignore_index=True)


FAMILLES = {"TREND": "T", "RW": "R", "SP1": "F", "SP2": "F"}


@pytest.fixture(scope="module")
def fitted():
    return D.DemandBaseline(**SMALL).fit(_history(), FAMILLES)


def test_contract_and_validation():
    est = D.DemandBaseline(level=0.9, n_jobs=2)
    assert clone(est).get_params()["level"] == 0.9
    with pytest.raises(ValueError, match="level"):
        D.DemandBaseline(level=1.5).fit(_history(), FAMILLES)
    with pytest.raises(ValueError, match="lacks column"):
        D.DemandBaseline().fit(_history().rename(columns={"y": "etp"}))


def test_levels_models_and_metrics(fitted):
    s = fitted.series_.set_index("metier_code")
    assert s.loc["TREND", "level"] == "metier" and s.loc["RW", "level"] == "metier"
    assert s.loc["SP1", "level"] == "famille" and s.loc["SP1", "series"] == "famille:F"
    assert s.loc["SP1", "share"] + s.loc["SP2", "share"] == pytest.approx(1.0)
    for code, row in s.iterrows():
        assert row["model"] in D.MODELS
        best = min(D.MODELS, key=lambda m: row[f"mase_{m}"])
        assert row["model"] == best
        if row["model"] != "prophet":
            assert "prophet loses" in row["reason"]
        assert 0 <= row["coverage_raw"] <= 1 and 0 <= row["coverage_conformal"] <= 1
    m = fitted.metrics_
    assert m["series"] == 3 and sum(m["models_chosen"].values()) == 3
    for key in ("mase_prophet", "mase_naive", "mase_snaive", "mase_chosen", "coverage_raw_prophet",
                "coverage_conformal_chosen"):
        assert np.isfinite(m[key])
    assert m["mase_chosen"] <= min(m["mase_prophet"], m["mase_naive"], m["mase_snaive"]) + 1e-9


def test_backtest_frame_is_honest(fitted):
    bt = fitted.backtest_
    assert list(bt.columns[: len(D.BACKTEST_COLUMNS)]) == list(D.BACKTEST_COLUMNS)
    assert set(bt["model"]) == set(D.MODELS) and bt["cutoff"].nunique() == 3
    assert bt["horizon"].between(1, 12).all()
    np.testing.assert_array_equal(bt["covered"], (bt["observed"] >= bt["lower"]) & (bt["observed"] <= bt["upper"]))
    # every cut-off is forecast from data up to the cut-off only: its first horizon is the next month
    last = _history()["ds"].max()
    assert (bt["cutoff"] < last).all()


def test_conformal_quantile_covers_the_level():
    rng = np.random.default_rng(0)
    hits = []
    for _ in range(400):
        scores = np.abs(rng.standard_t(3, size=41))
        q = D._conformal_q(scores[:40], 0.8)
        hits.append(scores[40] <= q)
    assert 0.74 < np.mean(hits) < 0.9
    assert np.isnan(D._conformal_q(np.array([]), 0.8))


def test_annual_and_predict(fitted):
    a = fitted.annual(3)
    assert set(a["metier_code"]) == {"TREND", "RW", "SP1", "SP2"} and len(a) == 12
    assert (a["demand"] >= 0).all() and (a["lower"] <= a["demand"] + 1e-9).all()
    assert (a["upper"] >= a["demand"] - 1e-9).all()
    assert list(a[a["metier_code"] == "TREND"]["year"]) == [2025, 2026, 2027]
    fam = a[a["metier_code"].isin(["SP1", "SP2"])]
    np.testing.assert_allclose(fam.groupby("year")["index"].nunique(), 1)  # one famille index for both
    p = fitted.predict(6)
    assert len(p) == 24 and set(p.columns) >= {"ds", "metier_code", "yhat", "lower", "upper", "model", "level"}
    with pytest.raises(ValueError, match="beyond"):
        fitted.annual(10)


def test_json_round_trip(fitted):
    text = fitted.to_json()
    back = D.DemandBaseline.from_json(text)
    pd.testing.assert_frame_equal(back.annual(3), fitted.annual(3))
    assert back.metrics_ == fitted.metrics_ and back.get_params() == fitted.get_params()
    if fitted.prophet_json_:
        from prophet.serialize import model_from_json

        model_from_json(next(iter(back.prophet_json_.values())))
    with pytest.raises(ValueError):
        D.DemandBaseline.from_json('{"format": "other"}')


def test_monthly_etp_and_training_hook():
    snaps = pd.DataFrame({
        "extract_date": pd.to_datetime(["2024-01-31", "2024-01-31", "2024-03-31", "2024-03-15"]),
        "metier_code": ["A", "B", "A", "A"], "quotite": [1.0, 0.5, 0.8, 9.0]})
    h = D.monthly_etp(snaps)
    assert len(h) == 4  # 2 months with an extract x 2 métiers; February has none: unknown, not zero
    assert h[(h["metier_code"] == "A") & (h["ds"] == "2024-03-31")]["y"].item() == 0.8  # last extract of March
    assert h[(h["metier_code"] == "B") & (h["ds"] == "2024-03-31")]["y"].item() == 0.0  # in an extract, nobody
    hist = _history(60)
    data = SimpleNamespace(
        headcount=hist.rename(columns={"ds": "extract_date", "y": "etp"}).assign(direction="D1"),
        metiers=pd.DataFrame({"code": list(FAMILLES), "famille": list(FAMILLES.values())}))
    import workforce.forecast.demand as mod
    orig = mod.DemandBaseline
    mod.DemandBaseline = lambda **kw: orig(**{**SMALL, "n_origins": 1, **kw})
    try:
        est, metrics, primary, direction = D.fit_and_backtest(data, n_jobs=1)
    finally:
        mod.DemandBaseline = orig
    assert primary == "mase_chosen" and direction == "min" and np.isfinite(metrics["mase_chosen"])
    assert all(isinstance(v, float) for v in metrics.values())
