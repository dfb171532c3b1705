"""A ROME release imported while the app runs shows at the next rerun, without a restart: the app's cache key
follows the referential and the ROME release, not only the extracts and the models (issue 15)."""

from __future__ import annotations

import shutil

import pytest

from tests.skills.romefiles import cut_release
from tests.ui.helpers import app, copy_demo_db, table_with, texts
from workforce.referential import find_rome_dir

ASK_IMPORT = "importez un référentiel ROME 4.0"


@pytest.fixture
def own_copy(demo_db, tmp_path, monkeypatch):
    """A copy of the demo database this test may change (the others read the shared one)."""
    home = tmp_path / "home"
    shutil.copytree(demo_db["home"], home, ignore=shutil.ignore_patterns("workforce.db*"))
    url = copy_demo_db(demo_db, home / "workforce.db")
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
