"""The result of a run (:class:`Projection`): dense arrays by year and cell, with the frame views built on demand
(the long table, summaries by level with their Monte Carlo bands, the payroll decomposition, what may be
published), and the code version recorded with every run."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import workforce
from workforce import payroll as pay
from workforce.projection.names import (CATEGORIE, CATEGORY_CODES, DEMAND, DIRECTION, ETP, EXITS, FLOW_INDICATORS,
                                        HEADCOUNT, HIRES, INDICATOR, LEVELS, MC_INDICATORS, MEAN, METIER, MOBILITY_IN, MOBILITY_OUT,
                                        P10, P50, P90, PAYROLL, PAYROLL_FLOWS, RETIREMENTS, VACANCIES, VALUE, YEAR)
from workforce.projection.prepared import Prepared, level_maps
from workforce.scenario import Scenario


DEMAND_P10, DEMAND_P90 = "demand_p10", "demand_p90"
VACANCIES_P10, VACANCIES_P90 = "vacancies_p10", "vacancies_p90"
DEMAND_BAND_INDICATORS = (DEMAND_P10, DEMAND_P90, VACANCIES_P10, VACANCIES_P90)
"""The demand model's 80 % band carried into the projection: the scenario's demand times the model's P10 (P90)
over its central forecast, and the vacancies at that demand (demand P10 minus the projected ETP). Only the
demand's own uncertainty: the Monte Carlo's band of the ETP stays in ``vacancies``' p10/p90. Equal to the demand
(vacancies) where the scenario sets the demand itself (``demand_baseline`` other than ``model``) or no demand
model is active."""


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
    """The result of :func:`workforce.projection.engine.run`: dense arrays by year and cell, with frame views built
    on demand.

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

    def __post_init__(self):
        if DEMAND in self.values and DEMAND_P10 not in self.values:
            self.values.update(demand_band_values(self.values, self.prepared, self.scenario))

    # ---------------------------------------------------------------- totals
    def total(self, indicator: str) -> np.ndarray:
        """Whole-employer value of ``indicator`` by year, shape (H + 1,)."""
        return self.values[indicator].reshape(len(self.years), -1).sum(axis=1)

    def period_total(self, indicator: str, first_year: int, last_year: int) -> float:
        """A flow summed over the years ``first_year``..``last_year`` inclusive (« retraites 2027-2030 »); the
        starting year holds no flow."""
        if indicator not in FLOW_INDICATORS:
            raise ValueError(f"{indicator!r} is not a flow: a period total of a stock means nothing")
        years = self.years.astype(int)
        keep = (years >= first_year) & (years <= last_year) & (years > years[0])
        return float(self.total(indicator)[keep].sum())

    def indicators(self) -> list[str]:
        return [HEADCOUNT, ETP, RETIREMENTS, EXITS, *[f"exits_{m}" for m in self.motives], HIRES, MOBILITY_IN,
                MOBILITY_OUT, DEMAND, VACANCIES, PAYROLL, *DEMAND_BAND_INDICATORS]

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
        gi, labels = level_maps(self.prepared)[by]
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
                gi, _ = level_maps(self.prepared)[by]
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
        gi, labels = level_maps(self.prepared)[by]
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


def demand_band_values(values: dict, prepared: Prepared, scenario: Scenario) -> dict:
    """:data:`DEMAND_BAND_INDICATORS` by year and cell, (H + 1, C, M, D) each, from the run's demand and ETP and
    the demand model's band (``prepared.demand_band``); year 0 is today's staffing, known, so its band is flat."""
    demand, etp = values[DEMAND], values[ETP]
    H = demand.shape[0] - 1
    band = getattr(prepared, "demand_band", None)
    lo, hi = np.ones((H + 1, demand.shape[2])), np.ones((H + 1, demand.shape[2]))
    if band is not None and getattr(scenario, "demand_baseline", "model") == "model":
        n = min(H, band.shape[1])
        lo[1:n + 1], hi[1:n + 1] = band[0, :n], band[1, :n]
    d_lo = demand * lo[:, None, :, None]
    d_hi = demand * hi[:, None, :, None]
    return {DEMAND_P10: d_lo, DEMAND_P90: d_hi, VACANCIES_P10: d_lo - etp, VACANCIES_P90: d_hi - etp}
