"""Demand baseline benchmark (issue 5), printed, never asserted: Prophet against naive and seasonal naive on
every métier of the synthetic département (monthly ETP, 10 years), rolling-origin backtest, MASE, and the
80 % band's coverage before (Prophet's own interval) and after split-conformal recalibration.

Usage: python bench/bench_demand.py [--jobs 2] [--metiers N] [--origins 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workforce.forecast.demand import DemandBaseline, monthly_etp  # noqa: E402
from workforce.referential import load_builtin  # noqa: E402
from workforce.synth import SynthParams, generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--metiers", type=int, default=0, help="first N métiers only (0: all)")
    ap.add_argument("--origins", type=int, default=4)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    sd = generate(SynthParams(n_agents=8000, years=10, seed=42))
    history = monthly_etp(sd.snapshots)
    if args.metiers:
        keep = history["metier_code"].drop_duplicates().iloc[: args.metiers]
        history = history[history["metier_code"].isin(keep)]
    t1 = time.perf_counter()
    model = DemandBaseline(n_jobs=args.jobs, n_origins=args.origins).fit(history, load_builtin().metiers)
    t2 = time.perf_counter()
    m = model.metrics_
    s = model.series_
    print(f"history: {history['metier_code'].nunique()} métiers x {history['ds'].nunique()} months "
          f"({t1 - t0:.1f} s to generate); fit with {args.origins} rolling origins x 12 months, {args.jobs} workers: "
          f"{t2 - t1:.1f} s for {m['series']} series")
    print(f"series modelled at famille level: {(s['level'] == 'famille').sum()} métiers; models kept: "
          f"{m['models_chosen']}")
    rows = []
    for model_name in ("prophet", "naive", "snaive", "chosen"):
        rows.append({"model": model_name, "MASE (mean of series)": round(m[f"mase_{model_name}"], 3),
                     "coverage 80 % raw": round(m[f"coverage_raw_{model_name}"], 3),
                     "coverage 80 % conformal": round(m[f"coverage_conformal_{model_name}"], 3)})
    print(pd.DataFrame(rows).to_string(index=False))
    per = s[s["level"] == "metier"]
    print(f"per series (métier level, n={len(per)}): Prophet kept on {(per['model'] == 'prophet').sum()}, "
          f"MASE of the kept model median {per[['mase_prophet', 'mase_naive', 'mase_snaive']].min(axis=1).median():.2f}; "
          f"coverage of the kept model's band, median over series: raw {per['coverage_raw'].median():.2f}, "
          f"conformal {per['coverage_conformal'].median():.2f}")
    t3 = time.perf_counter()
    ann = model.annual(10)
    text = model.to_json()
    t4 = time.perf_counter()
    print(f"annual demand for 10 years ({len(ann)} rows) and JSON ({len(text) / 1e6:.1f} MB): {t4 - t3:.2f} s")
    print(model.report().head(15).to_string(index=False))


if __name__ == "__main__":
    main()
