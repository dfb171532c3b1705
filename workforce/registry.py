"""Model registry: versioned artifacts on disk, their records in the database, and the only way to load them.

Layout. Version ``V`` of model ``NAME`` lives in ``<models_dir>/NAME/V/``: the artifact (``model.joblib``, or
``model.json`` for models that serialise to JSON, such as Prophet through ``prophet.serialize``) and
``manifest.json`` (sha256 of the artifact, library versions, data hash, code version, ``get_params()``,
backtest metrics). A version exists for readers only once its row is committed in ``model_versions``; the row
is written after the folder is complete, so a run killed at any moment leaves at worst an unregistered
folder, which nothing loads and the next run removes.

Atomic write. Files are written and fsynced in ``<models_dir>/.staging/<unique>/``, then the folder is renamed
into place (one ``rename`` on the same file system) and the parent folder fsynced.

Loading. joblib (pickle) executes code when it loads, so :func:`load` only opens an artifact that the database
knows, whose sha256 equals both the database record and the manifest, and whose library versions (python
major.minor, numpy, pandas, scikit-learn, prophet, joblib) equal those of the running process. Anything else
raises an :class:`ArtifactError` naming the file and the fix.

Promotion. A new version becomes active when its primary backtest metric is not worse than the active
version's by more than a relative tolerance (``WORKFORCE_PROMOTION_TOLERANCE``, default 0.05 = 5 %); the first
version of a model is always promoted. Insertion, the decision and the switch of the active flag are one
transaction.

Writers (training, rollback, prune) take :func:`exclusive`, an ``fcntl.flock`` on
``$WORKFORCE_HOME/train.lock``; the kernel releases it when the holder dies, even under SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import importlib
import json
import math
import os
import platform
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from workforce import db
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


# ============================================================================================== errors

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


# ============================================================================================== helpers

def library_versions() -> dict[str, str]:
    """Versions of python and of :data:`LIBRARIES` in this process (read from package metadata, no import)."""
    out = {"python": platform.python_version()}
    for key, dist in LIBRARIES.items():
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = "absent"
    return out


def _comparable(libs: dict[str, str]) -> dict[str, str]:
    """Versions as compared on load: python by major.minor (pickles follow the minor version), others exactly."""
    out = dict(libs)
    if "python" in out:
        out["python"] = ".".join(str(out["python"]).split(".")[:2])
    return out


def library_mismatches(recorded: dict[str, str] | None, current: dict[str, str] | None = None) -> list[str]:
    """Human-readable differences ``"sklearn 1.4.2 (artefact) != 1.5.0 (installé)"``; empty when compatible."""
    current = current or library_versions()
    rec, cur = _comparable(recorded or {}), _comparable(current)
    keys = sorted(set(rec) | set(cur))
    return [f"{k} {rec.get(k, 'absent')} (artefact) != {cur.get(k, 'absent')} (installé)"
            for k in keys if rec.get(k, "absent") != cur.get(k, "absent")]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _jsonable(value: Any) -> Any:
    """Parameters and metrics as JSON (numpy scalars to Python, NaN to None, other objects to their repr)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
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


def _version_key(version: str) -> tuple:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


# ============================================================================================== lock

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


# ============================================================================================== records

@dataclass(frozen=True)
class Record:
    """A registered version, as read from the database (a plain copy, detached from any session)."""

    name: str
    version: str
    path: str
    sha256: str
    active: bool
    status: str | None
    reason: str | None
    format: str
    libraries: dict
    metrics: dict
    params: dict
    data_hash: str | None
    code_version: str | None
    extract_id: int | None
    trained_at: dt.datetime | None
    training_seconds: float | None

    @property
    def fallback(self) -> dict | None:
        """The fallback this version stands for (``code``, ``label``, ``reason`` in French), or None when it is
        the full model (see :mod:`workforce.forecast.fallback`)."""
        return (self.metrics or {}).get("fallback") or None

    @property
    def primary(self) -> tuple[str | None, float | None, str | None]:
        """(metric name, value, direction) of the primary backtest metric."""
        p = (self.metrics or {}).get("primary") or {}
        return p.get("name"), p.get("value"), p.get("direction")

    @classmethod
    def of(cls, row: db.ModelVersion) -> "Record":
        return cls(name=row.name, version=row.version, path=row.path, sha256=row.sha256, active=bool(row.active),
                   status=row.status, reason=row.reason, format=row.format or "joblib", libraries=row.libraries or {},
                   metrics=row.metrics or {}, params=row.params or {}, data_hash=row.data_hash,
                   code_version=row.code_version, extract_id=row.extract_id, trained_at=row.trained_at,
                   training_seconds=row.training_seconds)


def records(engine: Engine, name: str | None = None) -> list[Record]:
    """Every registered version (of ``name``, or of all models), by model then version."""
    stmt = select(db.ModelVersion)
    if name is not None:
        stmt = stmt.where(db.ModelVersion.name == name)
    with db.session_scope(engine) as session:
        rows = [Record.of(r) for r in session.scalars(stmt)]
    return sorted(rows, key=lambda r: (r.name, _version_key(r.version)))


