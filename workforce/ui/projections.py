"""Cached calls of the projection engine, the demand baseline and the skills module for the pages.

The engine has two steps (:mod:`workforce.projection`): ``prepare`` (hazards of today's agents under the
active models; seconds, once per data and model version) and ``run`` (a scenario; milliseconds in expected
mode). Both go through :mod:`workforce.projection.inputs`, the one road from a scenario to its projection that
`workforce project`, the exports and the skills analysis take too. The inputs and the prepared object are shared
by every session (``st.cache_resource``); each scenario's projection is cached by the data and model version and
the scenario's canonical JSON. Each function returns None without data.
"""

from __future__ import annotations

import dataclasses

import getpass

import numpy as np
import pandas as pd
import streamlit as st

from workforce import export as X
from workforce import export_projection as XP
from workforce.projection import inputs as PI
from workforce.projection import stored as PS
from workforce import skills
from workforce.labels import CLASS_LABELS, INDICATOR_LABELS, LEVEL_LABELS  # noqa: F401 - the pages read PJ.*_LABELS
from workforce.scenario import Scenario
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F

PROFILE_COLUMNS = {"classe_fr": "Évolution projetée", "demand_rate_pct": "Demande (%/an)", "raison": "Raison"}
MC_REPLICATES = 200


# ---------------------------------------------------------------------------------------------- engine

@st.cache_resource(show_spinner=False, max_entries=2)
def _loaded(url: str, version: tuple):
    """``(key, inputs)`` read by the library when none are stored (the key taken first: the warm-up stores these
    inputs under it, never under a key of newer data). None without data."""
    eng = D.engine(url)
    try:
        key = PS.digest(PS.inputs_key(eng))
        return key, PI.load(eng)
    except LookupError:
        return None
    except Exception as err:  # noqa: BLE001 - shown on the page
        F.record_failure(url, version, "lecture des données de la projection", err)
        return None


def engine_inputs(url: str, version: tuple):
    """What every projection of this data and model version reads (:func:`workforce.projection.inputs.load`, as
    `workforce project` does): the latest extract's agents, the registry's active models (fallbacks said in the
    provenance), the skills inputs and the transformation factors; stored ones when `workforce train` stored them.
    None without data. Shared by every session: never mutated."""
    version = D.unscoped(version)
    found = F.stored(url, version)
    if found is not None:
        return found.inputs
    loaded = _loaded(url, version)
    return None if loaded is None else loaded[1]


def prepared(url: str, version: tuple, horizon: int = 10):
    """The engine prepared for the horizon bucket of ``horizon`` (:func:`workforce.projection.inputs.prepared`,
    the same preparation as `workforce project`): the stored one, else prepared now. None without data."""
    version = D.unscoped(version)
    found = F.stored(url, version)
    if found is not None:
        return found.for_horizon(horizon)
    return _prepared(url, version, PI.horizon_bucket(horizon))


@st.cache_resource(show_spinner="Préparation de la projection (une fois par version des données et des modèles)…",
                   max_entries=4)
def _prepared(url: str, version: tuple, bucket: int):
    """The preparation when none is stored, shared by every session."""
    inputs = engine_inputs(url, version)
    if inputs is None:
        return None
    try:
        return PI.prepared(inputs, bucket)
    except Exception as err:  # noqa: BLE001 - shown on the page
        F.record_failure(url, version, "préparation de la projection", err)
        return None


def store_if_missing(url: str, version: tuple) -> None:
    """Store the inputs read on this server for the next one (and every later page open) when none were stored;
    the preparations are rebuilt from them, never pickled while a page uses them. Best effort: a read-only models
    folder only means the next server prepares again."""
    version = D.unscoped(version)
    if F.stored(url, version) is not None:
        return
    loaded = _loaded(url, version)
    if loaded is None:
        return
    key, inputs = loaded
    try:
        PS.write(PS.build(D.engine(url), inputs=inputs, key=key))
    except OSError:
        pass


