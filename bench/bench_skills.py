"""Skills at scale. Targets: similarity over the whole ROME (1,584 fiches, about 33,000 items) under 2 s; skill
gaps for 8,000 agents x 100 métiers x 300 skills x 10 years under 2 s. Prints figures; asserts nothing.

The ROME part reads ../shared/data/rome (or WORKFORCE_ROME_DIR) and is skipped, saying so, when absent. The
gaps part runs on generated arrays of the stated size (the synthetic département has 124 métiers and about
500 skills; the sizes here are the issue's). Each figure is the best of ``REPEATS`` runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workforce import skills as sk  # noqa: E402
from workforce.referential import find_rome_dir  # noqa: E402

REPEATS = 3
N_AGENTS, N_METIERS, N_SKILLS, N_YEARS, N_DIRECTIONS = 8_000, 100, 300, 10, 14


def best(fn, repeats: int = REPEATS):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench_rome() -> None:
    folder = find_rome_dir()
    if folder is None:
        print("similarity over the ROME: skipped (no ROME release: set WORKFORCE_ROME_DIR)")
        return
    from workforce.rome import read_release

    t0 = time.perf_counter()
    release = read_release(folder)
    t_read = time.perf_counter() - t0
    req = sk.rome_requirements_from_links(release.links)

    def similarity():
        space = sk.SkillSpace.build(req, levels=False)
        return space, space.coverage()

    t, (space, cov) = best(similarity)
    print(f"ROME release read and checked: {t_read:.2f} s ({len(release.fiches):,} fiches, {len(release.skills):,} "
          f"skills, {len(release.links):,} links)")
    print(f"similarity over the whole ROME: {t:.3f} s  (space of {space.matrix.shape[0]:,} fiches x "
          f"{space.matrix.shape[1]:,} items, {space.matrix.nnz:,} links; full asymmetric coverage matrix "
          f"{cov.shape[0]:,} x {cov.shape[1]:,})  target < 2 s")
    t1, _ = best(lambda: sk.coverage_matrix(space.matrix[[0]], space.matrix, space.weights, False))
    print(f"  one fiche against all (similar_metiers on a fiche): {t1 * 1000:.1f} ms")


def synthetic_gap_inputs(seed: int = 1):
    """Agents, assessments, a requirement timeline and a projection frame of the benchmark's size."""
    rng = np.random.default_rng(seed)
    metiers = np.array([f"M{i:03d}" for i in range(N_METIERS)], dtype=object)
    skills = np.array([f"{100000 + i}" for i in range(N_SKILLS)], dtype=object)
    directions = np.array([f"D{i:02d}" for i in range(N_DIRECTIONS)], dtype=object)
    rows = []
    for m in range(N_METIERS):  # the référentiel: 10 to 15 skills a métier, some due in the future
        chosen = rng.choice(N_SKILLS, size=rng.integers(10, 16), replace=False)
        for j, s in enumerate(chosen):
            future = j == 0 and rng.random() < 0.3
            rows.append((metiers[m], skills[s], int(rng.integers(1, 5)), 2028 if future else None))
    timeline = pd.DataFrame(rows, columns=["metier_code", "skill_code", "level", "from_year"]).astype(
        {"from_year": "Int64"})
    a_met = rng.integers(0, N_METIERS, N_AGENTS)
    agents = pd.DataFrame({"agent_id": [f"A{i:05d}" for i in range(N_AGENTS)], "metier_code": metiers[a_met],
                           "direction": directions[a_met % N_DIRECTIONS],
                           "etp": np.where(rng.random(N_AGENTS) < 0.07, 0.8, 1.0)})
    now = sk.active_requirements(timeline, 2025)
    prof = agents[["agent_id", "metier_code"]].merge(now, on="metier_code")
    assessed = prof[rng.random(len(prof)) < 0.35]
    assessed = assessed.assign(level=np.clip(assessed["level"] + np.rint(rng.normal(0, 0.8, len(assessed))), 1, 4)
                               .astype(int))[["agent_id", "skill_code", "level"]]
    years = np.arange(2026, 2026 + N_YEARS)
    groups = agents.groupby(["metier_code", "direction"], as_index=False)["etp"].sum()
    q = 0.08
    k = years - 2025
    positions = pd.DataFrame({
        "year": np.tile(years, len(groups)), "metier_code": np.repeat(groups["metier_code"], N_YEARS),
        "direction": np.repeat(groups["direction"], N_YEARS), "etp": np.repeat(groups["etp"], N_YEARS),
        "hires": (groups["etp"].to_numpy()[:, None] * q * (1 - q) ** (k - 1)[None, :]).ravel(),
        "demand": (groups["etp"].to_numpy()[:, None] * 1.01 ** k[None, :]).ravel(),
    })
    return agents, assessed, timeline, positions, skills, metiers


def bench_gaps() -> None:
    agents, assessed, timeline, positions, skills, metiers = synthetic_gap_inputs()

    def gaps():
        now = sk.active_requirements(timeline, 2025)
        levels = sk.agent_level_matrix(agents, assessed, now, skills)
        thresholds = sk.held_thresholds(timeline, skills)
        balance = sk.skill_balance(positions, agents, levels, timeline, skills, thresholds=thresholds)
        return levels, thresholds, balance

    t_balance, (levels, thresholds, balance) = best(gaps)

    def indicators():
        local = sk.SkillSpace.build(sk.active_requirements(timeline, int(balance.years.max())), metiers)
        held = sk.held_matrix(levels, thresholds)
        cands = sk.internal_candidates(agents, levels, held, skills, timeline, int(balance.years.max()), local,
                                       balance.presence, balance.directions)
        return sk.add_indicators(balance, timeline, cands)

    t_ind, table = best(indicators)
    print(f"skill gaps, {N_AGENTS:,} agents x {N_METIERS} métiers x {N_SKILLS} skills x {N_YEARS} years x "
          f"{N_DIRECTIONS} directions:")
    print(f"  supply, demand and gap (levels, presence, entrants, requirements by year): {t_balance:.3f} s")
    print(f"  urgency, criticality, internal candidates, action: {t_ind:.3f} s")
    print(f"  total {t_balance + t_ind:.3f} s  target < 2 s  ({len(table):,} rows skill x direction x year)")


if __name__ == "__main__":
    bench_rome()
    bench_gaps()
