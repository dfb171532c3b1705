"""The engine's two steps: :func:`prepare` computes once per model set what does not depend on the scenario
knobs; :func:`run` applies a :class:`workforce.scenario.Scenario` and is cheap (see :mod:`workforce.projection`).
:func:`agent_survival` gives each base agent's expected presence year by year, for checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Callable

import numpy as np
import pandas as pd

from workforce import payroll as pay
from workforce import rules
from workforce.forecast.mobility import MobilityOperator
from workforce.projection.expected import base_flows_cached, run_expected, single_thread, start_stock
from workforce.projection.hazards import ModelHazards
from workforce.forecast.hires import HireProfile, recent_agents
from workforce.projection.knobs import cost_per_point, scenario_knobs
from workforce.projection.montecarlo import run_mc
from workforce.columns import EXTRA
from workforce.projection.names import (AGENT_ID, BIRTH_DATE, CATEGORIE, CATEGORY_CODES, DIRECTION,
                                        EXTRACT_DATE, INDICE, METIER, MODES, QUOTITE, STATUT)
from workforce.projection.prepared import Models, Prepared
from workforce.projection.result import Projection, code_version
from workforce.referential import load_builtin
from workforce.scenario import Scenario


def prepare(base: pd.DataFrame, models: Models | None = None, *, horizon: int = 10, start=None, referential=None,
            regime: str = rules.DEFAULT_REGIME, provenance: dict | None = None) -> Prepared:
    """Compute once what every scenario of a model set shares.

    Parameters
    ----------
    base : DataFrame
        The agents present at the start (the last extract; db.AgentSnapshot columns: ``birth_date, statut,
        categorie, metier_code, direction, quotite, entry_date, service_category, active_service_years,
        insurance_quarters, indice_majore, extract_date``).
    models : Models
        Fitted models. Missing ones fall back to: the law alone for retirement
        (:class:`workforce.projection.hazards.LawRetirementHazard`), no other exit, no mobility, a flat demand,
        hires that look like the base agents of under two years' tenure, indices that do not progress.
    horizon : int
        Longest scenario horizon this preparation serves (years; a longer scenario needs a new preparation).
    start : date
        First day projected (default: the day after the base extract).
    referential : Referential
        Métier, famille and direction lists (default: the built-in one).
    regime : str
        Law variant whose retirement hazards are computed now (others on first use).
    provenance : dict
        Extract, model versions... recorded with every run (:func:`run` adds the scenario, seed, code version).
    """
    t0 = time.perf_counter()
    models = models or Models()
    if not 1 <= horizon <= 30:
        raise ValueError(f"horizon must be in 1..30, got {horizon}")
    base = base.reset_index(drop=True)
    missing = [c for c in (BIRTH_DATE, STATUT, CATEGORIE, METIER, DIRECTION) if c not in base.columns]
    if missing:
        raise ValueError(f"base population lacks column(s) {', '.join(missing)}")
    start = _start_day(base, start)
    first_end = rules.add_months(np.array([start]), 12)[0] - np.timedelta64(1, "D")
    base_year = int(str(first_end)[:4]) - 1
    if referential is None:
        referential = load_builtin()
    ref_m = referential.metiers
    metiers = _code_list(ref_m["code"], base[METIER])
    directions = _code_list(referential.directions["code"], base[DIRECTION])
    fam_map = dict(zip(ref_m["code"].astype(str), ref_m["famille"].astype(str)))
    familles = np.array([fam_map.get(m, m) for m in metiers], dtype=object)
    M, D = len(metiers), len(directions)
    # the agents' arrays are computed in the frame's order, then put in origin cell order (the frame itself is
    # never reordered: a million rows of text would cost more than every hazard)
    order, cat, met, dirn, origin = _sorted_by_cell(base, metiers, directions)
    starts = np.flatnonzero(np.r_[True, origin[1:] != origin[:-1]]) if len(origin) else np.zeros(0, np.int64)
    quot = (pd.to_numeric(base[QUOTITE], errors="coerce").fillna(1.0).to_numpy(float)[order] if QUOTITE in base
            else np.ones(len(base)))

    hazards = ModelHazards(models.retirement, models.exits)
    motives = hazards.motives
    t1 = time.perf_counter()
    exit_h = np.take(hazards.exit_hazards(base, start, horizon), order, axis=0)  # np.take: fancy indexing of 3-D arrays is ten times slower
    t_exit = time.perf_counter() - t1

    indices = _indices(models, base, start)
    agent_im = indices.trajectories(base[INDICE] if INDICE in base else np.full(len(base), np.nan),
                                    base[CATEGORIE], horizon).take(order, axis=0)
    templates = _hire_profile(models, base, start).templates_.reset_index(drop=True)
    tmpl_cat = templates[CATEGORIE].map({c: i for i, c in enumerate(CATEGORY_CODES)}).to_numpy(np.int64)
    tmpl_im = indices.trajectories(templates[INDICE], templates[CATEGORIE], horizon)
    prepared = Prepared(
        start=start, base_year=base_year, horizon=horizon, metiers=metiers, familles=familles, directions=directions,
        motives=motives, agent_cat=cat.astype(np.int8), agent_metier=met.astype(np.int32),
        agent_direction=dirn.astype(np.int32), agent_quotite=quot, agent_sg=pay.statut_group(base[STATUT])[order],
        agent_indice=agent_im, exit_hazard=exit_h, origin_starts=starts, origin_cells=origin[starts],
        templates=templates, tmpl_cat=tmpl_cat, tmpl_share=templates["share"].to_numpy(float),
        tmpl_quotite=templates[QUOTITE].to_numpy(float), tmpl_sg=pay.statut_group(templates[STATUT]),
        tmpl_indice=tmpl_im, tmpl_exit=np.zeros((horizon, len(templates), horizon, len(motives)), np.float32),
        mobility=None, demand_index=np.ones((horizon, M)), demand_models=None,
        metier_default_cell=_default_cells(ref_m, metiers, directions), provenance=dict(provenance or {}),
        _agents=base, _order=order, _hazards=hazards,
    )
    # pseudo-agents of the hire cohorts: exit hazards by calendar year, every cohort in one call from its own day
    T = len(templates)
    if horizon > 1 and T:
        days = rules.add_months(np.full(horizon - 1, start), 12 * np.arange(1, horizon))
        pseudo = pd.concat([prepared.pseudo_agents(day) for day in days], ignore_index=True)
        cohort_h = hazards.exit_hazards(pseudo, np.repeat(days, T), horizon - 1)
        for e in range(horizon - 1):
            prepared.tmpl_exit[e, :, e + 1:] = cohort_h[e * T:(e + 1) * T, :horizon - e - 1]
    prepared.mobility = (models.mobility.operator(metiers, directions) if models.mobility is not None
                         else MobilityOperator.identity(M, D))
    _demand_baseline(prepared, models)
    t2 = time.perf_counter()
    prepared.retirement(regime)
    t3 = time.perf_counter()
    # warm the caches for the default knobs under this law variant, so that the first slider answers at once
    warm = Scenario(horizon=horizon, regime=regime)
    base_flows_cached(prepared, scenario_knobs(prepared, warm, np.zeros(prepared.shape)))
    prepared.timings |= {"exit_hazards": t_exit, "retirement_default": t3 - t2, "warm": time.perf_counter() - t3,
                         "prepare": time.perf_counter() - t0}
    prepared.provenance |= {"models": dict(models.versions), "start": str(start), "base_year": base_year,
                            "agents": int(len(base)), "base_hash": _frame_hash(base)}
    return prepared


def _start_day(base: pd.DataFrame, start) -> np.datetime64:
    """``start``, or the day after the base extract."""
    if start is None:
        if EXTRACT_DATE not in base.columns:
            raise ValueError("give start= or an extract_date column in the base population")
        start = rules.as_dates(base[EXTRACT_DATE]).max() + np.timedelta64(1, "D")
    return rules.as_dates([start])[0]


def _sorted_by_cell(base: pd.DataFrame, metiers: np.ndarray, directions: np.ndarray) -> tuple:
    """The order that sorts the base agents by origin cell (catégorie x métier x direction), with their catégorie,
    métier, direction and cell codes in that order."""
    M, D = len(metiers), len(directions)
    cat = _codes_of(base[CATEGORIE], CATEGORY_CODES, missing=2)  # unknown catégorie counted as C
    met = _codes_of(base[METIER], metiers)
    dirn = _codes_of(base[DIRECTION], directions)
    origin = (cat * M + met) * D + dirn
    order = np.argsort(origin, kind="stable")
    return order, cat[order], met[order], dirn[order], origin[order]


def _codes_of(values: pd.Series, labels, missing: int = -1) -> np.ndarray:
    """Position of each value's text in ``labels`` (``missing`` when absent), looked up once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    at = pd.Index(list(labels), dtype=object).get_indexer(pd.Index([str(u) for u in np.asarray(uniques, object)],
                                                                   dtype=object))
    at = np.append(np.where(at < 0, missing, at), missing)  # code -1 (missing value) reads the last
    return at[codes].astype(np.int64)


