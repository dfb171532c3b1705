"""`workforce forecast retirements` forecasts with the registry's active models, through the same library function
as the Départs à la retraite page (issue 12): same table to the last digit, a rollback changes the command's
figures, no active model or a tampered artifact stops it in one French line (exit 1)."""

from __future__ import annotations

import inspect
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.registry.fakes import engine_url
from workforce import registry, rules
from workforce.cli import app
from workforce.forecast import PriorRetirementHazard
from workforce.forecast import active as A

runner = CliRunner()


def _cli(path, *args) -> pd.DataFrame:
    res = runner.invoke(app, ["forecast", "retirements", *args, "--out", str(path)])
    assert res.exit_code == 0, res.output
    assert "Modèles actifs du registre : retirement v" in res.output
    return pd.read_csv(path)


def _library(engine, by=None) -> pd.DataFrame:
    """The table the page computes: the library function it calls, with its defaults."""
    forecast = A.retirement_forecast(A.latest_agents(engine), A.load_models(engine))
    return A.retirement_summary(forecast, by)


def _same(cli: pd.DataFrame, lib: pd.DataFrame, key: str) -> None:
    """The file's published rows equal the library's to the file's last digit (2 decimals for the expectation,
    integers for the bands)."""
    shown = cli[~cli["secret_statistique"]].reset_index(drop=True)
    lib = lib.set_index(["year", key]).loc[list(zip(shown["annee"], shown["groupe" if key == "group" else key]))]
    assert len(shown) > 0
    np.testing.assert_array_equal(shown["departs_attendus"].to_numpy(), lib["expected"].round(2).to_numpy())
    for q in ("p10", "p50", "p90"):
        np.testing.assert_array_equal(shown[q].to_numpy(), lib[q].to_numpy())
    np.testing.assert_array_equal(shown["effectif"].to_numpy(), lib["n_agents"].to_numpy())


def test_cli_defaults_are_the_pages():
    from workforce.cli.forecast import retirements
    from workforce.ui import forecasts as F

    params = inspect.signature(retirements).parameters
    assert (F.N_REP, F.SEED, F.HORIZON) == (A.N_REP, A.SEED, A.HORIZON)
    assert (params["mc"].default, params["seed"].default, params["horizon"].default) == (A.N_REP, A.SEED, A.HORIZON)
    assert params["regime"].default == rules.DEFAULT_REGIME


def test_cli_table_equals_the_pages(trained, tmp_path):
    from workforce.ui import data as D
    from workforce.ui import forecasts as F

    total = _cli(tmp_path / "total.csv")
    lib = _library(trained)
    _same(total, lib, "group")
    assert sorted(total["annee"]) == list(range(2026, 2036))
    by_direction = _cli(tmp_path / "direction.csv", "--by", "direction")
    _same(by_direction, _library(trained, "direction"), "direction")

    # the page's cached function gives the library's frame, exactly
    url = engine_url(trained)
    page = F.retirement_summary(url, D.data_version(url), rules.DEFAULT_REGIME, None)
    pd.testing.assert_frame_equal(page, lib)


def test_page_shows_the_cli_table(trained, tmp_path, monkeypatch):
    """The Départs à la retraite page itself (AppTest) shows the command's figures."""
    if trained.dialect.name != "sqlite":
        pytest.skip("one backend is enough for the page")
    from tests.ui.helpers import app as page_app
    from tests.ui.helpers import as_number, metric, numbers, table_with

    cli = _cli(tmp_path / "total.csv")
    at = page_app("retirements")
    assert not at.exception
    shown = table_with(at, "P10")
    assert list(shown["Année"].astype(int)) == cli["annee"].tolist()
    for q in ("P10", "P50", "P90"):
        np.testing.assert_array_equal(numbers(shown[q]).to_numpy(), cli[q.lower()].to_numpy())
    lib = _library(trained)
    np.testing.assert_array_equal(numbers(shown["Attendus"]).to_numpy(), lib["expected"].round(1).to_numpy())
    assert as_number(metric(at, "Total")) == pytest.approx(round(cli["departs_attendus"].head(5).sum()), abs=1)


def test_rollback_changes_the_cli(trained, tmp_path):
    before = _cli(tmp_path / "v1.csv")
    first = registry.record(trained, A.RETIREMENT_MODEL).version
    with registry.exclusive():
        decision = registry.register(trained, registry.Candidate(
            name=A.RETIREMENT_MODEL, estimator=PriorRetirementHazard().fit(), metrics={"brier_skill": 1.0},
            primary="brier_skill", direction="max",
            fallback={"code": "prior_retirement", "label": "a priori", "reason": "test"}))
    assert decision.promoted
    prior = _cli(tmp_path / "v2.csv")
    assert not prior["departs_attendus"].equals(before["departs_attendus"])
    _same(prior, _library(trained), "group")  # a fallback model, used as it is active

    res = runner.invoke(app, ["models", "rollback", A.RETIREMENT_MODEL, first])
    assert res.exit_code == 0, res.output
    back = _cli(tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_bytes() == (tmp_path / "v1.csv").read_bytes()
    assert not back["departs_attendus"].equals(prior["departs_attendus"])


def test_no_active_model_says_to_train(stored):
    res = runner.invoke(app, ["forecast", "retirements"])
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Aucun modèle de départ à la retraite actif" in lines[0]
    assert "lancez `workforce train`" in lines[0]


def test_tampered_artifact_is_refused(trained, tmp_path):
    rec = registry.record(trained, A.RETIREMENT_MODEL)
    artifact = next((registry.models_dir() / rec.path).glob("model.*"))
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    res = runner.invoke(app, ["forecast", "retirements", "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "modèle refusé par le registre" in lines[0] and "artefact modifié" in lines[0]
    assert not (tmp_path / "x.csv").exists()
