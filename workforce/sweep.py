"""Scenario sweeps: a grid of scenario knobs, each point projected in Monte Carlo, on local processes or on a Dask
cluster, into one long table stored in the database (issue 17, « Beyond one machine »).

Why: a region, a centre de gestion pooling collectivités or a national study (about 1.9 million territorial agents)
compares many scenarios x replicates, more than one machine projects in a working day. Nothing here distributes
work by itself: the points go through joblib, whose backend is loky (local processes) or Dask
(``dask.distributed``) by configuration only (:func:`connect`, :func:`backend`), so the same code runs on both.

One point, one task. The task runs the engine's own call, ``projection.run(prepared, scenario, mode="mc",
replicates=R, n_jobs=1)``, on the scenario as :func:`workforce.projection.inputs.effective_scenario` completes it
(the skills module's transformation factors), on the preparation of its horizon bucket
(:func:`workforce.projection.inputs.prepared`), and publishes each level through
:func:`workforce.export.projection_published` (statistical secrecy: groups under 5 agents, and those that would
give them away, blanked): a point's figures are those `workforce project --mc R --seed S --out` writes for the
same scenario, number for number.

Seeds: a point's Monte Carlo is seeded by its scenario's ``seed`` (the base scenario's, ``--seed``, or a ``seed``
list in the grid) and the engine seeds each chunk of replicates from it (``SeedSequence(seed).spawn``, chunks of
:data:`workforce.projection.MC_CHUNK`): the numbers depend on the point and the chunk, never on the worker, the
number of workers or the backend. Points share their seed unless the grid varies it (common random numbers: two
points differ by their knobs, not by their draws).

Grid file (YAML)::

    base: gel-2027              # optional: a saved scenario's name, or knobs over the defaults (a mapping)
    grid:                       # every combination is a point; the last key varies fastest
      regime: [reform2023, lfss2026]
      replacement_rate: [0.8, 1.0]
      exit_multipliers.mutation: [1.0, 1.5]   # one key of a knob that maps names to numbers

The long table (:data:`RESULT_COLUMNS`): ``point``, one column per grid knob, ``year, level, group, indicator``,
``value`` (expected mode), ``mean, p10, p50, p90`` (replicates), ``suppressed``; a hidden row's figures are
empty. Stored in ``sweeps`` (one row: grid, points, extract, models, code, seed, backend) and ``sweep_results``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import pandas as pd
import yaml
from joblib import Parallel, delayed, parallel_config
from sqlalchemy import select

from workforce import db
from workforce.export import projection_published, write_csv, write_xlsx
from workforce.export_projection import EXCEL_FORMATS, MASKED, ONE_DECIMAL
from workforce.labels import INDICATOR_LABELS, LEVEL_LABELS, fmt_int, knob_label, knob_value
from workforce.privacy import MIN_CELL
from workforce.projection import INDICATOR, LEVEL, LEVELS, MEAN, P10, P50, P90, VALUE, YEAR, run
from workforce.projection import inputs as PI
from workforce.projection.prepared import Prepared
from workforce.projection.result import code_version
from workforce.scenario import REFERENCE_NAME, Scenario, ScenarioError, ScenarioNotFound
from workforce.scenario import load as load_scenario

POINT, GROUP, SUPPRESSED = "point", "group", "suppressed"
STATS = (VALUE, MEAN, P10, P50, P90)
RESULT_COLUMNS = (POINT, YEAR, LEVEL, GROUP, INDICATOR, *STATS, SUPPRESSED)
"""The long table's columns, the grid's knobs going between ``point`` and ``year``."""
GRID_KEYS = ("base", "grid")
KNOBS = tuple(Scenario.__dataclass_fields__)
MAPPING_KNOBS = tuple(name for name, f in Scenario.__dataclass_fields__.items() if "dict" in str(f.type))
"""Knobs that map names to numbers: the grid may vary one of their keys (``exit_multipliers.mutation``)."""
MAX_POINTS = 10_000
"""A grid larger than this is refused (a typo in a list multiplies the work)."""
CONNECT_TIMEOUT = 10.0
"""Seconds to reach a Dask scheduler before saying it is unreachable."""
XLSX_MAX_ROWS = 1_048_575


# ---------------------------------------------------------------------------------------------- grid

class GridError(ValueError):
    """A grid file that cannot be used; ``source`` the file, ``key`` the key at fault (None: the whole file)."""

    def __init__(self, source: str, key: str | None, message: str):
        self.source, self.key = source, key
        super().__init__(f"{source} : " + (f"clé « {key} » : " if key else "") + message)


class _StrictLoader(yaml.SafeLoader):
    """YAML without silent duplicates: a key given twice is refused, not overwritten."""


def _mapping(loader: _StrictLoader, node, deep: bool = False) -> dict:
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(None, None, f"clé en double « {key} »", key_node.start_mark)
        keys.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def apply_knobs(base: Scenario, knobs: Mapping[str, Any]) -> Scenario:
    """``base`` with a point's knobs; ``"a.b"`` sets key ``b`` of the knob ``a`` that maps names to numbers."""
    params = base.to_dict()
    for key, value in knobs.items():
        head, _, sub = key.partition(".")
        params[head] = {**(params.get(head) or {}), sub: value} if sub else value
    return Scenario.from_dict(params)


