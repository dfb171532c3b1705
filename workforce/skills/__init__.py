"""Skills: job transformation, skill supply and demand by direction and year, passerelles, reskilling.

The chain this package closes: the transitions change what métiers need (transformation profile), departures
take skills away and hires bring the profile in force (supply), projected positions times required skills
give the demand, and the difference is the training or recruitment list of the training managers.

Glossary (the French domain words stay French):

requirement
    A métier requires a skill at a level (1 notions, 2 pratique, 3 maîtrise, 4 expertise) from a year on
    (``from_year`` missing: always). Local métiers take theirs from the referential; a ROME fiche requires
    each of its compétences and savoirs, without level (stored as 1).
exposure
    How much a métier is concerned by a transition (numérique, écologique, démographique), in [0, 1]: half
    its ROME fiche's own flag, half the share of its required skills the ROME flags for that transition
    (the demographic transition has no skill flag: the fiche flag alone).
transformation intensity
    The scenario's knob on the pace of transformation: 0 none, 1 the central assumption, 2 twice as fast.
    It scales the transition's effect on demand (as ``Scenario.transformation_intensity`` does) and brings
    new requirements forward (a requirement due in ``k`` years comes in ``k / intensity``).
classe
    growing (demand at least +1 %/year), declining (at most -1 %/year), transforming (not either, but at
    least a fifth of its requirements at the horizon are new) or stable.
supply, demand, gap (FTE, by skill x direction x year)
    Supply: FTE of projected agents holding the skill: today's agents weighted by their probability of still
    being there (their assessed level where known, else their métier's profile), plus the entrants, hired
    on the profile in force that year. Demand: projected positions (FTE) x the requirements in force.
    ``gap = supply - demand``: negative is a shortage. An agent holds a skill when their level reaches the
    lowest level at which any métier requires it.
urgency, criticality
    Urgency: the first year a shortage of at least ``tolerance`` FTE opens, per skill and direction.
    Criticality in [0, 1]: breadth (how many métiers need the skill, log-scaled to the most needed skill)
    x scarcity (the share of the demand that supply leaves uncovered).
coverage (source -> target)
    The share of the target's required skills the source holds at the required level (in proportion below
    it: level 2 for a level-3 requirement counts 2/3), each skill weighted by its specificity (inverse
    document frequency over métiers): ``coverage(a, b) != coverage(b, a)``.
similarity (between métiers)
    The weighted mean of block cosines over what the ROME knows of two métiers (technical and transverse
    compétences, savoirs, savoir-être, macro-compétences, contextes de travail, appellations, domaine
    professionnel as a prior); a local métier adds its own skills and levels and the observed moves
    (``similarity``; the weights and their evaluation: ``bench/bench_passerelles.py``).
passerelle
    A move from a declining or transforming métier to a growing one whose skills it already holds for at least
    ``MIN_PASSERELLE_COVERAGE`` (40 %, by count, levels in proportion), ranked by similarity; a source with no
    such target gets « aucune passerelle crédible ».
reskilling candidate
    An agent of a declining or transforming métier whose own skills cover a growing métier's needs.

Every function takes frames and returns new frames (inputs are never mutated); the work is sparse-matrix
products over integer-coded agents, métiers, skills and directions, never a Python loop over agents.
The positions (FTE in post, hires, demand by métier x direction x year) always come from the projection engine,
through the one function from a scenario to a projection.

One job per module: ``inputs`` (what the analysis reads), ``space`` (skill space, coverage),
``similarity`` (between métiers, from the ROME's blocks), ``transformation`` (profile and demand factors; below
the projection engine, which reads them), ``balance`` (supply, demand, gaps and their indicators),
``passerelles`` (reskilling paths), ``analysis`` (the whole).
"""

from workforce.skills.inputs import (  # noqa: F401
    ACTION, ACTIONS, AGENT, ALL_DIRECTIONS, BROWN_FLAG, CANDIDATES, CLASSES, COVERAGE, CRITICALITY, DEMAND,
    DEMAND_FTE, DIRECTION, ETP, EXITS, FROM_YEAR, GAP_FTE, GREEN_FLAGS, HEADCOUNT, HIRES, HOLDERS, LEVEL, LEVELS,
    METIER, METIERS_REQUIRING, MOBILITY, MOBILITY_IN, REVERSE, SCORE, SHORTAGE_FTE, SKILL, SUPPLY_FTE, URGENCY, YEAR,
    SkillInputs, active_requirements, inputs_from_synth, load_inputs, rome_requirements_from_links,
)
from workforce.skills.space import (  # noqa: F401
    SkillSpace, coverage_matrix, level_matrix, met_count, mobility_affinity, specificity,
)
from workforce.skills.transformation import (  # noqa: F401
    TransformationParams, demand_factors, historical_trend, metier_exposure, new_requirements, requirement_timeline,
    transformation_factor, transformation_profile,
)
from workforce.skills.balance import (  # noqa: F401
    Balance, add_indicators, agent_level_matrix, held_matrix, held_thresholds, internal_candidates,
    positions_from_projection, presence_from_positions, skill_balance, total_balance,
)
from workforce.skills.similarity import (  # noqa: F401
    LocalWeights, MetierVectors, RomeFeatures, SimilaritySpaces, SimilarityWeights, combine_local,
    local_metier_table, local_parts, local_similarity, parent_judgements, ranking_quality, similar_metiers,
    tfidf_similarity,
)
from workforce.skills.passerelles import (  # noqa: F401
    MIN_PASSERELLE_COVERAGE, NO_CREDIBLE, PROPOSED, held_share, passerelles, passerelles_between,
    reskilling_candidates,
)
from workforce.skills.analysis import SkillAnalysis, analyse, analyse_db, engine_projection  # noqa: F401
