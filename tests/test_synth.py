"""The synthetic département: calibration, determinism, stock-flow identity, the law, storage."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.invariants import stock_flow_violations
from workforce import db, rules
from workforce.synth import SynthParams, calibration_table, generate, store


def test_demo_size_departement_is_calibrated_on_fpt_facts(full_synth):
    cal = calibration_table(full_synth)
    off = cal[~cal["ok"]]
    assert off.empty, f"hors cible:\n{off.to_string()}"
    last = full_synth.snapshots[full_synth.snapshots["extract_date"] == full_synth.snapshots["extract_date"].max()]
    assert 7_600 <= len(last) <= 8_400
    assert last["metier_code"].nunique() >= 80
    assert last["direction"].nunique() >= 10
    assert len(full_synth.extract_dates) == 120


def test_same_seed_same_data_other_seed_other_data():
    a = generate(SynthParams(n_agents=400, years=2, seed=11))
    b = generate(SynthParams(n_agents=400, years=2, seed=11))
    c = generate(SynthParams(n_agents=400, years=2, seed=12))
    pd.testing.assert_frame_equal(a.snapshots, b.snapshots)
    pd.testing.assert_frame_equal(a.movements, b.movements)
    pd.testing.assert_frame_equal(a.agent_skills, b.agent_skills)
    assert not a.snapshots["birth_date"].equals(c.snapshots["birth_date"])


def test_stock_flow_identity_every_month(small_synth):
    bad = stock_flow_violations(small_synth.snapshots, small_synth.movements)
    assert bad.empty, bad.head()


@pytest.mark.parametrize("group", ["direction", "metier"])
def test_stock_flow_identity_by_group(small_synth, group):
    snaps = small_synth.snapshots.rename(columns={"metier_code": "metier"})
    bad = stock_flow_violations(snaps, small_synth.movements, group=group)
    assert bad.empty, bad.head()


def test_stock_flow_checker_catches_a_lost_agent(small_synth):
    snaps = small_synth.snapshots
    month = snaps["extract_date"].unique()[5]
    victim = snaps.index[snaps["extract_date"] == month][0]
    assert not stock_flow_violations(snaps.drop(index=victim), small_synth.movements).empty


def _departures_with_law(sd):
    dep = sd.movements[sd.movements["kind"] == "departure"]
    last = sd.snapshots.drop_duplicates("agent_id", keep="last").set_index("agent_id")
    info = last.loc[dep["agent_id"]]
    eff = rules.effective_category(info["service_category"].to_numpy(), info["statut"].to_numpy(),
                                   info["active_service_years"].to_numpy())
    aod = rules.legal_age_date(info["birth_date"].to_numpy(), eff, sd.params.regime)
    limit = rules.age_limit_date(info["birth_date"].to_numpy(), eff, sd.params.regime)
    return dep.assign(aod=aod, limit=limit, date=pd.to_datetime(dep["movement_date"]).to_numpy())


def test_no_retirement_before_the_law_allows_outside_early_channels(small_synth):
    d = _departures_with_law(small_synth)
    common = d[d["motive"].isin(["droit_commun", "categorie_active"])]
    assert len(common) > 50
    assert (common["date"] >= common["aod"]).all()
    cl = d[d["motive"] == "carriere_longue"]
    months = small_synth.params.carriere_longue_months
    assert (cl["date"].to_numpy() >= rules.add_months(cl["aod"].to_numpy(), -months)).all()
    assert (cl["date"] < cl["aod"]).all()


def test_everyone_has_left_by_the_age_limit(small_synth):
    snaps = small_synth.snapshots
    eff = rules.effective_category(snaps["service_category"].to_numpy(), snaps["statut"].to_numpy(),
                                   snaps["active_service_years"].to_numpy())
    limit = rules.age_limit_date(snaps["birth_date"].to_numpy(), eff, small_synth.params.regime)
    assert (pd.to_datetime(snaps["extract_date"]).to_numpy() < limit).all()
    d = _departures_with_law(small_synth)
    assert (d.loc[d["motive"] == "limite_age", "date"] == d.loc[d["motive"] == "limite_age", "limit"]).all()


def test_retirement_spike_at_the_legal_age(full_synth):
    """A share of those eligible leave in their first month, as the generator's truth says."""
    d = _departures_with_law(full_synth)
    ret = d[d["motive"] == "droit_commun"]
    months_after = (ret["date"].to_numpy().astype("datetime64[M]") - ret["aod"].to_numpy().astype("datetime64[M]")).astype(int)
    first = (months_after == 0).mean()
    assert 0.15 <= first <= 0.5
    assert (months_after > 24).mean() > 0.05  # the tail toward the age limit


def test_store_round_trip_and_truth_beside_the_data(engine, tmp_path):
    sd = generate(SynthParams(n_agents=300, years=2, seed=3))
    counts = store(sd, engine, truth_dir=tmp_path / "synth")
    tables = db.table_counts(engine)
    assert tables["extracts"] == 24 == counts["extracts"]
    assert tables["agent_snapshots"] == len(sd.snapshots)
    assert tables["movements"] == len(sd.movements)
    assert tables["metiers"] >= 80
    truth = json.loads((tmp_path / "synth" / "truth.json").read_text())
    assert truth["params"]["seed"] == 3 and truth["hazard"]["monthly_spike"] == sd.params.spike
    back = db.read_frame(engine, select(db.AgentSnapshot.agent_id))
    assert set(back["agent_id"]) == set(sd.snapshots["agent_id"])
    store(sd, engine)  # replacing the synthetic history does not duplicate it
    assert db.table_counts(engine)["agent_snapshots"] == len(sd.snapshots)


def test_cli_synth_prints_the_calibration_table(tmp_path):
    from workforce.cli import app

    result = CliRunner().invoke(app, ["synth", "--agents", "300", "--years", "1", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "Catégorie A" in result.output and "extractions" in result.output
    stats = CliRunner().invoke(app, ["db", "stats"])
    assert stats.exit_code == 0 and "agent_snapshots" in stats.output
    bad = CliRunner().invoke(app, ["synth", "--end", "pas-une-date"])
    assert bad.exit_code == 2
