"""The retirement hazard and its forecast: the estimator contract, recovery of the generator's true hazard,
calibration, the law as hard constraints, the regime variants, the scenario knobs and Monte Carlo determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from workforce import evaluation as ev
from workforce import panel as P
from workforce import rules
from workforce.forecast import (
    RetirementHazard,
    StatutExitRate,
    aod_counts,
    aod_schedule,
    combine,
    forecast_retirements,
)
from workforce.forecast.retirement import EARLY, LIMIT, forecast_start, roll_covariates
from workforce.synth import first_year_probability

# ---------------------------------------------------------------------------------------------- contract


def test_estimator_contract(small_panel):
    model = RetirementHazard(C=2.0, calibration="isotonic", cv=3)
    assert model.get_params() == {"C": 2.0, "calibration": "isotonic", "cv": 3, "min_exposure": 0.9,
                                  "early_quantile": 0.99, "covariates": "full", "n_boot": 200, "random_state": 0}
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    with pytest.raises(NotFittedError, match="RetirementHazard"):
        model.predict_hazard(small_panel.head())
    assert model.fit(small_panel) is model
    assert hasattr(model, "calibrator_") and model.n_events_ > 0
    with pytest.raises(ValueError, match="isotonic, sigmoid, none"):
        RetirementHazard(calibration="beta").fit(small_panel)
    with pytest.raises(ValueError, match="full, pooled"):
        RetirementHazard(covariates="all").fit(small_panel)
    with pytest.raises(ValueError, match="build_panel"):
        RetirementHazard().fit(small_panel.drop(columns=P.MONTHS_TO_AOD))
    with pytest.raises(NotFittedError):
        StatutExitRate().predict_hazard(small_panel.head())


def test_refit_overwrites(small_panel):
    model = RetirementHazard(calibration="none").fit(small_panel[small_panel[P.YEAR] <= 2023])
    first = model.n_rows_
    model.fit(small_panel)
    assert model.n_rows_ > first


# ---------------------------------------------------------------------------------------------- recovery


@pytest.mark.slow
def test_recovers_the_generators_hazard(full_synth, full_panel, full_model):
    """Titulaires in the eligible segment, fitted on the whole demo-size history, against the generator's truth:
    the year the AOD falls in January (spike then 11 months of tail: ``first_year_probability``), and the annual
    tail hazard before and from 65. Tolerances: 0.04, 0.03 and 0.06 (the 65+ cell holds about 240 person-years,
    a binomial standard error of 0.03; in this draw the data itself shows 0.27 there)."""
    params = full_synth.params
    p = full_model.predict_hazard(full_panel)
    tit = ((full_panel[P.STATUT] == "titulaire") & (full_panel[P.MONTHS_TO_LIMIT] > 11)).to_numpy()
    m = full_panel[P.MONTHS_TO_AOD].to_numpy()
    age = full_panel[P.AGE].to_numpy()
    first = tit & (m == 0) & (age < 64)
    tail = tit & (m <= -12) & (age < 64)
    tail65 = tit & (m <= -12) & (age >= 65)
    assert first.sum() > 100 and tail.sum() > 400 and tail65.sum() > 150
    assert p[first].mean() == pytest.approx(first_year_probability(params), abs=0.04)
    assert p[tail].mean() == pytest.approx(params.after_hazard, abs=0.03)
    assert p[tail65].mean() == pytest.approx(params.after_hazard_65, abs=0.06)
    # the first year's shape: the later in the year the AOD falls, the lower the probability
    by_month = [p[tit & (m == k) & (age < 64)].mean() for k in range(12)]
    assert by_month[0] > by_month[5] > by_month[11]
    # the carrière longue channel opens two years before the AOD in the generator
    assert full_model.early_window_months_ == params.carriere_longue_months


@pytest.mark.slow
def test_calibrated_on_held_out_years(full_panel):
    """Fitted up to 2023, scored on 2024-2025: Brier at least 15 % below a constant rate's, no reliability bin and
    not the total off by more than 3 binomial standard errors. (In this draw 2024-2025 are busy years: 323
    retirements outside the age limit where 284 are predicted, z = 2.4; other seeds land on the other side.)"""
    model = RetirementHazard().fit(full_panel[full_panel[P.YEAR] <= 2023])
    scores, table = ev.calibration_report(model, full_panel[full_panel[P.YEAR] >= 2024])
    assert scores["brier"] < 0.85 * scores["brier_reference"], scores
    big = table[table["n"] >= 50]
    assert len(big) >= 5
    assert (big["z"].abs() < 3).all(), table.to_string()
    se = np.sqrt((table["n"] * table["predicted"] * (1 - table["predicted"])).sum())
    assert abs(scores["observed"] - scores["predicted"]) < 3 * se


def test_reliability_table_flags_a_miscalibrated_model():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.5, 20_000)
    y = rng.random(20_000) < p
    good = ev.reliability_table(y, p)
    bad = ev.reliability_table(y, np.clip(p * 1.5, 0, 1))
    assert (good["z"].abs() < 4).all()
    assert (bad["z"].abs() > 4).any()
    assert ev.brier_score(y, p) < ev.brier_score(y, np.clip(p * 1.5, 0, 1))


# ---------------------------------------------------------------------------------------------- the law


def test_age_limit_is_certain_and_nobody_outlives_it(small_panel, small_models, small_history):
    model, exits = small_models
    comp = model.predict_components(small_panel)
    limit = (small_panel[P.MONTHS_TO_LIMIT] <= 11).to_numpy()
    assert limit.any()
    assert (comp.loc[limit, "hazard"] == 1.0).all() and (comp.loc[limit, "segment"] == LIMIT).all()
    fc = forecast_retirements(small_history.base(), model, exit_model=exits, horizon=12)
    rolled = roll_covariates(small_history.base(), forecast_start(small_history.base()), 12, rules.DEFAULT_REGIME)
    at_limit = (rolled[P.MONTHS_TO_LIMIT].to_numpy() <= 11).reshape(12, -1).T
    first = np.where(at_limit.any(axis=1), at_limit.argmax(axis=1), 99)
    # leaving is certain in the year of the limit (retirement + other exits = 1), nobody is left after it
    for k in range(12):
        sel = first == k
        np.testing.assert_allclose((fc.hazard + fc.exit_hazard)[sel, k], 1.0)
        if k + 1 < 12:
            assert (fc.survival[sel, k + 1:] == 0).all()
    left = fc.p_retire.sum(axis=1) + fc.p_exit.sum(axis=1) + fc.survival[:, -1] * (1 - fc.hazard[:, -1]
                                                                                  - fc.exit_hazard[:, -1])
    np.testing.assert_allclose(left, 1.0)


def test_no_retirement_before_the_law_allows_outside_the_early_channels(small_panel, small_history):
    """Without invalidity in the data, nobody is predicted to retire before the learned early window opens; with
    it, only the invalidity channel acts there (the other early channel is exactly zero)."""
    no_invalidity = small_panel.copy()
    inv = (no_invalidity[P.MOTIVE] == P.INVALIDITY).to_numpy()
    assert inv.any()
    no_invalidity.loc[inv, [P.OUTCOME, P.MOTIVE]] = [P.STAY, None]
    model = RetirementHazard().fit(no_invalidity)
    window = model.early_window_months_
    assert 12 <= window <= 36
    base = small_history.base()
    fc = forecast_retirements(base, model, horizon=10)
    rolled = roll_covariates(base, forecast_start(small_history.base()), 10, rules.DEFAULT_REGIME)
    before = (rolled[P.MONTHS_TO_AOD].to_numpy() > window + 11).reshape(10, -1).T
    assert before.any()
    assert (fc.hazard[before] == 0).all() and (fc.p_retire[before] == 0).all()
    # the same on the history's rows
    comp = model.predict_components(small_panel)
    closed = (small_panel[P.MONTHS_TO_AOD] > window + 11).to_numpy()
    assert (comp.loc[closed, "hazard"] == 0).all()
    with_inv = RetirementHazard().fit(small_panel).predict_components(small_panel)
    assert (with_inv.loc[closed, "anticipated"] == 0).all()
    assert (with_inv.loc[closed & (small_panel[P.AGE] > 50).to_numpy(), "hazard"] > 0).all()


def test_combine_competing_causes():
    r, x = combine(np.array([0.3, 0.8, 1.0, 0.2]), np.array([0.1, 0.6, 0.3, 0.1]),
                   np.array([False, False, True, False]))
    np.testing.assert_allclose(r, [0.3, 0.8 / 1.4, 0.7, 0.2])
    np.testing.assert_allclose(x, [0.1, 0.6 / 1.4, 0.3, 0.1])
    assert ((r + x) <= 1 + 1e-12).all()


# ---------------------------------------------------------------------------------------------- regimes


def test_lfss2026_brings_the_1964_1968_cohorts_forward_and_only_them(small_history, small_models):
    model, exits = small_models
    base = small_history.base()
    start = forecast_start(small_history.base())
    a = forecast_retirements(base, model, exit_model=exits, regime="reform2023", horizon=12)
    b = forecast_retirements(base, model, exit_model=exits, regime="lfss2026", horizon=12)
    born = pd.to_datetime(base[P.BIRTH_DATE]).dt.year.to_numpy()
    eff = roll_covariates(base, start, 1, "lfss2026")[P.EFFECTIVE_CATEGORY].to_numpy()
    sed = eff == "sedentaire"
    cohort = sed & (born >= 1964) & (born <= 1968)
    others = sed & ~cohort
    assert cohort.sum() > 50 and others.sum() > 500
    # same law, same probabilities; the eligible rows are predicted in one batch per regime, and a batch of
    # another size may round the last bit differently (seen: 3.5e-18), so equal to 1e-12, not bit for bit
    np.testing.assert_allclose(a.p_retire[others], b.p_retire[others], rtol=0, atol=1e-12)
    cum_a = a.p_retire[cohort].sum(axis=0).cumsum()
    cum_b = b.p_retire[cohort].sum(axis=0).cumsum()
    assert (cum_b >= cum_a - 1e-9).all() and (cum_b - cum_a).max() > 1.0
    years = a.years
    mean_year = lambda f: (f.p_retire[cohort] * years).sum() / f.p_retire[cohort].sum()  # noqa: E731
    assert mean_year(b) < mean_year(a)
    # the AOD itself moves 3 months earlier (62 y 9 m instead of 63 y for 1964, ...)
    aod_a = rules.legal_age_months(base[P.BIRTH_DATE][cohort], "sedentaire", "reform2023")
    aod_b = rules.legal_age_months(base[P.BIRTH_DATE][cohort], "sedentaire", "lfss2026")
    assert (aod_b < aod_a).all()


# ---------------------------------------------------------------------------------------------- Monte Carlo


def test_monte_carlo_is_deterministic(small_history, small_models):
    model, exits = small_models
    fc = forecast_retirements(small_history.base(), model, exit_model=exits, horizon=5)
    one = fc.summary("direction", n_rep=200, rng=np.random.default_rng(123))
    two = fc.summary("direction", n_rep=200, rng=np.random.default_rng(123))
    pd.testing.assert_frame_equal(one, two)
    again = forecast_retirements(small_history.base(), model, exit_model=exits, horizon=5)
    np.testing.assert_array_equal(again.p_retire, fc.p_retire)
    np.testing.assert_array_equal(fc.simulate(50, np.random.default_rng(9)), fc.simulate(50, np.random.default_rng(9)))
    other = fc.summary("direction", n_rep=200, rng=np.random.default_rng(124))
    assert not one[["p10", "p50", "p90"]].equals(other[["p10", "p50", "p90"]])


def test_monte_carlo_agrees_with_the_expected_values(small_history, small_models):
    model, exits = small_models
    fc = forecast_retirements(small_history.base(), model, exit_model=exits, horizon=5)
    outcomes = fc.simulate(400, np.random.default_rng(5))
    total = fc.summary(None, outcomes=outcomes)
    h = fc.horizon
    counts = np.stack([(outcomes == k).sum(axis=0) for k in range(h)])  # (h, rep)
    sd = np.sqrt(fc.p_retire.sum(axis=0))
    assert (np.abs(counts.mean(axis=1) - total["expected"].to_numpy()) < 4 * sd / np.sqrt(400)).all()
    assert (total["p10"] <= total["p50"]).all() and (total["p50"] <= total["p90"]).all()
    assert (total["p10"] < total["expected"]).all() and (total["expected"] < total["p90"]).all()
    by = fc.summary("categorie", outcomes=outcomes)
    np.testing.assert_allclose(by.groupby("year")["expected"].sum().to_numpy(), total["expected"].to_numpy())
    assert by.groupby("year")["n_agents"].sum().eq(len(fc.agents)).all()


# ---------------------------------------------------------------------------------------------- knobs


def test_scenario_knobs(small_history, small_models):
    model, exits = small_models
    base = small_history.base()
    ref = forecast_retirements(base, model, exit_model=exits, horizon=6)
    later = forecast_retirements(base, model, exit_model=exits, horizon=6, postpone_months=12)
    assert later.p_retire[:, 0].sum() < ref.p_retire[:, 0].sum()
    assert later.p_retire[:, :2].sum() < ref.p_retire[:, :2].sum()
    keen = forecast_retirements(base, model, exit_model=exits, horizon=6, aod_share=min(1.0, 2 * model.aod_share_))
    assert keen.p_retire[:, 0].sum() > ref.p_retire[:, 0].sum()
    same = forecast_retirements(base, model, exit_model=exits, horizon=6, aod_share=model.aod_share_)
    np.testing.assert_allclose(same.p_retire, ref.p_retire, atol=1e-12)
    with pytest.raises(ValueError, match="AOD"):
        forecast_retirements(base, model, postpone_months=-3)
    with pytest.raises(ValueError, match="regime"):
        forecast_retirements(base, model, regime="2030")


# ---------------------------------------------------------------------------------------------- AOD schedule


def test_aod_schedule_and_counts(small_history):
    base = small_history.base()
    sched = aod_schedule(base, horizon=10, regime="lfss2026")
    assert len(sched) == len(base)
    tit = (base[P.STATUT] == "titulaire") & (base[P.SERVICE_CATEGORY] == "sedentaire")
    aod = rules.legal_age_date(base.loc[tit, P.BIRTH_DATE], "sedentaire", "lfss2026")
    year = aod.astype("datetime64[Y]").astype(int) + 1970
    got = sched.loc[tit, P.YEAR]
    inside = (year >= 2026) & (year <= 2035)
    assert (got[inside].to_numpy() == year[inside]).all()
    assert got[~inside].isna().all()
    assert (sched.loc[tit, "already_reached"].to_numpy() == (year < 2026)).all()
    counts = aod_counts(sched, "direction")
    assert counts["count"].sum() == sched[P.YEAR].notna().sum() + sched["already_reached"].sum()
    total = aod_counts(sched)
    assert total.loc[total[P.YEAR].notna(), "count"].sum() == sched[P.YEAR].notna().sum()


def test_forecast_does_not_mutate_its_inputs(small_history, small_models):
    base = small_history.base()
    copy = base.copy()
    forecast_retirements(base, small_models[0], exit_model=small_models[1], horizon=3)
    aod_schedule(base, horizon=3)
    pd.testing.assert_frame_equal(base, copy)


def test_early_segment_is_where_the_aod_is_after_the_year(small_panel, small_models):
    comp = small_models[0].predict_components(small_panel)
    early = (small_panel[P.MONTHS_TO_AOD] >= 12) & (small_panel[P.MONTHS_TO_LIMIT] > 11)
    assert ((comp["segment"] == EARLY) == early).all()
