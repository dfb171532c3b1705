"""The import itself: read -> map columns -> parse -> pseudonymise -> validate -> store, in one transaction.

`import_extract` is what `workforce import` and the app call. A file refused as a whole raises
`ExtractRejected` before anything is written; row-level faults go to the quarantine table with the raw
row (personal columns already dropped, matricule already pseudonymised) and every reason. Always:
rows_read = rows_stored + rows_quarantined. The same bytes imported twice are a no-op (sha256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from workforce import db
from workforce.config import secret_key
from workforce.ingest import columns as C
from workforce.ingest.mapping import Mapping, apply_mapping, header_score, load_mapping
from workforce.ingest.movements import derive_movements
from workforce.ingest.parse import parse, parse_dates
from workforce.ingest.quality import headcount_by_direction, missing_counts, reason_counts, suspicious_values
from workforce.ingest.read import ExtractRejected, RawTable, _no_gc, read_table
from workforce.ingest.validate import check_metiers, require_columns, require_values, split_rows
from workforce.privacy import pseudonymise

KIND = "import"
MAX_BYTES = 2_000_000_000
Progress = Callable[[str], None]

_NAME_DATES = (  # (pattern in the file name, groups -> date); first match wins
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])[-_.](0[1-9]|1[0-2])[-_.]((?:19|20)\d{2})(?!\d)"), "dmy"),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])(?!\d)"), "ym"),
)
_TEXT_DATE = re.compile(r"(?<!\d)(\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{2}-\d{2})(?!\d)")


@dataclass
class ImportResult:
    """What one import did. `report` is the quality report stored in `extracts.report`."""

    source: str
    sha256: str
    extract_id: int | None
    extract_date: dt.date | None
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    already_imported: bool = False
    report: dict = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None  # line, reasons (for the terminal)


# ------------------------------------------------------------------------------------------ extract date

def _parse_user_date(value, what: str) -> pd.Timestamp:
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt))
        except ValueError:
            pass
    raise ExtractRejected(f"{what} « {text} » : date attendue au format AAAA-MM-JJ (ou JJ/MM/AAAA).")


def date_from_name(name: str) -> pd.Timestamp | None:
    """`extraction_2025-06-30.csv` -> 2025-06-30; `EXTRACT_202506.csv` -> 2025-06-30 (end of month)."""
    stem = Path(name).name
    for pattern, kind in _NAME_DATES:
        m = pattern.search(stem)
        if not m:
            continue
        try:
            if kind == "ymd":
                return pd.Timestamp(int(m[1]), int(m[2]), int(m[3]))
            if kind == "dmy":
                return pd.Timestamp(int(m[3]), int(m[2]), int(m[1]))
            return pd.Timestamp(int(m[1]), int(m[2]), 1) + pd.offsets.MonthEnd(0)
        except ValueError:
            continue
    return None


def resolve_extract_date(date, text: pd.DataFrame, used: dict[str, str], table: RawTable) -> tuple[pd.Timestamp, str]:
    """The extract date and where it came from: --date, a date column, a title line, the file name."""
    name = table.name
    if date is not None and str(date).strip():
        return _parse_user_date(date, "--date"), "option --date"
    if C.EXTRACT_DATE in text:
        col = text[C.EXTRACT_DATE]
        parsed, bad = parse_dates(col, pd.Timestamp.today())
        if bad.any():
            line = int(table.line[np.flatnonzero(bad.to_numpy())[0]])
            raise ExtractRejected(f"{name}, ligne {line}, colonne « {used[C.EXTRACT_DATE]} » : date d'extraction "
                                  f"illisible « {col[bad].iloc[0]} ». Corrigez-la ou donnez --date AAAA-MM-JJ.")
        distinct = parsed.dropna().unique()
        if len(distinct) == 1:
            return pd.Timestamp(distinct[0]), f"colonne « {used[C.EXTRACT_DATE]} »"
        if len(distinct) > 1:
            shown = ", ".join(str(pd.Timestamp(d).date()) for d in sorted(distinct)[:5])
            raise ExtractRejected(f"{name}, colonne « {used[C.EXTRACT_DATE]} » : plusieurs dates d'extraction "
                                  f"({shown}) ; une extraction est une photo à une date : donnez --date AAAA-MM-JJ.")
    for line in table.preamble:
        m = _TEXT_DATE.search(line)
        if m:
            d, bad = parse_dates(pd.Series([m[1]], dtype="string"), pd.Timestamp.today())
            if not bad.iloc[0] and pd.notna(d.iloc[0]):
                return pd.Timestamp(d.iloc[0]), f"ligne de titre « {line[:80]} »"
    found = date_from_name(name)
    if found is not None:
        return found, "nom du fichier"
    raise ExtractRejected(f"{name} : date d'extraction introuvable (ni --date, ni colonne « Date d'extraction », "
                          "ni date dans le nom du fichier comme extraction_2025-06-30.csv). "
                          "Relancez avec --date AAAA-MM-JJ.")


# ------------------------------------------------------------------------------------------ referential

def referential_metiers(conn) -> pd.DataFrame:
    """Code and label of the employer's métiers: the `metiers` table when filled, else the built-in one."""
    rows = db.read_frame(conn, select(db.Metier.code, db.Metier.label, db.Metier.source))
    local = rows[rows["source"] != "rome"]
    if len(local):
        return local[["code", "label"]].reset_index(drop=True)
    from workforce.referential import load_builtin

    return load_builtin().metiers[["code", "label"]].astype(str).reset_index(drop=True)


