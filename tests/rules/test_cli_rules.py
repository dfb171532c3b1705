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
