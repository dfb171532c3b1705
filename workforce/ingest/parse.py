"""Turn the canonical text columns into exact dtypes, vectorised, remembering every cell that could not be read.

Dates: dd/mm/yyyy, dd/mm/yy, yyyy-mm-dd (with or without a time), dd-mm-yyyy, dd.mm.yyyy, yyyymmdd and
Excel serial numbers (days since 1899-12-30), mixed freely in one column. Numbers: decimal comma or point,
thousands separators (space, non-breaking space, point, comma, apostrophe), a trailing %. The quotité is
a share: 80, "80 %" and 0,8 all read 0.8. Closed lists (sexe, statut, catégorie, ...) go through the
mapping's value synonyms; free text is stripped and its inner spaces collapsed.

Returns a typed frame with every canonical column (absent ones empty, or at their default) and a frame of
French reasons, one column per canonical column, "" where the cell was read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.ingest import columns as C
from workforce.ingest.mapping import Mapping, map_values, normalise_series
from workforce.ingest.uniques import by_unique, same_or

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MIN_PERCENT_QUOTITE = 10
"""A quotité above 1 is read as a percentage only from this value: 10 % of full time is the least a temps non
complet post carries in practice; 1 < q < 10 is refused as ambiguous."""

# zero-width and invisible characters a copy-paste leaves in identifiers
_INVISIBLE = "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
# Cyrillic and Greek capitals and small letters drawn like Latin ones (Unicode confusables of the Latin alphabet)
_CONFUSABLES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "У": "Y", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j", "ѕ": "s",
    "І": "I", "Ј": "J", "Ѕ": "S", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v",
})
DATE_DTYPE = "datetime64[ns]"

# (pattern on the stripped text, pandas format, rewrite of the text before parsing)
_DATE_FORMATS = (
    (r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", "%Y-%m-%d", r"^(\d{4}-\d{1,2}-\d{1,2}).*$"),
    (r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?", "%d/%m/%Y", None),
    (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d", None),
    (r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])", "%Y%m%d", None),
    (r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])(?:19|20)\d{2}", "%d%m%Y", None),
)
_SHORT_YEAR = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}"
_EXCEL_SERIAL = r"[1-9]\d{4}(?:[.,]\d+)?"  # 10000 (1927) .. 99999: earlier serials are no plausible date here


class CellReasons(dict):
    """Why cells were refused, by canonical column: a Series of French text indexed by row, holding the bad
    rows only (a million-row file with a hundred faults carries a hundred strings, not a million empty ones).
    The first reason given for a cell is kept."""

    def __init__(self, index: pd.Index):
        super().__init__()
        self.index = index

    def add(self, column: str, mask, reasons) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        values = np.full(int(mask.sum()), reasons, dtype=object) if isinstance(reasons, str) \
            else np.asarray(reasons, dtype=object)
        new = pd.Series(values, index=self.index[mask], dtype=object)
        old = self.get(column)
        self[column] = new if old is None else pd.concat([old, new[~new.index.isin(old.index)]])


@by_unique
def parse_dates(text: pd.Series, extract_date: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    """Dates (datetime64[ns], NaT when empty or unreadable) and a mask of the unreadable non-empty cells."""
    s = text.astype("string").str.strip()
    s = s.mask(s == "")
    out = pd.Series(pd.NaT, index=s.index, dtype=DATE_DTYPE)
    for pattern, fmt, rewrite in _DATE_FORMATS:
        mask = s.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            sub = s[mask]
            if rewrite:
                sub = sub.str.replace(rewrite, r"\1", regex=True)
            if fmt == "%d/%m/%Y":
                sub = sub.str.replace(r"[.-]", "/", regex=True).str.split(" ").str[0]
            out[mask] = pd.to_datetime(sub, format=fmt, errors="coerce").astype(DATE_DTYPE)
    short = s.str.fullmatch(_SHORT_YEAR).fillna(False).to_numpy(dtype=bool)
    if short.any():
        d = pd.to_datetime(s[short].str.replace(r"[.-]", "/", regex=True), format="%d/%m/%y", errors="coerce")
        # two-digit years: no date lies more than a year after the extract, so "12/05/65" is 1965
        late = d.dt.year > extract_date.year + 1
        d = d.where(~late, d - pd.DateOffset(years=100))
        out[short] = d.astype(DATE_DTYPE)
    serial = s.str.fullmatch(_EXCEL_SERIAL).fillna(False).to_numpy(dtype=bool)
    if serial.any():
        days = pd.to_numeric(s[serial].str.replace(",", "."), errors="coerce")
        out[serial] = (EXCEL_EPOCH + pd.to_timedelta(np.floor(days), unit="D")).astype(DATE_DTYPE)
    plausible = (out.dt.year >= 1900) & (out.dt.year <= 2100)
    out = out.where(plausible | out.isna())
    bad = (s.notna() & out.isna()).to_numpy(dtype=bool)
    return out, pd.Series(bad, index=s.index)


@by_unique
def parse_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Floats (NaN when empty or unreadable), a mask of the unreadable non-empty cells, and of those with a %."""
    s = text.astype("string").str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    s = s.mask(s == "")
    pct = s.str.endswith("%").fillna(False)
    s = s.str.removesuffix("%")
    n_comma, n_dot = s.str.count(","), s.str.count(r"\.")
    comma_last = s.str.rfind(",") > s.str.rfind(".")
    # decimal comma: the last separator when both occur, or a single comma; other separators are thousands
    dec_comma = ((n_comma > 0) & (n_dot > 0) & comma_last) | ((n_comma == 1) & (n_dot == 0))
    thousands_comma = (n_comma > 0) & ~dec_comma
    thousands_dot = ((n_dot > 0) & dec_comma) | (n_dot > 1)
    s = s.mask(thousands_dot.fillna(False), s.str.replace(".", "", regex=False))
    s = s.mask(thousands_comma.fillna(False), s.str.replace(",", "", regex=False))
    s = s.mask(dec_comma.fillna(False), s.str.replace(",", ".", regex=False))
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    finite = np.isfinite(values.to_numpy())
    values = values.where(finite)
    bad = (s.notna() & values.isna()).to_numpy(dtype=bool)
    return values, pd.Series(bad, index=s.index), pct.astype(bool)


