"""Retirement forecasting at demo size (8,000 agents x 10 years): panel, fit, 10-year forecast with 500 Monte
Carlo replicates, backtest over every possible cutoff, and the figures they give. Prints; asserts nothing.

The backtest's T+1..T+3 errors and band coverage (totals and by catégorie) are printed beside the figures of
the code before issue 13 (:data:`BEFORE`, measured with this script on commit 45241c5: agent-level draws only,
partial years counted as full, competing exits at a flat rate by statut)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workforce import evaluation as ev  # noqa: E402
from workforce import panel as P  # noqa: E402
from workforce.forecast import RetirementHazard, forecast_retirements  # noqa: E402
from workforce.forecast.exits import ExitHazard  # noqa: E402
from workforce.synth import SynthParams, first_year_probability, generate  # noqa: E402


BEFORE = pd.DataFrame({
    "by": ["total"] * 3 + ["categorie"] * 3, "horizon": [1, 2, 3] * 2,
    "bias": [-0.044, -0.065, -0.071, -0.044, -0.065, -0.071],
    "mean_abs_rel_error": [0.055, 0.061, 0.072, 0.098, 0.113, 0.124],
    "coverage": [0.750, 0.571, 0.500, 0.792, 0.762, 0.667],
})
"""Backtest of the demo département before issue 13: ``bias`` = sum predicted / sum observed - 1."""


def timed(label: str, fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    print(f"{label}: {time.perf_counter() - t0:.2f} s")
    return out


if __name__ == "__main__":
    sd = timed("generate 8,000 agents x 10 years", generate, SynthParams(n_agents=8000, years=10, seed=42))
    history = timed("history (anchor extracts + departures)", P.history_from_frames, sd.snapshots, sd.movements)
    panel = timed("person-year panel", P.build_panel, history.snapshots, history.movements)
    print(f"  {len(panel):,} agent-years, {int((panel[P.OUTCOME] == P.RETIREMENT).sum()):,} retirements")
    model = timed("fit RetirementHazard (5-fold Platt calibration)", RetirementHazard().fit, panel)
    print(f"  cells: eligible {model.eligible_.n_cells_}, invalidity {model.invalidity_.n_cells_}, "
          f"anticipated {model.anticipated_.n_cells_}; early window {model.early_window_months_} months; "
          f"learned share retiring the AOD year {model.aod_share_:.3f}")
    print(f"  hazard uncertainty (log-odds): level {model.level_sd_:.3f}, year {model.year_sd_:.3f}")
    exits = timed("fit ExitHazard", ExitHazard().fit, panel)
    base = history.base()
    fc = timed("forecast 10 years (per agent)", forecast_retirements, base, model, exit_model=exits, horizon=10)
    outcomes = timed("Monte Carlo 500 replicates", fc.simulate, 500, np.random.default_rng(42))
    total = timed("aggregate by direction", fc.summary, "direction", outcomes=outcomes)
    print(fc.summary(None, outcomes=outcomes).round(1).to_string(index=False))
    print(f"  bands: {fc.band_method}")

    # recovery of the generator's hazard (titulaires, whole history)
    p = model.predict_hazard(panel)
    tit = ((panel[P.STATUT] == "titulaire") & (panel[P.MONTHS_TO_LIMIT] > 11)).to_numpy()
    m, age = panel[P.MONTHS_TO_AOD].to_numpy(), panel[P.AGE].to_numpy()
    for label, sel, truth in [
        ("year of an AOD in January", tit & (m == 0) & (age < 64), first_year_probability(sd.params)),
        ("tail after the AOD, < 64", tit & (m <= -12) & (age < 64), sd.params.after_hazard),
        ("tail after the AOD, 65+", tit & (m <= -12) & (age >= 65), sd.params.after_hazard_65),
    ]:
        print(f"  {label}: model {p[sel].mean():.3f}, data {(panel[P.OUTCOME] == P.RETIREMENT).to_numpy()[sel].mean():.3f}"
              f", truth {truth:.3f} ({sel.sum()} agent-years)")

    held = timed("fit up to 2023 for calibration", RetirementHazard().fit, panel[panel[P.YEAR] <= 2023])
    scores, table = ev.calibration_report(held, panel[panel[P.YEAR] >= 2024])
    print(f"  held-out 2024-2025: Brier {scores['brier']:.5f} (constant rate {scores['brier_reference']:.5f}), "
          f"predicted {scores['predicted']:.1f} / observed {scores['observed']:.0f}")
    print(table.round(4).to_string(index=False))

    bt = timed("backtest, 8 cutoffs x 3 years, 500 replicates", ev.backtest, history, by=("direction", "categorie"),
               n_rep=500, rng=np.random.default_rng(2026))
    t1 = bt[(bt[ev.BY] == "total") & (bt[ev.HORIZON] == 1)]
    print(t1[[ev.CUTOFF, "year", ev.OBSERVED, ev.PREDICTED, ev.LOWER, ev.UPPER, ev.REL_ERROR]].round(3)
          .to_string(index=False))
    summary = ev.backtest_summary(bt)
    print(summary.round(3).to_string(index=False))
    print(f"  coverage of the 80 % band over {len(bt)} comparisons: {bt[ev.COVERED].mean():.3f}")
    print(f"  bands: {bt.attrs['band_method']}")
    print("  calibration by horizon of the model trained on the whole history (extra yearly log-odds sd): "
          + ", ".join(f"T+{h} {v:.3f}" for h, v in enumerate(bt.attrs["horizon_sd"], start=1)))
    after = summary[summary[ev.BY].isin(["total", "categorie"])].assign(
        bias=lambda d: d[ev.PREDICTED] / d[ev.OBSERVED] - 1)[[ev.BY, ev.HORIZON, "bias", "mean_abs_rel_error", "coverage"]]
    both = BEFORE.merge(after, on=[ev.BY, ev.HORIZON], suffixes=("_before", "_after"))
    print("T+1..T+3 before / after issue 13 (goal: coverage 0.70-0.90, mean absolute T+1 error < 0.07)")
    print(both.round(3).to_string(index=False))
