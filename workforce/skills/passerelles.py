"""Reskilling paths: passerelles from declining or transforming métiers to growing ones, and the agents whose
own skills already cover a growing métier's needs.

A passerelle is proposed only when the source already holds ``MIN_PASSERELLE_COVERAGE`` of the target's skills;
among those targets the order is the similarity of the two métiers (``workforce.skills.similarity``: ROME
fiches, own skills and levels, observed moves). A source with no such target says so (``NO_CREDIBLE``) rather
than offering the least absurd one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from workforce.skills.inputs import AGENT, COVERAGE, DIRECTION, METIER, MOBILITY, SCORE
from workforce.skills.space import SkillSpace, coverage_matrix, met_count

MIN_PASSERELLE_COVERAGE = 0.40
"""Share of the target's required skills the source must already hold (at the required level, in proportion
below it) for a passerelle to be proposed. Under it the move is a retraining, not a passerelle: a training
manager who reads "Juriste -> Électricien du bâtiment, 12 %" stops trusting the list. 40 % means that about
two fifths of the target's skills are there on day one."""

PROPOSED, NO_CREDIBLE = "proposed", "no_credible_target"
"""``status`` of a passerelle row: a target is proposed, or no target reaches ``min_coverage`` (one row for
the source, without target, that the export and the page show as « aucune passerelle crédible »)."""

PASSERELLE_COLUMNS = ["source", "target", "rank", COVERAGE, MOBILITY, SCORE, "n_to_acquire", "skills_to_acquire",
                      "status"]


def held_share(space: SkillSpace, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Dense (sources x targets) share of each target's required skills the source holds, by count: a level-2
    holder meets two thirds of a level-3 requirement (``coverage_matrix`` with equal weights). Positions in
    ``space``. Plain counts, not specificity, so the figure reads as « n of the target's skills »."""
    ones = np.ones(len(space.skills))
    return coverage_matrix(space.matrix[sources], space.matrix[targets], ones, space.levels)


def passerelles_between(space: SkillSpace, similarity: np.ndarray, skill_labels: pd.Series, sources, targets,
                        k: int = 3, min_coverage: float = MIN_PASSERELLE_COVERAGE,
                        mobility: np.ndarray | None = None) -> pd.DataFrame:
    """The ``k`` most similar targets of each source among those whose skills it already holds at
    ``min_coverage`` or more, with the skills to acquire; one ``NO_CREDIBLE`` row for a source without any.

    ``similarity`` and ``mobility``: dense (n x n) over ``space.metiers`` (``similarity.local_similarity``,
    ``space.mobility_affinity``); ``sources``, ``targets``: métier codes. Columns ``PASSERELLE_COLUMNS``:
    ``coverage`` is the share held (``held_share``), ``score`` the similarity (the order), ``skills_to_acquire``
    ``code libellé (niveau N)`` joined by " ; ", most important to the target first (required level x
    specificity: a rare skill required at expertise matters most).
    """
    if not 0 <= min_coverage <= 1:
        raise ValueError(f"min_coverage must be within 0-1, got {min_coverage!r}")
    src, tgt = space.position(sources), space.position(targets)
    src, tgt = src[src >= 0], tgt[tgt >= 0]
    if not len(src):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PASSERELLE_COLUMNS})
    mob = np.zeros((len(space.metiers),) * 2) if mobility is None else np.asarray(mobility, dtype=float)
    # rounded so that 2 of 5 skills is 0.4, not 0.39999999999999997, on both sides of the minimum
    cov = np.round(held_share(space, src, tgt), 9) if len(tgt) else np.zeros((len(src), 0))
    score = np.asarray(similarity, dtype=float)[np.ix_(src, tgt)]
    ok = (cov >= min_coverage) & (src[:, None] != tgt[None, :])
    ranked = np.argsort(-np.where(ok, score, -np.inf), axis=1, kind="stable")[:, :k]
    i = np.repeat(np.arange(len(src)), ranked.shape[1])
    j = ranked.ravel()
    keep = ok[i, j]
    i, j = i[keep], j[keep]
    rank = pd.Series(i).groupby(i).cumcount().to_numpy() + 1
    s, t = src[i], tgt[j]
    to_acquire = _skills_to_acquire(space, s, t, skill_labels)
    found = pd.DataFrame({"source": space.metiers[s], "target": space.metiers[t], "rank": rank,
                          COVERAGE: cov[i, j], MOBILITY: mob[s, t], SCORE: score[i, j],
                          "n_to_acquire": to_acquire["n"].to_numpy(),
                          "skills_to_acquire": to_acquire["text"].to_numpy(), "status": PROPOSED})
    none = np.setdiff1d(np.arange(len(src)), i)
    empty = pd.DataFrame({"source": space.metiers[src[none]], "target": None, "rank": pd.NA, COVERAGE: np.nan,
                          MOBILITY: np.nan, SCORE: np.nan, "n_to_acquire": pd.NA, "skills_to_acquire": "",
                          "status": NO_CREDIBLE})
    out = pd.concat([f for f in (found, empty) if len(f)], ignore_index=True)
    order = {c: n for n, c in enumerate(space.metiers[src])}  # sources in the order asked, ranks within
    out = out.assign(_o=out["source"].map(order).to_numpy())
    out = out.sort_values(["_o", "rank"], kind="stable", na_position="last").drop(columns="_o")
    return out.astype({"rank": "Int64", "n_to_acquire": "Int64"}).reset_index(drop=True)[PASSERELLE_COLUMNS]


