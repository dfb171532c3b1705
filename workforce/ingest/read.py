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
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from workforce.ingest.errors import ExtractRejected
from workforce.ingest.xlsx import xlsx_records

DELIMITERS = (";", ",", "\t", "|")
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}
SHAPE = "__shape__"  # column of the row frame: why a record does not fit the header ("" when it does)
HEADER_SCAN = 30  # records looked at to find the header line under title lines

csv.field_size_limit(10_000_000)


def _latin1_fallback(err: UnicodeDecodeError):
    # the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are read as Latin-1
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("workforce_latin1", _latin1_fallback)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _has_utf8_sequence(data: bytes) -> bool:
    """Whether the bytes hold at least one UTF-8 two-byte sequence (a lead byte then a continuation byte),
    looked for by blocks so that a large file needs no full-size temporary array."""
    arr = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, len(arr), VALIDATE_BLOCK):
        block = arr[start : start + VALIDATE_BLOCK + 1]  # one byte of overlap: a pair across the boundary
        lead = (block[:-1] >= 0xC2) & (block[:-1] <= 0xF4)
        if (lead & ((block[1:] & 0xC0) == 0x80)).any():
            return True
    return False


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
    physical_lines: int | None = None  # lines of the file, counted apart from the parser (CSV)
    multiline_records: int = 0  # records holding a quoted line break (a legitimate one: checked)

    @property
    def columns(self) -> list[str]:
        """Every column of the file, by its (deduplicated) header; `rows` may hold only those asked for."""
        return list(self.header)


# ------------------------------------------------------------------------------------------ decoding

