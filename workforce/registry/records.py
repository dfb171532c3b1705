"""The registry's records: the versions the database knows, read as plain :class:`Record` copies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from workforce import db
from workforce.registry.store import VersionNotFound

def version_key(version: str) -> tuple:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


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
    return sorted(rows, key=lambda r: (r.name, version_key(r.version)))


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


def next_version(engine: Engine, name: str) -> str:
    with db.session_scope(engine) as session:
        versions = list(session.scalars(select(db.ModelVersion.version).where(db.ModelVersion.name == name)))
    numbers = [int(v) for v in versions if v.isdigit()]
    return str(max(numbers, default=0) + 1)


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
