"""The demand model's band carried into the projection's table: demand and vacancies at the model's P10 and P90,
the existing figures unchanged (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.projection.conftest import FakeDemand
from workforce import projection as PJ
from workforce.labels import INDICATOR_LABELS
from workforce.projection import result as R
from workforce.scenario import Scenario


class BandDemand(FakeDemand):
    """:class:`FakeDemand` with a band: P10 at 90 % and P90 at 115 % of the central forecast."""

    def annual(self, years: int, start=None) -> pd.DataFrame:
        out = super().annual(years, start)
        out["demand"] = 10.0 * out["index"]
        return out.assign(lower=0.9 * out["demand"], upper=1.15 * out["demand"])


def test_demand_band_in_the_projection(base_agents, fitted_models):
    code = str(PJ.prepare(base_agents, fitted_models, horizon=1).metiers[0])
    plain = PJ.prepare(base_agents, PJ.Models(**{**fitted_models.__dict__, "demand": FakeDemand(code)}), horizon=4)
    banded = PJ.prepare(base_agents, PJ.Models(**{**fitted_models.__dict__, "demand": BandDemand(code)}), horizon=4)
    assert plain.demand_band is None and banded.demand_band.shape == (2, 4, len(banded.metiers))
    a, b = PJ.run(plain, Scenario(horizon=4)), PJ.run(banded, Scenario(horizon=4))
    for name in a.values:
        if name not in R.DEMAND_BAND_INDICATORS:
            np.testing.assert_array_equal(a.values[name], b.values[name])  # no existing figure moves
    i = 0
    d = b.values["demand"][:, :, i]
    np.testing.assert_allclose(b.values[R.DEMAND_P10][0], b.values["demand"][0])  # today is known
    np.testing.assert_allclose(b.values[R.DEMAND_P10][1:, :, i], 0.9 * d[1:])
    np.testing.assert_allclose(b.values[R.DEMAND_P90][1:, :, i], 1.15 * d[1:])
    np.testing.assert_allclose(b.values[R.DEMAND_P10][:, :, 1:], b.values["demand"][:, :, 1:])  # flat elsewhere
    np.testing.assert_allclose(b.values[R.VACANCIES_P10], b.values[R.DEMAND_P10] - b.values["etp"])
    np.testing.assert_allclose(b.values[R.VACANCIES_P90], b.values[R.DEMAND_P90] - b.values["etp"])
    assert set(R.DEMAND_BAND_INDICATORS) <= set(b.table()["indicator"].astype(str))
    assert set(R.DEMAND_BAND_INDICATORS) <= set(INDICATOR_LABELS)  # shown in French wherever the table is
    tot = b.summary("total", ["demand", *R.DEMAND_BAND_INDICATORS]).pivot_table(
        index="year", columns="indicator", values="value", observed=True)
    assert (tot[R.DEMAND_P10] <= tot["demand"] + 1e-9).all() and (tot[R.DEMAND_P90] >= tot["demand"] - 1e-9).all()
    assert (tot[R.VACANCIES_P10] <= tot[R.VACANCIES_P90]).all()
    # a scenario that sets the demand itself carries no model band
    flat = PJ.run(banded, Scenario(horizon=4, demand_baseline="flat"))
    np.testing.assert_allclose(flat.values[R.DEMAND_P90], flat.values["demand"])


def test_a_fitted_demand_baseline_gives_a_band(small_synth, base_agents, fitted_models):
    """A :class:`DemandBaseline` fitted on the small département's monthly ETP (cheap candidates only):
    P10 <= demand <= P90 in every cell, and wider than nothing somewhere."""
    from workforce.forecast.demand import DemandBaseline, monthly_etp

    model = DemandBaseline(models=("naive", "drift", "snaive"), max_horizon_months=60).fit(
        monthly_etp(small_synth.snapshots))
    prep = PJ.prepare(base_agents, PJ.Models(**{**fitted_models.__dict__, "demand": model}), horizon=3)
    v = PJ.run(prep, Scenario(horizon=3)).values
    assert (v[R.DEMAND_P10] <= v["demand"] + 1e-9).all() and (v[R.DEMAND_P90] >= v["demand"] - 1e-9).all()
    assert (v[R.DEMAND_P90] - v[R.DEMAND_P10]).sum() > 0
