"""Métiers et transformations: the table of métiers, a famille filter, the detail of one métier."""

from __future__ import annotations

from tests.ui.helpers import app, has_model, numbers, table_with, texts


def test_metiers_page(demo_db):
    at = app("metiers")
    assert not at.exception
    assert at.title[0].value == "Métiers et transformations"
    table = table_with(at, "Métier")
    assert len(table) > 20
    assert (numbers(table["Effectif"]).dropna() >= 5).all()
    if "Évolution projetée" in table.columns:  # the skills module's profile
        assert set(table["Évolution projetée"].dropna()) <= {"En croissance", "Stable", "En déclin",
                                                             "En transformation"}
    chooser = at.selectbox(key="met_metier")
    code = chooser.options[-1].rsplit("(", 1)[1].rstrip(")")  # options show "Label (CODE)"
    chooser.set_value(code).run()
    assert not at.exception
    famille = at.multiselect(key="met_famille")
    famille.set_value([famille.options[0]]).run()
    assert not at.exception
    assert len(table_with(at, "Métier")) < len(table)
    if has_model(demo_db, "demand"):
        assert "Modèle retenu" in texts(at)
