"""The engine's vectorised preparation (issue 17): the retirement hazards of all years at once from per-agent
arrays (:func:`workforce.forecast.retirement.roll_rows`) equal, row for row, those of the frame path the
forecasts and the backtests read (:func:`roll_covariates` then ``predict_components`` on the frame)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import panel as P
from workforce import rules
from workforce.forecast.priors import PriorRetirementHazard
from workforce.forecast.retirement import RetirementHazard, roll_covariates, roll_rows
from workforce.projection import LawRetirementHazard
from workforce.projection.hazards import ModelHazards

START = np.datetime64("2026-01-01")
H = 10


@pytest.fixture(scope="module")
def agents(base_agents):
    """The small département's agents, plus the cases the law treats apart: actives who reach their 17 years
    of services actifs inside the horizon (and one who never will), a contractuel declared active, unknown
    active years and quarters, an agent past the age limit."""
    extra = base_agents.iloc[:6].copy()
    extra["agent_id"] = [f"edge-{i}" for i in range(6)]
    extra["service_category"] = ["active", "active", "insalubre", "active", "active", "sedentaire"]
    extra["statut"] = ["titulaire", "titulaire", "titulaire", "contractuel", "titulaire", "titulaire"]
    extra["active_service_years"] = [14.5, 3.0, 16.2, 20.0, np.nan, 10.0]
    extra["insurance_quarters"] = [120.0, 60.0, np.nan, 150.0, 100.0, 180.0]
    extra["birth_date"] = pd.to_datetime(["1968-03-31", "1966-08-31", "1970-02-28", "1965-12-15", "1969-06-01",
                                          "1955-01-10"])
    return pd.concat([base_agents, extra], ignore_index=True)


@pytest.fixture(scope="module")
def fitted_retirement(small_synth):
    h = P.history_from_frames(small_synth.snapshots, small_synth.movements)
    return RetirementHazard(n_boot=0).fit(P.build_panel(h.snapshots, h.movements))


def _frame_path(model, agents, regime, **knobs):
    """The reference: one frame row per agent and year, then the model's frame prediction."""
    rolled = roll_covariates(agents.reset_index(drop=True), START, H, regime)
    comp = model.predict_components(rolled, **knobs)
    n = len(agents)
    return (comp["hazard"].to_numpy(float).reshape(H, n).T,
            (comp["segment"].to_numpy(object) == "limit").reshape(H, n).T)


@pytest.mark.parametrize("regime", rules.REGIMES)
@pytest.mark.parametrize("knobs", [{}, {"postpone_months": 6, "aod_share": 0.4}])
def test_engine_hazards_equal_the_frame_path(agents, fitted_retirement, regime, knobs):
    for model in (fitted_retirement, PriorRetirementHazard().fit(), LawRetirementHazard().fit()):
        want_h, want_c = _frame_path(model, agents, regime, **knobs)
        got_h, got_c = ModelHazards(model).retirement_hazards(agents, START, H, regime=regime, **knobs)
        assert got_h.shape == (len(agents), H)
        np.testing.assert_allclose(got_h, want_h.astype(np.float32), rtol=0, atol=1e-9, err_msg=type(model).__name__)
        assert (got_c == want_c).all(), type(model).__name__
        assert 0 < want_h.mean() < 1  # a check with something in it: hazards between the certain ones


def test_rolled_covariates_equal_the_frame(agents):
    """Every covariate the models read, row for row, including the effective service category that changes
    when the services actifs reach 17 years during the horizon."""
    frame = roll_covariates(agents.reset_index(drop=True), START, H, "lfss2026")
    rows = roll_rows(agents, START, H, "lfss2026")
    for col in (P.AGE, P.TENURE, P.MONTHS_TO_AOD, P.MONTHS_TO_LIMIT, P.REQUIRED_QUARTERS, P.QUARTERS,
                P.START_WORK_AGE):
        np.testing.assert_array_equal(rows.num(col), pd.to_numeric(frame[col]).to_numpy(float), err_msg=col)
    for col in (P.SEX, P.CATEGORIE, P.STATUT, P.FILIERE, P.EFFECTIVE_CATEGORY):
        codes, vocab = rows.text(col)
        want = frame[col].astype(object).where(frame[col].notna(), "inconnu").astype(str).to_numpy(object)
        assert (vocab[codes] == want).all(), col
    eff = rows.text(P.EFFECTIVE_CATEGORY)
    edge = np.flatnonzero(agents["agent_id"].to_numpy() == "edge-0")[0]
    by_year = eff[1][eff[0]].reshape(H, len(agents))[:, edge]
    assert by_year[0] == "sedentaire" and by_year[-1] == "active"  # 14.5 years + 1 a year: active from year 3


def test_one_start_per_agent_equals_separate_calls(agents, fitted_retirement):
    """The hire cohorts go in one call, each agent from its own day: the same as one call per day."""
    days = np.array(["2027-01-01", "2029-01-01"], dtype="datetime64[D]")
    part = agents.iloc[:300].reset_index(drop=True)
    hz = ModelHazards(fitted_retirement)
    both = pd.concat([part, part], ignore_index=True)
    got_h, got_c = hz.retirement_hazards(both, np.repeat(days, len(part)), 5, regime="lfss2026")
    for i, day in enumerate(days):
        want_h, want_c = hz.retirement_hazards(part, day, 5, regime="lfss2026")
        np.testing.assert_array_equal(got_h[i * len(part):(i + 1) * len(part)], want_h)
        np.testing.assert_array_equal(got_c[i * len(part):(i + 1) * len(part)], want_c)
