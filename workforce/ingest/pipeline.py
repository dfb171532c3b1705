"""The import itself: read -> map columns -> parse -> pseudonymise -> validate -> store, in one transaction.

`import_extract` is what `workforce import` and the app call. A file refused as a whole raises
`ExtractRejected` before anything is written; row-level faults go to the quarantine table with the raw
row (personal columns already dropped, matricule already pseudonymised) and every reason. Always:
rows_read = rows_stored + rows_quarantined. The same bytes imported twice are a no-op (sha256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from workforce import db, privacy
from workforce.config import secret_key
from workforce.ingest import columns as C
from workforce.ingest.mapping import Mapping, apply_mapping, header_score, load_mapping, wanted_columns
from workforce.ingest.dsn import told_departures
from workforce.ingest.movements import derive_movements
from workforce.ingest.parse import near_duplicate_matricules, normalise_matricules, parse, parse_dates
from workforce.ingest.quality import headcount_by_direction, missing_counts, reason_counts, suspicious_values
from workforce.ingest.extracts import (KIND, delete_rows, movement_counts, neighbours, parse_user_date,
                                       quarantined_ids, recompute_movements, snapshot_frame)
from workforce.ingest.read import SHAPE, ExtractRejected, RawTable, no_gc, read_table
from workforce.ingest.validate import check_metiers, require_columns, require_values, split_rows, text_reasons
from workforce.privacy import pseudonymise

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
        return parse_user_date(date, "--date"), "option --date"
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


EARLIEST_EXTRACT = pd.Timestamp("1970-01-01")  # before the first SIRH: a mistyped year


def check_extract_date(extract_date: pd.Timestamp, name: str, force: bool = False) -> None:
    """Refuse an extract dated in the future (or before any SIRH existed) unless the user insists: a mistyped
    year would otherwise become the latest extract and every projection would start from it."""
    today = pd.Timestamp(dt.date.today())
    if force:
        return
    if extract_date > today:
        raise ExtractRejected(f"{name} : date d'extraction {extract_date.date()} dans le futur (aujourd'hui "
                              f"{today.date()}). Corrigez --date, ou relancez avec --force si c'est voulu.")
    if extract_date < EARLIEST_EXTRACT:
        raise ExtractRejected(f"{name} : date d'extraction {extract_date.date()} antérieure à "
                              f"{EARLIEST_EXTRACT.year} : faute de frappe ? Corrigez --date, ou relancez avec --force.")


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
    ignored: list[str]
    extract_date: pd.Timestamp
    date_source: str
    snapshots: pd.DataFrame  # typed valid rows, pseudonymised, with the kept extras as JSON
    stored_lines: np.ndarray
    quarantine: pd.DataFrame  # row_number, raw (canonical fields only), reasons
    why: pd.Series
    lines: pd.Series  # line of the file of every row read, by row label
    missing: dict[str, int]  # empty cells per mapped column
    matches: list[dict]
    quotite_zero: np.ndarray
    extra_columns: list[str]
    quarantined_ids: list[str]  # pseudonyms of the quarantined rows (they are not departures)
    raw_ids: pd.Series  # matricule as read, by pseudonym: in memory only, to warn on near-duplicates
    key: bytes
    privacy_warnings: list[str] = field(default_factory=list)
    near_duplicates: int = 0
    departures: pd.DataFrame | None = None  # DSN: leavers the file tells of (pseudonym, date, motive), not rows
    extra_report: dict = field(default_factory=dict)  # DSN: sections added to the quality report


def _noop(_: str) -> None:
    pass


QUARANTINE_CELL_CHARS = 200
"""Longest cell kept in a quarantined row: enough to see the fault, not a way to store a file in a cell."""


def _quarantine_raw(mapped, pseudo: pd.Series, bad_idx: np.ndarray) -> list[dict]:
    """The canonical cells of each quarantined row, as the file names them: matricule pseudonymised, personal
    data redacted, long cells cut. Columns that are not canonical are never kept, not even here."""
    raw = {}
    for canon, header in mapped.used.items():
        if canon == C.AGENT_ID:
            raw[header] = pseudo[bad_idx].fillna("").to_numpy()
            continue
        cells = privacy.redact(mapped.text[canon].loc[bad_idx]).fillna("")
        long = cells.str.len() > QUARANTINE_CELL_CHARS
        cells = cells.where(~long, cells.str[:QUARANTINE_CELL_CHARS] + "…")
        raw[header] = cells.astype(object).to_numpy()
    return pd.DataFrame(raw, index=range(len(bad_idx))).to_dict(orient="records")


def _kept_extras(mapped, index: pd.Index) -> tuple[pd.Series | None, list[str]]:
    """The extra columns the mapping keeps, as one JSON dict per row, with any cell holding personal data
    (NIR, e-mail, telephone) blanked; and a warning per column where that happened."""
    if mapped.extra.empty and not len(mapped.extra.columns):
        return None, []
    extra = mapped.extra.loc[index]
    warnings, cols = [], {}
    for col in extra.columns:
        values = extra[col].astype("string").str.strip()
        kind = privacy.personal_data_kind(values)
        hit = (kind != "").to_numpy()
        if hit.any():
            kinds = ", ".join(sorted(set(kind[hit])))
            warnings.append(f"colonne conservée « {col} » : {int(hit.sum())} cellule(s) avec une donnée personnelle "
                            f"({kinds}) vidée(s) avant l'enregistrement.")
            values = values.mask(hit)
        cols[col] = values.mask(values == "").astype(object).where(lambda v: v.notna(), None)
    frame = pd.DataFrame(cols, index=index)
    return pd.Series(frame.to_dict(orient="records"), index=index, dtype=object), warnings


def _redacted_matches(matches: list[dict]) -> list[dict]:
    if not matches:
        return matches
    labels = privacy.redact(pd.Series([m["libelle"] for m in matches], dtype="string"))
    return [{**m, "libelle": str(lab)} for m, lab in zip(matches, labels)]


def _raw_ids(ids: pd.Series, pseudo: pd.Series) -> pd.Series:
    """Matricule as read, indexed by its pseudonym (one row per agent), both kept as Arrow strings."""
    frame = pd.Series(ids.array, index=pd.Index(pseudo.array))
    return frame[~frame.index.duplicated()]


def prepare(data: bytes, name: str, *, date=None, mapping: str | Path | None = None, key: bytes | None = None,
            metiers: pd.DataFrame | None = None, engine: Engine | None = None, sheet: str | None = None,
            force: bool = False, progress: Progress = _noop, table: RawTable | None = None,
            departures: pd.DataFrame | None = None) -> Prepared:
    """Read, map, parse, pseudonymise and validate one file; raises ExtractRejected when refused whole.

    A reader of another format (the DSN, :mod:`workforce.ingest.dsn_import`) passes the text ``table`` it read
    and a ready :class:`Mapping`, and the leavers its file tells of (``departures``: raw identifier, date,
    motive), pseudonymised here exactly as the rows are."""
    mp = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    progress("lecture du fichier")
    if table is None:
        table = read_table(data, name, header_score(mp), sheet=sheet, wanted=wanted_columns(mp))
    del data  # when the caller let go of the bytes (import_extract does), a large file is freed here
    progress("correspondance des colonnes")
    mapped = apply_mapping(table, mp)
    require_columns(mapped.used, table.columns, name)
    require_values(mapped.text, mapped.used, name)
    table.rows = table.rows[[SHAPE]]  # every cell still needed is in `mapped` now: the rest is let go
    extract_date, date_source = resolve_extract_date(date, mapped.text, mapped.used, table)
    check_extract_date(extract_date, name, force)
    progress("lecture des valeurs")
    typed, cell_reasons = parse(mapped.text, mp, extract_date)
    typed[C.EXTRACT_DATE] = pd.Series(extract_date, index=typed.index).astype("datetime64[ns]")
    cell_reasons = text_reasons(typed, cell_reasons)
    key = key if key is not None else secret_key()
    ids = typed[C.AGENT_ID]
    near = near_duplicate_matricules(ids)
    pseudo = privacy.pseudonymise_series(ids, key)
    has_id = ids.notna().to_numpy()
    typed[C.AGENT_ID] = pseudo
    if departures is not None:
        departures = departures.assign(**{C.AGENT_ID: privacy.pseudonymise_series(normalise_matricules(
            departures[C.AGENT_ID], strip_zeros=mp.options.get("matricule_zeros") == "strip"), key)})
    raw_text = mapped.text.copy()
    raw_text[C.AGENT_ID] = pseudo
    progress("contrôle des lignes")
    if metiers is None:
        engine = engine or db.make_engine()
        db.init_db(engine)
        with engine.connect() as conn:
            metiers = referential_metiers(conn)
    check = check_metiers(typed, metiers, mapped.used)
    quotite_zero = (typed[C.QUOTITE] == 0).to_numpy()
    lines = pd.Series(table.line, index=typed.index)
    # valid rows in pseudonym order: the database's agent indexes then grow by appending (a million rows:
    # 6.5 s instead of 10.6 s on SQLite); selection and order in one gather, one copy
    snapshots, why = split_rows(typed, raw_text, cell_reasons, mapped.shape, check, mapped.used, sort_by=C.AGENT_ID)
    del typed, raw_text  # a million-row import holds one typed copy at a time
    why = privacy.redact(why.astype("string")).astype(object) if len(why) else why
    bad_idx = why.index.to_numpy()
    quarantine = pd.DataFrame({"row_number": lines[bad_idx].to_numpy(), "raw": _quarantine_raw(mapped, pseudo, bad_idx),
                               "reasons": why.to_numpy()})
    extra, privacy_warnings = _kept_extras(mapped, snapshots.index)
    snapshots[C.EXTRA] = extra
    warnings = list(privacy_warnings)
    if len(near):
        warnings.append(f"{len(near)} matricule(s) écrits de plusieurs façons dans le fichier (casse, espaces, tirets "
                        "ou zéros en tête) : vérifiez qu'il s'agit bien d'agents différents.")
    return Prepared(table=table, mapping=mp, used=mapped.used, dropped=mapped.dropped_personal,
                    ignored=mapped.ignored, extract_date=extract_date, date_source=date_source,
                    snapshots=snapshots, stored_lines=lines[snapshots.index].to_numpy(), quarantine=quarantine,
                    why=why, lines=lines, missing=missing_counts(mapped.text, mapped.used),
                    matches=_redacted_matches(check.matches), quotite_zero=quotite_zero,
                    extra_columns=list(mapped.extra.columns), quarantined_ids=sorted(set(pseudo[bad_idx].dropna())),
                    raw_ids=_raw_ids(ids[has_id], pseudo[has_id]), key=key,
                    privacy_warnings=warnings, near_duplicates=int(len(near)), departures=departures)


# ------------------------------------------------------------------------------------------ storing

def _redacted(texts: list[str]) -> list[str]:
    """Texts taken from the file (header cells, warnings quoting them), personal data replaced by a marker."""
    return [str(x) for x in privacy.redact(pd.Series(texts, dtype="string")).fillna("")] if texts else []


def build_report(p: Prepared, *, sha: str, rows_read: int, movements: pd.DataFrame | None,
                 previous_date: dt.date | None, previous_heads: pd.Series | None) -> dict:
    t = p.table
    stored = p.snapshots
    lines = p.lines
    mapped_cols = set(p.used)
    return {
        "fichier": {"nom": privacy.redact_text(t.name), "sha256": sha, "format": t.file_format, "encodage": t.encoding,
                    "separateur": {";": ";", ",": ",", "\t": "tabulation", "|": "|"}.get(t.delimiter or "", None),
                    "ligne_entete": t.header_line, "correspondance": p.mapping.name,
                    "source_date": privacy.redact_text(p.date_source)},
        "date_extraction": str(p.extract_date.date()),
        "lignes": {"lues": rows_read, "enregistrees": int(len(stored)), "quarantaine": int(len(p.quarantine)),
                   "lignes_physiques": t.physical_lines, "champs_multilignes": t.multiline_records},
        "avertissements": _redacted(list(t.warnings) + list(p.privacy_warnings)),
        "colonnes": {"correspondance": {c: h for c, h in p.used.items()}, "annexes": p.extra_columns,
                     "personnelles_supprimees": _redacted(p.dropped), "ignorees": _redacted(p.ignored),
                     "absentes": [c for c in (*C.CANONICAL, C.EXTRACT_DATE)
                                  if c not in mapped_cols and c not in (C.METIER_CODE, C.METIER_LABEL)]
                     + [c for c in (C.METIER_CODE, C.METIER_LABEL) if c not in mapped_cols]},
        "quarantaine": reason_counts(p.why, lines),
        "valeurs_manquantes": p.missing,
        "valeurs_suspectes": suspicious_values(stored, p.stored_lines, p.quotite_zero, t.line, p.extract_date),
        "metiers_rapproches": p.matches,
        "extraction_precedente": str(previous_date) if previous_date else None,
        "mouvements": movement_counts(movements) if movements is not None else None,
        "effectifs_par_direction": headcount_by_direction(stored[C.DIRECTION].value_counts().sort_index(),
                                                          previous_heads),
    }


def store(engine: Engine, p: Prepared, *, sha: str, source: str, replace: bool = False,
          progress: Progress = _noop) -> ImportResult:
    """Write the prepared extract, its quarantine and movements in one transaction.

    The import lock is taken first, so two imports run one after the other: the second sees the first one's
    extract (same file: "déjà importé"; same date: refused) and computes its movements from the true
    predecessor, never from the extract before it.
    """
    d = p.extract_date.date()
    rows_read = len(p.table.rows)
    try:
        with db.session_scope(engine) as session:
            db.lock_writes(session, KIND)
            again = session.execute(select(db.Extract).where(db.Extract.sha256 == sha)).scalar_one_or_none()
            if again is not None:
                _check_same_date(again, d, p.table.name)
                return _already(again, source)
            return _write(session, p, sha=sha, source=source, replace=replace, progress=progress)
    except IntegrityError as err:  # the unique key on (kind, date) or on sha256: a writer without the lock
        raise ExtractRejected(f"{p.table.name} : une extraction du {d} vient d'être importée par un autre "
                              "processus ; relancez l'import pour voir son état.") from err
    except OperationalError as err:
        if "locked" in str(err).lower():
            raise ExtractRejected(f"{p.table.name} : une autre importation occupe la base depuis plus de "
                                  f"{db.SQLITE_BUSY_SECONDS} s ; relancez plus tard.") from err
        raise


def _check_same_date(extract: db.Extract, d: dt.date, name: str) -> None:
    """The same bytes at another date: say where they are instead of a silent "déjà importé"."""
    if extract.extract_date != d:
        raise ExtractRejected(f"{name} : ce fichier est déjà importé, à la date du {extract.extract_date} (et non du "
                              f"{d}). Pour corriger la date : workforce extract delete {extract.extract_date}, "
                              "puis réimportez avec la bonne --date.")


def _write(session, p: Prepared, *, sha: str, source: str, replace: bool, progress: Progress) -> ImportResult:
    d = p.extract_date.date()
    rows_read = len(p.table.rows)
    same = session.execute(select(db.Extract).where(db.Extract.kind == KIND, db.Extract.extract_date == d)) \
        .scalars().all()
    if same and not replace:
        raise ExtractRejected(f"{p.table.name} : une extraction du {d} est déjà importée ({same[0].source}, "
                              f"le {same[0].imported_at:%d/%m/%Y %H:%M}). Relancez avec --remplacer pour la "
                              "remplacer par ce fichier, ou corrigez la date (workforce extract list).")
    for old in same:
        delete_rows(session, old.id)
    session.flush()
    fingerprint = content_fingerprint(p.snapshots)
    twins = _same_content(session, fingerprint, d)
    extract = db.Extract(extract_date=d, source=source, kind=KIND, sha256=sha, rows_read=rows_read,
                         rows_stored=len(p.snapshots), rows_quarantined=len(p.quarantine), mapping=p.mapping.name)
    session.add(extract)
    session.flush()
    progress("enregistrement des agents")
    snaps = p.snapshots.assign(extract_id=extract.id)
    with no_gc():  # one tuple per row: see read.no_gc
        db.bulk_insert(session, db.AgentSnapshot, snaps)
    if len(p.quarantine):
        db.bulk_insert(session, db.QuarantinedRow, p.quarantine.assign(extract_id=extract.id))
    progress("calcul des mouvements")
    conn = session.connection()
    prev, nxt = neighbours(session, d)
    moves = None
    prev_heads = None
    zeros = 0
    if prev is not None:
        before = snapshot_frame(conn, prev.id)
        moves = derive_movements(before, told_departures(snaps, p.departures, before), prev.extract_date, d,
                                 quarantined_before=quarantined_ids(conn, prev),
                                 quarantined_after=p.quarantined_ids)
        db.bulk_insert(session, db.Movement, moves.assign(extract_id=extract.id))
        prev_heads = before[C.DIRECTION].value_counts().sort_index()
        zeros = zero_padding_pairs(p, moves)
    if nxt is not None:  # history backfill: the next extract's movements now start from this one
        recompute_movements(session, nxt, snaps, d, p.quarantined_ids)
    progress("rapport de qualité")
    report = build_report(p, sha=sha, rows_read=rows_read, movements=moves,
                          previous_date=prev.extract_date if prev else None, previous_heads=prev_heads)
    report["empreinte_contenu"] = fingerprint
    report.update(p.extra_report)
    if twins:
        report["avertissements"].append(f"contenu identique à l'extraction du {twins[0]} (fichier différent, mêmes "
                                        "agents et mêmes valeurs) : erreur de date ou de fichier ? "
                                        "workforce extract list pour vérifier.")
    if zeros:
        report["avertissements"].append(f"{zeros} arrivée(s) et départ(s) ne diffèrent que par des zéros en tête du "
                                        "matricule : sans doute les mêmes agents ; ajoutez « options: "
                                        "{matricule_zeros: strip} » à la correspondance et réimportez.")
    extract.report = report
    db.audit(session, "import", {"extract_id": extract.id, "extract_date": str(d), "source": source,
                                 "sha256": sha, "rows_read": rows_read, "rows_stored": len(p.snapshots),
                                 "rows_quarantined": len(p.quarantine), "replaced": [o.id for o in same]})
    quarantine = pd.DataFrame({"line": p.quarantine["row_number"], "reasons": p.quarantine["reasons"]})
    return ImportResult(source=source, sha256=sha, extract_id=extract.id, extract_date=d, rows_read=rows_read,
                        rows_stored=len(p.snapshots), rows_quarantined=len(p.quarantine), report=report,
                        quarantine=quarantine)


FINGERPRINT_COLUMNS = [c for c in C.CANONICAL if c not in (C.EXTRACT_DATE,)]


FINGERPRINT_BLOCK = 100_000


def content_fingerprint(snapshots: pd.DataFrame) -> str:
    """A hash of the stored rows (order-free, extract date left out): the same extract saved twice, re-exported
    or renamed, has the same fingerprint whatever its bytes. Hashed by blocks of rows, so that a million
    pseudonyms never exist as Python strings all at once."""
    cols = [c for c in FINGERPRINT_COLUMNS if c in snapshots]
    rows = np.concatenate([np.zeros(0, dtype=np.uint64)] + [
        pd.util.hash_pandas_object(snapshots[cols].iloc[i : i + FINGERPRINT_BLOCK], index=False).to_numpy()
        for i in range(0, len(snapshots), FINGERPRINT_BLOCK)])
    return hashlib.sha256(np.sort(rows).tobytes()).hexdigest()


def _same_content(session, fingerprint: str, d: dt.date) -> list[dt.date]:
    """Dates of earlier imports with the same content fingerprint (read from their reports)."""
    rows = session.execute(select(db.Extract.extract_date, db.Extract.report).where(db.Extract.kind == KIND)).all()
    return sorted(r.extract_date for r in rows
                  if r.extract_date != d and (r.report or {}).get("empreinte_contenu") == fingerprint)


ZERO_PADDING = 3  # leading zeros tried when an arrival may be a departure written without them


def zero_padding_pairs(p: Prepared, moves: pd.DataFrame) -> int:
    """How many arrivals are departures of the same matricule with or without leading zeros ("0100000" then
    "100000"): the variants of the arrivals' matricules are pseudonymised and looked up among the departures."""
    if moves is None or not len(moves):
        return 0
    kinds = moves["kind"].to_numpy()
    arrived = moves.loc[kinds == C.ARRIVAL, "agent_id"]
    left = set(moves.loc[kinds == C.DEPARTURE, "agent_id"])
    if not len(arrived) or not left:
        return 0
    raw = p.raw_ids.reindex(arrived.to_numpy()).dropna().astype(str).to_numpy()
    if not len(raw):
        return 0
    stripped = np.char.lstrip(raw.astype(str), "0")
    found = np.zeros(len(raw), dtype=bool)
    for k in range(ZERO_PADDING + 1):
        variant = np.char.add("0" * k, stripped)
        differs = variant != raw
        if differs.any():
            found[differs] |= np.isin(pseudonymise(variant[differs], p.key), list(left))
    return int(found.sum())


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
                   key: bytes | None = None, sheet: str | None = None, force: bool = False,
                   progress: Progress = _noop, user=None, directions: str | Path | None = None) -> ImportResult:
    """Import one HR extract (CSV or XLSX, path or bytes) into the database.

    Parameters
    ----------
    source : path of the file, or its bytes (then `name` is the file name, used for the date and messages)
    date : extract date (YYYY-MM-DD); else a date column, a title line or the file name gives it
    mapping : preset (auto, sirh, canonical) or a YAML mapping file; default auto
    replace : replace an extract already imported at the same date (otherwise refused)
    key : pseudonymisation key (default: configuration, never printed)
    sheet : the sheet of a workbook holding several (otherwise refused)
    force : accept an extract date in the future or before 1970
    user : the app's :class:`workforce.access.User`, who must have the right to import (and to replace an
           extract when ``replace``); the command line passes none (its user holds the database and the key)

    Raises ExtractRejected (French message naming file, row and column) when the file is refused whole, and
    :class:`workforce.access.AccessDenied` when ``user`` may not import.

    A DSN (a file, a folder or a zip of monthly DSN) goes through :func:`workforce.ingest.dsn_import.import_dsn`
    (``directions``: the SIRH table siret/matricule -> direction); the result is its last month's, the report
    listing every month imported.
    """
    from workforce.ingest import dsn_import  # it builds on this module

    if dsn_import.is_dsn_source(source, name):
        return dsn_import.import_dsn_last(source, engine=engine, directions=directions, name=name, replace=replace,
                                          key=key, force=force, progress=progress, user=user)
    if user is not None:
        from workforce import access

        user.require(access.IMPORT)
        if replace:
            user.require(access.DELETE_EXTRACT)
    data, display = read_source(source, name)
    source_name = str(source) if not isinstance(source, (bytes, bytearray, memoryview)) else display
    source_name = privacy.redact_text(source_name)  # a file name may carry an e-mail or a telephone
    sha = hashlib.sha256(data).hexdigest()
    engine = engine or db.make_engine()
    db.init_db(engine)
    with db.session_scope(engine) as session:
        again = session.execute(select(db.Extract).where(db.Extract.sha256 == sha)).scalar_one_or_none()
        if again is not None:
            if date is not None and str(date).strip():
                _check_same_date(again, parse_user_date(date, "--date").date(), display)
            return _already(again, source_name)
    held = [data]
    del data  # prepare holds the only reference and drops it once the file is read
    p = prepare(held.pop(), display, date=date, mapping=mapping, key=key, engine=engine, sheet=sheet, force=force,
                progress=progress)
    return store(engine, p, sha=sha, source=source_name, replace=replace, progress=progress)
