"""A clean DSN file read at once with array operations (:func:`read_whole`), the fast road of
:func:`workforce.ingest.dsn.read_dsn`.

Why apart: the line-by-line parser of :mod:`workforce.ingest.dsn` names every fault where it is, at about 16 µs a
line; a month of 8,000 agents is 200,000 lines. When nothing in a file is out of place, the line starts, keys,
quotes, block occurrences, parents and block order are checked on numpy arrays of its bytes and each plain
individu's row is built a column at a time; anything else (a fault anywhere, an individu with several contracts, an
end or a suspension) goes through the line parser's own code, so both roads give the same rows (the tests compare).
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from workforce.ingest import columns as C
from workforce.ingest import dsn_codes as K
from workforce.ingest.dsn import (MAX_LINE, NBI, ORDERED_PARENTS, REGIME, SIRET, DsnFile, _Block, _DECIMAL,
                                  _INTEGER, _Individu, _NIR, _Parser, _date, _frames, _rows)
from workforce.ingest.errors import ExtractRejected
from workforce.ingest.read import SHAPE


_BLOCKS = sorted(K.BLOCK_PARENT)
_CODE = np.array([int(b[1:3]) * 10000 + int(b[5:7]) * 100 + int(b[8:10]) for b in _BLOCKS], dtype=np.int64)
_ORDER = np.argsort(_CODE)
_CODE, _BLOCKS = _CODE[_ORDER], [_BLOCKS[i] for i in _ORDER]


def _depth(block: str) -> int:
    parent = K.BLOCK_PARENT[block]
    return 0 if parent is None else 1 + _depth(parent)


_DEPTH = np.array([_depth(b) for b in _BLOCKS], dtype=np.int64)
_PARENT = np.array([_CODE[_BLOCKS.index(K.BLOCK_PARENT[b])] if K.BLOCK_PARENT[b] else -1 for b in _BLOCKS])
_ORDERED = np.isin(_PARENT, [_CODE[_BLOCKS.index(b)] for b in ORDERED_PARENTS])
_KEY_DIGITS = [1, 2, 5, 6, 8, 9, 11, 12, 13]
_KEY_MARKS = {0: ord("S"), 3: ord("."), 4: ord("G"), 7: ord("."), 10: ord("."), 14: ord(",")}


def _code(block: str) -> int:
    return int(_CODE[_BLOCKS.index(block)])


def read_whole(data: bytes, lines: list[str], name: str) -> DsnFile | None:
    """The file read at once with array operations, when nothing in it is out of place: every line well formed,
    every block known and under its parent, in order, the individus' values in their lists. None otherwise: the
    line-by-line :class:`_Parser` then reads it and names each fault (same rows either way; the tests compare).
    Individus with anything but one plain contract go through :func:`_rows` as the line parser's do."""
    n = len(lines)
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(buf == 10) + 1][:n]
    if len(starts) != n:
        return None
    ends = np.r_[starts[1:] - 1, len(buf)]
    if n and ends[-1] > starts[-1] and buf[ends[-1] - 1] == 10:
        ends[-1] -= 1
    cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
    length = ends - cr - starts  # characters: ISO-8859-1 is one byte a character
    if not len(length) or length.min() < 15 or length.max() > MAX_LINE:
        return None
    key = buf[starts[:, None] + np.arange(15)].astype(np.int64)
    if any((key[:, i] != c).any() for i, c in _KEY_MARKS.items()):
        return None
    d = key[:, _KEY_DIGITS] - 48
    if ((d < 0) | (d > 9)).any():
        return None
    blk = (d[:, 0] * 10 + d[:, 1]) * 10000 + (d[:, 2] * 10 + d[:, 3]) * 100 + d[:, 4] * 10 + d[:, 5]
    rub = d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]
    quotes = np.flatnonzero(buf == 39)
    cend = starts + length
    n_quotes = np.searchsorted(quotes, cend) - np.searchsorted(quotes, starts + 15)
    quoted = (length >= 17) & (buf[np.minimum(starts + 15, len(buf) - 1)] == 39) & (buf[cend - 1] == 39)
    if (~quoted & (n_quotes > 0)).any():
        return None
    kind = np.searchsorted(_CODE, blk)
    if (kind >= len(_CODE)).any() or (_CODE[np.minimum(kind, len(_CODE) - 1)] != blk).any():
        return None
    # block occurrences: a new one where the block changes or a rubrique number does not go up
    new = np.r_[True, (blk[1:] != blk[:-1]) | (rub[1:] <= rub[:-1])]
    occ_line = np.flatnonzero(new)
    occ_of_line = np.cumsum(new) - 1
    occ_kind = kind[occ_line]
    occ_blk = blk[occ_line]
    depth = _DEPTH[occ_kind]
    n_occ = len(occ_line)
    # the parent of an occurrence is the last occurrence above it no deeper than the parent's depth
    idx = np.arange(n_occ)
    parent_occ = np.full(n_occ, -1)
    for level in range(int(depth.max())):
        last = np.maximum.accumulate(np.where(depth <= level, idx, -1))
        at = depth == level + 1
        parent_occ[at] = np.r_[-1, last[:-1]][at]
    child = depth > 0
    if (parent_occ[child] < 0).any() or (occ_blk[parent_occ[child]] != _PARENT[occ_kind[child]]).any():
        return None
    ordered = np.flatnonzero(_ORDERED[occ_kind])
    by_parent = ordered[np.argsort(parent_occ[ordered], kind="stable")]
    same = parent_occ[by_parent[1:]] == parent_occ[by_parent[:-1]]
    if (same & (occ_blk[by_parent[1:]] % 100 < occ_blk[by_parent[:-1]] % 100)).any():
        return None
    total = np.flatnonzero(blk == _code(K.TOTAL))
    if not len(total) or (blk[total[0]:] != _code(K.TOTAL)).any():
        return None

    vstart = 15 + quoted
    vend = length - quoted

    def values(mask) -> tuple[np.ndarray, list[str]]:
        at = np.flatnonzero(mask)
        return at, [lines[i][a:b] for i, a, b in zip(at.tolist(), vstart[at].tolist(), vend[at].tolist())]

    # établissement of each line: SIREN (06.001) then SIRET (SIREN + 11.001) as the line parser keeps them
    siren_at, siren_v = values((blk == _code(K.ENTREPRISE)) & (rub == 1))
    siret_at, nic_v = values((blk == _code(K.ETABLISSEMENT)) & (rub == 1))
    siren_of = np.searchsorted(siren_at, siret_at) - 1
    sirets = np.array([""] + [(siren_v[k] if k >= 0 else "") + v for k, v in zip(siren_of.tolist(), nic_v)], object)
    siret_of_line = sirets[np.searchsorted(siret_at, np.arange(n), side="right")]

    parser = _Parser(name)
    parser.rubriques = n
    parser.seen_total = True
    roots = np.flatnonzero(depth == 0)
    for k, o in enumerate(roots.tolist()):
        b = _BLOCKS[occ_kind[o]]
        if b not in (K.DECLARATION, K.TOTAL):
            continue
        blk_o = _block(lines, b, o, occ_line, n, rub, vstart, vend)
        if b == K.TOTAL:
            parser.total = blk_o.values
            continue
        closing = occ_line[roots[k + 1]] - 1 if k + 1 < len(roots) else n - 1
        parser.siret = siret_of_line[closing]
        try:
            parser._declaration(blk_o)
        except ExtractRejected:
            return None
    try:
        month = parser.check(n)
    except ExtractRejected:
        return None

    # individus, their contracts and the contracts' ends and suspensions
    ind_occ = np.flatnonzero(occ_blk == _code(K.INDIVIDU))
    n_ind = len(ind_occ)
    ind_rank = np.full(n_occ, -1)
    ind_rank[ind_occ] = np.arange(n_ind)
    con_occ = np.flatnonzero(occ_blk == _code(K.CONTRAT))
    con_rank = np.full(n_occ, -1)
    con_rank[con_occ] = np.arange(len(con_occ))
    con_ind = ind_rank[parent_occ[con_occ]]
    sub_occ = np.flatnonzero(np.isin(occ_blk, [_code(K.FIN_CONTRAT), _code(K.SUSPENSION)]))
    n_con = np.bincount(con_ind, minlength=n_ind)
    subs_of_ind = np.bincount(con_ind[con_rank[parent_occ[sub_occ]]], minlength=n_ind)
    plain = (n_con == 1) & (subs_of_ind == 0)
    one_con = np.full(n_ind, -1)
    one_con[con_ind[n_con[con_ind] == 1]] = np.flatnonzero(n_con[con_ind] == 1)

    def column(block: str, number: int, rank: np.ndarray, size: int) -> list:
        at, vals = values((blk == _code(block)) & (rub == number))
        out = [None] * size
        for r, v in zip(rank[occ_of_line[at]].tolist(), vals):
            out[r] = v
        return out

    head = {r: column(K.INDIVIDU, int(r), ind_rank, n_ind) for r in ("001", "005", "006", "019", "020")}
    cols = {r: column(K.CONTRAT, int(r), con_rank, len(con_occ))
            for r in ("001", "004", "005", "006", "007", "009", "011", "012", "013", "014", "020", "021", "026",
                      "053", "055", "056", "057", "058", "059", "079")}
    con = {r: [c[i] if i >= 0 else None for i in one_con.tolist()] for r, c in cols.items()}
    rows = _plain_rows(head, con, plain, siret_of_line[occ_line[ind_occ]], occ_line[ind_occ] + 1)

    # the others, read as the line parser reads them
    departures, ended = [], 0
    others = np.flatnonzero(np.array([r is None for r in rows.tolist()], dtype=bool))
    if len(others):
        con_of = {}
        for c in con_occ.tolist():
            con_of.setdefault(int(ind_rank[parent_occ[c]]), []).append(c)
        sub_of = {}
        for s in sub_occ.tolist():
            sub_of.setdefault(int(parent_occ[s]), []).append(s)
        for i in others.tolist():
            o = int(ind_occ[i])
            ind = _Individu(int(occ_line[o]) + 1, siret_of_line[occ_line[o]],
                            _block(lines, K.INDIVIDU, o, occ_line, n, rub, vstart, vend))
            for c in con_of.get(i, []):
                contract = [_block(lines, K.CONTRAT, c, occ_line, n, rub, vstart, vend), [], []]
                for s in sub_of.get(c, []):
                    b = _BLOCKS[occ_kind[s]]
                    contract[1 if b == K.FIN_CONTRAT else 2].append(_block(lines, b, s, occ_line, n, rub, vstart,
                                                                           vend))
                ind.contracts.append(contract)
            row, dep, end = _rows([ind], month, name)
            rows[i] = row[0] if row else False
            departures += dep
            ended += end
    frame, deps, ended = _frames([r for r in rows.tolist() if r is not False], departures, ended)
    return DsnFile(name, month, parser.declarations, frame, deps, n_ind, ended, n)