def _indices(models: Models, base: pd.DataFrame, start) -> pay.IndiceProgression:
    """The models' indice progression, else one fitted on the base (levels, and the progression from the
    cross-section of indices by tenure), else indices that do not progress."""
    indices = models.indices
    if indices is None and INDICE in base.columns and base[INDICE].notna().any():
        day = pd.Timestamp(start) - pd.Timedelta(days=1)
        indices = pay.IndiceProgression().fit(base.assign(**{EXTRACT_DATE: base.get(EXTRACT_DATE, day)}))
    if indices is None:
        indices = pay.IndiceProgression.default()
    return indices


def _hire_profile(models: Models, base: pd.DataFrame, start) -> HireProfile:
    """The models' hire profile, else one fitted on the base agents of under two years' tenure (all of them when
    fewer than 20)."""
    if models.hires is not None:
        return models.hires
    return HireProfile().fit(recent_agents(base, start))


def _demand_baseline(prepared: Prepared, models: Models) -> None:
    """The demand model's index of each métier over its level today (flat when there is no model)."""
    if models.demand is None:
        return
    ann = models.demand.annual(prepared.horizon, start=pd.Timestamp(prepared.start) - pd.Timedelta(days=1))
    piv = ann.pivot_table(index="year", columns=METIER, values="index", aggfunc="first")
    idx = piv.reindex(columns=list(prepared.metiers)).to_numpy(float)
    prepared.demand_index = np.where(np.isfinite(idx), idx, 1.0)[:prepared.horizon]
    prepared.demand_models = models.demand.series_[[METIER, "level", "model", "reason"]].copy()
    if not {"demand", "lower", "upper"} <= set(ann.columns):  # a model without a band: the demand alone
        return
    # the band as ratios to the central forecast, so that it follows the scenario's overlays and factors
    band = []
    for bound in ("lower", "upper"):
        ratio = ann.assign(r=np.where(ann["demand"] > 0, ann[bound] / ann["demand"].where(ann["demand"] > 0), 1.0))
        piv = ratio.pivot_table(index="year", columns=METIER, values="r", aggfunc="first")
        r = piv.reindex(columns=list(prepared.metiers)).to_numpy(float)
        band.append(np.where(np.isfinite(r), r, 1.0)[:prepared.horizon])
    prepared.demand_band = np.stack(band)


