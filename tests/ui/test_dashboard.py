"""Tableau de bord: runs clean, headline figures, filters move them, pyramid and breakdown present."""

from __future__ import annotations

from tests.ui.helpers import app, as_number, has_model, metric, numbers, table_with, texts


def test_dashboard_runs_with_headline_figures(demo_db):
    at = app()
    assert not at.exception
    assert at.title[0].value == "Tableau de bord"
    headcount = as_number(metric(at, "Effectif"))
    assert 800 < headcount < 1600
    assert 0 < as_number(metric(at, "ETP")) <= headcount
    assert 30 < as_number(metric(at, "Âge moyen")) < 60
    assert 0 < as_number(metric(at, "55 ans et plus")) < 100
    assert 0 < as_number(metric(at, "Taux de départ")) < 40
    for key in ("dash_direction", "dash_filiere", "dash_categorie", "dash_statut"):
        assert at.multiselect(key=key) is not None
    assert at.selectbox(key="dash_breakdown").value == "direction"
    if has_model(demo_db, "retirement"):
        one, five = as_number(metric(at, "Retraites attendues (1 an)")), as_number(metric(at, "Retraites attendues (5 ans)"))
        assert 0 < one < five
    else:
        assert "workforce train" in texts(at)
    # no imported extract in the demo: the quality section says the data are synthetic
    assert "synthétique" in texts(at)


def test_filter_lowers_the_headcount(demo_db):
    at = app()
    total = as_number(metric(at, "Effectif"))
    at.multiselect(key="dash_categorie").set_value(["A"]).run()
    assert not at.exception
    only_a = as_number(metric(at, "Effectif"))
    assert 0 < only_a < total
    if has_model(demo_db, "retirement"):
        at2 = app()
        assert as_number(metric(at, "Retraites attendues (5 ans)")) < as_number(metric(at2, "Retraites attendues (5 ans)"))


def test_breakdown_switches_dimension(demo_db):
    at = app()
    at.selectbox(key="dash_breakdown").set_value("statut").run()
    assert not at.exception
    table = table_with(at, "Statut")
    assert "Statut" in table.columns
    assert set(table["Statut"]) <= {"Titulaire", "Stagiaire", "Contractuel permanent", "Contractuel non permanent"}
    # small groups never shown: every published count is NA or at least 5
    counts = numbers(table["Effectif"]).dropna()
    assert (counts >= 5).all()