@dataclass(frozen=True)
class Grid:
    """A grid of scenario knobs as read from its file: ``base`` (a saved scenario's name, knobs over the defaults,
    or None: the defaults) and ``knobs`` (knob -> values, in the file's order)."""

    source: str
    base: str | dict | None
    knobs: dict

    @property
    def size(self) -> int:
        n = 1
        for values in self.knobs.values():
            n *= len(values)
        return n

    def points(self) -> list[dict]:
        """Every combination of the knobs' values, the last knob varying fastest."""
        names = list(self.knobs)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.knobs.values())]

    def base_scenario(self, engine=None) -> Scenario:
        """The scenario every point starts from (a saved name is read from ``engine``)."""
        if isinstance(self.base, str) and self.base != REFERENCE_NAME:
            try:
                return load_scenario(engine, self.base).scenario
            except ScenarioNotFound as err:
                raise GridError(self.source, "base", str(err)) from None
        if isinstance(self.base, dict):
            try:
                return Scenario.from_dict(self.base)
            except ScenarioError as err:
                raise GridError(self.source, f"base.{err.field}", str(err).split(" : ", 1)[-1]) from None
        return Scenario()

    def scenarios(self, base: Scenario) -> list[Scenario]:
        """One scenario per point; a combination the scenario refuses is named with its point."""
        out = []
        for i, knobs in enumerate(self.points()):
            try:
                out.append(apply_knobs(base, knobs))
            except ScenarioError as err:
                raise GridError(self.source, "grid", f"le point {i} ({knobs_text(knobs)}) est refusé : {err}") \
                    from None
        return out


def knobs_text(knobs: Mapping) -> str:
    """A point's knobs on one line (messages, the benchmark)."""
    return ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in knobs.items())


def read_grid(path: str | Path) -> Grid:
    """Read and check a grid file (see the module docstring); every refusal is a :class:`GridError` naming the
    file and the key."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GridError(source, None, "fichier introuvable") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GridError(source, None, f"lecture impossible ({err})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader that refuses duplicate keys
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (ligne {mark.line + 1}, colonne {mark.column + 1})" if mark is not None else ""
        raise GridError(source, None, f"YAML invalide{where} : {getattr(err, 'problem', None) or err}") from None
    return parse_grid(data, source)


def parse_grid(data: Any, source: str = "grille") -> Grid:
    """Check a grid already read (a dict as in the file)."""
    if not isinstance(data, dict):
        raise GridError(source, None, "le fichier doit contenir les clés « base » (facultative) et « grid »")
    for key in data:
        if key not in GRID_KEYS:
            raise GridError(source, str(key), f"clé inconnue ; clés possibles : {', '.join(GRID_KEYS)}")
    base = data.get("base")
    if base is not None and not isinstance(base, (str, dict)):
        raise GridError(source, "base", "doit être le nom d'un scénario enregistré ou des réglages (clé: valeur)")
    knobs = data.get("grid")
    if not isinstance(knobs, dict) or not knobs:
        raise GridError(source, "grid", "doit associer à chaque réglage la liste de ses valeurs, par exemple "
                                        "« replacement_rate: [0.8, 1.0] »")
    start = Grid(source, base, {}).base_scenario() if isinstance(base, dict) else Scenario()  # base named first
    checked = {}
    for key, values in knobs.items():
        name = f"grid.{key}"
        head = str(key).partition(".")[0]
        if not isinstance(key, str) or head not in KNOBS:
            raise GridError(source, name, f"réglage inconnu ; réglages possibles : {', '.join(KNOBS)}")
        if "." in key and head not in MAPPING_KNOBS:
            raise GridError(source, name, f"seuls {', '.join(MAPPING_KNOBS)} acceptent une clé après le point")
        if not isinstance(values, list) or not values:
            raise GridError(source, name, "doit être une liste non vide de valeurs, par exemple [0.8, 1.0]")
        for i, value in enumerate(values):
            if value in values[:i]:
                raise GridError(source, f"{name}[{i}]", f"valeur en double {json.dumps(value, ensure_ascii=False)}")
            try:
                apply_knobs(start, {key: value})
            except ScenarioError as err:
                raise GridError(source, f"{name}[{i}]", str(err)) from None
        checked[key] = list(values)
    grid = Grid(source, base, checked)
    if grid.size > MAX_POINTS:
        raise GridError(source, "grid", f"{fmt_int(grid.size)} points : au plus {fmt_int(MAX_POINTS)} ; réduisez "
                                        "les listes")
    return grid


# ---------------------------------------------------------------------------------------------- backend

class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler named on the command line does not answer."""

    def __init__(self, address: str, reason: BaseException | str):
        self.address = address
        super().__init__(f"planificateur Dask injoignable à {address} ({reason}) ; vérifiez que `dask scheduler` "
                         "tourne à cette adresse, que des `dask worker` y sont reliés et que le port est ouvert")


