"""The steps of the two profiles the engine needs besides the hazards: who gets hired (:class:`HireProfile`) and
how indices progress (:class:`IndiceProgression`). Trained and registered like every model, so a projection
reads them from the registry instead of refitting them each time, and each is backtested on the last year
against its baseline (the agents of under two years' tenure; indices that stay put)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce import panel as P
from workforce.forecast.fallback import NO_INDICE_PROGRESSION, RECENT_AGENTS_HIRES, Fallback
from workforce.forecast.hires import MIN_ARRIVALS, PROFILE_YEARS, HireProfile, profile_error, recent_agents
from workforce.payroll import IndiceProgression
from workforce.train.data import TrainingData
from workforce.train.step import Fitted, StepContext, no_backtest

HIRES_MODULES = ("workforce.forecast.hires", "workforce.forecast.fallback")
INDICES_MODULES = ("workforce.payroll", "workforce.forecast.fallback")
MIN_TEST_ARRIVALS = 5
"""Fewest recruits in the held-out year for the hire profile's backtest to mean anything."""


def _snapshot_at(snapshots: pd.DataFrame, day: pd.Timestamp) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The snapshot of the extract closest to ``day`` at or before it (the first one when none is)."""
    dates = np.sort(snapshots[P.EXTRACT_DATE].unique())
    before = dates[dates <= np.datetime64(day)]
    chosen = pd.Timestamp(before[-1] if len(before) else dates[0])
    return snapshots[snapshots[P.EXTRACT_DATE] == chosen], chosen


def fit_hires(data: TrainingData, ctx: StepContext) -> Fitted:
    """HireProfile on the recruits of the last three years; backtested on the last year's recruits (primary:
    weighted error of the mean age by catégorie, min) against the agents of under two years' tenure a year
    earlier, which stand in when the recruits are too few or describe the next ones worse."""
    arrivals = data.arrivals
    history = data.history.snapshots
    last = pd.Timestamp(history[P.EXTRACT_DATE].max())
    final_base, _ = _snapshot_at(history, last)
    recent_now = recent_agents(final_base, last)
    recent_final = arrivals[arrivals["movement_date"] >= last - pd.Timedelta(days=int(365.25 * PROFILE_YEARS))]
    counts = {"n_arrivals": float(len(recent_final))}
    if len(recent_final) < MIN_ARRIVALS:
        reason = f"{len(recent_final)} recrutement(s) connu(s) en {PROFILE_YEARS:g} ans < {MIN_ARRIVALS}"
        return Fitted(HireProfile().fit(recent_now), no_backtest("age_error", **counts), "age_error", "min",
                      fallback=Fallback(RECENT_AGENTS_HIRES, reason))
    cut = last - pd.DateOffset(years=1)
    train = arrivals[(arrivals["movement_date"] <= cut)
                     & (arrivals["movement_date"] > cut - pd.Timedelta(days=int(365.25 * PROFILE_YEARS)))]
    test = arrivals[arrivals["movement_date"] > cut]
    if len(train) < MIN_ARRIVALS or len(test) < MIN_TEST_ARRIVALS:
        return Fitted(HireProfile().fit(recent_final), no_backtest("age_error", **counts), "age_error", "min")
    cut_base, cut_day = _snapshot_at(history, cut)
    full = profile_error(HireProfile().fit(train), test)
    baseline = profile_error(HireProfile().fit(recent_agents(cut_base, cut_day)), test)
    metrics = {**full, **counts, "cutoff": float(cut.year), "age_error_baseline": baseline["age_error"],
               "statut_error_baseline": baseline["statut_error"]}
    if full["age_error"] <= baseline["age_error"]:
        return Fitted(HireProfile().fit(recent_final), metrics, "age_error", "min")
    reason = (f"le profil des recrutements perd contre celui des agents récents au backtest de {cut.year + 1} : "
              f"écart d'âge moyen {full['age_error']:.2f} an(s) contre {baseline['age_error']:.2f}")
    metrics = {**metrics, "age_error": baseline["age_error"], "age_error_full": full["age_error"]}
    return Fitted(HireProfile().fit(recent_now), metrics, "age_error", "min",
                  fallback=Fallback(RECENT_AGENTS_HIRES, reason))


def _indice_error(model: IndiceProgression, before: pd.DataFrame, after: pd.DataFrame) -> float:
    """Mean absolute error (points) of the indices a year later, for the agents present in both extracts in the
    same catégorie."""
    pair = before.merge(after, on=P.AGENT_ID, suffixes=("_0", "_1"))
    pair = pair[(pair[f"{P.CATEGORIE}_0"] == pair[f"{P.CATEGORIE}_1"])
                & pair[f"{P.INDICE}_0"].notna() & pair[f"{P.INDICE}_1"].notna()]
    if pair.empty:
        return float("nan")
    predicted = model.trajectories(pair[f"{P.INDICE}_0"].to_numpy(float), pair[f"{P.CATEGORIE}_0"].to_numpy(object),
                                   1, dtype=np.float64)[:, 1]
    return float(np.mean(np.abs(predicted - pair[f"{P.INDICE}_1"].to_numpy(float))))


def fit_indices(data: TrainingData, ctx: StepContext) -> Fitted:
    """IndiceProgression on the yearly extracts; backtested on the last year (primary: mean absolute error of
    the indices a year later, min) against indices that stay put, which stand in when the progression loses."""
    frame = data.indices
    if frame.empty or not frame[P.INDICE].notna().any():
        return Fitted(IndiceProgression.default(), no_backtest("indice_error", n_agents=0.0), "indice_error", "min")
    dates = np.sort(frame[P.EXTRACT_DATE].unique())
    counts = {"n_extracts": float(len(dates))}
    if len(dates) < 3:
        return Fitted(IndiceProgression().fit(frame), no_backtest("indice_error", **counts), "indice_error", "min")
    last, before = dates[-1], dates[-2]
    train = frame[frame[P.EXTRACT_DATE] <= before]
    test_before, test_after = frame[frame[P.EXTRACT_DATE] == before], frame[frame[P.EXTRACT_DATE] == last]
    full = _indice_error(IndiceProgression().fit(train), test_before, test_after)
    still = _indice_error(IndiceProgression(progress=False).fit(train), test_before, test_after)
    metrics = {"indice_error": full, "indice_error_baseline": still, "cutoff": float(pd.Timestamp(before).year),
               **counts}
    if not full > still:  # NaN (no agent in both extracts) keeps the progression
        return Fitted(IndiceProgression().fit(frame), metrics, "indice_error", "min")
    reason = (f"la progression apprise prédit moins bien les indices de {pd.Timestamp(last).year} que des indices "
              f"inchangés : écart moyen {full:.1f} point(s) contre {still:.1f}")
    return Fitted(IndiceProgression(progress=False).fit(frame), {**metrics, "indice_error": still,
                                                                 "indice_error_full": full},
                  "indice_error", "min", fallback=Fallback(NO_INDICE_PROGRESSION, reason))
