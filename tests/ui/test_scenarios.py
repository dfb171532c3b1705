"""Scénarios: knobs move the figures the expected way; save, load, duplicate, compare and delete round-trip;
the XLSX of the results."""

from __future__ import annotations

import io

import pytest

from tests.ui.helpers import app, as_number, metric, table_with, texts

pytest.importorskip("workforce.projection")

HEAD = "Effectif fin"
HIRES = "Recrutements (cumul)"
RETIRED = "Départs à la retraite (cumul)"


def test_page_and_knobs(demo_db):
    at = app("scenarios")
    assert not at.exception, at.exception
    assert at.title[0].value == "Scénarios"
    for key in ("sc_regime", "sc_indicator", "sc_level"):
        assert at.selectbox(key=key) is not None
    for key in ("sc_postponement", "sc_exit_multiplier", "sc_replacement_rate", "sc_hiring_freeze",
                "sc_recruitment_delay", "sc_demand_growth", "sc_transformation", "sc_point_growth", "sc_horizon"):
        assert at.slider(key=key) is not None
    head, hires, retired = (as_number(metric(at, k)) for k in (HEAD, HIRES, RETIRED))
    assert head > 0 and hires > 0 and retired > 0

    at.slider(key="sc_hiring_freeze").set_value(3).run()  # no hires for 3 years: fewer agents, fewer hires
    assert not at.exception
    assert as_number(metric(at, HEAD)) < head
    assert as_number(metric(at, HIRES)) < hires
    at.slider(key="sc_hiring_freeze").set_value(0).run()
    assert as_number(metric(at, HEAD)) == head

    at.slider(key="sc_postponement").set_value(24).run()  # later departures: fewer retirements
    assert as_number(metric(at, RETIRED)) < retired
    at.slider(key="sc_postponement").set_value(0).run()

    at.slider(key="sc_replacement_rate").set_value(80).run()  # one leaver in five not replaced
    assert as_number(metric(at, HEAD)) < head

    at.selectbox(key="sc_level").set_value("categorie").run()
    detail = table_with(at, "Catégorie")
    assert set(detail["Catégorie"]) <= {"Catégorie A", "Catégorie B", "Catégorie C"}
    assert "sc_download_xlsx" in {b.key for b in at.get("download_button")}


def test_save_load_duplicate_compare_delete(demo_db):
    at = app("scenarios")
    base_head = as_number(metric(at, HEAD))
    at.slider(key="sc_replacement_rate").set_value(80).run()
    at.slider(key="sc_hiring_freeze").set_value(1).run()
    lean_head = as_number(metric(at, HEAD))
    assert lean_head < base_head
    at.text_input(key="sc_save_name").input("Sobriété").run()
    at.button(key="sc_save").click().run()
    assert not at.exception
    assert "enregistré" in texts(at)
    assert "Sobriété" in at.selectbox(key="sc_load_name").options

    # back to the defaults, then load: the knobs and the figures come back
    at.button(key="sc_reset").click().run()
    assert at.slider(key="sc_replacement_rate").value == 100
    assert as_number(metric(at, HEAD)) == base_head
    at.selectbox(key="sc_load_name").set_value("Sobriété")
    at.button(key="sc_load").click().run()
    assert not at.exception
    assert at.slider(key="sc_replacement_rate").value == 80
    assert at.slider(key="sc_hiring_freeze").value == 1
    assert as_number(metric(at, HEAD)) == lean_head

    # a name already taken is refused
    at.button(key="sc_save").click().run()
    assert "déjà pris" in texts(at)

    at.button(key="sc_duplicate").click().run()
    assert "Sobriété (copie)" in at.selectbox(key="sc_load_name").options

    # compare the saved one with the defaults (current after a reset)
    at.button(key="sc_reset").click().run()
    at.multiselect(key="sc_compare").set_value(["(scénario en cours)", "Sobriété"]).run()
    assert not at.exception
    diff = table_with(at, "Hypothèse")
    assert "Taux de remplacement des départs" in set(diff["Hypothèse"])
    outcomes = table_with(at, "Effectif final").set_index("Scénario")
    assert as_number(outcomes.loc["Sobriété", "Effectif final"]) == pytest.approx(lean_head, abs=1)
    assert as_number(outcomes.loc["(scénario en cours)", "Effectif final"]) == pytest.approx(base_head, abs=1)

    # delete needs the confirmation
    at.multiselect(key="sc_compare").set_value([]).run()
    at.selectbox(key="sc_load_name").set_value("Sobriété (copie)")
    at.button(key="sc_delete").click().run()
    assert "Sobriété (copie)" in at.selectbox(key="sc_load_name").options
    at.checkbox(key="sc_delete_confirm").check()
    at.button(key="sc_delete").click().run()
    assert not at.exception
    assert "Sobriété (copie)" not in at.selectbox(key="sc_load_name").options


def test_results_xlsx(demo_db):
    openpyxl = pytest.importorskip("openpyxl")
    from workforce.scenario import Scenario
    from workforce.ui import projections as PJ

    version = __import__("workforce.ui.data", fromlist=["data_version"]).data_version(demo_db["url"])
    proj = PJ.run(demo_db["url"], version, Scenario(hiring_freeze_years=1).to_json())
    book = openpyxl.load_workbook(io.BytesIO(PJ.xlsx_bytes(proj)), read_only=True)
    assert book.sheetnames == ["Scénario", "Projection", "Masse salariale", "Provenance"]
    header = [c.value for c in next(book["Projection"].iter_rows(max_row=1))]
    assert header[:3] == ["Année", "Code direction", "Direction"] and "Masqué" in header


def test_reference_is_there_read_only_and_the_default_comparison(demo_db):
    at = app("scenarios")
    assert "Référence" in at.selectbox(key="sc_load_name").options
    # compared by default with the scenario being edited; the differences in French, with their units
    assert at.multiselect(key="sc_compare").value == ["Référence", "(scénario en cours)"]
    assert "mêmes hypothèses" in texts(at)
    at.slider(key="sc_replacement_rate").set_value(80).run()
    at.selectbox(key="sc_regime").set_value("reform2023").run()
    assert not at.exception
    diff = table_with(at, "Hypothèse").set_index("Hypothèse")
    assert diff.loc["Taux de remplacement des départs", "Référence"] == "100\u202f%"
    assert diff.loc["Taux de remplacement des départs", "(scénario en cours)"] == "80\u202f%"
    assert "2023" in diff.loc["Droit applicable", "(scénario en cours)"]
    assert "reform2023" not in diff.to_string() and "0.8" not in diff.to_string()
    # read-only: deleting it is refused, and it stays
    at.selectbox(key="sc_load_name").set_value("Référence")
    at.checkbox(key="sc_delete_confirm").check()
    at.button(key="sc_delete").click().run()
    assert "lecture seule" in texts(at)
    assert "Référence" in at.selectbox(key="sc_load_name").options


def test_period_total_is_the_sum_of_its_years(demo_db):
    at = app("scenarios")
    yearly = table_with(at, "Départs à la retraite")
    years = yearly["Année"].astype(int)
    first = int(years.iloc[0])
    at.select_slider(key="sc_period").set_value((first + 2, first + 5)).run()
    assert not at.exception
    rows = yearly[years.between(first + 2, first + 5)]
    for column in ("Départs à la retraite", "Recrutements"):
        total = as_number(metric(at, f"{column} {first + 2}–{first + 5}"))
        assert total == pytest.approx(sum(as_number(v) for v in rows[column]), abs=2)
    # flows start at the first projected year: the starting year has none
    assert yearly["Départs à la retraite"].iloc[0] == "—"
