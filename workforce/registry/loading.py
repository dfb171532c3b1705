"""Loading and administration: the only way to open an artifact (checked against the database, its manifest
and the running libraries), integrity checks, rollback, and removal of what no record names."""

from __future__ import annotations

import importlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from workforce import db
from workforce.config import Settings
from workforce.registry.records import Record, record, records
from workforce.registry.store import (ARTIFACT_FILES, JSON_MODULES, MANIFEST, STAGING, ArtifactAltered,
                                      ArtifactError, ArtifactMissing, ArtifactUnknown, LibraryMismatch,
                                      comparable_versions, library_mismatches, models_dir, move_aside,
                                      sha256_file)

@dataclass(frozen=True)
class Loaded:
    """A verified, loaded model with its record and manifest."""

    estimator: Any
    record: Record
    manifest: dict


def verify(rec: Record, settings: Settings | None = None, *, check_libraries: bool = True) -> dict:
    """Check the artifact of ``rec`` without loading it; return its manifest or raise :class:`ArtifactError`."""
    root = models_dir(settings)
    folder = root / rec.path
    fix = f"relancez `workforce train --force --only {rec.name}` ou `workforce models rollback {rec.name} VERSION`"
    if rec.path != f"{rec.name}/{rec.version}" or not folder.resolve().is_relative_to(root.resolve()):
        raise ArtifactUnknown(f"chemin d'artefact inattendu {rec.path!r} pour {rec.name} v{rec.version} : refusé")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ArtifactMissing(f"manifeste absent : {manifest_path} ({rec.name} v{rec.version}) ; {fix}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ArtifactAltered(f"manifeste illisible : {manifest_path} ({err}) ; {fix}") from None
    expected_file = ARTIFACT_FILES.get(rec.format)
    if (manifest.get("name"), str(manifest.get("version")), manifest.get("file"), manifest.get("format")) != (
            rec.name, rec.version, expected_file, rec.format):
        raise ArtifactAltered(f"le manifeste {manifest_path} ne décrit pas {rec.name} v{rec.version} : refusé ; {fix}")
    artifact = folder / expected_file
    if not artifact.is_file():
        raise ArtifactMissing(f"artefact absent : {artifact} ({rec.name} v{rec.version}) ; {fix}")
    digest = sha256_file(artifact)
    if digest != rec.sha256 or manifest.get("sha256") != rec.sha256:
        raise ArtifactAltered(
            f"artefact modifié : {artifact} a le sha256 {digest[:16]}…, la base enregistre {rec.sha256[:16]}… "
            f"et le manifeste {str(manifest.get('sha256'))[:16]}… ; chargement refusé (un fichier joblib exécute "
            f"du code) ; {fix}")
    if comparable_versions(manifest.get("libraries") or {}) != comparable_versions(rec.libraries or {}):
        raise ArtifactAltered(f"versions de bibliothèques du manifeste {manifest_path} différentes de la base ; {fix}")
    if check_libraries:
        diff = library_mismatches(rec.libraries)
        if diff:
            raise LibraryMismatch(f"{rec.name} v{rec.version} a été entraîné avec d'autres bibliothèques : "
                                  f"{'; '.join(diff)} ; relancez `workforce train --force --only {rec.name}`")
    return manifest


def load_json(artifact: Path, manifest: dict) -> Any:
    module_name, _, qualname = str(manifest.get("estimator", "")).partition(":")
    if not module_name.startswith(JSON_MODULES) or not qualname:
        raise ArtifactUnknown(f"classe d'estimateur inattendue {manifest.get('estimator')!r} dans {artifact.parent}")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    from_json = getattr(obj, "from_json", None)
    if not callable(from_json):
        raise ArtifactUnknown(f"{manifest['estimator']} n'a pas de from_json() : impossible de relire {artifact}")
    return from_json(artifact.read_text(encoding="utf-8"))


def load(engine: Engine, name: str, version: str | None = None, *, settings: Settings | None = None) -> Loaded:
    """Load ``name`` at ``version`` (default: the active version) after :func:`verify`.

    Raises :class:`VersionNotFound` when the database has no such version and :class:`ArtifactError` when the
    artifact is missing, altered, foreign or from other library versions.
    """
    rec = record(engine, name, version)
    manifest = verify(rec, settings)
    artifact = models_dir(settings) / rec.path / ARTIFACT_FILES[rec.format]
    if rec.format == "joblib":
        import joblib

        estimator = joblib.load(artifact)
    else:
        estimator = load_json(artifact, manifest)
    return Loaded(estimator, rec, manifest)


def load_active(engine: Engine, names: list[str] | None = None, *, settings: Settings | None = None) -> dict[str, Loaded]:
    """Every active model (or those of ``names``), verified and loaded: ``{name: Loaded}``."""
    wanted = names if names is not None else sorted({r.name for r in records(engine) if r.active})
    return {n: load(engine, n, settings=settings) for n in wanted}


def integrity(rec: Record, settings: Settings | None = None) -> str:
    """``ok``, or the reason the artifact would be refused (for listings)."""
    try:
        verify(rec, settings)
    except LibraryMismatch:
        return "bibliothèques différentes"
    except ArtifactMissing:
        return "absent"
    except ArtifactError:
        return "altéré"
    return "ok"


def rollback(engine: Engine, name: str, version: str, *, settings: Settings | None = None,
             actor: str | None = None) -> Record:
    """Make ``version`` the active version of ``name`` (after verifying its artifact); the caller holds the lock."""
    rec = record(engine, name, version)
    verify(rec, settings)
    with db.session_scope(engine) as session:
        previous = session.scalars(select(db.ModelVersion.version).where(
            db.ModelVersion.name == name, db.ModelVersion.active.is_(True))).first()
        session.execute(update(db.ModelVersion).where(db.ModelVersion.name == name).values(active=False))
        session.execute(update(db.ModelVersion).where(db.ModelVersion.name == name,
                                                      db.ModelVersion.version == str(version)).values(active=True))
        db.audit(session, "model_rollback", {"name": name, "version": str(version), "previous": previous}, actor=actor)
    return record(engine, name, version)


def unregistered(engine: Engine, settings: Settings | None = None) -> list[Path]:
    """Folders under the models folder that the database does not know: leftovers of killed runs, staging
    folders, or files put there by hand. None of them is ever loaded."""
    root = models_dir(settings)
    if not root.is_dir():
        return []
    known = {r.path for r in records(engine)}
    out = []
    for child in sorted(root.iterdir()):
        if child.name == STAGING:
            out.extend(sorted(child.iterdir()))
        elif child.is_dir() and not child.name.startswith("."):
            out.extend(v for v in sorted(child.iterdir()) if f"{child.name}/{v.name}" not in known)
    return out


def clean_unregistered(engine: Engine, settings: Settings | None = None) -> list[Path]:
    """Remove :func:`unregistered` folders; the caller holds the lock (no writer is running)."""
    removed = unregistered(engine, settings)
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def prune(engine: Engine, keep: int, *, name: str | None = None, settings: Settings | None = None,
          actor: str | None = None) -> list[Record]:
    """Delete all but the ``keep`` (>= 1) most recent versions of each model (or of ``name``); the active
    version is always kept too, and the most recent one always is, so a version number is never reused.
    Rows go first (one transaction), folders after: a kill in between leaves unregistered folders, removed by
    the next prune or training run. The caller holds the lock."""
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    by_name: dict[str, list[Record]] = {}
    for rec in records(engine, name):
        by_name.setdefault(rec.name, []).append(rec)
    doomed = []
    for recs in by_name.values():
        recent = {r.version for r in recs[max(0, len(recs) - keep):]}
        doomed.extend(r for r in recs if not r.active and r.version not in recent)
    if doomed:
        with db.session_scope(engine) as session:
            for rec in doomed:
                session.execute(delete(db.ModelVersion).where(db.ModelVersion.name == rec.name,
                                                              db.ModelVersion.version == rec.version))
            db.audit(session, "model_pruned", {"keep": keep, "removed": [f"{r.name}/{r.version}" for r in doomed]},
                     actor=actor)
    root = models_dir(settings)
    for rec in doomed:
        folder = root / rec.path
        if folder.is_dir():
            (root / STAGING).mkdir(parents=True, exist_ok=True)
            shutil.rmtree(move_aside(folder, root / STAGING), ignore_errors=True)
    clean_unregistered(engine, settings)
    return doomed
