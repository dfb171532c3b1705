"""Retirement: a discrete-time hazard learned from the person-year panel, with the law as hard constraints;
the agents' covariates rolled over the forecast years, and the AOD schedule. The per-agent and aggregated
forecast with its Monte Carlo bands is :mod:`workforce.forecast.retirement_forecast`.

The hazard h = P(retire during the year | present at its start) has three regimes, set by the law:

* ``limit``: the age limit falls in the year (or has passed): h = 1, leaving is certain.
* ``eligible``: the AOD falls in the year or before it: a logistic regression on the position relative to
  the AOD (month of the year it falls in, years since), age, catégorie, sex, statut, filière, effective
  service category, missing insurance quarters and tenure.
* ``early``: the AOD falls after the year: the law allows no ordinary retirement, only the early channels the
  data shows: invalidity (a logistic regression by age, statut, sex, catégorie) and the other early
  departures, chiefly carrière longue (a logistic regression by months before the AOD, catégorie, age at
  career start and statut). The early window, how many months before the AOD such departures happen, is
  learned (a high quantile of the observed ones); outside it that channel is exactly zero.

The raw sum is calibrated (isotonic or Platt) on out-of-fold predictions, folds grouped by agent, then the
hard constraints are applied again (zero stays zero, the age limit stays 1).

Partial years: a panel row observed over part of a year (the first year of a history anchored on a 31 January
extract) counts its retirements fully and its non-events for the observed share of the year (the weight of a
non-event is its exposure), as the exit model does; counting it as a full year understated the hazards.

Hazard uncertainty: the fit also estimates, on the log-odds scale, the error of the hazards' level
(``level_sd_``, agent bootstrap of observed / expected retirements on the training rows) and the
year-to-year dispersion of the training years' totals beyond the binomial one (``year_sd_``); the
forecast's and the projection's Monte Carlo draw them (:mod:`workforce.forecast.retirement_forecast`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted

from workforce import panel as P
from workforce import rules
from workforce.forecast.hazard import CALIBRATIONS, Calibrator, CellLogit, decode

# segments of the law
LIMIT, ELIGIBLE, EARLY = "limit", "eligible", "early"
SEGMENTS = (LIMIT, ELIGIBLE, EARLY)
UNKNOWN = "inconnu"
FONCTIONNAIRE_STATUTS = ("titulaire", "stagiaire")

# groupings of the forecasts
GROUP_BY = ("direction", "metier", "categorie", "filiere")
"""Groupings the aggregated forecast offers, mapped to panel columns by :data:`GROUP_COLUMNS`."""
GROUP_COLUMNS = {"direction": P.DIRECTION, "metier": P.METIER_CODE, "categorie": P.CATEGORIE, "filiere": P.FILIERE}
TOTAL = "total"

N_BOOTSTRAP = 200
"""Agent bootstrap replicates behind ``level_sd_`` (its own Monte Carlo error is about 5 % of it)."""


# ============================================================================================== rows

class CovariateRows:
    """Covariate rows read column by column: numbers as float arrays, text as codes into a small vocabulary
    (a missing value reads « inconnu »).

    Why: the models score the panel (a frame, at fit and backtest) and the engine's agents x forecast years
    (millions of rows whose text is the agents' own, repeated each year). The features are written once against
    this reading, so both go through the same code, and the engine's text never becomes per-row strings.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def index(self) -> pd.Index:
        return self.frame.index

    def has(self, col: str) -> bool:
        return col in self.frame.columns

    def num(self, col: str) -> np.ndarray:
        if col not in self.frame.columns:
            return np.full(len(self.frame), np.nan)
        return pd.to_numeric(self.frame[col], errors="coerce").to_numpy(np.float64)

    def text(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        return text_codes(self.frame, col)

    def subset(self, mask: np.ndarray) -> "CovariateRows":
        return CovariateRows(self.frame[mask])


class RolledRows(CovariateRows):
    """The base agents over the forecast years (row ``k * n + i`` is agent ``i`` in year ``k``,
    :func:`roll_rows`): their text kept once per agent as codes, their numbers per row."""

    def __init__(self, texts: dict, numbers: dict, agent: np.ndarray):
        self.texts, self.numbers, self.agent = texts, numbers, agent

    def __len__(self) -> int:
        return len(self.agent)

    @property
    def index(self) -> pd.Index:
        return pd.RangeIndex(len(self.agent))

    def has(self, col: str) -> bool:
        return col in self.numbers or col in self.texts

    def num(self, col: str) -> np.ndarray:
        if col not in self.numbers:
            return np.full(len(self.agent), np.nan)
        return self.numbers[col]

    def text(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        if col not in self.texts:
            return np.zeros(len(self.agent), np.int64), np.array([UNKNOWN], dtype=object)
        codes, vocab, per_row = self.texts[col]
        return (codes if per_row else codes[self.agent]), vocab

    def to_frame(self) -> pd.DataFrame:
        """The rows as a frame (for a model that reads frames only)."""
        texts = {c: np.asarray(self.text(c)[1], dtype=object)[self.text(c)[0]] for c in self.texts}
        return pd.DataFrame({**self.numbers, **texts})

    def subset(self, mask: np.ndarray) -> "RolledRows":
        return _RowsSubset(self, np.flatnonzero(mask))


class _RowsSubset(RolledRows):
    """Some rows of a :class:`RolledRows`, each column gathered when read (a channel reads a few of them)."""

    def __init__(self, parent: RolledRows, rows: np.ndarray):
        self.parent, self.rows = parent, rows
        self.texts, self.numbers, self.agent = parent.texts, parent.numbers, parent.agent[rows]

    def num(self, col: str) -> np.ndarray:
        return self.parent.num(col)[self.rows]

    def text(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        codes, vocab = self.parent.text(col)
        return codes[self.rows], vocab

    def to_frame(self) -> pd.DataFrame:
        return self.parent.to_frame().iloc[self.rows].reset_index(drop=True)

    def subset(self, mask: np.ndarray) -> "RolledRows":
        return _RowsSubset(self.parent, self.rows[mask])


def as_rows(X) -> CovariateRows:
    return X if isinstance(X, CovariateRows) else CovariateRows(X)


# ============================================================================================== features

def _band_codes(values: np.ndarray, edges: Sequence[float], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code of each value in ``labels + [« inconnu »]``: labels[i] for edges[i-1] <= v < edges[i], NaN unknown."""
    v = np.asarray(values, float)
    idx = np.searchsorted(np.asarray(edges, float), v, side="right")
    idx[np.isnan(v)] = len(labels)
    return idx, np.array([*labels, UNKNOWN], dtype=object)


def _band(values: np.ndarray, edges: Sequence[float], labels: Sequence[str]) -> np.ndarray:
    """Label of each value: labels[i] for edges[i-1] <= v < edges[i]; NaN -> "inconnu"."""
    idx, vocab = _band_codes(values, edges, labels)
    return vocab[idx]


def text_codes(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`as_text` as codes into its vocabulary, converting the distinct values only (not every row)."""
    if col not in frame.columns:
        return np.zeros(len(frame), np.int64), np.array([UNKNOWN], dtype=object)
    codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
    vocab = np.array([*(str(u) for u in np.asarray(uniques, dtype=object)), UNKNOWN], dtype=object)
    return np.where(codes < 0, len(vocab) - 1, codes), vocab


def as_text(frame: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` of ``frame`` as text, a missing value (or a missing column) as « inconnu »."""
    if col not in frame.columns:
        return np.full(len(frame), UNKNOWN, dtype=object)
    return frame[col].astype(object).where(frame[col].notna(), UNKNOWN).astype(str).to_numpy(dtype=object)


def statut_codes(rows: CovariateRows) -> tuple[np.ndarray, np.ndarray]:
    codes, vocab = rows.text(P.STATUT)
    vocab = np.asarray(vocab, dtype=object)
    grouped = np.where(np.isin(vocab, FONCTIONNAIRE_STATUTS), "fonctionnaire",
                       np.where(vocab == UNKNOWN, UNKNOWN, "contractuel")).astype(object)
    return codes, grouped


def statut_category(frame) -> np.ndarray:
    """« fonctionnaire », « contractuel » or unknown, as text: the retirement model's statut feature (an unknown
    statut stays its own level; the exit model's :func:`workforce.forecast.exits.statut_group` codes it as
    fonctionnaire instead)."""
    codes, vocab = statut_codes(as_rows(frame))
    return vocab[codes]


SEGMENT_CODES = {LIMIT: 2, ELIGIBLE: 1, EARLY: 0}


def check_knobs(postpone_months: int, aod_share: float | None) -> None:
    if postpone_months < 0:
        raise ValueError(f"postpone_months must be >= 0 (nobody may leave before the AOD), got {postpone_months}")
    if aod_share is not None and not 0 <= aod_share <= 1:
        raise ValueError(f"aod_share must be in [0, 1], got {aod_share!r}")


def segment_codes(months_to_aod: np.ndarray, months_to_limit: np.ndarray) -> np.ndarray:
    """:func:`segment_of` as :data:`SEGMENT_CODES` (int8): the engine's millions of rows need no strings."""
    m_aod = np.asarray(months_to_aod)
    m_lim = np.asarray(months_to_limit)
    return np.where(m_lim <= 11, 2, np.where(m_aod <= 11, 1, 0)).astype(np.int8)


def segment_of(months_to_aod: np.ndarray, months_to_limit: np.ndarray) -> np.ndarray:
    """The law segment of each row: ``limit`` (age limit within the 12 months), ``eligible`` (AOD within them
    or before), ``early`` (AOD after them)."""
    return np.array([EARLY, ELIGIBLE, LIMIT], dtype=object)[segment_codes(months_to_aod, months_to_limit)]


def _eligible_features(X: CovariateRows, m_aod: np.ndarray) -> dict:
    # In the year the AOD falls in, the probability depends on how much of the year is eligible (a spike at
    # the AOD, then a tail): "elig_frac". Age bands act only after that year: inside it, age is the AOD age
    # minus the months to it, and letting both act would blur the shape of the first year.
    in_year = (m_aod >= 0) & (m_aod <= 11)
    pos = np.select([in_year, m_aod >= -12, m_aod >= -24, m_aod >= -36], [0, 1, 2, 3], 4)
    age, ages = _band_codes(np.floor(X.num(P.AGE)), [57, 60, 61, 62, 63, 64, 65, 66],
                            ["<57", "57-59", "60", "61", "62", "63", "64", "65", "66+"])
    gap = X.num(P.REQUIRED_QUARTERS) - X.num(P.QUARTERS)
    return {
        "pos": (pos, np.array(["aod_year", "post1", "post2", "post3", "post4"], dtype=object)),
        "elig_frac": np.where(in_year, (12 - m_aod) / 12.0, 0.0),
        "age": (np.where(in_year, len(ages), age), np.append(ages, "aod_year")),
        "quarters_gap": _band_codes(gap, [1, 9, 21], ["0", "1-8", "9-20", "21+"]),
        "tenure": _band_codes(X.num(P.TENURE), [5, 15], ["<5", "5-14", "15+"]),
        "sex": X.text(P.SEX), "categorie": X.text(P.CATEGORIE), "statut": statut_codes(X),
        "filiere": X.text(P.FILIERE), "service": X.text(P.EFFECTIVE_CATEGORY),
    }


def _invalidity_features(X: CovariateRows) -> dict:
    return {
        "age": _band_codes(np.floor(X.num(P.AGE)), [40, 45, 50, 55, 57, 59, 61],
                           ["<40", "40-44", "45-49", "50-54", "55-56", "57-58", "59-60", "61+"]),
        "statut": statut_codes(X), "sex": X.text(P.SEX), "categorie": X.text(P.CATEGORIE),
    }


def _anticipated_features(X: CovariateRows, m_aod: np.ndarray) -> dict:
    return {
        "before_aod": _band_codes(m_aod, [18, 24, 30, 36, 48, 60], ["12-17", "18-23", "24-29", "30-35", "36-47",
                                                                   "48-59", "60+"]),
        "start_work": _band_codes(X.num(P.START_WORK_AGE), [19, 21, 23], ["<19", "19-20", "21-22", "23+"]),
        "categorie": X.text(P.CATEGORIE), "statut": statut_codes(X), "sex": X.text(P.SEX),
    }


COVARIATE_SETS = ("full", "pooled")
POOLED_FEATURES = {"eligible": ("pos", "elig_frac"), "invalidity": ("age",), "anticipated": ("before_aod",)}
"""Features each channel keeps under ``covariates="pooled"``: the position relative to the law only (where the
AOD falls, years since it, age for invalidity, months before the AOD), every other group pooled."""


def _months_before_aod(event: np.ndarray, aod: np.ndarray) -> np.ndarray:
    return P.month_index(aod) - P.month_index(event)


# ============================================================================================== estimator

class RetirementHazard(BaseEstimator):
    """Discrete-time retirement hazard P(retire during the year | present at its start), with the law as hard
    constraints.

    Parameters
    ----------
    C : float
        Inverse L2 penalty of the logistic regressions (see :class:`CellLogit`).
    calibration : {"isotonic", "sigmoid", "none"}
        Calibration of the raw probabilities on out-of-fold predictions.
    cv : int
        Folds (grouped by agent) for the out-of-fold predictions the calibrator learns from.
    min_exposure : float
        Panel rows observed over a shorter share of a year are not fitted (a first year anchored on a
        31 January extract is 0.92).
    early_quantile : float
        The early window is this quantile of the months between the early (non-invalidity) retirements and the
        AOD, so one stray record does not open the channel years before the AOD.
    covariates : {"full", "pooled"}
        ``full``: every feature of the channels; ``pooled``: the fallback for thin histories, only the position
        relative to the law (:data:`POOLED_FEATURES`), catégorie, sex, statut, filière... pooled.
    n_boot : int
        Agent bootstrap replicates for ``level_sd_`` (0: no estimate, bands from the agent draws only).
    random_state : int or None
        Seed of the bootstrap (the fit is otherwise deterministic).

    Attributes
    ----------
    eligible_, invalidity_, anticipated_ : CellLogit
        The three channel models.
    calibrator_ : Calibrator
    early_window_months_ : int
        Months before the AOD from which early (non-invalidity) retirements happen; -1 if the data shows none.
    aod_share_ : float
        Mean fitted probability of retiring in the year the AOD falls in (the reference of the ``aod_share``
        scenario knob).
    n_rows_, n_events_ : int
        Fitted person-years and retirements.
    level_sd_ : float
        Standard deviation, on the log-odds scale, of the estimation error of the hazards' level: the agent
        bootstrap's standard deviation of log(observed / expected) over the uncertain rows, divided by
        d log(expected) / d log-odds (the mean of 1 - h weighted by h).
    year_sd_ : float
        Standard deviation, on the log-odds scale, of a year's own effect: the variance of the full training
        years' relative residuals (observed - expected) / expected beyond the binomial one, 0 when none.
    horizon_sd_ : tuple of float (absent until set)
        Extra yearly log-odds dispersion per forecast horizon, set by the training after the multi-year
        backtest (:func:`workforce.evaluation.band_calibration`): not learned by ``fit``, which sees one history.
    """

    def __init__(self, *, C=1.0, calibration="sigmoid", cv=5, min_exposure=0.9, early_quantile=0.99,
                 covariates="full", n_boot=N_BOOTSTRAP, random_state=0):
        self.C = C
        self.calibration = calibration
        self.cv = cv
        self.min_exposure = min_exposure
        self.early_quantile = early_quantile
        self.covariates = covariates
        self.n_boot = n_boot
        self.random_state = random_state

    # ------------------------------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame, y=None):
        """Fit on a person-year panel (:func:`workforce.panel.build_panel`); ``y`` is ignored (the outcome is
        the panel's ``outcome`` column)."""
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"unknown calibration {self.calibration!r}; allowed: {', '.join(CALIBRATIONS)}")
        if not 0 < self.early_quantile <= 1:
            raise ValueError(f"early_quantile must be in (0, 1], got {self.early_quantile!r}")
        if self.cv < 2:
            raise ValueError(f"cv must be >= 2, got {self.cv!r}")
        if self.covariates not in COVARIATE_SETS:
            raise ValueError(f"unknown covariates {self.covariates!r}; allowed: {', '.join(COVARIATE_SETS)}")
        missing = [c for c in (P.AGENT_ID, P.OUTCOME, P.MOTIVE, P.EVENT_DATE, P.EXPOSURE, *P.COVARIATE_COLUMNS)
                   if c not in X.columns]
        if missing:
            raise ValueError(f"the panel lacks column(s) {', '.join(missing)}: build it with workforce.panel.build_panel")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot!r}")
        rows = X[X[P.EXPOSURE] >= self.min_exposure].reset_index(drop=True)
        if rows.empty:
            raise ValueError("no panel row with a full year observed: the history is too short to fit")
        retired = (rows[P.OUTCOME] == P.RETIREMENT).to_numpy()
        # a non-event observed over part of a year counts for that part; an event counts fully
        weight = np.where(retired, 1.0, np.clip(rows[P.EXPOSURE].to_numpy(float), 0.0, 1.0))
        self.n_rows_ = len(rows)
        self.n_events_ = int(retired.sum())

        m_aod = rows[P.MONTHS_TO_AOD].to_numpy(np.int64)
        seg = segment_of(m_aod, rows[P.MONTHS_TO_LIMIT].to_numpy(np.int64))
        invalid = retired & (rows[P.MOTIVE].to_numpy(object) == P.INVALIDITY)
        anticipated = retired & ~invalid & (seg == EARLY)
        before = _months_before_aod(rows[P.EVENT_DATE].to_numpy("datetime64[D]"),
                                    rows[P.AOD_DATE].to_numpy("datetime64[D]"))[anticipated]
        self.early_window_months_ = int(np.ceil(np.quantile(before, self.early_quantile))) if len(before) else -1

        window = (seg == EARLY) & (m_aod <= self.early_window_months_ + 11)
        channels = self._channel_data(rows, m_aod, seg, retired, invalid, window, weight)
        fit_rows = seg != LIMIT
        oof = np.zeros(len(rows))
        groups = rows[P.AGENT_ID].to_numpy()
        calibrate = self.calibration != "none" and len(np.unique(groups[fit_rows])) >= self.cv
        if calibrate:
            for train, test in GroupKFold(n_splits=self.cv).split(rows, groups=groups):
                in_train = np.zeros(len(rows), bool)
                in_train[train] = True
                models = [CellLogit(C=self.C).fit(F[in_train[mask]], e[in_train[mask]],
                                                  sample_weight=w[in_train[mask]]) for mask, F, e, w in channels]
                for (mask, F, _, _), model in zip(channels, models):
                    held = ~in_train[mask]
                    oof[np.flatnonzero(mask)[held]] += model.predict_event(F[held])
        self.eligible_, self.invalidity_, self.anticipated_ = [CellLogit(C=self.C).fit(F, e, sample_weight=w)
                                                               for _, F, e, w in channels]
        oof = np.clip(oof, 0.0, 1.0)
        open_ = fit_rows & (oof > 0)
        calibrate = calibrate and 0 < retired[open_].sum() < open_.sum()  # a thin history may show one outcome
        self.calibrator_ = Calibrator(method=self.calibration if calibrate else "none")
        self.calibrator_.fit(oof[open_], retired[open_], sample_weight=weight[open_])
        in_year = (seg == ELIGIBLE) & (m_aod >= 0)
        self.aod_share_ = float(self.predict_hazard(rows[in_year]).mean()) if in_year.any() else float("nan")
        self.level_sd_, self.year_sd_ = self._uncertainty(rows, retired, weight)
        return self

    def _uncertainty(self, rows: pd.DataFrame, retired: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
        """``(level_sd_, year_sd_)`` on the log-odds scale, from the uncertain rows (0 < h < 1) of the fit."""
        h = self.predict_hazard(rows)
        open_ = (h > 0) & (h < 1)
        expected = float((h * weight)[open_].sum())
        if not open_.any() or expected <= 0 or retired[open_].sum() == 0:
            return 0.0, 0.0
        # d log(sum h) / d log-odds = sum h (1 - h) / sum h: turns a relative error of the total into log-odds
        slope = float((h * (1 - h) * weight)[open_].sum()) / expected
        level = 0.0
        if self.n_boot:
            agents, idx = np.unique(rows[P.AGENT_ID].to_numpy()[open_], return_inverse=True)
            obs = np.bincount(idx, weights=retired[open_].astype(float), minlength=len(agents))
            exp = np.bincount(idx, weights=(h * weight)[open_], minlength=len(agents))
            draws = np.random.default_rng(self.random_state).poisson(1.0, (self.n_boot, len(agents)))
            ratio = (draws @ obs) / np.maximum(draws @ exp, 1e-12)
            level = float(np.std(np.log(np.maximum(ratio, 1e-12)), ddof=1)) / slope if self.n_boot > 1 else 0.0
        full = open_ & (rows[P.EXPOSURE].to_numpy(float) >= 1.0 - 1e-9)
        years, yidx = np.unique(rows[P.YEAR].to_numpy()[full], return_inverse=True)
        year_sd = 0.0
        if len(years) >= 3:
            o = np.bincount(yidx, weights=retired[full].astype(float))
            e = np.bincount(yidx, weights=h[full])
            v = np.bincount(yidx, weights=(h * (1 - h))[full])
            excess = float(np.mean((o - e) ** 2 - v)) / float(np.mean(e ** 2))  # relative variance beyond binomial
            year_sd = float(np.sqrt(max(excess, 0.0))) / slope
        return level, year_sd

    def _coded(self, channel: str, X: CovariateRows, m_aod: np.ndarray) -> dict:
        """The features of one channel (``eligible``, ``invalidity``, ``anticipated``) as codes, pooled or not."""
        if channel == "eligible":
            F = _eligible_features(X, m_aod)
        elif channel == "invalidity":
            F = _invalidity_features(X)
        else:
            F = _anticipated_features(X, m_aod)
        return {c: F[c] for c in POOLED_FEATURES[channel]} if self.covariates == "pooled" else F

    def _features(self, channel: str, X: pd.DataFrame, m_aod: np.ndarray) -> pd.DataFrame:
        """The features of one channel as text labels and numbers (what the channel models learn from)."""
        return decode(self._coded(channel, as_rows(X), m_aod))

    def _channel_data(self, rows, m_aod, seg, retired, invalid, window, weight):
        """(rows mask, features, event, weight) of each channel: eligible, invalidity, anticipated."""
        elig = seg == ELIGIBLE
        early = seg == EARLY
        return [
            (elig, self._features("eligible", rows[elig], m_aod[elig]), retired[elig], weight[elig]),
            (early, self._features("invalidity", rows[early], m_aod[early]), invalid[early], weight[early]),
            (window, self._features("anticipated", rows[window], m_aod[window]), (retired & ~invalid)[window],
             weight[window]),
        ]

    def _raw(self, X: CovariateRows, m_aod, seg) -> tuple[np.ndarray, np.ndarray]:
        """Sum of the channels before calibration, and the anticipated (early, non-invalidity) channel alone;
        ``seg`` as :func:`segment_codes`."""
        out = np.zeros(len(X))
        anticipated = np.zeros(len(X))
        elig = seg == SEGMENT_CODES[ELIGIBLE]
        early = seg == SEGMENT_CODES[EARLY]
        if elig.any():
            out[elig] = self.eligible_.predict_coded(self._coded("eligible", X.subset(elig), m_aod[elig]))
        if early.any():
            out[early] = self.invalidity_.predict_coded(self._coded("invalidity", X.subset(early), m_aod[early]))
            window = early & (m_aod <= self.early_window_months_ + 11)
            if window.any():
                anticipated[window] = self.anticipated_.predict_coded(
                    self._coded("anticipated", X.subset(window), m_aod[window]))
                out[window] += anticipated[window]
        return np.clip(out, 0.0, 1.0), anticipated

    # ------------------------------------------------------------------------------------------ predict
    def predict_components(self, X: pd.DataFrame, *, postpone_months: int = 0,
                           aod_share: float | None = None) -> pd.DataFrame:
        """The hazard of each row and how the law shaped it.

        Returns a frame (same index as ``X``) with ``segment``, ``raw`` (sum of the channels before
        calibration), ``anticipated`` (the early non-invalidity channel, raw), ``hazard`` (final).
        ``postpone_months`` and ``aod_share`` are the scenario knobs of :meth:`predict_hazard`.
        """
        rows = as_rows(X)
        seg, raw, anticipated, hazard = self._components(rows, postpone_months, aod_share)
        return pd.DataFrame({"segment": np.array([EARLY, ELIGIBLE, LIMIT], dtype=object)[seg], "raw": raw,
                             "anticipated": anticipated, "hazard": hazard}, index=rows.index)

    def predict_certain(self, X, *, postpone_months: int = 0,
                        aod_share: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(hazard, certain)``: the hazard of each row and whether leaving is certain (the age limit), what the
        engine reads over its agents x years (:class:`RolledRows`)."""
        seg, _, _, hazard = self._components(as_rows(X), postpone_months, aod_share)
        return hazard, seg == SEGMENT_CODES[LIMIT]

    def _components(self, rows: CovariateRows, postpone_months: int, aod_share: float | None):
        check_is_fitted(self)
        check_knobs(postpone_months, aod_share)
        m_aod = rows.num(P.MONTHS_TO_AOD).astype(np.int64) + int(postpone_months)
        seg = segment_codes(m_aod, rows.num(P.MONTHS_TO_LIMIT).astype(np.int64))
        raw, anticipated = self._raw(rows, m_aod, seg)
        hazard = np.where(raw > 0, self.calibrator_.transform(raw), 0.0)
        if aod_share is not None and self.aod_share_ > 0:
            in_year = (seg == SEGMENT_CODES[ELIGIBLE]) & (m_aod >= 0)
            hazard = np.where(in_year, hazard * (aod_share / self.aod_share_), hazard)
        hazard = np.where(seg == SEGMENT_CODES[LIMIT], 1.0, np.clip(hazard, 0.0, 1.0))
        return seg, raw, anticipated, hazard

    def predict_hazard(self, X: pd.DataFrame, *, postpone_months: int = 0,
                       aod_share: float | None = None) -> np.ndarray:
        """P(retire during the year | present at its start), shape (n,), law constraints applied.

        Parameters
        ----------
        X : DataFrame
            Panel-like rows with :data:`workforce.panel.COVARIATE_COLUMNS` (from :func:`workforce.panel.covariates`).
        postpone_months : int
            Scenario knob: departures happen as if the AOD came this many months later (until then the early
            channels act as they do before the AOD); the age limit still forces departure.
        aod_share : float or None
            Scenario knob: the probability of retiring in the year the AOD falls in, on average (None keeps the
            learned :attr:`aod_share_`); the hazards of those years are scaled by ``aod_share / aod_share_``.
        """
        return self.predict_components(X, postpone_months=postpone_months, aod_share=aod_share)["hazard"].to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn view: columns P(stay or other exit), P(retire)."""
        h = self.predict_hazard(X)
        return np.column_stack([1.0 - h, h])


# ============================================================================================== forecast years

def forecast_start(base: pd.DataFrame) -> np.datetime64:
    """First day of the forecast: the day after the base extract."""
    return rules.as_dates(base[P.EXTRACT_DATE]).max() + np.timedelta64(1, "D")


def roll_covariates(base: pd.DataFrame, start, horizon: int, regime: str) -> pd.DataFrame:
    """The base agents repeated for each of ``horizon`` 12-month years from ``start``, with the covariates of
    each year under ``regime``: ages, months to the AOD and to the limit, tenure; insurance quarters grow by 4
    and active service by 1 a year (agents in active posts); statut, métier and direction stay as they are.

    Rows are ordered year-major: row ``k * n + i`` is agent ``i`` in year ``k``. Adds ``year`` (the calendar
    year the 12 months end in, i.e. the year itself when the base is a 31 December extract) and ``step`` (0..).
    """
    n = len(base)
    start_day = rules.as_dates([start])[0]
    steps = np.repeat(np.arange(horizon), n)
    rows = base.iloc[np.tile(np.arange(n), horizon)].reset_index(drop=True)
    starts = rules.add_months(np.full(n * horizon, start_day), 12 * steps)
    ends = rules.add_months(starts, 12) - np.timedelta64(1, "D")
    if P.QUARTERS in rows.columns:
        rows[P.QUARTERS] = pd.to_numeric(rows[P.QUARTERS], errors="coerce") + 4.0 * steps
    if P.ACTIVE_YEARS in rows.columns and P.SERVICE_CATEGORY in rows.columns:
        in_active = rows[P.SERVICE_CATEGORY].astype(object).isin(["active", "insalubre"]).to_numpy()
        rows[P.ACTIVE_YEARS] = pd.to_numeric(rows[P.ACTIVE_YEARS], errors="coerce") + np.where(in_active, steps, 0)
    out = P.covariates(rows, starts, regime)
    out[P.YEAR] = ends.astype("datetime64[Y]").astype(np.int64) + 1970
    out["step"] = steps
    out[P.START_DATE] = starts
    return out


ROW_TEXTS = (P.SEX, P.CATEGORIE, P.STATUT, P.FILIERE)
"""The agents' text the retirement models read (besides the effective service category, which may change as
services actifs accrue)."""


def roll_rows(base: pd.DataFrame, start, horizon: int, regime: str) -> RolledRows:
    """:func:`roll_covariates` as the models read it (:class:`RolledRows`), computed once per agent and then for
    all years at once in arrays: the law's months by birth date and service category once per agent and
    category, months to the AOD and the limit as month arithmetic, the text as per-agent codes.

    Why: the engine prepares a million agents x ten years and recomputes the hazards for each law variant; the
    frame of :func:`roll_covariates` (one row per agent and year, its text repeated) is the slow part. Same
    figures, row for row (a test holds them to 1e-9 on the demo). ``start`` is one date, or one per agent (the
    engine's hire cohorts, each from its own hiring day, in one call)."""
    base = base.reset_index(drop=True)
    n = len(base)
    # each year's first day, (H, 1) for one start or (H, n) for one start per agent (the hire cohorts at once)
    days = rules.as_dates(np.atleast_1d(start))
    firsts, which = np.unique(days, return_inverse=True)
    steps_h = np.repeat(12 * np.arange(horizon), len(firsts))
    starts = rules.add_months(np.tile(firsts, horizon), steps_h).reshape(horizon, len(firsts))[:, which]
    birth = rules.as_dates(base[P.BIRTH_DATE]) if P.BIRTH_DATE in base.columns else np.full(n, np.datetime64("NaT"))
    if np.isnat(birth).any():
        pos = int(np.flatnonzero(np.isnat(birth))[0])
        raise ValueError(f"missing birth date for agent {base[P.AGENT_ID].iloc[pos]!r} (row {pos})"
                         if P.AGENT_ID in base.columns else f"missing birth date at row {pos}")
    steps = np.arange(horizon)[:, None]  # (H, 1) against agents (n,)
    frame = CovariateRows(base)
    # effective service category by year: the declared one (contractuels: sédentaire), sédentaire while the
    # services actifs are short of the 17 years (counted at the year's end, as panel.covariates does)
    sc = base[P.SERVICE_CATEGORY] if P.SERVICE_CATEGORY in base.columns else pd.Series(None, index=base.index)
    st = base[P.STATUT] if P.STATUT in base.columns else pd.Series(None, index=base.index)
    sc_codes, sc_u = pd.factorize(sc, use_na_sentinel=False)
    st_codes, st_u = pd.factorize(st, use_na_sentinel=False)
    pair = sc_codes.astype(np.int64) * max(len(st_u), 1) + st_codes  # the rules read each distinct pair once
    _, first, pair_codes = np.unique(pair, return_index=True, return_inverse=True)
    sc_pairs = np.asarray(sc_u, dtype=object)[sc_codes[first]]
    st_pairs = np.asarray(st_u, dtype=object)[st_codes[first]]
    declared = rules.category_codes(sc_pairs).astype(np.int64)[pair_codes]
    eff0 = pd.Index(rules.CATEGORIES).get_indexer(rules.effective_category(sc_pairs, st_pairs))[pair_codes]
    in_active = np.isin(np.asarray(sc_u, dtype=object), ["active", "insalubre"])[sc_codes] if len(sc_u) else \
        np.zeros(n, bool)
    years = frame.num(P.ACTIVE_YEARS)
    if P.SERVICE_CATEGORY not in base.columns:
        years = np.full(n, np.nan)
    years = years[None, :] + np.where(in_active, steps, 0) + np.where(in_active, 1.0, 0.0)
    default = rules.CATEGORIES.index(rules.DEFAULT_CATEGORY)
    short = (declared > 0) & ~np.isnan(years) & (years < 17)
    eff = np.where(short, default, eff0[None, :])  # (H, n)

    def law(quantity: str) -> np.ndarray:
        tab = rules.table(quantity)
        out = np.zeros((horizon, n), np.int64)
        for c, category in enumerate(rules.CATEGORIES):
            sel = eff == c
            if sel.any():
                block = tab.block(regime, category)
                out[sel] = np.broadcast_to(block.values[block.index(birth)], (horizon, n))[sel]
        return out

    birth_month = P.month_index(birth)[None, :]
    start_month = P.month_index(starts)
    age = P.years_between(birth[None, :], starts)
    quarters = frame.num(P.QUARTERS)[None, :] + 4.0 * steps
    entry = rules.as_dates(base[P.ENTRY_DATE]) if P.ENTRY_DATE in base.columns else np.full(n, np.datetime64("NaT"))
    numbers = {
        P.AGE: age, P.TENURE: P.years_between(entry[None, :], starts),
        P.MONTHS_TO_AOD: birth_month + law("aod") - start_month,
        P.MONTHS_TO_LIMIT: birth_month + law("age_limit") - start_month,
        P.REQUIRED_QUARTERS: law("quarters").astype(np.float64), P.QUARTERS: quarters,
        P.START_WORK_AGE: age - quarters / 4.0,
    }
    numbers = {c: np.ascontiguousarray(np.broadcast_to(v, (horizon, n))).ravel() for c, v in numbers.items()}
    texts = {c: (*frame.text(c), False) for c in ROW_TEXTS}
    texts[P.EFFECTIVE_CATEGORY] = (eff.ravel(), np.asarray(rules.CATEGORIES, dtype=object), True)
    return RolledRows(texts, numbers, np.tile(np.arange(n), horizon))


def forecast_years(rolled: pd.DataFrame, horizon: int, n: int, start: np.datetime64) -> np.ndarray:
    """The calendar year each forecast year ends in (works for an empty base too)."""
    if n:
        return rolled[P.YEAR].to_numpy(np.int64)[::n][:horizon]
    ends = rules.add_months(np.full(horizon, start), 12 * np.arange(1, horizon + 1)) - np.timedelta64(1, "D")
    return ends.astype("datetime64[Y]").astype(np.int64) + 1970


# ============================================================================================== AOD schedule

def aod_schedule(base: pd.DataFrame, *, horizon: int = 10, regime: str = rules.DEFAULT_REGIME,
                 start=None) -> pd.DataFrame:
    """When each agent of ``base`` reaches the AOD: ``agent_id, direction, metier_code, categorie, filiere,
    aod_date, year`` where ``year`` is the forecast year of the AOD (NA when before the start or beyond the
    horizon). Personal data: publish only aggregated counts (:func:`aod_counts`) unless explicitly asked."""
    base = base.reset_index(drop=True)
    start = forecast_start(base) if start is None else rules.as_dates([start])[0]
    n = len(base)
    rolled = roll_covariates(base, start, horizon, regime)
    m = rolled[P.MONTHS_TO_AOD].to_numpy().reshape(horizon, n)
    hit = (m >= 0) & (m <= 11)
    first = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
    years = forecast_years(rolled, horizon, n, start)
    aod = rolled[P.AOD_DATE].to_numpy("datetime64[D]").reshape(horizon, n)
    idx = np.clip(first, 0, horizon - 1)
    cols = np.arange(n)
    keep = [c for c in (P.AGENT_ID, P.DIRECTION, P.METIER_CODE, P.CATEGORIE, P.FILIERE) if c in base.columns]
    out = base[keep].copy()
    out[P.AOD_DATE] = aod[idx, cols]
    out[P.YEAR] = pd.array(years[idx], dtype="Int64")
    out.loc[first < 0, P.YEAR] = pd.NA
    out["already_reached"] = m[0] < 0
    return out


def aod_counts(schedule: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Number of agents reaching the AOD each year: ``year, <by>, count`` (group "total" when ``by`` is None);
    one more row per group with ``year`` NA for those who have already reached it."""
    col = GROUP_COLUMNS.get(by) if by else None
    if by and by not in GROUP_COLUMNS:
        raise ValueError(f"unknown grouping {by!r}; allowed: {', '.join(GROUP_BY)}")
    key = by or "group"
    frame = pd.DataFrame({
        P.YEAR: schedule[P.YEAR],
        key: as_text(schedule, col) if col else TOTAL,
        "reached": schedule["already_reached"].to_numpy(),
    })
    future = frame[frame[P.YEAR].notna()].groupby([P.YEAR, key]).size().rename("count").reset_index()
    past = frame[frame["reached"]].groupby(key).size().rename("count").reset_index()
    past[P.YEAR] = pd.NA
    out = pd.concat([past, future], ignore_index=True)[[P.YEAR, key, "count"]]
    out[P.YEAR] = out[P.YEAR].astype("Int64")
    return out
