"""Batch retraining: load the data once, fit each model step, backtest it, hand it to the registry.

A *step* is one model: a name, a function ``fit(data, ctx) -> Fitted`` (frames in, fitted estimator and
backtest metrics out, with one primary metric and its direction), the modules whose source makes up its code
version, and its serialisation (joblib, or JSON for Prophet). :func:`default_steps` is the step table.

Where a model module defines ``fit_and_backtest(data, *, n_jobs=1, rng=None)`` returning
``(estimator, metrics, primary, direction)``, that function is the step (the model's owner knows how to
backtest it); otherwise train.py's built-in step is used when there is one (retirement: RetirementHazard;
other exits: ExitHazard; mobility: MobilityMatrix), and a step with neither is reported as unavailable. ``data``
is a :class:`TrainingData`: frames loaded once from the database by this module; models never read the
database.

Short histories (:mod:`workforce.forecast.fallback`): from the first extract on, every step gives a model. When
the history is too short to backtest, too thin to fit or when the full model loses to its pooled baseline, the
step fits the documented fallback instead (pooled hazards, priors, naive demand, no mobility) and says so in
:attr:`Fitted.fallback`; the registry records it with the version (``metrics["fallback"]``) and
``workforce models show`` prints it. A version trained without a backtest has an undefined (NaN) primary metric.

Run guarantees (:func:`run`):

* exclusive: :func:`workforce.registry.exclusive` is taken first; a second run raises RegistryBusy at once;
* idempotent: a step whose latest registered version has the same data hash, code version and library versions
  is ``unchanged`` (nothing fitted) unless ``force``;
* crash safe: nothing is written before a step is fitted; the registry writes the artifact atomically, then
  registers and promotes it in one transaction (see :mod:`workforce.registry`); leftovers of a killed run are
  removed at the start of the next one;
* a failing step does not stop the others; the run reports it (exit code 1 in the CLI).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import workforce
from workforce import db, registry
from workforce.config import Settings, get_settings
from workforce.forecast.fallback import (
    NO_MOBILITY, POOLED_EXITS, POOLED_MOBILITY, POOLED_RETIREMENT, PRIOR_EXITS, PRIOR_RETIREMENT, Fallback,
)

STEP_NAMES = ("retirement", "exits", "mobility", "demand")
MIN_EXPOSURE = 0.9
MIN_BACKTEST_YEARS = 3
"""Full years at risk a hazard backtest needs: at least two to fit, the last one to predict. With fewer, the
full model cannot be shown to beat its pooled baseline, so the pooled one is used."""
MIN_EVENTS = 10
"""Fewest observed events (retirements, other exits) a hazard is fitted from; with fewer, the documented prior
stands in (:mod:`workforce.forecast.priors`). An assumption [U]: below ten events the relative standard error of
a fitted rate exceeds 30 % (1 / sqrt(10)), and the documented prior is trusted more."""
MIN_MOVES = 1
"""Fewest internal moves the (pooled) mobility chain is estimated from; with none, nobody moves: no prior says
where agents would go, and a few observed moves beat none."""

# step outcomes
PROMOTED, REJECTED, UNCHANGED, FAILED, UNAVAILABLE = "promoted", "rejected", "unchanged", "failed", "unavailable"
PROBLEMS = (REJECTED, FAILED)


class BadInput(ValueError):
    """The run was asked something impossible (unknown step, bad option): exit code 2."""


class NoData(RuntimeError):
    """The database holds no extract to train on: exit code 2."""


# ============================================================================================== logging

def kv(**fields: Any) -> str:
    """One ``key=value`` log line; values with spaces or quotes are shell-quoted, floats get 4 significant
    digits, None is left out."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float):
            text = "nan" if math.isnan(value) else f"{value:.4g}"
        else:
            text = str(value)
        if not text or any(c in text for c in ' "=\\'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


Log = Callable[[str, bool], None]
"""A log sink: ``log(line, problem)``; ``problem`` is True for what a quiet run must still print."""


def _no_log(line: str, problem: bool) -> None:
    pass


# ============================================================================================== data

@dataclass(frozen=True)
class Fingerprint:
    """What identifies the training data: a sha256 over the extracts, the snapshot and movement tables (row
    counts, highest ids, dates) and the métier referential, plus the latest extract."""

    data_hash: str
    extract_id: int | None
    n_extracts: int
    last_date: Any


def data_fingerprint(engine: Engine) -> Fingerprint:
    """Cheap fingerprint of the database content the models are trained on (a few aggregate queries).

    Extracts are immutable once imported (the same file twice is a no-op) and a re-import or a new synthetic
    département writes new rows with new ids, so counts and highest ids per table catch every change that
    matters without reading the rows.
    """
    E, S, M, R = db.Extract, db.AgentSnapshot, db.Movement, db.Metier
    with engine.connect() as conn:
        extracts = conn.execute(select(E.id, E.extract_date, E.kind, E.sha256, E.source, E.rows_stored)
                                .order_by(E.extract_date, E.id)).all()
        snaps = conn.execute(select(S.extract_date, func.count(), func.max(S.id))
                             .group_by(S.extract_date).order_by(S.extract_date)).all()
        moves = conn.execute(select(M.kind, func.count(), func.max(M.id), func.min(M.movement_date),
                                    func.max(M.movement_date)).group_by(M.kind).order_by(M.kind)).all()
        metiers = conn.execute(select(R.code, R.famille, R.filiere, R.direction).order_by(R.code)).all()
    payload = {"extracts": [list(r) for r in extracts], "snapshots": [list(r) for r in snaps],
               "movements": [list(r) for r in moves], "metiers": [list(r) for r in metiers]}
    digest = hashlib.sha256(json.dumps(payload, default=str, sort_keys=True).encode()).hexdigest()
    last = extracts[-1] if extracts else None
    return Fingerprint(digest, last[0] if last else None, len(extracts), last[1] if last else None)


class TrainingData:
    """The frames the steps train on, each read from the database on first use and kept for the next steps.

    ``history``   :class:`workforce.panel.History` (anchor extracts, last extract, departures)
    ``panel``     person-year panel (:func:`workforce.panel.build_panel`)
    ``movements`` every movement: ``agent_id, movement_date, kind, motive, from_metier, to_metier,
                  from_direction, to_direction``
    ``headcount`` monthly stock per métier: ``extract_date, metier_code, direction, headcount, etp``
    ``metiers``   the métier referential: ``code, label, famille, filiere, direction``
    """

    def __init__(self, engine: Engine | None = None, *, log: Log = _no_log, frames: dict[str, Any] | None = None):
        self._engine = engine
        self._log = log
        self._cache: dict[str, Any] = dict(frames or {})
        self.timings: dict[str, float] = {}

    def _get(self, name: str, loader: Callable[[], Any]) -> Any:
        if name not in self._cache:
            if self._engine is None:
                raise KeyError(f"no {name!r} frame given and no database to read it from")
            t0 = time.perf_counter()
            value = loader()
            self.timings[name] = time.perf_counter() - t0
            rows = len(value) if hasattr(value, "__len__") else len(getattr(value, "snapshots", ()))
            self._log(kv(step=f"load.{name}", seconds=self.timings[name], rows=rows), False)
            self._cache[name] = value
        return self._cache[name]

    @property
    def history(self):
        from workforce import panel

        return self._get("history", lambda: panel.load_history(self._engine))

    @property
    def panel(self) -> pd.DataFrame:
        from workforce import panel

        h = self.history
        return self._get("panel", lambda: panel.build_panel(h.snapshots, h.movements))

    @property
    def movements(self) -> pd.DataFrame:
        M = db.Movement
        cols = (M.agent_id, M.movement_date, M.kind, M.motive, M.from_metier, M.to_metier, M.from_direction,
                M.to_direction)

        def load():
            frame = db.read_frame(self._engine, select(*cols).order_by(M.movement_date, M.id))
            frame["movement_date"] = pd.to_datetime(frame["movement_date"])
            return frame

        return self._get("movements", load)

    @property
    def headcount(self) -> pd.DataFrame:
        S = db.AgentSnapshot

        def load():
            stmt = (select(S.extract_date, S.metier_code, S.direction, func.count().label("headcount"),
                           func.sum(S.quotite).label("etp"))
                    .group_by(S.extract_date, S.metier_code, S.direction)
                    .order_by(S.extract_date, S.metier_code, S.direction))
            frame = db.read_frame(self._engine, stmt)
            frame["extract_date"] = pd.to_datetime(frame["extract_date"])
            return frame

        return self._get("headcount", load)

    @property
    def metiers(self) -> pd.DataFrame:
        R = db.Metier
        return self._get("metiers", lambda: db.read_frame(
            self._engine, select(R.code, R.label, R.famille, R.filiere, R.direction).order_by(R.code)))


# ============================================================================================== steps

@dataclass
class Fitted:
    """What a step returns: the fitted estimator and its backtest metrics; ``primary`` names the metric the
    promotion gate compares, ``direction`` is ``min`` (lower is better) or ``max``; ``fallback`` says which
    simpler model stands in for the full one and why (None: the full model)."""

    estimator: Any
    metrics: dict[str, float]
    primary: str
    direction: str = "min"
    params: dict | None = None
    fallback: Fallback | None = None


@dataclass(frozen=True)
class StepContext:
    n_jobs: int = 1
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    log: Log = _no_log


@dataclass(frozen=True)
class Step:
    """One model of the step table.

    ``modules`` are hashed (with this module) into the code version and must all be importable for the step
    to be available; ``format`` is ``joblib`` or ``json`` (the estimator then has ``to_json``/``from_json``).
    """

    name: str
    fit: Callable[[TrainingData, StepContext], Fitted]
    modules: tuple[str, ...] = ()
    format: str = "joblib"
    hook: str | None = None

    def unavailable(self) -> str | None:
        """None when the step can run, else why not (a missing module or ``fit_and_backtest``)."""
        for mod in self.modules:
            try:
                if importlib.util.find_spec(mod) is None:
                    return f"module {mod} absent"
            except ModuleNotFoundError:
                return f"module {mod} absent"
        if self.hook is not None and _hook(self.hook) is None:
            return f"{self.hook}.fit_and_backtest absent"
        return None

    def code_version(self) -> str:
        """``<package version>+<sha256 of the step's sources>``: any change of the model code, of the law
        tables or of this module gives a new code version."""
        h = hashlib.sha256()
        for mod in sorted({*self.modules, __name__}):
            for path in _source_files(mod):
                h.update(str(path.name).encode())
                h.update(path.read_bytes())
        try:
            h.update(inspect.getsource(self.fit).encode())
        except (OSError, TypeError):
            h.update(repr(self.fit).encode())
        return f"{workforce.__version__}+{h.hexdigest()[:12]}"


def _source_files(module: str) -> list[Path]:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return []
    origin = Path(spec.origin)
    if spec.submodule_search_locations:  # a package: every source and data file in it
        return sorted(p for p in origin.parent.rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".csv", ".json")
                      and "__pycache__" not in p.parts)
    return [origin]


