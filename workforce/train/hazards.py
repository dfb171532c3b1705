"""The hazard steps (retirement, other exits): each backtested on the last full year against its pooled
baseline, with the documented priors when too few events are observed (:mod:`workforce.forecast.fallback`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from workforce import panel as P
from workforce.forecast.exits import ExitHazard
from workforce.forecast.exits_covariates import CovariateExitHazard
from workforce.forecast.fallback import (POOLED_EXITS, POOLED_RETIREMENT, PRIOR_EXITS, PRIOR_RETIREMENT,
                                         Fallback)
from workforce.forecast.priors import PriorExitHazard, PriorRetirementHazard
from workforce.forecast.retirement import RetirementHazard
from workforce.train.data import TrainingData
from workforce.train.step import (MIN_BACKTEST_YEARS, MIN_EVENTS, MIN_EXPOSURE, Fitted, StepContext,
                                  no_backtest)

MODULES = ("workforce.panel", "workforce.rules", "workforce.forecast.retirement", "workforce.forecast.hazard",
           "workforce.forecast.competing", "workforce.forecast.priors", "workforce.forecast.fallback",
           "workforce.forecast.exits", "workforce.forecast.exits_covariates", "workforce.forecast.exits_metrics")
"""The sources of the hazard steps' code version (the law tables included: a new law retrains them)."""

def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def hazard_holdout(panel: pd.DataFrame, make: Callable[[], Any], outcome: str, *,
                   total_hazard: Callable[[Any, pd.DataFrame], np.ndarray] | None = None) -> dict[str, float]:
    """Backtest of an annual hazard on the last full year: fit on the years before it, predict it.

    Returns ``cutoff`` (last fitted year), ``n`` (person-years predicted), ``observed`` and ``predicted``
    event counts, ``rel_error`` of the count, ``brier``, ``brier_reference`` (the training years' constant
    rate), ``brier_skill`` = 1 - brier / brier_reference (higher is better, 0 = no better than the constant
    rate) and ``log_loss``.
    """
    full = panel[panel[P.EXPOSURE] >= MIN_EXPOSURE]
    years = np.sort(full[P.YEAR].unique())
    if len(years) < MIN_BACKTEST_YEARS:
        raise ValueError(f"backtest impossible: {len(years)} full year(s) of history, at least {MIN_BACKTEST_YEARS} "
                         "needed")
    test_year = int(years[-1])
    train = panel[panel[P.YEAR] < test_year]
    test = full[full[P.YEAR] == test_year]
    model = make().fit(train)
    predict = total_hazard or (lambda m, X: np.asarray(m.predict_hazard(X), float))
    p = np.clip(np.asarray(predict(model, test), float), 0.0, 1.0)
    y = (test[P.OUTCOME] == outcome).to_numpy(float)
    base = float(((train[P.EXPOSURE] >= MIN_EXPOSURE) & (train[P.OUTCOME] == outcome)).sum()
                 / max((train[P.EXPOSURE] >= MIN_EXPOSURE).sum(), 1))
    brier = float(np.mean((p - y) ** 2))
    ref = float(np.mean((base - y) ** 2))
    observed, predicted = float(y.sum()), float(p.sum())
    return {"cutoff": test_year - 1, "n": float(len(y)), "observed": observed, "predicted": predicted,
            "rel_error": (predicted - observed) / observed if observed else float("nan"),
            "brier": brier, "brier_reference": ref,
            "brier_skill": 1.0 - brier / ref if ref > 0 else float("nan"), "log_loss": _log_loss(y, p)}


# ---------------------------------------------------------------------------------------------- fallbacks

def _observed(panel: pd.DataFrame, outcome: str, *, full_years_only: bool) -> tuple[int, int, int]:
    """``(full years, events, years)`` of the panel: years at risk observed over at least
    :data:`MIN_EXPOSURE` of a year, events of ``outcome`` (in those years when ``full_years_only``), and
    years with any row at risk."""
    if panel.empty:
        return 0, 0, 0
    full = panel[P.EXPOSURE].to_numpy(float) >= MIN_EXPOSURE
    rows = panel[full] if full_years_only else panel
    events = int((rows[P.OUTCOME].to_numpy(object) == outcome).sum())
    return int(panel.loc[full, P.YEAR].nunique()), events, int(panel[P.YEAR].nunique())


