"""Alembic migrations on every backend: from an empty database, from a database created by the last release
without migrations (its rows must survive), and one step down and up again."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

from workforce import db, migrations
from workforce.cli import app

BASELINE_TABLES = (
    "extracts", "agent_snapshots", "movements", "quarantine", "metiers", "skills", "metier_skills", "agent_skills",
    "scenarios", "model_versions", "audit_log", "rome_releases", "rome_appellations", "rome_links",
)
"""The tables of the last release without migrations (revision 0001_baseline)."""


def _differences(engine) -> list:
    """What autogenerate would still write: empty when the database has exactly the ORM schema."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.Base.metadata)


def _release_without_migrations(engine, *, with_kind_date_index: bool = True) -> None:
    """Replace the fixture's database by what the last release's init_db built: create_all of its tables, no
    alembic_version (and, for installs older still, without the unique index it added on start)."""
    db.drop_db(engine)
    tables = [t for t in db.Base.metadata.sorted_tables if t.name in BASELINE_TABLES]
    db.Base.metadata.create_all(engine, tables=tables)
    if not with_kind_date_index:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX uq_extract_kind_date"))
    assert db.schema_revision(engine) is None


def _a_departement(engine) -> None:
    """A little of everything a département keeps: an extract, its agents, a quarantined row, a scenario."""
    with db.session_scope(engine) as s:
        ex = db.Extract(extract_date=dt.date(2025, 6, 30), source="rh.csv", sha256="c" * 64, rows_read=4,
                        rows_stored=3, rows_quarantined=1, report={"colonnes": {"ignorees": []}})
        s.add(ex)
        s.flush()
        for i, metier in enumerate(["ROU01", "COL01", "ADM02"]):
            s.add(db.AgentSnapshot(
                extract_id=ex.id, extract_date=ex.extract_date, agent_id=f"p{i:063d}", birth_date=dt.date(1965 + i, 2, 10),
                statut="titulaire", categorie="C", metier_code=metier, direction="DRI", quotite=1.0,
                service_category="sedentaire", extra={"Rubrique 7": str(i)},
            ))
        s.add(db.QuarantinedRow(extract_id=ex.id, row_number=4, raw={"Né(e) le": "31/02/1970"}, reasons="date"))
        s.add(db.Scenario(name="gel des recrutements", params={"hiring_freeze_years": [2027]}))


def _assert_departement(engine) -> None:
    with db.session_scope(engine) as s:
        ex = s.execute(select(db.Extract)).scalar_one()
        assert (ex.extract_date, ex.sha256, ex.rows_stored, ex.report) == (
            dt.date(2025, 6, 30), "c" * 64, 3, {"colonnes": {"ignorees": []}}
        )
        agents = s.execute(select(db.AgentSnapshot).order_by(db.AgentSnapshot.agent_id)).scalars().all()
        assert [a.metier_code for a in agents] == ["ROU01", "COL01", "ADM02"]
        assert [a.birth_date.year for a in agents] == [1965, 1966, 1967] and agents[2].extra == {"Rubrique 7": "2"}
        assert s.execute(select(func.count()).select_from(db.QuarantinedRow)).scalar_one() == 1
        assert s.execute(select(db.Scenario.params)).scalar_one() == {"hiring_freeze_years": [2027]}


def test_init_db_creates_the_head_schema(engine):
    """The fixture's init_db (create_all + stamp) gives exactly what the revisions describe."""
    assert db.schema_revision(engine) == migrations.head()
    assert _differences(engine) == []


def test_revisions_from_empty_build_the_orm_schema(engine):
    """Replaying every revision on an empty database gives the ORM schema: create_all and the migrations agree."""
    db.drop_db(engine)
    assert inspect(engine).get_table_names() == []
    assert migrations.upgrade(engine) == migrations.head()
    assert _differences(engine) == []


@pytest.mark.parametrize("with_kind_date_index", [True, False], ids=["last-release", "older-release"])
def test_database_of_the_last_release_is_upgraded_with_its_rows(engine, with_kind_date_index):
    _release_without_migrations(engine, with_kind_date_index=with_kind_date_index)
    _a_departement(engine)
    db.init_db(engine)
    assert db.schema_revision(engine) == migrations.head()
    assert _differences(engine) == []
    _assert_departement(engine)
    db.init_db(engine)  # the next start finds nothing to do
    _assert_departement(engine)


