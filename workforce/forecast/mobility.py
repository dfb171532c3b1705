"""Internal mobility: a métier-to-métier and direction-to-direction Markov chain estimated from the history.

Why: a département moves a few percent of its agents a year between métiers (mostly within a famille) and
between directions; over ten years that reshapes the supply of a métier as much as retirements do.

Structure. Each year an agent in métier ``a`` and direction ``x`` either

* changes métier with probability ``r[a]``: the new métier ``b`` is drawn from ``dest_metier_[a]`` (never
  ``a`` itself) and the new direction from where métier ``b`` sits (``direction_given_metier_[b]``, the
  exposure shares of ``b`` by direction: a métier change usually brings the direction of the new métier);
* changes direction only with probability ``q[a]``: the new direction from ``dest_direction_[x]``;
* or stays.

Small cells are noisy, so every rate and every destination distribution is shrunk toward its famille's, which
is shrunk toward the whole employer's (empirical Bayes with ``shrinkage`` pseudo agent-years or pseudo moves):
``rate_a = (moves_a + s * rate_famille) / (agent_years_a + s)``. Rates are per agent-year, turned into annual
probabilities by ``1 - exp(-rate)``.

Inputs are frames (never the database): internal movements (db.Movement columns) and exposure, agent-years by
métier and direction with the métier's famille; :func:`mobility_inputs` builds both from monthly snapshots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce.columns import (
    DIRECTION, FAMILLE, FROM_DIRECTION, FROM_METIER, INTERNAL, KIND, METIER_CODE, TO_DIRECTION, TO_METIER,
)

AGENT_YEARS = "agent_years"
RATE_LEVELS = ("metier", "employer")


def mobility_inputs(snapshots: pd.DataFrame, movements: pd.DataFrame, familles=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(moves, exposure)`` for :meth:`MobilityMatrix.fit` from snapshots and movements.

    Exposure is agent-years by métier and direction: snapshot rows / number of snapshots per year (12 for
    monthly extracts). ``familles`` maps métier code to famille (Series, dict or the referential's métiers
    frame); missing: each métier is its own famille.
    """
    dates = pd.to_datetime(snapshots["extract_date"])
    n_dates = dates.nunique()
    span_years = max((dates.max() - dates.min()).days / 365.25, 0.0)
    per_year = (n_dates - 1) / span_years if span_years > 0 and n_dates > 1 else 1.0
    exposure = (snapshots.groupby([METIER_CODE, DIRECTION], observed=True).size() / per_year).rename(AGENT_YEARS)
    exposure = exposure.reset_index()
    exposure[FAMILLE] = _famille_map(exposure[METIER_CODE], familles)
    moves = movements.loc[movements[KIND] == INTERNAL,
                          [FROM_METIER, TO_METIER, FROM_DIRECTION, TO_DIRECTION]].reset_index(drop=True)
    return moves, exposure


def _famille_map(codes: pd.Series, familles) -> pd.Series:
    if familles is None:
        return codes.astype(object)
    if isinstance(familles, pd.DataFrame):
        familles = familles.set_index("code")["famille"]
    mapping = pd.Series(familles) if isinstance(familles, dict) else familles
    return codes.map(mapping).fillna(codes).astype(object)