def _hook(module: str) -> Callable | None:
    """The model module's own ``fit_and_backtest``, when it exists."""
    try:
        if importlib.util.find_spec(module) is None:
            return None
    except ModuleNotFoundError:
        return None
    return getattr(importlib.import_module(module), "fit_and_backtest", None)


def _from_hook(module: str) -> Callable[[TrainingData, StepContext], Fitted]:
    def fit(data: TrainingData, ctx: StepContext) -> Fitted:
        hook = _hook(module)
        if hook is None:
            raise RuntimeError(f"{module} has no fit_and_backtest(data, *, n_jobs, rng)")
        estimator, metrics, primary, direction = hook(data, n_jobs=ctx.n_jobs, rng=ctx.rng)
        fallback = Fallback.from_dict(getattr(estimator, "fallback_", None))  # the estimator says when it fell back
        return Fitted(estimator, dict(metrics), primary, direction, fallback=fallback)

    fit.__qualname__ = f"fit_and_backtest[{module}]"
    return fit


# ---------------------------------------------------------------------------------------------- backtests

def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def hazard_holdout(panel: pd.DataFrame, make: Callable[[], Any], outcome: str, *,
                   total_hazard: Callable[[Any, pd.DataFrame], np.ndarray] | None = None) -> dict[str, float]:
    """Backtest of an annual hazard on the last full year: fit on the years before it, predict it.

    Returns ``cutoff`` (last fitted year), ``n`` (person-years predicted), ``observed`` and ``predicted``
    event counts, ``rel_error`` of the count, ``brier``, ``brier_reference`` (the training years' constant
    rate), ``brier_skill`` = 1 - brier / brier_reference (higher is better, 0 = no better than the constant
    rate) and ``log_loss``.
    """
    from workforce import panel as P

    full = panel[panel[P.EXPOSURE] >= MIN_EXPOSURE]
    years = np.sort(full[P.YEAR].unique())
    if len(years) < MIN_BACKTEST_YEARS:
        raise ValueError(f"backtest impossible: {len(years)} full year(s) of history, at least {MIN_BACKTEST_YEARS} "
                         "needed")
    test_year = int(years[-1])
    train = panel[panel[P.YEAR] < test_year]
    test = full[full[P.YEAR] == test_year]
    model = make().fit(train)
    predict = total_hazard or (lambda m, X: np.asarray(m.predict_hazard(X), float))
    p = np.clip(np.asarray(predict(model, test), float), 0.0, 1.0)
    y = (test[P.OUTCOME] == outcome).to_numpy(float)
    base = float(((train[P.EXPOSURE] >= MIN_EXPOSURE) & (train[P.OUTCOME] == outcome)).sum()
                 / max((train[P.EXPOSURE] >= MIN_EXPOSURE).sum(), 1))
    brier = float(np.mean((p - y) ** 2))
    ref = float(np.mean((base - y) ** 2))
    observed, predicted = float(y.sum()), float(p.sum())
    return {"cutoff": test_year - 1, "n": float(len(y)), "observed": observed, "predicted": predicted,
            "rel_error": (predicted - observed) / observed if observed else float("nan"),
            "brier": brier, "brier_reference": ref,
            "brier_skill": 1.0 - brier / ref if ref > 0 else float("nan"), "log_loss": _log_loss(y, p)}


