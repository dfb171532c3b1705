"""Passerelles and reskilling candidates: from declining or transforming métiers to growing ones, never under
the minimum coverage (« aucune passerelle crédible » instead), with the skills to acquire, and agents ranked by
how much of the target they already cover."""

from __future__ import annotations

import numpy as np
import pytest

from workforce import skills as sk


def _proposed(p):
    return p[p["status"] == sk.PROPOSED]


@pytest.fixture(scope="module")
def local_model(skill_inputs, analysis):
    """Every local métier of the small département with its similarity, as the analysis builds them."""
    horizon = int(analysis.years.max())
    local = sk.SkillSpace.build(sk.active_requirements(analysis.timeline, horizon),
                                skill_inputs.local_metiers()["code"])
    mob = sk.mobility_affinity(skill_inputs.mobility, local.metiers)
    sim = sk.local_similarity(sk.local_metier_table(skill_inputs), local, mob,
                              sk.RomeFeatures.from_inputs(skill_inputs))
    return local, sim, mob


def test_passerelles_go_from_declining_or_transforming_to_growing(analysis):
    p = analysis.passerelles
    classes = analysis.profile.set_index("metier_code")["classe"]
    found = _proposed(p)
    assert len(found) > 0
    assert set(p["status"]) <= {sk.PROPOSED, sk.NO_CREDIBLE}
    assert set(p["source"].map(classes)) <= {"declining", "transforming"}
    assert set(found["target"].map(classes)) == {"growing"}
    assert (found["source"] != found["target"]).all()
    assert (found.groupby("source").size() <= analysis.params.passerelles_k).all()
    assert found.groupby("source")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert found["coverage"].between(analysis.params.passerelle_min_coverage, 1).all()
    # every source says something: its targets, or one row « no credible target » and nothing else
    none = p[p["status"] == sk.NO_CREDIBLE]
    assert none["target"].isna().all() and not none["source"].duplicated().any()
    assert not set(none["source"]) & set(found["source"])


def test_no_passerelle_under_the_minimum_coverage_for_any_local_metier(skill_inputs, local_model):
    """Every local métier as a source, every other as a target: nothing under 40 % is proposed, and the share
    shown is the share of the target's requirements held (level a of a level-b requirement counts min(1, a/b))."""
    local, sim, mob = local_model
    labels = skill_inputs.skills.drop_duplicates("code").set_index("code")["label"]
    out = sk.passerelles_between(local, sim, labels, local.metiers, local.metiers, k=3, mobility=mob)
    assert sk.MIN_PASSERELLE_COVERAGE == 0.40
    assert set(out["source"]) == set(local.metiers)
    found = _proposed(out)
    assert len(found) and (found["coverage"] >= sk.MIN_PASSERELLE_COVERAGE).all()
    assert len(out[out["status"] == sk.NO_CREDIBLE])  # some métiers have no credible move: it is said
    dense = dict(zip(local.metiers, local.matrix.toarray()))
    for row in found.itertuples():
        src = dict(zip(local.skills, dense[row.source]))
        tgt = {c: lv for c, lv in zip(local.skills, dense[row.target]) if lv > 0}
        share = sum(min(1.0, src[c] / lv) for c, lv in tgt.items()) / len(tgt)
        assert row.coverage == pytest.approx(share), (row.source, row.target)
    # a stricter minimum never proposes more; no minimum proposes k targets to every source
    strict = sk.passerelles_between(local, sim, labels, local.metiers, local.metiers, k=3, min_coverage=0.6)
    assert len(_proposed(strict)) < len(found) and (_proposed(strict)["coverage"] >= 0.6).all()
    loose = sk.passerelles_between(local, sim, labels, local.metiers, local.metiers, k=3, min_coverage=0.0)
    assert (loose.groupby("source").size() == 3).all() and set(loose["status"]) == {sk.PROPOSED}


def test_the_reasons_of_each_target_are_its_listed_skills(skill_inputs, local_model):
    """Each proposed target lists the skills to acquire: the target's requirements above the source's level, by
    code, label and required level, most important (level x specificity) first."""
    local, sim, mob = local_model
    labels = skill_inputs.skills.drop_duplicates("code").set_index("code")["label"]
    found = _proposed(sk.passerelles_between(local, sim, labels, local.metiers, local.metiers, k=3))
    weight = dict(zip(local.skills, local.weights))
    dense = dict(zip(local.metiers, local.matrix.toarray()))
    for row in found.itertuples():
        src = dict(zip(local.skills, dense[row.source]))
        tgt = dict(zip(local.skills, dense[row.target]))
        expected = {c for c, lv in tgt.items() if lv > src[c]}
        parts = [p for p in row.skills_to_acquire.split(" ; ") if p]
        listed = [p.split(" ")[0] for p in parts]
        assert set(listed) == expected and row.n_to_acquire == len(expected), (row.source, row.target)
        for code, part in zip(listed, parts):
            assert part == f"{code} {labels.get(code, '')} (niveau {int(tgt[code])})"
        importance = [tgt[c] * weight[c] for c in listed]
        assert importance == sorted(importance, reverse=True)


def test_skills_to_acquire_are_the_targets_requirements_above_the_source(analysis):
    p = _proposed(analysis.passerelles).iloc[0]
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


def test_the_export_and_the_page_say_when_no_passerelle_is_credible(analysis, tmp_path):
    """The one table behind `workforce export passerelles` and the page: French headers, a « Statut », the share
    already held, and a row « aucune passerelle crédible » without target for a source without any."""
    from openpyxl import load_workbook

    from workforce import export as X

    table = X.passerelles_table(analysis)
    assert {"Statut", "Part des compétences déjà détenues (%)", "Compétences à acquérir", "Similarité"} \
        <= set(table.columns)
    assert set(table["Statut"]) == {"proposée", "aucune passerelle crédible"}
    none = table[table["Statut"] == "aucune passerelle crédible"]
    assert none["Métier cible"].isna().all() and none["Part des compétences déjà détenues (%)"].isna().all()
    shown = table.loc[table["Statut"] == "proposée", "Part des compétences déjà détenues (%)"]
    assert (shown >= 100 * analysis.params.passerelle_min_coverage).all()
    assert set(X.PASSERELLE_COLUMNS) == set(table.columns)
    result = X.export_passerelles(analysis, tmp_path / "p.xlsx")
    sheet = load_workbook(result.paths[0], read_only=True)["Passerelles"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(table.columns) and len(rows) == len(table) + 1
    assert sum(r[list(table.columns).index("Statut")] == "aucune passerelle crédible" for r in rows[1:]) == len(none)
