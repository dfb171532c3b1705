"""Names defined once (issue 12 item 5): column, motive and indicator names in workforce.columns, French labels
and number formats in workforce.labels, and a taken scenario name as a typed error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workforce import columns as K
from workforce import labels as L

ROOT = Path(__file__).resolve().parents[1] / "workforce"


def test_exit_motives_are_one_tuple():
    from workforce import scenario, synth
    from workforce.forecast import exits
    from workforce.ui import scenario_form

    assert K.EXIT_MOTIVES == (*K.DEPARTURE_EXIT_MOTIVES, K.OTHER_MOTIVE)
    for module in (scenario, exits, scenario_form):
        assert module.EXIT_MOTIVES is K.EXIT_MOTIVES, module.__name__
    assert synth.EXIT_MOTIVES is K.DEPARTURE_EXIT_MOTIVES and synth.RETIREMENT_MOTIVES is K.RETIREMENT_MOTIVES
    assert K.EXIT_INDICATORS == tuple(f"exits_{m}" for m in K.EXIT_MOTIVES)
    assert set(K.EXIT_INDICATORS) <= set(K.INDICATORS)


def test_one_name_for_the_metier_code():
    from workforce import panel
    from workforce.forecast import demand, mobility

    assert not hasattr(panel, "METIER") and not hasattr(demand, "METIER") and not hasattr(mobility, "METIER")
    assert panel.METIER_CODE == K.METIER_CODE == "metier_code"
    for name in ("YEAR", "OUTCOME", "MOTIVE", "MOVEMENT_DATE", "KIND", "DEPARTURE", "RETIREMENT_MOTIVES"):
        assert getattr(panel, name) is getattr(K, name), name


def test_no_exit_motive_tuple_written_outside_columns():
    """The literal list of motives appears once, in columns.py (the projection package is counted until it
    imports it; see the issue)."""
    pattern = re.compile(r'"mutation",\s*"demission",\s*"fin_contrat"')
    found = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                   if pattern.search(p.read_text(encoding="utf-8")))
    elsewhere = ("projection", "skills")  # being split into packages (issue 12 items 2 and 3): listed in the issue
    assert [f for f in found if not f.startswith(elsewhere)] == ["columns.py"]


def test_french_number_formats():
    assert L.fmt_int(7863) == "7\u202f863"
    assert L.fmt_int(None) == "—" and L.fmt_int(float("nan"), na="< 5") == "< 5"
    assert L.fmt_float(1234.56) == "1\u202f234,6"
    assert L.fmt_number(1234.56, 0) == "1\u202f235" and L.fmt_number(1234.56, 2) == "1\u202f234,56"
    assert L.fmt_pct(0.2534) == "25,3\u202f%"
    assert L.fmt_euros(12_345_678) == "12,3\u202fM€"
    assert L.as_number("7\u202f863") == 7863.0 and L.as_number("25,3 %") == 25.3
    assert L.INDICATOR_LABELS["exits_autre"] == "Départs : autres motifs"
    assert set(K.INDICATORS) <= set(L.INDICATOR_LABELS)


def test_pages_and_commands_share_the_formats():
    from workforce.cli import forecast as cli_forecast
    from workforce.ui import common as C
    from workforce.ui import projections as PJ

    assert C.fmt_int is L.fmt_int and C.french_numbers is L.french_numbers and C.MOTIVE_LABELS is L.MOTIVE_LABELS
    assert PJ.INDICATOR_LABELS is L.INDICATOR_LABELS and PJ.LEVEL_LABELS is L.LEVEL_LABELS
    assert cli_forecast._fmt(1234.5, 1) == "1\u202f234,5" and cli_forecast._fmt(None) == cli_forecast.SUPPRESSED


def test_no_thousands_separator_written_by_hand():
    """French numbers are formatted by workforce.labels only (cli/db.py and cli/project.py: see the issue)."""
    pattern = re.compile(r""":,[^}]*\}["']?\)?\.replace\(","|\.replace\(",", "(?:\\u202f| |\u202f)"\)""")
    found = sorted(str(p.relative_to(ROOT)) for folder in ("cli", "ui") for p in (ROOT / folder).rglob("*.py")
                   if pattern.search(p.read_text(encoding="utf-8")))
    assert [f for f in found if f not in {"cli/db.py", "cli/project.py"}] == []


def test_taken_scenario_name_is_a_typed_error(tmp_path):
    from workforce import db, scenario

    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    scenario.save(engine, "gel", scenario.Scenario())
    with pytest.raises(scenario.ScenarioExists) as caught:
        scenario.save(engine, "gel", scenario.Scenario())
    assert caught.value.name == "gel" and isinstance(caught.value, ValueError)
    engine.dispose()
