"""Projection engine benchmarks (issue 5), printed, never asserted.

Targets: 8,000 agents x 10 years in expected mode under 50 ms; Monte Carlo, 1,000 replicates, under 5 s on 2
cores; 1,000,000 agents x 10 years in expected mode under 5 s and 4 GB peak memory; and, in the same run, the
same projection by a straightforward pandas year-by-year loop over agents, with the ratio (the actuarial package
pop-projection takes about 2 s for 10,000 employees over 10 years on these machines).

The synthetic département (8,000 agents, 10 years) is generated and every model fitted first (retirement,
exits, mobility, hires, indices; demand stays flat: its cost is in bench_demand.py). The million agents are
the 8,000 prepared ones tiled 125 times in a fresh process (their hazards are those of the 8,000: the engine's
run is what is timed; the preparation of a million agents is timed separately on 100,000 and scaled).

Usage: python bench/bench_projection.py [--skip-naive] [--skip-million] [--replicates 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workforce import payroll as pay  # noqa: E402
from workforce import projection as PJ  # noqa: E402
from workforce.projection.expected import F_FIRST_EXIT, F_RET, template_flows  # noqa: E402
from workforce.projection.knobs import scenario_knobs  # noqa: E402
from workforce.scenario import Scenario  # noqa: E402


def timed(fn, repeat: int = 1):
    """(result, best wall seconds, median wall seconds, best CPU seconds) over ``repeat`` calls."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return out, min(walls), float(np.median(walls)), min(cpus)


def build_models():
    from workforce import panel as P
    from workforce.forecast.exits import ExitHazard
    from workforce.forecast.mobility import MobilityMatrix, mobility_inputs
    from workforce.forecast.retirement import RetirementHazard
    from workforce.referential import load_builtin
    from workforce.synth import SynthParams, generate

    t0 = time.perf_counter()
    sd = generate(SynthParams(n_agents=8000, years=10, seed=42))
    t1 = time.perf_counter()
    h = P.history_from_frames(sd.snapshots, sd.movements)
    panel = P.build_panel(h.snapshots, h.movements)
    s, m = sd.snapshots, sd.movements
    ref = load_builtin()
    models = PJ.Models(
        retirement=RetirementHazard().fit(panel), exits=ExitHazard().fit(panel),
        mobility=MobilityMatrix().fit(*mobility_inputs(s, m, ref.metiers)),
        hires=PJ.HireProfile().fit(PJ.arrivals_from_history(s, m)),
        indices=pay.IndiceProgression().fit(s[pd.to_datetime(s["extract_date"]).dt.month == 12]))
    t2 = time.perf_counter()
    base = s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)
    print(f"synthetic département 8,000 x 10 years: {t1 - t0:.1f} s; panel and models: {t2 - t1:.1f} s")
    return base, models


# ------------------------------------------------------------------------------------------ naive loop

def naive_projection(prepared: PJ.Prepared, scenario: Scenario) -> pd.DataFrame:
    """The same expected projection written plainly: a pandas frame of agents and a Python loop over them, year
    by year (departures by cause, survivors by cell, departures replaced in the cell at the end of the year;
    no mobility and no recruitment delay, so the engine is compared on the same scenario)."""
    kn = scenario_knobs(prepared, scenario, np.zeros(prepared.shape))
    motives = ["retirements", *[f"exits_{m}" for m in prepared.motives]]
    agents = pd.DataFrame({"cat": prepared.agent_cat, "metier": prepared.agent_metier,
                           "direction": prepared.agent_direction, "survival": 1.0})
    probs = kn.probs.all()
    rows = []
    heads = {}
    for i, a in agents.iterrows():
        key = (int(a["cat"]), int(a["metier"]), int(a["direction"]))
        heads[key] = heads.get(key, 0.0) + 1.0
    hires_prev: dict = {}
    tq = template_flows(prepared, kn)
    for k in range(kn.H):
        flows: dict = {}
        for i, a in agents.iterrows():
            key = (int(a["cat"]), int(a["metier"]), int(a["direction"]))
            s = a["survival"]
            cell = flows.setdefault(key, {name: 0.0 for name in motives})
            for j, name in enumerate(motives):
                cell[name] += s * probs[i, k, j]
            agents.at[i, "survival"] = s * (1.0 - probs[i, k].sum())
        # hires of earlier years leave too (one template-mean hazard per catégorie, as the engine's cohorts)
        for (j, key), n in hires_prev.items():
            cell = flows.setdefault(key, {name: 0.0 for name in motives})
            per = tq[j, k, key[0]]
            cell["retirements"] += n * per[F_RET]
            for m, name in enumerate(motives[1:]):
                cell[name] += n * per[F_FIRST_EXIT + m]
        for key, cell in flows.items():
            dep = sum(cell.values())
            rows.append({"year": prepared.base_year + k + 1, "cell": key, "departures": dep, "hires": dep,
                         "retirements": cell["retirements"]})
            hires_prev[(k, key)] = dep
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ million agents

