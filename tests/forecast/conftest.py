"""Fixtures of the forecast tests: histories, panels and fitted models, built once per session.

``small_*`` come from the suite's 1,500-agent, 6-year département (fast); ``full_*`` from the demo-size one
(8,000 agents, 10 years), used only where the precision of the figures needs it.
"""

from __future__ import annotations

import pytest

from workforce import panel as P
from workforce.forecast import RetirementHazard, StatutExitRate


@pytest.fixture(scope="session")
def small_history(small_synth):
    return P.history_from_frames(small_synth.snapshots, small_synth.movements)


@pytest.fixture(scope="session")
def small_panel(small_history):
    return P.build_panel(small_history.snapshots, small_history.movements)


@pytest.fixture(scope="session")
def small_models(small_panel):
    return RetirementHazard().fit(small_panel), StatutExitRate().fit(small_panel)


@pytest.fixture(scope="session")
def full_history(full_synth):
    return P.history_from_frames(full_synth.snapshots, full_synth.movements)


@pytest.fixture(scope="session")
def full_panel(full_history):
    return P.build_panel(full_history.snapshots, full_history.movements)


@pytest.fixture(scope="session")
def full_model(full_panel):
    return RetirementHazard().fit(full_panel)


# ---------------------------------------------------------------------------------------------- the CLI tests

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
