"""Run the YAML law cases of tests/rules/law_cases.yaml, and prove the runner fails on a wrong expectation.

A case is ``{name, regime?, input: {birth_date, category?, statut?, active_years?}, output: {...}}``; each output
is compared element by element and every mismatch is reported with the birth date and category at fault.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from workforce import rules

HERE = Path(__file__).parent
CASES_FILE = HERE / "law_cases.yaml"
FAILING_FILE = HERE / "failing_law_cases.yaml"

CASE_KEYS = {"name", "regime", "input", "output"}
INPUT_KEYS = {"birth_date", "category", "statut", "active_years"}
MONTH_OUTPUTS = {
    "aod_months": rules.legal_age_months,
    "age_limit_months": rules.age_limit_months,
    "full_rate_age_months": rules.full_rate_age_months,
    "quarters": rules.required_quarters,
}
DATE_OUTPUTS = {
    "aod_date": rules.legal_age_date,
    "age_limit_date": rules.age_limit_date,
    "full_rate_age_date": rules.full_rate_age_date,
}
OUTPUT_KEYS = set(MONTH_OUTPUTS) | set(DATE_OUTPUTS) | {"effective_category"}


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of a file, read with the strict loader (duplicate keys fail), names unique."""
    cases = rules.read_yaml(path)
    if not isinstance(cases, list):
        raise ValueError(f"{path.name}: expected a list of cases")
    names = [c.get("name") for c in cases]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"{path.name}: duplicated case names {sorted(duplicated)}")
    return cases


def _listify(value: Any, n: int) -> list[Any]:
    return list(value) if isinstance(value, list) else [value] * n


def run_case(case: dict[str, Any]) -> list[str]:
    """Evaluate one case; return one message per mismatching element (empty list = pass).

    Raises ValueError on a malformed case (unknown key, unknown output, lengths that differ), so that a typo
    can never make a case pass silently.
    """
    name = case.get("name", "<unnamed>")
    unknown = set(case) - CASE_KEYS
    if unknown or "input" not in case or "output" not in case:
        raise ValueError(f"case {name!r}: keys {sorted(case)}; allowed {sorted(CASE_KEYS)}, input and output required")
    inputs, outputs = case["input"], case["output"]
    if set(inputs) - INPUT_KEYS or "birth_date" not in inputs:
        raise ValueError(f"case {name!r}: input keys {sorted(inputs)}; allowed {sorted(INPUT_KEYS)}")
    if set(outputs) - OUTPUT_KEYS or not outputs:
        raise ValueError(f"case {name!r}: output keys {sorted(outputs)}; allowed {sorted(OUTPUT_KEYS)}")
    regime = case.get("regime", rules.DEFAULT_REGIME)
    births = inputs["birth_date"]
    n = len(births)
    declared = _listify(inputs.get("category"), n)
    if "statut" in inputs or "active_years" in inputs:
        categories = rules.effective_category(
            declared,
            statut=_listify(inputs.get("statut"), n),
            active_years=_listify(inputs.get("active_years"), n),
        )
    else:
        categories = np.asarray(declared, dtype=object)

    mismatches = []
    for key, expected in outputs.items():
        if len(expected) != n:
            raise ValueError(f"case {name!r}: output {key} has {len(expected)} values for {n} birth dates")
        if key in MONTH_OUTPUTS:
            got = MONTH_OUTPUTS[key](births, categories, regime)
            want = np.asarray(expected, dtype=np.int64)
        elif key in DATE_OUTPUTS:
            got = DATE_OUTPUTS[key](births, categories, regime)
            want = rules.as_dates(expected)
        else:
            got = np.asarray(categories, dtype=object)
            want = np.asarray(expected, dtype=object)
        for i in np.flatnonzero(got != want):
            mismatches.append(
                f"{name}: {key}[{i}] born {births[i]} ({declared[i]}, {regime}): expected {want[i]}, got {got[i]}"
            )
    return mismatches


