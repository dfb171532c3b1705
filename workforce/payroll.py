"""Payroll (masse salariale): the cost of the projected workforce and why it moves.

Why: a GPEEC plan is also a budget. The annual employer cost of an agent is

    traitement indiciaire brut (TIB) = indice majoré x annual point value x quotité
    cost = TIB x (1 + employer rate on TIB) + régime indemnitaire x (1 + employer rate on it)
    régime indemnitaire = rate of the catégorie x TIB

with, for fonctionnaires, the CNRACL employer rate (rising from 31.65 % in 2024 to 43.65 % in 2028) plus the
other contributions on the TIB; for contractuels one rate on the whole gross pay. The point value and the
rates are dated parameters (``data/payroll/parameters.yaml``, each row citing its text; ``[U]`` marks a typical
figure to replace by the employer's own through the scenario knobs).

Indices progress with seniority (GVT positif: échelons, grades), learned per catégorie from the history
(:class:`IndiceProgression`). Year to year, the payroll of a group moves by

    price effect (point value and rates)  +  GVT positif (progression of those who stay)
    + hires' cost - leavers' cost  (= noria + volume)  +  mobility in - mobility out

where the noria effect (GVT négatif) is the saving of replacing senior leavers by junior hires,
(mean cost of hires - mean cost of leavers) x hires, and the volume effect the rest, (hires - leavers) x mean
cost of leavers. The engine (:mod:`workforce.projection`) computes these flows; :func:`decomposition` turns them
into the table by direction and year.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce.columns import CATEGORY_CODES
from workforce.forecast.exits import statut_group as exits_statut_group
from workforce.config import REPO_ROOT

PARAMETERS_FILE = REPO_ROOT / "data" / "payroll" / "parameters.yaml"
QUANTITIES = ("point_value", "cnracl_employer_rate", "other_employer_rate_fonctionnaire",
              "indemnitaire_employer_rate_fonctionnaire", "employer_rate_contractuel", "indemnitaire_rate")
CATEGORIES = CATEGORY_CODES
FONCTIONNAIRE, CONTRACTUEL = 0, 1

# payroll flow names (engine indicators) and decomposition columns
PAYROLL = "payroll"
DECOMPOSITION_COLUMNS = ("year", "direction", "payroll_start", "payroll", "change", "price_effect", "gvt",
                         "hires_cost", "exits_cost", "noria", "volume", "mobility_net", "hires", "leavers")


class PayrollParameterError(ValueError):
    """The parameter file is malformed; the message names the quantity and row."""


@dataclass(frozen=True)
class DatedSeries:
    """Values in force from dates (sorted); :meth:`annual` gives a calendar year's mean (month by month)."""

    name: str
    starts: tuple[dt.date, ...]
    values: tuple
    refs: tuple[str, ...]

    def at(self, day: dt.date):
        i = int(np.searchsorted(np.array(self.starts, dtype="datetime64[D]"), np.datetime64(day, "D"), side="right"))
        if i == 0:
            raise PayrollParameterError(f"{self.name}: no value in force on {day} (first from {self.starts[0]})")
        return self.values[i - 1]

    @functools.lru_cache(maxsize=512)
    def annual(self, year: int) -> float:
        """Mean over the months of ``year`` (a point value raised on 1 July counts half)."""
        months = [self.at(dt.date(year, m, 1)) for m in range(1, 13)]
        return float(np.mean(months))