def _skills_to_acquire(space: SkillSpace, s: np.ndarray, t: np.ndarray, skill_labels: pd.Series) -> pd.DataFrame:
    """For each (source, target) pair: how many of the target's requirements are above the source's level,
    and their text, most important to the target first. Sparse rows of the pairs, no loop over pairs."""
    m = space.matrix
    gap = (m[t] - m[s]).tocsr()
    gap.data = (gap.data > 0).astype(float)
    gap.eliminate_zeros()
    pair, col = gap.nonzero()
    level = np.asarray(m[t[pair], col]).ravel()
    importance = level * space.weights[col]
    codes = space.skills[col]
    label = pd.Series(codes).map(skill_labels).fillna("").to_numpy(dtype=object)
    text = pd.Series([f"{c} {lab} (niveau {int(lv)})" for c, lab, lv in zip(codes, label, level)], dtype=object)
    frame = pd.DataFrame({"pair": pair, "imp": -importance, "code": codes.astype(str), "text": text})
    frame = frame.sort_values(["pair", "imp", "code"], kind="stable")
    joined = frame.groupby("pair")["text"].agg(" ; ".join).reindex(np.arange(len(s)), fill_value="")
    n = frame.groupby("pair").size().reindex(np.arange(len(s)), fill_value=0)
    return pd.DataFrame({"n": n.to_numpy(), "text": joined.to_numpy()})


def passerelles(profile: pd.DataFrame, local: SkillSpace, similarity: np.ndarray, skill_labels: pd.Series,
                k: int = 3, min_coverage: float = MIN_PASSERELLE_COVERAGE,
                mobility: np.ndarray | None = None) -> pd.DataFrame:
    """For each declining or transforming métier, the ``k`` most similar growing targets (the stable ones when
    none grows) of which it already holds ``min_coverage``, or one « no credible target » row.

    Columns: ``source, source_classe`` then ``PASSERELLE_COLUMNS`` (see ``passerelles_between``).
    """
    classes = profile.set_index(METIER)["classe"]
    cls = pd.Series(local.metiers).map(classes).to_numpy()
    src = local.metiers[np.isin(cls, ("declining", "transforming"))]
    tgt = local.metiers[cls == "growing"]
    if not len(tgt):
        tgt = local.metiers[cls == "stable"]
    out = passerelles_between(local, similarity, skill_labels, src, tgt, k, min_coverage, mobility)
    out.insert(1, "source_classe", out["source"].map(classes).to_numpy(dtype=object))
    return out


def reskilling_candidates(agents: pd.DataFrame, levels: sparse.csr_matrix, skill_codes: np.ndarray,
                          profile: pd.DataFrame, local: SkillSpace, min_coverage: float = 0.5) -> pd.DataFrame:
    """Agents of declining or transforming métiers ranked by how much of a growing métier's needs they cover.

    Columns: ``agent_id, metier_code, direction, target, coverage, n_missing, rank`` (rank within the target),
    for every pair at or above ``min_coverage``. ``agent_id`` is the pseudonym: nominative output is the
    caller's decision (see ``workforce.export``).
    """
    classes = profile.set_index(METIER)["classe"]
    cls = agents[METIER].map(classes).to_numpy()
    pick = np.flatnonzero(np.isin(cls, ("declining", "transforming")))
    targets = [c for c in local.metiers if classes.get(c) == "growing"]
    cols = [AGENT, METIER, DIRECTION, "target", COVERAGE, "n_missing", "rank"]
    if not len(pick) or not targets:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    sub = levels[pick]
    cov = local.agent_coverage(sub, skill_codes, targets)
    tmat = local.matrix[local.position(targets)]
    n_req = np.asarray((tmat > 0).sum(axis=1)).ravel()
    missing = (n_req[None, :] - met_count(local.on_skills(sub, skill_codes), tmat)).astype(int)
    a_i, t_i = np.nonzero(cov >= min_coverage)
    own = agents[METIER].to_numpy()[pick][a_i] != np.asarray(targets, dtype=object)[t_i]
    a_i, t_i = a_i[own], t_i[own]
    out = pd.DataFrame({
        AGENT: agents[AGENT].to_numpy()[pick][a_i], METIER: agents[METIER].to_numpy()[pick][a_i],
        DIRECTION: agents[DIRECTION].to_numpy()[pick][a_i], "target": np.asarray(targets, dtype=object)[t_i],
        COVERAGE: cov[a_i, t_i], "n_missing": missing[a_i, t_i],
    })
    out = out.sort_values(["target", COVERAGE, AGENT], ascending=[True, False, True], kind="stable")
    out["rank"] = out.groupby("target").cumcount() + 1
    return out.reset_index(drop=True)
