"""Skill supply, demand and gaps by direction x year x skill, from projected positions, with their indicators
(urgency, criticality, internal candidates, action)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from workforce.skills.inputs import (ACTION, AGENT, ALL_DIRECTIONS, CANDIDATES, CRITICALITY, DEMAND, DEMAND_FTE,
                                     DIRECTION, ETP, GAP_FTE, HEADCOUNT, HIRES, HOLDERS, LEVEL, METIER,
                                     METIERS_REQUIRING, MOBILITY_IN, SHORTAGE_FTE, SKILL, SUPPLY_FTE, URGENCY, YEAR,
                                     active_requirements, code_index, unique_codes)
from workforce.skills.space import SkillSpace, at_least, level_matrix

def positions_from_projection(frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's output as the wide frame ``skill_balance`` reads: ``year, metier_code, direction, etp,
    headcount, hires, mobility_in, demand`` (summed over catégories; the expected value of a Monte Carlo run).

    Accepts a wide frame with those columns, or the engine's long table (``indicator`` and ``value`` or
    ``p50``/``expected`` columns).
    """
    f = frame
    if "indicator" in f.columns:
        value = next(c for c in ("value", "expected", "mean", "p50") if c in f.columns)
        f = f.assign(**{c: f[c].astype(str) for c in (METIER, DIRECTION, "indicator")})
        f = f.pivot_table(index=[YEAR, METIER, DIRECTION], columns="indicator", values=value, aggfunc="sum",
                          fill_value=0.0, observed=True).reset_index()
        f.columns.name = None
    keep = [c for c in (HEADCOUNT, ETP, HIRES, MOBILITY_IN, DEMAND) if c in f.columns]
    if ETP not in keep:
        raise ValueError(f"the projection frame has no {ETP!r} column (got {', '.join(map(str, f.columns))})")
    f = f.assign(**{c: f[c].astype(str) for c in (METIER, DIRECTION)})
    out = f.groupby([YEAR, METIER, DIRECTION], as_index=False)[keep].sum()
    return out.astype({YEAR: "int64"})


def agent_level_matrix(agents: pd.DataFrame, agent_skills: pd.DataFrame, requirements_now: pd.DataFrame,
                       skill_codes: np.ndarray) -> sparse.csr_matrix:
    """(agents x skills) levels: the métier's requirements in force today, replaced by the assessed level
    wherever the agent was assessed on the skill (assessed skills outside the profile count too)."""
    prof = agents[[AGENT, METIER]].reset_index(drop=True).assign(_row=np.arange(len(agents))).merge(
        requirements_now[[METIER, SKILL, LEVEL]], on=METIER, how="inner")
    rows = pd.Index(agents[AGENT].to_numpy())
    assessed = agent_skills.assign(_row=rows.get_indexer(agent_skills[AGENT]))
    assessed = assessed[assessed["_row"] >= 0]
    both = pd.concat([prof[["_row", SKILL, LEVEL]], assessed[["_row", SKILL, LEVEL]]], ignore_index=True)
    both = both.drop_duplicates(["_row", SKILL], keep="last")
    cols = code_index(skill_codes, both[SKILL])
    ok = cols >= 0
    return sparse.csr_matrix((both[LEVEL].to_numpy(dtype=float)[ok], (both["_row"].to_numpy()[ok], cols[ok])),
                             shape=(len(agents), len(skill_codes)))


def held_thresholds(timeline: pd.DataFrame, skill_codes: np.ndarray) -> np.ndarray:
    """Per skill, the lowest level at which any métier requires it (1 for skills nobody requires)."""
    lo = timeline.groupby(SKILL)[LEVEL].min()
    return pd.Series(skill_codes).map(lo).fillna(1).clip(lower=1).to_numpy(dtype=float)


def held_matrix(levels: sparse.csr_matrix, thresholds: np.ndarray) -> sparse.csr_matrix:
    """Binary (agents x skills): the level reaches the skill's threshold."""
    m = levels.tocoo()
    ok = m.data >= thresholds[m.col]
    return sparse.csr_matrix((np.ones(ok.sum()), (m.row[ok], m.col[ok])), shape=levels.shape)