def _no_year_reason(years: int, what: str) -> str:
    """The reason of a prior fallback when no year is observed at all ("" otherwise)."""
    return f"aucune {what} observée : une seule extraction ou moins d'un an d'historique" if years == 0 else ""


def full_or_pooled(panel: pd.DataFrame, full: Callable[[], Any] | dict[str, Callable[[], Any]],
                   pooled: Callable[[], Any], outcome: str, code: str, *, total_hazard=None) -> Fitted:
    """Backtest the full model(s) and the pooled baseline on the last full year; the best full model is kept
    only when its Brier score is not worse than the baseline's (a model that loses to its baseline is never the
    active one). ``full``: one factory, or several by name (``model`` in the metrics says which one won)."""
    fulls = full if isinstance(full, dict) else {"full": full}
    scores = {name: hazard_holdout(panel, make, outcome, total_hazard=total_hazard) for name, make in fulls.items()}
    best = min(scores, key=lambda name: scores[name]["brier"])
    m_full = scores[best]
    m_pooled = hazard_holdout(panel, pooled, outcome, total_hazard=total_hazard)
    others = {f"brier_{name}": s["brier"] for name, s in scores.items()} if len(fulls) > 1 else {}
    if m_full["brier"] <= m_pooled["brier"]:
        metrics = {**m_full, "brier_pooled": m_pooled["brier"], "brier_skill_pooled": m_pooled["brier_skill"],
                   **others, **({"model": best} if len(fulls) > 1 else {})}
        return Fitted(fulls[best]().fit(panel), metrics, "brier_skill", "max")
    metrics = {**m_pooled, "brier_full": m_full["brier"], "brier_skill_full": m_full["brier_skill"], **others}
    reason = (f"le modèle complet perd contre le modèle groupé au backtest de {int(m_full['cutoff']) + 1} : "
              f"Brier {m_full['brier']:.4g} contre {m_pooled['brier']:.4g}")
    return Fitted(pooled().fit(panel), metrics, "brier_skill", "max", fallback=Fallback(code, reason))


def _ladder(panel: pd.DataFrame, counts: dict, prior: Fallback, make_prior: Callable[[], Any],
            pooled: Callable[[], Any], full, outcome: str, pooled_code: str, *, total_hazard=None) -> Fitted:
    """The hazard steps' ladder: the documented prior when fewer than :data:`MIN_EVENTS` events are observed
    (``prior`` says why), the pooled model when fewer than :data:`MIN_BACKTEST_YEARS` full years allow no
    backtest, else the best full model against the pooled one (:func:`full_or_pooled`); ``counts`` (with
    ``n_events`` and ``n_full_years``) go into the metrics."""
    if counts["n_events"] < MIN_EVENTS:
        return Fitted(make_prior().fit(), no_backtest("brier_skill", **counts), "brier_skill", "max", fallback=prior)
    full_years = counts["n_full_years"]
    if full_years < MIN_BACKTEST_YEARS:
        reason = f"{full_years} année(s) complète(s) d'historique < {MIN_BACKTEST_YEARS} : pas de backtest"
        return Fitted(pooled().fit(panel), no_backtest("brier_skill", **counts), "brier_skill", "max",
                      fallback=Fallback(pooled_code, reason))
    fitted = full_or_pooled(panel, full, pooled, outcome, pooled_code, total_hazard=total_hazard)
    fitted.metrics |= counts
    return fitted


# ---------------------------------------------------------------------------------------------- steps

