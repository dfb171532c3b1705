"""Skill supply, demand and gap: the gap is supply minus demand, a leaver takes exactly their skills away,
entrants bring the profile in force, dated requirements enter the demand from their year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import skills as sk

YEARS = [2026, 2027]


@pytest.fixture
def tiny():
    """Two métiers, three skills, four agents in two directions."""
    timeline = pd.DataFrame({
        "metier_code": ["M1", "M1", "M2", "M2"], "skill_code": ["S1", "S2", "S2", "S3"], "level": [2, 1, 3, 2],
        "from_year": pd.array([None, None, None, 2027], dtype="Int64")})
    agents = pd.DataFrame({"agent_id": ["a1", "a2", "a3", "a4"], "metier_code": ["M1", "M1", "M2", "M2"],
                           "direction": ["D1", "D1", "D2", "D1"], "etp": [1.0, 0.5, 1.0, 0.8]})
    assessed = pd.DataFrame({"agent_id": ["a2", "a1"], "skill_code": ["S1", "S3"], "level": [1, 2]})
    skills = np.array(["S1", "S2", "S3"], dtype=object)
    levels = sk.agent_level_matrix(agents, assessed, sk.active_requirements(timeline, 2025), skills)
    groups = agents.groupby(["metier_code", "direction"], as_index=False)["etp"].sum()
    positions = pd.concat([groups.assign(year=y, demand=groups["etp"] + 0.5) for y in YEARS], ignore_index=True)
    return timeline, agents, levels, skills, positions


def _cell(balance, direction, year, skill, what="supply"):
    d = list(balance.directions).index(direction)
    y = list(balance.years).index(year)
    s = list(balance.skills).index(skill)
    return getattr(balance, what)[d, y, s]


def test_levels_come_from_the_profile_replaced_by_assessments(tiny):
    timeline, agents, levels, skills, _ = tiny
    dense = levels.toarray()
    assert dense[0].tolist() == [2, 1, 2]  # a1: M1 profile plus an assessed S3
    assert dense[1].tolist() == [1, 1, 0]  # a2: assessed below the profile on S1
    assert dense[2].tolist() == [0, 3, 0]  # a3: M2 today (S3 is required only from 2027)
    assert sk.held_thresholds(timeline, skills).tolist() == [2, 1, 2]


def test_supply_demand_and_gap_by_hand(tiny):
    timeline, agents, levels, skills, positions = tiny
    presence = np.ones((4, 2))
    b = sk.skill_balance(positions, agents, levels, timeline, skills, presence=presence)
    # D1: a1 (1.0, holds S1 S2 S3), a2 (0.5, S2 only: S1 below level 2), a4 (0.8, S2)
    assert _cell(b, "D1", 2026, "S1") == pytest.approx(1.0)
    assert _cell(b, "D1", 2026, "S2") == pytest.approx(2.3)
    assert _cell(b, "D1", 2026, "S3") == pytest.approx(1.0)
    # demand: posts (etp + 0.5) x requirements in force; S3 is required by M2 from 2027 only
    assert _cell(b, "D1", 2026, "S1", "demand") == pytest.approx(2.0)
    assert _cell(b, "D1", 2026, "S2", "demand") == pytest.approx(2.0 + 1.3)
    assert _cell(b, "D1", 2026, "S3", "demand") == 0
    assert _cell(b, "D1", 2027, "S3", "demand") == pytest.approx(1.3)
    assert _cell(b, "D2", 2027, "S3", "demand") == pytest.approx(1.5)
    assert _cell(b, "D1", 2026, "S2", "holders") == pytest.approx(3.0)
    f = b.frame
    assert np.allclose(f["gap_fte"], f["supply_fte"] - f["demand_fte"])


def test_a_leaver_takes_exactly_their_skills_away(tiny):
    timeline, agents, levels, skills, positions = tiny
    presence = np.ones((4, 2))
    before = sk.skill_balance(positions, agents, levels, timeline, skills, presence=presence)
    gone = presence.copy()
    gone[0, 1] = 0.0  # a1 leaves in 2027 and is not replaced
    fewer = positions.copy()
    fewer.loc[(fewer["year"] == 2027) & (fewer["metier_code"] == "M1") & (fewer["direction"] == "D1"), "etp"] -= 1.0
    after = sk.skill_balance(fewer, agents, levels, timeline, skills, presence=gone)
    diff = after.supply - before.supply
    held_a1 = sk.held_matrix(levels, sk.held_thresholds(timeline, skills)).toarray()[0]
    d1 = list(after.directions).index("D1")
    assert np.allclose(diff[d1, 1], -1.0 * held_a1)
    assert np.allclose(np.delete(diff, d1, axis=0), 0) and np.allclose(diff[:, 0], 0)
    assert np.allclose(after.holders - before.holders, diff)  # a1 works full time
    assert np.allclose(after.demand, before.demand)  # posts still demanded: the gap widens
    assert np.allclose(after.frame["gap_fte"], after.frame["supply_fte"] - after.frame["demand_fte"])


def test_a_replaced_leaver_brings_back_the_profile_not_their_extras(tiny):
    timeline, agents, levels, skills, positions = tiny
    presence = np.ones((4, 2))
    before = sk.skill_balance(positions, agents, levels, timeline, skills, presence=presence)
    gone = presence.copy()
    gone[0, 1] = 0.0  # a1 leaves in 2027, the post stays filled: an entrant on the M1 profile (S1, S2)
    after = sk.skill_balance(positions, agents, levels, timeline, skills, presence=gone)
    d1 = list(after.directions).index("D1")
    assert np.allclose(after.supply[d1, 1] - before.supply[d1, 1], [0, 0, -1.0])  # S3 was a1's own
    assert _cell(after, "D1", 2027, "S1", "entrants") == pytest.approx(1.0)


def test_presence_derived_from_positions(tiny):
    _, agents, _, _, positions = tiny
    p = positions.assign(hires=np.where(positions["metier_code"] == "M1", 0.3, 0.0))
    share = sk.presence_from_positions(agents, p, np.array(YEARS))
    # (M1, D1): 1.5 FTE today, 0.3 hired each year -> 1.2/1.5 then 0.9/1.5 of today's agents remain
    assert np.allclose(share[0], [0.8, 0.6]) and np.allclose(share[1], [0.8, 0.6])
    assert np.allclose(share[2], 1) and np.allclose(share[3], 1)


def test_presence_of_the_wrong_shape_is_refused(tiny):
    timeline, agents, levels, skills, positions = tiny
    with pytest.raises(ValueError, match="presence must be agents x years"):
        sk.skill_balance(positions, agents, levels, timeline, skills, presence=np.ones((3, 2)))


def test_gap_identity_and_indicators_on_the_departement(analysis):
    g = analysis.gaps
    assert len(g) > 1000
    assert np.allclose(g["gap_fte"], g["supply_fte"] - g["demand_fte"])
    assert np.allclose(g["shortage_fte"], np.clip(g["demand_fte"] - g["supply_fte"], 0, None))
    assert (g["supply_fte"] >= 0).all() and (g["holders"] >= g["supply_fte"] - 1e-9).all()
    assert g["criticality"].between(0, 1).all()
    # urgency is the first year of a shortage of at least 0.5 FTE
    short = g[g["shortage_fte"] >= 0.5]
    first = short.groupby(["direction", "skill_code"])["year"].min()
    urg = g.dropna(subset=["urgency"]).drop_duplicates(["direction", "skill_code"]).set_index(
        ["direction", "skill_code"])["urgency"]
    assert first.sort_index().astype(int).equals(urg.reindex(first.index).sort_index().astype(int))
    assert (g.loc[g["shortage_fte"] < 0.5, "action"] == "none").all()
    assert set(g["action"]) <= set(sk.ACTIONS) and {"train", "recruit"} & set(g["action"])


def test_a_leaver_on_the_departement(skill_inputs, analysis):
    """Zero one agent's presence and take their FTE off the posts: supply loses exactly their skills."""
    inp = skill_inputs
    timeline, positions = analysis.timeline, analysis.positions
    codes = np.asarray(sorted(set(timeline["skill_code"])), dtype=object)
    levels = sk.agent_level_matrix(inp.agents, inp.agent_skills,
                                   sk.active_requirements(timeline, analysis.base_year), codes)
    years = np.asarray(sorted(positions["year"].unique()))
    presence = sk.presence_from_positions(inp.agents, positions, years)
    base = sk.skill_balance(positions, inp.agents, levels, timeline, codes, presence=presence)
    i = int(np.flatnonzero(inp.agents["etp"].to_numpy() < 1)[0])  # a part-time agent
    agent = inp.agents.iloc[i]
    gone = presence.copy()
    gone[i, :] = 0
    fewer = positions.copy()
    mask = (fewer["metier_code"] == agent["metier_code"]) & (fewer["direction"] == agent["direction"])
    fewer.loc[mask, "etp"] -= presence[i][np.searchsorted(years, fewer.loc[mask, "year"])] * agent["etp"]
    after = sk.skill_balance(fewer, inp.agents, levels, timeline, codes, presence=gone)
    held = sk.held_matrix(levels, sk.held_thresholds(timeline, codes)).toarray()[i]
    expected = np.zeros_like(base.supply)
    d = list(base.directions).index(agent["direction"])
    expected[d] = -(presence[i] * agent["etp"])[:, None] * held[None, :]
    assert np.allclose(after.supply - base.supply, expected, atol=1e-9)