class MobilityMatrix(BaseEstimator):
    """Annual internal mobility: métier change (destination métier, then its direction) or direction change.

    Parameters
    ----------
    shrinkage : float
        Pseudo agent-years (rates) and pseudo moves (destinations) of the parent level added to each cell.
    rates : {"metier", "employer"}
        ``metier``: each métier's own rates of moving, shrunk as above; ``employer``: the pooled fallback of a
        history too short (or a backtest too poor) to tell métiers apart, every métier at the employer-wide
        rates (destinations are still learned as above).

    Attributes
    ----------
    metiers_, directions_ : ndarray of str
        States, in the order of every array below.
    familles_ : ndarray of str
        Famille of each métier.
    p_metier_ : ndarray (M,)
        Annual probability of changing métier, by origin métier.
    p_direction_ : ndarray (M,)
        Annual probability of changing direction only, by métier.
    dest_metier_ : ndarray (M, M)
        Destination métier given a métier change (rows sum to 1, zero diagonal; zero rows where no move is
        possible).
    direction_given_metier_ : ndarray (M, D)
        Direction of an agent arriving in a métier (rows sum to 1).
    dest_direction_ : ndarray (D, D)
        Destination direction given a direction-only change (rows sum to 1, zero diagonal).
    """

    def __init__(self, *, shrinkage: float = 20.0, rates: str = "metier"):
        self.shrinkage = shrinkage
        self.rates = rates

    def fit(self, moves: pd.DataFrame, exposure: pd.DataFrame) -> "MobilityMatrix":
        """Fit from internal ``moves`` (from/to métier and direction) and ``exposure`` (metier_code, direction,
        famille, agent_years)."""
        if not (0 <= self.shrinkage < np.inf):
            raise ValueError(f"shrinkage must be >= 0 and finite, got {self.shrinkage!r}")
        if self.rates not in RATE_LEVELS:
            raise ValueError(f"unknown rates {self.rates!r}; allowed: {', '.join(RATE_LEVELS)}")
        for name, frame, cols in (("moves", moves, (FROM_METIER, TO_METIER, FROM_DIRECTION, TO_DIRECTION)),
                                  ("exposure", exposure, (METIER_CODE, DIRECTION, AGENT_YEARS))):
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise ValueError(f"{name} lacks column(s) {', '.join(missing)}: see mobility_inputs()")
        if KIND in moves.columns:
            moves = moves[moves[KIND] == INTERNAL]
        moves = moves.dropna(subset=[FROM_METIER, TO_METIER, FROM_DIRECTION, TO_DIRECTION])
        exposure = exposure[exposure[AGENT_YEARS] > 0]
        if exposure.empty:
            raise ValueError("exposure is empty: no agent-year to estimate mobility from")
        fam = exposure[FAMILLE] if FAMILLE in exposure.columns else exposure[METIER_CODE]
        fam_of = pd.Series(fam.to_numpy(object), index=exposure[METIER_CODE].to_numpy(object))
        fam_of = fam_of[~fam_of.index.duplicated()]
        metiers = np.array(sorted(set(exposure[METIER_CODE]) | set(moves[FROM_METIER]) | set(moves[TO_METIER])), dtype=object)
        directions = np.array(sorted(set(exposure[DIRECTION]) | set(moves[FROM_DIRECTION])
                                     | set(moves[TO_DIRECTION])), dtype=object)
        familles = pd.Series(metiers).map(fam_of).fillna(pd.Series(metiers)).to_numpy(object)
        self._fit_arrays(moves, exposure, metiers, directions, familles)
        return self

    def _fit_arrays(self, moves, exposure, metiers, directions, familles) -> None:
        s = float(self.shrinkage)
        M, D = len(metiers), len(directions)
        mi = {m: i for i, m in enumerate(metiers)}
        di = {d: i for i, d in enumerate(directions)}
        fam_codes, fam_idx = np.unique(familles.astype(str), return_inverse=True)
        F = len(fam_codes)

        exp_md = np.zeros((M, D))
        np.add.at(exp_md, (exposure[METIER_CODE].map(mi).to_numpy(int), exposure[DIRECTION].map(di).to_numpy(int)),
                  exposure[AGENT_YEARS].to_numpy(float))
        n_a = exp_md.sum(axis=1)
        a = moves[FROM_METIER].map(mi).to_numpy(int)
        b = moves[TO_METIER].map(mi).to_numpy(int)
        x = moves[FROM_DIRECTION].map(di).to_numpy(int)
        y = moves[TO_DIRECTION].map(di).to_numpy(int)
        change_m = a != b
        change_d = ~change_m & (x != y)

        def shrunk_rate(events_by_metier: np.ndarray) -> np.ndarray:
            total = events_by_metier.sum() / max(n_a.sum(), 1e-12)
            if self.rates == "employer":
                return np.full(M, 1.0 - np.exp(-total))
            ev_f = np.bincount(fam_idx, weights=events_by_metier, minlength=F)
            n_f = np.bincount(fam_idx, weights=n_a, minlength=F)
            rate_f = (ev_f + s * total) / np.maximum(n_f + s, 1e-12)
            rate = (events_by_metier + s * rate_f[fam_idx]) / np.maximum(n_a + s, 1e-12)
            return 1.0 - np.exp(-rate)

        k_m = np.bincount(a[change_m], minlength=M).astype(float)
        k_d = np.bincount(a[change_d], minlength=M).astype(float)
        self.p_metier_ = shrunk_rate(k_m)
        self.p_direction_ = shrunk_rate(k_d)

        # destination métier: métier counts shrunk to famille counts shrunk to all moves (never self)
        c_ab = np.zeros((M, M))
        np.add.at(c_ab, (a[change_m], b[change_m]), 1.0)
        c_glob = c_ab.sum(axis=0)
        d_glob = c_glob / c_glob.sum() if c_glob.sum() > 0 else np.full(M, 1.0 / M)
        c_fb = np.zeros((F, M))
        np.add.at(c_fb, (fam_idx[a[change_m]], b[change_m]), 1.0)
        d_f = (c_fb + s * d_glob) / np.maximum(c_fb.sum(axis=1, keepdims=True) + s, 1e-12)
        dest = (c_ab + s * d_f[fam_idx]) / np.maximum(c_ab.sum(axis=1, keepdims=True) + s, 1e-12)
        np.fill_diagonal(dest, 0.0)
        rows = dest.sum(axis=1, keepdims=True)
        self.dest_metier_ = np.divide(dest, rows, out=np.zeros_like(dest), where=rows > 0)
        self.p_metier_ = np.where(rows[:, 0] > 0, self.p_metier_, 0.0)

        # direction of an arrival in métier b: where b's agent-years are (else where everyone is)
        glob_dir = exp_md.sum(axis=0) / exp_md.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            given = np.where(n_a[:, None] > 0, exp_md / n_a[:, None], glob_dir[None, :])
        self.direction_given_metier_ = given

        # direction-only change: origin-direction counts shrunk toward the destinations of all such moves
        c_xy = np.zeros((D, D))
        np.add.at(c_xy, (x[change_d], y[change_d]), 1.0)
        g = c_xy.sum(axis=0) + exp_md.sum(axis=0) / max(exp_md.sum(), 1e-12)  # a little weight everywhere
        g = g / g.sum()
        dd = (c_xy + s * g[None, :]) / np.maximum(c_xy.sum(axis=1, keepdims=True) + s, 1e-12)
        np.fill_diagonal(dd, 0.0)
        rows = dd.sum(axis=1, keepdims=True)
        self.dest_direction_ = np.divide(dd, rows, out=np.zeros_like(dd), where=rows > 0)

        self.agent_years_by_cell_ = exp_md
        self.metiers_ = np.asarray(metiers, dtype=object)
        self.directions_ = np.asarray(directions, dtype=object)
        self.familles_ = np.asarray(familles, dtype=object)
        self.n_moves_ = {"metier": int(change_m.sum()), "direction": int(change_d.sum())}
        self.agent_years_ = float(n_a.sum())

    # ---------------------------------------------------------------- views
    def metier_matrix(self) -> pd.DataFrame:
        """Annual métier-to-métier transition probabilities (rows: from, columns: to; diagonal = stay)."""
        check_is_fitted(self, "dest_metier_")
        m = self.p_metier_[:, None] * self.dest_metier_
        m[np.diag_indices_from(m)] = 1.0 - self.p_metier_
        return pd.DataFrame(m, index=self.metiers_, columns=self.metiers_)

    def direction_matrix(self) -> pd.DataFrame:
        """Annual direction-to-direction transition probabilities (both kinds of move), each origin direction
        averaging its métiers by their agent-years there."""
        check_is_fitted(self, "dest_metier_")
        exp = self.agent_years_by_cell_  # (M, D)
        w = np.divide(exp, exp.sum(axis=0, keepdims=True), out=np.zeros_like(exp), where=exp.sum(axis=0) > 0)
        D = len(self.directions_)
        stay = 1.0 - self.p_metier_ - self.p_direction_
        via_metier = self.p_metier_[:, None] * (self.dest_metier_ @ self.direction_given_metier_)  # (M, D)
        out = np.diag(w.T @ stay) + (w.T @ self.p_direction_)[:, None] * self.dest_direction_ + w.T @ via_metier
        out[w.sum(axis=0) == 0] = np.eye(D)[w.sum(axis=0) == 0]
        return pd.DataFrame(out, index=self.directions_, columns=self.directions_)

    def transitions(self, min_probability: float = 0.0) -> pd.DataFrame:
        """Long frame ``from_metier, to_metier, probability`` of métier changes above ``min_probability``."""
        m = self.metier_matrix()
        long = m.stack().rename("probability").rename_axis([FROM_METIER, TO_METIER]).reset_index()
        long = long[(long[FROM_METIER] != long[TO_METIER]) & (long["probability"] > min_probability)]
        return long.sort_values("probability", ascending=False).reset_index(drop=True)

    # ---------------------------------------------------------------- engine operator
    def operator(self, metiers, directions) -> "MobilityOperator":
        """The chain re-indexed on the engine's métier and direction lists (unknown ones never move)."""
        check_is_fitted(self, "dest_metier_")
        mi = pd.Index(self.metiers_).get_indexer(pd.Index(list(metiers), dtype=object))
        di = pd.Index(self.directions_).get_indexer(pd.Index(list(directions), dtype=object))
        M, D = len(mi), len(di)
        okm, okd = mi >= 0, di >= 0
        r = np.where(okm, self.p_metier_[np.clip(mi, 0, None)], 0.0)
        q = np.where(okm, self.p_direction_[np.clip(mi, 0, None)], 0.0)
        dest = np.zeros((M, M))
        sub = self.dest_metier_[np.ix_(np.clip(mi, 0, None), np.clip(mi, 0, None))]
        dest[np.ix_(okm, okm)] = sub[np.ix_(okm, okm)]
        given = np.zeros((M, D))
        g = self.direction_given_metier_[np.ix_(np.clip(mi, 0, None), np.clip(di, 0, None))]
        given[np.ix_(okm, okd)] = g[np.ix_(okm, okd)]
        dd = np.zeros((D, D))
        sub = self.dest_direction_[np.ix_(np.clip(di, 0, None), np.clip(di, 0, None))]
        dd[np.ix_(okd, okd)] = sub[np.ix_(okd, okd)]
        return MobilityOperator.build(r, q, dest, given, dd)


