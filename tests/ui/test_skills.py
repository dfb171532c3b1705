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
    assert {int(as_number(v)) for v in gaps["Année"]} == {at.selectbox(key="sk_year").value}
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


def _skills_analysis():
    """The analysis the page shows (the app's cached call, default scenario), for the library side of a check."""
    from workforce import db
    from workforce.skills import analyse_db

    return analyse_db(db.make_engine())


def test_downloads_are_the_screen(demo_db, tmp_path):
    """Each filter of the page (year, direction, famille, urgency, level) gives a file holding only the rows of that
    filter, whose totals are the page's metrics, every filter written in the readme."""
    import pandas as pd

    from workforce.export_skills import GapFilters, export_gaps, gap_totals
    from workforce.referential import direction_labels

    at = app("skills")
    year = at.selectbox(key="sk_year").options[-1]
    at.selectbox(key="sk_year").set_value(int(year)).run()
    direction = at.multiselect(key="sk_direction").options[0]  # the name shown; the command takes it too
    code = {v: k for k, v in direction_labels().items()}.get(direction, direction)
    famille = at.multiselect(key="sk_famille").options[0]
    analysis = _skills_analysis()
    steps = [("sk_direction", [direction], [], {"directions": (direction,)}),
             ("sk_famille", [famille], [], {"familles": (famille,)}),
             ("sk_urgency", "shortage", "all", {"urgency": "shortage"}),
             ("sk_level", "collectivite", "direction", {"level": "collectivite"})]
    for key, value, default, kw in steps:  # one filter at a time (with the year), then back to its default
        widget = lambda: at.multiselect(key=key) if isinstance(value, list) else (  # noqa: E731
            at.radio(key=key) if key == "sk_level" else at.selectbox(key=key))
        widget().set_value(value).run()
        assert not at.exception
        chosen = {"year": int(year), **kw}
        screen = table_with(at, "Code compétence")
        filters = GapFilters(**chosen)
        result = export_gaps(analysis, tmp_path / f"{key}.csv", "csv", filters=filters, exact_skills=True)
        file = pd.read_csv(result.paths[0], sep=";", decimal=",", encoding="utf-8-sig",
                           dtype={"Code compétence": str, "Code direction": str})
        assert len(file) == len(screen) > 0, key
        assert set(file["Année"]) == {int(year)}
        if filters.directions:
            assert set(file["Code direction"]) == {code}
            assert set(file["Direction"]) == {direction}
        if filters.level == "collectivite":
            assert set(file["Code direction"]) == {"*"}
        if filters.familles:  # skills required by a métier of the famille
            metiers = analysis.profile.loc[analysis.profile["famille"] == famille, "metier_code"]
            wanted = set(analysis.timeline.loc[analysis.timeline["metier_code"].isin(metiers), "skill_code"])
            assert set(file["Code compétence"]) <= wanted
        assert file["Première année de manque"].notna().all() or filters.urgency == "all"
        assert sorted(file["Code compétence"]) == sorted(screen["Code compétence"].astype(str))
        totals = gap_totals(file)
        assert totals["Compétences en manque"] == as_number(metric(at, "Compétences en manque")), key
        assert totals["Manque total (ETP)"] == pytest.approx(as_number(metric(at, "Manque total")), abs=0.05), key
        readme = result.paths[-1].read_text("utf-8")
        assert f"année : {year}" in readme and "urgence :" in readme and "niveau :" in readme
        if filters.familles:
            assert f"famille de métiers : {famille}" in readme
        widget().set_value(default).run()


def test_training_plan_cli_and_app_agree(demo_db, tmp_path):
    """The plan shown (and downloaded) on the page is the file of `workforce export plan-formation`."""
    import pandas as pd
    from typer.testing import CliRunner

    from workforce.cli import app as cli

    at = app("skills")
    year = int(at.selectbox(key="sk_year").value)
    direction = at.multiselect(key="sk_direction").options[0]
    at.multiselect(key="sk_direction").set_value([direction]).run()
    assert not at.exception
    assert "sk_download_plan_xlsx" in {b.key for b in at.get("download_button")}
    screen = table_with(at, "Agents à former")
    out = tmp_path / "plan.xlsx"
    # the local demo user is an administrator, entitled to exact skill supply: so is the command's file
    result = CliRunner().invoke(cli, ["export", "plan-formation", "--year", str(year), "--direction", direction,
                                      "--offre-exacte", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = pd.read_excel(out, sheet_name="Plan de formation", dtype={"Code compétence": str})
    assert len(plan) == len(screen) > 0
    assert list(plan["Code compétence"]) == list(screen["Code compétence"].astype(str))
    assert list(plan["Agents à former"]) == [as_number(v) for v in screen["Agents à former"]]
    assert list(plan["Agents à recruter"]) == [as_number(v) for v in screen["Agents à recruter"]]
    assert as_number(metric(at, "Agents à former")) == plan["Agents à former"].sum()
    readme = pd.read_excel(out, sheet_name="Lisez-moi").set_index("Élément")["Valeur"]
    assert readme["  année"] == str(year) and direction in readme["  direction"]
