"""On the demo-size département (8,000 agents, 10 years; issue 17): the engine's vectorised retirement hazards
(:func:`workforce.forecast.retirement.roll_rows`, all years at once from per-agent arrays) equal the frame path
(:func:`roll_covariates` then ``predict_components``) to 1e-9, under every law variant."""

from __future__ import annotations

import numpy as np
import pytest

from workforce import rules
from workforce.forecast.retirement import forecast_start, roll_covariates
from workforce.projection.hazards import ModelHazards

H = 10


@pytest.mark.slow
@pytest.mark.parametrize("regime", rules.REGIMES)
def test_demo_engine_hazards_equal_the_frame_path(full_history, full_model, regime):
    s = full_history.snapshots
    base = s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)
    start = forecast_start(base)
    rolled = roll_covariates(base, start, H, regime)
    comp = full_model.predict_components(rolled)
    want = comp["hazard"].to_numpy(float).reshape(H, len(base)).T
    got, certain = ModelHazards(full_model).retirement_hazards(base, start, H, regime=regime)
    assert len(base) > 7000
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=0, atol=1e-9)
    assert (certain == (comp["segment"].to_numpy(object) == "limit").reshape(H, len(base)).T).all()
    assert 0.01 < float((want * ~certain).sum(axis=0).mean()) / len(base) < 0.5  # retirements happen, not all
