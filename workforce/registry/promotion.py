"""Promotion: a fitted candidate is written, registered and made active when its backtest is not worse than
the active version's (one transaction)."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from workforce import db
from workforce.config import Settings, get_settings
from workforce.registry import store
from workforce.registry.records import Record, next_version
from workforce.registry.store import (DIRECTIONS, FORMATS, PROMOTED, REJECTED, default_tolerance, jsonable,
                                      write_artifact)

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
    metrics = {**jsonable(candidate.metrics),
               "primary": {"name": candidate.primary, "value": jsonable(candidate.metrics[candidate.primary]),
                           "direction": candidate.direction},
               "fallback": jsonable(candidate.fallback) if candidate.fallback else None}
    params = jsonable(candidate.params if candidate.params is not None else params_of(candidate.estimator))
    libs = store.library_versions()  # looked up at call time: the one the load check compares with
    trained_at = db.utc_now()
    manifest = {"data_hash": candidate.data_hash, "code_version": candidate.code_version,
                "extract_id": candidate.extract_id, "params": params, "metrics": metrics, "libraries": libs,
                "trained_at": trained_at.isoformat(), "training_seconds": candidate.training_seconds,
                **jsonable(candidate.extra)}
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


def params_of(estimator: Any) -> dict:
    get = getattr(estimator, "get_params", None)
    return get(deep=False) if callable(get) else {}
