"""Prior models for when the history shows no transition: retirement from the law, exits at documented rates.

Why: with a single extract (or no full year at risk) no departure can be observed, yet the projection needs
hazards. Retirement is then driven by the law tables (AOD and age limit of :mod:`workforce.rules`, through the
panel covariates) with the propensities below; the other exits use documented default rates by statut. Every
figure is a named parameter with its source; [D] marks a figure derived from others, [U] an assumption that
could not be verified (fpt-facts is ``/work/shared/reference/fpt-facts.md``). These are the figures the
synthetic département is calibrated on (:class:`workforce.synth.SynthParams`), so a model trained on it and
the prior agree in the mean.

The rate tables are plain dicts (estimator parameters must pickle); nothing mutates them.

Both estimators keep the interface of the fitted models they replace, so the training pipeline registers them
and the projection engine reads them without knowing: :class:`PriorRetirementHazard` that of
:class:`workforce.forecast.retirement.RetirementHazard` (``predict_components``, ``predict_hazard``), the prior
exits (:class:`PriorExitHazard`) that of :class:`workforce.forecast.exits.ExitHazard`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce import panel as P
from workforce.forecast.exits import CATEGORY_LEVELS, EXIT_MOTIVES, STATUT_GROUPS, ExitHazard
from workforce.forecast.retirement import (EARLY, ELIGIBLE, LIMIT, SEGMENT_CODES, CovariateRows, check_knobs,
                                          statut_codes, as_rows, segment_codes)

# ============================================================================================== retirement

AOD_SPIKE = 0.27
"""Share of the agents reaching their AOD who leave in its first month (fpt-facts §2: 23 % of generations
1950-51 in the CNRACL study, 20-35 % to model)."""
AFTER_AOD = 0.20
"""Annual retirement hazard after the AOD month, before 65 [U] (fpt-facts §2: "a long tail to 67"; with the
spike it gives a mean departure age near 62-64, §2)."""
AFTER_AOD_65 = 0.32
"""Annual retirement hazard after the AOD from 65 [U] (the décote ends at 67: departures speed up)."""
INVALIDITY_AT_57 = 0.0055
"""Annual invalidity retirement hazard of a fonctionnaire aged 57 [D] (fpt-facts §2: about 0.33 % of active
agents a year, mean age about 57)."""
INVALIDITY_SLOPE = 0.09
"""Growth of the invalidity hazard per year of age (log scale) [U]."""
INVALIDITY_CAP = 0.2
"""Upper bound of the annual invalidity hazard [U]."""
CARRIERE_LONGUE_SHARE = {"A": 0.04, "B": 0.15, "C": 0.30}
"""Share of the agents entitled to a carrière longue departure, by catégorie [D/U] (fpt-facts §1: 39.6 % of FPT
departures in 2017; early starters are mostly in catégorie C). Unknown catégorie: the C share."""
CARRIERE_LONGUE_MONTHS = 24
"""How many months before the AOD the carrière longue channel opens (fpt-facts §1: AOD minus 2 years for those
who started before 20)."""


def _in_year_probability(m_open: np.ndarray, spike: float, after: np.ndarray) -> np.ndarray:
    """P(leave during a 12-month year) when a channel opens ``m_open`` months after the year's start (0..11):
    the spike at the opening, then ``after`` a year over the months left."""
    tail = np.clip(11 - m_open, 0, 11) / 12.0
    return 1.0 - (1.0 - spike) * (1.0 - after) ** tail


class PriorRetirementHazard(BaseEstimator):
    """Retirement hazard from the law and documented propensities, for a history without observed departures.

    Segments as in :func:`workforce.forecast.retirement.segment_of`: the age limit makes leaving certain; in the
    year the AOD falls in, ``aod_spike`` leave at the AOD and ``after_aod`` a year after it (``after_aod_65``
    from 65); before the AOD only invalidity (fonctionnaires) and carrière longue (a ``carriere_longue_share``
    of each catégorie, from ``carriere_longue_months`` before the AOD, with the same spike and tail).

    Parameters are the module's documented figures (:data:`AOD_SPIKE` ...); ``fit`` learns nothing from the
    data (it only checks the parameters), so it may be given the (empty) panel or nothing.

    Attributes
    ----------
    aod_share_ : float
        Mean probability of retiring in the year the AOD falls in (AOD month uniform over the year), the
        reference of the ``aod_share`` scenario knob, as for the fitted model.
    early_window_months_ : int
        ``carriere_longue_months``.
    n_rows_, n_events_ : int
        0: nothing was fitted.
    """

    def __init__(self, *, aod_spike=AOD_SPIKE, after_aod=AFTER_AOD, after_aod_65=AFTER_AOD_65,
                 invalidity_at_57=INVALIDITY_AT_57, invalidity_slope=INVALIDITY_SLOPE,
                 invalidity_cap=INVALIDITY_CAP, carriere_longue_share=CARRIERE_LONGUE_SHARE,
                 carriere_longue_months=CARRIERE_LONGUE_MONTHS):
        self.aod_spike = aod_spike
        self.after_aod = after_aod
        self.after_aod_65 = after_aod_65
        self.invalidity_at_57 = invalidity_at_57
        self.invalidity_slope = invalidity_slope
        self.invalidity_cap = invalidity_cap
        self.carriere_longue_share = carriere_longue_share
        self.carriere_longue_months = carriere_longue_months

    def fit(self, X=None, y=None) -> "PriorRetirementHazard":
        for name in ("aod_spike", "after_aod", "after_aod_65", "invalidity_at_57", "invalidity_cap"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        if self.carriere_longue_months < 0:
            raise ValueError(f"carriere_longue_months must be >= 0, got {self.carriere_longue_months!r}")
        if any(not 0 <= v <= 1 for v in dict(self.carriere_longue_share).values()):
            raise ValueError(f"carriere_longue_share values must be in [0, 1], got {self.carriere_longue_share!r}")
        self.share_ = {str(k): float(v) for k, v in dict(self.carriere_longue_share).items()}
        self.aod_share_ = float(np.mean(_in_year_probability(np.arange(12), self.aod_spike,
                                                             np.full(12, self.after_aod))))
        self.early_window_months_ = int(self.carriere_longue_months)
        self.n_rows_ = 0
        self.n_events_ = 0
        return self

    def predict_components(self, X: pd.DataFrame, *, postpone_months: int = 0,
                           aod_share: float | None = None) -> pd.DataFrame:
        """``segment, raw, anticipated, hazard`` of each row (same index), as
        :meth:`workforce.forecast.retirement.RetirementHazard.predict_components`; ``raw`` is the hazard before
        the ``aod_share`` knob, ``anticipated`` the carrière longue channel."""
        rows = as_rows(X)
        seg, raw, anticipated, hazard = self._components(rows, postpone_months, aod_share)
        return pd.DataFrame({"segment": np.array([EARLY, ELIGIBLE, LIMIT], dtype=object)[seg], "raw": raw,
                             "anticipated": anticipated, "hazard": hazard}, index=rows.index)

    def predict_certain(self, X, *, postpone_months: int = 0,
                        aod_share: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(hazard, certain)`` of each row, as :meth:`RetirementHazard.predict_certain`."""
        seg, _, _, hazard = self._components(as_rows(X), postpone_months, aod_share)
        return hazard, seg == SEGMENT_CODES[LIMIT]

    def _components(self, rows: CovariateRows, postpone_months: int, aod_share: float | None):
        check_is_fitted(self, "aod_share_")
        check_knobs(postpone_months, aod_share)
        m_aod = rows.num(P.MONTHS_TO_AOD).astype(np.int64) + int(postpone_months)
        seg = segment_codes(m_aod, rows.num(P.MONTHS_TO_LIMIT).astype(np.int64))
        age = rows.num(P.AGE) if rows.has(P.AGE) else np.full(len(rows), 60.0)
        after = np.where(age >= 65, self.after_aod_65, self.after_aod)

        in_year = (m_aod >= 0) & (m_aod <= 11)
        eligible = np.where(in_year, _in_year_probability(m_aod, self.aod_spike, after), after)

        codes, vocab = rows.text(P.CATEGORIE)
        share = pd.Series(vocab).map(self.share_).fillna(self.share_.get("C", 0.0)).to_numpy(float)[codes]
        m_open = m_aod - int(self.carriere_longue_months)
        cl_open = m_open <= 11
        cl = share * np.where(m_open >= 0, _in_year_probability(m_open, self.aod_spike, after), after)
        early = seg == SEGMENT_CODES[EARLY]
        anticipated = np.where(early & cl_open, cl, 0.0)
        st_codes, st_vocab = statut_codes(rows)
        fonctionnaire = (st_vocab != "contractuel")[st_codes]
        invalidity = np.where(fonctionnaire, np.clip(
            self.invalidity_at_57 * np.exp(self.invalidity_slope * (np.nan_to_num(age, nan=45.0) - 57.0)),
            0.0, self.invalidity_cap), 0.0)
        raw = np.where(seg == SEGMENT_CODES[ELIGIBLE], eligible, np.where(early, invalidity + anticipated, 1.0))
        hazard = raw.copy()
        if aod_share is not None and self.aod_share_ > 0:
            hazard = np.where((seg == SEGMENT_CODES[ELIGIBLE]) & in_year, hazard * (aod_share / self.aod_share_),
                              hazard)
        hazard = np.where(seg == SEGMENT_CODES[LIMIT], 1.0, np.clip(hazard, 0.0, 1.0))
        return seg, np.clip(raw, 0.0, 1.0), anticipated, hazard

    def predict_hazard(self, X: pd.DataFrame, *, postpone_months: int = 0,
                       aod_share: float | None = None) -> np.ndarray:
        """P(retire during the year | present at its start), shape (n,)."""
        return self.predict_components(X, postpone_months=postpone_months, aod_share=aod_share)["hazard"].to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        h = self.predict_hazard(X)
        return np.column_stack([1.0 - h, h])


