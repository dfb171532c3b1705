"""Fixtures of the skills tests: the ROME release of ../shared/data/rome (skipped when absent), small releases
cut from it, and a skills analysis of the small synthetic département."""

from __future__ import annotations

from pathlib import Path

import pytest

from workforce.referential import find_rome_dir

from .romefiles import cut_release

SKIP_NO_ROME = "no ROME 4.0 release found: set WORKFORCE_ROME_DIR or unpack it in ../shared/data/rome"


@pytest.fixture(scope="session")
def rome_dir() -> Path:
    path = find_rome_dir()
    if path is None:
        pytest.skip(SKIP_NO_ROME)
    return path


@pytest.fixture(scope="session")
def rome_release(rome_dir):
    from workforce.rome import read_release

    return read_release(rome_dir)


@pytest.fixture(scope="session")
def mini_release_dir(rome_dir, tmp_path_factory) -> Path:
    """A 15-fiche release cut from the real one (read-only: copy it before changing it)."""
    return cut_release(rome_dir, tmp_path_factory.mktemp("rome_mini"))


@pytest.fixture(scope="session")
def skill_inputs(small_synth, rome_release):
    from workforce.skills import inputs_from_synth

    return inputs_from_synth(small_synth, rome_release=rome_release)


@pytest.fixture(scope="session")
def engine_table(base_agents, fitted_models):
    """The projection engine's table for the small département (default scenario, 10 years)."""
    from workforce import projection as PJ
    from workforce.scenario import Scenario

    return PJ.run(PJ.prepare(base_agents, fitted_models, horizon=10), Scenario(horizon=10)).table()


@pytest.fixture(scope="session")
def analysis(skill_inputs, engine_table):
    from workforce.skills import analyse

    return analyse(skill_inputs, engine_table)
