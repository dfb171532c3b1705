"""Property: for any extract, valid and corrupted rows mixed, rows read = stored + quarantined, every row of
the file is counted once, and importing the same bytes again changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from workforce import db
from workforce.ingest import ExtractRejected

from tests.ingest.helpers import HEADER, ROWS, assert_accounted, run

SAFE = st.text(st.characters(blacklist_characters=";\r\n\"", blacklist_categories=("Cs", "Cc")), max_size=12)
CORRUPTIONS = {  # column -> values that must quarantine the row (or, for some, be read fine)
    "Date de naissance": st.sampled_from(["31/02/1970", "1970-13-01", "hier", "01/01/2020", "", "99999"]) | SAFE,
    "Catégorie hiérarchique": st.sampled_from(["A+", "D", "", "cat. b"]) | SAFE,
    "Quotité de travail": st.sampled_from(["0", "120 %", "0,5", "", "1,2"]) | SAFE,
    "Statut": st.sampled_from(["TIT", "Intérimaire", ""]) | SAFE,
    "Libellé emploi": st.sampled_from(["Menusier", "Agent polyvalent", ""]) | SAFE,
    "Matricule": st.sampled_from(["A001", "A002", ""]) | SAFE,
}


@st.composite
def rows(draw):
    base = list(draw(st.sampled_from(ROWS)))
    base[0] = draw(st.sampled_from(["A001", "A002", "A003"])) + str(draw(st.integers(0, 40)))
    kind = draw(st.sampled_from(["valid", "corrupt", "corrupt", "short", "long"]))
    if kind == "corrupt":
        col = draw(st.sampled_from(sorted(CORRUPTIONS)))
        base[HEADER.index(col)] = draw(CORRUPTIONS[col])
        if col == "Libellé emploi":
            base[HEADER.index("Code métier")] = ""
    elif kind == "short":
        base = base[: draw(st.integers(1, len(base) - 1))]
    elif kind == "long":
        base = base + draw(st.lists(SAFE, min_size=1, max_size=3))
    return base


def _wipe(engine) -> None:
    with db.session_scope(engine) as session:
        for t in (db.Movement, db.QuarantinedRow, db.AgentSnapshot, db.AuditLog, db.Extract):
            session.execute(delete(t))


def _nonblank(r) -> bool:
    return any(c.strip(" \t;,|") for c in r)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(rows(), min_size=1, max_size=25), encoding=st.sampled_from(["cp1252", "utf-8"]))
def test_rows_read_equals_stored_plus_quarantined(engine, data, encoding):
    _wipe(engine)
    text = "\r\n".join([";".join(HEADER)] + [";".join(r) for r in data]) + "\r\n"
    raw = text.encode(encoding, errors="replace")
    try:
        result = run(engine, raw)
    except ExtractRejected as err:  # only whole-file faults: every row's métier or a required column empty
        assert "vide sur toutes les lignes" in str(err) or "vide(s) sur toutes les lignes" in str(err)
        assert db.table_counts(engine)["agent_snapshots"] == 0
        return
    assert result.rows_read == sum(_nonblank(r) for r in data)
    assert_accounted(engine, result)
    before = db.table_counts(engine)
    again = run(engine, raw)
    assert again.already_imported and db.table_counts(engine) == before


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8")))
def test_any_bytes_end_in_a_message_or_an_accounted_import(engine, blob):
    _wipe(engine)
    data = (";".join(HEADER) + "\r\n").encode("cp1252") + blob
    try:
        result = run(engine, data)
    except ExtractRejected as err:
        assert str(err)
        return
    assert_accounted(engine, result)


# ------------------------------------------------------------------------------ hostile files (issue 11)

PERSONAL = st.sampled_from(["1 60 01 75 100 200 10", "2850575123456", "anne.roux@example.fr", "06 12 34 56 78",
                            "+33 6 12 34 56 78"])
EXTRA_HEADER = ["Nom usuel", "Courriel", "Observations", "Code poste"]


@st.composite
def hostile_file(draw):
    """A CSV as SIRH exports write them, with what breaks them: any delimiter, encoding, quoting style, stray
    quotes, personal data in any column. Returns (bytes, number of data records written)."""
    delim = draw(st.sampled_from([";", ",", "\t", "|"]))
    encoding = draw(st.sampled_from(["cp1252", "utf-8", "utf-8-sig"]))
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    quote_all = draw(st.booleans())
    header = HEADER + EXTRA_HEADER
    n = draw(st.integers(1, 30))
    records = []
    for i in range(n):
        row = list(ROWS[draw(st.integers(0, len(ROWS) - 1))]) + ["DUPONT", "x@y.fr", "RAS", f"P{i}"]
        row[0] = f"M{i:03d}"
        if draw(st.integers(0, 4)) == 0:  # personal data in a random cell, canonical or not
            row[draw(st.integers(1, len(row) - 1))] = draw(PERSONAL)
        if draw(st.integers(0, 6)) == 0:  # a delimiter inside a value (quoted when the writer quotes)
            row[HEADER.index("Libellé emploi")] += delim + "bis"
        if draw(st.integers(0, 9)) == 0:  # a legitimate line break inside a quoted value
            row[header.index("Observations")] = "ligne 1\nligne 2"
        records.append(row)

    def cell(value: str) -> str:
        needs = quote_all or delim in value or "\n" in value or '"' in value
        return '"' + value.replace('"', '""') + '"' if needs else value

    lines = [delim.join(map(cell, header))] + [delim.join(map(cell, r)) for r in records]
    strays = draw(st.integers(0, 2))
    for _ in range(strays):  # stray quotes: opening a field, or inside one
        k = draw(st.integers(1, len(lines) - 1))
        fields = lines[k].split(delim)
        j = draw(st.integers(0, len(fields) - 1))
        fields[j] = draw(st.sampled_from(['"', 'x"', '""'])) + fields[j]
        lines[k] = delim.join(fields)
    return (newline.join(lines) + newline).encode(encoding, errors="replace"), n, strays > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=hostile_file())
def test_hostile_files_lose_no_record_and_store_nothing_personal(engine, file):
    """Physical records = stored + quarantined, or the file is refused whole (exit 2) with nothing written;
    and no stored cell, in any table, matches a NIR, e-mail or telephone pattern.

    A stray quote may also close a legitimate quoted line break early and split one record in two: then more
    records are read than written, each part quarantined as incomplete. What must never happen is fewer: a
    record swallowed into another one's cell."""
    import re

    from workforce.privacy import PERSONAL_PATTERNS

    from tests.ingest.helpers import table

    _wipe(engine)
    data, n, stray = file
    try:
        result = run(engine, data)
    except ExtractRejected:
        assert db.table_counts(engine)["agent_snapshots"] == db.table_counts(engine)["quarantine"] == 0
        return
    assert result.rows_read == n if not stray else result.rows_read >= n
    assert result.rows_stored <= n
    assert_accounted(engine, result)
    hashes = r"\b[0-9a-f]{20}\b|\b[0-9a-f]{64}\b"  # pseudonyms and sha256: keyed hashes, not personal data
    dump = "\n".join(table(engine, t).drop(columns=["agent_id"], errors="ignore").to_csv()
                     for t in (db.AgentSnapshot, db.QuarantinedRow, db.Movement))
    dump += table(engine, db.Extract)["report"].astype(str).str.cat()
    dump = re.sub(hashes, "#", dump)
    for pattern in PERSONAL_PATTERNS.values():
        assert not re.search(pattern, dump), pattern
