"""The skill space: métiers x skills levels, coverage between métiers (and agents), observed mobility. The
similarity between métiers, and the métiers most similar to a given one, are in ``similarity``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from workforce.skills.inputs import LEVEL, LEVELS, METIER, SKILL, code_index, unique_codes

def level_matrix(rows: pd.DataFrame, row_codes: np.ndarray, skill_codes: np.ndarray,
                 row_col: str = METIER) -> sparse.csr_matrix:
    """Sparse (rows x skills) matrix of levels (0: not required/held); codes outside the indexes are dropped."""
    r = code_index(row_codes, rows[row_col])
    c = code_index(skill_codes, rows[SKILL])
    ok = (r >= 0) & (c >= 0)
    lvl = rows[LEVEL].to_numpy(dtype=np.float64)[ok]
    m = sparse.coo_matrix((lvl, (r[ok], c[ok])), shape=(len(row_codes), len(skill_codes))).tocsr()
    m.sum_duplicates()
    return m


def at_least(m: sparse.csr_matrix, level: int) -> sparse.csr_matrix:
    out = m.copy()
    out.data = (out.data >= level).astype(np.float64)
    out.eliminate_zeros()
    return out


def _exactly(m: sparse.csr_matrix, level: int) -> sparse.csr_matrix:
    out = m.copy()
    out.data = (out.data == level).astype(np.float64)
    out.eliminate_zeros()
    return out


def coverage_matrix(sources: sparse.csr_matrix, targets: sparse.csr_matrix, weights: np.ndarray,
                    levels: bool = True) -> np.ndarray:
    """Dense (n_sources x n_targets): weighted share of each target's requirements the source meets.

    With ``levels``, a requirement at level b is met in proportion ``min(1, a / b)`` by a source at level a
    (an agent at "pratique" covers two thirds of a "maîtrise" requirement); without, holding the skill meets
    it. Four sparse products: min(a, b) / b = sum over L <= b of [a >= L] / b. A target without requirements
    is covered at 0.
    """
    w = np.asarray(weights, dtype=np.float64)
    tb = at_least(targets, 1)
    denom = np.asarray(tb @ w).ravel()
    if levels:
        num = np.zeros((sources.shape[0], targets.shape[0]))
        for lv in LEVELS:
            # requirements at level >= lv, each weighted by w / its level
            t = targets.copy()
            t.data = np.where(t.data >= lv, 1.0 / np.maximum(t.data, 1.0), 0.0)
            t.eliminate_zeros()
            if t.nnz:
                num += (at_least(sources, lv) @ sparse.csr_matrix(t.multiply(w[None, :])).T).toarray()
    else:
        num = (at_least(sources, 1) @ sparse.csr_matrix(tb.multiply(w[None, :])).T).toarray()
    num = np.asarray(num)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom[None, :] > 0, num / np.where(denom > 0, denom, 1)[None, :], 0.0)


def met_count(sources: sparse.csr_matrix, targets: sparse.csr_matrix) -> np.ndarray:
    """Dense (n_sources x n_targets): how many of the target's requirements the source meets in full."""
    out = np.zeros((sources.shape[0], targets.shape[0]))
    for lv in LEVELS:
        t_l = _exactly(targets, lv)
        if t_l.nnz:
            out += np.asarray((at_least(sources, lv) @ t_l.T).todense())
    return out


def specificity(matrix: sparse.csr_matrix) -> np.ndarray:
    """Inverse document frequency of each skill over the rows: ``log((1 + n) / (1 + df)) + 1``."""
    df = np.asarray((matrix > 0).sum(axis=0)).ravel()
    return np.log((1.0 + matrix.shape[0]) / (1.0 + df)) + 1.0


@dataclass(frozen=True, eq=False)
class SkillSpace:
    """Métiers x skills levels with the skills' specificity: the ground of similarity and passerelles.

    ``levels`` False turns every requirement into "holds the skill" (used for ROME fiches, which carry no
    level, and for spaces mixing them with local métiers).
    """

    metiers: np.ndarray
    skills: np.ndarray
    matrix: sparse.csr_matrix
    weights: np.ndarray
    levels: bool = True

    @classmethod
    def build(cls, requirements: pd.DataFrame, metiers: Sequence | None = None, levels: bool = True) -> "SkillSpace":
        codes = unique_codes(metiers) if metiers is not None else unique_codes(requirements[METIER])
        skill_codes = unique_codes(requirements[SKILL])
        m = level_matrix(requirements, codes, skill_codes)
        if not levels:
            m = at_least(m, 1)
        return cls(codes, skill_codes, m, specificity(m), levels)

    def position(self, codes) -> np.ndarray:
        return code_index(self.metiers, codes)

    def coverage(self, sources: Sequence | None = None, targets: Sequence | None = None) -> np.ndarray:
        """Coverage (sources x targets) by métier code (all métiers when None)."""
        s = self.matrix if sources is None else self.matrix[self._must(sources)]
        t = self.matrix if targets is None else self.matrix[self._must(targets)]
        return coverage_matrix(s, t, self.weights, self.levels)

    def on_skills(self, agent_levels: sparse.csr_matrix, agent_skill_codes: np.ndarray) -> sparse.csr_matrix:
        """Agents' levels, given on their own skill index, re-indexed on this space's skills."""
        cols = code_index(self.skills, agent_skill_codes)
        ok = np.flatnonzero(cols >= 0)
        remap = sparse.csr_matrix((np.ones(len(ok)), (ok, cols[ok])), shape=(len(agent_skill_codes), len(self.skills)))
        return (agent_levels @ remap).tocsr()

    def agent_coverage(self, agent_levels: sparse.csr_matrix, agent_skill_codes: np.ndarray,
                       targets: Sequence) -> np.ndarray:
        """Coverage (agents x targets) of agents' levels, given on their own skill index."""
        a = self.on_skills(agent_levels, agent_skill_codes)
        return coverage_matrix(a, self.matrix[self._must(targets)], self.weights, self.levels)

    def _must(self, codes) -> np.ndarray:
        pos = self.position(codes)
        if (pos < 0).any():
            missing = np.asarray(codes, dtype=object)[pos < 0]
            raise KeyError(f"métier(s) {', '.join(map(str, missing[:5]))} have no requirement in this skill space")
        return pos


def mobility_affinity(moves: pd.DataFrame, codes: np.ndarray, shrink: float = 5.0) -> np.ndarray:
    """Dense (n x n): the share of each source's métier changes that went to each target, relative to its
    most frequent target and shrunk toward 0 for sources with few moves (``n / (n + shrink)``)."""
    n = len(codes)
    src, dst = code_index(codes, moves["from_metier"]), code_index(codes, moves["to_metier"])
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    counts = np.zeros((n, n))
    np.add.at(counts, (src[ok], dst[ok]), 1.0)
    total = counts.sum(axis=1, keepdims=True)
    top = counts.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(top > 0, counts / np.where(top > 0, top, 1), 0.0)
    return rel * (total / (total + shrink))
