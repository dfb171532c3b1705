"""Scenario sweep on a Dask cluster (issue 17, « Beyond one machine »), printed, never asserted.

Target: a 2,000,000-agent sweep of 9 scenarios (3 law variants x 3 replacement rates) x 100 Monte Carlo
replicates, timed on a ``distributed.LocalCluster`` and extrapolated per worker.

What is measured and what is extrapolated (said again in the output): the whole sweep would take about an hour of
CPU on this 2-core machine, so a subset runs for real through the sweep's own code (:func:`workforce.sweep.backend`
and :func:`workforce.sweep.run_points`, hence ``projection.run(..., mode="mc")`` in each task): the 2,000,000-agent
preparation broadcast to every worker once, then one point per worker with one chunk of replicates (25, the
engine's ``MC_CHUNK``). Each task reports its expected-mode, Monte Carlo and publication times; a point of 100
replicates is its fixed part plus 4 times its Monte Carlo part (the replicates of a point run in fixed chunks, one
after the other in its task), and the sweep is ceil(9 / workers) rounds of points after the broadcast. One point
is one task, so more than 9 workers do not shorten a 9-point sweep.

The population is a small synthetic département (law-only retirement, fitted exits, mobility, hires and indices)
prepared once and tiled to 2,000,000 agents, as in bench_projection.py: the engine's run is what is timed, not
the preparation of 2 million real agents.

Usage: python bench/bench_sweep.py [--agents 2000000] [--workers 2] [--replicates 25] [--full]
(``--full`` runs the 9 x 100 sweep for real, which takes about half an hour on 2 cores.)
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workforce import payroll as pay  # noqa: E402
from workforce import projection as PJ  # noqa: E402
from workforce import sweep as SW  # noqa: E402
from workforce.scenario import Scenario  # noqa: E402

GRID = {"grid": {"regime": ["pre2023", "reform2023", "lfss2026"], "replacement_rate": [0.8, 0.9, 1.0]}}
SWEEP_REPLICATES = 100


def small_prepared(n_agents: int = 2000) -> PJ.Prepared:
    """A synthetic département with its models (law-only retirement), prepared over 10 years."""
    from workforce import panel as P
    from workforce.forecast.exits import ExitHazard
    from workforce.forecast.mobility import MobilityMatrix, mobility_inputs
    from workforce.referential import load_builtin
    from workforce.synth import SynthParams, generate

    sd = generate(SynthParams(n_agents=n_agents, years=6, seed=42))
    h = P.history_from_frames(sd.snapshots, sd.movements)
    panel = P.build_panel(h.snapshots, h.movements)
    s, m = sd.snapshots, sd.movements
    models = PJ.Models(
        retirement=PJ.LawRetirementHazard().fit(), exits=ExitHazard().fit(panel),
        mobility=MobilityMatrix().fit(*mobility_inputs(s, m, load_builtin().metiers)),
        hires=PJ.HireProfile().fit(PJ.arrivals_from_history(s, m)),
        indices=pay.IndiceProgression().fit(s[pd.to_datetime(s["extract_date"]).dt.month == 12]))
    base = s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)
    return PJ.prepare(base, models, horizon=10, provenance={"extract_date": str(base["extract_date"].max())[:10]})


def tiled(small: PJ.Prepared, n_agents: int) -> PJ.Prepared:
    """``small``'s agents repeated to ``n_agents`` (sorted by cell, as prepare sorts them), with their retirement
    hazards under every law variant already computed; no agents' frame (what the workers need, nothing more)."""
    reps = -(-n_agents // small.n_agents)
    origin = (small.agent_cat.astype(np.int64) * len(small.metiers) + small.agent_metier) * len(small.directions) \
        + small.agent_direction
    pick = np.argsort(np.tile(origin, reps)[:n_agents], kind="stable")

    def tile(a):
        return np.concatenate([a] * reps, axis=0)[:n_agents][pick]

    big = small.replace(**{name: tile(getattr(small, name)) for name in (
        "agent_cat", "agent_metier", "agent_direction", "agent_quotite", "agent_sg", "agent_indice", "exit_hazard")})
    big._retirement_cache = {k: (tile(h), tile(c), th, tc) for k, (h, c, th, tc) in small._retirement_cache.items()}
    cells = (big.agent_cat.astype(np.int64) * len(big.metiers) + big.agent_metier) * len(big.directions) \
        + big.agent_direction
    big.origin_starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    big.origin_cells = cells[big.origin_starts]
    big._agents = None
    return big


def nbytes(p: PJ.Prepared) -> int:
    arrays = [getattr(p, f) for f in ("agent_cat", "agent_metier", "agent_direction", "agent_quotite", "agent_sg",
                                      "agent_indice", "exit_hazard")]
    arrays += [a for v in p._retirement_cache.values() for a in v]
    return sum(a.nbytes for a in arrays)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=2_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=5, help="replicates per point of the timed subset")
    ap.add_argument("--full", action="store_true", help="run the whole 9 x 100 sweep for real (long)")
    args = ap.parse_args()
    from distributed import LocalCluster

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times; a loaded machine "
          "inflates them)")
    t0 = time.perf_counter()
    small = small_prepared()
    grid = SW.parse_grid(GRID, "bench")
    scenarios = grid.scenarios(Scenario())
    small = SW.for_workers(small, scenarios)  # the 3 law variants' retirement hazards, computed once
    print(f"synthetic département of {small.n_agents:,} agents, models and preparation (3 law variants): "
          f"{time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    big = tiled(small, args.agents)
    print(f"tiled to {big.n_agents:,} agents x 10 years: {time.perf_counter() - t0:.1f} s, "
          f"{nbytes(big) / 2**30:.2f} GiB of arrays to ship to every worker")
    points = scenarios if args.full else scenarios[:args.workers]
    reps = SWEEP_REPLICATES if args.full else args.replicates
    t0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0, silence_logs=40) as cluster:
        client = SW.connect(cluster.scheduler_address)
        print(f"LocalCluster of {args.workers} worker processes x 1 thread: up in {time.perf_counter() - t0:.1f} s")
        try:
            t0 = time.perf_counter()
            with SW.backend(client, scatter=[big]) as where:
                t_scatter = time.perf_counter() - t0
                print(f"broadcast of the preparation to {args.workers} workers: {t_scatter:.1f} s ({where})")
                t0 = time.perf_counter()
                results = SW.run_points(big, points, replicates=reps)
                wall = time.perf_counter() - t0
        finally:
            client.close()
    table = SW.long_table(grid.points()[:len(points)], results)
    print(f"MEASURED: {len(points)} point(s) x {reps} replicates x {big.n_agents:,} agents on {args.workers} "
          f"workers: {wall:.1f} s wall after the broadcast ({len(table):,} published rows)")
    for i, r in enumerate(results):
        t = r["timings"]
        print(f"  point {i} ({SW.knobs_text(grid.points()[i])}): expected mode {t['expected']:.1f} s, Monte Carlo "
              f"{t['mc']:.1f} s, publication {t['point'] - t['expected'] - t['mc']:.1f} s, task {t['point']:.1f} s "
              f"wall, {t['cpu']:.1f} s CPU")
    heads = table[(table["level"] == "total") & (table["indicator"] == "headcount")
                  & (table["year"] == table["year"].max())]
    for row in heads.itertuples():
        print(f"  point {row.point}: headcount {row.year} mean {row.mean:,.0f}, P10-P90 {row.p10:,.0f}-{row.p90:,.0f}")
    if args.full:
        print(f"the full sweep ran for real: {wall + t_scatter:.0f} s with the broadcast")
        return
    mc_share = np.mean([r["timings"]["mc"] / r["timings"]["point"] for r in results])
    n = len(scenarios)
    print("EXTRAPOLATED (not run): a point of 100 replicates = its fixed part (expected mode, knobs, publication) + "
          "100 x the Monte Carlo time per replicate measured above (chunks of 5 amortise less than the engine's 25: "
          "an upper bound)")
    for label, key in (("wall, on this loaded machine", "point"), ("CPU (split as the wall), one dedicated core", "cpu")):
        total = np.array([r["timings"][key] for r in results])
        fixed = float(np.mean(total * (1 - mc_share)))
        per_rep = float(np.mean(total * mc_share)) / reps
        point_100 = fixed + per_rep * SWEEP_REPLICATES
        print(f"  {label}: one point = {fixed:.0f} s + 100 x {per_rep:.1f} s = {point_100 / 60:.1f} min; "
              f"the {n}-point sweep = {n * point_100 / 3600:.1f} worker-hours")
        for w in sorted({1, args.workers, 4, 9}):
            rounds = math.ceil(n / w)
            print(f"    {w:>2} worker(s) of one core: {rounds} round(s) of points -> {rounds * point_100 / 60:6.1f} min"
                  f" + broadcast (~{t_scatter * w / args.workers:.0f} s from one machine)")
    print("  one point is one task: past 9 workers a 9-point sweep is not faster (its replicates run in one task)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