def _code_list(*series) -> np.ndarray:
    values = []
    for s in series:
        values.extend(pd.Series(s).dropna().astype(str).tolist())
    return np.array(sorted(set(values)), dtype=object)


def _default_cells(ref_m: pd.DataFrame, metiers: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """(catégorie, direction) of each métier per the referential (targets on a métier without agents go there)."""
    out = np.zeros((len(metiers), 2), np.int64)
    out[:, 0] = 2
    info = ref_m.set_index("code")
    dix = {d: i for i, d in enumerate(directions)}
    for i, m in enumerate(metiers):
        if m in info.index:
            row = info.loc[m]
            weights = str(row.get("categorie_weights") or "")
            best = max((p.split(":") for p in weights.split(";") if ":" in p), key=lambda kv: float(kv[1]),
                       default=("C", "1"))
            out[i, 0] = CATEGORY_CODES.index(best[0].strip()) if best[0].strip() in CATEGORY_CODES else 2
            out[i, 1] = dix.get(row.get("direction"), 0)
    return out


def _frame_hash(frame: pd.DataFrame) -> str:
    """A fingerprint of the base population for the provenance (the kept columns' dicts as text: dicts cannot be
    hashed)."""
    h = hashlib.sha256()
    try:
        hashed = pd.util.hash_pandas_object(frame.astype({c: str for c in (EXTRA,) if c in frame.columns}),
                                            index=False)
    except TypeError:  # another column of unhashable values
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False)
    h.update(hashed.to_numpy().tobytes())
    return h.hexdigest()[:16]