MILLION_CHILD = r'''
import pickle, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
from workforce import projection as PJ
from workforce.scenario import Scenario
with open(sys.argv[1], "rb") as fh:
    small = pickle.load(fh)
reps = int(sys.argv[3])
n = small.n_agents
origin = (small.agent_cat.astype(np.int64) * len(small.metiers) + small.agent_metier) * len(small.directions) \
    + small.agent_direction
order = np.argsort(np.tile(origin, reps), kind="stable")
def tile(a):
    return np.concatenate([a] * reps, axis=0)[order]
big = small.replace(**{name: tile(getattr(small, name)) for name in (
    "agent_cat", "agent_metier", "agent_direction", "agent_quotite", "agent_sg", "agent_indice", "exit_hazard")})
cache = {}
for key, (h, c, th, tc) in small._retirement_cache.items():
    cache[key] = (tile(h), tile(c), th, tc)
big._retirement_cache = cache
origin = (big.agent_cat.astype(np.int64) * len(big.metiers) + big.agent_metier) * len(big.directions) + big.agent_direction
big.origin_starts = np.flatnonzero(np.r_[True, origin[1:] != origin[:-1]])
big.origin_cells = origin[big.origin_starts]
big._agents = None
del small, cache
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
walls, warm = [], []
for _ in range(3):
    big._probs_cache.clear(); big._flows_cache.clear()
    t0 = time.perf_counter()
    out = PJ.run(big, Scenario(demand_baseline="flat"))
    walls.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    PJ.run(big, Scenario(demand_baseline="flat", hiring_freeze_years=1))
    warm.append(time.perf_counter() - t0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{big.n_agents} {min(walls):.3f} {np.median(walls):.3f} {base_rss:.0f} {peak:.0f} {out.total('headcount')[-1]:.1f} {min(warm):.3f}")
'''


