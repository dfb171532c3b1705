"""Birth dates no serving agent can have (workforce.rules.plausibility), on both sides of every limit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workforce.rules.plausibility import ImplausibleBirthDate, birth_date_problems, check_birth_dates

REF = "2026-06-01"


@pytest.mark.parametrize(
    "birth, category, reason",
    [
        ("1899-12-31", "sedentaire", "« 31/12/1899 » : antérieure au 01/01/1900"),
        ("1800-01-01", "sedentaire", "« 01/01/1800 » : antérieure au 01/01/1900"),
        ("0001-01-01", "sedentaire", "« 01/01/0001 » : antérieure au 01/01/1900"),
        ("2026-06-02", "sedentaire", "« 02/06/2026 » : postérieure à la date de référence (01/06/2026)"),
        ("2099-01-01", "sedentaire", "« 01/01/2099 » : postérieure à la date de référence (01/06/2026)"),
        ("9999-12-31", "sedentaire", "« 31/12/9999 » : postérieure à la date de référence (01/06/2026)"),
        ("2011-06-02", "sedentaire", "« 02/06/2011 » : l'agent aurait moins de 15 ans le 01/06/2026"),
        ("2026-06-01", "active", "« 01/06/2026 » : l'agent aurait moins de 15 ans le 01/06/2026"),
        # 1 Jun 1951: limit 65 (born before 1 Jul 1951) reached 1 Jun 2016, + 10 years = 1 Jun 2026: still plausible
        ("1951-05-31", "sedentaire",
         "« 31/05/1951 » : la limite d'âge, atteinte le 31/05/2016, serait dépassée de plus de 10 ans le 01/06/2026"),
        # active born 1964: limit 62 in 2026, plausible; born 1954: limit 60 in 2014, + 10 = 2024: too old
        ("1954-06-01", "active",
         "« 01/06/1954 » : la limite d'âge, atteinte le 01/06/2014, serait dépassée de plus de 10 ans le 01/06/2026"),
    ],
    ids=["1899", "1800", "year-1", "tomorrow", "2099", "9999", "14-years", "born-today", "sedentaire-too-old",
         "active-too-old"],
)
def test_implausible_birth_dates(birth, category, reason):
    (problem,) = birth_date_problems([birth], REF, [category])
    assert problem == f"date de naissance invraisemblable {reason}"
    with pytest.raises(ImplausibleBirthDate, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_birth_dates(np.array([birth], dtype="datetime64[D]"), REF, category)


@pytest.mark.parametrize(
    "birth, category",
    [
        ("1900-01-01", "sedentaire"),  # not before 1900 ... and at the reference date of 1960 below
        ("2011-06-01", "sedentaire"),  # 15 years to the day
        ("1951-06-01", "sedentaire"),  # limit 65 + 10 years reached on the reference date itself
        ("1954-06-02", "sedentaire"),  # limit 66 y 7 m + 10: January 2031
        ("1956-06-01", "active"),  # limit 60 + 10 = 1 Jun 2026, the reference date
        ("1965-02-10", "sedentaire"),
        ("1965-02-10", "insalubre"),
    ],
)
def test_plausible_birth_dates(birth, category):
    reference = "1960-01-01" if birth == "1900-01-01" else REF
    assert birth_date_problems([birth], reference, category).tolist() == [None]
    check_birth_dates([birth], reference, category)  # no error


def test_the_age_limit_depends_on_the_category():
    """Born 1 Jan 1956, reference 2026-06-01: a sédentaire (limit 67 in 2023) is plausible, an active (limit 60 in
    2016, + 10 years = 1 Jan 2026) is not; an active born 1960 (limit 62 in 2022) is."""
    problems = birth_date_problems(["1956-01-01", "1956-01-01", "1960-01-01"], REF, ["sedentaire", "active", "active"])
    assert [p is None for p in problems] == [True, False, True]


def test_historical_agents_are_plausible_at_the_dates_they_served():
    """The check is relative: an agent born in 1945 is plausible in 2005, not in 2026."""
    births = pd.Series(pd.to_datetime(["1945-03-15", "1980-01-01"]))
    assert birth_date_problems(births, dt.date(2005, 1, 1)).tolist() == [None, None]
    assert [p is None for p in birth_date_problems(births, dt.date(2026, 1, 1))] == [False, True]


def test_many_dates_name_the_first_and_count_them():
    births = ["1965-02-10", "2099-01-01", "1980-05-05", "1800-01-01"]
    with pytest.raises(ImplausibleBirthDate) as err:
        check_birth_dates(births, REF)
    assert str(err.value) == (
        "date de naissance invraisemblable « 01/01/2099 » : postérieure à la date de référence (01/06/2026)"
        " (position 1, 2 dates en tout)."
    )
    assert [p is None for p in birth_date_problems(births, REF)] == [True, False, True, False]


def test_vectorised_on_a_large_population():
    days = np.arange(np.datetime64("1890-01-01"), np.datetime64("2030-01-01"), dtype="datetime64[D]")
    problems = birth_date_problems(days, REF)
    ok = np.array([p is None for p in problems])
    # plausible exactly from 1 Jun 1951 (65 + 10 years on the reference date) to 1 Jun 2011 (15 years)
    assert days[ok][0] == np.datetime64("1951-06-01") and days[ok][-1] == np.datetime64("2011-06-01")
    assert ok.sum() == (np.datetime64("2011-06-02") - np.datetime64("1951-06-01")).astype(int)


def test_missing_dates_are_errors_not_plausible():
    with pytest.raises(ValueError, match="missing birth date at position 1"):
        birth_date_problems(["1965-01-01", None], REF)
    with pytest.raises(ValueError, match="missing reference date"):
        birth_date_problems(["1965-01-01"], None)
