"""Import monthly DSN files (one file, a folder or a zip of them): one extract per month declared.

Why a stage of its own: a month may come in several files (one per établissement) or be replaced by an
« annule et remplace »; a contract is followed from month to month (its number and start date); and the DSN
has no direction, which a table exported from the SIRH supplies. Every file is read and checked before
anything is written: a broken file refuses the whole lot (exit 2, nothing written). Then each month goes
through the CSV import's own stages (:func:`workforce.ingest.pipeline.prepare` and ``store``: pseudonymisation,
validation, quarantine, movements, quality report), oldest first.

Chaining months (the rule of the Ministry of Labour's Champollion pipeline, dsn.md §5): an agent missing
from one or two months and declared again afterwards had not left: their last row is carried into the
months they miss (« reportés » in the report). Missing three months while their établissement keeps
declaring, they have left (reason unknown): the snapshots say so, as for a CSV.

The SIRH table (``--directions FICHIER``, CSV ; or ,): a first column ``siret`` (établissement -> direction)
or ``matricule`` (agent -> direction, exported from the SIRH), then ``direction`` and, optionally,
``metier_code`` and ``service``. Matricule wins over SIRET. Without a match the agent's direction is
:data:`UNASSIGNED` and the quality report says how many. Assumption on the métier: the payroll's libellé
de l'emploi (40.006) is the employer's métier label, matched to the référentiel as a CSV's « Libellé
emploi » is; a ``metier_code`` in the SIRH table, when given, wins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from workforce import db, privacy
from workforce.ingest import columns as C
from workforce.ingest import dsn as D
from workforce.ingest.errors import ExtractRejected
from workforce.ingest.mapping import load_mapping, normalise
from workforce.ingest.pipeline import ImportResult, Progress, _noop, prepare, referential_metiers, store
from workforce.ingest.read import SHAPE

UNASSIGNED = "non affecté"
"""The direction of an agent the SIRH table does not place (one direction, named so in every view)."""
SUFFIXES = (".dsn", ".txt", ".edi")
MAX_FILES = 240  # twenty years of months: more is a wrong folder
SIRH_COLUMNS = {"direction": C.DIRECTION, "metier_code": C.METIER_CODE, "code_metier": C.METIER_CODE,
                "service": C.SERVICE}
CARRY_MONTHS = 2  # a contract missing up to two months and declared again had not ended (three: ended)


def dsn_mapping():
    """The canonical preset, keeping the DSN's extras (régime de base vieillesse, NBI) in the snapshot."""
    return dataclasses.replace(load_mapping("canonical"), name="dsn", keep=D.EXTRAS)


# ------------------------------------------------------------------------------------------ sources

