"""Privacy by construction: pseudonyms at ingest, statistical secrecy on every aggregate (small cells hidden,
with the complementary cells and derived figures that would give them back, and filtered views checked against
their neighbours), and what a cell must never carry, in (personal data) or out (a spreadsheet formula)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

MIN_CELL = 5
PSEUDONYM_LENGTH = 20  # hex characters: 80 bits, no collision in any realistic population


def pseudonymise(ids, key: bytes) -> np.ndarray:
    """Keyed hash (HMAC-SHA256) of agent identifiers: stable across extracts, not reversible without the key."""
    values = pd.Series(ids, dtype="string").str.strip()
    uniques, codes = np.unique(values.fillna("").to_numpy(dtype=str), return_inverse=True)
    base = hmac.new(key, digestmod=hashlib.sha256)  # keyed state built once, copied per identifier

    def one(u: str) -> str:
        h = base.copy()
        h.update(u.encode())
        return h.hexdigest()[:PSEUDONYM_LENGTH]

    hashed = np.array([one(u) for u in uniques], dtype=object)
    return hashed[codes]


PSEUDONYM_BLOCK = 100_000


def pseudonymise_series(ids: pd.Series, key: bytes) -> pd.Series:
    """`pseudonymise` over a column, block by block into compact strings (missing ids stay missing): a
    million identifiers never exist as two million Python strings at once."""
    out = []
    for start in range(0, len(ids), PSEUDONYM_BLOCK):
        block = ids.iloc[start : start + PSEUDONYM_BLOCK]
        hashed = pd.Series(pd.NA, index=block.index, dtype="string")
        present = block.notna().to_numpy()
        if present.any():
            hashed[present] = pseudonymise(block[present].to_numpy(dtype=object), key)
        out.append(hashed)
    return pd.concat(out) if out else pd.Series(dtype="string", index=ids.index)


def suppress_small(frame: pd.DataFrame, count_col: str, value_cols=None, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Primary suppression only: blank every cell of a group counting fewer than `min_cell` agents (but not zero).

    Not enough on its own for anything that leaves the tool: a published total minus the published groups gives
    a lone hidden cell back. Pages and exports call :func:`protect`, which adds the complementary cells; this
    stays for the checks that want the primary cells alone. Returns a copy with the count and `value_cols` set
    to NA and a boolean `suppressed` column.
    """
    out = frame.copy()
    small = (out[count_col] > 0) & (out[count_col] < min_cell)
    cols = [count_col, *(value_cols or [])]
    for col in cols:
        out[col] = out[col].astype("Float64").mask(small)
    out["suppressed"] = small.to_numpy()
    return out


# ------------------------------------------------------------------------------- statistical secrecy
#
# A figure resting on 1-4 agents is never published (primary suppression). Hiding it is not enough when a total
# of its margin is published: total minus the published cells gives it back. So every additive margin (a total
# by year, a direction's row, the whole view) must hide either no cell or at least two, and the hidden cells of a
# margin must not all be ones (a reader knows a listed group holds at least one agent). A margin that would
# hide one cell gets a second one: its smallest published cell, ties broken by row order (deterministic, so the
# same data give the same blanks in the app, the command line and the files). Margins overlap (a métier x
# direction x catégorie cube has direction, catégorie and métier totals), and two hidden cells per margin can
# still leave one determined through a chain of margins; a last audit solves the published equations and hides
# one more cell wherever a hidden cell is still fixed by them.

WHOLE = ()  # the margin of the whole frame: its cells add up to a published total


def _group_codes(frame: pd.DataFrame, keys) -> np.ndarray:
    """Integer code per row of the group of ``keys`` (all rows in one group when ``keys`` is empty)."""
    keys = list(keys)
    if not keys:
        return np.zeros(len(frame), dtype=np.int64)
    return frame.groupby(keys, sort=True, dropna=False, observed=True).ngroup().to_numpy()