def record(engine: Engine, name: str, version: str | None = None) -> Record:
    """The record of ``name`` at ``version`` (default: the active one), or :class:`VersionNotFound`."""
    stmt = select(db.ModelVersion).where(db.ModelVersion.name == name)
    stmt = stmt.where(db.ModelVersion.version == str(version)) if version is not None else stmt.where(
        db.ModelVersion.active.is_(True))
    with db.session_scope(engine) as session:
        row = session.scalars(stmt).first()
        if row is not None:
            return Record.of(row)
        known = sorted({r for r in session.scalars(select(db.ModelVersion.name).distinct())})
    if version is None:
        raise VersionNotFound(f"aucune version active du modèle {name!r} : lancez `workforce train`"
                              + (f" (modèles connus : {', '.join(known)})" if known else ""))
    raise VersionNotFound(f"le modèle {name!r} n'a pas de version {version!r} : voir `workforce models list`")


def latest(engine: Engine, name: str) -> Record | None:
    """The most recently trained version of ``name`` (active or not), or None."""
    rows = records(engine, name)
    return rows[-1] if rows else None


# ============================================================================================== write

@dataclass
class Candidate:
    """A fitted model ready to register.

    ``metrics`` holds the backtest figures; ``primary`` names the one the promotion gate compares and
    ``direction`` says whether lower (``min``) or higher (``max``) is better. ``fallback`` (``code``, ``label``,
    ``reason``) records the simpler model a short history made the step use; it is stored beside the metrics
    (``metrics["fallback"]``) and in the manifest.
    """

    name: str
    estimator: Any
    metrics: dict[str, float]
    primary: str
    direction: str = "min"
    format: str = "joblib"
    params: dict | None = None
    data_hash: str | None = None
    code_version: str | None = None
    extract_id: int | None = None
    training_seconds: float | None = None
    extra: dict = field(default_factory=dict)
    fallback: dict | None = None

    def check(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}; allowed: {', '.join(FORMATS)}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}; allowed: {', '.join(DIRECTIONS)}")
        if self.primary not in self.metrics:
            raise ValueError(f"primary metric {self.primary!r} is not among the metrics {sorted(self.metrics)}")
        if not self.name or "/" in self.name or self.name.startswith("."):
            raise ValueError(f"invalid model name {self.name!r}")
        if "fallback" in self.metrics or "primary" in self.metrics:
            raise ValueError("'primary' and 'fallback' are reserved keys of the metrics")
        if self.fallback is not None and not {"code", "reason"} <= set(self.fallback):
            raise ValueError(f"a fallback needs a code and a reason, got {self.fallback!r}")


@dataclass(frozen=True)
class Decision:
    """What the gate decided for a new version."""

    name: str
    version: str
    promoted: bool
    reason: str
    previous: str | None
    previous_value: float | None
    value: float | None
    metric: str


def _dump(estimator: Any, fmt: str, path: Path) -> None:
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


