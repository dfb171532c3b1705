"""The person-year panel: one row per agent and year at risk, outcomes that match the movements, no row after a
departure, covariates that follow the law tables, and the same panel from the database as from the frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import panel as P
from workforce import rules
from workforce.synth import RETIREMENT_MOTIVES, SynthParams, generate, store


def _windows(extract_dates) -> pd.DataFrame:
    return P.year_anchors(extract_dates)


def test_one_row_per_agent_and_year_at_risk(small_synth, small_panel):
    snaps = small_synth.snapshots
    anchors = _windows(snaps["extract_date"])
    assert not small_panel.duplicated([P.AGENT_ID, P.YEAR]).any()
    assert anchors[P.YEAR].tolist() == sorted(small_panel[P.YEAR].unique().tolist())
    for row in anchors.itertuples():
        present = set(snaps.loc[snaps["extract_date"] == row.anchor_date, "agent_id"])
        rows = set(small_panel.loc[small_panel[P.YEAR] == row.year, P.AGENT_ID])
        assert rows == present, f"year {row.year}: risk set differs from the extract of {row.anchor_date}"


def test_years_start_the_day_after_their_anchor_and_touch(small_synth):
    anchors = _windows(small_synth.snapshots["extract_date"])
    assert (anchors[P.START_DATE] == anchors[P.ANCHOR_DATE] + pd.Timedelta(days=1)).all()
    assert (anchors[P.END_DATE].iloc[:-1].to_numpy() == anchors[P.ANCHOR_DATE].iloc[1:].to_numpy()).all()
    # a monthly history ending on 31 December: every year but the first is fully observed
    assert anchors[P.EXPOSURE].iloc[1:].eq(1.0).all()
    assert 0.9 < anchors[P.EXPOSURE].iloc[0] <= 1.0


def test_outcomes_match_the_movements(small_synth, small_panel):
    """Every departure of an agent at risk is the outcome of exactly its agent-year, with its motive and date,
    and every outcome other than `stay` comes from such a departure."""
    anchors = _windows(small_synth.snapshots["extract_date"])
    dep = small_synth.movements[small_synth.movements["kind"] == "departure"].copy()
    d = dep["movement_date"].to_numpy("datetime64[D]")
    idx = np.searchsorted(anchors[P.ANCHOR_DATE].to_numpy("datetime64[D]"), d, side="left") - 1
    inside = (idx >= 0) & (d <= anchors[P.END_DATE].to_numpy("datetime64[D]")[np.clip(idx, 0, None)])
    dep = dep[inside].assign(year=anchors[P.YEAR].to_numpy()[idx[inside]])
    expected = dep.merge(small_panel[[P.AGENT_ID, P.YEAR]], on=[P.AGENT_ID, P.YEAR], how="inner")
    expected["outcome"] = np.where(expected["motive"].isin(RETIREMENT_MOTIVES), P.RETIREMENT, P.EXIT)
    got = small_panel[small_panel[P.OUTCOME] != P.STAY]
    merged = got.merge(expected, on=[P.AGENT_ID, P.YEAR], how="outer", suffixes=("", "_mv"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged[P.OUTCOME] == merged["outcome_mv"]).all()
    assert (merged[P.MOTIVE] == merged["motive_mv"]).all()
    assert (merged[P.EVENT_DATE].to_numpy("datetime64[D]") == merged["movement_date"].to_numpy("datetime64[D]")).all()
    assert {P.RETIREMENT, P.EXIT, P.STAY} == set(small_panel[P.OUTCOME])
    assert small_panel.loc[small_panel[P.OUTCOME] == P.STAY, P.MOTIVE].isna().all()


def test_no_agent_year_after_departure(small_panel):
    left = small_panel[small_panel[P.OUTCOME] != P.STAY].groupby(P.AGENT_ID)[P.YEAR].min()
    later = small_panel.merge(left.rename("left_in").reset_index(), on=P.AGENT_ID)
    assert (later[P.YEAR] <= later["left_in"]).all()
    assert not small_panel[small_panel[P.OUTCOME] != P.STAY].duplicated(P.AGENT_ID).any()


def test_covariates_follow_the_law_tables(small_panel):
    rows = small_panel.sample(400, random_state=0)
    years = rows[P.ACTIVE_YEARS].to_numpy(float) + np.where(rows[P.SERVICE_CATEGORY] == "active", 1.0, 0.0)
    eff = rules.effective_category(rows[P.SERVICE_CATEGORY].to_numpy(object), rows[P.STATUT].to_numpy(object), years)
    assert (eff == rows[P.EFFECTIVE_CATEGORY].to_numpy()).all()
    aod = rules.legal_age_date(rows[P.BIRTH_DATE], eff, P.HISTORY_REGIME)
    start = rows[P.START_DATE].to_numpy("datetime64[D]")
    months = aod.astype("datetime64[M]").astype(int) - start.astype("datetime64[M]").astype(int)
    assert (months == rows[P.MONTHS_TO_AOD].to_numpy()).all()
    limit = rules.age_limit_date(rows[P.BIRTH_DATE], eff, P.HISTORY_REGIME)
    assert (limit == rows[P.LIMIT_DATE].to_numpy("datetime64[D]")).all()
    age = (start - rows[P.BIRTH_DATE].to_numpy("datetime64[D]")).astype(int) / 365.25
    np.testing.assert_allclose(age, rows[P.AGE].to_numpy())
    assert (rows[P.REQUIRED_QUARTERS].to_numpy() == rules.required_quarters(rows[P.BIRTH_DATE], eff,
                                                                            P.HISTORY_REGIME)).all()
    # contractuels follow the sédentaire calendar
    assert (rows.loc[rows[P.STATUT].str.startswith("contractuel"), P.EFFECTIVE_CATEGORY] == "sedentaire").all()


def _hand_made():
    """Four agents over 2020: A leaves after its AOD (motive unknown), B before it (unknown), C vanishes
    without a movement, D stays; extracts on 31 December 2019 and 2020."""
    births = {"A": "1957-03-10", "B": "1975-06-01", "C": "1980-01-01", "D": "1985-01-01"}
    snaps = pd.DataFrame({
        "extract_date": pd.to_datetime(["2019-12-31"] * 4 + ["2020-12-31"]),
        "agent_id": ["A", "B", "C", "D", "D"],
        "birth_date": pd.to_datetime([births[a] for a in "ABCD"] + [births["D"]]),
        "statut": "titulaire", "categorie": "C", "direction": "DGS", "metier_code": "M1",
    })
    moves = pd.DataFrame({
        "agent_id": ["A", "B"], "movement_date": pd.to_datetime(["2020-06-15", "2020-03-01"]),
        "kind": "departure", "motive": ["inconnu", None],
    })
    return snaps, moves


def test_unknown_motives_and_vanished_agents():
    snaps, moves = _hand_made()
    before = (snaps.copy(), moves.copy())
    panel = P.build_panel(snaps, moves).set_index(P.AGENT_ID)
    assert panel.loc["A", P.OUTCOME] == P.RETIREMENT  # unknown motive after the AOD (62 in 2019)
    assert panel.loc["B", P.OUTCOME] == P.EXIT  # unknown motive at 44
    assert panel.loc["C", P.OUTCOME] == P.EXIT and panel.loc["C", P.MOTIVE] == P.UNKNOWN_MOTIVE
    assert panel.loc["C", P.EVENT_DATE] == pd.Timestamp("2020-12-31")
    assert panel.loc["D", P.OUTCOME] == P.STAY
    assert (panel[P.YEAR] == 2020).all() and (panel[P.EXPOSURE] == 1.0).all()
    strict = P.build_panel(snaps, moves, unknown_after_aod_is_retirement=False).set_index(P.AGENT_ID)
    assert strict.loc["A", P.OUTCOME] == P.EXIT
    pd.testing.assert_frame_equal(snaps, before[0])  # inputs untouched
    pd.testing.assert_frame_equal(moves, before[1])


def test_year_anchors_pick_the_extract_closest_to_new_year():
    dates = pd.to_datetime(["2016-01-31", "2016-06-30", "2016-12-31", "2017-12-31", "2019-06-30"])
    a = P.year_anchors(dates)
    assert a[P.YEAR].tolist() == [2016, 2017, 2018]
    assert a[P.ANCHOR_DATE].dt.strftime("%Y-%m-%d").tolist() == ["2016-01-31", "2016-12-31", "2017-12-31"]
    # 2018 has no anchor in 2019 (no extract near 1 January 2019): its window closes at the last extract
    assert a[P.END_DATE].dt.strftime("%Y-%m-%d").tolist() == ["2016-12-31", "2017-12-31", "2019-06-30"]
    assert a[P.EXPOSURE].iloc[0] == pytest.approx(335 / 366)
    assert P.year_anchors([]).empty


def test_missing_columns_are_named():
    snaps, moves = _hand_made()
    with pytest.raises(ValueError, match="birth_date"):
        P.build_panel(snaps.drop(columns="birth_date"), moves)
    with pytest.raises(ValueError, match="motive"):
        P.build_panel(snaps, moves.drop(columns="motive"))


@pytest.fixture(scope="module")
def tiny_synth():
    return generate(SynthParams(n_agents=300, years=3, seed=5))


def test_history_from_the_database_gives_the_same_panel(engine, tiny_synth):
    store(tiny_synth, engine)
    loaded = P.load_history(engine)
    framed = P.history_from_frames(tiny_synth.snapshots, tiny_synth.movements)
    assert (loaded.extract_dates == framed.extract_dates).all()
    a = P.build_panel(loaded.snapshots, loaded.movements)
    b = P.build_panel(framed.snapshots, framed.movements)
    assert len(a) == len(b) > 0
    key = [P.YEAR, P.AGENT_ID]
    a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    for col in (P.AGENT_ID, P.YEAR, P.OUTCOME, P.MONTHS_TO_AOD, P.MONTHS_TO_LIMIT, P.EFFECTIVE_CATEGORY):
        assert a[col].tolist() == b[col].tolist(), col
    assert len(loaded.base()) == (tiny_synth.snapshots["extract_date"] == tiny_synth.snapshots["extract_date"].max()).sum()


def test_empty_database_gives_an_empty_history(engine):
    history = P.load_history(engine)
    assert history.empty and history.snapshots.empty
