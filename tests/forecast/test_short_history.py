"""The fallback models of short histories: priors from the law and documented rates, pooled hazards and
mobility, naive demand on short, annual and gappy monthly series, and the rule that a model losing to its
baseline is not kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone

from workforce import panel as P
from workforce import train
from workforce.forecast import demand as D
from workforce.forecast import fallback as F
from workforce.forecast import priors
from workforce.forecast.exits import ExitHazard
from workforce.forecast.priors import PriorExitHazard, PriorRetirementHazard
from workforce.forecast.retirement import RetirementHazard, forecast_start, roll_covariates
from workforce.forecast.retirement_forecast import forecast_retirements


# ============================================================================================== retirement prior

def _rows(**columns) -> pd.DataFrame:
    n = max(len(v) for v in columns.values() if np.ndim(v))
    base = {P.MONTHS_TO_AOD: 60, P.MONTHS_TO_LIMIT: 120, P.AGE: 58.0, P.CATEGORIE: "B", P.STATUT: "titulaire"}
    return pd.DataFrame({k: columns.get(k, np.full(n, v, dtype=object if isinstance(v, str) else None))
                         for k, v in base.items()})


def test_prior_retirement_follows_the_law():
    prior = PriorRetirementHazard().fit()
    assert clone(prior).get_params() == prior.get_params()
    X = _rows(**{P.MONTHS_TO_AOD: np.array([60, 60, 0, 6, -5, -5, -30, 30]),
                 P.MONTHS_TO_LIMIT: np.array([120, 5, 80, 80, 60, 20, 11, 120]),
                 P.AGE: np.array([55.0, 66.0, 62.0, 62.0, 63.0, 65.5, 66.0, 58.0]),
                 P.STATUT: np.array(["contractuel_permanent"] * 7 + ["titulaire"], dtype=object)})
    c = prior.predict_components(X)
    h = c["hazard"].to_numpy()
    assert list(c["segment"]) == ["early", "limit", "eligible", "eligible", "eligible", "eligible", "limit", "early"]
    assert h[0] == 0.0  # a contractuel years before the AOD: no invalidity, outside the carrière longue window
    assert h[1] == 1.0 and h[6] == 1.0  # the age limit makes leaving certain
    spike, after = priors.AOD_SPIKE, priors.AFTER_AOD
    assert h[2] == pytest.approx(1 - (1 - spike) * (1 - after) ** (11 / 12))  # AOD in the year's first month
    assert spike < h[3] < h[2]  # AOD later in the year: less of the year eligible
    assert h[4] == pytest.approx(after) and h[5] == pytest.approx(priors.AFTER_AOD_65)
    assert 0 < h[7] < 0.1 and c["anticipated"].iloc[7] > 0  # a fonctionnaire in the carrière longue window
    assert spike < prior.aod_share_ < 1


def test_prior_retirement_knobs_and_carriere_longue_by_categorie():
    prior = PriorRetirementHazard().fit()
    X = _rows(**{P.MONTHS_TO_AOD: np.array([3, 3, 14, 14, 14]), P.CATEGORIE: np.array(["B", "B", "A", "C", "C"],
                                                                                         dtype=object),
                 P.STATUT: np.array(["titulaire"] * 4 + ["contractuel_permanent"], dtype=object)})
    h = prior.predict_hazard(X)
    half = prior.predict_hazard(X, aod_share=prior.aod_share_ / 2)
    assert half[0] == pytest.approx(h[0] / 2) and np.allclose(half[2:], h[2:])  # only the AOD year moves
    later = prior.predict_hazard(X, postpone_months=12)
    assert later[0] < h[0]  # the AOD a year later: only the early channels that year
    assert h[2] < h[3]  # carrière longue: more early starters in C than in A (CARRIERE_LONGUE_SHARE)
    assert h[4] < h[3]  # the contractuel has the carrière longue channel but no CNRACL invalidity
    with pytest.raises(ValueError, match="postpone_months"):
        prior.predict_hazard(X, postpone_months=-1)
    with pytest.raises(ValueError, match="aod_spike"):
        PriorRetirementHazard(aod_spike=1.5).fit()


def test_prior_forecast_keeps_the_law(small_history):
    """On a real base: nobody is left after the age limit, and departures happen only around the AOD."""
    base = small_history.base()
    fc = forecast_retirements(base, PriorRetirementHazard().fit(), exit_model=PriorExitHazard().fit(), horizon=12)
    assert np.all(fc.p_retire + fc.p_exit <= 1 + 1e-9)
    first = roll_covariates(base, forecast_start(base), 1, fc.regime)
    limit_year = first[P.MONTHS_TO_LIMIT].to_numpy() // 12  # forecast year the age limit falls in
    after_limit = np.arange(fc.horizon)[None, :] > limit_year[:, None]
    assert after_limit.any() and np.all(fc.survival[after_limit] == 0)
    early = first[P.MONTHS_TO_AOD].to_numpy() > 11 + priors.CARRIERE_LONGUE_MONTHS
    contractuel = base[P.STATUT].astype(str).str.startswith("contractuel").to_numpy()
    assert early.any() and np.all(fc.hazard[early & contractuel, 0] == 0)  # nobody retires before the law allows
    rate = fc.expected().set_index("year")["expected"] / len(base)
    assert rate.between(0.005, 0.08).all()  # a département loses 1-5 % a year to retirement (fpt-facts §2-3)


# ============================================================================================== exits prior

def test_prior_exits_rates_by_statut_and_age():
    prior = PriorExitHazard().fit()
    assert isinstance(prior, ExitHazard) and prior.cell_hazards_.shape[:4] == ExitHazard._shape()
    assert set(prior.motives_) == {"mutation", "demission", "fin_contrat", "disponibilite", "detachement", "deces",
                                   "licenciement"}
    frame = pd.DataFrame({"statut": ["titulaire", "titulaire", "contractuel_non_permanent", "titulaire"],
                          "categorie": ["A", "C", "C", "C"], "age": [40.0, 40.0, 40.0, 28.0],
                          "tenure": [5.0, 5.0, 1.0, 5.0]})
    h = prior.predict_hazards(frame)
    total = h.sum(axis=1).to_numpy()
    assert 0.02 < total[1] < 0.05  # a fonctionnaire of a département: a few % a year besides retirement (§4)
    assert h.loc[0, "mutation"] > h.loc[1, "mutation"]  # A moves more than C
    assert 0.4 < total[2] < 0.6 and h.loc[2, "fin_contrat"] == pytest.approx(0.42)  # short contracts end
    assert h.loc[3, "mutation"] == pytest.approx(priors.YOUNG_MULTIPLIER * h.loc[1, "mutation"])
    assert h.loc[0, "fin_contrat"] == 0.0
    hz = prior.hazards(frame["statut"], frame["categorie"], frame["age"], frame["tenure"], 3)  # the engine's view
    assert hz.shape == (4, 3, len(prior.motives_)) and np.all(hz >= 0)
    with pytest.raises(ValueError, match="unknown exit motive"):
        PriorExitHazard(fonctionnaire={"teleportation": 0.1}).fit()


def test_pooled_exits_pool_everything_but_the_statut(small_panel):
    one_year = small_panel[small_panel[P.YEAR] == small_panel[P.YEAR].max()]
    pooled = ExitHazard(covariates="statut").fit(one_year)
    cells = pooled.cell_hazards_.sum(axis=-1)  # (statut group, catégorie, age, tenure)
    assert np.allclose(cells, cells[:, :1, :1, :1])  # one rate per statut group
    assert cells[2, 0, 0, 0] > 3 * cells[0, 0, 0, 0]  # non-permanent contractuels leave far more often


def test_pooled_retirement_ignores_the_groups(small_panel):
    one_year = small_panel[small_panel[P.YEAR] == small_panel[P.YEAR].max()]
    pooled = RetirementHazard(covariates="pooled").fit(one_year)
    assert set(pooled.eligible_.categorical_) | set(pooled.eligible_.numeric_) == {"pos", "elig_frac"}
    rows = one_year[one_year[P.MONTHS_TO_AOD] <= 11].head(50)
    swapped = rows.assign(**{P.CATEGORIE: "A", P.SEX: "M", P.STATUT: "contractuel_permanent"})
    np.testing.assert_allclose(pooled.predict_hazard(rows), pooled.predict_hazard(swapped))
    full = RetirementHazard().fit(one_year)
    assert not np.allclose(full.predict_hazard(rows), full.predict_hazard(swapped))


# ============================================================================================== the baseline rule

class _Constant(BaseEstimator):
    """A hazard model predicting ``value`` everywhere (a bad model, or a good baseline)."""

    def __init__(self, *, value=0.5):
        self.value = value

    def fit(self, X, y=None):
        self.value_ = float(self.value)
        return self

    def predict_hazard(self, X):
        return np.full(len(X), self.value_)


def test_a_model_that_loses_to_its_baseline_is_not_kept(small_panel):
    rate = float((small_panel[P.OUTCOME] == P.RETIREMENT).mean())
    bad, good = (lambda: _Constant(value=0.5)), (lambda: _Constant(value=rate))
    lost = train.full_or_pooled(small_panel, bad, good, P.RETIREMENT, F.POOLED_RETIREMENT)
    assert lost.estimator.value_ == pytest.approx(rate)  # the baseline is what gets registered
    assert lost.fallback.code == F.POOLED_RETIREMENT and "perd contre" in lost.fallback.reason
    assert lost.metrics["brier_full"] > lost.metrics["brier"]
    won = train.full_or_pooled(small_panel, good, bad, P.RETIREMENT, F.POOLED_RETIREMENT)
    assert won.fallback is None and won.estimator.value_ == pytest.approx(rate)
    assert won.metrics["brier"] <= won.metrics["brier_pooled"]


# ============================================================================================== demand

def _monthly(n: int, end="2025-12-31", seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end=end, periods=n, freq="ME")
    series = {"BIG": 100 + np.cumsum(rng.normal(0, 1.0, n)), "SMALL": 8 + rng.normal(0, 0.2, n),
              "GONE": np.r_[np.full(n - 1, 6.0), 0.0]}
    return pd.concat([pd.DataFrame({"ds": ds, "metier_code": k, "y": v}) for k, v in series.items()],
                     ignore_index=True)


FAMILLES = {"BIG": "F1", "SMALL": "F2", "GONE": "F2"}


@pytest.mark.parametrize("months", [1, 12, 24])
def test_short_monthly_demand_is_naive(months):
    est = D.DemandBaseline(max_horizon_months=60).fit(_monthly(months), FAMILLES)
    # two cut-offs (one to choose, one to score) need min_train_short + horizon + origin_step = 12 + 12 + 6 months
    assert est.fallback_ == F.Fallback(F.NAIVE_DEMAND, f"historique de {months} mois < 30").as_dict()
    s = est.series_.set_index("metier_code")
    assert (s["model"] == "naive").all() and s["mase_naive"].isna().all()
    assert s.loc["BIG", "level"] == "metier"  # staffed every month of a short history: its own series
    # empty in the last month: its own series only if staffed in min(min_months, history) months, else its famille
    assert s.loc["GONE", "level"] == ("metier" if months - 1 >= 36 else "famille")
    a = est.annual(3)
    np.testing.assert_allclose(a["index"], 1.0)  # naive: today's level carried forward
    big = a[a["metier_code"] == "BIG"]
    assert big["demand"].iloc[0] == pytest.approx(_monthly(months).query("metier_code == 'BIG'")["y"].iloc[-1])
    assert est.backtest_.empty and np.isnan(est.metrics_["mase_chosen"])
    back = D.DemandBaseline.from_json(est.to_json())
    assert back.fallback_ == est.fallback_
    pd.testing.assert_frame_equal(back.annual(3), a)


def test_a_short_monthly_history_chooses_among_the_candidates():
    """47 months: too short for three years before the first cut-off, long enough for one (min_train_short)."""
    est = D.DemandBaseline(max_horizon_months=60, models=("naive", "drift", "snaive", "ets")).fit(_monthly(47),
                                                                                              FAMILLES)
    m = est.metrics_
    assert m["nested"] and m["origins_selection"] >= 1 and m["origins_holdout"] >= 1
    assert est.fallback_ is None or "perdent contre la prévision naïve" in est.fallback_["reason"]
    assert m["mase_chosen"] <= m["mase_naive"] + 1e-12 and not est.backtest_.empty
    assert est.annual(3)["demand"].notna().all()


def test_annual_extracts_are_not_months_of_zero():
    yearly = _monthly(60)
    yearly = yearly[yearly["ds"].dt.month == 12]
    est = D.DemandBaseline(max_horizon_months=60).fit(yearly, FAMILLES)
    # five annual extracts: too few for two cut-offs (4 years before the first, 3 ahead)
    assert est.fallback_["code"] == F.NAIVE_DEMAND and "extractions annuelles" in est.fallback_["reason"]
    a = est.annual(2)
    last = yearly[yearly["metier_code"] == "BIG"]["y"].iloc[-1]
    assert a[a["metier_code"] == "BIG"]["demand"].tolist() == pytest.approx([last, last])
    assert (a["upper"] > a["demand"]).any()  # a band from the year-to-year changes, not a zero width
    # through the training hook: a headcount frame of one extract a year
    from types import SimpleNamespace

    data = SimpleNamespace(headcount=yearly.rename(columns={"ds": "extract_date", "y": "etp"}).assign(direction="D"),
                           metiers=pd.DataFrame({"code": list(FAMILLES), "famille": list(FAMILLES.values())}))
    model, metrics, primary, _ = D.fit_and_backtest(data)
    assert model.fallback_["code"] == F.NAIVE_DEMAND and np.isnan(metrics[primary])


def test_a_forgotten_monthly_extract_is_interpolated_not_zero():
    est = D.DemandBaseline()
    months = pd.date_range("2025-01-31", periods=6, freq="ME")
    wide = pd.DataFrame({"A": [10.0, np.nan, 14.0, 16.0, np.nan, np.nan]}, index=months)
    seen = ~wide["A"].isna().to_numpy()
    filled, gaps = est._fill_gaps(wide.iloc[:4], seen[:4])
    assert gaps is None and filled["A"].iloc[1] == pytest.approx(12.0)
    wide.iloc[5] = 20.0
    sparse, gaps = D.DemandBaseline(max_gap_months=0)._fill_gaps(wide, ~wide["A"].isna().to_numpy())
    assert gaps.tolist() == [2, 1, 2]  # months between the observed ones: a sparse history


def test_fallback_records_and_labels():
    fb = F.Fallback(F.NAIVE_DEMAND, "historique de 12 mois < 48")
    assert F.describe(fb.as_dict()) == "repli : demande naïve (historique de 12 mois < 48)"
    assert F.Fallback.from_dict(fb.as_dict()) == fb and F.Fallback.from_dict(None) is None
    assert F.describe(None).startswith("repli : aucun")
    assert set(F.SHORT_LABELS) == set(F.LABELS)
