"""Passerelles and reskilling candidates: from declining or transforming métiers to growing ones, with the
skills to acquire, and agents ranked by how much of the target they already cover."""

from __future__ import annotations

import numpy as np
import pytest

from workforce import skills as sk


def test_passerelles_go_from_declining_or_transforming_to_growing(analysis):
    p = analysis.passerelles
    classes = analysis.profile.set_index("metier_code")["classe"]
    assert len(p) > 0
    assert set(p["source"].map(classes)) <= {"declining", "transforming"}
    assert set(p["target"].map(classes)) == {"growing"}
    assert (p["source"] != p["target"]).all()
    assert (p.groupby("source").size() <= analysis.params.passerelles_k).all()
    assert p.groupby("source")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert p["coverage"].between(0, 1).all()


def test_skills_to_acquire_are_the_targets_requirements_above_the_source(analysis):
    p = analysis.passerelles.iloc[0]
    horizon = int(analysis.years.max())
    req = sk.active_requirements(analysis.timeline, horizon).set_index(["metier_code", "skill_code"])["level"]
    src = req.xs(p["source"], level="metier_code")
    tgt = req.xs(p["target"], level="metier_code")
    expected = {code for code, lvl in tgt.items() if src.get(code, 0) < lvl}
    listed = {part.split(" ")[0] for part in p["skills_to_acquire"].split(" ; ") if part}
    assert listed == expected and p["n_to_acquire"] == len(expected)


def test_reskilling_candidates_are_ranked_by_coverage(analysis, skill_inputs):
    c = analysis.candidates
    classes = analysis.profile.set_index("metier_code")["classe"]
    assert len(c) > 0
    assert set(c["metier_code"].map(classes)) <= {"declining", "transforming"}
    assert set(c["target"].map(classes)) == {"growing"}
    assert (c["coverage"] >= analysis.params.min_coverage).all() and (c["coverage"] <= 1 + 1e-9).all()
    for _, group in c.groupby("target"):
        assert group["coverage"].is_monotonic_decreasing
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
    assert set(c["agent_id"]) <= set(skill_inputs.agents["agent_id"])


def test_an_agent_assessed_higher_covers_more(skill_inputs, analysis):
    """Raising one candidate's assessed levels to the target's requirements raises their coverage to 1."""
    c = analysis.candidates.iloc[0]
    horizon = int(analysis.years.max())
    target_req = sk.active_requirements(analysis.timeline, horizon)
    target_req = target_req[target_req["metier_code"] == c["target"]]
    boosted = skill_inputs.agent_skills[skill_inputs.agent_skills["agent_id"] != c["agent_id"]]
    import pandas as pd

    boosted = pd.concat([boosted, pd.DataFrame({"agent_id": c["agent_id"], "skill_code": target_req["skill_code"],
                                                "level": target_req["level"]})], ignore_index=True)
    codes = np.asarray(sorted(set(analysis.timeline["skill_code"])), dtype=object)
    now = sk.active_requirements(analysis.timeline, analysis.base_year)
    levels = sk.agent_level_matrix(skill_inputs.agents, boosted, now, codes)
    local = sk.SkillSpace.build(sk.active_requirements(analysis.timeline, horizon),
                                skill_inputs.local_metiers()["code"])
    out = sk.reskilling_candidates(skill_inputs.agents, levels, codes, analysis.profile, local)
    row = out[(out["agent_id"] == c["agent_id"]) & (out["target"] == c["target"])].iloc[0]
    assert row["coverage"] == pytest.approx(1.0) and row["n_missing"] == 0 and row["rank"] == 1
