"""A training step: one model's fit-and-backtest function, what it returns, and the thresholds the steps share.

A step is a name, a function ``fit(data, ctx) -> Fitted`` (frames in, the fitted estimator and its backtest
metrics out, with one primary metric and its direction), the modules whose source makes up its code version, and
its serialisation (joblib, or JSON for Prophet)."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import workforce
from workforce.forecast.fallback import Fallback
from workforce.train.data import Log, TrainingData, no_log

MIN_EXPOSURE = 0.9
"""A person-year observed over less than this share of a year is a partial year (not scored by a backtest)."""
MIN_BACKTEST_YEARS = 3
"""Full years at risk a hazard backtest needs: at least two to fit, the last one to predict. With fewer, the
full model cannot be shown to beat its pooled baseline, so the pooled one is used."""
MIN_EVENTS = 10
"""Fewest observed events (retirements, other exits) a hazard is fitted from; with fewer, the documented prior
stands in (:mod:`workforce.forecast.priors`). An assumption [U]: below ten events the relative standard error of
a fitted rate exceeds 30 % (1 / sqrt(10)), and the documented prior is trusted more."""
WORKER_CPU = "worker_cpu_seconds"
"""Metric in which a step reports the CPU seconds its worker processes spent (the demand's series fits): the run
adds it to the CPU of the step's own thread, so that the step's CPU time means the same with one job or many."""
MIN_MOVES = 1
"""Fewest internal moves the (pooled) mobility chain is estimated from; with none, nobody moves: no prior says
where agents would go, and a few observed moves beat none."""


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
    log: Log = no_log


@dataclass(frozen=True)
class Step:
    """One model of the step table. ``modules`` are hashed (with the training package) into the code version;
    ``format`` is ``joblib`` or ``json`` (the estimator then has ``to_json``/``from_json``); ``background``: with
    more than one job, fitted in a thread while the other steps run (a fit that mostly waits for its own worker
    processes, the demand's, would otherwise leave a core idle), and registered after the other steps."""

    name: str
    fit: Callable[[TrainingData, StepContext], Fitted]
    modules: tuple[str, ...] = ()
    format: str = "joblib"
    background: bool = False

    def code_version(self) -> str:
        """``<package version>+<sha256 of the step's sources>``: any change of the model code, of the law
        tables or of the training package gives a new code version."""
        h = hashlib.sha256()
        for mod in sorted({*self.modules, "workforce.train"}):
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


def no_backtest(primary: str, **counts: float) -> dict[str, float]:
    """Metrics of a version trained without a backtest: the primary metric is undefined (NaN), the counts say
    what the data held."""
    return {primary: float("nan"), **{k: float(v) for k, v in counts.items()}}