# ============================================================================================== other exits

EXIT_RATES_FONCTIONNAIRE = {
    "disponibilite": 0.007,   # fpt-facts §4: about 0.7 %
    "detachement": 0.003,     # [U]
    "demission": 0.003,       # fpt-facts §4: about 0.3 %
    "licenciement": 0.0005,   # [U]
}
"""Annual exit rates of fonctionnaires (titulaires, stagiaires) by motive, besides mutation and death."""
MUTATION_FONCTIONNAIRE = {"A": 0.030, "B": 0.024, "C": 0.011, "?": 0.018}
"""Annual mutation rate of fonctionnaires by catégorie [D] (fpt-facts §4: 1.5-2 % overall, higher for A/B;
mutation is 34-35 % of A and B exits, 20 % of C exits); unknown catégorie: the overall mean."""
EXIT_RATES_CONTRACTUEL_PERMANENT = {
    "fin_contrat": 0.13,      # [D/U] fpt-facts §4: 79 % of those on permanent posts leave at the end of contract
    "demission": 0.05,        # [U]
    "mutation": 0.015,        # [U]
    "licenciement": 0.0005,   # [U]
}
"""Annual exit rates of contractuels on permanent posts by motive (fpt-facts §4: 25-40 % a year for all
contractuels, mostly at the end of the contract)."""
EXIT_RATES_CONTRACTUEL_NON_PERMANENT = {
    "fin_contrat": 0.42,      # [D/U] fpt-facts §4, the upper end of 25-40 %: short contracts
    "demission": 0.05,        # [U]
    "mutation": 0.015,        # [U]
    "licenciement": 0.0005,   # [U]
}
"""Annual exit rates of contractuels on non-permanent posts by motive."""
DEATH_AT_50 = 0.0015
"""Annual death hazard at 50 (fpt-facts §4: 0.1-0.2 % [U]), growing by :data:`DEATH_SLOPE` a year of age."""
DEATH_SLOPE = 0.08
"""Growth of the death hazard per year of age (log scale) [U]."""
YOUNG_MULTIPLIER = 1.6
"""Voluntary exits (mutation, démission, disponibilité, détachement) under 35 are this many times the rate [U]."""
SENIOR_MULTIPLIER = 0.5
"""... and from 55 this many times [U]."""
VOLUNTARY = ("mutation", "demission", "disponibilite", "detachement")
BAND_AGES = (22.0, 27.5, 32.5, 40.0, 50.0, 57.5, 62.5, 45.0)
"""Age standing for each age band of :class:`~workforce.forecast.exits.ExitHazard` (<25, 25-29, 30-34, 35-44,
45-54, 55-59, 60+, unknown) in the death hazard and the age multipliers [U]."""