def _check_binary(sample: bytes, name: str) -> None:
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (0, 9, 10, 12, 13))
    if controls > max(8, len(sample) // 100):
        raise ExtractRejected(f"{name} : le fichier contient {controls} caractères de contrôle ; "
                              "il semble binaire ou corrompu. Exportez-le à nouveau en CSV ou XLSX.")


VALIDATE_BLOCK = 4_000_000


def single_encoding(data: bytes, name: str) -> str | None:
    """"utf-8", "utf-8-sig" or "cp1252" when the whole file is in that one encoding and holds no NUL byte, so
    that it can be parsed from its bytes; None otherwise (UTF-16, NUL bytes, mixed encodings: `decode`).
    UTF-8 is checked by an incremental decoder whose output is dropped block by block."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return None
    _check_binary(data[:65536], name)
    check = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), VALIDATE_BLOCK):
            check.decode(view[start : start + VALIDATE_BLOCK])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return None if _has_utf8_sequence(data) else "cp1252"
    return "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"


def decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Text of a CSV file, the encoding found and any warning. Raises ExtractRejected on binary content."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as err:
            raise ExtractRejected(f"{name} : fichier UTF-16 tronqué ou corrompu (octet {err.start}) ; "
                                  "exportez-le à nouveau.") from err
    sample = data[:65536]
    warnings = []
    if b"\x00" in sample:
        if sample.count(b"\x00") > max(2, len(sample) // 200):
            raise ExtractRejected(f"{name} : le fichier est binaire (octets nuls), ce n'est ni un CSV ni un XLSX.")
        warnings.append(f"{name} : {data.count(bytes(1))} octet(s) nul(s) supprimé(s) du texte.")
        data = data.replace(b"\x00", b"")
    _check_binary(sample, name)
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

def count_lines(text: str) -> int:
    """Physical lines of a text as the csv module splits them (\\n, \\r\\n or a bare \\r), counted without
    parsing: the independent tally a parsed file must add up to."""
    n = text.count("\n") + text.count("\r") - text.count("\r\n")
    return n + (not text.endswith(("\n", "\r")))


def _csv_records(text: str, delimiter: str, name: str) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Records, the file line each one starts on and the line it ends on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if '"' not in text:  # no quoted field: one record per physical line
        try:
            records = list(reader)
        except csv.Error as err:
            raise ExtractRejected(f"{name}, ligne {reader.line_num + 1} : lecture CSV impossible ({err}).") from err
        lines = np.arange(1, len(records) + 1, dtype=np.int64)
        return records, lines, lines
    records, ends = [], []
    try:
        for rec in reader:  # the C reader does the work; this loop only keeps the line numbers
            records.append(rec)
            ends.append(reader.line_num)
    except csv.Error as err:
        raise ExtractRejected(f"{name}, ligne {reader.line_num + 1} : lecture CSV impossible ({err}).") from err
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([[1], ends[:-1] + 1]) if len(ends) else ends
    return records, starts, ends


def check_quoting(text: str, records: list[list[str]], starts: np.ndarray, ends: np.ndarray, table: RawTable,
                  delimiter: str) -> None:
    """Refuse a file in which a stray double quote made one record swallow the lines after it.

    A quoted field may legitimately hold a line break (a comment on two lines); it may not hold whole records.
    Every record spanning several lines is looked at: if a line inside one of its fields carries as many
    delimiters as half a record, if the record has more fields than the header (a second stray quote closed the
    field on the next record's line), or if the file ends inside the quotes, the quote was never meant to open a
    field, and reading on would silently turn those rows into one cell (and keep their contents).
    """
    n_lines = count_lines(text)
    if len(ends) and int(ends[-1]) != n_lines:  # the parser's records must cover every line of the file
        raise ExtractRejected(f"{table.name} : {n_lines} lignes dans le fichier mais {int(ends[-1])} lues ; "
                              "fichier tronqué ou illisible, exportez-le à nouveau.")
    width = len(table.header)
    rich = max(1, (width - 1) // 2)
    last = len(records) - 1
    if last >= 0 and ends[last] == starts[last] and starts[last] > table.header_line \
            and _unterminated(text, int(starts[last]), delimiter):
        raise ExtractRejected(f"{table.name}, ligne {int(starts[last])} : guillemet (\") ouvrant sans guillemet "
                              "fermant sur la dernière ligne. Supprimez ou doublez ce guillemet (\"\") puis "
                              "réimportez ; rien n'a été enregistré.")
    for i in np.flatnonzero(ends > starts):
        if starts[i] < table.header_line:
            continue
        rec = records[i]
        for j, cell in enumerate(rec):
            inner = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            if len(inner) < 2:
                continue
            # any segment, the opening line's included: a stray quote at the start of a record takes the rest
            # of that record into the field, up to the next quote
            # or more fields than the header: the quote closed on another record's line, merging the two
            swallowed = any(line.count(delimiter) >= rich for line in inner) or len(rec) > width
            if swallowed or (i == len(records) - 1 and _unterminated(text, int(starts[i]), delimiter)):
                column = table.header[j] if j < width else f"colonne {j + 1}"
                lost = int(ends[i] - starts[i])
                raise ExtractRejected(
                    f"{table.name}, ligne {int(starts[i])}, colonne « {column} » : guillemet (\") ouvrant sans "
                    f"guillemet fermant ; les {lost} ligne(s) suivante(s) (jusqu'à la ligne {int(ends[i])}) "
                    "seraient lues comme une seule valeur et perdues. Supprimez ou doublez ce guillemet (\"\") "
                    "puis réimportez ; rien n'a été enregistré.")


def _unterminated(text: str, line: int, delimiter: str) -> bool:
    """Whether the file ends inside a quoted field opened on `line` (the strict reader says so, the lenient
    one does not)."""
    breaks = re.finditer(r"\r\n|\r|\n", text)
    offset = 0
    for _, m in zip(range(line - 1), breaks):
        offset = m.end()
    try:
        for _ in csv.reader(io.StringIO(text[offset:], newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as err:
        return "unexpected end of data" in str(err)
    return False


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


def _too_many(n: int, width: int) -> str:
    # the extra values are not quoted: a shifted row puts names and the like there
    return (f"{n} champs au lieu de {width} (séparateur dans une valeur non protégée par des guillemets ?)")


def _too_few(n: int, width: int) -> str:
    return f"ligne incomplète : {n} champs au lieu de {width} (ligne tronquée ?)"


def _locate_header(records: list[list[str]], nonblank: np.ndarray, name: str,
                   header_score: Callable[[list[str]], int] | None, starts: np.ndarray | None
                   ) -> tuple[int, list[str], list[str], list[str], np.ndarray]:
    """The header among the first non-blank records (the best-scored one, else the first): its index, its
    deduplicated names, the title lines above it, the warnings, and the indices of the data records below.
    `starts` gives each record's file line (None: record i is line i + 1)."""
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
                        "seule la première de chaque nom est lue, les autres ne sont pas enregistrées.")
    body = nonblank[nonblank > head_i]
    if not len(body):
        line = int(starts[head_i]) if starts is not None else head_i + 1
        raise ExtractRejected(f"{name} : l'en-tête (ligne {line}) n'est suivi d'aucune ligne de données.")
    return head_i, header, preamble, warnings, body


def to_table(records: list[list[str]], starts: np.ndarray, name: str, file_format: str,
             header_score: Callable[[list[str]], int] | None = None) -> RawTable:
    """Find the header, shape every later record to its width and mark those that do not fit."""
    nonblank = np.flatnonzero(~_blank_mask(records)) if records else np.array([], dtype=np.int64)
    if not len(nonblank):
        raise ExtractRejected(f"{name} : le fichier est vide (aucune ligne).")
    head_i, header, preamble, warnings, body = _locate_header(records, nonblank, name, header_score, starts)
    width = len(header)
    recs = [records[i] for i in body]
    lines = starts[body]
    widths = np.fromiter(map(len, recs), dtype=np.int64, count=len(recs))
    shape = np.full(len(recs), "", dtype=object)
    for j in np.flatnonzero(widths != width):  # only the malformed records
        rec = recs[j]
        if len(rec) < width:
            shape[j] = _too_few(len(rec), width)
            recs[j] = rec + [""] * (width - len(rec))
        else:
            shape[j] = _too_many(len(rec), width)
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



# ------------------------------------------------------------------------------------------ fast path

FAST_CHUNK = 25_000
"""Lines parsed at a time by the fast path: each chunk's cells become compact Arrow strings before the next
one is read, so a million-row file never exists as twenty million Python strings."""
_STRINGS = pd.StringDtype("pyarrow")


@dataclass
class LineStats:
    """Per physical line of a text (0-based): fields, whether it is blank, and where its bytes start."""

    fields: np.ndarray
    blank: np.ndarray
    starts: np.ndarray  # byte offset of each line in the UTF-8 form of the text
    quoted: bool


STATS_BLOCK = 4_000_000
"""Bytes looked at a time by `line_stats` (whole lines): its temporary arrays stay a few megabytes."""
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)  # 0 content, 1 blank, 2 quote; the delimiter is tested apart
_BYTE_CLASS[np.frombuffer(b" \t;,|\r\n", dtype=np.uint8)] = 1
_BYTE_CLASS[ord('"')] = 2


