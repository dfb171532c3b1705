"""Privacy by construction: pseudonyms at ingest, small-cell suppression on every aggregate, and what a cell
must never carry, in (personal data) or out (a spreadsheet formula)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

MIN_CELL = 5
PSEUDONYM_LENGTH = 20  # hex characters: 80 bits, no collision in any realistic population


def pseudonymise(ids, key: bytes) -> np.ndarray:
    """Keyed hash (HMAC-SHA256) of agent identifiers: stable across extracts, not reversible without the key."""
    values = pd.Series(ids, dtype="string").str.strip()
    uniques, codes = np.unique(values.fillna("").to_numpy(dtype=str), return_inverse=True)
    base = hmac.new(key, digestmod=hashlib.sha256)  # keyed state built once, copied per identifier

    def one(u: str) -> str:
        h = base.copy()
        h.update(u.encode())
        return h.hexdigest()[:PSEUDONYM_LENGTH]

    hashed = np.array([one(u) for u in uniques], dtype=object)
    return hashed[codes]


PSEUDONYM_BLOCK = 100_000


def pseudonymise_series(ids: pd.Series, key: bytes) -> pd.Series:
    """`pseudonymise` over a column, block by block into compact strings (missing ids stay missing): a
    million identifiers never exist as two million Python strings at once."""
    out = []
    for start in range(0, len(ids), PSEUDONYM_BLOCK):
        block = ids.iloc[start : start + PSEUDONYM_BLOCK]
        hashed = pd.Series(pd.NA, index=block.index, dtype="string")
        present = block.notna().to_numpy()
        if present.any():
            hashed[present] = pseudonymise(block[present].to_numpy(dtype=object), key)
        out.append(hashed)
    return pd.concat(out) if out else pd.Series(dtype="string", index=ids.index)


def suppress_small(frame: pd.DataFrame, count_col: str, value_cols=None, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Blank every cell of a group counting fewer than `min_cell` agents (but not zero).

    Returns a copy with the count and `value_cols` set to NA and a boolean `suppressed` column,
    so a chart or an export shows that a figure exists but is too small to publish.
    """
    out = frame.copy()
    small = (out[count_col] > 0) & (out[count_col] < min_cell)
    cols = [count_col, *(value_cols or [])]
    for col in cols:
        out[col] = out[col].astype("Float64").mask(small)
    out["suppressed"] = small.to_numpy()
    return out


# ------------------------------------------------------------------------------- personal data in text cells

_SEP = "[ .\\-\u00a0\u202f\u2007\u2009]?"  # between digit groups: space, no-break spaces (French Excel), dot, dash
PERSONAL_PATTERNS = {
    # NIR (numéro de sécurité sociale): sex digit, birth year and month (20 for unknown, 30-42 or 50-99 for some
    # registrations), département (2A/2B for Corsica), commune, order number, optional 2-digit key; the groups
    # separated as people type them
    "NIR": rf"(?<![0-9A-Za-z])[1-478]{_SEP}\d{{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d{{2}}|2[AaBb]){_SEP}"
           rf"\d{{3}}{_SEP}\d{{3}}(?:{_SEP}\d{{2}})?(?![0-9A-Za-z])",
    # an address, or anything written like one: a word character on each side of an @ (« jean@cd » included)
    "e-mail": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*",
    # French numbers: 0X XX XX XX XX, +33 X XX XX XX XX, +33 (0)X XX XX XX XX, 0033 ..., groups separated or not
    "téléphone": rf"(?<!\d)(?:(?:\+|00)33{_SEP}(?:\(0\){_SEP})?|0)[1-9](?:{_SEP}\d{{2}}){{4}}(?!\d)",
}
"""What a stored text cell must never hold, by the name shown in the quality report. Matched after Unicode
NFKC, so full-width digits and ＠ are caught as well."""


def _nfkc(values: pd.Series) -> pd.Series:
    return values.astype("string").str.normalize("NFKC")


def personal_data_kind(values: pd.Series) -> pd.Series:
    """For each text cell, the kind of personal data it holds ("NIR", "e-mail", "téléphone") or "".

    Applied once per distinct value: a column of 1,000,000 cells holds a few hundred distinct directions.
    """
    out = pd.Series("", index=values.index, dtype=object)
    if not len(values):
        return out
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    distinct = _nfkc(pd.Series(uniques, dtype="string"))
    kind = pd.Series("", index=distinct.index, dtype=object)
    for name, pattern in PERSONAL_PATTERNS.items():
        hit = distinct.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool) & (kind == "").to_numpy()
        kind[hit] = name
    found = kind.to_numpy()[np.where(codes < 0, 0, codes)] if len(distinct) else np.full(len(values), "", object)
    out[:] = np.where(codes < 0, "", found)
    return out


def redact(values: pd.Series) -> pd.Series:
    """The same text with every NIR, e-mail and telephone number replaced by a marker: for the cells that are
    kept for a person to read (quarantined rows, reasons quoting a value). A cell with one is given in its
    NFKC form, the form it was found in."""
    out = values.astype("string")
    normal = _nfkc(out)
    for name, pattern in PERSONAL_PATTERNS.items():
        hit = normal.str.contains(pattern, regex=True).fillna(False)
        if hit.any():
            out = out.where(~hit, normal.str.replace(pattern, f"[{name} supprimé]", regex=True))
            normal = _nfkc(out)
    return out


def redact_text(text: str | None) -> str | None:
    """`redact` of one text (a file name, a title line)."""
    return None if text is None else str(redact(pd.Series([text], dtype="string")).iloc[0])


FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula.

OWASP « CSV Injection »: ``=``, ``+``, ``-``, ``@``, tab and carriage return, and the full-width ``＝ ＋ － ＠``
(some spreadsheets fold them to ASCII); ASVS 5.0 (1.2.10) adds NUL; line feed is taken with carriage return.
``|`` is left out: alone it triggers nothing, and a DDE payload (``=cmd|' /C calc'!A0``) starts with one of the
characters above. Only the very first character counts, as in the OWASP rule: « -3,5 » written by us as a
number stays a number; a text « -3,5 » becomes « '-3,5 »."""