@by_unique
def normalise_matricules(values: pd.Series, strip_zeros: bool = False) -> pd.Series:
    """One spelling per agent: Unicode NFKC (full-width digits), invisible characters removed, look-alike
    Cyrillic/Greek letters read as Latin, surrounding spaces stripped, and the leading zeros removed when the
    mapping says the SIRH drops them in some exports ("0100000" = "100000")."""
    s = values.astype("string").str.strip()
    exotic = s.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).to_numpy(dtype=bool)  # what NFKC may fold
    if exotic.any():
        odd = s[exotic].str.normalize("NFKC").str.replace(_INVISIBLE, "", regex=True)
        s[exotic] = odd.str.translate(_CONFUSABLES).str.strip()
    if strip_zeros:
        s = s.str.replace(r"^0+(?=.)", "", regex=True)
    return s.mask(s == "")


def near_duplicate_matricules(ids: pd.Series) -> pd.Series:
    """Groups of distinct matricules that differ only by case, spaces, dashes, dots or leading zeros: the same
    agent written two ways, or two agents a typo brings together. Returns {loose key: number of spellings}.

    Only the matricules with such a feature are keyed (a plain "A001" is its own key), which keeps a file of
    a million distinct identifiers to a quick pass."""
    ids = pd.Series(ids.dropna().unique(), dtype="string")
    special = ids.str.contains(r"[a-z\s.\-_/]|^0", regex=True).fillna(False).to_numpy(dtype=bool)
    if not special.any():
        return pd.Series(dtype="int64")
    keys = ids[special].str.upper().str.replace(r"[\s.\-_/]", "", regex=True).str.replace(r"^0+(?=.)", "", regex=True)
    plain = ids[~special]
    collide = keys.isin(plain) | keys.duplicated(keep=False)
    counts = keys[collide].value_counts()
    return counts + counts.index.isin(plain).astype("int64")  # the plain spelling, when there is one
@by_unique
def _text(values: pd.Series) -> pd.Series:
    s = values.astype("string")
    return same_or(s, s.str.replace(r"\s+", " ", regex=True).str.strip().replace("", pd.NA))


