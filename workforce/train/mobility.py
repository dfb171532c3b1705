"""The mobility step: the Markov chain of internal moves by métier, backtested on the last full calendar year
against the employer-wide chain, nobody moving when no move is observable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.forecast.fallback import NO_MOBILITY, POOLED_MOBILITY, Fallback
from workforce.forecast.mobility import MobilityMatrix
from workforce.train.data import TrainingData
from workforce.train.step import MIN_MOVES, Fitted, StepContext, no_backtest

MODULES = ("workforce.forecast.mobility", "workforce.forecast.fallback")

def mobility_frames(data: TrainingData, until=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(moves, exposure)`` for :class:`workforce.forecast.mobility.MobilityMatrix`: internal movements up to
    ``until`` (inclusive) and agent-years by métier and direction from the monthly headcounts up to it."""
    moves = data.movements
    moves = moves[moves["kind"] == "internal"]
    heads = data.headcount
    if until is not None:
        moves = moves[moves["movement_date"] <= until]
        heads = heads[heads["extract_date"] <= until]
    dates = heads["extract_date"].drop_duplicates().sort_values()
    span = (dates.iloc[-1] - dates.iloc[0]).days / 365.25 if len(dates) > 1 else 0.0
    per_year = (len(dates) - 1) / span if span > 0 else 1.0
    exposure = (heads.groupby(["metier_code", "direction"], observed=True)["headcount"].sum() / per_year)
    exposure = exposure.rename("agent_years").reset_index()
    famille = data.metiers.set_index("code")["famille"]
    exposure["famille"] = exposure["metier_code"].map(famille).fillna(exposure["metier_code"]).astype(object)
    return moves.reset_index(drop=True), exposure


def _poisson_deviance(observed: np.ndarray, expected: np.ndarray) -> float:
    mu = np.maximum(expected, 1e-9)
    term = np.where(observed > 0, observed * np.log(np.maximum(observed, 1e-12) / mu), 0.0)
    return float(2.0 * np.sum(term - (observed - mu)))


def fit_mobility(data: TrainingData, ctx: StepContext) -> Fitted:
    """MobilityMatrix on the whole history; backtest on the last full calendar year: moves out of each métier
    observed against predicted, as Poisson deviance skill over one employer-wide rate (primary, max).

    Fallbacks: nobody moves when no internal move is observable (:data:`MIN_MOVES`); the pooled chain
    (employer-wide rates of moving; the backtest says nothing of destinations, which keep their famille
    shrinkage) when the history is too short to backtest or the chain by métier loses to it."""
    heads = data.headcount
    final_moves, final_exp = mobility_frames(data)
    dates = heads["extract_date"].drop_duplicates()
    months = len(pd.period_range(dates.min(), dates.max(), freq="M")) if len(dates) else 0
    counts = {"n_moves": float(len(final_moves)), "n_extracts": float(len(dates))}
    if len(final_moves) < MIN_MOVES:
        reason = ("aucun mouvement interne observable : une seule extraction" if len(dates) < 2 else
                  f"{len(final_moves)} mouvement interne observé en {months} mois")
        return Fitted(MobilityMatrix().fit(final_moves.iloc[:0], final_exp), no_backtest("deviance_skill", **counts),
                      "deviance_skill", "max", fallback=Fallback(NO_MOBILITY, reason))
    pooled = MobilityMatrix(rates="employer")
    last = heads["extract_date"].max()
    year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    cut = pd.Timestamp(f"{year - 1}-12-31")
    if heads["extract_date"].min() >= cut - pd.Timedelta(days=365):
        reason = (f"historique de {months} mois : moins de deux ans avant {year}, la dernière année complète ; "
                  "pas de backtest")
        return Fitted(pooled.fit(final_moves, final_exp), no_backtest("deviance_skill", **counts),
                      "deviance_skill", "max", fallback=Fallback(POOLED_MOBILITY, reason))
    train_moves, train_exp = mobility_frames(data, cut)
    in_year = final_moves[(final_moves["movement_date"] > cut)
                          & (final_moves["movement_date"] <= pd.Timestamp(f"{year}-12-31"))]
    year_heads = heads[(heads["extract_date"] > cut) & (heads["extract_date"] <= pd.Timestamp(f"{year}-12-31"))]
    exp_year = year_heads.groupby("metier_code")["headcount"].sum() / max(year_heads["extract_date"].nunique(), 1)
    observed = in_year.groupby("from_metier").size().reindex(exp_year.index).fillna(0.0).to_numpy()
    base = len(train_moves) / max(float(train_exp["agent_years"].sum()), 1e-9)
    dev0 = _poisson_deviance(observed, (exp_year * base).to_numpy())

    def score(model) -> dict[str, float]:
        rate = pd.Series(np.asarray(model.p_metier_) + np.asarray(model.p_direction_), index=list(model.metiers_))
        predicted = (exp_year * rate.reindex(exp_year.index).fillna(float(rate.mean()))).to_numpy()
        dev = _poisson_deviance(observed, predicted)
        return {"cutoff": float(year - 1), "observed": float(observed.sum()), "predicted": float(predicted.sum()),
                "rel_error": float((predicted.sum() - observed.sum()) / observed.sum()) if observed.sum()
                else float("nan"), "deviance": dev, "deviance_reference": dev0,
                "deviance_skill": 1.0 - dev / dev0 if dev0 > 0 else float("nan")}

    m_full = score(MobilityMatrix().fit(train_moves, train_exp))
    m_pooled = score(MobilityMatrix(rates="employer").fit(train_moves, train_exp))
    if m_full["deviance"] <= m_pooled["deviance"]:
        metrics = {**m_full, "deviance_pooled": m_pooled["deviance"], **counts}
        return Fitted(MobilityMatrix().fit(final_moves, final_exp), metrics, "deviance_skill", "max")
    metrics = {**m_pooled, "deviance_full": m_full["deviance"], **counts}
    reason = (f"la chaîne par métier perd contre la chaîne groupée au backtest de {year} : "
              f"déviance {m_full['deviance']:.4g} contre {m_pooled['deviance']:.4g}")
    return Fitted(pooled.fit(final_moves, final_exp), metrics, "deviance_skill", "max",
                  fallback=Fallback(POOLED_MOBILITY, reason))
