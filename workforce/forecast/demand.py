"""Demand baseline: monthly ETP per métier forecast by Prophet, checked against naive rivals, with
split-conformal bands.

Why: the projection compares the supply of agents with the demand for them. Without a staffing plan, the
baseline demand of a métier is the trend of its own staffing (monthly ETP from the snapshots), which the
planner then bends with overlays (growth, targets, the skills module's transformation factors; see
:mod:`workforce.scenario`).

Method, per series:

1. Level. A métier with fewer than ``min_months`` staffed months or a mean under ``min_mean`` ETP is too short or
   too sparse to model alone: it is forecast at its famille's level (the famille total) and gets its share of
   the last twelve months (column ``level``: ``metier`` or ``famille``).
2. Backtest on rolling origins: cut-offs every ``origin_step`` months, the last one ``horizon_months`` before
   the end, each forecasting the next ``horizon_months``; three models: Prophet (yearly seasonality),
   naive (last value) and seasonal naive (same month a year before).
3. MASE of each model: mean absolute error over the backtest, scaled by the in-sample mean absolute one-step
   change of the training window of each cut-off. The model with the lowest MASE is kept for the series
   (column ``model``); where Prophet loses, the output says so (``reason``).
4. Fallback. A history shorter than ``min_train + horizon_months`` months has no backtest cut-off: every
   series is forecast naive (last value carried forward, the band of a random walk whose monthly step is the
   observed one), a métier staffed in every observed month keeps its own series, and the estimator records
   :data:`workforce.forecast.fallback.NAIVE_DEMAND` in ``fallback_`` (the registry shows it). So do extracts
   further apart than a month (an annual extract): months without an extract are unknown, not zero; a gap of
   at most ``max_gap_months`` months is interpolated, a longer one makes the history *sparse* (naive on the
   observed points, the step scaled by the months between them).
5. Bands. Prophet's own intervals are over-confident on employment series, so each series' band is
   recalibrated on its own backtest errors (split-conformal, normalised scores): score = |y - yhat| / w(h),
   w(h) the raw half-width at horizon h (Prophet's interval; sigma x sqrt(h) for the naive models); the band is
   yhat +/- q w(h) with q the conformal quantile of the scores at ``level``. Coverage is reported before (raw)
   and after (conformal, each cut-off scored with a q learned on the other cut-offs, so it is honest).
   Beyond the backtest horizon the band keeps the raw width's growth, rescaled by the same q.

The fitted estimator keeps its forecasts up to ``max_horizon_months`` (so predicting needs no Prophet), the
final Prophet models as JSON (``prophet.serialize``), the backtest frame and the per-series metrics.
"""

from __future__ import annotations

import json
import logging
import math
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce.columns import FAMILLE, METIER_CODE
from workforce.forecast.fallback import NAIVE_DEMAND, Fallback

DS, Y = "ds", "y"
MODELS = ("prophet", "naive", "snaive")
BACKTEST_COLUMNS = ("series", "model", "cutoff", "horizon", "observed", "predicted", "lower", "upper", "covered",
                    "lower_raw", "upper_raw", "covered_raw")
_Z80 = 1.2815515655446004  # standard normal quantile 0.9


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0)


# ------------------------------------------------------------------------------------------ history

