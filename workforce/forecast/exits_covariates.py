"""Exit model on every covariate an extract carries: cause-specific exit hazards, L2-regularised, C by grouped CV.

Why: :class:`workforce.forecast.exits.ExitHazard` sees statut, catégorie, age and tenure in fixed bands only. On
a real panel (3,770 employees followed monthly, issue 13) it reached a person-period AUC of 0.59 where a plain
logistic regression on the panel's covariates reached 0.69. Extracts carry more than those four: sexe, filière,
métier, direction, quotité, grade, indice majoré, and the columns a mapping keeps (``keep:``, stored as one dict
per row in ``extra``). This model learns from all of them. Its L2 penalty is chosen by cross-validation grouped
by agent (an agent's years never sit on both sides), so a covariate that says nothing costs little, and on data
that depends only on the four the model does not lose to the simpler one.

Contract: the person-period one of ``ExitHazard`` (DESIGN, competing risks): cause-specific annual hazards on the
person-year risk set of :mod:`workforce.panel`, the same classes (``none`` = stayed or retired: retirement is
another cause, not a censoring; each exit motive), partial years counting each event fully and each non-event for
its exposure. Here one L2 logit per cause on the same rows (DESIGN allows one multinomial model or one model per
cause): each cause gets its own strengths, and a Newton step on one cause is cheap. The engine combines them
with the retirement hazard as P(stay) = 1 - P(retire) - sum_k P(exit k).

Features (every one categorical or binned, so the panel is aggregated into covariate cells with
``sample_weight``, DESIGN):

* the four of ``ExitHazard``, nested: statut group, catégorie, age band (5 years, finer near retirement), tenure
  band, and statut group x each of catégorie, age, tenure (contractuels and fonctionnaires leave differently);
* categorical columns (:data:`CATEGORICAL`): sexe, filière, métier, direction, grade, catégorie de service; a
  level seen on fewer than ``min_level_rows`` agent-years is pooled into ``~autre``, a missing value is ``?``;
* quotité in fixed bands, indice majoré in quantile bands of the training panel;
* every kept column found in ``extra``: quantile bands when it reads as numbers with many values, else categorical.

Prediction is additive: each cause's logit is the sum of one coefficient row per feature block, gathered by
integer code (``coef_[b][code]``), then a sigmoid. Hazards for n agents over h years are numpy
gathers on (n, h) codes for the blocks that age (age, tenure), no model call and no loop over agents. A column
the predicting frame lacks (hire pseudo-agents have no direction) gets the block's training-weighted mean
coefficients (the average agent), never a reference level; so does a level never seen in training.

Glossary: statut group = fonctionnaire (titulaire, stagiaire), contractuel permanent, contractuel non permanent;
catégorie A/B/C; filière the professional branch; métier the job; direction the department of the employer;
quotité the share of full time; indice majoré the pay index; tenure = years since entry with the employer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse import csc_matrix
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from workforce.columns import (AGE, AGENT_ID, CATEGORIE, DIRECTION, EXTRA, FILIERE, GRADE, INDICE, METIER_CODE,
                               OUTCOME, QUOTITE, SERVICE_CATEGORY, SEX, STATUT, TENURE)
from workforce.forecast import exits as base_model
from workforce.forecast.exits import (CATEGORY_LEVELS, NONE, STATUT_GROUPS, band, category_code, class_weight,
                                      motive_classes, statut_group)

FINE_AGE_EDGES = (25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 58.0, 60.0, 62.0)
FINE_TENURE_EDGES = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
"""Finer bands than ``ExitHazard``'s, learned as deviations from its bands (penalised like any other covariate)."""
QUOTITE_EDGES = (0.8, 0.999)
"""Quotité bands: under 80 %, 80 to 99 %, full time."""
CATEGORICAL = (SEX, FILIERE, METIER_CODE, DIRECTION, GRADE, SERVICE_CATEGORY)
"""Panel columns read as categories (rare levels pooled)."""
BANDED = {QUOTITE: QUOTITE_EDGES, INDICE: None}
"""Panel columns read as numbers, in fixed bands (edges) or quantile bands of the training panel (None)."""
EXTRA_PREFIX = "extra:"
"""Prefix of the feature blocks read from the kept columns (``extra``)."""
MISSING_LEVEL, OTHER_LEVEL = "?", "~autre"
QUANTILES = (0.2, 0.4, 0.6, 0.8)
CS = (0.03, 0.1, 0.3, 1.0, 3.0)
"""Default grid of inverse L2 strengths (prior variances of a coefficient, on the log-odds scale)."""
CHUNK = 100_000
"""Agents per pass in :meth:`CovariateExitHazard.hazards` (bounds memory at n x horizon x motives)."""
MISSING_COLUMN = -1
"""Code of every row of a column the frame lacks: the block's mean coefficients."""
GRAM_CACHE_ENTRIES = 20_000_000
"""Largest cached Hessian operator of :class:`OneHot` (cells x pairs of blocks, about 16 bytes each: 320 MB);
a larger design computes each Hessian block by block instead (same result, slower)."""


