"""Malformed inputs: each one ends in a clear French message (file refused, nothing written) or in a
quarantine with its reasons, never in a traceback; and rows read = stored + quarantined whenever imported."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from workforce import db
from workforce.ingest import ExtractRejected

from tests.ingest.helpers import HEADER, ROWS, assert_accounted, csv_bytes, run, table


def _rows(**changes):
    """ROWS with cells replaced: changes = {"r1_Catégorie hiérarchique": "D"} (row index _ header)."""
    rows = [list(r) for r in ROWS]
    for key, value in changes.items():
        i, col = key.split("_", 1)
        rows[int(i[1:])][HEADER.index(col)] = value
    return rows


def _xlsx(rows, header=HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _mixed_encodings() -> bytes:
    head = csv_bytes(ROWS[:2], encoding="utf-8")
    tail = csv_bytes(ROWS[2:], encoding="cp1252").split(b"\r\n", 1)[1]
    return head + tail


def _quoted() -> bytes:
    rows = _rows()
    rows[0][HEADER.index("Libellé emploi")] = '"Agent d\'entretien; polyvalent\ndes collèges"'
    rows[1][HEADER.index("Nom")] = '"PETIT; dit ""le grand"""'
    return csv_bytes(rows)


def _wide() -> bytes:
    header = HEADER + [f"Rubrique {i}" for i in range(2000 - len(HEADER))]
    rows = [r + [str(i) for i in range(2000 - len(HEADER))] for r in ROWS]
    return csv_bytes(rows, header)


def _repeated_header() -> bytes:
    rows = [list(r) for r in ROWS]
    rows.insert(3, list(HEADER))
    return csv_bytes(rows)


def _duplicated_header() -> bytes:
    """Two "Direction" columns that disagree: which one is the agent's? (a name in the first one was stored)"""
    header = HEADER + ["Direction"]
    rows = [r + ["AUTRE"] for r in ROWS]
    return csv_bytes(rows, header)


def _duplicated_header_same() -> bytes:
    header = HEADER + ["Direction"]
    rows = [r + [r[HEADER.index("Direction")]] for r in ROWS]
    return csv_bytes(rows, header)


