"""`workforce project` on a stored synthetic département (both backends for the storage path)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from workforce import db
from workforce import projection as PJ
from workforce.projection import inputs as PI
from workforce import scenario as sc
from workforce.cli.project import project

pytest.importorskip("workforce.forecast.retirement")


@pytest.fixture(scope="module")
def tiny():
    from workforce.synth import SynthParams, generate

    return generate(SynthParams(n_agents=400, years=3, seed=11))


def _app():
    app = typer.Typer()
    app.command()(project)
    return app


def test_prepare_from_db_and_record(engine, tiny):
    from workforce.synth import store

    store(tiny, engine)
    prep = PJ.prepare_from_db(engine, horizon=3)
    assert prep.n_agents == (tiny.snapshots["extract_date"] == tiny.snapshots["extract_date"].max()).sum()
    assert prep.provenance["extract_date"] == "2025-12-31" and prep.provenance["extract_id"]
    assert set(prep.provenance["fallbacks"]) >= {"retirement", "exits", "mobility", "demand"}
    scenario = sc.Scenario(horizon=3)
    result = PI.project_scenario(engine, scenario, actor="test")
    with db.session_scope(engine) as s:
        row = s.execute(select(db.ProjectionRun.result_fingerprint, db.ProjectionRun.seed, db.ProjectionRun.params,
                               db.ProjectionRun.code_version, db.ProjectionRun.actor)).one()
    assert row.result_fingerprint == result.fingerprint() and row.seed == 42 and row.actor == "test"
    assert row.params["horizon"] == 3 and row.code_version == result.provenance["code_version"]


def test_cli_project(tmp_path, monkeypatch, tiny):
    from workforce.synth import store

    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'p.db'}")
    engine = db.make_engine()
    run = CliRunner().invoke
    r = run(_app(), [])
    assert r.exit_code == 1 and "aucune extraction" in r.output
    store(tiny, engine)
    sc.save(engine, "court", sc.Scenario(horizon=3, hiring_freeze_years=1))
    r = run(_app(), ["--scenario", "absent"])
    assert r.exit_code == 2 and "absent" in r.output
    r = run(_app(), ["--scenario", "court", "--out", str(tmp_path / "x.txt")])
    assert r.exit_code == 2 and ".csv ou .xlsx" in r.output
    r = run(_app(), ["--scenario", "court", "--out", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.output
    assert "Effectif" in r.output and "2028" in r.output
    frame = pd.read_csv(tmp_path / "p.csv")
    assert {"headcount", "retirements", "hires", "suppressed"} <= set(frame.columns)
    assert json.loads((tmp_path / "p.provenance.json").read_text())["scenario"]["hiring_freeze_years"] == 1
    r = run(_app(), ["--scenario", "court", "--mc", "30", "--jobs", "1", "--by", "direction",
                     "--out", str(tmp_path / "p.xlsx")])
    assert r.exit_code == 0, r.output
    assert "P10-P90" in r.output
    sheets = pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    assert {"Effectif — P10", "Effectif — P90", "Code direction", "Direction"} <= set(sheets["Projection"].columns)
    assert sheets["Scénario"].iloc[0].tolist()[:2] == ["Nom du scénario", "court"]
    with db.session_scope(engine) as s:
        origins = s.execute(select(db.ProjectionRun.origin, db.ProjectionRun.scenario_name)).all()
    assert [tuple(o) for o in origins] == [("cli", "court"), ("cli", "court")]
