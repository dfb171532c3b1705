"""The skills analysis on the projection engine's output: its long table read as positions, its first year
(the start) left out, the transformation factors passed to the scenario as a demand overlay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import db
from workforce import skills as sk
from workforce.scenario import Scenario
from workforce.skills import analysis as skills_analysis


def test_positions_from_a_long_projection_table():
    cells = pd.DataFrame({"metier_code": ["M1", "M1", "M2"], "direction": ["D1", "D1", "D2"],
                          "categorie": ["B", "C", "C"]})
    rows = []
    for year in (2025, 2026):
        for ind, value in (("etp", 2.0), ("hires", 0.5), ("mobility_in", 0.25), ("demand", 3.0), ("exits", 1.0)):
            rows.append(cells.assign(year=year, indicator=ind, value=value))
    long = pd.concat(rows, ignore_index=True)
    long = long.astype({"metier_code": "category", "direction": "category", "indicator": "category"})
    pos = sk.positions_from_projection(long)
    assert list(pos.columns) == ["year", "metier_code", "direction", "etp", "hires", "mobility_in", "demand"]
    m1 = pos[(pos["metier_code"] == "M1") & (pos["year"] == 2026)].iloc[0]
    assert (m1["etp"], m1["hires"], m1["demand"]) == (4.0, 1.0, 6.0)  # summed over catégories
    agents = pd.DataFrame({"agent_id": ["a", "b"], "metier_code": ["M1", "M1"], "direction": ["D1", "D1"],
                           "etp": [1.0, 1.0]})
    share = sk.presence_from_positions(agents, pos[pos["year"] > 2025], np.array([2026]))
    # (4 FTE in post - 1.5 FTE come in) / 2 FTE today: more than today's agents, so all of them stay
    assert np.allclose(share, 1.0)
    half = pos.assign(etp=pos["etp"] / 2)
    assert np.allclose(sk.presence_from_positions(agents, half[half["year"] > 2025], np.array([2026])),
                       (2.0 - 1.5) / 2.0)
    wide = pd.DataFrame({"year": [2026], "metier_code": ["M1"], "direction": ["D1"], "etp": [2.0]})
    assert sk.positions_from_projection(wide)["etp"].tolist() == [2.0]
    with pytest.raises(ValueError, match="no 'etp' column"):
        sk.positions_from_projection(wide.drop(columns="etp"))


@pytest.fixture(scope="module")
def synth_engine(tmp_path_factory, mini_release_dir):
    """A small synthetic département with the 15-fiche ROME release (some fiches flagged for transitions)."""
    from workforce import synth
    from workforce.rome import import_release

    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('engine') / 'w.db'}")
    synth.store(synth.generate(synth.SynthParams(n_agents=400, years=3, seed=11)), engine)
    import_release(engine, mini_release_dir)
    return engine


def test_analysis_on_the_engine(synth_engine):
    inputs = sk.load_inputs(synth_engine)
    an = sk.analyse_db(synth_engine, intensity=1.0, horizon=5, inputs=inputs)
    assert an.years.tolist() == list(range(inputs.base_year + 1, inputs.base_year + 6))
    g = an.gaps
    assert np.allclose(g["gap_fte"], g["supply_fte"] - g["demand_fte"])
    assert (g["supply_fte"] >= 0).all()
    # the positions are the engine's: its FTE in post, year by year
    table = sk.engine_projection(synth_engine, Scenario(horizon=5), inputs)
    etp = table[(table["indicator"] == "etp") & (table["year"] > inputs.base_year)].groupby("year")["value"].sum()
    assert np.allclose(an.positions.groupby("year")["etp"].sum().to_numpy(), etp.to_numpy())


def test_intensity_reaches_the_engine_demand(synth_engine):
    inputs = sk.load_inputs(synth_engine)
    none = sk.analyse_db(synth_engine, intensity=0.0, horizon=5, inputs=inputs)
    strong = sk.analyse_db(synth_engine, intensity=2.0, horizon=5, inputs=inputs)
    rate = strong.profile.set_index("metier_code")["transformation_rate"]
    up = set(rate[rate > 0].index)
    last = int(strong.years.max())

    def demand(an):
        p = an.positions
        return p[(p["year"] == last) & p["metier_code"].isin(up)]["demand"].sum()

    assert up and demand(strong) > demand(none)


def test_an_engine_failure_fails_the_analysis_loudly(synth_engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(skills_analysis, "engine_projection", broken)  # where analyse_db looks it up
    with pytest.raises(RuntimeError, match="boom"):
        sk.analyse_db(synth_engine, horizon=3)
