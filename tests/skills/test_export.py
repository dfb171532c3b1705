"""Exports: French headers, no published figure under 5 agents, a readme sheet with the scenario, the extract
date and the model versions, and nominative lists only on request, recorded in the audit log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from workforce import db
from workforce import export as ex

GAP_HEADERS = ["Année", "Direction", "Code compétence", "Compétence", "Offre (ETP)", "Besoin (ETP)", "Écart (ETP)",
               "Manque (ETP)", "Première année de manque", "Criticité", "Métiers concernés", "Agents détenteurs",
               "Candidats internes", "Action suggérée", "Masqué (moins de 5 agents)"]
META = ex.ExportMeta(scenario="gel des recrutements", scenario_params={"hiring_freeze_years": 2},
                     model_versions=[{"name": "retirement", "version": "3", "sha256": "abcdef0123456789"}],
                     extract_date="2025-12-31", actor="test")


def _sheet(path, name) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, dtype=object)


def test_gap_table_headers_and_suppression(analysis):
    t = ex.gaps_table(analysis)
    assert list(t.columns) == GAP_HEADERS
    raw = analysis.gaps
    assert len(t) == len(raw)
    small = ((raw["holders"] > 0) & (raw["holders"] < 5)).to_numpy()
    assert small.any() and (~small).any()
    hidden = t[small]
    assert hidden[["Offre (ETP)", "Écart (ETP)", "Manque (ETP)", "Agents détenteurs"]].isna().all().all()
    assert (hidden["Masqué (moins de 5 agents)"] == "oui").all()
    shown = t.loc[~small, "Agents détenteurs"].dropna().astype(float)
    assert ((shown == 0) | (shown >= 5)).all()
    published = t["Candidats internes"].dropna().astype(float)
    assert ((published == 0) | (published >= 5)).all()
    # a row of 5 agents or more is hidden only as the complement of a small one of the same year and skill
    complement = ~small & t["Offre (ETP)"].isna().to_numpy()
    key = raw["year"].astype(str) + "|" + raw["skill_code"].astype(str)
    with_small = set(key[small])
    assert key[complement].isin(with_small).all()
    assert complement.sum() < (~small).sum() / 2
    assert set(t["Action suggérée"].dropna()) <= {"Aucune", "Former", "Former et recruter", "Recruter"}


def test_whole_employer_rows_add_up_the_directions(analysis):
    per, total = analysis.gaps, analysis.gaps_total
    cols = ["supply_fte", "demand_fte", "holders"]
    summed = per.groupby(["year", "skill_code"])[cols + ["candidates"]].sum().sort_index()
    tot = total.set_index(["year", "skill_code"]).reindex(summed.index)
    assert len(total) == len(summed)
    assert np.allclose(summed[cols].to_numpy(), tot[cols].to_numpy())
    # candidates also count in directions where the skill is neither held nor needed (no row there)
    assert (tot["candidates"].to_numpy() >= summed["candidates"].to_numpy() - 1e-9).all()
    t = ex.gaps_table(analysis, all_directions=True)
    assert set(t["Direction"]) == {"Toutes directions"} and list(t.columns) == GAP_HEADERS
    share = lambda frame: (frame["Masqué (moins de 5 agents)"] == "oui").mean()  # noqa: E731
    assert share(t) < share(ex.gaps_table(analysis))  # small cells pool into publishable figures
    short = total[total["shortage_fte"] >= 0.5]
    assert (total.dropna(subset=["urgency"]).groupby("skill_code")["urgency"].first()
            == short.groupby("skill_code")["year"].min()).all()


def test_gap_filters_and_bad_requests(analysis):
    year, direction = int(analysis.years[2]), sorted(set(analysis.gaps["direction"]))[0]
    t = ex.gaps_table(analysis, year=year, direction=direction)
    assert set(t["Année"]) == {year} and set(t["Direction"]) == {direction} and len(t) > 0
    with pytest.raises(ex.ExportError, match="hors de la projection"):
        ex.gaps_table(analysis, year=1990)
    with pytest.raises(ex.ExportError, match="direction 'NOPE' inconnue"):
        ex.gaps_table(analysis, direction="NOPE")
    with pytest.raises(ex.ExportError, match="format 'pdf' inconnu"):
        ex.export_gaps(analysis, "x.pdf", "pdf")


def test_xlsx_has_a_readme_sheet(analysis, tmp_path):
    year = int(analysis.years[0])
    result = ex.export_gaps(analysis, tmp_path / "ecarts.xlsx", "xlsx", year=year, meta=META)
    path = result.paths[0]
    assert load_workbook(path, read_only=True).sheetnames == ["Lisez-moi", "Écarts de compétences",
                                                              "Écarts toutes directions", "Transformation des métiers"]
    readme = _sheet(path, "Lisez-moi").set_index("Élément")["Valeur"]
    assert readme["Scénario"] == "gel des recrutements"
    assert "hiring_freeze_years" in readme["Paramètres du scénario"]
    assert readme["Date de l'extraction"] == "2025-12-31"
    assert readme["Versions des modèles"] == "retirement 3 (sha256 abcdef012345)"
    assert readme["Référentiel ROME"] == "version 60"
    assert "moins de 5 agents" in readme["Confidentialité"] and readme["Données nominatives"] == "non"
    assert readme["Filtres"] == f"année = {year}"
    gaps = _sheet(path, "Écarts de compétences")
    assert list(gaps.columns) == GAP_HEADERS and set(gaps["Année"]) == {year}
    assert result.rows["Écarts de compétences"] == len(gaps)
    assert "  Criticité" in set(readme.index)  # the columns are defined


def test_csv_is_french_and_has_its_readme_beside_it(analysis, tmp_path):
    result = ex.export_gaps(analysis, tmp_path / "ecarts.csv", "csv", meta=META)
    main, total, profile, notice = result.paths
    assert total.name == "ecarts_ecarts_toutes_directions.csv"
    raw = main.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(GAP_HEADERS)
    back = pd.read_csv(main, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code compétence": str})
    assert len(back) == len(analysis.gaps)
    assert notice.name == "ecarts_lisez-moi.txt"
    readme = notice.read_text("utf-8")
    assert "Scénario : gel des recrutements" in readme and "Date de l'extraction : 2025-12-31" in readme
    assert "retirement 3" in readme
    assert profile.name == "ecarts_transformation_des_metiers.csv"


def test_passerelles_without_nominative_list(analysis, tmp_path, engine):
    result = ex.export_passerelles(analysis, tmp_path / "p.xlsx", meta=META, engine=engine)
    names = load_workbook(result.paths[0], read_only=True).sheetnames
    assert names == ["Lisez-moi", "Passerelles", "Candidats"]
    cands = _sheet(result.paths[0], "Candidats")
    n = cands["Candidats"].dropna().astype(float)
    assert (n >= 5).all()
    hidden = cands[cands["Masqué (moins de 5 agents)"] == "oui"]
    assert hidden["Candidats"].isna().all()
    assert "agent_id" not in "".join(map(str, cands.columns)) and "Agent (pseudonyme)" not in cands.columns
    with engine.connect() as conn:
        assert conn.execute(select(db.AuditLog.id).where(db.AuditLog.action == "export_nominative")).first() is None


def test_nominative_list_is_logged(analysis, tmp_path, engine):
    result = ex.export_passerelles(analysis, tmp_path / "p.xlsx", nominative=True, meta=META, engine=engine)
    path = result.paths[0]
    assert "Candidats nominatifs" in load_workbook(path, read_only=True).sheetnames
    nominative = _sheet(path, "Candidats nominatifs")
    assert len(nominative) == len(analysis.candidates)
    assert set(nominative["Agent (pseudonyme)"]) == set(analysis.candidates["agent_id"])
    readme = _sheet(path, "Lisez-moi").set_index("Élément")["Valeur"]
    assert readme["Données nominatives"].startswith("oui")
    with engine.connect() as conn:
        rows = conn.execute(select(db.AuditLog.actor, db.AuditLog.detail)
                            .where(db.AuditLog.action == "export_nominative")).all()
    assert len(rows) == 1
    actor, detail = rows[0]
    assert actor == "test" and detail["files"] == [str(path)]
    assert detail["agents"] == analysis.candidates["agent_id"].nunique()


def test_nominative_list_needs_the_audit_log(analysis, tmp_path):
    with pytest.raises(ex.ExportError, match="journal d'audit"):
        ex.export_passerelles(analysis, tmp_path / "p.xlsx", nominative=True)
    assert not (tmp_path / "p.xlsx").exists()
    # a database where the record cannot be written: the file is removed
    broken = db.make_engine(f"sqlite:///{tmp_path / 'no_tables.db'}")
    with pytest.raises(Exception):
        ex.export_passerelles(analysis, tmp_path / "p.xlsx", nominative=True, engine=broken)
    assert not (tmp_path / "p.xlsx").exists()


def test_meta_from_db_reads_active_models_and_extract_date(engine):
    import datetime as dt

    with db.session_scope(engine) as session:
        session.add(db.Extract(extract_date=dt.date(2025, 6, 30), source="x.csv"))
        session.add(db.ModelVersion(name="exits", version="2", path="models/exits/2", sha256="f" * 64, active=True))
        session.add(db.ModelVersion(name="exits", version="1", path="models/exits/1", sha256="e" * 64, active=False))
    meta = ex.meta_from_db(engine, "base")
    assert meta.extract_date == "2025-06-30"
    assert meta.model_versions == [{"name": "exits", "version": "2", "sha256": "f" * 64}]
