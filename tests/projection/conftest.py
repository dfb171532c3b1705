"""Fixtures of the projection tests: a small département prepared once with fitted (or law-only) models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import projection as PJ


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
def prepared(base_agents, fitted_models):
    return PJ.prepare(base_agents, fitted_models, horizon=10, provenance={"extract_date": "2025-12-31"})
