"""The real steps on a small synthetic département stored in the database: train, load back, then nothing to do.

The demand step (Prophet per métier, rolling-origin backtests) takes minutes even on a small département, so it
is left to bench/bench_train.py; here it only has to be wired (its JSON storage is tested with a small Prophet
model in test_registry_store.py).
"""

from __future__ import annotations

import numpy as np

from workforce import panel as P
from workforce import registry, synth, train


def test_real_steps_train_register_and_load(engine, small_synth, settings):
    synth.store(small_synth, engine)
    steps = {s.name: s for s in train.default_steps()}
    assert steps["demand"].format == "json"
    available = {"retirement", "exits", "mobility", "hires", "indices"}
    lines = []
    report = train.run(engine, only=sorted(available), log=lambda line, problem: lines.append(line))
    status = {s.name: s.status for s in report.steps}
    assert status == {n: "promoted" for n in available}, lines
    assert not report.failed
    for name in available:
        rec = registry.record(engine, name)
        metric, value, direction = rec.primary
        assert metric and direction in ("min", "max") and np.isfinite(value), (name, rec.metrics)
        assert rec.data_hash == report.data_hash and rec.extract_id is not None and rec.training_seconds > 0
        assert any(line.startswith(f"step={name} status=promoted") for line in lines)

    # the retirement version keeps its multi-year backtest: coverage by horizon for « Fiabilité des prévisions »
    from workforce import reliability

    ret = registry.record(engine, "retirement").metrics
    assert {"coverage_t1", "coverage_t2", "coverage_t3"} <= set(ret) and ret["band_method"]
    assert all(0.0 <= ret[f"coverage_t{h}"] <= 1.0 for h in (1, 2, 3))
    horizons = reliability.by_horizon(ret)
    assert horizons["Horizon"].tolist() == ["T+1", "T+2", "T+3"]
    assert {r["by"] for r in ret["backtest"]} == {"total", "categorie"}

    models = registry.load_active(engine)
    assert set(models) == available
    h = P.history_from_frames(small_synth.snapshots, small_synth.movements)
    rows = P.build_panel(h.snapshots, h.movements).head(500)
    hazard = models["retirement"].estimator.predict_hazard(rows)
    assert hazard.shape == (500,) and np.all((hazard >= 0) & (hazard <= 1))

    again = train.run(engine, only=sorted(available))
    assert again.nothing_to_do
    assert [r.version for r in registry.records(engine, "retirement")] == ["1"]