# ---------------------------------------------------------------------------------------------- fallbacks

def _observed(panel: pd.DataFrame, outcome: str, *, full_years_only: bool) -> tuple[int, int, int]:
    """``(full years, events, years)`` of the panel: years at risk observed over at least
    :data:`MIN_EXPOSURE` of a year, events of ``outcome`` (in those years when ``full_years_only``), and
    years with any row at risk."""
    from workforce import panel as P

    if panel.empty:
        return 0, 0, 0
    full = panel[P.EXPOSURE].to_numpy(float) >= MIN_EXPOSURE
    rows = panel[full] if full_years_only else panel
    events = int((rows[P.OUTCOME].to_numpy(object) == outcome).sum())
    return int(panel.loc[full, P.YEAR].nunique()), events, int(panel[P.YEAR].nunique())


def _no_backtest(primary: str, **counts: float) -> dict[str, float]:
    """Metrics of a version trained without a backtest: the primary metric is undefined (NaN), the counts say
    what the data held."""
    return {primary: float("nan"), **{k: float(v) for k, v in counts.items()}}


def _no_year_reason(years: int, what: str) -> str:
    """The reason of a prior fallback when no year is observed at all ("" otherwise)."""
    return f"aucune {what} observée : une seule extraction ou moins d'un an d'historique" if years == 0 else ""