def fit_retirement(data: TrainingData, ctx: StepContext) -> Fitted:
    """RetirementHazard, backtested on the last full year (primary: Brier skill, max), with its fallbacks:
    the law and documented propensities when too few retirements are observed (PriorRetirementHazard), the
    pooled hazard (position relative to the AOD only) when the history is too short to backtest or the full
    model loses to it."""
    panel = data.panel
    full_years, events, _ = _observed(panel, P.RETIREMENT, full_years_only=True)
    reason = (_no_year_reason(full_years, "année complète")
              or f"{events} départ(s) en retraite observé(s) en {full_years} année(s) complète(s) < {MIN_EVENTS}")
    fitted = _ladder(panel, {"n_full_years": full_years, "n_events": events}, Fallback(PRIOR_RETIREMENT, reason),
                     PriorRetirementHazard, functools.partial(RetirementHazard, covariates="pooled"),
                     RetirementHazard, P.RETIREMENT, POOLED_RETIREMENT)
    if events >= MIN_EVENTS and full_years >= MIN_BACKTEST_YEARS:  # the model was backtested: store its horizons
        fitted.metrics |= horizon_backtest(data, fitted.estimator, ctx)
        if fitted.metrics.get("horizon_sd"):  # its bands widened by horizon on the backtest's errors
            fitted.estimator.horizon_sd_ = tuple(fitted.metrics["horizon_sd"])
    return fitted


BACKTEST_CUTOFFS = 4
"""Cutoffs of the stored multi-year backtest (the last ones): enough to show the band coverage by horizon on the
« Fiabilité des prévisions » section without making the nightly training slow."""
BACKTEST_REPLICATES = 200
BACKTEST_HORIZON = 3


def horizon_backtest(data: TrainingData, chosen, ctx: StepContext) -> dict:
    """The chosen retirement model refitted at each of the last :data:`BACKTEST_CUTOFFS` cutoffs and its forecast
    of the next :data:`BACKTEST_HORIZON` years compared with what happened, totals and by catégorie, with the
    band coverage by horizon: ``backtest`` (the rows, stored with the version), ``coverage_t1..t3`` and
    ``horizon_sd`` (the bands' calibration by horizon on these errors, which the model then carries). Empty when
    the history holds no cutoff."""
    from workforce import evaluation as ev

    cutoffs = ev.default_cutoffs(data.history)[-BACKTEST_CUTOFFS:]
    if not cutoffs:
        return {}
    bt = ev.backtest(data.history, cutoffs, horizon=BACKTEST_HORIZON, by=("categorie",), model=chosen,
                     n_rep=BACKTEST_REPLICATES, rng=np.random.default_rng(ctx.rng.integers(2**32)))
    out: dict = {"backtest": bt.to_dict("records"), "band_method": bt.attrs.get("band_method"),
                 "horizon_sd": bt.attrs.get("horizon_sd") or []}
    totals = bt[bt[ev.BY] == "total"]
    for h, cov in totals.groupby(ev.HORIZON)[ev.COVERED].mean().items():
        out[f"coverage_t{int(h)}"] = float(cov)
    return out


def _total_exit_hazard(model, X: pd.DataFrame) -> np.ndarray:
    """P(any other exit): ``predict_hazard`` (one column) or ``predict_hazards`` (one column per motive) summed."""
    h = model.predict_hazard(X) if hasattr(model, "predict_hazard") else model.predict_hazards(X)
    h = h.to_numpy() if isinstance(h, (pd.DataFrame, pd.Series)) else np.asarray(h, float)
    return h.sum(axis=1) if h.ndim == 2 else h


def fit_exits(data: TrainingData, ctx: StepContext) -> Fitted:
    """The other exits (competing risk of retirement): CovariateExitHazard (every covariate an extract carries,
    regularised) or ExitHazard (statut, catégorie, age and tenure bands), whichever predicts the last full year
    better (Brier skill, max), with its fallbacks: documented default rates when too few exits are observed
    (PriorExitHazard), one rate per statut group and motive when the history is too short to backtest or the
    full model loses to it. Partial years count (ExitHazard weights them by their exposure)."""
    panel = data.panel
    full_years, events, years = _observed(panel, P.EXIT, full_years_only=False)
    reason = (_no_year_reason(years, "année à risque")
              or f"{events} autre(s) départ(s) observé(s) en {years} année(s) < {MIN_EVENTS}")
    return _ladder(panel, {"n_full_years": full_years, "n_years": years, "n_events": events},
                   Fallback(PRIOR_EXITS, reason), PriorExitHazard, functools.partial(ExitHazard, covariates="statut"),
                   {"covariates": CovariateExitHazard, "bands": ExitHazard}, P.EXIT, POOLED_EXITS,
                   total_hazard=_total_exit_hazard)
