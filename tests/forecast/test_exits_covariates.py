"""The covariate exit model: the estimator contract, the person-period contract shared with ExitHazard, a covariate
it must find (a direction and a kept column), no loss where the truth has only ExitHazard's covariates, short
histories, and the projection feeding it every agent's covariates."""

from __future__ import annotations

import dataclasses

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from workforce import panel as P
from workforce import projection as PJ
from workforce.forecast import exits_covariates as EC
from workforce.forecast.exits import ExitHazard
from workforce.forecast.exits_metrics import exit_metrics, temporal_backtest
from workforce.synth.exit_effects import with_covariate_effect

@pytest.fixture(scope="module")
def panel(small_panel):
    return small_panel


@pytest.fixture(scope="module")
def model(panel):
    return EC.CovariateExitHazard().fit(panel)


@pytest.fixture(scope="module")
def effect_panel(panel):
    return with_covariate_effect(panel)


def test_estimator_contract(panel):
    est = EC.CovariateExitHazard(C=0.5, C_extra=0.1, min_level_rows=20)
    params = clone(est).get_params()
    assert params["C"] == 0.5 and params["C_extra"] == 0.1 and params["min_level_rows"] == 20
    with pytest.raises(NotFittedError):
        est.predict_hazards(panel.head())
    with pytest.raises(ValueError, match="must be > 0"):
        EC.CovariateExitHazard(C=0).fit(panel)
    with pytest.raises(ValueError, match="cv must be"):
        EC.CovariateExitHazard(cv=1).fit(panel)
    with pytest.raises(ValueError, match="lacks column"):
        EC.CovariateExitHazard().fit(panel.drop(columns=["outcome"]))
    assert est.fit(panel) is est
    assert est.C_ == {m: 0.5 for m in est.motives_} and est.cv_scores_ == {}


def test_same_person_period_contract_as_exit_hazard(model, panel):
    """Same motives, one hazard per motive and row, calibrated in total on the training panel."""
    assert model.motives_ == ExitHazard().fit(panel).motives_
    hz = model.predict_hazards(panel)
    assert hz.shape == (len(panel), len(model.motives_)) and list(hz.columns) == list(model.motives_)
    assert (hz.to_numpy() >= 0).all() and (hz.sum(axis=1) < 1).all()
    observed = (panel[P.OUTCOME] == P.EXIT).sum()
    assert abs(model.predict_hazard(panel).sum() - observed) / observed < 0.1
    names = {b.name for b in model.blocks_}
    assert {"sex", "filiere", "direction", "quotite", "indice_majore"} <= names, names


def test_hazards_over_years_match_row_predictions(model, panel):
    """The projection's call (every year at once, covariates row for row) agrees with the panel prediction in
    its first year, and ages the agents."""
    rows = panel[panel[P.YEAR] == panel[P.YEAR].max()].head(300)
    h = model.hazards(rows[P.STATUT].to_numpy(object), rows[P.CATEGORIE].to_numpy(object), rows[P.AGE].to_numpy(),
                      rows[P.TENURE].to_numpy(), 5, covariates=rows)
    assert h.shape == (len(rows), 5, len(model.motives_)) and h.dtype == np.float32
    np.testing.assert_allclose(h[:, 0], model.predict_hazards(rows).to_numpy(), rtol=1e-5, atol=1e-7)
    without = model.hazards(rows[P.STATUT].to_numpy(object), rows[P.CATEGORIE].to_numpy(object),
                            rows[P.AGE].to_numpy(), rows[P.TENURE].to_numpy(), 5)
    assert np.isfinite(without).all() and without.shape == h.shape


def test_finds_a_direction_and_a_kept_column(effect_panel):
    """Exits that depend on the direction and on a kept column: on held-out years the covariate model ranks who
    leaves clearly better than ExitHazard, and its Brier beats both baselines."""
    cut = int(effect_panel[P.YEAR].max()) - 1
    res = temporal_backtest(effect_panel, {"exit_hazard": ExitHazard, "covariates": EC.CovariateExitHazard}, cut)
    res = res.set_index("model")
    print(res[["auc", "brier", "brier_skill"]])
    assert res.loc["covariates", "auc"] > res.loc["exit_hazard", "auc"] + 0.03
    assert res.loc["covariates", "brier"] < min(res.loc["exit_hazard", "brier"], res.loc["constant_rate", "brier"])
    fitted = EC.CovariateExitHazard().fit(effect_panel)
    coef = fitted.coefficients()
    tele = coef[(coef["block"] == "extra:Télétravail") & (coef["motive"] == "demission")].set_index("level")["coef"]
    assert tele["non"] > tele["oui"]


def test_does_not_lose_where_the_truth_has_only_exit_hazards_covariates(panel):
    """The synthetic truth depends on statut, catégorie and age only: the cross-validation may leave the other
    covariates out, and the model stays within noise of ExitHazard on the held-out year (one year of 1,500
    agents: too few to rank either against the constant rate; bench/bench_exits.py does on the demo)."""
    cut = int(panel[P.YEAR].max()) - 1
    res = temporal_backtest(panel, {"exit_hazard": ExitHazard, "covariates": EC.CovariateExitHazard}, cut)
    res = res.set_index("model")
    print(res[["auc", "brier", "brier_skill"]])
    assert res.loc["covariates", "brier"] <= res.loc["exit_hazard", "brier"] * 1.005
    assert res.loc["covariates", "auc"] >= res.loc["exit_hazard", "auc"] - 0.01
    assert res.loc["covariates", "auc"] > res.loc["constant_rate", "auc"]


