"""The projection's Monte Carlo draws the retirement hazard uncertainty the same way as the retirement forecast:
wider retirement bands, a mean that still follows the expected mode, the method named, the same numbers for the
same seed (issue 13, "Bands")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from workforce import projection as PJ
from workforce.forecast.retirement_forecast import BAND_METHOD, BAND_METHOD_AGENTS_ONLY
from workforce.projection.hazards import LawRetirementHazard, ModelHazards
from workforce.scenario import Scenario

REPS = 100


@pytest.fixture(scope="module")
def uncertain(prepared):
    """The test engine with a retirement model that carries an (exaggerated) hazard uncertainty."""
    model = LawRetirementHazard().fit()
    model.level_sd_, model.year_sd_ = 0.4, 0.1
    return dataclasses.replace(prepared, _hazards=ModelHazards(model, prepared._hazards.exits),
                               _retirement_cache={}, _probs_cache={}, _flows_cache={})


def _total(projection, stat):
    s = projection.summary("total", ["retirements"])
    return s[stat].to_numpy()[1:]


def test_uncertain_hazards_widen_the_retirement_band(prepared, uncertain):
    plain = PJ.run(prepared, Scenario(), mode="mc", replicates=REPS)
    wide = PJ.run(uncertain, Scenario(), mode="mc", replicates=REPS)
    assert plain.bands["band_method"] == BAND_METHOD_AGENTS_ONLY
    assert wide.bands["band_method"] == BAND_METHOD
    width = _total(wide, "p90") - _total(wide, "p10")
    assert width.sum() > 1.1 * (_total(plain, "p90") - _total(plain, "p10")).sum()  # 100 replicates: summed
    # the shift moves the replicates around the expected value, not away from it
    expected = PJ.run(uncertain, Scenario()).summary("total", ["retirements"])["value"].to_numpy()[1:]
    np.testing.assert_allclose(_total(wide, "mean"), expected, rtol=0.08)


def test_same_seed_same_numbers_with_uncertainty(uncertain):
    a = PJ.run(uncertain, Scenario(), mode="mc", replicates=REPS)
    b = PJ.run(uncertain, Scenario(), mode="mc", replicates=REPS)
    assert a.fingerprint() == b.fingerprint()
    assert PJ.run(uncertain, Scenario(seed=43), mode="mc", replicates=REPS).fingerprint() != a.fingerprint()
