"""DSN import (issue 18): the synthetic département as monthly DSN imports to the same snapshots and movements as
its CSV extracts (with the motives and dates only the DSN knows); malformed files are refused whole (exit 2,
nothing written) or put the faulty agent in the quarantine, and read = stored + quarantined always."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from workforce import db
from workforce.cli import app
from workforce.ingest import ExtractRejected, import_extract
from workforce.ingest import columns as C
from workforce.ingest.dsn_import import UNASSIGNED, import_dsn
from workforce.ingest.sample import write_sirh
from workforce.privacy import pseudonymise
from workforce.synth.dsn import DSN_COLUMNS, dsn_frames, expected_motive, write_dsn, write_month

from tests.ingest.helpers import KEY, table

MONTHS = 4
SNAPSHOT_COMPARED = [c for c in C.CANONICAL if c not in (C.EXTRA,)] + [C.EXTRACT_DATE]
MOVE_KEY = ["agent_id", "kind", "from_metier", "to_metier", "from_direction", "to_direction"]


def _engine(tmp_path, name):
    eng = db.make_engine(f"sqlite:///{tmp_path / name}")
    db.init_db(eng)
    return eng


@pytest.fixture(scope="module")
def dsn_dir(small_synth, tmp_path_factory):
    out = tmp_path_factory.mktemp("dsn")
    write_dsn(small_synth, out, months=MONTHS)
    return out


def _sorted(frame: pd.DataFrame, cols) -> pd.DataFrame:
    return frame[cols].astype("string").fillna("").sort_values(cols).reset_index(drop=True)


def test_synthetic_dsn_gives_the_csv_snapshots_and_movements(small_synth, dsn_dir, tmp_path):
    eng_dsn, eng_csv = _engine(tmp_path, "dsn.db"), _engine(tmp_path, "csv.db")
    results = import_dsn(dsn_dir, engine=eng_dsn, directions=dsn_dir / "directions.csv", key=KEY)
    frames = dsn_frames(small_synth, MONTHS)
    assert [r.extract_date for r in results] == [d.date() for d, _, _ in frames]
    for (d, snap, _), r in zip(frames, results):
        import_extract(write_sirh(snap), name=f"extraction_{d.date()}.csv", engine=eng_csv, key=KEY, mapping="sirh")
        dsn = r.report["dsn"]
        assert dsn["individus_declares"] == dsn["lignes"] + dsn["sortis_dans_le_mois"] + dsn["fin_anterieure"]
        assert r.rows_read == r.rows_stored + r.rows_quarantined == len(snap)
    a, b = table(eng_dsn, db.AgentSnapshot), table(eng_csv, db.AgentSnapshot)
    assert len(a) == len(b) == sum(len(s) for _, s, _ in frames)
    pd.testing.assert_frame_equal(_sorted(a, SNAPSHOT_COMPARED), _sorted(b, SNAPSHOT_COMPARED))
    assert set(a[C.DIRECTION]) != {UNASSIGNED}
    ma, mb = table(eng_dsn, db.Movement), table(eng_csv, db.Movement)
    assert len(ma) == len(mb) > 0
    pd.testing.assert_frame_equal(_sorted(ma, MOVE_KEY), _sorted(mb, MOVE_KEY))
    # what only the DSN knows: each departure's date and motive, as the synthetic truth has them
    truth = pd.concat([lv for _, _, lv in frames[1:]], ignore_index=True)
    truth = truth.assign(agent_id=pseudonymise(truth[C.AGENT_ID], KEY),
                         expected=expected_motive(truth[C.DEPARTURE_MOTIVE], truth[C.STATUT]))
    deps = ma[ma["kind"] == "departure"].set_index("agent_id").loc[truth["agent_id"]]
    assert (deps["motive"].to_numpy() == truth["expected"].to_numpy()).all()
    assert (pd.to_datetime(deps["movement_date"]).to_numpy() == pd.to_datetime(truth[C.DEPARTURE_DATE]).to_numpy()).all()
    assert (mb.loc[mb["kind"] == "departure", "motive"] == C.UNKNOWN_MOTIVE).all()  # the CSV cannot say
    # the régime is kept beside the canonical columns: CNRACL for the fonctionnaires
    regime = a["extra"].map(lambda e: (e or {}).get("regime_vieillesse"))
    assert (regime[a[C.STATUT].isin(["titulaire", "stagiaire"])] == "CNRACL").all()


def test_without_the_sirh_table_every_agent_is_non_affecte(dsn_dir, tmp_path):
    eng = _engine(tmp_path, "x.db")
    r = import_extract(sorted(dsn_dir.glob("*.dsn"))[-1], engine=eng, key=KEY)
    snaps = table(eng, db.AgentSnapshot)
    assert set(snaps[C.DIRECTION]) == {UNASSIGNED}
    assert r.report["dsn"]["non_affectes"] == len(snaps) == r.rows_stored
    assert any("non affecté" in w for w in r.report["avertissements"])


def test_a_zip_of_months_imports_like_the_folder(dsn_dir, tmp_path):
    import zipfile

    z = tmp_path / "dsn.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(dsn_dir.glob("*.dsn")):
            zf.write(p, p.name)
    eng = _engine(tmp_path, "z.db")
    r = import_extract(z.read_bytes(), name="dsn.zip", engine=eng, key=KEY, directions=dsn_dir / "directions.csv")
    assert [m["date"] for m in r.report["lot_dsn"]] == [str(d.date()) for d in pd.date_range(
        end=r.extract_date, periods=MONTHS, freq="ME")]


# ---------------------------------------------------------------------------------------------- malformed files

@pytest.fixture(scope="module")
def base(small_synth):
    """A valid one-month DSN of 5 agents of one direction, as lines, and its month end."""
    (d, snap, leavers), = dsn_frames(small_synth, 1)
    direction = snap[C.DIRECTION].iloc[0]
    snap = snap[snap[C.DIRECTION] == direction].head(5)
    data = write_month(d, snap, leavers.iloc[:0], {direction: "00001"})
    return data.decode("iso-8859-1").split("\r\n")[:-1], d


def _total(lines: list[str]) -> list[str]:
    """Set the S90 rubrique count again after an edit (a test that wants a wrong total does not call this)."""
    out = [x for x in lines if not x.startswith("S90.G00.90.001")]
    i = next(k for k, x in enumerate(out) if x.startswith("S90."))
    return out[:i] + [f"S90.G00.90.001,'{len(out) + 1}'"] + out[i:]


def _at(lines, key, nth=0):
    return [k for k, x in enumerate(lines) if x.startswith(key + ",")][nth]


def _set(lines, key, value, nth=0):
    out = list(lines)
    out[_at(out, key, nth)] = f"{key},'{value}'"
    return out


def _insert(lines, before_key, new, nth=0):
    i = _at(lines, before_key, nth)
    return lines[:i] + new + lines[i:]


def _second_individu(lines):
    return _at(lines, "S21.G00.30.001", 1)


REFUSED = {  # case -> (edit of the lines, words of the message)
    "fichier tronqué": (lambda ls: ls[:-6], "tronqué"),
    "total de rubriques faux": (lambda ls: ls[:20] + ls[21:], "rubriques"),
    "contrat orphelin": (lambda ls: _total(_insert(ls, "S21.G00.30.001", ["S21.G00.40.001,'01012020'"])),
                         "sans son bloc parent"),
    "mois mal écrit": (lambda ls: _set(ls, "S20.G00.05.005", "15122025"), "01MMAAAA"),
    "signalement au lieu d'une mensuelle": (lambda ls: _set(ls, "S20.G00.05.001", "04"), "mensuelle"),
    "type de déclaration inconnu": (lambda ls: _set(ls, "S20.G00.05.002", "07"), "liste des codes"),
    "ligne trop longue hors individu": (lambda ls: _set(ls, "S21.G00.11.003", "X" * 260), "caractères"),
    "pas d'envoi en tête": (lambda ls: ls[6:], "S10.G00.00"),
}
QUARANTINED = {  # case -> (edit, words of the reason)
    "date de naissance impossible": (lambda ls: _set(ls, "S21.G00.30.006", "30021980", 1), "S21.G00.30.006"),
    "date de début illisible": (lambda ls: _set(ls, "S21.G00.40.001", "1A012010", 1), "S21.G00.40.001"),
    "nature de contrat inconnue": (lambda ls: _set(ls, "S21.G00.40.007", "77", 1), "liste des codes"),
    "statut d'emploi inconnu": (lambda ls: _set(ls, "S21.G00.40.026", "05", 1), "S21.G00.40.026"),
    "statut d'emploi hors FPT": (lambda ls: _set(ls, "S21.G00.40.026", "03", 1), "pas un agent"),
    "sexe inconnu": (lambda ls: _set(ls, "S21.G00.30.005", "03", 1), "S21.G00.30.005"),
    "motif de rupture inconnu": (lambda ls: _total(_insert(ls, "S21.G00.50.001", [
        "S21.G00.62.001,'15122025'", "S21.G00.62.002,'777'"], 1)), "S21.G00.62.002"),
    "motif de suspension inconnu": (lambda ls: _total(_insert(ls, "S21.G00.50.001", [
        "S21.G00.65.001,'123'", "S21.G00.65.002,'01122025'"], 1)), "S21.G00.65.001"),
    "fin de contrat sans contrat": (lambda ls: _total(_insert(ls, "S21.G00.40.001", [
        "S21.G00.62.001,'15122025'", "S21.G00.62.002,'059'"], 1)), "sans son bloc parent"),
    "ligne mal formée": (lambda ls: _total(_insert(ls, "S21.G00.40.001", ["S21.G00.30.0XX,'1'"], 1)), "mal formée"),
    "ligne de plus de 256 caractères": (lambda ls: _set(ls, "S21.G00.40.006", "Agent " * 50, 1), "caractères"),
    "bloc inconnu": (lambda ls: _total(_insert(ls, "S21.G00.50.001", ["S21.G00.99.001,'1'"], 1)), "bloc inconnu"),
    "ordre des blocs": (lambda ls: _total(_insert(ls, "S21.G00.40.001", ["S21.G00.50.001,'31122025'"], 1)),
                        "ordre des blocs"),
    "ni matricule ni NIR": (lambda ls: _total([x for k, x in enumerate(ls) if k not in (
        _at(ls, "S21.G00.30.001", 1), _at(ls, "S21.G00.30.019", 1))]), "ni matricule"),
    "fin antérieure au début": (lambda ls: _total(_insert(ls, "S21.G00.50.001", [
        "S21.G00.62.001,'01011990'", "S21.G00.62.002,'059'"], 1)), "antérieure"),
    "individu en double": (lambda ls: _total(ls[:_second_individu(ls)] + ls[_at(ls, "S21.G00.30.001", 1):
                                                                              _at(ls, "S21.G00.30.001", 2)]
                                            + ls[_second_individu(ls):]), "en double"),
}


def _bytes(lines) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_broken_file_is_refused_whole(case, base, tmp_path):
    lines, _ = base
    edit, words = REFUSED[case]
    eng = _engine(tmp_path, "r.db")
    with pytest.raises(ExtractRejected, match=words) as err:
        import_extract(_bytes(edit(lines)), name="dsn_202512.dsn", engine=eng, key=KEY)
    assert "dsn_202512.dsn" in str(err.value)
    assert _count(eng, db.Extract) == _count(eng, db.AgentSnapshot) == 0


@pytest.mark.parametrize("case", list(QUARANTINED))
def test_a_faulty_agent_is_quarantined_with_its_line(case, base, tmp_path):
    lines, _ = base
    edit, words = QUARANTINED[case]
    eng = _engine(tmp_path, "q.db")
    data = _bytes(edit(lines))
    r = import_extract(data, name="dsn_202512.dsn", engine=eng, key=KEY)
    individus = data.count(b"\nS21.G00.30.") and r.report["dsn"]["individus_declares"]
    assert r.rows_quarantined == 1, r.quarantine
    assert r.rows_read == r.rows_stored + r.rows_quarantined == individus - r.report["dsn"]["sortis_dans_le_mois"]
    assert _count(eng, db.AgentSnapshot) == r.rows_stored and _count(eng, db.QuarantinedRow) == 1
    line, reason = r.quarantine.iloc[0]
    assert words in reason and line > 1, reason
    if case != "individu en double":  # the pipeline's own check names the row by its line only
        assert "ligne" in reason and "dsn_202512.dsn" in reason and "rubrique" in reason, reason


def test_wrong_encoding_and_a_month_declared_twice_exit_2(base, tmp_path, monkeypatch):
    lines, _ = base
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    utf8 = tmp_path / "utf8.dsn"
    utf8.write_bytes(("\r\n".join(_set(lines, "S21.G00.40.006", "Agent d'entretien été")) + "\r\n").encode("utf-8"))
    out = CliRunner().invoke(app, ["import", str(utf8)])
    assert out.exit_code == 2 and "UTF-8" in out.output
    twice = tmp_path / "lot"
    twice.mkdir()
    (twice / "a.dsn").write_bytes(_bytes(lines))
    (twice / "b.dsn").write_bytes(_bytes(_set(lines, "S20.G00.05.004", "2")))
    out = CliRunner().invoke(app, ["import", str(twice)])
    assert out.exit_code == 2 and "deuxième fois" in " ".join(out.output.split())
    eng = db.make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    db.init_db(eng)
    assert _count(eng, db.AgentSnapshot) == _count(eng, db.Extract) == 0


def test_replacement_cancellation_and_a_cancelled_end(base, tmp_path):
    lines, _ = base
    eng = _engine(tmp_path, "v.db")
    d = tmp_path / "lot"
    d.mkdir()
    (d / "a.dsn").write_bytes(_bytes(lines))
    # 03 annule et remplace: the second file's agents replace the first's; its second agent's end is cancelled (099)
    ended = _total(_insert(lines, "S21.G00.50.001", ["S21.G00.62.001,'15122025'", "S21.G00.62.002,'059'",
                                                     "S21.G00.62.001,'15122025'", "S21.G00.62.002,'099'"], 1))
    (d / "b.dsn").write_bytes(_bytes(_set(ended, "S20.G00.05.002", "03")))
    r = import_dsn(d, engine=eng, key=KEY)[-1]
    assert r.rows_stored == 5 and r.report["dsn"]["sortis_dans_le_mois"] == 0
    # without the 099 the agent has left in the month: a departure told, not a row
    left = _total(_insert(lines, "S21.G00.50.001", ["S21.G00.62.001,'15122025'", "S21.G00.62.002,'059'"], 1))
    r = import_extract(_bytes(left), name="x.dsn", engine=_engine(tmp_path, "w.db"), key=KEY)
    assert r.rows_stored == 4 and r.report["dsn"]["sortis_dans_le_mois"] == 1
    assert r.report["dsn"]["individus_declares"] == r.rows_read + 1


def test_an_agent_missing_a_month_is_carried_not_gone(small_synth, tmp_path):
    frames = dsn_frames(small_synth, 3)
    direction = frames[0][1][C.DIRECTION].iloc[0]
    keep = frames[0][1].loc[frames[0][1][C.DIRECTION] == direction, C.AGENT_ID].head(6)
    d = tmp_path / "lot"
    d.mkdir()
    for i, (end, snap, _) in enumerate(frames):
        snap = snap[snap[C.AGENT_ID].isin(keep)]
        if i == 1:
            snap = snap[snap[C.AGENT_ID] != keep.iloc[0]]  # not declared in the middle month
        (d / f"m{i}.dsn").write_bytes(write_month(end, snap, snap.iloc[:0], {direction: "00001"}))
    eng = _engine(tmp_path, "c.db")
    results = import_dsn(d, engine=eng, key=KEY)
    assert [r.report["dsn"]["reportes"] for r in results] == [0, 1, 0]
    assert results[1].rows_read == results[1].rows_stored == len(keep)
    moves = table(eng, db.Movement)
    assert pseudonymise([keep.iloc[0]], KEY)[0] not in set(moves["agent_id"])
    assert np.isin(pseudonymise([keep.iloc[0]], KEY), table(eng, db.AgentSnapshot)["agent_id"]).all()
