"""Scenario: validation naming the field, JSON round trip, storage on every backend, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workforce import db
from workforce import scenario as sc
from workforce.cli import scenario as scenario_cli


def test_defaults_are_valid_and_round_trip_through_json():
    s = sc.Scenario()
    assert sc.Scenario.from_json(s.to_json()) == s
    assert s.fingerprint() == sc.Scenario.from_dict(json.loads(s.to_json())).fingerprint()
    full = sc.Scenario(horizon=15, seed=7, regime="reform2023", postponement_months=6, share_at_aod=0.3,
                       exit_multiplier=1.2, exit_multipliers={"mutation": 1.5}, replacement_rate=0.8,
                       replacement_by_famille={"Accueil": 0.5}, replacement_by_metier={"COL01": 1.0},
                       hiring_freeze_years=[2028, 2027], recruitment_delay_months=6,
                       demand_overlays=[{"kind": "growth", "scope": "famille", "key": "Numérique", "rate": 0.03},
                                        {"kind": "target", "scope": "metier", "key": "COL01", "year": 2030,
                                         "value": 650}],
                       demand_factors={"COL01": {2028: 0.9, "2030": 0.8}}, point_value=60.0)
    back = sc.Scenario.from_json(full.to_json())
    assert back == full and back.hiring_freeze_years == [2027, 2028]
    assert back.demand_factors == {"COL01": {"2028": 0.9, "2030": 0.8}}


@pytest.mark.parametrize("changes, field", [
    ({"replacement_rate": -0.1}, "replacement_rate"),
    ({"horizon": 0}, "horizon"),
    ({"horizon": 31}, "horizon"),
    ({"horizon": 2.5}, "horizon"),
    ({"exit_multipliers": {"mutation": -1}}, "exit_multipliers.mutation"),
    ({"exit_multipliers": {"retraite": 1.0}}, "exit_multipliers.retraite"),
    ({"regime": "loi2030"}, "regime"),
    ({"recruitment_delay_months": 30}, "recruitment_delay_months"),
    ({"demand_overlays": [{"kind": "growth", "scope": "metier", "rate": 0.1}]}, "demand_overlays[0].key"),
    ({"demand_overlays": [{"kind": "boom"}]}, "demand_overlays[0].kind"),
    ({"share_at_aod": 1.5}, "share_at_aod"),
    ({"horizonn": 10}, "horizonn"),
])
def test_invalid_values_are_refused_naming_the_field(changes, field):
    with pytest.raises(sc.ScenarioError) as err:
        sc.Scenario.from_dict(changes)
    assert err.value.field == field
    assert str(err.value).startswith(field)


def test_unknown_metier_famille_direction_are_refused():
    with pytest.raises(sc.ScenarioError, match=r"replacement_by_metier\.XXX99"):
        sc.check_against_referential(sc.Scenario(replacement_by_metier={"XXX99": 0.5}))
    with pytest.raises(sc.ScenarioError, match=r"demand_overlays\[0\]\.key"):
        sc.check_against_referential(sc.Scenario(
            demand_overlays=[{"kind": "growth", "scope": "direction", "key": "NOPE", "rate": 0.01}]))
    with pytest.raises(sc.ScenarioError, match=r"demand_factors\.ZZZ"):
        sc.check_against_referential(sc.Scenario(demand_factors={"ZZZ": {2030: 1.2}}))
    ok = sc.check_against_referential(sc.Scenario(replacement_by_metier={"COL01": 0.5}))
    assert ok.replacement_by_metier == {"COL01": 0.5}


def test_freeze_years_int_means_first_projection_years():
    assert sc.Scenario(hiring_freeze_years=3).freeze_years(2026) == [2026, 2027, 2028]
    assert sc.Scenario(hiring_freeze_years=[2030]).freeze_years(2026) == [2030]


def test_diff_lists_changed_knobs_only():
    a = sc.Scenario()
    b = a.replace(horizon=12, exit_multipliers={"mutation": 2.0})
    d = sc.diff(a, b)
    assert list(d["knob"]) == ["exit_multipliers.mutation", "horizon"]
    assert d.set_index("knob").loc["horizon", "b"] == 12
    assert sc.diff(a, a).empty


def test_save_load_list_delete(engine):
    base = sc.save(engine, "base", sc.Scenario(), author="drh", description="référence")
    child = sc.save(engine, "gel", sc.Scenario(hiring_freeze_years=[2027]), author="drh", parent="base")
    assert child.parent == "base" and base.parent is None
    loaded = sc.load(engine, "gel")
    assert loaded.scenario == sc.Scenario(hiring_freeze_years=[2027]) and loaded.parent == "base"
    assert loaded.created_at is not None and loaded.author == "drh"
    with pytest.raises(ValueError, match="existe déjà"):
        sc.save(engine, "base", sc.Scenario())
    with pytest.raises(sc.ScenarioNotFound):
        sc.save(engine, "x", sc.Scenario(), parent="nope")
    listing = sc.list_saved(engine)
    assert list(listing["name"]) == ["base", "gel"] and listing.loc[1, "parent"] == "base"
    sc.delete(engine, "base")
    assert sc.load(engine, "gel").parent is None
    with pytest.raises(sc.ScenarioNotFound):
        sc.load(engine, "base")
    with db.session_scope(engine) as s:
        from sqlalchemy import select
        actions = s.execute(select(db.AuditLog.action)).scalars().all()
    assert actions.count("scenario.create") == 2 and "scenario.delete" in actions


def test_cli_create_show_diff_list_delete(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    run = CliRunner().invoke
    r = run(scenario_cli.app, ["create", "base", "--author", "drh"])
    assert r.exit_code == 0, r.output
    r = run(scenario_cli.app, ["create", "gel", "--from", "base", "--set", "hiring_freeze_years=[2027]",
                               "--set", "exit_multipliers.mutation=1.5", "--description", "gel 2027"])
    assert r.exit_code == 0, r.output
    r = run(scenario_cli.app, ["show", "gel", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["exit_multipliers"] == {"mutation": 1.5}
    r = run(scenario_cli.app, ["diff", "base", "gel"])
    assert r.exit_code == 0 and "hiring_freeze_years" in r.output and "mutation" in r.output
    r = run(scenario_cli.app, ["list"])
    assert r.exit_code == 0 and "gel" in r.output and "base" in r.output
    r = run(scenario_cli.app, ["create", "bad", "--set", "replacement_rate=-1"])
    assert r.exit_code == 2 and "replacement_rate" in r.output
    r = run(scenario_cli.app, ["create", "bad", "--set", "replacement_by_metier.NOPE=0.5"])
    assert r.exit_code == 2 and "NOPE" in r.output
    r = run(scenario_cli.app, ["create", "base"])
    assert r.exit_code == 2 and "existe déjà" in r.output
    r = run(scenario_cli.app, ["show", "absent"])
    assert r.exit_code == 2 and "absent" in r.output
    r = run(scenario_cli.app, ["delete", "gel", "--yes"])
    assert r.exit_code == 0
    r = run(scenario_cli.app, ["show", "gel"])
    assert r.exit_code == 2


def test_reference_always_there_read_only(engine, monkeypatch, tmp_path):
    ref = sc.load(engine, sc.REFERENCE_NAME)
    assert ref.scenario == sc.Scenario() and ref.name == "Référence"
    for name in ("Référence", " référence "):
        with pytest.raises(sc.ReferenceReadOnly, match="lecture seule"):
            sc.save(engine, name, sc.Scenario(replacement_rate=0.5))
        with pytest.raises(sc.ReferenceReadOnly, match="lecture seule"):
            sc.delete(engine, name)
    sc.save(engine, "sobre", sc.Scenario(replacement_rate=0.8))
    listing = sc.list_saved(engine, with_reference=True)
    assert list(listing["name"]) == ["Référence", "sobre"]
    assert list(sc.list_saved(engine)["name"]) == ["sobre"]
    # the differences in French, with units, not the stored values
    table = sc.compare({"Référence": ref.scenario, "sobre": sc.load(engine, "sobre").scenario})
    assert list(table.columns) == ["Hypothèse", "Référence", "sobre"]
    row = table.set_index("Hypothèse").loc["Taux de remplacement des départs"]
    assert (row["Référence"], row["sobre"]) == ("100\u202f%", "80\u202f%")
    # the command line lists it and refuses to delete it
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'ref.db'}")
    run = CliRunner().invoke
    r = run(scenario_cli.app, ["list"])
    assert r.exit_code == 0 and "Référence" in r.output
    r = run(scenario_cli.app, ["delete", "Référence", "--yes"])
    assert r.exit_code == 2 and "lecture seule" in r.output
    r = run(scenario_cli.app, ["show", "Référence"])
    assert r.exit_code == 0
