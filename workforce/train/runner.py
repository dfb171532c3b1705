"""One training run: the step table, the run that retrains what changed and hands each model to the registry,
and its report (see the package docstring for the guarantees)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.engine import Engine

from workforce import db, registry
from workforce.config import Settings, get_settings
from workforce.forecast import demand
from workforce.forecast.fallback import Fallback
from workforce.train import hazards, mobility, profiles
from workforce.train.data import Fingerprint, Log, TrainingData, no_log, data_fingerprint, kv
from workforce.train.step import WORKER_CPU, Fitted, Step, StepContext

DEMAND_MODULES = ("workforce.forecast.demand", "workforce.forecast.demand_history", "workforce.forecast.demand_models",
                  "workforce.forecast.demand_backtest",
                  "workforce.forecast.fallback")

# step outcomes
PROMOTED, REJECTED, UNCHANGED, FAILED = "promoted", "rejected", "unchanged", "failed"
STARTED = "started"
"""The line a step logs before it fits (``position=i/n``): the demand fit takes minutes and must not look stuck."""
PROBLEMS = (REJECTED, FAILED)


class BadInput(ValueError):
    """The run was asked something impossible (unknown step, bad option): exit code 2."""


class NoData(RuntimeError):
    """The database holds no extract to train on: exit code 2."""


def fit_demand(data: TrainingData, ctx: StepContext) -> Fitted:
    """The demand baseline per métier (:func:`workforce.forecast.demand.fit_and_backtest` chooses each series'
    model on its rolling-origin backtest); the estimator says when every series fell back to naive."""
    estimator, metrics, primary, direction = demand.fit_and_backtest(data, n_jobs=ctx.n_jobs, rng=ctx.rng)
    fallback = Fallback.from_dict(getattr(estimator, "fallback_", None))
    return Fitted(estimator, dict(metrics), primary, direction, fallback=fallback)


def default_steps() -> list[Step]:
    """The step table, in run order."""
    return [
        Step("retirement", hazards.fit_retirement, hazards.MODULES),
        Step("exits", hazards.fit_exits, hazards.MODULES),
        Step("mobility", mobility.fit_mobility, mobility.MODULES),
        Step("hires", profiles.fit_hires, profiles.HIRES_MODULES),
        Step("indices", profiles.fit_indices, profiles.INDICES_MODULES),
        Step("demand", fit_demand, DEMAND_MODULES, format="json", background=True),
    ]


STEP_NAMES = tuple(s.name for s in default_steps())


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
    cpu_seconds: float | None = None
    """CPU of the fit: its thread's, plus what its worker processes report (:data:`WORKER_CPU`); unlike the
    seconds, it does not depend on how busy the machine is."""


@dataclass
class RunReport:
    steps: list[StepOutcome]
    seconds: float
    data_hash: str | None = None
    removed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def nothing_to_do(self) -> bool:
        return all(s.status == UNCHANGED for s in self.steps)

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
    log: Log = no_log,
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
        outcomes: dict[str, StepOutcome] = {}
        todo: list[tuple[Step, str]] = []
        for step in chosen:
            code = step.code_version()
            last = registry.latest(engine, step.name)
            if (not force and last is not None and last.data_hash == fp.data_hash and last.code_version == code
                    and not registry.library_mismatches(last.libraries)):
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
        overlap = n_jobs > 1 and len(todo) > 1
        pending = {}
        for i, (step, code) in enumerate(todo, start=1):  # background fits start first, in their own thread
            if overlap and step.background:
                log(kv(step=step.name, status=STARTED, position=f"{i}/{len(todo)}", background=True), False)
                own = StepContext(n_jobs=n_jobs, rng=np.random.default_rng([seed, i]), log=log)
                pending[step.name] = _Background(step, data, own)
        for i, (step, code) in enumerate(todo, start=1):
            if step.name not in pending:
                log(kv(step=step.name, status=STARTED, position=f"{i}/{len(todo)}"), False)  # a long step says so
                fit = _fit_step(step, data, ctx)
                outcomes[step.name] = _register_step(engine, step, code, fit, fp, tolerance, settings, log)
        for step, code in todo:  # then the background ones, as they finish in table order
            if step.name in pending:
                fit = pending[step.name].result()
                outcomes[step.name] = _register_step(engine, step, code, fit, fp, tolerance, settings, log)
    report = RunReport([outcomes[s.name] for s in chosen], time.perf_counter() - t_run, fp.data_hash,
                       [str(p) for p in removed], dict(data.timings))
    status = "failed" if report.failed else "ok"
    log(kv(step="end", status=status, seconds=report.seconds,
           failed=",".join(s.name for s in report.failed) or None), bool(report.failed))
    return report


def _fit_step(step: Step, data: TrainingData, ctx: StepContext) -> tuple[Fitted | Exception, float, float]:
    """The step's fit, its seconds and its CPU seconds (this thread's and its workers'); an error is returned,
    not raised (one failed model must not stop the others)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        fitted = step.fit(data, ctx)
    except Exception as err:  # noqa: BLE001 - reported as the step's failure
        return err, time.perf_counter() - t0, time.thread_time() - c0
    workers = float(fitted.metrics.get(WORKER_CPU, 0.0)) if isinstance(fitted.metrics, dict) else 0.0
    return fitted, time.perf_counter() - t0, time.thread_time() - c0 + workers


class _Background:
    """A step fitted in a daemon thread (:attr:`Step.background`): daemon, so that Ctrl+C or an error of the run
    does not wait for a fit of several minutes; its worker processes end with the run."""

    def __init__(self, step: Step, data: TrainingData, ctx: StepContext):
        self._name = step.name
        self._out: tuple[Fitted | Exception, float, float] | None = None
        self._thread = threading.Thread(target=self._work, args=(step, data, ctx), name=f"train-{step.name}",
                                        daemon=True)
        self._thread.start()

    def _work(self, step, data, ctx) -> None:
        self._out = _fit_step(step, data, ctx)

    def result(self) -> tuple[Fitted | Exception, float, float]:
        self._thread.join()
        if self._out is None:  # the thread died of something other than an Exception
            return RuntimeError(f"l'ajustement de {self._name} s'est interrompu sans résultat"), 0.0, 0.0
        return self._out


def _register_step(engine, step: Step, code: str, fit: tuple[Fitted | Exception, float, float], fp: Fingerprint,
                   tolerance: float, settings: Settings, log: Log) -> StepOutcome:
    fitted, fit_seconds, cpu = fit
    t0 = time.perf_counter() - fit_seconds
    try:
        if isinstance(fitted, Exception):
            raise fitted
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
        return StepOutcome(step.name, FAILED, seconds, reason=reason, cpu_seconds=cpu)
    seconds = time.perf_counter() - t0
    status = PROMOTED if decision.promoted else REJECTED
    code_used = fitted.fallback.code if fitted.fallback is not None else None
    outcome = StepOutcome(step.name, status, seconds, decision.version, decision.reason, decision.metric,
                          decision.value, decision.previous_value, decision.previous, code_used, cpu)
    log(kv(step=step.name, status=status, version=decision.version, seconds=seconds, fit_seconds=fit_seconds,
           cpu_seconds=cpu,
           metric=decision.metric, value=_num(decision.value), previous=_num(decision.previous_value),
           previous_version=decision.previous, fallback=code_used, reason=decision.reason), not decision.promoted)
    return outcome


def _num(v) -> float | None:
    return None if v is None else float(v)
