"""Names defined once for every stage: the columns of an agent snapshot (the names of db.AgentSnapshot), of a
movement (db.Movement), of the person-year panel, the departure motives and the projection's indicators.

A light module on purpose (no import beyond the standard library): the import, the panel, the models, the engine,
the pages and the exports all name the same columns and motives, and none of them should pay for another stage's
imports to do so. One name per concept: the métier's code is :data:`METIER_CODE` everywhere.

Glossary: métier the job; filière the professional branch; catégorie A/B/C the hierarchical level; direction the
department of the employer; AOD (âge d'ouverture des droits) the legal minimum retirement age.
"""

from __future__ import annotations

# canonical columns, in the order of db.AgentSnapshot
AGENT_ID = "agent_id"
BIRTH_DATE = "birth_date"
SEX = "sex"
STATUT = "statut"
CATEGORIE = "categorie"
FILIERE = "filiere"
CADRE_EMPLOIS = "cadre_emplois"
GRADE = "grade"
METIER_CODE = "metier_code"
METIER_LABEL = "metier_label"
DIRECTION = "direction"
SERVICE = "service"
QUOTITE = "quotite"
ENTRY_DATE = "entry_date"
PS_ENTRY_DATE = "public_service_entry_date"
SERVICE_CATEGORY = "service_category"
POSITION = "position"
ACTIVE_YEARS = "active_service_years"
QUARTERS = "insurance_quarters"
INDICE = "indice_majore"
CATEGORY_CODES = ("A", "B", "C")
"""The catégories hiérarchiques of the fonction publique, in order."""
DEPARTURE_DATE = "departure_date"
DEPARTURE_MOTIVE = "departure_motive"
EXTRACT_DATE = "extract_date"  # optional column of the file; always set on the stored frame
EXTRA = "extra"

# movement columns (the names of db.Movement)
MOVEMENT_DATE = "movement_date"
KIND = "kind"
MOTIVE = "motive"
FROM_METIER, TO_METIER = "from_metier", "to_metier"
FROM_DIRECTION, TO_DIRECTION = "from_direction", "to_direction"
# movement kinds
DEPARTURE = "departure"
INTERNAL = "internal"

# other grouping columns
YEAR = "year"
FAMILLE = "famille"

# person-year panel columns (workforce.panel)
ANCHOR_DATE = "anchor_date"  # extract giving the risk set
START_DATE = "start_date"  # first day at risk: covariates are measured here
END_DATE = "end_date"  # last day observed
EXPOSURE = "exposure"  # observed share of a year
AGE = "age"  # years, at start_date
TENURE = "tenure"  # years since entry_date, at start_date
EFFECTIVE_CATEGORY = "effective_category"  # the service category whose retirement rules apply
AOD_DATE = "aod_date"
MONTHS_TO_AOD = "months_to_aod"  # calendar months from start_date's month to the AOD's (0: AOD in the first month)
LIMIT_DATE = "limit_date"
MONTHS_TO_LIMIT = "months_to_limit"
YEARS_TO_LIMIT = "years_to_limit"
REQUIRED_QUARTERS = "required_quarters"
START_WORK_AGE = "start_work_age"  # age minus insurance quarters / 4: an early start hints at carrière longue
OUTCOME = "outcome"
EVENT_DATE = "event_date"

# outcome values of the panel
RETIREMENT = "retirement"
EXIT = "exit"
STAY = "stay"
OUTCOMES = (RETIREMENT, EXIT, STAY)

# departure motives (the canonical values of data/mappings/values.yaml)
RETIREMENT_MOTIVES = ("droit_commun", "carriere_longue", "invalidite", "categorie_active", "limite_age")
"""Departure motives that are retirements."""
INVALIDITY = "invalidite"
UNKNOWN_MOTIVE = "inconnu"
"""What the import writes when the extract does not say why an agent left."""
DEPARTURE_EXIT_MOTIVES = ("mutation", "demission", "fin_contrat", "disponibilite", "detachement", "deces",
                          "licenciement")
"""Departure motives that are exits other than retirement, as a movement records them."""
OTHER_MOTIVE = "autre"
EXIT_MOTIVES = (*DEPARTURE_EXIT_MOTIVES, OTHER_MOTIVE)
"""Exit motives of the models, the scenario and the engine, in this fixed order (``autre``: any other or unknown
motive of an exit)."""

# indicators of a projection (workforce.projection's long table)
HEADCOUNT, ETP, PAYROLL = "headcount", "etp", "payroll"
RETIREMENTS, EXITS, HIRES = "retirements", "exits", "hires"
MOBILITY_IN, MOBILITY_OUT, DEMAND, VACANCIES = "mobility_in", "mobility_out", "demand", "vacancies"
EXIT_INDICATORS = tuple(f"exits_{m}" for m in EXIT_MOTIVES)
RECRUITS_RETIREMENTS = "retirements_of_recruits"
"""Of the retirements, those of agents recruited during the projection (the retirement forecast of today's agents
does not count them, the projection does)."""
INDICATORS = (HEADCOUNT, ETP, RETIREMENTS, RECRUITS_RETIREMENTS, EXITS, *EXIT_INDICATORS, HIRES, MOBILITY_IN,
              MOBILITY_OUT, DEMAND, VACANCIES, PAYROLL)
"""Stocks at the end of the year (headcount, ETP, payroll in euros a year), flows during it (retirements, exits by
motive, hires, mobility), demand (ETP) and vacancies = demand - ETP."""
