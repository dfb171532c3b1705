"""The synthetic département into the database (replacing any earlier one) and its truth into ``truth.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select

from workforce import db
from workforce.referential import load_builtin, store_referential
from workforce.synth.params import SyntheticDepartement


def store(sd: SyntheticDepartement, engine, truth_dir: Path | None = None) -> dict[str, int]:
    """Replace the synthetic history in the database (one transaction) and write the truth beside it."""
    db.init_db(engine)
    with db.session_scope(engine) as session:
        store_referential(session, load_builtin())
        old = select(db.Extract.id).where(db.Extract.kind == "synthetic")
        session.execute(delete(db.Movement).where(db.Movement.extract_id.in_(old)))
        session.execute(delete(db.AgentSnapshot).where(db.AgentSnapshot.extract_id.in_(old)))
        session.execute(delete(db.AgentSkill).where(db.AgentSkill.agent_id.like("SYN%")))
        session.execute(delete(db.Extract).where(db.Extract.kind == "synthetic"))
        counts = sd.snapshots.groupby("extract_date").size()
        extracts = pd.DataFrame({
            "extract_date": counts.index, "source": f"synthetic seed={sd.params.seed}", "kind": "synthetic",
            "rows_read": counts.to_numpy(), "rows_stored": counts.to_numpy(), "rows_quarantined": 0,
            "imported_at": pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
        })
        db.bulk_insert(session, db.Extract, extracts)
        ids = db.read_frame(session.connection(), select(db.Extract.id, db.Extract.extract_date)
                            .where(db.Extract.kind == "synthetic"))
        by_date = pd.Series(ids["id"].to_numpy(), index=pd.to_datetime(ids["extract_date"]))
        snaps = sd.snapshots.assign(extract_id=pd.to_datetime(sd.snapshots["extract_date"]).map(by_date))
        n_snap = db.bulk_insert(session, db.AgentSnapshot, snaps)
        # a movement belongs to the extract of its month
        month_end = pd.to_datetime(sd.movements["movement_date"]) + pd.offsets.MonthEnd(0)
        n_mov = db.bulk_insert(session, db.Movement, sd.movements.assign(extract_id=month_end.map(by_date)))
        n_sk = db.bulk_insert(session, db.AgentSkill, sd.agent_skills)
        db.audit(session, "synth", {"seed": sd.params.seed, "agents": sd.params.n_agents, "years": sd.params.years})
    if truth_dir is not None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        (truth_dir / "truth.json").write_text(json.dumps(sd.truth, indent=2, ensure_ascii=False, default=str))
    return {"extracts": len(extracts), "agent_snapshots": n_snap, "movements": n_mov, "agent_skills": n_sk}
