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
