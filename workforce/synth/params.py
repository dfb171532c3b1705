"""The synthetic département's behaviour (`SynthParams`), its codes, and the shape of what it generates.

Every figure of `SynthParams` is an assumption [U] calibrated on ../shared/reference/fpt-facts.md §2-4 unless
its comment cites a fact; all of them are written out beside the data (``truth.json``, see
`workforce.synth.truth`), so the models trained on the data can be checked against them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.columns import DEPARTURE_EXIT_MOTIVES, RETIREMENT_MOTIVES

# integer codes of the population arrays (the position in each array is the code)
STATUTS = np.array(["titulaire", "stagiaire", "contractuel_permanent", "contractuel_non_permanent"])
TIT, STAG, CPERM, CNP = range(4)
CATEGORIES = np.array(["A", "B", "C"])
SEXES = np.array(["F", "M"])
SERVICE_CATEGORIES = np.array(["sedentaire", "active", "insalubre"])

EXIT_MOTIVES = DEPARTURE_EXIT_MOTIVES  # a simulated departure always has its motive: never "autre"
# every departure motive, in the order of the competing-risk draw
MOTIVES = np.array([*RETIREMENT_MOTIVES, *EXIT_MOTIVES])
RETIREMENT = "retraite"


@dataclass
class SynthParams:
    """Behaviour of the synthetic département. Every figure is an assumption [U] unless it cites a fact.

    Retirement (fpt-facts §2): a spike of departures in the first month of eligibility, a tail to the age
    limit, invalidity before the AOD, and a carrière longue channel opening `carriere_longue_months`
    before the AOD for a share of agents that depends on the catégorie.
    """

    n_agents: int = 8000
    years: int = 10
    end: str = "2025-12-31"
    seed: int = 42
    # law in force over the history: the 2023 reform applies to every pension of the period
    regime: str = "reform2023"
    # share of those eligible who leave in their first month of eligibility (§2: 20-35 %)
    spike: float = 0.27
    # annual retirement hazard after the first month, before and from 65 (tail to the age limit)
    after_hazard: float = 0.20
    after_hazard_65: float = 0.32
    # carrière longue: share of agents flagged by catégorie, and how early the channel opens (§1: AOD - 2 y)
    carriere_longue_share: dict = field(default_factory=lambda: {"A": 0.04, "B": 0.15, "C": 0.30})
    carriere_longue_months: int = 24
    # invalidity: annual hazard at 57 and its growth per year of age (§2: ~0.33 % of agents, mean age ~57)
    invalidity_at_57: float = 0.0055
    invalidity_slope: float = 0.09
    # other exits of fonctionnaires, annual (§4); mutation by catégorie
    mutation: dict = field(default_factory=lambda: {"A": 0.030, "B": 0.024, "C": 0.011})
    disponibilite: float = 0.007
    detachement: float = 0.003
    demission_fonctionnaire: float = 0.003
    licenciement: float = 0.0005
    # death: annual hazard at 50 and growth per year of age
    deces_at_50: float = 0.0015
    deces_slope: float = 0.08
    # age modifier of voluntary exits: young agents move more
    young_multiplier: float = 1.6
    senior_multiplier: float = 0.5
    # contractuels (§4: 25-40 % a year, mostly end of contract)
    fin_contrat_permanent: float = 0.13
    fin_contrat_non_permanent: float = 0.42
    demission_contractuel: float = 0.05
    mutation_contractuel: float = 0.015
    titularisation: float = 0.055  # contractuel permanent -> stagiaire, a year
    stage_months: int = 12  # stagiaire -> titulaire
    # hires: statut mix (§4: contractuels are 73 % of entries) and age
    hire_statut: dict = field(
        default_factory=lambda: {"titulaire": 0.27, "stagiaire": 0.08, "contractuel_permanent": 0.40,
                                 "contractuel_non_permanent": 0.25}
    )
    hire_age_mean: float = 37.5  # [U] calibrated: the 50+ share of the last extract within fpt-facts §3
    hire_age_sd: float = 9.0
    replacement_rate: float = 0.97
    steady_exit_rate: float = 0.11  # annual exits of the steady state, to size the posts vacant at the start
    recruitment_delay_months: float = 3.0  # mean months a post stays vacant
    # internal mobility: annual probability, and the share of moves that change métier (else direction)
    mobility: float = 0.035
    mobility_change_metier: float = 0.5
    # demand growth a year by famille keyword (lower-case substring of the famille name)
    growth: dict = field(
        default_factory=lambda: {"numérique": 0.03, "autonomie": 0.02, "enfance": 0.012, "insertion": 0.01,
                                 "environnement": 0.015, "accueil": -0.025, "routes": -0.01,
                                 "administration": -0.008}
    )
    # initial age structure (two-component mixture) tuned so the last snapshot matches fpt-facts §3
    initial_age_mean: float = 47.5
    initial_age_sd: float = 10.0
    women_share: float = 0.63
    part_time_share: float = 0.07
    assessed_share: float = 0.35  # agents whose skills were assessed (entretien professionnel)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SyntheticDepartement:
    """The generated history: long frames in the database's column names, and the generating truth."""

    snapshots: pd.DataFrame
    movements: pd.DataFrame
    agent_skills: pd.DataFrame
    extract_dates: pd.DatetimeIndex
    truth: dict
    params: SynthParams


def month_ends(end: str, years: int) -> pd.DatetimeIndex:
    """The ``12 * years`` month-end dates of the history, the last one the month of ``end``."""
    return pd.date_range(end=pd.Timestamp(end), periods=12 * years, freq="ME")