class MobilityOperator:
    """One year of mobility on arrays of mass by (…, métier, direction): expected (:meth:`apply`) or drawn
    agent by agent (:meth:`draw`). Rows that lose their destination (a métier or direction the model never
    saw) are renormalised; where nothing remains the agent stays."""

    def __init__(self, r, q, dest, given, dd, has_dd):
        self.r, self.q, self.dest, self.given, self.dd, self.has_dd = r, q, dest, given, dd, has_dd
        self.q_eff = q[:, None] * has_dd[None, :]  # (M, D): direction-only moves where a destination exists
        self.stay = (1.0 - r)[:, None] - self.q_eff  # (M, D)
        self.dd_t = np.ascontiguousarray(dd.T)
        self.moves = bool(np.any(r > 0) or np.any(q > 0))
        self.dest_cum = np.cumsum(dest, axis=1)
        self.given_cum = np.cumsum(given, axis=1)
        self.dd_cum = np.cumsum(dd, axis=1)
        # rows of the cumulative tables laid end to end (row i shifted by 2 i) for one searchsorted over all rows
        self._flat = {name: (cum + 2.0 * np.arange(len(cum))[:, None]).ravel()
                      for name, cum in (("dest", self.dest_cum), ("given", self.given_cum), ("dd", self.dd_cum))}

    @classmethod
    def build(cls, r, q, dest, given, dd) -> "MobilityOperator":
        def norm(m):
            s = m.sum(axis=1, keepdims=True)
            return np.divide(m, s, out=np.zeros_like(m), where=s > 0), s[:, 0] > 0

        dest, has_dest = norm(dest)
        given, _ = norm(given)
        dd, has_dd = norm(dd)
        # rows of ``given`` that are all zero get a uniform spread so mass is never lost
        empty = given.sum(axis=1) == 0
        given[empty] = 1.0 / given.shape[1]
        r = np.where(has_dest, r, 0.0)
        return cls(r, q, dest, given, dd, has_dd)

    @classmethod
    def identity(cls, M: int, D: int) -> "MobilityOperator":
        return cls(np.zeros(M), np.zeros(M), np.zeros((M, M)), np.full((M, D), 1.0 / D), np.zeros((D, D)),
                   np.zeros(D, bool))

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Mass after one year of mobility; X has shape (..., M, D). Mass is conserved exactly."""
        if not self.moves:
            return X.copy()
        M, D = self.stay.shape
        lead = X.shape[:-2]
        rows = X.sum(axis=-1)  # (..., M)
        arrivals = (rows * self.r) @ self.dest  # (..., M)
        out = X * self.stay
        moved_dir = (X * self.q_eff).reshape(-1, D) @ self.dd  # direction-only moves
        out += moved_dir.reshape(*lead, M, D)
        out += arrivals[..., :, None] * self.given
        return out

    def as_dtype(self, dtype) -> "MobilityOperator":
        """The same chain with arrays in ``dtype`` (float32 halves the memory traffic of :meth:`apply_`)."""
        cast = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
        op = MobilityOperator(cast(self.r), cast(self.q), cast(self.dest), cast(self.given), cast(self.dd),
                              self.has_dd)
        op.q_eff, op.stay = cast(self.q_eff), cast(self.stay)
        return op

    def apply_(self, X: np.ndarray, buf: np.ndarray | None = None) -> np.ndarray:
        """:meth:`apply` in place (X is overwritten with the result; ``buf`` an optional scratch array of X's
        shape). Fewer passes over memory: the engine moves every year's flows with it."""
        if not self.moves:
            return X
        M, D = self.stay.shape
        rows = X @ np.ones(D, dtype=X.dtype)  # (..., M): a matrix-vector product beats a reduction over 14
        arrivals = (rows * self.r) @ self.dest  # (..., M)
        buf = np.empty_like(X) if buf is None else buf[: len(X)]
        np.multiply(X, self.q_eff, out=buf)
        moved_dir = buf.reshape(-1, D) @ self.dd
        X *= self.stay
        X += moved_dir.reshape(X.shape)
        np.multiply(arrivals[..., :, None], self.given, out=buf)
        X += buf
        return X

    def stay_share(self) -> np.ndarray:
        """(M, D) probability of not moving, matching :meth:`apply`."""
        return self.stay

    def move_probability(self) -> np.ndarray:
        """(M, D) annual probability of any move from each (métier, direction)."""
        return 1.0 - self.stay

    def draw_movers(self, metier: np.ndarray, direction: np.ndarray, rng: np.random.Generator):
        """Destinations of agents known to move this year (conditional on a move): new (métier, direction)."""
        metier = metier.copy()
        direction = direction.copy()
        if len(metier) == 0:
            return metier, direction
        r = self.r[metier]
        q = self.q_eff[metier, direction]
        change_m = rng.random(len(metier)) * np.maximum(r + q, 1e-300) < r
        i = np.flatnonzero(change_m)
        if len(i):
            new_m = self._choose("dest", metier[i], rng.random(len(i)))
            metier[i], direction[i] = new_m, self._choose("given", new_m, rng.random(len(i)))
        j = np.flatnonzero(~change_m)
        if len(j):
            direction[j] = self._choose("dd", direction[j], rng.random(len(j)))
        return metier, direction

    def _choose(self, table: str, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw in each agent's row of a cumulative table: the column whose cumulative
        probability first exceeds ``u`` (``(u >= cum[row]).sum()``, by one binary search)."""
        flat = self._flat[table]
        ncol = {"dest": self.dest_cum.shape[1], "given": self.given_cum.shape[1], "dd": self.dd_cum.shape[1]}[table]
        pos = np.searchsorted(flat, u + 2.0 * rows, side="right") - rows * ncol
        return np.clip(pos, 0, ncol - 1)

    def draw(self, metier: np.ndarray, direction: np.ndarray, rng: np.random.Generator):
        """New (métier, direction) of each agent after one year (arrays of indices); returns copies."""
        metier = np.asarray(metier).copy()
        direction = np.asarray(direction).copy()
        if not self.moves or len(metier) == 0:
            return metier, direction
        moving = np.flatnonzero(rng.random(len(metier)) < 1.0 - self.stay[metier, direction])
        metier[moving], direction[moving] = self.draw_movers(metier[moving], direction[moving], rng)
        return metier, direction
