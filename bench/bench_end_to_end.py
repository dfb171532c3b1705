"""End-to-end speed of the projection (issue 17), side by side with the actuarial package pop-projection in the
same run. Printed, never asserted.

What is timed, on the synthetic département (8,000 agents x 10 years, every model fitted first):

* ours, end to end with cold caches: :func:`workforce.projection.prepare` from the agents' frame and the fitted
  models (retirement hazards under the law, exits, hires, indices, mobility, the default knobs' flows), then
  :func:`workforce.projection.run` of the default scenario; the referential is read before the clock starts (the
  app reads it from the database once);
* pop-projection 3.0 (PyPI), installed with pandas, numpy and matplotlib in a throwaway venv under a temporary
  folder, projecting the same agents (ages, sexes) over the same 10 years with an age-based retirement law and a
  3 % resignation rate (it projects spouses and children too; none are given). Its ``projectNumbers`` alone is
  timed. It prints a debug line for an employee ``id111157`` and fails without one: the first agent is named so.
  Skipped (and said) when PyPI cannot be reached: ``--skip-peer``;
* every scenario knob on the prepared engine, the law variant included (its first value: hazards recomputed);
* a million agents (the département's agents repeated 125 times, fresh ids) prepared and run in a fresh process,
  with its peak memory;
* Monte Carlo, 1,000 replicates on the 2 workers.

Targets: end to end at least 100 times faster than pop-projection; a million agents under 10 s and 4 GB; every
knob under 300 ms; Monte Carlo 1,000 replicates under 3 s on 2 cores. The machine's load is printed with the
figures: a loaded machine inflates them.

Usage: python bench/bench_end_to_end.py [--skip-peer] [--skip-million] [--replicates 1000] [--jobs 2]
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
import venv
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_projection import build_models  # noqa: E402

from workforce import projection as PJ  # noqa: E402
from workforce.referential import load_builtin  # noqa: E402
from workforce.scenario import Scenario  # noqa: E402

PEER = "pop-projection==3.0.0"

PEER_CHILD = r'''
import sys, time
import pandas as pd
from pop_projection import Effectifs as E
employees = pd.read_csv(sys.argv[1], sep=";")
spouses = pd.DataFrame(columns=["id", "rang", "sex", "age", "type", "familyStatus"])
children = pd.DataFrame(columns=["id", "rang", "sex", "age", "type", "familyStatus"])

def retire(age):
    return age >= 62

def resign(age):
    return 0.03

t0, c0 = time.perf_counter(), time.process_time()
E.projectNumbers(employees, spouses, children, "TV 88-90", MAX_YEARS=10, law_retirement_=retire,
                 law_resignation_=resign)
print("PEER_SECONDS", time.perf_counter() - t0, time.process_time() - c0)
'''

MILLION_CHILD = r'''
import pickle, resource, sys, time
import pandas as pd
sys.path.insert(0, sys.argv[2])
from workforce import projection as PJ
from workforce.scenario import Scenario
with open(sys.argv[1], "rb") as fh:
    base, models, ref = pickle.load(fh)
reps = int(sys.argv[3])
big = pd.concat([base] * reps, ignore_index=True)
big["agent_id"] = [f"M{i}" for i in range(len(big))]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
c0 = time.process_time()
prepared = PJ.prepare(big, models, horizon=10, referential=ref)
t1 = time.perf_counter()
out = PJ.run(prepared, Scenario())
t2 = time.perf_counter()
c1 = time.process_time()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(len(big), t1 - t0, t2 - t1, c1 - c0, rss0, peak, out.total("headcount")[-1],
      prepared.timings["retirement_default"], prepared.timings["exit_hazards"])
'''


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def peer_seconds(base: pd.DataFrame) -> tuple[float, float] | None:
    """(wall, CPU) seconds of pop-projection's ``projectNumbers`` on the same agents, in a throwaway venv (None
    when it cannot be installed)."""
    start = pd.Timestamp(base["extract_date"].max()) + pd.Timedelta(days=1)
    age = ((start - pd.to_datetime(base["birth_date"])).dt.days / 365.25).astype(int)
    employees = pd.DataFrame({
        "id": [f"id{i}" for i in range(len(base))], "type": "active",
        "sex": np.where(base["sex"].astype(str).str.upper().str.startswith("F"), "female", "male")
        if "sex" in base else "female", "familyStatus": "not married", "age": age.to_numpy(), "group": 1,
    })
    employees.loc[0, "id"] = "id111157"  # its leftover debug print reads this employee
    with tempfile.TemporaryDirectory() as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        py = env_dir / "bin" / "python"
        t0 = time.perf_counter()
        inst = subprocess.run([str(py), "-m", "pip", "install", "-q", PEER, "pandas", "numpy", "matplotlib"],
                              capture_output=True, text=True)
        if inst.returncode:
            print(f"pop-projection: not installed ({inst.stderr.strip().splitlines()[-1:]}), no side by side")
            return None
        print(f"pop-projection installed in a throwaway venv in {time.perf_counter() - t0:.0f} s")
        frame = Path(tmp) / "employees.csv"
        employees.to_csv(frame, sep=";", index=False)
        script = Path(tmp) / "peer.py"
        script.write_text(PEER_CHILD)
        res = subprocess.run([str(py), str(script), str(frame)], capture_output=True, text=True)
    line = [x for x in res.stdout.splitlines() if x.startswith("PEER_SECONDS")]
    if res.returncode or not line:
        print("pop-projection failed:\n" + (res.stderr or res.stdout)[-1500:])
        return None
    return float(line[0].split()[1]), float(line[0].split()[2])


def end_to_end(base: pd.DataFrame, models: PJ.Models, ref, repeat: int = 5) -> tuple[float, float, float]:
    """(best wall, median wall, best CPU) of prepare + run, caches cold (a new preparation each time)."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        prepared = PJ.prepare(base, models, horizon=10, referential=ref)
        PJ.run(prepared, Scenario())
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), float(np.median(walls)), min(cpus)


