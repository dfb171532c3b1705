"""Exit model: fitted on the person-year panel, calibrated, fonctionnaires and contractuels apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from workforce.forecast import exits as E

panel_mod = pytest.importorskip("workforce.panel")


@pytest.fixture(scope="module")
def panel(small_synth):
    h = panel_mod.history_from_frames(small_synth.snapshots, small_synth.movements)
    return panel_mod.build_panel(h.snapshots, h.movements)


@pytest.fixture(scope="module")
def model(panel):
    return E.ExitHazard().fit(panel)


def test_column_names_agree_with_the_panel():
    for name in ("STATUT", "CATEGORIE", "AGE", "TENURE", "OUTCOME", "MOTIVE", "EXPOSURE", "EXIT"):
        assert getattr(E, name) == getattr(panel_mod, name)


def test_estimator_contract(panel):
    est = E.ExitHazard(C=2.0, min_events=3)
    assert clone(est).get_params() == {"C": 2.0, "min_events": 3, "covariates": "full"}
    with pytest.raises(NotFittedError):
        est.predict_hazards(panel.head())
    with pytest.raises(ValueError, match="C must be"):
        E.ExitHazard(C=0).fit(panel)
    with pytest.raises(ValueError, match="covariates"):
        E.ExitHazard(covariates="age").fit(panel)
    with pytest.raises(ValueError, match="lacks column"):
        E.ExitHazard().fit(panel.drop(columns=["outcome"]))
    assert est.fit(panel) is est


def test_motives_and_hazards_shape(model, panel):
    assert {"mutation", "fin_contrat", "demission"} <= set(model.motives_)
    assert list(model.motives_) == [m for m in E.EXIT_MOTIVES if m in model.motives_]
    hz = model.predict_hazards(panel)
    assert hz.shape == (len(panel), len(model.motives_)) and (hz.to_numpy() >= 0).all()
    assert (hz.sum(axis=1) < 1).all()
    np.testing.assert_allclose(model.predict_hazard(panel), hz.sum(axis=1).to_numpy())


def test_calibrated_on_the_training_panel(model, panel):
    """Multinomial logit with one-hot effects matches observed counts on each statut group (score equations)."""
    cal = model.calibration(panel, by="statut_group")
    big = cal[cal["observed"] >= 30]
    assert len(big) >= 3
    rel = (big["predicted"] - big["observed"]).abs() / big["observed"]
    assert rel.max() < 0.08, big


def test_fonctionnaires_and_contractuels_apart(model):
    """fpt-facts §4: contractuels leave far more, mostly at the end of the contract; fonctionnaires by mutation."""
    frame = pd.DataFrame({"statut": ["titulaire", "contractuel_permanent", "contractuel_non_permanent"],
                          "categorie": ["B", "B", "C"], "age": [40.0, 40.0, 40.0], "tenure": [8.0, 3.0, 1.0]})
    hz = model.predict_hazards(frame)
    total = hz.sum(axis=1).to_numpy()
    assert total[0] < 0.06 < total[1] < total[2]
    assert hz.loc[0, "fin_contrat"] < 0.005
    assert hz.loc[2, "fin_contrat"] > 0.2
    assert hz.loc[0, "mutation"] > hz.loc[0, "demission"]


def test_recovers_the_generating_rates_roughly(model, panel):
    """Against the synthetic truth: fonctionnaire mutation ~1.1-3 %, CNP end of contract ~42 % a year."""
    hz = model.predict_hazards(panel)
    sg = E.statut_group(panel["statut"])
    assert 0.008 < hz["mutation"][sg == 0].mean() < 0.035
    assert 0.25 < hz["fin_contrat"][sg == 2].mean() < 0.5


def test_hazards_over_years_age_the_agents(model):
    h = model.hazards(np.array(["titulaire"] * 2), np.array(["C", "C"]), np.array([24.0, 58.0]),
                      np.array([1.0, np.nan]), horizon=8)
    assert h.shape == (2, 8, len(model.motives_)) and h.dtype == np.float32
    # the 58-year-old's hazards are those of his age band each year
    older = pd.DataFrame({"statut": "titulaire", "categorie": "C", "age": [58.0, 65.0], "tenure": np.nan})
    np.testing.assert_allclose(h[1, [0, 7]], model.predict_hazards(older).to_numpy(), rtol=1e-6)
    # the 24-year-old crosses the 25 and 30 band edges: hazards change along the way
    assert not np.allclose(h[0, 0], h[0, -1])