def run(prepared: Prepared, scenario: Scenario | None = None, *, mode: str = "expected", replicates: int = 1000,
        n_jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> Projection:
    """Project ``prepared`` under ``scenario``.

    Parameters
    ----------
    mode : {"expected", "mc"}
        Expected values (deterministic, fast) or Monte Carlo replicates with bands (the expected values are
        computed too, for the ``value`` column).
    replicates : int
        Monte Carlo replicates, simulated in chunks of :data:`MC_CHUNK` seeded from ``scenario.seed`` (same
        seed, same numbers, whatever ``n_jobs``).
    n_jobs : int
        joblib workers for the Monte Carlo chunks.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "mc" and replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")
    scenario = scenario or Scenario(horizon=min(10, prepared.horizon))
    t0 = time.perf_counter()
    cost_pp = cost_per_point(prepared, scenario)  # the payroll rates, computed once for the run
    start = start_stock(prepared, cost_pp[0])
    kn = scenario_knobs(prepared, scenario, start.etp, cost_pp)
    with single_thread():  # small matrices: threads only add contention
        values = run_expected(prepared, kn, start)
    timings = {"expected": time.perf_counter() - t0}
    bands = None
    mc_mean = None
    if mode == "mc":
        t1 = time.perf_counter()
        bands, mc_mean = run_mc(prepared, kn, start, values, scenario.seed, replicates, n_jobs, progress)
        timings["mc"] = time.perf_counter() - t1
    prov = dict(prepared.provenance) | {
        "scenario": scenario.to_dict(), "scenario_fingerprint": scenario.fingerprint(), "seed": scenario.seed,
        "mode": mode, "replicates": replicates if mode == "mc" else 0, "code_version": code_version(),
        "run_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return Projection(prepared=prepared, scenario=scenario, years=np.r_[prepared.base_year, kn.years],
                      values=values, motives=prepared.motives, mode=mode, bands=bands, mc_mean=mc_mean,
                      provenance=prov, timings=timings)


def agent_survival(prepared: Prepared, scenario: Scenario | None = None) -> pd.DataFrame:
    """Expected presence of each agent of the base at the start and at the end of each projection year:
    ``agent_id`` plus one column per year (1.0 at the start). Personal data: for checks, never published."""
    scenario = scenario or Scenario(horizon=min(10, prepared.horizon))
    kn = scenario_knobs(prepared, scenario, np.zeros(prepared.shape))
    stay = np.clip(1.0 - kn.probs.all().sum(axis=2), 0.0, 1.0)
    surv = np.concatenate([np.ones((len(stay), 1)), np.cumprod(stay, axis=1)], axis=1)
    ids = prepared.agent_ids()
    years = np.r_[prepared.base_year, kn.years]
    return pd.concat([pd.DataFrame({AGENT_ID: ids}), pd.DataFrame(surv, columns=years.tolist())], axis=1)
