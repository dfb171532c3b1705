"""What the training steps read: the database's frames, loaded once and shared, and the fingerprint that says
whether they changed. Models never read the database; this module hands them frames."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from workforce import db
from workforce import panel as P
from workforce.forecast.hires import arrivals_from_history


def kv(**fields: Any) -> str:
    """One ``key=value`` log line; values with spaces or quotes are shell-quoted, floats get 4 significant
    digits, None is left out."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float):
            text = "nan" if math.isnan(value) else f"{value:.4g}"
        else:
            text = str(value)
        if not text or any(c in text for c in ' "=\\'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


Log = Callable[[str, bool], None]
"""A log sink: ``log(line, problem)``; ``problem`` is True for what a quiet run must still print."""


def no_log(line: str, problem: bool) -> None:
    pass


# ============================================================================================== data


@dataclass(frozen=True)
class Fingerprint:
    """What identifies the training data: a sha256 over the extracts, the snapshot and movement tables (row
    counts, highest ids, dates) and the métier referential, plus the latest extract."""

    data_hash: str
    extract_id: int | None
    n_extracts: int
    last_date: Any


def data_fingerprint(engine: Engine) -> Fingerprint:
    """Cheap fingerprint of the database content the models are trained on (a few aggregate queries).

    Extracts are immutable once imported (the same file twice is a no-op) and a re-import or a new synthetic
    département writes new rows with new ids, so counts and highest ids per table catch every change that
    matters without reading the rows.
    """
    E, S, M, R = db.Extract, db.AgentSnapshot, db.Movement, db.Metier
    with engine.connect() as conn:
        extracts = conn.execute(select(E.id, E.extract_date, E.kind, E.sha256, E.source, E.rows_stored)
                                .order_by(E.extract_date, E.id)).all()
        snaps = conn.execute(select(S.extract_date, func.count(), func.max(S.id))
                             .group_by(S.extract_date).order_by(S.extract_date)).all()
        moves = conn.execute(select(M.kind, func.count(), func.max(M.id), func.min(M.movement_date),
                                    func.max(M.movement_date)).group_by(M.kind).order_by(M.kind)).all()
        metiers = conn.execute(select(R.code, R.famille, R.filiere, R.direction).order_by(R.code)).all()
    payload = {"extracts": [list(r) for r in extracts], "snapshots": [list(r) for r in snaps],
               "movements": [list(r) for r in moves], "metiers": [list(r) for r in metiers]}
    digest = hashlib.sha256(json.dumps(payload, default=str, sort_keys=True).encode()).hexdigest()
    last = extracts[-1] if extracts else None
    return Fingerprint(digest, last[0] if last else None, len(extracts), last[1] if last else None)


class TrainingData:
    """The frames the steps train on, each read from the database on first use and kept for the next steps.

    ``history``   :class:`workforce.panel.History` (anchor extracts, last extract, departures)
    ``panel``     person-year panel (:func:`workforce.panel.build_panel`)
    ``movements`` every movement: ``agent_id, movement_date, kind, motive, from_metier, to_metier,
                  from_direction, to_direction``
    ``headcount`` monthly stock per métier: ``extract_date, metier_code, direction, headcount, etp``
    ``metiers``   the métier referential: ``code, label, famille, filiere, direction``
    ``arrivals``  the recruits of the last :data:`workforce.panel.ARRIVAL_YEARS` years at their first extract
                  (:func:`workforce.forecast.hires.arrivals_from_history`)
    ``indices``   ``extract_date, agent_id, categorie, indice_majore, entry_date`` at one extract a year
                  (:func:`workforce.panel.load_indices`)
    """

    def __init__(self, engine: Engine | None = None, *, log: Log = no_log, frames: dict[str, Any] | None = None):
        self._engine = engine
        self._log = log
        self._cache: dict[str, Any] = dict(frames or {})
        self.timings: dict[str, float] = {}
        self._lock = threading.RLock()  # a step fitted in the background reads its frames too: each loads once

    def _get(self, name: str, loader: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._cache:
                if self._engine is None:
                    raise KeyError(f"no {name!r} frame given and no database to read it from")
                t0 = time.perf_counter()
                value = loader()
                self.timings[name] = time.perf_counter() - t0
                rows = len(value) if hasattr(value, "__len__") else len(getattr(value, "snapshots", ()))
                self._log(kv(step=f"load.{name}", seconds=self.timings[name], rows=rows), False)
                self._cache[name] = value
            return self._cache[name]

    @property
    def history(self) -> P.History:
        return self._get("history", lambda: P.load_history(self._engine))

    @property
    def panel(self) -> pd.DataFrame:
        h = self.history
        return self._get("panel", lambda: P.build_panel(h.snapshots, h.movements))

    @property
    def movements(self) -> pd.DataFrame:
        M = db.Movement
        cols = (M.agent_id, M.movement_date, M.kind, M.motive, M.from_metier, M.to_metier, M.from_direction,
                M.to_direction)

        def load():
            frame = db.read_frame(self._engine, select(*cols).order_by(M.movement_date, M.id))
            frame["movement_date"] = pd.to_datetime(frame["movement_date"])
            return frame

        return self._get("movements", load)

    @property
    def headcount(self) -> pd.DataFrame:
        S = db.AgentSnapshot

        def load():
            stmt = (select(S.extract_date, S.metier_code, S.direction, func.count().label("headcount"),
                           func.sum(S.quotite).label("etp"))
                    .group_by(S.extract_date, S.metier_code, S.direction)
                    .order_by(S.extract_date, S.metier_code, S.direction))
            frame = db.read_frame(self._engine, stmt)
            frame["extract_date"] = pd.to_datetime(frame["extract_date"])
            return frame

        return self._get("headcount", load)

    @property
    def metiers(self) -> pd.DataFrame:
        R = db.Metier
        return self._get("metiers", lambda: db.read_frame(
            self._engine, select(R.code, R.label, R.famille, R.filiere, R.direction).order_by(R.code)))


    @property
    def arrivals(self) -> pd.DataFrame:
        return self._get("arrivals", lambda: arrivals_from_history(*P.load_arrivals(self._engine),
                                                                    years=P.ARRIVAL_YEARS))

    @property
    def indices(self) -> pd.DataFrame:
        return self._get("indices", lambda: P.load_indices(self._engine))
