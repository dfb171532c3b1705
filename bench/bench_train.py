"""Full retraining on the demo département (8,000 agents x 10 years of monthly snapshots, SQLite): target under
3 minutes on 2 cores. Prints each step's time (data loading included), then the cost of a second run that has
nothing to do. Asserts nothing.

    python bench/bench_train.py [--jobs 2] [--agents 8000] [--years 10] [--only retirement,exits]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--agents", type=int, default=8000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--only", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKFORCE_HOME"] = tmp
        os.environ.pop("WORKFORCE_DB_URL", None)
        os.environ.pop("WORKFORCE_MODELS_DIR", None)
        from workforce import db, train
        from workforce.synth import SynthParams, generate, store

        t0 = time.perf_counter()
        sd = generate(SynthParams(n_agents=args.agents, years=args.years, seed=42))
        engine = db.make_engine()
        counts = store(sd, engine)
        print(f"setup (not timed below): synthetic département {args.agents:,} agents x {args.years} years, "
              f"{counts['agent_snapshots']:,} snapshot rows, stored in SQLite in {time.perf_counter() - t0:.1f} s")
        print(f"cores: {os.cpu_count()}, --jobs {args.jobs}")

        def log(line: str, problem: bool) -> None:
            print(("PROBLEM " if problem else "") + line, flush=True)

        only = args.only.split(",") if args.only else None
        report = train.run(engine, n_jobs=args.jobs, only=only, log=log)
        print("\nstep                 seconds  status")
        for name, seconds in report.timings.items():
            print(f"load.{name:<15} {seconds:8.1f}")
        for s in report.steps:
            print(f"{s.name:<20} {s.seconds:8.1f}  {s.status}"
                  + (f" v{s.version} {s.metric}={s.value:.4g}" if s.version and s.value is not None else "")
                  + (f" ({s.reason})" if s.status in ("failed", "unavailable") else ""))
        print(f"{'total':<20} {report.seconds:8.1f}  (target < 180 s on 2 cores)")
        t1 = time.perf_counter()
        again = train.run(engine, n_jobs=args.jobs, only=only)
        print(f"second run (nothing to do: {again.nothing_to_do}): {time.perf_counter() - t1:.2f} s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: {peak:,.0f} MiB (largest worker {child:,.0f} MiB)")


if __name__ == "__main__":
    main()