def monthly_etp(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Monthly ETP per métier from snapshots: ``ds`` (month end), ``metier_code``, ``y`` (sum of quotités).

    The last extract of each month represents it; in a month with an extract, a métier with nobody counts as
    0 ETP. A month without any extract is left out (unknown, not zero: see :meth:`DemandBaseline.fit`).
    """
    q = (pd.to_numeric(snapshots["quotite"], errors="coerce").fillna(1.0) if "quotite" in snapshots.columns
         else pd.Series(1.0, index=snapshots.index))
    agg = (pd.DataFrame({"extract_date": pd.to_datetime(snapshots["extract_date"]).to_numpy(),
                         METIER_CODE: snapshots[METIER_CODE].to_numpy(object), "etp": q.to_numpy()})
           .groupby(["extract_date", METIER_CODE])["etp"].sum().reset_index())
    return monthly_etp_from_headcount(agg)


def load_monthly_etp(engine) -> pd.DataFrame:
    """:func:`monthly_etp` computed in the database (one aggregate query, not a million rows)."""
    from sqlalchemy import func, select

    from workforce import db

    S = db.AgentSnapshot
    stmt = (select(S.extract_date, S.metier_code, func.sum(func.coalesce(S.quotite, 1.0)).label("etp"))
            .group_by(S.extract_date, S.metier_code))
    agg = db.read_frame(engine, stmt)
    if agg.empty:
        return pd.DataFrame({DS: pd.Series(dtype="datetime64[ns]"), METIER_CODE: pd.Series(dtype=object),
                             Y: pd.Series(dtype=float)})
    return monthly_etp_from_headcount(agg)


# ------------------------------------------------------------------------------------------ models

def _quiet_prophet():
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger(name).propagate = False


def _prophet_fit(y: np.ndarray, ds: pd.DatetimeIndex, level: float, samples: int, cps: float):
    from prophet import Prophet

    _quiet_prophet()  # after the import: cmdstanpy sets its logger up when imported

    m = Prophet(yearly_seasonality=len(y) >= 24, weekly_seasonality=False, daily_seasonality=False,
                interval_width=level, uncertainty_samples=samples, changepoint_prior_scale=cps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Prophet's own pandas deprecations
        warnings.simplefilter("ignore", DeprecationWarning)
        m.fit(pd.DataFrame({DS: ds, Y: y}))
    return m


def _prophet_forecast(model, last: pd.Timestamp, steps: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    future = pd.DataFrame({DS: pd.date_range(last + pd.offsets.MonthEnd(1), periods=steps, freq="ME")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        f = model.predict(future)
    yhat = f["yhat"].to_numpy()
    half = (f["yhat_upper"].to_numpy() - f["yhat_lower"].to_numpy()) / 2.0
    # width per unit of the level's z, so the conformal score compares across models
    return yhat, np.maximum(half / _z(level), 1e-9)


def _naive_forecast(y: np.ndarray, steps: int, seasonal: bool,
                    gaps: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Naive (last value) or seasonal naive forecast and its raw width; ``gaps`` (months between consecutive
    values, sparse histories) scales each observed step to a monthly one."""
    h = np.arange(1, steps + 1)
    if gaps is not None:
        yhat = np.full(steps, y[-1], dtype=float)
        d = np.diff(y) / np.sqrt(np.maximum(gaps, 1))
        sigma = float(np.sqrt(np.mean(d**2))) if len(d) else 0.0
        width = sigma * np.sqrt(h)
    elif seasonal and len(y) >= 24:
        last_year = y[-12:]
        yhat = last_year[(h - 1) % 12]
        d = y[12:] - y[:-12]
        sigma = float(np.sqrt(np.mean(d**2))) if len(d) else 0.0
        width = sigma * np.sqrt(np.ceil(h / 12.0))
    else:
        yhat = np.full(steps, y[-1], dtype=float)
        d = np.diff(y)
        sigma = float(np.sqrt(np.mean(d**2))) if len(d) else 0.0
        width = sigma * np.sqrt(h)
    floor = 1e-3 * max(float(np.mean(np.abs(y))), 1.0)
    return yhat.astype(float), np.maximum(width, floor)


def _forecast(model: str, y: np.ndarray, ds: pd.DatetimeIndex, steps: int, level: float, samples: int, cps: float,
              keep_model: bool = False, gaps: np.ndarray | None = None):
    if model == "prophet":
        fitted = _prophet_fit(y, ds, level, samples, cps)
        yhat, width = _prophet_forecast(fitted, ds[-1], steps, level)
        return yhat, width, (fitted if keep_model else None)
    yhat, width = _naive_forecast(y, steps, seasonal=(model == "snaive"), gaps=gaps)
    return yhat, width, None


def _conformal_q(scores: np.ndarray, level: float) -> float:
    """Split-conformal quantile: the ceil((n + 1) level)-th smallest score (inf when too few scores)."""
    scores = np.asarray(scores, dtype=float)
    s = np.sort(scores[np.isfinite(scores)])
    n = len(s)
    if n == 0:
        return float("nan")
    k = math.ceil((n + 1) * level)
    return float(s[k - 1]) if k <= n else float(s[-1] * 1.5)


def _series_job(key: str, y: np.ndarray, ds: pd.DatetimeIndex, params: dict) -> dict:
    """Backtest, choose and fit one series; returns plain data (runs in a joblib worker)."""
    level, H, step = params["level"], params["horizon_months"], params["origin_step"]
    samples, cps, max_h = params["uncertainty_samples"], params["changepoint_prior_scale"], params["max_steps"]
    n = len(y)
    gaps = params.get("gaps")
    cut_ends = list(range(n - H, params["min_train"] - 1, -step))[: params["n_origins"]][::-1]
    if gaps is not None:  # a sparse history: no monthly series to backtest
        cut_ends = []
    rows = []
    for model in MODELS:
        for end in cut_ends:
            train, test = y[:end], y[end:end + H]
            yhat, width, _ = _forecast(model, train, ds[:end], len(test), level, samples, cps)
            d = np.abs(np.diff(train))
            scale = float(np.mean(d)) if len(d) and np.mean(d) > 0 else max(float(np.mean(np.abs(train))) * 1e-3, 1e-9)
            rows.append(pd.DataFrame({
                "series": key, "model": model, "cutoff": ds[end - 1], "horizon": np.arange(1, len(test) + 1),
                "observed": test, "predicted": yhat, "width": width, "scale": scale,
            }))
    bt = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({
        "series": pd.Series(dtype=object), "model": pd.Series(dtype=object),
        "cutoff": pd.Series(dtype="datetime64[ns]"), "horizon": pd.Series(dtype=np.int64),
        **{c: pd.Series(dtype=float) for c in ("observed", "predicted", "width", "scale")}})
    z = _z(level)
    bt["lower_raw"] = bt["predicted"] - z * bt["width"]
    bt["upper_raw"] = bt["predicted"] + z * bt["width"]
    bt["covered_raw"] = (bt["observed"] >= bt["lower_raw"]) & (bt["observed"] <= bt["upper_raw"])
    bt["score"] = np.abs(bt["observed"] - bt["predicted"]) / bt["width"]
    # cross-conformal: each cut-off's band uses the q of the other cut-offs of the same series and model
    q_loo = np.full(len(bt), np.nan)
    for (model, cutoff), idx in bt.groupby(["model", "cutoff"]).groups.items():
        others = bt[(bt["model"] == model) & (bt["cutoff"] != cutoff)]["score"].to_numpy()
        q_loo[bt.index.get_indexer(idx)] = _conformal_q(others, level)
    bt["lower"] = bt["predicted"] - q_loo * bt["width"]
    bt["upper"] = bt["predicted"] + q_loo * bt["width"]
    bt["covered"] = (bt["observed"] >= bt["lower"]) & (bt["observed"] <= bt["upper"])
    bt["abs_error"] = np.abs(bt["observed"] - bt["predicted"])
    metrics = {}
    for model in MODELS:
        sel = bt[bt["model"] == model]
        metrics[model] = {
            "mase": float((sel["abs_error"] / sel["scale"]).mean()) if len(sel) else float("nan"),
            "coverage_raw": float(sel["covered_raw"].mean()) if len(sel) else float("nan"),
            "coverage_conformal": float(sel["covered"].mean()) if len(sel) else float("nan"),
            "q": _conformal_q(sel["score"].to_numpy(), level),
        }
    candidates = {m: v["mase"] for m, v in metrics.items() if np.isfinite(v["mase"])}
    chosen = min(candidates, key=candidates.get) if candidates else "naive"
    if chosen == "prophet":
        reason = "prophet wins the backtest"
    elif "prophet" in candidates:
        reason = f"prophet loses to {chosen} (MASE {candidates['prophet']:.2f} vs {candidates[chosen]:.2f})"
    else:
        reason = "too short to backtest: naive"
    yhat, width, fitted = _forecast(chosen, y, ds, max_h, level, samples, cps, keep_model=True, gaps=gaps)
    if fitted is not None:
        from prophet.serialize import model_to_json

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            model_json = model_to_json(fitted)
            now = float(fitted.predict(pd.DataFrame({DS: ds[-1:]}))["yhat"].iloc[0])
    else:
        model_json = None
        now = float(y[-1])
    q = metrics[chosen]["q"]
    if not np.isfinite(q):
        q = _z(level)  # no backtest: keep the raw band
    return {"key": key, "backtest": bt, "metrics": metrics, "model": chosen, "reason": reason, "q": q,
            "yhat": yhat, "width": width, "json": model_json, "now": now}


# ------------------------------------------------------------------------------------------ estimator

class DemandBaseline(BaseEstimator):
    """Monthly ETP demand baseline per métier (Prophet or a naive rival per series, conformal bands).

    Parameters
    ----------
    level : float
        Coverage aimed at by the bands (0.8: the P10-P90 band).
    horizon_months : int
        Horizon of each backtest cut-off.
    n_origins : int
        Number of rolling cut-offs (the most recent ones, ``origin_step`` months apart).
    origin_step : int
        Months between cut-offs.
    min_train : int
        Months of history before the first cut-off.
    min_months, min_mean : int, float
        Below these (staffed months, mean ETP) a métier is forecast at its famille's level.
    max_horizon_months : int
        How far the stored forecasts go (360: 30 years, the longest scenario).
    uncertainty_samples : int
        Prophet's simulation draws for its intervals.
    changepoint_prior_scale : float
        Prophet's trend flexibility.
    n_jobs : int
        Series fitted in parallel (joblib).
    max_gap_months : int
        Longest run of months without an extract that is interpolated; a longer one makes the history sparse
        (naive fallback).

    Attributes
    ----------
    series_ : DataFrame
        One row per métier: ``metier_code, famille, level, series, model, reason, mase_prophet, mase_naive,
        mase_snaive, coverage_raw, coverage_conformal, q, share, last``.
    backtest_ : DataFrame
        :data:`BACKTEST_COLUMNS` for every series, model, cut-off and horizon.
    metrics_ : dict
        Overall MASE by model and of the chosen models, coverage before and after conformal calibration.
    prophet_json_ : dict
        Final Prophet model of each series that uses it, as JSON text.
    last_date_ : Timestamp
        Last month of the history (the forecasts start the month after).
    fallback_ : dict or None
        :meth:`workforce.forecast.fallback.Fallback.as_dict` when no backtest was possible (every series naive),
        else None.
    """

    def __init__(self, *, level=0.8, horizon_months=12, n_origins=4, origin_step=12, min_train=36, min_months=36,
                 min_mean=5.0, max_horizon_months=360, uncertainty_samples=500, changepoint_prior_scale=0.05,
                 n_jobs=1, max_gap_months=2):
        self.level = level
        self.horizon_months = horizon_months
        self.n_origins = n_origins
        self.origin_step = origin_step
        self.min_train = min_train
        self.min_months = min_months
        self.min_mean = min_mean
        self.max_horizon_months = max_horizon_months
        self.uncertainty_samples = uncertainty_samples
        self.changepoint_prior_scale = changepoint_prior_scale
        self.n_jobs = n_jobs
        self.max_gap_months = max_gap_months

    def fit(self, history: pd.DataFrame, familles=None) -> "DemandBaseline":
        """Fit on monthly ETP ``ds, metier_code, y`` (:func:`monthly_etp`); ``familles`` maps métier -> famille
        (dict, Series or the referential's métiers frame)."""
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level!r}")
        for name in ("horizon_months", "n_origins", "origin_step", "min_train", "max_horizon_months"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        missing = [c for c in (DS, METIER_CODE, Y) if c not in history.columns]
        if missing:
            raise ValueError(f"history lacks column(s) {', '.join(missing)}: build it with monthly_etp()")
        if history.empty:
            raise ValueError("history is empty: no monthly ETP to learn demand from")
        ds = pd.to_datetime(history[DS]) + pd.offsets.MonthEnd(0)
        wide = pd.DataFrame({DS: ds, METIER_CODE: history[METIER_CODE].to_numpy(object), Y: history[Y].astype(float)})
        wide = wide.groupby([DS, METIER_CODE])[Y].sum().unstack(fill_value=0.0)
        months = pd.date_range(wide.index.min(), wide.index.max(), freq="ME")
        observed = wide.index
        wide, gaps = self._fill_gaps(wide.reindex(months), months.isin(observed))
        if gaps is not None:  # sparse: the series are the observed months only
            wide = wide.loc[observed]
        fam = self._famille_map(wide.columns, familles)
        n_months = len(months)
        backtestable = gaps is None and n_months >= int(self.min_train) + int(self.horizon_months)
        self.fallback_ = None if backtestable else self._fallback(n_months, len(observed), gaps).as_dict()

        staffed = (wide > 0).sum()
        mean = wide.mean()
        # without a backtest every series is naive: a métier staffed all along keeps its own series
        need = int(self.min_months) if backtestable else min(int(self.min_months), len(wide))
        own = (staffed >= need) & (mean >= self.min_mean)
        series: dict[str, np.ndarray] = {}
        level_of, series_of = {}, {}
        for code in wide.columns:
            if own[code]:
                series[code] = wide[code].to_numpy(float)
                level_of[code], series_of[code] = "metier", code
        for f in sorted(set(fam[c] for c in wide.columns if not own[c])):
            members = [c for c in wide.columns if fam[c] == f]
            key = f"famille:{f}"
            series[key] = wide[members].sum(axis=1).to_numpy(float)
            for c in members:
                if not own[c]:
                    level_of[c], series_of[c] = "famille", key
        params = {"level": float(self.level), "horizon_months": int(self.horizon_months),
                  "origin_step": int(self.origin_step), "n_origins": int(self.n_origins),
                  "min_train": int(self.min_train), "uncertainty_samples": int(self.uncertainty_samples),
                  "changepoint_prior_scale": float(self.changepoint_prior_scale),
                  "max_steps": int(self.max_horizon_months), "gaps": gaps}
        results = Parallel(n_jobs=self.n_jobs if backtestable else 1)(
            delayed(_series_job)(key, y, wide.index, params) for key, y in series.items())
        by_key = {r["key"]: r for r in results}

        tail = wide[wide.index > months[-1] - pd.DateOffset(months=12)]
        rows = []
        for code in wide.columns:
            key = series_of[code]
            r = by_key[key]
            if level_of[code] == "famille":
                members = [c for c in wide.columns if fam[c] == fam[code]]
                total = tail[members].to_numpy().sum()
                share = float(tail[code].sum() / total) if total > 0 else 0.0
            else:
                share = 1.0
            m = r["metrics"]
            rows.append({
                METIER_CODE: code, FAMILLE: fam[code], "level": level_of[code], "series": key, "model": r["model"],
                "reason": r["reason"], "mase_prophet": m["prophet"]["mase"], "mase_naive": m["naive"]["mase"],
                "mase_snaive": m["snaive"]["mase"], "coverage_raw": m[r["model"]]["coverage_raw"],
                "coverage_conformal": m[r["model"]]["coverage_conformal"],
                "coverage_raw_prophet": m["prophet"]["coverage_raw"], "q": r["q"], "share": share,
                "last": float(wide[code].iloc[-1]),
            })
        self.series_ = pd.DataFrame(rows)
        bt = pd.concat([r["backtest"] for r in results], ignore_index=True)
        self.backtest_ = bt[list(BACKTEST_COLUMNS) + ["scale"]]
        self.forecasts_ = {r["key"]: (np.asarray(r["yhat"]), np.asarray(r["width"]), float(r["q"]), r["model"])
                           for r in results}
        self.fitted_now_ = {r["key"]: r["now"] for r in results}
        self.prophet_json_ = {r["key"]: r["json"] for r in results if r["json"] is not None}
        self.last_date_ = months[-1]
        self.metrics_ = self._overall(results)
        return self

    @staticmethod
    def _famille_map(codes, familles) -> dict:
        if familles is None:
            return {c: c for c in codes}
        if isinstance(familles, pd.DataFrame):
            familles = familles.set_index("code")["famille"]
        mapping = dict(familles.items()) if isinstance(familles, pd.Series) else dict(familles)
        return {c: mapping.get(c, c) for c in codes}

    def _fill_gaps(self, wide: pd.DataFrame, seen: np.ndarray) -> tuple[pd.DataFrame, np.ndarray | None]:
        """Months without any extract are unknown, not zero: runs of at most ``max_gap_months`` are interpolated
        (a forgotten monthly extract); a longer one makes the history sparse. Returns the frame and, when
        sparse, the months between consecutive observed months (else None)."""
        if seen.all():
            return wide, None
        run = pd.Series(~seen).groupby(np.cumsum(seen)).transform("sum").to_numpy()
        if run[~seen].max() <= int(self.max_gap_months):
            return wide.interpolate(method="linear", limit_area="inside"), None
        return wide, np.diff(np.flatnonzero(seen))

    def _fallback(self, n_months: int, n_observed: int, gaps: np.ndarray | None) -> Fallback:
        """Why the whole baseline is naive (no backtest possible), in French for the registry."""
        if gaps is not None:
            kind = "annuelles" if len(gaps) and float(np.median(gaps)) >= 11 else "espacées de plus d'un mois"
            return Fallback(NAIVE_DEMAND, f"extractions {kind} : {n_observed} mois sur {n_months} en ont une, "
                                          "pas de série mensuelle à backtester")
        need = int(self.min_train) + int(self.horizon_months)
        return Fallback(NAIVE_DEMAND, f"historique de {n_months} mois < {need}")

    def _overall(self, results) -> dict:
        bt = pd.concat([r["backtest"] for r in results], ignore_index=True)
        chosen = {r["key"]: r["model"] for r in results}
        out = {"level": float(self.level), "series": len(results)}
        for model in MODELS:
            sel = bt[bt["model"] == model]
            per = (sel["abs_error"] / sel["scale"]).groupby(sel["series"]).mean()
            out[f"mase_{model}"] = float(per.mean()) if len(per) else float("nan")
            out[f"coverage_raw_{model}"] = float(sel["covered_raw"].mean()) if len(sel) else float("nan")
            out[f"coverage_conformal_{model}"] = float(sel["covered"].mean()) if len(sel) else float("nan")
        sel = bt[bt["model"].to_numpy() == bt["series"].map(chosen).to_numpy()]
        per = (sel["abs_error"] / sel["scale"]).groupby(sel["series"]).mean()
        out["mase_chosen"] = float(per.mean()) if len(per) else float("nan")
        out["coverage_raw_chosen"] = float(sel["covered_raw"].mean()) if len(sel) else float("nan")
        out["coverage_conformal_chosen"] = float(sel["covered"].mean()) if len(sel) else float("nan")
        out["models_chosen"] = {m: sum(1 for v in chosen.values() if v == m) for m in MODELS}
        return out

    # ---------------------------------------------------------------- predict
    def predict(self, months: int) -> pd.DataFrame:
        """Monthly forecasts for the ``months`` after the history: ``ds, metier_code, yhat, lower, upper, model,
        level`` (a famille-level métier gets its share of the famille's forecast and band)."""
        check_is_fitted(self, "forecasts_")
        if not 1 <= months <= self.max_horizon_months:
            raise ValueError(f"months must be in 1..{self.max_horizon_months}, got {months}")
        ds = pd.date_range(self.last_date_ + pd.offsets.MonthEnd(1), periods=months, freq="ME")
        parts = []
        for r in self.series_.itertuples(index=False):
            yhat, width, q, model = self.forecasts_[r.series]
            share = r.share
            parts.append(pd.DataFrame({
                DS: ds, METIER_CODE: r.metier_code, "yhat": np.maximum(yhat[:months] * share, 0.0),
                "lower": np.maximum((yhat[:months] - q * width[:months]) * share, 0.0),
                "upper": np.maximum((yhat[:months] + q * width[:months]) * share, 0.0),
                "model": model, "level": r.level,
            }))
        return pd.concat(parts, ignore_index=True)

    def annual(self, years: int, start=None) -> pd.DataFrame:
        """Demand at each projection year's end: ``year, metier_code, demand, lower, upper, index, model, level``.

        Year k ends k x 12 months after ``start`` (default: the last month of the history). ``index`` is the
        forecast over its value at the start (the fitted level there), the ratio the engine applies to today's
        ETP so that the baseline continues the observed level instead of jumping to the model's.
        """
        check_is_fitted(self, "forecasts_")
        start = self.last_date_ if start is None else pd.Timestamp(start) + pd.offsets.MonthEnd(0)
        offset = (start.year - self.last_date_.year) * 12 + (start.month - self.last_date_.month)
        if offset < 0:
            raise ValueError(f"start {start:%Y-%m} precedes the end of the history {self.last_date_:%Y-%m}")
        steps = offset + 12 * np.arange(1, years + 1)
        if steps[-1] > self.max_horizon_months:
            raise ValueError(f"{years} years from {start:%Y-%m} go beyond the stored {self.max_horizon_months} months")
        rows = []
        for r in self.series_.itertuples(index=False):
            yhat, width, q, model = self.forecasts_[r.series]
            base = yhat[offset - 1] if offset >= 1 else self.fitted_now_[r.series]
            idx = steps - 1
            val = np.maximum(yhat[idx], 0.0)
            rows.append(pd.DataFrame({
                "year": start.year + np.arange(1, years + 1), METIER_CODE: r.metier_code,
                "demand": val * r.share, "lower": np.maximum(yhat[idx] - q * width[idx], 0.0) * r.share,
                "upper": np.maximum(yhat[idx] + q * width[idx], 0.0) * r.share,
                "index": val / base if base > 0 else np.ones(years), "model": model, "level": r.level,
            }))
        return pd.concat(rows, ignore_index=True)

    def report(self) -> pd.DataFrame:
        """Per-métier metrics for display: model kept, why, MASE of each model, coverage before/after."""
        check_is_fitted(self, "series_")
        cols = [METIER_CODE, FAMILLE, "level", "model", "reason", "mase_prophet", "mase_naive", "mase_snaive",
                "coverage_raw", "coverage_conformal"]
        return self.series_[cols].copy()

    # ---------------------------------------------------------------- JSON (the registry stores Prophet as JSON)
    def to_json(self) -> str:
        """The fitted state as version-stamped JSON: parameters, per-series metrics, backtest, stored forecasts
        and the final Prophet models (``prophet.serialize.model_to_json`` text)."""
        check_is_fitted(self, "forecasts_")
        import prophet

        state = {
            "format": "workforce.DemandBaseline", "format_version": 1, "prophet_version": prophet.__version__,
            "params": self.get_params(),
            "last_date": self.last_date_.strftime("%Y-%m-%d"),
            "series": json.loads(self.series_.to_json(orient="records")),
            "backtest": json.loads(self.backtest_.assign(cutoff=self.backtest_["cutoff"].dt.strftime("%Y-%m-%d"))
                                   .to_json(orient="records")),
            "forecasts": {k: {"yhat": list(map(float, v[0])), "width": list(map(float, v[1])), "q": v[2],
                              "model": v[3]} for k, v in self.forecasts_.items()},
            "fitted_now": self.fitted_now_,
            "prophet": self.prophet_json_,
            "metrics": self.metrics_,
            "fallback": self.fallback_,
        }
        return json.dumps(state, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "DemandBaseline":
        state = json.loads(text)
        if state.get("format") != "workforce.DemandBaseline":
            raise ValueError("not a DemandBaseline JSON document")
        if state.get("format_version") != 1:
            raise ValueError(f"unsupported DemandBaseline format version {state.get('format_version')!r}")
        est = cls(**state["params"])
        est.last_date_ = pd.Timestamp(state["last_date"])
        est.series_ = pd.DataFrame(state["series"])
        bt = pd.DataFrame(state["backtest"])
        if len(bt):
            bt["cutoff"] = pd.to_datetime(bt["cutoff"])
        est.backtest_ = bt
        est.forecasts_ = {k: (np.asarray(v["yhat"], float), np.asarray(v["width"], float), float(v["q"]), v["model"])
                          for k, v in state["forecasts"].items()}
        est.fitted_now_ = {k: float(v) for k, v in state["fitted_now"].items()}
        est.prophet_json_ = dict(state["prophet"])
        est.metrics_ = state["metrics"]
        est.fallback_ = state.get("fallback")
        return est


def monthly_etp_from_headcount(headcount: pd.DataFrame) -> pd.DataFrame:
    """:func:`monthly_etp` from an aggregated frame ``extract_date, metier_code, etp`` (e.g. the training
    pipeline's monthly headcount by métier and direction)."""
    frame = pd.DataFrame({"extract_date": pd.to_datetime(headcount["extract_date"]),
                          METIER_CODE: headcount[METIER_CODE].to_numpy(object),
                          Y: pd.to_numeric(headcount["etp"], errors="coerce").fillna(0.0).to_numpy()})
    month = frame["extract_date"] + pd.offsets.MonthEnd(0)
    frame = frame[frame["extract_date"] == frame["extract_date"].groupby(month).transform("max")]
    wide = frame.assign(**{DS: month}).groupby([DS, METIER_CODE])[Y].sum().unstack(fill_value=0.0)
    wide.index.name = DS
    return wide.stack().rename(Y).reset_index()[[DS, METIER_CODE, Y]]


def fit_and_backtest(data, *, n_jobs: int = 1, rng=None):
    """Training-pipeline hook (:mod:`workforce.train`): fit on the monthly ETP of ``data.headcount`` with the
    familles of ``data.metiers``; returns ``(estimator, metrics, primary, direction)``, primary = MASE of the
    kept models over the rolling-origin backtest (lower is better; NaN when the history allows no backtest, the
    estimator's ``fallback_`` then says why every series is naive)."""
    history = monthly_etp_from_headcount(data.headcount)
    model = DemandBaseline(n_jobs=n_jobs).fit(history, data.metiers)
    metrics = {k: float(v) for k, v in model.metrics_.items() if isinstance(v, (int, float))}
    metrics |= {f"series_{k}": float(v) for k, v in model.metrics_["models_chosen"].items()}
    return model, metrics, "mase_chosen", "min"
