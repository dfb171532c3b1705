"""How good an exit model is on the person-year panel: AUC, Brier, skill over the constant rate by statut, and
a temporal backtest (fit before year T, score on T and after).

Why: the registry promotes an exit model only if it beats its baseline on held-out years (issue 13). Every exit
model (:class:`workforce.forecast.exits.ExitHazard`, :class:`workforce.forecast.exits_covariates.
CovariateExitHazard`, the constant rate :class:`workforce.forecast.competing.StatutExitRate`) answers
``predict_hazard(panel)`` = P(any non-retirement exit during the year), so one function scores them all on the
same rows: the person-years of the test years observed over a full year (``exposure >= MIN_EXPOSURE``; a partial
year would count as a stay an exit that happened after the window).

Measures: ``auc`` (person-period ROC AUC: how well the model ranks who leaves), ``brier`` (mean squared error of
the probability), ``brier_reference`` (the constant rate by statut of the training years, or the one given),
``brier_skill`` = 1 - brier / brier_reference (0: no better than the constant rate), ``log_loss``, and the
observed and predicted counts.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workforce.columns import EXIT, EXPOSURE, OUTCOME, STATUT, YEAR

MIN_EXPOSURE = 0.9
"""Rows observed over a shorter share of a year are not scored."""


def full_years(panel: pd.DataFrame) -> pd.DataFrame:
    """The rows observed over (nearly) a full year: the ones a hazard is scored on."""
    if EXPOSURE not in panel.columns:
        return panel
    return panel[pd.to_numeric(panel[EXPOSURE], errors="coerce").fillna(1.0).to_numpy() >= MIN_EXPOSURE]


def exit_scores(observed, predicted, reference) -> dict[str, float]:
    """Scores of probabilities ``predicted`` (n,) against 0/1 ``observed`` (n,); ``reference`` (n,) or scalar is
    the baseline probability of the Brier skill."""
    y = np.asarray(observed, dtype=np.float64)
    p = np.clip(np.asarray(predicted, dtype=np.float64), 0.0, 1.0)
    ref = np.broadcast_to(np.clip(np.asarray(reference, dtype=np.float64), 0.0, 1.0), y.shape)
    brier = float(np.mean((p - y) ** 2)) if len(y) else float("nan")
    brier_ref = float(np.mean((ref - y) ** 2)) if len(y) else float("nan")
    q = np.clip(p, 1e-9, 1 - 1e-9)
    both = len(np.unique(y)) == 2
    return {"n": float(len(y)), "observed": float(y.sum()), "predicted": float(p.sum()),
            "auc": float(roc_auc_score(y, p)) if both else float("nan"),
            "brier": brier, "brier_reference": brier_ref,
            "brier_skill": 1.0 - brier / brier_ref if brier_ref > 0 else float("nan"),
            "log_loss": float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))) if len(y) else float("nan")}


def exit_metrics(model, panel: pd.DataFrame, *, reference=None) -> dict[str, float]:
    """Scores of ``model.predict_hazard`` on the full-year rows of ``panel``. ``reference``: a fitted
    constant-rate model (``predict_hazard``) or probabilities of those rows; None: the panel's own overall rate
    (a baseline that has seen the outcome: use it on training rows only)."""
    rows = full_years(panel)
    y = (rows[OUTCOME].to_numpy(object) == EXIT).astype(np.float64)
    p = np.asarray(model.predict_hazard(rows), dtype=np.float64)
    if reference is None:
        ref = np.full(len(y), y.mean() if len(y) else 0.0)
    elif hasattr(reference, "predict_hazard"):
        ref = np.asarray(reference.predict_hazard(rows), dtype=np.float64)
    else:
        ref = np.asarray(reference, dtype=np.float64)
    return exit_scores(y, p, ref)


def temporal_backtest(panel: pd.DataFrame, makers: Mapping[str, Callable[[], object]], first_test_year: int, *,
                      baseline: Callable[[], object] | None = None) -> pd.DataFrame:
    """Fit each model on the years before ``first_test_year`` and score it on that year and the later ones.

    ``makers`` maps a name to a function returning an unfitted model; ``baseline`` (default: the constant rate
    by statut, :class:`workforce.forecast.competing.StatutExitRate`) is fitted on the same training years and is
    the reference of every Brier skill. Returns one row per model: ``model`` then the measures of
    :func:`exit_scores`, with ``train_rows``, ``first_test_year`` and ``last_test_year``.
    """
    from workforce.forecast.competing import StatutExitRate

    train = panel[panel[YEAR] < first_test_year]
    test = panel[panel[YEAR] >= first_test_year]
    if train.empty or full_years(test).empty:
        raise ValueError(f"no training year before {first_test_year} or no full year from it: choose another cut")
    ref = (baseline or StatutExitRate)().fit(train)
    rows = []
    for name, make in {"constant_rate": baseline or StatutExitRate, **makers}.items():
        model = ref if name == "constant_rate" else make().fit(train)
        rows.append({"model": name, **exit_metrics(model, test, reference=ref), "train_rows": float(len(train)),
                     "first_test_year": first_test_year, "last_test_year": int(test[YEAR].max())})
    return pd.DataFrame(rows)


def by_statut(model, panel: pd.DataFrame) -> pd.DataFrame:
    """Observed and predicted exits by statut on the full-year rows (calibration at a glance)."""
    rows = full_years(panel)
    frame = pd.DataFrame({STATUT: rows[STATUT].astype(object).fillna("?").to_numpy(),
                          "observed": (rows[OUTCOME].to_numpy(object) == EXIT).astype(float),
                          "predicted": np.asarray(model.predict_hazard(rows), dtype=np.float64)})
    return frame.groupby(STATUT).agg(rows=("observed", "size"), observed=("observed", "sum"),
                                     predicted=("predicted", "sum")).reset_index()
