"""Fallbacks: the simpler model a training step used instead of the full one, and why.

Why: the first months of a new installation (or an employer that only keeps one extract a year) do not hold
enough history to fit, let alone backtest, the full models. Training must still give every model an active
version, and say plainly which simpler model stands in and why. Each step records a :class:`Fallback` in the
model's registry metadata (``metrics["fallback"]``); ``workforce models show`` prints it in French, e.g.
« repli : demande naïve (historique de 12 mois < 30) ».

The ladder of each step (thresholds: :data:`workforce.train.MIN_EVENTS`, :data:`workforce.train.MIN_BACKTEST_YEARS`,
and the demand estimator's two backtest cut-offs, ``min_train_short + horizon_months + origin_step`` months or
``min_train_years + horizon_years + 1`` annual extracts):

* retirement: ``prior_retirement`` (the law tables' AOD and age limit with documented propensities,
  :mod:`workforce.forecast.priors`) when no full year is observed or too few retirements to fit a rate;
  ``pooled_retirement`` (the position relative to the AOD only, every group pooled) when fewer than three full
  years allow no backtest, or when the full model loses to it on the backtest.
* exits: ``prior_exits`` (documented default rates by statut) when no year at risk is observed or too few
  exits; ``pooled_exits`` (one rate per statut group and motive) as for retirement.
* mobility: ``no_mobility`` (nobody moves) when too few internal moves are observable; ``pooled_mobility``
  (employer-wide rates of moving, destinations still by famille) when the history is too short for the
  backtest or the chain by métier loses to it.
* hires: ``recent_agents_hires`` (the agents of under two years' tenure at the last extract) when fewer than
  :data:`workforce.train.MIN_ARRIVALS` recruits are known, or when the profile of the recruits loses to it on
  the backtest (the last year's recruits).
* indices: ``no_indice_progression`` (every indice stays where it is) when the learned progression predicts the
  last year's indices worse than that.
* demand: ``naive_demand`` (the last value carried forward) when the history is shorter than two backtest
  cut-offs need, when the extracts are further apart than a month without being annual, or when the models
  chosen series by series lose to the naive forecast on the backtest's held-out origins.

A model that loses to its baseline is never the active one: the baseline (the pooled or naive model) is then
what the step registers, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

NAIVE_DEMAND = "naive_demand"
POOLED_RETIREMENT = "pooled_retirement"
PRIOR_RETIREMENT = "prior_retirement"
POOLED_EXITS = "pooled_exits"
PRIOR_EXITS = "prior_exits"
POOLED_MOBILITY = "pooled_mobility"
NO_MOBILITY = "no_mobility"
RECENT_AGENTS_HIRES = "recent_agents_hires"
NO_INDICE_PROGRESSION = "no_indice_progression"

LABELS = {
    NAIVE_DEMAND: "demande naïve",
    POOLED_RETIREMENT: "hasard de retraite groupé, selon la seule position par rapport à l'AOD",
    PRIOR_RETIREMENT: "retraite a priori, selon l'AOD et la limite d'âge de la loi et des propensions documentées",
    POOLED_EXITS: "hasards de départ groupés, un taux par statut et par motif",
    PRIOR_EXITS: "taux de départ par défaut documentés",
    POOLED_MOBILITY: "taux de mobilité groupés à l'échelle de l'employeur",
    NO_MOBILITY: "aucune mobilité",
    RECENT_AGENTS_HIRES: "profil des recrutements pris sur les agents de moins de deux ans d'ancienneté",
    NO_INDICE_PROGRESSION: "indices maintenus à leur niveau (pas de progression de carrière)",
}
"""French label of each fallback (what the user reads after « repli : »)."""
SHORT_LABELS = {
    NAIVE_DEMAND: "naïve", POOLED_RETIREMENT: "groupé", PRIOR_RETIREMENT: "a priori", POOLED_EXITS: "groupé",
    PRIOR_EXITS: "a priori", POOLED_MOBILITY: "groupé", NO_MOBILITY: "aucune mobilité",
    RECENT_AGENTS_HIRES: "agents récents", NO_INDICE_PROGRESSION: "sans progression",
}
"""A word for each fallback, for tables (``workforce models list``)."""

NONE_LABEL = "aucun, modèle complet (au moins aussi bon que sa référence groupée ou naïve au backtest)"
"""What ``workforce models show`` says of a version trained without fallback."""


@dataclass(frozen=True)
class Fallback:
    """A fallback: ``code`` (one of :data:`LABELS`) and ``reason`` (French, with the figures that decided it)."""

    code: str
    reason: str

    def __post_init__(self):
        if self.code not in LABELS:
            raise ValueError(f"unknown fallback {self.code!r}; allowed: {', '.join(LABELS)}")

    @property
    def label(self) -> str:
        return LABELS[self.code]

    def as_dict(self) -> dict:
        """The registry's record: ``code``, ``label`` and ``reason`` (readers need not import this module)."""
        return {"code": self.code, "label": self.label, "reason": self.reason}

    @classmethod
    def from_dict(cls, value: dict | None) -> "Fallback | None":
        return None if not value else cls(value["code"], value["reason"])


def describe(value: dict | None) -> str:
    """« repli : <label> (<reason>) » from a recorded fallback (dict), or the no-fallback sentence."""
    if not value:
        return f"repli : {NONE_LABEL}"
    label = value.get("label") or LABELS.get(value.get("code"), value.get("code"))
    return f"repli : {label} ({value.get('reason')})" if value.get("reason") else f"repli : {label}"
