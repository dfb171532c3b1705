"""`workforce.train.run` with tiny fake steps: idempotency, the lock, crash safety, failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.registry.fakes import add_extract, constant_step, engine_url
from workforce import registry, train

REPO = Path(__file__).resolve().parents[2]


def statuses(report) -> dict[str, str]:
    return {s.name: s.status for s in report.steps}


def test_same_data_and_code_means_nothing_to_do(data_engine):
    calls = []
    steps = [constant_step("a", calls=calls), constant_step("b", calls=calls)]
    first = train.run(data_engine, steps=steps)
    assert statuses(first) == {"a": "promoted", "b": "promoted"} and not first.nothing_to_do
    lines = []
    second = train.run(data_engine, steps=steps, log=lambda line, problem: lines.append(line))
    assert second.nothing_to_do and statuses(second) == {"a": "unchanged", "b": "unchanged"}
    assert calls == ["a", "b"]  # nothing fitted the second time
    assert any("rien à faire" in line for line in lines)
    assert [r.version for r in registry.records(data_engine, "a")] == ["1"]


def test_new_data_force_code_or_libraries_retrain(data_engine, monkeypatch):
    calls = []
    steps = [constant_step("a", calls=calls)]
    train.run(data_engine, steps=steps)
    train.run(data_engine, steps=steps, force=True)
    assert len(calls) == 2
    add_extract(data_engine, "2026-01-31")
    assert statuses(train.run(data_engine, steps=steps)) == {"a": "promoted"}
    assert len(calls) == 3
    monkeypatch.setattr(train.Step, "code_version", lambda self: "0.1.0+other")
    train.run(data_engine, steps=steps)
    assert len(calls) == 4
    real = registry.library_versions()
    monkeypatch.setattr(registry.store, "library_versions", lambda: {**real, "sklearn": "9.9"})
    train.run(data_engine, steps=steps)
    assert len(calls) == 5
    assert train.run(data_engine, steps=steps).nothing_to_do
    assert [r.version for r in registry.records(data_engine, "a")] == ["1", "2", "3", "4", "5"]


def test_a_broken_active_artifact_is_retrained_without_force(data_engine, settings):
    calls = []
    steps = [constant_step("a", calls=calls)]
    train.run(data_engine, steps=steps)
    (settings.models_dir / "a" / "1" / "model.joblib").write_bytes(b"tampered")
    problems = []
    report = train.run(data_engine, steps=steps, log=lambda line, problem: problem and problems.append(line))
    assert statuses(report) == {"a": "promoted"} and len(calls) == 2
    assert any("inutilisable (altéré)" in p for p in problems)
    assert registry.load(data_engine, "a").record.version == "2"


def test_code_version_follows_the_source(data_engine):
    a, b = constant_step("a"), constant_step("a", metric=2.0)
    assert a.code_version() == b.code_version()  # same source, same code version
    assert a.code_version().startswith("0.1.0+")
    steps = {s.name: s for s in train.default_steps()}
    assert set(steps) == set(train.STEP_NAMES)
    assert steps["retirement"].code_version() != steps["exits"].code_version()


def test_rejected_candidate_keeps_the_active_version(data_engine):
    train.run(data_engine, steps=[constant_step("a", metric=1.0, value=0.1)])
    problems = []
    report = train.run(data_engine, steps=[constant_step("a", metric=3.0, value=0.9)], force=True,
                       log=lambda line, problem: problem and problems.append(line))
    assert statuses(report) == {"a": "rejected"}
    assert registry.load(data_engine, "a").estimator.value_ == 0.1
    assert len(problems) == 1 and "status=rejected" in problems[0] and "moins bonne" in problems[0]


def test_a_failing_step_does_not_stop_the_others(data_engine):
    train.run(data_engine, steps=[constant_step("a"), constant_step("b")])

    def broken(data, ctx):
        raise RuntimeError("boom")

    problems = []
    report = train.run(data_engine, steps=[train.Step("a", broken), constant_step("b", metric=0.5)], force=True,
                       log=lambda line, problem: problem and problems.append(line))
    assert statuses(report) == {"a": "failed", "b": "promoted"}
    assert [s.name for s in report.failed] == ["a"]
    assert registry.record(data_engine, "a").version == "1"
    assert any("RuntimeError: boom" in p for p in problems)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_background_step_overlaps_the_next_ones_and_registers_in_table_order(data_engine, jobs):
    """With more than one job, a background step (the demand's) is fitted while the next steps run: here it
    waits for the next step's fit, which it sees only if they overlap. The registry receives the steps in
    the background steps after the others, a background failure is reported like any other, and the CPU of its
    workers is counted."""
    from tests.registry.fakes import Constant

    released = threading.Event()

    def background(data, ctx):
        overlapped = released.wait(10 if jobs > 1 else 0)
        return train.Fitted(Constant().fit(), {"error": 1.0 if overlapped else 2.0, train.WORKER_CPU: 5.0}, "error")

    def foreground(data, ctx):
        released.set()
        return train.Fitted(Constant().fit(), {"error": 1.0}, "error")

    def broken(data, ctx):
        raise RuntimeError("boom")

    lines = []
    steps = [train.Step("bg", background, background=True), train.Step("fg", foreground),
             train.Step("bad", broken, background=True)]
    report = train.run(data_engine, steps=steps, n_jobs=jobs, log=lambda line, problem: lines.append(line))
    assert statuses(report) == {"bg": "promoted", "fg": "promoted", "bad": "failed"}
    bg = report.steps[0]
    assert bg.value == (1.0 if jobs > 1 else 2.0)  # with one job, steps run one after the other as before
    assert bg.cpu_seconds >= 5.0 and report.steps[1].cpu_seconds < 5.0
    done = [line.split()[0] for line in lines if " status=promoted" in line or " status=failed" in line]
    order = ["step=fg", "step=bg", "step=bad"] if jobs > 1 else ["step=bg", "step=fg", "step=bad"]
    assert done == [*order, "step=end"]  # the run ends failed (one step did)
    started = [line for line in lines if "status=started" in line]
    assert len(started) == 3 and ("background=True" in started[0]) == (jobs > 1)


def test_broken_module_fails_loudly_and_bad_input(data_engine, engine):
    def broken_import(data, ctx):
        import workforce.not_written_yet  # noqa: F401 - a model module that is not there

    missing = train.Step("later", broken_import)
    report = train.run(data_engine, steps=[constant_step("a"), missing])
    assert statuses(report) == {"a": "promoted", "later": "failed"}
    assert "ModuleNotFoundError" in report.failed[0].reason
    with pytest.raises(train.BadInput, match="modèle.*inconnu.*nope.*choix possibles : a, later"):
        train.run(data_engine, steps=[constant_step("a"), missing], only=["nope"])
    with pytest.raises(train.BadInput, match="--jobs"):
        train.run(data_engine, steps=[constant_step("a")], n_jobs=0)


def test_no_data_is_reported(engine):
    with pytest.raises(train.NoData, match="aucune extraction"):
        train.run(engine, steps=[constant_step("a")])


# ---------------------------------------------------------------------------------------------- processes

def _child(mode: str, engine, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / f"{mode}.marker"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.registry.child", mode, engine_url(engine), str(marker)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child {mode} ended early: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"child {mode} never reached its point")
        time.sleep(0.05)
    return proc, marker


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()


def test_a_second_run_exits_at_once_while_one_holds_the_lock(data_engine, tmp_path):
    proc, _ = _child("lock", data_engine, tmp_path)
    try:
        t0 = time.monotonic()
        with pytest.raises(registry.RegistryBusy, match=rf"pid {proc.pid}"):
            train.run(data_engine, steps=[constant_step("a")])
        assert time.monotonic() - t0 < 5
        with pytest.raises(registry.RegistryBusy):
            with registry.exclusive():
                pass
    finally:
        _kill(proc)
    # the kernel released the lock of the killed holder
    assert statuses(train.run(data_engine, steps=[constant_step("a")])) == {"a": "promoted"}


@pytest.mark.parametrize("point", ["fit", "staged", "renamed"])
def test_a_run_killed_mid_way_leaves_the_active_version(data_engine, settings, tmp_path, point):
    train.run(data_engine, steps=[constant_step("toy", metric=1.0, value=0.1)])
    proc, _ = _child(point, data_engine, tmp_path)
    _kill(proc)

    assert [r.version for r in registry.records(data_engine, "toy")] == ["1"]  # no half-written version visible
    loaded = registry.load(data_engine, "toy")
    assert (loaded.record.version, loaded.estimator.value_) == ("1", 0.1)
    leftovers = registry.unregistered(data_engine)
    if point == "renamed":
        assert leftovers == [settings.models_dir / "toy" / "2"]  # complete on disk, unknown to the database
    elif point == "staged":
        assert len(leftovers) == 1 and leftovers[0].parent.name == registry.STAGING

    report = train.run(data_engine, steps=[constant_step("toy", metric=0.5, value=0.2)], force=True)
    assert statuses(report) == {"toy": "promoted"}
    assert len(report.removed) == len(leftovers)
    assert registry.unregistered(data_engine) == []
    assert registry.load(data_engine, "toy").estimator.value_ == 0.2
