"""Projection engine: today's agents, the fitted models and a scenario -> the workforce year by year.

Why: the planner moves a slider and expects the figures at once; the same engine also gives honest bands.
So the engine is a stock-flow microsimulation over whole-population arrays (DESIGN: struct of arrays,
integer-coded groups, ``np.bincount``/``np.add.reduceat``, never a Python loop over agents), in two modes:

``expected``
    Fractional survivors, deterministic: each agent carries a survival probability; flows are expected values.
    8,000 agents over 10 years take a few milliseconds once :func:`prepare` has computed the hazards.
``mc``
    Monte Carlo: seeded replicates where each agent leaves (by one cause) or stays, moves or not; hires are
    individuals. Replicates run in chunks through joblib; P10/P50/P90 bands by total, catégorie, direction,
    métier and famille (quantiles do not add up, so each level has its own).

Two steps. :func:`prepare` computes once per model set what does not depend on the scenario knobs (exit
hazards by motive, the retirement hazard under the default knobs, hire profiles, the mobility operator, the
demand baseline, indices); retirement hazards under other law variants or retirement knobs are computed on
first use and cached in the prepared object. :func:`run` applies a :class:`workforce.scenario.Scenario` and is
cheap: the combined hazards and the base agents' flows are cached per (law, retirement and exit knobs), so a
knob on hiring, replacement, delay or demand only reruns the yearly loop over cells.

One year (t), in order, for every group (catégorie x métier x direction, a *cell*):

1. Departures of those present at the start: retirement and the exit motives are competing causes of one
   year, P(stay) = 1 - h_retirement - sum_k m_k h_k (``m_k`` the scenario's exit multipliers; when the causes
   add up to more than 1 they are scaled down; in the year of the age limit retirement takes the rest).
2. Internal mobility of those who stay (:class:`workforce.forecast.mobility.MobilityOperator`). In expected
   mode the mass of an agent spreads over cells; since hazards do not depend on the cell, each year's flows are
   summed by origin cell and moved through the chain (the base agents' flows of year k by k steps, in float32;
   each hire cohort's position by one step a year). A post follows an agent who moves (a redeployment).
3. Hires at the end of the year. Posts follow the demand: ``posts(t) = posts(t-1) - (1 - replacement rate) x
   departures(t) + change of demand (heads) + mobility in - out``; the gap between posts and agents (minus
   those already being recruited) opens recruitments, filled after ``recruitment_delay_months`` (a share spills
   into next year); a frozen year hires nobody and cuts the posts to the agents left. Posts vacant at the start
   are those the delay keeps open in a steady state (delay x departures), so a 100 % replacement keeps headcount
   flat. Monte Carlo draws the same rule in whole posts (Poisson vacancies at the start, binomial spills and
   cuts), so that its mean converges to the expected mode.

Hires are drawn from :class:`HireProfile` templates (statut, age, quotité, indice by catégorie, learned from
the recent arrivals); their later departures use the same models, on pseudo-agents hired each year.

Output (:class:`Projection`): a long table ``year, metier_code, direction, categorie, indicator, value`` (and in
Monte Carlo ``mean, p10, p50, p90`` on the aggregated levels), where year 0 of the table is the base year (the
stock at the start) and the indicators are :data:`INDICATORS`. The stock-flow identity holds for every cell
and year: headcount(t) = headcount(t-1) - retirements - exits + hires + mobility_in - mobility_out.

Glossary: see :mod:`workforce` (métier, famille, direction, catégorie, ETP, AOD).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

import workforce
from workforce import payroll as pay
from workforce import rules
from workforce.scenario import Scenario

# ============================================================================================== columns

YEAR, METIER, DIRECTION, CATEGORIE, FAMILLE = "year", "metier_code", "direction", "categorie", "famille"
INDICATOR, VALUE, MEAN, P10, P50, P90 = "indicator", "value", "mean", "p10", "p50", "p90"
LEVEL = "level"
LEVELS = ("total", "categorie", "direction", "metier", "famille")
"""Aggregation levels of the bands (and of :meth:`Projection.summary`)."""
ALL = "*"
"""Placeholder of an aggregated dimension in the level tables."""

HEADCOUNT, ETP, PAYROLL = "headcount", "etp", "payroll"
RETIREMENTS, EXITS, HIRES = "retirements", "exits", "hires"
MOBILITY_IN, MOBILITY_OUT, DEMAND, VACANCIES = "mobility_in", "mobility_out", "demand", "vacancies"
EXIT_MOTIVES = ("mutation", "demission", "fin_contrat", "disponibilite", "detachement", "deces", "licenciement",
                "autre")
EXIT_INDICATORS = tuple(f"exits_{m}" for m in EXIT_MOTIVES)
INDICATORS = (HEADCOUNT, ETP, RETIREMENTS, EXITS, *EXIT_INDICATORS, HIRES, MOBILITY_IN, MOBILITY_OUT, DEMAND,
              VACANCIES, PAYROLL)
"""Indicators of the long table: stocks at the end of the year (headcount, ETP, payroll in euros a year),
flows during it (retirements, exits by motive, hires, mobility), demand (ETP) and vacancies = demand - ETP."""
PAYROLL_FLOWS = ("payroll_start", "price_effect", "gvt", "hires_cost", "exits_cost", "mobility_in_cost",
                 "mobility_out_cost")
MC_INDICATORS = (HEADCOUNT, ETP, RETIREMENTS, EXITS, *EXIT_INDICATORS, HIRES, MOBILITY_IN, MOBILITY_OUT)
"""Indicators with Monte Carlo bands (vacancies get theirs from ETP's, demand being deterministic; payroll is
given by the expected mode only)."""
CATEGORY_CODES = ("A", "B", "C")
MODES = ("expected", "mc")
MC_CHUNK = 25
"""Replicates simulated together (fixed, so results do not depend on the number of workers)."""
MC_BATCH = 4
"""Chunks per joblib task (fixed for the same reason; a task returns one array of cell sums)."""

# snapshot columns read from the base population (names of db.AgentSnapshot)
AGENT_ID, BIRTH_DATE, STATUT, QUOTITE = "agent_id", "birth_date", "statut", "quotite"
ENTRY_DATE, INDICE, EXTRACT_DATE = "entry_date", "indice_majore", "extract_date"


# ============================================================================================== hires

class HireProfile(BaseEstimator):
    """Who gets hired, by catégorie: statut, age band, quotité and indice of the recent arrivals.

    Parameters
    ----------
    age_edges : tuple of float
        Age bands of the templates; each band is represented by the mean age of its hires.
    min_share : float
        Templates with a smaller share within their catégorie are merged into the nearest age band.

    Attributes
    ----------
    templates_ : DataFrame
        ``categorie, statut, age, quotite, indice_majore, share`` (shares sum to 1 within a catégorie).
    """

    def __init__(self, *, age_edges=(25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0), min_share=0.0):
        self.age_edges = age_edges
        self.min_share = min_share

    def fit(self, arrivals: pd.DataFrame, y=None) -> "HireProfile":
        """Fit on arrivals ``categorie, statut, age`` (years at hire), optional ``quotite, indice_majore``."""
        missing = [c for c in (CATEGORIE, STATUT, "age") if c not in arrivals.columns]
        if missing:
            raise ValueError(f"arrivals lack column(s) {', '.join(missing)}: see arrivals_from_history()")
        a = arrivals.dropna(subset=[CATEGORIE, STATUT, "age"])
        a = a[a[CATEGORIE].isin(CATEGORY_CODES)]
        if a.empty:
            raise ValueError("no arrival with a catégorie A/B/C, a statut and an age")
        q = pd.to_numeric(a[QUOTITE], errors="coerce") if QUOTITE in a.columns else pd.Series(1.0, index=a.index)
        im = pd.to_numeric(a[INDICE], errors="coerce") if INDICE in a.columns else pd.Series(np.nan, index=a.index)
        frame = pd.DataFrame({CATEGORIE: a[CATEGORIE].to_numpy(object), STATUT: a[STATUT].astype(str).to_numpy(object),
                              "band": np.searchsorted(np.asarray(self.age_edges, float), a["age"].to_numpy(float),
                                                      side="right"),
                              "age": a["age"].to_numpy(float), QUOTITE: q.fillna(1.0).to_numpy(float),
                              INDICE: im.to_numpy(float)})
        t = (frame.groupby([CATEGORIE, STATUT, "band"])
             .agg(age=("age", "mean"), quotite=(QUOTITE, "mean"), indice_majore=(INDICE, "mean"),
                  n=("age", "size")).reset_index())
        t["share"] = t["n"] / t.groupby(CATEGORIE)["n"].transform("sum")
        t = t[t["share"] >= self.min_share]
        t["share"] = t["n"] / t.groupby(CATEGORIE)["n"].transform("sum")
        # a catégorie nobody was hired into borrows the templates of the others
        for c in CATEGORY_CODES:
            if not (t[CATEGORIE] == c).any():
                borrowed = t.assign(**{CATEGORIE: c})
                borrowed["share"] = borrowed["n"] / borrowed["n"].sum()
                t = pd.concat([t, borrowed], ignore_index=True)
        self.templates_ = t[[CATEGORIE, STATUT, "age", QUOTITE, INDICE, "share"]].reset_index(drop=True)
        self.n_arrivals_ = int(len(frame))
        return self


def arrivals_from_history(snapshots: pd.DataFrame, movements: pd.DataFrame, years: float = 3.0) -> pd.DataFrame:
    """Arrivals of the last ``years`` with their first snapshot on or after the arrival: ``categorie, statut,
    age, quotite, indice_majore``."""
    arr = movements[movements["kind"] == "arrival"][[AGENT_ID, "movement_date"]].copy()
    arr["movement_date"] = pd.to_datetime(arr["movement_date"])
    if arr.empty:
        return pd.DataFrame(columns=[CATEGORIE, STATUT, "age", QUOTITE, INDICE])
    arr = arr[arr["movement_date"] >= arr["movement_date"].max() - pd.Timedelta(days=int(365.25 * years))]
    cols = [c for c in (EXTRACT_DATE, AGENT_ID, BIRTH_DATE, CATEGORIE, STATUT, QUOTITE, INDICE) if c in snapshots]
    snaps = snapshots[snapshots[AGENT_ID].isin(arr[AGENT_ID])][cols].copy()
    snaps[EXTRACT_DATE] = pd.to_datetime(snaps[EXTRACT_DATE])
    m = arr.merge(snaps, on=AGENT_ID)
    m = m[m[EXTRACT_DATE] >= m["movement_date"]].sort_values([AGENT_ID, "movement_date", EXTRACT_DATE])
    m = m.drop_duplicates([AGENT_ID, "movement_date"])
    m["age"] = (m["movement_date"] - pd.to_datetime(m[BIRTH_DATE])).dt.days / 365.25
    for c in (QUOTITE, INDICE):
        if c not in m.columns:
            m[c] = np.nan
    return m[[CATEGORIE, STATUT, "age", QUOTITE, INDICE]].reset_index(drop=True)


# ============================================================================================== hazards

class LawRetirementHazard(BaseEstimator):
    """A retirement hazard from the law alone, for when no fitted model exists (and for tests).

    ``spike`` of the agents leave in the year their AOD falls in (scaled by the eligible share of the year),
    ``after`` a year after that, nobody before the AOD, everybody by the age limit. Same
    ``predict_components`` interface as :class:`workforce.forecast.retirement.RetirementHazard`.
    """

    def __init__(self, *, spike: float = 0.35, after: float = 0.3):
        self.spike = spike
        self.after = after

    def fit(self, X=None, y=None) -> "LawRetirementHazard":
        self.aod_share_ = float(self.spike)
        return self

    def predict_components(self, X: pd.DataFrame, *, postpone_months: int = 0, aod_share: float | None = None):
        check_is_fitted(self, "aod_share_")
        m_aod = X["months_to_aod"].to_numpy(np.int64) + int(postpone_months)
        m_lim = X["months_to_limit"].to_numpy(np.int64)
        spike = self.spike if aod_share is None else aod_share
        in_year = (m_aod >= 0) & (m_aod <= 11)
        h = np.where(in_year, spike * (12 - m_aod) / 12.0, np.where(m_aod < 0, self.after, 0.0))
        seg = np.where(m_lim <= 11, "limit", np.where(m_aod <= 11, "eligible", "early")).astype(object)
        h = np.where(seg == "limit", 1.0, h)
        return pd.DataFrame({"segment": seg, "hazard": h}, index=X.index)


class ModelHazards:
    """Per-agent annual hazards from the fitted models, on the base population or pseudo-agents.

    ``retirement`` has ``predict_components(rolled, postpone_months=, aod_share=)`` on the rolled covariates of
    :func:`workforce.forecast.retirement.roll_covariates` (``hazard`` and ``segment``, ``limit`` = certain);
    ``exits`` is a :class:`workforce.forecast.exits.ExitHazard` (None: nobody leaves but by retirement).
    """

    CHUNK = 100_000

    def __init__(self, retirement=None, exits=None):
        self.retirement = retirement if retirement is not None else LawRetirementHazard().fit()
        self.exits = exits

    @property
    def motives(self) -> tuple[str, ...]:
        return tuple(self.exits.motives_) if self.exits is not None else ()

    def exit_hazards(self, agents: pd.DataFrame, start, horizon: int) -> np.ndarray:
        """(n, horizon, n_motives) float32; age and tenure grow a year a year."""
        n = len(agents)
        if self.exits is None or n == 0:
            return np.zeros((n, horizon, len(self.motives)), np.float32)
        day = rules.as_dates([start])[0]
        age = _years(rules.as_dates(agents[BIRTH_DATE]), day)
        tenure = (_years(rules.as_dates(agents[ENTRY_DATE]), day) if ENTRY_DATE in agents.columns
                  else np.full(n, np.nan))
        return self.exits.hazards(agents[STATUT].to_numpy(object), agents[CATEGORIE].to_numpy(object), age, tenure,
                                  horizon)

    def retirement_hazards(self, agents: pd.DataFrame, start, horizon: int, *, regime: str,
                           postpone_months: int = 0, aod_share: float | None = None):
        """``(hazard (n, horizon) float32, certain (n, horizon) bool)``, in chunks of agents."""
        from workforce.forecast.retirement import roll_covariates

        from workforce import panel as P

        n = len(agents)
        h = np.zeros((n, horizon), np.float32)
        certain = np.zeros((n, horizon), bool)
        base = agents.reset_index(drop=True)
        missing = {c: np.nan for c in P.SNAPSHOT_COLUMNS if c not in base.columns}
        if missing:  # optional snapshot columns the retirement features read
            base = base.assign(**missing)
        for lo in range(0, n, self.CHUNK):
            part = base.iloc[lo:lo + self.CHUNK]
            rolled = roll_covariates(part, start, horizon, regime)
            comp = self.retirement.predict_components(rolled, postpone_months=postpone_months, aod_share=aod_share)
            k = len(part)
            h[lo:lo + k] = comp["hazard"].to_numpy(np.float32).reshape(horizon, k).T
            certain[lo:lo + k] = (comp["segment"].to_numpy(object) == "limit").reshape(horizon, k).T
        return h, certain


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def _single_thread():
    """BLAS limited to one thread (looking the libraries up once per process, not per call)."""
    return _controller().limit(limits=1, user_api="blas")


def _years(earlier: np.ndarray, day: np.datetime64) -> np.ndarray:
    d = (day - np.asarray(earlier, "datetime64[D]")).astype("timedelta64[D]")
    return np.where(np.isnat(d), np.nan, d.astype(np.float64) / 365.25)


# ============================================================================================== models

@dataclass
class Models:
    """The fitted models the engine reads; any may be None (see :func:`prepare` for the fallbacks).

    ``versions`` maps a model name to its registry record (``{"version": ..., "sha256": ...}``) for provenance.
    """

    retirement: Any = None
    exits: Any = None
    mobility: Any = None
    demand: Any = None
    hires: HireProfile | None = None
    indices: pay.IndiceProgression | None = None
    versions: dict = field(default_factory=dict)


# ============================================================================================== prepared

@dataclass
class Prepared:
    """Everything :func:`run` needs that no scenario knob changes, plus the retirement-hazard cache."""

    start: np.datetime64
    base_year: int
    horizon: int
    metiers: np.ndarray
    familles: np.ndarray
    directions: np.ndarray
    motives: tuple[str, ...]
    # base agents, sorted by origin cell
    agent_cat: np.ndarray
    agent_metier: np.ndarray
    agent_direction: np.ndarray
    agent_quotite: np.ndarray
    agent_sg: np.ndarray
    agent_indice: np.ndarray  # (n, horizon + 1)
    exit_hazard: np.ndarray  # (n, horizon, K)
    origin_starts: np.ndarray
    origin_cells: np.ndarray
    # hire templates and their pseudo-agents (entry e hired at the end of year e, e = 0..horizon-1)
    templates: pd.DataFrame
    tmpl_cat: np.ndarray
    tmpl_share: np.ndarray
    tmpl_quotite: np.ndarray
    tmpl_sg: np.ndarray
    tmpl_indice: np.ndarray  # (T, horizon + 1): indice by years since hire
    tmpl_exit: np.ndarray  # (E, T, horizon, K) by calendar year index
    mobility: Any
    demand_index: np.ndarray  # (horizon, M): demand of the métier over today's, from the baseline model
    demand_models: pd.DataFrame | None
    metier_default_cell: np.ndarray  # (M, 2): (catégorie, direction) for targets on an empty métier
    provenance: dict
    _agents: pd.DataFrame = field(repr=False, default=None)
    _pseudo: pd.DataFrame = field(repr=False, default=None)
    _hazards: Any = field(repr=False, default=None)
    _retirement_cache: dict = field(repr=False, default_factory=dict)
    _probs_cache: dict = field(repr=False, default_factory=dict)
    _flows_cache: dict = field(repr=False, default_factory=dict)
    timings: dict = field(default_factory=dict)
    cache_size: int = 4
    cache_bytes: int = 1 << 30
    """Scenarios whose combined hazards and base flows are kept (most recent first out): a slider move that only
    touches hiring, replacement or demand reuses them."""

    def replace(self, **changes) -> "Prepared":
        """A copy with some fields changed and empty caches (a cache must never outlive what it was computed
        from)."""
        fresh = {"_retirement_cache": {}, "_probs_cache": {}, "_flows_cache": {}}
        if not ({"exit_hazard", "tmpl_exit", "_hazards", "_agents"} & set(changes)):
            fresh.pop("_retirement_cache")  # retirement hazards depend on the agents and models only
            changes = {"_retirement_cache": dict(self._retirement_cache), **changes}
        return dataclasses.replace(self, **{**fresh, **changes})

    def _cached(self, store: dict, key, make):
        if key in store:
            store[key] = store.pop(key)  # most recently used last
            return store[key]
        value = make()
        store[key] = value
        size = lambda v: sum(a.nbytes for a in (v if isinstance(v, tuple) else (v,)))  # noqa: E731
        while len(store) > 1 and (len(store) > self.cache_size
                                  or sum(size(v) for v in store.values()) > self.cache_bytes):
            store.pop(next(iter(store)))
        return value

    @property
    def n_agents(self) -> int:
        return len(self.agent_cat)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(CATEGORY_CODES), len(self.metiers), len(self.directions))

    def retirement(self, regime: str, postpone_months: int = 0, aod_share: float | None = None):
        """Retirement hazards of the base agents and of the hire pseudo-agents under these knobs (cached)."""
        key = (regime, int(postpone_months), None if aod_share is None else float(aod_share))
        if key not in self._retirement_cache:
            t0 = time.perf_counter()
            kw = dict(regime=regime, postpone_months=int(postpone_months), aod_share=aod_share)
            h, c = self._hazards.retirement_hazards(self._agents, self.start, self.horizon, **kw)
            E, T = self.tmpl_exit.shape[:2]
            th = np.zeros((E, T, self.horizon), np.float32)
            tc = np.zeros((E, T, self.horizon), bool)
            for e in range(E - 1):  # cohort e is at risk from year e + 1
                span = self.horizon - e - 1
                start = rules.add_months(np.array([self.start]), 12 * (e + 1))[0]
                pseudo = self._pseudo_agents(start)
                ph, pc = self._hazards.retirement_hazards(pseudo, start, span, **kw)
                th[e, :, e + 1:] = ph
                tc[e, :, e + 1:] = pc
            self._retirement_cache[key] = (h, c, th, tc)
            self.timings[f"retirement{key}"] = time.perf_counter() - t0
        return self._retirement_cache[key]

    def _pseudo_agents(self, hire_day: np.datetime64) -> pd.DataFrame:
        t = self.templates
        birth = hire_day - (t["age"].to_numpy(float) * 365.25).astype("timedelta64[D]")
        n = len(t)
        return pd.DataFrame({
            AGENT_ID: [f"hire-{i}" for i in range(n)], BIRTH_DATE: birth, STATUT: t[STATUT].to_numpy(object),
            CATEGORIE: t[CATEGORIE].to_numpy(object), ENTRY_DATE: np.full(n, hire_day),
            "service_category": "sedentaire", "active_service_years": 0.0,
            "insurance_quarters": np.clip((t["age"].to_numpy(float) - 22.0) * 4.0, 0, None),
            QUOTITE: t[QUOTITE].to_numpy(float), EXTRACT_DATE: np.full(n, hire_day - np.timedelta64(1, "D")),
        })


def _code_list(*series) -> np.ndarray:
    values = []
    for s in series:
        values.extend(pd.Series(s).dropna().astype(str).tolist())
    return np.array(sorted(set(values)), dtype=object)


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
        Fitted models. Missing ones fall back to: the law alone for retirement (:class:`LawRetirementHazard`),
        no other exit, no mobility, a flat demand, hires that look like the base agents of under two years'
        tenure, indices that do not progress.
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
    if start is None:
        if EXTRACT_DATE not in base.columns:
            raise ValueError("give start= or an extract_date column in the base population")
        start = rules.as_dates(base[EXTRACT_DATE]).max() + np.timedelta64(1, "D")
    start = rules.as_dates([start])[0]
    first_end = rules.add_months(np.array([start]), 12)[0] - np.timedelta64(1, "D")
    base_year = int(str(first_end)[:4]) - 1
    if referential is None:
        from workforce.referential import load_builtin

        referential = load_builtin()
    ref_m = referential.metiers
    metiers = _code_list(ref_m["code"], base[METIER])
    directions = _code_list(referential.directions["code"], base[DIRECTION])
    fam_map = dict(zip(ref_m["code"].astype(str), ref_m["famille"].astype(str)))
    familles = np.array([fam_map.get(m, m) for m in metiers], dtype=object)
    M, D = len(metiers), len(directions)

    cat = pd.Series(base[CATEGORIE].to_numpy(object)).map({c: i for i, c in enumerate(CATEGORY_CODES)})
    cat = cat.fillna(2).to_numpy(np.int64)  # unknown catégorie counted as C
    met = pd.Index(metiers).get_indexer(base[METIER].astype(str))
    dirn = pd.Index(directions).get_indexer(base[DIRECTION].astype(str))
    origin = (cat * M + met) * D + dirn
    order = np.argsort(origin, kind="stable")
    base = base.iloc[order].reset_index(drop=True)
    cat, met, dirn, origin = cat[order], met[order], dirn[order], origin[order]
    starts = np.flatnonzero(np.r_[True, origin[1:] != origin[:-1]]) if len(origin) else np.zeros(0, np.int64)
    quot = (pd.to_numeric(base[QUOTITE], errors="coerce").fillna(1.0).to_numpy(float) if QUOTITE in base
            else np.ones(len(base)))

    hazards = ModelHazards(models.retirement, models.exits)
    motives = hazards.motives
    t1 = time.perf_counter()
    exit_h = hazards.exit_hazards(base, start, horizon)
    t_exit = time.perf_counter() - t1

    indices = models.indices
    if indices is None and INDICE in base.columns and base[INDICE].notna().any():
        # one extract: levels, and the progression from the cross-section of indices by tenure
        day = pd.Timestamp(start) - pd.Timedelta(days=1)
        indices = pay.IndiceProgression().fit(base.assign(**{EXTRACT_DATE: base.get(EXTRACT_DATE, day)}))
    if indices is None:
        indices = pay.IndiceProgression.default()
    agent_im = indices.trajectories(base[INDICE] if INDICE in base else np.full(len(base), np.nan),
                                    base[CATEGORIE], horizon)

    hires = models.hires
    if hires is None:
        recent = base
        if ENTRY_DATE in base.columns:
            tenure = _years(rules.as_dates(base[ENTRY_DATE]), start)
            recent = base[tenure < 2.0] if (tenure < 2.0).sum() >= 20 else base
        arrivals = recent.assign(age=_years(rules.as_dates(recent[BIRTH_DATE]), start))
        hires = HireProfile().fit(arrivals)
    templates = hires.templates_.reset_index(drop=True)
    tmpl_cat = templates[CATEGORIE].map({c: i for i, c in enumerate(CATEGORY_CODES)}).to_numpy(np.int64)
    tmpl_im = indices.trajectories(templates[INDICE], templates[CATEGORIE], horizon)
    prepared = Prepared(
        start=start, base_year=base_year, horizon=horizon, metiers=metiers, familles=familles, directions=directions,
        motives=motives, agent_cat=cat.astype(np.int8), agent_metier=met.astype(np.int32),
        agent_direction=dirn.astype(np.int32), agent_quotite=quot, agent_sg=pay.statut_group(base[STATUT]),
        agent_indice=agent_im, exit_hazard=exit_h, origin_starts=starts, origin_cells=origin[starts],
        templates=templates, tmpl_cat=tmpl_cat, tmpl_share=templates["share"].to_numpy(float),
        tmpl_quotite=templates[QUOTITE].to_numpy(float), tmpl_sg=pay.statut_group(templates[STATUT]),
        tmpl_indice=tmpl_im, tmpl_exit=np.zeros((horizon, len(templates), horizon, len(motives)), np.float32),
        mobility=None, demand_index=np.ones((horizon, M)), demand_models=None,
        metier_default_cell=_default_cells(ref_m, metiers, directions), provenance=dict(provenance or {}),
        _agents=base, _hazards=hazards,
    )
    # pseudo-agents of the hire cohorts: exit hazards by calendar year
    for e in range(horizon - 1):
        day = rules.add_months(np.array([start]), 12 * (e + 1))[0]
        pseudo = prepared._pseudo_agents(day)
        prepared.tmpl_exit[e, :, e + 1:] = hazards.exit_hazards(pseudo, day, horizon - e - 1)
    # mobility
    from workforce.forecast.mobility import MobilityOperator

    prepared.mobility = (models.mobility.operator(metiers, directions) if models.mobility is not None
                         else MobilityOperator.identity(M, D))
    # demand baseline: index of each métier over its level today
    if models.demand is not None:
        ann = models.demand.annual(horizon, start=pd.Timestamp(start) - pd.Timedelta(days=1))
        piv = ann.pivot_table(index="year", columns=METIER, values="index", aggfunc="first")
        idx = piv.reindex(columns=list(metiers)).to_numpy(float)
        prepared.demand_index = np.where(np.isfinite(idx), idx, 1.0)[:horizon]
        prepared.demand_models = models.demand.series_[[METIER, "level", "model", "reason"]].copy()
    t2 = time.perf_counter()
    prepared.retirement(regime)
    t3 = time.perf_counter()
    # warm the caches for the default knobs under this law variant, so that the first slider answers at once
    warm = Scenario(horizon=horizon, regime=regime)
    _base_flows_cached(prepared, _knobs(prepared, warm, np.zeros(prepared.shape)))
    prepared.timings |= {"exit_hazards": t_exit, "retirement_default": t3 - t2, "warm": time.perf_counter() - t3,
                         "prepare": time.perf_counter() - t0}
    prepared.provenance |= {"models": dict(models.versions), "start": str(start), "base_year": base_year,
                            "agents": int(len(base)), "base_hash": _frame_hash(base)}
    return prepared


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
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


# ============================================================================================== run inputs

@dataclass
class _Knobs:
    """The scenario turned into arrays for one run."""

    H: int
    years: np.ndarray  # calendar years of the projection (H,)
    probs: "_LazyProbs"  # base agents' cause probabilities: .all() (n, H, 1 + K), .year(k) (1 + K, n)
    tmpl_probs: np.ndarray  # (E, T, H, 1 + K)
    replacement: np.ndarray  # (C, M, D)
    freeze: np.ndarray  # (H,) bool
    delay: float  # years
    demand: np.ndarray  # (H + 1, C, M, D) ETP, index 0 = start
    cost_pp: np.ndarray  # (H + 1, 3, 2) € per point
    multipliers: np.ndarray  # (K,)
    flows_key: tuple = ()  # what the base agents' flows depend on (cache key)


class _LazyProbs:
    """The base agents' cause probabilities (n, H, 1 + K), combined only when asked (Monte Carlo, survival);
    the expected mode combines year by year in :func:`_combine_year` instead (a million agents: 700 MB spared)."""

    def __init__(self, p: "Prepared", key: tuple, ret, cert, mult, H: int):
        self.p, self.key, self.ret, self.cert, self.mult, self.H = p, key, ret, cert, mult, H

    def all(self) -> np.ndarray:
        H = self.H
        return self.p._cached(self.p._probs_cache, self.key, lambda: _combine(
            self.ret[:, :H], self.cert[:, :H], self.p.exit_hazard[:, :H], self.mult))

    def year(self, k: int) -> np.ndarray:
        """(1 + K, n) float64 for year k: retirement, then each exit motive."""
        return _combine_year(self.ret[:, k], self.cert[:, k], self.p.exit_hazard[:, k], self.mult)


def _combine_year(ret: np.ndarray, certain: np.ndarray, exits: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """:func:`_combine` for one year, laid out cause-major (1 + K, n) so that every later pass is contiguous."""
    K = exits.shape[-1]
    out = np.empty((K + 1, len(ret)))
    x = out[1:]
    x[...] = exits.T
    if np.any(mult != 1.0):
        x *= mult[:, None]
    xs = x.sum(axis=0)
    r = ret.astype(np.float64)
    tot = r + xs
    over = tot > 1.0
    if over.any():
        scale = np.where(over, 1.0 / np.maximum(tot, 1e-12), 1.0)
        r = r * scale
        x *= scale[None, :]
        xs = x.sum(axis=0)
    out[0] = np.where(certain, 1.0 - xs, r)
    return out


def _combine(ret: np.ndarray, certain: np.ndarray, exits: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """Cause probabilities (..., 1 + K): scaled down when they add up to more than 1; in a year where leaving is
    certain (age limit) retirement takes what the exits leave (same rule as forecast.competing.combine)."""
    K = exits.shape[-1]
    out = np.empty((*ret.shape, K + 1), np.float64)  # float64: a certain departure must sum to exactly 1
    x = out[..., 1:]
    np.multiply(exits, mult, out=x)
    ones = np.ones(K)
    xs = x @ ones
    r = ret.astype(np.float64)
    tot = r + xs
    over = tot > 1.0
    if over.any():  # rare: scale the causes down where they add up to more than 1
        scale = np.where(over, 1.0 / np.maximum(tot, 1e-12), 1.0)
        r = r * scale
        x *= scale[..., None]
        xs = x @ ones
    out[..., 0] = np.where(certain, 1.0 - xs, r)
    return out


def _knobs(p: Prepared, s: Scenario, start_etp: np.ndarray) -> _Knobs:
    if s.horizon > p.horizon:
        raise ValueError(f"horizon: the scenario asks {s.horizon} years but the preparation covers {p.horizon}; "
                         f"call prepare(..., horizon={s.horizon})")
    H = s.horizon
    years = p.base_year + 1 + np.arange(H)
    mult = np.array([s.exit_multiplier * s.exit_multipliers.get(m, 1.0) for m in p.motives], float)

    ret, cert, tret, tcert = p.retirement(s.regime, s.postponement_months, s.share_at_aod)
    hazard_key = (s.regime, s.postponement_months, s.share_at_aod, tuple(mult), H)
    tprobs = p._cached(p._probs_cache, ("templates",) + hazard_key,
                       lambda: _combine(tret[:, :, :H], tcert[:, :, :H], p.tmpl_exit[:, :, :H], mult))
    probs = _LazyProbs(p, hazard_key, ret, cert, mult, H)
    C, M, D = p.shape
    rr = np.full(M, s.replacement_rate)
    fam = pd.Series(p.familles)
    for f, v in s.replacement_by_famille.items():
        rr[(fam == f).to_numpy()] = v
    mi = {m: i for i, m in enumerate(p.metiers)}
    for m, v in s.replacement_by_metier.items():
        if m in mi:
            rr[mi[m]] = v
    replacement = np.broadcast_to(rr[None, :, None], (C, M, D)).copy()
    freeze = np.isin(years, s.freeze_years(int(years[0])))
    demand = _demand(p, s, start_etp, years)
    r = pay.rates(p.base_year, H + 1, point_value=s.point_value, point_growth=s.point_growth,
                  indemnitaire_rates=s.indemnitaire_rates, employer_rates=s.employer_rates)
    pay_key = (s.point_value, s.point_growth, json.dumps(s.indemnitaire_rates, sort_keys=True),
               json.dumps(s.employer_rates, sort_keys=True))
    return _Knobs(H, years, probs, tprobs, replacement, freeze, s.recruitment_delay_months / 12.0, demand,
                  r.cost_per_point(), mult, hazard_key + pay_key)


def _demand(p: Prepared, s: Scenario, start_etp: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Demand in ETP by cell, (H + 1, C, M, D): today's ETP x baseline index x overlays x transformation factors,
    then the target overlays."""
    H = len(years)
    C, M, D = p.shape
    index = p.demand_index[:H] if s.demand_baseline == "model" else np.ones((H, M))
    out = np.empty((H + 1, C, M, D))
    out[0] = start_etp
    out[1:] = start_etp[None] * index[:, None, :, None]
    for o in s.demand_overlays:
        mask = _scope_mask(p, o["scope"], o["key"])  # (M, D)
        if o["kind"] == "growth":
            lo = o.get("from_year", int(years[0]))
            hi = o.get("to_year", int(years[-1]))
            n_years = np.clip(np.minimum(years, hi) - lo + 1, 0, None)  # growth years elapsed by each year
            factor = (1.0 + o["rate"]) ** n_years
            out[1:] = np.where(mask[None, None], out[1:] * factor[:, None, None, None], out[1:])
    for code, by_year in s.demand_factors.items():
        if code not in set(p.metiers):
            continue
        i = int(np.flatnonzero(p.metiers == code)[0])
        f = np.ones(H)
        for y in sorted(by_year, key=int):
            f[years >= int(y)] = by_year[y]
        f = 1.0 + s.transformation_intensity * (f - 1.0)
        out[1:, :, i, :] *= f[:, None, None]
    heads_per_etp = _heads_per_etp(p)
    for o in s.demand_overlays:
        if o["kind"] != "target":
            continue
        mask = np.broadcast_to(_scope_mask(p, o["scope"], o["key"])[None], (C, M, D))
        span = max(o["year"] - p.base_year, 1)
        d0 = out[0][mask].sum()
        target = o["value"] / heads_per_etp
        for k in range(H):
            desired = d0 + (target - d0) * min((k + 1) / span, 1.0)
            cur = out[k + 1][mask].sum()
            if cur > 0:
                out[k + 1][mask] *= desired / cur
            elif o["scope"] == "metier" and desired > 0:
                i = int(np.flatnonzero(p.metiers == o["key"])[0])
                c, d = p.metier_default_cell[i]
                out[k + 1, c, i, d] = desired
    return np.maximum(out, 0.0)


