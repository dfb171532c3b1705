"""Column functions applied once per distinct value: the trick that keeps string handling off the row path."""

from __future__ import annotations

import numpy as np
import pandas as pd

UNIQUE_SHARE = 0.5  # work on the distinct values when they are fewer than this share of the rows


def by_unique(func):
    """Apply a column function once per distinct value, then spread the results back to the rows.

    An extract of 100,000 agents has a few dozen directions, statuts or quotités and a few thousand birth
    dates: parsing the distinct values only is what keeps string handling off the per-row path.
    """

    def wrapper(values: pd.Series, *args, **kwargs):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) > UNIQUE_SHARE * len(values):
            return func(values, *args, **kwargs)
        distinct = pd.Series(list(uniques) + [pd.NA], dtype=values.dtype if len(values) else "string")
        result = func(distinct, *args, **kwargs)
        if isinstance(result, pd.Series) and result.dtype == values.dtype and result.equals(distinct):
            return values.rename(values.name)  # clean column: the same array, not a million-row copy
        codes = np.where(codes < 0, len(uniques), codes)

        def spread(r: pd.Series) -> pd.Series:
            # `take` on the result's own array: Arrow strings are gathered in C++, never rebuilt one by one
            return pd.Series(r.array.take(codes), index=values.index, name=values.name)

        return tuple(spread(r) for r in result) if isinstance(result, tuple) else spread(result)

    wrapper.__name__, wrapper.__doc__ = func.__name__, func.__doc__
    return wrapper


def same_or(original: pd.Series, new: pd.Series) -> pd.Series:
    """`original` itself when `new` holds the same values (NA included): a clean column of a million rows is
    then shared, not copied, by the cleaning steps."""
    return original if new.equals(original) else new


@by_unique
def strip_or_na(values: pd.Series) -> pd.Series:
    """Text without surrounding spaces, NA when empty (pandas "string" dtype)."""
    s = values.astype("string")
    stripped = s.str.strip()
    return same_or(s, stripped.mask(stripped == ""))
