"""Competing causes of leaving: the baseline model of the other exits, and how cause-specific hazards combine.

Retirement and the other exits are competing risks on the same risk set (DESIGN): each cause has a
discrete-time hazard h_k = P(leave by cause k during the year | present at its start), estimated on the same
panel rows with the other causes as non-events; the probability of staying is 1 - sum_k h_k.

Forecasts use the registry's exits model (:class:`workforce.forecast.exits.ExitHazard` or its fallback, see
:mod:`workforce.forecast.active`); the retirement backtest (:mod:`workforce.evaluation`) refits that same
:class:`workforce.forecast.exits.ExitHazard` at each cutoff. :class:`StatutExitRate`, the empirical annual rate
of non-retirement exits by statut over the fitted years, is the constant-rate baseline every exit model is
compared with (:mod:`workforce.forecast.exits_metrics`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce import panel as P


class StatutExitRate(BaseEstimator):
    """Annual hazard of leaving for a reason other than retirement, by statut (empirical rate).

    Parameters
    ----------
    min_exposure : float
        Panel rows observed over a shorter share of a year are left out of the rates.
    prior_rows : float
        The rate of a statut is shrunk toward the overall rate as if ``prior_rows`` person-years at the
        overall rate were added (a statut seen on a handful of rows gets about the overall rate).
    """

    def __init__(self, *, min_exposure=0.9, prior_rows=20.0):
        self.min_exposure = min_exposure
        self.prior_rows = prior_rows

    def fit(self, X: pd.DataFrame, y=None):
        if self.prior_rows < 0:
            raise ValueError(f"prior_rows must be >= 0, got {self.prior_rows!r}")
        rows = X[X[P.EXPOSURE] >= self.min_exposure]
        if rows.empty:
            raise ValueError("no panel row with a full year observed: the history is too short to estimate exits")
        exit_ = (rows[P.OUTCOME] == P.EXIT).to_numpy(float)
        statut = rows[P.STATUT].astype(object).fillna(P.UNKNOWN_MOTIVE).to_numpy()
        self.overall_ = float(exit_.mean())
        frame = pd.DataFrame({"statut": statut, "exit": exit_})
        agg = frame.groupby("statut")["exit"].agg(["sum", "size"])
        rates = (agg["sum"] + self.prior_rows * self.overall_) / (agg["size"] + self.prior_rows)
        self.rates_ = rates.to_dict()
        self.n_rows_ = agg["size"].to_dict()
        return self

    def predict_hazard(self, X: pd.DataFrame) -> np.ndarray:
        """P(other exit during the year | present at its start), shape (n,); unseen statuts get the overall rate."""
        check_is_fitted(self)
        statut = X[P.STATUT].astype(object).fillna(P.UNKNOWN_MOTIVE) if P.STATUT in X.columns else None
        if statut is None:
            return np.full(len(X), self.overall_)
        return statut.map(self.rates_).astype(float).fillna(self.overall_).to_numpy()


def combine(retirement: np.ndarray, other: np.ndarray, certain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-year probabilities of each cause for someone present at the year's start.

    ``certain`` marks rows where the law makes leaving certain (age limit in the year): the retirement takes
    everything the other causes leave, ``1 - other``. Elsewhere, when the causes add up to more than 1 they are
    scaled down proportionally. Returns ``(retirement, other)``, each in [0, 1], summing to at most 1.
    """
    r = np.clip(np.asarray(retirement, float), 0.0, 1.0)
    x = np.clip(np.asarray(other, float), 0.0, 1.0)
    certain = np.asarray(certain, bool)
    total = r + x
    scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-12), 1.0)
    return np.where(certain, 1.0 - x, r * scale), np.where(certain, x, x * scale)
