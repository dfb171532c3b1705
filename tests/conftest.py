"""Shared fixtures: a database on each configured backend, and small synthetic départements in memory."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text

from workforce import db

PG_URL = os.environ.get("WORKFORCE_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


TEST_SECRET_KEY = "test-key-not-secret-but-32-bytes-long"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Never touch the developer's var/ nor their real home: every test gets its own data folder, database,
    key (long enough for config.secret_key) and XDG folders, so the default key file is in tmp_path too."""
    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WORKFORCE_DB_URL", raising=False)
    monkeypatch.delenv("WORKFORCE_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("WORKFORCE_KEY_FILE", str(tmp_path / "xdg-config" / "workforce" / "secret.key"))
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", TEST_SECRET_KEY)


def _pg_engine():
    schema = f"wf_test_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = db.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    return engine, admin, schema


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    """An empty, initialised database: a SQLite file, or a private schema of the test PostgreSQL."""
    if request.param == "sqlite":
        eng = db.make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        db.init_db(eng)
        yield eng
        eng.dispose()
    else:
        eng, admin, schema = _pg_engine()
        db.init_db(eng)
        yield eng
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def small_synth():
    """A small département (1,500 agents, 6 years): fast enough for every test that needs a history."""
    from workforce.synth import SynthParams, generate

    return generate(SynthParams(n_agents=1500, years=6, seed=7))


@pytest.fixture(scope="session")
def full_synth():
    """The demo-size département (8,000 agents, 10 years), generated once for the calibration tests."""
    from workforce.synth import SynthParams, generate

    return generate(SynthParams())
