"""The extracts in the database: find, list and delete them, and the history helpers the import shares
(the snapshot before a date, the movements between two extracts computed again when the history changes).

Deleting an extract is how a mistyped date is corrected: its rows go, and the next extract's movements are
computed again from the extract that now precedes it. Every deletion is audited.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from workforce import db
from workforce.ingest import columns as C
from workforce.ingest.errors import ExtractRejected
from workforce.ingest.movements import derive_movements

KIND = "import"
"""`extracts.kind` of an imported HR extract (the synthetic département writes "synthetic")."""


def parse_user_date(value, what: str) -> pd.Timestamp:
    """A date the user typed (AAAA-MM-JJ or JJ/MM/AAAA); `what` names it in the message."""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt))
        except ValueError:
            pass
    raise ExtractRejected(f"{what} « {text} » : date attendue au format AAAA-MM-JJ (ou JJ/MM/AAAA).")


_SNAPSHOT_READ = [db.AgentSnapshot.agent_id, db.AgentSnapshot.metier_code, db.AgentSnapshot.direction,
                  db.AgentSnapshot.entry_date, db.AgentSnapshot.departure_date, db.AgentSnapshot.departure_motive]


def snapshot_frame(conn, extract_id: int) -> pd.DataFrame:
    return db.read_frame(conn, select(*_SNAPSHOT_READ).where(db.AgentSnapshot.extract_id == extract_id))


def quarantined_ids(conn, extract: db.Extract) -> list[str]:
    """Pseudonyms of the rows an earlier import quarantined (read back from their raw JSON)."""
    header = ((extract.report or {}).get("colonnes", {}).get("correspondance", {}) or {}).get(C.AGENT_ID)
    if not header:
        return []
    raw = db.read_frame(conn, select(db.QuarantinedRow.raw).where(db.QuarantinedRow.extract_id == extract.id))["raw"]
    raw = raw.map(lambda r: json.loads(r) if isinstance(r, str) else r)  # once per quarantined row (few)
    return sorted({r.get(header) for r in raw if isinstance(r, dict) and r.get(header)})


def neighbours(session, extract_date: dt.date) -> tuple[db.Extract | None, db.Extract | None]:
    prev = session.execute(select(db.Extract).where(db.Extract.kind == KIND, db.Extract.extract_date < extract_date)
                           .order_by(db.Extract.extract_date.desc()).limit(1)).scalar_one_or_none()
    nxt = session.execute(select(db.Extract).where(db.Extract.kind == KIND, db.Extract.extract_date > extract_date)
                          .order_by(db.Extract.extract_date.asc()).limit(1)).scalar_one_or_none()
    return prev, nxt


def delete_rows(session, extract_id: int) -> None:
    for table in (db.Movement, db.QuarantinedRow, db.AgentSnapshot):
        session.execute(delete(table).where(table.extract_id == extract_id))
    session.execute(delete(db.Extract).where(db.Extract.id == extract_id))


def movement_counts(moves: pd.DataFrame) -> dict[str, int]:
    counts = moves["kind"].value_counts() if len(moves) else pd.Series(dtype=int)
    return {k: int(counts.get(k, 0)) for k in (C.ARRIVAL, C.DEPARTURE, C.INTERNAL)}


def recompute_movements(session, extract: db.Extract, before: pd.DataFrame | None, before_date: dt.date | None,
                        quarantined_before: list[str]) -> pd.DataFrame | None:
    """Movements of `extract` again, from the snapshot frame that now precedes it (None: it is the first)."""
    session.execute(delete(db.Movement).where(db.Movement.extract_id == extract.id))
    conn = session.connection()
    if before is None:
        if extract.report:
            extract.report = {**extract.report, "extraction_precedente": None, "mouvements": None}
        return None
    after = snapshot_frame(conn, extract.id)
    moves = derive_movements(before, after, before_date, extract.extract_date, quarantined_before=quarantined_before,
                             quarantined_after=quarantined_ids(conn, extract))
    db.bulk_insert(session, db.Movement, moves.assign(extract_id=extract.id))
    if extract.report:
        extract.report = {**extract.report, "extraction_precedente": str(before_date),
                          "mouvements": movement_counts(moves)}
    return moves


# ------------------------------------------------------------------------------------------ reading back

def find_extract(engine: Engine, which: str | None = None) -> db.Extract | None:
    """An imported extract by date (YYYY-MM-DD), by id, or the newest one."""
    with db.session_scope(engine) as session:
        stmt = select(db.Extract).where(db.Extract.kind == KIND)
        if which is None or not str(which).strip():
            stmt = stmt.order_by(db.Extract.extract_date.desc(), db.Extract.id.desc())
        elif str(which).isdigit():
            stmt = select(db.Extract).where(db.Extract.id == int(which))
        else:
            d = parse_user_date(which, "extraction").date()
            stmt = stmt.where(db.Extract.extract_date == d).order_by(db.Extract.id.desc())
        return session.execute(stmt.limit(1)).scalar_one_or_none()


def quality_report(engine: Engine | None = None, which: str | None = None) -> dict | None:
    """The stored quality report of an extract (by date or id; default the newest import), or None."""
    engine = engine or db.make_engine()
    db.init_db(engine)
    extract = find_extract(engine, which)
    return None if extract is None else (extract.report or {})


def list_extracts(engine: Engine) -> pd.DataFrame:
    """Every extract, oldest first: id, date, kind, source, rows read / stored / quarantined, imported when."""
    cols = [db.Extract.id, db.Extract.extract_date, db.Extract.kind, db.Extract.source, db.Extract.rows_read,
            db.Extract.rows_stored, db.Extract.rows_quarantined, db.Extract.imported_at]
    return db.read_frame(engine, select(*cols).order_by(db.Extract.extract_date, db.Extract.id))


def delete_extract(engine: Engine, which: str, *, actor: str | None = None) -> dict:
    """Delete one imported extract (by date or id) with its snapshots, quarantine and movements; the next
    extract's movements are computed again from the extract that now precedes it. Audited.

    Raises ExtractRejected when there is no such extract.
    """
    with db.session_scope(engine) as session:
        db.lock_writes(session, KIND)
        stmt = select(db.Extract).where(db.Extract.kind == KIND)
        if str(which).isdigit():
            stmt = stmt.where(db.Extract.id == int(which))
        else:
            stmt = stmt.where(db.Extract.extract_date == parse_user_date(which, "extraction").date())
        extract = session.execute(stmt).scalar_one_or_none()
        if extract is None:
            raise ExtractRejected(f"aucune extraction importée du {which} ; workforce extract list les montre toutes.")
        d, detail = extract.extract_date, {"extract_id": extract.id, "extract_date": str(extract.extract_date),
                                           "source": extract.source, "sha256": extract.sha256,
                                           "rows_stored": extract.rows_stored}
        delete_rows(session, extract.id)
        session.flush()
        prev, nxt = neighbours(session, d)
        if nxt is not None:
            conn = session.connection()
            before = snapshot_frame(conn, prev.id) if prev is not None else None
            recompute_movements(session, nxt, before, prev.extract_date if prev else None,
                                quarantined_ids(conn, prev) if prev is not None else [])
            detail["movements_recomputed_for"] = str(nxt.extract_date)
        db.audit(session, "extract_delete", detail, actor=actor)
    return detail


def count_imports(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(db.Extract).where(db.Extract.kind == KIND)).scalar_one()