def _relations(counts: np.ndarray, groups, relations, min_cell: int) -> list[tuple[int, np.ndarray]]:
    """Every additive equation as ``(total, parts)``: ``total`` the row of a total published in the same frame
    (linked tables), or -1 for a total published elsewhere (then known, and left out when it is itself 1-4
    agents, hence hidden); ``parts`` sorted by count then row, so the first published non-empty part is the
    complementary candidate."""
    out = []
    rows = np.arange(len(counts))
    for codes in groups:
        codes = np.asarray(codes)
        order = np.lexsort((rows, counts, codes))
        cuts = np.flatnonzero(np.diff(codes[order])) + 1
        for members in np.split(order, cuts):
            total = counts[members].sum()
            if not (0 < round(total, 9) < min_cell):
                out.append((-1, members))
    for total, parts in relations:
        parts = np.asarray(parts, dtype=np.int64)
        if total < 0 and 0 < round(counts[parts].sum(), 9) < min_cell:
            continue  # a known total of 1-4 agents is itself hidden
        if parts.size:
            out.append((int(total), parts[np.lexsort((parts, counts[parts]))]))
    return out


def _incidence(equations: list[tuple[int, np.ndarray]], n: int):
    """The equations as one sparse matrix (equations x cells): +1 on a total held in the frame, -1 on its parts;
    built once per solve, so each round only selects the columns of the hidden cells."""
    from scipy import sparse

    r, c, v = [], [], []
    for k, (total, parts) in enumerate(equations):
        r.append(np.full(parts.size, k))
        c.append(parts)
        v.append(np.full(parts.size, -1.0))
        if total >= 0:
            r.append(np.array([k]))
            c.append(np.array([total]))
            v.append(np.array([1.0]))
    if not r:
        return sparse.csr_matrix((len(equations), n))
    return sparse.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(len(equations), n))


def _determined(hidden: np.ndarray, E) -> np.ndarray:
    """Hidden cells whose value the published equations fix: cell i is fixed when the unit vector e_i lies in the
    row space of the equations restricted to the hidden cells (a total minus its published parts is known).
    Solved per connected block of equations, by a rank-revealing QR. ``E``: :func:`_incidence`."""
    from scipy import linalg as scipy_linalg
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components
    from threadpoolctl import threadpool_limits

    idx = np.flatnonzero(hidden)
    fixed = np.zeros(len(hidden), dtype=bool)
    if not idx.size or not E.shape[0]:
        return fixed
    A = E[:, idx].tocsr()
    used = np.flatnonzero(np.diff(A.indptr) > 0)
    if not used.size:
        return fixed
    A = A[used]
    graph = sparse.bmat([[None, abs(A)], [abs(A).T, None]], format="csr")
    _, label = connected_components(graph, directed=False)
    g_label, h_label = label[:A.shape[0]], label[A.shape[0]:]
    # small dense blocks: one BLAS thread (several threads on these sizes wait on each other, 0.75 s a QR instead
    # of 4 ms on a busy 2-core machine)
    with threadpool_limits(1):
        for b in np.unique(h_label):
            hs = np.flatnonzero(h_label == b)
            gs = np.flatnonzero(g_label == b)
            if not gs.size:
                continue
            if hs.size == 1:  # one unknown in equations of its own: fixed
                fixed[idx[hs]] = True
                continue
            block = A[gs][:, hs].toarray()
            # an orthonormal basis of the row space (QR with column pivoting of the transpose, cheaper than an SVD)
            q, r, _ = scipy_linalg.qr(block.T, mode="economic", pivoting=True)
            diag = np.abs(np.diag(r))
            rank = int((diag > 1e-9 * max(diag.max(initial=0.0), 1.0)).sum())
            fixed[idx[hs[(q[:, :rank] ** 2).sum(axis=1) > 1 - 1e-9]]] = True
    return fixed


def _complement(hidden: np.ndarray, counts: np.ndarray, total: int, parts: np.ndarray,
                pinned: np.ndarray) -> int | None:
    """The cell to hide next in an equation: its smallest published non-empty part that no known total pins (the
    only agents of a published total: hiding it would hide nothing), else its total (when the total is a row of
    the frame), else None."""
    candidates = parts[~hidden[parts] & (counts[parts] > 0) & ~pinned[parts]]
    if candidates.size:
        return int(candidates[0])
    if total >= 0 and not hidden[total] and counts[total] > 0:
        return total
    return None


