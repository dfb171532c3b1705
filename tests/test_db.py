"""Schema round trip on every backend: what goes in comes back, types included."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from workforce import db
from workforce.cli import app


def _extract(session, day="2025-06-30") -> int:
    ex = db.Extract(extract_date=dt.date.fromisoformat(day), source="test.csv", sha256="a" * 64)
    session.add(ex)
    session.flush()
    return ex.id


def test_every_table_exists(engine):
    assert set(db.table_counts(engine)) == {
        "extracts", "agent_snapshots", "movements", "quarantine", "metiers", "skills", "metier_skills",
        "agent_skills", "scenarios", "model_versions", "audit_log", "rome_releases", "rome_appellations",
        "rome_links", "projection_runs", "sweeps", "sweep_results",
    }


def test_orm_round_trip(engine):
    with db.session_scope(engine) as s:
        ex_id = _extract(s)
        s.add(db.Metier(code="ROU01", label="Agent d'exploitation des routes", famille="Routes", filiere="technique",
                        categories="C", service_category="sedentaire", rome_codes="I1202"))
        s.add(db.Skill(code="123456", label="Entretenir la chaussée", kind="competence", source="rome"))
        s.flush()
        s.add(db.MetierSkill(metier_code="ROU01", skill_code="123456", level=3, from_year=2028))
        s.add(db.QuarantinedRow(extract_id=ex_id, row_number=7, raw={"Matricule": "12", "Né(e) le": "31/02/1970"},
                                reasons="birth_date: date impossible"))
        parent = db.Scenario(name="base", author="drh", params={"horizon": 10, "regime": "lfss2026"})
        s.add(parent)
        s.flush()
        s.add(db.Scenario(name="gel", parent_id=parent.id, params={"hiring_freeze_years": [2027]}))
        s.add(db.ModelVersion(name="retirement", version="20251231-1", path="models/retirement/1", sha256="b" * 64,
                              metrics={"brier": 0.031}, active=True))
        db.audit(s, "test", {"n": 1}, actor="pytest")
    with db.session_scope(engine) as s:
        ms = s.execute(select(db.MetierSkill)).scalar_one()
        assert (ms.metier_code, ms.skill_code, ms.level, ms.from_year) == ("ROU01", "123456", 3, 2028)
        q = s.execute(select(db.QuarantinedRow)).scalar_one()
        assert q.raw["Né(e) le"] == "31/02/1970" and q.row_number == 7
        child = s.execute(select(db.Scenario).where(db.Scenario.name == "gel")).scalar_one()
        assert child.parent_id is not None and child.params == {"hiring_freeze_years": [2027]}
        assert s.execute(select(db.ModelVersion.metrics)).scalar_one() == {"brier": 0.031}
        assert s.execute(select(db.AuditLog.actor)).scalar_one() == "pytest"


def test_bulk_insert_round_trip_keeps_values_and_nulls(engine):
    with db.session_scope(engine) as s:
        ex_id = _extract(s)
    n = 2_500
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "extract_id": ex_id, "extract_date": pd.Timestamp("2025-06-30"),
        "agent_id": [f"{i:020x}" for i in range(n)],
        "birth_date": pd.Timestamp("1965-01-01") + pd.to_timedelta(rng.integers(0, 10000, n), "D"),
        "sex": rng.choice(["F", "M"], n), "statut": "titulaire", "categorie": rng.choice(["A", "B", "C"], n),
        "metier_code": "ROU01", "direction": "DRM", "quotite": rng.choice([0.5, 0.8, 1.0], n),
        "entry_date": pd.Series(pd.to_datetime(["2001-09-01", None] * (n // 2))),
        "indice_majore": np.where(np.arange(n) % 3 == 0, np.nan, 412.0),
        "extra": [{"Code poste": f"P{i}"} if i % 2 else None for i in range(n)],
    })
    with engine.begin() as conn:
        assert db.bulk_insert(conn, db.AgentSnapshot, frame, chunk=1000) == n
    back = db.read_frame(engine, select(db.AgentSnapshot).order_by(db.AgentSnapshot.agent_id))
    assert len(back) == n
    assert (pd.to_datetime(back["birth_date"]) == frame["birth_date"]).all()
    assert back["entry_date"].isna().sum() == n // 2
    assert back["indice_majore"].isna().sum() == (np.arange(n) % 3 == 0).sum()
    assert (back["quotite"].to_numpy() == frame["quotite"].to_numpy()).all()
    assert (back["service_category"] == "sedentaire").all()  # column default applied in bulk too
    assert back.loc[1, "extra"] == {"Code poste": "P1"} and back.loc[0, "extra"] is None


def test_bulk_insert_is_rolled_back_with_its_transaction(engine):
    with db.session_scope(engine) as s:
        ex_id = _extract(s)
    frame = pd.DataFrame({"extract_id": ex_id, "extract_date": pd.Timestamp("2025-06-30"),
                          "agent_id": ["x", "x"], "birth_date": pd.Timestamp("1970-01-01"), "statut": "titulaire",
                          "categorie": "C", "metier_code": "M", "direction": "D"})
    with pytest.raises(Exception):
        with db.session_scope(engine) as s:
            db.bulk_insert(s, db.AgentSnapshot, frame)  # duplicate agent in one extract: refused
    assert db.table_counts(engine)["agent_snapshots"] == 0


# ------------------------------------------------------------------ an unreachable database, on every command

DOWN_PG = "postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "extraction_sirh_2025-06-30.csv"
COMMANDS = {
    "train": ["train"],
    "project": ["project"],
    "models list": ["models", "list"],
    "db stats": ["db", "stats"],
    "import": ["import", str(SAMPLE), "--mapping", "sirh"],
}


def _unwritable_sqlite(tmp_path) -> str:
    """A SQLite file nobody can open, even root: its path is a folder."""
    (tmp_path / "a-folder.db").mkdir()
    return f"sqlite:///{tmp_path / 'a-folder.db'}"


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_unreachable_database_is_one_french_line_exit_1(command, backend, tmp_path, monkeypatch):
    url = DOWN_PG if backend == "postgresql" else _unwritable_sqlite(tmp_path)
    monkeypatch.setenv("WORKFORCE_DB_URL", url)
    res = CliRunner().invoke(app, COMMANDS[command])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit), res.exception  # reported, not an uncaught exception
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Erreur : ") and "base de données injoignable (" in lines[0]
    assert lines[0].endswith("Vérifiez WORKFORCE_DB_URL.")
    assert "Traceback" not in res.output and "nobody:secret" not in res.output and "secret@" not in res.output
    if backend == "postgresql":
        assert "(postgresql+psycopg://nobody@127.0.0.1:1/nothing)" in lines[0] and "refused" in lines[0]


def test_unreachable_database_through_the_console_script(tmp_path):
    """`main()` (the installed `workforce`), not only CliRunner's path: one line, no traceback, no password."""
    env = {**os.environ, "WORKFORCE_DB_URL": DOWN_PG}
    proc = subprocess.run([sys.executable, "-c", "from workforce.cli import main; main()", "models", "list"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Erreur : base de données injoignable")
    assert "Traceback" not in proc.stderr + proc.stdout and "secret@" not in proc.stderr + proc.stdout
