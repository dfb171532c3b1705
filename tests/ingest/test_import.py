"""End-to-end import: the sample extract, no-op re-import, history, movements, privacy, métier matching."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workforce import db
from workforce.config import REPO_ROOT
from workforce.ingest import ExtractRejected, import_extract, quality_report
from workforce.privacy import pseudonymise

from tests.ingest.helpers import HEADER, KEY, ROWS, assert_accounted, csv_bytes, run, table

SAMPLE = REPO_ROOT / "data" / "samples" / "extraction_sirh_2025-06-30.csv"


def _dump(engine) -> str:
    """Every stored value of every table, as one text (to look for what must never be stored)."""
    return "\n".join(table(engine, t).to_csv() for t in db.Base.metadata.sorted_tables)


def test_sample_extract_imports_with_its_bad_rows_quarantined(engine):
    result = import_extract(SAMPLE, engine=engine, mapping="sirh", key=KEY)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (40, 33, 7)
    assert result.extract_date == pd.Timestamp("2025-06-30").date()
    assert_accounted(engine, result)
    rep = result.report
    assert rep["fichier"]["encodage"] == "cp1252" and rep["fichier"]["separateur"] == ";"
    assert rep["fichier"]["ligne_entete"] == 2 and "titre" in rep["fichier"]["source_date"]
    assert set(rep["colonnes"]["personnelles_supprimees"]) == {"Nom", "Prénom", "Courriel", "Numéro de sécurité sociale",
                                                               "Observations"}
    reasons = {q["raison"] for q in rep["quarantaine"]}
    assert {"matricule en double dans l'extraction", "Catégorie hiérarchique : valeur inconnue «…» (attendu : A, B ou C)",
            "Date de naissance : date illisible ou impossible «…»"} <= reasons
    assert [m["code"] for m in rep["metiers_rapproches"]] == ["BAT05"]
    assert rep["valeurs_suspectes"]["quotite_zero"]["lignes"] == 1


def test_personal_data_and_matricules_are_never_stored(engine):
    raw = SAMPLE.read_bytes().decode("cp1252")
    frame = pd.read_csv(SAMPLE, sep=";", encoding="cp1252", skiprows=1, dtype=str)
    import_extract(SAMPLE, engine=engine, key=KEY)
    dump = _dump(engine)
    for col in ("Nom", "Prénom", "Courriel", "Numéro de sécurité sociale", "Matricule"):
        for value in frame[col].dropna().unique():
            assert value not in dump, f"{col} « {value} » stocké"
    assert "departement.example" in raw and "departement.example" not in dump
    ids = set(table(engine, db.AgentSnapshot)["agent_id"])
    assert ids <= set(pseudonymise(frame["Matricule"], KEY))


def test_same_file_twice_is_a_noop(engine):
    first = run(engine, csv_bytes())
    before = db.table_counts(engine)
    again = run(engine, csv_bytes())
    assert again.already_imported and not first.already_imported
    assert again.extract_id == first.extract_id and db.table_counts(engine) == before


def test_same_date_other_file_is_refused_unless_replaced(engine):
    run(engine, csv_bytes())
    other = csv_bytes(ROWS[:3])
    with pytest.raises(ExtractRejected, match="déjà importée.*--remplacer"):
        run(engine, other)
    result = run(engine, other, replace=True)
    assert result.rows_stored == 3
    assert len(table(engine, db.Extract)) == 1 and len(table(engine, db.AgentSnapshot)) == 3


def test_pseudonyms_are_stable_across_extracts(engine):
    run(engine, csv_bytes(), "extraction_2025-05-31.csv")
    run(engine, csv_bytes(ROWS[:4]), "extraction_2025-06-30.csv")
    snap = table(engine, db.AgentSnapshot)
    by_date = snap.groupby("extract_date")["agent_id"].apply(set)
    assert by_date.iloc[1] < by_date.iloc[0]
    assert set(snap["agent_id"]) == set(pseudonymise([r[0] for r in ROWS], KEY))


def _moved_rows():
    rows = [list(r) for r in ROWS[:4]]
    rows[1][HEADER.index("Direction")] = "DRM"                       # internal: direction
    rows[2][HEADER.index("Code métier")] = "ROU03"                   # internal: métier
    rows[2][HEADER.index("Libellé emploi")] = ""
    new = list(ROWS[0])
    new[0], new[HEADER.index("Date d'entrée")] = "A009", "15/06/2025"
    return rows + [new]


def test_movements_between_consecutive_extracts(engine):
    run(engine, csv_bytes(), "extraction_2025-05-31.csv")
    result = run(engine, csv_bytes(_moved_rows()), "extraction_2025-06-30.csv")
    mv = table(engine, db.Movement)
    assert sorted(mv["kind"]) == ["arrival", "departure", "internal", "internal"]
    dep = mv[mv["kind"] == "departure"].iloc[0]
    assert dep["motive"] == "inconnu" and dep["from_metier"] == "ADM03"
    arr = mv[mv["kind"] == "arrival"].iloc[0]
    assert str(arr["movement_date"])[:10] == "2025-06-15"
    assert result.report["mouvements"] == {"arrival": 1, "departure": 1, "internal": 2}
    assert result.report["extraction_precedente"] == "2025-05-31"


def test_departure_motive_from_the_extract(engine):
    header = HEADER + ["Date de départ", "Motif de départ"]
    rows = [r + ["", ""] for r in ROWS]
    rows[0][-2:] = ["15/06/2025", "Départ en retraite"]
    run(engine, csv_bytes([r + ["", ""] for r in ROWS], header), "extraction_2025-05-31.csv")
    run(engine, csv_bytes(rows, header), "extraction_2025-06-30.csv")
    dep = table(engine, db.Movement).query("kind == 'departure'")
    assert dep["motive"].tolist() == ["droit_commun"] and str(dep["movement_date"].iloc[0])[:10] == "2025-06-15"


def test_backfill_older_extract_recomputes_next_movements(engine):
    run(engine, csv_bytes(_moved_rows()), "extraction_2025-06-30.csv")
    assert table(engine, db.Movement).empty  # first extract: nothing to compare with
    result = run(engine, csv_bytes(), "extraction_2025-05-31.csv")  # older one arrives later
    assert result.rows_stored == 5 and result.report["mouvements"] is None
    mv = table(engine, db.Movement)
    june = table(engine, db.Extract).set_index("extract_date")["id"]
    assert len(mv) == 4 and set(mv["extract_id"]) == {june[pd.Timestamp("2025-06-30").date()]
                                                       if pd.Timestamp("2025-06-30").date() in june.index
                                                       else june.iloc[-1]}
    rep = quality_report(engine, "2025-06-30")
    assert rep["extraction_precedente"] == "2025-05-31" and rep["mouvements"]["departure"] == 1


def test_metier_label_matching(engine):
    rows = [list(r) for r in ROWS]
    for i, label in ((0, "Agent entretien polyvalent colleges"), (1, "Architect"), (2, "Agent polyvalent")):
        rows[i][HEADER.index("Code métier")] = ""
        rows[i][HEADER.index("Libellé emploi")] = label
    result = run(engine, csv_bytes(rows))
    snap = table(engine, db.AgentSnapshot)
    assert {"COL01", "BAT09"} <= set(snap["metier_code"])
    q = table(engine, db.QuarantinedRow)
    assert len(q) == 1 and "suggestions" in q["reasons"].iloc[0] and "COL01" in q["reasons"].iloc[0]
    assert {m["libelle"] for m in result.report["metiers_rapproches"]} == {
        "Agent entretien polyvalent colleges", "Architect"}


def test_metiers_table_is_used_when_filled(engine):
    with db.session_scope(engine) as session:
        session.add(db.Metier(code="LOC01", label="Dresseur de licornes", source="local"))
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index("Code métier")] = ""
    rows[0][HEADER.index("Libellé emploi")] = "Dresseur de licornes"
    result = run(engine, csv_bytes(rows))
    # the table replaces the built-in referential: only LOC01 is known now
    assert result.rows_stored == 1 and table(engine, db.AgentSnapshot)["metier_code"].tolist() == ["LOC01"]


def test_quarantine_keeps_raw_row_without_personal_data(engine):
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index("Catégorie hiérarchique")] = "Z"
    run(engine, csv_bytes(rows))
    q = table(engine, db.QuarantinedRow).iloc[0]
    raw = q["raw"] if isinstance(q["raw"], dict) else json.loads(q["raw"])
    assert q["row_number"] == 2 and raw["Catégorie hiérarchique"] == "Z" and "Nom" not in raw
    assert raw["Matricule"] == pseudonymise(["A001"], KEY)[0]


def test_extract_date_sources(engine):
    header = HEADER + ["Date de situation"]
    rows = [r + ["31/03/2025"] for r in ROWS]
    assert run(engine, csv_bytes(rows, header), "export.csv").extract_date.isoformat() == "2025-03-31"
    assert run(engine, csv_bytes(ROWS[:4]), "EXTRACT_202502.csv").extract_date.isoformat() == "2025-02-28"
    assert run(engine, csv_bytes(ROWS[:3]), "x.csv", date="2025-01-15").extract_date.isoformat() == "2025-01-15"
    two = [r + [d] for r, d in zip(ROWS, ["31/03/2025", "30/04/2025"] * 3)]
    with pytest.raises(ExtractRejected, match="plusieurs dates"):
        run(engine, csv_bytes(two, header), "y.csv")
    with pytest.raises(ExtractRejected, match="AAAA-MM-JJ"):
        run(engine, csv_bytes(ROWS[:2]), "z.csv", date="demain")


def test_user_mapping_file(engine, tmp_path):
    header = ["Id", "Naiss.", "Statut", "Cat", "Poste", "Dir", "Contrat"]
    rows = [["X1", "01/01/1970", "Titulaire", "C", "COL01", "DEC", "Bénévole"],
            ["X2", "01/01/1980", "Vacation", "B", "ROU01", "DRM", "a"]]
    mapping = tmp_path / "mon_sirh.yaml"
    mapping.write_text("name: mon_sirh\ncolumns:\n  agent_id: Id\n  birth_date: Naiss.\n  metier_code: Poste\n"
                       "  direction: Dir\nvalues:\n  statut:\n    contractuel_non_permanent: [Vacation]\n"
                       "keep: [Contrat]\n",
                       encoding="utf-8")
    result = run(engine, csv_bytes(rows, header), "e_2025-06-30.csv", mapping=mapping)
    assert result.rows_stored == 2 and result.report["fichier"]["correspondance"] == "mon_sirh"
    assert sorted(table(engine, db.AgentSnapshot)["statut"]) == ["contractuel_non_permanent", "titulaire"]
    assert result.report["colonnes"]["annexes"] == ["Contrat"]


@pytest.mark.parametrize("content, words", [
    ("columns: [a, b]", "dictionnaire"),
    ("colonnes: {}", "clés inconnues"),
    ("columns:\n  matricule_rh: Id", "colonne canonique inconnue"),
    ("columns: {agent_id: [Id}", "YAML invalide"),
])
def test_bad_user_mapping_is_refused(engine, tmp_path, content, words):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(content, encoding="utf-8")
    with pytest.raises(ExtractRejected, match=words):
        run(engine, csv_bytes(), mapping=mapping)


def test_missing_mapping_preset_is_refused(engine):
    with pytest.raises(ExtractRejected, match="introuvable"):
        run(engine, csv_bytes(), mapping="sirh_inexistant")


def test_quality_report_is_stored_and_read_back(engine):
    result = import_extract(SAMPLE, engine=engine, key=KEY)
    stored = table(engine, db.Extract)["report"].iloc[0]
    stored = stored if isinstance(stored, dict) else json.loads(stored)
    assert stored["lignes"] == {"lues": 40, "enregistrees": 33, "quarantaine": 7, "lignes_physiques": 42,
                                "champs_multilignes": 0}
    assert quality_report(engine) == quality_report(engine, "2025-06-30") == quality_report(engine, str(result.extract_id))
    assert quality_report(engine, "2024-01-31") is None


def test_quality_flags_suspicious_values(engine):
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index("Date de naissance")] = "01/01/1956"    # 69 at the extract: past the age limit
    rows[1][HEADER.index("Date d'entrée")] = "01/09/2025"        # hired after the extract
    result = run(engine, csv_bytes(rows))
    sus = result.report["valeurs_suspectes"]
    assert sus["au_dela_limite_age"] == {"lignes": 1, "exemples": [2]}
    assert sus["entree_apres_extraction"] == {"lignes": 1, "exemples": [3]}


def test_headcount_by_direction_suppresses_small_cells(engine, small_synth):
    from workforce.ingest.sample import write_sirh

    s = small_synth.snapshots
    dates = sorted(s["extract_date"].unique())
    for d in dates[-2:]:
        snap = s[s["extract_date"] == d].reset_index(drop=True)
        result = run(engine, write_sirh(snap), f"extraction_{pd.Timestamp(d).date()}.csv")
    heads = result.report["effectifs_par_direction"]
    big = [h for h in heads if h["effectif"] is not None]
    assert big and all(h["effectif"] >= 5 for h in big)
    assert all(h["evolution"] == h["effectif"] - h["precedent"] for h in big if h["precedent"] is not None)


def test_a_quarantined_agent_is_neither_a_departure_nor_an_arrival(engine):
    run(engine, csv_bytes(), "extraction_2025-04-30.csv")
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index("Catégorie hiérarchique")] = "Z"          # A001 unreadable in May
    result = run(engine, csv_bytes(rows), "extraction_2025-05-31.csv")
    assert result.report["mouvements"] == {"arrival": 0, "departure": 0, "internal": 0}
    result = run(engine, csv_bytes(newline="\n"), "extraction_2025-06-30.csv")  # readable again in June
    assert result.report["mouvements"] == {"arrival": 0, "departure": 0, "internal": 0}
    assert table(engine, db.Movement).empty