def _class_path(obj: Any) -> str:
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
        _dump(estimator, fmt, artifact)
        digest = sha256_file(artifact)
        full = {**manifest, "name": name, "version": version, "format": fmt, "file": artifact.name,
                "sha256": digest, "estimator": _class_path(estimator), "manifest_version": MANIFEST_VERSION}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(_jsonable(full), fh, indent=2, ensure_ascii=False, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        parent = root / name
        parent.mkdir(parents=True, exist_ok=True)
        final = parent / version
        if final.exists():
            shutil.rmtree(_aside(final, staging_root))
        os.rename(tmp, final)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return f"{name}/{version}", digest


def _aside(path: Path, staging_root: Path) -> Path:
    """Move a folder into the staging area (atomic) so a half-deleted folder is never seen in place."""
    target = staging_root / f"trash-{path.parent.name}-{path.name}-{uuid.uuid4().hex[:8]}"
    os.rename(path, target)
    return target


def next_version(engine: Engine, name: str) -> str:
    with db.session_scope(engine) as session:
        versions = list(session.scalars(select(db.ModelVersion.version).where(db.ModelVersion.name == name)))
    numbers = [int(v) for v in versions if v.isdigit()]
    return str(max(numbers, default=0) + 1)


def gate(value: float | None, previous: float | None, direction: str, tolerance: float) -> tuple[bool, str]:
    """Promote or not: ``value`` may be worse than ``previous`` by at most ``tolerance`` x |previous|.

    Returns (promote, reason in French).
    """
    if previous is None or (isinstance(previous, float) and math.isnan(previous)):
        return True, "la version active n'a pas de métrique comparable"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False, "métrique de backtest indéfinie"
    slack = tolerance * abs(previous)
    if direction == "min":
        ok = value <= previous + slack
        worse = value > previous
    else:
        ok = value >= previous - slack
        worse = value < previous
    word = "meilleure ou égale" if not worse else ("dans la tolérance" if ok else "moins bonne")
    return ok, f"{word} : {value:.6g} contre {previous:.6g} (tolérance {tolerance:.0%}, {'plus bas' if direction == 'min' else 'plus haut'} = mieux)"


def register(engine: Engine, candidate: Candidate, *, tolerance: float | None = None,
             settings: Settings | None = None) -> Decision:
    """Write the candidate's artifact, register it and apply the promotion gate, in this order.

    The caller holds :func:`exclusive`. Until the database transaction commits, the new folder is an
    unregistered leftover that nothing loads; the active version changes only inside that transaction.
    """
    candidate.check()
    settings = settings or get_settings()
    tolerance = default_tolerance() if tolerance is None else tolerance
    root = settings.models_dir
    version = next_version(engine, candidate.name)
    metrics = {**_jsonable(candidate.metrics),
               "primary": {"name": candidate.primary, "value": _jsonable(candidate.metrics[candidate.primary]),
                           "direction": candidate.direction},
               "fallback": _jsonable(candidate.fallback) if candidate.fallback else None}
    params = _jsonable(candidate.params if candidate.params is not None else _params_of(candidate.estimator))
    libs = library_versions()
    trained_at = db.utc_now()
    manifest = {"data_hash": candidate.data_hash, "code_version": candidate.code_version,
                "extract_id": candidate.extract_id, "params": params, "metrics": metrics, "libraries": libs,
                "trained_at": trained_at.isoformat(), "training_seconds": candidate.training_seconds,
                **_jsonable(candidate.extra)}
    rel, digest = write_artifact(root, candidate.name, version, candidate.estimator, candidate.format, manifest)
    value = metrics["primary"]["value"]
    try:
        with db.session_scope(engine) as session:
            current = session.scalars(select(db.ModelVersion).where(
                db.ModelVersion.name == candidate.name, db.ModelVersion.active.is_(True))).first()
            if current is None:
                promoted, reason, prev_version, prev_value = True, "première version du modèle", None, None
            else:
                prev = Record.of(current)
                p_name, prev_value, _ = prev.primary
                prev_version = prev.version
                if p_name != candidate.primary:
                    promoted, reason = True, f"métrique changée ({p_name} -> {candidate.primary}) : pas de comparaison"
                else:
                    promoted, reason = gate(value, prev_value, candidate.direction, tolerance)
                    reason = f"{candidate.primary} {reason} (v{prev_version})"
            row = db.ModelVersion(
                name=candidate.name, version=version, path=rel, sha256=digest, extract_id=candidate.extract_id,
                data_hash=candidate.data_hash, code_version=candidate.code_version, params=params, metrics=metrics,
                trained_at=trained_at, training_seconds=candidate.training_seconds, active=False,
                status=PROMOTED if promoted else REJECTED, reason=reason, format=candidate.format, libraries=libs)
            if promoted:
                session.execute(update(db.ModelVersion).where(db.ModelVersion.name == candidate.name)
                                .values(active=False))
                row.active = True
            session.add(row)
            db.audit(session, "model_promoted" if promoted else "model_rejected",
                     {"name": candidate.name, "version": version, "reason": reason, "previous": prev_version})
    except BaseException:
        shutil.rmtree(root / rel, ignore_errors=True)  # best effort; otherwise the next run removes it
        raise
    return Decision(candidate.name, version, promoted, reason, prev_version, prev_value, value, candidate.primary)


def _params_of(estimator: Any) -> dict:
    get = getattr(estimator, "get_params", None)
    return get(deep=False) if callable(get) else {}


# ============================================================================================== load

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
    if _comparable(manifest.get("libraries") or {}) != _comparable(rec.libraries or {}):
        raise ArtifactAltered(f"versions de bibliothèques du manifeste {manifest_path} différentes de la base ; {fix}")
    if check_libraries:
        diff = library_mismatches(rec.libraries)
        if diff:
            raise LibraryMismatch(f"{rec.name} v{rec.version} a été entraîné avec d'autres bibliothèques : "
                                  f"{'; '.join(diff)} ; relancez `workforce train --force --only {rec.name}`")
    return manifest


def _load_json(artifact: Path, manifest: dict) -> Any:
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
        estimator = _load_json(artifact, manifest)
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


# ============================================================================================== admin

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
            shutil.rmtree(_aside(folder, root / STAGING), ignore_errors=True)
    clean_unregistered(engine, settings)
    return doomed


def table(engine: Engine, name: str | None = None) -> pd.DataFrame:
    """The registered versions as a frame (for `workforce models list` and the app)."""
    rows = []
    for r in records(engine, name):
        metric, value, direction = r.primary
        rows.append({"name": r.name, "version": r.version, "active": r.active, "status": r.status,
                     "metric": metric, "value": value, "direction": direction, "trained_at": r.trained_at,
                     "training_seconds": r.training_seconds, "data_hash": (r.data_hash or "")[:12],
                     "code_version": r.code_version, "reason": r.reason,
                     "fallback": (r.fallback or {}).get("code")})
    return pd.DataFrame(rows, columns=["name", "version", "active", "status", "metric", "value", "direction",
                                       "trained_at", "training_seconds", "data_hash", "code_version", "reason",
                                       "fallback"])