@dataclass(frozen=True)
class Block:
    """One feature block: a column (with the statut group, for an interaction) coded as integers 0..size-1.

    ``kind``: ``intercept``; ``statut``, ``categorie``; ``age``, ``tenure`` (bands of ``edges``, NaN the last
    band, they grow with the projection); ``levels`` (a categorical ``column``, ``levels[0]`` missing,
    ``levels[1]`` pooled); ``bands`` (a numeric ``column`` in bands of ``edges``). ``by_statut``: crossed with
    the statut group (one effect per group).
    """

    name: str
    kind: str
    column: str = ""
    levels: tuple = ()
    edges: tuple = ()
    by_statut: bool = False

    @property
    def size(self) -> int:
        own = {"intercept": 1, "statut": len(STATUT_GROUPS), "categorie": len(CATEGORY_LEVELS),
               "levels": len(self.levels)}.get(self.kind, len(self.edges) + 2)
        return own * (len(STATUT_GROUPS) if self.by_statut else 1)

    @property
    def ages(self) -> bool:
        """True when the block's code changes as the agent ages (age and tenure bands)."""
        return self.kind in ("age", "tenure")


_AGE, _TEN = tuple(base_model.AGE_EDGES), tuple(base_model.TENURE_EDGES)
INTERCEPT = Block("intercept", "intercept")
BASE_BLOCKS = (INTERCEPT, Block("statut", "statut"), Block("categorie", "categorie"),
               Block("age", "age", edges=_AGE), Block("tenure", "tenure", edges=_TEN),
               Block("statut x categorie", "categorie", by_statut=True),
               Block("statut x age", "age", edges=_AGE, by_statut=True),
               Block("statut x tenure", "tenure", edges=_TEN, by_statut=True))
"""The design of :class:`workforce.forecast.exits.ExitHazard`, same bands: with every other block left out the
two models coincide (up to the penalty), so the other covariates can only be added on top of it."""
FINE_BLOCKS = (Block("age fin", "age", edges=FINE_AGE_EDGES), Block("anciennete fine", "tenure", edges=FINE_TENURE_EDGES),
               Block("statut x age fin", "age", edges=FINE_AGE_EDGES, by_statut=True))


# ------------------------------------------------------------------------------------------ covariates

def extra_frame(extra) -> pd.DataFrame:
    """The kept columns as a frame, one column per key (prefixed :data:`EXTRA_PREFIX`), from the ``extra``
    values (a dict, a JSON text or missing per row)."""
    values = extra.astype(object) if isinstance(extra, pd.Series) else pd.Series(extra, dtype=object)
    records = [v if isinstance(v, dict) else (json.loads(v) if isinstance(v, str) and v.startswith("{") else {})
               for v in values.to_numpy()]
    frame = pd.DataFrame.from_records(records, index=values.index) if records else pd.DataFrame(index=values.index)
    return frame.rename(columns=lambda c: f"{EXTRA_PREFIX}{c}").astype(object)


def covariate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the model may read: ``frame``'s own plus the kept columns expanded from ``extra``."""
    if EXTRA in frame.columns and frame[EXTRA].notna().any():
        return pd.concat([frame.drop(columns=[EXTRA]), extra_frame(frame[EXTRA])], axis=1)
    return frame


def _text(values: pd.Series) -> np.ndarray:
    s = values.astype("string").str.strip()
    return s.mask(s == "").fillna(MISSING_LEVEL).to_numpy(object)


