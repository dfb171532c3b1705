"""The registry on its own: atomic versions, the promotion gate, refusing tampered artifacts, rollback, prune."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from sqlalchemy import select, update

from tests.registry.fakes import Constant
from workforce import db, registry


def candidate(metric: float, *, direction: str = "min", name: str = "toy", value: float = 0.1):
    return registry.Candidate(name=name, estimator=Constant(value=value).fit(), metrics={"error": metric, "n": 3},
                              primary="error", direction=direction, data_hash="d" * 64, code_version="0+test",
                              training_seconds=0.01)


def active_version(engine, name="toy"):
    return registry.record(engine, name).version


def test_first_version_is_promoted_and_loads_back(engine, settings):
    d = registry.register(engine, candidate(float("nan")))  # even an undefined metric: nothing to compare with
    assert (d.version, d.promoted, d.previous) == ("1", True, None)
    loaded = registry.load(engine, "toy")
    assert isinstance(loaded.estimator, Constant) and loaded.estimator.value_ == 0.1
    folder = settings.models_dir / "toy" / "1"
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.joblib"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sha256"] == registry.sha256_file(folder / "model.joblib") == loaded.record.sha256
    assert manifest["params"] == {"value": 0.1}
    assert manifest["libraries"] == registry.library_versions()
    assert set(manifest["libraries"]) >= {"python", "numpy", "pandas", "sklearn", "prophet", "joblib"}
    assert manifest["data_hash"] == "d" * 64 and manifest["metrics"]["primary"]["name"] == "error"
    assert not (settings.models_dir / registry.STAGING).exists() or not any(
        (settings.models_dir / registry.STAGING).iterdir())


@pytest.mark.parametrize("direction, old, new, promoted", [
    ("min", 1.0, 0.9, True),      # better
    ("min", 1.0, 1.04, True),     # worse, within the 5 % tolerance
    ("min", 1.0, 1.2, False),     # worse beyond it
    ("max", 0.5, 0.6, True),
    ("max", 0.5, 0.49, True),
    ("max", 0.5, 0.4, False),
    ("max", 0.5, float("nan"), False),
])
def test_promotion_gate_both_ways(engine, direction, old, new, promoted):
    registry.register(engine, candidate(old, direction=direction, value=0.1), tolerance=0.05)
    d = registry.register(engine, candidate(new, direction=direction, value=0.2), tolerance=0.05)
    assert d.promoted is promoted, d.reason
    assert active_version(engine) == ("2" if promoted else "1")
    assert registry.load(engine, "toy").estimator.value_ == (0.2 if promoted else 0.1)
    rec = registry.record(engine, "toy", "2")
    assert rec.status == ("promoted" if promoted else "rejected") and rec.reason
    with db.session_scope(engine) as session:
        actions = list(session.scalars(select(db.AuditLog.action)))
    assert actions[-1] == ("model_promoted" if promoted else "model_rejected")


def test_tolerance_is_configurable(engine, monkeypatch):
    monkeypatch.setenv(registry.TOLERANCE_ENV, "0.5")
    registry.register(engine, candidate(1.0))
    assert registry.register(engine, candidate(1.4)).promoted
    monkeypatch.setenv(registry.TOLERANCE_ENV, "0")
    assert not registry.register(engine, candidate(1.41)).promoted
    monkeypatch.setenv(registry.TOLERANCE_ENV, "cinq")
    with pytest.raises(registry.RegistryError, match="WORKFORCE_PROMOTION_TOLERANCE"):
        registry.register(engine, candidate(1.0))


def test_one_active_version_per_model(engine):
    for m in (1.0, 0.9, 0.8):
        registry.register(engine, candidate(m))
    registry.register(engine, candidate(5.0, name="other"))
    recs = registry.records(engine)
    assert [(r.name, r.version) for r in recs if r.active] == [("other", "1"), ("toy", "3")]


def _artifact(settings, version="1"):
    return settings.models_dir / "toy" / version / "model.joblib"


def test_altered_artifact_is_refused(engine, settings):
    registry.register(engine, candidate(1.0))
    path = _artifact(settings)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(registry.ArtifactAltered, match="artefact modifié.*model.joblib"):
        registry.load(engine, "toy")


def test_artifact_swapped_with_manifest_is_refused(engine, settings):
    """Replacing both the file and its manifest does not help: the database keeps the sha256."""
    registry.register(engine, candidate(1.0, value=0.1))
    registry.register(engine, candidate(2.0, value=0.9))  # rejected, but on disk
    v1, v2 = settings.models_dir / "toy" / "1", settings.models_dir / "toy" / "2"
    shutil.copy(v2 / "model.joblib", v1 / "model.joblib")
    manifest = json.loads((v1 / "manifest.json").read_text())
    manifest["sha256"] = registry.sha256_file(v1 / "model.joblib")
    (v1 / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(registry.ArtifactAltered):
        registry.load(engine, "toy")


def test_missing_artifact_and_manifest_are_refused(engine, settings):
    registry.register(engine, candidate(1.0))
    _artifact(settings).unlink()
    with pytest.raises(registry.ArtifactMissing, match="artefact absent"):
        registry.load(engine, "toy")
    (settings.models_dir / "toy" / "1" / "manifest.json").unlink()
    with pytest.raises(registry.ArtifactMissing, match="manifeste absent"):
        registry.load(engine, "toy")
    assert registry.integrity(registry.record(engine, "toy")) == "absent"


def test_unknown_artifacts_are_never_loaded(engine, settings):
    registry.register(engine, candidate(1.0))
    stray = settings.models_dir / "toy" / "7"
    shutil.copytree(settings.models_dir / "toy" / "1", stray)
    with pytest.raises(registry.VersionNotFound, match="pas de version '7'"):
        registry.load(engine, "toy", "7")
    with pytest.raises(registry.VersionNotFound, match="aucune version active"):
        registry.load(engine, "nobody")
    assert registry.unregistered(engine) == [stray]
    with db.session_scope(engine) as session:  # a record pointing outside its own folder
        session.execute(update(db.ModelVersion).values(path="../../etc"))
    with pytest.raises(registry.ArtifactUnknown):
        registry.load(engine, "toy")


def test_other_library_versions_are_refused(engine, settings, monkeypatch):
    registry.register(engine, candidate(1.0))
    real = registry.library_versions()
    monkeypatch.setattr(registry.store, "library_versions", lambda: {**real, "sklearn": "0.0.1"})
    with pytest.raises(registry.LibraryMismatch, match=r"sklearn .* \(artefact\) != 0.0.1 \(installé\)"):
        registry.load(engine, "toy")
    monkeypatch.setattr(registry.store, "library_versions", lambda: {**real, "python": real["python"].rsplit(".", 1)[0] + ".99"})
    assert registry.load(engine, "toy").estimator.value_ == 0.1  # a python patch release is compatible
    monkeypatch.setattr(registry.store, "library_versions", lambda: real)
    manifest_path = settings.models_dir / "toy" / "1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["libraries"]["numpy"] = "0.1"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(registry.ArtifactAltered, match="bibliothèques du manifeste"):
        registry.load(engine, "toy")


def test_rollback(engine):
    registry.register(engine, candidate(1.0, value=0.1))
    registry.register(engine, candidate(0.5, value=0.2))
    assert active_version(engine) == "2"
    rec = registry.rollback(engine, "toy", "1")
    assert rec.active and active_version(engine) == "1"
    assert registry.load(engine, "toy").estimator.value_ == 0.1
    with pytest.raises(registry.VersionNotFound):
        registry.rollback(engine, "toy", "9")
    with db.session_scope(engine) as session:
        last = session.scalars(select(db.AuditLog).order_by(db.AuditLog.id.desc())).first()
        assert (last.action, last.detail["version"], last.detail["previous"]) == ("model_rollback", "1", "2")


def test_rollback_refuses_an_altered_artifact(engine, settings):
    registry.register(engine, candidate(1.0))
    registry.register(engine, candidate(0.5))
    _artifact(settings, "1").write_bytes(b"not a model")
    with pytest.raises(registry.ArtifactAltered):
        registry.rollback(engine, "toy", "1")
    assert active_version(engine) == "2"


def test_prune_keeps_the_active_version(engine, settings):
    for m in (1.0, 0.9, 0.8, 0.7, 0.6):
        registry.register(engine, candidate(m))
    registry.register(engine, candidate(0.5, name="other"))
    registry.rollback(engine, "toy", "1")
    (settings.models_dir / registry.STAGING / "leftover").mkdir(parents=True)
    removed = registry.prune(engine, 2, name="toy")
    assert sorted(r.version for r in removed) == ["2", "3"]
    assert [r.version for r in registry.records(engine, "toy")] == ["1", "4", "5"]
    assert sorted(p.name for p in (settings.models_dir / "toy").iterdir()) == ["1", "4", "5"]
    assert registry.load(engine, "toy").record.version == "1"
    assert registry.unregistered(engine) == []
    registry.prune(engine, 1)
    assert [(r.name, r.version) for r in registry.records(engine)] == [("other", "1"), ("toy", "1"), ("toy", "5")]
    with pytest.raises(ValueError, match="keep must be >= 1"):
        registry.prune(engine, 0)
    assert registry.register(engine, candidate(0.4)).version == "6"  # numbers are never reused


def test_versions_count_past_nine(engine):
    for m in range(11):
        registry.register(engine, candidate(1.0))
    assert [r.version for r in registry.records(engine)][-3:] == ["9", "10", "11"]
    assert registry.latest(engine, "toy").version == "11"


def test_json_format_round_trips_prophet(engine, settings, monkeypatch):
    """Prophet enters the registry as JSON (prophet.serialize), never as a pickle."""
    monkeypatch.setattr(registry.loading, "JSON_MODULES", ("workforce.", "tests.registry."))
    pd = pytest.importorskip("pandas")
    pytest.importorskip("prophet")
    from tests.registry.prophet_fake import OneSeries

    ds = pd.date_range("2020-01-31", periods=36, freq="ME")
    frame = pd.DataFrame({"ds": ds, "y": 100 + np.arange(36) + 3 * np.sin(np.arange(36))})
    model = OneSeries().fit(frame)
    cand = registry.Candidate(name="demand", estimator=model, metrics={"mase": 0.8}, primary="mase", format="json")
    registry.register(engine, cand)
    folder = settings.models_dir / "demand" / "1"
    assert (folder / "model.json").is_file() and not (folder / "model.joblib").exists()
    json.loads((folder / "model.json").read_text())
    back = registry.load(engine, "demand").estimator
    future = pd.DataFrame({"ds": pd.date_range("2023-01-31", periods=3, freq="ME")})
    np.testing.assert_allclose(back.predict(future), model.predict(future))
    monkeypatch.setattr(registry.loading, "JSON_MODULES", ("workforce.",))  # a class outside the package: refused
    with pytest.raises(registry.ArtifactUnknown, match="classe d'estimateur inattendue"):
        registry.load(engine, "demand")
    (folder / "model.json").write_text((folder / "model.json").read_text().replace("1", "2", 1))
    with pytest.raises(registry.ArtifactAltered):
        registry.load(engine, "demand")