def _short(sd, months: int):
    dates = pd.DatetimeIndex(sorted(pd.to_datetime(sd.snapshots["extract_date"]).unique()))[-months:]
    snaps = sd.snapshots[pd.to_datetime(sd.snapshots["extract_date"]).isin(dates)]
    when = pd.to_datetime(sd.movements["movement_date"])
    moves = sd.movements[(when > dates[0]) & (when <= dates[-1])]
    h = P.history_from_frames(snaps.reset_index(drop=True), moves.reset_index(drop=True))
    return P.build_panel(h.snapshots, h.movements)


@pytest.mark.parametrize("months", [12, 24])
def test_short_histories_train(small_synth, months):
    """12 or 24 monthly extracts: one or two (partial) years at risk; the model fits (without a search below
    ``min_cv_events`` exits) and gives finite hazards."""
    short = _short(small_synth, months)
    m = EC.CovariateExitHazard().fit(short)
    h = m.predict_hazards(short)
    assert len(m.motives_) >= 1 and np.isfinite(h.to_numpy()).all() and (h.sum(axis=1) < 1).all()


def test_one_extract_has_no_year_at_risk(small_synth):
    """One extract: an empty panel, refused with the reason (the training ladder uses the prior rates)."""
    empty = _short(small_synth, 1)
    assert empty.empty
    with pytest.raises(ValueError, match="panel is empty"):
        EC.CovariateExitHazard().fit(empty)


def test_projection_feeds_the_agents_covariates(effect_panel, base_agents, fitted_models):
    """The engine passes each agent's direction and kept columns to the model: agents of a high-exit direction
    get higher hazards, and hire pseudo-agents (no direction) the average."""
    model = EC.CovariateExitHazard().fit(effect_panel)
    agents = base_agents.assign(extra=[{"Télétravail": "non"}] * len(base_agents))
    prepared = PJ.prepare(agents, dataclasses.replace(fitted_models, exits=model), horizon=5)
    total = prepared.exit_hazard.sum(axis=-1)[:, 0]
    direction = prepared.directions[prepared.agent_direction]
    assert total[direction == "DEC"].mean() > 2 * total[direction == "DRM"].mean()
    assert np.isfinite(prepared.tmpl_exit).all() and prepared.tmpl_exit.sum() > 0


def test_joblib_round_trip(model, panel, tmp_path):
    path = tmp_path / "exits.joblib"
    joblib.dump(model, path)
    again = joblib.load(path)
    pd.testing.assert_frame_equal(again.predict_hazards(panel.head(50)), model.predict_hazards(panel.head(50)))
    assert -again.score(panel) == pytest.approx(exit_metrics(model, panel)["brier"])


@pytest.mark.parametrize("cache_entries", [0, EC.GRAM_CACHE_ENTRIES])
def test_gram_is_the_weighted_cross_product(monkeypatch, cache_entries):
    """The cached Hessian operator and the block-by-block one give X' diag(d) X of the dense one-hot design, to
    the last digit of each other (the same sums in the same order)."""
    monkeypatch.setattr(EC, "GRAM_CACHE_ENTRIES", cache_entries)
    rng = np.random.default_rng(4)
    sizes = [1, 3, 5, 2]
    codes = np.column_stack([rng.integers(0, s, 400) for s in sizes])
    d = rng.random(400)
    X = EC.OneHot(codes, sizes)
    dense = np.zeros((400, X.n_features))
    dense[np.arange(400)[:, None], X.flat] = 1.0
    H = X.gram(d)
    np.testing.assert_allclose(H, dense.T @ (d[:, None] * dense), rtol=1e-12, atol=1e-12)
    assert (X._pairs is not None) == (cache_entries > 0)
    np.testing.assert_array_equal(X.gram(d), H)  # the second call reuses the operator
    monkeypatch.setattr(EC, "GRAM_CACHE_ENTRIES", 0)
    np.testing.assert_array_equal(EC.OneHot(codes, sizes).gram(d), H)
    kept = np.r_[0, 1, 2, 3, 9, 10]  # blocks 0, 1 and 3: the Hessian of a fit that leaves block 2 out
    np.testing.assert_array_equal(X.blocks_view([0, 1, 3]).gram(d), H[np.ix_(kept, kept)])
    assert X.blocks_view([0, 1, 3]) is X.blocks_view(np.array([0, 1, 3]))  # kept for the next Newton steps


def test_a_fit_leaving_blocks_out_equals_the_fit_without_them():
    """An infinite penalty leaves a block out: the same coefficients as the design without it, and zeros."""
    rng = np.random.default_rng(6)
    sizes = [1, 3, 4, 2]
    codes = np.column_stack([rng.integers(0, s, 600) for s in sizes])
    y, w = rng.random(600) < 0.2, rng.uniform(0.5, 2.0, 600)
    X = EC.OneHot(codes, sizes)
    pen = np.r_[0.0, np.full(3, 1.0), np.full(4, np.inf), np.full(2, 0.5)]
    beta = EC.fit_logit(X, y.astype(float), w, pen)
    alone = EC.fit_logit(EC.OneHot(codes[:, [0, 1, 3]], [1, 3, 2]), y.astype(float), w, np.r_[0.0, [1.0] * 3, [0.5] * 2])
    np.testing.assert_allclose(beta[np.r_[0:4, 8:10]], alone, rtol=1e-10, atol=1e-12)
    assert (beta[4:8] == 0).all()
