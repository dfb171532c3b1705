"""A ROME release imported while the app runs shows at the next rerun, without a restart: the app's cache key
follows the referential and the ROME release, not only the extracts and the models (issue 15)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.skills.romefiles import cut_release
from tests.ui.helpers import app, table_with, texts
from workforce.referential import find_rome_dir

ASK_IMPORT = "importez un référentiel ROME 4.0"


@pytest.fixture
def own_copy(demo_db, tmp_path, monkeypatch):
    """A copy of the demo database this test may change (the others read the shared one)."""
    home = tmp_path / "home"
    # the database through SQLite's backup, never by copying its files: this process holds connections to it,
    # and closing another descriptor of the same file drops their POSIX locks (the next connection then fails
    # with "disk I/O error")
    shutil.copytree(demo_db["home"], home, ignore=shutil.ignore_patterns("workforce.db*"))
    source = sqlite3.connect(Path(demo_db["home"]) / "workforce.db")
    target = sqlite3.connect(home / "workforce.db")
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    url = f"sqlite:///{home / 'workforce.db'}"
    monkeypatch.setenv("WORKFORCE_HOME", str(home))
    monkeypatch.setenv("WORKFORCE_DB_URL", url)
    return url


def test_rome_import_shows_without_restart(own_copy, tmp_path):
    rome = find_rome_dir()
    if rome is None:
        pytest.skip("no ROME 4.0 release found: set WORKFORCE_ROME_DIR or unpack it in ../shared/data/rome")
    from workforce import db
    from workforce.rome import import_release

    at = app("metiers")
    assert not at.exception
    assert ASK_IMPORT in texts(at)
    before = table_with(at, "Métier")
    assert not before["Transitions (ROME)"].astype(bool).any()

    engine = db.make_engine(own_copy)
    import_release(engine, cut_release(rome, tmp_path / "rome"))
    engine.dispose()

    at.run()  # the same running app: its caches must see the new referential
    assert not at.exception
    assert ASK_IMPORT not in texts(at)
    assert table_with(at, "Métier")["Transitions (ROME)"].astype(bool).any()
