"""`workforce train` and `workforce models` through Typer's CliRunner: output, exit codes, quiet mode."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.registry.fakes import constant_step, engine_url
from workforce import registry, train
from workforce.cli import app

runner = CliRunner()


@pytest.fixture
def cli_db(data_engine, monkeypatch):
    """The commands read WORKFORCE_DB_URL: point it at the test database; fake steps stand for the models."""
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(data_engine))
    steps = {"good": constant_step("toy", metric=1.0, value=0.1)}
    monkeypatch.setattr(train.runner, "default_steps", lambda: [steps["good"]])
    return data_engine, steps


def test_train_logs_one_line_per_step_then_nothing_to_do(cli_db):
    res = runner.invoke(app, ["train"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    toy = [line for line in lines if line.startswith("step=toy ")]
    assert len(toy) == 1 and "status=promoted" in toy[0] and "version=1" in toy[0] and "seconds=" in toy[0]
    assert lines[0].startswith("step=start ") and lines[-2].startswith("step=end status=ok")
    assert lines[-1].startswith("step=prepared ")  # then the app's inputs, stored (workforce.projection.stored)
    res = runner.invoke(app, ["train"])
    assert res.exit_code == 0 and "rien à faire" in res.stdout and "status=unchanged" in res.stdout
    res = runner.invoke(app, ["train", "--quiet"])
    assert res.exit_code == 0 and res.output == ""


def test_train_quiet_prints_only_problems(cli_db):
    engine, steps = cli_db
    runner.invoke(app, ["train"])
    steps["good"] = constant_step("toy", metric=9.0, value=0.9)
    res = runner.invoke(app, ["train", "--quiet", "--force"])
    assert res.exit_code == 0
    assert res.stdout == "" and "status=rejected" in res.stderr and "moins bonne" in res.stderr

    def broken(data, ctx):
        raise ValueError("données incohérentes")

    steps["good"] = train.Step("toy", broken)
    res = runner.invoke(app, ["train", "--quiet", "--force"])
    assert res.exit_code == 1 and "status=failed" in res.stderr and "données incohérentes" in res.stderr
    assert registry.record(engine, "toy").version == "1"


def test_train_exit_codes_for_bad_input(cli_db, engine, monkeypatch):
    res = runner.invoke(app, ["train", "--only", "retraite"])
    assert res.exit_code == 2 and "retraite" in res.output and "toy" in res.output
    res = runner.invoke(app, ["train", "--jobs", "0"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["train", "--help"])
    assert res.exit_code == 0 and "75" in res.output and "--only" in res.output


def test_train_without_data_exits_2(engine, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    monkeypatch.setattr(train.runner, "default_steps", lambda: [constant_step("toy")])
    res = runner.invoke(app, ["train"])
    assert res.exit_code == 2 and "aucune extraction" in res.stderr


def test_train_and_registry_commands_exit_75_when_locked(cli_db):
    with registry.exclusive():
        for args in (["train"], ["models", "rollback", "toy", "1"], ["models", "prune", "--keep", "1"]):
            res = runner.invoke(app, args)
            assert res.exit_code == 75, args
            assert "en cours" in res.stderr


def test_models_list_show_rollback_prune(cli_db, settings):
    engine, steps = cli_db
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0 and "Aucun modèle" in res.output
    for metric in (1.0, 0.9, 0.8):
        steps["good"] = constant_step("toy", metric=metric, value=metric)
        assert runner.invoke(app, ["train", "--force"]).exit_code == 0
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0 and res.output.count("toy") == 3 and "ok" in res.output
    res = runner.invoke(app, ["models", "show", "toy"])
    assert res.exit_code == 0 and "toy v3 (active)" in res.output and "error = 0.8" in res.output
    res = runner.invoke(app, ["models", "show", "toy", "9"])
    assert res.exit_code == 2 and "pas de version '9'" in res.stderr
    res = runner.invoke(app, ["models", "rollback", "toy", "1"])
    assert res.exit_code == 0 and "toy v1 est maintenant la version active" in res.output
    assert registry.record(engine, "toy").version == "1"
    res = runner.invoke(app, ["models", "rollback", "toy", "9"])
    assert res.exit_code == 2
    (settings.models_dir / "toy" / "2" / "model.joblib").write_bytes(b"tampered")
    res = runner.invoke(app, ["models", "show", "toy", "2"])
    assert res.exit_code == 1 and "altéré" in res.output
    res = runner.invoke(app, ["models", "rollback", "toy", "2"])
    assert res.exit_code == 1 and "artefact modifié" in res.stderr
    res = runner.invoke(app, ["models", "prune", "--keep", "1"])
    assert res.exit_code == 0 and "supprimé : toy v2" in res.output
    assert [r.version for r in registry.records(engine, "toy")] == ["1", "3"]
    res = runner.invoke(app, ["models", "prune", "--keep", "1"])
    assert res.exit_code == 0 and "Rien à supprimer" in res.output


def test_quiet_sends_library_chatter_to_the_log_file(data_engine, settings):
    """Run as cron would: a real process whose step and worker print; --quiet keeps the terminal empty."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    cmd = [sys.executable, "-m", "tests.registry.child", "quiet", engine_url(data_engine)]
    res = subprocess.run([*cmd, "-"], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    log = (settings.home / "logs" / "train.log").read_text()
    assert "INFO chatter" in log and "worker chatter" in log and "step=toy status=promoted" in log


def test_a_terminal_sees_each_step_start_and_a_pipe_one_line_a_step(tmp_path):
    """`make demo` trains for minutes: on a terminal every step says when it starts (the demand fit is long); a
    pipe or cron gets one key=value line a step, and the log file every line."""
    import io

    from workforce.cli.train import _sink

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    started, done = "step=demand status=started position=6/6", "step=demand status=promoted version=1"
    for out, shown in ((Terminal(), True), (io.StringIO(), False)):
        with open(tmp_path / "train.log", "w", encoding="utf-8") as log_file:
            log = _sink(False, out, io.StringIO(), log_file)
            log(started, False)
            log(done, False)
        text = out.getvalue()
        assert ("Étape 6/6 : besoins par métier" in text) is shown
        assert "status=started" not in text and done in text
        assert started in (tmp_path / "train.log").read_text(encoding="utf-8")