def secrecy_mask(counts, groups=(), *, relations=(), min_cell: int = MIN_CELL, primary=None) -> np.ndarray:
    """Which cells to hide: every cell of 1 to ``min_cell - 1`` agents (or ``primary``), plus the complementary
    cells that keep them from being derived.

    Parameters
    ----------
    counts : array (n,)
        Agents behind each cell (expected agents rounded, for a projection); NA counts as 0.
    groups : list of arrays (n,)
        One array of group codes per margin whose totals are published elsewhere: the cells sharing a code add
        up to a known total.
    relations : list of ``(total_row, part_rows)``
        Totals held in the same frame (linked tables: a direction's row and the cells of that direction); a
        hidden total is an unknown like any hidden cell.
    primary : bool array (n,), optional
        The cells hidden in the first place (default: ``0 < counts < min_cell``).

    Returns a bool array (n,). Rules: in every equation, no hidden cell or at least two, and never only ones
    among the parts of a known total; the complement is the smallest published non-empty part (ties: the first
    row), else the total; then no hidden cell may be fixed by all the equations together (:func:`_determined`).
    """
    counts = pd.to_numeric(pd.Series(np.asarray(counts, dtype=object)), errors="coerce").fillna(0).to_numpy(float)
    hidden = ((counts > 0) & (counts < min_cell)) if primary is None else np.asarray(primary, dtype=bool).copy()
    equations = _relations(counts, groups, relations, min_cell)
    E = _incidence(equations, len(counts))
    S = E.T.tocsr()  # cell -> the equations it appears in
    pinned = np.zeros(len(counts), dtype=bool)
    for total, parts in equations:
        filled = parts[counts[parts] > 0]
        if total < 0 and filled.size == 1:
            pinned[filled] = True
    for _ in range(len(counts) + 10):
        changed = False
        for total, parts in equations:
            h = hidden[parts]
            k = int(h.sum()) + int(total >= 0 and hidden[total])
            ones = total < 0 and k > 1 and counts[parts][h].sum() <= k + 1e-9
            if k == 0 or (k > 1 and not ones):
                continue
            cell = _complement(hidden, counts, total, parts, pinned)
            if cell is not None:
                hidden[cell] = True
                changed = True
        if changed:
            continue
        # every cell the equations fix gets its complement in one round, then the system is solved again (one
        # solve per round, not per cell: a projection's linked tables have hundreds of hidden cells)
        for cell in np.flatnonzero(_determined(hidden, E)):
            nxt = _nearest_complement(cell, hidden, counts, equations, pinned, S)
            if nxt is not None:
                hidden[nxt] = True
                changed = True
        if not changed:
            break
    return hidden


def _nearest_complement(cell: int, hidden: np.ndarray, counts: np.ndarray, equations, pinned, S) -> int | None:
    """A cell to hide so that ``cell`` stops being fixed: a complement of one of its own equations, else of the
    equations one hidden cell further (breadth first: a lone hidden cell of a row whose other cells are all
    hidden is freed by a new unknown in a column those cells share). ``S``: the equations' incidence by cell
    (:func:`_incidence`, transposed), to find the equations touching a set of cells without a scan."""
    reached, frontier = {cell}, {cell}
    while frontier:
        rows = S[sorted(frontier)]
        touching = [equations[k] for k in np.unique(rows.indices)]  # in the equations' order
        for total, parts in touching:
            nxt = _complement(hidden, counts, total, parts, pinned)
            if nxt is not None:
                return nxt
        nearby = set()
        for total, parts in touching:
            nearby |= set(parts[hidden[parts]].tolist()) | ({total} if total >= 0 and hidden[total] else set())
        frontier = nearby - reached
        reached |= nearby
    return None


