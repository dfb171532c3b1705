"""Retirement law as dated parameter tables, read by vectorised functions.

Why: the retirement model, the projection engine and the invariants all need, for every agent, the earliest
legal retirement date (AOD), the age limit, the age at which the décote is cancelled and the number of
quarters required for the full rate. These figures are law, and law changes (2010, 2014, 2023, LFSS 2026):
so they live in YAML tables (``workforce/rules/tables/<quantity>.yaml``), one row per birth-date bracket, each
row citing its legal text, and a new law is a new block plus boundary cases, never new code.

Table shape (see ``tables/aod.yaml``)::

    metadata: {description, unit: month|quarter, last_value_still_valid_on, notes, assumptions}
    <regime>:                        # pre2023, reform2023, lfss2026 (all three required)
      <category>:                    # sedentaire, active, insalubre (all three required)
        - {born_from: null, months: 744, ref: "...", href: "https://www.legifrance.gouv.fr/..."}
        - {born_from: 1961-09-01, months: 747, ref: "...", href: "...", assumption: "..."}

The first row of a block has ``born_from: null`` (all earlier births), later rows start on strictly
increasing dates, so every birth date falls in exactly one bracket. The value key is ``months`` for ages
(``unit: month``) and ``quarters`` for quarter counts (``unit: quarter``). A row may carry
``in_force_from`` (the date the text applies to pensions) and an ``assumption`` text: every figure that
``fpt-facts.md`` marks [U] or [D] has one.

Glossary: AOD (âge d'ouverture des droits) is the legal minimum retirement age; limite d'âge the age at which
a fonctionnaire must leave; décote the pension cut per missing quarter, cancelled at the full-rate age;
catégorie sédentaire / active / insalubre the CNRACL service category (active: 17 years of services actifs
give an earlier AOD; insalubre, "super-active": sewer workers).

Rules that are a computation in the texts stay data: the quarters of the catégorie active (those of the generation
reaching 60 in the year the agent's own AOD opens, CPCMR L.13 III) are written out as the ``active`` brackets of
``tables/quarters.yaml``, and a test recomputes them from the AOD table.

Whether a birth date can be a serving agent's at all (not before 1900, not in the future, at least 15, at most the
age limit plus 10 years at a reference date) is :mod:`workforce.rules.plausibility`, not a law question.

All functions take whole-population arrays (numpy, pandas, lists; dates as datetime64, pandas Timestamps,
``datetime.date`` or ISO strings) and return 1-D numpy arrays; lookups are ``np.searchsorted`` on the
bracket starts of each (regime, category) block, never a Python loop over agents.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

__all__ = [
    "CATEGORIES",
    "DEFAULT_CATEGORY",
    "DEFAULT_REGIME",
    "QUANTITIES",
    "REGIMES",
    "TABLES_DIR",
    "Block",
    "Bracket",
    "RuleTable",
    "RulesTableError",
    "add_months",
    "age_limit_date",
    "age_limit_months",
    "as_dates",
    "bracket_for",
    "category_codes",
    "effective_category",
    "full_rate_age_date",
    "full_rate_age_months",
    "legal_age_date",
    "legal_age_months",
    "load_table",
    "read_yaml",
    "required_quarters",
    "table",
]

REGIMES: tuple[str, ...] = ("pre2023", "reform2023", "lfss2026")
"""Law variants: before the 2023 reform, the 2023 reform (loi 2023-270), the LFSS 2026 suspension."""
DEFAULT_REGIME = "lfss2026"
CATEGORIES: tuple[str, ...] = ("sedentaire", "active", "insalubre")
"""CNRACL service categories; a missing category (None/NaN) means sédentaire."""
DEFAULT_CATEGORY = "sedentaire"
QUANTITIES: tuple[str, ...] = ("aod", "age_limit", "full_rate_age", "quarters")
"""One table file per quantity, ``tables/<quantity>.yaml``."""
TABLES_DIR = Path(__file__).parent / "tables"

_UNITS = {"month": "months", "quarter": "quarters"}  # unit -> value key of the rows
_METADATA_REQUIRED = ("description", "unit", "last_value_still_valid_on")
_METADATA_OPTIONAL = ("notes", "assumptions")
_ROW_REQUIRED = ("born_from", "ref", "href")  # plus the value key
_ROW_OPTIONAL = ("assumption", "in_force_from")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_VALUE = 100 * 12  # no age or quarter count reaches 100 years


class RulesTableError(ValueError):
    """A law table is malformed; the message names the file and the entry at fault."""


# --------------------------------------------------------------------------------------------------------
# Strict YAML reading
# --------------------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys and keeps dates as text (parsed and checked by us)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key: let PyYAML raise its own error
                break
            if first is not None:
                raise RulesTableError(
                    f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                    f"(first defined at line {first})"
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# Dates stay strings: PyYAML would otherwise turn 1965-02-30 into an exception without a row to name.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file strictly: duplicate keys are errors, dates are returned as strings.

    Raises
    ------
    RulesTableError
        Naming the file, on duplicate keys or YAML syntax errors.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except RulesTableError as err:
        raise RulesTableError(f"{path.name}: {err}") from None
    except yaml.YAMLError as err:
        raise RulesTableError(f"{path.name}: invalid YAML: {err}") from None


# --------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bracket:
    """One row of a law table: the value for births from ``born_from`` (None = all earlier births)."""

    born_from: dt.date | None
    value: int
    ref: str
    href: str
    assumption: str | None = None
    in_force_from: dt.date | None = None


@dataclass(frozen=True, eq=False)
class Block:
    """The brackets of one (regime, category), with the arrays the vectorised lookup needs.

    ``bounds`` holds the ``born_from`` of rows 1..n-1 (datetime64[D]); ``values`` the n row values (int64).
    A birth date d falls in row ``np.searchsorted(bounds, d, side="right")``.
    """

    regime: str
    category: str
    rows: tuple[Bracket, ...]
    bounds: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)

    def index(self, days: np.ndarray) -> np.ndarray:
        """Row index of each birth date (datetime64[D] array without NaT)."""
        return np.searchsorted(self.bounds, days, side="right")


@dataclass(frozen=True, eq=False)
class RuleTable:
    """A loaded law table: metadata plus one :class:`Block` per (regime, category)."""

    name: str
    path: Path
    description: str
    unit: str
    last_value_still_valid_on: dt.date
    notes: tuple[str, ...]
    assumptions: tuple[str, ...]
    blocks: Mapping[tuple[str, str], Block]

    def block(self, regime: str, category: str) -> Block:
        _check_regime(regime)
        if category not in CATEGORIES:
            raise ValueError(f"unknown service category {category!r}; allowed: {', '.join(CATEGORIES)}")
        return self.blocks[(regime, category)]


def _parse_date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise RulesTableError(f"{where}: bad date {value!r}, expected YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise RulesTableError(f"{where}: bad date {value!r} ({err})") from None


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulesTableError(f"{where}: expected a non-empty text, got {value!r}")
    return value


def _check_keys(found: Mapping[Any, Any], required: tuple[str, ...], optional: tuple[str, ...], where: str) -> None:
    unknown = [k for k in found if k not in required and k not in optional]
    if unknown:
        raise RulesTableError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(required + optional)}"
        )
    missing = [k for k in required if k not in found]
    if missing:
        raise RulesTableError(f"{where}: missing key(s) {', '.join(map(repr, missing))}")


def _parse_row(raw: Any, value_key: str, where: str, first: bool) -> Bracket:
    if not isinstance(raw, Mapping):
        raise RulesTableError(f"{where}: a bracket must be a mapping, got {raw!r}")
    _check_keys(raw, _ROW_REQUIRED + (value_key,), _ROW_OPTIONAL, where)
    born = raw["born_from"]
    where = f"{where} (born_from {born})"
    if first:
        if born is not None:
            raise RulesTableError(f"{where}: the first bracket must have born_from: null (all earlier births)")
        born_from = None
    else:
        if born is None:
            raise RulesTableError(f"{where}: only the first bracket may have born_from: null")
        born_from = _parse_date(born, where)
    value = raw[value_key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesTableError(f"{where}: {value_key} must be an integer, got {value!r} ({type(value).__name__})")
    if not 0 <= value <= _MAX_VALUE:
        raise RulesTableError(f"{where}: {value_key} out of range: {value}")
    href = _text(raw["href"], f"{where}: href")
    if not href.startswith("https://"):
        raise RulesTableError(f"{where}: href must be an https:// address, got {href!r}")
    assumption = raw.get("assumption")
    in_force = raw.get("in_force_from")
    return Bracket(
        born_from=born_from,
        value=value,
        ref=_text(raw["ref"], f"{where}: ref"),
        href=href,
        assumption=None if assumption is None else _text(assumption, f"{where}: assumption"),
        in_force_from=None if in_force is None else _parse_date(in_force, f"{where}: in_force_from"),
    )


def _parse_block(raw: Any, value_key: str, regime: str, category: str, fname: str) -> Block:
    where = f"{fname}: {regime}.{category}"
    if not isinstance(raw, list) or not raw:
        raise RulesTableError(f"{where}: expected a non-empty list of brackets, got {raw!r}")
    rows = tuple(
        _parse_row(item, value_key, f"{where}[{i}]", first=(i == 0)) for i, item in enumerate(raw)
    )
    for i in range(2, len(rows)):
        prev, cur = rows[i - 1].born_from, rows[i].born_from
        assert prev is not None and cur is not None
        if cur == prev:
            raise RulesTableError(f"{where}[{i}] (born_from {cur}): duplicated bracket, same born_from as row {i - 1}")
        if cur < prev:
            raise RulesTableError(
                f"{where}[{i}] (born_from {cur}): brackets not sorted, starts before row {i - 1} (born_from {prev})"
            )
    bounds = np.array([r.born_from for r in rows[1:]], dtype="datetime64[D]")
    values = np.array([r.value for r in rows], dtype=np.int64)
    bounds.flags.writeable = False
    values.flags.writeable = False
    return Block(regime=regime, category=category, rows=rows, bounds=bounds, values=values)


def load_table(path: str | Path) -> RuleTable:
    """Load and validate one law table file (not cached; :func:`table` is the cached entry point).

    Raises
    ------
    RulesTableError
        On duplicate or unknown keys, bad dates, non-integer values, unsorted or duplicated brackets, a
        missing regime or category; the message names the file and the entry.
    """
    path = Path(path)
    fname = path.name
    raw = read_yaml(path)
    if not isinstance(raw, Mapping):
        raise RulesTableError(f"{fname}: expected a mapping with 'metadata' and one block per regime")
    _check_keys(raw, ("metadata",) + REGIMES, (), f"{fname}: top level")
    meta = raw["metadata"]
    if not isinstance(meta, Mapping):
        raise RulesTableError(f"{fname}: metadata must be a mapping")
    _check_keys(meta, _METADATA_REQUIRED, _METADATA_OPTIONAL, f"{fname}: metadata")
    unit = meta["unit"]
    if unit not in _UNITS:
        raise RulesTableError(f"{fname}: metadata.unit must be one of {', '.join(_UNITS)}, got {unit!r}")
    lists = {}
    for key in _METADATA_OPTIONAL:
        items = meta.get(key, [])
        if not isinstance(items, list):
            raise RulesTableError(f"{fname}: metadata.{key} must be a list of texts")
        lists[key] = tuple(_text(t, f"{fname}: metadata.{key}[{i}]") for i, t in enumerate(items))
    blocks: dict[tuple[str, str], Block] = {}
    for regime in REGIMES:
        by_cat = raw[regime]
        if not isinstance(by_cat, Mapping):
            raise RulesTableError(f"{fname}: {regime} must map each category to its brackets")
        _check_keys(by_cat, CATEGORIES, (), f"{fname}: {regime}")
        for category in CATEGORIES:
            blocks[(regime, category)] = _parse_block(by_cat[category], _UNITS[unit], regime, category, fname)
    return RuleTable(
        name=path.stem,
        path=path,
        description=_text(meta["description"], f"{fname}: metadata.description"),
        unit=unit,
        last_value_still_valid_on=_parse_date(
            meta["last_value_still_valid_on"], f"{fname}: metadata.last_value_still_valid_on"
        ),
        notes=lists["notes"],
        assumptions=lists["assumptions"],
        blocks=blocks,
    )


@functools.cache
def table(name: str) -> RuleTable:
    """The built-in table ``tables/<name>.yaml``, loaded once per process."""
    if name not in QUANTITIES:
        raise ValueError(f"unknown law table {name!r}; allowed: {', '.join(QUANTITIES)}")
    return load_table(TABLES_DIR / f"{name}.yaml")


def _check_regime(regime: str) -> None:
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; allowed: {', '.join(REGIMES)}")


# --------------------------------------------------------------------------------------------------------
# Array helpers
# --------------------------------------------------------------------------------------------------------


def _as_1d(values: Any) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index)):
        return values.to_numpy()
    if isinstance(values, (pd.Categorical, pd.api.extensions.ExtensionArray)):
        return np.asarray(values, dtype=object)
    arr = np.asarray(values)
    return arr.reshape(-1) if arr.ndim != 1 else arr


def as_dates(values: Any) -> np.ndarray:
    """Dates as a 1-D ``datetime64[D]`` array; missing values (None, NaN, NaT) become NaT.

    Accepts datetime64 arrays, pandas Series/Index, ``datetime.date``/``Timestamp`` objects and ISO strings
    (``YYYY-MM-DD``). Times of day are dropped.

    Raises
    ------
    ValueError
        Naming the first unreadable value and its position.
    """
    arr = _as_1d(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]")
    obj = pd.Index(arr.astype(object), dtype=object)
    parsed = pd.to_datetime(obj, format="ISO8601", errors="coerce")
    bad = np.asarray(parsed.isna()) & ~np.asarray(pd.isna(obj))
    out = parsed.to_numpy().astype("datetime64[D]")
    if bad.any():
        # pandas holds nanoseconds (1677-2262): a readable date outside is a bad birth date, not an unreadable one
        out[bad] = _outside_nanoseconds(obj[bad])
        bad &= np.isnat(out)
    if bad.any():
        pos = np.flatnonzero(bad)
        raise ValueError(
            f"unreadable date {obj[pos[0]]!r} at position {pos[0]} ({len(pos)} in all); expected YYYY-MM-DD"
        )
    return out


def _outside_nanoseconds(values: pd.Index) -> np.ndarray:
    """ISO strings and ``datetime.date`` objects pandas refused, as datetime64[D] (NaT where unreadable).

    Only the refused values pass here (a typo such as 0001-01-01 or 9999-12-31, never the population).
    """
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    for i, value in enumerate(values):
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                continue
        if isinstance(value, dt.date):
            out[i] = np.datetime64(value, "D")
    return out


def _birth_days(birth_dates: Any) -> np.ndarray:
    days = as_dates(birth_dates)
    missing = np.isnat(days)
    if missing.any():
        pos = np.flatnonzero(missing)
        raise ValueError(f"missing birth date at position {pos[0]} ({len(pos)} in all)")
    return days


def _normalise_text(values: Any, n: int | None) -> pd.Series:
    """Strings stripped, lower-cased and without accents; missing stays missing; scalars broadcast to n."""
    if values is None or isinstance(values, str) or np.ndim(values) == 0:
        values = [values] * (1 if n is None else n)
    s = pd.Series(_as_1d(values).astype(object), dtype=object)
    if n is not None and len(s) != n:
        raise ValueError(f"expected {n} values, got {len(s)}")
    # a population holds a handful of distinct values: normalise those, then broadcast back
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    text = pd.Series(uniques, dtype=object).astype("string").str.strip().str.lower()
    clean = text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").to_numpy(dtype=object)
    out = np.where(codes >= 0, clean[np.clip(codes, 0, None)] if len(clean) else None, None)
    return pd.Series(out, dtype="string")


def category_codes(categories: Any, n: int | None = None) -> np.ndarray:
    """Integer codes (index in :data:`CATEGORIES`) of service categories; None/NaN -> sédentaire.

    ``categories`` is an array-like of strings ("sedentaire", "active", "insalubre"; case and accents are
    ignored) or one value broadcast to ``n`` rows.

    Raises
    ------
    ValueError
        Listing the unknown values and the allowed ones.
    """
    text = _normalise_text(categories, n).fillna(DEFAULT_CATEGORY)
    codes = pd.Index(CATEGORIES).get_indexer(text).astype(np.int8)
    if (codes < 0).any():
        bad = text[codes < 0]
        raise ValueError(
            f"unknown service category {sorted(set(bad))!r} ({len(bad)} rows, first at position {bad.index[0]}); "
            f"allowed: {', '.join(CATEGORIES)} (None/NaN = {DEFAULT_CATEGORY})"
        )
    return codes


def _length(*arrays: Any) -> int | None:
    lengths = {np.size(a) if np.ndim(a) else None for a in arrays if a is not None and not isinstance(a, str)}
    lengths.discard(None)
    if len(lengths) > 1:
        raise ValueError(f"arrays of different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else None


def effective_category(
    categories: Any,
    statut: Any = None,
    active_years: Any = None,
    required_active_years: float = 17,
) -> np.ndarray:
    """The service category whose retirement rules apply to each agent.

    Contractuels (``statut`` starting with "contractuel") are in the régime général, whose legal age follows
    the sédentaire calendar. Catégorie active or insalubre needs ``required_active_years`` of services actifs:
    when ``active_years`` is given, an agent below it gets the sédentaire rules; NaN (unknown) keeps the
    declared category. Returns a 1-D object array of values from :data:`CATEGORIES`.
    """
    n = _length(categories, statut, active_years)
    codes = category_codes(categories, n)
    cats = np.asarray(CATEGORIES, dtype=object)[codes]
    if statut is not None:
        st = _normalise_text(statut, len(cats))
        contractuel = st.str.startswith("contractuel").astype(object).fillna(False).to_numpy(dtype=bool)
        cats[contractuel] = DEFAULT_CATEGORY
    if active_years is not None:
        raw = _as_1d(active_years) if np.ndim(active_years) else [active_years] * len(cats)
        years = pd.Series(raw, dtype=object).astype("float64").to_numpy()  # None, NaN, pd.NA -> NaN
        short = (codes > 0) & ~np.isnan(years) & (years < required_active_years)
        cats[short] = DEFAULT_CATEGORY
    return cats


def add_months(dates: Any, months: Any) -> np.ndarray:
    """``dates`` plus whole ``months``, same day of month clipped to the month's end (datetime64[D]).

    Born 31 Aug + 3 months -> 30 Nov; 30 Nov 1961 + 62 y 3 m -> 29 Feb 2024. ``months`` is an integer array
    or scalar (negative allowed), broadcast against ``dates``; NaT dates give NaT.
    """
    days = as_dates(dates)
    m = np.asarray(months)
    if m.dtype.kind == "f":
        if not np.all(np.isfinite(m)) or not np.all(m == np.round(m)):
            raise ValueError("months must be whole numbers")
        m = m.astype(np.int64)
    elif m.dtype.kind not in "iu":
        raise ValueError(f"months must be integers, got dtype {m.dtype}")
    days, m = np.broadcast_arrays(days, m.astype(np.int64))
    nat = np.isnat(days)
    safe = np.where(nat, np.datetime64("1970-01-01", "D"), days)
    start = safe.astype("datetime64[M]")
    day0 = (safe - start.astype("datetime64[D]")).astype(np.int64)
    target = start + m.astype("timedelta64[M]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    out = target.astype("datetime64[D]") + np.minimum(day0, length - 1).astype("timedelta64[D]")
    out[nat] = np.datetime64("NaT")
    return out


# --------------------------------------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------------------------------------


def _lookup(quantity: str, birth_dates: Any, categories: Any, regime: str) -> np.ndarray:
    _check_regime(regime)
    days = _birth_days(birth_dates)
    codes = category_codes(categories, len(days))
    tab = table(quantity)
    out = np.empty(len(days), dtype=np.int64)
    for code, category in enumerate(CATEGORIES):  # three categories, never the agents
        sel = codes == code
        if sel.any():
            block = tab.blocks[(regime, category)]
            out[sel] = block.values[block.index(days[sel])]
    return out


def legal_age_months(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """AOD (âge d'ouverture des droits) in months, per agent (int64). ``categories`` None = all sédentaire."""
    return _lookup("aod", birth_dates, categories, regime)


def legal_age_date(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """Date the AOD is reached (datetime64[D]): birth date plus :func:`legal_age_months`."""
    return add_months(birth_dates, legal_age_months(birth_dates, categories, regime))


def age_limit_months(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """Limite d'âge in months (int64): the age by which a fonctionnaire must have left."""
    return _lookup("age_limit", birth_dates, categories, regime)


def age_limit_date(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """Date the limite d'âge is reached (datetime64[D])."""
    return add_months(birth_dates, age_limit_months(birth_dates, categories, regime))


def full_rate_age_months(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """Age in months at which the décote is cancelled whatever the quarters (int64)."""
    return _lookup("full_rate_age", birth_dates, categories, regime)


def full_rate_age_date(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """Date the décote-cancellation age is reached (datetime64[D])."""
    return add_months(birth_dates, full_rate_age_months(birth_dates, categories, regime))


def required_quarters(birth_dates: Any, categories: Any = None, regime: str = DEFAULT_REGIME) -> np.ndarray:
    """Insurance quarters required for the full rate (taux plein), per agent (int64)."""
    return _lookup("quarters", birth_dates, categories, regime)


def bracket_for(quantity: str, birth_date: Any, category: Any = None, regime: str = DEFAULT_REGIME) -> Bracket:
    """The table row that applies to one agent, with its reference and any assumption (for explanations)."""
    _check_regime(regime)
    day = _birth_days([birth_date] if np.ndim(birth_date) == 0 else birth_date)
    if len(day) != 1:
        raise ValueError("bracket_for takes one birth date")
    code = int(category_codes(category, 1)[0])
    block = table(quantity).blocks[(regime, CATEGORIES[code])]
    return block.rows[int(block.index(day)[0])]
