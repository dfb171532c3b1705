"""`workforce sweep` (issue 17): a grid of scenarios in Monte Carlo gives the same numbers on a Dask cluster as on
local processes, the same as the engine's own run of each point, published with the projection's secrecy, stored
and read back; the command refuses bad grids (file and key named, exit 2) and an unreachable scheduler (exit 1)."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from workforce import db
from workforce import projection as PJ
from workforce import sweep as SW
from workforce.cli import app
from workforce.export import projection_published
from workforce.scenario import Scenario

distributed = pytest.importorskip("distributed")

GRID = {"grid": {"regime": ["reform2023", "lfss2026"], "replacement_rate": [0.7, 1.0]}}
REPLICATES = 30  # two chunks of the engine (MC_CHUNK = 25): the chunk seeding is exercised


@pytest.fixture(scope="module")
def cluster():
    """A real Dask cluster on this machine: two worker processes of one thread each, closed after the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def tiny_prepared():
    """A tiny synthetic département (about 300 agents) prepared with fitted exit hazards and law-only retirement."""
    from workforce import panel as P
    from workforce.forecast.exits import ExitHazard
    from workforce.synth import SynthParams, generate

    sd = generate(SynthParams(n_agents=300, years=4, seed=3))
    h = P.history_from_frames(sd.snapshots, sd.movements)
    models = PJ.Models(retirement=PJ.LawRetirementHazard().fit(), exits=ExitHazard().fit(P.build_panel(
        h.snapshots, h.movements)))
    s = sd.snapshots
    base = s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)
    return PJ.prepare(base, models, horizon=10, provenance={"extract_date": "2025-12-31"})


def _points(prepared, grid=GRID, seed=42, client=None, n_jobs=2):
    g = SW.parse_grid(grid)
    scenarios = g.scenarios(Scenario(seed=seed))
    shipped = SW.for_workers(prepared, scenarios)
    with SW.backend(client, n_jobs=n_jobs, scatter=[shipped]):
        results = SW.run_points(shipped, scenarios, replicates=REPLICATES)
    return g, scenarios, results


def test_dask_cluster_equals_local_processes_number_for_number(cluster, tiny_prepared):
    g, scenarios, local = _points(tiny_prepared)
    client = SW.connect(cluster.scheduler_address)
    try:
        _, _, remote = _points(tiny_prepared, client=client)
    finally:
        client.close()
    a, b = SW.long_table(g.points(), local), SW.long_table(g.points(), remote)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert [r["fingerprint"] for r in local] == [r["fingerprint"] for r in remote]
    # four different points, not four copies: a lower replacement rate ends with fewer agents
    heads = a[(a["level"] == "total") & (a["indicator"] == "headcount") & (a["year"] == a["year"].max())]
    assert len(heads) == 4 and heads["p10"].notna().all()
    by_rate = heads.groupby("replacement_rate")["mean"].mean()
    assert by_rate[0.7] < by_rate[1.0] - 1
    assert len(set(r["fingerprint"] for r in local)) == 4


def test_a_point_is_the_engines_own_run(tiny_prepared):
    """The sweep adds no arithmetic: point 2 is `projection.run` of its scenario in Monte Carlo, published by
    `export.projection_published` (the secrecy of `workforce project --out`), row for row."""
    g, scenarios, results = _points(tiny_prepared, n_jobs=1)
    direct = PJ.run(tiny_prepared, scenarios[2], mode="mc", replicates=REPLICATES)
    assert results[2]["fingerprint"] == direct.fingerprint()
    table = SW.long_table(g.points(), results)
    mine = table[(table["point"] == 2) & (table["level"] == "direction")].reset_index(drop=True)
    ref = projection_published(direct, "direction", wide=False)
    for col in ("value", "mean", "p10", "p50", "p90"):
        np.testing.assert_array_equal(mine[col].astype(float).to_numpy(), ref[col].astype(float).to_numpy())
    assert mine["suppressed"].tolist() == ref["suppressed"].tolist()
    # small groups are hidden, and hidden rows carry no figure
    assert table["suppressed"].any() and not table["suppressed"].all()
    hidden = table[table["suppressed"]]
    assert hidden[["value", "mean", "p10", "p50", "p90"]].isna().all().all()
    shown = table[~table["suppressed"] & (table["level"] != "total") & (table["indicator"] == "headcount")]
    counts = np.round(shown["value"].astype(float))
    assert ((counts == 0) | (counts >= 5)).all()  # an empty group is published as empty, a small one never