def _full_or_pooled(panel: pd.DataFrame, full: Callable[[], Any], pooled: Callable[[], Any], outcome: str,
                    code: str, *, total_hazard=None) -> Fitted:
    """Backtest the full model and its pooled baseline on the last full year; the full one is kept only when its
    Brier score is not worse (a model that loses to its baseline is never the active one)."""
    m_full = hazard_holdout(panel, full, outcome, total_hazard=total_hazard)
    m_pooled = hazard_holdout(panel, pooled, outcome, total_hazard=total_hazard)
    if m_full["brier"] <= m_pooled["brier"]:
        metrics = {**m_full, "brier_pooled": m_pooled["brier"], "brier_skill_pooled": m_pooled["brier_skill"]}
        return Fitted(full().fit(panel), metrics, "brier_skill", "max")
    metrics = {**m_pooled, "brier_full": m_full["brier"], "brier_skill_full": m_full["brier_skill"]}
    reason = (f"le modèle complet perd contre le modèle groupé au backtest de {int(m_full['cutoff']) + 1} : "
              f"Brier {m_full['brier']:.4g} contre {m_pooled['brier']:.4g}")
    return Fitted(pooled().fit(panel), metrics, "brier_skill", "max", fallback=Fallback(code, reason))


# ---------------------------------------------------------------------------------------------- steps