# (id, bytes, file name, expected): expected is ("refused", [words]) or ("imported", stored, quarantined, [words])
CASES = [
    ("empty", b"", "extraction_2025-06-30.csv", ("refused", ["vide"])),
    ("blank_lines_only", b"\r\n \r\n;;;\r\n", "extraction_2025-06-30.csv", ("refused", ["vide"])),
    ("header_only", csv_bytes([]), "extraction_2025-06-30.csv", ("refused", ["aucune ligne de données"])),
    ("binary_garbage", bytes(range(256)) * 40, "extraction_2025-06-30.csv", ("refused", ["binaire"])),
    ("control_characters", b"\x01\x02\x03\x04\x05\x06\x07\x08" * 300, "extraction_2025-06-30.csv",
     ("refused", ["contrôle"])),
    ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "extraction_2025-06-30.csv", ("refused", ["PDF"])),
    ("old_xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "extraction_2025-06-30.xls",
     ("refused", [".xls", ".xlsx"])),
    ("corrupt_xlsx", b"PK\x03\x04" + b"garbage" * 100, "extraction_2025-06-30.xlsx", ("refused", ["Excel"])),
    ("wrong_delimiter", csv_bytes(sep=":"), "extraction_2025-06-30.csv",
     ("refused", ["colonne(s) obligatoire(s) absente(s)", "Colonnes trouvées", "séparateur"])),
    ("missing_required_column", csv_bytes([r[:10] + r[11:] for r in ROWS], HEADER[:10] + HEADER[11:]),
     "extraction_2025-06-30.csv", ("refused", ["direction", "« Matricule »", "« Libellé emploi »"])),
    ("metier_columns_empty", csv_bytes(_rows(**{f"r{i}_{c}": "" for i in range(5)
                                                for c in ("Code métier", "Libellé emploi")})),
     "extraction_2025-06-30.csv", ("refused", ["métier", "vide"])),
    ("no_extract_date", csv_bytes(), "extraction.csv", ("refused", ["date d'extraction introuvable", "--date"])),
    ("mixed_encodings", _mixed_encodings(), "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("utf8_bom", b"\xef\xbb\xbf" + csv_bytes(encoding="utf-8"), "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("utf16_tab", csv_bytes(sep="\t", encoding="utf-16"), "extraction_2025-06-30.txt", ("imported", 5, 0, [])),
    ("latin1_undefined_in_cp1252", csv_bytes(_rows(r0_Nom="XX")).replace(b"XX", b"\x81\x8d"), "extraction_2025-06-30.csv",
     ("imported", 5, 0, [])),
    ("duplicated_header_names", _duplicated_header(), "extraction_2025-06-30.csv", ("refused", ["plusieurs fois"])),
    ("duplicated_header_same_content", _duplicated_header_same(), "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("header_repeated_mid_file", _repeated_header(), "extraction_2025-06-30.csv",
     ("imported", 5, 1, ["en-tête répétée"])),
    ("truncated_last_line", csv_bytes()[:-25], "extraction_2025-06-30.csv", ("imported", 4, 1, ["incomplète"])),
    ("unterminated_quote", csv_bytes() + b'A006;"DUPONT;Luc;01/01/1970', "extraction_2025-06-30.csv",
     ("refused", ["ligne 7", "guillemet"])),
    ("too_many_fields", csv_bytes(_rows(**{"r2_Libellé emploi": "Agent d'exploitation;des routes"})),
     "extraction_2025-06-30.csv", ("imported", 4, 1, ["15 champs au lieu de 14"])),
    ("quoted_delimiters_and_newlines", _quoted(), "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("three_date_formats_and_serial", csv_bytes(_rows(**{"r0_Date de naissance": "1965-05-12",
                                                         "r1_Date de naissance": "02/03/80",
                                                         "r2_Date de naissance": "33057"})),
     "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("impossible_dates", csv_bytes(_rows(**{"r0_Date de naissance": "31/02/1965", "r1_Date d'entrée": "2010-13-45"})),
     "extraction_2025-06-30.csv", ("imported", 3, 2, ["date illisible ou impossible « 31/02/1965 »"])),
    ("age_out_of_range", csv_bytes(_rows(**{"r0_Date de naissance": "01/01/2015", "r1_Date de naissance": "01/01/1940"})),
     "extraction_2025-06-30.csv", ("imported", 3, 2, ["âge hors de 15-75 ans"])),
    ("unknown_categorie_and_statut", csv_bytes(_rows(**{"r0_Catégorie hiérarchique": "D", "r1_Statut": "Intérimaire"})),
     "extraction_2025-06-30.csv", ("imported", 3, 2, ["valeur inconnue « D »", "valeur inconnue « Intérimaire »"])),
    ("quotite_out_of_range", csv_bytes(_rows(**{"r0_Quotité de travail": "0", "r1_Quotité de travail": "120 %",
                                               "r2_Quotité de travail": "beaucoup"})),
     "extraction_2025-06-30.csv", ("imported", 2, 3, ["hors limites", "nombre illisible « beaucoup »"])),
    ("duplicate_agent_id", csv_bytes(_rows(r1_Matricule="A001")), "extraction_2025-06-30.csv",
     ("imported", 3, 2, ["matricule en double"])),
    ("exact_duplicate_row", csv_bytes(ROWS + [ROWS[0]]), "extraction_2025-06-30.csv",
     ("imported", 5, 1, ["matricule en double"])),
    ("missing_agent_id", csv_bytes(_rows(r0_Matricule="")), "extraction_2025-06-30.csv",
     ("imported", 4, 1, ["Matricule : valeur manquante"])),
    ("unknown_metier", csv_bytes(_rows(**{"r0_Code métier": "", "r0_Libellé emploi": "Dresseur de licornes"})),
     "extraction_2025-06-30.csv", ("imported", 4, 1, ["métier inconnu du référentiel « Dresseur de licornes »"])),
    ("unknown_metier_code", csv_bytes(_rows(**{"r0_Code métier": "ZZZ99", "r0_Libellé emploi": ""})),
     "extraction_2025-06-30.csv", ("imported", 4, 1, ["code métier inconnu du référentiel « ZZZ99 »"])),
    ("blank_lines_between_rows", csv_bytes().replace(b"\r\nA003", b"\r\n\r\n;;;;\r\nA003"),
     "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("spaces_and_thousands", csv_bytes(_rows(**{"r0_Indice majoré": " 1\u00a0020 ", "r0_Statut": "  TITULAIRE "}),
                                       encoding="utf-8"),
     "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("title_lines_above_header", csv_bytes(title="Extraction des effectifs au 30/06/2025;;;"), "export.csv",
     ("imported", 5, 0, [])),
    ("lowercase_header_no_accents", csv_bytes(header=[h.lower().replace("é", "e").replace(" ", "_") for h in HEADER]),
     "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("xlsx", _xlsx(ROWS), "extraction_2025-06-30.xlsx", ("imported", 5, 0, [])),
    ("wide_2000_columns", _wide(), "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
    ("mac_line_endings", csv_bytes(newline="\r"), "extraction_2025-06-30.csv", ("imported", 5, 0, [])),
]


def test_at_least_25_malformed_inputs():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_input(engine, case):
    _, data, name, expected = case
    if expected[0] == "refused":
        with pytest.raises(ExtractRejected) as err:
            run(engine, data, name)
        message = str(err.value)
        assert name in message or "extraction" in message
        for word in expected[1]:
            assert word in message, message
        assert table(engine, db.Extract).empty and table(engine, db.AgentSnapshot).empty
        return
    _, stored, quarantined, words = expected
    result = run(engine, data, name)
    assert (result.rows_stored, result.rows_quarantined) == (stored, quarantined), result.quarantine
    assert_accounted(engine, result)
    reasons = " | ".join(table(engine, db.QuarantinedRow)["reasons"])
    for word in words:
        assert word in reasons, reasons


def test_header_repeated_is_reported_with_its_line(engine):
    result = run(engine, _repeated_header())
    q = table(engine, db.QuarantinedRow)
    assert q["row_number"].tolist() == [5] and result.report["quarantaine"][0]["exemples"] == [5]


def test_quoted_values_are_read_whole(engine):
    run(engine, _quoted())
    snap = table(engine, db.AgentSnapshot)
    # a newline inside a value is read (the record is whole) and becomes a space, like any run of spaces
    assert "Agent d'entretien; polyvalent des collèges" in snap["metier_label"].tolist()
    assert snap["metier_code"].tolist().count("COL01") == 1


def test_three_formats_and_excel_serial_read_right(engine):
    run(engine, csv_bytes(_rows(**{"r0_Date de naissance": "1965-05-12", "r1_Date de naissance": "02/03/80",
                                   "r2_Date de naissance": "33057"})))
    snap = table(engine, db.AgentSnapshot).sort_values("metier_code")
    births = dict(zip(snap["metier_code"], pd.to_datetime(snap["birth_date"]).dt.strftime("%Y-%m-%d")))
    assert births["COL01"] == "1965-05-12" and births["BAT09"] == "1980-03-02" and births["ROU01"] == "1990-07-03"


def test_mixed_encodings_decode_each_line(engine):
    result = run(engine, _mixed_encodings())
    labels = set(table(engine, db.AgentSnapshot)["metier_label"])
    assert "Agent d'entretien polyvalent des collèges" in labels and "Agent de restauration des collèges" in labels
    assert any("encodage mixte" in w for w in result.report["avertissements"])


def test_wide_file_stores_only_the_columns_kept(engine, tmp_path):
    """Storage is an allow-list: 1,986 unknown columns are read, counted and dropped; a mapping keeps two."""
    result = run(engine, _wide())
    assert table(engine, db.AgentSnapshot)["extra"].isna().all()
    assert len(result.report["colonnes"]["ignorees"]) == 2000 - len(HEADER)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("keep: [Rubrique 0, rubrique_7]\n", encoding="utf-8")
    db.drop_db(engine)
    db.init_db(engine)
    run(engine, _wide(), mapping=mapping)
    extra = table(engine, db.AgentSnapshot).dropna(subset=["extra"])["extra"].iloc[0]
    extra = extra if isinstance(extra, dict) else __import__("json").loads(extra)
    assert extra == {"Rubrique 0": "0", "Rubrique 7": "7"}


def test_two_stray_quotes_that_pair_across_lines_are_refused(engine):
    """A stray quote opens a field near the end of a record and a second one, at the start of the next record,
    closes it: a lenient reader merges the two records into one with too many fields and the second agent is
    lost. Found by the hostile-files property test; the file is refused whole, nothing written."""
    rows = ["Matricule;Nom;Date de naissance;Statut;Catégorie hiérarchique;Code métier;Direction;Quotité de travail",
            'M000;DUPONT;12/05/1965;Titulaire;C;COL01;"DEC;100 %',
            '"M001;DURAND;12/05/1965;Titulaire;C;COL01;DEC;100 %',
            "M002;MARTIN;12/05/1965;Titulaire;C;COL01;DEC;100 %"]
    data = ("\r\n".join(rows) + "\r\n").encode("cp1252")
    with pytest.raises(ExtractRejected) as err:
        run(engine, data)
    assert "guillemet" in str(err.value) and "ligne 2" in str(err.value)
    assert table(engine, db.Extract).empty and table(engine, db.AgentSnapshot).empty