def connect(scheduler: str, timeout: float = CONNECT_TIMEOUT):
    """A ``dask.distributed.Client`` of the cluster at ``scheduler`` (``tcp://host:8786``), or
    :class:`SchedulerUnreachable`. First, before the data are read: a wrong address fails in seconds."""
    from distributed import Client  # here, not at the top: every other command would pay its 0.8 s import

    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        raise SchedulerUnreachable(scheduler, str(err).splitlines()[0] if str(err) else type(err).__name__) \
            from None


@contextlib.contextmanager
def backend(client=None, *, n_jobs: int = 2, scatter: Sequence = ()) -> Iterator[str]:
    """Where the joblib calls inside run, said in French: local processes (loky, ``n_jobs``) without ``client``,
    else every worker thread of its Dask cluster, with the large read-only ``scatter`` arguments (the prepared
    engines) sent to each worker once instead of with every task (loky memory-maps them instead)."""
    if client is None:
        with parallel_config(backend="loky", n_jobs=n_jobs):
            yield f"{n_jobs} processus " + ("local" if n_jobs == 1 else "locaux")
        return
    cores = sum(client.ncores().values())
    with parallel_config(backend="dask", n_jobs=-1, client=client, scatter=list(scatter) or None):
        yield f"cluster Dask {client.scheduler.address} ({len(client.ncores())} workers, {cores} cœurs)"


# ---------------------------------------------------------------------------------------------- points

def prepared_engines(inputs: PI.ProjectionInputs, scenarios: Sequence[Scenario]) -> dict[int, Prepared]:
    """One preparation per horizon bucket the scenarios need (:func:`workforce.projection.inputs.prepared`, as every
    door prepares), see :func:`for_workers`."""
    buckets = sorted({PI.horizon_bucket(s.horizon) for s in scenarios})
    return {b: for_workers(PI.prepared(inputs, b), [s for s in scenarios if PI.horizon_bucket(s.horizon) == b])
            for b in buckets}


def for_workers(prepared: Prepared, scenarios: Sequence[Scenario]) -> Prepared:
    """The preparation shipped to the workers: the retirement hazards of every law variant and retirement knob the
    points use computed here, once (not once per task), the caches of single scenarios left behind."""
    for s in scenarios:
        prepared.retirement_of(s)
    return prepared.replace()


