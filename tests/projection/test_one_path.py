"""One road from a scenario to its projection (issue 12): the CLI, the library, the app's Scénarios page, the XLSX
export and the skills analysis give the same tables, to the last digit, with and without the transformation
factors; each run writes one ``projection_runs`` row with the model versions."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.skills.conftest import mini_release_dir, rome_dir  # noqa: F401 - a 15-fiche ROME release
from tests.ui.conftest import SECRET, demo_db, demo_env  # noqa: F401 - the trained demo database
from tests.ui.helpers import app, as_number, metric
from workforce import db
from workforce.projection import inputs as PI
from workforce import skills as sk
from workforce.cli.project import project
from workforce.scenario import Scenario

pytest.importorskip("workforce.forecast.retirement")

COMPARED = ["headcount", "hires", "retirements", "demand"]
SCENARIOS = {"default": Scenario(), "no_transformation": Scenario(transformation_intensity=0.0)}


def _totals(result) -> pd.DataFrame:
    """``year`` plus one column per compared indicator, whole employer."""
    return pd.DataFrame({"year": result.years.astype("int64"), **{k: result.total(k) for k in COMPARED}})


def _from_long(table: pd.DataFrame) -> pd.DataFrame:
    """The same totals from the engine's long table (the skills analysis reads it)."""
    t = table[table["indicator"].isin(COMPARED)]
    wide = (t.groupby(["year", "indicator"], observed=True)["value"].sum().unstack("indicator")
            .reset_index()[["year", *COMPARED]])
    wide.columns.name = None
    return wide.astype({"year": "int64"})


def _from_file(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["year", *COMPARED]].astype({"year": "int64"}).reset_index(drop=True)


FRENCH = {"Année": "year", "Effectif": "headcount", "Recrutements": "hires", "Départs à la retraite": "retirements",
          "Besoin (ETP)": "demand"}


def _from_book(frame: pd.DataFrame) -> pd.DataFrame:
    """The totals of the XLSX's « Projection » sheet (French headings, agents whole, ETP to one decimal)."""
    return _from_file(frame.rename(columns=FRENCH)).astype({k: "float64" for k in COMPARED})


def _rounded(totals: pd.DataFrame) -> pd.DataFrame:
    return totals.round({"headcount": 0, "hires": 0, "retirements": 0, "demand": 1})


def _cli(*args) -> typer.testing.Result:
    cli = typer.Typer()
    cli.command()(project)
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def transforming_db(demo_db, mini_release_dir, tmp_path_factory):  # noqa: F811
    """A copy of the demo database (models included) with a ROME release whose fiches flag transitions, so that
    the transformation factors move demand (the demo database alone has none)."""
    from workforce.rome import import_release

    home = tmp_path_factory.mktemp("one_path") / "home"
    shutil.copytree(demo_db["home"], home)
    url = f"sqlite:///{home / 'workforce.db'}"
    eng = db.make_engine(url)
    import_release(eng, mini_release_dir)
    eng.dispose()
    return {"home": home, "url": url}


@pytest.fixture(autouse=True)
def transforming_env(demo_env, transforming_db, monkeypatch):  # noqa: F811
    """The library, the CLI and the app pointed at the copy (after the demo database's own set-up)."""
    monkeypatch.setenv("WORKFORCE_HOME", str(transforming_db["home"]))
    monkeypatch.setenv("WORKFORCE_DB_URL", transforming_db["url"])
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", SECRET)
    return transforming_db


@pytest.fixture(scope="module")
def engine(transforming_db):
    eng = db.make_engine(transforming_db["url"])
    yield eng
    eng.dispose()


def _last_run(engine):
    """The latest ``projection_runs`` row, detached (its columns loaded)."""
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as s:
        return s.scalars(select(db.ProjectionRun).order_by(db.ProjectionRun.id.desc())).first()


def _runs(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(db.ProjectionRun.id))).scalar_one()


