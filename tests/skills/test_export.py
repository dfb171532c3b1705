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
from workforce import export_skills as xs
from workforce.export_skills import GapFilters
from workforce.labels import fmt_float

GAP_HEADERS = ["Année", "Code direction", "Direction", "Code compétence", "Compétence", "Offre (ETP)", "Besoin (ETP)",
               "Écart (ETP)", "Manque (ETP)", "Première année de manque", "Criticité", "Métiers concernés",
               "Métiers qui l'exigent", "Agents détenteurs", "Candidats internes", "Action suggérée",
               "Masqué (moins de 5 agents)"]
META = ex.ExportMeta(scenario="gel des recrutements", scenario_params={"hiring_freeze_years": 2},
                     model_versions=[{"name": "retirement", "version": "3", "sha256": "abcdef0123456789"}],
                     extract_date="2025-12-31", actor="test")


def _sheet(path, name) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, dtype=object)


def test_gap_table_headers_and_suppression(analysis):
    t = xs.gaps_table(analysis)
    assert list(t.columns) == GAP_HEADERS
    raw = analysis.gaps
    assert len(t) == len(raw)
    small = ((raw["holders"] > 0) & (raw["holders"] < 5)).to_numpy()
    assert small.any() and (~small).any()
    hidden = t[small]
    assert hidden[["Offre (ETP)", "Écart (ETP)", "Manque (ETP)"]].isna().all().all()
    assert (hidden["Agents détenteurs"] == "< 5").all()
    assert (hidden["Masqué (moins de 5 agents)"] == "oui").all()
    # « Masqué » only on rows whose supply is hidden: every other row prints its figures, agents as integers
    flagged = t["Masqué (moins de 5 agents)"] == "oui"
    assert t.loc[~flagged, "Offre (ETP)"].notna().all()
    assert (t.loc[flagged, "Agents détenteurs"] == "< 5").all()
    shown = t.loc[~flagged, "Agents détenteurs"]
    assert all(isinstance(v, int) for v in shown) and ((shown == 0) | (shown >= 5)).all()
    cands = t["Candidats internes"]
    published = cands[cands != "< 5"].dropna()
    assert all(isinstance(v, int) for v in published) and ((published == 0) | (published >= 5)).all()
    assert t.loc[(cands == "< 5").to_numpy(), "Action suggérée"].isna().all()
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
    t = xs.gaps_table(analysis, GapFilters(level="collectivite"))
    assert set(t["Direction"]) == {"Toutes directions"} and list(t.columns) == GAP_HEADERS
    share = lambda frame: (frame["Masqué (moins de 5 agents)"] == "oui").mean()  # noqa: E731
    assert share(t) < share(xs.gaps_table(analysis))  # small cells pool into publishable figures
    short = total[total["shortage_fte"] >= 0.5]
    assert (total.dropna(subset=["urgency"]).groupby("skill_code")["urgency"].first()
            == short.groupby("skill_code")["year"].min()).all()


def test_gap_filters_and_bad_requests(analysis):
    year, direction = int(analysis.years[2]), sorted(set(analysis.gaps["direction"]))[0]
    t = xs.gaps_table(analysis, GapFilters(year=year, directions=(direction,)))
    assert set(t["Année"]) == {year} and set(t["Code direction"]) == {direction} and len(t) > 0
    assert (t["Direction"] != t["Code direction"]).all()  # the name beside the code
    with pytest.raises(ex.ExportError, match="hors de la projection"):
        xs.gaps_table(analysis, GapFilters(year=1990))
    with pytest.raises(ex.ExportError, match="direction 'NOPE' inconnue"):
        xs.gaps_table(analysis, GapFilters(directions=("NOPE",)))
    with pytest.raises(ex.ExportError, match="famille 'NOPE' inconnue"):
        xs.gaps_table(analysis, GapFilters(familles=("NOPE",)))
    with pytest.raises(ex.ExportError, match="urgence 'later' inconnue"):
        xs.gaps_table(analysis, GapFilters(urgency="later"))
    with pytest.raises(ex.ExportError, match="format 'pdf' inconnu"):
        xs.export_gaps(analysis, "x.pdf", "pdf")


def test_xlsx_has_a_readme_sheet(analysis, tmp_path):
    year = int(analysis.years[0])
    result = xs.export_gaps(analysis, tmp_path / "ecarts.xlsx", "xlsx", filters=GapFilters(year=year), meta=META)
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
    assert readme["Filtres"].startswith(f"année = {year}, direction = toutes")
    assert readme["  urgence"] == "Toutes les compétences"
    gaps = _sheet(path, "Écarts de compétences")
    assert list(gaps.columns) == GAP_HEADERS and set(gaps["Année"]) == {year}
    assert result.rows["Écarts de compétences"] == len(gaps)
    assert "  Criticité" in set(readme.index)  # the columns are defined