def fit_retirement(data: TrainingData, ctx: StepContext) -> Fitted:
    """RetirementHazard, backtested on the last full year (primary: Brier skill, max), with its fallbacks:
    the law and documented propensities when too few retirements are observed (PriorRetirementHazard), the
    pooled hazard (position relative to the AOD only) when the history is too short to backtest or the full
    model loses to it."""
    from workforce import panel as P
    from workforce.forecast.priors import PriorRetirementHazard
    from workforce.forecast.retirement import RetirementHazard

    panel = data.panel
    full_years, events, _ = _observed(panel, P.RETIREMENT, full_years_only=True)
    counts = {"n_full_years": full_years, "n_events": events}
    if events < MIN_EVENTS:
        reason = (_no_year_reason(full_years, "année complète")
                  or f"{events} départ(s) en retraite observé(s) en {full_years} année(s) complète(s) < {MIN_EVENTS}")
        return Fitted(PriorRetirementHazard().fit(), _no_backtest("brier_skill", **counts), "brier_skill", "max",
                      fallback=Fallback(PRIOR_RETIREMENT, reason))
    pooled = functools.partial(RetirementHazard, covariates="pooled")
    if full_years < MIN_BACKTEST_YEARS:
        reason = f"{full_years} année(s) complète(s) d'historique < {MIN_BACKTEST_YEARS} : pas de backtest"
        return Fitted(pooled().fit(panel), _no_backtest("brier_skill", **counts), "brier_skill", "max",
                      fallback=Fallback(POOLED_RETIREMENT, reason))
    fitted = _full_or_pooled(panel, RetirementHazard, pooled, P.RETIREMENT, POOLED_RETIREMENT)
    fitted.metrics |= counts
    return fitted


def _total_exit_hazard(model, X: pd.DataFrame) -> np.ndarray:
    """P(any other exit): ``predict_hazard`` (one column) or ``predict_hazards`` (one column per motive) summed."""
    h = model.predict_hazard(X) if hasattr(model, "predict_hazard") else model.predict_hazards(X)
    h = h.to_numpy() if isinstance(h, (pd.DataFrame, pd.Series)) else np.asarray(h, float)
    return h.sum(axis=1) if h.ndim == 2 else h


def fit_exits(data: TrainingData, ctx: StepContext) -> Fitted:
    """ExitHazard, the other exits (competing risk of retirement), backtested on the last full year (Brier
    skill, max), with its fallbacks: documented default rates when too few exits are observed
    (PriorExitHazard), one rate per statut group and motive when the history is too short to backtest or the
    full model loses to it. Partial years count (ExitHazard weights them by their exposure)."""
    from workforce import panel as P
    from workforce.forecast.exits import ExitHazard
    from workforce.forecast.priors import PriorExitHazard

    if _hook("workforce.forecast.exits") is not None:
        return _from_hook("workforce.forecast.exits")(data, ctx)
    panel = data.panel
    full_years, events, years = _observed(panel, P.EXIT, full_years_only=False)
    counts = {"n_full_years": full_years, "n_years": years, "n_events": events}
    if events < MIN_EVENTS:
        reason = (_no_year_reason(years, "année à risque")
                  or f"{events} autre(s) départ(s) observé(s) en {years} année(s) < {MIN_EVENTS}")
        return Fitted(PriorExitHazard().fit(), _no_backtest("brier_skill", **counts), "brier_skill", "max",
                      fallback=Fallback(PRIOR_EXITS, reason))
    pooled = functools.partial(ExitHazard, covariates="statut")
    if full_years < MIN_BACKTEST_YEARS:
        reason = f"{full_years} année(s) complète(s) d'historique < {MIN_BACKTEST_YEARS} : pas de backtest"
        return Fitted(pooled().fit(panel), _no_backtest("brier_skill", **counts), "brier_skill", "max",
                      fallback=Fallback(POOLED_EXITS, reason))
    fitted = _full_or_pooled(panel, ExitHazard, pooled, P.EXIT, POOLED_EXITS, total_hazard=_total_exit_hazard)
    fitted.metrics |= counts
    return fitted


