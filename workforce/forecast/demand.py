"""Demand baseline: ETP per métier forecast by the model each series' own backtest chooses (Prophet, naive,
drift, seasonal naive, exponential smoothing, ARIMA), never worse than the naive forecast, with split-conformal
bands calibrated per horizon.

Why: the projection compares the supply of agents with the demand for them. Without a staffing plan, the
baseline demand of a métier is the trend of its own staffing (monthly ETP from the snapshots), which the
planner then bends with overlays (growth, targets, the skills module's transformation factors; see
:mod:`workforce.scenario`).

Method, per series:

1. Level. A métier with fewer than ``min_months`` staffed months or a mean under ``min_mean`` ETP is too short or
   too sparse to model alone: it is forecast at its famille's level (the famille total) and gets its share of
   the last twelve months (column ``level``: ``metier`` or ``famille``).
2. Frequency. Monthly extracts give monthly series; annual extracts (consecutive extracts about a year apart)
   give annual series of the observed points (a month without an extract is unknown, not zero). A gap of at
   most ``max_gap_months`` months is interpolated; other sparse histories (quarterly extracts...) are forecast
   naive.
3. Backtest on rolling origins (:mod:`workforce.forecast.demand_backtest`): monthly, ``n_origins`` cut-offs
   ``origin_step`` months apart, the last one ``horizon_months`` before the end, at least ``min_train`` months
   of history before each (``min_train_short`` when the history is shorter); annual, cut-offs a year apart,
   ``horizon_years`` ahead, at least ``min_train_years`` points before each. The candidates
   (:mod:`workforce.forecast.demand_models`) are chosen per series on the earlier origins and scored on the last
   ``n_holdout`` ones (nested, so the score of the choice is honest). A candidate replaces naive only if it beats
   it by ``min_gain``; Prophet, most of the training time, is tried only where a cheap trend or season model
   does (``prophet_screen``).
4. Gate. If the chosen models lose to the naive forecast on the holdout origins (mean MASE over the series),
   every series is forecast naive and ``fallback_`` says so in French; the registry shows it.
5. Bands. Split-conformal per horizon on the holdout errors of the active models, scaled by each series' MASE
   scale; beyond the backtest horizon the quantile grows as a fitted power of the horizon.
6. No backtest (a history shorter than the first cut-off needs, or sparse extracts): every series is forecast
   naive with the band of a random walk whose step is the observed one, and ``fallback_`` says why.

The fitted estimator keeps its forecasts up to ``max_horizon_months`` (so predicting needs neither Prophet nor
statsforecast), the final Prophet models as JSON (``prophet.serialize``), the backtest frame of the active models
and the per-series metrics.
"""

from __future__ import annotations

import json
import math
import os
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce.columns import FAMILLE, METIER_CODE
from workforce.forecast import demand_backtest as BT
from workforce.forecast.demand_models import (ANNUAL, BASELINE, DS, MODELS, MONTHLY, Y, Frequency, final_job,
                                              naive_job, quiet_prophet, to_months)
from workforce.forecast.demand_history import load_monthly_etp, monthly_etp, monthly_etp_from_headcount
from workforce.forecast.fallback import NAIVE_DEMAND, Fallback

__all__ = ["BACKTEST_COLUMNS", "MODELS", "DemandBaseline", "fit_and_backtest", "load_monthly_etp", "monthly_etp",
           "monthly_etp_from_headcount"]

BACKTEST_COLUMNS = ("series", "model", "cutoff", "horizon", "observed", "predicted", "lower", "upper", "covered",
                    "lower_raw", "upper_raw", "covered_raw")
ANNUAL_GAP_MONTHS = 11
"""Median months between extracts from which a sparse history is read as annual (December to December is 12;
11 tolerates an extract taken in late November)."""
MODEL_LABELS = {"naive": "naïf (dernière valeur)", "drift": "tendance linéaire (dérive)",
                "snaive": "naïf saisonnier (même mois un an avant)", "ets": "lissage exponentiel (ETS)",
                "arima": "ARIMA", "prophet": "Prophet"}
"""French name of each candidate, for the reasons shown to users."""


# ------------------------------------------------------------------------------------------ estimator

