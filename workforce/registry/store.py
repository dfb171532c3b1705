"""The registry's files: where artifacts live, how they are written atomically and hashed, the library
versions recorded with them, the registry lock, and the registry's errors (see :mod:`workforce.registry`)."""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import math
import os
import platform
import shutil
import uuid
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

from workforce.config import Settings, env_text, get_settings

FORMATS = ("joblib", "json")
ARTIFACT_FILES = {"joblib": "model.joblib", "json": "model.json"}
MANIFEST = "manifest.json"
STAGING = ".staging"
LOCK_FILE = "train.lock"
DIRECTIONS = ("min", "max")
DEFAULT_TOLERANCE = 0.05
TOLERANCE_ENV = "WORKFORCE_PROMOTION_TOLERANCE"
PROMOTED, REJECTED = "promoted", "rejected"
MANIFEST_VERSION = 1
JSON_MODULES = ("workforce.",)
"""A JSON artifact is rebuilt by ``from_json`` of the class its manifest names, only from these packages."""

LIBRARIES = {"numpy": "numpy", "pandas": "pandas", "sklearn": "scikit-learn", "prophet": "prophet",
             "joblib": "joblib"}
"""Libraries whose versions are recorded with every artifact (key: recorded name, value: distribution)."""


class RegistryError(Exception):
    """Base class of the registry's errors; the message is meant for the user (French, with the fix)."""


class ArtifactError(RegistryError):
    """An artifact that must not be loaded."""


class ArtifactMissing(ArtifactError):
    pass


class ArtifactAltered(ArtifactError):
    pass


class ArtifactUnknown(ArtifactError):
    pass


class LibraryMismatch(ArtifactError):
    pass


class VersionNotFound(RegistryError):
    pass


class RegistryBusy(RegistryError):
    """Another process holds the registry lock (a training run, a rollback or a prune)."""


def library_versions() -> dict[str, str]:
    """Versions of python and of :data:`LIBRARIES` in this process (read from package metadata, no import)."""
    out = {"python": platform.python_version()}
    for key, dist in LIBRARIES.items():
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = "absent"
    return out


def comparable_versions(libs: dict[str, str]) -> dict[str, str]:
    """Versions as compared on load: python by major.minor (pickles follow the minor version), others exactly."""
    out = dict(libs)
    if "python" in out:
        out["python"] = ".".join(str(out["python"]).split(".")[:2])
    return out


def library_mismatches(recorded: dict[str, str] | None, current: dict[str, str] | None = None) -> list[str]:
    """Human-readable differences ``"sklearn 1.4.2 (artefact) != 1.5.0 (installé)"``; empty when compatible."""
    current = current or library_versions()
    rec, cur = comparable_versions(recorded or {}), comparable_versions(current)
    keys = sorted(set(rec) | set(cur))
    return [f"{k} {rec.get(k, 'absent')} (artefact) != {cur.get(k, 'absent')} (installé)"
            for k in keys if rec.get(k, "absent") != cur.get(k, "absent")]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def jsonable(value: Any) -> Any:
    """Parameters and metrics as JSON (numpy scalars to Python, NaN to None, other objects to their repr)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def default_tolerance() -> float:
    raw = env_text(TOLERANCE_ENV)
    if raw is None:
        return DEFAULT_TOLERANCE
    try:
        value = float(raw)
    except ValueError:
        raise RegistryError(f"{TOLERANCE_ENV}={raw!r} n'est pas un nombre (exemple : 0.05 pour 5 %)") from None
    if not value >= 0:
        raise RegistryError(f"{TOLERANCE_ENV} doit être positive ou nulle, reçu {raw!r}")
    return value


def models_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).models_dir


@contextmanager
def exclusive(settings: Settings | None = None) -> Iterator[Path]:
    """Hold the registry lock (``$WORKFORCE_HOME/train.lock``) for the block, or raise :class:`RegistryBusy`
    at once. The file keeps the holder's pid and start time for the message of the one refused."""
    settings = settings or get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "inconnu"
            raise RegistryBusy(
                f"un autre entraînement ou une autre opération sur les modèles est en cours ({holder}) ; "
                f"verrou {path}. Réessayez quand il sera terminé."
            ) from None
        stamp = f"pid {os.getpid()} depuis {dt.datetime.now().isoformat(timespec='seconds')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def dump_artifact(estimator: Any, fmt: str, path: Path) -> None:
    if fmt == "joblib":
        import joblib

        with open(path, "wb") as fh:
            joblib.dump(estimator, fh, compress=3)
            fh.flush()
            os.fsync(fh.fileno())
    else:
        to_json = getattr(estimator, "to_json", None)
        if not callable(to_json):
            raise TypeError(f"{type(estimator).__name__} has no to_json(): it cannot be stored as JSON")
        text = to_json()
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())


def class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def write_artifact(root: Path, name: str, version: str, estimator: Any, fmt: str, manifest: dict) -> tuple[str, str]:
    """Write ``estimator`` and its manifest to ``root/name/version`` atomically; return (relative path, sha256).

    A folder already at the destination can only be a leftover of a killed run (the caller checked the version
    is not registered): it is moved aside and removed.
    """
    staging_root = root / STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    tmp = staging_root / f"{name}-{version}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        artifact = tmp / ARTIFACT_FILES[fmt]
        dump_artifact(estimator, fmt, artifact)
        digest = sha256_file(artifact)
        full = {**manifest, "name": name, "version": version, "format": fmt, "file": artifact.name,
                "sha256": digest, "estimator": class_path(estimator), "manifest_version": MANIFEST_VERSION}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(jsonable(full), fh, indent=2, ensure_ascii=False, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        fsync_dir(tmp)
        parent = root / name
        parent.mkdir(parents=True, exist_ok=True)
        final = parent / version
        if final.exists():
            shutil.rmtree(move_aside(final, staging_root))
        os.rename(tmp, final)
        fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return f"{name}/{version}", digest


def move_aside(path: Path, staging_root: Path) -> Path:
    """Move a folder into the staging area (atomic) so a half-deleted folder is never seen in place."""
    target = staging_root / f"trash-{path.parent.name}-{path.name}-{uuid.uuid4().hex[:8]}"
    os.rename(path, target)
    return target
