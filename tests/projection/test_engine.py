"""Projection engine: invariants (stock-flow, age limit, determinism), Monte Carlo vs expected, knobs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.invariants import (
    projection_age_limit_violations,
    projection_difference_rows,
    projection_replicate_stock_flow_violations,
    projection_stock_flow_violations,
)
from workforce import projection as PJ
from workforce import rules
from workforce import scenario as sc
from workforce.export import ExportError, projection_published
from workforce.export_projection import export_projection
from workforce.projection.knobs import heads_per_etp
from workforce.scenario import Scenario

from .conftest import FakeDemand


@pytest.fixture(scope="module")
def baseline(prepared):
    return PJ.run(prepared, Scenario())


@pytest.fixture(scope="module")
def mc(prepared):
    return PJ.run(prepared, Scenario(), mode="mc", replicates=100)


def test_long_table_shape(baseline, prepared):
    t = baseline.table()
    assert list(t.columns) == ["year", "metier_code", "direction", "categorie", "indicator", "value"]
    assert sorted(t["year"].unique()) == list(range(2025, 2036))
    assert set(t["indicator"].astype(str)) == set(baseline.indicators())
    assert {"exits_mutation", "exits_fin_contrat"} <= set(baseline.indicators())
    start = t[(t["year"] == 2025) & (t["indicator"] == "headcount")]["value"].sum()
    assert start == prepared.n_agents
    # the summaries add up to the same totals
    for by in PJ.LEVELS:
        s = baseline.summary(by, ["headcount", "hires"])
        tot = s[s["indicator"] == "hires"].groupby("year")["value"].sum().to_numpy()
        np.testing.assert_allclose(tot, baseline.total("hires"), rtol=1e-9)


def test_stock_flow_identity_every_cell_expected_mode(baseline):
    assert projection_stock_flow_violations(baseline.table()).empty


def test_stock_flow_identity_monte_carlo(mc):
    # every replicate, every group of every level, in whole agents
    for level in PJ.LEVELS:
        bad = projection_replicate_stock_flow_violations(mc.replicates(level), PJ.MC_INDICATORS, tol=1e-3)
        assert bad.empty, (level, bad.head())
    # and the replicate mean of every cell
    assert projection_stock_flow_violations(mc.table(), value="mean", tol=1e-6).empty


def test_everyone_gone_by_the_age_limit(prepared):
    scenario = Scenario()
    surv = PJ.agent_survival(prepared, scenario)
    agents = prepared.agents()
    eff = rules.effective_category(agents["service_category"], agents["statut"], agents["active_service_years"])
    limit = rules.age_limit_date(agents["birth_date"], eff, scenario.regime)
    ends = [np.datetime64(f"{y}-12-31") for y in surv.columns[1:]]
    assert projection_age_limit_violations(surv, limit, ends).empty
    assert (surv.iloc[:, -1] < 1).any()


def test_same_data_scenario_seed_same_numbers(prepared, mc):
    a = PJ.run(prepared, Scenario())
    b = PJ.run(prepared, Scenario.from_json(Scenario().to_json()))
    assert a.fingerprint() == b.fingerprint()
    assert projection_difference_rows(a.table(), b.table()).empty
    again = PJ.run(prepared, Scenario(), mode="mc", replicates=100)
    assert again.fingerprint() == mc.fingerprint()
    assert projection_difference_rows(again.summary("direction"), mc.summary("direction")).empty
    other = PJ.run(prepared, Scenario(seed=43), mode="mc", replicates=100)
    assert other.fingerprint() != mc.fingerprint()


@pytest.mark.slow
def test_same_numbers_whatever_the_number_of_workers(prepared, mc):
    two = PJ.run(prepared, Scenario(), mode="mc", replicates=100, n_jobs=2)
    assert two.fingerprint() == mc.fingerprint()


def test_monte_carlo_mean_converges_to_expected(mc):
    s = mc.summary("total", ["headcount", "retirements", "exits", "hires", "etp"])
    s = s[s["year"] > 2025]
    for ind, rel in (("headcount", 0.01), ("etp", 0.01), ("exits", 0.05), ("hires", 0.05), ("retirements", 0.12)):
        part = s[s["indicator"] == ind]
        err = (part["mean"] - part["value"]).abs() / part["value"].abs().clip(lower=1)
        assert err.max() < rel, (ind, part)
    # the band holds the expected value most years
    part = s[s["indicator"] == "headcount"]
    assert ((part["p10"] <= part["value"] + 1) & (part["value"] - 1 <= part["p90"])).mean() >= 0.8


def test_bands_are_ordered_and_levels_consistent(mc):
    for by in PJ.LEVELS:
        s = mc.summary(by, ["headcount", "exits", "vacancies"])
        ok = s.dropna(subset=["p10"])
        assert (ok["p10"] <= ok["p50"] + 1e-9).all() and (ok["p50"] <= ok["p90"] + 1e-9).all()
    tot = mc.summary("total", ["headcount"])
    assert tot[tot["year"] == 2025][["p10", "p50", "p90"]].nunique(axis=1).item() == 1


def test_hiring_freeze_lowers_headcount(prepared, baseline):
    frozen = PJ.run(prepared, Scenario(hiring_freeze_years=3))
    h0, h1 = baseline.total("headcount"), frozen.total("headcount")
    assert (h1[1:4] < h0[1:4] - 10).all()
    assert frozen.total("hires")[1:4].sum() == 0
    assert (h1[4:] <= h0[4:] + 1e-6).all()  # cut posts stay cut
    listed = PJ.run(prepared, Scenario(hiring_freeze_years=[2028]))
    assert listed.total("hires")[3] == 0 and listed.total("hires")[2] > 0


def test_full_replacement_keeps_headcount_flat_within_the_band(prepared, mc):
    flat = Scenario(replacement_rate=1.0, demand_baseline="flat")
    h = PJ.run(prepared, flat).total("headcount")
    assert np.abs(h / h[0] - 1).max() < 0.02
    band = mc.summary("total", ["headcount"])
    assert ((band["p10"] - 1 <= h[0]) & (h[0] <= band["p90"] + 1)).mean() >= 0.7


def test_lower_replacement_lowers_headcount(prepared, baseline):
    half = PJ.run(prepared, Scenario(replacement_rate=0.5))
    assert half.total("headcount")[-1] < baseline.total("headcount")[-1] * 0.8
    fam = prepared.familles[0]
    one = PJ.run(prepared, Scenario(replacement_by_famille={fam: 0.0}))
    sel = prepared.familles == fam
    v = one.values["headcount"][:, :, sel].sum(axis=(1, 2, 3))
    w = baseline.values["headcount"][:, :, sel].sum(axis=(1, 2, 3))
    assert v[-1] < w[-1]


def test_postponing_departures_lowers_retirements_in_the_first_years(prepared, baseline):
    later = PJ.run(prepared, Scenario(postponement_months=12))
    r0, r1 = baseline.total("retirements"), later.total("retirements")
    assert r1[1:3].sum() < r0[1:3].sum()
    assert prepared.timings  # the new knobs computed the hazards once, then cached
    assert any("12" in k for k in prepared._retirement_cache.__repr__().split(")"))


def test_exit_multipliers(prepared, baseline):
    more = PJ.run(prepared, Scenario(exit_multipliers={"mutation": 2.0}))
    assert more.total("exits_mutation")[1] == pytest.approx(2 * baseline.total("exits_mutation")[1], rel=0.02)
    none = PJ.run(prepared, Scenario(exit_multiplier=0.0))
    assert none.total("exits")[1:].sum() == 0


def test_demand_overlays_and_transformation_factors(prepared, baseline):
    code = prepared.metiers[np.argmax(baseline.values["headcount"][0].sum(axis=(0, 2)))]
    i = int(np.flatnonzero(prepared.metiers == code)[0])
    d0 = baseline.values["demand"][:, :, i].sum(axis=(1, 2))
    grow = PJ.run(prepared, Scenario(demand_overlays=[{"kind": "growth", "scope": "metier", "key": code,
                                                       "rate": 0.03}]))
    d1 = grow.values["demand"][:, :, i].sum(axis=(1, 2))
    np.testing.assert_allclose(d1 / d0, 1.03 ** np.arange(11), rtol=1e-9)
    assert grow.total("hires").sum() > baseline.total("hires").sum()
    h1 = grow.values["headcount"][:, :, i].sum(axis=(1, 2))
    assert h1[-1] > baseline.values["headcount"][-1, :, i].sum()
    target = PJ.run(prepared, Scenario(demand_overlays=[{"kind": "target", "scope": "metier", "key": code,
                                                         "year": 2030, "value": 2 * d0[0]}]))
    dt = target.values["demand"][:, :, i].sum(axis=(1, 2))
    hpe = heads_per_etp(prepared)
    assert dt[5] == pytest.approx(2 * d0[0] / hpe, rel=1e-6) and dt[-1] == pytest.approx(dt[5])
    factors = Scenario(demand_factors={code: {"2028": 0.5}})
    f = PJ.run(prepared, factors).values["demand"][:, :, i].sum(axis=(1, 2))
    np.testing.assert_allclose(f[:3], d0[:3])
    np.testing.assert_allclose(f[3:], 0.5 * d0[3:])
    off = PJ.run(prepared, factors.replace(transformation_intensity=0.0)).values["demand"][:, :, i].sum(axis=(1, 2))
    np.testing.assert_allclose(off, d0)
    vac = baseline.values["vacancies"]
    np.testing.assert_allclose(vac, baseline.values["demand"] - baseline.values["etp"])


def test_demand_baseline_model_drives_hires(base_agents, fitted_models, prepared):
    code = prepared.metiers[0]
    models = PJ.Models(**{**fitted_models.__dict__, "demand": FakeDemand(code)})
    prep = PJ.prepare(base_agents, models, horizon=5)
    i = 0
    model = PJ.run(prep, Scenario(horizon=5))
    flat = PJ.run(prep, Scenario(horizon=5, demand_baseline="flat"))
    dm = model.values["demand"][:, :, i].sum(axis=(1, 2))
    if dm[0] > 0:
        np.testing.assert_allclose(dm / dm[0], 1.05 ** np.arange(6))
    np.testing.assert_allclose(flat.values["demand"][:, :, i].sum(axis=(1, 2)), dm[0])
    assert prep.demand_models is not None


def test_horizon_longer_than_prepared_is_refused(prepared):
    with pytest.raises(ValueError, match="horizon"):
        PJ.run(prepared, Scenario(horizon=12))
    with pytest.raises(ValueError, match="mode"):
        PJ.run(prepared, Scenario(), mode="fast")


def test_payroll_decomposition_adds_up(baseline):
    p = baseline.payroll("direction")
    # to the euro: the base flows travel the mobility chain in float32 (7 significant digits)
    np.testing.assert_allclose(p["change"], p["price_effect"] + p["gvt"] + p["noria"] + p["volume"]
                               + p["mobility_net"], rtol=1e-9, atol=1.0)
    tot = baseline.payroll("total")
    np.testing.assert_allclose(tot["payroll"].to_numpy(), baseline.total("payroll")[1:], rtol=1e-9)
    assert (tot["gvt"] > 0).all()  # careers progress
    assert (tot["noria"] < 0).all()  # juniors replace seniors: the noria saves money
    assert (baseline.total("payroll") > 1e6).all()


def test_published_suppresses_small_cells(baseline):
    pub = projection_published(baseline, wide=False)
    assert {"year", "metier_code", "direction", "categorie", "indicator", "value", "suppressed"} <= set(pub.columns)
    heads = pub[pub["indicator"] == "headcount"]
    sup = pub[pub["suppressed"]]
    assert len(sup) > 0 and sup["value"].isna().all()
    shown = heads[~heads["suppressed"]]["value"].round()
    assert ((shown == 0) | (shown >= 5)).all()
    wide = projection_published(baseline, "direction")
    assert {"year", "direction", "headcount", "retirements", "hires", "vacancies", "suppressed"} <= set(wide.columns)
    assert len(wide) == 11 * len(baseline.prepared.directions)


def test_saved_scenario_reloaded_gives_the_same_result(engine, prepared):
    s = Scenario(hiring_freeze_years=[2027], exit_multipliers={"mutation": 1.3}, horizon=8)
    sc.save(engine, "gel", s, author="test")
    again = sc.load(engine, "gel").scenario
    assert PJ.run(prepared, s).fingerprint() == PJ.run(prepared, again).fingerprint()


def test_provenance_and_files(baseline, tmp_path):
    prov = baseline.provenance
    for key in ("scenario", "seed", "code_version", "models", "base_hash", "extract_date", "mode"):
        assert key in prov
    assert prov["models"]["exits"]["version"] == "test"
    export_projection(baseline, tmp_path / "p.csv")
    back = pd.read_csv(tmp_path / "p.csv")
    assert {"year", "metier_code", "direction", "categorie", "headcount", "exits_mutation", "suppressed"} <= set(
        back.columns)
    assert json.loads((tmp_path / "p.provenance.json").read_text())["seed"] == 42
    export_projection(baseline, tmp_path / "p.xlsx", by="direction")
    sheets = pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    assert list(sheets) == ["Scénario", "Projection", "Masse salariale", "Provenance"]
    with pytest.raises(ExportError, match="csv ou .xlsx"):
        export_projection(baseline, tmp_path / "p.txt")


def test_retirements_of_recruits_reconcile_the_two_totals(prepared, baseline):
    """The projection's retirements = today's agents' + those of the agents it recruits (« dont agents recrutés
    pendant la projection »); a freeze of every year recruits nobody, so none of its retirees is a recruit."""
    total, recruits = baseline.total("retirements"), baseline.total("retirements_of_recruits")
    assert recruits[0] == 0 and (recruits >= -1e-9).all() and (recruits <= total + 1e-9).all()
    assert recruits[1:].sum() > 0  # recruits aged 55+ at hire retire within ten years
    frozen = PJ.run(prepared, Scenario(horizon=10, hiring_freeze_years=10))
    assert np.allclose(frozen.total("retirements_of_recruits"), 0.0)
    # today's agents retire alike whatever is recruited later: the base part does not move with the freeze
    assert np.allclose(total - recruits, frozen.total("retirements") - frozen.total("retirements_of_recruits"))
