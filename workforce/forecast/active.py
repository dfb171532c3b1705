"""Retirement forecasts from the registry's active models: the one path the Départs à la retraite page and
`workforce forecast retirements` both take, so the screen and the command line give the same numbers.

Nothing is fitted here: the models are those `workforce train` registered and promoted (possibly a documented
fallback, see :mod:`workforce.forecast.fallback`); a rollback or a refused artifact therefore changes, or stops,
both the page and the command. Only the backtest (:mod:`workforce.evaluation`) refits, because it must fit on
the past.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workforce import panel as P
from workforce import rules
from workforce.forecast.retirement_forecast import RetirementForecast, forecast_retirements

RETIREMENT_MODEL = "retirement"
EXIT_MODEL = "exits"
HORIZON = 10
N_REP = 300
"""Monte Carlo replicates of the bands the page shows; the command line's default (``--mc``) is the same, so that
the same command gives the page's table."""
SEED = 42

NO_DATA = ("La base ne contient aucune extraction d'agents : lancez `workforce synth` (département synthétique) "
           "ou `workforce import FICHIER` (extraction RH), puis relancez cette commande.")
NO_MODEL = ("Aucun modèle de départ à la retraite actif dans le registre : lancez `workforce train`, puis "
            "relancez cette commande.")


class NoAgents(LookupError):
    """The database holds no extract with agents (the message says what to run)."""


class NoActiveModel(LookupError):
    """The registry has no active retirement model (the message says to run `workforce train`)."""


@dataclass(frozen=True)
class ActiveModels:
    """The active retirement model and the active exits model (None when none is registered), with the versions
    they were loaded at (``{name: version}``) and the fallback each stands for (``{name: label}``)."""

    retirement: Any
    exits: Any | None
    versions: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)


def latest_agents(engine) -> pd.DataFrame:
    """The agents of the latest extract, in agent-id order (the Monte Carlo draws follow the row order, so one
    order for every caller), with the snapshot columns the panel and the forecast read.

    Raises :class:`NoAgents` on an empty database.
    """
    from sqlalchemy import func, select

    from workforce import db

    S = db.AgentSnapshot
    with engine.connect() as conn:
        last = conn.execute(select(func.max(S.extract_date))).scalar_one_or_none()
        if last is None:
            raise NoAgents(NO_DATA)
        cols = [getattr(S, c) for c in (P.EXTRACT_DATE, *P.SNAPSHOT_COLUMNS)]
        base = db.read_frame(conn, select(*cols).where(S.extract_date == last))
    if base.empty:
        raise NoAgents(NO_DATA)
    for col in (P.EXTRACT_DATE, P.BIRTH_DATE, P.ENTRY_DATE):
        base[col] = pd.to_datetime(base[col])
    return base.sort_values(P.AGENT_ID, kind="stable").reset_index(drop=True)


def load_models(engine, *, settings=None) -> ActiveModels:
    """The registry's active retirement and exits models, verified by the registry.

    Raises :class:`NoActiveModel` without an active retirement model, and the registry's
    :class:`~workforce.registry.ArtifactError` (French message, with the fix) when an artifact is missing,
    altered or from other library versions: a refused model is never replaced by another one silently.
    A registry without an exits model forecasts without other exits (as the registry's table says).
    """
    from workforce import registry

    try:
        ret = registry.load(engine, RETIREMENT_MODEL, settings=settings)
    except registry.VersionNotFound:
        raise NoActiveModel(NO_MODEL) from None
    try:
        ex = registry.load(engine, EXIT_MODEL, settings=settings)
    except registry.VersionNotFound:
        ex = None
    loaded = [item for item in (ret, ex) if item is not None]
    return ActiveModels(
        retirement=ret.estimator, exits=ex.estimator if ex is not None else None,
        versions={item.record.name: item.record.version for item in loaded},
        fallbacks={item.record.name: item.record.fallback.get("label") or item.record.fallback.get("code")
                   for item in loaded if item.record.fallback})


def retirement_forecast(base: pd.DataFrame, models: ActiveModels, *, regime: str = rules.DEFAULT_REGIME,
                        horizon: int = HORIZON, postpone_months: int = 0,
                        aod_share: float | None = None) -> RetirementForecast:
    """The per-agent retirement forecast of ``base`` (:func:`latest_agents`) with the active ``models``."""
    return forecast_retirements(base, models.retirement, exit_model=models.exits, horizon=horizon, regime=regime,
                                postpone_months=postpone_months, aod_share=aod_share)


def simulate(forecast: RetirementForecast, *, n_rep: int = N_REP, seed: int = SEED,
             progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Seeded Monte Carlo outcomes (see :meth:`RetirementForecast.simulate`): same seed, same bands."""
    return forecast.simulate(n_rep, np.random.default_rng(seed), progress=progress)


def retirement_summary(forecast: RetirementForecast, by: str | None = None, *, n_rep: int = N_REP,
                       seed: int = SEED, outcomes: np.ndarray | None = None) -> pd.DataFrame:
    """``year, <by|group>, n_agents, expected, p10, p50, p90``; pass the ``outcomes`` of :func:`simulate` to
    share one set of draws between the total and a detail (the result is the same as drawing again)."""
    if outcomes is None:
        outcomes = simulate(forecast, n_rep=n_rep, seed=seed)
    return forecast.summary(by, outcomes=outcomes)
