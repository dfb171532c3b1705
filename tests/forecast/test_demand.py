"""Demand baseline: famille fallback, the nested choice among the candidates, the gate against naive, conformal
bands per horizon, annual histories, seeded Prophet, JSON round trip."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from workforce.forecast import demand as D
from workforce.forecast import demand_backtest as BT
from workforce.forecast import demand_models as DM
from workforce.forecast import fallback as F

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
        assert row["chosen"] in D.MODELS and row["model"] in D.MODELS
        finite = {m: row[f"mase_{m}"] for m in D.MODELS if np.isfinite(row[f"mase_{m}"])}
        best = min(finite, key=lambda m: (finite[m], D.MODELS.index(m)))  # the choice, on the selection origins
        if finite[best] <= finite["naive"] * (1 - fitted.min_gain):
            assert row["chosen"] == best
        else:  # no candidate beats naive by the margin: naive is kept
            assert row["chosen"] == "naive"
        assert row["reason"] and ("MASE" in row["reason"])
        assert 0 <= row["coverage_raw"] <= 1 and 0 <= row["coverage_conformal"] <= 1
    m = fitted.metrics_
    assert m["series"] == 3 and sum(m["models_chosen"].values()) == 3 and m["nested"]
    assert m["origins_selection"] == 2 and m["origins_holdout"] == 1
    for key in (*[f"mase_select_{c}" for c in D.MODELS], "mase_chosen", "mase_naive", "mase_holdout_selected",
                "coverage_raw_chosen", "coverage_conformal_chosen"):
        assert np.isfinite(m[key]), key
    # the gate: the active models never lose to naive on the held-out origins
    assert m["mase_chosen"] <= m["mase_naive"] + 1e-12
    assert len(m["coverage_by_horizon"]) == 12 and np.isfinite(m["coverage_h12"])
    q = np.asarray(m["q_by_horizon"])
    assert len(q) == 12 and (np.diff(q) >= 0).all()  # calibrated per horizon, never narrowing


def test_backtest_frame_is_honest(fitted):
    bt = fitted.backtest_
    assert list(bt.columns[: len(D.BACKTEST_COLUMNS)]) == list(D.BACKTEST_COLUMNS)
    assert set(bt["role"]) == {"selection", "holdout"} and bt["cutoff"].nunique() == 3
    assert bt[bt["role"] == "holdout"]["cutoff"].max() == bt["cutoff"].max()  # the last origins are held out
    active = fitted.series_.drop_duplicates("series").set_index("series")["model"]
    assert (bt["model"].to_numpy() == bt["series"].map(active).to_numpy()).all()  # the active models' rows
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
        q = BT.conformal_q(scores[:40], 0.8)
        hits.append(scores[40] <= q)
    assert 0.74 < np.mean(hits) < 0.9
    assert np.isnan(BT.conformal_q(np.array([]), 0.8))


def test_band_growth_beyond_the_backtest_is_bounded():
    q = np.linspace(1.0, 3.0, 12)
    ext = BT.extend_q(q, 48)
    np.testing.assert_allclose(ext[:12], q)
    lo, hi = BT.BAND_GROWTH_BOUNDS
    assert q[-1] * 4 ** lo - 1e-9 <= ext[-1] <= q[-1] * 4 ** hi + 1e-9 and (np.diff(ext) >= 0).all()
    assert BT.split_origins([1, 2, 3, 4, 5, 6, 7], 3) == ([1, 2, 3, 4], [5, 6, 7], True)
    assert BT.split_origins([1, 2, 3], 3) == ([1, 2], [3], True)  # at most half held out
    assert BT.split_origins([4], 3) == ([4], [4], False)  # a single origin: not nested, said in the metrics


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
    assert back.get_params()["models"] == fitted.get_params()["models"]
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
    totals = metrics.pop("backtest")  # the held-out backtest summed over the series, for the reliability page
    assert totals and {"cutoff", "horizon", "observed", "predicted", "covered"} <= set(totals[0])
    assert all(isinstance(v, float) for v in metrics.values())


# ---------------------------------------------------------------------------------------------- the gate

def _noise_forecaster(monkeypatch, cheat_until=None):
    """Prophet replaced by a candidate that predicts noise; with ``cheat_until``, it reads the future on the
    windows ending before that date (so it wins the choice) and is noise after (so it loses the held-out score)."""
    original = DM.Forecaster.forecast
    truth = {}

    def forecast(self, y, ds, steps):
        if self.model != "prophet":
            return original(self, y, ds, steps)
        rng = np.random.default_rng(len(y))
        if cheat_until is not None and ds[-1] < cheat_until:
            full = truth["y"]
            return full[len(y):len(y) + steps].astype(float)
        return float(y[-1]) + rng.normal(0, 25.0, steps)

    monkeypatch.setattr(DM.Forecaster, "forecast", forecast)
    return truth


@pytest.mark.parametrize("cheat", [False, True])
def test_a_candidate_that_predicts_noise_is_not_activated(monkeypatch, cheat):
    rng = np.random.default_rng(5)
    n = 84
    ds = pd.date_range("2018-01-31", periods=n, freq="ME")
    y = 80 + np.cumsum(rng.normal(0, 1.0, n))
    hist = pd.DataFrame({"ds": ds, "metier_code": "A", "y": y})
    est = D.DemandBaseline(**{**SMALL, "n_origins": 5, "n_holdout": 2, "models": ("naive", "prophet"),
                              "prophet_screen": False})
    cut = ds[60] if cheat else None  # selection windows end before it, held-out ones after
    truth = _noise_forecaster(monkeypatch, cut)
    truth["y"] = y
    est.fit(hist, {"A": "F"})
    row = est.series_.iloc[0]
    assert row["chosen"] == ("prophet" if cheat else "naive")  # the cheat wins the choice, plain noise does not
    assert row["model"] == "naive" and est.forecasts_["A"][3] == "naive"  # naive is what the estimator uses
    assert est.metrics_["models_chosen"]["naive"] == 1 and est.metrics_["models_chosen"]["prophet"] == 0
    if cheat:
        assert est.fallback_["code"] == F.NAIVE_DEMAND
        assert "perdent contre la prévision naïve" in est.fallback_["reason"] and "MASE" in est.fallback_["reason"]
        assert est.metrics_["mase_holdout_selected"] > est.metrics_["mase_naive"]
        assert est.metrics_["mase_chosen"] == est.metrics_["mase_naive"]
        assert "prévision naïve" in row["reason"]
    else:
        assert est.fallback_ is None
    np.testing.assert_allclose(est.annual(3)["index"], 1.0)  # today's level carried forward
    assert not est.prophet_json_


def test_prophet_is_screened_on_a_random_walk(monkeypatch):
    """Where no cheap trend or season beats naive, Prophet (most of the training time) is not tried, and the
    reason says so."""
    rng = np.random.default_rng(8)
    ds = pd.date_range("2018-01-31", periods=84, freq="ME")
    hist = pd.DataFrame({"ds": ds, "metier_code": "A", "y": 80 + np.cumsum(rng.normal(0, 1.0, 84))})
    calls = []
    original = DM.Forecaster.forecast

    def spy(self, y, ds, steps):
        calls.append(self.model)
        return original(self, y, ds, steps)

    monkeypatch.setattr(DM.Forecaster, "forecast", spy)
    est = D.DemandBaseline(**{**SMALL, "models": ("naive", "snaive", "prophet")}).fit(hist, {"A": "F"})
    row = est.series_.iloc[0]
    if row["mase_snaive"] > row["mase_naive"] * (1 - est.min_gain):  # a random walk: no season to speak of
        assert "prophet" not in calls and np.isnan(row["mase_prophet"]) and "Prophet non essayé" in row["reason"]
        assert est.metrics_["prophet_screened"] == 1


# ---------------------------------------------------------------------------------------------- annual histories

def _annual(years=12, seed=7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end="2025-12-31", periods=years, freq="12ME")
    series = {"GROW": 100 + 4.0 * np.arange(years) + rng.normal(0, 1.5, years),
              "FLAT": 50 + np.cumsum(rng.normal(0, 2.0, years)),
              "TINY": 2 + rng.normal(0, 0.2, years)}
    return pd.concat([pd.DataFrame({"ds": ds, "metier_code": k, "y": v}) for k, v in series.items()],
                     ignore_index=True)


def test_twelve_annual_extracts_choose_a_model():
    hist = _annual()
    est = D.DemandBaseline(max_horizon_months=120, models=("naive", "drift", "snaive", "ets", "arima")).fit(
        hist, {"GROW": "G", "FLAT": "F", "TINY": "F"})
    m = est.metrics_
    assert est.frequency_ == "annual" and m["frequency"] == "annual" and m["nested"]
    assert m["origins_holdout"] == 3 and m["origins_selection"] == 3
    assert len(m["coverage_by_horizon"]) == 3
    assert not est.backtest_.empty and est.backtest_["cutoff"].dt.month.eq(12).all()
    s = est.series_.set_index("metier_code")
    assert s.loc["GROW", "chosen"] in ("drift", "ets", "arima")  # a steady growth is not carried flat
    assert est.fallback_ is None or "perdent contre" in est.fallback_["reason"]
    assert m["mase_chosen"] <= m["mase_naive"] + 1e-12  # no worse than naive
    a = est.annual(3)
    grow = a[a["metier_code"] == "GROW"]
    assert list(grow["year"]) == [2026, 2027, 2028]
    if s.loc["GROW", "model"] != "naive":
        assert grow["demand"].is_monotonic_increasing and grow["demand"].iloc[0] > hist["y"].iloc[11] - 5
    assert (a["lower"] <= a["demand"] + 1e-9).all() and (a["upper"] >= a["demand"] - 1e-9).all()
    back = D.DemandBaseline.from_json(est.to_json())
    pd.testing.assert_frame_equal(back.annual(3), a)
    p = est.predict(18)  # monthly values between the yearly points
    assert len(p) == 18 * 3 and np.isfinite(p["yhat"]).all()


def test_the_training_hook_on_annual_extracts(monkeypatch):
    hist = _annual()
    data = SimpleNamespace(headcount=hist.rename(columns={"ds": "extract_date", "y": "etp"}).assign(direction="D"),
                           metiers=pd.DataFrame({"code": ["GROW", "FLAT", "TINY"], "famille": ["G", "F", "F"]}))
    orig = D.DemandBaseline
    monkeypatch.setattr(D, "DemandBaseline",
                        lambda **kw: orig(**{"models": ("naive", "drift", "snaive", "ets"), **kw}))
    est, metrics, primary, direction = D.fit_and_backtest(data, n_jobs=1)
    assert est.frequency_ == "annual" and np.isfinite(metrics[primary]) and direction == "min"
    assert metrics[primary] <= metrics["mase_naive"] + 1e-12


# ---------------------------------------------------------------------------------------------- repeatability

def test_prophet_runs_repeat_exactly():
    rng = np.random.default_rng(11)
    n = 60
    ds = pd.date_range("2019-01-31", periods=n, freq="ME")
    y = 50 + 0.3 * np.arange(n) + 2 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 0.5, n)
    hist = pd.DataFrame({"ds": ds, "metier_code": "A", "y": y})
    kw = dict(SMALL, n_origins=2, n_holdout=1, min_train=36, models=("naive", "prophet"), uncertainty_samples=30,
              max_horizon_months=24, prophet_screen=False)
    a = D.DemandBaseline(**kw).fit(hist, {"A": "F"})
    np.random.seed(123)  # the caller's global state must not matter, nor be changed by the fit
    before = np.random.get_state()[1].copy()
    b = D.DemandBaseline(**kw).fit(hist, {"A": "F"})
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert a.series_.iloc[0]["chosen"] == "prophet"  # a trend with a season: Prophet's kind of series
    pd.testing.assert_frame_equal(a.predict(24), b.predict(24))
    pd.testing.assert_frame_equal(a.backtest_, b.backtest_)


def test_every_prophet_fit_uses_one_optimiser():
    """Prophet picks Newton under 100 points and L-BFGS from 100 on: the backtest windows and the final fit of a
    ten-year history would be fitted by two optimisers. Every fit uses :data:`DM.PROPHET_ALGORITHM`, seeded."""
    params = {"uncertainty_samples": 0, "changepoint_prior_scale": 0.05, "random_state": 4}
    for n in (60, 120):  # a backtest window, a whole history
        ds = pd.date_range("2016-01-31", periods=n, freq="ME")
        y = 50 + 0.2 * np.arange(n) + 2 * np.sin(2 * np.pi * np.arange(n) / 12)
        config = DM.prophet_fit(y, ds, DM.MONTHLY, params).stan_backend.stan_fit.metadata.cmdstan_config
        assert config["algorithm"] == DM.PROPHET_ALGORITHM.lower() and config["seed"] == 4