def project_point(prepared: Prepared, scenario: Scenario, replicates: int, levels: Sequence[str] = LEVELS) -> dict:
    """One point, on a worker: the engine's Monte Carlo run, published level by level (secrecy applied where the
    figures are). Returns ``table`` (the long rows without the point's knobs), ``fingerprint``, ``timings`` (the
engine's, plus the task's wall ``point`` and CPU ``cpu`` seconds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = run(prepared, scenario, mode="mc", replicates=replicates, n_jobs=1)
    frames = [projection_published(result, level, wide=False).rename(columns={level: GROUP}).assign(**{LEVEL: level})
              for level in levels]
    table = pd.concat(frames, ignore_index=True)[[YEAR, LEVEL, GROUP, INDICATOR, *STATS, SUPPRESSED]]
    table[GROUP] = table[GROUP].astype(str)
    table[INDICATOR] = table[INDICATOR].astype(str)
    return {"table": table, "fingerprint": result.fingerprint(), "band_method": result.bands.get("band_method"),
            "timings": dict(result.timings) | {"point": time.perf_counter() - t0, "cpu": time.process_time() - c0}}


def _indexed(i: int, *args) -> tuple[int, dict]:
    return i, project_point(*args)


def run_points(prepared: Prepared | Mapping[int, Prepared], scenarios: Sequence[Scenario], *, replicates: int,
               levels: Sequence[str] = LEVELS, progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Every scenario through :func:`project_point`, one joblib task each, on the backend in force
    (:func:`backend`); ``prepared`` one preparation, or one per horizon bucket. Results in the scenarios' order;
    ``progress(done, total)`` as points finish."""
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise ValueError(f"unknown level(s) {', '.join(unknown)}; levels: {', '.join(LEVELS)}")
    pick = (lambda s: prepared[PI.horizon_bucket(s.horizon)]) if isinstance(prepared, Mapping) else (lambda s: prepared)
    tasks = (delayed(_indexed)(i, pick(s), s, replicates, tuple(levels)) for i, s in enumerate(scenarios))
    out: list = [None] * len(scenarios)
    for done, (i, res) in enumerate(Parallel(return_as="generator_unordered")(tasks), 1):
        out[i] = res
        if progress is not None:
            progress(done, len(scenarios))
    return out


def long_table(points: Sequence[Mapping], results: Sequence[dict]) -> pd.DataFrame:
    """The points' rows in one table: ``point``, the knobs of the grid (JSON text for a list or a mapping), then the
    rows of :func:`project_point`."""
    frames = []
    for i, (knobs, res) in enumerate(zip(points, results)):
        cols = {POINT: i} | {k: _cell(v) for k, v in knobs.items()}
        frames.append(res["table"].assign(**cols))
    names = list(points[0]) if points else []
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RESULT_COLUMNS))
    return table[[POINT, *names, *RESULT_COLUMNS[1:]]]


def _cell(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, (list, dict)) else value


def knob_text(knob: str, cell) -> str:
    """A knob's value in a table cell (JSON text for a list or a mapping) as a planner reads it (« 80 % »)."""
    value = json.loads(cell) if isinstance(cell, str) and cell[:1] in "[{" else cell
    return knob_value(knob, value)


# ---------------------------------------------------------------------------------------------- the sweep

@dataclass
class SweepResult:
    """A finished sweep: the long table, one row per point (``points``: knobs, scenario and result fingerprints,
    seconds), the database row's id (None when not recorded) and where it ran."""

    table: pd.DataFrame
    points: pd.DataFrame
    sweep_id: int | None
    where: str
    seconds: float
    replicates: int
    provenance: dict = field(default_factory=dict)


