"""Birth dates no serving agent can have, told apart from law questions.

Why: the law tables answer for any birth date, so a typo (2099 for 1999, 0001 for 1961) would otherwise come back
as a confident AOD in 2163. fpt-facts §1 draws the line: a birth date before 1900, in the future, of someone
younger than 15 or older than the age limit plus 10 years at the reference date is bad input, never a law
question. The check is relative to a reference date on purpose: the history panel holds agents who retired long
ago, and they are plausible at the dates they served; callers pass the date the agent is said to be in post.

Messages are in French: they reach the user as they are (``workforce rules`` exits 2 with them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workforce.rules import CATEGORIES, DEFAULT_REGIME, add_months, age_limit_months, as_dates, category_codes

__all__ = [
    "EARLIEST_BIRTH",
    "MIN_AGE_YEARS",
    "YEARS_PAST_AGE_LIMIT",
    "ImplausibleBirthDate",
    "birth_date_problems",
    "check_birth_dates",
]

EARLIEST_BIRTH = np.datetime64("1900-01-01", "D")
"""No birth date before this one is an agent's (fpt-facts §1)."""
MIN_AGE_YEARS = 15
"""Nobody younger than this at the reference date is an agent."""
YEARS_PAST_AGE_LIMIT = 10
"""Years past the age limit (extensions, late extracts) beyond which a birth date is a typo."""


class ImplausibleBirthDate(ValueError):
    """A birth date no serving agent can have at the reference date; the message is French, for the user."""


def _fr(days: np.ndarray) -> np.ndarray:
    """DD/MM/YYYY of each datetime64 day, years 1 and 9999 included (strftime does not pad years before 1000)."""
    parts = pd.Series(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D")).str.rsplit(
        "-", n=2, expand=True
    )
    return (parts[2] + "/" + parts[1] + "/" + parts[0].str.zfill(4)).to_numpy(dtype=object)


def birth_date_problems(
    birth_dates: Any, reference_date: Any, categories: Any = None, regime: str = DEFAULT_REGIME
) -> np.ndarray:
    """Per agent, the French reason its birth date is implausible at ``reference_date``, or None.

    Vectorised over agents; ``categories`` (None = sédentaire) and ``regime`` choose the age limit of the
    "older than the age limit plus 10 years" test. Missing birth dates raise (as in every lookup of the tables).
    """
    days = as_dates(birth_dates)
    if np.isnat(days).any():
        pos = np.flatnonzero(np.isnat(days))
        raise ValueError(f"missing birth date at position {pos[0]} ({len(pos)} in all)")
    ref = as_dates([reference_date])[0]
    if np.isnat(ref):
        raise ValueError("missing reference date")
    codes = category_codes(categories, len(days))
    too_early = days < EARLIEST_BIRTH
    future = days > ref
    # the table lookups only on dates a career can hold, so that no extreme date reaches the month arithmetic
    usable = np.where(too_early | future, ref, days)
    too_young = ~too_early & ~future & (add_months(usable, 12 * MIN_AGE_YEARS) > ref)
    limit = add_months(usable, age_limit_months(usable, np.asarray(CATEGORIES, dtype=object)[codes], regime))
    too_old = ~too_early & ~future & (add_months(limit, 12 * YEARS_PAST_AGE_LIMIT) < ref)

    when = _fr([ref])[0]
    reasons = np.select(
        [too_early, future, too_young, too_old],
        [
            f"antérieure au {_fr([EARLIEST_BIRTH])[0]}",
            f"postérieure à la date de référence ({when})",
            f"l'agent aurait moins de {MIN_AGE_YEARS} ans le {when}",
            "la limite d'âge, atteinte le " + _fr(limit)
            + f", serait dépassée de plus de {YEARS_PAST_AGE_LIMIT} ans le {when}",
        ],
        default="",
    ).astype(object)
    messages = "date de naissance invraisemblable « " + _fr(days) + " » : " + reasons
    return np.where(reasons != "", messages, None)


def check_birth_dates(
    birth_dates: Any, reference_date: Any, categories: Any = None, regime: str = DEFAULT_REGIME
) -> None:
    """Raise :class:`ImplausibleBirthDate` naming the first implausible birth date (see :func:`birth_date_problems`).

    The one check callers share (the ``rules`` command first): the law is asked only about dates an agent in
    post at ``reference_date`` can have.
    """
    problems = birth_date_problems(birth_dates, reference_date, categories, regime)
    bad = np.flatnonzero(problems != None)  # noqa: E711 - elementwise comparison on an object array
    if len(bad) == 0:
        return
    where = f" (position {bad[0]}, {len(bad)} dates en tout)" if len(problems) > 1 else ""
    raise ImplausibleBirthDate(f"{problems[bad[0]]}{where}.")
