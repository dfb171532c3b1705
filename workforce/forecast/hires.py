"""Who gets hired: :class:`HireProfile` templates (statut, age, quotité, indice by catégorie) learned from the
recent arrivals; the engine follows each hire cohort as pseudo-agents of these templates."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from workforce import rules
from workforce.columns import (AGENT_ID, BIRTH_DATE, CATEGORIE, CATEGORY_CODES, ENTRY_DATE, EXTRACT_DATE, INDICE,
                               QUOTITE, STATUT)
from workforce.panel import years_between

PROFILE_YEARS = 3.0
"""Years of recruits a hire profile describes (the last three: older recruitment policies are stale) [U]."""
MIN_ARRIVALS = 20
"""Fewest recruits a hire profile is learned from; with fewer, the agents of under two years' tenure stand in
(an assumption [U]: with fewer than 20 hires spread over three catégories, the shares are mostly noise)."""


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
    age, quotite, indice_majore, movement_date``."""
    arr = movements[movements["kind"] == "arrival"][[AGENT_ID, "movement_date"]].copy()
    arr["movement_date"] = pd.to_datetime(arr["movement_date"])
    if arr.empty:
        return pd.DataFrame(columns=[CATEGORIE, STATUT, "age", QUOTITE, INDICE, "movement_date"])
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
    return m[[CATEGORIE, STATUT, "age", QUOTITE, INDICE, "movement_date"]].reset_index(drop=True)


def recent_agents(snapshot: pd.DataFrame, at, *, years: float = 2.0, at_least: int = 20) -> pd.DataFrame:
    """The stand-in for unknown recruits: the agents of ``snapshot`` with under ``years`` of tenure at ``at``
    (all of them when fewer than ``at_least``), with their ``age`` at ``at``; what :class:`HireProfile` fits
    when the recruits themselves are too few."""
    day = np.datetime64(pd.Timestamp(at).date(), "D")
    recent = snapshot
    if ENTRY_DATE in snapshot.columns:
        tenure = years_between(rules.as_dates(snapshot[ENTRY_DATE]), day)
        if (tenure < years).sum() >= at_least:
            recent = snapshot[tenure < years]
    return recent.assign(age=years_between(rules.as_dates(recent[BIRTH_DATE]), day))


def profile_error(profile: HireProfile, observed: pd.DataFrame) -> dict[str, float]:
    """How far a profile is from the recruits it should have described: by catégorie, the absolute error of the
    mean age (years) and of the contractuels' share, weighted by the observed recruits of each catégorie."""
    t = profile.templates_
    contract = t[STATUT].astype(str).str.lower().str.startswith("contractuel")
    pred = pd.DataFrame({"age": (t["share"] * t["age"]).groupby(t[CATEGORIE]).sum(),
                         "contract": (t["share"] * contract).groupby(t[CATEGORIE]).sum()})
    o = observed[observed[CATEGORIE].isin(CATEGORY_CODES)]
    obs = pd.DataFrame({"age": o.groupby(CATEGORIE)["age"].mean(),
                        "contract": o[STATUT].astype(str).str.lower().str.startswith("contractuel")
                        .groupby(o[CATEGORIE]).mean(),
                        "n": o.groupby(CATEGORIE).size()})
    both = obs.join(pred.add_suffix("_pred"), how="inner")
    w = both["n"] / both["n"].sum()
    return {"age_error": float((w * (both["age_pred"] - both["age"]).abs()).sum()),
            "statut_error": float((w * (both["contract_pred"] - both["contract"]).abs()).sum()),
            "n_observed": float(both["n"].sum())}