# ------------------------------------------------------------------------------------------ preparing

@dataclass
class Prepared:
    """Everything computed before the transaction (nothing written yet)."""

    table: RawTable
    mapping: Mapping
    used: dict[str, str]
    dropped: list[str]
    extract_date: pd.Timestamp
    date_source: str
    snapshots: pd.DataFrame  # typed valid rows, pseudonymised, with extra JSON
    stored_lines: np.ndarray
    quarantine: pd.DataFrame  # row_number, raw, reasons
    why: pd.Series
    text: pd.DataFrame
    matches: list[dict]
    quotite_zero: np.ndarray
    extra_columns: list[str]
    quarantined_ids: list[str]  # pseudonyms of the quarantined rows (they are not departures)


def _noop(_: str) -> None:
    pass


def prepare(data: bytes, name: str, *, date=None, mapping: str | Path | None = None, key: bytes | None = None,
            metiers: pd.DataFrame | None = None, engine: Engine | None = None,
            progress: Progress = _noop) -> Prepared:
    """Read, map, parse, pseudonymise and validate one file; raises ExtractRejected when refused whole."""
    mp = load_mapping(mapping)
    progress("lecture du fichier")
    table = read_table(data, name, header_score(mp))
    progress("correspondance des colonnes")
    mapped = apply_mapping(table, mp)
    require_columns(mapped.used, table.columns, name)
    require_values(mapped.text, mapped.used, name)
    extract_date, date_source = resolve_extract_date(date, mapped.text, mapped.used, table)
    progress("lecture des valeurs")
    typed, cell_reasons = parse(mapped.text, mp, extract_date)
    typed[C.EXTRACT_DATE] = pd.Series(extract_date, index=typed.index).astype("datetime64[ns]")
    key = key if key is not None else secret_key()
    ids = typed[C.AGENT_ID]
    pseudo = pd.Series(pd.NA, index=ids.index, dtype="string")
    has_id = ids.notna().to_numpy()
    if has_id.any():
        pseudo[has_id] = pseudonymise(ids[has_id].to_numpy(), key)
    typed[C.AGENT_ID] = pseudo
    raw_text = mapped.text.copy()
    raw_text[C.AGENT_ID] = pseudo
    progress("contrôle des lignes")
    if metiers is None:
        engine = engine or db.make_engine()
        db.init_db(engine)
        with engine.connect() as conn:
            metiers = referential_metiers(conn)
    check = check_metiers(typed, metiers, mapped.used)
    valid, why = split_rows(typed, raw_text, cell_reasons, mapped.shape, check, mapped.used)
    lines = pd.Series(table.line, index=typed.index)
    # quarantine: the raw row as read (personal columns gone, matricule replaced by its pseudonym)
    bad_idx = why.index.to_numpy()
    raw_cols = [c for c in table.columns if c not in mapped.dropped_personal]
    raw_rows = table.rows.loc[bad_idx, raw_cols].copy()
    if C.AGENT_ID in mapped.used:
        raw_rows[mapped.used[C.AGENT_ID]] = pseudo[bad_idx].fillna("").to_numpy()
    quarantine = pd.DataFrame({"row_number": lines[bad_idx].to_numpy(), "raw": raw_rows.to_dict(orient="records"),
                               "reasons": why.to_numpy()})
    extra_cols = list(mapped.extra.columns)
    snapshots = valid.copy()
    if extra_cols:
        snapshots[C.EXTRA] = mapped.extra.loc[valid.index].to_dict(orient="records")
    else:
        snapshots[C.EXTRA] = None
    quotite_zero = (typed[C.QUOTITE] == 0).to_numpy()
    return Prepared(table=table, mapping=mp, used=mapped.used, dropped=mapped.dropped_personal,
                    extract_date=extract_date, date_source=date_source, snapshots=snapshots,
                    stored_lines=lines[valid.index].to_numpy(), quarantine=quarantine, why=why, text=mapped.text,
                    matches=check.matches, quotite_zero=quotite_zero, extra_columns=extra_cols,
                    quarantined_ids=sorted(set(pseudo[bad_idx].dropna())))


