"""Read an HR extract (CSV or XLSX bytes) into a table of text cells, refusing clearly what cannot be read.

Real SIRH exports are messy: the encoding (UTF-8, UTF-8 with BOM, Windows-1252, sometimes both in one
file), the delimiter (`,` `;` tab `|`), title lines above the header, blank lines, the header repeated
mid-file, a truncated last line. This stage decodes and splits, keeps every data record with its line
number in the file, and marks (never drops) the records it cannot shape into the header's columns.
Nothing here interprets a value: every cell stays text.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

DELIMITERS = (";", ",", "\t", "|")
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}
SHAPE = "__shape__"  # column of the row frame: why a record does not fit the header ("" when it does)
HEADER_SCAN = 30  # records looked at to find the header line under title lines

csv.field_size_limit(10_000_000)


class ExtractRejected(ValueError):
    """The file as a whole cannot be imported (nothing is written); the message says why, in French."""


def _latin1_fallback(err: UnicodeDecodeError):
    # the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are read as Latin-1
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("workforce_latin1", _latin1_fallback)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _has_utf8_sequence(data: bytes) -> bool:
    """Whether the bytes hold at least one UTF-8 two-byte sequence (a lead byte then a continuation byte)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    lead = (arr[:-1] >= 0xC2) & (arr[:-1] <= 0xF4)
    return bool((lead & ((arr[1:] & 0xC0) == 0x80)).any())


@dataclass
class RawTable:
    """The records of one file, as text.

    rows: one row per data record, columns = the header (duplicated names suffixed " (2)"), cells str
        ("" when empty), plus SHAPE: "" or the reason the record does not fit the header.
    line: line number of each record in the file (sheet row number for XLSX), 1-based.
    preamble: title lines above the header (searched for the extract date).
    """

    name: str
    rows: pd.DataFrame
    line: np.ndarray
    header: list[str]
    header_line: int
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    preamble: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.rows.columns if c != SHAPE]


# ------------------------------------------------------------------------------------------ decoding

def decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Text of a CSV file, the encoding found and any warning. Raises ExtractRejected on binary content."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16", []
    sample = data[:65536]
    warnings = []
    if b"\x00" in sample:
        if sample.count(b"\x00") > max(2, len(sample) // 200):
            raise ExtractRejected(f"{name} : le fichier est binaire (octets nuls), ce n'est ni un CSV ni un XLSX.")
        warnings.append(f"{name} : {data.count(bytes(1))} octet(s) nul(s) supprimé(s) du texte.")
        data = data.replace(b"\x00", b"")
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if controls > max(8, len(sample) // 100):
        raise ExtractRejected(f"{name} : le fichier contient {controls} caractères de contrôle ; "
                              "il semble binaire ou corrompu. Exportez-le à nouveau en CSV ou XLSX.")
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[3:].decode("utf-8"), "utf-8-sig", warnings
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        pass
    if not _has_utf8_sequence(data):
        return data.decode("cp1252", errors="workforce_latin1"), "cp1252", warnings
    # both encodings in one file (files concatenated from two exports): decode line by line
    lines = data.split(b"\n")
    out, n_utf8 = [], 0
    for raw in lines:
        try:
            out.append(raw.decode("utf-8"))
            n_utf8 += bool(_UTF8_MULTIBYTE.search(raw))
        except UnicodeDecodeError:
            out.append(raw.decode("cp1252", errors="workforce_latin1"))
    text = "\n".join(out).removeprefix("\ufeff")
    return text, "mixte utf-8/cp1252", warnings + [
        f"{name} : encodage mixte, {n_utf8} lignes en UTF-8 et les autres en Windows-1252 ; "
        "chaque ligne a été décodée dans son encodage."]


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, and most regular, fields."""
    head = "\n".join(text.splitlines()[:50])
    best, best_score = ",", (-1, 0)
    for delim in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(head), delimiter=delim) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not widths:
            continue
        top = max(widths)
        regular = sum(w == top for w in widths)
        score = (top if top > 1 else 0, regular)
        if top > 1 and score > best_score:
            best, best_score = delim, score
    return best


# ------------------------------------------------------------------------------------------ records

def _csv_records(text: str, delimiter: str, name: str) -> tuple[list[list[str]], np.ndarray]:
    """Records and the file line each one starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if '"' not in text:  # no quoted field: one record per physical line
        try:
            records = list(reader)
        except csv.Error as err:
            raise ExtractRejected(f"{name}, ligne {reader.line_num + 1} : lecture CSV impossible ({err}).") from err
        return records, np.arange(1, len(records) + 1, dtype=np.int64)
    records, ends = [], []
    try:
        for rec in reader:  # the C reader does the work; this loop only keeps the line numbers
            records.append(rec)
            ends.append(reader.line_num)
    except csv.Error as err:
        raise ExtractRejected(f"{name}, ligne {reader.line_num + 1} : lecture CSV impossible ({err}).") from err
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([[1], ends[:-1] + 1]) if len(ends) else ends
    return records, starts


def _xlsx_records(data: bytes, name: str) -> tuple[list[list[str]], np.ndarray, list[str]]:
    warnings = []
    try:
        book = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise ExtractRejected(f"{name} : classeur Excel illisible ou corrompu ({type(err).__name__}). "
                              "Ouvrez-le dans un tableur et enregistrez-le à nouveau en .xlsx ou en CSV.") from err
    except Exception as err:  # openpyxl raises many kinds on a damaged archive
        raise ExtractRejected(f"{name} : classeur Excel illisible ({type(err).__name__} : {err}).") from err
    if not book:
        raise ExtractRejected(f"{name} : le classeur ne contient aucune feuille.")
    sheet_name, sheet = next(iter(book.items()))
    if len(book) > 1:
        warnings.append(f"{name} : {len(book)} feuilles ; seule la première (« {sheet_name} ») est importée.")
    sheet = sheet.fillna("")
    # a whole-day datetime cell arrives as "2025-06-30 00:00:00": keep the date
    sheet = sheet.apply(lambda col: col.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True))
    records = sheet.to_numpy(dtype=object).tolist()
    return records, np.arange(1, len(records) + 1, dtype=np.int64), warnings


_BLANK = " \t;,|"


def _is_blank(rec: list[str]) -> bool:
    """No content: empty, spaces, or only delimiters (";;;;" as spreadsheets write an empty row)."""
    return not any(c.strip(_BLANK) for c in rec)


def _blank_mask(records: list[list[str]]) -> np.ndarray:
    joined = pd.Series(list(map("".join, records)), dtype="string")
    return (joined.str.strip(_BLANK) == "").to_numpy(dtype=bool)


def _dedupe_header(header: list[str]) -> tuple[list[str], list[str]]:
    """Header names made unique: the second "Direction" becomes "Direction (2)"; empty names "colonne 7"."""
    seen: dict[str, int] = {}
    out, dups = [], []
    for i, h in enumerate(header):
        h = h.strip().strip('"').strip() or f"colonne {i + 1}"
        key = h.casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            dups.append(h)
            h = f"{h} ({seen[key]})"
        out.append(h)
    return out, dups


def to_table(records: list[list[str]], starts: np.ndarray, name: str, file_format: str,
             header_score: Callable[[list[str]], int] | None = None) -> RawTable:
    """Find the header, shape every later record to its width and mark those that do not fit."""
    nonblank = np.flatnonzero(~_blank_mask(records)) if records else np.array([], dtype=np.int64)
    if not len(nonblank):
        raise ExtractRejected(f"{name} : le fichier est vide (aucune ligne).")
    head_i = int(nonblank[0])
    if header_score is not None:
        scan = nonblank[:HEADER_SCAN]
        scores = [header_score(records[i]) for i in scan]
        if max(scores) > 0:
            head_i = int(scan[int(np.argmax(scores))])
    preamble = [" ".join(c for c in records[i] if c.strip()) for i in nonblank[nonblank < head_i]]
    header, dups = _dedupe_header(records[head_i])
    warnings = []
    if dups:
        warnings.append(f"{name} : colonnes en double dans l'en-tête ({', '.join(sorted(set(dups)))}) ; "
                        "seule la première de chaque nom est lue, les autres sont gardées en colonnes annexes.")
    body = nonblank[nonblank > head_i]
    if not len(body):
        raise ExtractRejected(f"{name} : l'en-tête (ligne {starts[head_i]}) n'est suivi d'aucune ligne de données.")
    width = len(header)
    recs = [records[i] for i in body]
    lines = starts[body]
    widths = np.fromiter(map(len, recs), dtype=np.int64, count=len(recs))
    shape = np.full(len(recs), "", dtype=object)
    for j in np.flatnonzero(widths != width):  # only the malformed records
        rec = recs[j]
        if len(rec) < width:
            shape[j] = f"ligne incomplète : {len(rec)} champs au lieu de {width} (ligne tronquée ?)"
            recs[j] = rec + [""] * (width - len(rec))
        else:
            extra = rec[width:]
            shape[j] = (f"{len(rec)} champs au lieu de {width} (séparateur dans une valeur non protégée "
                        f"par des guillemets ?) ; champs en trop : {' / '.join(extra)[:200]}")
            recs[j] = rec[:width]
    columns = list(zip(*recs))  # column-wise: one object array of str per column (cheapest to build)
    rows = pd.DataFrame({h: pd.Series(np.asarray(col, dtype=object), dtype=object) for h, col in zip(header, columns)},
                        columns=header)
    raw_header = [h.strip().casefold() for h in records[head_i]]
    first = np.asarray(columns[0], dtype=object)
    maybe = np.flatnonzero(first == records[head_i][0])  # cheap pre-filter on the first column
    repeated = [j for j in maybe if [c.strip().casefold() for c in recs[j]] == raw_header]
    shape[repeated] = "ligne d'en-tête répétée au milieu du fichier"
    rows[SHAPE] = shape
    return RawTable(name=name, rows=rows, line=np.asarray(lines, dtype=np.int64), header=header,
                    header_line=int(starts[head_i]), file_format=file_format, preamble=preamble, warnings=warnings)


@contextmanager
def _no_gc():
    """Millions of small lists (one per record) make the cyclic GC scan again and again; none of them is
    cyclic, so the collector is paused while they are built (it doubled the reading time of 100,000 rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_table(data: bytes, name: str, header_score: Callable[[list[str]], int] | None = None) -> RawTable:
    """Read CSV or XLSX bytes. Raises ExtractRejected (French message naming the file) when unreadable."""
    with _no_gc():
        return _read_table(data, name, header_score)


def _read_table(data: bytes, name: str, header_score: Callable[[list[str]], int] | None = None) -> RawTable:
    if not data or not data.strip():
        raise ExtractRejected(f"{name} : le fichier est vide.")
    if data.startswith(b"PK\x03\x04"):
        records, starts, warnings = _xlsx_records(data, name)
        table = to_table(records, starts, name, "xlsx", header_score)
        table.warnings[:0] = warnings
        return table
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractRejected(f"{name} : ancien format Excel (.xls) non pris en charge ; "
                              "enregistrez le classeur en .xlsx ou en CSV.")
    if data.startswith(b"%PDF"):
        raise ExtractRejected(f"{name} : c'est un PDF ; il faut l'extraction au format CSV ou XLSX.")
    text, encoding, warnings = decode(data, name)
    delimiter = sniff_delimiter(text)
    records, starts = _csv_records(text, delimiter, name)
    table = to_table(records, starts, name, "csv", header_score)
    table.encoding, table.delimiter = encoding, delimiter
    table.warnings[:0] = warnings
    return table
