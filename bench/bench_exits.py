"""Exit model benchmark (issue 13 item 5), printed, never asserted: person-period AUC and Brier on held-out years
of the constant rate by statut, today's ExitHazard and the covariate model (CovariateExitHazard).

Two panels:

* the demo département (8,000 agents, 10 years, seed 42): the synthetic truth makes the other exits depend on
  statut, catégorie (mutation) and age only (workforce.synth; the end of contracts of non-permanent contractuels
  also follows the school season by famille, which averages out over a year), i.e. on ExitHazard's own
  covariates: the covariate model can at best tie there, and must not lose;
* the same panel with exits redrawn to depend also on the direction and on a kept column (``extra``, as an
  import stores a ``keep:`` column): the covariate model must find them.

Temporal split: fit on the years before T, score on T and after (full-year rows).

Usage: python bench/bench_exits.py [--agents 8000] [--years 10] [--test-from 2023] [--seed 42]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workforce import panel as P  # noqa: E402
from workforce.forecast.exits import ExitHazard  # noqa: E402
from workforce.forecast.exits_covariates import CovariateExitHazard  # noqa: E402
from workforce.forecast.exits_metrics import temporal_backtest  # noqa: E402
from workforce.synth import SynthParams, generate  # noqa: E402
from workforce.synth.exit_effects import with_covariate_effect  # noqa: E402

def show(title: str, res: pd.DataFrame, fit_seconds: float) -> None:
    print(f"\n{title}")
    cols = ["model", "auc", "brier", "brier_skill", "log_loss", "observed", "predicted"]
    print(res[cols].to_string(index=False, float_format=lambda v: f"{v:.5f}"))
    print(f"(train rows {int(res['train_rows'].iloc[0])}, test years {res['first_test_year'].iloc[0]}-"
          f"{res['last_test_year'].iloc[0]}, {int(res['n'].iloc[0])} full-year rows; all fits {fit_seconds:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=8000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--test-from", type=int, default=2023)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    sd = generate(SynthParams(n_agents=args.agents, years=args.years, seed=args.seed))
    h = P.history_from_frames(sd.snapshots, sd.movements)
    panel = P.build_panel(h.snapshots, h.movements)
    print(f"panel: {len(panel)} agent-years, {int((panel[P.OUTCOME] == P.EXIT).sum())} other exits "
          f"({time.perf_counter() - t0:.1f} s)")
    models = {"exit_hazard": ExitHazard, "covariates": CovariateExitHazard}
    for title, data in (("Demo département (truth: statut, catégorie, age)", panel),
                        ("Demo with exits depending on direction and a kept column",
                         with_covariate_effect(panel, args.seed))):
        t1 = time.perf_counter()
        res = temporal_backtest(data, models, args.test_from)
        show(title, res, time.perf_counter() - t1)
        fitted = CovariateExitHazard().fit(data[data[P.YEAR] < args.test_from])
        used = {m: fitted.C_extra_[m] for m in fitted.motives_}
        print(f"covariate model: C by motive {fitted.C_}, C of the other covariates {used} (0 = left out by the "
              f"cross-validation), {fitted.n_cells_} cells")


if __name__ == "__main__":
    main()