def fallbacks(url: str, version: tuple) -> dict[str, str]:
    """Models the engine replaced by a simple assumption, and why (from its provenance)."""
    inputs = engine_inputs(url, version)
    return {} if inputs is None else dict(inputs.provenance.get("fallbacks") or {})


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on some servers
        return "application"


@st.cache_resource(show_spinner=False, max_entries=64)
def run(url: str, version: tuple, scenario_json: str, mode: str = "expected", replicates: int = MC_REPLICATES):
    """The projection of one scenario (canonical JSON, as the planner set it), expected mode by default; None
    without data. The library adds the transformation factors and records the run
    (:func:`workforce.projection.inputs.project_scenario`): the page never rebuilds the scenario."""
    scenario = Scenario.from_json(scenario_json)
    inputs = engine_inputs(url, version)
    prep = prepared(url, version, PI.horizon_bucket(scenario.horizon))
    if inputs is None or prep is None:
        return None
    try:
        result = PI.project_scenario(D.engine(url), scenario, mc=replicates if mode == "mc" else 0, actor=_actor(),
                                     origin="app", inputs=inputs, prepared_engine=prep)
    except Exception as err:  # noqa: BLE001 - shown on the page
        F.record_failure(url, version, "projection du scénario", err)
        return None
    return within_directions(result, D.scope_of(version))


def within_directions(projection, scope: tuple[str, ...] | None):
    """The projection as a user restricted to ``scope`` may see it: every figure of another direction set to 0,
    so totals, levels and tables cover their directions only. Monte Carlo bands are by level for the whole
    employer, so they are left out for a restricted user (the page says so); None: the whole projection."""
    if scope is None or projection is None:
        return projection
    keep = np.isin(np.asarray(projection.prepared.directions, dtype=str), list(scope))
    values = {name: np.where(keep, arr, 0.0) if np.ndim(arr) == 4 else arr for name, arr in projection.values.items()}
    mc_mean = None
    if projection.mc_mean is not None:
        n_cat, n_met, _ = projection.prepared.shape  # cells are (catégorie, métier, direction), direction last
        mc_mean = projection.mc_mean * np.tile(keep, n_cat * n_met)[None, None, :]
    return dataclasses.replace(projection, values=values, mc_mean=mc_mean, bands=None, _table=None,
                               _table_min_mass=None)


def totals(projection, indicators) -> pd.DataFrame:
    """``year`` plus one column per indicator: whole-employer values by year (year 0 is the start)."""
    out = pd.DataFrame({"year": projection.years.astype(int)})
    for ind in indicators:
        out[ind] = projection.total(ind)
    return out


def published(projection, by: str) -> pd.DataFrame:
    """``year, <by>, indicator, value, suppressed``: the projection summed to a level, every figure of a group
    hidden in the projection's one suppression pattern blanked (:func:`workforce.export.projection_published`:
    groups of 1-4 expected agents, their complements, the same cells as the files)."""
    return X.projection_published(projection, by, wide=False)


def xlsx_bytes(projection, by: str | None = "direction", *, name: str | None = None, scenario=None,
               url: str | None = None, version: tuple | None = None) -> bytes:
    """The workbook of `workforce project --out x.xlsx` (:func:`workforce.export_projection.projection_xlsx`):
    the scenario's name and hypotheses, the published results in French (small groups blanked), the payroll and
    the provenance; names beside codes when ``url`` and ``version`` say where to read them."""
    inputs = engine_inputs(url, version) if url is not None else None
    names = XP.GroupNames.from_inputs(inputs) if inputs is not None else None
    return XP.projection_xlsx(projection, by, name=name, scenario=scenario, names=names)


def scenario_name(url: str, scenario: Scenario, loaded: str | None) -> str | None:
    """The name the files and the note give the scenario on screen: the loaded saved scenario's while the sliders
    still hold it, « Référence » for the default hypotheses, else None (unsaved)."""
    from workforce import scenario as S

    if scenario == Scenario():
        return S.REFERENCE_NAME
    if loaded:
        try:
            if S.load(D.engine(url), loaded).scenario == scenario:
                return loaded
        except S.ScenarioNotFound:
            pass
    return None