def is_dsn_source(source, name: str | None = None) -> bool:
    """A folder, a zip, or a file (path or bytes) that starts like a DSN."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source[:16])
        return D.looks_like_dsn(data) or (data[:2] == b"PK" and str(name or "").lower().endswith(".zip"))
    path = Path(source)
    if path.is_dir():
        return True
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(16)
    return D.looks_like_dsn(head) or (head[:2] == b"PK" and path.suffix.lower() == ".zip")


def read_files(source, name: str | None = None) -> list[tuple[str, bytes]]:
    """(name, bytes) of every DSN of a file, folder or zip, in name order."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label = bytes(source), name or "dsn"
    else:
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not files:
                raise ExtractRejected(f"{path} : aucun fichier DSN (.dsn, .txt) dans ce dossier.")
            return [(str(p), p.read_bytes()) for p in files[:MAX_FILES + 1]]
        data, label = path.read_bytes(), str(path)
    if data[:2] != b"PK":
        return [(label, data)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = sorted((i for i in zf.infolist() if not i.is_dir() and Path(i.filename).suffix.lower() in SUFFIXES),
                             key=lambda i: i.filename)
            if not members:
                raise ExtractRejected(f"{label} : l'archive ne contient aucun fichier DSN (.dsn, .txt).")
            if len(members) > MAX_FILES or sum(i.file_size for i in members) > 2_000_000_000:
                raise ExtractRejected(f"{label} : archive trop grande ({len(members)} fichiers).")
            return [(f"{label}/{i.filename}", zf.read(i)) for i in members]
    except zipfile.BadZipFile as err:
        raise ExtractRejected(f"{label} : archive zip illisible ({err}).") from err


# ------------------------------------------------------------------------------------------ months

def _months(files: list[D.DsnFile]) -> dict[pd.Timestamp, list[D.DsnFile]]:
    """Files by month, every établissement declared once: an « annule et remplace » (type 03/05) replaces the
    earlier declaration of its établissement, an « annule » (04) removes it; twice otherwise is refused."""
    out: dict[pd.Timestamp, list[D.DsnFile]] = {}
    seen: dict[tuple, tuple[int, str]] = {}  # (siret, month, fraction) -> (index in out[month], file name)
    for f in sorted(files, key=lambda f: f.month):
        month_files = out.setdefault(f.month, [])
        keep = f.rows
        for d in f.declarations:
            k = (d.siret, d.month, d.fraction)
            if k in seen and d.kind not in D.K.REPLACING_TYPES + D.K.CANCELLING_TYPES:
                raise ExtractRejected(f"{f.name}, ligne {d.line} : l'établissement {d.siret} déclare le mois "
                                      f"{d.month:%m/%Y} une deuxième fois (déjà dans {seen[k][1]}) ; une DSN qui en "
                                      "remplace une autre est de type 03 « annule et remplace » (S20.G00.05.002).")
            if k in seen:  # drop the establishment's agents from the earlier file of the month
                i, _ = seen[k]
                old = month_files[i]
                month_files[i] = dataclasses.replace(
                    old, rows=old.rows[old.rows[D.SIRET] != d.siret],
                    departures=old.departures[old.departures[D.SIRET] != d.siret])
            if d.kind in D.K.CANCELLING_TYPES:
                keep = keep[keep[D.SIRET] != d.siret]
            seen[k] = (len(month_files), f.name)
        month_files.append(dataclasses.replace(f, rows=keep))
    return out


def _merge(files: list[D.DsnFile]) -> D.DsnFile:
    if len(files) == 1:
        return files[0]
    return dataclasses.replace(
        files[0], name=" + ".join(f.name for f in files), declarations=[d for f in files for d in f.declarations],
        rows=pd.concat([f.rows for f in files], ignore_index=True),
        departures=pd.concat([f.departures for f in files], ignore_index=True),
        individus=sum(f.individus for f in files), ended_before=sum(f.ended_before for f in files),
        rubriques=sum(f.rubriques for f in files))


def carry_forward(months: list[D.DsnFile]) -> tuple[list[D.DsnFile], list[int]]:
    """Each month with the rows of the agents missing from it but declared again within :data:`CARRY_MONTHS`
    months (their last row, reason blank), and how many were carried into each month."""
    ids = [set(m.rows[C.AGENT_ID].dropna()) for m in months]
    gone = [set(m.departures[C.AGENT_ID].dropna()) for m in months]
    out, carried = [], []
    last_rows: dict[str, tuple[int, int]] = {}  # agent -> (month, position of their last valid row in it)
    for i, m in enumerate(months):
        later = set().union(*ids[i + 1 : i + 1 + CARRY_MONTHS]) if i + 1 < len(months) else set()
        missing = [a for a in last_rows if a not in ids[i] and a not in gone[i] and a in later]
        rows = m.rows
        if missing:  # the records of the few carried rows only, read where each was last valid
            records = {}
            for j in sorted({last_rows[a][0] for a in missing}):
                at = [a for a in missing if last_rows[a][0] == j]
                records.update(zip(at, out[j].rows.iloc[[last_rows[a][1] for a in at]].to_dict("records")))
            extra = pd.DataFrame([records[a] for a in missing]).assign(**{SHAPE: "", "line": 0})
            rows = pd.concat([rows, extra], ignore_index=True)
        carried.append(len(missing))
        valid = ((rows[SHAPE] == "") & rows[C.AGENT_ID].notna()).to_numpy().nonzero()[0]
        for a in gone[i]:
            last_rows.pop(a, None)
        last_rows.update(zip(rows[C.AGENT_ID].to_numpy()[valid].tolist(), zip([i] * len(valid), valid.tolist())))
        out.append(dataclasses.replace(m, rows=rows))
    return out, carried


# ------------------------------------------------------------------------------------------ SIRH table

def read_sirh_table(path: str | Path | None) -> tuple[pd.DataFrame | None, str | None]:
    """The SIRH table as (frame keyed by its first column's values, 'siret' or 'matricule')."""
    if path is None:
        return None, None
    path = Path(path)
    if not path.is_file():
        raise ExtractRejected(f"{path} : table des directions introuvable.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sep = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    cols = [normalise(c).replace(" ", "_") for c in frame.columns]
    frame.columns = cols
    if not cols or cols[0] not in ("siret", "matricule"):
        raise ExtractRejected(f"{path}, ligne 1 : la première colonne est « siret » ou « matricule » "
                              f"(trouvé « {frame.columns[0] if cols else ''} »).")
    if "direction" not in cols:
        raise ExtractRejected(f"{path}, ligne 1 : colonne « direction » absente.")
    unknown = [c for c in cols[1:] if c not in SIRH_COLUMNS]
    if unknown:
        raise ExtractRejected(f"{path}, ligne 1 : colonne(s) {', '.join(unknown)} inconnue(s) ; possibles : "
                              "direction, metier_code, service (jamais de nom ni de NIR).")
    kind = cols[0]
    frame[kind] = frame[kind].str.strip().str.replace(" ", "", regex=False)
    dup = frame[kind].duplicated(keep=False)
    if dup.any():
        line = int(dup.to_numpy().nonzero()[0][1]) + 2
        raise ExtractRejected(f"{path}, ligne {line} : {kind} « {frame[kind][dup].iloc[0]} » en double.")
    frame = frame.rename(columns=SIRH_COLUMNS).set_index(kind)
    return frame.replace("", pd.NA), kind


def place(rows: pd.DataFrame, table: pd.DataFrame | None, kind: str | None) -> pd.DataFrame:
    """Direction (and métier code, service) of each row from the SIRH table; :data:`UNASSIGNED` otherwise."""
    out = rows.assign(**{C.DIRECTION: pd.NA, C.METIER_CODE: pd.NA, C.SERVICE: pd.NA})
    if table is not None:
        key = rows[C.AGENT_ID] if kind == "matricule" else rows[D.SIRET]
        found = table.reindex(key.astype(str).to_numpy())
        for col in (C.DIRECTION, C.METIER_CODE, C.SERVICE):
            if col in found:
                out[col] = found[col].to_numpy()
    out[C.DIRECTION] = out[C.DIRECTION].fillna(UNASSIGNED)
    return out


# ------------------------------------------------------------------------------------------ import

def parse_all(source, name: str | None = None, progress: Progress = _noop) -> list[D.DsnFile]:
    """Every file read and checked (nothing written): the months in order, one merged file each."""
    files = read_files(source, name)
    parsed = []
    for label, data in files:
        progress(f"lecture de {Path(label).name}")
        parsed.append(D.read_dsn(data, privacy.redact_text(label)))
    return [_merge(fs) for _, fs in sorted(_months(parsed).items())]


def import_dsn(source, *, engine: Engine | None = None, directions=None, name: str | None = None,
               replace: bool = False, key: bytes | None = None, force: bool = False, progress: Progress = _noop,
               user=None) -> list[ImportResult]:
    """Import a DSN file, folder or zip: one extract per month declared, oldest first (see the module doc).

    Raises ExtractRejected (French message naming file, line and rubrique) before anything is written when a
    file is broken; an agent at fault is quarantined instead, with the line and the rubrique.
    """
    if user is not None:
        from workforce import access

        user.require(access.IMPORT)
        if replace:
            user.require(access.DELETE_EXTRACT)
    table, kind = read_sirh_table(directions)
    months, carried = carry_forward(parse_all(source, name, progress))
    engine = engine or db.make_engine()
    db.init_db(engine)
    mapping = dsn_mapping()
    with engine.connect() as conn:  # once for the lot, not once a month
        metiers = referential_metiers(conn)
    results = []
    for month, n_carried in zip(months, carried):
        rows = place(month.rows, table, kind)
        unassigned = int((rows[C.DIRECTION] == UNASSIGNED).sum())
        sha = hashlib.sha256(pd.util.hash_pandas_object(month.rows.drop(columns=["line"]), index=False)
                             .to_numpy().tobytes() + month.name.encode()).hexdigest()
        sha = hashlib.sha256((sha + str(month.month.date()) + str(directions or "")).encode()).hexdigest()
        raw = D.to_raw_table(month, rows)
        p = prepare(b"", month.name, date=month.extract_date, mapping=mapping, key=key, engine=engine,
                    force=force, progress=progress, table=raw, departures=month.departures, metiers=metiers)
        p.extra_report = {"dsn": report_section(month, n_carried, unassigned, len(rows))}
        if unassigned:
            p.privacy_warnings.append(
                f"{unassigned} agent(s) sans direction (« {UNASSIGNED} ») : la DSN ne dit pas la direction ; "
                "donnez une table SIRH (--directions, siret;direction ou matricule;direction).")
        results.append(store(engine, p, sha=sha, source=privacy.redact_text(month.name), replace=replace,
                             progress=progress))
    return results


def report_section(month: D.DsnFile, carried: int, unassigned: int, rows: int) -> dict:
    """What the quality report adds for a DSN: the agents declared and where each went."""
    return {
        "mois": f"{month.month:%m/%Y}", "etablissements": sorted({d.siret for d in month.declarations}),
        "individus_declares": month.individus, "sortis_dans_le_mois": int(len(month.departures)),
        "fin_anterieure": month.ended_before, "reportes": carried, "lignes": rows,
        "non_affectes": unassigned,
    }


def import_dsn_last(source, **kw) -> ImportResult:
    """:func:`import_dsn` for a caller that shows one result (the app's upload): the last month's, its report
    listing the months of the lot (date, rows read, stored, quarantined)."""
    results = import_dsn(source, **kw)
    last = results[-1]
    lot = [{"date": str(r.extract_date), "lues": r.rows_read, "enregistrees": r.rows_stored,
            "quarantaine": r.rows_quarantined, "deja_importe": r.already_imported} for r in results]
    return dataclasses.replace(last, report={**(last.report or {}), "lot_dsn": lot})
