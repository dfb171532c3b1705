"""Shared fixtures: a database on each configured backend, and small synthetic départements in memory."""

from __future__ import annotations

import os
import uuid

import pandas as pd
import pytest
from hypothesis import settings
from sqlalchemy import text

from workforce import db

# Property tests: the suite's run draws the same examples every time (a failure is reproducible and CI does not
# flip on a new draw); `HYPOTHESIS_PROFILE=explore pytest tests/ingest` searches fresh examples, many more of them.
settings.register_profile("suite", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

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


@pytest.fixture(scope="session")
def base_agents(small_synth):
    """The agents of the small département's last extract."""
    s = small_synth.snapshots
    return s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)


@pytest.fixture(scope="session")
def fitted_models(small_synth):
    """The engine's models fitted on the small département (law-only retirement, the others fitted)."""
    from workforce import panel as P
    from workforce import payroll as pay
    from workforce import projection as PJ
    from workforce.forecast.exits import ExitHazard
    from workforce.forecast.mobility import MobilityMatrix, mobility_inputs
    from workforce.referential import load_builtin

    h = P.history_from_frames(small_synth.snapshots, small_synth.movements)
    panel = P.build_panel(h.snapshots, h.movements)
    ref = load_builtin()
    s, m = small_synth.snapshots, small_synth.movements
    year_ends = s[pd.to_datetime(s["extract_date"]).dt.month == 12]
    return PJ.Models(
        retirement=PJ.LawRetirementHazard().fit(),
        exits=ExitHazard().fit(panel),
        mobility=MobilityMatrix().fit(*mobility_inputs(s, m, ref.metiers)),
        hires=PJ.HireProfile().fit(PJ.arrivals_from_history(s, m)),
        indices=pay.IndiceProgression().fit(year_ends),
        versions={"exits": {"version": "test", "sha256": "0" * 64}},
    )


# ---------------------------------------------------------------------------------------------- the CLI tests (forecast, secrecy)

@pytest.fixture(scope="module")
def tiny():
    from workforce.synth import SynthParams, generate

    return generate(SynthParams(n_agents=400, years=4, seed=8))


@pytest.fixture
def stored(engine, tiny, monkeypatch):
    """The tiny département stored on the backend; the commands reach it through WORKFORCE_DB_URL."""
    from tests.registry.fakes import engine_url
    from workforce.synth import store

    store(tiny, engine)
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    monkeypatch.setenv("COLUMNS", "200")
    return engine


@pytest.fixture
def trained(stored):
    """The stored département with its retirement and exits models in the registry (`workforce train`)."""
    from typer.testing import CliRunner

    from workforce.cli import app

    res = CliRunner().invoke(app, ["train", "--only", "retirement,exits"])
    assert res.exit_code == 0, res.output
    return stored