def test_downgrade_one_step_and_upgrade_again_keep_the_data(engine):
    head = migrations.script_directory().get_revision(migrations.head())
    if head.down_revision is None:
        pytest.skip("a single revision: one step down is the empty database")
    _a_departement(engine)
    assert migrations.downgrade(engine) == head.down_revision
    _assert_departement(engine)
    assert migrations.upgrade(engine) == head.revision
    assert _differences(engine) == []
    _assert_departement(engine)


def test_init_db_upgrades_a_versioned_database(engine):
    """A database left one revision behind (an install of the previous version) is upgraded on start."""
    if migrations.script_directory().get_revision(migrations.head()).down_revision is None:
        pytest.skip("a single revision")
    _a_departement(engine)
    migrations.downgrade(engine)
    assert db.schema_revision(engine) != migrations.head()
    db.init_db(engine)
    assert db.schema_revision(engine) == migrations.head()
    _assert_departement(engine)


def test_a_failed_upgrade_changes_nothing(engine, monkeypatch):
    """The upgrade is one transaction: when a revision fails halfway, the revision, the schema and the data stay
    as they were."""
    head = migrations.script_directory().get_revision(migrations.head())
    if head.down_revision is None:
        pytest.skip("a single revision")
    _a_departement(engine)
    migrations.downgrade(engine)
    tables_before = set(inspect(engine).get_table_names())
    real_upgrade = head.module.upgrade

    def upgrade_then_fail():
        real_upgrade()
        raise RuntimeError("panne au milieu de la migration")

    monkeypatch.setattr(head.module, "upgrade", upgrade_then_fail)
    # alembic.command parses the revision files again: hand it the parsed (and patched) ones
    monkeypatch.setattr(ScriptDirectory, "from_config", lambda _cfg: migrations.script_directory())
    with pytest.raises(RuntimeError, match="panne"):
        db.init_db(engine)
    assert db.schema_revision(engine) == head.down_revision
    assert set(inspect(engine).get_table_names()) == tables_before
    _assert_departement(engine)
    monkeypatch.undo()
    db.init_db(engine)
    assert db.schema_revision(engine) == head.revision and _differences(engine) == []


def test_version_table_sits_beside_the_tables(engine):
    """On PostgreSQL each test has its own schema: alembic_version must be in it (the search_path's first)."""
    with engine.connect() as conn:
        assert inspect(conn).has_table(migrations.VERSION_TABLE)
        if conn.dialect.name == "postgresql":
            where = conn.execute(text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'alembic_version' "
                "AND table_schema = current_schema()"
            )).scalar_one_or_none()
            assert where is not None


def test_database_newer_than_the_code_is_refused(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(migrations.SchemaError, match="9999_from_the_future"):
        db.init_db(engine)


def test_drop_db_forgets_the_revision(engine):
    db.drop_db(engine)
    assert db.schema_revision(engine) is None
    db.init_db(engine)
    assert db.schema_revision(engine) == migrations.head() and _differences(engine) == []


def test_cli_db_upgrade_prints_the_revisions(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WORKFORCE_DB_URL", url)
    engine = db.make_engine(url)
    _release_without_migrations(engine)
    _a_departement(engine)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "avant : aucune (base créée avant les migrations)" in result.output
    assert f"après : {migrations.head()}" in result.output
    _assert_departement(engine)
    again = CliRunner().invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and "déjà à jour" in again.output
    stats = CliRunner().invoke(app, ["db", "stats"])
    assert stats.exit_code == 0 and f"Révision du schéma : {migrations.head()}" in stats.output
    engine.dispose()


def test_cli_refuses_a_schema_newer_than_the_code(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WORKFORCE_DB_URL", url)
    engine = db.make_engine(url)
    db.init_db(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1 and "mettez workforce à jour" in result.output
    for command in (["models", "list"], ["forecast", "aod"], ["project"]):
        result = CliRunner().invoke(app, command)  # every command, not only `db`: one line, no traceback
        assert result.exit_code == 1, (command, result.output)
        assert "9999_from_the_future" in result.output and "Traceback" not in result.output, command
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), command
    engine.dispose()
