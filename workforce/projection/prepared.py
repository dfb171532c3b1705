"""Prepared inputs: what every scenario of a model set shares (:class:`Prepared`, built by
:func:`workforce.projection.engine.prepare`) and the fitted models it is prepared from (:class:`Models`).

The base agents are sorted by origin cell (catégorie x métier x direction); their exit hazards, indices and the
hire pseudo-agents are computed once. Retirement hazards under other law variants or retirement knobs are
computed on first use and cached here, and so are the combined hazards and the base agents' flows of the most
recent scenarios (a slider move that only touches hiring, replacement or demand reuses them).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workforce import payroll as pay
from workforce import rules
from workforce.forecast.hires import HireProfile
from workforce.projection.names import (AGENT_ID, BIRTH_DATE, CATEGORIE, CATEGORY_CODES, ENTRY_DATE, EXTRACT_DATE,
                                        QUOTITE, STATUT)


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
    demand_band: np.ndarray | None = field(repr=False, default=None)
    """(2, horizon, M): the demand model's P10 and P90 over its central forecast, by year and métier (None: no
    model, the demand is the scenario's alone)."""
    _agents: pd.DataFrame = field(repr=False, default=None)
    """The base agents' frame as given; ``_order`` puts its rows in the prepared (origin cell) order."""
    _order: np.ndarray = field(repr=False, default=None)
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

    def cached(self, kind: str, key, make):
        """``make()`` kept under ``key`` in the ``kind`` cache ("probs": combined hazards, "flows": base agents'
        flows), the least recently used dropped past :attr:`cache_size` entries or :attr:`cache_bytes`."""
        store = {"probs": self._probs_cache, "flows": self._flows_cache}[kind]
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

    def agent_ids(self) -> np.ndarray:
        """The base agents' identifiers in the prepared order (their positions when unknown)."""
        if self._agents is not None and AGENT_ID in self._agents:
            return self._agents[AGENT_ID].to_numpy()[self._order]
        return np.arange(self.n_agents)

    def agents(self) -> pd.DataFrame:
        """The base agents' frame in the prepared order (row i is agent i of every per-agent array)."""
        return self._agents.iloc[self._order].reset_index(drop=True)

    def for_workers(self) -> "Prepared":
        """A copy without the agents' frame, the models and the caches: what a Monte Carlo worker needs."""
        return dataclasses.replace(self, _agents=None, _order=None, _pseudo=None, _hazards=None, _retirement_cache={},
                                   _probs_cache={}, _flows_cache={})

    def retirement(self, regime: str, postpone_months: int = 0, aod_share: float | None = None):
        """Retirement hazards of the base agents and of the hire pseudo-agents under these knobs (cached)."""
        key = (regime, int(postpone_months), None if aod_share is None else float(aod_share))
        if key not in self._retirement_cache:
            t0 = time.perf_counter()
            kw = dict(regime=regime, postpone_months=int(postpone_months), aod_share=aod_share)
            h, c = self._hazards.retirement_hazards(self._agents, self.start, self.horizon, **kw)
            h, c = h.take(self._order, axis=0), c.take(self._order, axis=0)
            E, T = self.tmpl_exit.shape[:2]
            th = np.zeros((E, T, self.horizon), np.float32)
            tc = np.zeros((E, T, self.horizon), bool)
            if E > 1 and T:  # cohort e is at risk from year e + 1: every cohort in one call, each from its day
                days = rules.add_months(np.full(E - 1, self.start), 12 * np.arange(1, E))
                pseudo = pd.concat([self.pseudo_agents(day) for day in days], ignore_index=True)
                ph, pc = self._hazards.retirement_hazards(pseudo, np.repeat(days, T), self.horizon - 1, **kw)
                for e in range(E - 1):
                    span = self.horizon - e - 1
                    th[e, :, e + 1:] = ph[e * T:(e + 1) * T, :span]
                    tc[e, :, e + 1:] = pc[e * T:(e + 1) * T, :span]
            self._retirement_cache[key] = (h, c, th, tc)
            self.timings[f"retirement{key}"] = time.perf_counter() - t0
        return self._retirement_cache[key]

    def retirement_of(self, scenario) -> tuple:
        """:meth:`retirement` under a scenario's law variant and retirement knobs (what its runs read)."""
        return self.retirement(scenario.regime, scenario.postponement_months, scenario.share_at_aod)

    def pseudo_agents(self, hire_day: np.datetime64) -> pd.DataFrame:
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



def level_maps(p: Prepared) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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
