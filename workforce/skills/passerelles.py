"""Reskilling paths: passerelles from declining or transforming métiers to growing ones, and the agents whose
own skills already cover a growing métier's needs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from workforce.skills.inputs import AGENT, COVERAGE, DIRECTION, METIER, MOBILITY, SCORE
from workforce.skills.space import SkillSpace, coverage_matrix, met_count

def passerelles(profile: pd.DataFrame, local: SkillSpace, mobility: np.ndarray, skill_labels: pd.Series,
                k: int = 3, alpha: float = 0.25) -> pd.DataFrame:
    """For each declining or transforming métier, the ``k`` best growing targets and the skills to acquire.

    Targets are the growing métiers (the stable ones when none grows). Columns: ``source, source_classe,
    target, rank, coverage, mobility, score, n_to_acquire, skills_to_acquire`` (``code libellé (niveau N)``
    joined by " ; ").
    """
    classes = profile.set_index(METIER)["classe"]
    codes = local.metiers
    cls = pd.Series(codes).map(classes).to_numpy()
    src = np.flatnonzero(np.isin(cls, ("declining", "transforming")))
    tgt = np.flatnonzero(cls == "growing")
    if not len(tgt):
        tgt = np.flatnonzero(cls == "stable")
    cols = ["source", "source_classe", "target", "rank", COVERAGE, MOBILITY, SCORE, "n_to_acquire",
            "skills_to_acquire"]
    if not len(src) or not len(tgt):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    cov = coverage_matrix(local.matrix[src], local.matrix[tgt], local.weights, local.levels)
    mob = mobility[np.ix_(src, tgt)]
    score = (1 - alpha) * cov + alpha * mob
    score = np.where(src[:, None] == tgt[None, :], -np.inf, score)
    kk = min(k, len(tgt))
    order = np.argsort(-score, axis=1, kind="stable")[:, :kk]
    dense = local.matrix.toarray()
    rows = []
    for i, s in enumerate(src):  # a loop over the few source métiers, never over agents
        for rank, j in enumerate(order[i], start=1):
            if not np.isfinite(score[i, j]):
                continue
            t = tgt[j]
            need = np.flatnonzero(dense[t] > dense[s])
            text = " ; ".join(f"{local.skills[c]} {skill_labels.get(local.skills[c], '')} (niveau {int(dense[t, c])})"
                              for c in need)
            rows.append((codes[s], cls[s], codes[t], rank, cov[i, j], mob[i, j], score[i, j], len(need), text))
    return pd.DataFrame(rows, columns=cols)


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