def test_csv_is_french_and_has_its_readme_beside_it(analysis, tmp_path):
    result = xs.export_gaps(analysis, tmp_path / "ecarts.csv", "csv", meta=META)
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


def test_each_filter_keeps_its_rows_and_the_readme_says_so(analysis, tmp_path):
    years = [int(y) for y in analysis.years]
    direction = sorted(set(analysis.gaps["direction"]))[0]
    famille = sorted(analysis.profile["famille"].dropna())[0]
    everything = xs.gaps_table(analysis, exact_skills=True)
    for kw in ({"year": years[1]}, {"directions": (direction,)}, {"familles": (famille,)}, {"urgency": "now"},
               {"urgency": "none"}, {"level": "collectivite"}):
        f = GapFilters(**kw)
        result = xs.export_gaps(analysis, tmp_path / "e.csv", "csv", filters=f, meta=META, exact_skills=True)
        back = pd.read_csv(result.paths[0], sep=";", decimal=",", encoding="utf-8-sig",
                           dtype={"Code compétence": str, "Code direction": str})
        table = xs.gaps_table(analysis, f, exact_skills=True)
        assert 0 < len(back) == len(table) and (len(back) < len(everything) or "level" in kw), kw
        if "year" in kw:
            assert set(back["Année"]) == {kw["year"]}
        if "directions" in kw:
            assert set(back["Code direction"]) == {direction}
        if "familles" in kw:
            metiers = analysis.profile.loc[analysis.profile["famille"] == famille, "metier_code"]
            assert set(back["Code compétence"]) <= set(analysis.timeline.loc[
                analysis.timeline["metier_code"].isin(metiers), "skill_code"])
        if kw.get("urgency") == "now":
            assert (back["Première année de manque"] == years[0]).all()
        if kw.get("urgency") == "none":
            assert back["Première année de manque"].isna().all() and (back["Manque (ETP)"] == 0).all()
        if "level" in kw:
            assert set(back["Code direction"]) == {"*"}
        assert xs.gap_totals(back) == xs.gap_totals(table)
        readme = result.paths[-1].read_text("utf-8")
        total = xs.gap_totals(table)["Manque total (ETP)"]
        assert f"Manque total (ETP) : {fmt_float(total, 1)}" in readme
        assert "  niveau : " in readme and "  urgence : " in readme
        # exact supply: the secrecy line says so instead of claiming every small figure is masked
        assert "Offre de compétences non masquée" in readme


def test_agents_are_whole_numbers_in_the_files(analysis, tmp_path):
    result = xs.export_gaps(analysis, tmp_path / "e.csv", "csv", filters=GapFilters(year=int(analysis.years[0])),
                            exact_skills=True)
    text = result.paths[0].read_text("utf-8-sig").splitlines()
    header = text[0].split(";")
    col = header.index("Agents détenteurs")
    assert all("," not in line.split(";")[col] for line in text[1:] if line.count(";") == len(header) - 1)


def test_training_plan(analysis, tmp_path):
    year = int(analysis.years[-1])
    f = GapFilters(year=year)
    plan = xs.plan_table(analysis, f, exact_skills=True)
    assert len(plan) > 0 and list(plan["Rang"]) == list(range(1, len(plan) + 1))
    assert (np.diff(plan["Priorité"].astype(float)) <= 1e-9).all()
    assert (plan["Manque (ETP)"] >= analysis.params.tolerance).all()
    assert (plan["Agents à former"] <= plan["Candidats internes"]).all()
    assert (plan["Agents à former"] + plan["Agents à recruter"]
            == np.floor(plan["Manque (ETP)"].astype(float) + 0.5).astype(int)).all()
    # for a role without exact supply, only published rows enter the plan: nothing hidden is summed
    published = xs.gaps_table(analysis, f)
    secret = xs.plan_table(analysis, f).set_index("Code compétence")["Manque (ETP)"]
    sums = published.groupby("Code compétence")["Manque (ETP)"].sum().astype(float)
    assert np.allclose(secret.to_numpy(), sums.reindex(secret.index).to_numpy(), atol=0.2)
    with pytest.raises(ex.ExportError, match="année"):
        xs.plan_table(analysis, GapFilters())
    result = xs.export_plan(analysis, tmp_path / "plan.xlsx", filters=f, meta=META, exact_skills=True)
    path = result.paths[0]
    assert load_workbook(path, read_only=True).sheetnames == ["Lisez-moi", "Plan de formation",
                                                              "Détail par direction", "Provenance"]
    readme = _sheet(path, "Lisez-moi").set_index("Élément")["Valeur"]
    assert readme["  année"] == str(year) and readme["Agents à former"] == str(int(plan["Agents à former"].sum()))
    prov = _sheet(path, "Provenance").set_index("Élément")["Valeur"]
    assert "abcdef0123456789" in prov["Modèle retirement"] and prov["Offre exacte"] == "oui"
