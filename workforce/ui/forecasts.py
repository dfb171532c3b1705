"""Cached forecasts for the pages: models from the registry (never trained here), retirement forecasts and the
law-only schedule of the agents reaching their AOD.

A page asks; when the registry or a model is missing, the functions return None and the page says how to
create the models (`workforce train`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd
import streamlit as st

from workforce import registry
from workforce.forecast import active as A
from workforce.ui import common as C
from workforce.ui import data as D

HORIZON = A.HORIZON
N_REP = A.N_REP  # Monte Carlo replicates of the bands shown on the pages (the CLI's default too)
SEED = A.SEED
RETIREMENT_MODEL = A.RETIREMENT_MODEL
EXIT_MODEL = A.EXIT_MODEL


# ---------------------------------------------------------------------------------------------- registry

@st.cache_resource(show_spinner="Chargement des modèles…")
def models(url: str, version: tuple) -> Mapping:
    """The active model of each name in the registry: ``{name: model}``; {} when no registry or no model.

    Loading checks each artifact's sha256 against the registry (the registry's job); an artifact refused is
    reported in ``"_errors"`` rather than loaded.
    """
    eng = D.engine(url)
    out: dict = {}
    errors: dict[str, str] = {}
    names = D.model_versions(url, version)
    active = names[names["active"]]["name"].unique().tolist() if len(names) else []
    for name in active:
        try:
            out[name] = registry.load(eng, name).estimator  # sha256, manifest and library versions checked
        except Exception as err:  # noqa: BLE001 - a refused artifact is shown, never loaded
            errors[name] = str(err)
    if errors:
        out["_errors"] = MappingProxyType(errors)
    return MappingProxyType(out)  # shared by every session: read-only


def model(url: str, version: tuple, name: str):
    return models(url, version).get(name)


_failures: dict[tuple, dict[str, str]] = {}
"""Failures of the forecasts run with the active models (a model trained on older code, say), by data and model
version: shown by the pages; a new version starts a fresh record. A plain dict behind a lock, never a cached
object mutated in place."""
_failures_lock = threading.Lock()


def model_errors(url: str, version: tuple) -> dict[str, str]:
    with _failures_lock:
        failed = dict(_failures.get((url, version), {}))
    return {**models(url, version).get("_errors", {}), **failed}


def show_errors(url: str, version: tuple) -> None:
    """The models refused by the registry and the forecasts that failed, as French errors."""
    for what, err in model_errors(url, version).items():
        st.error(f"{what} : {err}")


def record_failure(url: str, version: tuple, what: str, err: Exception) -> None:
    """Keep a failed forecast's error for the pages (:func:`show_errors`) instead of crashing the page."""
    message = (f"{type(err).__name__} : {err}. Réentraînez les modèles (`workforce train --force`) puis rechargez "
               "la page.")
    with _failures_lock:
        _failures.setdefault((url, version), {})[what] = message


# ---------------------------------------------------------------------------------------------- retirement

@st.cache_resource(show_spinner="Prévision des départs à la retraite…")
def retirement_forecast(url: str, version: tuple, regime: str | None = None, horizon: int = HORIZON):
    """The per-agent retirement forecast of the latest extract under ``regime`` (default: the law in force),
    or None without an active retirement model. The library's path (:mod:`workforce.forecast.active`), the one
    `workforce forecast retirements` takes. Shared across sessions: never mutate it."""
    from workforce import registry, rules

    eng = D.engine(url)
    try:
        return A.retirement_forecast(D.within_scope(A.latest_agents(eng), version), A.load_models(eng), regime=regime or rules.DEFAULT_REGIME,
                                     horizon=horizon)
    except (A.NoAgents, A.NoActiveModel, registry.ArtifactError):
        return None  # the page says how to train; a refused artifact is reported by models()
    except Exception as err:  # noqa: BLE001 - shown on the page, never a crash
        record_failure(url, version, "prévision des départs à la retraite", err)
        return None


def expected_within(forecast, filters: dict, years: Iterable[int]) -> dict[int, float]:
    """Expected retirements within the first k years, for the agents matching the filters."""
    agents = forecast.agents
    mask = np.ones(len(agents), dtype=bool)
    for col, chosen in filters.items():
        chosen = list(chosen or [])
        if chosen and col in agents.columns:
            mask &= agents[col].isin(chosen).to_numpy()
    cum = np.cumsum(forecast.p_retire[mask].sum(axis=0))
    return {k: float(cum[min(k, len(cum)) - 1]) for k in years}


@st.cache_data(show_spinner="Bandes d'incertitude (Monte Carlo)…")
def retirement_summary(url: str, version: tuple, regime: str, by: str | None, horizon: int = HORIZON,
                       n_rep: int = N_REP, seed: int = SEED) -> pd.DataFrame | None:
    """``year, <by|group>, n_agents, expected, p10, p50, p90``, seeded: same data, same figures."""
    fc = retirement_forecast(url, version, regime, horizon)
    if fc is None:
        return None
    return A.retirement_summary(fc, by, n_rep=n_rep, seed=seed)


# ---------------------------------------------------------------------------------------------- AOD

@st.cache_data(show_spinner="Calcul des âges légaux…")
def aod_schedule(url: str, version: tuple, regime: str, horizon: int = HORIZON) -> pd.DataFrame | None:
    """When each agent of the latest extract reaches the AOD under ``regime`` (law only, no model).
    Personal data: pages publish counts only, unless the nominative list is configured."""
    base = D.latest_snapshot(url, version)
    if base is None or base.empty:
        return None
    from workforce.forecast.retirement import aod_schedule as schedule

    return schedule(base, horizon=horizon, regime=regime)
