"""Cached calls of the projection engine, the demand baseline and the skills module for the pages.

The engine has two steps (:mod:`workforce.projection`): ``prepare`` (hazards of today's agents under the
active models; seconds, once per data and model version) and ``run`` (a scenario; milliseconds in expected
mode). The prepared object is shared by every session (``st.cache_resource``); each scenario's projection is
cached by the scenario's canonical JSON. Each function returns None while its library module is missing.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workforce import export as X
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F

PROFILE_COLUMNS = {"classe_fr": "Évolution projetée", "demand_rate_pct": "Demande (%/an)", "raison": "Raison"}
CLASS_LABELS = {"growing": "En croissance", "stable": "Stable", "declining": "En déclin",
                "transforming": "En transformation"}
HORIZON_BUCKETS = (10, 20, 30)
MC_REPLICATES = 200

INDICATOR_LABELS = {
    "headcount": "Effectif", "etp": "ETP", "retirements": "Départs à la retraite", "exits": "Autres départs",
    "hires": "Recrutements", "vacancies": "Postes vacants (besoin − ETP)", "demand": "Besoin (ETP)",
    "payroll": "Masse salariale (€/an)", "mobility_in": "Mobilités entrantes", "mobility_out": "Mobilités sortantes",
    **{f"exits_{m}": f"Départs : {C.MOTIVE_LABELS.get(m, m).lower()}" for m in
       ("mutation", "demission", "fin_contrat", "disponibilite", "detachement", "deces", "licenciement")},
    "exits_autre": "Départs : autres motifs",
}
LEVEL_LABELS = {"total": "Ensemble", "categorie": "Catégorie", "direction": "Direction", "metier": "Métier",
                "famille": "Famille"}


def available() -> bool:
    return C.has_module("workforce.projection")


# ---------------------------------------------------------------------------------------------- engine

def _bucket(horizon: int) -> int:
    return next(b for b in HORIZON_BUCKETS if horizon <= b)


@st.cache_resource(show_spinner=False, max_entries=2)
def engine_inputs(url: str, version: tuple):
    """What the engine reads from the database, exactly as `workforce project` reads it
    (:func:`workforce.projection.load_inputs`): the latest extract's agents, the registry's active models
    (missing or refused ones fall back, said in the provenance), the hire profile, the indice progression."""
    from workforce import projection as PJ

    try:
        return PJ.load_inputs(D.engine(url))
    except LookupError:
        return None


@st.cache_resource(show_spinner="Préparation de la projection (une fois par version des données et des modèles)…",
                   max_entries=4)
def prepared(url: str, version: tuple, horizon: int = 10):
    """The engine prepared for a horizon bucket (10, 20 or 30 years): the same preparation as
    `workforce project`, shared by every session. None without data."""
    from workforce import projection as PJ

    try:
        inputs = engine_inputs(url, version)
        if inputs is None:
            return None
        base, models, provenance = inputs
        return PJ.prepare(base, models, horizon=horizon, provenance=provenance)
    except Exception as err:  # noqa: BLE001 - shown on the page
        F._failed(url, version, "préparation de la projection", err)
        return None


def fallbacks(url: str, version: tuple) -> dict[str, str]:
    """Models the engine replaced by a simple assumption, and why (from its provenance)."""
    inputs = engine_inputs(url, version)
    return {} if inputs is None else dict(inputs[2].get("fallbacks") or {})


@st.cache_resource(show_spinner=False, max_entries=64)
def run(url: str, version: tuple, scenario_json: str, mode: str = "expected", replicates: int = MC_REPLICATES):
    """The projection of one scenario (canonical JSON), expected mode by default; None without data."""
    from workforce import projection as PJ
    from workforce.scenario import Scenario

    scenario = Scenario.from_json(scenario_json)
    prep = prepared(url, version, _bucket(scenario.horizon))
    if prep is None:
        return None
    try:
        return PJ.run(prep, scenario, mode=mode, replicates=replicates)
    except Exception as err:  # noqa: BLE001 - shown on the page
        F._failed(url, version, "projection du scénario", err)
        return None


def totals(projection, indicators) -> pd.DataFrame:
    """``year`` plus one column per indicator: whole-employer values by year (year 0 is the start)."""
    out = pd.DataFrame({"year": projection.years.astype(int)})
    for ind in indicators:
        out[ind] = projection.total(ind)
    return out


def published(projection, by: str) -> pd.DataFrame:
    """``year, <by>, indicator, value, suppressed``: the projection summed to a level, every figure of a group
    whose expected headcount that year rounds to 1-4 agents blanked (:func:`workforce.privacy.suppress_small`)."""
    frame = projection.summary(by)
    heads = (frame[frame["indicator"] == "headcount"][["year", by, "value"]]
             .rename(columns={"value": "_heads"}))
    merged = frame.merge(heads, on=["year", by], how="left")
    merged["_heads"] = merged["_heads"].round()
    value_cols = [c for c in ("value", "mean", "p10", "p50", "p90") if c in merged.columns]
    return C.publish(merged, "_heads", value_cols).drop(columns=["_heads"])


def xlsx_bytes(projection, by: str | None = "direction") -> bytes:
    """The published results (small groups blanked), the payroll and the provenance, as an XLSX file: the
    workbook of `workforce project --out x.xlsx`, written by the export module (formulas neutralised)."""
    return X.xlsx_bytes(X.projection_sheets(projection, by))


# ---------------------------------------------------------------------------------------------- skills

@st.cache_resource(show_spinner="Lecture des compétences…")
def skill_inputs(url: str, version: tuple):
    skills = C.optional_module("workforce.skills")
    if skills is None:
        return None
    try:
        return skills.load_inputs(D.engine(url))
    except LookupError:
        return None
    except Exception as err:  # noqa: BLE001
        F._failed(url, version, "lecture des compétences", err)
        return None


@st.cache_resource(show_spinner="Analyse des compétences…", max_entries=16)
def skill_analysis(url: str, version: tuple, scenario_json: str | None = None):
    """The skills analysis under a scenario (default knobs when None), fed by the projection engine when it is
    available, else by the skills module's documented stand-in."""
    skills = C.optional_module("workforce.skills")
    inputs = skill_inputs(url, version)
    if skills is None or inputs is None:
        return None
    from workforce.scenario import Scenario

    scenario = Scenario.from_json(scenario_json) if scenario_json else Scenario()
    params = skills.TransformationParams(intensity=float(scenario.transformation_intensity),
                                         horizon=int(scenario.horizon))
    projection = None
    if available():
        proj = run(url, version, with_transformation(url, version, scenario).to_json())
        if proj is not None:
            table = proj.table()
            projection = table[table["year"] > proj.years[0]]
    try:
        return skills.analyse(inputs, params, projection=projection)
    except Exception as err:  # noqa: BLE001
        F._failed(url, version, "analyse des compétences", err)
        return None


