"""Compétences, passerelles: a source shows its targets, each holding at least the minimum share of skills, or
says « Aucune passerelle crédible »; never a target under the minimum."""

from __future__ import annotations

from tests.ui.helpers import app, numbers, texts

SHOWN = "Part des compétences déjà détenues (%)"


def test_passerelles_are_credible_or_say_so(demo_db):
    at = app("skills")
    assert not at.exception
    shown = at.selectbox(key="sk_metier").options  # « libellé (CODE) »
    seen = set()
    for source in [label.rsplit("(", 1)[1].rstrip(")") for label in shown[:8]]:
        at.selectbox(key="sk_metier").set_value(source).run()
        assert not at.exception
        tables = [d.value for d in at.dataframe if SHOWN in d.value.columns]
        if tables:
            assert (numbers(tables[0][SHOWN]) >= 40).all()
            assert tables[0]["Compétences à acquérir"].str.len().gt(0).all()
            seen.add("proposée")
        else:
            assert "Aucune passerelle crédible" in texts(at)
            seen.add("aucune")
    assert seen
