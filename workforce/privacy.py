"""Privacy by construction: pseudonyms at ingest and small-cell suppression on every aggregate."""

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
