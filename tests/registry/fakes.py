"""Tiny estimators and steps for the registry tests: fast, deterministic, importable by a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from workforce import db, train


class Constant(BaseEstimator):
    """Predicts ``value`` everywhere."""

    def __init__(self, *, value=0.1):
        self.value = value

    def fit(self, X=None, y=None):
        self.value_ = float(self.value)
        return self

    def predict_hazard(self, X) -> np.ndarray:
        check_is_fitted(self)
        return np.full(len(X), self.value_)


def constant_step(name: str = "toy", *, metric: float = 1.0, direction: str = "min", value: float = 0.1,
                  calls: list | None = None, sleep: float = 0.0, marker: Path | None = None) -> train.Step:
    """A step fitting :class:`Constant` and reporting ``metric`` as its primary backtest metric ``error``.

    ``calls`` collects one entry per fit; ``marker`` is created when the fit starts, then the fit sleeps
    ``sleep`` seconds (to be killed in the middle)."""

    def fit(data, ctx):
        if calls is not None:
            calls.append(name)
        if marker is not None:
            marker.write_text(str(os.getpid()))
        if sleep:
            time.sleep(sleep)
        return train.Fitted(Constant(value=value).fit(), {"error": metric, "n": 10.0}, "error", direction)

    return train.Step(name, fit, ("tests.registry.fakes",))


def add_extract(engine, day: str = "2025-12-31", source: str = "test") -> None:
    """One extract row: enough data for a fingerprint; another one changes it."""
    with db.session_scope(engine) as session:
        session.add(db.Extract(extract_date=dt.date.fromisoformat(day), source=f"{source} {day}", kind="import",
                               sha256=None))


def engine_url(engine) -> str:
    """A URL reaching the same database and schema from another process (PostgreSQL: search_path option)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("select current_schema()").scalar_one()
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    return url
