"""Compétences: the gap table and its filters, the top-15 chart, passerelles, download buttons."""

from __future__ import annotations

import pytest

from tests.ui.helpers import app, as_number, metric, numbers, table_with, texts

pytest.importorskip("workforce.skills")


def test_skills_page(demo_db):
    at = app("skills")
    assert not at.exception
    assert at.title[0].value == "Compétences"
    for key in ("sk_year", "sk_direction", "sk_famille", "sk_urgency", "sk_scenario"):
        assert at.selectbox(key=key) if key in ("sk_year", "sk_urgency", "sk_scenario") else at.multiselect(key=key)
    gaps = table_with(at, "Code compétence")
    assert {"Année", "Direction", "Offre (ETP)", "Besoin (ETP)", "Écart (ETP)"} <= set(gaps.columns)
    assert set(gaps["Année"]) == {at.selectbox(key="sk_year").value}
    # the local demo is an administrator's, entitled to agents' skills data: exact supply, said on the page
    holders = numbers(gaps["Agents détenteurs"]).dropna()
    assert (holders >= 0).all() and "Offre de compétences exacte" in texts(at)
    keys = {b.key for b in at.get("download_button")}
    assert {"sk_download_gaps_csv", "sk_download_gaps_xlsx"} <= keys
    total = len(gaps)
    direction = at.multiselect(key="sk_direction")
    direction.set_value([direction.options[0]]).run()
    assert not at.exception
    assert len(table_with(at, "Code compétence")) < total
    at.selectbox(key="sk_urgency").set_value("none").run()
    assert not at.exception
    assert as_number(metric(at, "Manque total")) == 0