@st.cache_data(show_spinner=False)
def transformation_profile(url: str, version: tuple) -> pd.DataFrame | None:
    """``metier_code, classe_fr, demand_rate_pct, raison, ...`` from the skills module, or None."""
    skills = C.optional_module("workforce.skills")
    inputs = skill_inputs(url, version)
    if skills is None or inputs is None:
        return None
    try:
        prof, _ = skills.transformation_profile(inputs)
    except Exception as err:  # noqa: BLE001
        F._failed(url, version, "profil de transformation", err)
        return None
    return pd.DataFrame({
        "metier_code": prof["metier_code"], "classe": prof["classe"], "classe_fr": prof["classe"].map(CLASS_LABELS),
        "demand_rate_pct": (100 * prof["demand_rate"]).round(1), "raison": prof["reason"],
        "exposure_num": prof["exposure_num"], "exposure_eco": prof["exposure_eco"],
        "exposure_demo": prof["exposure_demo"], "n_new": prof["n_new"],
    })


@st.cache_data(show_spinner=False)
def demand_factors(url: str, version: tuple) -> dict:
    """The skills module's transformation factors by métier and year (intensity 1, 30 years), for the
    scenario's ``demand_factors`` knob; {} without the skills module."""
    skills = C.optional_module("workforce.skills")
    inputs = skill_inputs(url, version)
    if skills is None or inputs is None:
        return {}
    prof, _ = skills.transformation_profile(inputs, skills.TransformationParams(horizon=30))
    return skills.demand_factors(prof, inputs.base_year, 30)


def with_transformation(url: str, version: tuple, scenario):
    """The scenario with the transformation factors of the skills module when it has none of its own."""
    if scenario.demand_factors:
        return scenario
    factors = demand_factors(url, version)
    return scenario.replace(demand_factors=factors) if factors else scenario


# ---------------------------------------------------------------------------------------------- demand

@st.cache_data(show_spinner=False)
def demand_baseline(url: str, version: tuple, metier: str) -> pd.DataFrame | None:
    """``year, p10, p50, p90, model, level[, reason]`` of the demand baseline of one métier, or None."""
    demand = F.model(url, version, "demand")
    if demand is None:
        return None
    try:
        annual = demand.annual(F.HORIZON)
        report = demand.report().set_index("metier_code")
    except Exception as err:  # noqa: BLE001 - shown on the page
        F._failed(url, version, "référence de la demande", err)
        return None
    one = annual[annual["metier_code"] == metier]
    if one.empty:
        return None
    out = pd.DataFrame({"year": one["year"].to_numpy(), "p10": one["lower"].to_numpy(),
                        "p50": one["demand"].to_numpy(), "p90": one["upper"].to_numpy(),
                        "model": one["model"].to_numpy(), "level": one["level"].to_numpy()})
    if metier in report.index:
        out["reason"] = report.loc[metier, "reason"]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """French CSV (semicolon, decimal comma, UTF-8 with BOM for spreadsheets), formulas neutralised."""
    return X.csv_bytes(frame)