def test_seed_changes_the_draws_not_the_expected_values(tiny_prepared):
    small = {"grid": {"replacement_rate": [0.9]}}
    _, _, a = _points(tiny_prepared, small, seed=1, n_jobs=1)
    _, _, b = _points(tiny_prepared, small, seed=2, n_jobs=1)
    ta, tb = a[0]["table"], b[0]["table"]
    np.testing.assert_array_equal(ta["value"].astype(float).fillna(-1), tb["value"].astype(float).fillna(-1))
    assert not np.array_equal(ta["mean"].astype(float).fillna(-1), tb["mean"].astype(float).fillna(-1))


def test_sweep_from_the_database_on_the_cluster_is_stored_and_read_back(stored, cluster):
    grid = SW.parse_grid({"base": {"horizon": 4}, "grid": {"hiring_freeze_years": [0, 2]}}, "g.yaml")
    local = SW.sweep(stored, grid, replicates=10, n_jobs=2, levels=("total", "direction"), actor="test")
    remote = SW.sweep(stored, grid, replicates=10, scheduler=cluster.scheduler_address,
                      levels=("total", "direction"), record=False)
    pd.testing.assert_frame_equal(local.table, remote.table, check_exact=True)
    assert "cluster Dask" in remote.where and "processus locaux" in local.where
    back = SW.read(stored, local.sweep_id)
    pd.testing.assert_frame_equal(back, local.table, check_dtype=False, check_exact=True)
    with db.session_scope(stored) as s:
        row = s.execute(select(db.Sweep)).scalar_one()
        assert row.replicates == 10 and row.seed == 42 and row.grid == {"hiring_freeze_years": [0, 2]}
        assert [p["knobs"] for p in row.points] == [{"hiring_freeze_years": 0}, {"hiring_freeze_years": 2}]
        assert row.points[1]["scenario"]["horizon"] == 4 and row.extract_id is not None
        n = s.execute(select(func.count()).select_from(db.SweepResult)).scalar_one()
    assert n == len(local.table) > 0
    t = local.table
    hires = t[(t["level"] == "total") & (t["indicator"] == "hires") & t["year"].isin(t["year"].min() + np.arange(1, 3))]
    frozen = hires.groupby("hiring_freeze_years")["mean"].sum()
    assert frozen[2] == 0 < frozen[0]


def test_grid_points_in_order_and_dotted_knobs():
    g = SW.parse_grid({"base": {"horizon": 5}, "grid": {"regime": ["pre2023", "lfss2026"],
                                                        "exit_multipliers.mutation": [1.0, 1.5, 2.0]}})
    assert g.size == 6
    assert g.points()[:4] == [{"regime": "pre2023", "exit_multipliers.mutation": 1.0},
                              {"regime": "pre2023", "exit_multipliers.mutation": 1.5},
                              {"regime": "pre2023", "exit_multipliers.mutation": 2.0},
                              {"regime": "lfss2026", "exit_multipliers.mutation": 1.0}]
    scenarios = g.scenarios(g.base_scenario().replace(exit_multipliers={"demission": 2.0}))
    assert scenarios[5].exit_multipliers == {"demission": 2.0, "mutation": 2.0}
    assert scenarios[5].regime == "lfss2026" and scenarios[5].horizon == 5


# ---------------------------------------------------------------------------------------------- the command

