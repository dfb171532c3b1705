"""`workforce train` from the first month: 1, 12, 24 and 47 monthly extracts and annual extracts, on each backend.

Each case keeps a subset of the extracts of one small synthetic département (and the movements between the
first and the last kept one), stores it, runs `workforce train`, `workforce models show` and `workforce project`
through Typer's CliRunner: training exits 0, every model has an active version, the registry records which
fallback stands in and why, and `models show` says it in French.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.invariants import projection_stock_flow_violations
from tests.registry.fakes import engine_url
from workforce import registry, synth, train
from workforce.cli import app
from workforce.forecast import fallback as F

runner = CliRunner()
MODELS = ("retirement", "exits", "mobility", "hires", "indices", "demand")
CASES = ("1", "12", "24", "47", "annual")

PROFILES = {"hires": (None, F.RECENT_AGENTS_HIRES), "indices": (None, F.NO_INDICE_PROGRESSION)}
EXPECTED = {
    # case: fallback code of each model; a tuple = either, decided by the backtest (None = the full model)
    "1": {"retirement": F.PRIOR_RETIREMENT, "exits": F.PRIOR_EXITS, "mobility": F.NO_MOBILITY,
          "demand": F.NAIVE_DEMAND, "hires": F.RECENT_AGENTS_HIRES, "indices": None},
    "12": {"retirement": (F.POOLED_RETIREMENT, F.PRIOR_RETIREMENT), "exits": F.POOLED_EXITS,
           "mobility": F.POOLED_MOBILITY, "demand": F.NAIVE_DEMAND, **PROFILES},
    "24": {"retirement": (F.POOLED_RETIREMENT, F.PRIOR_RETIREMENT), "exits": F.POOLED_EXITS,
           "mobility": F.POOLED_MOBILITY,
           "demand": F.NAIVE_DEMAND, **PROFILES},
    "47": {"retirement": (None, F.POOLED_RETIREMENT), "exits": (None, F.POOLED_EXITS),
           "mobility": (None, F.POOLED_MOBILITY), "demand": (None, F.NAIVE_DEMAND), **PROFILES},
    "annual": {"retirement": (None, F.POOLED_RETIREMENT), "exits": (None, F.POOLED_EXITS),
               "mobility": (None, F.POOLED_MOBILITY), "demand": F.NAIVE_DEMAND, **PROFILES},
}
DEMAND_REASON = {"1": "historique de 1 mois < 30", "12": "historique de 12 mois < 30",
                 "24": "historique de 24 mois < 30", "47": None, "annual": "extractions annuelles"}
"""Why demand is naive without a backtest (two cut-offs need 12 + 12 + 6 months, or 4 + 3 + 1 annual extracts);
None: the history allows the nested backtest, so the choice is real (and naive only if the choices lose)."""


@pytest.fixture(scope="module")
def source():
    """500 agents, 5 years of monthly extracts ending 2025-12-31 (one year of it holds a handful of
    retirements, about the threshold of a fitted rate)."""
    return synth.generate(synth.SynthParams(n_agents=500, years=5, seed=11))


def keep_extracts(sd: synth.SyntheticDepartement, case: str) -> synth.SyntheticDepartement:
    """The département as if only some extracts existed: the last N monthly ones, or the December ones
    (annual); movements between the first and the last kept extract."""
    dates = pd.DatetimeIndex(sorted(pd.to_datetime(sd.snapshots["extract_date"]).unique()))
    kept = dates[dates.month == 12] if case == "annual" else dates[-int(case):]
    snaps = sd.snapshots[pd.to_datetime(sd.snapshots["extract_date"]).isin(kept)]
    when = pd.to_datetime(sd.movements["movement_date"])
    moves = sd.movements[(when > kept[0]) & (when <= kept[-1])]
    return dataclasses.replace(sd, snapshots=snaps.reset_index(drop=True), movements=moves.reset_index(drop=True),
                               extract_dates=kept)


@pytest.fixture(params=CASES)
def short_db(request, engine, source, monkeypatch):
    """A database holding only the extracts of the case; the CLI reaches it through WORKFORCE_DB_URL."""
    part = keep_extracts(source, request.param)
    assert part.snapshots["extract_date"].nunique() == (5 if request.param == "annual" else int(request.param))
    synth.store(part, engine)
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    monkeypatch.setenv("COLUMNS", "200")
    return request.param, engine


def test_train_from_the_first_month(short_db):
    case, engine = short_db
    res = runner.invoke(app, ["train"])
    assert res.exit_code == 0, res.output
    for name in MODELS:
        assert f"step={name} status=promoted" in res.output, res.output

    for name in MODELS:
        rec = registry.record(engine, name)  # raises when no version is active
        assert rec.active and registry.integrity(rec) == "ok"
        code = (rec.fallback or {}).get("code")
        expected = EXPECTED[case][name]
        assert code in (expected if isinstance(expected, tuple) else (expected,)), (name, rec.fallback)
        if code is not None:
            assert rec.fallback["label"] == F.LABELS[code] and rec.fallback["reason"]
            assert f"fallback={code}" in res.output
        if name in ("retirement", "exits"):  # the prior exactly when too few events were observed to fit
            assert (code in (F.PRIOR_RETIREMENT, F.PRIOR_EXITS)) == (rec.metrics["n_events"] < train.MIN_EVENTS)
    demand = registry.record(engine, "demand")
    loaded = registry.load_active(engine)
    assert set(loaded) == set(MODELS)
    if DEMAND_REASON[case] is None:
        _demand_choice(demand, loaded["demand"].estimator)
    else:
        assert DEMAND_REASON[case] in demand.fallback["reason"] and demand.primary[1] is None  # no made-up score
        assert loaded["demand"].estimator.fallback_["code"] == F.NAIVE_DEMAND  # the artifact says it too

    _baseline_rule(engine, case)
    _models_show(engine, case)
    if engine.dialect.name == "sqlite":  # the projection reads the same tables on both backends
        _project(engine)
    again = runner.invoke(app, ["train"])
    assert again.exit_code == 0 and "rien à faire" in again.output


def _baseline_rule(engine, case: str) -> None:
    """A model that loses to its baseline is not the active one: where a backtest exists, the full model is
    active only if it is not worse than its pooled baseline; otherwise the baseline is, with the reason."""
    for name, score in (("retirement", "brier"), ("exits", "brier"), ("mobility", "deviance")):
        m = registry.record(engine, name).metrics
        if m.get(score) is None:  # no backtest: the baseline itself is the model
            assert m["fallback"] and case in ("1", "12", "24"), (name, m)
        elif m.get("fallback"):
            assert m[f"{score}_full"] > m[score] and "perd contre" in m["fallback"]["reason"], (name, m)
        else:
            assert m[score] <= m[f"{score}_pooled"], (name, m)


def _models_show(engine, case: str) -> None:
    for name in MODELS:
        res = runner.invoke(app, ["models", "show", name])
        assert res.exit_code == 0, res.output
        rec = registry.record(engine, name)
        line = next(line.strip() for line in res.output.splitlines() if line.strip().startswith("repli :"))
        assert line == F.describe(rec.fallback)
        if rec.fallback:
            assert line.startswith(f"repli : {rec.fallback['label']} (") and rec.fallback["reason"] in line
        else:
            assert line.startswith("repli : aucun")
    show = runner.invoke(app, ["models", "show", "demand"]).output
    if DEMAND_REASON[case] is not None:
        assert f"repli : demande naïve ({DEMAND_REASON[case]}" in show


def _demand_choice(record, estimator) -> None:
    """A backtested demand model: scored on held-out origins, never worse than naive there; naive only when the
    per-series choices lose to it, and then the registry says so."""
    assert record.primary[1] is not None and not estimator.backtest_.empty
    m = record.metrics
    assert m["mase_chosen"] <= m["mase_naive"] + 1e-12
    if record.fallback:
        assert record.fallback["code"] == F.NAIVE_DEMAND and "perdent contre la prévision naïve" in record.fallback[
            "reason"]
        assert set(estimator.series_["model"]) == {"naive"}
    else:
        assert estimator.fallback_ is None


def _project(engine) -> None:
    from workforce import projection as PJ
    from workforce.scenario import Scenario

    res = runner.invoke(app, ["project"])
    assert res.exit_code == 0, res.output
    assert "Projection" in res.output
    assert not any(f"« {name} » indisponible" in res.output for name in MODELS), res.output
    prepared = PJ.prepare_from_db(engine, horizon=5)
    assert set(prepared.provenance["models"]) == set(MODELS)  # every active model used, none fell back
    result = PJ.run(prepared, Scenario(horizon=5))
    assert projection_stock_flow_violations(result.table()).empty
    out = result.summary("total", ["headcount", "retirements", "exits"])
    wide = out.pivot_table(index="year", columns="indicator", values="value")
    assert np.isfinite(wide.to_numpy()).all()
    assert (wide["retirements"].iloc[1:] > 0).all() and (wide["exits"].iloc[1:] > 0).all()
    assert wide["headcount"].iloc[-1] == pytest.approx(wide["headcount"].iloc[0], rel=0.1)


def test_train_on_twelve_annual_extracts(engine, monkeypatch):
    """Twelve December extracts (a small employer's usual history): `workforce train` exits 0, demand is chosen
    among the candidates on a nested backtest of the annual points, and the projection reads it."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the annual backtest is the estimator's; the registry's backends are tested above")
    sd = synth.generate(synth.SynthParams(n_agents=300, years=12, seed=5))
    dates = pd.DatetimeIndex(sorted(pd.to_datetime(sd.snapshots["extract_date"]).unique()))
    kept = dates[dates.month == 12]
    assert len(kept) == 12
    snaps = sd.snapshots[pd.to_datetime(sd.snapshots["extract_date"]).isin(kept)]
    when = pd.to_datetime(sd.movements["movement_date"])
    moves = sd.movements[(when > kept[0]) & (when <= kept[-1])]
    synth.store(dataclasses.replace(sd, snapshots=snaps.reset_index(drop=True), movements=moves.reset_index(drop=True),
                                    extract_dates=kept), engine)
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    monkeypatch.setenv("COLUMNS", "200")
    res = runner.invoke(app, ["train"])
    assert res.exit_code == 0, res.output
    for name in MODELS:
        assert f"step={name} status=promoted" in res.output, res.output
    loaded = registry.load_active(engine)
    est = loaded["demand"].estimator
    assert est.frequency_ == "annual" and est.metrics_["nested"] and len(est.metrics_["coverage_by_horizon"]) == 3
    _demand_choice(registry.record(engine, "demand"), est)
    show = runner.invoke(app, ["models", "show", "demand"])
    assert show.exit_code == 0 and "repli :" in show.output
    _project(engine)