class DemandBaseline(BaseEstimator):
    """ETP demand baseline per métier (the best candidate per series on a nested backtest, never worse than
    naive overall, conformal bands per horizon).

    Parameters
    ----------
    level : float
        Coverage aimed at by the bands (0.8: the P10-P90 band).
    horizon_months : int
        Horizon of each monthly backtest cut-off.
    n_origins : int
        Number of rolling cut-offs (the most recent ones, ``origin_step`` months apart).
    origin_step : int
        Months between cut-offs (6: twice as many origins as a yearly step on the same history).
    n_holdout : int
        Last cut-offs the choice is scored on (at most half of them; the choice is made on the others).
    min_train : int
        Months of history before the first cut-off.
    min_train_short : int
        Months before the first cut-off when the history is too short for ``min_train`` (12: one year, the
        least the seasonal naive forecast needs).
    horizon_years, min_train_years : int
        The same for annual extracts (years ahead; points before the first cut-off).
    min_months, min_mean : int, float
        Below these (staffed months, mean ETP) a métier is forecast at its famille's level.
    max_horizon_months : int
        How far the stored forecasts go (360: 30 years, the longest scenario).
    models : tuple of str
        Candidates (:data:`workforce.forecast.demand_models.MODELS`); naive is always one.
    min_gain : float
        Relative margin by which a candidate must beat naive on the selection origins to replace it (0.05: 5 %).
    prophet_screen : bool
        Try Prophet only on the series where a cheap trend or season model beats naive by ``min_gain`` on the
        selection origins (:data:`workforce.forecast.demand_backtest.STRUCTURED`); Prophet is most of the
        training time.
    uncertainty_samples : int
        Prophet's own simulation draws (0: none; the bands are conformal, the draws would only cost time).
    changepoint_prior_scale : float
        Prophet's trend flexibility.
    random_state : int
        Seed of Prophet's Stan optimisation and of its draws, so that runs repeat exactly.
    n_jobs : int
        Series fitted in parallel (joblib).
    max_gap_months : int
        Longest run of months without an extract that is interpolated; a longer one makes the history sparse.

    Attributes
    ----------
    series_ : DataFrame
        One row per métier: ``metier_code, famille, level, series, model`` (active), ``chosen`` (the backtest's
        choice before the gate), ``spec``, ``reason`` (French), ``mase_<candidate>`` (selection origins),
        ``mase_holdout, mase_holdout_naive, coverage_raw, coverage_conformal, q, share, last``.
    backtest_ : DataFrame
        :data:`BACKTEST_COLUMNS` (+ ``role, scale``) of the active model of every series, cut-off and horizon.
    metrics_ : dict
        ``mase_select_<candidate>`` (selection origins, where the choice is made); on the held-out origins,
        ``mase_holdout_selected`` (the per-series choice), ``mase_naive`` and ``mase_chosen`` (the active models,
        the primary metric); coverage of the active models' bands overall and by horizon (``coverage_h<h>``),
        ``q_by_horizon``, the choice counts (``models_selected``) and the active ones (``models_chosen``).
    prophet_json_ : dict
        Final Prophet model of each series that uses it, as JSON text.
    last_date_ : Timestamp
        Last month of the history (the forecasts start the month after).
    fallback_ : dict or None
        :meth:`workforce.forecast.fallback.Fallback.as_dict` when every series is naive (no backtest possible,
        or the choices lose to naive), else None.
    """

    def __init__(self, *, level=0.8, horizon_months=12, n_origins=6, origin_step=6, n_holdout=3, min_train=36,
                 min_train_short=12, horizon_years=3, min_train_years=4, min_months=36, min_mean=5.0,
                 max_horizon_months=360, models=MODELS, min_gain=0.05, prophet_screen=True, uncertainty_samples=0,
                 changepoint_prior_scale=0.05, random_state=0, n_jobs=1, max_gap_months=2):
        self.level = level
        self.horizon_months = horizon_months
        self.n_origins = n_origins
        self.origin_step = origin_step
        self.n_holdout = n_holdout
        self.min_train = min_train
        self.min_train_short = min_train_short
        self.horizon_years = horizon_years
        self.min_train_years = min_train_years
        self.min_months = min_months
        self.min_mean = min_mean
        self.max_horizon_months = max_horizon_months
        self.models = models
        self.min_gain = min_gain
        self.prophet_screen = prophet_screen
        self.uncertainty_samples = uncertainty_samples
        self.changepoint_prior_scale = changepoint_prior_scale
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.max_gap_months = max_gap_months

    # ---------------------------------------------------------------- fit
    def fit(self, history: pd.DataFrame, familles=None) -> "DemandBaseline":
        """Fit on ETP ``ds, metier_code, y`` (:func:`monthly_etp`); ``familles`` maps métier -> famille (dict,
        Series or the referential's métiers frame)."""
        t0 = time.perf_counter()
        self._check(history)
        ds = pd.to_datetime(history[DS]) + pd.offsets.MonthEnd(0)
        wide = pd.DataFrame({DS: ds, METIER_CODE: history[METIER_CODE].to_numpy(object), Y: history[Y].astype(float)})
        wide = wide.groupby([DS, METIER_CODE])[Y].sum().unstack(fill_value=0.0)
        months = pd.date_range(wide.index.min(), wide.index.max(), freq="ME")
        observed = wide.index
        wide, gaps = self._fill_gaps(wide.reindex(months), months.isin(observed))
        annual = gaps is not None and len(gaps) > 0 and float(np.median(gaps)) >= ANNUAL_GAP_MONTHS
        freq = ANNUAL if annual else MONTHLY
        if gaps is not None:  # sparse: the series are the observed months only
            wide = wide.loc[observed]
        plan = self._plan(len(wide), freq) if (gaps is None or annual) else None
        backtestable = plan is not None and len(plan["ends"]) >= min(2, int(self.n_origins))
        fallback = None if backtestable else self._fallback(len(months), len(observed), gaps, freq)

        fam = self._famille_map(wide.columns, familles)
        series, level_of, series_of = self._series(wide, fam, freq)
        params = {"uncertainty_samples": int(self.uncertainty_samples),
                  "changepoint_prior_scale": float(self.changepoint_prior_scale),
                  "random_state": int(self.random_state), "models": tuple(set(self.models) | {BASELINE}),
                  "min_gain": float(self.min_gain), "prophet_screen": bool(self.prophet_screen)}
        steps = self._steps(freq)
        if backtestable:
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(BT.series_job)(k, y, wide.index, freq, plan, params) for k, y in series.items())
            chosen = {r["key"]: r["chosen"] for r in results}
            bt_all = pd.concat([r["backtest"] for r in results], ignore_index=True)
            sel_mase = BT.holdout_mase(bt_all, chosen)
            naive_mase = BT.holdout_mase(bt_all, {k: BASELINE for k in series})
            lose = float(sel_mase.mean()) > float(naive_mase.mean())
            active = {k: BASELINE for k in series} if lose else dict(chosen)
            if lose:
                fallback = Fallback(NAIVE_DEMAND, (
                    f"les modèles choisis série par série perdent contre la prévision naïve sur les "
                    f"{len(plan['holdout'])} dernières origines du backtest (MASE {sel_mase.mean():.2f} contre "
                    f"{naive_mase.mean():.2f})"))
            H = plan["horizon"]
            rows, q, how = BT.calibrate(bt_all, active, float(self.level), H)
            q_ext = BT.extend_q(q, steps)
            finals = Parallel(n_jobs=self.n_jobs)(
                delayed(final_job)(k, series[k], wide.index, freq, active[k], q_ext, steps, params)
                for k in series)
        else:
            results, chosen, active, rows, q, how = [], {}, {k: BASELINE for k in series}, None, None, "none"
            bt_all = pd.DataFrame()
            sel_mase = naive_mase = pd.Series(dtype=float)
            finals = [naive_job(k, series[k], freq, gaps, BT.z_of(float(self.level)), steps) for k in series]
        by_final = {f["key"]: f for f in finals}
        self.fallback_ = fallback.as_dict() if fallback is not None else None
        self.last_date_ = months[-1]
        self.frequency_ = "annual" if freq.annual else "monthly"
        self.forecasts_ = {k: to_months(f, freq, int(self.max_horizon_months)) for k, f in by_final.items()}
        self.fitted_now_ = {k: f["now"] for k, f in by_final.items()}
        self.prophet_json_ = {k: f["json"] for k, f in by_final.items() if f["json"] is not None}
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in (*BACKTEST_COLUMNS, "role", "scale")})
        self.backtest_ = (rows[[*BACKTEST_COLUMNS, "role", "scale"]].reset_index(drop=True) if rows is not None
                          else empty.astype({"cutoff": "datetime64[ns]", "series": object, "model": object}))
        self.series_ = self._series_frame(wide, fam, level_of, series_of, results, chosen, active, by_final,
                                          sel_mase, naive_mase)
        self.metrics_ = self._overall(results, chosen, active, sel_mase, naive_mase, q, how, plan if backtestable
                                      else None, freq)
        self.metrics_["seconds"] = round(time.perf_counter() - t0, 2)
        self.metrics_["worker_cpu_seconds"] = round(_worker_cpu([*results, *finals]), 2)
        return self

    def _check(self, history: pd.DataFrame) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level!r}")
        for name in ("horizon_months", "n_origins", "origin_step", "min_train", "min_train_short", "horizon_years",
                     "min_train_years", "max_horizon_months"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        unknown = sorted(set(self.models) - set(MODELS))
        if unknown:
            raise ValueError(f"unknown demand model(s) {', '.join(unknown)}; allowed: {', '.join(MODELS)}")
        missing = [c for c in (DS, METIER_CODE, Y) if c not in history.columns]
        if missing:
            raise ValueError(f"history lacks column(s) {', '.join(missing)}: build it with monthly_etp()")
        if history.empty:
            raise ValueError("history is empty: no monthly ETP to learn demand from")

    def _plan(self, n: int, freq: Frequency) -> dict:
        """The backtest's cut-offs for ``n`` points: selection and holdout ends, horizon (in points)."""
        if freq.annual:
            H, step, mt = int(self.horizon_years), 1, int(self.min_train_years)
        else:
            H, step = int(self.horizon_months), int(self.origin_step)
            mt = int(self.min_train)
            if n < mt + H + step * (min(2, int(self.n_origins)) - 1):
                mt = int(self.min_train_short)
        ends = BT.cut_ends(n, H, step, mt, int(self.n_origins))
        select, hold, nested = BT.split_origins(ends, int(self.n_holdout))
        return {"ends": ends, "select": select, "holdout": hold, "nested": nested, "horizon": H, "min_train": mt}

    def _steps(self, freq: Frequency) -> int:
        return math.ceil(int(self.max_horizon_months) / freq.months)

    def _series(self, wide: pd.DataFrame, fam: dict, freq: Frequency):
        staffed = (wide > 0).sum()
        mean = wide.mean()
        need = min(math.ceil(int(self.min_months) / freq.months), len(wide))
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
        return series, level_of, series_of

    def _series_frame(self, wide, fam, level_of, series_of, results, chosen, active, finals, sel_mase, naive_mase):
        tail = wide[wide.index > wide.index[-1] - pd.DateOffset(months=12)]
        mase = {r["key"]: r["mase"] for r in results}
        screened = {r["key"]: r.get("screened", False) for r in results}
        cov = {}
        if len(self.backtest_):
            hold = self.backtest_[self.backtest_["role"] == BT.HOLDOUT]
            cov = {"raw": hold.groupby("series")["covered_raw"].mean(), "conf": hold.groupby("series")["covered"].mean()}
        rows = []
        for code in wide.columns:
            key = series_of[code]
            if level_of[code] == "famille":
                members = [c for c in wide.columns if fam[c] == fam[code]]
                total = tail[members].to_numpy().sum()
                share = float(tail[code].sum() / total) if total > 0 else 0.0
            else:
                share = 1.0
            m = mase.get(key, {})
            rows.append({
                METIER_CODE: code, FAMILLE: fam[code], "level": level_of[code], "series": key,
                "model": finals[key]["model"], "chosen": chosen.get(key, BASELINE), "spec": finals[key]["spec"],
                "reason": self._reason(key, chosen, active, finals, m, screened.get(key, False)),
                **{f"mase_{c}": float(m.get(c, np.nan)) for c in MODELS},
                "mase_holdout": float(sel_mase.get(key, np.nan)), "mase_holdout_naive": float(naive_mase.get(key, np.nan)),
                "coverage_raw": float(cov["raw"].get(key, np.nan)) if cov else float("nan"),
                "coverage_conformal": float(cov["conf"].get(key, np.nan)) if cov else float("nan"),
                "q": float(finals[key]["q"]), "share": share, "last": float(wide[code].iloc[-1]),
            })
        return pd.DataFrame(rows)

    def _reason(self, key, chosen, active, finals, mase, screened=False) -> str:
        """Why this series uses its model, in French."""
        model = finals[key]["model"]
        if not chosen:
            return (self.fallback_ or {}).get("reason", "pas de backtest : prévision naïve")
        if finals[key].get("failed"):
            return f"{MODEL_LABELS[active[key]]} ne s'ajuste pas sur tout l'historique : prévision naïve"
        if active[key] != chosen[key]:
            return (f"choisi au backtest : {MODEL_LABELS[chosen[key]]}, mais les choix perdent contre la prévision "
                    f"naïve sur les dernières origines : prévision naïve")
        rivals = {m: v for m, v in mase.items() if np.isfinite(v) and m != model}
        best = min(rivals, key=rivals.get) if rivals else None
        own = mase.get(model, np.nan)
        if best is not None and rivals[best] < own:  # naive kept: nobody beats it by the margin
            text = (f"{MODEL_LABELS[model]} : aucun modèle ne fait mieux de plus de {self.min_gain:.0%} au backtest "
                    f"(meilleur : {MODEL_LABELS[best]}, MASE {rivals[best]:.2f} contre {own:.2f})")
        else:
            text = f"{MODEL_LABELS[model]} : meilleure erreur au backtest (MASE {own:.2f}"
            text += f", devant {MODEL_LABELS[best]} {rivals[best]:.2f})" if best else ")"
        if screened:
            text += (f" ; Prophet non essayé : ni tendance ni saison ne bat la prévision naïve de plus de "
                     f"{self.min_gain:.0%} sur cette série")
        return text

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

    def _fallback(self, n_months: int, n_observed: int, gaps: np.ndarray | None, freq: Frequency) -> Fallback:
        """Why the whole baseline is naive (no backtest possible), in French for the registry."""
        if freq.annual:
            need = int(self.min_train_years) + int(self.horizon_years) + min(2, int(self.n_origins)) - 1
            return Fallback(NAIVE_DEMAND, f"extractions annuelles : {n_observed} années, il en faut au moins {need} "
                                          "pour un backtest")
        if gaps is not None:
            return Fallback(NAIVE_DEMAND, f"extractions espacées de plus d'un mois : {n_observed} mois sur {n_months} "
                                          "en ont une, pas de série mensuelle à backtester")
        need = int(self.min_train_short) + int(self.horizon_months) + int(self.origin_step) * (
            min(2, int(self.n_origins)) - 1)
        return Fallback(NAIVE_DEMAND, f"historique de {n_months} mois < {need}")

    def _overall(self, results, chosen, active, sel_mase, naive_mase, q, how, plan, freq) -> dict:
        out = {"level": float(self.level), "series": len(self.forecasts_), "frequency": self.frequency_,
               "calibration": how}
        for model in MODELS:
            per = [r["mase"].get(model, np.nan) for r in results]
            per = [v for v in per if np.isfinite(v)]
            out[f"mase_select_{model}"] = float(np.mean(per)) if per else float("nan")
        # on the held-out origins: the per-series choice, naive, and the active models (what the gate compares)
        out["mase_holdout_selected"] = float(sel_mase.mean()) if len(sel_mase) else float("nan")
        out["mase_naive"] = float(naive_mase.mean()) if len(naive_mase) else float("nan")
        out["mase_chosen"] = out["mase_naive"] if self.fallback_ and chosen else out["mase_holdout_selected"]
        bt = self.backtest_
        hold = bt[bt["role"] == BT.HOLDOUT] if len(bt) else bt
        out["coverage_raw_chosen"] = float(hold["covered_raw"].mean()) if len(hold) else float("nan")
        out["coverage_conformal_chosen"] = float(hold["covered"].mean()) if len(hold) else float("nan")
        by_h = hold.groupby("horizon")["covered"].mean() if len(hold) else pd.Series(dtype=float)
        out["coverage_by_horizon"] = [float(by_h.get(h, np.nan)) for h in range(1, int(by_h.index.max()) + 1)] \
            if len(by_h) else []  # a list (h = 1, 2...): JSON keeps it as it is
        for h, v in enumerate(out["coverage_by_horizon"], start=1):
            out[f"coverage_h{h}"] = v
        out["q_by_horizon"] = [] if q is None else [float(v) for v in q]
        out["origins_selection"] = len(plan["select"]) if plan else 0
        out["origins_holdout"] = len(plan["holdout"]) if plan else 0
        out["nested"] = bool(plan["nested"]) if plan else False
        active_models = [f[3] for f in self.forecasts_.values()]
        out["models_chosen"] = {m: sum(1 for v in active_models if v == m) for m in MODELS}
        out["models_selected"] = {m: sum(1 for v in chosen.values() if v == m) for m in MODELS}
        out["prophet_screened"] = sum(1 for r in results if r.get("screened"))
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
        """Per-métier metrics for display: model kept, why, MASE of each candidate, coverage before/after."""
        check_is_fitted(self, "series_")
        cols = [METIER_CODE, FAMILLE, "level", "model", "reason", *[f"mase_{m}" for m in MODELS], "mase_holdout",
                "mase_holdout_naive", "coverage_raw", "coverage_conformal"]
        return self.series_[cols].copy()

    # ---------------------------------------------------------------- JSON (the registry stores Prophet as JSON)
    def to_json(self) -> str:
        """The fitted state as version-stamped JSON: parameters, per-series metrics, backtest, stored forecasts
        and the final Prophet models (``prophet.serialize.model_to_json`` text)."""
        check_is_fitted(self, "forecasts_")
        quiet_prophet()
        import prophet

        state = {
            "format": "workforce.DemandBaseline", "format_version": 2, "prophet_version": prophet.__version__,
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
            "frequency": self.frequency_,
        }
        return json.dumps(state, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "DemandBaseline":
        state = json.loads(text)
        if state.get("format") != "workforce.DemandBaseline":
            raise ValueError("not a DemandBaseline JSON document")
        if state.get("format_version") not in (1, 2):
            raise ValueError(f"unsupported DemandBaseline format version {state.get('format_version')!r}")
        params = dict(state["params"])
        if "models" in params:
            params["models"] = tuple(params["models"])  # JSON has no tuples
        est = cls(**params)
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
        est.frequency_ = state.get("frequency", "monthly")
        return est


def _worker_cpu(jobs: list[dict]) -> float:
    """CPU seconds the series jobs spent outside the fitting thread: their Stan processes, and the whole job when
    a worker process ran it (``metrics_['worker_cpu_seconds']``, which the training run adds to the step's own
    thread CPU: a cost that does not depend on how busy the machine is)."""
    here = os.getpid()
    return float(sum(j["cpu"]["children"] + (j["cpu"]["thread"] if j["cpu"]["pid"] != here else 0.0)
                     for j in jobs if "cpu" in j))


def fit_and_backtest(data, *, n_jobs: int = 1, rng=None):
    """Training-pipeline hook (:mod:`workforce.train`): fit on the ETP of ``data.headcount`` with the familles of
    ``data.metiers``; returns ``(estimator, metrics, primary, direction)``, primary = MASE of the active models on
    the holdout origins of the backtest (lower is better; NaN when the history allows no backtest, the
    estimator's ``fallback_`` then says why every series is naive). ``rng`` is not used: the estimator's
    ``random_state`` seeds Prophet, so the same data give the same model whatever the pipeline's stream."""
    history = monthly_etp_from_headcount(data.headcount)
    model = DemandBaseline(n_jobs=n_jobs).fit(history, data.metiers)
    metrics = {k: float(v) for k, v in model.metrics_.items() if isinstance(v, (int, float))}
    metrics |= {f"series_{k}": float(v) for k, v in model.metrics_["models_chosen"].items()}
    metrics |= {f"selected_{k}": float(v) for k, v in model.metrics_["models_selected"].items()}
    metrics["backtest"] = _backtest_totals(model.backtest_)
    return model, metrics, "mase_chosen", "min"


def _backtest_totals(backtest: pd.DataFrame) -> list[dict]:
    """The held-out backtest summed over the series, one row per cut-off and horizon (``cutoff, horizon,
    observed, predicted, covered``, covered = share of the series inside their band): the shape the reliability
    page reads for every model (a few dozen rows, not one per series)."""
    if backtest.empty:
        return []
    hold = backtest[backtest["role"] == BT.HOLDOUT]
    g = hold.groupby(["cutoff", "horizon"]).agg(observed=("observed", "sum"), predicted=("predicted", "sum"),
                                                covered=("covered", "mean")).reset_index()
    g["cutoff"] = pd.to_datetime(g["cutoff"]).dt.strftime("%Y-%m-%d")
    return g.to_dict(orient="records")
