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
from workforce.projection import stored as PS
from workforce.ui import common as C
from workforce.ui import data as D

HORIZON = A.HORIZON
N_REP = A.N_REP  # Monte Carlo replicates of the bands shown on the pages (the CLI's default too)
SEED = A.SEED
RETIREMENT_MODEL = A.RETIREMENT_MODEL
EXIT_MODEL = A.EXIT_MODEL


# ---------------------------------------------------------------------------------------------- registry

@st.cache_resource(show_spinner="Chargement des modèles…")
def model(url: str, version: tuple, name: str):
    """The active model ``name`` of the registry, or None (none active, or refused: the error is recorded for
    :func:`show_errors`). One model at a time: loading the demand model imports Prophet (seconds), which a page
    that does not draw it must not pay. Loading checks the artifact's sha256 against the registry (the
    registry's job). Shared by every session: never mutate it."""
    names = D.model_versions(url, version)
    if not len(names) or not (names["active"] & (names["name"] == name)).any():
        return None
    try:
        return registry.load(D.engine(url), name).estimator  # sha256, manifest and library versions checked
    except Exception as err:  # noqa: BLE001 - a refused artifact is shown, never loaded
        with _failures_lock:
            _failures.setdefault((url, version), {})[name] = str(err)
        return None


@st.cache_resource(show_spinner="Chargement des modèles…")
def models(url: str, version: tuple) -> Mapping:
    """Every active model that loads, ``{name: model}``, read-only (shared by every session); the refused ones are
    in :func:`model_errors`. Loads them all, the demand model's Prophet included: a page drawing one model asks
    :func:`model`."""
    names = D.model_versions(url, version)
    active = names[names["active"]]["name"].unique().tolist() if len(names) else []
    return MappingProxyType({n: m for n in active if (m := model(url, version, n)) is not None})


_failures: dict[tuple, dict[str, str]] = {}
"""Failures of the forecasts run with the active models (a model trained on older code, say), by data and model
version: shown by the pages; a new version starts a fresh record. A plain dict behind a lock, never a cached
object mutated in place."""
_failures_lock = threading.Lock()


def model_errors(url: str, version: tuple) -> dict[str, str]:
    """The models refused by the registry and the forecasts that failed, by what failed."""
    with _failures_lock:
        return dict(_failures.get((url, version), {}))


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


# ---------------------------------------------------------------------------------------------- stored

@st.cache_resource(show_spinner=False, max_entries=2)
def _stored(url: str, version: tuple):
    try:
        return PS.read(D.engine(url))
    except Exception as err:  # noqa: BLE001 - an unreadable file only means computing on demand
        record_failure(url, version, "lecture des calculs enregistrés", err)
        return None


def stored(url: str, version: tuple):
    """What `workforce train` computed and stored for the database's current key
    (:mod:`workforce.projection.stored`: the projection's inputs and preparations, the retirement forecasts and
    their draws, the demand tables), read in a fraction of a second; None when none is stored for this key (the
    pages compute on demand and the warm-up stores them). One copy for every user (the scope is applied after)."""
    return _stored(url, D.unscoped(version))


# ---------------------------------------------------------------------------------------------- retirement

def _stored_retirement(url: str, version: tuple, regime: str, horizon: int):
    """(forecast, draws) stored for ``regime``, for the whole employer only (a scoped user's are computed)."""
    if D.scope_of(version) is not None or horizon != HORIZON:
        return None
    found = stored(url, version)
    return None if found is None else found.retirement.get(regime)


def retirement_forecast(url: str, version: tuple, regime: str | None = None, horizon: int = HORIZON):
    """The per-agent retirement forecast of the latest extract under ``regime`` (default: the law in force),
    or None without an active retirement model: the stored one, else :func:`_retirement_forecast`. Shared across
    sessions: never mutate it."""
    from workforce import rules

    regime = regime or rules.DEFAULT_REGIME
    found = _stored_retirement(url, version, regime, horizon)
    return found[0] if found is not None else _retirement_forecast(url, version, regime, horizon)


@st.cache_resource(show_spinner="Prévision des départs à la retraite…")
def _retirement_forecast(url: str, version: tuple, regime: str, horizon: int = HORIZON):
    """The library's path (:mod:`workforce.forecast.active`), the one `workforce forecast retirements` takes."""
    from workforce import registry, rules

    eng = D.engine(url)
    try:
        return A.retirement_forecast(D.within_scope(A.latest_agents(eng), version), A.load_models(eng), regime=regime or rules.DEFAULT_REGIME,
                                     horizon=horizon)
    except (A.NoAgents, A.NoActiveModel):
        return None  # the page says how to train
    except registry.ArtifactError as err:  # refused by the registry: said on the page, never loaded
        with _failures_lock:
            _failures.setdefault((url, version), {})[RETIREMENT_MODEL] = str(err)
        return None
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


@st.cache_resource(show_spinner="Bandes d'incertitude (Monte Carlo)…", max_entries=8)
def _draws(url: str, version: tuple, regime: str, horizon: int, n_rep: int, seed: int):
    """The seeded Monte Carlo draws of one forecast, shared by its total and every detail (one draw, not one per
    view: the same figures, :func:`workforce.forecast.active.retirement_summary`)."""
    fc = retirement_forecast(url, version, regime, horizon)
    return None if fc is None else A.simulate(fc, n_rep=n_rep, seed=seed)


@st.cache_data(show_spinner="Bandes d'incertitude (Monte Carlo)…")
def retirement_summary(url: str, version: tuple, regime: str, by: str | None, horizon: int = HORIZON,
                       n_rep: int = N_REP, seed: int = SEED) -> pd.DataFrame | None:
    """``year, <by|group>, n_agents, expected, p10, p50, p90``, seeded: same data, same figures."""
    fc = retirement_forecast(url, version, regime, horizon)
    if fc is None:
        return None
    found = _stored_retirement(url, version, regime, horizon) if (n_rep, seed) == (N_REP, SEED) else None
    draws = found[1] if found is not None else _draws(url, version, regime, horizon, n_rep, seed)
    return A.retirement_summary(fc, by, outcomes=draws)


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
