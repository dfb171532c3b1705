"""The strict loader, the table contents as a whole, and the array helpers of workforce.rules."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workforce import rules
from workforce.rules import RulesTableError, load_table

DAYS = np.arange(np.datetime64("1945-01-01"), np.datetime64("1981-01-01"), dtype="datetime64[D]")


# --------------------------------------------------------------------------------------------------------------
# Strict loader: each failure on a temporary copy of a real table, with the message it must give
# --------------------------------------------------------------------------------------------------------------


def _copy(tmp_path: Path, name: str = "aod") -> Path:
    target = tmp_path / f"{name}.yaml"
    shutil.copy(rules.TABLES_DIR / f"{name}.yaml", target)
    return target


def _rewrite(path: Path, change) -> Path:
    data = rules.read_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _swap(rows, i, j):
    rows[i]["born_from"], rows[j]["born_from"] = rows[j]["born_from"], rows[i]["born_from"]


def _set(rows, i, key, value):
    rows[i][key] = value


STRUCTURE_CASES = {
    "unsorted": (
        lambda d: _swap(d["reform2023"]["sedentaire"], 7, 8),
        r"aod\.yaml: reform2023\.sedentaire\[8\] \(born_from 1962-01-01\): brackets not sorted",
    ),
    "duplicated-bracket": (
        lambda d: _set(d["lfss2026"]["active"], 8, "born_from", "1967-01-01"),
        r"aod\.yaml: lfss2026\.active\[8\] \(born_from 1967-01-01\): duplicated bracket",
    ),
    "unknown-row-key": (
        lambda d: _set(d["pre2023"]["active"], 0, "comment", "x"),
        r"aod\.yaml: pre2023\.active\[0\]: unknown key\(s\) 'comment'",
    ),
    "unknown-regime": (
        lambda d: d.update(reform2030=d["reform2023"]),
        r"aod\.yaml: top level: unknown key\(s\) 'reform2030'",
    ),
    "missing-regime": (
        lambda d: d.pop("lfss2026"),
        r"aod\.yaml: top level: missing key\(s\) 'lfss2026'",
    ),
    "missing-category": (
        lambda d: d["pre2023"].pop("insalubre"),
        r"aod\.yaml: pre2023: missing key\(s\) 'insalubre'",
    ),
    "bad-date": (
        lambda d: _set(d["reform2023"]["sedentaire"], 5, "born_from", "1965-02-30"),
        r"aod\.yaml: reform2023\.sedentaire\[5\] \(born_from 1965-02-30\): bad date '1965-02-30'",
    ),
    "bad-date-format": (
        lambda d: _set(d["reform2023"]["sedentaire"], 1, "born_from", "01/09/1961"),
        r"aod\.yaml: reform2023\.sedentaire\[1\] \(born_from 01/09/1961\): bad date '01/09/1961', expected YYYY-MM-DD",
    ),
    "bad-in-force-date": (
        lambda d: _set(d["lfss2026"]["sedentaire"], 9, "in_force_from", "2026-13-01"),
        r"aod\.yaml: lfss2026\.sedentaire\[9\] \(born_from 1964-01-01\): in_force_from: bad date '2026-13-01'",
    ),
    "float-months": (
        lambda d: _set(d["lfss2026"]["sedentaire"], 7, "months", 750.5),
        r"aod\.yaml: lfss2026\.sedentaire\[7\] \(born_from 1962-01-01\): months must be an integer, got 750\.5",
    ),
    "text-months": (
        lambda d: _set(d["lfss2026"]["sedentaire"], 7, "months", "750"),
        r"aod\.yaml: lfss2026\.sedentaire\[7\] \(born_from 1962-01-01\): months must be an integer, got '750' \(str\)",
    ),
    "bool-months": (
        lambda d: _set(d["lfss2026"]["sedentaire"], 7, "months", True),
        r"aod\.yaml: lfss2026\.sedentaire\[7\] \(born_from 1962-01-01\): months must be an integer, got True",
    ),
    "missing-months": (
        lambda d: d["pre2023"]["sedentaire"][0].pop("months"),
        r"aod\.yaml: pre2023\.sedentaire\[0\]: missing key\(s\) 'months'",
    ),
    "first-row-not-open": (
        lambda d: _set(d["pre2023"]["sedentaire"], 0, "born_from", "1900-01-01"),
        r"aod\.yaml: pre2023\.sedentaire\[0\] \(born_from 1900-01-01\): the first bracket must have born_from: null",
    ),
    "later-row-open": (
        lambda d: _set(d["reform2023"]["active"], 4, "born_from", None),
        r"aod\.yaml: reform2023\.active\[4\] \(born_from None\): only the first bracket may have born_from: null",
    ),
    "empty-block": (
        lambda d: d["reform2023"].update(insalubre=[]),
        r"aod\.yaml: reform2023\.insalubre: expected a non-empty list of brackets",
    ),
    "href-not-https": (
        lambda d: _set(d["pre2023"]["sedentaire"], 0, "href", "legifrance"),
        r"aod\.yaml: pre2023\.sedentaire\[0\] \(born_from None\): href must be an https:// address",
    ),
    "empty-ref": (
        lambda d: _set(d["pre2023"]["sedentaire"], 0, "ref", ""),
        r"aod\.yaml: pre2023\.sedentaire\[0\] \(born_from None\): ref: expected a non-empty text",
    ),
    "missing-unit": (
        lambda d: d["metadata"].pop("unit"),
        r"aod\.yaml: metadata: missing key\(s\) 'unit'",
    ),
    "bad-unit": (
        lambda d: d["metadata"].update(unit="year"),
        r"aod\.yaml: metadata\.unit must be one of month, quarter, got 'year'",
    ),
    "unknown-metadata-key": (
        lambda d: d["metadata"].update(source="x"),
        r"aod\.yaml: metadata: unknown key\(s\) 'source'",
    ),
    "bad-validity-date": (
        lambda d: d["metadata"].update(last_value_still_valid_on="bientôt"),
        r"aod\.yaml: metadata\.last_value_still_valid_on: bad date 'bientôt'",
    ),
}


@pytest.mark.parametrize("change, message", STRUCTURE_CASES.values(), ids=STRUCTURE_CASES.keys())
def test_loader_rejects(tmp_path, change, message):
    path = _rewrite(_copy(tmp_path), change)
    with pytest.raises(RulesTableError, match=message):
        load_table(path)


def test_loader_rejects_a_duplicate_key(tmp_path):
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    first = "      months: 747  # 62 ans 3 mois\n"
    assert first in text
    path.write_text(text.replace(first, first + "      months: 750\n", 1), encoding="utf-8")
    line = text[: text.index(first)].count("\n") + 2
    message = rf"aod\.yaml: duplicate key 'months' at line {line} \(first defined at line {line - 1}\)"
    with pytest.raises(RulesTableError, match=message):
        load_table(path)


def test_loader_rejects_a_duplicate_regime_block(tmp_path):
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    start = text.index("\npre2023:")
    end = text.index("\nreform2023:")
    path.write_text(text + text[start:end], encoding="utf-8")
    with pytest.raises(RulesTableError, match=r"aod\.yaml: duplicate key 'pre2023'"):
        load_table(path)


def test_loader_rejects_the_wrong_value_key_for_the_unit(tmp_path):
    """A quarters table holds `quarters`, not `months`."""
    path = _copy(tmp_path, "quarters")
    path.write_text(path.read_text(encoding="utf-8").replace("quarters: 163", "months: 163", 1), encoding="utf-8")
    with pytest.raises(RulesTableError, match=r"quarters\.yaml: pre2023\.sedentaire\[0\]: unknown key\(s\) 'months'"):
        load_table(path)


def test_loader_rejects_invalid_yaml(tmp_path):
    path = tmp_path / "aod.yaml"
    path.write_text("metadata: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesTableError, match=r"aod\.yaml: invalid YAML"):
        load_table(path)


def test_unmodified_copy_loads(tmp_path):
    """The fixtures above fail because of their one change, not because copies cannot load."""
    for name in rules.QUANTITIES:
        tab = load_table(_rewrite(_copy(tmp_path, name), lambda d: None))
        assert tab.blocks.keys() == rules.table(name).blocks.keys()


# --------------------------------------------------------------------------------------------------------------
# The built-in tables
# --------------------------------------------------------------------------------------------------------------


def test_tables_are_loaded_once():
    assert rules.table("aod") is rules.table("aod")
    with pytest.raises(ValueError, match="unknown law table 'aode'; allowed: aod, age_limit"):
        rules.table("aode")


@pytest.mark.parametrize("name", rules.QUANTITIES)
def test_every_row_cites_legifrance(name):
    tab = rules.table(name)
    assert tab.description and tab.last_value_still_valid_on >= dt.date(2026, 1, 1)
    for block in tab.blocks.values():
        for row in block.rows:
            assert row.ref.strip()
            assert row.href.startswith("https://www.legifrance.gouv.fr/"), row


def _rows(name, regime, category, start=None, end=None):
    """Rows of a block whose bracket starts in [start, end) (the open first row counts as before any start)."""
    lo = dt.date.fromisoformat(start) if start else dt.date.min
    hi = dt.date.fromisoformat(end) if end else dt.date.max
    return [r for r in rules.table(name).block(regime, category).rows if lo <= (r.born_from or dt.date.min) < hi]


def test_uncertain_figures_carry_an_assumption():
    """fpt-facts marks [D/U] and [U] figures: each such row says so; verified rows carry none."""
    aod = rules.table("aod")
    assert all(r.assumption for r in _rows("aod", "lfss2026", "active", "1960-01-01"))
    assert all(r.assumption is None for r in _rows("aod", "lfss2026", "active", None, "1960-01-01"))
    assert all(r.assumption for r in _rows("aod", "lfss2026", "insalubre", "1971-09-01"))
    steps = [r for r in aod.block("reform2023", "insalubre").rows if r.value not in (624, 648)]
    assert len(steps) == 12 and all(r.assumption for r in steps)  # 50 -> 52 (5 rows) and 52 -> 54 (7 rows)
    assert all(r.assumption is None for r in aod.block("lfss2026", "sedentaire").rows)
    assert any("2028" in text for text in aod.assumptions)  # the [U] post-2028 calendar
    for name in ("age_limit", "full_rate_age"):
        assert all(r.assumption for r in rules.table(name).block("reform2023", "insalubre").rows)
    for regime in rules.REGIMES:
        assert all(r.assumption is None for r in rules.table("age_limit").block(regime, "sedentaire").rows)
        # décote-free ages before 1955 (sédentaire) and 1960 (active) are an upper bound, not a fact
        assert all(r.assumption for r in _rows("full_rate_age", regime, "sedentaire", None, "1955-01-01"))
        assert all(r.assumption is None for r in _rows("full_rate_age", regime, "sedentaire", "1955-01-01"))
        assert all(r.assumption for r in _rows("full_rate_age", regime, "active", None, "1960-01-01"))
        assert all(r.assumption is None for r in _rows("full_rate_age", regime, "active", "1960-01-01"))
    quarters = rules.table("quarters")
    for regime in rules.REGIMES:
        sed = quarters.block(regime, "sedentaire").rows
        assert sed[0].assumption and all(r.assumption is None for r in sed[1:])  # births before 1951: assumed
        act = quarters.block(regime, "active").rows
        assert act[0].assumption  # births before 1956: their generation of reference is older than 1951
        assert all(r.assumption is None for r in _rows("quarters", regime, "active", "1956-01-01", "1966-09-01"))
        assert all(r.assumption for r in quarters.block(regime, "insalubre").rows)
    assert all(r.assumption for r in _rows("quarters", "reform2023", "active", "1966-09-01"))  # [U]
    assert all(r.assumption for r in _rows("quarters", "pre2023", "active", "1966-09-01"))  # [D]
    assert all(r.assumption is None for r in _rows("quarters", "lfss2026", "active", "1966-09-01"))


def test_lfss_rows_are_in_force_from_september_2026():
    rows = rules.table("aod").block("lfss2026", "sedentaire").rows
    lfss = [r for r in rows if "2025-1403" in r.ref]
    assert [r.born_from.year for r in lfss] == [1964, 1965, 1966, 1967, 1968]
    assert {r.in_force_from for r in lfss} == {dt.date(2026, 9, 1)}


def _differs(fn, category, a="reform2023", b="lfss2026"):
    return fn(DAYS, category, a) != fn(DAYS, category, b)


@pytest.mark.parametrize(
    "fn, category, first, last",
    [
        (rules.legal_age_months, "sedentaire", "1964-01-01", "1968-12-31"),
        (rules.legal_age_months, "active", "1969-01-01", "1973-12-31"),
        (rules.legal_age_months, "insalubre", "1974-01-01", "1978-12-31"),  # by assumption
        (rules.required_quarters, "sedentaire", "1964-01-01", "1965-12-31"),
        (rules.required_quarters, "active", "1969-01-01", "1970-12-31"),
    ],
    ids=["aod-sedentaire", "aod-active", "aod-insalubre", "quarters", "quarters-active"],
)
def test_reform2023_and_lfss2026_differ_only_for_the_suspended_generations(fn, category, first, last):
    """Every day from 1945 to 1980: the two variants differ exactly on [first, last], and LFSS is never later."""
    differs = _differs(fn, category)
    window = (DAYS >= np.datetime64(first)) & (DAYS <= np.datetime64(last))
    assert np.array_equal(differs, window), DAYS[differs ^ window][:5]
    assert np.all(fn(DAYS, category, "lfss2026") <= fn(DAYS, category, "reform2023"))


@pytest.mark.parametrize("fn", [rules.age_limit_months, rules.full_rate_age_months])
def test_age_limit_and_full_rate_age_are_the_same_in_every_regime(fn):
    for category in rules.CATEGORIES:
        assert not _differs(fn, category).any()
        assert not _differs(fn, category, "pre2023", "lfss2026").any()


@pytest.mark.parametrize("regime", rules.REGIMES)
@pytest.mark.parametrize("category", rules.CATEGORIES)
def test_ages_are_ordered_and_never_decrease_with_birth_date(regime, category):
    aod = rules.legal_age_months(DAYS, category, regime)
    full = rules.full_rate_age_months(DAYS, category, regime)
    limit = rules.age_limit_months(DAYS, category, regime)
    quarters = rules.required_quarters(DAYS, category, regime)
    assert np.all(aod <= full) and np.all(full <= limit)
    assert np.all(np.diff(aod) >= 0) and np.all(np.diff(quarters) >= 0)
    assert np.all(rules.legal_age_months(DAYS, category, "pre2023") <= aod)


def test_insalubre_quarters_are_the_sedentaire_ones():
    """Assumption [U]: catégorie insalubre needs the sédentaire number of quarters of its own generation."""
    for regime in rules.REGIMES:
        sed = rules.required_quarters(DAYS, "sedentaire", regime)
        assert np.array_equal(rules.required_quarters(DAYS, "insalubre", regime), sed)


def _quarters_of_the_generation_reaching_60_when_the_aod_opens(regime):
    """CPCMR L.13 III recomputed from the AOD table and the pre-2023 (loi Touraine) sédentaire calendar."""
    aod_year = rules.legal_age_date(DAYS, "active", regime).astype("datetime64[Y]").astype(np.int64) + 1970
    generation = (aod_year - 60 - 1970).astype("datetime64[Y]").astype("datetime64[D]") + np.timedelta64(181, "D")
    return rules.required_quarters(generation, "sedentaire", "pre2023")


@pytest.mark.parametrize("regime", rules.REGIMES)
def test_active_quarters_are_those_of_the_generation_reaching_60_when_the_aod_opens(regime):
    """The active rows of quarters.yaml are the rule, day by day from 1956 (earlier: the 1951 value, assumed)."""
    got = rules.required_quarters(DAYS, "active", regime)
    want = _quarters_of_the_generation_reaching_60_when_the_aod_opens(regime)
    ruled = DAYS >= np.datetime64("1956-01-01")
    if regime != "pre2023":  # the 2023 law gives the actives born from 1 Sept 1966 their own scale
        ruled &= DAYS < np.datetime64("1966-09-01")
    assert np.array_equal(got[ruled], want[ruled]), DAYS[ruled][got[ruled] != want[ruled]][:5]
    assert np.all(got[DAYS < np.datetime64("1956-01-01")] == 163)
    # never the sédentaire quarters of the agent's own year once they differ (born 1963: 167, not 170)
    sed = rules.required_quarters(DAYS, "sedentaire", regime)
    assert np.all(got <= sed)
    assert (got[(DAYS >= np.datetime64("1963-01-01")) & (DAYS < np.datetime64("1964-01-01"))] == 167).all()


def test_older_generations_are_the_same_in_every_regime():
    """Generations whose rights opened before the 2023 reform have one law, whatever the variant."""
    sed = DAYS < np.datetime64("1961-09-01")
    act = DAYS < np.datetime64("1966-09-01")
    for fn in (rules.legal_age_months, rules.age_limit_months, rules.full_rate_age_months, rules.required_quarters):
        # insalubre quarters follow the sédentaire calendar (assumption), so they part at the sédentaire date
        ins = sed if fn is rules.required_quarters else act
        for category, old in (("sedentaire", sed), ("active", act), ("insalubre", ins)):
            base = fn(DAYS[old], category, "pre2023")
            for regime in ("reform2023", "lfss2026"):
                assert np.array_equal(fn(DAYS[old], category, regime), base), (fn.__name__, category, regime)


def test_dates_pandas_cannot_hold_are_read_not_refused():
    """0001-01-01 and 9999-12-31 are implausible birth dates, not unreadable ones (pandas stops at 1677-2262)."""
    got = rules.as_dates(["9999-12-31", "0001-01-01", dt.date(1, 1, 1), "1965-01-01", None])
    assert got.tolist()[:4] == [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1, 1, 1), dt.date(1965, 1, 1)]
    assert np.isnat(got[4])
    with pytest.raises(ValueError, match=r"unreadable date '0001-02-30' at position 1"):
        rules.as_dates(["1965-01-01", "0001-02-30"])


# --------------------------------------------------------------------------------------------------------------
# Inputs, effective category, add_months
# --------------------------------------------------------------------------------------------------------------


def test_birth_dates_in_every_form_give_the_same_answer():
    text = ["1961-08-31", "1965-02-10", "1969-01-01"]
    expected = np.array([744, 753, 768])
    forms = [
        text,
        np.array(text, dtype="datetime64[D]"),
        np.array(text, dtype="datetime64[ns]"),
        pd.Series(pd.to_datetime(text)),
        pd.Series(text),
        pd.DatetimeIndex(text),
        [dt.date(1961, 8, 31), dt.date(1965, 2, 10), pd.Timestamp("1969-01-01 13:45")],
    ]
    for form in forms:
        got = rules.legal_age_months(form, "sedentaire", "lfss2026")
        assert got.dtype == np.int64 and np.array_equal(got, expected), form
    dates = rules.legal_age_date(pd.Series(pd.to_datetime(text)), None)
    assert dates.dtype == np.dtype("datetime64[D]")


def test_categories_accept_missing_values_accents_and_case():
    births = ["1970-06-15"] * 6
    cats = pd.Series(["Sédentaire", None, np.nan, "ACTIVE ", "insalubre", pd.NA], dtype=object)
    assert rules.legal_age_months(births, cats).tolist() == [768, 768, 768, 696, 624, 768]
    assert rules.legal_age_months(births, pd.Categorical(["active"] * 6)).tolist() == [696] * 6
    assert rules.legal_age_months(births).tolist() == [768] * 6  # no category: sédentaire


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown regime 'lfss2025'; allowed: pre2023, reform2023, lfss2026"):
        rules.legal_age_months(["1965-01-01"], "sedentaire", "lfss2025")
    with pytest.raises(ValueError, match=r"unknown service category \['actif'\] \(1 rows, first at position 1\)"):
        rules.legal_age_months(["1965-01-01"] * 2, ["active", "actif"])
    with pytest.raises(ValueError, match=r"unreadable date '1965-02-30' at position 1"):
        rules.legal_age_months(["1965-01-01", "1965-02-30"])
    with pytest.raises(ValueError, match=r"missing birth date at position 0 \(2 in all\)"):
        rules.required_quarters([None, "1965-01-01", np.nan])
    with pytest.raises(ValueError, match="expected 2 values, got 3"):
        rules.legal_age_months(["1965-01-01"] * 2, ["active"] * 3)


def test_effective_category():
    cats = ["active", "active", "active", "insalubre", "insalubre", "sedentaire", None, "active"]
    statut = ["titulaire", "Contractuel permanent", "stagiaire", "titulaire", None, "contractuel", None, np.nan]
    years = [17, 25, 16.5, np.nan, 3, 30, 30, None]
    got = rules.effective_category(cats, statut=statut, active_years=years)
    assert got.tolist() == [
        "active",  # 17 years: enough
        "sedentaire",  # contractuel: régime général
        "sedentaire",  # 16.5 < 17
        "insalubre",  # unknown years: keep the declared category
        "sedentaire",  # 3 < 17
        "sedentaire",
        "sedentaire",  # missing category
        "active",  # unknown years and statut
    ]
    assert rules.effective_category(cats).tolist() == [
        "active", "active", "active", "insalubre", "insalubre", "sedentaire", "sedentaire", "active"
    ]
    assert rules.effective_category("active", active_years=[20, 10], required_active_years=15).tolist() == [
        "active", "sedentaire"
    ]
    assert rules.effective_category(pd.Series(["active"]), statut=pd.Series(["contractuel"])).tolist() == [
        "sedentaire"
    ]
    with pytest.raises(ValueError, match="different lengths"):
        rules.effective_category(["active"] * 2, statut=["titulaire"] * 3)


@pytest.mark.parametrize(
    "start, months, expected",
    [
        ("2024-08-31", 3, "2024-11-30"),
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("1961-11-30", 747, "2024-02-29"),
        ("1963-05-31", 753, "2026-02-28"),
        ("1965-02-10", 753, "2027-11-10"),
        ("2024-03-31", -1, "2024-02-29"),
        ("2024-12-15", 0, "2024-12-15"),
        ("1960-02-29", 744, "2022-02-28"),
    ],
)
def test_add_months_clips_to_the_month_end(start, months, expected):
    assert rules.add_months([start], months)[0] == np.datetime64(expected)


def test_add_months_is_vectorised_and_keeps_nat():
    got = rules.add_months(pd.Series(["2024-01-31", None, "2024-05-31"]), np.array([1, 5, 6]))
    assert got.dtype == np.dtype("datetime64[D]")
    assert got[0] == np.datetime64("2024-02-29") and np.isnat(got[1]) and got[2] == np.datetime64("2024-11-30")
    assert rules.add_months(["2024-01-31"], np.array([1.0]))[0] == np.datetime64("2024-02-29")
    with pytest.raises(ValueError, match="whole numbers"):
        rules.add_months(["2024-01-31"], [1.5])
    with pytest.raises(ValueError, match="integers"):
        rules.add_months(["2024-01-31"], ["1"])


def test_legal_age_date_on_a_large_population():
    births = np.repeat(DAYS, 10)  # ~95,000 agents
    dates = rules.legal_age_date(births, np.where(np.arange(len(births)) % 7 == 0, "active", "sedentaire"))
    assert len(dates) == len(births) and not np.isnat(dates).any()


def test_bracket_for_names_the_row():
    row = rules.bracket_for("aod", "1966-05-01", "sedentaire")
    assert row.value == 759 and row.born_from == dt.date(1966, 1, 1) and "2025-1403" in row.ref
    row = rules.bracket_for("aod", "1970-05-01", "active", "lfss2026")
    assert row.value == 696 and row.assumption
