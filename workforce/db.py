"""Database schema (SQLAlchemy 2.0 ORM) and the few I/O helpers every stage shares.

SQLite by default (one file under WORKFORCE_HOME), PostgreSQL by URL. Bulk writes go through Core
`insert()` with executemany on plain tuples-as-dicts in chunks, never one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from workforce.config import get_settings


class Base(DeclarativeBase):
    pass


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Extract(Base):
    """One HR extract (a monthly snapshot file, or one month of the synthetic département)."""

    __tablename__ = "extracts"
    # one extract per kind and date: the last guard against two imports of the same month landing at once
    __table_args__ = (Index("uq_extract_kind_date", "kind", "extract_date", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extract_date: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20), default="import")  # import | synthetic
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    mapping: Mapped[str | None] = mapped_column(String(200))
    report: Mapped[dict | None] = mapped_column(JSON)


class AgentSnapshot(Base):
    """One agent at one extract date. `agent_id` is always a pseudonym; names are never stored."""

    __tablename__ = "agent_snapshots"
    __table_args__ = (
        UniqueConstraint("extract_id", "agent_id", name="uq_snapshot_agent"),
        Index("ix_snapshot_agent_date", "agent_id", "extract_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extract_id: Mapped[int] = mapped_column(ForeignKey("extracts.id", ondelete="CASCADE"), index=True)
    extract_date: Mapped[dt.date] = mapped_column(Date, index=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    statut: Mapped[str] = mapped_column(String(40))
    categorie: Mapped[str] = mapped_column(String(1))
    filiere: Mapped[str | None] = mapped_column(String(40))
    cadre_emplois: Mapped[str | None] = mapped_column(String(120))
    grade: Mapped[str | None] = mapped_column(String(120))
    metier_code: Mapped[str] = mapped_column(String(40))
    metier_label: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(120))
    service: Mapped[str | None] = mapped_column(String(200))
    quotite: Mapped[float] = mapped_column(Float, default=1.0)
    entry_date: Mapped[dt.date | None] = mapped_column(Date)
    public_service_entry_date: Mapped[dt.date | None] = mapped_column(Date)
    service_category: Mapped[str] = mapped_column(String(20), default="sedentaire")
    position: Mapped[str | None] = mapped_column(String(40))
    active_service_years: Mapped[float | None] = mapped_column(Float)
    insurance_quarters: Mapped[int | None] = mapped_column(Integer)
    indice_majore: Mapped[int | None] = mapped_column(Integer)
    departure_date: Mapped[dt.date | None] = mapped_column(Date)
    departure_motive: Mapped[str | None] = mapped_column(String(40))
    extra: Mapped[dict | None] = mapped_column(JSON)


class Movement(Base):
    """A flow between two snapshots: arrival, departure (with motive) or internal change."""

    __tablename__ = "movements"
    __table_args__ = (Index("ix_movement_kind_date", "kind", "movement_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extract_id: Mapped[int | None] = mapped_column(ForeignKey("extracts.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    movement_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # arrival | departure | internal
    motive: Mapped[str | None] = mapped_column(String(40))
    from_metier: Mapped[str | None] = mapped_column(String(40))
    to_metier: Mapped[str | None] = mapped_column(String(40))
    from_direction: Mapped[str | None] = mapped_column(String(120))
    to_direction: Mapped[str | None] = mapped_column(String(120))


class QuarantinedRow(Base):
    """A row of an extract that could not be stored, kept with its raw text and every reason."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extract_id: Mapped[int] = mapped_column(ForeignKey("extracts.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict] = mapped_column(JSON)
    reasons: Mapped[str] = mapped_column(Text)


class Metier(Base):
    """A local métier of the employer (source 'builtin' or 'local') or a ROME fiche (source 'rome')."""

    __tablename__ = "metiers"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="builtin")
    famille: Mapped[str | None] = mapped_column(String(120))
    filiere: Mapped[str | None] = mapped_column(String(40))
    categories: Mapped[str | None] = mapped_column(String(20))
    service_category: Mapped[str | None] = mapped_column(String(20))
    rome_codes: Mapped[str | None] = mapped_column(String(120))
    direction: Mapped[str | None] = mapped_column(String(120))
    transition_eco: Mapped[str | None] = mapped_column(String(80))
    transition_num: Mapped[bool | None] = mapped_column(Boolean)
    transition_demo: Mapped[bool | None] = mapped_column(Boolean)
    attributes: Mapped[dict | None] = mapped_column(JSON)


class Skill(Base):
    """A skill: ROME code_ogr where one exists, else a local code."""

    __tablename__ = "skills"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20), default="rome")
    category: Mapped[str | None] = mapped_column(String(200))
    transition_eco: Mapped[bool | None] = mapped_column(Boolean)
    transition_num: Mapped[bool | None] = mapped_column(Boolean)


