"""Départs à la retraite: runs clean, the regime changes the figures, AOD counts, backtest section."""

from __future__ import annotations

import pytest

from tests.ui.helpers import app, as_number, has_model, metric, numbers, table_with, texts


def test_retirement_page(demo_db):
    at = app("retirements")
    assert not at.exception
    assert at.title[0].value == "Départs à la retraite"
    assert at.selectbox(key="ret_regime").value == "lfss2026"
    assert at.selectbox(key="ret_by").value == "direction"
    # the law-only schedule is always there, by direction, small cells blank
    aod = table_with(at, "Direction")
    values = aod.drop(columns=["Direction"]).apply(numbers).stack()
    assert ((values.dropna() == 0) | (values.dropna() >= 5)).all()
    if not has_model(demo_db, "retirement"):
        assert "workforce train" in texts(at)
        return
    five = as_number(metric(at, "Total"))  # the first five years by default
    assert five > 0
    assert "Variantes du droit" in texts(at)
    # the period total is the sum of its years (a planner added four rows by hand before)
    years = table_with(at, "Attendus")
    first = int(years["Année"].iloc[0])
    at.select_slider(key="ret_period").set_value((first + 1, first + 4)).run()
    assert not at.exception
    shown = years[years["Année"].astype(int).between(first + 1, first + 4)]
    assert as_number(metric(at, f"Total {first + 1}–{first + 4}")) == pytest.approx(
        numbers(shown["Attendus"]).sum(), abs=1)
    at.select_slider(key="ret_period").set_value((first, first + 4)).run()
    # the law before 2023 opens rights earlier: more retirements over the first 5 years
    at.selectbox(key="ret_regime").set_value("pre2023").run()
    assert not at.exception
    assert as_number(metric(at, "Total")) > five


@pytest.mark.parametrize("by", ["metier", "categorie"])
def test_grouping(demo_db, by):
    at = app("retirements")
    at.selectbox(key="ret_by").set_value(by).run()
    assert not at.exception
    label = {"metier": "Métier", "categorie": "Catégorie"}[by]
    assert label in table_with(at, label).columns
