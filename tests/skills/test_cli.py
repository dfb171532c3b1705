"""`workforce referential ...` and `workforce export ...` through the main app: exit codes 0/1/2, files
written, messages naming what is wrong, nominative exports logged."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from workforce import db
from workforce.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory, mini_release_dir):
    """A small synthetic département with the mini ROME release, in a SQLite file shared by the module."""
    from workforce import synth
    from workforce.rome import import_release

    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'workforce.db'}"
    engine = db.make_engine(url)
    synth.store(synth.generate(synth.SynthParams(n_agents=300, years=3, seed=5)), engine)
    import_release(engine, mini_release_dir)
    engine.dispose()
    return url


@pytest.fixture
def cli_env(db_url, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DB_URL", db_url)
    return db.make_engine(db_url)


def test_groups_are_registered():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "referential" in result.output and "export" in result.output
    for args in (["referential", "import-rome", "--help"], ["export", "gaps", "--help"],
                 ["export", "plan-formation", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Exemple" in result.output


def test_export_gaps_xlsx_and_csv(cli_env, tmp_path):
    out = tmp_path / "ecarts.xlsx"
    result = runner.invoke(app, ["export", "gaps", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Écrit" in result.output and out.exists()
    assert load_workbook(out, read_only=True).sheetnames[0] == "Lisez-moi"
    csv = tmp_path / "ecarts.csv"
    result = runner.invoke(app, ["export", "gaps", "--format", "csv", "--year", "2027", "--direction", "DEC",
                                 "--out", str(csv)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig")
    assert set(frame["Année"]) == {2027} and set(frame["Code direction"]) == {"DEC"}
    assert set(frame["Direction"]) == {"Direction de l'éducation et des collèges"}
    assert (tmp_path / "ecarts_lisez-moi.txt").exists()


def test_export_gaps_follows_every_filter_like_the_library(cli_env, tmp_path):
    """`--direction` (by name too), `--famille`, `--urgence`: the rows of `export_skills.gaps_table` with the same
    filters, its totals in the readme."""
    from workforce.export_skills import GapFilters, gap_totals, gaps_table
    from workforce.labels import fmt_float
    from workforce.skills import analyse_db

    out = tmp_path / "ecarts.csv"
    args = ["export", "gaps", "--format", "csv", "--year", "2027", "--direction", "Direction de l'éducation et des "
            "collèges", "--famille", "Éducation et collèges", "--urgence", "shortage", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code compétence": str})
    expected = gaps_table(analyse_db(cli_env), GapFilters(year=2027, directions=("DEC",),
                                                          familles=("Éducation et collèges",), urgency="shortage"))
    assert len(frame) == len(expected) > 0
    assert list(frame["Code compétence"]) == list(expected["Code compétence"])
    assert frame["Première année de manque"].notna().all()
    readme = (tmp_path / "ecarts_lisez-moi.txt").read_text("utf-8")
    assert "famille de métiers : Éducation et collèges" in readme and "urgence : Avec un manque" in readme
    totals = gap_totals(expected)
    assert f"Manque total (ETP) : {fmt_float(totals['Manque total (ETP)'], 1)}" in readme


def test_export_plan_formation(cli_env, tmp_path):
    help_ = runner.invoke(app, ["export", "plan-formation", "--help"])
    assert help_.exit_code == 0 and "Exemple" in help_.output and "CNFPT" in help_.output
    out = tmp_path / "plan.xlsx"
    result = runner.invoke(app, ["export", "plan-formation", "--year", "2027", "--direction", "DEC", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out, read_only=True).sheetnames == ["Lisez-moi", "Plan de formation", "Détail par direction",
                                                             "Provenance"]
    plan = pd.read_excel(out, sheet_name="Plan de formation")
    assert list(plan["Rang"]) == list(range(1, len(plan) + 1))
    assert (plan["Priorité"].diff().dropna() <= 0).all()
    with cli_env.connect() as conn:
        rows = conn.execute(select(db.AuditLog.detail).where(db.AuditLog.action == "export.plan_formation")).all()
    assert rows and rows[-1][0]["files"] == [str(out)] and rows[-1][0]["directions"] == ["DEC"]
    bad = runner.invoke(app, ["export", "plan-formation", "--year", "1990", "--out", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2 and "hors de la projection" in bad.output


@pytest.mark.parametrize("args, message", [
    (["--direction", "NOPE"], "direction 'NOPE' inconnue"),
    (["--year", "1990"], "hors de la projection"),
    (["--format", "pdf"], "xlsx ou csv"),
    (["--scenario", "absent"], "aucun scénario nommé « absent »"),
    (["--intensity", "-1"], "--intensity"),
    (["--famille", "Inconnue"], "famille 'Inconnue' inconnue"),
    (["--urgence", "later"], "urgence 'later' inconnue"),
])
def test_export_gaps_bad_input_exits_2(cli_env, tmp_path, args, message):
    result = runner.invoke(app, ["export", "gaps", "--out", str(tmp_path / "x.xlsx"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_export_without_data_exits_1(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["export", "gaps", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "workforce synth" in result.output


def test_export_passerelles_nominative_is_logged(cli_env, tmp_path):
    out = tmp_path / "p.xlsx"
    result = runner.invoke(app, ["export", "passerelles", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Candidats nominatifs" not in load_workbook(out, read_only=True).sheetnames
    with cli_env.connect() as conn:
        before = len(conn.execute(select(db.AuditLog.id).where(db.AuditLog.action == "export_nominative")).all())
    result = runner.invoke(app, ["export", "passerelles", "--nominative", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "journal d'audit" in result.output
    assert "Candidats nominatifs" in load_workbook(out, read_only=True).sheetnames
    with cli_env.connect() as conn:
        rows = conn.execute(select(db.AuditLog.detail).where(db.AuditLog.action == "export_nominative")).all()
    assert len(rows) == before + 1 and rows[-1][0]["files"] == [str(out)]


def test_import_rome_command(tmp_path, monkeypatch, mini_release_dir):
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'rome.db'}")
    result = runner.invoke(app, ["referential", "import-rome", str(mini_release_dir)])
    assert result.exit_code == 0, result.output
    assert "ROME version 60" in result.output and "Fiches métier" in result.output
    result = runner.invoke(app, ["referential", "import-rome", str(mini_release_dir)])
    assert result.exit_code == 0 and "Aucun changement" in result.output
    bad = tmp_path / "cut"
    shutil.copytree(mini_release_dir, bad)
    comp = next(bad.glob("unix_referentiel_competence_v*_utf8.csv"))
    comp.write_bytes(comp.read_bytes()[:-40])
    result = runner.invoke(app, ["referential", "import-rome", str(bad)])
    assert result.exit_code == 2
    assert "rien n'a été importé" in result.output and comp.name in result.output
    result = runner.invoke(app, ["referential", "import-rome", str(tmp_path / "absent")])
    assert result.exit_code == 2 and "introuvable" in result.output and "absent" in result.output
    monkeypatch.delenv("WORKFORCE_ROME_DIR", raising=False)  # no folder named: the default one, else a clear refusal
    monkeypatch.setattr("workforce.referential.DEFAULT_ROME_DIR", tmp_path / "nowhere")
    result = runner.invoke(app, ["referential", "import-rome"])
    assert result.exit_code == 2 and "Aucun dossier du ROME" in result.output


def test_match_titles_suggests_and_apply_titles_applies_only_what_is_confirmed(cli_env, tmp_path, mini_release_dir):
    labels = tmp_path / "intitules.txt"
    labels.write_text("Assistante sociale\nAide-soignant(e)\n", encoding="utf-8")
    result = runner.invoke(app, ["referential", "match-titles", "--fichier", str(labels), "--rome",
                                 str(mini_release_dir)])
    assert result.exit_code == 0, result.output
    assert "K1201" in result.output and "J1501" in result.output
    out = tmp_path / "suggestions.csv"
    result = runner.invoke(app, ["referential", "match-titles", "--tous", "--k", "2", "--sortie", str(out)])
    assert result.exit_code == 0, result.output  # from the appellations imported in the database
    sugg = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert {"metier_code", "intitule", "rang", "code_rome", "score", "retenu"} <= set(sugg.columns)
    assert (sugg["retenu"] == "").all()
    with cli_env.connect() as conn:
        before = dict(conn.execute(select(db.Metier.code, db.Metier.rome_codes)).all())
    # nothing confirmed: nothing applied
    result = runner.invoke(app, ["referential", "apply-titles", str(out)])
    assert result.exit_code == 0 and "Aucune ligne retenue" in result.output
    pick = sugg[~sugg.apply(lambda r: r["code_rome"] in str(before[r["metier_code"]]), axis=1)].iloc[0]
    sugg.loc[pick.name, "retenu"] = "oui"
    sugg.to_csv(out, sep=";", index=False, encoding="utf-8-sig")
    result = runner.invoke(app, ["referential", "apply-titles", str(out)])
    assert result.exit_code == 0, result.output
    with cli_env.connect() as conn:
        after = dict(conn.execute(select(db.Metier.code, db.Metier.rome_codes)).all())
        logged = conn.execute(select(db.AuditLog.detail).where(db.AuditLog.action == "referential.apply_titles")).all()
    assert after[pick["metier_code"]] == f"{before[pick['metier_code']]};{pick['code_rome']}"
    assert {k: v for k, v in after.items() if k != pick["metier_code"]} == \
        {k: v for k, v in before.items() if k != pick["metier_code"]}
    assert logged[-1][0]["changes"][0]["metier"] == pick["metier_code"]


def test_apply_titles_refuses_an_unknown_fiche(cli_env, tmp_path):
    bad = tmp_path / "s.csv"
    bad.write_text("metier_code;code_rome;retenu\nCOL01;Z9999;oui\n", encoding="utf-8")
    result = runner.invoke(app, ["referential", "apply-titles", str(bad)])
    assert result.exit_code == 2 and "ligne 2, colonne code_rome" in result.output
