"""Expected mode: fractional survivors, deterministic.

Each agent carries a survival probability; flows are expected values. Since hazards do not depend on the cell,
each year's flows of the base agents are summed by origin cell and moved through the mobility chain (year k's
flows by k steps, in float32, :func:`base_flows_cached`); each hire cohort's position moves by one step a year.
The posts rule of :mod:`workforce.projection` (departures, replacement, demand, recruitment delay, freezes)
opens the hires (:func:`run_expected`). 8,000 agents over 10 years take a few milliseconds once the engine is
prepared. The start stock (:func:`start_stock`) and the hires' means (:func:`hire_means`) serve the Monte
Carlo mode too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from workforce.projection.knobs import Knobs
from workforce.projection.names import (CATEGORY_CODES, DEMAND, ETP, EXITS, HEADCOUNT, HIRES, INDICATORS,
                                        MOBILITY_IN, MOBILITY_OUT, PAYROLL, PAYROLL_FLOWS, RECRUITS_RETIREMENTS,
                                        RETIREMENTS, VACANCIES)
from workforce.projection.prepared import Prepared


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_thread():
    """BLAS limited to one thread (looking the libraries up once per process, not per call)."""
    return _controller().limit(limits=1, user_api="blas")


@dataclass
class Stock:
    """Headcount, ETP and payroll (€ a year) by cell (C, M, D) at the start of the projection."""

    heads: np.ndarray
    etp: np.ndarray
    payroll: np.ndarray


# flows aggregated per origin each year (index in the F axis)
F_HEADS, F_ETP, F_PAY, F_EXITS_COST, F_PRICE, F_GVT, F_RET = range(7)
F_FIRST_EXIT = 7


def _agent_flows(S: np.ndarray, probs_k: np.ndarray, quot: np.ndarray, im0: np.ndarray, im1: np.ndarray,
                 k0: np.ndarray, k1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-agent expected flows of one year: (n, 7 + K) and the new survival.

    ``S`` survival at the start, ``probs_k`` (n, 1 + K) cause probabilities, ``im0``/``im1`` indices at the start
    and end, ``k0``/``k1`` € per point at the start and end (catégorie and statut of each agent applied).
    """
    leave = probs_k @ np.ones(probs_k.shape[1])
    S1 = S * np.clip(1.0 - leave, 0.0, 1.0)
    n = len(S)
    W = np.empty((n, F_FIRST_EXIT + probs_k.shape[1] - 1))
    W[:, F_HEADS] = S1
    W[:, F_ETP] = S1 * quot
    W[:, F_PAY] = S1 * im1 * quot * k1
    W[:, F_EXITS_COST] = (S - S1) * im0 * quot * k0
    W[:, F_PRICE] = S1 * im0 * quot * (k1 - k0)
    W[:, F_GVT] = S1 * (im1 - im0) * quot * k1
    W[:, F_RET:] = S[:, None] * probs_k
    return W, S1


