"""From a scenario to its projection: the one road the CLI, the app, the exports and the skills analysis take.

Why: the same scenario must give the same numbers wherever a planner reads them. The steps from the database to
the engine used to be written three times, and only the app added the skills module's transformation factors,
so `workforce project` and the Scénarios page disagreed on the same default scenario (issue 12). Here they are
written once:

1. :func:`load` reads the inputs once: the latest extract's agents, the registry's active models (missing or
   refused ones fall back, said in the provenance), the hire profile and the indice progression among them
   (:func:`load_inputs`), and the skills inputs (referential, ROME release), from which
   the transformation factors by métier and year are computed once, at intensity 1, over 30 years.
2. :func:`effective_scenario` adds those factors to a scenario that has none of its own ``demand_factors``;
   the scenario's ``transformation_intensity`` scales them in the engine (0: no transformation). Job
   transformation is part of the product, so the default scenario includes it.
3. :func:`prepared` prepares the engine for a horizon bucket (10, 20 or 30 years): every door prepares the same
   way, so a scenario of 7 years gives the same figures from the CLI as from the app's cached preparation.
4. :func:`project_scenario` runs the engine and records the run in ``projection_runs`` (scenario name and hash,
   extract, model versions, code version, seed, replicates, actor, origin).

Callers that cache (the app) keep the result of :func:`load` and :func:`prepared` and pass them in; the scenario
is never rebuilt outside this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pandas as pd
from sqlalchemy import func, select

from workforce import db, panel
from workforce import payroll as pay
from workforce import registry
from workforce import rules
from workforce import skills as sk
from workforce.forecast.hires import MIN_ARRIVALS, PROFILE_YEARS, HireProfile, arrivals_from_history, recent_agents
from workforce.projection.engine import prepare, run
from workforce.projection.names import BIRTH_DATE, ENTRY_DATE, EXTRACT_DATE, INDICE
from workforce.projection.prepared import Models, Prepared
from workforce.projection.result import Projection
from workforce.scenario import Scenario

HORIZON_BUCKETS = (10, 20, 30)
FACTOR_HORIZON = 30  # years of transformation factors computed at load (the longest scenario)
ORIGINS = ("cli", "app", "export", "skills", "library")
MODEL_NAMES = ("retirement", "exits", "mobility", "demand", "hires", "indices")
"""The registry models the engine reads (:func:`load_inputs`)."""


def load_inputs(engine) -> tuple[pd.DataFrame, Models, dict]:
    """What :func:`prepare` needs, read from the database: the agents of the latest extract and the active models
    of the registry (hazards, mobility, demand, hire profile, indice progression). A missing or refused model
    falls back, and the provenance says so: the hazards to the engine's law-based defaults, the hire profile and
    the indice progression to ones fitted here as `workforce train` would."""
    S, X = db.AgentSnapshot, db.Extract
    with engine.connect() as conn:
        last = conn.execute(select(func.max(S.extract_date))).scalar()
        if last is None:
            raise LookupError("la base ne contient aucune extraction : lancez `workforce synth` ou `workforce import`")
        base = db.read_frame(conn, select(S).where(S.extract_date == last))
        ext = conn.execute(select(X.id, X.kind, X.sha256).where(X.extract_date == last).order_by(X.id.desc())).first()
    for c in (BIRTH_DATE, ENTRY_DATE, EXTRACT_DATE):
        base[c] = pd.to_datetime(base[c])
    provenance: dict = {"extract_date": str(pd.Timestamp(last).date()), "extract_id": int(ext.id) if ext else None,
                        "extract_kind": ext.kind if ext else None, "extract_sha256": ext.sha256 if ext else None,
                        "fallbacks": {}}
    loaded, versions = {}, {}
    for name in MODEL_NAMES:
        try:
            item = registry.load(engine, name)
            loaded[name] = item.estimator
            versions[name] = {"version": item.record.version, "sha256": item.record.sha256}
        except Exception as err:  # noqa: BLE001 - a missing or refused model falls back, said in the provenance
            provenance["fallbacks"][name] = f"{type(err).__name__}: {err}"
    if "hires" not in loaded:
        loaded["hires"] = _hire_profile(engine, base, pd.Timestamp(last))
    if "indices" not in loaded:
        indices = panel.load_indices(engine)
        loaded["indices"] = pay.IndiceProgression().fit(indices) if indices[INDICE].notna().any() else None
    models = Models(retirement=loaded.get("retirement"), exits=loaded.get("exits"), mobility=loaded.get("mobility"),
                    demand=loaded.get("demand"), hires=loaded["hires"], indices=loaded["indices"], versions=versions)
    return base, models, provenance


def _hire_profile(engine, base: pd.DataFrame, last: pd.Timestamp) -> HireProfile:
    """The hire profile `workforce train` would give: the recruits of the last three years, else the agents of
    under two years' tenure."""
    snaps, moves = panel.load_arrivals(engine)
    arrivals = arrivals_from_history(snaps, moves, years=PROFILE_YEARS)
    if len(arrivals) >= MIN_ARRIVALS:
        return HireProfile().fit(arrivals)
    return HireProfile().fit(recent_agents(base, last))


def prepare_from_db(engine, *, horizon: int = 10, regime: str = rules.DEFAULT_REGIME) -> Prepared:
    """:func:`prepare` on the latest extract with the registry's active models (see :func:`load_inputs`)."""
    base, models, provenance = load_inputs(engine)
    return prepare(base, models, horizon=horizon, regime=regime, provenance=provenance)