@by_unique
def _closed(values: pd.Series, mapping: Mapping, column: str) -> pd.Series:
    return map_values(_text(values), mapping.values.get(column, {}))


@by_unique
def _code(values: pd.Series) -> pd.Series:
    """Free codes (motif, position) not in the synonyms: lower case, no accents, words joined by _."""
    key = normalise_series(values).str.replace(" ", "_")
    return key.astype("string")


def parse(text: pd.DataFrame, mapping: Mapping, extract_date: pd.Timestamp) -> tuple[pd.DataFrame, CellReasons]:
    """Typed canonical frame and the reasons of the cells that could not be read (French); the input is not
    modified."""
    n = len(text)
    idx = text.index

    def col(name: str) -> pd.Series:
        return text[name] if name in text else pd.Series(pd.NA, index=idx, dtype="string")

    typed = pd.DataFrame(index=idx)
    why = CellReasons(idx)
    typed[C.AGENT_ID] = normalise_matricules(col(C.AGENT_ID), strip_zeros=mapping.options.get("matricule_zeros") == "strip")
    for name in C.DATE_COLUMNS:
        typed[name], bad = parse_dates(col(name), extract_date)
        why.add(name, bad, "date illisible ou impossible « " + col(name)[bad.to_numpy()].astype(str) + " »")
    typed[C.SEX] = _closed(col(C.SEX), mapping, C.SEX).str.upper()
    typed[C.STATUT] = _closed(col(C.STATUT), mapping, C.STATUT)
    cat = _closed(col(C.CATEGORIE), mapping, C.CATEGORIE)
    typed[C.CATEGORIE] = cat.where(~cat.str.fullmatch(r"[abcABC]").fillna(False), cat.str.upper())
    typed[C.FILIERE] = _closed(col(C.FILIERE), mapping, C.FILIERE)
    for name in (C.CADRE_EMPLOIS, C.GRADE, C.METIER_CODE, C.METIER_LABEL, C.DIRECTION, C.SERVICE):
        typed[name] = _text(col(name))
    quotite, bad, pct = parse_numbers(col(C.QUOTITE))
    # a percentage is written 50, 80 or 100; between 1 and MIN_PERCENT_QUOTITE ("1,5") it is neither a share nor a
    # percentage a payroll would write: refused rather than guessed (dividing by 100 stored 0.015)
    ambiguous = ~pct & (quotite > 1) & (quotite < MIN_PERCENT_QUOTITE)
    quotite = quotite.where(~(pct | (quotite >= MIN_PERCENT_QUOTITE) & (quotite <= 100)), quotite / 100)
    typed[C.QUOTITE] = quotite.fillna(1.0) if n else quotite
    why.add(C.QUOTITE, bad, "nombre illisible « " + col(C.QUOTITE)[bad.to_numpy()].astype(str) + " »")
    amb = ambiguous.fillna(False).to_numpy(dtype=bool)
    why.add(C.QUOTITE, amb, "quotité ambiguë « " + col(C.QUOTITE)[amb].astype(str)
            + " » : ni une part (0 à 1) ni un pourcentage (" + str(MIN_PERCENT_QUOTITE) + " à 100)")
    sc = _closed(col(C.SERVICE_CATEGORY), mapping, C.SERVICE_CATEGORY)
    typed[C.SERVICE_CATEGORY] = sc.fillna("sedentaire")
    for name in (C.POSITION, C.DEPARTURE_MOTIVE):
        mapped = _closed(col(name), mapping, name)
        known = set(mapping.values.get(name, {}).values())
        typed[name] = mapped.where(mapped.isin(known) | mapped.isna(), _code(mapped))
    for name in (C.ACTIVE_YEARS, *C.INT_COLUMNS):
        values, bad, _ = parse_numbers(col(name))
        if name in C.INT_COLUMNS:
            frac = (values - values.round()).abs() > 1e-6
            bad = bad | frac.fillna(False)
            values = values.round().where(~frac).astype("Int64")
        typed[name] = values
        why.add(name, bad, "nombre illisible « " + col(name)[bad.to_numpy()].astype(str) + " »")
    return typed[list(C.CANONICAL)], why