def _write(tmp_path, text: str):
    path = tmp_path / "balayage.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, key, words", [
    ("grid: {regime: [reform2023, lfss2026]\n", None, "YAML invalide"),
    ("grille:\n  regime: [lfss2026]\n", "grille", "clé inconnue"),
    ("grid:\n  replacment_rate: [0.8, 1.0]\n", "grid.replacment_rate", "réglage inconnu"),
    ("grid:\n  replacement_rate: [0.8, 5]\n", "grid.replacement_rate[1]", "au plus 2"),
    ("grid:\n  replacement_rate: 0.8\n", "grid.replacement_rate", "liste non vide"),
    ("grid:\n  regime.x: [lfss2026]\n", "grid.regime.x", "accepte"),
    ("grid:\n  exit_multipliers.demission: [1.0, -1]\n", "grid.exit_multipliers.demission[1]", "au moins 0"),
    ("grid:\n  regime: [lfss2026]\n  regime: [pre2023]\n", None, "clé en double « regime »"),
    ("base: {horizon: 99}\ngrid:\n  regime: [lfss2026]\n", "base.horizon", "au plus 30"),
    ("base: inconnu\ngrid:\n  regime: [lfss2026]\n", "base", "aucun scénario nommé « inconnu »"),
])
def test_bad_grid_names_the_file_and_the_key(tmp_path, monkeypatch, text, key, words):
    monkeypatch.setenv("COLUMNS", "300")
    path = _write(tmp_path, text)
    res = CliRunner().invoke(app, ["sweep", "--grid", str(path)])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert str(path) in out and words in out
    if key:
        assert f"clé « {key} »" in out


def test_missing_grid_file_and_bad_options(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    run = CliRunner().invoke
    res = run(app, ["sweep", "--grid", str(tmp_path / "absent.yaml")])
    assert res.exit_code == 2 and "absent.yaml" in res.output and "introuvable" in res.output
    path = _write(tmp_path, "grid:\n  regime: [lfss2026]\n")
    res = run(app, ["sweep", "--grid", str(path), "--levels", "total,commune"])
    assert res.exit_code == 2 and "--levels" in res.output
    res = run(app, ["sweep", "--grid", str(path), "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 2 and ".csv ou .xlsx" in res.output


def test_unreachable_scheduler_exits_1(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = _write(tmp_path, "grid:\n  regime: [lfss2026]\n")
    res = CliRunner().invoke(app, ["sweep", "--grid", str(path), "--scheduler", f"tcp://127.0.0.1:{port}",
                                   "--timeout", "1"])
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    assert f"planificateur Dask injoignable à tcp://127.0.0.1:{port}" in out and "dask scheduler" in out


def test_cli_sweep_stores_prints_and_writes(stored, tmp_path):
    path = _write(tmp_path, "base:\n  horizon: 3\ngrid:\n  replacement_rate: [0.8, 1.0]\n")
    run = CliRunner().invoke
    res = run(app, ["sweep", "--grid", str(path), "--replicates", "10", "--jobs", "1", "--levels",
                    "total,direction", "--out", str(tmp_path / "b.csv")])
    assert res.exit_code == 0, res.output
    assert "Balayage" in res.output and "80\u202f%" in res.output and "Enregistré : balayage n° 1" in res.output
    csv = pd.read_csv(tmp_path / "b.csv")
    assert list(csv.columns) == ["point", "replacement_rate", *SW.RESULT_COLUMNS[1:]]
    assert set(csv["level"]) == {"total", "direction"} and set(csv["point"]) == {0, 1}
    res = run(app, ["sweep", "--grid", str(path), "--replicates", "10", "--jobs", "1", "--seed", "7",
                    "--levels", "total", "--out", str(tmp_path / "b.xlsx")])
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(tmp_path / "b.xlsx", sheet_name=None)
    assert list(sheets) == ["Résultats", "Grille", "Provenance"]
    res_sheet = sheets["Résultats"]
    assert {"Point", "Taux de remplacement des départs", "Année", "Niveau", "Indicateur", "Moyenne des tirages",
            "P10", "P90", "Masqué"} <= set(res_sheet.columns)
    assert set(res_sheet["Taux de remplacement des départs"]) == {"80\u202f%", "100\u202f%"}
    assert sheets["Grille"]["Graine"].tolist() == [7, 7]
    with db.session_scope(stored) as s:
        assert s.execute(select(func.count()).select_from(db.Sweep)).scalar_one() == 2