class MetierSkill(Base):
    """A métier requires a skill at a level (1 notions .. 4 expertise) from a year on (None: always)."""

    __tablename__ = "metier_skills"
    __table_args__ = (UniqueConstraint("metier_code", "skill_code", "from_year", name="uq_metier_skill"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metier_code: Mapped[str] = mapped_column(ForeignKey("metiers.code", ondelete="CASCADE"), index=True)
    skill_code: Mapped[str] = mapped_column(ForeignKey("skills.code", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    from_year: Mapped[int | None] = mapped_column(Integer)


class AgentSkill(Base):
    """An assessed skill level of an agent (entretien professionnel, certification)."""

    __tablename__ = "agent_skills"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    skill_code: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)


class Scenario(Base):
    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    author: Mapped[str | None] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    description: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSON)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(60))
    path: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))
    extract_id: Mapped[int | None] = mapped_column(ForeignKey("extracts.id", ondelete="SET NULL"))
    data_hash: Mapped[str | None] = mapped_column(String(64))
    code_version: Mapped[str | None] = mapped_column(String(60))
    params: Mapped[dict | None] = mapped_column(JSON)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    trained_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    training_seconds: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    # registry (issue 8): the gate's decision when trained, why, the serialisation and the library versions
    status: Mapped[str | None] = mapped_column(String(20))  # promoted | rejected
    reason: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(20))  # joblib | json
    libraries: Mapped[dict | None] = mapped_column(JSON)


