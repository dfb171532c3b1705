"""The projection's inputs, prepared once and stored beside the models, so that no page open pays for them.

Why: reading the inputs (:func:`workforce.projection.inputs.load`: agents, registry models, skills inputs,
transformation factors) and preparing the engine (hazards of every agent and hire cohort, under each law variant)
took 6-10 s at the first page open of a fresh server (issue 17). `workforce train` stores them
(:func:`ensure`), and the app reads them back in a fraction of a second (:func:`read`).

What is stored: a :class:`Stored` (the inputs, the engine prepared for every horizon bucket with the retirement
hazards of every law variant computed, the retirement forecast of every law variant with its seeded Monte Carlo
draws, the demand baseline's yearly table) in ``<models folder>/.prepared/<key>.joblib``, with a manifest (sha256 of
the file, library versions, the key's parts). The folder's name starts with a dot, so the registry's clean-up of
unregistered folders leaves it alone; only the two most recent files are kept.

The key (:func:`inputs_key`) is everything the stored objects depend on: the extracts (count, last id, last import
time, the latest's id and sha256), the movements and assessed skills (count, last id), the active model versions
(name, version, sha256), the referential and the ROME release (the métiers, skills and requirements tables whole,
the ROME tables by count and last id), and the code (sha256 of the library's sources, law tables and built-in
referential). Another extract, model version, referential or ROME release gives another key: the stored file is
not read, and the caller prepares anew (the app does, then stores the result in the background).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import joblib
from sqlalchemy import func, select

import workforce
from workforce import db, registry, rules
from workforce.config import Settings
from workforce.forecast import active as FA
from workforce.projection import inputs as PI
from workforce.projection.prepared import Prepared
from workforce.referential import data_dir

log = logging.getLogger("workforce.projection.stored")

FOLDER = ".prepared"
KEEP = 2
CODE = ("projection", "forecast", "skills", "rules", "panel.py", "payroll.py", "referential.py", "scenario.py",
        "columns.py", "db.py", "registry")
"""The library's packages and modules the stored objects are computed by (the models carry their own version)."""
COUNTED = {"Movement": "id", "AgentSkill": "id", "RomeRelease": "id", "RomeLink": "id", "RomeAppellation": "code"}
"""Tables known by their row count and last key (large, append-only)."""
HASHED = {"Metier": "code", "Skill": "code", "MetierSkill": "id"}
"""Tables read whole into the key (small, and edited in place by a title mapping or a referential import)."""


class DemandDropped:
    """Stands for the demand model in the stored inputs: it is only read by the preparation, and every preparation
    is stored; leaving it out keeps Prophet and the time-series libraries (seconds of imports) off the page open."""

    def __getattr__(self, name):
        raise AttributeError("the stored inputs carry no demand model: use Stored.for_horizon(), or "
                             "workforce.projection.inputs.load() to prepare again")

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, eq=False)
class Stored:
    """What the app reads at the first page open (shared, never mutated by the caller; the prepared objects keep
    their own hazard caches).

    ``prepared``: horizon bucket -> the engine prepared for it. ``retirement``: law variant -> (the per-agent
    forecast of :func:`workforce.forecast.active.retirement_forecast`, its seeded draws of
    :func:`~workforce.forecast.active.simulate`), empty without an active retirement model. ``demand_annual`` and
    ``demand_report``: the demand baseline's ``annual(HORIZON)`` and ``report()`` (None without a model)."""

    key: str
    inputs: PI.ProjectionInputs
    prepared: dict[int, Prepared]
    retirement: dict = field(default_factory=dict)
    demand_annual: object = None
    demand_report: object = None
    timings: dict = field(default_factory=dict)

    def for_horizon(self, horizon: int) -> Prepared:
        return self.prepared[PI.horizon_bucket(horizon)]


@cache
def code_fingerprint() -> str:
    """sha256 of the sources the stored objects depend on (once per process: the running code does not change)."""
    root = Path(workforce.__file__).resolve().parent
    h = hashlib.sha256(workforce.__version__.encode())
    files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".csv", ".json")
                   and "__pycache__" not in p.parts and p.relative_to(root).parts[0] in CODE)
    referential = data_dir() / "referential"
    files += sorted(referential.glob("*.csv")) if referential.is_dir() else []
    for path in files:
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def inputs_key(engine) -> dict:
    """The parts of the key, as JSON-able values (a few small queries; see the module docstring)."""
    X, MV = db.Extract, db.ModelVersion
    parts: dict = {}
    with engine.connect() as conn:
        ext = conn.execute(select(func.count(X.id), func.max(X.id), func.max(X.imported_at))).one()
        latest = conn.execute(select(X.id, X.sha256).order_by(X.extract_date.desc(), X.id.desc()).limit(1)).first()
        parts["extracts"] = [str(v) for v in (*ext, *(latest or ()))]
        parts["models"] = [list(map(str, row)) for row in conn.execute(
            select(MV.name, MV.version, MV.sha256).where(MV.active.is_(True)).order_by(MV.name, MV.id))]
        for name, last in COUNTED.items():
            column = getattr(db, name).__table__.c[last]
            parts[name] = [str(v) for v in conn.execute(select(func.count(), func.max(column))).one()]
        for name, order in HASHED.items():
            table = getattr(db, name).__table__
            h = hashlib.sha256()
            for row in conn.execute(select(table).order_by(table.c[order])):
                h.update(repr(tuple(row)).encode())
            parts[name] = h.hexdigest()[:16]
    parts["code"] = code_fingerprint()
    return parts


def digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def folder(settings: Settings | None = None) -> Path:
    return registry.models_dir(settings) / FOLDER


def read(engine, settings: Settings | None = None, *, key: str | None = None) -> Stored | None:
    """The stored inputs of the database's current key, or None (none stored, another key, a file whose sha256 or
    library versions do not match its manifest: never loaded)."""
    key = key or digest(inputs_key(engine))
    path = folder(settings) / f"{key}.joblib"
    manifest_path = path.with_suffix(".json")
    if not (path.is_file() and manifest_path.is_file()):
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("sha256") != registry.sha256_file(path):
            log.warning("stored inputs %s: sha256 mismatch, ignored", path)
            return None
        if registry.library_mismatches(manifest.get("libraries")):
            return None
        stored = joblib.load(path)
    except (OSError, ValueError, EOFError, AttributeError, ImportError) as err:
        log.warning("stored inputs %s unreadable (%s), ignored", path, err)
        return None
    return stored if isinstance(stored, Stored) and stored.key == key else None


def build(engine, *, inputs: PI.ProjectionInputs | None = None, key: str | None = None) -> Stored:
    """Read the inputs and prepare the engine for every horizon bucket and law variant (seconds: the work the
    first page open no longer does). The key is computed first: data changed during the build gives the database
    another key, so the file is never read for data it does not hold. ``inputs`` already read: give the ``key``
    computed before reading them."""
    if (inputs is None) != (key is None):
        raise ValueError("give both inputs= and the key= computed before reading them, or neither")
    key = key or digest(inputs_key(engine))
    timings = {}
    t0 = time.perf_counter()
    inputs = inputs if inputs is not None else PI.load(engine)
    timings["load"] = time.perf_counter() - t0
    prepared = {}
    for horizon in PI.HORIZON_BUCKETS:
        t0 = time.perf_counter()
        prep = PI.prepared(inputs, horizon)
        for regime in rules.REGIMES:  # the law variant is a knob: its hazards ready before the first move
            prep.retirement(regime)
        prepared[horizon] = prep
        timings[f"prepare_{horizon}"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    retirement = _retirement(engine)
    timings["retirement"] = time.perf_counter() - t0
    demand = inputs.models.demand
    annual = report = None
    if demand is not None and not isinstance(demand, DemandDropped):
        annual, report = demand.annual(FA.HORIZON), demand.report()
    kept = dataclasses.replace(inputs, models=dataclasses.replace(inputs.models, demand=DemandDropped())
                               if demand is not None else inputs.models)
    return Stored(key=key, inputs=kept, prepared=prepared, retirement=retirement, demand_annual=annual,
                  demand_report=report, timings=timings)


def _retirement(engine) -> dict:
    """Law variant -> (forecast, seeded draws) of the retirement pages, whole employer; {} without a model."""
    try:
        agents, models = FA.latest_agents(engine), FA.load_models(engine)
    except (FA.NoAgents, FA.NoActiveModel, registry.ArtifactError):
        return {}
    out = {}
    for regime in rules.REGIMES:
        forecast = FA.retirement_forecast(agents, models, regime=regime, horizon=FA.HORIZON)
        out[regime] = (forecast, FA.simulate(forecast, n_rep=FA.N_REP, seed=FA.SEED))
    return out


def write(stored: Stored, settings: Settings | None = None) -> Path:
    """Write ``stored`` and its manifest atomically (temporary file, then rename); keep the :data:`KEEP` newest."""
    target = folder(settings)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{stored.key}.joblib"
    tmp = target / f".{stored.key}-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "wb") as fh:
            joblib.dump(stored, fh)
            fh.flush()
            os.fsync(fh.fileno())
        manifest = {"key": stored.key, "sha256": registry.sha256_file(tmp), "libraries": registry.library_versions(),
                    "created_at": dt.datetime.now().isoformat(timespec="seconds"),
                    "timings": {k: round(v, 3) for k, v in stored.timings.items()}}
        manifest_tmp = tmp.with_suffix(".json.tmp")
        manifest_tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)  # the file first: a manifest never names a missing or partial file
        os.replace(manifest_tmp, path.with_suffix(".json"))
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_suffix(".json.tmp").unlink(missing_ok=True)
    for old in sorted(target.glob("*.joblib"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".json").unlink(missing_ok=True)
    return path


def ensure(engine, settings: Settings | None = None) -> tuple[str, float]:
    """Store the inputs of the current key unless they are stored already (`workforce train` calls it at the end
    of every run, with or without a new model). Returns the key and the seconds spent; no data: ("", 0)."""
    t0 = time.perf_counter()
    key = digest(inputs_key(engine))
    if (folder(settings) / f"{key}.json").is_file() and read(engine, settings, key=key) is not None:
        return key, time.perf_counter() - t0
    try:
        stored = build(engine)
    except LookupError:  # no extract: nothing to prepare
        return "", time.perf_counter() - t0
    write(stored, settings)
    return stored.key, time.perf_counter() - t0