def sweep(engine, grid: Grid, *, replicates: int = 100, seed: int | None = None, scheduler: str | None = None,
          n_jobs: int = 2, timeout: float = CONNECT_TIMEOUT, levels: Sequence[str] = LEVELS,
          actor: str | None = None, record: bool = True, step: Callable[[str], None] | None = None,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run ``grid`` on the latest extract and the active models: every point in Monte Carlo (``replicates``), on
    ``n_jobs`` local processes or on the Dask cluster at ``scheduler``; stored (:func:`store`) unless ``record`` is
    False. ``seed`` replaces the base scenario's; ``step(text)`` says each stage in French.

    Raises :class:`GridError` (bad grid), :class:`SchedulerUnreachable`, ``LookupError`` (no extract)."""
    say = step or (lambda text: None)
    t0 = time.perf_counter()
    base = grid.base_scenario(engine)
    if seed is not None:
        try:
            base = base.replace(seed=seed)
        except ScenarioError as err:
            raise GridError("--seed", None, str(err)) from None
    points = grid.points()
    scenarios = grid.scenarios(base)
    client = None
    if scheduler:
        say(f"Connexion au planificateur Dask {scheduler}")
        client = connect(scheduler, timeout)
    try:
        say("Lecture de l'extraction, des modèles et du référentiel")
        inputs = PI.load(engine)
        effective = [PI.effective_scenario(inputs, s) for s in scenarios]
        say(f"Préparation du moteur ({fmt_int(len(inputs.base))} agents)")
        engines = prepared_engines(inputs, effective)
        with backend(client, n_jobs=n_jobs, scatter=list(engines.values())) as where:
            say(f"Projection de {fmt_int(len(points))} points x {fmt_int(replicates)} tirages : {where}")
            results = run_points(engines, effective, replicates=replicates, levels=levels, progress=progress)
    finally:
        if client is not None:
            client.close()
    table = long_table(points, results)
    point_rows = pd.DataFrame([{POINT: i, **{k: _cell(v) for k, v in knobs.items()},
                                "seed": s.seed, "scenario_hash": s.fingerprint(), "result_fingerprint": r["fingerprint"],
                                "seconds": round(r["timings"]["point"], 3)}
                               for i, (knobs, s, r) in enumerate(zip(points, scenarios, results))])
    prov = inputs.provenance
    provenance = {"extract_id": prov.get("extract_id"), "extract_date": prov.get("extract_date"),
                  "models": {k: dict(v) for k, v in (engines[min(engines)].provenance.get("models") or {}).items()}
                  | {"fallbacks": dict(prov.get("fallbacks") or {})},
                  "code_version": code_version(), "base": grid.base, "grid": grid.knobs, "seed": base.seed,
                  "band_method": results[0].get("band_method") if results else None, "levels": list(levels)}
    out = SweepResult(table, point_rows, None, where, time.perf_counter() - t0, replicates, provenance)
    if record:
        say("Enregistrement dans la base (tables sweeps et sweep_results)")
        out.sweep_id = store(engine, out, points, scenarios, actor=actor)
    return out


# ---------------------------------------------------------------------------------------------- storage

def store(engine, result: SweepResult, points: Sequence[Mapping], scenarios: Sequence[Scenario], *,
          actor: str | None = None) -> int:
    """One ``sweeps`` row and the long table in ``sweep_results`` (the knobs once, in ``sweeps.points``), in one
    transaction; returns the sweep's id."""
    prov = result.provenance
    extract_date = prov.get("extract_date")
    stored_points = [{"point": i, "knobs": dict(k), "scenario": s.to_dict(), "scenario_hash": row.scenario_hash,
                      "result_fingerprint": row.result_fingerprint, "seconds": float(row.seconds)}
                     for i, (k, s, row) in enumerate(zip(points, scenarios, result.points.itertuples()))]
    with db.session_scope(engine) as s:
        row = db.Sweep(actor=actor, base=prov.get("base"), grid=prov.get("grid"), points=stored_points,
                       replicates=int(result.replicates), seed=int(prov.get("seed") or 0),
                       backend=result.where[:200], levels=prov.get("levels"), extract_id=prov.get("extract_id"),
                       extract_date=pd.Timestamp(extract_date).date() if extract_date else None,
                       models=prov.get("models"), code_version=prov.get("code_version"),
                       seconds=float(result.seconds))
        s.add(row)
        s.flush()
        rows = result.table[[POINT, *RESULT_COLUMNS[1:]]].rename(columns={GROUP: "group_code"})
        for col in STATS:
            rows[col] = rows[col].astype("float64")  # NA (hidden) -> NULL
        db.bulk_insert(s, db.SweepResult, rows.assign(sweep_id=row.id))
        db.audit(s, "sweep", {"sweep_id": int(row.id), "points": len(stored_points), "replicates": result.replicates,
                              "rows": len(rows), "backend": result.where}, actor=actor)
        return int(row.id)


def read(engine, sweep_id: int | None = None) -> pd.DataFrame:
    """A stored sweep's long table (the latest one when ``sweep_id`` is None), the knobs joined back."""
    with engine.connect() as conn:
        if sweep_id is None:
            sweep_id = conn.execute(select(db.Sweep.id).order_by(db.Sweep.id.desc())).scalar()
        points = conn.execute(select(db.Sweep.points).where(db.Sweep.id == sweep_id)).scalar()
        if points is None:
            raise LookupError(f"aucun balayage n° {sweep_id} dans la base" if sweep_id else "aucun balayage dans la base")
        R = db.SweepResult
        rows = db.read_frame(conn, select(R.point, R.year, R.level, R.group_code, R.indicator, R.value, R.mean, R.p10,
                                          R.p50, R.p90, R.suppressed).where(R.sweep_id == sweep_id).order_by(R.id))
    rows = rows.rename(columns={"group_code": GROUP})
    knobs = pd.DataFrame([{POINT: p["point"], **{k: _cell(v) for k, v in p["knobs"].items()}} for p in points])
    names = [c for c in knobs.columns if c != POINT]
    out = rows.merge(knobs, on=POINT, how="left")
    out[SUPPRESSED] = out[SUPPRESSED].astype(bool)
    return out[[POINT, *names, *RESULT_COLUMNS[1:]]]


# ---------------------------------------------------------------------------------------------- files

RESULTS_SHEET, GRID_SHEET, PROVENANCE_SHEET = "Résultats", "Grille", "Provenance"
STAT_LABELS = {VALUE: "Valeur attendue", MEAN: "Moyenne des tirages", P10: "P10", P50: "P50", P90: "P90"}


def sweep_workbook(result: SweepResult) -> tuple[dict[str, pd.DataFrame], dict]:
    """The sheets of the sweep's XLSX and their number formats: « Résultats » (French headings, knobs in words,
    agents whole and ETP to one decimal as in the projection's file, « Masqué » oui/non), « Grille » (one row a
    point) and « Provenance »."""
    t = result.table
    names = [c for c in t.columns if c not in RESULT_COLUMNS]
    raw = result.points
    cols: dict[str, Any] = {"Point": t[POINT].astype("int64")}
    for k in names:
        values = raw.set_index(POINT)[k].map(lambda v, k=k: knob_text(k, v))
        cols[knob_label(k)] = t[POINT].map(values)
    cols |= {"Année": t[YEAR].astype("int64"), "Niveau": t[LEVEL].map(LEVEL_LABELS),
             "Groupe": t[GROUP].where(t[LEVEL] != "total", LEVEL_LABELS["total"]),
             "Indicateur": t[INDICATOR].map(lambda i: INDICATOR_LABELS.get(i, i))}
    decimals = t[INDICATOR].isin(ONE_DECIMAL)
    formats = {}
    for stat, title in STAT_LABELS.items():
        v = t[stat].astype("Float64")
        cols[title] = v.round(1).where(decimals, v.round(0))
        formats[title] = EXCEL_FORMATS[1]
    cols[MASKED] = t[SUPPRESSED].map({True: "oui", False: "non"})
    grid = pd.DataFrame({"Point": raw[POINT], **{knob_label(k): cols[knob_label(k)].groupby(t[POINT]).first()
                                                 .reindex(raw[POINT]).to_numpy() for k in names},
                         "Graine": raw["seed"], "Empreinte du résultat": raw["result_fingerprint"].str[:16],
                         "Durée (s)": raw["seconds"]})
    p = result.provenance
    prov = pd.DataFrame([
        ("Scénario de départ", p.get("base") if isinstance(p.get("base"), str) else
         json.dumps(p.get("base"), ensure_ascii=False) if p.get("base") else f"{REFERENCE_NAME} (hypothèses par défaut)"),
        ("Points", fmt_int(len(raw))), ("Tirages Monte Carlo par point", fmt_int(result.replicates)),
        ("Graine", p.get("seed")), ("Date de l'extraction", p.get("extract_date")),
        ("Version du code", p.get("code_version")), ("Calculé sur", result.where),
        ("Balayage n°", result.sweep_id or "non enregistré"),
        ("Confidentialité", f"Groupes de moins de {MIN_CELL} agents, et ceux qui permettraient de les déduire d'un "
                            f"total, masqués : chiffres vides, colonne « {MASKED} » à oui."),
    ], columns=["Élément", "Valeur"]).astype(str)
    return ({RESULTS_SHEET: pd.DataFrame(cols), GRID_SHEET: grid, PROVENANCE_SHEET: prov},
            {RESULTS_SHEET: formats})


def export_sweep(result: SweepResult, path: str | Path) -> Path:
    """Write the sweep by extension: XLSX (:func:`sweep_workbook`), or CSV, the long table for scripts (English
    column names, ``,`` and the decimal point, unrounded)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        write_csv(result.table, path, sep=",", decimal=".", encoding="utf-8")
        return path
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path} : le fichier de sortie doit finir par .csv ou .xlsx")
    if len(result.table) > XLSX_MAX_ROWS:
        raise ValueError(f"{path} : {fmt_int(len(result.table))} lignes dépassent la limite d'Excel ; écrivez un "
                         ".csv ou limitez les niveaux (--levels)")
    sheets, formats = sweep_workbook(result)
    write_xlsx(sheets, path, number_formats=formats)
    return path