def linked_mask(cell_values, levels: dict, nested: dict | None = None, *, min_cell: int = MIN_CELL) -> dict:
    """One suppression pattern for a fine table and every coarser table published from the same cells.

    A projection is published at several levels (the métier x direction x catégorie cells, and the tables by
    catégorie, direction, métier, famille), each adding up to the whole employer's total by year. Suppressed one
    by one, a direction hidden as a complement in its table could be rebuilt from its published cells in the fine
    table; so every level is solved in one system, year by year, and each table takes its rows of that pattern.

    Parameters
    ----------
    cell_values : array (Y, N)
        Agents (expected) in each fine cell and year; counts are these rounded, totals their rounded sums.
    levels : {name: codes (N,)}
        For each coarser table, the group of each fine cell (0 .. G-1).
    nested : {(fine_level, coarse_level): codes (G_fine,)}
        A table whose groups add up to another's (métiers to familles): the coarse group of each fine group.

    Returns ``{"cells": bool (Y, N), name: bool (Y, G) for each level}``.
    """
    values = np.asarray(cell_values, dtype=float)
    Y, N = values.shape
    sizes = {name: int(np.max(codes)) + 1 if len(codes) else 0 for name, codes in levels.items()}
    out = {"cells": np.zeros((Y, N), dtype=bool), **{name: np.zeros((Y, g), dtype=bool) for name, g in sizes.items()}}
    for t in range(Y):
        cells = np.round(values[t])
        kept = np.flatnonzero(cells > 0)  # empty cells are published as absent: never hidden, never a complement
        counts = [cells[kept]]
        offset, first = len(kept), {}
        for name, codes in levels.items():
            first[name] = offset
            counts.append(np.round(np.bincount(codes, weights=values[t], minlength=sizes[name])))
            offset += sizes[name]
        counts = np.concatenate(counts)
        relations = []
        for name, codes in levels.items():
            k = codes[kept]
            order = np.argsort(k, kind="stable")
            cuts = np.searchsorted(k[order], np.arange(sizes[name] + 1))
            for g in range(sizes[name]):
                relations.append((first[name] + g, order[cuts[g]:cuts[g + 1]]))
            relations.append((-1, first[name] + np.arange(sizes[name])))  # the table adds up to the year's total
        for (fine, coarse), parent in (nested or {}).items():
            parent = np.asarray(parent)
            for g in range(sizes[coarse]):
                relations.append((first[coarse] + g, first[fine] + np.flatnonzero(parent == g)))
        hidden = secrecy_mask(counts, relations=relations, min_cell=min_cell)
        out["cells"][t, kept] = hidden[:len(kept)]
        for name in levels:
            out[name][t] = hidden[first[name]:first[name] + sizes[name]]
    return out