def note_pdf(url: str, version: tuple, scenario_json: str, name: str | None) -> bytes:
    """The PDF note de synthèse of `workforce report` (:func:`workforce.report.build_note`, the same function),
    with the page's cached inputs and preparation."""
    from workforce import report as R

    scenario = Scenario.from_json(scenario_json)
    return R.build_note(D.engine(url), name, scenario=scenario, inputs=engine_inputs(url, version),
                        prepared_engine=prepared(url, version, PI.horizon_bucket(scenario.horizon)),
                        actor=_actor(), origin="app").pdf


# ---------------------------------------------------------------------------------------------- skills

def skill_inputs(url: str, version: tuple):
    """The skills inputs read with the projection's (:func:`engine_inputs`), or None."""
    inputs = engine_inputs(url, version)
    return None if inputs is None else inputs.skills


@st.cache_resource(show_spinner="Analyse des compétences…", max_entries=16)
def skill_analysis(url: str, version: tuple, scenario_json: str | None = None):
    """The skills analysis under a scenario (default knobs when None), fed by the same projection as the
    Scénarios page (:func:`run`)."""
    inputs = skill_inputs(url, version)
    if inputs is None:
        return None
    scenario = Scenario.from_json(scenario_json) if scenario_json else Scenario()
    params = skills.TransformationParams(intensity=float(scenario.transformation_intensity),
                                         horizon=int(scenario.horizon))
    proj = run(url, version, scenario.to_json())
    if proj is None:  # the projection failed: its page already says why
        return None
    table = proj.table()
    projection = table[table["year"] > proj.years[0]]
    try:
        analysis = skills.analyse(inputs, projection, params)
    except Exception as err:  # noqa: BLE001
        F.record_failure(url, version, "analyse des compétences", err)
        return None
    scope = D.scope_of(version)
    if scope is None:
        return analysis
    # a user restricted to some directions sees their gaps, positions and candidates only; the employer-wide
    # totals are not theirs to see
    return dataclasses.replace(
        analysis, gaps=D.within_scope(analysis.gaps, version), positions=D.within_scope(analysis.positions, version),
        candidates=D.within_scope(analysis.candidates, version), gaps_total=analysis.gaps_total.iloc[:0])


@st.cache_data(show_spinner=False)
def transformation_profile(url: str, version: tuple) -> pd.DataFrame | None:
    """``metier_code, classe_fr, demand_rate_pct, raison, ...`` from the skills module, or None."""
    inputs = skill_inputs(url, version)
    if inputs is None:
        return None
    try:
        prof, _ = skills.transformation_profile(inputs)
    except Exception as err:  # noqa: BLE001
        F.record_failure(url, version, "profil de transformation", err)
        return None
    return pd.DataFrame({
        "metier_code": prof["metier_code"], "classe": prof["classe"], "classe_fr": prof["classe"].map(CLASS_LABELS),
        "demand_rate_pct": (100 * prof["demand_rate"]).round(1), "raison": prof["reason"],
        "exposure_num": prof["exposure_num"], "exposure_eco": prof["exposure_eco"],
        "exposure_demo": prof["exposure_demo"], "n_new": prof["n_new"],
    })


# ---------------------------------------------------------------------------------------------- demand

@st.cache_data(show_spinner=False)
def demand_baseline(url: str, version: tuple, metier: str) -> pd.DataFrame | None:
    """``year, p10, p50, p90, model, level[, reason]`` of the demand baseline of one métier, or None."""
    found = F.stored(url, version)
    if found is not None and found.demand_annual is not None:  # stored by `workforce train`: no Prophet import
        annual, report = found.demand_annual, found.demand_report.set_index("metier_code")
    else:
        demand = F.model(url, version, "demand")
        if demand is None:
            return None
        try:
            annual = demand.annual(F.HORIZON)
            report = demand.report().set_index("metier_code")
        except Exception as err:  # noqa: BLE001 - shown on the page
            F.record_failure(url, version, "référence de la demande", err)
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
