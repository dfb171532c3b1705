"""Similarity between métiers: a métier is most similar to itself, coverage is asymmetric where it should be,
levels and specificity count, observed mobility lifts a target, and it works on any ROME fiche."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import skills as sk


def _req(rows):
    return pd.DataFrame(rows, columns=["metier_code", "skill_code", "level"]).assign(
        from_year=pd.array([None] * len(rows), dtype="Int64"))


@pytest.fixture(scope="module")
def spaces(skill_inputs):
    return sk.SimilaritySpaces.build(skill_inputs)


def test_subset_covers_less_than_superset_by_hand():
    # B requires everything A requires, plus a rare skill
    space = sk.SkillSpace.build(_req([("A", "s1", 1), ("A", "s2", 1), ("B", "s1", 1), ("B", "s2", 1),
                                      ("B", "s3", 1), ("C", "s1", 1), ("C", "s4", 1)]), levels=False)
    cov = space.coverage()
    a, b, c = space.position(["A", "B", "C"])
    assert cov[b, a] == pytest.approx(1.0)  # coming from B, all of A is covered
    assert cov[a, b] < 1.0  # coming from A, s3 is missing
    # weights: s3 is required by one métier only, s1 by three: missing s3 costs more than missing s1 would
    w = dict(zip(space.skills, space.weights))
    assert w["s3"] > w["s1"]
    assert cov[a, b] == pytest.approx((w["s1"] + w["s2"]) / (w["s1"] + w["s2"] + w["s3"]))
    assert np.allclose(np.diag(cov), 1.0)


def test_levels_are_met_in_proportion():
    space = sk.SkillSpace.build(_req([("junior", "s1", 2), ("junior", "s2", 1), ("senior", "s1", 3),
                                      ("senior", "s2", 1)]), levels=True)
    cov = space.coverage()
    j, s = space.position(["junior", "senior"])
    w = dict(zip(space.skills, space.weights))
    assert cov[s, j] == pytest.approx(1.0)  # a senior meets a junior's levels
    assert cov[j, s] == pytest.approx((w["s1"] * 2 / 3 + w["s2"]) / (w["s1"] + w["s2"]))
    counts = sk.met_count(space.matrix, space.matrix)
    assert counts[j, s] == 1 and counts[s, j] == 2


def test_every_local_metier_is_most_similar_to_itself(spaces):
    for code in spaces.local.metiers:
        out = spaces.similar(code, k=2, include_self=True)
        assert out["target"].iloc[0] == code, code
        assert out["coverage"].iloc[0] == pytest.approx(1.0)


def test_every_rome_fiche_is_most_similar_to_itself(spaces):
    cov = spaces.rome.coverage()
    assert np.allclose(np.diag(cov), 1.0)
    # the fiche itself has the best score; any tie (identical skill set) is broken in its favour
    for code in spaces.rome.metiers[::50]:
        assert spaces.similar(code, k=1, include_self=True)["target"].iloc[0] == code


def test_similarity_is_asymmetric_on_the_rome(spaces):
    cov = spaces.rome.coverage()
    asym = np.abs(cov - cov.T)
    assert asym.max() > 0.3
    # a fiche with many items covers a fiche with few more than the reverse
    n = np.asarray((spaces.rome.matrix > 0).sum(axis=1)).ravel()
    i, j = np.unravel_index(np.argmax(asym), asym.shape)
    big, small = (i, j) if n[i] > n[j] else (j, i)
    assert cov[big, small] > cov[small, big]


def test_similar_metiers_on_local_and_rome(skill_inputs, spaces):
    local = sk.similar_metiers("COL01", 5, inputs=skill_inputs, spaces=spaces)
    assert len(local) == 5 and "COL01" not in set(local["target"])
    assert set(local["source"]) == {"builtin"} and local["score"].is_monotonic_decreasing
    rome = sk.similar_metiers("K1302", 5, inputs=skill_inputs, spaces=spaces)
    assert set(rome["source"]) == {"rome"} and rome["target"].str.match(r"^[A-Z]\d{4}$").all()
    both = spaces.similar("COL01", 5, among="all", include_self=True)
    assert both["target"].iloc[0] == "COL01"
    with pytest.raises(KeyError, match="ZZZ99"):
        spaces.similar("ZZZ99")


def test_observed_mobility_lifts_a_target(skill_inputs):
    spaces = sk.SimilaritySpaces.build(skill_inputs)
    quiet = sk.SimilaritySpaces.build(sk.SkillInputs(**{**skill_inputs.__dict__,
                                                        "mobility": skill_inputs.mobility.iloc[:0]}))
    src, dst = skill_inputs.mobility.value_counts().index[0]
    with_moves = spaces.similar(src, k=None).set_index("target")
    without = quiet.similar(src, k=None).set_index("target")
    assert with_moves.loc[dst, "mobility"] > 0 and without.loc[dst, "mobility"] == 0
    assert with_moves.loc[dst, "score"] > without.loc[dst, "score"]
    assert with_moves.loc[dst, "coverage"] == without.loc[dst, "coverage"]
