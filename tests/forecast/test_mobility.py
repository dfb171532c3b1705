"""Mobility matrix: shrinkage toward the famille, conservation of mass, draws agree with expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from workforce.forecast.mobility import MobilityMatrix, mobility_inputs


def _data():
    # famille F: métiers A (busy, 10 moves to B), B, C (no agent-year with a move); famille G: D
    exposure = pd.DataFrame({
        "metier_code": ["A", "A", "B", "C", "D"], "direction": ["X", "Y", "X", "Y", "Z"],
        "famille": ["F", "F", "F", "F", "G"], "agent_years": [400.0, 100.0, 300.0, 50.0, 200.0]})
    moves = pd.DataFrame({
        "from_metier": ["A"] * 10 + ["B"] * 3 + ["A"] * 5,
        "to_metier": ["B"] * 10 + ["A"] * 3 + ["A"] * 5,
        "from_direction": ["X"] * 10 + ["X"] * 3 + ["X"] * 5,
        "to_direction": ["X"] * 10 + ["X"] * 3 + ["Z"] * 5})
    return moves, exposure


def test_contract_and_validation():
    m = MobilityMatrix(shrinkage=5.0)
    assert clone(m).get_params() == {"shrinkage": 5.0, "rates": "metier"}
    moves, exposure = _data()
    with pytest.raises(ValueError, match="shrinkage"):
        MobilityMatrix(shrinkage=-1).fit(moves, exposure)
    with pytest.raises(ValueError, match="shrinkage"):
        MobilityMatrix(shrinkage=float("inf")).fit(moves, exposure)
    with pytest.raises(ValueError, match="metier, employer"):
        MobilityMatrix(rates="famille").fit(moves, exposure)
    with pytest.raises(ValueError, match="lacks column"):
        MobilityMatrix().fit(moves.drop(columns=["to_metier"]), exposure)
    assert m.fit(moves, exposure) is m


def test_rates_shrink_toward_famille_and_rows_are_distributions():
    moves, exposure = _data()
    m = MobilityMatrix(shrinkage=20.0).fit(moves, exposure)
    idx = {c: i for i, c in enumerate(m.metiers_)}
    # A: 10 métier changes in 500 agent-years, pulled toward the famille F rate (13 / 850)
    raw_a, fam = 10 / 500, 13 / 850
    assert min(raw_a, fam) < -np.log1p(-m.p_metier_[idx["A"]]) < max(raw_a, fam)
    # C never moved but belongs to F: it gets the famille rate weighted by the pseudo agent-years, not zero
    glob = 13 / 1050
    rate_f = (13 + 20 * glob) / (850 + 20)
    assert m.p_metier_[idx["C"]] == pytest.approx(1 - np.exp(-(20 * rate_f) / (50 + 20)))
    np.testing.assert_allclose(m.dest_metier_.sum(axis=1)[m.p_metier_ > 0], 1.0)
    assert np.all(np.diag(m.dest_metier_) == 0)
    np.testing.assert_allclose(m.direction_given_metier_.sum(axis=1), 1.0)
    np.testing.assert_allclose(m.dest_direction_.sum(axis=1), 1.0)
    mm = m.metier_matrix()
    np.testing.assert_allclose(mm.sum(axis=1), 1.0)
    np.testing.assert_allclose(m.direction_matrix().sum(axis=1), 1.0)
    assert m.transitions().iloc[0]["from_metier"] == "A" and m.transitions().iloc[0]["to_metier"] == "B"


def test_operator_conserves_mass_and_draws_match_expectation():
    moves, exposure = _data()
    m = MobilityMatrix(shrinkage=5.0).fit(moves, exposure)
    metiers, directions = ["A", "B", "C", "D", "NEW"], ["X", "Y", "Z", "W"]
    op = m.operator(metiers, directions)
    X = np.zeros((len(metiers), len(directions)))
    X[0, 0] = 1.0
    Y = X
    for _ in range(5):
        Y = op.apply(Y)
    assert Y.sum() == pytest.approx(1.0)
    # an unknown métier never moves; its mass stays
    Z = np.zeros_like(X)
    Z[4, 3] = 7.0
    np.testing.assert_allclose(op.apply(Z), Z)
    # Monte Carlo draws of 200,000 agents in A/X agree with one expected step
    rng = np.random.default_rng(1)
    n = 200_000
    mi, di = op.draw(np.zeros(n, np.int64), np.zeros(n, np.int64), rng)
    counts = np.zeros_like(X)
    np.add.at(counts, (mi, di), 1.0)
    np.testing.assert_allclose(counts / n, op.apply(X), atol=0.003)


def test_inputs_from_snapshots(small_synth):
    from workforce.referential import load_builtin

    moves, exposure = mobility_inputs(small_synth.snapshots, small_synth.movements, load_builtin().metiers)
    years = small_synth.params.years
    heads = small_synth.snapshots.groupby("extract_date").size().mean()
    assert exposure["agent_years"].sum() == pytest.approx(heads * years, rel=0.02)
    assert exposure["famille"].notna().all() and len(moves) > 0
    m = MobilityMatrix().fit(moves, exposure)
    rate = (np.average(m.p_metier_ + m.p_direction_, weights=m.agent_years_by_cell_.sum(axis=1)))
    assert 0.015 < rate < 0.06  # the generator moves 3.5 % of agents a year


def test_employer_rates_pool_every_metier_but_keep_destinations():
    """The pooled fallback: one employer-wide rate of moving for every métier, the same destinations."""
    moves, exposure = _data()
    own = MobilityMatrix().fit(moves, exposure)
    pooled = MobilityMatrix(rates="employer").fit(moves, exposure)
    assert np.ptp(pooled.p_metier_) == 0 and np.ptp(pooled.p_direction_) == 0
    assert np.ptp(own.p_metier_) > 0  # the métiers differ when not pooled
    total = own.n_moves_["metier"] / own.agent_years_
    assert pooled.p_metier_[0] == pytest.approx(1 - np.exp(-total))
    np.testing.assert_allclose(pooled.dest_metier_, own.dest_metier_)
