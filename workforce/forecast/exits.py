"""Exit model: departures other than retirement, by motive, as discrete-time cause-specific hazards.

Why: after retirement, the other exits (mutation, démission, fin de contrat, disponibilité, détachement, décès,
licenciement) are most of the turnover, and fonctionnaires and contractuels behave very differently: about
7 % a year leave among fonctionnaires of a département, 25-40 % among contractuels, mostly at the end of the
contract (fpt-facts §4).

Competing risks (DESIGN): the model is fitted on the *same* person-year panel as the retirement model
(:mod:`workforce.panel`, one row per agent and year at risk). One multinomial logistic regression over the
classes ``none`` (stayed, or retired: retirement is another cause, not a censoring) and each exit motive gives
P(exit by motive k during the year | at risk at its start), the cause-specific annual hazard. The engine
combines it with the retirement hazard as P(stay) = 1 - P(retire) - sum_k P(exit k).

Covariates are categorical (statut group, catégorie, age band, tenure band), so the panel is first aggregated
into covariate cells with ``sample_weight`` (DESIGN: the same coefficients, far faster). Partial years (a
history starting in January) count each event fully and each non-event for its exposure, which keeps the
odds annual. The fitted probabilities of every cell are tabulated once (``cell_hazards_``): predicting for a
million agents over ten years is a gather, not a model call.

Glossary: statut group = fonctionnaire (titulaire, stagiaire), contractuel permanent, contractuel non
permanent; catégorie A/B/C; tenure = years since entry with the employer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from workforce.columns import AGE, CATEGORIE, EXIT, EXIT_MOTIVES, EXPOSURE, MOTIVE, OUTCOME, STATUT, TENURE

NONE = "none"
COVARIATE_SETS = ("full", "statut")

STATUT_GROUPS = ("fonctionnaire", "contractuel_permanent", "contractuel_non_permanent")
CATEGORY_LEVELS = ("A", "B", "C", "?")
AGE_EDGES = (25.0, 30.0, 35.0, 45.0, 55.0, 60.0)
TENURE_EDGES = (2.0, 5.0)


# ------------------------------------------------------------------------------------------ coding

def _by_distinct(values, code) -> np.ndarray:
    """``code`` (text Series -> int8 array) applied to the distinct values only, then spread to every row: a
    million agents hold a handful of statuts."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object)), use_na_sentinel=True)
    coded = code(pd.Series(np.asarray(uniques, dtype=object)).astype("string"))
    missing = code(pd.Series([pd.NA], dtype="string"))
    return np.append(coded, missing)[codes].astype(np.int8)  # code -1 (missing) reads the last


def statut_group(statut) -> np.ndarray:
    """0 fonctionnaire (titulaire, stagiaire, unknown), 1 contractuel permanent, 2 contractuel non permanent."""
    def code(s):
        s = s.str.lower().str.strip()
        contract = s.str.startswith("contractuel").fillna(False).to_numpy(bool)
        non_perm = s.str.contains("non", regex=False).fillna(False).to_numpy(bool)
        return np.where(contract, np.where(non_perm, 2, 1), 0).astype(np.int8)

    return _by_distinct(statut, code)


def category_code(categorie) -> np.ndarray:
    return _by_distinct(categorie, lambda s: s.str.upper().str.strip().map({"A": 0, "B": 1, "C": 2})
                        .fillna(3).to_numpy(np.int8))


def band(values, edges) -> np.ndarray:
    """Band index of each value (0 .. len(edges)); NaN gets the extra band len(edges) + 1."""
    v = np.asarray(values, dtype=np.float64)
    out = np.searchsorted(np.asarray(edges), v, side="right")
    return np.where(np.isnan(v), len(edges) + 1, out).astype(np.int8)


def exit_motive(motive) -> np.ndarray:
    """Canonical exit motive of each departure: one of :data:`EXIT_MOTIVES` (unknown -> ``autre``)."""
    s = pd.Series(np.asarray(motive, dtype=object)).astype("string")
    return s.where(s.isin(EXIT_MOTIVES), "autre").fillna("autre").to_numpy(object)


