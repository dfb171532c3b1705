"""What `workforce train` stores for the app (:mod:`workforce.projection.stored`: the projection's inputs and
preparations, the retirement forecasts, the demand tables) is read at page open only while what it was computed
from is unchanged: a new extract, another active model version, an edited referential or a new ROME release gives
another key, and the app computes (and shows) the figures of the new data (issue 17)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import numpy as np
import pytest
from sqlalchemy import update

from tests.ui.helpers import app, as_number, copy_demo_db, metric
from workforce import db
from workforce.projection import inputs as PI
from workforce.projection import stored as PS
from workforce.scenario import Scenario


@pytest.fixture
def own_copy(demo_db, tmp_path, monkeypatch):
    """A copy of the demo database (and its models) this test may change; the others read the shared one."""
    home = tmp_path / "home"
    shutil.copytree(demo_db["home"], home, ignore=shutil.ignore_patterns("workforce.db*"))
    url = copy_demo_db(demo_db, home / "workforce.db")
    monkeypatch.setenv("WORKFORCE_HOME", str(home))
    monkeypatch.setenv("WORKFORCE_DB_URL", url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def _key(engine) -> str:
    return PS.digest(PS.inputs_key(engine))


def test_stored_inputs_give_the_same_projection(own_copy):
    key, _ = PS.ensure(own_copy)
    found = PS.read(own_copy)
    assert found is not None and found.key == key == _key(own_copy)
    assert set(found.prepared) == set(PI.HORIZON_BUCKETS)
    for horizon in (10, 25):
        scenario = Scenario(horizon=horizon, regime="reform2023", hiring_freeze_years=1)
        fresh = PI.project_scenario(own_copy, scenario, record=False)
        again = PI.project_scenario(own_copy, scenario, inputs=found.inputs,
                                    prepared_engine=found.for_horizon(horizon), record=False)
        for indicator in ("headcount", "retirements", "hires", "payroll"):
            np.testing.assert_array_equal(again.total(indicator), fresh.total(indicator))
    with pytest.raises(AttributeError, match="no demand model"):  # never prepared again with a flat demand
        PI.prepared(found.inputs, 10)


def test_a_file_altered_on_disk_is_not_read(own_copy):
    key, _ = PS.ensure(own_copy)
    path = PS.folder() / f"{key}.joblib"
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    assert PS.read(own_copy) is None


CHANGES = {
    "a new extract": lambda s: s.add(db.Extract(extract_date=dt.date(2031, 1, 31), source="nouvelle.csv",
                                                sha256="f" * 64, rows_read=0, rows_stored=0)),
    "another active model version": lambda s: s.execute(
        update(db.ModelVersion).where(db.ModelVersion.name == "mobility").values(active=False)),
    "an edited référentiel": lambda s: s.execute(
        update(db.Metier).where(db.Metier.code == s.query(db.Metier.code).first()[0]).values(label="Renommé")),
    "a new skill requirement level": lambda s: s.execute(
        update(db.MetierSkill).where(db.MetierSkill.id == s.query(db.MetierSkill.id).first()[0])
        .values(level=db.MetierSkill.level + 1)),
    "a new ROME release": lambda s: s.add(db.RomeRelease(version="test", folder="test")),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_key_follows_what_the_figures_depend_on(own_copy, change):
    before = _key(own_copy)
    assert _key(own_copy) == before  # stable while nothing changes
    with db.session_scope(own_copy) as session:
        CHANGES[change](session)
    assert _key(own_copy) != before


def test_the_app_reads_the_stored_inputs_and_drops_them_with_a_new_model_version(own_copy, monkeypatch):
    """A stored preparation of half the agents (made up for the test) shows on the Scénarios page: the page reads
    it; once another model version is active, the page shows the real figures again."""
    monkeypatch.setenv("WORKFORCE_UI_WARMUP", "0")  # no background store racing the test's own file
    found = PS.build(own_copy)
    inputs = PI.load(own_copy)
    half = dataclasses.replace(inputs, base=inputs.base.iloc[::2])
    PS.write(dataclasses.replace(found, prepared={h: PI.prepared(half, h) for h in PI.HORIZON_BUCKETS}))

    at = app("scenarios")
    assert not at.exception
    shown = as_number(metric(at, "Effectif fin"))
    real = PI.project_scenario(own_copy, Scenario(), inputs=inputs, record=False).total("headcount")[-1]
    assert shown < 0.7 * real  # the stored (halved) preparation, not one computed at page open

    with db.session_scope(own_copy) as session:
        session.execute(update(db.ModelVersion).where(db.ModelVersion.name == "mobility").values(active=False))
    at.run()
    assert not at.exception
    assert as_number(metric(at, "Effectif fin")) > 0.8 * real