def _heads_per_etp(p: Prepared) -> float:
    total = p.agent_quotite.sum()
    return float(len(p.agent_quotite) / total) if total > 0 else 1.0


def _scope_mask(p: Prepared, scope: str, key) -> np.ndarray:
    M, D = len(p.metiers), len(p.directions)
    if scope == "all":
        return np.ones((M, D), bool)
    if scope == "metier":
        return np.broadcast_to((p.metiers == key)[:, None], (M, D))
    if scope == "famille":
        return np.broadcast_to((p.familles == key)[:, None], (M, D))
    return np.broadcast_to((p.directions == key)[None, :], (M, D))


# ============================================================================================== expected mode

# flows aggregated per origin each year (index in the F axis)
F_HEADS, F_ETP, F_PAY, F_EXITS_COST, F_PRICE, F_GVT, F_RET = range(7)
F_FIRST_EXIT = 7


def _agent_flows(S: np.ndarray, probs_k: np.ndarray, quot: np.ndarray, im0: np.ndarray, im1: np.ndarray,
                 k0: np.ndarray, k1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-agent expected flows of one year: (n, 7 + K) and the new survival.

    ``S`` survival at the start, ``probs_k`` (n, 1 + K) cause probabilities, ``im0``/``im1`` indices at the start
    and end, ``k0``/``k1`` € per point at the start and end (catégorie and statut of each agent applied).
    """
    leave = probs_k @ np.ones(probs_k.shape[1])
    S1 = S * np.clip(1.0 - leave, 0.0, 1.0)
    n = len(S)
    W = np.empty((n, F_FIRST_EXIT + probs_k.shape[1] - 1))
    W[:, F_HEADS] = S1
    W[:, F_ETP] = S1 * quot
    W[:, F_PAY] = S1 * im1 * quot * k1
    W[:, F_EXITS_COST] = (S - S1) * im0 * quot * k0
    W[:, F_PRICE] = S1 * im0 * quot * (k1 - k0)
    W[:, F_GVT] = S1 * (im1 - im0) * quot * k1
    W[:, F_RET:] = S[:, None] * probs_k
    return W, S1


def _agent_flows_T(S: np.ndarray, probs_T: np.ndarray, quot: np.ndarray, im0: np.ndarray, im1: np.ndarray,
                   k0: np.ndarray, k1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_agent_flows` laid out flow-major, (7 + K, n): contiguous rows for a million agents."""
    S1 = S * np.clip(1.0 - probs_T.sum(axis=0), 0.0, 1.0)
    W = np.empty((F_FIRST_EXIT + len(probs_T) - 1, len(S)))
    W[F_HEADS] = S1
    np.multiply(S1, quot, out=W[F_ETP])
    cost1 = im1 * quot * k1
    np.multiply(S1, cost1, out=W[F_PAY])
    np.multiply((S - S1) * im0 * quot, k0, out=W[F_EXITS_COST])
    np.multiply(S1 * im0 * quot, k1 - k0, out=W[F_PRICE])
    np.multiply(S1 * (im1 - im0) * quot, k1, out=W[F_GVT])
    np.multiply(probs_T, S, out=W[F_RET:])
    return W, S1


def _run_expected(p: Prepared, kn: _Knobs, start) -> dict:
    H = kn.H
    C, M, D = p.shape
    op = p.mobility
    stay_share = op.stay_share()  # (M, D)
    tq = _template_flows(p, kn)  # (E, H, C, F): per-hire flows of each cohort
    hire_etp_c, hire_cost_c = _hire_means(p, kn)  # (C,), (H + 1, C)

    G = _base_flows_cached(p, kn)

    out = {name: np.zeros((H + 1, C, M, D)) for name in (*INDICATORS, *PAYROLL_FLOWS)}
    exit_names = [f"exits_{m}" for m in p.motives]
    heads0 = start["heads"]
    out[HEADCOUNT][0] = heads0
    out[ETP][0] = start["etp"]
    out[PAYROLL][0] = start["payroll"]
    out[DEMAND][0] = kn.demand[0]
    out[VACANCIES][0] = kn.demand[0] - start["etp"]

    cohorts = np.zeros((H, C, M, D))  # where each hire cohort is now (cohort j hired at the end of year j)
    delay = kn.delay
    a_full, b_frac = int(np.floor(delay)), delay - np.floor(delay)
    pending = np.zeros((a_full + 2, C, M, D))
    posts = None
    for k in range(H):
        X = G[k].astype(np.float64)
        if k:
            # 3. hire cohorts of the earlier years: where they are x their expected flows per hire
            X = X + np.einsum("jcmd,jcf->fcmd", cohorts[:k], tq[:k, k], optimize=True)
        surv = X[[F_HEADS, F_ETP, F_PAY]]
        moved = op.apply(surv)
        kept = surv * stay_share
        mob_out = surv - kept
        mob_in = moved - kept
        dep = X[F_RET] + X[F_FIRST_EXIT:].sum(axis=0)
        stock_pre = moved[0]
        if k == 0:  # steady-state pipeline: posts vacated before the start and not yet refilled
            for j in range(pending.shape[0]):
                pending[j] = kn.replacement * dep * np.clip(delay - j, 0.0, 1.0)
            posts = heads0 + pending.sum(axis=0)
        d_demand = (kn.demand[k + 1] - kn.demand[k]) / hire_etp_c[:, None, None]
        # a post follows an agent who moves (redeployment); a departure frees it, refilled at the replacement rate
        posts = np.maximum(posts - (1.0 - kn.replacement) * dep + d_demand + mob_in[0] - mob_out[0], 0.0)
        if kn.freeze[k]:
            pending[:] = 0.0
            posts = stock_pre.copy()
            hires = np.zeros_like(stock_pre)
        else:
            new = np.maximum(posts - stock_pre - pending.sum(axis=0), 0.0)
            pending[a_full] += (1.0 - b_frac) * new
            pending[a_full + 1] += b_frac * new
            hires = pending[0].copy()
            pending[:-1] = pending[1:]
            pending[-1] = 0.0
        if k:
            cohorts[:k] = op.apply(cohorts[:k])
        cohorts[k] = hires
        t = k + 1
        out[HEADCOUNT][t] = stock_pre + hires
        out[ETP][t] = moved[1] + hires * hire_etp_c[:, None, None]
        hires_cost = hires * hire_cost_c[t][:, None, None]
        out[PAYROLL][t] = moved[2] + hires_cost
        out[RETIREMENTS][t] = X[F_RET]
        for i, name in enumerate(exit_names):
            out[name][t] = X[F_FIRST_EXIT + i]
        out[EXITS][t] = X[F_FIRST_EXIT:].sum(axis=0)
        out[HIRES][t] = hires
        out[MOBILITY_IN][t] = mob_in[0]
        out[MOBILITY_OUT][t] = mob_out[0]
        out[DEMAND][t] = kn.demand[t]
        out[VACANCIES][t] = kn.demand[t] - out[ETP][t]
        out["payroll_start"][t] = out[PAYROLL][t - 1]
        out["price_effect"][t] = X[F_PRICE]
        out["gvt"][t] = X[F_GVT]
        out["hires_cost"][t] = hires_cost
        out["exits_cost"][t] = X[F_EXITS_COST]
        out["mobility_in_cost"][t] = mob_in[2]
        out["mobility_out_cost"][t] = mob_out[2]
    return out


def _base_flows_cached(p: Prepared, kn: _Knobs) -> np.ndarray:
    return p._cached(p._flows_cache, kn.flows_key, lambda: _base_flows(p, kn))


def _base_flows(p: Prepared, kn: _Knobs) -> np.ndarray:
    """Expected flows of the base agents by year and *current* cell, (H, F, C, M, D) float32.

    1. Each year's per-agent flows summed by origin cell (``np.add.reduceat`` over agents sorted by origin).
    2. Moved by the chain: year k's flows have seen k mobility steps; one in-place step per year over all the
       later years at once, in float32 (the propagation is the engine's largest cost; 1e-7 relative error).
    """
    H = kn.H
    C, M, D = p.shape
    F = F_FIRST_EXIT + len(p.motives)
    n = p.n_agents
    cat, sg = p.agent_cat.astype(np.int64), p.agent_sg.astype(np.int64)
    kpp = kn.cost_pp[:, cat, sg]  # (H + 1, n)
    im = p.agent_indice
    G = np.zeros((H, F, C * M * D), np.float32)
    S = np.ones(n)
    for k in range(H):
        W, S = _agent_flows_T(S, kn.probs.year(k), p.agent_quotite, im[:, k].astype(np.float64),
                              im[:, k + 1].astype(np.float64), kpp[k], kpp[k + 1])
        if n:
            G[k][:, p.origin_cells] = np.add.reduceat(W, p.origin_starts, axis=1)
    G = G.reshape(H, F, C, M, D)
    op = p.mobility
    if op.moves:
        op32 = op.as_dtype(np.float32)
        buf = np.empty_like(G[1:])
        with _single_thread():
            for j in range(1, H):
                op32.apply_(G[j:], buf)
    return G


def _template_flows(p: Prepared, kn: _Knobs) -> np.ndarray:
    """Expected flows per hire of each cohort and year, averaged over the catégorie's templates: (E, H, C, F)."""
    H = kn.H
    E, T = H, len(p.templates)
    K = len(p.motives)
    F = F_FIRST_EXIT + K
    out = np.zeros((E, H, len(CATEGORY_CODES), F))
    if T == 0:
        return out
    cat, sg = p.tmpl_cat, p.tmpl_sg.astype(np.int64)
    mix = np.zeros((len(CATEGORY_CODES), T))
    mix[cat, np.arange(T)] = p.tmpl_share  # (C, T): template shares within each catégorie
    for e in range(E - 1):
        S = np.ones(T)
        for k in range(e + 1, H):
            since = k - e - 1  # years since hire at the start of year k
            im0 = p.tmpl_indice[:, since].astype(float)
            im1 = p.tmpl_indice[:, since + 1].astype(float)
            W, S = _agent_flows(S, kn.tmpl_probs[e, :, k], p.tmpl_quotite, im0, im1, kn.cost_pp[k, cat, sg],
                                kn.cost_pp[k + 1, cat, sg])
            out[e, k] = mix @ W
    return out


def _hire_means(p: Prepared, kn: _Knobs) -> tuple[np.ndarray, np.ndarray]:
    """Mean quotité of a hire by catégorie (C,) and mean cost of a hire at each year (H + 1, C)."""
    C = len(CATEGORY_CODES)
    etp = np.ones(C)
    cost = np.zeros((kn.H + 1, C))
    for c in range(C):
        sel = p.tmpl_cat == c
        if sel.any():
            w = p.tmpl_share[sel]
            etp[c] = float((p.tmpl_quotite[sel] * w).sum())
            per_point = kn.cost_pp[:, c, p.tmpl_sg[sel].astype(np.int64)]  # (H + 1, Tc)
            cost[:, c] = (per_point * (p.tmpl_indice[sel, 0] * p.tmpl_quotite[sel] * w)[None, :]).sum(axis=1)
    return np.maximum(etp, 1e-6), cost


def _start_stock(p: Prepared, cost_pp0: np.ndarray) -> dict:
    """Headcount, ETP and payroll by cell at the start; ``cost_pp0`` (3, 2) € per point of the base year."""
    C, M, D = p.shape
    NC = C * M * D
    cells = (p.agent_cat.astype(np.int64) * M + p.agent_metier) * D + p.agent_direction
    cost0 = p.agent_indice[:, 0] * p.agent_quotite * cost_pp0[p.agent_cat.astype(np.int64), p.agent_sg.astype(np.int64)]
    return {"heads": np.bincount(cells, minlength=NC).reshape(C, M, D).astype(float),
            "etp": np.bincount(cells, weights=p.agent_quotite, minlength=NC).reshape(C, M, D),
            "payroll": np.bincount(cells, weights=cost0, minlength=NC).reshape(C, M, D)}


# ============================================================================================== Monte Carlo

def _level_maps(p: Prepared) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each band level: (group index of each cell (NC,), group labels)."""
    C, M, D = p.shape
    c, m, d = np.indices((C, M, D)).reshape(3, -1)
    fam_labels, fam_idx = np.unique(p.familles.astype(str), return_inverse=True)
    return {
        "total": (np.zeros(C * M * D, np.int64), np.array(["total"], dtype=object)),
        "categorie": (c, np.array(CATEGORY_CODES, dtype=object)),
        "direction": (d, p.directions),
        "metier": (m, p.metiers),
        "famille": (fam_idx[m], fam_labels.astype(object)),
    }


def _mc_chunk(p: Prepared, kn: _Knobs, start: dict, reps: int, seed, levels: "_McLevels") -> tuple:
    """Simulate ``reps`` replicates; returns (per-replicate group sums (reps, H + 1, I, G) float32,
    sum over replicates of the cell values (H + 1, I, NC))."""
    with _single_thread():
        return _McChunk(p, kn, start, reps, seed, levels).simulate()


def _mc_batch(p: Prepared, kn: _Knobs, start: dict, chunks: list, levels: "_McLevels") -> tuple:
    """Several chunks in one worker, in order: the banded group columns of every replicate (float32), the sum of
    every group over replicates (for the means) and the sum of every cell over replicates (float32)."""
    groups, sums, cells = [], None, None
    for reps, seed in chunks:
        g, c = _mc_chunk(p, kn, start, reps, seed, levels)
        groups.append(g[:, :, levels.band_i, levels.band_g])
        s = g.astype(np.float64).sum(axis=0)
        sums = s if sums is None else sums + s
        cells = c if cells is None else cells + c
    return np.concatenate(groups, axis=0), sums, cells.astype(np.float32)


BAND_DETAIL = (HEADCOUNT, ETP, RETIREMENTS, EXITS, HIRES, MOBILITY_IN, MOBILITY_OUT)
"""Indicators with bands at the métier and famille levels (every indicator has them at the other levels): exits by
motive and métier would cost more memory than they tell."""


@dataclass
class _McLevels:
    """Group ids of every cell for the band levels, concatenated: ``gid`` (L, NC) with global ids in 0..G-1;
    ``band_i, band_g`` the (indicator, group) pairs whose replicates are kept for the bands."""

    gid: np.ndarray
    n_groups: int
    offsets: list
    fam_matrix: np.ndarray
    band_i: np.ndarray = None
    band_g: np.ndarray = None


def _mc_levels(p: Prepared) -> _McLevels:
    maps = _level_maps(p)
    offsets, gids = [], []
    off = 0
    for level in LEVELS:
        g, labels = maps[level]
        gids.append(g + off)
        offsets.append((level, off, labels))
        off += len(labels)
    fam_labels, fam_idx = np.unique(p.familles.astype(str), return_inverse=True)
    fam_matrix = np.zeros((len(p.metiers), len(fam_labels)))
    fam_matrix[np.arange(len(p.metiers)), fam_idx] = 1.0
    keep = np.zeros((len(MC_INDICATORS), off), bool)
    for level, o, labels in offsets:
        rows = [i for i, name in enumerate(MC_INDICATORS) if level not in ("metier", "famille") or name in BAND_DETAIL]
        keep[np.ix_(rows, np.arange(o, o + len(labels)))] = True
    band_i, band_g = np.nonzero(keep)
    return _McLevels(np.stack(gids).astype(np.int64), off, offsets, fam_matrix, band_i, band_g)


class _McChunk:
    """One chunk of Monte Carlo replicates: base agents as (reps, n) arrays, hires as flat arrays.

    Counting avoids (replicate x cell x indicator) arrays: stocks are counted by (replicate, cell) and reduced
    to groups along the cell axes; events (departures, moves) are counted straight into (replicate, group)."""

    def __init__(self, p: Prepared, kn: _Knobs, start: dict, reps: int, seed, levels: _McLevels):
        self.p, self.kn, self.start, self.reps, self.levels = p, kn, start, reps, levels
        self.rng = np.random.default_rng(seed)
        C, M, D = p.shape
        self.C, self.M, self.D, self.NC = C, M, D, C * M * D
        self.K = len(p.motives)
        self.ix = {name: i for i, name in enumerate(MC_INDICATORS)}
        self.exit_ix = np.array([self.ix[f"exits_{m}"] for m in p.motives], np.int64)
        H = kn.H
        self.groups = np.zeros((reps, H + 1, len(MC_INDICATORS), levels.n_groups), np.float32)
        self.cell_sum = np.zeros((H + 1, len(MC_INDICATORS), self.NC))

    # ---------------------------------------------------------------- counting helpers
    def _stock_groups(self, by_cell: np.ndarray) -> np.ndarray:
        """(reps, NC) -> (reps, G) over the levels total, catégorie, direction, métier, famille."""
        x = by_cell.reshape(-1, self.C, self.M, self.D)
        by_cm = x.sum(axis=3)
        by_cat = by_cm.sum(axis=2)
        by_met = by_cm.sum(axis=1)
        by_dir = x.sum(axis=(1, 2))
        total = by_cat.sum(axis=1, keepdims=True)
        return np.concatenate([total, by_cat, by_dir, by_met, by_met @ self.levels.fam_matrix], axis=1)

    def _from_cm_d(self, cm: np.ndarray, d: np.ndarray) -> np.ndarray:
        """(reps, C*M) and (reps, D) sums -> (reps, G) in :data:`LEVELS` order."""
        x = cm.reshape(-1, self.C, self.M)
        by_cat = x.sum(axis=2)
        by_met = x.sum(axis=1)
        return np.concatenate([by_cat.sum(axis=1, keepdims=True), by_cat, d, by_met, by_met @ self.levels.fam_matrix],
                              axis=1)

    def _groups_of(self, rep: np.ndarray, cell: np.ndarray, weights=None) -> np.ndarray:
        """Events (replicate, cell[, weight]) summed into (reps, G) for every level: two bincounts, by
        (replicate, catégorie x métier) and by (replicate, direction); the other levels are sums of those."""
        CM, D = self.C * self.M, self.D
        cm = np.bincount(rep * CM + cell // D, weights=weights, minlength=self.reps * CM).reshape(self.reps, CM)
        d = np.bincount(rep * D + cell % D, weights=weights, minlength=self.reps * D).reshape(self.reps, D)
        return self._from_cm_d(cm, d)

    def _put_departures(self, t: int, rep: np.ndarray, cell: np.ndarray, cause: np.ndarray) -> np.ndarray:
        """Record departures by cause; returns their count by (replicate, group)."""
        K1 = self.K + 1
        C, M, D, reps = self.C, self.M, self.D, self.reps
        CM = C * M
        cm = np.bincount((rep * CM + cell // D) * K1 + cause, minlength=reps * CM * K1).reshape(reps, C, M, K1)
        dd = np.bincount((rep * D + cell % D) * K1 + cause, minlength=reps * D * K1).reshape(reps, D, K1)
        by_cat = cm.sum(axis=2)
        by_met = cm.sum(axis=1)
        by_fam = np.matmul(by_met.transpose(0, 2, 1), self.levels.fam_matrix).transpose(0, 2, 1)
        by = np.concatenate([by_cat.sum(axis=1, keepdims=True), by_cat, dd, by_met, by_fam], axis=1)  # (reps, G, K1)
        cells = np.bincount(cell * K1 + cause, minlength=self.NC * K1).reshape(self.NC, K1)
        ret, ex = self.ix[RETIREMENTS], self.ix[EXITS]
        self.groups[:, t, ret] = by[:, :, 0]
        exits = by[:, :, 1:].sum(axis=2)
        self.groups[:, t, ex] = exits
        self.cell_sum[t, ret] += cells[:, 0]
        self.cell_sum[t, ex] += cells[:, 1:].sum(axis=1)
        if self.K:
            self.groups[:, t, self.exit_ix] = np.moveaxis(by[:, :, 1:], 2, 1)
            self.cell_sum[t, self.exit_ix] += cells[:, 1:].T
        return by[:, :, 0] + exits

    # ---------------------------------------------------------------- simulation
    def simulate(self):
        p, kn, rng, reps = self.p, self.kn, self.rng, self.reps
        H, C, M, D, NC = kn.H, self.C, self.M, self.D, self.NC
        MD = M * D
        ix = self.ix
        op = p.mobility
        n = p.n_agents
        cat = p.agent_cat.astype(np.int64)
        quot = p.agent_quotite
        cum, tcum = self.start["cum"], self.start["tcum"]  # (H, n, 1 + K), (H, cohort x template, 1 + K)
        T = self.start["n_templates"]
        tcat = p.tmpl_cat.astype(np.int64)
        tmpl_of_cat = [np.flatnonzero(tcat == c) for c in range(C)]
        tmpl_cum = [np.cumsum(p.tmpl_share[ids]) for ids in tmpl_of_cat]
        hire_etp_c = self.start["hire_etp_c"]
        p_move = np.tile(op.move_probability().ravel(), C).astype(np.float32)  # (NC,) by cell
        p_move_max = np.float32(p_move.max() if len(p_move) else 0.0)
        RN = reps * NC

        heads0 = self.start["heads"].ravel()
        etp0 = self.start["etp"].ravel()
        i_heads, i_etp, i_hires = ix[HEADCOUNT], ix[ETP], ix[HIRES]
        g_heads = np.repeat(self._stock_groups(heads0[None, :]), reps, axis=0)  # (reps, G), kept up to date
        g_etp = np.repeat(self._stock_groups(etp0[None, :]), reps, axis=0)
        self.groups[:, 0, i_heads], self.groups[:, 0, i_etp] = g_heads, g_etp
        c_heads, c_etp = heads0 * reps, etp0 * reps  # sums over replicates by cell
        self.cell_sum[0, i_heads], self.cell_sum[0, i_etp] = c_heads, c_etp
        gap = np.zeros(reps * NC)  # posts - agents - recruitments under way, by (replicate, cell)

        alive = np.ones((reps, n), bool)
        a_cell = np.repeat(((cat * M + p.agent_metier) * D + p.agent_direction)[None, :], reps, axis=0)
        cap = max(1024, reps * n)
        h = {"rep": np.zeros(cap, np.int64), "cell": np.zeros(cap, np.int64), "kind": np.zeros(cap, np.int64),
             "q": np.zeros(cap, np.float64)}
        nh = 0  # hires so far; alive ones are compacted at the front every year

        delay = kn.delay
        a_full, b_frac = int(np.floor(delay)), delay - np.floor(delay)
        pending = np.zeros((a_full + 2, RN))
        replacement = np.tile(kn.replacement.ravel(), reps)
        demand_moves = [np.any(kn.demand[k + 1] != kn.demand[k]) for k in range(H)]
        for k in range(H):
            t = k + 1
            # ---- one uniform per agent: leave (by which cause), else move or stay
            u = rng.random((reps, n), dtype=np.float32)
            cum_k = cum[k]
            pl = cum_k[:, -1]
            leave = u < pl
            leave &= alive
            r_i, a_i = np.nonzero(leave)
            cause = (u[r_i, a_i][:, None] >= cum_k[a_i]).sum(axis=1)
            d_cell = a_cell[r_i, a_i]
            alive[r_i, a_i] = False
            # movers: the stayers whose uniform falls in their cell's share of [pl, 1); candidates first
            cand = u < pl + (1.0 - pl) * p_move_max
            cand &= alive
            r_c, a_c = np.nonzero(cand)
            c_cell = a_cell[r_c, a_c]
            pl_c = pl[a_c]
            moving = u[r_c, a_c] < pl_c + (1.0 - pl_c) * p_move[c_cell]
            r_m, a_m = r_c[moving], a_c[moving]
            m_old = c_cell[moving]
            m_new = self._move_given(m_old, op, rng)
            a_cell[r_m, a_m] = m_new
            d_rep, d_cells, d_causes, d_q = [r_i], [d_cell], [cause], [quot[a_i]]
            mv_rep, mv_old, mv_new, mv_q = [r_m], [m_old], [m_new], [quot[a_m]]
            # ---- the hires of earlier years, flat: leave (two stages: whether, then why), else maybe move
            if nh:
                kind = h["kind"][:nh]
                uh = rng.random(nh, dtype=np.float32)
                tc = tcum[k]
                lv = uh < tc[kind, -1]
                hl = np.flatnonzero(lv)
                d_rep.append(h["rep"][hl])
                d_cells.append(h["cell"][hl])
                d_causes.append((uh[hl][:, None] >= tc[kind[hl]]).sum(axis=1))
                d_q.append(h["q"][hl])
                stay_h = np.flatnonzero(~lv)
                for name in h:  # compact the survivors
                    h[name][: len(stay_h)] = h[name][stay_h]
                nh = len(stay_h)
                cells_h = h["cell"][:nh]
                mh = np.flatnonzero(rng.random(nh, dtype=np.float32) < p_move[cells_h])
                old = cells_h[mh]
                new = self._move_given(old, op, rng)
                h["cell"][mh] = new
                mv_rep.append(h["rep"][mh])
                mv_old.append(old)
                mv_new.append(new)
                mv_q.append(h["q"][mh])
            d_rep, d_cells, d_causes, d_q = (np.concatenate(x) for x in (d_rep, d_cells, d_causes, d_q))
            mv_rep, mv_old, mv_new, mv_q = (np.concatenate(x) for x in (mv_rep, mv_old, mv_new, mv_q))
            # ---- record the flows; stocks move by the events only
            g_dep = self._put_departures(t, d_rep, d_cells, d_causes)
            g_out = self._groups_of(mv_rep, mv_old)
            g_in = self._groups_of(mv_rep, mv_new)
            self.groups[:, t, ix[MOBILITY_OUT]] = g_out
            self.groups[:, t, ix[MOBILITY_IN]] = g_in
            self.cell_sum[t, ix[MOBILITY_OUT]] += np.bincount(mv_old, minlength=NC)
            self.cell_sum[t, ix[MOBILITY_IN]] += np.bincount(mv_new, minlength=NC)
            g_heads = g_heads - g_dep + g_in - g_out
            g_etp = (g_etp - self._groups_of(d_rep, d_cells, d_q) + self._groups_of(mv_rep, mv_new, mv_q)
                     - self._groups_of(mv_rep, mv_old, mv_q))
            c_heads = (c_heads - np.bincount(d_cells, minlength=NC) + np.bincount(mv_new, minlength=NC)
                       - np.bincount(mv_old, minlength=NC))
            c_etp = (c_etp - np.bincount(d_cells, weights=d_q, minlength=NC)
                     + np.bincount(mv_new, weights=mv_q, minlength=NC) - np.bincount(mv_old, weights=mv_q, minlength=NC))
            # ---- hires: the posts rule of the expected mode in whole posts, replicate by replicate. Only the gap
            # posts - agents - recruitments under way is kept: a move carries its post (no change), a departure
            # opens one (unless its post is cut), a demand change adds or removes posts.
            if k == 0:  # posts vacant at the start: Poisson draws around the steady state, already in recruitment
                base = 0
                for j in range(pending.shape[0]):
                    lam = (kn.replacement * self.start["dep0"] * np.clip(delay - j, 0.0, 1.0)).ravel()
                    pending[j] = rng.poisson(np.tile(lam, reps))
            key_d = d_rep * NC + d_cells
            rr = replacement[key_d]
            opens = np.ones(len(key_d))
            if np.any(rr != 1.0):  # each departure's post is cut with probability 1 - rate (rates above 1 add)
                u_d = rng.random(len(key_d))
                opens = np.where(rr < 1.0, (u_d < rr).astype(np.float64), 1.0 + np.floor(rr - 1.0 + u_d))
            np.add.at(gap, key_d, opens)
            if demand_moves[k]:
                d_demand = ((kn.demand[t] - kn.demand[k]) / hire_etp_c[:, None, None]).ravel()
                gap += np.floor(np.tile(d_demand, reps) + rng.random(RN))  # unbiased whole posts
            if kn.freeze[k]:
                pending[:] = 0.0
                gap[:] = 0.0  # posts cut to the agents left
                hired_at = np.zeros(0, np.int64)
                n_at = np.zeros(0, np.int64)
            else:
                where = np.flatnonzero(gap > 0.5)
                n_open = gap[where].astype(np.int64)
                gap[where] -= n_open
                spill = rng.binomial(n_open, b_frac) if b_frac > 0 else np.zeros_like(n_open)
                P = len(pending)  # a ring: slot (base + j) % P is due j years from now
                pending[(base + a_full) % P, where] += n_open - spill
                pending[(base + a_full + 1) % P, where] += spill
                due = pending[base]
                hired_at = np.flatnonzero(due > 0.5)
                n_at = due[hired_at].astype(np.int64)
                due[hired_at] = 0.0
                base = (base + 1) % P
            total_new = int(n_at.sum())
            if total_new:
                keys = np.repeat(hired_at, n_at)
                nr, nc = np.divmod(keys, NC)
                ncat = nc // MD
                tm_new = np.empty(total_new, np.int64)
                for c in range(C):  # three catégories, not agents
                    sel = np.flatnonzero(ncat == c)
                    if len(sel):
                        ids, cw = tmpl_of_cat[c], tmpl_cum[c]
                        pick = np.searchsorted(cw, rng.random(len(sel)) * cw[-1], side="right")
                        tm_new[sel] = ids[np.clip(pick, 0, len(ids) - 1)]
                if nh + total_new > len(h["rep"]):
                    grow = max(2 * len(h["rep"]), nh + total_new)
                    for name, arr in h.items():
                        bigger = np.zeros(grow, arr.dtype)
                        bigger[:nh] = arr[:nh]
                        h[name] = bigger
                sl = slice(nh, nh + total_new)
                q_new = p.tmpl_quotite[tm_new]
                h["rep"][sl], h["cell"][sl], h["q"][sl] = nr, nc, q_new
                h["kind"][sl] = k * T + tm_new  # cohort k (hired at the end of year k) x template
                nh += total_new
                g_new = self._groups_of(nr, nc)
                self.groups[:, t, i_hires] = g_new
                self.cell_sum[t, i_hires] += np.bincount(nc, minlength=NC)
                g_heads = g_heads + g_new
                g_etp = g_etp + self._groups_of(nr, nc, q_new)
                c_heads = c_heads + np.bincount(nc, minlength=NC)
                c_etp = c_etp + np.bincount(nc, weights=q_new, minlength=NC)
            self.groups[:, t, i_heads], self.groups[:, t, i_etp] = g_heads, g_etp
            self.cell_sum[t, i_heads], self.cell_sum[t, i_etp] = c_heads, c_etp
        return self.groups, self.cell_sum

    def _move_given(self, cell: np.ndarray, op, rng) -> np.ndarray:
        """Destination cells of agents who move this year (catégorie kept)."""
        MD = self.M * self.D
        c, rest = np.divmod(cell, MD)
        m, d = np.divmod(rest, self.D)
        m2, d2 = op.draw_movers(m, d, rng)
        return c * MD + m2 * self.D + d2


# ============================================================================================== run

def run(prepared: Prepared, scenario: Scenario | None = None, *, mode: str = "expected", replicates: int = 1000,
        n_jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> "Projection":
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
    start_cost_pp = pay.rates(prepared.base_year, 1, point_value=scenario.point_value,
                              point_growth=scenario.point_growth, indemnitaire_rates=scenario.indemnitaire_rates,
                              employer_rates=scenario.employer_rates).cost_per_point()
    start = _start_stock(prepared, start_cost_pp[0])
    kn = _knobs(prepared, scenario, start["etp"])
    with _single_thread():  # small matrices: threads only add contention
        values = _run_expected(prepared, kn, start)
    timings = {"expected": time.perf_counter() - t0}
    bands = None
    mc_mean = None
    if mode == "mc":
        t1 = time.perf_counter()
        bands, mc_mean = _run_mc(prepared, kn, start, values, scenario.seed, replicates, n_jobs, progress)
        timings["mc"] = time.perf_counter() - t1
    prov = dict(prepared.provenance) | {
        "scenario": scenario.to_dict(), "scenario_fingerprint": scenario.fingerprint(), "seed": scenario.seed,
        "mode": mode, "replicates": replicates if mode == "mc" else 0, "code_version": code_version(),
        "run_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return Projection(prepared=prepared, scenario=scenario, years=np.r_[prepared.base_year, kn.years],
                      values=values, motives=prepared.motives, mode=mode, bands=bands, mc_mean=mc_mean,
                      provenance=prov, timings=timings)


def _worker_ready() -> int:
    return len(MC_INDICATORS)  # importing this module is the point


def warm_workers(n_jobs: int = 2) -> None:
    """Start the joblib workers and import the engine in them (about 2 s once), so that the first Monte Carlo run
    a user asks for does not pay it. The app calls it when it prepares the engine; the workers stay up for reuse."""
    if n_jobs != 1:
        Parallel(n_jobs=n_jobs)(delayed(_worker_ready)() for _ in range(max(n_jobs, 2)))


def _run_mc(p: Prepared, kn: _Knobs, start: dict, values: dict, seed: int, replicates: int, n_jobs: int, progress):
    levels = _mc_levels(p)
    start = dict(start)
    start["dep0"] = values[RETIREMENTS][1] + values[EXITS][1]
    start["hire_etp_c"] = _hire_means(p, kn)[0]
    # cumulative cause probabilities, year-major, float32 like the uniforms they meet (computed once, not per chunk)
    start["cum"] = np.ascontiguousarray(np.cumsum(kn.probs.all(), axis=2).transpose(1, 0, 2)).astype(np.float32)
    E, T, H = kn.tmpl_probs.shape[:3]
    start["tcum"] = np.ascontiguousarray(np.cumsum(kn.tmpl_probs, axis=3).reshape(E * T, H, -1)
                                         .transpose(1, 0, 2)).astype(np.float32)
    start["n_templates"] = T
    kn = dataclasses.replace(kn, probs=None, tmpl_probs=None)  # the workers need the sums only
    n_chunks = -(-replicates // MC_CHUNK)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    sizes = [min(MC_CHUNK, replicates - i * MC_CHUNK) for i in range(n_chunks)]
    slim = dataclasses.replace(p, _agents=None, _pseudo=None, _hazards=None, _retirement_cache={}, _probs_cache={},
                               _flows_cache={})
    chunks = list(zip(sizes, seeds))
    # fixed batches of chunks (MC_BATCH each), summed in order: the same numbers whatever the number of workers
    batches = [chunks[a:a + MC_BATCH] for a in range(0, len(chunks), MC_BATCH)]
    if n_jobs == 1:
        results = []
        for i, batch in enumerate(batches):
            results.append(_mc_batch(slim, kn, start, batch, levels))
            if progress:
                progress(i + 1, len(batches))
    else:
        results = Parallel(n_jobs=n_jobs, max_nbytes="1M")(
            delayed(_mc_batch)(slim, kn, start, batch, levels) for batch in batches)
    sel = np.concatenate([g for g, _, _ in results], axis=0)  # (R, H + 1, S): the banded columns
    sums = results[0][1].copy()
    cell_sum = results[0][2].astype(np.float64)
    for _, g_sum, c in results[1:]:
        sums += g_sum
        cell_sum += c
    cell_mean = cell_sum / replicates
    R = sel.shape[0]
    order = {name: max(int(np.ceil(q * R)) - 1, 0) for name, q in ((P10, 0.1), (P50, 0.5), (P90, 0.9))}
    cols = np.ascontiguousarray(sel.reshape(R, -1).T)  # replicates last: partitions along contiguous rows
    part = np.partition(cols, sorted(set(order.values())), axis=1)
    Y = sel.shape[1]
    shape = (Y, len(MC_INDICATORS), levels.n_groups)
    bands = {"offsets": levels.offsets, "mean": (sums / replicates).astype(np.float32),
             "replicates": sel, "band_i": levels.band_i, "band_g": levels.band_g}
    for k, v in order.items():
        full = np.full(shape, np.nan, np.float32)
        full[:, levels.band_i, levels.band_g] = part[:, v].reshape(Y, -1)
        bands[k] = full
    return bands, cell_mean


# ============================================================================================== from the database

MODEL_NAMES = ("retirement", "exits", "mobility", "demand")


def load_inputs(engine, *, arrivals_years: float = 3.0) -> tuple[pd.DataFrame, Models, dict]:
    """What :func:`prepare` needs, read from the database: the agents of the latest extract, the active models
    of the registry (a missing or refused one falls back, and the provenance says so), the hire profile of the
    last ``arrivals_years`` and the indice progression between the last two year-apart extracts."""
    from sqlalchemy import func, select

    from workforce import db

    S, X, Mv = db.AgentSnapshot, db.Extract, db.Movement
    with engine.connect() as conn:
        last = conn.execute(select(func.max(S.extract_date))).scalar_one_or_none()
        if last is None:
            raise LookupError("la base ne contient aucune extraction : lancez `workforce synth` ou `workforce import`")
        base = db.read_frame(conn, select(S).where(S.extract_date == last))
        ext = conn.execute(select(X.id, X.kind, X.sha256).where(X.extract_date == last).order_by(X.id.desc())).first()
        dates = pd.to_datetime(db.read_frame(conn, select(S.extract_date).distinct())["extract_date"]).sort_values()
        year_before = dates.iloc[int(np.argmin(np.abs((dates - (pd.Timestamp(last) - pd.DateOffset(years=1)))
                                                      .dt.days.to_numpy())))]
        cols = [S.extract_date, S.agent_id, S.categorie, S.indice_majore, S.entry_date]
        pair = db.read_frame(conn, select(*cols).where(S.extract_date.in_([year_before.date(), last])))
        since = (pd.Timestamp(last) - pd.DateOffset(days=int(365.25 * arrivals_years))).date()
        arr = db.read_frame(conn, select(Mv.agent_id, Mv.movement_date, Mv.kind).where(
            Mv.kind == "arrival", Mv.movement_date >= since))
        arrived = db.read_frame(conn, select(S.extract_date, S.agent_id, S.birth_date, S.categorie, S.statut,
                                             S.quotite, S.indice_majore).where(
            S.extract_date >= since, S.agent_id.in_(select(Mv.agent_id).where(Mv.kind == "arrival",
                                                                             Mv.movement_date >= since))))
    for frame, c in ((base, BIRTH_DATE), (base, ENTRY_DATE), (base, EXTRACT_DATE)):
        frame[c] = pd.to_datetime(frame[c])
    provenance: dict = {"extract_date": str(pd.Timestamp(last).date()), "extract_id": int(ext.id) if ext else None,
                        "extract_kind": ext.kind if ext else None, "extract_sha256": ext.sha256 if ext else None,
                        "fallbacks": {}}
    loaded, versions = {}, {}
    try:
        from workforce import registry

        for name in MODEL_NAMES:
            try:
                item = registry.load(engine, name)
                loaded[name] = item.estimator
                versions[name] = {"version": item.record.version, "sha256": item.record.sha256}
            except Exception as err:  # noqa: BLE001 - a missing or refused model falls back, said in the provenance
                provenance["fallbacks"][name] = f"{type(err).__name__}: {err}"
    except ImportError:
        provenance["fallbacks"] = {n: "registre absent" for n in MODEL_NAMES}
    hires = None
    arrivals = arrivals_from_history(arrived, arr) if len(arr) and len(arrived) else None
    if arrivals is not None and len(arrivals) >= 20:
        hires = HireProfile().fit(arrivals)
    else:
        provenance["fallbacks"]["hires"] = "moins de 20 recrutements connus : profil des agents récents"
    indices = None
    if pair[INDICE].notna().any():
        indices = pay.IndiceProgression().fit(pair)
    models = Models(retirement=loaded.get("retirement"), exits=loaded.get("exits"), mobility=loaded.get("mobility"),
                    demand=loaded.get("demand"), hires=hires, indices=indices, versions=versions)
    return base, models, provenance


def prepare_from_db(engine, *, horizon: int = 10, regime: str = rules.DEFAULT_REGIME) -> Prepared:
    """:func:`prepare` on the latest extract with the registry's active models (see :func:`load_inputs`)."""
    base, models, provenance = load_inputs(engine)
    return prepare(base, models, horizon=horizon, regime=regime, provenance=provenance)


def agent_survival(prepared: Prepared, scenario: Scenario | None = None) -> pd.DataFrame:
    """Expected presence of each agent of the base at the start and at the end of each projection year:
    ``agent_id`` plus one column per year (1.0 at the start). Personal data: for checks, never published."""
    scenario = scenario or Scenario(horizon=min(10, prepared.horizon))
    kn = _knobs(prepared, scenario, np.zeros(prepared.shape))
    stay = np.clip(1.0 - kn.probs.all().sum(axis=2), 0.0, 1.0)
    surv = np.concatenate([np.ones((len(stay), 1)), np.cumprod(stay, axis=1)], axis=1)
    ids = (prepared._agents[AGENT_ID].to_numpy() if prepared._agents is not None and AGENT_ID in prepared._agents
           else np.arange(len(stay)))
    years = np.r_[prepared.base_year, kn.years]
    return pd.concat([pd.DataFrame({AGENT_ID: ids}), pd.DataFrame(surv, columns=years.tolist())], axis=1)


# ============================================================================================== result

@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the working copy (``+dirty`` when it has local changes)."""
    try:
        root = workforce.__file__.rsplit("/workforce/", 1)[0]
        sha = subprocess.run(["git", "-C", root, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{workforce.__version__}+{sha}{'.dirty' if dirty else ''}" if sha else workforce.__version__
    except (OSError, subprocess.SubprocessError):
        return workforce.__version__


@dataclass
class Projection:
    """The result of :func:`run`: dense arrays by year and cell, with frame views built on demand.

    ``values[indicator]`` has shape (H + 1, 3, M, D) (year 0 = the start); in Monte Carlo mode ``bands`` holds
    the replicate means and P10/P50/P90 of :data:`MC_INDICATORS` by level and ``mc_mean`` the replicate mean of
    every cell.
    """

    prepared: Prepared
    scenario: Scenario
    years: np.ndarray
    values: dict
    motives: tuple[str, ...]
    mode: str
    bands: dict | None
    mc_mean: np.ndarray | None
    provenance: dict
    timings: dict
    _table: pd.DataFrame | None = field(default=None, repr=False)
    _table_min_mass: float | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- totals
    def total(self, indicator: str) -> np.ndarray:
        """Whole-employer value of ``indicator`` by year, shape (H + 1,)."""
        return self.values[indicator].reshape(len(self.years), -1).sum(axis=1)

    def indicators(self) -> list[str]:
        return [HEADCOUNT, ETP, RETIREMENTS, EXITS, *[f"exits_{m}" for m in self.motives], HIRES, MOBILITY_IN,
                MOBILITY_OUT, DEMAND, VACANCIES, PAYROLL]

    def replicates(self, level: str = "total") -> np.ndarray:
        """Monte Carlo replicates summed to a level: (replicates, years, indicators of :data:`MC_INDICATORS`,
        groups of the level), NaN where no band is kept (exits by motive at the métier and famille levels)."""
        if self.bands is None:
            raise ValueError("no replicates: run in Monte Carlo mode (mode='mc')")
        _, off, labels = next(x for x in self.bands["offsets"] if x[0] == level)
        sel = self.bands["replicates"]
        R, Y = sel.shape[:2]
        out = np.full((R, Y, len(MC_INDICATORS), len(labels)), np.nan, np.float32)
        bi, bg = self.bands["band_i"], self.bands["band_g"]
        inside = (bg >= off) & (bg < off + len(labels))
        out[:, :, bi[inside], bg[inside] - off] = sel[:, :, inside]
        return out

    # ---------------------------------------------------------------- long table
    def table(self, min_mass: float = 1e-3) -> pd.DataFrame:
        """Long table ``year, metier_code, direction, categorie, indicator, value`` over the cells that hold at
        least ``min_mass`` agents (or ETP of demand) in some year; plus ``mean`` (Monte Carlo mean) in Monte Carlo
        mode. Mobility spreads tiny expected fractions of agents over many cells; those (under a thousandth of an
        agent by default) are left out of the table, not of the totals and summaries."""
        if self._table is not None and self._table_min_mass == min_mass:
            return self._table
        p = self.prepared
        names = self.indicators()
        Y = len(self.years)
        arr = np.stack([self.values[n].reshape(Y, -1) for n in names], axis=1)  # (Y, I, NC)
        mass = np.maximum(self.values[HEADCOUNT].reshape(Y, -1), self.values[DEMAND].reshape(Y, -1)).max(axis=0)
        if self.mc_mean is not None:
            mass = np.maximum(mass, self.mc_mean[:, list(MC_INDICATORS).index(HEADCOUNT)].max(axis=0))
        active = np.flatnonzero(mass >= min_mass)
        C, M, D = p.shape
        c, m, d = np.unravel_index(active, (C, M, D))
        sub = arr[:, :, active]  # (Y, I, A)
        Yi, Ii, Ai = np.indices(sub.shape).reshape(3, -1)
        frame = pd.DataFrame({
            YEAR: self.years[Yi].astype(np.int64),
            METIER: pd.Categorical.from_codes(m[Ai], categories=list(p.metiers)),
            DIRECTION: pd.Categorical.from_codes(d[Ai], categories=list(p.directions)),
            CATEGORIE: pd.Categorical.from_codes(c[Ai], categories=list(CATEGORY_CODES)),
            INDICATOR: pd.Categorical.from_codes(Ii, categories=names),
            VALUE: sub.ravel(),
        })
        if self.mc_mean is not None:
            mc_names = list(MC_INDICATORS)
            mean = np.full((Y, len(names), len(active)), np.nan)
            for i, name in enumerate(names):
                if name in mc_names:
                    mean[:, i] = self.mc_mean[:, mc_names.index(name)][:, active]
                elif name == VACANCIES:
                    mean[:, i] = (self.values[DEMAND].reshape(Y, -1)[:, active]
                                  - self.mc_mean[:, mc_names.index(ETP)][:, active])
                elif name == DEMAND:
                    mean[:, i] = self.values[DEMAND].reshape(Y, -1)[:, active]
            frame[MEAN] = mean.ravel()
        self._table, self._table_min_mass = frame, min_mass
        return frame

    # ---------------------------------------------------------------- aggregated views
    def summary(self, by: str = "total", indicators=None) -> pd.DataFrame:
        """Values summed to a level (:data:`LEVELS`): ``year, <by>, indicator, value`` plus, in Monte Carlo
        mode, ``mean, p10, p50, p90`` (vacancies' band from ETP's, demand being deterministic)."""
        if by not in LEVELS:
            raise ValueError(f"by must be one of {', '.join(LEVELS)}, got {by!r}")
        names = list(indicators or self.indicators())
        gi, labels = _level_maps(self.prepared)[by]
        Y = len(self.years)
        G = len(labels)
        rows = []
        for name in names:
            v = self.values[name].reshape(Y, -1)
            summed = np.stack([np.bincount(gi, weights=v[t], minlength=G) for t in range(Y)])
            rows.append(pd.DataFrame({YEAR: np.repeat(self.years, G), by: np.tile(labels, Y), INDICATOR: name,
                                      VALUE: summed.ravel()}))
        frame = pd.concat(rows, ignore_index=True)
        if self.bands is not None:
            frame = self._with_bands(frame, by, labels)
        return frame

    def _with_bands(self, frame: pd.DataFrame, by: str, labels) -> pd.DataFrame:
        level, off, lab = next(x for x in self.bands["offsets"] if x[0] == by)
        G = len(lab)
        Y = len(self.years)
        mc = list(MC_INDICATORS)
        extra = {k: np.full(len(frame), np.nan) for k in (MEAN, P10, P50, P90)}
        name_arr = frame[INDICATOR].to_numpy(object)
        for name in set(name_arr):
            sel = np.flatnonzero(name_arr == name)
            if name in mc:
                i = mc.index(name)
                for k in (MEAN, P10, P50, P90):
                    extra[k][sel] = self.bands[k][:, i, off:off + G].ravel()
            elif name in (VACANCIES, DEMAND):
                gi, _ = _level_maps(self.prepared)[by]
                dem = self.values[DEMAND].reshape(Y, -1)
                d = np.stack([np.bincount(gi, weights=dem[t], minlength=G) for t in range(Y)]).ravel()
                i = mc.index(ETP)
                if name == DEMAND:
                    for k in (MEAN, P10, P50, P90):
                        extra[k][sel] = d
                else:
                    extra[MEAN][sel] = d - self.bands[MEAN][:, i, off:off + G].ravel()
                    extra[P10][sel] = d - self.bands[P90][:, i, off:off + G].ravel()
                    extra[P50][sel] = d - self.bands[P50][:, i, off:off + G].ravel()
                    extra[P90][sel] = d - self.bands[P10][:, i, off:off + G].ravel()
        return frame.assign(**extra)

    def payroll(self, by: str = "direction") -> pd.DataFrame:
        """Payroll by ``by`` (a level) and year with its decomposition (:func:`workforce.payroll.decomposition`):
        price effect, GVT positif, noria (GVT négatif), volume and net mobility."""
        gi, labels = _level_maps(self.prepared)[by]
        Y = len(self.years)
        G = len(labels)
        cols = {}
        for name in (PAYROLL, *PAYROLL_FLOWS, HIRES, RETIREMENTS, EXITS):
            v = self.values[name].reshape(Y, -1)
            cols[name] = np.stack([np.bincount(gi, weights=v[t], minlength=G) for t in range(Y)])[1:].ravel()
        flows = pd.DataFrame({YEAR: np.repeat(self.years[1:], G), "direction": np.tile(labels, Y - 1),
                              **{k: cols[k] for k in (PAYROLL, *PAYROLL_FLOWS, HIRES)},
                              "leavers": cols[RETIREMENTS] + cols[EXITS]})
        out = pay.decomposition(flows)
        return out.rename(columns={"direction": by})

    def published(self, by: str | None = None, *, wide: bool = False, min_mass: float = 0.5) -> pd.DataFrame:
        """What may leave the tool: the long table (cells holding at least ``min_mass`` agents) or a summary
        ``by`` a level, with every figure of a group counting fewer than 5 agents that year blanked
        (:func:`workforce.privacy.suppress_small`; column ``suppressed``). ``wide``: one row per year and group,
        one column per indicator (and ``<indicator>_p10``... in Monte Carlo mode), the shape of the exports."""
        from workforce.privacy import suppress_small

        frame = self.table(min_mass) if by is None else self.summary(by)
        keys = [YEAR, METIER, DIRECTION, CATEGORIE] if by is None else [YEAR, by]
        stats = [c for c in (VALUE, MEAN, P10, P50, P90) if c in frame.columns]
        wide_frame = frame.pivot_table(index=keys, columns=INDICATOR, values=stats, aggfunc="first",
                                       observed=True, sort=False)
        names = [n for n in self.indicators() if (VALUE, n) in wide_frame.columns]
        cols = {n if st == VALUE else f"{n}_{st}": wide_frame[(st, n)] for st in stats for n in names
                if (st, n) in wide_frame.columns}
        w = pd.DataFrame(cols).reset_index()
        for k in keys[1:]:
            w[k] = w[k].astype(str)
        heads = w[HEADCOUNT].round()
        value_cols = [c for c in w.columns if c not in keys and c != HEADCOUNT]
        out = suppress_small(w.assign(_heads=heads), "_heads", [HEADCOUNT, *value_cols]).drop(columns=["_heads"])
        if wide:
            return out.sort_values(keys, kind="stable").reset_index(drop=True)
        long = out.melt(id_vars=keys + ["suppressed"], value_vars=[HEADCOUNT, *value_cols], var_name="_col",
                        value_name="_v")
        parts = long["_col"].str.rsplit("_", n=1, expand=True)
        is_stat = parts[1].isin([MEAN, P10, P50, P90]) & long["_col"].str.contains("_")
        long[INDICATOR] = np.where(is_stat, parts[0], long["_col"])
        long["_stat"] = np.where(is_stat, parts[1], VALUE)
        res = long.pivot_table(index=keys + ["suppressed", INDICATOR], columns="_stat", values="_v",
                               aggfunc="first", dropna=False).reset_index()
        res.columns.name = None
        return res[keys + [INDICATOR, *[c for c in stats if c in res.columns], "suppressed"]]

    def fingerprint(self) -> str:
        """sha256 of every value array (same data, scenario and seed give the same fingerprint)."""
        h = hashlib.sha256()
        for name in sorted(self.values):
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.values[name]).tobytes())
        if self.bands is not None:
            for k in (MEAN, P10, P50, P90):
                h.update(np.ascontiguousarray(self.bands[k]).tobytes())
        return h.hexdigest()
