"""Monte Carlo mode: seeded replicates where each agent leaves (by one cause) or stays, moves or not; hires are
individuals.

The same posts rule as the expected mode, drawn in whole posts (Poisson vacancies at the start, binomial spills
and cuts), so that its mean converges to the expected mode. Replicates run in chunks of :data:`MC_CHUNK`
(fixed, seeded from the scenario's seed), several chunks per joblib task (:data:`MC_BATCH`): the same numbers
whatever the number of workers. P10/P50/P90 bands by total, catégorie, direction, métier and famille
(quantiles do not add up, so each level has its own).

Hazard uncertainty, as in the retirement forecast (:mod:`workforce.forecast.retirement_forecast`): each
replicate draws log-odds shifts of the retirement hazards, one common to its years (``level_sd_`` of the
retirement model) plus one per year (``year_sd_``), with
:func:`workforce.forecast.retirement_forecast.hazard_effects`, and moves every uncertain retirement probability
(base agents and hires) with :func:`workforce.forecast.retirement_forecast.shift_hazard`; the exits keep theirs. The bands
then hold the uncertainty of the fitted hazards as well as the agent-level draws (:func:`band_method`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed

from workforce.forecast.retirement_forecast import (BAND_METHOD, BAND_METHOD_AGENTS_ONLY, BAND_METHOD_CALIBRATED,
                                                    hazard_effects, shift_hazard, yearly_sd)
from workforce.projection.expected import hire_means, single_thread
from workforce.projection.knobs import Knobs
from workforce.projection.names import (ETP, EXITS, HEADCOUNT, HIRES, LEVELS, MC_BATCH, MC_CHUNK, MC_INDICATORS,
                                        MOBILITY_IN, MOBILITY_OUT, P10, P50, P90, RETIREMENTS)
from workforce.projection.prepared import Prepared, level_maps


@dataclass
class McStart:
    """What every chunk of replicates starts from, computed once per run and shipped to the workers."""

    heads: np.ndarray  # (C, M, D) headcount at the start
    etp: np.ndarray  # (C, M, D) ETP at the start
    dep0: np.ndarray  # (C, M, D) expected departures of the first year (posts vacant at the start)
    hire_etp_c: np.ndarray  # (C,) mean quotité of a hire by catégorie
    cum: np.ndarray  # (H, n, 1 + K) float32: cumulative cause probabilities of the base agents, year-major
    tcum: np.ndarray  # (H, cohort x template, 1 + K) float32: the same for the hire pseudo-agents
    n_templates: int
    level_sd: float = 0.0  # retirement hazard uncertainty (log-odds), common to a replicate's years
    year_sd: float | np.ndarray = 0.0  # ... drawn each year (one value per year once calibrated by horizon)

    @property
    def uncertain(self) -> bool:
        return self.level_sd > 0 or bool(np.any(np.asarray(self.year_sd) > 0))


@dataclass
class _Hires:
    """The hires of a chunk, flat arrays (replicate, cell, kind = cohort x template, quotité); the ``n`` present
    ones at the front."""

    rep: np.ndarray
    cell: np.ndarray
    kind: np.ndarray
    q: np.ndarray
    n: int = 0

    @classmethod
    def empty(cls, cap: int) -> "_Hires":
        return cls(np.zeros(cap, np.int64), np.zeros(cap, np.int64), np.zeros(cap, np.int64), np.zeros(cap, np.float64))

    def _arrays(self) -> tuple[str, ...]:
        return ("rep", "cell", "kind", "q")

    def keep(self, stay: np.ndarray) -> None:
        """Compact the hires at positions ``stay`` at the front."""
        for name in self._arrays():
            arr = getattr(self, name)
            arr[: len(stay)] = arr[stay]
        self.n = len(stay)

    def add(self, rep: np.ndarray, cell: np.ndarray, kind: np.ndarray, q: np.ndarray) -> None:
        """Append new hires (the arrays at least double when full)."""
        new = len(rep)
        if self.n + new > len(self.rep):
            grow = max(2 * len(self.rep), self.n + new)
            for name in self._arrays():
                arr = getattr(self, name)
                bigger = np.zeros(grow, arr.dtype)
                bigger[: self.n] = arr[: self.n]
                setattr(self, name, bigger)
        sl = slice(self.n, self.n + new)
        self.rep[sl], self.cell[sl], self.q[sl] = rep, cell, q
        self.kind[sl] = kind
        self.n += new


def _mc_chunk(p: Prepared, kn: Knobs, start: McStart, reps: int, seed, levels: "_McLevels") -> tuple:
    """Simulate ``reps`` replicates; returns (per-replicate group sums (reps, H + 1, I, G) float32,
    sum over replicates of the cell values (H + 1, I, NC))."""
    with single_thread():
        return _McChunk(p, kn, start, reps, seed, levels).simulate()


def _mc_batch(p: Prepared, kn: Knobs, start: McStart, chunks: list, levels: "_McLevels") -> tuple:
    """Several chunks in one worker, in order: the banded group columns of every replicate (float32), the sum of
    every group over replicates (for the means) and the sum of every cell over replicates (float32)."""
    groups, sums, cells = [], None, None
    for reps, seed in chunks:
        g, c = _mc_chunk(p, kn, start, reps, seed, levels)
        groups.append(g[:, :, levels.band_i, levels.band_g])
        s = g.astype(np.float64).sum(axis=0)
        sums = s if sums is None else sums + s
        cells = c if cells is None else cells + c
    return np.concatenate(groups, axis=0), sums, cells.astype(np.float32)


BAND_DETAIL = (HEADCOUNT, ETP, RETIREMENTS, EXITS, HIRES, MOBILITY_IN, MOBILITY_OUT)
"""Indicators with bands at the métier and famille levels (every indicator has them at the other levels): exits by
motive and métier would cost more memory than they tell."""


@dataclass
class _McLevels:
    """Group ids of every cell for the band levels, concatenated: ``gid`` (L, NC) with global ids in 0..G-1;
    ``band_i, band_g`` the (indicator, group) pairs whose replicates are kept for the bands."""

    gid: np.ndarray
    n_groups: int
    offsets: list
    fam_matrix: np.ndarray
    band_i: np.ndarray = None
    band_g: np.ndarray = None


def _mc_levels(p: Prepared) -> _McLevels:
    maps = level_maps(p)
    offsets, gids = [], []
    off = 0
    for level in LEVELS:
        g, labels = maps[level]
        gids.append(g + off)
        offsets.append((level, off, labels))
        off += len(labels)
    fam_labels, fam_idx = np.unique(p.familles.astype(str), return_inverse=True)
    fam_matrix = np.zeros((len(p.metiers), len(fam_labels)))
    fam_matrix[np.arange(len(p.metiers)), fam_idx] = 1.0
    keep = np.zeros((len(MC_INDICATORS), off), bool)
    for level, o, labels in offsets:
        rows = [i for i, name in enumerate(MC_INDICATORS) if level not in ("metier", "famille") or name in BAND_DETAIL]
        keep[np.ix_(rows, np.arange(o, o + len(labels)))] = True
    band_i, band_g = np.nonzero(keep)
    return _McLevels(np.stack(gids).astype(np.int64), off, offsets, fam_matrix, band_i, band_g)


class _McChunk:
    """One chunk of Monte Carlo replicates: base agents as (reps, n) arrays, hires as flat arrays.

    Counting avoids (replicate x cell x indicator) arrays: stocks are counted by (replicate, cell) and reduced
    to groups along the cell axes; events (departures, moves) are counted straight into (replicate, group)."""

    def __init__(self, p: Prepared, kn: Knobs, start: McStart, reps: int, seed, levels: _McLevels):
        self.p, self.kn, self.start, self.reps, self.levels = p, kn, start, reps, levels
        self.rng = np.random.default_rng(seed)
        C, M, D = p.shape
        self.C, self.M, self.D, self.NC = C, M, D, C * M * D
        self.K = len(p.motives)
        self.ix = {name: i for i, name in enumerate(MC_INDICATORS)}
        self.exit_ix = np.array([self.ix[f"exits_{m}"] for m in p.motives], np.int64)
        H = kn.H
        self.groups = np.zeros((reps, H + 1, len(MC_INDICATORS), levels.n_groups), np.float32)
        self.cell_sum = np.zeros((H + 1, len(MC_INDICATORS), self.NC))

    # ---------------------------------------------------------------- counting helpers
    def _stock_groups(self, by_cell: np.ndarray) -> np.ndarray:
        """(reps, NC) -> (reps, G) over the levels total, catégorie, direction, métier, famille."""
        x = by_cell.reshape(-1, self.C, self.M, self.D)
        by_cm = x.sum(axis=3)
        by_cat = by_cm.sum(axis=2)
        by_met = by_cm.sum(axis=1)
        by_dir = x.sum(axis=(1, 2))
        total = by_cat.sum(axis=1, keepdims=True)
        return np.concatenate([total, by_cat, by_dir, by_met, by_met @ self.levels.fam_matrix], axis=1)

    def _from_cm_d(self, cm: np.ndarray, d: np.ndarray) -> np.ndarray:
        """(reps, C*M) and (reps, D) sums -> (reps, G) in :data:`LEVELS` order."""
        x = cm.reshape(-1, self.C, self.M)
        by_cat = x.sum(axis=2)
        by_met = x.sum(axis=1)
        return np.concatenate([by_cat.sum(axis=1, keepdims=True), by_cat, d, by_met, by_met @ self.levels.fam_matrix],
                              axis=1)

    def _groups_of(self, rep: np.ndarray, cell: np.ndarray, weights=None) -> np.ndarray:
        """Events (replicate, cell[, weight]) summed into (reps, G) for every level: two bincounts, by
        (replicate, catégorie x métier) and by (replicate, direction); the other levels are sums of those."""
        CM, D = self.C * self.M, self.D
        cm = np.bincount(rep * CM + cell // D, weights=weights, minlength=self.reps * CM).reshape(self.reps, CM)
        d = np.bincount(rep * D + cell % D, weights=weights, minlength=self.reps * D).reshape(self.reps, D)
        return self._from_cm_d(cm, d)

    def _put_departures(self, t: int, rep: np.ndarray, cell: np.ndarray, cause: np.ndarray) -> np.ndarray:
        """Record departures by cause; returns their count by (replicate, group)."""
        K1 = self.K + 1
        C, M, D, reps = self.C, self.M, self.D, self.reps
        CM = C * M
        cm = np.bincount((rep * CM + cell // D) * K1 + cause, minlength=reps * CM * K1).reshape(reps, C, M, K1)
        dd = np.bincount((rep * D + cell % D) * K1 + cause, minlength=reps * D * K1).reshape(reps, D, K1)
        by_cat = cm.sum(axis=2)
        by_met = cm.sum(axis=1)
        by_fam = np.matmul(by_met.transpose(0, 2, 1), self.levels.fam_matrix).transpose(0, 2, 1)
        by = np.concatenate([by_cat.sum(axis=1, keepdims=True), by_cat, dd, by_met, by_fam], axis=1)  # (reps, G, K1)
        cells = np.bincount(cell * K1 + cause, minlength=self.NC * K1).reshape(self.NC, K1)
        ret, ex = self.ix[RETIREMENTS], self.ix[EXITS]
        self.groups[:, t, ret] = by[:, :, 0]
        exits = by[:, :, 1:].sum(axis=2)
        self.groups[:, t, ex] = exits
        self.cell_sum[t, ret] += cells[:, 0]
        self.cell_sum[t, ex] += cells[:, 1:].sum(axis=1)
        if self.K:
            self.groups[:, t, self.exit_ix] = np.moveaxis(by[:, :, 1:], 2, 1)
            self.cell_sum[t, self.exit_ix] += cells[:, 1:].T
        return by[:, :, 0] + exits

    # ---------------------------------------------------------------- simulation
    def simulate(self):
        """Every year in order: departures and moves (:meth:`_leave_and_move`), their counts
        (:meth:`_record_moves`), the posts rule (:meth:`_recruit`) and the new hires (:meth:`_hire`)."""
        p, kn, reps = self.p, self.kn, self.reps
        C, M, D, NC = self.C, self.M, self.D, self.NC
        n = p.n_agents
        # the replicates' retirement hazard effects, first from the chunk's generator (reps, H)
        self.effects = hazard_effects(reps, kn.H, self.start.level_sd, self.start.year_sd, self.rng)
        cat = p.agent_cat.astype(np.int64)
        tcat = p.tmpl_cat.astype(np.int64)
        self.tmpl_of_cat = [np.flatnonzero(tcat == c) for c in range(C)]
        self.tmpl_cum = [np.cumsum(p.tmpl_share[ids]) for ids in self.tmpl_of_cat]
        self.p_move = np.tile(p.mobility.move_probability().ravel(), C).astype(np.float32)  # (NC,) by cell
        self.p_move_max = np.float32(self.p_move.max() if len(self.p_move) else 0.0)

        heads0 = self.start.heads.ravel()
        etp0 = self.start.etp.ravel()
        i_heads, i_etp = self.ix[HEADCOUNT], self.ix[ETP]
        self.g_heads = np.repeat(self._stock_groups(heads0[None, :]), reps, axis=0)  # (reps, G), kept up to date
        self.g_etp = np.repeat(self._stock_groups(etp0[None, :]), reps, axis=0)
        self.groups[:, 0, i_heads], self.groups[:, 0, i_etp] = self.g_heads, self.g_etp
        self.c_heads, self.c_etp = heads0 * reps, etp0 * reps  # sums over replicates by cell
        self.cell_sum[0, i_heads], self.cell_sum[0, i_etp] = self.c_heads, self.c_etp
        self.gap = np.zeros(reps * NC)  # posts - agents - recruitments under way, by (replicate, cell)

        self.alive = np.ones((reps, n), bool)
        self.a_cell = np.repeat(((cat * M + p.agent_metier) * D + p.agent_direction)[None, :], reps, axis=0)
        self.hires = _Hires.empty(max(1024, reps * n))  # alive ones compacted at the front every year

        delay = kn.delay
        self.a_full, self.b_frac = int(np.floor(delay)), delay - np.floor(delay)
        self.pending = np.zeros((self.a_full + 2, reps * NC))
        self.ring = 0  # slot (ring + j) % len(pending) of the pending recruitments is due j years from now
        self.replacement = np.tile(kn.replacement.ravel(), reps)
        for k in range(kn.H):
            t = k + 1
            departures, moves = self._leave_and_move(k)
            self._record_moves(t, departures, moves)
            hired_at, n_at = self._recruit(k, departures)
            self._hire(k, hired_at, n_at)
            self.groups[:, t, i_heads], self.groups[:, t, i_etp] = self.g_heads, self.g_etp
            self.cell_sum[t, i_heads], self.cell_sum[t, i_etp] = self.c_heads, self.c_etp
        return self.groups, self.cell_sum

    def _leave_and_move(self, k: int) -> tuple[tuple, tuple]:
        """Year k's departures ``(replicate, cell, cause, quotité)`` and moves ``(replicate, old cell, new cell,
        quotité)`` of the base agents, then of the hires of earlier years."""
        p, rng, op = self.p, self.rng, self.p.mobility
        quot = p.agent_quotite
        p_move = self.p_move
        # ---- one uniform per agent: leave (by which cause), else move or stay
        u = rng.random((self.reps, p.n_agents), dtype=np.float32)
        cum_k = self.start.cum[k]
        if self.start.uncertain:  # (reps, n): the retirement probability moved by each replicate's effect
            pl, shift = self._shifted(cum_k, self.effects[:, k][:, None])
        else:
            pl, shift = cum_k[:, -1], None
        # flat positions (replicate x n + agent): one index array instead of two, gathers on 1-D views
        n = p.n_agents
        flat_u, flat_cell, flat_alive = u.reshape(-1), self.a_cell.reshape(-1), self.alive.reshape(-1)
        # one pass over (replicates x agents): the candidates, whose uniform falls below the largest chance of
        # leaving or moving; then among them the leavers (below pl) and the movers (the stayers whose uniform
        # falls in their cell's share of [pl, 1))
        cand = u < pl + (1.0 - pl) * self.p_move_max
        cand &= self.alive
        i_c = np.flatnonzero(cand)
        a_c = i_c % n
        u_c = flat_u[i_c]
        pl_c = pl[a_c] if shift is None else pl.reshape(-1)[i_c]
        leaves = u_c < pl_c
        i_l, a_i = i_c[leaves], a_c[leaves]
        r_i = i_l // n
        cause = self._causes(u_c[leaves], cum_k[a_i], None if shift is None else shift.reshape(-1)[i_l])
        d_cell = flat_cell[i_l]
        flat_alive[i_l] = False
        stays = ~leaves
        i_s, u_s, pl_s = i_c[stays], u_c[stays], pl_c[stays]
        c_cell = flat_cell[i_s]
        moving = u_s < pl_s + (1.0 - pl_s) * p_move[c_cell]
        i_m = i_s[moving]
        r_m, a_m = np.divmod(i_m, n)
        m_old = c_cell[moving]
        m_new = self._move_given(m_old, op, rng)
        flat_cell[i_m] = m_new
        d_rep, d_cells, d_causes, d_q = [r_i], [d_cell], [cause], [quot[a_i]]
        mv_rep, mv_old, mv_new, mv_q = [r_m], [m_old], [m_new], [quot[a_m]]
        # ---- the hires of earlier years, flat: leave (two stages: whether, then why), else maybe move
        h = self.hires
        if h.n:
            nh = h.n
            kind = h.kind[:nh]
            uh = rng.random(nh, dtype=np.float32)
            tc = self.start.tcum[k]
            if self.start.uncertain:
                pl_h, shift_h = self._shifted(tc[kind], self.effects[h.rep[:nh], k])
            else:
                pl_h, shift_h = tc[kind, -1], None
            lv = uh < pl_h
            hl = np.flatnonzero(lv)
            d_rep.append(h.rep[hl])
            d_cells.append(h.cell[hl])
            d_causes.append(self._causes(uh[hl], tc[kind[hl]], None if shift_h is None else shift_h[hl]))
            d_q.append(h.q[hl])
            h.keep(np.flatnonzero(~lv))  # compact the survivors
            cells_h = h.cell[:h.n]
            mh = np.flatnonzero(rng.random(h.n, dtype=np.float32) < p_move[cells_h])
            old = cells_h[mh]
            new = self._move_given(old, op, rng)
            h.cell[mh] = new
            mv_rep.append(h.rep[mh])
            mv_old.append(old)
            mv_new.append(new)
            mv_q.append(h.q[mh])
        departures = tuple(np.concatenate(x) for x in (d_rep, d_cells, d_causes, d_q))
        moves = tuple(np.concatenate(x) for x in (mv_rep, mv_old, mv_new, mv_q))
        return departures, moves

    @staticmethod
    def _shifted(cum: np.ndarray, effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Leaving probability and the retirement's shift (new - old) once the retirement probability
        (``cum[..., 0]``) is moved by ``effect`` (broadcast against ``cum[..., 0]``); a row whose causes add up to 1
        (certain departure at the age limit) keeps its probabilities. :func:`shift_hazard`'s rule, in float32
        from the log-odds computed once per row (its law zeros at -inf): the (replicates x agents) arrays of a
        year cost one exponential each."""
        r = cum[..., 0].astype(np.float32)
        total = cum[..., -1].astype(np.float32)
        x = total - r
        cap = np.clip(1.0 - x, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            logit = np.log(r) - np.log1p(-np.minimum(r, np.float32(1.0 - 1e-7)))
        z = np.add(logit, np.asarray(effect, np.float32))
        np.negative(z, out=z)
        with np.errstate(over="ignore"):
            np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)  # expit: exactly 0 where the law says 0
        np.minimum(z, cap, out=z)
        certain = total >= 1.0 - 1e-6
        if certain.any():
            z = np.where(certain, r, z)
        leave = z + x
        z -= r
        return leave, z

    @staticmethod
    def _causes(u: np.ndarray, cum: np.ndarray, shift: np.ndarray | None) -> np.ndarray:
        """Cause index of each leaver (0 = retirement) from its uniform and cumulative probabilities (leavers,
        1 + K); with a retirement ``shift``, below the moved retirement probability is a retirement and above it
        the exits keep their own widths."""
        if shift is None:
            return (u[:, None] >= cum).sum(axis=1)
        retire = u < cum[:, 0] + shift
        exits = ((u - shift)[:, None] >= cum).sum(axis=1)
        return np.where(retire, 0, np.clip(exits, 1, cum.shape[1] - 1))  # float32 rounding stays in the exits

    def _record_moves(self, t: int, departures: tuple, moves: tuple) -> None:
        """Record the flows of year t; stocks move by the events only."""
        NC, ix = self.NC, self.ix
        d_rep, d_cells, d_causes, d_q = departures
        mv_rep, mv_old, mv_new, mv_q = moves
        g_dep = self._put_departures(t, d_rep, d_cells, d_causes)
        g_out = self._groups_of(mv_rep, mv_old)
        g_in = self._groups_of(mv_rep, mv_new)
        self.groups[:, t, ix[MOBILITY_OUT]] = g_out
        self.groups[:, t, ix[MOBILITY_IN]] = g_in
        self.cell_sum[t, ix[MOBILITY_OUT]] += np.bincount(mv_old, minlength=NC)
        self.cell_sum[t, ix[MOBILITY_IN]] += np.bincount(mv_new, minlength=NC)
        self.g_heads = self.g_heads - g_dep + g_in - g_out
        self.g_etp = (self.g_etp - self._groups_of(d_rep, d_cells, d_q) + self._groups_of(mv_rep, mv_new, mv_q)
                      - self._groups_of(mv_rep, mv_old, mv_q))
        self.c_heads = (self.c_heads - np.bincount(d_cells, minlength=NC) + np.bincount(mv_new, minlength=NC)
                        - np.bincount(mv_old, minlength=NC))
        self.c_etp = (self.c_etp - np.bincount(d_cells, weights=d_q, minlength=NC)
                      + np.bincount(mv_new, weights=mv_q, minlength=NC)
                      - np.bincount(mv_old, weights=mv_q, minlength=NC))

    def _recruit(self, k: int, departures: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The posts rule of the expected mode in whole posts, replicate by replicate; returns the (replicate,
        cell) keys hiring at the end of year k and how many each.

        Only the gap posts - agents - recruitments under way is kept: a move carries its post (no change), a
        departure opens one (unless its post is cut), a demand change adds or removes posts."""
        kn, rng, reps, NC = self.kn, self.rng, self.reps, self.NC
        pending, gap = self.pending, self.gap
        delay, a_full, b_frac = kn.delay, self.a_full, self.b_frac
        d_rep, d_cells = departures[0], departures[1]
        t = k + 1
        if k == 0:  # posts vacant at the start: Poisson draws around the steady state, already in recruitment
            for j in range(pending.shape[0]):
                lam = (kn.replacement * self.start.dep0 * np.clip(delay - j, 0.0, 1.0)).ravel()
                cells = np.flatnonzero(lam > 0)  # draws for the cells that have some (most are empty)
                at = (np.arange(reps)[:, None] * NC + cells[None, :]).ravel()
                pending[j, at] = rng.poisson(np.tile(lam[cells], reps))
        key_d = d_rep * NC + d_cells
        rr = self.replacement[key_d]
        opens = np.ones(len(key_d))
        if np.any(rr != 1.0):  # each departure's post is cut with probability 1 - rate (rates above 1 add)
            u_d = rng.random(len(key_d))
            opens = np.where(rr < 1.0, (u_d < rr).astype(np.float64), 1.0 + np.floor(rr - 1.0 + u_d))
        np.add.at(gap, key_d, opens)
        if np.any(kn.demand[k + 1] != kn.demand[k]):
            d_demand = ((kn.demand[t] - kn.demand[k]) / self.start.hire_etp_c[:, None, None]).ravel()
            cells = np.flatnonzero(d_demand)  # the cells whose demand changes, not the empty ones
            at = (np.arange(reps)[:, None] * NC + cells[None, :]).ravel()
            gap[at] += np.floor(np.tile(d_demand[cells], reps) + rng.random(len(at)))  # unbiased whole posts
        if kn.freeze[k]:
            pending[:] = 0.0
            gap[:] = 0.0  # posts cut to the agents left
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        where = np.flatnonzero(gap > 0.5)
        n_open = gap[where].astype(np.int64)
        gap[where] -= n_open
        spill = rng.binomial(n_open, b_frac) if b_frac > 0 else np.zeros_like(n_open)
        P, base = len(pending), self.ring  # a ring: slot (base + j) % P is due j years from now
        pending[(base + a_full) % P, where] += n_open - spill
        pending[(base + a_full + 1) % P, where] += spill
        due = pending[base]
        hired_at = np.flatnonzero(due > 0.5)
        n_at = due[hired_at].astype(np.int64)
        due[hired_at] = 0.0
        self.ring = (base + 1) % P
        return hired_at, n_at

    def _hire(self, k: int, hired_at: np.ndarray, n_at: np.ndarray) -> None:
        """Hire ``n_at`` agents at each (replicate, cell) key ``hired_at`` at the end of year k, each drawn from
        the templates of the cell's catégorie."""
        total_new = int(n_at.sum())
        if not total_new:
            return
        p, rng, NC, t = self.p, self.rng, self.NC, k + 1
        keys = np.repeat(hired_at, n_at)
        nr, nc = np.divmod(keys, NC)
        ncat = nc // (self.M * self.D)
        tm_new = np.empty(total_new, np.int64)
        for c in range(self.C):  # three catégories, not agents
            sel = np.flatnonzero(ncat == c)
            if len(sel):
                ids, cw = self.tmpl_of_cat[c], self.tmpl_cum[c]
                pick = np.searchsorted(cw, rng.random(len(sel)) * cw[-1], side="right")
                tm_new[sel] = ids[np.clip(pick, 0, len(ids) - 1)]
        q_new = p.tmpl_quotite[tm_new]
        self.hires.add(nr, nc, k * self.start.n_templates + tm_new, q_new)  # cohort k x template
        g_new = self._groups_of(nr, nc)
        self.groups[:, t, self.ix[HIRES]] = g_new
        self.cell_sum[t, self.ix[HIRES]] += np.bincount(nc, minlength=NC)
        self.g_heads = self.g_heads + g_new
        self.g_etp = self.g_etp + self._groups_of(nr, nc, q_new)
        self.c_heads = self.c_heads + np.bincount(nc, minlength=NC)
        self.c_etp = self.c_etp + np.bincount(nc, weights=q_new, minlength=NC)

    def _move_given(self, cell: np.ndarray, op, rng) -> np.ndarray:
        """Destination cells of agents who move this year (catégorie kept)."""
        MD = self.M * self.D
        c, rest = np.divmod(cell, MD)
        m, d = np.divmod(rest, self.D)
        m2, d2 = op.draw_movers(m, d, rng)
        return c * MD + m2 * self.D + d2


def _worker_ready() -> int:
    return len(MC_INDICATORS)  # importing this module is the point


def warm_workers(n_jobs: int = 2) -> None:
    """Start the joblib workers and import the engine in them (about 2 s once), so that the first Monte Carlo run
    a user asks for does not pay it. The app calls it when it prepares the engine; the workers stay up for reuse."""
    if n_jobs != 1:
        Parallel(n_jobs=n_jobs)(delayed(_worker_ready)() for _ in range(max(n_jobs, 2)))


def hazard_uncertainty(p: Prepared, horizon: int) -> tuple[float, np.ndarray]:
    """``(level_sd, year_sd)`` of the retirement model the run reads, ``year_sd`` one value per year
    (:func:`workforce.forecast.retirement_forecast.yearly_sd`); 0 for a model without the estimate (the law
    alone, the documented prior)."""
    model = getattr(p._hazards, "retirement", None)
    return float(getattr(model, "level_sd_", 0.0) or 0.0), yearly_sd(model, horizon)


def band_method(p: Prepared) -> str:
    """How the Monte Carlo bands of a run on ``p`` are drawn, in French."""
    level_sd, year_sd = hazard_uncertainty(p, 1)
    if not (level_sd > 0 or np.any(year_sd > 0)):
        return BAND_METHOD_AGENTS_ONLY
    return BAND_METHOD_CALIBRATED if getattr(getattr(p._hazards, "retirement", None), "horizon_sd_", None) \
        else BAND_METHOD


def mc_start(p: Prepared, kn: Knobs, stock, values: dict) -> McStart:
    """The start of every chunk: ``stock`` (:func:`workforce.projection.expected.start_stock`), the expected
    mode's first-year departures, the cumulative cause probabilities, float32 like the uniforms they meet
    (computed once, not per chunk), and the retirement hazard uncertainty (:func:`hazard_uncertainty`)."""
    E, T, H = kn.tmpl_probs.shape[:3]
    level_sd, year_sd = hazard_uncertainty(p, kn.H)
    return McStart(
        heads=stock.heads, etp=stock.etp, dep0=values[RETIREMENTS][1] + values[EXITS][1],
        hire_etp_c=hire_means(p, kn)[0],
        cum=np.ascontiguousarray(np.cumsum(kn.probs.all(), axis=2).transpose(1, 0, 2)).astype(np.float32),
        tcum=np.ascontiguousarray(np.cumsum(kn.tmpl_probs, axis=3).reshape(E * T, H, -1)
                                  .transpose(1, 0, 2)).astype(np.float32),
        n_templates=T, level_sd=level_sd, year_sd=year_sd)


def run_mc(p: Prepared, kn: Knobs, stock, values: dict, seed: int, replicates: int, n_jobs: int, progress):
    """``replicates`` replicates of the scenario ``kn`` (seeded from ``seed``): returns the bands (mean,
    P10/P50/P90 by level, the banded replicates) and the replicate mean of every cell (H + 1, I, NC)."""
    levels = _mc_levels(p)
    start = mc_start(p, kn, stock, values)
    kn = dataclasses.replace(kn, probs=None, tmpl_probs=None)  # the workers need the sums only
    n_chunks = -(-replicates // MC_CHUNK)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    sizes = [min(MC_CHUNK, replicates - i * MC_CHUNK) for i in range(n_chunks)]
    slim = p.for_workers()
    chunks = list(zip(sizes, seeds))
    # fixed batches of chunks (MC_BATCH each), summed in order: the same numbers whatever the number of workers
    batches = [chunks[a:a + MC_BATCH] for a in range(0, len(chunks), MC_BATCH)]
    if n_jobs == 1:
        results = []
        for i, batch in enumerate(batches):
            results.append(_mc_batch(slim, kn, start, batch, levels))
            if progress:
                progress(i + 1, len(batches))
    else:
        results = Parallel(n_jobs=n_jobs, max_nbytes="1M")(
            delayed(_mc_batch)(slim, kn, start, batch, levels) for batch in batches)
    sel = np.concatenate([g for g, _, _ in results], axis=0)  # (R, H + 1, S): the banded columns
    sums = results[0][1].copy()
    cell_sum = results[0][2].astype(np.float64)
    for _, g_sum, c in results[1:]:
        sums += g_sum
        cell_sum += c
    bands = _bands(levels, sel, sums, replicates)
    bands["band_method"] = BAND_METHOD if start.uncertain else BAND_METHOD_AGENTS_ONLY
    return bands, cell_sum / replicates


def _bands(levels: _McLevels, sel: np.ndarray, sums: np.ndarray, replicates: int) -> dict:
    """Replicate means and P10/P50/P90 of every banded (indicator, group), NaN elsewhere."""
    R = sel.shape[0]
    order = {name: max(int(np.ceil(q * R)) - 1, 0) for name, q in ((P10, 0.1), (P50, 0.5), (P90, 0.9))}
    cols = np.ascontiguousarray(sel.reshape(R, -1).T)  # replicates last: partitions along contiguous rows
    part = np.partition(cols, sorted(set(order.values())), axis=1)
    Y = sel.shape[1]
    shape = (Y, len(MC_INDICATORS), levels.n_groups)
    bands = {"offsets": levels.offsets, "mean": (sums / replicates).astype(np.float32),
             "replicates": sel, "band_i": levels.band_i, "band_g": levels.band_g}
    for k, v in order.items():
        full = np.full(shape, np.nan, np.float32)
        full[:, levels.band_i, levels.band_g] = part[:, v].reshape(Y, -1)
        bands[k] = full
    return bands
