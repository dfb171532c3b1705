"""What a reader can derive from published tables: for each hidden cell, its smallest and largest value given the
published cells, the published totals and non-negativity (linear programming, scipy's HiGHS)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def hidden_intervals(equations: list[tuple[list[int], float]], n_hidden: int, cells=None) -> np.ndarray:
    """``equations``: (hidden cell indices, known sum) each, the sum being a published total minus its published
    parts, or (indices, coefficients, known value) for a hidden total (coefficient -1). Returns (n, 2) [min, max]
    of each hidden cell in ``cells`` (all by default), values >= 0."""
    cells = range(n_hidden) if cells is None else cells
    if not equations:
        return np.array([[0.0, np.inf] for _ in cells])
    A = np.zeros((len(equations), n_hidden))
    b = np.zeros(len(equations))
    for k, eq in enumerate(equations):
        idx, coefs, rhs = eq if len(eq) == 3 else (eq[0], 1.0, eq[1])
        A[k, idx] = coefs
        b[k] = rhs
    out = []
    for i in cells:
        c = np.zeros(n_hidden)
        c[i] = 1.0
        lo = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        assert lo.status == 0, lo.message  # the published figures are consistent
        out.append([lo.fun, np.inf if hi.status == 3 else -hi.fun])
    return np.array(out)


def margin_equations(values: np.ndarray, hidden: np.ndarray, groups: list[np.ndarray], totals: list[dict]):
    """Equations of 1-D margins: for each margin (codes per row) and each group, the group's hidden cells sum to
    its published total minus its published cells. Returns (equations, hidden row indices)."""
    rows = np.flatnonzero(hidden)
    pos = {r: i for i, r in enumerate(rows)}
    eqs = []
    for codes, total in zip(groups, totals):
        for g, t in total.items():
            members = np.flatnonzero(codes == g)
            h = [pos[r] for r in members if hidden[r]]
            if h:
                eqs.append((h, float(t - values[members][~hidden[members]].sum())))
    return eqs, rows
