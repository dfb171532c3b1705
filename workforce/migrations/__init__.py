"""Alembic migrations of the schema in :mod:`workforce.db`, driven from Python.

Every database goes through :func:`workforce.db.init_db`, which calls :func:`bring_to_head` only when the
database is not at the head revision. The Alembic configuration is built here, so an installed package needs no
``alembic.ini``; the one beside this file only serves developers writing a revision
(``alembic -c workforce/migrations/alembic.ini revision --autogenerate -m "..."``, against ``WORKFORCE_DB_URL``).

Three cases, decided under a lock (PostgreSQL advisory lock; SQLite's single writer):

- empty database: ``create_all`` then stamp the head (one step instead of replaying every revision);
- a database created before migrations existed (the baseline tables, no ``alembic_version``): add what the
  last release without Alembic added on start, stamp the baseline, then upgrade;
- a versioned database: upgrade to the head.

The version table is unqualified, so on PostgreSQL it lives in the first schema of the connection's
``search_path``, next to the tables.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE = "0001_baseline"
"""The revision matching the schema of the last release without migrations."""
VERSION_TABLE = "alembic_version"
LOCK_KEY = "workforce.migrations"


class SchemaError(RuntimeError):
    """The database's schema revision is unknown to this version of workforce (newer code ran on it)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration, without any ini file; `connection` is the one env.py migrates."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def script_directory() -> ScriptDirectory:
    """The revision files, parsed once per process (init_db runs hundreds of times in the tests)."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision the code expects."""
    rev = script_directory().get_current_head()
    assert rev is not None, "no migration found"
    return rev


def current_revision(conn: Connection) -> str | None:
    """The database's revision, None when it has no version table (empty, or created before migrations)."""
    return MigrationContext.configure(conn).get_current_revision()


def bring_to_head(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema up to the head revision; returns (revision before, revision after).

    One transaction (DDL is transactional on both backends, so a failed upgrade leaves the database as it was).
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(k)s))", {"k": LOCK_KEY})
        elif conn.dialect.name == "sqlite":  # the write lock now, so two processes never both create the tables
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        before = current_revision(conn)  # read again under the lock: another process may have just done it
        if before is None:
            if not inspect(conn).has_table("extracts"):
                _create_at_head(conn)
                return None, head()
            _catch_up_unversioned(conn)
            MigrationContext.configure(conn).stamp(script_directory(), BASELINE)
        elif before != head():
            _check_known(before)
        if current_revision(conn) != head():
            command.upgrade(alembic_config(conn), "head")
        return before, head()


def downgrade(engine: Engine, target: str = "-1") -> str | None:
    """Undo revisions down to `target` (Alembic syntax: "-1", a revision id, or "base"); returns the new one."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), target)
        return current_revision(conn)


def upgrade(engine: Engine, target: str = "head") -> str | None:
    """Replay the revisions up to `target`, without the create_all shortcut of :func:`bring_to_head`."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), target)
        return current_revision(conn)


def _create_at_head(conn: Connection) -> None:
    """An empty database: the ORM metadata is the head schema (the tests compare them), so create it directly."""
    from workforce.db import Base

    Base.metadata.create_all(conn)
    MigrationContext.configure(conn).stamp(script_directory(), "head")


def _catch_up_unversioned(conn: Connection) -> None:
    """What the last release without migrations did on start to an older database, so that it matches the
    baseline before being stamped: create the unique index on extracts(kind, extract_date)."""
    names = {ix["name"] for ix in inspect(conn).get_indexes("extracts")}
    if "uq_extract_kind_date" not in names:
        conn.execute(text("CREATE UNIQUE INDEX uq_extract_kind_date ON extracts (kind, extract_date)"))


def _check_known(revision: str) -> None:
    try:
        script_directory().get_revision(revision)
    except Exception:
        raise SchemaError(
            f"la base est à la révision de schéma {revision}, inconnue de cette version de workforce "
            f"(dernière connue : {head()}) ; mettez workforce à jour."
        ) from None