@dataclass(frozen=True, eq=False)
class ProjectionInputs:
    """What every projection of one data and model version reads; shared, never mutated.

    ``factors``: the skills module's transformation factors ``{metier_code: {year: factor}}`` at intensity 1
    over :data:`FACTOR_HORIZON` years (the shape of ``Scenario.demand_factors``).
    """

    base: pd.DataFrame
    models: Models
    provenance: dict
    skills: sk.SkillInputs
    factors: dict


def load(engine, *, skill_inputs: sk.SkillInputs | None = None) -> ProjectionInputs:
    """Read the inputs once (see the module docstring); ``skill_inputs`` when the caller already read them
    (the skills analysis). Raises ``LookupError`` when the database holds no extract."""
    base, models, provenance = load_inputs(engine)
    skill_inputs = skill_inputs if skill_inputs is not None else sk.load_inputs(engine)
    profile, _ = sk.transformation_profile(skill_inputs, sk.TransformationParams(horizon=FACTOR_HORIZON))
    factors = sk.demand_factors(profile, skill_inputs.base_year, FACTOR_HORIZON)
    provenance = dict(provenance) | {"rome_version": skill_inputs.rome_version}
    return ProjectionInputs(base=base, models=models, provenance=provenance, skills=skill_inputs, factors=factors)


def horizon_bucket(horizon: int) -> int:
    """The preparation horizon serving a scenario horizon (fewer preparations to cache, the same for all)."""
    return next(b for b in HORIZON_BUCKETS if horizon <= b)


def transformation_applies(scenario: Scenario) -> bool:
    """True when the skills module's factors go into this scenario: it sets no ``demand_factors`` of its own."""
    return not scenario.demand_factors


def effective_scenario(inputs: ProjectionInputs, scenario: Scenario) -> Scenario:
    """The scenario the engine runs: with the transformation factors of the first ``scenario.horizon`` years
    when it has none of its own (applied once, here); unchanged otherwise."""
    if not transformation_applies(scenario):
        return scenario
    last = inputs.skills.base_year + scenario.horizon
    factors = {code: {y: f for y, f in by_year.items() if int(y) <= last}
               for code, by_year in inputs.factors.items()}
    factors = {code: by_year for code, by_year in factors.items() if by_year}
    return scenario.replace(demand_factors=factors) if factors else scenario


def prepared(inputs: ProjectionInputs, horizon: int) -> Prepared:
    """The engine prepared for the bucket of ``horizon`` (seconds; cache it per data and model version)."""
    return prepare(inputs.base, inputs.models, horizon=horizon_bucket(horizon), provenance=inputs.provenance)


def project_scenario(engine, scenario: Scenario | None = None, *, name: str | None = None, mc: int = 0,
                     seed: int | None = None, actor: str | None = None, origin: str = "library",
                     inputs: ProjectionInputs | None = None, prepared_engine: Prepared | None = None,
                     n_jobs: int = 1, progress: Callable[[int, int], None] | None = None,
                     record: bool = True) -> Projection:
    """The projection of ``scenario`` (default knobs when None): the one function from a scenario to a result.

    Parameters
    ----------
    name : str
        The saved scenario's name, recorded with the run (None: unsaved).
    mc : int
        Monte Carlo replicates (0: expected values only).
    seed : int
        Overrides ``scenario.seed`` (the one seed of the Monte Carlo mode).
    inputs, prepared_engine : optional
        What :func:`load` and :func:`prepared` return, for callers that cache them (the app); read here when
        None. A preparation shorter than the scenario is replaced.
    record : bool
        Write one ``projection_runs`` row (every door does; tests of the engine alone may not).
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, got {origin!r}")
    scenario = scenario if scenario is not None else Scenario()
    if seed is not None:
        scenario = scenario.replace(seed=seed)
    inputs = inputs if inputs is not None else load(engine)
    effective = effective_scenario(inputs, scenario)
    if prepared_engine is None or prepared_engine.horizon != horizon_bucket(effective.horizon):
        prepared_engine = prepared(inputs, effective.horizon)
    result = run(prepared_engine, effective, mode="mc" if mc else "expected", replicates=mc or 1,
                    n_jobs=n_jobs, progress=progress)
    if record:
        record_run(engine, result, scenario, name=name, actor=actor, origin=origin)
    return result


def record_run(engine, result: Projection, scenario: Scenario, *, name: str | None = None,
               actor: str | None = None, origin: str = "library") -> int:
    """Write the run to ``projection_runs`` (``scenario`` as the caller gave it); returns the row id."""
    prov = result.provenance
    extract_date = prov.get("extract_date")
    row = db.ProjectionRun(
        actor=actor, origin=origin, scenario_name=name, scenario_hash=scenario.fingerprint(),
        params=scenario.to_dict(), transformation_applied=transformation_applies(scenario),
        extract_id=prov.get("extract_id"),
        extract_date=dt.date.fromisoformat(str(extract_date)[:10]) if extract_date else None,
        models=models_used(result), code_version=prov.get("code_version"), seed=int(result.scenario.seed),
        mc_replicates=int(prov.get("replicates") or 0), horizon=int(result.scenario.horizon),
        result_fingerprint=result.fingerprint())
    with db.session_scope(engine) as s:
        s.add(row)
        s.flush()
        return int(row.id)


def models_used(result: Projection) -> dict:
    """``{name: {"version", "sha256"}}`` of the registry models the run used, plus ``"fallbacks"``
    (``{name: why}``) for those replaced by a documented assumption."""
    prov = result.provenance
    versions = {k: dict(v) for k, v in (prov.get("models") or {}).items()}
    return versions | {"fallbacks": dict(prov.get("fallbacks") or {})}