@functools.lru_cache(maxsize=4)
def load_parameters(path: str | Path = PARAMETERS_FILE) -> dict[str, DatedSeries]:
    """Read and check the dated parameter file (sorted dates, a value and a reference on every row)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = {}
    for name in QUANTITIES:
        block = raw.get(name)
        if not isinstance(block, dict) or not isinstance(block.get("values"), list) or not block["values"]:
            raise PayrollParameterError(f"{path}: {name}: a block with a non-empty 'values' list is required")
        starts, values, refs = [], [], []
        for i, row in enumerate(block["values"]):
            where = f"{path}: {name}, row {i + 1}"
            if set(row) - {"from", "value", "ref"} or not {"from", "value", "ref"} <= set(row):
                raise PayrollParameterError(f"{where}: keys must be from, value, ref; got {sorted(row)}")
            start = row["from"] if isinstance(row["from"], dt.date) else dt.date.fromisoformat(str(row["from"]))
            if starts and start <= starts[-1]:
                raise PayrollParameterError(f"{where}: dates must increase ({start} after {starts[-1]})")
            value = row["value"]
            if name == "indemnitaire_rate":
                if not isinstance(value, dict) or set(value) != set(CATEGORIES):
                    raise PayrollParameterError(f"{where}: value must give A, B and C")
                value = tuple(float(value[c]) for c in CATEGORIES)
            else:
                value = float(value)
            starts.append(start)
            values.append(value)
            refs.append(str(row["ref"]))
        out[name] = DatedSeries(name, tuple(starts), tuple(values), tuple(refs))
    return out


@dataclass(frozen=True)
class PayrollRates:
    """Rates for a run of years: arrays indexed by year offset (0 = the start year)."""

    years: np.ndarray  # calendar years
    point: np.ndarray  # € per point a year
    tib_rate: np.ndarray  # (n_years, 2): employer rate on the TIB, fonctionnaire / contractuel
    ri_employer_rate: np.ndarray  # (n_years, 2)
    ri_rate: np.ndarray  # (3,): régime indemnitaire by catégorie

    def cost_per_point(self) -> np.ndarray:
        """(n_years, 3 catégories, 2 statut groups): € a year per point of indice majoré at quotité 1."""
        tib = 1.0 + self.tib_rate[:, None, :]
        ri = self.ri_rate[None, :, None] * (1.0 + self.ri_employer_rate[:, None, :])
        return self.point[:, None, None] * (tib + ri)


def rates(first_year: int, n_years: int, *, point_value: float | None = None, point_growth: float = 0.0,
          indemnitaire_rates: dict | None = None, employer_rates: dict | None = None,
          parameters: dict[str, DatedSeries] | None = None) -> PayrollRates:
    """The payroll rates of years ``first_year .. first_year + n_years - 1`` under the scenario's knobs.

    ``point_value`` replaces the table's value of ``first_year``; ``point_growth`` raises the point each year
    after ``first_year``; ``indemnitaire_rates`` ({A, B, C}) and ``employer_rates`` ({fonctionnaire,
    contractuel}: rate on the TIB) replace the tables.
    """
    p = parameters or load_parameters()
    years = np.arange(first_year, first_year + n_years)
    base_point = point_value if point_value is not None else p["point_value"].annual(first_year)
    point = np.array([p["point_value"].annual(int(y)) if point_value is None else base_point for y in years])
    point = point * (1.0 + point_growth) ** np.maximum(years - first_year, 0)
    tib = np.array([[p["cnracl_employer_rate"].annual(int(y)) + p["other_employer_rate_fonctionnaire"].annual(int(y)),
                     p["employer_rate_contractuel"].annual(int(y))] for y in years])
    ri_emp = np.array([[p["indemnitaire_employer_rate_fonctionnaire"].annual(int(y)),
                        p["employer_rate_contractuel"].annual(int(y))] for y in years])
    if employer_rates:
        if "fonctionnaire" in employer_rates:
            tib[:, 0] = employer_rates["fonctionnaire"]
        if "contractuel" in employer_rates:
            tib[:, 1] = employer_rates["contractuel"]
            ri_emp[:, 1] = employer_rates["contractuel"]
    ri = np.array(p["indemnitaire_rate"].at(dt.date(first_year, 1, 1)), dtype=float)
    if indemnitaire_rates:
        ri = np.array([indemnitaire_rates.get(c, ri[i]) for i, c in enumerate(CATEGORIES)], dtype=float)
    return PayrollRates(years, point, tib, ri_emp, ri)


def statut_group(statut) -> np.ndarray:
    """0 fonctionnaire (titulaire, stagiaire, unknown), 1 contractuel: the two rates of employer contributions
    (the exit model's three groups with both kinds of contractuels together)."""
    return (exits_statut_group(statut) > 0).astype(np.int8)


# ------------------------------------------------------------------------------------------ progression

class IndiceProgression(BaseEstimator):
    """Yearly progression of the indice majoré by catégorie (GVT positif), learned from the history.

    Parameters
    ----------
    cap_quantile : float
        The ceiling of a catégorie's indices is this quantile of those observed (the top of the grid).
    progress : bool
        False keeps every indice where it is (the stay-put baseline the training step compares the progression
        with: levels, medians and ceilings are still learned).

    Attributes
    ----------
    step_ : ndarray (3,)
        Mean yearly increase of the indice of agents present a year apart, by catégorie A, B, C.
    cap_ : ndarray (3,)
        Ceiling of the indices by catégorie.
    median_ : ndarray (3,)
        Median indice by catégorie (used for agents whose indice is unknown).
    """

    def __init__(self, *, cap_quantile: float = 0.99, progress: bool = True):
        self.cap_quantile = cap_quantile
        self.progress = progress

    def fit(self, snapshots: pd.DataFrame, y=None) -> "IndiceProgression":
        """Fit on snapshots ``extract_date, agent_id, categorie, indice_majore`` (any number of extracts)."""
        if not 0.5 <= self.cap_quantile <= 1:
            raise ValueError(f"cap_quantile must be in [0.5, 1], got {self.cap_quantile!r}")
        missing = [c for c in ("extract_date", "agent_id", "categorie", "indice_majore") if c not in snapshots.columns]
        if missing:
            raise ValueError(f"snapshots lack column(s) {', '.join(missing)}")
        s = snapshots[["extract_date", "agent_id", "categorie", "indice_majore"]].dropna()
        s = s.assign(extract_date=pd.to_datetime(s["extract_date"]), indice_majore=s["indice_majore"].astype(float))
        cat = s["categorie"].map({c: i for i, c in enumerate(CATEGORIES)})
        s = s[cat.notna()].assign(cat=cat[cat.notna()].astype(int))
        if s.empty:
            raise ValueError("no snapshot row with a catégorie and an indice majoré")
        self.cap_ = np.array([s.loc[s["cat"] == i, "indice_majore"].quantile(self.cap_quantile)
                              if (s["cat"] == i).any() else np.nan for i in range(3)])
        self.median_ = np.array([s.loc[s["cat"] == i, "indice_majore"].median() if (s["cat"] == i).any() else np.nan
                                 for i in range(3)])
        fill = np.nanmedian(self.median_)
        self.median_ = np.where(np.isnan(self.median_), fill, self.median_)
        self.cap_ = np.where(np.isnan(self.cap_), np.nanmax(self.cap_), self.cap_)
        # pairs of extracts about a year apart (the last one and the one 12 months earlier, and so on)
        dates = np.sort(s["extract_date"].unique())
        steps = []
        if len(dates) >= 2:
            last = pd.Timestamp(dates[-1])
            for k in range(1, 11):
                later = last - pd.DateOffset(years=k - 1)
                earlier = later - pd.DateOffset(years=1)
                if earlier < pd.Timestamp(dates[0]):
                    break
                a = s[s["extract_date"] == _nearest(dates, earlier)]
                b = s[s["extract_date"] == _nearest(dates, later)]
                pair = a.merge(b, on="agent_id", suffixes=("_0", "_1"))
                pair = pair[(pair["cat_0"] == pair["cat_1"]) & (pair["indice_majore_0"] < self.cap_[pair["cat_0"]])]
                steps.append(pair.assign(d=pair["indice_majore_1"] - pair["indice_majore_0"])[["cat_0", "d"]])
        if not steps and "entry_date" in snapshots.columns:
            # one extract: the cross-sectional slope of the indice over the first 20 years of tenure
            one = snapshots.dropna(subset=["indice_majore", "entry_date", "categorie"])
            tenure = (pd.to_datetime(one["extract_date"]) - pd.to_datetime(one["entry_date"])).dt.days / 365.25
            one = one.assign(tenure=tenure, cat=one["categorie"].map({c: i for i, c in enumerate(CATEGORIES)}))
            one = one[(one["tenure"] >= 0) & (one["tenure"] <= 20) & one["cat"].notna()]
            for i in range(3):
                sel = one[one["cat"] == i]
                if len(sel) >= 10 and sel["tenure"].std() > 0:
                    slope = np.polyfit(sel["tenure"].to_numpy(float), sel["indice_majore"].to_numpy(float), 1)[0]
                    steps.append(pd.DataFrame({"cat_0": [i], "d": [max(float(slope), 0.0)]}))
        if steps:
            allp = pd.concat(steps)
            by = allp.groupby("cat_0")["d"].mean()
            self.step_ = np.array([max(float(by.get(i, np.nan)), 0.0) if i in by.index else np.nan for i in range(3)])
            self.step_ = np.where(np.isnan(self.step_), np.nanmean(self.step_) if np.isfinite(self.step_).any() else 0.0,
                                  self.step_)
        else:
            self.step_ = np.zeros(3)
        if not self.progress:
            self.step_ = np.zeros(3)
        return self

    @classmethod
    def default(cls) -> "IndiceProgression":
        """Typical grids when the data has no indice [U]: medians A 580, B 450, C 390 points; yearly
        progression A 11, B 7, C 3.5 points; ceilings A 830, B 587, C 473 (ends of the usual grids)."""
        est = cls()
        est.median_ = np.array([580.0, 450.0, 390.0])
        est.step_ = np.array([11.0, 7.0, 3.5])
        est.cap_ = np.array([830.0, 587.0, 473.0])
        return est

    def trajectories(self, indice, categorie, n_years: int, dtype=np.float32) -> np.ndarray:
        """Indice of each agent at year offsets 0..n_years (shape (n, n_years + 1)); unknown indices get the
        catégorie's median."""
        check_is_fitted(self, "step_")
        cat = pd.Series(np.asarray(categorie, dtype=object)).map({c: i for i, c in enumerate(CATEGORIES)})
        cat = cat.fillna(2).astype(int).to_numpy()
        im = pd.to_numeric(pd.Series(np.asarray(indice, dtype=object)), errors="coerce").to_numpy(float)
        im = np.where(np.isnan(im), self.median_[cat], im)
        t = np.arange(n_years + 1, dtype=float)
        traj = np.minimum(im[:, None] + self.step_[cat][:, None] * t[None, :], np.maximum(self.cap_[cat], im)[:, None])
        return traj.astype(dtype)


def _nearest(dates: np.ndarray, day: pd.Timestamp):
    i = int(np.argmin(np.abs(dates - np.datetime64(day))))
    return dates[i]


# ------------------------------------------------------------------------------------------ decomposition

def decomposition(flows: pd.DataFrame) -> pd.DataFrame:
    """Payroll change by group and year from the engine's flows.

    ``flows`` has ``year``, ``direction`` (or any group column) and the sums ``payroll_start``, ``payroll``,
    ``price_effect``, ``gvt``, ``hires_cost``, ``exits_cost``, ``mobility_in_cost``, ``mobility_out_cost``,
    ``hires``, ``leavers``. Returns :data:`DECOMPOSITION_COLUMNS`: ``change = payroll - payroll_start`` equals
    ``price_effect + gvt + noria + volume + mobility_net`` exactly.
    """
    f = flows.copy()
    mean_out = np.divide(f["exits_cost"], f["leavers"], out=np.zeros(len(f)), where=f["leavers"] > 0)
    mean_in = np.divide(f["hires_cost"], f["hires"], out=np.zeros(len(f)), where=f["hires"] > 0)
    f["noria"] = np.where((f["hires"] > 0) & (f["leavers"] > 0), (mean_in - mean_out) * f["hires"], 0.0)
    f["volume"] = f["hires_cost"] - f["exits_cost"] - f["noria"]
    f["mobility_net"] = f["mobility_in_cost"] - f["mobility_out_cost"]
    f["change"] = f["payroll"] - f["payroll_start"]
    return f[list(DECOMPOSITION_COLUMNS)].reset_index(drop=True)
