"""Projection engine: today's agents, the fitted models and a scenario -> the workforce year by year.

Why: the planner moves a slider and expects the figures at once; the same engine also gives honest bands.
So the engine is a stock-flow microsimulation over whole-population arrays (DESIGN: struct of arrays,
integer-coded groups, ``np.bincount``/``np.add.reduceat``, never a Python loop over agents), in two modes:

``expected``
    Fractional survivors, deterministic: each agent carries a survival probability; flows are expected values.
    8,000 agents over 10 years take a few milliseconds once :func:`prepare` has computed the hazards.
``mc``
    Monte Carlo: seeded replicates where each agent leaves (by one cause) or stays, moves or not; hires are
    individuals. Replicates run in chunks through joblib; P10/P50/P90 bands by total, catégorie, direction,
    métier and famille (quantiles do not add up, so each level has its own).

Two steps. :func:`prepare` computes once per model set what does not depend on the scenario knobs (exit
hazards by motive, the retirement hazard under the default knobs, hire profiles, the mobility operator, the
demand baseline, indices); retirement hazards under other law variants or retirement knobs are computed on
first use and cached in the prepared object. :func:`run` applies a :class:`workforce.scenario.Scenario` and is
cheap: the combined hazards and the base agents' flows are cached per (law, retirement and exit knobs), so a
knob on hiring, replacement, delay or demand only reruns the yearly loop over cells.

One year (t), in order, for every group (catégorie x métier x direction, a *cell*):

1. Departures of those present at the start: retirement and the exit motives are competing causes of one
   year, P(stay) = 1 - h_retirement - sum_k m_k h_k (``m_k`` the scenario's exit multipliers; when the causes
   add up to more than 1 they are scaled down; in the year of the age limit retirement takes the rest).
2. Internal mobility of those who stay (:class:`workforce.forecast.mobility.MobilityOperator`). In expected
   mode the mass of an agent spreads over cells; since hazards do not depend on the cell, each year's flows are
   summed by origin cell and moved through the chain (the base agents' flows of year k by k steps, in float32;
   each hire cohort's position by one step a year). A post follows an agent who moves (a redeployment).
3. Hires at the end of the year. Posts follow the demand: ``posts(t) = posts(t-1) - (1 - replacement rate) x
   departures(t) + change of demand (heads) + mobility in - out``; the gap between posts and agents (minus
   those already being recruited) opens recruitments, filled after ``recruitment_delay_months`` (a share spills
   into next year); a frozen year hires nobody and cuts the posts to the agents left. Posts vacant at the start
   are those the delay keeps open in a steady state (delay x departures), so a 100 % replacement keeps headcount
   flat. Monte Carlo draws the same rule in whole posts (Poisson vacancies at the start, binomial spills and
   cuts), so that its mean converges to the expected mode.

Hires are drawn from :class:`HireProfile` templates (statut, age, quotité, indice by catégorie, learned from
the recent arrivals by `workforce train` and stored in the registry, :mod:`workforce.forecast.hires`); their later departures use the same models, on pseudo-agents hired each year.

Output (:class:`Projection`): a long table ``year, metier_code, direction, categorie, indicator, value`` (and in
Monte Carlo ``mean, p10, p50, p90`` on the aggregated levels), where year 0 of the table is the base year (the
stock at the start) and the indicators are :data:`INDICATORS`. The stock-flow identity holds for every cell
and year: headcount(t) = headcount(t-1) - retirements - exits + hires + mobility_in - mobility_out.

Layout (one job per file; this package face re-exports the public names):

``names``       columns, indicators, levels and modes
``hazards``     per-agent hazards (:class:`ModelHazards`, :class:`LawRetirementHazard`) and :func:`combine`, the
                one place where retirement and exit probabilities are combined
``prepared``    :class:`Prepared` (what every scenario of a model set shares, with its caches), :class:`Models`
``knobs``       a scenario to the arrays of one run (cause probabilities, replacement, demand, payroll rates)
``expected``    the expected mode
``montecarlo``  the Monte Carlo mode (:func:`warm_workers`)
``engine``      :func:`prepare`, :func:`run`, :func:`agent_survival`
``result``      :class:`Projection`, :func:`code_version`
``inputs``      from the database and a scenario to a projection: :func:`load_inputs`, :func:`prepare_from_db`,
                and the one road of the CLI, the app, the exports and the skills analysis
                (:func:`workforce.projection.inputs.project_scenario`)

Glossary: see :mod:`workforce` (métier, famille, direction, catégorie, ETP, AOD).
"""

from workforce.forecast.hires import HireProfile, arrivals_from_history
from workforce.projection.engine import agent_survival, prepare, run
from workforce.projection.hazards import LawRetirementHazard, ModelHazards, combine
from workforce.projection.montecarlo import BAND_DETAIL, warm_workers
from workforce.projection.names import (AGENT_ID, ALL, BIRTH_DATE, CATEGORIE, CATEGORY_CODES, DEMAND, DIRECTION,
                                        ENTRY_DATE, ETP, EXIT_INDICATORS, EXIT_MOTIVES, EXITS, EXTRACT_DATE, FAMILLE,
                                        HEADCOUNT, HIRES, INDICATOR, INDICATORS, INDICE, LEVEL, LEVELS, MC_BATCH,
                                        MC_CHUNK, MC_INDICATORS, MEAN, METIER, MOBILITY_IN, MOBILITY_OUT, MODES, P10,
                                        P50, P90, PAYROLL, PAYROLL_FLOWS, QUOTITE, RETIREMENTS, STATUT, VACANCIES,
                                        VALUE, YEAR)
from workforce.projection.prepared import Models, Prepared
from workforce.projection.result import Projection, code_version
# last: inputs reads the skills module, which may read this package's face
from workforce.projection.inputs import MODEL_NAMES, load_inputs, prepare_from_db  # noqa: E402, I001

__all__ = [
    "AGENT_ID", "ALL", "BAND_DETAIL", "BIRTH_DATE", "CATEGORIE", "CATEGORY_CODES", "DEMAND", "DIRECTION",
    "ENTRY_DATE", "ETP", "EXIT_INDICATORS", "EXIT_MOTIVES", "EXITS", "EXTRACT_DATE", "FAMILLE", "HEADCOUNT", "HIRES",
    "INDICATOR", "INDICATORS", "INDICE", "LEVEL", "LEVELS", "MC_BATCH", "MC_CHUNK", "MC_INDICATORS", "MEAN",
    "METIER", "MOBILITY_IN", "MOBILITY_OUT", "MODEL_NAMES", "MODES", "P10", "P50", "P90", "PAYROLL",
    "PAYROLL_FLOWS", "QUOTITE", "RETIREMENTS", "STATUT", "VACANCIES", "VALUE", "YEAR",
    "HireProfile", "LawRetirementHazard", "ModelHazards", "Models", "Prepared", "Projection",
    "agent_survival", "arrivals_from_history", "code_version", "combine", "load_inputs", "prepare",
    "prepare_from_db", "run", "warm_workers",
]
