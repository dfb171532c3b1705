"""Batch retraining: load the data once, fit each model step, backtest it, hand it to the registry.

A *step* is one model: a name, a function ``fit(data, ctx) -> Fitted`` (frames in, fitted estimator and
backtest metrics out, with one primary metric and its direction), the modules whose source makes up its code
version, and its serialisation (joblib, or JSON for Prophet). :func:`default_steps` is the step table:
retirement, other exits, mobility, hires (who gets hired), indices (their progression) and demand. ``data`` is
a :class:`TrainingData`: frames loaded once from the database; models never read the database.

Layout: ``data`` (TrainingData, the fingerprint, the log line), ``step`` (Step, Fitted, the shared thresholds),
``hazards`` (retirement and other exits), ``mobility``, ``profiles`` (hires and indices), ``runner`` (the step
table, :func:`run` and its report).

Short histories (:mod:`workforce.forecast.fallback`): from the first extract on, every step gives a model. When
the history is too short to backtest, too thin to fit or when the full model loses to its pooled baseline, the
step fits the documented fallback instead (pooled hazards, priors, naive demand, no mobility, the recent agents
as hires, indices that stay put) and says so in :attr:`Fitted.fallback`; the registry records it with the version (``metrics["fallback"]``) and
``workforce models show`` prints it. A version trained without a backtest has an undefined (NaN) primary metric.

Run guarantees (:func:`run`):

* exclusive: :func:`workforce.registry.exclusive` is taken first; a second run raises RegistryBusy at once;
* idempotent: a step whose latest registered version has the same data hash, code version and library versions
  is ``unchanged`` (nothing fitted) unless ``force``;
* crash safe: nothing is written before a step is fitted; the registry writes the artifact atomically, then
  registers and promotes it in one transaction (see :mod:`workforce.registry`); leftovers of a killed run are
  removed at the start of the next one;
* a failing step does not stop the others; the run reports it (exit code 1 in the CLI);
* with more than one job, a step marked ``background`` (the demand, whose fit mostly waits for its worker
  processes) is fitted in a thread while the other steps run, and registered after them; each
  step reports its CPU seconds (its thread's and its workers'), a cost that does not depend on the machine's load.
"""

from workforce.train.data import Fingerprint, Log, TrainingData, data_fingerprint, kv
from workforce.train.hazards import full_or_pooled, hazard_holdout
from workforce.train.mobility import mobility_frames
from workforce.train.runner import (FAILED, PROBLEMS, PROMOTED, REJECTED, STEP_NAMES, UNCHANGED, BadInput, NoData,
                                    RunReport, StepOutcome, default_steps, fit_demand, run, select_steps)
from workforce.train.step import (MIN_BACKTEST_YEARS, MIN_EVENTS, MIN_EXPOSURE, MIN_MOVES, WORKER_CPU, Fitted,
                                  Step, StepContext, no_backtest)

__all__ = [
    "FAILED", "MIN_BACKTEST_YEARS", "MIN_EVENTS", "MIN_EXPOSURE", "MIN_MOVES", "PROBLEMS", "WORKER_CPU",
    "PROMOTED", "REJECTED", "STEP_NAMES", "UNCHANGED", "BadInput", "Fingerprint", "Fitted", "Log", "NoData",
    "RunReport", "Step", "StepContext", "StepOutcome", "TrainingData", "data_fingerprint", "default_steps",
    "fit_demand", "full_or_pooled", "hazard_holdout", "kv", "mobility_frames", "no_backtest", "run", "select_steps",
]
