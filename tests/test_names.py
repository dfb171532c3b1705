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


# ---------------------------------------------------------------------------------------------- ui layering (item 7)

UI_CHAIN = ("data", "forecasts", "projections", "warmup")
"""The cached page modules depend one way: each imports only those before it."""


def _ui_imports(path: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "workforce.ui":
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workforce.ui."):
            found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("workforce.ui.")}
    return found


def test_ui_modules_import_one_way():
    for i, name in enumerate(UI_CHAIN):
        later = set(UI_CHAIN[i + 1:])
        assert not (_ui_imports(ROOT / "ui" / f"{name}.py") & later), name


def test_no_private_function_called_across_modules():
    """ui/ and cli/ call only public names of other modules (a leading underscore is a module's own business)."""
    call = re.compile(r"\b(?!self\b|cls\b|st\b|np\b|pd\b)[A-Za-z]\w*\._(?!replace\(|asdict\()[a-z]\w*\(")  # namedtuple API
    imported = re.compile(r"^from workforce[\w.]* import .*\b_[a-z]", re.MULTILINE)
    offenders = sorted(str(p.relative_to(ROOT)) for folder in ("ui", "cli") for p in (ROOT / folder).rglob("*.py")
                       if call.search(p.read_text(encoding="utf-8")) or imported.search(p.read_text(encoding="utf-8")))
    assert offenders == []


def test_cached_models_are_read_only(tmp_path, monkeypatch):
    from types import MappingProxyType

    from workforce import db
    from workforce.ui import forecasts as F

    url = f"sqlite:///{tmp_path / 'w.db'}"
    db.init_db(db.make_engine(url))
    F.models.clear()
    shared = F.models(url, ("v",))
    assert isinstance(shared, MappingProxyType)
    with pytest.raises(TypeError):
        shared["retirement"] = object()
    F.record_failure(url, ("v",), "essai", RuntimeError("boom"))
    assert "essai" in F.model_errors(url, ("v",)) and "essai" not in F.model_errors(url, ("autre",))