def line_stats(data: bytes, delimiter: str) -> LineStats | None:
    """Fields of every line counted with numpy over the bytes, or None when a record may span lines.

    A line holding an odd number of double quotes, or a quote that neither opens nor closes a field, may open
    a field that runs onto the next line: such files go through the csv module, record by record. Otherwise
    every record is one line, and the quotes only hide the delimiters between them. The bytes are looked at
    by blocks of whole lines, so a 150 MB file needs a few megabytes besides its own copy.
    """
    buf = np.frombuffer(data, dtype=np.uint8)  # UTF-8 or Windows-1252: ASCII bytes are the structure
    n = len(buf)
    if not n:
        return LineStats(np.zeros(0, np.int32), np.zeros(0, bool), np.zeros(0, np.int64), False)
    ends = np.flatnonzero(buf == 10)
    cr = np.flatnonzero(buf == 13)
    if len(cr):  # a bare carriage return ends a line too (old Mac files), one followed by \n does not
        lone = cr[(cr + 1 >= n) | (buf[np.minimum(cr + 1, n - 1)] != 10)]
        ends = np.union1d(ends, lone)
    if not len(ends) or ends[-1] != n - 1:
        ends = np.append(ends, n)  # a last line without its line break
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    d = ord(delimiter)
    fields = np.empty(len(starts), dtype=np.int32)
    blank = np.empty(len(starts), dtype=bool)
    quoted = False
    first = 0
    while first < len(starts):
        last = int(np.searchsorted(starts, starts[first] + STATS_BLOCK, side="right"))
        last = max(last, first + 1)
        lo, hi = int(starts[first]), int(ends[last - 1]) + 1
        block = buf[lo:hi]
        rel = starts[first:last] - lo
        cls = _BYTE_CLASS[block]
        delim = block == d
        quote = cls == 2
        if quote.any():
            quoted = True
            if (np.add.reduceat(quote, rel, dtype=np.int32) % 2).any():
                return None
            edge = delim | (cls == 1) & ((block == 10) | (block == 13)) | quote
            prev_ok = np.concatenate([[True], edge[:-1]])
            next_ok = np.concatenate([edge[1:], [True]])
            if not (prev_ok | next_ok)[quote].all():
                return None
            delim &= ~np.bitwise_xor.accumulate(quote.view(np.uint8)).astype(bool)
        fields[first:last] = np.add.reduceat(delim, rel, dtype=np.int32) + 1
        blank[first:last] = np.add.reduceat(cls == 0, rel, dtype=np.int32) == 0
        first = last
    return LineStats(fields=fields, blank=blank, starts=starts, quoted=quoted)


