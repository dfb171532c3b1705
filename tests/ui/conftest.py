"""A demo-like database for the app tests: a small synthetic département stored in a SQLite file under tmp,
with the models trained through the registry (the app never trains one itself).

Every test of this folder points the app at it through WORKFORCE_HOME / WORKFORCE_DB_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SECRET = "test-key-not-secret-but-32-bytes-long"
DEMO_AGENTS, DEMO_YEARS, DEMO_SEED = 1200, 6, 11


def _build(home: Path) -> dict:
    """Synthesise, store and train (when the training pipeline exists) into ``home``."""
    from workforce import db
    from workforce.config import Settings
    from workforce.synth import SynthParams, generate, store

    url = f"sqlite:///{home / 'workforce.db'}"
    saved = {k: os.environ.get(k) for k in ("WORKFORCE_HOME", "WORKFORCE_DB_URL", "WORKFORCE_SECRET_KEY")}
    os.environ.update(WORKFORCE_HOME=str(home), WORKFORCE_DB_URL=url, WORKFORCE_SECRET_KEY=SECRET)
    try:
        engine = db.make_engine(url)
        sd = generate(SynthParams(n_agents=DEMO_AGENTS, years=DEMO_YEARS, seed=DEMO_SEED))
        store(sd, engine, truth_dir=home / "synth")
        trained: dict[str, str] = {}
        from workforce import train

        settings = Settings(home=home, db_url=url, models_dir=home / "models")
        report = train.run(engine, settings=settings, steps=_quick_steps(train))
        trained = {s.name: s.status for s in report.steps}
        engine.dispose()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"home": home, "url": url, "trained": trained}


def _fast_demand(data, ctx):
    """The demand baseline fitted at famille level with one backtest origin: the same estimator and registry
    path as `workforce train`, about 10 times cheaper (the full fit takes minutes)."""
    from workforce import train
    from workforce.forecast import demand

    history = demand.monthly_etp_from_headcount(data.headcount)
    model = demand.DemandBaseline(min_months=10**6, n_origins=1, uncertainty_samples=50,
                                  max_horizon_months=360).fit(history, data.metiers)
    metrics = {k: float(v) for k, v in model.metrics_.items() if isinstance(v, (int, float))}
    return train.Fitted(model, metrics, "mase_chosen", "min")


def _quick_steps(train) -> list:
    steps = []
    for step in train.default_steps():
        if step.name == "demand":
            step = train.Step("demand", _fast_demand, step.modules, format=step.format)
        steps.append(step)
    return steps


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The demo-like database, built once per test session."""
    return _build(tmp_path_factory.mktemp("ui_demo"))


@pytest.fixture(autouse=True)
def demo_env(demo_db, _isolated_home, monkeypatch):
    """Point the app (and the library) at the demo database, after the suite's own isolation."""
    monkeypatch.setenv("WORKFORCE_HOME", str(demo_db["home"]))
    monkeypatch.setenv("WORKFORCE_DB_URL", demo_db["url"])
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", SECRET)
    return demo_db


@pytest.fixture
def empty_env(tmp_path, monkeypatch):
    """An empty database, for the 'no data yet' messages."""
    home = tmp_path / "empty"
    monkeypatch.setenv("WORKFORCE_HOME", str(home))
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{home / 'workforce.db'}")
    return home
