"""Building blocks of the discrete-time hazards: a logistic regression fitted on aggregated covariate cells,
and the calibrators put on top of it.

Why cells: a person-year panel repeats the same covariate combinations many times once ages and months are
binned. Grouping identical rows into one cell with two weighted rows (events, non-events) gives exactly the
same logistic log-likelihood, hence the same coefficients, for a fraction of the rows (DESIGN, "fit on
aggregated covariate cells with sample_weight").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

CALIBRATIONS = ("isotonic", "sigmoid", "none")
_EPS = 1e-6


def aggregate_cells(features: pd.DataFrame, event: np.ndarray, weight: np.ndarray | None = None):
    """Group identical feature rows into cells.

    Returns ``(cells, y, w)``: each cell appears twice, once with ``y = 1`` and weight = the (weighted) number of
    events, once with ``y = 0`` and weight = the rest; rows of weight zero are dropped.
    """
    event = np.asarray(event, dtype=bool)
    w = np.ones(len(event)) if weight is None else np.asarray(weight, dtype=float)
    cols = list(features.columns)
    frame = features.reset_index(drop=True).assign(_ev=w * event, _n=w)
    grouped = frame.groupby(cols, sort=True, dropna=False, observed=True)[["_ev", "_n"]].sum().reset_index()
    cells = grouped[cols].astype({c: object for c in cols if not pd.api.types.is_numeric_dtype(features[c])})
    ev = grouped["_ev"].to_numpy()
    non = grouped["_n"].to_numpy() - ev
    both = pd.concat([cells, cells], ignore_index=True)
    y = np.r_[np.ones(len(cells)), np.zeros(len(cells))].astype(int)
    wt = np.r_[ev, non]
    keep = wt > 0
    return both[keep].reset_index(drop=True), y[keep], wt[keep]


class CellLogit(BaseEstimator):
    """Binary logistic regression on categorical (object/string columns, one-hot) and numeric features, fitted
    on aggregated cells.

    Parameters
    ----------
    C : float
        Inverse L2 penalty of :class:`sklearn.linear_model.LogisticRegression` (weights are person-years, so
        the default 10.0 barely shrinks a cell of a hundred rows).
    max_iter : int
        Iterations of the lbfgs solver.
    """

    def __init__(self, *, C=10.0, max_iter=1000):
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y, sample_weight=None):
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")
        y = np.asarray(y, dtype=bool)
        self.categorical_ = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        self.numeric_ = [c for c in X.columns if c not in self.categorical_]
        self.n_rows_ = float(len(X) if sample_weight is None else np.sum(sample_weight))
        self.n_events_ = float(y.sum() if sample_weight is None else np.sum(np.asarray(sample_weight)[y]))
        cells, cy, cw = aggregate_cells(X[self.categorical_ + self.numeric_], y, sample_weight)
        self.n_cells_ = int(len(cy) and cells.drop_duplicates().shape[0])
        self.categories_ = {c: np.unique(cells[c].astype(str).to_numpy()) for c in self.categorical_}
        self.constant_ = None
        if self.n_events_ <= 0 or self.n_events_ >= self.n_rows_:
            self.constant_ = 0.0 if self.n_events_ <= 0 else 1.0  # nothing to learn: the data shows one outcome
            self.logit_ = None
            return self
        self.logit_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        with threadpool_limits(limits=1, user_api="blas"):  # tiny problems: threads only add contention
            self.logit_.fit(self._design(cells), cy, sample_weight=cw)
        return self

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        """One-hot columns of the categorical features (a level unseen in fit gets all zeros), then the numeric
        ones."""
        width = sum(len(v) for v in self.categories_.values()) + len(self.numeric_)
        out = np.zeros((len(X), width))
        at = 0
        for col, levels in self.categories_.items():
            codes = pd.Index(levels).get_indexer(X[col].astype(str).to_numpy())
            seen = codes >= 0
            out[np.flatnonzero(seen), at + codes[seen]] = 1.0
            at += len(levels)
        for col in self.numeric_:
            out[:, at] = X[col].to_numpy(dtype=float)
            at += 1
        return out

    def predict_event(self, X: pd.DataFrame) -> np.ndarray:
        """P(event) of each row, shape (n,)."""
        return self.predict_coded(encode(X))

    def predict_coded(self, features: dict) -> np.ndarray:
        """P(event) of rows given as :func:`encode` gives them: text as codes into a small vocabulary.

        Why: the engine scores millions of agent-years whose text never leaves its codes; the linear predictor is
        the intercept plus one coefficient looked up per categorical feature (a level unseen in fit adds 0), the
        same sum as the one-hot design's product, without the design."""
        check_is_fitted(self)
        n = _rows(features)
        if self.constant_ is not None:
            return np.full(n, self.constant_)
        if n == 0:
            return np.zeros(0)
        coef = self.logit_.coef_[0]
        z = np.full(n, float(self.logit_.intercept_[0]))
        at = 0
        for col, levels in self.categories_.items():
            value = features[col]
            codes, vocab = value if isinstance(value, tuple) else pd.factorize(
                pd.Series(value).astype(str).to_numpy(object))
            lookup = pd.Index(levels).get_indexer(pd.Index(np.asarray(vocab).astype(str), dtype=object))
            weights = np.append(coef[at:at + len(levels)], 0.0)  # position -1 (unseen) reads the 0 at the end
            z += weights[lookup][codes]
            at += len(levels)
        for col in self.numeric_:
            z += coef[at] * np.asarray(features[col], dtype=float)
            at += 1
        return expit(z)