def _fast_table(data: bytes, encoding: str, delimiter: str, name: str, stats: LineStats,
                header_score: Callable[[list[str]], int] | None,
                wanted: Callable[[list[str]], list[bool]] | None = None) -> RawTable | None:
    """The table of a file whose records are single lines, parsed from its bytes by pandas' C reader in
    chunks (the file never exists as one decoded text); None when the parser disagrees with the independent
    line count (the caller then reads the file record by record)."""
    errors = "workforce_latin1" if encoding == "cp1252" else "surrogatepass"
    nonblank = np.flatnonzero(~stats.blank)
    if not len(nonblank):
        raise ExtractRejected(f"{name} : le fichier est vide (aucune ligne).")
    scan = nonblank[:HEADER_SCAN]
    last = int(scan[-1]) + 1
    head = bytes(memoryview(data)[: int(stats.starts[last]) if last < len(stats.starts) else len(data)])
    head_records = list(csv.reader(io.StringIO(head.decode(encoding, errors), newline=""), delimiter=delimiter))
    if len(head_records) < last:
        return None
    head_i, header, preamble, warnings, body = _locate_header(head_records, nonblank, name, header_score, None)
    raw_header = head_records[head_i]
    width = len(header)
    total = int(stats.fields.max())
    take = [j for j, w in enumerate(wanted(header) if wanted is not None else [True] * width) if w]
    if not take:  # nothing mapped: the caller says which columns are missing; the first keeps the row count
        take = [0]
    parts: list[list[pd.Series]] = [[] for _ in range(width)]
    keep = np.zeros(len(stats.fields), dtype=bool)
    keep[body] = True
    seen = 0
    try:
        reader = pd.read_csv(io.BytesIO(data), sep=delimiter, header=None, names=range(max(total, width)),
                             dtype=object, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                             quoting=csv.QUOTE_MINIMAL if stats.quoted else csv.QUOTE_NONE, engine="c",
                             chunksize=FAST_CHUNK, encoding=encoding, encoding_errors=errors)
        for chunk in reader:
            rows = keep[seen : seen + len(chunk)]
            seen += len(chunk)
            if rows.any():
                for j in take:
                    parts[j].append(pd.Series(chunk[j].to_numpy()[rows], dtype=_STRINGS))
    except (pd.errors.ParserError, ValueError):
        return None
    if seen != len(stats.fields):  # the parser and the independent line count disagree
        return None
    rows = pd.DataFrame({header[j]: pd.concat(parts[j], ignore_index=True) for j in take})
    widths = stats.fields[body]
    shape = np.full(len(body), "", dtype=object)
    bad = np.flatnonzero(widths != width)
    shape[bad] = [_too_few(int(w), width) if w < width else _too_many(int(w), width) for w in widths[bad]]
    # the header repeated mid-file: every column read holds its own name (a data row cannot); an exact match
    # of the first column picks the few candidates
    maybe = np.flatnonzero((rows[header[take[0]]] == raw_header[take[0]]).fillna(False).to_numpy(dtype=bool))
    target = [raw_header[j].strip().casefold() for j in take]
    for i in maybe:
        if widths[i] == width and [str(c).strip().casefold() for c in rows.iloc[i]] == target:
            shape[i] = "ligne d'en-tête répétée au milieu du fichier"
    rows[SHAPE] = shape
    return RawTable(name=name, rows=rows, line=(body + 1).astype(np.int64), header=header, header_line=head_i + 1,
                    file_format="csv", preamble=preamble, warnings=warnings,
                    physical_lines=len(stats.fields), multiline_records=0)