class AuditLog(Base):
    """Who did what: imports, nominative lists, promotions, deletions."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now, index=True)
    actor: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict | None] = mapped_column(JSON)



class RomeRelease(Base):
    """One import of a ROME release (France Travail open data): its version, its files and what changed."""

    __tablename__ = "rome_releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40))  # "60" from version.txt, else the file suffix ("v460")
    title: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    folder: Mapped[str | None] = mapped_column(String(400))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    files: Mapped[dict | None] = mapped_column(JSON)  # file name -> {"sha256", "rows"}
    counts: Mapped[dict | None] = mapped_column(JSON)  # table -> rows after the import
    changes: Mapped[dict | None] = mapped_column(JSON)  # table -> {"added", "removed", "changed"} counts


class RomeAppellation(Base):
    """A job title (appellation) of a ROME fiche: what a local job label is matched against."""

    __tablename__ = "rome_appellations"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # code_ogr of the appellation
    label: Mapped[str] = mapped_column(String(400))
    short_label: Mapped[str | None] = mapped_column(String(400))
    code_rome: Mapped[str] = mapped_column(String(10), index=True)
    transition_eco: Mapped[str | None] = mapped_column(String(80))
    transition_num: Mapped[bool | None] = mapped_column(Boolean)
    transition_demo: Mapped[bool | None] = mapped_column(Boolean)
    classification: Mapped[str | None] = mapped_column(String(20))  # PRINCIPALE | SYNONYME
    rarely_used: Mapped[bool | None] = mapped_column(Boolean)


class RomeLink(Base):
    """A ROME fiche -> item link: bloc 1 the fiche itself, 2 an appellation, 5 a compétence or savoir
    (rubrique 1 savoir-faire, 2 savoir-être, 3 savoirs), 6 a contexte de travail."""

    __tablename__ = "rome_links"
    __table_args__ = (UniqueConstraint("code_rome", "bloc", "code_ogr", name="uq_rome_link"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_rome: Mapped[str] = mapped_column(String(10), index=True)
    bloc: Mapped[int] = mapped_column(Integer)
    rubrique: Mapped[int | None] = mapped_column(Integer)
    code_ogr: Mapped[str] = mapped_column(String(20), index=True)


class ProjectionRun(Base):
    """One projection of a scenario, from whichever door (CLI, app, export, skills analysis): enough to
    reproduce it (extract, model versions, code, seed) and to check a figure against another door."""

    __tablename__ = "projection_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now, index=True)
    actor: Mapped[str | None] = mapped_column(String(120))
    origin: Mapped[str | None] = mapped_column(String(20))  # cli | app | export | skills | library
    scenario_name: Mapped[str | None] = mapped_column(String(200))  # None: unsaved (the default or the sliders)
    scenario_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the scenario as given (Scenario.fingerprint)
    params: Mapped[dict | None] = mapped_column(JSON)  # the scenario as given
    transformation_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    extract_id: Mapped[int | None] = mapped_column(ForeignKey("extracts.id", ondelete="SET NULL"))
    extract_date: Mapped[dt.date | None] = mapped_column(Date)
    models: Mapped[dict | None] = mapped_column(JSON)  # name -> {"version", "sha256"}; fallbacks under "fallbacks"
    code_version: Mapped[str | None] = mapped_column(String(80))
    seed: Mapped[int] = mapped_column(Integer)
    mc_replicates: Mapped[int] = mapped_column(Integer, default=0)
    horizon: Mapped[int] = mapped_column(Integer)
    result_fingerprint: Mapped[str | None] = mapped_column(String(64))


class Sweep(Base):
    """One scenario sweep (`workforce sweep`, :mod:`workforce.sweep`): the grid, each point's knobs and
    fingerprints, and what reproduces it (extract, models, code, seed, replicates); where it ran and how long it
    took. Its figures are in ``sweep_results``."""

    __tablename__ = "sweeps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now, index=True)
    actor: Mapped[str | None] = mapped_column(String(120))
    base: Mapped[dict | str | None] = mapped_column(JSON)  # a saved scenario's name, knobs over the defaults, or None
    grid: Mapped[dict] = mapped_column(JSON)  # knob -> list of values, in the file's order
    points: Mapped[list] = mapped_column(JSON)  # [{point, knobs, scenario, scenario_hash, result_fingerprint, seconds}]
    levels: Mapped[list | None] = mapped_column(JSON)
    replicates: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)  # the base scenario's (up to 2**32 - 1)
    backend: Mapped[str | None] = mapped_column(String(200))  # local processes or the Dask cluster, in French
    extract_id: Mapped[int | None] = mapped_column(ForeignKey("extracts.id", ondelete="SET NULL"))
    extract_date: Mapped[dt.date | None] = mapped_column(Date)
    models: Mapped[dict | None] = mapped_column(JSON)
    code_version: Mapped[str | None] = mapped_column(String(80))
    seconds: Mapped[float | None] = mapped_column(Float)


class SweepResult(Base):
    """The long table of a sweep: one figure set (expected value, replicate mean, P10/P50/P90) per point, year,
    level, group and indicator, as published (hidden figures NULL, ``suppressed`` true)."""

    __tablename__ = "sweep_results"
    __table_args__ = (Index("ix_sweep_results_sweep_point", "sweep_id", "point"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    point: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # total | categorie | direction | metier | famille
    group_code: Mapped[str] = mapped_column(String(200))  # the level's code or name ("total" for the total)
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)  # expected mode
    mean: Mapped[float | None] = mapped_column(Float)
    p10: Mapped[float | None] = mapped_column(Float)
    p50: Mapped[float | None] = mapped_column(Float)
    p90: Mapped[float | None] = mapped_column(Float)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)


# ---------------------------------------------------------------------------------------------- engine

def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # the agent indexes take pseudonyms in random order: with SQLite's default 2 MB page cache every insert of
    # a large import misses it (a million snapshots took 27 s); 256 MB keeps the hot index pages in memory
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """Engine for `url` (default: the configured one); a SQLite file's folder is created on demand."""
    url = url or get_settings().db_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"timeout": SQLITE_BUSY_SECONDS} if url.startswith("sqlite") else {}
    engine = create_engine(url, future=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def init_db(engine: Engine) -> None:
    """Bring the database to the schema this code expects: the one call every command and test makes.

    An up-to-date database costs one read of its schema revision; an empty one is created and stamped, an
    older one (versioned, or created before migrations) is upgraded by Alembic (see workforce.migrations).
    """
    from workforce import migrations

    if schema_revision(engine) != migrations.head():
        migrations.bring_to_head(engine)


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision; None if it has none (empty, or created before migrations)."""
    from workforce import migrations

    with engine.connect() as conn:
        return migrations.current_revision(conn)


SQLITE_CACHE_KIB = 32_768
"""Page cache of a SQLite connection, in KiB (memory is only taken as pages are read)."""
SQLITE_BUSY_SECONDS = 120
"""How long a SQLite writer waits for another one (an import of a million rows holds the lock ~20 s)."""


def lock_writes(session: Session, name: str) -> None:
    """Serialise one kind of write (e.g. imports) across processes, until the transaction ends.

    PostgreSQL: a transaction-level advisory lock keyed by `name`. SQLite: BEGIN IMMEDIATE takes the database's
    write lock now, before the checks that decide what to write, instead of at the first INSERT.
    Must be the first statement of the transaction.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(n)s))", {"n": f"workforce.{name}"})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def drop_db(engine: Engine) -> None:
    """Drop every table, the schema revision too, so that the next init_db starts from an empty database."""
    from workforce import migrations

    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {migrations.VERSION_TABLE}"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


# ----------------------------------------------------------------------------------------------- bulk I/O

BULK_CHUNK = 20_000


