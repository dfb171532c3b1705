"""Import of a 100,000-row French SIRH extract (semicolon, Windows-1252, French headers, personal columns to
drop, 1 % of faulty rows) into a fresh SQLite file (target under 15 s); then the same file again (no-op) and
the next month's extract (movements). Prints wall time per stage and peak memory; asserts nothing.

    .venv/bin/python bench/bench_import.py [N]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("WORKFORCE_SECRET_KEY", "bench-key-not-secret-but-32-bytes-long")
from workforce import db  # noqa: E402
from workforce.ingest import import_extract  # noqa: E402
from workforce.ingest.sample import random_snapshot, to_sirh_frame  # noqa: E402
from workforce.referential import load_builtin  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def extract_bytes(n: int, date: str, seed: int) -> bytes:
    ref = load_builtin()
    snap = random_snapshot(n, ref.metiers, ref.directions["code"].tolist(), date, seed=0)
    rng = np.random.default_rng(seed)
    # next month: 1 % leave, 1 % change direction
    keep = rng.random(n) > (0.01 if seed else 0)
    moved = rng.random(n) < (0.01 if seed else 0)
    snap.loc[moved, "direction"] = "DGS"
    snap = snap[keep].reset_index(drop=True)
    fr = to_sirh_frame(snap)
    fr.insert(1, "Nom", "DUPONT")
    fr.insert(2, "Prénom", "Camille")
    fr["Observations"] = ""
    bad = rng.choice(len(fr), len(fr) // 100, replace=False)  # 1 % faulty rows, four kinds
    cols = ["Date de naissance", "Catégorie hiérarchique", "Quotité de travail", "Libellé emploi"]
    values = ["31/02/1970", "D", "0", "Métier inconnu au bataillon"]
    for k, (col, val) in enumerate(zip(cols, values)):
        fr.loc[fr.index[bad[k::4]], col] = val
        if col == "Libellé emploi":
            fr.loc[fr.index[bad[k::4]], "Code métier"] = ""
    return fr.to_csv(sep=";", index=False, lineterminator="\r\n").encode("cp1252", errors="replace")


def main(n: int = 100_000) -> None:
    t0 = time.perf_counter()
    june = extract_bytes(n, "2025-06-30", 0)
    july = extract_bytes(n, "2025-07-31", 1)
    print(f"Fichiers générés : {n:,} lignes, {len(june) / 1e6:.1f} Mo ({time.perf_counter() - t0:.1f} s)".replace(",", " "))
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.init_db(engine)
        base = peak_mb()
        stages: dict[str, float] = {}
        last = [time.perf_counter()]

        def progress(step: str) -> None:
            now = time.perf_counter()
            stages[step] = now
            last[0] = now

        for label, data, name in (("import", june, "extraction_2025-06-30.csv"),
                                  ("réimport (sans effet)", june, "extraction_2025-06-30.csv"),
                                  ("mois suivant", july, "extraction_2025-07-31.csv")):
            stages.clear()
            t = time.perf_counter()
            result = import_extract(data, name=name, engine=engine, progress=progress)
            elapsed = time.perf_counter() - t
            print(f"{label:24s} {elapsed:6.2f} s   lues {result.rows_read:,}  enregistrées {result.rows_stored:,}  "
                  f"quarantaine {result.rows_quarantined:,}".replace(",", " "))
            if stages:
                marks = [t, *stages.values(), t + elapsed]
                names = ["préparation", *stages.keys()]
                print("    " + ", ".join(f"{s} {b - a:.2f} s" for s, a, b in zip(names, marks, marks[1:])))
            if result.report.get("mouvements"):
                print(f"    mouvements : {result.report['mouvements']}")
        print(f"Mémoire : pic du processus {peak_mb():.0f} Mo (avant les imports {base:.0f} Mo)")
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
