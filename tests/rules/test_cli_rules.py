"""`workforce rules`, driven through Typer's CliRunner on a one-command app (the main app wires the same function)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from workforce.cli.rules import EXAMPLE, format_age, rules

app = typer.Typer()
app.command()(rules)
runner = CliRunner()


def _flat(text: str) -> str:
    return re.sub(r"[\s│]+", " ", text)


def test_prints_the_four_quantities_in_french():
    result = runner.invoke(app, ["--birth", "1965-02-10", "--category", "sedentaire", "--regime", "lfss2026"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Âge d'ouverture des droits (AOD) : 62 ans 9 mois, atteint le 10/11/2027" in out
    assert "Limite d'âge : 67 ans, atteint le 10/02/2032" in out
    assert "Âge d'annulation de la décote : 67 ans, atteint le 10/02/2032" in out
    assert "Trimestres requis pour le taux plein : 170" in out
    assert "JORFTEXT000053226384" in out  # the LFSS 2026 is cited
    assert "Hypothèses" not in out


def test_defaults_and_assumptions_are_shown():
    result = runner.invoke(app, ["--birth", "1970-02-03", "--category", "active"])
    assert result.exit_code == 0, result.output
    assert "57 ans 9 mois, atteint le 03/11/2027" in result.output
    assert "LFSS 2026" in result.output and "Hypothèses" in result.output


def test_other_regime():
    result = runner.invoke(app, ["--birth", "1965-02-10", "--regime", "reform2023"])
    assert result.exit_code == 0, result.output
    assert "63 ans 3 mois, atteint le 10/05/2028" in result.output
    assert "Trimestres requis pour le taux plein : 172" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--birth", "1965-02-30"], "date de naissance illisible « 1965-02-30 »"),
        (["--birth", "10/02/1965"], "format attendu AAAA-MM-JJ"),
        (["--birth", "19650210"], "format attendu AAAA-MM-JJ"),
        (["--birth", "1965-02-10", "--category", "actif"], "catégorie inconnue « actif »"),
        (["--birth", "1965-02-10", "--regime", "2026"], "régime inconnu « 2026 » : valeurs possibles pre2023"),
    ],
    ids=["impossible-date", "french-date", "basic-iso-date", "category", "regime"],
)
def test_bad_input_exits_2_with_a_french_message(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    "birth, reason",
    [
        ("2099-01-01", "« 01/01/2099 » : postérieure à la date de référence (01/12/2026)"),
        ("1800-01-01", "« 01/01/1800 » : antérieure au 01/01/1900"),
        ("0001-01-01", "« 01/01/0001 » : antérieure au 01/01/1900"),
        ("9999-12-31", "« 31/12/9999 » : postérieure à la date de référence (01/12/2026)"),
        ("1899-12-31", "« 31/12/1899 » : antérieure au 01/01/1900"),
        ("2011-12-02", "« 02/12/2011 » : l'agent aurait moins de 15 ans le 01/12/2026"),
        ("1951-06-30", "« 30/06/1951 » : la limite d'âge, atteinte le 30/06/2016, serait dépassée de plus de 10 ans "
                       "le 01/12/2026"),
    ],
    ids=["2099", "1800", "year-1", "9999", "1899", "under-15", "past-limit-plus-10"],
)
def test_implausible_birth_date_exits_2_with_a_french_message(birth, reason):
    result = runner.invoke(app, ["--birth", birth, "--at", "2026-12-01"])
    assert result.exit_code == 2, result.output
    assert f"date de naissance invraisemblable {reason}" in _flat(result.output)
    assert "Traceback" not in result.output and "AOD" not in result.output


@pytest.mark.parametrize("birth", ["2099-01-01", "9999-12-31", "0001-01-01", "1800-01-01"])
def test_implausible_birth_date_is_refused_at_today_s_date_by_default(birth):
    result = runner.invoke(app, ["--birth", birth])
    assert result.exit_code == 2, result.output
    assert "date de naissance invraisemblable" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback


@pytest.mark.parametrize(
    "birth, at",
    [("2011-12-01", "2026-12-01"), ("1951-07-01", "2026-11-01"), ("1951-06-30", "2026-06-30")],
    ids=["exactly-15", "limit-65y4m-plus-10-on-the-day", "limit-65-plus-10-on-the-day"],
)
def test_plausible_birth_dates_on_both_sides_of_the_limits(birth, at):
    assert runner.invoke(app, ["--birth", birth, "--at", at]).exit_code == 0


def test_an_agent_who_retired_long_ago_is_answered_at_a_date_he_served():
    """Born 1 Jul 1951: AOD 60 y 4 m (2010 reform), age limit 65 y 4 m, 163 quarters; asked in 2012."""
    result = runner.invoke(app, ["--birth", "1951-07-01", "--at", "2012-01-01", "--regime", "pre2023"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Âge d'ouverture des droits (AOD) : 60 ans 4 mois, atteint le 01/11/2011" in out
    assert "Limite d'âge : 65 ans 4 mois, atteint le 01/11/2016" in out
    assert "Trimestres requis pour le taux plein : 163" in out


def test_active_quarters_are_those_of_the_generation_reaching_60_when_the_aod_opens():
    result = runner.invoke(app, ["--birth", "1963-05-01", "--category", "active", "--at", "2019-01-01"])
    assert result.exit_code == 0, result.output
    assert "Trimestres requis pour le taux plein : 167" in result.output  # not 170, the sédentaires' of 1963
    assert "L.13 III" in result.output


def test_bad_reference_date_exits_2():
    result = runner.invoke(app, ["--birth", "1965-02-10", "--at", "01/12/2026"])
    assert result.exit_code == 2
    assert "date de référence illisible « 01/12/2026 » : format attendu AAAA-MM-JJ" in result.output


def test_missing_birth_is_a_usage_error():
    assert runner.invoke(app, []).exit_code == 2


def test_help_gives_an_example():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert EXAMPLE in _flat(result.output)
    assert EXAMPLE in rules.__doc__


@pytest.mark.parametrize(
    "months, text", [(744, "62 ans"), (753, "62 ans 9 mois"), (684, "57 ans"), (627, "52 ans 3 mois")]
)
def test_format_age(months, text):
    assert format_age(months) == text