class PriorExitHazard(ExitHazard):
    """Exit hazards by motive at documented default rates, for a history without an observed year at risk.

    The rates depend on the statut group (and, for the mutation of fonctionnaires, on the catégorie) and on age
    (voluntary exits x :data:`YOUNG_MULTIPLIER` under 35 and x :data:`SENIOR_MULTIPLIER` from 55; death grows
    with age), not on tenure [U]. Same tabulated ``cell_hazards_`` as a fitted :class:`ExitHazard`, so the
    projection reads it unchanged; ``fit`` learns nothing from the data.
    """

    def __init__(self, *, fonctionnaire=EXIT_RATES_FONCTIONNAIRE, mutation_fonctionnaire=MUTATION_FONCTIONNAIRE,
                 contractuel_permanent=EXIT_RATES_CONTRACTUEL_PERMANENT,
                 contractuel_non_permanent=EXIT_RATES_CONTRACTUEL_NON_PERMANENT, death_at_50=DEATH_AT_50,
                 death_slope=DEATH_SLOPE, young_multiplier=YOUNG_MULTIPLIER, senior_multiplier=SENIOR_MULTIPLIER):
        self.fonctionnaire = fonctionnaire
        self.mutation_fonctionnaire = mutation_fonctionnaire
        self.contractuel_permanent = contractuel_permanent
        self.contractuel_non_permanent = contractuel_non_permanent
        self.death_at_50 = death_at_50
        self.death_slope = death_slope
        self.young_multiplier = young_multiplier
        self.senior_multiplier = senior_multiplier

    def fit(self, panel=None, y=None) -> "PriorExitHazard":
        by_group = (dict(self.fonctionnaire), dict(self.contractuel_permanent), dict(self.contractuel_non_permanent))
        unknown = sorted({m for rates in by_group for m in rates} - set(EXIT_MOTIVES))
        if unknown:
            raise ValueError(f"unknown exit motive(s) {', '.join(unknown)}; allowed: {', '.join(EXIT_MOTIVES)}")
        mutation_cat = np.array([float(dict(self.mutation_fonctionnaire).get(c, 0.0)) for c in CATEGORY_LEVELS])
        motives = tuple(m for m in EXIT_MOTIVES
                        if m == "deces" or any(r.get(m, 0.0) > 0 for r in by_group)
                        or (m == "mutation" and mutation_cat.any()))
        n_sg, n_cat, n_age, n_ten = self._shape()
        ages = np.asarray(BAND_AGES, float)
        if len(ages) != n_age or len(STATUT_GROUPS) != n_sg:
            raise ValueError("BAND_AGES must give one age per age band of ExitHazard")
        multiplier = np.where(ages < 35.0, self.young_multiplier, np.where(ages >= 55.0, self.senior_multiplier, 1.0))
        rates = np.zeros((n_sg, n_cat, n_age, n_ten, len(motives)))
        for k, m in enumerate(motives):
            base = np.array([r.get(m, 0.0) for r in by_group], float)[:, None] * np.ones((1, n_cat))  # (sg, cat)
            if m == "mutation":
                base[0] = mutation_cat
            if m == "deces":
                per_age = np.clip(self.death_at_50 * np.exp(self.death_slope * (ages - 50.0)), 0.0, 0.2)
                rates[..., k] = per_age[None, None, :, None]
                continue
            age_factor = multiplier if m in VOLUNTARY else np.ones(n_age)
            rates[..., k] = base[:, :, None, None] * age_factor[None, None, :, None]
        total = rates.sum(axis=-1, keepdims=True)
        rates = np.where(total > 1.0, rates / np.maximum(total, 1e-12), rates)
        self.motives_ = motives
        self.cell_hazards_ = rates
        self.cells_ = pd.DataFrame(columns=["sg", "cat", "age", "ten"])
        self.n_rows_ = 0
        return self