def _block(lines, block: str, o: int, occ_line, n: int, rub, vstart, vend) -> _Block:
    """One block occurrence as the line parser builds it."""
    first = int(occ_line[o])
    last = int(occ_line[o + 1]) if o + 1 < len(occ_line) else n
    b = _Block(block, first + 1)
    for i in range(first, last):
        r = f"{rub[i]:03d}"
        b.values[r] = lines[i][vstart[i]:vend[i]]
        b.lines[r] = i + 1
        b.last = r
    return b


def _each(column: pd.Series, fn) -> pd.Series:
    """fn of each value of a text column, computed once per distinct value (None where the cell is absent)."""
    distinct = column.dropna().unique()
    return column.map(dict(zip(distinct, map(fn, distinct))))


def _plain_rows(head: dict, con: dict, plain: np.ndarray, sirets, lines) -> np.ndarray:
    """The row of each individu with one contract, no end and no suspension, whose values are all in their lists
    (None for the others, which go through :func:`_rows`): the same dict :func:`_rows` builds for them, the
    checks of :class:`_Faults` made a column at a time."""
    h = pd.DataFrame(head, dtype=object)
    c = pd.DataFrame(con, dtype=object)

    def blank(s: pd.Series) -> np.ndarray:
        return (s.isna() | s.eq("")).to_numpy()

    def fits(s: pd.Series, codes) -> np.ndarray:
        return blank(s) | s.isin(list(codes)).to_numpy()

    def matches(s: pd.Series, pattern) -> np.ndarray:
        return blank(s) | _each(s, lambda v: pattern.fullmatch(v) is not None).eq(True).to_numpy()

    nir, matricule, temp = h["001"], h["019"], h["020"]
    ok = plain & (~blank(matricule) | (~blank(nir) & matches(nir, _NIR)) | (blank(nir) & ~blank(temp)))
    agent = np.where(~blank(matricule), matricule, np.where(~blank(nir), nir, temp))
    dates = {v: _date(v) for v in {*head["006"], *con["001"]}}
    birth, start = [dates[v] for v in head["006"]], [dates[v] for v in con["001"]]
    ok &= np.array([b is not None and s is not None for b, s in zip(birth, start)], dtype=bool)
    ok &= fits(h["005"], K.SEXE)
    for r in ("007", "011", "014", "020", "021", "026", "053", "056"):
        ok &= fits(c[r], K.CHECKED[(K.CONTRAT, r)])
    ok &= ~blank(c["007"]) & c["026"].isin(list(K.STATUT_BY_CODE)).to_numpy() & fits(c["056"], K.SERVICE_CATEGORY)
    for r in ("055", "013", "012", "059"):
        ok &= matches(c[r], _DECIMAL)
    ok &= matches(c["058"], _INTEGER) & matches(c["057"], _INTEGER)
    net = c["005"].fillna("").str[:1].astype(object)
    categorie = net.where(net.isin(K.NET_CATEGORY_PREFIX), c["004"].fillna("").str[:1].astype(object)
                          .map(K.PCS_CATEGORY))
    ok &= categorie.notna().to_numpy()
    statut = c["026"].map(K.STATUT_BY_CODE)
    temporary = (statut.eq(K.STATUT_PERMANENT) & c["007"].isin(K.NON_PERMANENT_NATURES)
                 & c["021"].isin(K.NON_PERMANENT_RECOURS))
    statut = statut.where(~temporary, K.STATUT_NON_PERMANENT)
    quotite = _each(c["055"].fillna("") + "|" + c["013"].fillna("") + "|" + c["012"].fillna(""), _quotite_of)
    regime = c["020"].map(lambda v: K.REGIME_LABEL.get(v or "", v))
    service = c["056"].map(lambda v: K.SERVICE_CATEGORY.get(v or "01"))
    contract = c["009"].fillna("") + "|" + c["001"].fillna("")
    sex = h["005"].map(lambda v: K.SEX.get(v or ""))

    def out_of(s) -> list:
        s = s.astype(object) if isinstance(s, pd.Series) else s
        return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in
                (s.tolist() if isinstance(s, pd.Series) else list(s))]

    def text(s: pd.Series) -> list:  # a rubrique's own value: None when absent, "" when empty
        return s.tolist()

    def number(s: pd.Series) -> list:
        return [v or None for v in s.tolist()]

    names = (C.AGENT_ID, C.BIRTH_DATE, C.SEX, C.STATUT, C.CATEGORIE, C.GRADE, C.METIER_LABEL, C.QUOTITE,
             C.ENTRY_DATE, C.SERVICE_CATEGORY, C.POSITION, C.INDICE, REGIME, NBI, SIRET, "contract", "line", SHAPE)
    keep = np.flatnonzero(ok)
    columns = [out_of(agent), birth, out_of(sex), out_of(statut), out_of(categorie),
               text(c["079"]), text(c["006"]), out_of(quotite), start, out_of(service),
               ["activite"] * len(ok), number(c["058"]), out_of(regime), number(c["059"]), list(sirets),
               contract.tolist(), [int(x) for x in lines], [""] * len(ok)]
    out = np.full(len(plain), None, dtype=object)
    picked = [[col[i] for i in keep.tolist()] for col in columns]
    out[keep] = [dict(zip(names, t)) for t in zip(*picked)]
    return out


def _quotite_of(key: str) -> str | None:
    """:func:`_quotite` from « rate|quotité|reference » (each possibly empty)."""
    rate, mine, ref = key.split("|")
    if rate:
        return f"{float(rate) / 100:.6g}"
    if mine and ref and float(ref) > 0:
        return f"{round(float(mine) / float(ref), 4):.6g}"
    return None
