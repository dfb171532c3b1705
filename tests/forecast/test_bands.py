"""Retirement bands that hold beyond one year: the hazard uncertainty drawn per replicate, its estimate, the
backtest's coverage by horizon, and the same numbers for the same seed (issue 13, "Bands")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import evaluation as ev
from workforce import panel as P
from workforce import synth
from workforce.forecast.retirement import RetirementHazard
from workforce.forecast.retirement_forecast import (BAND_METHOD, BAND_METHOD_AGENTS_ONLY, BAND_METHOD_CALIBRATED,
                                                    forecast_retirements, hazard_effects, shift_hazard, yearly_sd)


@pytest.fixture(scope="module")
def band_history():
    """A small département with enough years for six cutoffs (3,000 agents, 8 years)."""
    sd = synth.generate(synth.SynthParams(n_agents=3000, years=8, seed=11))
    return P.history_from_frames(sd.snapshots, sd.movements)


def _backtest(history):
    return ev.backtest(history, horizon=3, by=("categorie",), n_rep=200, rng=np.random.default_rng(13))


@pytest.fixture(scope="module")
def band_backtest(band_history):
    return _backtest(band_history)


def test_backtest_coverage_by_horizon(band_backtest):
    bt = band_backtest
    # the first cuts know no past error; the later ones widen their bands on the errors known at the cut
    assert BAND_METHOD in bt.attrs["band_method"].split(" ; ")
    assert len(bt.attrs["horizon_sd"]) == 3 and min(bt.attrs["horizon_sd"]) >= 0
    coverage = bt.groupby(ev.HORIZON)[ev.COVERED].agg(["mean", "size"])
    print("coverage of the P10-P90 band by horizon (total and catégorie)\n" + coverage.to_string())
    assert list(coverage.index) == [1, 2, 3]
    assert coverage["mean"].between(0.60, 0.95).all()


def test_same_seed_same_backtest(band_history, band_backtest):
    pd.testing.assert_frame_equal(_backtest(band_history), band_backtest)


def test_uncertainty_estimated_and_widens_the_band(small_panel, small_history):
    model = RetirementHazard().fit(small_panel)
    assert 0 < model.level_sd_ < 0.5 and model.year_sd_ >= 0
    fc = forecast_retirements(small_history.base(), model, horizon=3)
    assert fc.band_method == BAND_METHOD
    narrow = RetirementHazard(n_boot=0).fit(small_panel)
    assert narrow.level_sd_ == 0
    assert fc.summary(None, n_rep=50, rng=np.random.default_rng(1)).attrs["band_method"] == BAND_METHOD
    agents = forecast_retirements(small_history.base(), narrow, horizon=3)
    agents.year_sd = 0.0
    assert agents.band_method == BAND_METHOD_AGENTS_ONLY
    tight = agents.summary(None, n_rep=400, rng=np.random.default_rng(1))
    fc.level_sd = 0.3  # an uncertain model: the band of every year widens
    wide = fc.summary(None, n_rep=400, rng=np.random.default_rng(1))
    assert ((wide["p90"] - wide["p10"]) > (tight["p90"] - tight["p10"])).all()
    # the draws move the hazards, not their expectation: the replicate mean stays near the expected value
    outcomes = fc.simulate(400, np.random.default_rng(2))
    per_year = np.stack([(outcomes == k).sum(axis=0) for k in range(3)]).mean(axis=1)
    np.testing.assert_allclose(per_year, fc.p_retire.sum(axis=0), rtol=0.05)


def test_same_seed_same_outcomes_with_uncertainty(small_models, small_history):
    fc = forecast_retirements(small_history.base(), small_models[0], horizon=4)
    assert fc.level_sd > 0
    np.testing.assert_array_equal(fc.simulate(60, np.random.default_rng(9)), fc.simulate(60, np.random.default_rng(9)))
    assert not np.array_equal(fc.simulate(60, np.random.default_rng(9)), fc.simulate(60, np.random.default_rng(10)))


def test_shift_keeps_the_law():
    h = np.array([0.0, 0.2, 1.0, 0.9])
    certain = np.array([False, False, True, False])
    other = np.array([0.1, 0.1, 0.0, 0.3])
    up = shift_hazard(h, 2.0, certain, other)
    assert up[0] == 0.0  # a zero the law imposes stays zero
    assert up[1] > 0.2 and up[2] == 1.0  # certain departures untouched
    assert up[3] <= 0.7 + 1e-12  # never more than what the other exits leave
    np.testing.assert_allclose(shift_hazard(h, 0.0, certain, np.zeros(4)), h)
    z = hazard_effects(1000, 3, 0.2, 0.0, np.random.default_rng(0))
    assert z.shape == (1000, 3) and np.allclose(z[:, 0], z[:, 2])  # the level effect is common to the years
    assert abs(z[:, 0].std() - 0.2) < 0.02
    assert not hazard_effects(5, 3, 0.0, 0.0, np.random.default_rng(0)).any()
    with pytest.raises(ValueError, match="level_sd"):
        hazard_effects(5, 3, -0.1, 0.0, np.random.default_rng(0))


def _rows(errors: list[float], half_width: float = 10.0, horizon: int = 1) -> pd.DataFrame:
    """Backtest total rows predicting 100 with a P10-P90 band of +/- ``half_width``, missed by ``errors``."""
    n = len(errors)
    return pd.DataFrame({ev.BY: "total", ev.HORIZON: horizon, ev.PREDICTED: 100.0,
                         ev.OBSERVED: 100.0 + np.asarray(errors), ev.LOWER: 100.0 - half_width,
                         ev.UPPER: 100.0 + half_width, ev.CUTOFF: np.arange(n), P.YEAR: np.arange(n) + horizon})


def test_calibration_widens_to_the_past_errors_and_never_narrows():
    sd = 10.0 / ev.Z80
    wide_errors = [25.0, -25.0, 22.0, -30.0, 5.0, 28.0, -26.0, 24.0, -27.0, 25.0]
    extra = ev.band_calibration(_rows(wide_errors), horizon=2)
    q = np.quantile(np.abs(wide_errors) / sd, 0.8)
    # the extra relative sd widens the band's sd to q / Z80 band sds: sd' = sd * q / Z80
    expected = np.sqrt((q / ev.Z80) ** 2 - 1) * sd / 100.0
    assert extra[0] == pytest.approx(expected)
    assert extra[1] == pytest.approx(expected)  # a horizon without its own errors pools every horizon's
    assert ev.band_calibration(_rows([1.0, -2.0, 0.5, 3.0, -1.0, 2.0, 0.0, -3.0]), horizon=1) == (0.0,)
    assert ev.band_calibration(_rows([30.0, 30.0]), horizon=1) == ()  # too few errors: the model's own band
    # a log-odds shift moving only half the retirements needs twice the shift
    assert ev.band_calibration(_rows(wide_errors), horizon=1, slope=[0.5])[0] == pytest.approx(2 * expected)


def test_calibrated_model_draws_wider_bands_from_the_second_year(small_panel, small_history):
    model = RetirementHazard().fit(small_panel)
    plain = forecast_retirements(small_history.base(), model, horizon=3)
    model.horizon_sd_ = (0.0, 0.3)  # calibrated on a backtest: T+2 and beyond widened
    np.testing.assert_allclose(yearly_sd(model, 4), np.hypot(model.year_sd_, [0.0, 0.3, 0.3, 0.3]))
    wide = forecast_retirements(small_history.base(), model, horizon=3)
    assert wide.band_method == BAND_METHOD_CALIBRATED and plain.band_method == BAND_METHOD
    a = plain.summary(None, n_rep=400, rng=np.random.default_rng(1))
    b = wide.summary(None, n_rep=400, rng=np.random.default_rng(1))
    width_a, width_b = (a["p90"] - a["p10"]).to_numpy(), (b["p90"] - b["p10"]).to_numpy()
    assert (width_b[1:] > width_a[1:]).all()
    np.testing.assert_allclose(a["expected"], b["expected"])  # the expectation does not move
    z = hazard_effects(2000, 3, 0.0, np.array([0.0, 0.2, 0.4]), np.random.default_rng(0))
    assert np.allclose(z[:, 0], 0) and abs(z[:, 2].std() - 0.4) < 0.03
