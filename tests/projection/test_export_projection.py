"""The projection's XLSX as a planner opens it (issue 16): French headings, the scenario's name and hypotheses,
names beside codes, whole agents, P10/P90 in Monte Carlo mode, « Masqué » with empty hidden figures, a key/value
provenance, frozen header rows; secrecy the same as the published frames."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from openpyxl import load_workbook

from workforce import projection as PJ
from workforce import export as X
from workforce import export_projection as XP
from workforce.scenario import Scenario

ENGLISH = re.compile(r"^(year|headcount|etp|retirements|exits.*|hires|mobility.*|demand.*|vacancies.*|payroll.*|"
                     r"suppressed|direction|metier_code|categorie|famille|value|p10|p50|p90|mean|provenance|"
                     r"price_effect|gvt|noria|volume|change|leavers|hires_cost|exits_cost)$")
NAMES = XP.GroupNames(direction={"DSI": "Direction des systèmes d'information"}, metier={})


@pytest.fixture(scope="module")
def mc_result(base_agents, fitted_models):
    """Monte Carlo bands on the small département with a 2-agent direction (hidden, with its complement)."""
    agents = base_agents.copy()
    agents.loc[agents.index[:2], "direction"] = "DPETITE"
    prepared = PJ.prepare(agents, fitted_models, horizon=3)
    return PJ.run(prepared, Scenario(replacement_rate=0.8, horizon=3), mode="mc", replicates=20, n_jobs=1)


@pytest.fixture(scope="module")
def book(mc_result):
    names = XP.GroupNames(direction={d: f"Direction {d}" for d in mc_result.prepared.directions},
                          metier={m: f"Métier {m}" for m in mc_result.prepared.metiers})
    return load_workbook(io.BytesIO(XP.projection_xlsx(mc_result, "direction", name="Gel partiel", names=names)))


def _frame(ws):
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def test_sheets_headings_are_french_and_frozen(book):
    assert book.sheetnames == list(XP.SHEETS)
    for ws in book.worksheets:
        header, _ = _frame(ws)
        assert ws.freeze_panes == "A2", ws.title
        assert not [h for h in header if ENGLISH.match(str(h))], (ws.title, header)
        assert all(ws.column_dimensions[c].width >= 10 for c in "AB")
    header, _ = _frame(book[XP.PROJECTION_SHEET])
    for heading in ("Année", "Code direction", "Direction", "Effectif", "Effectif — P10", "Effectif — P90", "ETP",
                    "Départs à la retraite", "Recrutements", "Masse salariale (€/an)", XP.MASKED):
        assert heading in header


def test_the_scenario_sheet_names_it_and_says_its_hypotheses(book):
    header, rows = _frame(book[XP.SCENARIO_SHEET])
    assert header[:3] == ["Hypothèse", "Valeur", "Référence"]
    by = {r[0]: r for r in rows}
    assert by["Nom du scénario"][1] == "Gel partiel"
    assert by["Taux de remplacement des départs"][1:] == ("80\u202f%", "100\u202f%", "oui")
    assert by["Droit applicable"][1] == "LFSS 2026 (suspension de la réforme)"


def test_agents_whole_etp_one_decimal_euros_whole_and_names_beside_codes(book, mc_result):
    header, rows = _frame(book[XP.PROJECTION_SHEET])
    col = {h: i for i, h in enumerate(header)}
    shown = [r for r in rows if r[col[XP.MASKED]] == "non"]
    hidden = [r for r in rows if r[col[XP.MASKED]] == "oui"]
    assert shown and hidden
    for r in shown:
        for h in ("Effectif", "Effectif — P10", "Départs à la retraite", "Recrutements", "Masse salariale (€/an)"):
            assert isinstance(r[col[h]], int), (h, r[col[h]])
        assert r[col["ETP"]] == round(r[col["ETP"]], 1)
        assert r[col["Direction"]] == f"Direction {r[col['Code direction']]}"
    for r in hidden:  # every figure of a hidden row is empty
        assert all(r[i] is None for h, i in col.items() if h not in ("Année", "Code direction", "Direction",
                                                                      XP.MASKED))
    # the same rows hidden as the published frame, the same (rounded) figures
    pub = X.projection_published(mc_result, "direction")
    assert sum(pub["suppressed"]) == len(hidden)
    first = pub[~pub["suppressed"]].iloc[0]
    assert shown[0][col["Effectif"]] == int(np.round(first["headcount"]))
    row = 2 + rows.index(shown[0])
    formats = [c.number_format for c in book[XP.PROJECTION_SHEET][row]]
    assert formats[col["Effectif"]] == "#,##0" and formats[col["ETP"]] == "#,##0.0", formats


def test_payroll_and_provenance_sheets(book, mc_result):
    header, rows = _frame(book[XP.PAYROLL_SHEET])
    assert {"Année", "Code direction", "Direction", "Fin d'année (€)", "Effet de noria (€)", XP.MASKED} <= set(header)
    i = header.index("Fin d'année (€)")
    assert all(isinstance(r[i], int) or r[i] is None for r in rows)
    header, rows = _frame(book[XP.PROVENANCE_SHEET])
    assert header == ["Élément", "Valeur"]
    facts = dict(rows)
    assert facts["Scénario"] == "Gel partiel" and facts["Graine"] == "42"
    assert facts["Calcul"].startswith("Monte Carlo, 20 simulations")
    assert "version test" in facts["Modèle : autres départs"]
    assert not any(str(v).lstrip().startswith("{") for v in facts.values())  # no JSON


def test_the_cells_level_and_the_csv_keep_their_machine_layout(prepared, tmp_path):
    result = PJ.run(prepared, Scenario(horizon=3))
    sheets, _ = XP.projection_workbook(result, names=NAMES)
    cells = sheets[XP.PROJECTION_SHEET]
    assert list(cells.columns[:6]) == ["Année", "Code métier", "Métier", "Code direction", "Direction", "Catégorie"]
    assert set(cells["Catégorie"]) <= {"Catégorie A", "Catégorie B", "Catégorie C"}
    assert "Effectif — P10" not in cells.columns  # expected values: no bands
    assert str(cells["Effectif"].dtype) == "Int64" and str(cells["ETP"].dtype) == "Float64"
    assert sheets[XP.SCENARIO_SHEET].iloc[0, 1] == XP.UNSAVED
    paths = XP.export_projection(result, tmp_path / "p.csv", by="total")
    assert [p.name for p in paths] == ["p.csv", "p.provenance.json"]
    assert "headcount" in (tmp_path / "p.csv").read_text().splitlines()[0]
    with pytest.raises(X.ExportError, match="csv ou .xlsx"):
        XP.export_projection(result, tmp_path / "p.txt")
