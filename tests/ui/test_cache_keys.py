"""The app's cache key follows what its figures depend on: a rollback (which only moves the active flag between
two versions) must change it, or the pages keep showing the old model's numbers until a restart."""

from __future__ import annotations

from sqlalchemy import update

from workforce import db
from workforce.ui import data as D


def test_a_rollback_changes_the_cache_key(engine, monkeypatch):
    monkeypatch.setattr(D, "engine", lambda url=None: engine)
    with db.session_scope(engine) as session:
        for version, active in (("1", False), ("2", True)):
            session.add(db.ModelVersion(name="retirement", version=version, path=f"v{version}", sha256="0" * 64,
                                        active=active))
    before = D.data_version("x")
    with db.session_scope(engine) as session:  # rollback to version 1: same count, same max id, same sum
        session.execute(update(db.ModelVersion).values(active=db.ModelVersion.version == "1"))
    after = D.data_version("x")
    assert before != after
    assert D.data_version("x") == after  # and stable while nothing changes
