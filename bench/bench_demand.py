"""Demand baseline benchmark (issues 5 and 13), printed, never asserted: every métier of the synthetic
département (the demo's: 8,000 agents, 10 years of monthly extracts, seed 42), the candidates' MASE, the
choice's MASE on the held-out origins against the naive forecast's, the coverage of the 80 % band by horizon
and the per-series choice counts; then the same on annual extracts (the December ones). The fit time is printed
because `workforce train` must stay short (issue 17).

It also runs on the code before issue 13 (three candidates, no holdout: every figure is then over all origins)
so that before and after can be compared: ``PYTHONPATH=<old checkout> python bench/bench_demand.py``.

Usage: python bench/bench_demand.py [--jobs 2] [--metiers N] [--skip-annual] [--skip-monthly] [--history FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

if "PYTHONPATH" not in os.environ:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workforce.forecast.demand import DemandBaseline, monthly_etp  # noqa: E402
from workforce.referential import load_builtin  # noqa: E402
from workforce.synth import SynthParams, generate  # noqa: E402


def _coverage_by_horizon(model) -> pd.DataFrame:
    """Coverage of the active models' bands by horizon (holdout origins; every origin on the old code)."""
    bt = model.backtest_
    if "role" in bt.columns:
        bt = bt[bt["role"] == "holdout"]
    else:  # before issue 13: every model's rows are there, keep each series' kept model
        kept = model.series_.drop_duplicates("series").set_index("series")["model"]
        bt = bt[bt["model"].to_numpy() == bt["series"].map(kept).to_numpy()]
    if bt.empty:
        return pd.DataFrame()
    err = (bt["observed"] - bt["predicted"]).abs() / bt["scale"]
    return (bt.assign(mase=err).groupby("horizon")
            .agg(mase=("mase", "mean"), coverage_raw=("covered_raw", "mean"), coverage=("covered", "mean"),
                 rows=("covered", "size")).round(3))


def _run(label: str, history: pd.DataFrame, metiers: pd.DataFrame, jobs: int) -> None:
    print(f"\n=== {label}: {history['metier_code'].nunique()} métiers x {history['ds'].nunique()} points")
    t0 = time.perf_counter()
    model = DemandBaseline(n_jobs=jobs).fit(history, metiers)
    seconds = time.perf_counter() - t0
    m, s = model.metrics_, model.series_
    print(f"fit: {seconds:.1f} s for {m['series']} series with {jobs} workers "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
          + (f"; CPU of the workers and their Stan runs {m['worker_cpu_seconds']:.1f} s" if "worker_cpu_seconds" in m
             else ""))
    print(f"series at famille level: {(s['level'] == 'famille').sum()} métiers; fallback: {model.fallback_}")
    new = hasattr(model, "frequency_")
    if new:
        print(f"origins: {m['origins_selection']} to choose, {m['origins_holdout']} held out "
              f"(nested: {m['nested']}); calibration: {m['calibration']}")
        print(f"per-series choice (backtest): {m['models_selected']}; Prophet screened out on "
              f"{m.get('prophet_screened', 0)} series")
        print(f"active models: {m['models_chosen']}")
        cands = {k[12:]: round(v, 3) for k, v in m.items() if k.startswith("mase_select_")}
        print(f"MASE of each candidate on the selection origins: {cands}")
        print(f"held-out origins: MASE of the choice {m['mase_holdout_selected']:.3f}, naive "
              f"{m['mase_naive']:.3f}, active {m['mase_chosen']:.3f}")
    else:
        print(f"models kept: {m['models_chosen']}")
        print({k: round(v, 3) for k, v in m.items() if k.startswith("mase_")})
    print(f"coverage of the 80 % band (active models): raw {m['coverage_raw_chosen']:.3f}, "
          f"conformal {m['coverage_conformal_chosen']:.3f}")
    by_h = _coverage_by_horizon(model)
    if len(by_h):
        print(by_h.T.to_string())
    t1 = time.perf_counter()
    ann = model.annual(10)
    text = model.to_json()
    print(f"annual demand for 10 years ({len(ann)} rows) and JSON ({len(text) / 1e6:.1f} MB): "
          f"{time.perf_counter() - t1:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--metiers", type=int, default=0, help="first N métiers only (0: all)")
    ap.add_argument("--skip-annual", action="store_true")
    ap.add_argument("--skip-monthly", action="store_true")
    ap.add_argument("--history", help="CSV ds,metier_code,y to read instead of generating (the same data before "
                                      "and after a change of the synthetic generator); written when missing")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.history and Path(args.history).exists():
        history = pd.read_csv(args.history, parse_dates=["ds"])
    else:
        sd = generate(SynthParams(n_agents=8000, years=10, seed=42))
        history = monthly_etp(sd.snapshots)
        if args.history:
            history.to_csv(args.history, index=False)
    if args.metiers:
        keep = history["metier_code"].drop_duplicates().iloc[: args.metiers]
        history = history[history["metier_code"].isin(keep)]
    metiers = load_builtin().metiers
    print(f"history ready in {time.perf_counter() - t0:.1f} s")
    if not args.skip_monthly:
        _run("monthly extracts", history, metiers, args.jobs)
    if not args.skip_annual:
        yearly = history[pd.to_datetime(history["ds"]).dt.month == 12]
        _run("annual extracts (December)", yearly, metiers, args.jobs)


if __name__ == "__main__":
    main()