def test_a_longer_history_replaces_the_fallback(engine, source, monkeypatch):
    """12 months, then 47: the fallbacks without a backtest (undefined metric) give way to backtested versions."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the promotion gate is the registry's, tested on both backends elsewhere")
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    synth.store(keep_extracts(source, "12"), engine)
    assert runner.invoke(app, ["train", "--only", "retirement,exits,mobility"]).exit_code == 0
    synth.store(keep_extracts(source, "47"), engine)  # replaces the synthetic history: a longer one
    res = runner.invoke(app, ["train", "--only", "retirement,exits,mobility"])
    assert res.exit_code == 0, res.output
    for name in ("retirement", "exits", "mobility"):
        rec = registry.record(engine, name)
        assert rec.version == "2" and rec.primary[1] is not None, (name, rec.metrics)
        assert not rec.fallback or "backtest de" in rec.fallback["reason"]


def test_models_list_names_the_fallback(engine, source, monkeypatch):
    if engine.dialect.name != "sqlite":
        pytest.skip("the listing reads the registry like `models show`; one backend is enough")
    synth.store(keep_extracts(source, "12"), engine)
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    assert runner.invoke(app, ["train", "--only", "demand"]).exit_code == 0
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0 and "Repli" in res.output and "naïve" in res.output, res.output
    assert "workforce models show" in res.output


def test_fallback_codes_are_documented():
    for code, label in F.LABELS.items():
        assert code in F.__doc__ and label and label[0].islower()
    with pytest.raises(ValueError, match="unknown fallback"):
        F.Fallback("magic", "raison")
    assert train.MIN_EVENTS >= 1 and train.MIN_BACKTEST_YEARS >= 2
