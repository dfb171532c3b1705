"""Transformation profile: exposures from the ROME flags, intensity paces new requirements and scales the
demand effect, every métier gets a class and a reason, and the factors fit the scenario's hook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import skills as sk


@pytest.fixture(scope="module")
def profiles(skill_inputs):
    out = {}
    for intensity in (0.0, 1.0, 2.0):
        out[intensity] = sk.transformation_profile(skill_inputs, sk.TransformationParams(intensity=intensity))
    return out


def test_exposure_follows_the_rome_flags(skill_inputs, rome_release):
    exp = sk.metier_exposure(skill_inputs).set_index("metier_code")
    fiches = rome_release.fiches.set_index("code")
    local = skill_inputs.local_metiers().set_index("code")
    for code in local.index[:40]:
        codes = [c for c in str(local.loc[code, "rome_codes"]).split(";") if c]
        num = any(fiches.loc[c, "transition_num"] is True for c in codes)
        assert exp.loc[code, "num_flag"] == float(num)
        assert exp.loc[code, "exposure_demo"] == float(any(fiches.loc[c, "transition_demo"] is True for c in codes))
    assert exp[["exposure_num", "exposure_eco", "exposure_demo"]].stack().between(0, 1).all()
    assert exp["rome_data"].all()


def test_without_rome_exposures_are_zero_and_said(small_synth):
    inputs = sk.inputs_from_synth(small_synth)
    prof, new = sk.transformation_profile(inputs)
    assert (prof[["exposure_num", "exposure_eco", "exposure_demo"]] == 0).all().all()
    assert (new["origin"] == "referential").all()
    assert prof["reason"].str.contains("pas de fiche ROME importée").all()


def test_intensity_zero_means_no_transformation(profiles):
    prof, new = profiles[0.0]
    assert new.empty
    assert np.allclose(prof["demand_change"], (1 + prof["trend"]) ** 10 - 1)
    assert (prof["n_new"] == 0).all() and "transforming" not in set(prof["classe"])


def test_intensity_brings_requirements_forward_and_scales_demand(profiles, skill_inputs):
    (p1, n1), (p2, n2) = profiles[1.0], profiles[2.0]
    assert len(n1) == len(n2) > 0
    key = ["metier_code", "skill_code", "origin"]
    both = n1.merge(n2, on=key, suffixes=("_1", "_2"))
    assert len(both) == len(n1)
    assert (both["from_year_2"] <= both["from_year_1"]).all() and (both["from_year_2"] < both["from_year_1"]).any()
    ref = skill_inputs.requirements
    dated = ref[(ref["from_year"] > skill_inputs.base_year).fillna(False)]
    assert (n1["origin"] == "referential").sum() == len(dated)  # intensity 1 keeps the référentiel's dates
    exposed = p1["transformation_rate"].abs() > 0
    assert exposed.any()
    d1 = p1.loc[exposed, "demand_change"] - ((1 + p1.loc[exposed, "trend"]) ** 10 - 1)
    d2 = p2.loc[exposed, "demand_change"] - ((1 + p2.loc[exposed, "trend"]) ** 10 - 1)
    assert (np.sign(d1) == np.sign(p1.loc[exposed, "transformation_rate"])).all()
    assert (d2.abs() > d1.abs()).all()


def test_classes_and_reasons(profiles):
    prof, _ = profiles[1.0]
    params = sk.TransformationParams()
    assert set(prof["classe"]) <= set(sk.CLASSES) and len(set(prof["classe"])) >= 3
    assert (prof.loc[prof["classe"] == "growing", "demand_rate"] >= params.growing).all()
    assert (prof.loc[prof["classe"] == "declining", "demand_rate"] <= params.declining).all()
    tr = prof[prof["classe"] == "transforming"]
    assert (tr["new_share"] >= params.transforming_share).all()
    assert prof["reason"].str.startswith("demande ").all()
    brown = prof[prof["brown"] == 1]
    assert brown.empty or (brown["transformation_rate"] < 0).all()


def test_new_rome_requirements_are_flagged_skills_of_flagged_fiches(profiles, skill_inputs):
    _, new = profiles[1.0]
    rome_new = new[new["origin"] == "rome"]
    assert len(rome_new) > 0
    flags = skill_inputs.skills.set_index("code")
    assert (flags.loc[rome_new["skill_code"], ["transition_eco", "transition_num"]].eq(True).any(axis=1)).all()
    required = set(zip(skill_inputs.requirements["metier_code"], skill_inputs.requirements["skill_code"]))
    assert not any(pair in required for pair in zip(rome_new["metier_code"], rome_new["skill_code"]))
    assert rome_new.groupby("metier_code").size().max() <= sk.TransformationParams().max_new_skills


def test_demand_factors_fit_the_scenario_hook(profiles, skill_inputs):
    from workforce.scenario import Scenario

    prof, _ = profiles[1.0]
    factors = sk.demand_factors(prof, skill_inputs.base_year, 10)
    assert factors and all(len(v) == 10 for v in factors.values())
    scenario = Scenario(demand_factors=factors, transformation_intensity=0.5)
    assert scenario.demand_factors.keys() == factors.keys()
    code = next(iter(factors))
    rate = prof.set_index("metier_code").loc[code, "transformation_rate"]
    assert factors[code][str(skill_inputs.base_year + 10)] == pytest.approx((1 + rate) ** 10, rel=1e-6)


def test_historical_trend_recovers_a_known_growth():
    years = np.arange(2016, 2026)
    hist = pd.DataFrame({"year": np.tile(years, 2), "metier_code": np.repeat(["UP", "DOWN"], len(years)),
                         "direction": "D", "headcount": np.r_[100 * 1.03 ** (years - 2016),
                                                              200 * 0.98 ** (years - 2016)]})
    trend = sk.historical_trend(hist).set_index("metier_code")["trend"]
    assert trend["UP"] == pytest.approx(0.03, abs=1e-9) and trend["DOWN"] == pytest.approx(-0.02, abs=1e-9)
