"""Fixtures of the projection tests: a small département prepared once with fitted (or law-only) models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import payroll as pay
from workforce import projection as PJ
from workforce.forecast.exits import ExitHazard
from workforce.forecast.mobility import MobilityMatrix, mobility_inputs
from workforce.referential import load_builtin


class FakeDemand:
    """A demand model whose baseline grows 5 % a year for one métier and stays flat elsewhere."""

    def __init__(self, metier: str, growth: float = 0.05):
        self.metier, self.growth = metier, growth
        self.series_ = pd.DataFrame({"metier_code": [metier], "level": ["metier"], "model": ["naive"],
                                     "reason": ["test"]})

    def annual(self, years: int, start=None) -> pd.DataFrame:
        y = np.arange(1, years + 1)
        return pd.DataFrame({"year": 2025 + y, "metier_code": self.metier, "index": (1 + self.growth) ** y})


@pytest.fixture(scope="session")
def base_agents(small_synth):
    s = small_synth.snapshots
    return s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)


@pytest.fixture(scope="session")
def fitted_models(small_synth):
    pytest.importorskip("workforce.forecast.retirement")
    from workforce import panel as P

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


@pytest.fixture(scope="session")
def prepared(base_agents, fitted_models):
    return PJ.prepare(base_agents, fitted_models, horizon=10, provenance={"extract_date": "2025-12-31"})
