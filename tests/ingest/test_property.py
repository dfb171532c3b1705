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
