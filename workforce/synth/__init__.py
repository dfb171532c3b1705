"""Synthetic département: the embedded default data, and the ground truth the models are checked against.

A monthly microsimulation over whole-population arrays (one loop over months, never over agents). Each
month every active agent faces competing risks (retirement by channel, other exits by motive), then
internal mobility, titularisation, and the hires that fill vacancies whose recruitment delay has run out.
The law comes from `workforce.rules`; the behaviour from `SynthParams`, every figure of which is an
assumption calibrated on ../shared/reference/fpt-facts.md §2-4 and written out beside the data (`truth`).

One job per module:

- `params`: `SynthParams` (every [U] figure, documented), the integer codes, `SyntheticDepartement`;
- `truth`: the generating hazards and what ``truth.json`` holds;
- `population`: the agents' arrays, the métier tables, the population at the start and each hire;
- `events`: a month's events (growth posts, departures, replacements, mobility, statut changes, hires);
- `simulation`: `generate`, the months in order;
- `frames`: month-end snapshots and the frames in the database's columns, assessed skills;
- `calibration`: the generated figures beside the published ones;
- `storage`: `store`, into the database and ``truth.json``.
"""

from workforce.columns import RETIREMENT_MOTIVES
from workforce.synth.calibration import CALIBRATION_TARGETS, calibration_measures, calibration_table
from workforce.synth.params import (CATEGORIES, CNP, CPERM, EXIT_MOTIVES, MOTIVES, RETIREMENT, SERVICE_CATEGORIES,
                                    SEXES, STAG, STATUTS, TIT, SynthParams, SyntheticDepartement, month_ends)
from workforce.synth.population import CADRES, INDICE_MAX, INDICE_START, INDICE_STEP
from workforce.synth.simulation import generate
from workforce.synth.storage import store
from workforce.synth.truth import (first_year_probability, true_annual_death, true_annual_invalidity,
                                   true_monthly_retirement)

__all__ = [
    "CADRES", "CALIBRATION_TARGETS", "CATEGORIES", "CNP", "CPERM", "EXIT_MOTIVES", "INDICE_MAX", "INDICE_START",
    "INDICE_STEP", "MOTIVES", "RETIREMENT", "RETIREMENT_MOTIVES", "SERVICE_CATEGORIES", "SEXES", "STAG", "STATUTS",
    "TIT", "SynthParams", "SyntheticDepartement", "calibration_measures", "calibration_table",
    "first_year_probability", "generate", "month_ends", "store", "true_annual_death", "true_annual_invalidity",
    "true_monthly_retirement",
]