# ------------------------------------------------------------------------------------------ storing

_SNAPSHOT_READ = [db.AgentSnapshot.agent_id, db.AgentSnapshot.metier_code, db.AgentSnapshot.direction,
                  db.AgentSnapshot.entry_date, db.AgentSnapshot.departure_date, db.AgentSnapshot.departure_motive]


def _snapshot_frame(conn, extract_id: int) -> pd.DataFrame:
    return db.read_frame(conn, select(*_SNAPSHOT_READ).where(db.AgentSnapshot.extract_id == extract_id))


def _quarantined_ids(conn, extract: db.Extract) -> list[str]:
    """Pseudonyms of the rows an earlier import quarantined (read back from their raw JSON)."""
    header = ((extract.report or {}).get("colonnes", {}).get("correspondance", {}) or {}).get(C.AGENT_ID)
    if not header:
        return []
    raw = db.read_frame(conn, select(db.QuarantinedRow.raw).where(db.QuarantinedRow.extract_id == extract.id))["raw"]
    raw = raw.map(lambda r: json.loads(r) if isinstance(r, str) else r)  # once per quarantined row (few)
    return sorted({r.get(header) for r in raw if isinstance(r, dict) and r.get(header)})


def _neighbours(session, extract_date: dt.date) -> tuple[db.Extract | None, db.Extract | None]:
    prev = session.execute(select(db.Extract).where(db.Extract.kind == KIND, db.Extract.extract_date < extract_date)
                           .order_by(db.Extract.extract_date.desc()).limit(1)).scalar_one_or_none()
    nxt = session.execute(select(db.Extract).where(db.Extract.kind == KIND, db.Extract.extract_date > extract_date)
                          .order_by(db.Extract.extract_date.asc()).limit(1)).scalar_one_or_none()
    return prev, nxt


def _delete_extract(session, extract_id: int) -> None:
    for table in (db.Movement, db.QuarantinedRow, db.AgentSnapshot):
        session.execute(delete(table).where(table.extract_id == extract_id))
    session.execute(delete(db.Extract).where(db.Extract.id == extract_id))


def _movement_counts(moves: pd.DataFrame) -> dict[str, int]:
    counts = moves["kind"].value_counts() if len(moves) else pd.Series(dtype=int)
    return {k: int(counts.get(k, 0)) for k in (C.ARRIVAL, C.DEPARTURE, C.INTERNAL)}