def motive_classes(panel: pd.DataFrame, min_events: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class of each panel row for a cause-specific exit model, and the motives modelled.

    Returns ``(classes, kept)``: ``classes`` (n,) object, :data:`NONE` for a row that stayed or retired
    (retirement is a competing cause, not a censoring) else its exit motive; a motive with fewer than
    ``min_events`` events is folded into ``autre`` (too rare to estimate alone). ``kept`` lists the motives
    modelled in :data:`EXIT_MOTIVES` order. Shared by every exit model so that they learn the same classes.
    """
    is_exit = (panel[OUTCOME].to_numpy(object) == EXIT)
    motive = np.where(is_exit, exit_motive(panel[MOTIVE]), NONE)
    counts = pd.Series(motive[is_exit]).value_counts()
    kept = tuple(m for m in EXIT_MOTIVES if counts.get(m, 0) >= max(min_events, 1))
    rare = [m for m in EXIT_MOTIVES if m not in kept and counts.get(m, 0) > 0]
    if rare and "autre" not in kept:
        kept = kept + ("autre",)
    motive = np.where(np.isin(motive, kept) | (motive == NONE), motive, "autre")
    return motive.astype(object), kept


def class_weight(panel: pd.DataFrame, classes: np.ndarray) -> np.ndarray:
    """Weight of each row: 1 for an exit, the observed share of the year for a non-event (a partial year counts
    each event fully and each non-event for its exposure, which keeps the odds annual)."""
    exposure = (pd.to_numeric(panel[EXPOSURE], errors="coerce").fillna(1.0).clip(0.01, 1.0).to_numpy()
                if EXPOSURE in panel.columns else np.ones(len(panel)))
    return np.where(np.asarray(classes, dtype=object) == NONE, exposure, 1.0)


# ------------------------------------------------------------------------------------------ model

class ExitHazard(BaseEstimator):
    """Annual cause-specific exit hazards by motive (multinomial logit on aggregated covariate cells).

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength of the logistic regression (on cell-weighted data).
    min_events : int
        A motive with fewer events in the panel is folded into ``autre`` (too rare to estimate alone).
    covariates : {"full", "statut"}
        ``full``: statut group, catégorie, age and tenure bands with statut interactions; ``statut``: the pooled
        fallback for thin histories, one rate per statut group and motive (catégorie, age and tenure pooled).

    Attributes
    ----------
    motives_ : tuple of str
        Exit motives modelled, in :data:`EXIT_MOTIVES` order.
    cell_hazards_ : ndarray, shape (3 statut groups, 4 catégories, 8 age bands, 4 tenure bands, n_motives)
        Annual probability of leaving by each motive, for every covariate cell.
    cells_ : DataFrame
        The aggregated training cells: covariate codes, ``rows`` (agent-years), events by motive, exposure.
    """

    def __init__(self, *, C: float = 1.0, min_events: int = 5, covariates: str = "full"):
        self.C = C
        self.min_events = min_events
        self.covariates = covariates

    # ---------------------------------------------------------------- fit
    def fit(self, panel: pd.DataFrame, y=None) -> "ExitHazard":
        """Fit on the person-year panel (columns statut, categorie, age, tenure, outcome, motive, exposure)."""
        if not (self.C > 0):
            raise ValueError(f"C must be > 0, got {self.C!r}")
        if self.min_events < 0:
            raise ValueError(f"min_events must be >= 0, got {self.min_events!r}")
        if self.covariates not in COVARIATE_SETS:
            raise ValueError(f"unknown covariates {self.covariates!r}; allowed: {', '.join(COVARIATE_SETS)}")
        missing = [c for c in (STATUT, CATEGORIE, AGE, OUTCOME, MOTIVE) if c not in panel.columns]
        if missing:
            raise ValueError(f"panel lacks column(s) {', '.join(missing)}: build it with workforce.panel.build_panel")
        if len(panel) == 0:
            raise ValueError("panel is empty: no agent-year at risk to learn from")
        codes = self._codes(panel)
        motive, kept = motive_classes(panel, self.min_events)
        weight = class_weight(panel, motive)
        frame = pd.DataFrame({"sg": codes[0], "cat": codes[1], "age": codes[2], "ten": codes[3],
                              "cls": motive, "w": weight, "rows": 1.0})
        cells = frame.groupby(["sg", "cat", "age", "ten", "cls"], sort=True, observed=True)[["w", "rows"]].sum()
        cells = cells.reset_index()
        self.motives_ = kept
        classes = (NONE, *kept)
        if len(kept) == 0:
            self.cell_hazards_ = np.zeros((*self._shape(), 0))
        else:
            X = self._design(cells["sg"].to_numpy(), cells["cat"].to_numpy(), cells["age"].to_numpy(),
                             cells["ten"].to_numpy())
            y_cls = cells["cls"].map({c: i for i, c in enumerate(classes)}).to_numpy()
            model = LogisticRegression(C=self.C, solver="newton-cg", max_iter=500, tol=1e-6)
            model.fit(X, y_cls, sample_weight=cells["w"].to_numpy())
            self.model_ = model
            grid = np.indices(self._shape()).reshape(4, -1)
            proba = model.predict_proba(self._design(*grid))
            full = np.zeros((grid.shape[1], len(classes)))
            full[:, model.classes_] = proba
            self.cell_hazards_ = full[:, 1:].reshape(*self._shape(), len(kept))
        wide = cells.pivot_table(index=["sg", "cat", "age", "ten"], columns="cls", values="rows", aggfunc="sum",
                                 fill_value=0.0)
        self.cells_ = wide.reset_index()
        self.n_rows_ = int(len(panel))
        return self

    @staticmethod
    def _shape() -> tuple[int, int, int, int]:
        return (len(STATUT_GROUPS), len(CATEGORY_LEVELS), len(AGE_EDGES) + 2, len(TENURE_EDGES) + 2)

    @staticmethod
    def _codes(frame: pd.DataFrame):
        tenure = frame[TENURE] if TENURE in frame.columns else pd.Series(np.nan, index=frame.index)
        return (statut_group(frame[STATUT]), category_code(frame[CATEGORIE]),
                band(pd.to_numeric(frame[AGE], errors="coerce"), AGE_EDGES),
                band(pd.to_numeric(tenure, errors="coerce"), TENURE_EDGES))

    def _design(self, sg, cat, age, ten) -> np.ndarray:
        """One-hot main effects plus statut group x (catégorie, age band, tenure band) interactions (``full``),
        or the statut group alone (``statut``)."""
        n_sg, n_cat, n_age, n_ten = self._shape()
        sg, cat, age, ten = (np.asarray(a, dtype=np.int64) for a in (sg, cat, age, ten))
        blocks = [(sg, n_sg)]
        if self.covariates == "full":
            blocks += [(cat, n_cat), (age, n_age), (ten, n_ten), (sg * n_cat + cat, n_sg * n_cat),
                       (sg * n_age + age, n_sg * n_age), (sg * n_ten + ten, n_sg * n_ten)]
        X = np.zeros((len(sg), sum(k for _, k in blocks)))
        offset = 0
        rows = np.arange(len(sg))
        for codes, k in blocks:
            X[rows, offset + codes] = 1.0
            offset += k
        return X

    # ---------------------------------------------------------------- predict
    def predict_hazards(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Annual exit probability by motive for each row (statut, categorie, age, tenure): frame, one column
        per motive of ``motives_``, same index."""
        check_is_fitted(self, "cell_hazards_")
        sg, cat, age, ten = self._codes(frame)
        return pd.DataFrame(self.cell_hazards_[sg, cat, age, ten], index=frame.index, columns=list(self.motives_))

    def predict_hazard(self, frame: pd.DataFrame) -> np.ndarray:
        """P(any non-retirement exit during the year), shape (n,): the sum over motives (the one-cause view the
        retirement forecast and the training pipeline read)."""
        return self.predict_hazards(frame).to_numpy().sum(axis=1)

    def hazards(self, statut, categorie, age, tenure, horizon: int, dtype=np.float32, *,
                covariates: pd.DataFrame | None = None) -> np.ndarray:
        """Hazards over the next ``horizon`` years for agents aged ``age`` (years) with ``tenure`` (years,
        NaN unknown) at the start: array (n, horizon, n_motives); age and tenure grow one year a year, statut
        and catégorie stay. ``covariates`` (the agents' frame) is accepted for the engine's one call to every
        exit model and not read: this model sees statut, catégorie, age and tenure only (the covariate model,
        :class:`workforce.forecast.exits_covariates.CovariateExitHazard`, reads it)."""
        check_is_fitted(self, "cell_hazards_")
        sg = statut_group(statut)
        cat = category_code(categorie)
        age = np.asarray(age, dtype=np.float64)
        ten = np.asarray(tenure, dtype=np.float64)
        steps = np.arange(horizon, dtype=np.float64)
        age_b = band(age[:, None] + steps[None, :], AGE_EDGES)
        ten_b = band(ten[:, None] + steps[None, :], TENURE_EDGES)
        # one flat cell index per agent-year, then one take of the (cells, motives) table already in ``dtype``
        S, Cc, A, T, K = self.cell_hazards_.shape
        if K == 0:
            return np.zeros((len(age), horizon, 0), dtype)
        cell = ((sg.astype(np.int64)[:, None] * Cc + cat[:, None]) * A + age_b) * T + ten_b
        table = self.cell_hazards_.reshape(-1, K).astype(dtype, copy=False)
        return np.take(table, cell, axis=0)

    def calibration(self, panel: pd.DataFrame, by: str = "statut_group") -> pd.DataFrame:
        """Observed vs predicted exits by motive and group on ``panel``: frame ``group, motive, rows, observed,
        predicted`` (counts of agent-years leaving). Groups: statut_group, categorie or age_band."""
        check_is_fitted(self, "cell_hazards_")
        codes = self._codes(panel)
        group = {"statut_group": np.asarray(STATUT_GROUPS)[codes[0]],
                 "categorie": np.asarray(CATEGORY_LEVELS)[codes[1]], "age_band": codes[2]}[by]
        pred = self.predict_hazards(panel)
        is_exit = panel[OUTCOME].to_numpy(object) == EXIT
        motive = np.where(is_exit, exit_motive(panel[MOTIVE]), NONE)
        motive = np.where(np.isin(motive, self.motives_) | (motive == NONE), motive, "autre")
        rows = []
        for m in self.motives_:
            df = pd.DataFrame({"group": group, "observed": (motive == m).astype(float), "predicted": pred[m].to_numpy()})
            agg = df.groupby("group").agg(rows=("observed", "size"), observed=("observed", "sum"),
                                          predicted=("predicted", "sum")).reset_index()
            rows.append(agg.assign(motive=m))
        return pd.concat(rows, ignore_index=True)[["group", "motive", "rows", "observed", "predicted"]]