@contextmanager
def no_gc():
    """Millions of small lists (one per record) make the cyclic GC scan again and again; none of them is
    cyclic, so the collector is paused while they are built (it doubled the reading time of 100,000 rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_table(data: bytes, name: str, header_score: Callable[[list[str]], int] | None = None,
               sheet: str | None = None, wanted: Callable[[list[str]], list[bool]] | None = None) -> RawTable:
    """Read CSV or XLSX bytes (`sheet`: the workbook's sheet to read; `wanted`: which columns of the header to
    hold, all by default). Raises ExtractRejected (French message naming the file) when unreadable."""
    with no_gc():
        return _read_table(data, name, header_score, sheet, wanted)


def _read_table(data: bytes, name: str, header_score: Callable[[list[str]], int] | None = None,
                sheet: str | None = None, wanted: Callable[[list[str]], list[bool]] | None = None) -> RawTable:
    if not data or not data.strip():
        raise ExtractRejected(f"{name} : le fichier est vide.")
    if data.startswith(b"PK\x03\x04"):
        records, starts, warnings = xlsx_records(data, name, sheet)
        table = to_table(records, starts, name, "xlsx", header_score)
        table.warnings[:0] = warnings
        return table
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractRejected(f"{name} : ancien format Excel (.xls) non pris en charge ; "
                              "enregistrez le classeur en .xlsx ou en CSV.")
    if data.startswith(b"%PDF"):
        raise ExtractRejected(f"{name} : c'est un PDF ; il faut l'extraction au format CSV ou XLSX.")
    encoding = single_encoding(data, name)
    if encoding is not None:  # the usual file: parsed from its bytes, line by line, when records allow
        head = data[:65536].decode(encoding, errors="ignore")
        delimiter = sniff_delimiter(head)
        stats = line_stats(data, delimiter)
        table = _fast_table(data, encoding, delimiter, name, stats, header_score, wanted) \
            if stats is not None else None
        if table is not None:
            table.encoding, table.delimiter = encoding, delimiter
            return table
    text, encoding, warnings = decode(data, name)
    delimiter = sniff_delimiter(text)
    records, starts, ends = _csv_records(text, delimiter, name)
    table = to_table(records, starts, name, "csv", header_score)
    check_quoting(text, records, starts, ends, table, delimiter)
    table.physical_lines = count_lines(text)
    table.multiline_records = int((ends > starts).sum())
    table.encoding, table.delimiter = encoding, delimiter
    table.warnings[:0] = warnings
    return table