def build_report(p: Prepared, *, sha: str, rows_read: int, movements: pd.DataFrame | None,
                 previous_date: dt.date | None, previous_heads: pd.Series | None) -> dict:
    t = p.table
    stored = p.snapshots
    lines = pd.Series(t.line, index=p.text.index)
    mapped_cols = set(p.used)
    return {
        "fichier": {"nom": t.name, "sha256": sha, "format": t.file_format, "encodage": t.encoding,
                    "separateur": {";": ";", ",": ",", "\t": "tabulation", "|": "|"}.get(t.delimiter or "", None),
                    "ligne_entete": t.header_line, "correspondance": p.mapping.name,
                    "source_date": p.date_source},
        "date_extraction": str(p.extract_date.date()),
        "lignes": {"lues": rows_read, "enregistrees": int(len(stored)), "quarantaine": int(len(p.quarantine))},
        "avertissements": list(t.warnings),
        "colonnes": {"correspondance": {c: h for c, h in p.used.items()}, "annexes": p.extra_columns,
                     "personnelles_supprimees": p.dropped,
                     "absentes": [c for c in (*C.CANONICAL, C.EXTRACT_DATE)
                                  if c not in mapped_cols and c not in (C.METIER_CODE, C.METIER_LABEL)]
                     + [c for c in (C.METIER_CODE, C.METIER_LABEL) if c not in mapped_cols]},
        "quarantaine": reason_counts(p.why, lines),
        "valeurs_manquantes": missing_counts(p.text, p.used),
        "valeurs_suspectes": suspicious_values(stored, p.stored_lines, p.quotite_zero, t.line, p.extract_date),
        "metiers_rapproches": p.matches,
        "extraction_precedente": str(previous_date) if previous_date else None,
        "mouvements": _movement_counts(movements) if movements is not None else None,
        "effectifs_par_direction": headcount_by_direction(stored[C.DIRECTION].value_counts().sort_index(),
                                                          previous_heads),
    }


def store(engine: Engine, p: Prepared, *, sha: str, source: str, replace: bool = False,
          progress: Progress = _noop) -> ImportResult:
    """Write the prepared extract, its quarantine and movements in one transaction."""
    d = p.extract_date.date()
    rows_read = len(p.table.rows)
    with db.session_scope(engine) as session:
        again = session.execute(select(db.Extract).where(db.Extract.sha256 == sha)).scalar_one_or_none()
        if again is not None:
            return _already(again, source)
        same = session.execute(select(db.Extract).where(db.Extract.kind == KIND, db.Extract.extract_date == d)) \
            .scalars().all()
        if same and not replace:
            raise ExtractRejected(f"{p.table.name} : une extraction du {d} est déjà importée ({same[0].source}, "
                                  f"le {same[0].imported_at:%d/%m/%Y %H:%M}). Relancez avec --remplacer pour la "
                                  "remplacer par ce fichier.")
        for old in same:
            _delete_extract(session, old.id)
        extract = db.Extract(extract_date=d, source=source, kind=KIND, sha256=sha, rows_read=rows_read,
                             rows_stored=len(p.snapshots), rows_quarantined=len(p.quarantine), mapping=p.mapping.name)
        session.add(extract)
        session.flush()
        progress("enregistrement des agents")
        snaps = p.snapshots.assign(extract_id=extract.id)
        with _no_gc():  # one tuple per row: see read._no_gc
            db.bulk_insert(session, db.AgentSnapshot, snaps)
        if len(p.quarantine):
            db.bulk_insert(session, db.QuarantinedRow, p.quarantine.assign(extract_id=extract.id))
        progress("calcul des mouvements")
        conn = session.connection()
        prev, nxt = _neighbours(session, d)
        moves = None
        prev_heads = None
        if prev is not None:
            before = _snapshot_frame(conn, prev.id)
            moves = derive_movements(before, snaps, prev.extract_date, d,
                                     quarantined_before=_quarantined_ids(conn, prev),
                                     quarantined_after=p.quarantined_ids)
            db.bulk_insert(session, db.Movement, moves.assign(extract_id=extract.id))
            prev_heads = before[C.DIRECTION].value_counts().sort_index()
        if nxt is not None:  # history backfill: the next extract's movements now start from this one
            session.execute(delete(db.Movement).where(db.Movement.extract_id == nxt.id))
            after = _snapshot_frame(conn, nxt.id)
            later = derive_movements(snaps, after, d, nxt.extract_date, quarantined_before=p.quarantined_ids,
                                     quarantined_after=_quarantined_ids(conn, nxt))
            db.bulk_insert(session, db.Movement, later.assign(extract_id=nxt.id))
            if nxt.report:
                nxt.report = {**nxt.report, "extraction_precedente": str(d), "mouvements": _movement_counts(later)}
        progress("rapport de qualité")
        report = build_report(p, sha=sha, rows_read=rows_read, movements=moves,
                              previous_date=prev.extract_date if prev else None, previous_heads=prev_heads)
        extract.report = report
        db.audit(session, "import", {"extract_id": extract.id, "extract_date": str(d), "source": source,
                                     "sha256": sha, "rows_read": rows_read, "rows_stored": len(p.snapshots),
                                     "rows_quarantined": len(p.quarantine), "replaced": [o.id for o in same]})
        extract_id = extract.id
    quarantine = pd.DataFrame({"line": p.quarantine["row_number"], "reasons": p.quarantine["reasons"]})
    return ImportResult(source=source, sha256=sha, extract_id=extract_id, extract_date=d, rows_read=rows_read,
                        rows_stored=len(p.snapshots), rows_quarantined=len(p.quarantine), report=report,
                        quarantine=quarantine)


