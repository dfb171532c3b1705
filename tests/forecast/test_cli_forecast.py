"""`workforce forecast retirements|aod|backtest` through Typer's CliRunner on a tiny stored synthetic département,
on each configured backend: exit codes, French output, files, suppression, audit of nominative lists. The
registry side (active models, rollback, tampered artifacts) is in test_cli_uses_registry.py."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from workforce import db
from workforce.cli import app

runner = CliRunner()


def test_retirements_table_files_and_determinism(trained, tmp_path):
    res = runner.invoke(app, ["forecast", "retirements", "--horizon", "3", "--mc", "100", "--seed", "1"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Départs à la retraite prévus" in out and "Atteignent l'AOD" in out
    assert all(str(y) in out for y in (2026, 2027, 2028)) and "2029" not in out
    # the registry's versions (with their fallback when the baseline won its backtest), never a refit
    assert re.search(r"Modèles actifs du registre : retirement v1( \(repli : [^)]*\))?, exits v1", out), out
    assert "LFSS 2026" in out

    csv = tmp_path / "departs.csv"
    res = runner.invoke(app, ["forecast", "retirements", "--horizon", "3", "--by", "direction", "--mc", "100",
                              "--seed", "1", "--out", str(csv)])
    assert res.exit_code == 0, res.output
    assert "Départs attendus par direction" in res.output
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["annee", "direction", "effectif", "departs_attendus", "p10", "p50", "p90",
                                   "secret_statistique"]
    small = frame["secret_statistique"]
    assert small.any() and frame.loc[small, ["effectif", "departs_attendus", "p90"]].isna().all().all()
    assert (frame.loc[~small, "effectif"] >= 5).all()
    again = tmp_path / "again.csv"
    runner.invoke(app, ["forecast", "retirements", "--horizon", "3", "--by", "direction", "--mc", "100",
                        "--seed", "1", "--out", str(again)])
    assert csv.read_bytes() == again.read_bytes()

    xlsx = tmp_path / "departs.xlsx"
    res = runner.invoke(app, ["forecast", "retirements", "--horizon", "2", "--by", "metier", "--regime",
                              "reform2023", "--postpone", "6", "--aod-share", "0.5", "--mc", "50", "--out", str(xlsx)])
    assert res.exit_code == 0, res.output
    assert "départs reportés de 6 mois" in res.output and "réforme de 2023" in res.output
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert set(sheets) == {"departs", "total", "aod"}
    assert "metier" in sheets["departs"].columns


@pytest.mark.parametrize("args, where", [
    (["--by", "service"], "--by"),
    (["--regime", "2030"], "--regime"),
    (["--out", "departs.txt"], "--out"),
    (["--horizon", "0"], "--horizon"),
    (["--aod-share", "1.5"], "--aod-share"),
])
def test_bad_input_exits_2(args, where, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "200")
    res = runner.invoke(app, ["forecast", "retirements", *args])
    assert res.exit_code == 2
    assert where in res.output


def test_empty_database_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    for command in (["forecast", "retirements"], ["forecast", "aod"], ["forecast", "backtest"]):
        res = runner.invoke(app, command)
        assert res.exit_code == 1, (command, res.output)
        assert "workforce synth" in res.output and "workforce import" in res.output


def test_aod_counts_and_audited_nominative_list(stored, tmp_path):
    res = runner.invoke(app, ["forecast", "aod", "--by", "categorie", "--horizon", "5"])
    assert res.exit_code == 0, res.output
    assert "Agents atteignant l'AOD" in res.output and "déjà atteint" in res.output and "< 5" in res.output
    res = runner.invoke(app, ["forecast", "aod", "--nominatif"])
    assert res.exit_code == 2 and "--out" in res.output
    with stored.connect() as conn:
        before = conn.execute(select(db.func.count()).select_from(db.AuditLog)
                              .where(db.AuditLog.action == "forecast.aod_nominatif")).scalar_one()
    listing = tmp_path / "aod.csv"
    res = runner.invoke(app, ["forecast", "aod", "--nominatif", "--horizon", "5", "--out", str(listing)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(listing)
    assert {"agent_id", "aod_date", "annee", "deja_atteint"} <= set(frame.columns) and len(frame) > 0
    assert frame["agent_id"].str.startswith("SYN").all()
    log = db.read_frame(stored, select(db.AuditLog).where(db.AuditLog.action == "forecast.aod_nominatif"))
    assert len(log) == before + 1
    detail = log["detail"].iloc[-1]
    detail = detail if isinstance(detail, dict) else __import__("json").loads(detail)
    assert detail["rows"] == len(frame) and detail["file"] == str(listing)


def test_backtest_command(stored, tmp_path):
    out = tmp_path / "retro.csv"
    res = runner.invoke(app, ["forecast", "backtest", "--cutoff", "2024", "--horizon", "1", "--mc", "50",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "prévus contre observés" in res.output and "Couverture" in res.output and "2025" in res.output
    frame = pd.read_csv(out)
    assert {"coupure", "annee", "groupe", "observes", "prevus", "p10", "p90", "dans_bande"} <= set(frame.columns)
    assert (frame["coupure"] == 2024).all()
    assert "réajustés sur l'historique arrêté à chaque coupure" in res.output
    res = runner.invoke(app, ["forecast", "backtest", "--cutoff", "2010"])
    assert res.exit_code == 2 and "Coupures possibles" in res.output
    res = runner.invoke(app, ["forecast", "backtest", "--help"])
    assert res.exit_code == 0 and "Seule commande qui réajuste des modèles" in res.output
