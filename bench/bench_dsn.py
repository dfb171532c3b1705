"""Import of 12 monthly DSN of the synthetic département (8,000 agents at the start, one déclaration per direction)
into a fresh SQLite file. Goal (issue 18): under 30 s. Prints the time of each stage (simulation, writing the
files, reading them, the 12 monthly imports), wall and CPU (time.process_time) with the load average (the
machines are shared: CPU is the figure to compare), and the figures of the lot; asserts nothing.

    .venv/bin/python bench/bench_dsn.py [AGENTS]          # default 8000
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("WORKFORCE_SECRET_KEY", "bench-key-not-secret-but-32-bytes-long")
from workforce import db  # noqa: E402
from workforce.ingest import dsn as D  # noqa: E402
from workforce.ingest.dsn_import import import_dsn  # noqa: E402
from workforce.synth import SynthParams, generate  # noqa: E402
from workforce.synth.dsn import write_dsn  # noqa: E402


def main(agents: int = 8000) -> None:
    t0 = time.perf_counter()
    sd = generate(SynthParams(n_agents=agents, years=2, seed=42))
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dsn"
        paths = write_dsn(sd, out)
        t2 = time.perf_counter()
        size = sum(p.stat().st_size for p in paths)
        lines = sum(p.read_bytes().count(b"\n") for p in paths)
        t3, c3 = time.perf_counter(), time.process_time()
        for p in paths:
            D.read_dsn(p.read_bytes(), p.name)
        t4, c4 = time.perf_counter(), time.process_time()
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.init_db(engine)
        t5, c5 = time.perf_counter(), time.process_time()
        results = import_dsn(out, engine=engine, directions=out / "directions.csv")
        t6, c6 = time.perf_counter(), time.process_time()
    rows = sum(r.rows_read for r in results)
    print(f"simulation ({agents} agents, 2 ans)           {t1 - t0:6.1f} s")
    print(f"écriture de {len(paths)} DSN ({size / 1e6:.0f} Mo, {lines:,} lignes)  {t2 - t1:6.1f} s")
    print(f"lecture seule des {len(paths)} DSN (analyse)            {t4 - t3:6.1f} s   CPU {c4 - c3:5.1f} s "
          f"({(c4 - c3) / lines * 1e6:.1f} µs la ligne)")
    print(f"import des {len(paths)} DSN dans SQLite (lecture comprise) {t6 - t5:6.1f} s   CPU {c6 - c5:5.1f} s"
          "   <- objectif < 30 s")
    print(f"charge de la machine (1, 5, 15 min) : {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"sur {os.cpu_count()} cœurs")
    print(f"  {rows:,} lignes lues, {sum(r.rows_stored for r in results):,} enregistrées, "
          f"{sum(r.rows_quarantined for r in results):,} en quarantaine, "
          f"{sum(r.report['dsn']['sortis_dans_le_mois'] for r in results):,} sorties déclarées")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
