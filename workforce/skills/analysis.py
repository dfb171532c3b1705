"""The whole skills analysis for one scenario (``analyse``, ``analyse_db``), on the projection engine's
positions (``engine_projection``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from workforce.scenario import Scenario
from workforce.skills.balance import (add_indicators, agent_level_matrix, held_matrix, held_thresholds,
                                      internal_candidates, positions_from_projection, skill_balance, total_balance)
from workforce.skills.inputs import SKILL, YEAR, SkillInputs, active_requirements, load_inputs, unique_codes
from workforce.skills.passerelles import passerelles, reskilling_candidates
from workforce.skills.similarity import LocalWeights, RomeFeatures, local_metier_table, local_similarity
from workforce.skills.space import SkillSpace, mobility_affinity
from workforce.skills.transformation import TransformationParams, requirement_timeline, transformation_profile

@dataclass(frozen=True, eq=False)
class SkillAnalysis:
    """Everything the pages and exports show, for one scenario: see ``analyse``."""

    params: TransformationParams
    base_year: int
    years: np.ndarray
    extract_date: pd.Timestamp
    profile: pd.DataFrame
    new_requirements: pd.DataFrame
    timeline: pd.DataFrame
    positions: pd.DataFrame
    gaps: pd.DataFrame
    gaps_total: pd.DataFrame  # the same, all directions together (direction ALL_DIRECTIONS)
    passerelles: pd.DataFrame
    candidates: pd.DataFrame
    metier_labels: pd.Series
    skill_labels: pd.Series
    rome_version: str | None = None


def analyse(inputs: SkillInputs, projection: pd.DataFrame, params: TransformationParams | None = None,
            presence: np.ndarray | None = None) -> SkillAnalysis:
    """Transformation profile, skill gaps with their indicators, passerelles and reskilling candidates, on the
    positions of ``projection``, the engine's long table (see ``positions_from_projection``)."""
    params = params or TransformationParams()
    profile, new = transformation_profile(inputs, params)
    timeline = requirement_timeline(inputs, new)
    base = inputs.base_year
    positions = positions_from_projection(projection)
    positions = positions[positions[YEAR] > base].reset_index(drop=True)  # the engine's year 0 is the start
    years = np.asarray(sorted(positions[YEAR].unique()), dtype=int)
    known = set(inputs.skills["code"])
    skill_codes = unique_codes(pd.concat([timeline[SKILL], inputs.agent_skills.loc[
        inputs.agent_skills[SKILL].isin(known), SKILL]], ignore_index=True))
    now = active_requirements(timeline, base)
    levels = agent_level_matrix(inputs.agents, inputs.agent_skills, now, skill_codes)
    thresholds = held_thresholds(timeline, skill_codes)
    balance = skill_balance(positions, inputs.agents, levels, timeline, skill_codes, presence=presence,
                            thresholds=thresholds)
    horizon_year = int(years.max())
    local = SkillSpace.build(active_requirements(timeline, horizon_year), inputs.local_metiers()["code"])
    held = held_matrix(levels, thresholds)
    cands = internal_candidates(inputs.agents, levels, held, skill_codes, timeline, horizon_year, local,
                                balance.presence, balance.directions, params.min_coverage)
    gaps = add_indicators(balance, timeline, cands, params.tolerance)
    gaps_total = add_indicators(total_balance(balance), timeline, cands.sum(axis=0, keepdims=True), params.tolerance)
    skill_labels = inputs.skills.drop_duplicates("code").set_index("code")["label"]
    mob = mobility_affinity(inputs.mobility, local.metiers)
    similarity = local_similarity(local_metier_table(inputs), local, mob, RomeFeatures.from_inputs(inputs),
                                  replace(LocalWeights(), mobility=params.alpha))
    pas = passerelles(profile, local, similarity, skill_labels, params.passerelles_k,
                      params.passerelle_min_coverage, mob)
    cand = reskilling_candidates(inputs.agents, levels, skill_codes, profile, local, params.min_coverage)
    return SkillAnalysis(params=params, base_year=base, years=years, extract_date=inputs.extract_date,
                         profile=profile, new_requirements=new, timeline=timeline, positions=positions, gaps=gaps,
                         gaps_total=gaps_total,
                         passerelles=pas, candidates=cand,
                         metier_labels=inputs.metiers.drop_duplicates("code").set_index("code")["label"],
                         skill_labels=skill_labels, rome_version=inputs.rome_version)


def engine_projection(engine, scenario, inputs: SkillInputs | None = None) -> pd.DataFrame:
    """The projection engine's long table for ``scenario``, through the one function from a scenario to a
    projection (:func:`workforce.projection.inputs.project_scenario`): the same figures as the CLI and the app,
    the transformation factors applied there once, the run recorded.
    """
    # imported here, not at the top: the projection's inputs import this package (its transformation factors,
    # workforce.skills.transformation), and importing any part of it runs this package's __init__, which imports
    # this module: a top-level import would be a cycle
    from workforce.projection import inputs as PI

    loaded = PI.load(engine, skill_inputs=inputs)
    return PI.project_scenario(engine, scenario, inputs=loaded, origin="skills").table()


def analyse_db(engine, scenario=None, *, intensity: float | None = None, horizon: int | None = None,
               inputs: SkillInputs | None = None) -> SkillAnalysis:
    """``analyse`` on the database's data under a ``workforce.scenario.Scenario`` (or its defaults).

    The scenario gives the transformation intensity and the horizon (``intensity`` and ``horizon`` override
    them); the projection engine projects the positions under the scenario through ``engine_projection`` (the
    transformation factors as the scenario's ``demand_factors`` unless the scenario sets its own, applied there
    once). An engine that fails makes the analysis fail: no figure comes from anything but the one projection.
    """
    inputs = inputs if inputs is not None else load_inputs(engine)
    knobs = {}
    if scenario is not None:
        knobs = {"intensity": float(scenario.transformation_intensity), "horizon": int(scenario.horizon)}
    if intensity is not None:
        knobs["intensity"] = float(intensity)
    if horizon is not None:
        knobs["horizon"] = int(horizon)
    params = TransformationParams(**knobs)
    run_with = scenario if scenario is not None else Scenario()
    run_with = run_with.replace(horizon=params.horizon, transformation_intensity=params.intensity)
    return analyse(inputs, engine_projection(engine, run_with, inputs), params)
