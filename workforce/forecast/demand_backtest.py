"""Rolling-origin backtest of the demand candidates, the nested choice per series, the gate against the naive
forecast and the split-conformal bands calibrated per horizon.

Why nested: choosing each series' model on the same origins it is then scored on flatters the choice (the
winner of six candidates on a few windows is partly the luckiest). The origins are therefore split: the choice
is made on the earlier ones (*selection* origins) and scored on the last ones (*holdout* origins), where it is
compared with the naive forecast. If the choices lose to naive there, overall, naive is what the estimator
uses for every series (:mod:`workforce.forecast.fallback`, ``naive_demand``).

Why conformal per horizon: a model's own interval is too narrow on staffing series, and one quantile pooled
over all horizons is too wide at one month and too narrow at a year. The score of a forecast is its absolute
error over the series' scale (the mean absolute one-step change of its window, the MASE scale), so that series
of every size pool; the band at horizon h is ``yhat +/- q_h x scale`` with ``q_h`` the split-conformal quantile
of the scores at horizon h of the active models on the holdout origins. Coverage is reported honestly: each
holdout origin is scored with the ``q_h`` of the *other* holdout origins. Beyond the backtest horizon ``q_h``
grows as a power of h fitted on the backtest's own ``q_h`` (exponent within :data:`BAND_GROWTH_BOUNDS`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workforce.forecast.demand_models import BASELINE, MODELS, Forecaster, Frequency, cpu_clock, cpu_spent

SELECTION, HOLDOUT = "selection", "holdout"
BAND_GROWTH_BOUNDS = (0.5, 1.0)
"""Exponent b of the band's growth beyond the backtest horizon, q_h = q_H (h / H)^b, fitted on the backtest's
q_1..q_H and kept within these bounds: 0.5 is a random walk's growth (the least a staffing level drifts), 1 a
trend error that grows with the horizon (the most the backtest can justify)."""
STRUCTURED = ("drift", "snaive", "ets", "arima")
"""The cheap candidates that model a trend or a season: Prophet (trend + yearly season, the costly one) is tried
on a series only where one of them beats naive on the selection origins, when ``prophet_screen`` is on."""
MIN_SCORES_PER_HORIZON = 4
"""Fewest holdout scores a horizon's quantile is read from; with fewer, the selection origins' scores of the
active models are added (less honest, said by ``metrics_['calibration']``)."""


def z_of(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0)


def conformal_q(scores: np.ndarray, level: float) -> float:
    """Split-conformal quantile: the ceil((n + 1) level)-th smallest score (1.5 x the largest when too few
    scores, NaN when none)."""
    s = np.sort(np.asarray(scores, dtype=float)[np.isfinite(scores)])
    n = len(s)
    if n == 0:
        return float("nan")
    k = math.ceil((n + 1) * level)
    return float(s[k - 1]) if k <= n else float(s[-1] * 1.5)


def cut_ends(n: int, horizon: int, step: int, min_train: int, n_origins: int) -> list[int]:
    """Ends (exclusive) of the training windows, oldest first: every ``step`` points back from ``n - horizon``,
    at least ``min_train`` points long, the ``n_origins`` most recent."""
    return list(range(n - horizon, min_train - 1, -step))[:n_origins][::-1]


def split_origins(ends: list[int], n_holdout: int) -> tuple[list[int], list[int], bool]:
    """Selection and holdout ends, and whether the choice is nested. At most half the origins are held out; with
    a single origin the choice is scored where it was made (not nested, said in the metrics)."""
    k = min(int(n_holdout), len(ends) // 2)
    if k == 0:
        return list(ends), list(ends), False
    return list(ends[:-k]), list(ends[-k:]), True


def _scale(train: np.ndarray) -> tuple[float, float]:
    """MASE scale (mean absolute one-step change) and the RMS of the one-step changes of a window."""
    d = np.diff(train)
    floor = max(float(np.mean(np.abs(train))) * 1e-3, 1e-6)
    if not len(d):
        return floor, floor
    return max(float(np.mean(np.abs(d))), floor), max(float(np.sqrt(np.mean(d ** 2))), floor)


def _frame(key, y, ds, horizon: int, forecasts: list[tuple[str, int, np.ndarray]], hold: list[int]) -> pd.DataFrame:
    """The backtest rows of one series from its ``(model, end, yhat)`` forecasts, in that order: one frame built
    once (a small frame per model and origin was most of the cost of the closed-form candidates)."""
    n = [len(y[e:e + horizon]) for _, e, _ in forecasts]
    scales = np.array([_scale(y[:e]) for _, e, _ in forecasts]).reshape(-1, 2)
    return pd.DataFrame({
        "series": key, "model": np.repeat(np.array([m for m, _, _ in forecasts], dtype=object), n),
        "cutoff": ds[np.repeat([e - 1 for _, e, _ in forecasts], n)],
        "role": np.repeat(np.array([_role(e, hold) for _, e, _ in forecasts], dtype=object), n),
        "horizon": np.concatenate([np.arange(1, k + 1) for k in n]),
        "observed": np.concatenate([y[e:e + horizon] for _, e, _ in forecasts]).astype(float),
        "predicted": np.concatenate([yhat[:k] for (_, _, yhat), k in zip(forecasts, n)]).astype(float),
        "scale": np.repeat(scales[:, 0], n), "sigma": np.repeat(scales[:, 1], n)})


def _selection_mase(y, horizon: int, forecasts: list[tuple[str, int, np.ndarray]], select: list[int]) -> float:
    """MASE of forecasts over the selection origins (NaN when one of them could not be forecast)."""
    err = [np.abs(y[e:e + horizon] - yhat[:len(y[e:e + horizon])]) / _scale(y[:e])[0]
           for _, e, yhat in forecasts if e in select]
    err = np.concatenate(err) if err else np.array([])
    return float(err.mean()) if len(err) and np.isfinite(err).all() else float("nan")


def series_job(key: str, y: np.ndarray, ds: pd.DatetimeIndex, freq: Frequency, plan: dict, params: dict) -> dict:
    """Backtest of one series and its choice (runs in a joblib worker; plain data out).

    Every candidate is forecast at every origin, except Prophet (the costly one, about 0.1 s of CPU a fit): at
    the selection origins only where the screen lets it through (``params['prophet_screen']``: a trend or a
    season, :data:`STRUCTURED`, beats naive there by the margin a choice needs; otherwise the series behaves as a
    random walk over those windows and a trend-plus-season model has little to add), at the holdout origins only
    where it was chosen.
    The choice is the lowest MASE over the selection origins, kept only if it beats naive's by at least
    ``params['min_gain']`` (a relative margin: a candidate that wins by a hair on a few windows is mostly lucky,
    and naive is the safer bet); a candidate that cannot forecast one of the origins sits out."""
    start = cpu_clock()
    H, select, hold = plan["horizon"], plan["select"], plan["holdout"]
    models = [m for m in MODELS if m in params["models"]]
    forecasts, mase = [], {}
    screened = False
    ends_all = sorted(set(select) | set(hold))
    for model in models:
        if model == "prophet" and params.get("prophet_screen", True):
            bar = mase.get(BASELINE, np.nan) * (1.0 - float(params.get("min_gain", 0.0)))
            if not any(np.isfinite(mase.get(m, np.nan)) and mase[m] <= bar for m in STRUCTURED):
                screened = True
                mase[model] = float("nan")
                continue
        f = Forecaster(model, freq, params)
        ends = select if model == "prophet" else ends_all
        own = [(model, e, f.forecast(y[:e], ds[:e], H)) for e in ends]
        mase[model] = _selection_mase(y, H, own, select)
        forecasts += own
    finite = {m: v for m, v in mase.items() if np.isfinite(v)}
    chosen = min(finite, key=lambda m: (finite[m], MODELS.index(m))) if finite else BASELINE
    base = finite.get(BASELINE)
    if chosen != BASELINE and base is not None and finite[chosen] > base * (1.0 - float(params.get("min_gain", 0.0))):
        chosen = BASELINE
    if chosen == "prophet":
        extra = [e for e in hold if e not in select]
        if extra:
            f = Forecaster("prophet", freq, params)
            forecasts += [("prophet", e, f.forecast(y[:e], ds[:e], H)) for e in extra]
    bt = _frame(key, y, ds, H, forecasts, hold)
    if not plan["nested"]:
        bt["role"] = HOLDOUT
    return {"key": key, "backtest": bt, "mase": mase, "chosen": chosen, "screened": screened,
            "cpu": cpu_spent(start)}


def _role(end: int, hold: list[int]) -> str:
    return HOLDOUT if end in hold else SELECTION


def holdout_mase(bt: pd.DataFrame, model_of: dict) -> pd.Series:
    """Per-series MASE over the holdout origins of the model ``model_of[series]``."""
    sel = bt[(bt["role"] == HOLDOUT) & (bt["model"].to_numpy() == bt["series"].map(model_of).to_numpy())]
    return (np.abs(sel["observed"] - sel["predicted"]) / sel["scale"]).groupby(sel["series"]).mean()


def calibrate(bt: pd.DataFrame, model_of: dict, level: float, horizon: int) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Conformal bands of the models ``model_of`` (series -> model) on the backtest.

    Returns the rows of those models with ``lower, upper, covered`` (each holdout origin with the ``q_h`` of the
    other holdout origins; selection rows with the ``q_h`` of the holdout ones) and ``lower_raw, upper_raw,
    covered_raw`` (a random walk's band from the window's one-step changes), the final ``q_h`` (h = 1..horizon)
    and which origins calibrated it."""
    rows = bt[bt["model"].to_numpy() == bt["series"].map(model_of).to_numpy()].copy()
    z = z_of(level)
    rows["score"] = np.abs(rows["observed"] - rows["predicted"]) / rows["scale"]
    raw = z * rows["sigma"] * np.sqrt(rows["horizon"])
    rows["lower_raw"], rows["upper_raw"] = rows["predicted"] - raw, rows["predicted"] + raw
    rows["covered_raw"] = (rows["observed"] >= rows["lower_raw"]) & (rows["observed"] <= rows["upper_raw"])
    hold = rows[rows["role"] == HOLDOUT]
    how = "holdout"
    q_final = np.full(horizon, np.nan)
    for h in range(1, horizon + 1):
        s = hold.loc[hold["horizon"] == h, "score"].to_numpy()
        if len(s) < MIN_SCORES_PER_HORIZON:
            s = rows.loc[rows["horizon"] == h, "score"].to_numpy()
            how = "holdout+selection"
        q_final[h - 1] = conformal_q(s, level)
    q_final = _monotone(q_final, z)
    q_row = np.full(len(rows), np.nan)
    cutoffs = sorted(hold["cutoff"].unique())
    for c in cutoffs:
        others = hold[hold["cutoff"] != c]
        if others.empty:  # one holdout origin: its band comes from the selection origins
            others = rows[rows["role"] != HOLDOUT]
        qc = _monotone(np.array([conformal_q(others.loc[others["horizon"] == h, "score"].to_numpy(), level)
                                 for h in range(1, horizon + 1)]), z)
        at = (rows["role"] == HOLDOUT).to_numpy() & (rows["cutoff"] == c).to_numpy()
        q_row[at] = qc[rows.loc[at, "horizon"].to_numpy() - 1]
    sel = (rows["role"] != HOLDOUT).to_numpy()
    q_row[sel] = q_final[rows.loc[sel, "horizon"].to_numpy() - 1]
    rows["lower"] = rows["predicted"] - q_row * rows["scale"]
    rows["upper"] = rows["predicted"] + q_row * rows["scale"]
    rows["covered"] = (rows["observed"] >= rows["lower"]) & (rows["observed"] <= rows["upper"])
    return rows.drop(columns="score"), q_final, how


