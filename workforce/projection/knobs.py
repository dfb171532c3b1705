"""Knobs: a :class:`workforce.scenario.Scenario` turned into the arrays of one run (:class:`Knobs`).

The cause probabilities of the base agents and of the hire pseudo-agents under the scenario's law variant,
retirement and exit knobs (combined by :func:`workforce.projection.hazards.combine`, cached in the prepared
object), the replacement rates by cell, the frozen years, the recruitment delay, the demand by cell and year,
and the payroll cost per point of indice (:func:`cost_per_point`, computed once per run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce import payroll as pay
from workforce.projection.hazards import combine
from workforce.projection.prepared import Prepared
from workforce.scenario import Scenario


@dataclass
class Knobs:
    """The scenario turned into arrays for one run."""

    H: int
    years: np.ndarray  # calendar years of the projection (H,)
    probs: "LazyProbs"  # base agents' cause probabilities: .all() (n, H, 1 + K), .year(k) (1 + K, n)
    tmpl_probs: np.ndarray  # (E, T, H, 1 + K)
    replacement: np.ndarray  # (C, M, D)
    freeze: np.ndarray  # (H,) bool
    delay: float  # years
    demand: np.ndarray  # (H + 1, C, M, D) ETP, index 0 = start
    cost_pp: np.ndarray  # (H + 1, 3, 2) € per point
    multipliers: np.ndarray  # (K,)
    flows_key: tuple = ()  # what the base agents' flows depend on (cache key)


class LazyProbs:
    """The base agents' cause probabilities (n, H, 1 + K), combined only when asked (Monte Carlo, survival);
    the expected mode combines year by year instead (``combine(..., causes_first=True)``; a million agents: 700 MB
    spared)."""

    def __init__(self, p: "Prepared", key: tuple, ret, cert, mult, H: int):
        self.p, self.key, self.ret, self.cert, self.mult, self.H = p, key, ret, cert, mult, H

    def all(self) -> np.ndarray:
        H = self.H
        return self.p.cached("probs", self.key, lambda: combine(
            self.ret[:, :H], self.cert[:, :H], self.p.exit_hazard[:, :H], self.mult))

    def year(self, k: int) -> np.ndarray:
        """(1 + K, n) float64 for year k: retirement, then each exit motive."""
        return combine(self.ret[:, k], self.cert[:, k], self.p.exit_hazard[:, k], self.mult, causes_first=True)

    def years(self):
        """:meth:`year` for k = 0 .. H - 1, from the hazards laid out year-major once (each year then reads
        contiguous memory: a million agents' year-k column is a strided tenth of the whole array otherwise), into
        one buffer: each year's array is overwritten by the next."""
        H = self.H
        ret = np.ascontiguousarray(self.ret[:, :H].T)
        cert = np.ascontiguousarray(self.cert[:, :H].T)
        exits = np.ascontiguousarray(self.p.exit_hazard[:, :H].transpose(1, 2, 0))  # (H, K, n)
        out = np.empty((1 + exits.shape[1], ret.shape[1]))  # one buffer: each year is read before the next
        for k in range(H):
            yield combine(ret[k], cert[k], exits[k].T, self.mult, causes_first=True, out=out)


def _check_horizon(p: Prepared, s: Scenario) -> None:
    if s.horizon > p.horizon:
        raise ValueError(f"horizon: the scenario asks {s.horizon} years but the preparation covers {p.horizon}; "
                         f"call prepare(..., horizon={s.horizon})")


def cost_per_point(p: Prepared, s: Scenario) -> np.ndarray:
    """(H + 1, 3, 2) € a year per point of indice at quotité 1 by catégorie and statut group, year 0 = the base
    year, under the scenario's payroll knobs."""
    _check_horizon(p, s)
    r = pay.rates(p.base_year, s.horizon + 1, point_value=s.point_value, point_growth=s.point_growth,
                  indemnitaire_rates=s.indemnitaire_rates, employer_rates=s.employer_rates)
    return r.cost_per_point()


def scenario_knobs(p: Prepared, s: Scenario, start_etp: np.ndarray, cost_pp: np.ndarray | None = None) -> Knobs:
    """The scenario ``s`` as arrays over ``p``; ``start_etp`` (C, M, D) the ETP at the start (the demand's level
    today), ``cost_pp`` what :func:`cost_per_point` returns (computed here when None)."""
    _check_horizon(p, s)
    H = s.horizon
    years = p.base_year + 1 + np.arange(H)
    mult = np.array([s.exit_multiplier * s.exit_multipliers.get(m, 1.0) for m in p.motives], float)

    ret, cert, tret, tcert = p.retirement_of(s)
    hazard_key = (s.regime, s.postponement_months, s.share_at_aod, tuple(mult), H)
    tprobs = p.cached("probs", ("templates",) + hazard_key,
                      lambda: combine(tret[:, :, :H], tcert[:, :, :H], p.tmpl_exit[:, :, :H], mult))
    probs = LazyProbs(p, hazard_key, ret, cert, mult, H)
    replacement = _replacement(p, s)
    freeze = np.isin(years, s.freeze_years(int(years[0])))
    demand = _demand(p, s, start_etp, years)
    if cost_pp is None:
        cost_pp = cost_per_point(p, s)
    pay_key = (s.point_value, s.point_growth, json.dumps(s.indemnitaire_rates, sort_keys=True),
               json.dumps(s.employer_rates, sort_keys=True))
    return Knobs(H, years, probs, tprobs, replacement, freeze, s.recruitment_delay_months / 12.0, demand, cost_pp,
                 mult, hazard_key + pay_key)


def _replacement(p: Prepared, s: Scenario) -> np.ndarray:
    """Replacement rate by cell (C, M, D): the scenario's rate, by famille, then by métier."""
    C, M, D = p.shape
    rr = np.full(M, s.replacement_rate)
    fam = pd.Series(p.familles)
    for f, v in s.replacement_by_famille.items():
        rr[(fam == f).to_numpy()] = v
    mi = {m: i for i, m in enumerate(p.metiers)}
    for m, v in s.replacement_by_metier.items():
        if m in mi:
            rr[mi[m]] = v
    return np.broadcast_to(rr[None, :, None], (C, M, D)).copy()


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
    per_etp = heads_per_etp(p)
    for o in s.demand_overlays:
        if o["kind"] != "target":
            continue
        mask = np.broadcast_to(_scope_mask(p, o["scope"], o["key"])[None], (C, M, D))
        span = max(o["year"] - p.base_year, 1)
        d0 = out[0][mask].sum()
        target = o["value"] / per_etp
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


def heads_per_etp(p: Prepared) -> float:
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