@dataclass(frozen=True, eq=False)
class Balance:
    """Supply, demand and their parts as arrays (directions x years x skills), plus the long frame."""

    directions: np.ndarray
    years: np.ndarray
    skills: np.ndarray
    supply: np.ndarray
    demand: np.ndarray
    holders: np.ndarray
    entrants: np.ndarray  # the entrants' share of supply
    presence: np.ndarray  # agents x years
    frame: pd.DataFrame


def presence_from_positions(agents: pd.DataFrame, positions: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Stand-in probability (agents x years) that each agent of today is still in post.

    Per métier x direction: the share of today's FTE not yet replaced, ``(etp(y) - cumulative inflows) /
    today's FTE`` clipped to [0, 1], inflows being hires and internal mobility in (with neither column:
    ``etp(y) / today's FTE`` capped at 1). Those who move to another métier leave the group; those who come
    in count as entrants, with the profile of the métier they join.
    """
    keys = pd.MultiIndex.from_arrays([agents[METIER].to_numpy(), agents[DIRECTION].to_numpy()])
    today = pd.Series(agents[ETP].to_numpy(dtype=float), index=keys).groupby(level=[0, 1]).sum()
    p = positions.sort_values(YEAR, kind="stable")
    wide_etp = p.pivot_table(index=[METIER, DIRECTION], columns=YEAR, values=ETP, aggfunc="sum").reindex(columns=years)
    inflows = [c for c in (HIRES, MOBILITY_IN) if c in p.columns]
    if inflows:
        p = p.assign(_in=p[inflows].sum(axis=1))
        cum = p.pivot_table(index=[METIER, DIRECTION], columns=YEAR, values="_in", aggfunc="sum").reindex(
            columns=years).fillna(0.0).cumsum(axis=1)
        remaining = wide_etp - cum.reindex(wide_etp.index).fillna(0.0)
    else:
        remaining = wide_etp
    base = today.reindex(remaining.index)
    share = remaining.div(base.where(base > 0), axis=0).clip(0, 1)
    share = share.reindex(keys).fillna(0.0).to_numpy()
    return share


def skill_balance(positions: pd.DataFrame, agents: pd.DataFrame, levels: sparse.csr_matrix,
                  timeline: pd.DataFrame, skill_codes: np.ndarray, *, presence: np.ndarray | None = None,
                  thresholds: np.ndarray | None = None) -> Balance:
    """Supply, demand and gap (FTE) by direction x year x skill.

    ``positions``: ``year, metier_code, direction, etp`` (+ ``hires``, ``demand``): projected FTE in post and
    demanded (``demand``, else ``etp``). ``agents``: today's ``agent_id, metier_code, direction, etp`` in the
    row order of ``levels`` (agents x skills, ``agent_level_matrix``). ``presence`` (agents x years): the
    probability each agent is still in post, else ``presence_from_positions``. Entrants fill the FTE in post
    that today's agents no longer hold, with the requirements in force that year.

    The frame has ``year, direction, skill_code, supply_fte, demand_fte, gap_fte, holders, entrants_fte``
    (rows where supply or demand is positive); ``gap_fte = supply_fte - demand_fte``.
    """
    years = np.asarray(sorted(positions[YEAR].unique()), dtype=int)
    directions = unique_codes(pd.concat([agents[DIRECTION], positions[DIRECTION]], ignore_index=True))
    metiers = unique_codes(pd.concat([agents[METIER], positions[METIER], timeline[METIER]], ignore_index=True))
    n_a, n_y, n_d, n_s, n_m = len(agents), len(years), len(directions), len(skill_codes), len(metiers)
    thresholds = thresholds if thresholds is not None else held_thresholds(timeline, skill_codes)
    if presence is None:
        presence = presence_from_positions(agents, positions, years)
    presence = np.asarray(presence, dtype=float)
    if presence.shape != (n_a, n_y):
        raise ValueError(f"presence must be agents x years = {(n_a, n_y)}, got {presence.shape}")
    held = held_matrix(levels, thresholds)
    a_dir = code_index(directions, agents[DIRECTION])
    etp = agents[ETP].to_numpy(dtype=float)
    # one sparse product for every direction and year: rows (direction, year), columns agents
    rows = (a_dir[:, None] * n_y + np.arange(n_y)[None, :]).ravel()
    cols = np.repeat(np.arange(n_a), n_y)
    g_fte = sparse.csr_matrix(((presence * etp[:, None]).ravel(), (rows, cols)), shape=(n_d * n_y, n_a))
    g_heads = sparse.csr_matrix((presence.ravel(), (rows, cols)), shape=(n_d * n_y, n_a))
    supply = np.asarray((g_fte @ held).todense()).reshape(n_d, n_y, n_s)
    holders = np.asarray((g_heads @ held).todense()).reshape(n_d, n_y, n_s)
    # positions (FTE in post and demanded) and today's agents still there, by (direction, métier) and year
    p_dir, p_met = code_index(directions, positions[DIRECTION]), code_index(metiers, positions[METIER])
    p_year = np.searchsorted(years, positions[YEAR].to_numpy())
    in_post = np.zeros((n_y, n_d, n_m))
    np.add.at(in_post, (p_year, p_dir, p_met), positions[ETP].to_numpy(dtype=float))
    wanted = np.zeros((n_y, n_d, n_m))
    dcol = DEMAND if DEMAND in positions.columns else ETP
    np.add.at(wanted, (p_year, p_dir, p_met), positions[dcol].to_numpy(dtype=float))
    a_met = code_index(metiers, agents[METIER])
    stayers = np.zeros((n_y, n_d, n_m))
    for yi in range(n_y):  # a loop over the ~10 years, each a bincount over agents
        stayers[yi] = np.bincount(a_dir * n_m + a_met, weights=presence[:, yi] * etp,
                                  minlength=n_d * n_m).reshape(n_d, n_m)
    entrants_fte = np.clip(in_post - stayers, 0, None)
    entrants = np.zeros((n_d, n_y, n_s))
    demand = np.zeros((n_d, n_y, n_s))
    for yi, year in enumerate(years):
        req = level_matrix(active_requirements(timeline, int(year)), metiers, skill_codes)
        req = at_least(req, 1)
        entrants[:, yi, :] = np.asarray(req.T @ entrants_fte[yi].T).T
        demand[:, yi, :] = np.asarray(req.T @ wanted[yi].T).T
    supply = supply + entrants
    holders = holders + entrants
    d_i, y_i, s_i = np.nonzero((supply > 1e-12) | (demand > 1e-12))
    frame = pd.DataFrame({
        YEAR: years[y_i], DIRECTION: directions[d_i], SKILL: skill_codes[s_i],
        SUPPLY_FTE: supply[d_i, y_i, s_i], DEMAND_FTE: demand[d_i, y_i, s_i],
        GAP_FTE: supply[d_i, y_i, s_i] - demand[d_i, y_i, s_i], HOLDERS: holders[d_i, y_i, s_i],
        "entrants_fte": entrants[d_i, y_i, s_i],
    })
    return Balance(directions, years, np.asarray(skill_codes, dtype=object), supply, demand, holders, entrants,
                   presence, frame)


def total_balance(balance: Balance) -> Balance:
    """The balance of the whole employer: every direction summed into one, coded ``ALL_DIRECTIONS``.

    Small cells of a direction often pool into publishable figures at this level.
    """
    d = np.array([ALL_DIRECTIONS], dtype=object)
    supply, demand = balance.supply.sum(axis=0, keepdims=True), balance.demand.sum(axis=0, keepdims=True)
    holders, entrants = balance.holders.sum(axis=0, keepdims=True), balance.entrants.sum(axis=0, keepdims=True)
    _, y_i, s_i = np.nonzero((supply > 1e-12) | (demand > 1e-12))
    frame = pd.DataFrame({
        YEAR: balance.years[y_i], DIRECTION: ALL_DIRECTIONS, SKILL: balance.skills[s_i],
        SUPPLY_FTE: supply[0, y_i, s_i], DEMAND_FTE: demand[0, y_i, s_i],
        GAP_FTE: supply[0, y_i, s_i] - demand[0, y_i, s_i], HOLDERS: holders[0, y_i, s_i],
        "entrants_fte": entrants[0, y_i, s_i],
    })
    return Balance(d, balance.years, balance.skills, supply, demand, holders, entrants, balance.presence, frame)


def internal_candidates(agents: pd.DataFrame, levels: sparse.csr_matrix, held: sparse.csr_matrix,
                        skill_codes: np.ndarray, timeline: pd.DataFrame, year: int, local: SkillSpace,
                        presence: np.ndarray, directions: np.ndarray, min_coverage: float = 0.5) -> np.ndarray:
    """Expected agents (directions x years x skills) who could be trained to a skill they do not hold yet.

    A candidate does not hold the skill but either has it at a lower level (assessed) or works in a métier
    covering at least ``min_coverage`` of a métier that requires the skill in ``year``.
    """
    req = at_least(level_matrix(active_requirements(timeline, year), local.metiers, skill_codes), 1)
    cov = local.coverage()
    np.fill_diagonal(cov, 0.0)
    reach = sparse.csr_matrix((cov >= min_coverage).astype(float)) @ req  # métier x skill: a close métier needs it
    eligible_m = (reach > 0).astype(float).tocsr()
    a_met = local.position(agents[METIER])
    rows = np.flatnonzero(a_met >= 0)
    pick = sparse.csr_matrix((np.ones(len(rows)), (rows, a_met[rows])), shape=(len(agents), len(local.metiers)))
    elig = (pick @ eligible_m).tocsr()
    partial = levels.copy()
    partial.data = (partial.data > 0).astype(float)
    cand = elig.maximum(partial) - elig.maximum(partial).multiply(held)
    cand.eliminate_zeros()
    n_y = presence.shape[1]
    a_dir = code_index(directions, agents[DIRECTION])
    r = (a_dir[:, None] * n_y + np.arange(n_y)[None, :]).ravel()
    c = np.repeat(np.arange(len(agents)), n_y)
    g = sparse.csr_matrix((presence.ravel(), (r, c)), shape=(len(directions) * n_y, len(agents)))
    return np.asarray((g @ cand).todense()).reshape(len(directions), n_y, len(skill_codes))


def add_indicators(balance: Balance, timeline: pd.DataFrame, candidates: np.ndarray | None = None,
                   tolerance: float = 0.5) -> pd.DataFrame:
    """The balance frame with ``shortage_fte, urgency, metiers_requiring, criticality, candidates, action``.

    ``urgency``: first year a shortage of at least ``tolerance`` FTE opens for the skill in the direction (NA
    if none). ``criticality`` = breadth x scarcity. ``action``: none (no shortage), train (enough internal
    candidates), train_and_recruit (some), recruit (none).
    """
    f = balance.frame.copy()
    f[SHORTAGE_FTE] = np.clip(-f[GAP_FTE].to_numpy(), 0, None)
    short = f[SHORTAGE_FTE] >= tolerance
    first = f[short].groupby([DIRECTION, SKILL])[YEAR].min().rename(URGENCY)
    f = f.merge(first.reset_index(), on=[DIRECTION, SKILL], how="left")
    f[URGENCY] = f[URGENCY].astype("Int64")
    breadth_rows = []
    for year in balance.years:
        act = active_requirements(timeline, int(year))
        n = act.groupby(SKILL)[METIER].nunique()
        breadth_rows.append(pd.DataFrame({YEAR: int(year), SKILL: n.index, METIERS_REQUIRING: n.to_numpy()}))
    breadth = pd.concat(breadth_rows, ignore_index=True)
    f = f.merge(breadth, on=[YEAR, SKILL], how="left")
    f[METIERS_REQUIRING] = f[METIERS_REQUIRING].fillna(0).astype("int64")
    top = max(int(breadth[METIERS_REQUIRING].max()) if len(breadth) else 1, 1)
    b = np.log1p(f[METIERS_REQUIRING].to_numpy()) / np.log1p(top)
    dem = f[DEMAND_FTE].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        scarcity = np.where(dem > 0, np.clip(1 - f[SUPPLY_FTE].to_numpy() / np.where(dem > 0, dem, 1), 0, 1), 0.0)
    f[CRITICALITY] = np.round(b * scarcity, 3)
    if candidates is not None:
        d = code_index(balance.directions, f[DIRECTION])
        y = np.searchsorted(balance.years, f[YEAR].to_numpy())
        s = code_index(balance.skills, f[SKILL])
        f[CANDIDATES] = candidates[d, y, s]
    else:
        f[CANDIDATES] = 0.0
    need = f[SHORTAGE_FTE].to_numpy()
    cand = f[CANDIDATES].to_numpy()
    f[ACTION] = np.select([need < tolerance, cand >= need, cand >= tolerance],
                          ["none", "train", "train_and_recruit"], "recruit")
    return f.sort_values([YEAR, DIRECTION, SKILL], kind="stable").reset_index(drop=True)
