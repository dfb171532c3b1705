"""Bulk write of agent snapshots: 100,000 rows on SQLite (target under 10 s), and on PostgreSQL when
WORKFORCE_TEST_PG_URL is set. Prints figures; asserts nothing."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workforce import db  # noqa: E402


def frame(n: int, extract_id: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "extract_id": extract_id, "extract_date": pd.Timestamp("2025-12-31"),
        "agent_id": [f"{i:020x}" for i in range(n)],
        "birth_date": pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 15000, n), "D"),
        "sex": rng.choice(["F", "M"], n), "statut": "titulaire", "categorie": rng.choice(["A", "B", "C"], n),
        "filiere": "technique", "metier_code": "COL01", "metier_label": "Agent d'entretien", "direction": "DEC",
        "quotite": 1.0, "entry_date": pd.Timestamp("2010-09-01"), "service_category": "sedentaire",
        "position": "activite", "insurance_quarters": rng.integers(40, 170, n), "indice_majore": rng.integers(350, 800, n),
    })


def run(url: str, n: int = 100_000) -> None:
    engine = db.make_engine(url)
    db.drop_db(engine)
    db.init_db(engine)
    with db.session_scope(engine) as s:
        ex = db.Extract(extract_date=pd.Timestamp("2025-12-31").date(), source="bench")
        s.add(ex)
        s.flush()
        ex_id = ex.id
    f = frame(n, ex_id)
    t = time.perf_counter()
    with engine.begin() as conn:
        db.bulk_insert(conn, db.AgentSnapshot, f)
    dt = time.perf_counter() - t
    print(f"bulk_insert {n:,} agent_snapshots on {engine.dialect.name}: {dt:.2f} s ({n / dt:,.0f} rows/s)")
    db.drop_db(engine)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}")
    if os.environ.get("WORKFORCE_TEST_PG_URL"):
        run(os.environ["WORKFORCE_TEST_PG_URL"])