def _numbers(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(np.float64, na_value=np.nan)
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def _learn_levels(column: str, values: pd.Series, min_rows: float, max_levels: int) -> Block | None:
    """A categorical block: levels seen on at least ``min_rows`` agent-years (the ``max_levels`` most frequent);
    None when fewer than two groups would remain (nothing to learn)."""
    text = _text(values)
    counts = pd.Series(text).value_counts(sort=True).drop(MISSING_LEVEL, errors="ignore")
    frequent = [str(k) for k in counts[counts >= min_rows].index[:max_levels]]
    groups = len(frequent) + int(len(counts) > len(frequent)) + int((text == MISSING_LEVEL).any())
    if groups < 2:
        return None
    return Block(column, "levels", column, levels=(MISSING_LEVEL, OTHER_LEVEL, *sorted(frequent)))


def _learn_bands(column: str, values: np.ndarray, edges) -> Block | None:
    seen = values[~np.isnan(values)]
    if len(seen) == 0:
        return None
    if edges is None:
        edges = tuple(e for e in np.unique(np.quantile(seen, QUANTILES)) if e > seen.min())
        if not edges:
            return None
    return Block(column, "bands", column, edges=tuple(float(e) for e in edges))


def learn_blocks(frame: pd.DataFrame, *, min_level_rows: float, max_levels: int, columns=None) -> tuple[Block, ...]:
    """Feature blocks of a training frame (:func:`covariate_frame` of the panel): :data:`BASE_BLOCKS`,
    :data:`FINE_BLOCKS`, then each categorical, banded and kept column that has something to learn. ``columns``
    (None: all) restricts the optional ones by name (a kept column by its ``extra:`` name; ``age`` or ``tenure``
    for the finer bands)."""
    wanted = (lambda c: True) if columns is None else (lambda c: c in set(columns))
    blocks = list(BASE_BLOCKS)
    blocks += [b for b in FINE_BLOCKS if wanted(AGE if b.kind == "age" else TENURE)]
    for col in CATEGORICAL:
        if col in frame.columns and wanted(col):
            blocks.append(_learn_levels(col, frame[col], min_level_rows, max_levels))
    for col, edges in BANDED.items():
        if col in frame.columns and wanted(col):
            blocks.append(_learn_bands(col, _numbers(frame[col]), edges))
    for col in (c for c in frame.columns if str(c).startswith(EXTRA_PREFIX) and wanted(c)):
        num = _numbers(frame[col])
        present = frame[col].notna().to_numpy()
        numeric = present.any() and np.isfinite(num[present]).mean() >= 0.95 and len(np.unique(num[present])) > 12
        blocks.append(_learn_bands(col, num, None) if numeric
                      else _learn_levels(col, frame[col], min_level_rows, max_levels))
    return tuple(b for b in blocks if b is not None)


def encode(block: Block, frame: pd.DataFrame | None, sg: np.ndarray, cat: np.ndarray, age: np.ndarray,
           tenure: np.ndarray) -> np.ndarray:
    """Integer codes of one block: (n,) for a static block, the shape of ``age`` (n, horizon) for one that ages;
    :data:`MISSING_COLUMN` everywhere when the frame lacks the block's column. ``sg`` and ``cat`` are the
    statut-group and catégorie codes, ``age`` and ``tenure`` in years."""
    if block.kind == "intercept":
        code = np.zeros(len(sg), np.int64)
    elif block.kind == "statut":
        code = sg
    elif block.kind == "categorie":
        code = cat
    elif block.kind in ("age", "tenure"):
        code = band(age if block.kind == "age" else tenure, block.edges).astype(np.int64)
    elif frame is None or block.column not in frame.columns:
        return np.full(len(sg), MISSING_COLUMN, np.int64)
    elif block.kind == "bands":
        code = band(_numbers(frame[block.column]), block.edges).astype(np.int64)
    else:
        code = pd.Index(block.levels).get_indexer(_text(frame[block.column])).astype(np.int64)
        code = np.where(code < 0, 1, code)  # a level never seen: pooled
    if block.by_statut:
        own = block.size // len(STATUT_GROUPS)
        code = sg.reshape(sg.shape + (1,) * (code.ndim - 1)) * own + code
    return code


def _hazards_from_logits(eta: np.ndarray) -> np.ndarray:
    """Cause-specific hazards from each cause's logit (..., K); where the causes add up to more than 1 (never
    seen in practice) they are scaled down, as the engine's combination does."""
    h = 1.0 / (1.0 + np.exp(-np.clip(eta, -50.0, 50.0)))
    total = h.sum(axis=-1, keepdims=True)
    return np.where(total > 1.0, h / np.maximum(total, 1e-12), h)


# ------------------------------------------------------------------------------------------ solver

class OneHot:
    """A design of one-hot blocks held as integer codes (n, blocks): products by gathers and ``bincount``.

    Why not a sparse design matrix: the Hessian of a logit is a sum over pairs of blocks of small contingency
    tables, one ``bincount`` each; that and the gathers make a Newton step on 30,000 cells a few milliseconds.
    The Newton steps of a cross-validated fit compute hundreds of Hessians on the same cells, so the first one
    stores where each cell lands in every pair of blocks (a sparse operator, :data:`GRAM_CACHE_ENTRIES` at most)
    and the next ones are one sparse product: five times faster, the same sums in the same order."""

    def __init__(self, codes: np.ndarray, sizes):
        self.codes = np.asarray(codes, np.int64)
        self.sizes = np.asarray(sizes, np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.flat = self.codes + self.offsets[:-1]
        self.n_features = int(self.offsets[-1])
        self._pairs = None
        self._views: dict[tuple[int, ...], OneHot] = {}

    def subset(self, rows) -> "OneHot":
        return OneHot(self.codes[rows], self.sizes)

    def blocks_view(self, blocks) -> "OneHot":
        """The design of ``blocks`` only (increasing), kept for the next calls: the Hessian of a fit that leaves
        the other blocks out (an infinite penalty) needs no product with them."""
        key = tuple(int(b) for b in blocks)
        if key not in self._views:
            self._views[key] = OneHot(self.codes[:, list(key)], self.sizes[list(key)])
        return self._views[key]

    def dot(self, beta: np.ndarray) -> np.ndarray:
        return beta[self.flat].sum(axis=1)

    def tdot(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.flat.ravel(), weights=np.repeat(v, self.codes.shape[1]),
                           minlength=self.n_features)

    def gram(self, d: np.ndarray) -> np.ndarray:
        """X' diag(d) X, dense (features x features)."""
        pairs = self._pair_operator()
        if pairs is not None:
            upper = (pairs @ np.asarray(d, np.float64)).reshape(self.n_features, self.n_features)
            return upper + upper.T - np.diag(np.diag(upper))
        F, o, s, c = self.n_features, self.offsets, self.sizes, self.codes
        H = np.zeros((F, F))
        for a in range(len(s)):
            for b in range(a, len(s)):
                blk = np.bincount(c[:, a] * s[b] + c[:, b], weights=d, minlength=s[a] * s[b]).reshape(s[a], s[b])
                H[o[a]:o[a + 1], o[b]:o[b + 1]] = blk
                H[o[b]:o[b + 1], o[a]:o[a + 1]] = blk.T
        return H

    def _pair_operator(self):
        """Sparse (features^2, cells) map of each cell to its entry of the upper triangle in every pair of blocks
        (block a <= block b), built at the first call; None when it would exceed :data:`GRAM_CACHE_ENTRIES`."""
        if self._pairs is not None:
            return self._pairs
        n, B = self.codes.shape
        a, b = np.triu_indices(B)
        if 0 < n * len(a) <= GRAM_CACHE_ENTRIES:
            F = self.n_features
            rows = (self.flat[:, a] * F + self.flat[:, b]).ravel()  # cell-major: each cell's entries together
            self._pairs = csc_matrix((np.ones(len(rows)), rows, np.arange(0, len(rows) + 1, len(a))),
                                     shape=(F * F, n))
        return self._pairs


def fit_logit(X: OneHot, y: np.ndarray, w: np.ndarray, penalty: np.ndarray, *, init=None, tol: float = 1e-9,
              max_iter: int = 50) -> np.ndarray:
    """Binary logit by damped Newton on weighted cells: coefficients (features,).

    Minimises sum_i w_i logloss(y_i, sigmoid(x_i beta)) + 1/2 sum_f penalty_f beta_f^2, ``y`` in [0, 1].
    ``penalty`` is per feature; an infinite one leaves the feature out (coefficient 0). Written out rather than
    scikit-learn's ``LogisticRegression`` because each block needs its own penalty and the cross-validation
    refits it dozens of times; with few features the Newton step converges in a handful of iterations where
    first-order solvers crawl on levels of very different sizes. ``init``: a previous fit (warm start).
    """
    keep = np.isfinite(penalty)
    pen = np.where(keep, penalty, 0.0)
    beta = np.zeros(X.n_features) if init is None else np.where(keep, init, 0.0)

    def objective(b):
        eta = X.dot(b)
        return float(w @ (np.logaddexp(0.0, eta) - y * eta)) + 0.5 * float(pen @ (b * b)), eta

    value, eta = objective(beta)
    idx = np.flatnonzero(keep)
    blocks = np.flatnonzero(np.add.reduceat(keep, X.offsets[:-1]) > 0)
    whole = len(blocks) < len(X.sizes) and len(idx) == int(X.sizes[blocks].sum())  # only whole blocks left out
    X_hess = X.blocks_view(blocks) if whole else X
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = (X.tdot(w * (p - y)) + pen * beta)[idx]
        gram = X_hess.gram(w * p * (1.0 - p))
        hess = (gram if whole else gram[np.ix_(idx, idx)]) + np.diag(pen[idx] + 1e-9)
        step = np.zeros_like(beta)
        step[idx] = cho_solve(cho_factor(hess), grad)
        shrink = 1.0
        while True:  # damped: halve the step until the objective decreases
            new_value, new_eta = objective(beta - shrink * step)
            if new_value <= value or shrink < 1e-4:
                break
            shrink /= 2.0
        beta, eta = beta - shrink * step, new_eta
        done = value - new_value <= tol * max(abs(value), 1.0)
        value = new_value
        if done:
            break
    return beta


# ------------------------------------------------------------------------------------------ model

class CovariateExitHazard(BaseEstimator):
    """Annual cause-specific exit hazards by motive from every covariate of the panel (one L2 logit per cause).

    Parameters
    ----------
    C : float or None
        Inverse L2 strength: the penalty is |coef|^2 / (2C) against the log-loss summed over agent-years, a
        Gaussian prior of variance C on each coefficient; None chooses it from ``Cs`` by cross-validation grouped
        by agent. It applies to the blocks of ``ExitHazard`` (statut, catégorie, age, tenure, interactions).
    C_extra : float or None
        The same for every other covariate (0: left out); None chooses it by the same cross-validation, after C.
        Two strengths because the four covariates of ``ExitHazard`` are known to matter and the others may not.
    Cs : tuple of float
        Grid searched when ``C`` is None.
    cv : int
        Folds of the grouped cross-validation (agents split at random, ``random_state``).
    min_events : int
        A motive with fewer events is folded into ``autre`` (as ``ExitHazard``).
    min_level_rows : float
        A level of a categorical column seen on fewer agent-years is pooled into ``~autre``.
    max_levels : int
        At most this many levels per categorical column (the most frequent; the rest pooled).
    columns : tuple of str or None
        Optional covariates to read (None: every one the panel carries); the four of ``ExitHazard`` always.
    min_cv_events : int
        Below this many exits in the panel the grid is not searched: ``C_default`` is used (short histories).
    C_default : float
        The inverse strength used without a search.
    random_state : int
        Seed of the agents' assignment to folds.

    Attributes
    ----------
    motives_ : tuple of str
        Exit motives modelled, in :data:`workforce.columns.EXIT_MOTIVES` order.
    blocks_ : tuple of Block
        Feature blocks, with the levels and band edges learned from the training panel.
    coef_ : list of ndarray
        Per block, (block size + 1, n_motives): the coefficients of each code in each motive's logit (the
        intercept is a block of one code); the last row is the block's training-weighted mean (a missing column).
    C_, C_extra_ : float
        The inverse strengths fitted; ``cv_scores_`` maps each (C, C_extra) tried to its held-out log-loss per
        agent-year (empty when nothing was searched).
    n_rows_, n_cells_ : int
        Agent-years learned from, and aggregated covariate cells fitted.
    """

    def __init__(self, *, C=None, C_extra=None, Cs=CS, cv: int = 3, min_events: int = 5,
                 min_level_rows: float = 50.0, max_levels: int = 60, columns=None, min_cv_events: int = 100,
                 C_default: float = 0.1, random_state: int = 0):
        self.C = C
        self.C_extra = C_extra
        self.Cs = Cs
        self.cv = cv
        self.min_events = min_events
        self.min_level_rows = min_level_rows
        self.max_levels = max_levels
        self.columns = columns
        self.min_cv_events = min_cv_events
        self.C_default = C_default
        self.random_state = random_state

    # ---------------------------------------------------------------- fit
    def fit(self, panel: pd.DataFrame, y=None) -> "CovariateExitHazard":
        """Fit on the person-year panel (:func:`workforce.panel.build_panel`; statut, categorie, age, outcome,
        motive required, every other covariate used when present)."""
        self._check_params()
        missing = [c for c in (STATUT, CATEGORIE, AGE, OUTCOME) if c not in panel.columns]
        if missing:
            raise ValueError(f"panel lacks column(s) {', '.join(missing)}: build it with workforce.panel.build_panel")
        if len(panel) == 0:
            raise ValueError("panel is empty: no agent-year at risk to learn from")
        classes, kept = motive_classes(panel, self.min_events)
        weight = class_weight(panel, classes)
        frame = covariate_frame(panel.reset_index(drop=True))
        self.motives_ = kept
        self.blocks_ = learn_blocks(frame, min_level_rows=self.min_level_rows, max_levels=self.max_levels,
                                    columns=self.columns)
        self.n_rows_ = int(len(panel))
        K = len(kept)
        self.coef_ = [np.zeros((b.size + 1, K)) for b in self.blocks_]
        self.C_ = {m: float(self.C_default if self.C is None else self.C) for m in kept}
        self.C_extra_ = {m: float(self.C_default if self.C_extra is None else self.C_extra) for m in kept}
        self.cv_scores_, self.n_cells_ = {}, 0
        if not kept:
            return self
        codes = self._codes(frame, frame[STATUT], frame[CATEGORIE], self._num(frame, AGE), self._num(frame, TENURE))
        y_cls = pd.Categorical(classes, categories=[NONE, *kept]).codes.astype(np.int64)
        cells = pd.DataFrame(codes, columns=[f"b{i}" for i in range(codes.shape[1])])
        cells = cells.assign(cls=y_cls, fold=self._folds(panel), w=weight)
        cells = cells.groupby(list(cells.columns[:-1]), sort=False)["w"].sum().reset_index()
        self.n_cells_ = int(len(cells))
        X = OneHot(cells.iloc[:, :codes.shape[1]].to_numpy(np.int64), [b.size for b in self.blocks_])
        cls, w, fold = cells["cls"].to_numpy(), cells["w"].to_numpy(), cells["fold"].to_numpy()
        search = (self.C is None or self.C_extra is None) and int((y_cls > 0).sum()) >= self.min_cv_events
        W = np.zeros((X.n_features, K))
        # small dense solves, many of them: a multi-threaded BLAS only fights the other processes for the cores
        with threadpool_limits(limits=1, user_api="blas"):
            for k, motive in enumerate(kept):
                y_k = (cls == k + 1).astype(np.float64)
                if search:
                    self.C_[motive], self.C_extra_[motive], self.cv_scores_[motive] = self._search(X, y_k, w, fold)
                W[:, k] = fit_logit(X, y_k, w, self._penalty(self.C_[motive], self.C_extra_[motive]))
        self._store(W, X, w)
        return self

    def _check_params(self) -> None:
        grid = [c for c in (self.C, self.C_extra, self.C_default, *self.Cs) if c is not None]
        if not self.Cs or not all(isinstance(c, (int, float)) and c >= 0 for c in grid) or not self.C_default > 0 \
                or (self.C is not None and not self.C > 0):
            raise ValueError(f"C, Cs and C_default must be > 0 and C_extra >= 0, got C={self.C!r}, "
                             f"C_extra={self.C_extra!r}, Cs={self.Cs!r}, C_default={self.C_default!r}")
        if int(self.cv) < 2:
            raise ValueError(f"cv must be >= 2, got {self.cv!r}")
        if self.min_events < 0 or self.min_level_rows < 0 or self.max_levels < 1:
            raise ValueError("min_events and min_level_rows must be >= 0, max_levels >= 1")

    @staticmethod
    def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
        if col not in frame.columns:
            return np.full(len(frame), np.nan)
        return pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64, na_value=np.nan)

    def _codes(self, frame, statut, categorie, age, tenure) -> np.ndarray:
        """(n, blocks) codes of the rows of ``frame`` at their own age and tenure."""
        sg, cat = statut_group(statut).astype(np.int64), category_code(categorie).astype(np.int64)
        return np.column_stack([encode(b, frame, sg, cat, age, tenure) for b in self.blocks_])

    def _folds(self, panel: pd.DataFrame) -> np.ndarray:
        """Fold of each row, the same for every year of an agent (grouped cross-validation)."""
        ids = panel[AGENT_ID].to_numpy() if AGENT_ID in panel.columns else np.arange(len(panel))
        codes, uniques = pd.factorize(ids)
        rng = np.random.default_rng(self.random_state)
        return (rng.permutation(len(uniques)) % int(self.cv))[codes]

    def _penalty(self, C: float, C_extra: float) -> np.ndarray:
        """L2 penalty of each feature: none on the intercept, 1 / C on the blocks of ``ExitHazard``, 1 / C_extra
        on the others (C_extra = 0: left out)."""
        per_block = [0.0 if b == INTERCEPT else 1.0 / C if b in BASE_BLOCKS
                     else (np.inf if C_extra == 0 else 1.0 / C_extra) for b in self.blocks_]
        return np.repeat(per_block, [b.size for b in self.blocks_])

    def _search(self, X: OneHot, y, w, fold) -> tuple[float, float, dict]:
        """``(C, C_extra, scores)`` of one cause, by its held-out log-loss per agent-year over folds of agents: a
        coordinate search, the base strength first (other covariates left out), then theirs (0 = left out).
        ``scores`` maps each (C, C_extra) tried to its loss. A grid point starts from the previous one's fit."""
        folds = [(fold != f, fold == f) for f in np.unique(fold)]
        folds = [(X.subset(tr), X.subset(te), tr, te) for tr, te in folds if te.any() and y[tr].any()]
        grid = sorted(float(c) for c in self.Cs)
        fixed_C = float(self.C if self.C is not None else self.C_default)
        fixed_extra = float(self.C_extra if self.C_extra is not None else self.C_default)
        if not folds:
            return fixed_C, fixed_extra, {}
        total = sum(w[te].sum() for *_, te in folds)
        scores, warm = {}, [None] * len(folds)

        def loss(C, C_extra):
            if (C, C_extra) not in scores:
                pen, out = self._penalty(C, C_extra), 0.0
                for i, (X_tr, X_te, tr, te) in enumerate(folds):
                    warm[i] = fit_logit(X_tr, y[tr], w[tr], pen, init=warm[i], tol=1e-7)
                    eta = X_te.dot(warm[i])
                    out += float(w[te] @ (np.logaddexp(0.0, eta) - y[te] * eta))
                scores[(C, C_extra)] = out / total
            return scores[(C, C_extra)]

        C = fixed_C if self.C is not None else min(grid, key=lambda c: loss(c, 0.0))
        if self.C_extra is not None or all(b in BASE_BLOCKS for b in self.blocks_):
            C_extra = fixed_extra if self.C_extra is not None else 0.0
        else:
            C_extra = min([0.0, *grid], key=lambda c: loss(C, c))
        return C, C_extra, scores

    def _store(self, W: np.ndarray, X: OneHot, w) -> None:
        """Coefficient tables by block, each with its training-weighted mean as the last row (a missing column,
        and any level never seen in training)."""
        feature_weight = X.tdot(w)
        o = X.offsets
        for i in range(len(self.blocks_)):
            table, fw = W[o[i]:o[i + 1]], feature_weight[o[i]:o[i + 1]]
            mean = (fw @ table) / fw.sum() if fw.sum() > 0 else np.zeros(W.shape[1])
            table = np.where((fw > 0)[:, None], table, mean[None, :])
            self.coef_[i] = np.vstack([table, mean[None, :]])

    # ---------------------------------------------------------------- predict
    def _eta(self, frame, statut, categorie, age, tenure) -> np.ndarray:
        """Logit of each motive: (n, K) for ``age`` (n,), (n, horizon, K) for ``age`` (n, horizon)."""
        sg, cat = statut_group(statut).astype(np.int64), category_code(categorie).astype(np.int64)
        eta = np.zeros(age.shape + (len(self.motives_),))
        for b, table in zip(self.blocks_, self.coef_):
            code = encode(b, frame, sg, cat, age, tenure)
            code = np.where(code == MISSING_COLUMN, len(table) - 1, code)
            eta += table[code].reshape(code.shape + (1,) * (age.ndim - code.ndim) + (-1,))
        return eta

    def predict_hazards(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Annual exit probability by motive for each row (its statut, categorie, age, tenure and whatever else
        it carries): frame, one column per motive of ``motives_``, same index."""
        check_is_fitted(self, "coef_")
        cov = covariate_frame(frame.reset_index(drop=True))
        nan = pd.Series(np.nan, index=cov.index, dtype=object)
        eta = self._eta(cov, cov[STATUT] if STATUT in cov.columns else nan,
                        cov[CATEGORIE] if CATEGORIE in cov.columns else nan, self._num(cov, AGE),
                        self._num(cov, TENURE))
        return pd.DataFrame(_hazards_from_logits(eta), index=frame.index, columns=list(self.motives_))

    def predict_hazard(self, frame: pd.DataFrame) -> np.ndarray:
        """P(any non-retirement exit during the year), shape (n,): the sum over motives."""
        return self.predict_hazards(frame).to_numpy().sum(axis=1)

    def hazards(self, statut, categorie, age, tenure, horizon: int, dtype=np.float32, *,
                covariates: pd.DataFrame | None = None) -> np.ndarray:
        """Hazards over the next ``horizon`` years: array (n, horizon, n_motives). Age and tenure (years at the
        start, tenure NaN unknown) grow one year a year; statut, catégorie and the other covariates, read from
        ``covariates`` (the agents' frame, row for row; None: the average agent), stay."""
        check_is_fitted(self, "coef_")
        age = np.asarray(age, dtype=np.float64)
        ten = np.asarray(tenure, dtype=np.float64)
        statut, categorie = np.asarray(statut, dtype=object), np.asarray(categorie, dtype=object)
        n, K = len(age), len(self.motives_)
        out = np.zeros((n, horizon, K), dtype)
        if n == 0 or K == 0 or horizon == 0:
            return out
        cov = covariate_frame(covariates.reset_index(drop=True)) if covariates is not None else None
        steps = np.arange(horizon, dtype=np.float64)
        for lo in range(0, n, CHUNK):
            sl = slice(lo, lo + CHUNK)
            part = cov.iloc[sl] if cov is not None else None
            eta = self._eta(part, statut[sl], categorie[sl], age[sl, None] + steps, ten[sl, None] + steps)
            out[sl] = _hazards_from_logits(eta)
        return out

    def score(self, panel: pd.DataFrame, y=None) -> float:
        """Negative Brier score of P(any other exit) on the panel's full-year rows (higher is better, the
        scikit-learn convention); :func:`workforce.forecast.exits_metrics.exit_metrics` gives AUC and skill."""
        from workforce.forecast.exits_metrics import exit_metrics

        return -exit_metrics(self, panel)["brier"]

    def coefficients(self) -> pd.DataFrame:
        """The fitted coefficients, one row per block and level: ``block, level, motive, coef`` (for reading
        which covariates matter)."""
        check_is_fitted(self, "coef_")
        rows = []
        for b, table in zip(self.blocks_, self.coef_):
            labels = (list(b.levels) if b.kind == "levels" else list(range(b.size))) + ["(moyenne)"]
            for j, motive in enumerate(self.motives_):
                rows.append(pd.DataFrame({"block": b.name, "level": labels, "motive": motive, "coef": table[:, j]}))
        return pd.concat(rows, ignore_index=True)
