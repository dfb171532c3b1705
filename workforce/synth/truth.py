"""The generating truth: the hazards the simulation draws from, and ``truth.json`` that writes them out.

The models are checked against these figures (a retirement model trained on the synthetic département should
find `first_year_probability`); the same functions drive the simulation (`workforce.synth.events`), so the
truth written out is the truth used.
"""

from __future__ import annotations

import numpy as np

from workforce.columns import RETIREMENT_MOTIVES
from workforce.synth.params import MOTIVES, SynthParams


def monthly(annual):
    """Monthly probability with the same annual survival: 1 - (1 - p)^(1/12)."""
    return 1.0 - (1.0 - np.asarray(annual, dtype=float)) ** (1.0 / 12.0)


def true_monthly_retirement(months_since_eligible: np.ndarray, age: np.ndarray, p: SynthParams) -> np.ndarray:
    """The generator's retirement hazard for an eligible agent, a month (0 = first month of eligibility)."""
    after = np.where(age >= 65, monthly(p.after_hazard_65), monthly(p.after_hazard))
    return np.where(months_since_eligible < 0, 0.0, np.where(months_since_eligible == 0, p.spike, after))


def true_annual_invalidity(age: np.ndarray, p: SynthParams) -> np.ndarray:
    return np.clip(p.invalidity_at_57 * np.exp(p.invalidity_slope * (np.asarray(age) - 57.0)), 0, 0.2)


def true_annual_death(age: np.ndarray, p: SynthParams) -> np.ndarray:
    return np.clip(p.deces_at_50 * np.exp(p.deces_slope * (np.asarray(age) - 50.0)), 0, 0.2)


def first_year_probability(p: SynthParams) -> float:
    """True probability that an agent retires within the 12 months after eligibility opens (age < 65)."""
    return float(1 - (1 - p.spike) * (1 - monthly(p.after_hazard)) ** 11)


def truth_dict(p: SynthParams) -> dict:
    """What ``truth.json`` holds: every parameter, the retirement and exit hazards in readable form."""
    return {"params": p.to_dict(), "regime": p.regime, "motives": list(MOTIVES),
            "retirement_motives": list(RETIREMENT_MOTIVES),
            "hazard": {"monthly_spike": p.spike, "annual_after": p.after_hazard,
                       "annual_after_65": p.after_hazard_65,
                       "invalidity": f"{p.invalidity_at_57} * exp({p.invalidity_slope} * (age - 57))",
                       "death": f"{p.deces_at_50} * exp({p.deces_slope} * (age - 50))"},
            "first_year_retirement_probability": first_year_probability(p),
            # annual exit hazards at ages 35-54 (x young_multiplier under 35, x senior_multiplier from 55
            # for mutation, démission, disponibilité, détachement)
            "exits": {
                "fonctionnaire": {"mutation": p.mutation, "demission": p.demission_fonctionnaire,
                                  "disponibilite": p.disponibilite, "detachement": p.detachement,
                                  "licenciement": p.licenciement},
                "contractuel_permanent": {"fin_contrat": p.fin_contrat_permanent,
                                          "demission": p.demission_contractuel,
                                          "mutation": p.mutation_contractuel, "licenciement": p.licenciement},
                "contractuel_non_permanent": {"fin_contrat": p.fin_contrat_non_permanent,
                                              "demission": p.demission_contractuel,
                                              "mutation": p.mutation_contractuel,
                                              "licenciement": p.licenciement},
            }}
