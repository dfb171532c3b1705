"""`workforce import` and `workforce quality` through Typer's CliRunner: exit codes, French messages,
the key never printed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workforce.cli import app
from workforce.config import REPO_ROOT

from tests.ingest.helpers import csv_bytes

SAMPLE = REPO_ROOT / "data" / "samples" / "extraction_sirh_2025-06-30.csv"
runner = CliRunner()


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WORKFORCE_DB_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    return url


def test_import_sample_then_quality(db_url):
    res = runner.invoke(app, ["import", str(SAMPLE), "--mapping", "sirh"])
    assert res.exit_code == 0, res.output
    assert "40 lignes lues, 33 enregistrées, 7 en quarantaine" in res.output
    assert "ligne 8 : Date de naissance : date illisible ou impossible « 31/02/1971 »" in res.output
    assert "test-key-not-secret" not in res.output
    res = runner.invoke(app, ["quality", "2025-06-30"])
    assert res.exit_code == 0 and "Lignes lues : 40 = enregistrées 33 + en quarantaine 7" in res.output
    res = runner.invoke(app, ["quality", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["lignes"]["lues"] == 40


def test_import_twice_says_so(db_url):
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    res = runner.invoke(app, ["import", str(SAMPLE)])
    assert res.exit_code == 0 and "déjà importé" in res.output


def test_refused_file_exits_2_with_the_missing_column(db_url, tmp_path):
    bad = tmp_path / "extraction_2025-06-30.csv"
    bad.write_bytes(csv_bytes(header=["Matricule", "Nom", "Prénom", "Né le", "Sexe", "Statut", "Cat", "Filière",
                                      "Code métier", "Libellé emploi", "Service", "Quotité", "Entrée", "IM"]))
    res = runner.invoke(app, ["import", str(bad)])
    assert res.exit_code == 2
    assert "direction (direction)" in res.output and "Colonnes trouvées" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("args", [["import", "nexiste_pas.csv"], ["import", "{sample}", "--date", "30 juin"],
                                  ["import", "{sample}", "--mapping", "inconnu"], ["quality", "hier"]])
def test_bad_input_exits_2(db_url, args):
    res = runner.invoke(app, [a.format(sample=SAMPLE) for a in args])
    assert res.exit_code == 2, res.output
    assert "Erreur" in res.output and "Traceback" not in res.output


def test_quality_without_import_exits_1(db_url):
    res = runner.invoke(app, ["quality"])
    assert res.exit_code == 1 and "aucune extraction" in res.output


def test_database_failure_exits_1(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKFORCE_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    res = runner.invoke(app, ["import", str(SAMPLE)])
    assert res.exit_code == 1 and "rien n'a été enregistré" in res.output


def test_help_is_french_with_an_example():
    res = runner.invoke(app, ["import", "--help"])
    assert res.exit_code == 0 and "Exemple" in res.output and "--remplacer" in res.output
    res = runner.invoke(app, ["quality", "--help"])
    assert res.exit_code == 0 and "rapport de qualité" in res.output
