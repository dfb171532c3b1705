"""Round trip: the synthetic département's last snapshot, written as a French SIRH extract (semicolon,
Windows-1252, French headers and labels), imports back to the same snapshot, pseudonyms aside; and two
consecutive snapshots give back the synthetic movements between them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce import db
from workforce.ingest import columns as C
from workforce.ingest.sample import write_sirh
from workforce.privacy import pseudonymise

from tests.ingest.helpers import KEY, assert_accounted, run, table

COMPARED = [c for c in C.CANONICAL if c != C.AGENT_ID]


def _snapshot(sd, which: int) -> tuple[pd.Timestamp, pd.DataFrame]:
    s = sd.snapshots
    date = sorted(s["extract_date"].unique())[which]
    return pd.Timestamp(date), s[s["extract_date"] == date].reset_index(drop=True)


def _impossible_ps_entry(snap: pd.DataFrame) -> pd.Series:
    """Rows the import must refuse: entry into the public service before 15 (a synth artefact, if any)."""
    age = (pd.to_datetime(snap[C.PS_ENTRY_DATE]) - pd.to_datetime(snap[C.BIRTH_DATE])).dt.days / 365.25
    return age < C.MIN_AGE


def test_sirh_extract_of_the_synthetic_departement_imports_back(engine, small_synth):
    date, snap = _snapshot(small_synth, -1)
    result = run(engine, write_sirh(snap), f"extraction_{date.date()}.csv", mapping="sirh")
    assert_accounted(engine, result)
    refused = _impossible_ps_entry(snap)
    assert result.rows_quarantined == int(refused.sum())
    assert result.rows_read == len(snap) and result.report["fichier"]["encodage"] == "cp1252"
    expected = snap[~refused].assign(agent_id=lambda f: pseudonymise(f[C.AGENT_ID], KEY))
    got = table(engine, db.AgentSnapshot)
    assert sorted(got["agent_id"]) == sorted(expected["agent_id"])
    got = got.set_index("agent_id").loc[expected["agent_id"]].reset_index()
    for col in COMPARED:
        if col not in expected:
            assert got[col].isna().all(), col
            continue
        a, b = expected[col].reset_index(drop=True), got[col].reset_index(drop=True)
        if col in C.DATE_COLUMNS:
            da, db_ = pd.to_datetime(a), pd.to_datetime(b)
            assert ((da == db_) | (da.isna() & db_.isna())).all(), col
        elif col in (C.QUOTITE, C.ACTIVE_YEARS):
            assert np.allclose(a.astype(float), b.astype(float), atol=1e-4, equal_nan=True), col
        elif col in C.INT_COLUMNS:
            assert (a.astype("Int64") == b.astype("Int64")).all(), col
        else:
            assert (a.astype("string").fillna("") == b.astype("string").fillna("")).all(), col
    assert pd.to_datetime(got["extract_date"]).eq(date).all()


def test_consecutive_synthetic_snapshots_give_back_their_movements(engine, small_synth):
    (d0, s0), (d1, s1) = _snapshot(small_synth, -2), _snapshot(small_synth, -1)
    # keep only rows both imports accept, so that no agent looks absent for a data fault
    s0, s1 = s0[~_impossible_ps_entry(s0)], s1[~_impossible_ps_entry(s1)]
    run(engine, write_sirh(s0), f"extraction_{d0.date()}.csv")
    result = run(engine, write_sirh(s1), f"extraction_{d1.date()}.csv")
    got = table(engine, db.Movement)
    ids0, ids1 = set(s0[C.AGENT_ID]), set(s1[C.AGENT_ID])
    pseudo = lambda ids: set(pseudonymise(sorted(ids), KEY))  # noqa: E731
    assert set(got.query("kind == 'departure'")["agent_id"]) == pseudo(ids0 - ids1)
    assert set(got.query("kind == 'arrival'")["agent_id"]) == pseudo(ids1 - ids0)
    a = s0.set_index(C.AGENT_ID)
    b = s1.set_index(C.AGENT_ID)
    both = sorted(ids0 & ids1)
    moved = (a.loc[both, C.METIER_CODE] != b.loc[both, C.METIER_CODE]) | \
            (a.loc[both, C.DIRECTION] != b.loc[both, C.DIRECTION])
    assert set(got.query("kind == 'internal'")["agent_id"]) == pseudo(set(moved[moved].index))
    # the synthetic truth: every departure of the month of agents present at its start
    truth = small_synth.movements
    month = truth[(pd.to_datetime(truth["movement_date"]) > d0) & (pd.to_datetime(truth["movement_date"]) <= d1)]
    true_deps = set(month.query("kind == 'departure'")["agent_id"]) & ids0
    assert pseudo(true_deps) == set(got.query("kind == 'departure'")["agent_id"])
    assert result.report["mouvements"]["departure"] == len(true_deps)