CASES = load_cases(CASES_FILE)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_law_case(case):
    mismatches = run_case(case)
    assert not mismatches, "\n".join(mismatches)


def test_there_are_cases_for_every_regime_and_output():
    regimes = {c.get("regime", rules.DEFAULT_REGIME) for c in CASES}
    outputs = set().union(*(c["output"] for c in CASES))
    assert regimes == set(rules.REGIMES)
    assert outputs == OUTPUT_KEYS


# Quarters of catégorie insalubre follow the sédentaire calendar by assumption; one case spot-checks them and
# test_insalubre_quarters_are_the_sedentaire_ones (test_loader.py) checks every day.
UNCOVERED_BLOCKS = {("quarters", "insalubre")}
OUTPUT_OF = {"aod": "aod_months", "age_limit": "age_limit_months", "full_rate_age": "full_rate_age_months",
             "quarters": "quarters"}


def test_every_bracket_boundary_is_tested_on_both_sides():
    """Each born_from of each table has a case on that day and on the day before, same regime and category."""
    tested: set[tuple[str, str, str, np.datetime64]] = set()
    for case in CASES:
        regime = case.get("regime", rules.DEFAULT_REGIME)
        births = rules.as_dates(case["input"]["birth_date"])
        n = len(births)
        if "statut" in case["input"] or "active_years" in case["input"]:
            continue
        cats = rules.effective_category(_listify(case["input"].get("category"), n))
        for key in case["output"]:
            tested.update((key, regime, c, d) for c, d in zip(cats, births))
    missing = []
    for quantity, key in OUTPUT_OF.items():
        tab = rules.table(quantity)
        for (regime, category), block in tab.blocks.items():
            if (quantity, category) in UNCOVERED_BLOCKS:
                continue
            for start in block.bounds:
                for day in (start - np.timedelta64(1, "D"), start):
                    if (key, regime, category, day) not in tested:
                        missing.append(f"{quantity} {regime} {category} {day}")
    assert not missing, "boundaries without a law case:\n" + "\n".join(missing)


# --------------------------------------------------------------------------------------------------------------
# The runner itself can fail
# --------------------------------------------------------------------------------------------------------------


def test_failing_fixture_is_reported_as_a_mismatch():
    (wrong,) = [c for c in load_cases(FAILING_FILE) if c["name"].startswith("Cas faux")]
    mismatches = run_case(wrong)
    assert mismatches == [
        f"{wrong['name']}: aod_months[1] born 1969-01-01 (sedentaire, lfss2026): expected 765, got 768"
    ]
    with pytest.raises(AssertionError, match="expected 765, got 768"):
        test_law_case(wrong)


def test_failing_fixture_with_a_wrong_date_is_reported():
    (wrong,) = [c for c in load_cases(FAILING_FILE) if c["name"].startswith("Date fausse")]
    (message,) = run_case(wrong)
    assert "aod_date[0]" in message and "expected 2027-11-11, got 2027-11-10" in message


@pytest.mark.parametrize(
    "case, message",
    [
        ({"name": "typo", "input": {"birth_date": ["1965-01-01"]}, "output": {"aod_month": [759]}}, "output keys"),
        ({"name": "typo", "input": {"birth_date": ["1965-01-01"], "categorie": "active"},
          "output": {"aod_months": [1]}}, "input keys"),
        ({"name": "typo", "regim": "pre2023", "input": {"birth_date": ["1965-01-01"]},
          "output": {"aod_months": [1]}}, "allowed"),
        ({"name": "short", "input": {"birth_date": ["1965-01-01", "1966-01-01"]}, "output": {"aod_months": [1]}},
         "1 values for 2 birth dates"),
    ],
    ids=["unknown-output", "unknown-input", "unknown-case-key", "length"],
)
def test_malformed_case_is_an_error_not_a_pass(case, message):
    with pytest.raises(ValueError, match=message):
        run_case(case)