@pytest.mark.parametrize("which", list(SCENARIOS))
def test_same_scenario_same_numbers_everywhere(which, engine, transforming_db, tmp_path):
    scenario = SCENARIOS[which]
    name = f"one-path-{which}"
    from workforce import scenario as sc

    if name not in set(sc.list_saved(engine)["name"]):
        sc.save(engine, name, scenario)

    library = PI.project_scenario(engine, scenario)
    expected = _totals(library)

    # (a) the command line, its CSV read back
    out = tmp_path / "x.csv"
    r = _cli("--scenario", name, "--by", "total", "--out", str(out))
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(_from_file(pd.read_csv(out)), expected)

    # (b) the library, called again: the same figures (nothing cached across calls changes them)
    pd.testing.assert_frame_equal(_totals(PI.project_scenario(engine, scenario, record=False)), expected)

    # (c) the app's Scénarios page: its projection and the metric it shows
    from workforce.ui import common as C
    from workforce.ui import data as D
    from workforce.ui import projections as UP

    at = app("scenarios")
    if which == "no_transformation":
        at.slider(key="sc_transformation").set_value(0.0).run()
    assert not at.exception, at.exception
    last = int(expected["year"].iloc[-1])
    assert metric(at, f"Effectif fin {last}") == C.fmt_int(expected["headcount"].iloc[-1])
    assert as_number(metric(at, "Recrutements (cumul)")) == as_number(C.fmt_int(expected["hires"].iloc[1:].sum()))
    shown = UP.run(transforming_db["url"], D.data_version(transforming_db["url"]), scenario.to_json())
    pd.testing.assert_frame_equal(_totals(shown), expected)

    # (d) the XLSX export (the app's download and `workforce project --out x.xlsx` write the same workbook)
    book = pd.read_excel(io.BytesIO(UP.xlsx_bytes(shown, by="total")), sheet_name="Projection")
    pd.testing.assert_frame_equal(_from_book(book), _rounded(expected))
    xlsx = tmp_path / "x.xlsx"
    assert _cli("--scenario", name, "--by", "total", "--out", str(xlsx)).exit_code == 0
    pd.testing.assert_frame_equal(_from_book(pd.read_excel(xlsx, sheet_name="Projection")), _rounded(expected))

    # (e) the skills analysis' projection
    pd.testing.assert_frame_equal(_from_long(sk.engine_projection(engine, scenario)), _from_long(library.table()))


def test_transformation_applied_once_and_moves_demand(engine):
    inputs = PI.load(engine)
    assert inputs.factors, "the demo database should have métiers in transformation"
    default = PI.effective_scenario(inputs, Scenario())
    assert default.demand_factors and PI.effective_scenario(inputs, default) == default  # once, not twice
    own = Scenario(demand_factors={next(iter(inputs.factors)): {"2030": 1.5}})
    assert PI.effective_scenario(inputs, own) == own  # the user's own factors win
    with_t = PI.project_scenario(engine, Scenario(), inputs=inputs, record=False)
    without = PI.project_scenario(engine, Scenario(transformation_intensity=0.0), inputs=inputs, record=False)
    assert with_t.total("demand")[-1] != without.total("demand")[-1]


def test_each_run_writes_one_row(engine, transforming_db, tmp_path):
    from workforce import registry

    active = {name: item.record.version for name, item in registry.load_active(engine).items()}
    before = _runs(engine)
    result = PI.project_scenario(engine, Scenario(seed=7), actor="pytest", name=None)
    assert _runs(engine) == before + 1
    row = _last_run(engine)
    assert (row.actor, row.origin, row.seed, row.mc_replicates, row.horizon) == ("pytest", "library", 7, 0, 10)
    assert row.scenario_hash == Scenario(seed=7).fingerprint() and row.transformation_applied
    assert row.result_fingerprint == result.fingerprint() and row.extract_id and row.extract_date
    assert row.code_version
    for name in ("retirement", "exits", "mobility", "demand"):
        if name in active:
            assert row.models[name]["version"] == active[name]
        else:
            assert name in row.models["fallbacks"]

    assert _cli("--mc", "20", "--jobs", "1").exit_code == 0
    assert _runs(engine) == before + 2
    row = _last_run(engine)
    assert (row.origin, row.mc_replicates, row.scenario_name) == ("cli", 20, None)

    sk.engine_projection(engine, Scenario(seed=8))
    assert _runs(engine) == before + 3

    from workforce.ui import data as D
    from workforce.ui import projections as UP

    UP.run(transforming_db["url"], D.data_version(transforming_db["url"]), Scenario(seed=9).to_json())
    assert _runs(engine) == before + 4
    assert _last_run(engine).origin == "app"