def _agent_flows_T(S: np.ndarray, probs_T: np.ndarray, quot: np.ndarray, im0: np.ndarray, im1: np.ndarray,
                   k0: np.ndarray, k1: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_agent_flows` laid out flow-major, (7 + K, n): contiguous rows for a million agents; ``out`` a buffer
    reused year after year (a fresh 100 MB array a year costs more in page faults than its arithmetic)."""
    W = np.empty((F_FIRST_EXIT + len(probs_T) - 1, len(S))) if out is None else out
    np.multiply(probs_T, S, out=W[F_RET:])
    S1 = W[F_HEADS]
    np.sum(probs_T, axis=0, out=S1)
    np.subtract(1.0, S1, out=S1)
    np.clip(S1, 0.0, 1.0, out=S1)
    S1 *= S
    etp = np.multiply(S1, quot, out=W[F_ETP])
    gone = np.multiply(quot, im0, out=W[F_EXITS_COST])  # quotité x indice at the start, then the leavers' cost
    old = np.multiply(etp, im0, out=W[F_PRICE])  # the stayers' indice points at the start
    np.multiply(gone, S - S1, out=gone)
    gone *= k0
    new = np.multiply(etp, im1, out=W[F_PAY])  # their points at the end
    np.subtract(new, old, out=W[F_GVT])
    W[F_GVT] *= k1
    np.multiply(old, k1 - k0, out=old)
    new *= k1
    return W, S1.copy()


def run_expected(p: Prepared, kn: Knobs, start: Stock) -> dict:
    H = kn.H
    C, M, D = p.shape
    op = p.mobility
    stay_share = op.stay_share()  # (M, D)
    tq = template_flows(p, kn)  # (E, H, C, F): per-hire flows of each cohort
    hire_etp_c, hire_cost_c = hire_means(p, kn)  # (C,), (H + 1, C)

    G = base_flows_cached(p, kn)

    out = {name: np.zeros((H + 1, C, M, D)) for name in (*INDICATORS, *PAYROLL_FLOWS)}
    exit_names = [f"exits_{m}" for m in p.motives]
    heads0 = start.heads
    out[HEADCOUNT][0] = heads0
    out[ETP][0] = start.etp
    out[PAYROLL][0] = start.payroll
    out[DEMAND][0] = kn.demand[0]
    out[VACANCIES][0] = kn.demand[0] - start.etp

    cohorts = np.zeros((H, C, M, D))  # where each hire cohort is now (cohort j hired at the end of year j)
    delay = kn.delay
    a_full, b_frac = int(np.floor(delay)), delay - np.floor(delay)
    pending = np.zeros((a_full + 2, C, M, D))
    posts = None
    for k in range(H):
        X = G[k].astype(np.float64)
        if k:
            # 3. hire cohorts of the earlier years: where they are x their expected flows per hire
            X = X + np.einsum("jcmd,jcf->fcmd", cohorts[:k], tq[:k, k], optimize=True)
        surv = X[[F_HEADS, F_ETP, F_PAY]]
        moved = op.apply(surv)
        kept = surv * stay_share
        mob_out = surv - kept
        mob_in = moved - kept
        dep = X[F_RET] + X[F_FIRST_EXIT:].sum(axis=0)
        stock_pre = moved[0]
        if k == 0:  # steady-state pipeline: posts vacated before the start and not yet refilled
            for j in range(pending.shape[0]):
                pending[j] = kn.replacement * dep * np.clip(delay - j, 0.0, 1.0)
            posts = heads0 + pending.sum(axis=0)
        d_demand = (kn.demand[k + 1] - kn.demand[k]) / hire_etp_c[:, None, None]
        # a post follows an agent who moves (redeployment); a departure frees it, refilled at the replacement rate
        posts = np.maximum(posts - (1.0 - kn.replacement) * dep + d_demand + mob_in[0] - mob_out[0], 0.0)
        if kn.freeze[k]:
            pending[:] = 0.0
            posts = stock_pre.copy()
            hires = np.zeros_like(stock_pre)
        else:
            new = np.maximum(posts - stock_pre - pending.sum(axis=0), 0.0)
            pending[a_full] += (1.0 - b_frac) * new
            pending[a_full + 1] += b_frac * new
            hires = pending[0].copy()
            pending[:-1] = pending[1:]
            pending[-1] = 0.0
        if k:
            cohorts[:k] = op.apply(cohorts[:k])
        cohorts[k] = hires
        t = k + 1
        out[HEADCOUNT][t] = stock_pre + hires
        out[ETP][t] = moved[1] + hires * hire_etp_c[:, None, None]
        hires_cost = hires * hire_cost_c[t][:, None, None]
        out[PAYROLL][t] = moved[2] + hires_cost
        out[RETIREMENTS][t] = X[F_RET]
        out[RECRUITS_RETIREMENTS][t] = X[F_RET] - G[k, F_RET]  # the hire cohorts' share of them
        for i, name in enumerate(exit_names):
            out[name][t] = X[F_FIRST_EXIT + i]
        out[EXITS][t] = X[F_FIRST_EXIT:].sum(axis=0)
        out[HIRES][t] = hires
        out[MOBILITY_IN][t] = mob_in[0]
        out[MOBILITY_OUT][t] = mob_out[0]
        out[DEMAND][t] = kn.demand[t]
        out[VACANCIES][t] = kn.demand[t] - out[ETP][t]
        out["payroll_start"][t] = out[PAYROLL][t - 1]
        out["price_effect"][t] = X[F_PRICE]
        out["gvt"][t] = X[F_GVT]
        out["hires_cost"][t] = hires_cost
        out["exits_cost"][t] = X[F_EXITS_COST]
        out["mobility_in_cost"][t] = mob_in[2]
        out["mobility_out_cost"][t] = mob_out[2]
    return out


def base_flows_cached(p: Prepared, kn: Knobs) -> np.ndarray:
    """:func:`_base_flows`, cached in ``p`` for the scenarios of the same hazard and payroll knobs."""
    return p.cached("flows", kn.flows_key, lambda: _base_flows(p, kn))


def _base_flows(p: Prepared, kn: Knobs) -> np.ndarray:
    """Expected flows of the base agents by year and *current* cell, (H, F, C, M, D) float32.

    1. Each year's per-agent flows summed by origin cell (``np.add.reduceat`` over agents sorted by origin).
    2. Moved by the chain: year k's flows have seen k mobility steps; one in-place step per year over all the
       later years at once, in float32 (the propagation is the engine's largest cost; 1e-7 relative error).
    """
    H = kn.H
    C, M, D = p.shape
    F = F_FIRST_EXIT + len(p.motives)
    n = p.n_agents
    cat, sg = p.agent_cat.astype(np.int64), p.agent_sg.astype(np.int64)
    kpp = kn.cost_pp[:, cat, sg]  # (H + 1, n)
    im = p.agent_indice
    G = np.zeros((H, F, C * M * D), np.float32)
    S = np.ones(n)
    im = np.ascontiguousarray(im.T)  # (H + 1, n): each year's indices contiguous
    buf = np.empty((F, n))
    for k, probs_k in enumerate(kn.probs.years()):
        W, S = _agent_flows_T(S, probs_k, p.agent_quotite, im[k].astype(np.float64),
                              im[k + 1].astype(np.float64), kpp[k], kpp[k + 1], out=buf)
        if n:
            G[k][:, p.origin_cells] = np.add.reduceat(W, p.origin_starts, axis=1)
    G = G.reshape(H, F, C, M, D)
    op = p.mobility
    if op.moves:
        op32 = op.as_dtype(np.float32)
        buf = np.empty_like(G[1:])
        with single_thread():
            for j in range(1, H):
                op32.apply_(G[j:], buf)
    return G


def template_flows(p: Prepared, kn: Knobs) -> np.ndarray:
    """Expected flows per hire of each cohort and year, averaged over the catégorie's templates: (E, H, C, F)."""
    H = kn.H
    E, T = H, len(p.templates)
    K = len(p.motives)
    F = F_FIRST_EXIT + K
    out = np.zeros((E, H, len(CATEGORY_CODES), F))
    if T == 0:
        return out
    cat, sg = p.tmpl_cat, p.tmpl_sg.astype(np.int64)
    mix = np.zeros((len(CATEGORY_CODES), T))
    mix[cat, np.arange(T)] = p.tmpl_share  # (C, T): template shares within each catégorie
    for e in range(E - 1):
        S = np.ones(T)
        for k in range(e + 1, H):
            since = k - e - 1  # years since hire at the start of year k
            im0 = p.tmpl_indice[:, since].astype(float)
            im1 = p.tmpl_indice[:, since + 1].astype(float)
            W, S = _agent_flows(S, kn.tmpl_probs[e, :, k], p.tmpl_quotite, im0, im1, kn.cost_pp[k, cat, sg],
                                kn.cost_pp[k + 1, cat, sg])
            out[e, k] = mix @ W
    return out


def hire_means(p: Prepared, kn: Knobs) -> tuple[np.ndarray, np.ndarray]:
    """Mean quotité of a hire by catégorie (C,) and mean cost of a hire at each year (H + 1, C)."""
    C = len(CATEGORY_CODES)
    etp = np.ones(C)
    cost = np.zeros((kn.H + 1, C))
    for c in range(C):
        sel = p.tmpl_cat == c
        if sel.any():
            w = p.tmpl_share[sel]
            etp[c] = float((p.tmpl_quotite[sel] * w).sum())
            per_point = kn.cost_pp[:, c, p.tmpl_sg[sel].astype(np.int64)]  # (H + 1, Tc)
            cost[:, c] = (per_point * (p.tmpl_indice[sel, 0] * p.tmpl_quotite[sel] * w)[None, :]).sum(axis=1)
    return np.maximum(etp, 1e-6), cost


def start_stock(p: Prepared, cost_pp0: np.ndarray) -> Stock:
    """Headcount, ETP and payroll by cell at the start; ``cost_pp0`` (3, 2) € per point of the base year."""
    C, M, D = p.shape
    NC = C * M * D
    cells = (p.agent_cat.astype(np.int64) * M + p.agent_metier) * D + p.agent_direction
    cost0 = p.agent_indice[:, 0] * p.agent_quotite * cost_pp0[p.agent_cat.astype(np.int64), p.agent_sg.astype(np.int64)]
    return Stock(heads=np.bincount(cells, minlength=NC).reshape(C, M, D).astype(float),
                 etp=np.bincount(cells, weights=p.agent_quotite, minlength=NC).reshape(C, M, D),
                 payroll=np.bincount(cells, weights=cost0, minlength=NC).reshape(C, M, D))