def _already(extract: db.Extract, source: str) -> ImportResult:
    return ImportResult(source=source, sha256=extract.sha256, extract_id=extract.id,
                        extract_date=extract.extract_date, rows_read=extract.rows_read,
                        rows_stored=extract.rows_stored, rows_quarantined=extract.rows_quarantined,
                        already_imported=True, report=extract.report or {})


# ------------------------------------------------------------------------------------------ entry point

def read_source(source: str | Path | bytes, name: str | None = None) -> tuple[bytes, str]:
    """The bytes and the display name of a path or of uploaded bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "extraction"
    path = Path(source)
    if not path.exists():
        raise ExtractRejected(f"{path} : fichier introuvable.")
    if not path.is_file():
        raise ExtractRejected(f"{path} : ce n'est pas un fichier.")
    if path.stat().st_size > MAX_BYTES:
        raise ExtractRejected(f"{path} : fichier de plus de {MAX_BYTES // 10**9} Go ; découpez l'extraction.")
    try:
        return path.read_bytes(), name or path.name
    except OSError as err:
        raise ExtractRejected(f"{path} : lecture impossible ({err.strerror}).") from err


def import_extract(source: str | Path | bytes, *, engine: Engine | None = None, date=None,
                   mapping: str | Path | None = None, name: str | None = None, replace: bool = False,
                   key: bytes | None = None, progress: Progress = _noop) -> ImportResult:
    """Import one HR extract (CSV or XLSX, path or bytes) into the database.

    Parameters
    ----------
    source : path of the file, or its bytes (then `name` is the file name, used for the date and messages)
    date : extract date (YYYY-MM-DD); else a date column, a title line or the file name gives it
    mapping : preset (auto, sirh, canonical) or a YAML mapping file; default auto
    replace : replace an extract already imported at the same date (otherwise refused)
    key : pseudonymisation key (default: configuration, never printed)

    Raises ExtractRejected (French message naming file, row and column) when the file is refused whole.
    """
    data, display = read_source(source, name)
    source_name = str(source) if not isinstance(source, (bytes, bytearray, memoryview)) else display
    sha = hashlib.sha256(data).hexdigest()
    engine = engine or db.make_engine()
    db.init_db(engine)
    with db.session_scope(engine) as session:
        again = session.execute(select(db.Extract).where(db.Extract.sha256 == sha)).scalar_one_or_none()
        if again is not None:
            return _already(again, source_name)
    p = prepare(data, display, date=date, mapping=mapping, key=key, engine=engine, progress=progress)
    return store(engine, p, sha=sha, source=source_name, replace=replace, progress=progress)


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
            d = _parse_user_date(which, "extraction").date()
            stmt = stmt.where(db.Extract.extract_date == d).order_by(db.Extract.id.desc())
        return session.execute(stmt.limit(1)).scalar_one_or_none()


def quality_report(engine: Engine | None = None, which: str | None = None) -> dict | None:
    """The stored quality report of an extract (by date or id; default the newest import), or None."""
    engine = engine or db.make_engine()
    db.init_db(engine)
    extract = find_extract(engine, which)
    return None if extract is None else (extract.report or {})


def count_imports(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(db.Extract).where(db.Extract.kind == KIND)).scalar_one()