def encode(X: pd.DataFrame) -> dict:
    """A feature frame as :meth:`CellLogit.predict_coded` reads it: numeric columns as float arrays, the others as
    ``(codes, vocabulary)``."""
    out = {}
    for col in X.columns:
        if pd.api.types.is_numeric_dtype(X[col]):
            out[col] = X[col].to_numpy(dtype=float)
        else:
            codes, vocab = pd.factorize(X[col].astype(str).to_numpy(object))
            out[col] = (codes, np.asarray(vocab, dtype=object))
    return out


def decode(features: dict) -> pd.DataFrame:
    """The frame of text labels and numbers behind coded features (what :meth:`CellLogit.fit` learns from)."""
    return pd.DataFrame({col: (np.asarray(v[1], dtype=object)[v[0]] if isinstance(v, tuple) else v)
                         for col, v in features.items()})


def _rows(features: dict) -> int:
    for v in features.values():
        return len(v[0]) if isinstance(v, tuple) else len(v)
    return 0


class Calibrator(BaseEstimator):
    """Monotone map from raw to calibrated probabilities, fitted on out-of-fold predictions.

    Parameters
    ----------
    method : {"isotonic", "sigmoid", "none"}
        Isotonic regression (no shape assumed), Platt scaling on the logit, or identity.
    """

    def __init__(self, *, method="isotonic"):
        self.method = method

    def fit(self, p, y, sample_weight=None):
        if self.method not in CALIBRATIONS:
            raise ValueError(f"unknown calibration {self.method!r}; allowed: {', '.join(CALIBRATIONS)}")
        p = np.asarray(p, float)
        y = np.asarray(y, float)
        self.map_ = None
        if self.method == "isotonic":
            self.map_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
            self.map_.fit(p, y, sample_weight=sample_weight)
        elif self.method == "sigmoid":
            z = _logit(p)[:, None]
            self.map_ = LogisticRegression(C=1e6, max_iter=1000).fit(z, y.astype(int), sample_weight=sample_weight)
        self.fitted_method_ = self.method
        return self

    def transform(self, p) -> np.ndarray:
        check_is_fitted(self)
        p = np.asarray(p, float)
        if self.map_ is None or len(p) == 0:
            return p
        if self.fitted_method_ == "isotonic":
            return self.map_.predict(p)
        return self.map_.predict_proba(_logit(p)[:, None])[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))