def _blank(series: pd.Series, mask: np.ndarray) -> pd.Series:
    """``series`` with NA where ``mask``; numbers become nullable floats (a count shown '—', not 0)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("Float64").mask(mask)
    return series.astype(object).mask(mask, None)


def protect(frame: pd.DataFrame, count_col: str | None, value_cols=(), *, margins=(WHOLE,), derived_cols=(),
            counts=None, min_cell: int = MIN_CELL, exact: bool = False, primary=None) -> pd.DataFrame:
    """The one road out for an aggregate table: small cells and their complements hidden, with every figure that
    would give them back.

    Parameters
    ----------
    count_col : column of the agents behind each row (blanked too), or None when ``counts`` is given apart.
    value_cols : additive figures of the row (ETP, expected departures, payroll), blanked on hidden rows.
    margins : one tuple of key columns per published total: ``()`` the whole frame adds up to a published total,
        ``("year",)`` the rows of a year do, ``("year", "direction")`` those of a direction and year (a table
        at a finer level that also publishes direction totals). Default: the whole frame. A total of 1-4 agents
        counts as unpublished: the table of those totals must itself go through :func:`protect` (or use
        :func:`linked_mask`, which solves the levels together), else it is the grand total minus the others.
    derived_cols : figures computed from the hidden ones (means, shares, criticité, quantiles, first year of
        shortage, suggested action), blanked on hidden rows: a ratio next to a published denominator is the
        hidden figure again.
    counts : the agents behind each row when no column holds them (a projection's rounded expected headcount).
    exact : publish as is (a role entitled to the figures, such as the training managers for skill supply):
        nothing hidden, ``suppressed`` all False.
    primary : rows to hide besides the small ones (cells another published view would give away,
        :func:`differencing_cells`); their complements are hidden as well.

    Returns a copy with a boolean ``suppressed`` column.
    """
    out = frame.copy()
    if exact:
        out["suppressed"] = False
        return out
    c = out[count_col] if counts is None else counts
    if primary is not None:  # the small cells, and those given
        n = pd.to_numeric(pd.Series(np.asarray(c, dtype=object)), errors="coerce").fillna(0).to_numpy(float)
        primary = ((n > 0) & (n < min_cell)) | np.asarray(primary, bool)
    hidden = secrecy_mask(c, [_group_codes(out, m) for m in margins], min_cell=min_cell, primary=primary)
    for col in [*([count_col] if count_col else []), *value_cols, *derived_cols]:
        if col in out.columns:
            out[col] = _blank(out[col], hidden)
    out["suppressed"] = hidden
    return out


# -------------------------------------------------------------------------- filtered views (the dashboard)

FILTER_REFUSED = ("Sélection non affichée (secret statistique) : comparée à une sélection voisine, elle isolerait "
                  "moins de {n} agents. Élargissez la sélection ou retirez un critère.")


def view_neighbours(frame: pd.DataFrame, filters: dict) -> tuple[np.ndarray, list[np.ndarray]]:
    """The rows of the view ``filters`` selects (column -> chosen values; empty = all) and of every view a reader
    can open beside it and difference with it: each relaxation of a set of its criteria to « all », and, for a
    several-value criterion, the view without one of its values.

    The criteria are first reduced to the values present in the view, and a criterion left at « all » stands
    for the values the view holds (« filière A » is also « filière A in the directions where it has agents »),
    so that a value with no agent left in it cannot hide a neighbour.
    """
    chosen = {col: list(v) for col, v in filters.items() if v and col in frame.columns}
    while True:  # the same agents under the fewest values: « x or z » is « x » when no z is left in the view
        masks = {col: frame[col].isin(v).to_numpy() for col, v in chosen.items()}
        inside = np.ones(len(frame), dtype=bool)
        for m in masks.values():
            inside &= m
        present = {col: [v for v in values if v in set(frame.loc[inside, col])] for col, values in chosen.items()}
        if present == chosen or not inside.any():
            break
        chosen = present
    for col in filters:  # a criterion left at « all » is the values the view holds: relaxed, it may add agents
        if col in frame.columns and col not in chosen:
            masks[col] = frame[col].isin(frame.loc[inside, col].unique()).to_numpy()
    cols = list(masks)
    neighbours = []
    for r in range(1, 2 ** len(cols)):
        parent = np.ones(len(frame), dtype=bool)
        for i, col in enumerate(cols):
            if not r >> i & 1:
                parent &= masks[col]
        neighbours.append(parent)
    for col, values in chosen.items():
        if len(values) > 1:
            column = frame[col].to_numpy(object)
            neighbours.extend(inside & (column != v) for v in values)
    return inside, neighbours


def filter_refusal(frame: pd.DataFrame, filters: dict, *, min_cell: int = MIN_CELL) -> str | None:
    """A French message when the rows of ``frame`` selected by ``filters`` (column -> chosen values; empty =
    all) must not be described, else None.

    Two views a reader can both open give, by difference, the agents in one and not the other: « DAJ » (18
    agents) minus « DAJ, filière autre que médico-sociale » (17) is one agent, whose age and quotité follow from
    the two means. So a view is refused when it holds 1-4 agents or when it differs by 1-4 agents from one of
    its neighbours (:func:`view_neighbours`).
    """
    inside, neighbours = view_neighbours(frame, filters)
    n = int(inside.sum())
    sizes = np.array([int(m.sum()) for m in neighbours] + [0], dtype=np.int64)
    diff = np.abs(sizes[:-1] - n)
    refused = 0 < n < min_cell or bool(((diff > 0) & (diff < min_cell)).any())
    return FILTER_REFUSED.format(n=min_cell) if refused else None


def differencing_cells(frame: pd.DataFrame, filters: dict, keys: list[str], *,
                       min_cell: int = MIN_CELL) -> pd.DataFrame:
    """The cells (``keys`` values) of a view's breakdown that a neighbouring view's same breakdown would give
    away: ``keys`` + ``exposed``, True where the cell's count differs by 1-4 agents from the same cell in one of
    the views of :func:`view_neighbours`. « DAJ » and « DAJ, filière autre que médico-sociale » may each hold
    enough agents, yet their pyramids differ by one woman aged 30-34: those cells are hidden as if small (then
    protected by the complementary cells like any other)."""
    inside, neighbours = view_neighbours(frame, filters)
    codes, uniques = pd.MultiIndex.from_frame(frame[keys].astype(object).fillna("—")).factorize()
    k = len(uniques)
    own = np.bincount(codes[inside], minlength=k)
    exposed = np.zeros(k, dtype=bool)
    for m in neighbours:
        d = np.abs(np.bincount(codes[m], minlength=k) - own)
        exposed |= (d > 0) & (d < min_cell) & (own > 0)
    out = uniques.to_frame(index=False)
    out.columns = keys
    out["exposed"] = exposed
    return out[own > 0].reset_index(drop=True)


# ------------------------------------------------------------------------------- personal data in text cells

_SEP = "[ .\\-\u00a0\u202f\u2007\u2009]?"  # between digit groups: space, no-break spaces (French Excel), dot, dash
PERSONAL_PATTERNS = {
    # NIR (numéro de sécurité sociale): sex digit, birth year and month (20 for unknown, 30-42 or 50-99 for some
    # registrations), département (2A/2B for Corsica), commune, order number, optional 2-digit key; the groups
    # separated as people type them
    "NIR": rf"(?<![0-9A-Za-z])[1-478]{_SEP}\d{{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d{{2}}|2[AaBb]){_SEP}"
           rf"\d{{3}}{_SEP}\d{{3}}(?:{_SEP}\d{{2}})?(?![0-9A-Za-z])",
    # an address, or anything written like one: a word character on each side of an @ (« jean@cd » included)
    "e-mail": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*",
    # French numbers: 0X XX XX XX XX, +33 X XX XX XX XX, +33 (0)X XX XX XX XX, 0033 ..., groups separated or not
    "téléphone": rf"(?<!\d)(?:(?:\+|00)33{_SEP}(?:\(0\){_SEP})?|0)[1-9](?:{_SEP}\d{{2}}){{4}}(?!\d)",
}
"""What a stored text cell must never hold, by the name shown in the quality report. Matched after Unicode
NFKC, so full-width digits and ＠ are caught as well."""


def _nfkc(values: pd.Series) -> pd.Series:
    return values.astype("string").str.normalize("NFKC")


def personal_data_kind(values: pd.Series) -> pd.Series:
    """For each text cell, the kind of personal data it holds ("NIR", "e-mail", "téléphone") or "".

    Applied once per distinct value: a column of 1,000,000 cells holds a few hundred distinct directions.
    """
    out = pd.Series("", index=values.index, dtype=object)
    if not len(values):
        return out
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    distinct = _nfkc(pd.Series(uniques, dtype="string"))
    kind = pd.Series("", index=distinct.index, dtype=object)
    for name, pattern in PERSONAL_PATTERNS.items():
        hit = distinct.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool) & (kind == "").to_numpy()
        kind[hit] = name
    found = kind.to_numpy()[np.where(codes < 0, 0, codes)] if len(distinct) else np.full(len(values), "", object)
    out[:] = np.where(codes < 0, "", found)
    return out


def redact(values: pd.Series) -> pd.Series:
    """The same text with every NIR, e-mail and telephone number replaced by a marker: for the cells that are
    kept for a person to read (quarantined rows, reasons quoting a value). A cell with one is given in its
    NFKC form, the form it was found in."""
    out = values.astype("string")
    normal = _nfkc(out)
    for name, pattern in PERSONAL_PATTERNS.items():
        hit = normal.str.contains(pattern, regex=True).fillna(False)
        if hit.any():
            out = out.where(~hit, normal.str.replace(pattern, f"[{name} supprimé]", regex=True))
            normal = _nfkc(out)
    return out


def redact_text(text: str | None) -> str | None:
    """`redact` of one text (a file name, a title line)."""
    return None if text is None else str(redact(pd.Series([text], dtype="string")).iloc[0])


FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula.

OWASP « CSV Injection »: ``=``, ``+``, ``-``, ``@``, tab and carriage return, and the full-width ``＝ ＋ － ＠``
(some spreadsheets fold them to ASCII); ASVS 5.0 (1.2.10) adds NUL; line feed is taken with carriage return.
``|`` is left out: alone it triggers nothing, and a DDE payload (``=cmd|' /C calc'!A0``) starts with one of the
characters above. Only the very first character counts, as in the OWASP rule: « -3,5 » written by us as a
number stays a number; a text « -3,5 » becomes « '-3,5 »."""
