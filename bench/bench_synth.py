"""Synthetic département at demo size (8,000 agents x 10 years of monthly snapshots): target under 60 s
for generation plus writing to SQLite. Prints figures and the calibration table; asserts nothing."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workforce import db  # noqa: E402
from workforce.synth import SynthParams, calibration_table, generate, store  # noqa: E402

if __name__ == "__main__":
    t0 = time.perf_counter()
    sd = generate(SynthParams(n_agents=8000, years=10, seed=42))
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        counts = store(sd, db.make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"), truth_dir=Path(tmp))
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generate 8,000 agents x 10 years: {t1 - t0:.1f} s")
    print(f"store to SQLite ({counts['agent_snapshots']:,} snapshot rows, {counts['movements']:,} movements): "
          f"{t2 - t1:.1f} s")
    print(f"total: {t2 - t0:.1f} s, peak memory {peak:,.0f} MiB")
    print(calibration_table(sd).to_string())