KNOBS = {
    "variante de la loi (avant 2023)": {"regime": "pre2023"},
    "variante de la loi (réforme 2023)": {"regime": "reform2023"},
    "report des départs (6 mois)": {"postponement_months": 6},
    "départs à l'ouverture des droits (40 %)": {"share_at_aod": 0.4},
    "propension à partir (x 1,3)": {"exit_multiplier": 1.3},
    "taux de remplacement (80 %)": {"replacement_rate": 0.8},
    "gel des recrutements (2 ans)": {"hiring_freeze_years": 2},
    "délai de recrutement (6 mois)": {"recruitment_delay_months": 6},
    "demande plate": {"demand_baseline": "flat"},
    "intensité des transformations (x 1,5)": {"transformation_intensity": 1.5},
}


def knobs(prepared: PJ.Prepared) -> None:
    base = Scenario()
    fields = set(base.to_dict())
    for label, change in KNOBS.items():
        if not set(change) <= fields:
            print(f"  {label}: knob {', '.join(change)} unknown to Scenario, skipped")
            continue
        sc = base.replace(**change)
        t0 = time.perf_counter()
        PJ.run(prepared, sc)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        PJ.run(prepared, sc)
        again = time.perf_counter() - t0
        print(f"  {label}: first value {first * 1e3:.0f} ms, again {again * 1e3:.0f} ms (target < 300 ms)")


def million(base, models, ref, reps: int = 125) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inputs.pkl"
        path.write_bytes(pickle.dumps((base, models, ref)))
        script = Path(tmp) / "child.py"
        script.write_text(MILLION_CHILD)
        res = subprocess.run([sys.executable, str(script), str(path), str(ROOT), str(reps)], capture_output=True,
                             text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if res.returncode:
        print("million agents: failed\n" + res.stderr[-2000:])
        return
    n, prep, run, cpu, rss0, peak, heads, ret, ex = res.stdout.split()[-9:]
    print(f"{int(n):,} agents x 10 years end to end: {float(prep) + float(run):.1f} s (prepare {float(prep):.1f} s, of "
          f"which retirement hazards {float(ret):.1f} s and exits {float(ex):.1f} s; run {float(run):.2f} s; CPU "
          f"{float(cpu):.1f} s); peak memory {float(peak) / 1024:.2f} GiB (inputs {float(rss0) / 1024:.2f} GiB); "
          f"target < 10 s and 4 GB; final headcount {float(heads):,.0f}  [{load()}]")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--skip-million", action="store_true")
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    print(f"before: {load()} (wall times; a loaded machine inflates them, CPU times less so)")
    base, models = build_models()
    ref = load_builtin()
    best, med, cpu = end_to_end(base, models, ref)
    print(f"ours, {len(base):,} agents x 10 years, prepare + run, caches cold: best {best * 1e3:.0f} ms, median "
          f"{med * 1e3:.0f} ms, CPU {cpu * 1e3:.0f} ms  [{load()}]")
    prepared = PJ.prepare(base, models, horizon=10, referential=ref)
    t = prepared.timings
    print(f"  of which: retirement hazards {t['retirement_default'] * 1e3:.0f} ms, exits {t['exit_hazards'] * 1e3:.0f} ms,"
          f" default flows {t['warm'] * 1e3:.0f} ms, prepare in all {t['prepare'] * 1e3:.0f} ms")
    if not args.skip_peer:
        peer = peer_seconds(base)
        if peer is not None:
            wall, peer_cpu = peer
            print(f"pop-projection 3.0, same {len(base):,} agents x 10 years: {wall:.2f} s (CPU {peer_cpu:.2f} s); ours "
                  f"end to end {wall / best:,.0f} times faster in wall time (best; median {wall / med:,.0f}), "
                  f"{peer_cpu / cpu:,.0f} times in CPU time; target 100  [{load()}]")
    print("knobs on the prepared engine (each first value, then again from the caches):")
    knobs(prepared)
    PJ.warm_workers(args.jobs)
    for label in ("first call", "second call"):
        w0, c0 = time.perf_counter(), time.process_time()
        mc = PJ.run(prepared, Scenario(), mode="mc", replicates=args.replicates, n_jobs=args.jobs)
        print(f"Monte Carlo, {args.replicates} replicates, {args.jobs} workers, {label}: "
              f"{time.perf_counter() - w0:.2f} s (parent CPU {time.process_time() - c0:.2f} s; target < 3 s)  "
              f"[{load()}]")
    last = mc.summary("total", ["headcount"]).iloc[-1]
    print(f"  headcount {int(last['year'])}: MC mean {last['mean']:,.0f}, P10-P90 {last['p10']:,.0f}-{last['p90']:,.0f}")
    if not args.skip_million:
        million(base, models, ref)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