def _driver_rows(frame: pd.DataFrame, table, cols: list[str], dialect: str) -> list[tuple]:
    """Rows as plain tuples the DBAPI driver takes as is: ISO dates on SQLite (what SQLAlchemy stores),
    date objects elsewhere, JSON as text, NaN/NaT as NULL."""
    arrays = []
    for col in cols:
        s = frame[col]
        ctype = table.columns[col].type
        if isinstance(ctype, DateTime):
            d = pd.to_datetime(s)
            s = d.dt.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else pd.Series(d.dt.to_pydatetime(), index=s.index, dtype=object)
        elif isinstance(ctype, Date):
            # ISO text on SQLite (what SQLAlchemy stores), date objects elsewhere; formatted once per distinct day
            codes, days = pd.factorize(pd.to_datetime(s).dt.normalize(), use_na_sentinel=True)
            days = pd.DatetimeIndex(days)
            text = days.strftime("%Y-%m-%d") if dialect == "sqlite" else days.date
            arrays.append(np.append(np.asarray(text, dtype=object), None)[codes])
            continue
        elif isinstance(ctype, Integer) and pd.api.types.is_float_dtype(s):
            s = s.round().astype("Int64")
        elif isinstance(ctype, JSON):
            s = s.map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False, default=str))
        arrays.append(_objects(s))
    return list(zip(*arrays))


def _objects(s: pd.Series) -> np.ndarray:
    """Python values for the driver, None for missing. Text and integer columns go through their distinct
    values: a million cells of a few hundred directions make a few hundred Python strings, not a million."""
    if s.dtype == object or pd.api.types.is_float_dtype(s) or pd.api.types.is_bool_dtype(s):
        s = s.astype(object)
        return s.where(s.notna(), None).to_numpy()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = np.append(np.asarray(uniques, dtype=object), None)
    return values[codes]


def bulk_insert(conn_or_session, table, frame: pd.DataFrame, chunk: int = BULK_CHUNK) -> int:
    """Insert a frame in chunks through the driver's executemany, in the caller's transaction.

    The ORM unit of work costs ~30 us a row; plain tuples cost ~2 us, which is what lets a million monthly
    snapshot rows land in seconds.
    """
    table = getattr(table, "__table__", table)
    conn = conn_or_session.connection() if isinstance(conn_or_session, Session) else conn_or_session
    dialect = conn.dialect.name
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in frame.columns and c.default is not None and c.default.is_scalar
    }
    if defaults:
        frame = frame.assign(**defaults)
    # a column that is empty on every row and has no default is NULL without being sent (fewer bindings)
    cols = [c.name for c in table.columns if c.name in frame.columns
            and not (c.default is None and c.nullable and frame[c.name].isna().all())]
    mark = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    n = 0
    for start in range(0, len(frame), chunk):
        rows = _driver_rows(frame.iloc[start : start + chunk], table, cols, dialect)
        if not rows:
            continue
        if dialect == "postgresql":
            with conn.connection.driver_connection.cursor() as cur:
                with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            conn.exec_driver_sql(sql, rows)
        n += len(rows)
    return n


def read_frame(engine_or_conn, stmt) -> pd.DataFrame:
    """Run a select and return a frame (dates as datetime64)."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return pd.read_sql(stmt, conn)
    return pd.read_sql(stmt, engine_or_conn)


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def audit(session: Session, action: str, detail: dict | None = None, actor: str | None = None) -> None:
    """One audit row; the actor defaults to the logged-in user of the app's run, else the command line's
    (:func:`workforce.access.current_actor`)."""
    from workforce.access import current_actor

    session.add(AuditLog(action=action, detail=detail, actor=actor or current_actor()))


def read_audit(engine: Engine, *, since: dt.date | None = None, until: dt.date | None = None,
               actor: str | None = None, action: str | None = None, limit: int = 10_000) -> pd.DataFrame:
    """The audit log, newest first: ``at, actor, action, detail`` (detail as JSON text), filtered by day range,
    actor (substring, any case) and action prefix (``import`` matches ``import.*``)."""
    stmt = select(AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.detail).order_by(AuditLog.id.desc())
    if since is not None:
        stmt = stmt.where(AuditLog.at >= dt.datetime.combine(since, dt.time.min))
    if until is not None:
        stmt = stmt.where(AuditLog.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    if actor:
        stmt = stmt.where(func.lower(AuditLog.actor).contains(actor.lower()))
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    frame = read_frame(engine, stmt.limit(limit))
    frame["detail"] = [json.dumps(d, ensure_ascii=False, sort_keys=True, default=str) if d else ""
                       for d in frame["detail"]]
    frame["at"] = pd.to_datetime(frame["at"])
    return frame