def mobility_frames(data: TrainingData, until=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(moves, exposure)`` for :class:`workforce.forecast.mobility.MobilityMatrix`: internal movements up to
    ``until`` (inclusive) and agent-years by métier and direction from the monthly headcounts up to it."""
    moves = data.movements
    moves = moves[moves["kind"] == "internal"]
    heads = data.headcount
    if until is not None:
        moves = moves[moves["movement_date"] <= until]
        heads = heads[heads["extract_date"] <= until]
    dates = heads["extract_date"].drop_duplicates().sort_values()
    span = (dates.iloc[-1] - dates.iloc[0]).days / 365.25 if len(dates) > 1 else 0.0
    per_year = (len(dates) - 1) / span if span > 0 else 1.0
    exposure = (heads.groupby(["metier_code", "direction"], observed=True)["headcount"].sum() / per_year)
    exposure = exposure.rename("agent_years").reset_index()
    famille = data.metiers.set_index("code")["famille"]
    exposure["famille"] = exposure["metier_code"].map(famille).fillna(exposure["metier_code"]).astype(object)
    return moves.reset_index(drop=True), exposure


def _poisson_deviance(observed: np.ndarray, expected: np.ndarray) -> float:
    mu = np.maximum(expected, 1e-9)
    term = np.where(observed > 0, observed * np.log(np.maximum(observed, 1e-12) / mu), 0.0)
    return float(2.0 * np.sum(term - (observed - mu)))


def fit_mobility(data: TrainingData, ctx: StepContext) -> Fitted:
    """MobilityMatrix on the whole history; backtest on the last full calendar year: moves out of each métier
    observed against predicted, as Poisson deviance skill over one employer-wide rate (primary, max).

    Fallbacks: nobody moves when no internal move is observable (:data:`MIN_MOVES`); the pooled chain
    (employer-wide rates of moving; the backtest says nothing of destinations, which keep their famille
    shrinkage) when the history is too short to backtest or the chain by métier loses to it."""
    if _hook(MOBILITY) is not None:
        return _from_hook(MOBILITY)(data, ctx)
    from workforce.forecast.mobility import MobilityMatrix

    heads = data.headcount
    final_moves, final_exp = mobility_frames(data)
    dates = heads["extract_date"].drop_duplicates()
    months = len(pd.period_range(dates.min(), dates.max(), freq="M")) if len(dates) else 0
    counts = {"n_moves": float(len(final_moves)), "n_extracts": float(len(dates))}
    if len(final_moves) < MIN_MOVES:
        reason = ("aucun mouvement interne observable : une seule extraction" if len(dates) < 2 else
                  f"{len(final_moves)} mouvement interne observé en {months} mois")
        return Fitted(MobilityMatrix().fit(final_moves.iloc[:0], final_exp), _no_backtest("deviance_skill", **counts),
                      "deviance_skill", "max", fallback=Fallback(NO_MOBILITY, reason))
    pooled = MobilityMatrix(rates="employer")
    last = heads["extract_date"].max()
    year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    cut = pd.Timestamp(f"{year - 1}-12-31")
    if heads["extract_date"].min() >= cut - pd.Timedelta(days=365):
        reason = (f"historique de {months} mois : moins de deux ans avant {year}, la dernière année complète ; "
                  "pas de backtest")
        return Fitted(pooled.fit(final_moves, final_exp), _no_backtest("deviance_skill", **counts),
                      "deviance_skill", "max", fallback=Fallback(POOLED_MOBILITY, reason))
    train_moves, train_exp = mobility_frames(data, cut)
    in_year = final_moves[(final_moves["movement_date"] > cut)
                          & (final_moves["movement_date"] <= pd.Timestamp(f"{year}-12-31"))]
    year_heads = heads[(heads["extract_date"] > cut) & (heads["extract_date"] <= pd.Timestamp(f"{year}-12-31"))]
    exp_year = year_heads.groupby("metier_code")["headcount"].sum() / max(year_heads["extract_date"].nunique(), 1)
    observed = in_year.groupby("from_metier").size().reindex(exp_year.index).fillna(0.0).to_numpy()
    base = len(train_moves) / max(float(train_exp["agent_years"].sum()), 1e-9)
    dev0 = _poisson_deviance(observed, (exp_year * base).to_numpy())

    def score(model) -> dict[str, float]:
        rate = pd.Series(np.asarray(model.p_metier_) + np.asarray(model.p_direction_), index=list(model.metiers_))
        predicted = (exp_year * rate.reindex(exp_year.index).fillna(float(rate.mean()))).to_numpy()
        dev = _poisson_deviance(observed, predicted)
        return {"cutoff": float(year - 1), "observed": float(observed.sum()), "predicted": float(predicted.sum()),
                "rel_error": float((predicted.sum() - observed.sum()) / observed.sum()) if observed.sum()
                else float("nan"), "deviance": dev, "deviance_reference": dev0,
                "deviance_skill": 1.0 - dev / dev0 if dev0 > 0 else float("nan")}

    m_full = score(MobilityMatrix().fit(train_moves, train_exp))
    m_pooled = score(MobilityMatrix(rates="employer").fit(train_moves, train_exp))
    if m_full["deviance"] <= m_pooled["deviance"]:
        metrics = {**m_full, "deviance_pooled": m_pooled["deviance"], **counts}
        return Fitted(MobilityMatrix().fit(final_moves, final_exp), metrics, "deviance_skill", "max")
    metrics = {**m_pooled, "deviance_full": m_full["deviance"], **counts}
    reason = (f"la chaîne par métier perd contre la chaîne groupée au backtest de {year} : "
              f"déviance {m_full['deviance']:.4g} contre {m_pooled['deviance']:.4g}")
    return Fitted(pooled.fit(final_moves, final_exp), metrics, "deviance_skill", "max",
                  fallback=Fallback(POOLED_MOBILITY, reason))


_RETIREMENT_MODULES = ("workforce.panel", "workforce.rules", "workforce.forecast.retirement",
                       "workforce.forecast.hazard", "workforce.forecast.competing", "workforce.forecast.priors",
                       "workforce.forecast.fallback", "workforce.forecast.exits")


def default_steps() -> list[Step]:
    """The step table, in run order. A model module that defines ``fit_and_backtest`` takes over its step."""
    retirement_hook = _hook("workforce.forecast.retirement")
    return [
        Step("retirement", _from_hook("workforce.forecast.retirement") if retirement_hook else fit_retirement,
             _RETIREMENT_MODULES),
        Step("exits", fit_exits, _RETIREMENT_MODULES),
        Step("mobility", fit_mobility, (MOBILITY, FALLBACK)),
        Step("demand", _from_hook(DEMAND), (DEMAND, FALLBACK), format="json", hook=DEMAND),
    ]


MOBILITY, DEMAND, FALLBACK = "workforce.forecast.mobility", "workforce.forecast.demand", "workforce.forecast.fallback"


# ============================================================================================== run

@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str
    seconds: float = 0.0
    version: str | None = None
    reason: str | None = None
    metric: str | None = None
    value: float | None = None
    previous: float | None = None
    previous_version: str | None = None
    fallback: str | None = None


@dataclass
class RunReport:
    steps: list[StepOutcome]
    seconds: float
    data_hash: str | None = None
    removed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def nothing_to_do(self) -> bool:
        return all(s.status in (UNCHANGED, UNAVAILABLE) for s in self.steps)

    @property
    def failed(self) -> list[StepOutcome]:
        return [s for s in self.steps if s.status == FAILED]


def select_steps(steps: Sequence[Step], only: Sequence[str] | None) -> list[Step]:
    if not only:
        return list(steps)
    names = [s.name for s in steps]
    wanted = [o.strip() for o in only if o.strip()]
    unknown = [o for o in wanted if o not in names]
    if unknown:
        raise BadInput(f"modèle(s) inconnu(s) : {', '.join(unknown)} ; choix possibles : {', '.join(names)}")
    return [s for s in steps if s.name in wanted]


def run(
    engine: Engine | None = None,
    *,
    steps: Sequence[Step] | None = None,
    only: Sequence[str] | None = None,
    force: bool = False,
    n_jobs: int = 1,
    tolerance: float | None = None,
    seed: int = 0,
    settings: Settings | None = None,
    log: Log = _no_log,
    data: TrainingData | None = None,
) -> RunReport:
    """Retrain the models whose data or code changed (every selected one with ``force``).

    Raises :class:`BadInput` (unknown step, ``n_jobs`` < 1), :class:`workforce.registry.RegistryBusy` (another
    run holds the lock) and :class:`NoData` (no extract in the database). A step that fails is reported in
    the :class:`RunReport`, its active version untouched.
    """
    t_run = time.perf_counter()
    settings = settings or get_settings()
    if n_jobs < 1:
        raise BadInput(f"--jobs doit être au moins 1, reçu {n_jobs}")
    tolerance = registry.default_tolerance() if tolerance is None else tolerance
    if not tolerance >= 0:
        raise BadInput(f"la tolérance doit être positive ou nulle, reçu {tolerance}")
    chosen = select_steps(steps if steps is not None else default_steps(), only)
    engine = engine or db.make_engine(settings.db_url)
    with registry.exclusive(settings):
        db.init_db(engine)
        removed = registry.clean_unregistered(engine, settings)
        if removed:
            log(kv(step="cleanup", status="removed", folders=len(removed),
                   reason="restes d'un entraînement interrompu supprimés"), True)
        fp = data_fingerprint(engine)
        if fp.n_extracts == 0:
            raise NoData("aucune extraction en base : importez un fichier (`workforce import`) ou générez le "
                         "département de démonstration (`workforce synth`)")
        log(kv(step="start", extracts=fp.n_extracts, last_extract=fp.last_date, data_hash=fp.data_hash[:12],
               force=force, jobs=n_jobs), False)
        libs = registry.library_versions()
        outcomes: dict[str, StepOutcome] = {}
        todo: list[tuple[Step, str]] = []
        for step in chosen:
            why = step.unavailable()
            if why is not None:
                explicit = bool(only)
                outcomes[step.name] = StepOutcome(step.name, FAILED if explicit else UNAVAILABLE, reason=why)
                log(kv(step=step.name, status=outcomes[step.name].status, reason=why), explicit)
                continue
            code = step.code_version()
            last = registry.latest(engine, step.name)
            if (not force and last is not None and last.data_hash == fp.data_hash and last.code_version == code
                    and not registry.library_mismatches(last.libraries, libs)):
                active = next((r for r in registry.records(engine, step.name) if r.active), None)
                state = registry.integrity(active, settings) if active is not None else "absent"
                if state == "ok":
                    outcomes[step.name] = StepOutcome(step.name, UNCHANGED, version=active.version,
                                                      reason="mêmes données, même code")
                    log(kv(step=step.name, status=UNCHANGED, active=active.version,
                           reason="mêmes données, même code"), False)
                    continue
                log(kv(step=step.name, status="retrain", active=active.version if active else None,
                       reason=f"version active inutilisable ({state}) : réentraînement"), True)
            todo.append((step, code))
        if not todo:
            report = RunReport([outcomes[s.name] for s in chosen], time.perf_counter() - t_run, fp.data_hash,
                               [str(p) for p in removed])
            log(kv(step="end", status="nothing_to_do", seconds=report.seconds,
                   reason="rien à faire : mêmes données et même code (--force pour réentraîner)"), False)
            return report

        data = data or TrainingData(engine, log=log)
        ctx = StepContext(n_jobs=n_jobs, rng=np.random.default_rng(seed), log=log)
        for step, code in todo:
            outcomes[step.name] = _run_step(engine, step, code, data, ctx, fp, tolerance, settings, log)
    report = RunReport([outcomes[s.name] for s in chosen], time.perf_counter() - t_run, fp.data_hash,
                       [str(p) for p in removed], dict(data.timings))
    status = "failed" if report.failed else "ok"
    log(kv(step="end", status=status, seconds=report.seconds,
           failed=",".join(s.name for s in report.failed) or None), bool(report.failed))
    return report


def _run_step(engine, step: Step, code: str, data: TrainingData, ctx: StepContext, fp: Fingerprint,
              tolerance: float, settings: Settings, log: Log) -> StepOutcome:
    t0 = time.perf_counter()
    try:
        fitted = step.fit(data, ctx)
        fit_seconds = time.perf_counter() - t0
        cand = registry.Candidate(
            name=step.name, estimator=fitted.estimator, metrics=fitted.metrics, primary=fitted.primary,
            direction=fitted.direction, format=step.format, params=fitted.params, data_hash=fp.data_hash,
            code_version=code, extract_id=fp.extract_id, training_seconds=fit_seconds,
            fallback=fitted.fallback.as_dict() if fitted.fallback is not None else None)
        decision = registry.register(engine, cand, tolerance=tolerance, settings=settings)
    except Exception as err:  # one failed model must not stop the others
        seconds = time.perf_counter() - t0
        reason = f"{type(err).__name__}: {err}"
        log(kv(step=step.name, status=FAILED, seconds=seconds, error=reason), True)
        return StepOutcome(step.name, FAILED, seconds, reason=reason)
    seconds = time.perf_counter() - t0
    status = PROMOTED if decision.promoted else REJECTED
    code_used = fitted.fallback.code if fitted.fallback is not None else None
    outcome = StepOutcome(step.name, status, seconds, decision.version, decision.reason, decision.metric,
                          decision.value, decision.previous_value, decision.previous, code_used)
    log(kv(step=step.name, status=status, version=decision.version, seconds=seconds, fit_seconds=fit_seconds,
           metric=decision.metric, value=_num(decision.value), previous=_num(decision.previous_value),
           previous_version=decision.previous, fallback=code_used, reason=decision.reason), not decision.promoted)
    return outcome


def _num(v) -> float | None:
    return None if v is None else float(v)
