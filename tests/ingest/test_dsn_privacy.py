"""No NIR, name or address reaches the database after a DSN import, whatever the file holds (property test over
generated files: the names, NIR, addresses and the matricule's presence are drawn; some lines broken so that
agents are quarantined too)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from workforce import db
from workforce.ingest import ExtractRejected, import_extract
from workforce.ingest import columns as C
from workforce.synth.dsn import dsn_frames, write_month

from tests.ingest.helpers import KEY

NAME = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÀÇ", min_size=7, max_size=14)
NIR = st.from_regex(r"[12][0-9]{4}([0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True)  # ASCII digits (\d would draw any Unicode digit)
AGENT = st.fixed_dictionaries({"surname": NAME, "first": NAME, "street": NAME, "nir": NIR,
                               "matricule": st.booleans(), "broken": st.sampled_from(["", "date", "code"])})


def _dump(engine) -> str:
    """Every cell of every table, as text."""
    out = []
    with engine.connect() as conn:
        for name in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                out.extend(str(v) for v in row)
    return "\n".join(out)


def _month(small_synth):
    (d, snap, leavers), = dsn_frames(small_synth, 1)
    direction = snap[C.DIRECTION].iloc[0]
    snap = snap[snap[C.DIRECTION] == direction].head(3)
    return write_month(d, snap, leavers.iloc[:0], {direction: "00001"})


@pytest.fixture(scope="module")
def words_stored_anyway(small_synth, tmp_path_factory) -> str:
    """The database after importing the file as the writer made it: a drawn « name » that is a word stored
    anyway (« DIRECTION », a column's name) proves nothing."""
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('b') / 'b.db'}")
    db.init_db(engine)
    import_extract(_month(small_synth), name="b.dsn", engine=engine, key=KEY)
    return _dump(engine).upper()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agents=st.lists(AGENT, min_size=3, max_size=3))
def test_no_personal_data_in_the_database_after_a_dsn_import(agents, small_synth, tmp_path_factory,
                                                             words_stored_anyway):
    assume(all(a[k].upper() not in words_stored_anyway for a in agents for k in ("surname", "first", "street")))
    lines = _month(small_synth).decode("iso-8859-1").split("\r\n")[:-1]
    starts = [k for k, x in enumerate(lines) if x.startswith("S21.G00.30.001,")]
    drop = set()
    for a, start in zip(agents, starts):
        for k in range(start, len(lines)):
            key = lines[k].split(",", 1)[0]
            if k > start and key == "S21.G00.30.001":
                break
            value = {"S21.G00.30.001": a["nir"], "S21.G00.30.002": a["surname"], "S21.G00.30.004": a["first"],
                     "S21.G00.30.008": f"12 RUE {a['street']}"}.get(key)
            if value is not None:
                lines[k] = f"{key},'{value}'"
            if key == "S21.G00.30.019" and not a["matricule"]:
                drop.add(k)
            if (key, a["broken"]) in (("S21.G00.30.006", "date"), ("S21.G00.40.007", "code")):
                lines[k] = f"{key},'99999999'"
    lines = [x for k, x in enumerate(lines) if k not in drop]
    lines = [x for x in lines if not x.startswith("S90.G00.90.001")]
    lines.insert(len(lines) - 1, f"S90.G00.90.001,'{len(lines) + 1}'")
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('p') / 'p.db'}")
    db.init_db(engine)
    try:
        r = import_extract(("\r\n".join(lines) + "\r\n").encode("iso-8859-1"), name="p.dsn", engine=engine, key=KEY)
    except ExtractRejected as err:
        # every birth date unreadable: the pipeline refuses a file whose required column is empty everywhere,
        # whole, with nothing written (as for a CSV); any other refusal of a valid envelope is a fault
        assert all(a["broken"] == "date" for a in agents), f"a valid envelope was refused: {err}"
        assert "date de naissance" in str(err)
        assert db.table_counts(engine)["agent_snapshots"] == db.table_counts(engine)["quarantine"] == 0
        return
    assert r.rows_read == r.rows_stored + r.rows_quarantined == 3
    dump = _dump(engine).upper()
    for a in agents:
        for secret in (a["nir"], a["surname"], a["first"], a["street"]):
            assert secret.upper() not in dump, secret
    assert not re.search(r"(?<![0-9A-F])[12]\d{4}(\d{2}|2A|2B)\d{6}(?![0-9A-F])", dump)