def _monotone(q: np.ndarray, fallback: float) -> np.ndarray:
    """Quantiles by horizon made usable: a missing one takes the previous (or ``fallback``), and a band never
    narrows as the horizon grows (a later horizon cannot be known better than an earlier one)."""
    q = np.asarray(q, dtype=float).copy()
    prev = fallback
    for i in range(len(q)):
        if not np.isfinite(q[i]):
            q[i] = prev
        prev = q[i]
    return np.maximum.accumulate(q)


def extend_q(q: np.ndarray, steps: int) -> np.ndarray:
    """``q_h`` for h = 1..steps: the backtest's own up to its horizon, then ``q_H (h / H)^b`` with b fitted on
    log q_h against log h and kept within :data:`BAND_GROWTH_BOUNDS`."""
    H = len(q)
    h = np.arange(1, H + 1)
    ok = q > 0
    b = float(np.polyfit(np.log(h[ok]), np.log(q[ok]), 1)[0]) if ok.sum() >= 2 else BAND_GROWTH_BOUNDS[0]
    b = float(np.clip(b, *BAND_GROWTH_BOUNDS))
    out = np.empty(steps)
    out[: min(H, steps)] = q[: min(H, steps)]
    if steps > H:
        out[H:] = q[-1] * (np.arange(H + 1, steps + 1) / H) ** b
    return out
