"""Hazards: who leaves, and by which cause, each year of the projection.

Per-agent annual hazards come from the fitted models (:class:`ModelHazards`: retirement by the law and its
model, the other exits by motive), or from the law alone when no retirement model exists
(:class:`LawRetirementHazard`). :func:`combine` turns them into the probabilities of competing causes of one
year, P(stay) = 1 - h_retirement - sum_k m_k h_k: the one place where retirement and exits are combined (the
expected mode year by year, the Monte Carlo mode and the survival curves all read it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce import rules
from workforce.forecast.retirement import (EARLY, ELIGIBLE, LIMIT, SEGMENT_CODES, as_rows, roll_rows,
                                          segment_codes)
from workforce.panel import years_between
from workforce.projection.names import BIRTH_DATE, CATEGORIE, ENTRY_DATE, STATUT


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
        rows = as_rows(X)
        seg, h = self._components(rows, postpone_months, aod_share)
        return pd.DataFrame({"segment": np.array([EARLY, ELIGIBLE, LIMIT], dtype=object)[seg], "hazard": h},
                            index=rows.index)

    def predict_certain(self, X, *, postpone_months: int = 0, aod_share: float | None = None):
        seg, h = self._components(as_rows(X), postpone_months, aod_share)
        return h, seg == SEGMENT_CODES[LIMIT]

    def _components(self, rows, postpone_months: int, aod_share: float | None):
        check_is_fitted(self, "aod_share_")
        m_aod = rows.num("months_to_aod").astype(np.int64) + int(postpone_months)
        m_lim = rows.num("months_to_limit").astype(np.int64)
        spike = self.spike if aod_share is None else aod_share
        in_year = (m_aod >= 0) & (m_aod <= 11)
        h = np.where(in_year, spike * (12 - m_aod) / 12.0, np.where(m_aod < 0, self.after, 0.0))
        seg = segment_codes(m_aod, m_lim)
        return seg, np.where(seg == SEGMENT_CODES[LIMIT], 1.0, h)


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
        """(n, horizon, n_motives) float32 from ``start`` (one date or one per agent); age and tenure grow a year a
        year. The agents' frame goes to the model
        whole (``covariates=``): a model that learned from sexe, filière, direction, quotité, indice or the kept
        columns (``extra``) reads them there, row for row, in one vectorised call."""
        n = len(agents)
        if self.exits is None or n == 0:
            return np.zeros((n, horizon, len(self.motives)), np.float32)
        day = rules.as_dates(np.atleast_1d(start))
        day = day[0] if len(day) == 1 else day  # one start, or one per agent (the hire cohorts at once)
        age = years_between(rules.as_dates(agents[BIRTH_DATE]), day)
        tenure = (years_between(rules.as_dates(agents[ENTRY_DATE]), day) if ENTRY_DATE in agents.columns
                  else np.full(n, np.nan))
        return self.exits.hazards(agents[STATUT].to_numpy(object), agents[CATEGORIE].to_numpy(object), age, tenure,
                                  horizon, covariates=agents)

    def retirement_hazards(self, agents: pd.DataFrame, start, horizon: int, *, regime: str,
                           postpone_months: int = 0, aod_share: float | None = None):
        """``(hazard (n, horizon) float32, certain (n, horizon) bool)``, in chunks of agents, the covariates of
        all years at once (:func:`workforce.forecast.retirement.roll_rows`); ``start`` one date or one per agent."""
        n = len(agents)
        h = np.zeros((n, horizon), np.float32)
        certain = np.zeros((n, horizon), bool)
        base = agents.reset_index(drop=True)
        starts = rules.as_dates(np.atleast_1d(start))
        for lo in range(0, n, self.CHUNK):
            part = base.iloc[lo:lo + self.CHUNK]
            rows = roll_rows(part, starts if len(starts) == 1 else starts[lo:lo + self.CHUNK], horizon, regime)
            hz, cert = _predict_certain(self.retirement, rows, postpone_months=postpone_months, aod_share=aod_share)
            k = len(part)
            h[lo:lo + k] = hz.astype(np.float32).reshape(horizon, k).T
            certain[lo:lo + k] = cert.reshape(horizon, k).T
        return h, certain


def _predict_certain(model, rows, **knobs) -> tuple[np.ndarray, np.ndarray]:
    """``(hazard, certain)`` from a retirement model, through its ``predict_certain`` when it has one (the
    project's models), else its ``predict_components`` on the rows as a frame."""
    if hasattr(model, "predict_certain"):
        return model.predict_certain(rows, **knobs)
    comp = model.predict_components(rows.to_frame(), **knobs)
    return comp["hazard"].to_numpy(np.float64), (comp["segment"].to_numpy(object) == LIMIT)


def combine(ret: np.ndarray, certain: np.ndarray, exits: np.ndarray, mult: np.ndarray, *,
            causes_first: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """Cause probabilities of one year: retirement, then each exit motive (same rule as
    :func:`workforce.forecast.competing.combine`).

    ``ret`` and ``certain`` (...), ``exits`` (..., K) hazards, ``mult`` (K,) the scenario's exit multipliers.
    The causes are scaled down when they add up to more than 1; in a year where leaving is certain (age limit)
    retirement takes what the exits leave. Returns (..., 1 + K) float64 (a certain departure must sum to exactly
    1), or (1 + K, ...) when ``causes_first`` (the expected mode's layout for one year: every later pass over a
    million agents is contiguous), then into ``out`` when given (a buffer reused year after year).
    """
    K = exits.shape[-1]
    if causes_first:
        out = np.empty((K + 1, *ret.shape)) if out is None else out
        x = out[1:]
        np.multiply(np.moveaxis(exits, -1, 0), mult.reshape((K,) + (1,) * ret.ndim), out=x)
        cause_sum = lambda: x.sum(axis=0)  # noqa: E731
        per_agent = lambda a: a[None]  # noqa: E731
    else:
        out = np.empty((*ret.shape, K + 1), np.float64)
        x = out[..., 1:]
        np.multiply(exits, mult, out=x)
        ones = np.ones(K)
        cause_sum = lambda: x @ ones  # noqa: E731
        per_agent = lambda a: a[..., None]  # noqa: E731
    xs = cause_sum()
    r = ret.astype(np.float64)
    tot = r + xs
    over = tot > 1.0
    if over.any():  # rare: scale the causes down where they add up to more than 1
        scale = np.where(over, 1.0 / np.maximum(tot, 1e-12), 1.0)
        r = r * scale
        x *= per_agent(scale)
        xs = cause_sum()
    retirement = np.where(certain, 1.0 - xs, r)
    if causes_first:
        out[0] = retirement
    else:
        out[..., 0] = retirement
    return out