def million(prepared: PJ.Prepared, reps: int = 125) -> None:
    import dataclasses

    slim = dataclasses.replace(prepared, _agents=None, _pseudo=None, _hazards=None, _probs_cache={}, _flows_cache={})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prepared.pkl"
        with open(path, "wb") as fh:
            pickle.dump(slim, fh)
        script = Path(tmp) / "child.py"
        script.write_text(MILLION_CHILD)
        res = subprocess.run([sys.executable, str(script), str(path), str(ROOT), str(reps)], capture_output=True,
                             text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if res.returncode:
        print("million agents: failed\n" + res.stderr[-2000:])
        return
    n, best, med, base_rss, peak, heads, warm = res.stdout.split()
    print(f"expected mode, {int(n):,} agents x 10 years: best {float(best):.2f} s, median {float(med):.2f} s "
          f"(caches cold); a hiring knob on warm caches {float(warm):.2f} s; peak memory {float(peak) / 1024:.2f} GiB "
          f"(of which {float(base_rss) / 1024:.2f} GiB the tiled inputs); final headcount {float(heads):,.0f}")


# ------------------------------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-million", action="store_true")
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (figures are wall times; "
          "a loaded machine inflates them)")
    base, models = build_models()
    prepared, prep_t, _, prep_cpu = timed(lambda: PJ.prepare(base, models, horizon=10))
    print(f"prepare 8,000 agents x 10 years (hazards once per model set): {prep_t:.2f} s "
          f"(retirement {prepared.timings['retirement_default']:.2f} s, exits {prepared.timings['exit_hazards']:.3f} s)")
    scenario = Scenario()

    def cold(sc):
        prepared._probs_cache.clear()
        prepared._flows_cache.clear()
        return PJ.run(prepared, sc)

    cold(scenario)
    result, best, med, cpu = timed(lambda: cold(scenario), repeat=20)
    print(f"expected mode, 8,000 agents x 10 years, caches cold (exit/retirement knobs): best {best * 1e3:.1f} ms, "
          f"median {med * 1e3:.1f} ms, CPU {cpu * 1e3:.1f} ms (target < 50 ms)")
    knob = scenario.replace(hiring_freeze_years=2, replacement_rate=0.9, recruitment_delay_months=6)
    _, kbest, kmed, _ = timed(lambda: PJ.run(prepared, knob), repeat=20)
    print(f"  a hiring, replacement or demand knob (cached hazards and base flows): best {kbest * 1e3:.1f} ms, "
          f"median {kmed * 1e3:.1f} ms")
    later = scenario.replace(postponement_months=6)
    _, first, _, _ = timed(lambda: PJ.run(prepared, later))
    print(f"  a retirement knob's first value (postponement): {first:.2f} s (hazards recomputed once, then cached)")
    _, tbl, _, _ = timed(lambda: PJ.run(prepared, scenario).table())
    print(f"  run + long table ({len(result.table()):,} rows): {tbl * 1e3:.0f} ms")
    _, wt, _, _ = timed(lambda: PJ.warm_workers(args.jobs))
    print(f"warm_workers({args.jobs}): {wt:.2f} s (once per process: starts the joblib workers)")
    for label in ("first call", "second call"):
        mc, mbest, _, mcpu = timed(lambda: PJ.run(prepared, scenario, mode="mc", replicates=args.replicates,
                                                  n_jobs=args.jobs))
        print(f"Monte Carlo, {args.replicates} replicates, {args.jobs} workers, {label}: {mbest:.2f} s wall "
              f"(parent CPU {mcpu:.2f} s; target < 5 s)")
    tot = mc.summary("total", ["headcount"])
    last = tot.iloc[-1]
    print(f"  headcount {int(last['year'])}: expected {last['value']:,.0f}, MC mean {last['mean']:,.0f}, "
          f"P10-P90 {last['p10']:,.0f}-{last['p90']:,.0f}")
    if not args.skip_naive:
        same = Scenario(recruitment_delay_months=0)
        from workforce.forecast.mobility import MobilityOperator

        no_mob = prepared.replace(mobility=MobilityOperator.identity(len(prepared.metiers), len(prepared.directions)))
        def cold_no_mob():
            no_mob._probs_cache.clear()
            no_mob._flows_cache.clear()
            return PJ.run(no_mob, same)

        engine_run, ebest, _, _ = timed(cold_no_mob, repeat=10)
        naive, nt, _, _ = timed(lambda: naive_projection(no_mob, same))
        by_year = naive.groupby("year")[["retirements", "departures"]].sum()
        diff = np.abs(by_year["retirements"].to_numpy() - engine_run.total("retirements")[1:]).max()
        dep = engine_run.total("retirements")[1:] + engine_run.total("exits")[1:]
        diff2 = np.abs(by_year["departures"].to_numpy() - dep).max()
        print(f"naive pandas loop over agents, same projection (no mobility, no delay): {nt:.1f} s; engine "
              f"{ebest * 1e3:.1f} ms; ratio {nt / ebest:,.0f}x (largest difference of yearly totals: retirements "
              f"{diff:.2e}, departures {diff2:.2e})")
        print(f"  pop-projection reference (~2 s for 10,000 employees x 10 years): the full engine is "
              f"{2.0 / (best * 10000 / 8000):,.0f}x faster per agent with cold caches, "
              f"{2.0 / (kbest * 10000 / 8000):,.0f}x on a hiring knob")
    if not args.skip_million:
        sample = pd.concat([base] * 13, ignore_index=True).iloc[:100_000]
        sample = sample.assign(agent_id=[f"X{i}" for i in range(len(sample))])
        _, pt, _, _ = timed(lambda: PJ.prepare(sample, models, horizon=10))
        print(f"prepare 100,000 agents x 10 years: {pt:.1f} s (a million: about {pt * 10:.0f} s, once per model set)")
        million(prepared)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
