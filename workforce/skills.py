"""Skills: job transformation, skill supply and demand by direction and year, passerelles, reskilling.

The chain this module closes: the transitions change what métiers need (transformation profile), departures
take skills away and hires bring the profile in force (supply), projected positions times required skills
give the demand, and the difference is the training or recruitment list of the training managers.

Glossary (the French domain words stay French):

requirement
    A métier requires a skill at a level (1 notions, 2 pratique, 3 maîtrise, 4 expertise) from a year on
    (``from_year`` missing: always). Local métiers take theirs from the referential; a ROME fiche requires
    each of its compétences and savoirs, without level (stored as 1).
exposure
    How much a métier is concerned by a transition (numérique, écologique, démographique), in [0, 1]: half
    its ROME fiche's own flag, half the share of its required skills the ROME flags for that transition
    (the demographic transition has no skill flag: the fiche flag alone).
transformation intensity
    The scenario's knob on the pace of transformation: 0 none, 1 the central assumption, 2 twice as fast.
    It scales the transition's effect on demand (as ``Scenario.transformation_intensity`` does) and brings
    new requirements forward (a requirement due in ``k`` years comes in ``k / intensity``).
classe
    growing (demand at least +1 %/year), declining (at most -1 %/year), transforming (not either, but at
    least a fifth of its requirements at the horizon are new) or stable.
supply, demand, gap (FTE, by skill x direction x year)
    Supply: FTE of projected agents holding the skill: today's agents weighted by their probability of still
    being there (their assessed level where known, else their métier's profile), plus the entrants, hired
    on the profile in force that year. Demand: projected positions (FTE) x the requirements in force.
    ``gap = supply - demand``: negative is a shortage. An agent holds a skill when their level reaches the
    lowest level at which any métier requires it.
urgency, criticality
    Urgency: the first year a shortage of at least ``tolerance`` FTE opens, per skill and direction.
    Criticality in [0, 1]: breadth (how many métiers need the skill, log-scaled to the most needed skill)
    x scarcity (the share of the demand that supply leaves uncovered).
coverage (source -> target)
    The share of the target's required skills the source holds at the required level (in proportion below
    it: level 2 for a level-3 requirement counts 2/3), each skill weighted by its specificity (inverse
    document frequency over métiers): ``coverage(a, b) != coverage(b, a)``.
passerelle
    A move from a declining or transforming métier to a growing one: score = (1 - alpha) x coverage + alpha
    x observed mobility (the share of the source's métier changes that went to the target, shrunk toward 0).
reskilling candidate
    An agent of a declining or transforming métier whose own skills cover a growing métier's needs.

Every function takes frames and returns new frames (inputs are never mutated); the work is sparse-matrix
products over integer-coded agents, métiers, skills and directions, never a Python loop over agents.
``standin_projection`` builds a projection-shaped frame from the last snapshot until the projection engine
(``workforce.projection``) feeds ``analyse``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

# ------------------------------------------------------------------------------------------ column names

YEAR, METIER, DIRECTION, SKILL, AGENT = "year", "metier_code", "direction", "skill_code", "agent_id"
LEVEL, FROM_YEAR = "level", "from_year"
HEADCOUNT, ETP, HIRES, DEMAND, EXITS = "headcount", "etp", "hires", "demand", "exits"
MOBILITY_IN = "mobility_in"
SUPPLY_FTE, DEMAND_FTE, GAP_FTE, HOLDERS = "supply_fte", "demand_fte", "gap_fte", "holders"
SHORTAGE_FTE, URGENCY, CRITICALITY, CANDIDATES, ACTION = "shortage_fte", "urgency", "criticality", "candidates", "action"
METIERS_REQUIRING = "metiers_requiring"
COVERAGE, REVERSE, MOBILITY, SCORE = "coverage", "reverse_coverage", "mobility", "score"

CLASSES = ("growing", "stable", "declining", "transforming")
ALL_DIRECTIONS = "*"  # the direction code of whole-employer rows
ACTIONS = ("none", "train", "train_and_recruit", "recruit")
LEVELS = (1, 2, 3, 4)
GREEN_FLAGS = ("Emploi Vert", "Emploi stratégique pour la Transition écologique")
BROWN_FLAG = "Emploi Brun"


@dataclass(frozen=True)
class TransformationParams:
    """Assumptions of the transformation profile; every rate is an assumption [U] the planner can change.

    ``trend`` overrides the historical trend (frame ``metier_code, trend``, e.g. from the demand baseline).
    """

    intensity: float = 1.0
    horizon: int = 10
    demo_rate: float = 0.010  # extra demand a year for the demographic transition (ageing: care, autonomy)
    green_rate: float = 0.008  # extra demand a year for Emploi Vert / stratégique pour la TE
    brown_rate: float = 0.015  # lost demand a year for Emploi Brun
    adoption_years: int = 5  # years until a transition skill of the ROME fiche is required, at intensity 1
    new_skill_level: int = 2  # level of those new requirements (pratique)
    max_new_skills: int = 3  # new ROME requirements per métier, at most
    growing: float = 0.01  # annual demand rate from which a métier is growing
    declining: float = -0.01  # ... at or below which it is declining
    transforming_share: float = 0.2  # share of new requirements at the horizon that makes it transforming
    trend_cap: float = 0.10  # the historical trend is clipped to +/- this a year
    trend: pd.DataFrame | None = None
    tolerance: float = 0.5  # FTE below which a gap is not a shortage
    alpha: float = 0.25  # weight of observed mobility in the passerelle score
    min_coverage: float = 0.5  # coverage that makes an agent or a métier a candidate
    passerelles_k: int = 3

    def __post_init__(self):
        if not 0 <= self.intensity <= 5:
            raise ValueError(f"intensity must be within 0-5, got {self.intensity!r}")
        if not 1 <= self.horizon <= 30:
            raise ValueError(f"horizon must be within 1-30 years, got {self.horizon!r}")
        if self.new_skill_level not in LEVELS:
            raise ValueError(f"new_skill_level must be 1-4, got {self.new_skill_level!r}")


# ------------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True, eq=False)
class SkillInputs:
    """Everything the skills analysis reads, as frames (see ``load_inputs`` and ``inputs_from_synth``).

    metiers: code, label, source (builtin, local, rome), famille, direction, rome_codes, transition_eco,
    transition_num, transition_demo. skills: code, label, kind, transition_eco, transition_num.
    requirements: metier_code, skill_code, level, from_year (Int64) of local métiers. rome_requirements: the
    same for ROME fiches (level 1, from_year missing); empty without a ROME release. agents: agent_id,
    metier_code, direction, etp (today's population). agent_skills: agent_id, skill_code, level (assessed).
    mobility: from_metier, to_metier (internal métier changes). history: year, metier_code, direction,
    headcount, etp, exits (year-end stock and the year's departures).
    """

    metiers: pd.DataFrame
    skills: pd.DataFrame
    requirements: pd.DataFrame
    rome_requirements: pd.DataFrame
    agents: pd.DataFrame
    agent_skills: pd.DataFrame
    mobility: pd.DataFrame
    history: pd.DataFrame
    extract_date: pd.Timestamp
    rome_version: str | None = None

    @property
    def base_year(self) -> int:
        return int(self.extract_date.year)

    def local_metiers(self) -> pd.DataFrame:
        return self.metiers[self.metiers["source"] != "rome"]


def _history_from(snap_counts: pd.DataFrame, departures: pd.DataFrame) -> pd.DataFrame:
    """Year-end stock by métier x direction (the year's last extract) and the year's departures."""
    sc = snap_counts.assign(extract_date=pd.to_datetime(snap_counts["extract_date"]))
    sc = sc.assign(year=sc["extract_date"].dt.year)
    last = sc.groupby("year")["extract_date"].transform("max")
    stock = sc[sc["extract_date"] == last].groupby([YEAR, METIER, DIRECTION], as_index=False)[[HEADCOUNT, ETP]].sum()
    dep = departures.assign(year=pd.to_datetime(departures["movement_date"]).dt.year)
    exits = dep.groupby([YEAR, "from_metier", "from_direction"]).size().rename(EXITS).reset_index()
    exits = exits.rename(columns={"from_metier": METIER, "from_direction": DIRECTION})
    out = stock.merge(exits, on=[YEAR, METIER, DIRECTION], how="left")
    return out.assign(exits=out[EXITS].fillna(0).astype("int64"))


def inputs_from_synth(sd, ref=None, rome_release=None) -> SkillInputs:
    """Inputs from a synthetic département in memory (tests, benchmarks), with an optional ROME release."""
    from workforce.referential import load_builtin

    ref = ref if ref is not None else load_builtin()
    snaps = sd.snapshots
    last_date = snaps["extract_date"].max()
    last = snaps[snaps["extract_date"] == last_date]
    metiers = ref.metiers[["code", "label", "famille", "direction", "rome_codes"]].assign(
        source="builtin", transition_eco=None, transition_num=None, transition_demo=None)
    skills = ref.skills[["code", "label", "kind"]].assign(transition_eco=None, transition_num=None)
    rome_req = _empty_requirements()
    if rome_release is not None:
        metiers = pd.concat([metiers, rome_release.fiches[["code", "label", "famille", "rome_codes", "transition_eco",
                                                           "transition_num", "transition_demo"]]
                             .assign(source="rome", direction=None)], ignore_index=True)
        rs = rome_release.skills[["code", "label", "kind", "transition_eco", "transition_num"]]
        skills = pd.concat([skills[~skills["code"].isin(rs["code"])], rs], ignore_index=True)
        rome_req = rome_requirements_from_links(rome_release.links)
    counts = snaps.groupby(["extract_date", METIER, DIRECTION]).agg(headcount=(AGENT, "size"),
                                                                    etp=("quotite", "sum")).reset_index()
    mv = sd.movements
    history = _history_from(counts, mv[mv["kind"] == "departure"])
    internal = mv[(mv["kind"] == "internal") & (mv["from_metier"] != mv["to_metier"])]
    return SkillInputs(
        metiers=metiers.reset_index(drop=True), skills=skills.reset_index(drop=True),
        requirements=ref.metier_skills[[METIER, SKILL, LEVEL, FROM_YEAR]].copy(), rome_requirements=rome_req,
        agents=pd.DataFrame({AGENT: last[AGENT].to_numpy(), METIER: last[METIER].to_numpy(),
                             DIRECTION: last[DIRECTION].to_numpy(), ETP: last["quotite"].to_numpy(dtype=float)}),
        agent_skills=sd.agent_skills[[AGENT, SKILL, LEVEL]].copy(),
        mobility=internal[["from_metier", "to_metier"]].reset_index(drop=True), history=history,
        extract_date=pd.Timestamp(last_date), rome_version=getattr(rome_release, "version", None),
    )


def _empty_requirements() -> pd.DataFrame:
    return pd.DataFrame({METIER: pd.Series(dtype=object), SKILL: pd.Series(dtype=object),
                         LEVEL: pd.Series(dtype="int64"), FROM_YEAR: pd.Series(dtype="Int64")})


def rome_requirements_from_links(links: pd.DataFrame) -> pd.DataFrame:
    """The compétences and savoirs of each ROME fiche as requirements (level 1, always)."""
    sk = links[links["bloc"] == 5]
    return pd.DataFrame({METIER: sk["code_rome"].to_numpy(), SKILL: sk["code_ogr"].to_numpy(),
                         LEVEL: np.ones(len(sk), dtype="int64"),
                         FROM_YEAR: pd.array([pd.NA] * len(sk), dtype="Int64")})


def load_inputs(engine) -> SkillInputs:
    """Inputs from the database: the last extract's agents, the history, the referential and the ROME.

    Raises ``LookupError`` when the database holds no extract.
    """
    from sqlalchemy import func, select

    from workforce import db

    db.init_db(engine)
    with engine.connect() as conn:
        last_date = conn.execute(select(func.max(db.AgentSnapshot.extract_date))).scalar_one_or_none()
        if last_date is None:
            raise LookupError("no extract in the database: run `workforce synth` or `workforce import FICHIER`")
        S = db.AgentSnapshot
        agents = db.read_frame(conn, select(S.agent_id, S.metier_code, S.direction, S.quotite.label(ETP))
                               .where(S.extract_date == last_date).order_by(S.agent_id))
        # only each year's last extract counts in the history: aggregate those, not the whole monthly series
        dates = pd.to_datetime(pd.Series(conn.execute(select(S.extract_date).distinct()).scalars().all()))
        year_ends = [d.date() for d in dates.groupby(dates.dt.year).max()]
        counts = db.read_frame(conn, select(S.extract_date, S.metier_code, S.direction,
                                            func.count().label(HEADCOUNT), func.sum(S.quotite).label(ETP))
                               .where(S.extract_date.in_(year_ends))
                               .group_by(S.extract_date, S.metier_code, S.direction))
        M = db.Movement
        departures = db.read_frame(conn, select(M.movement_date, M.from_metier, M.from_direction)
                                   .where(M.kind == "departure"))
        mobility = db.read_frame(conn, select(M.from_metier, M.to_metier).where(M.kind == "internal")
                                 .where(M.from_metier != M.to_metier))
        metiers = db.read_frame(conn, select(db.Metier.code, db.Metier.label, db.Metier.source, db.Metier.famille,
                                             db.Metier.direction, db.Metier.rome_codes, db.Metier.transition_eco,
                                             db.Metier.transition_num, db.Metier.transition_demo))
        skills = db.read_frame(conn, select(db.Skill.code, db.Skill.label, db.Skill.kind, db.Skill.transition_eco,
                                            db.Skill.transition_num))
        req = db.read_frame(conn, select(db.MetierSkill.metier_code, db.MetierSkill.skill_code, db.MetierSkill.level,
                                         db.MetierSkill.from_year))
        links = db.read_frame(conn, select(db.RomeLink.code_rome, db.RomeLink.bloc, db.RomeLink.code_ogr)
                              .where(db.RomeLink.bloc == 5))
        assessed = db.read_frame(conn, select(db.AgentSkill.agent_id, db.AgentSkill.skill_code, db.AgentSkill.level,
                                              db.AgentSkill.assessed_on))
        version = conn.execute(select(db.RomeRelease.version).order_by(db.RomeRelease.id.desc()).limit(1)
                               ).scalar_one_or_none()
    # the latest assessment of each (agent, skill)
    assessed = assessed.sort_values("assessed_on", kind="stable").drop_duplicates([AGENT, SKILL], keep="last")
    local = set(metiers.loc[metiers["source"] != "rome", "code"])
    req = req[req[METIER].isin(local)].assign(from_year=lambda f: f[FROM_YEAR].astype("Int64"),
                                              level=lambda f: f[LEVEL].astype("int64"))
    return SkillInputs(
        metiers=metiers, skills=skills, requirements=req.reset_index(drop=True),
        rome_requirements=rome_requirements_from_links(links) if len(links) else _empty_requirements(),
        agents=agents.assign(etp=agents[ETP].astype(float)),
        agent_skills=assessed[[AGENT, SKILL, LEVEL]].reset_index(drop=True), mobility=mobility,
        history=_history_from(counts, departures), extract_date=pd.Timestamp(last_date), rome_version=version,
    )


# ------------------------------------------------------------------------------------------ codes


def _codes(values: Iterable) -> np.ndarray:
    return np.asarray(pd.unique(pd.Series(list(values) if not isinstance(values, pd.Series) else values,
                                          dtype=object).dropna()), dtype=object)


def _index(codes: np.ndarray, values) -> np.ndarray:
    """Position of each value in ``codes`` (-1 when absent)."""
    return pd.Index(codes).get_indexer(pd.Index(np.asarray(values, dtype=object)))


def active_requirements(timeline: pd.DataFrame, year: int) -> pd.DataFrame:
    """Requirements in force in ``year``: the latest row with ``from_year`` missing or not after it."""
    fy = timeline[FROM_YEAR]
    on = (fy.isna() | (fy <= year)).fillna(True).to_numpy(dtype=bool)
    active = timeline[on]
    order = active[FROM_YEAR].fillna(-1).astype("int64").to_numpy()
    return active.iloc[np.argsort(order, kind="stable")].drop_duplicates([METIER, SKILL], keep="last")


def level_matrix(rows: pd.DataFrame, row_codes: np.ndarray, skill_codes: np.ndarray,
                 row_col: str = METIER) -> sparse.csr_matrix:
    """Sparse (rows x skills) matrix of levels (0: not required/held); codes outside the indexes are dropped."""
    r = _index(row_codes, rows[row_col])
    c = _index(skill_codes, rows[SKILL])
    ok = (r >= 0) & (c >= 0)
    lvl = rows[LEVEL].to_numpy(dtype=np.float64)[ok]
    m = sparse.coo_matrix((lvl, (r[ok], c[ok])), shape=(len(row_codes), len(skill_codes))).tocsr()
    m.sum_duplicates()
    return m


def _at_least(m: sparse.csr_matrix, level: int) -> sparse.csr_matrix:
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
    tb = _at_least(targets, 1)
    denom = np.asarray(tb @ w).ravel()
    if levels:
        num = np.zeros((sources.shape[0], targets.shape[0]))
        for lv in LEVELS:
            # requirements at level >= lv, each weighted by w / its level
            t = targets.copy()
            t.data = np.where(t.data >= lv, 1.0 / np.maximum(t.data, 1.0), 0.0)
            t.eliminate_zeros()
            if t.nnz:
                num += (_at_least(sources, lv) @ sparse.csr_matrix(t.multiply(w[None, :])).T).toarray()
    else:
        num = (_at_least(sources, 1) @ sparse.csr_matrix(tb.multiply(w[None, :])).T).toarray()
    num = np.asarray(num)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom[None, :] > 0, num / np.where(denom > 0, denom, 1)[None, :], 0.0)


def met_count(sources: sparse.csr_matrix, targets: sparse.csr_matrix) -> np.ndarray:
    """Dense (n_sources x n_targets): how many of the target's requirements the source meets in full."""
    out = np.zeros((sources.shape[0], targets.shape[0]))
    for lv in LEVELS:
        t_l = _exactly(targets, lv)
        if t_l.nnz:
            out += np.asarray((_at_least(sources, lv) @ t_l.T).todense())
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
        codes = _codes(metiers) if metiers is not None else _codes(requirements[METIER])
        skill_codes = _codes(requirements[SKILL])
        m = level_matrix(requirements, codes, skill_codes)
        if not levels:
            m = _at_least(m, 1)
        return cls(codes, skill_codes, m, specificity(m), levels)

    def position(self, codes) -> np.ndarray:
        return _index(self.metiers, codes)

    def coverage(self, sources: Sequence | None = None, targets: Sequence | None = None) -> np.ndarray:
        """Coverage (sources x targets) by métier code (all métiers when None)."""
        s = self.matrix if sources is None else self.matrix[self._must(sources)]
        t = self.matrix if targets is None else self.matrix[self._must(targets)]
        return coverage_matrix(s, t, self.weights, self.levels)

    def on_skills(self, agent_levels: sparse.csr_matrix, agent_skill_codes: np.ndarray) -> sparse.csr_matrix:
        """Agents' levels, given on their own skill index, re-indexed on this space's skills."""
        cols = _index(self.skills, agent_skill_codes)
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


# ------------------------------------------------------------------------------------------ mobility


def mobility_affinity(moves: pd.DataFrame, codes: np.ndarray, shrink: float = 5.0) -> np.ndarray:
    """Dense (n x n): the share of each source's métier changes that went to each target, relative to its
    most frequent target and shrunk toward 0 for sources with few moves (``n / (n + shrink)``)."""
    n = len(codes)
    src, dst = _index(codes, moves["from_metier"]), _index(codes, moves["to_metier"])
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    counts = np.zeros((n, n))
    np.add.at(counts, (src[ok], dst[ok]), 1.0)
    total = counts.sum(axis=1, keepdims=True)
    top = counts.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(top > 0, counts / np.where(top > 0, top, 1), 0.0)
    return rel * (total / (total + shrink))


# ------------------------------------------------------------------------------------------ similarity


def _ranked(space: SkillSpace, src: int, targets: np.ndarray, cov: np.ndarray, rev: np.ndarray, mob: np.ndarray,
            alpha: float, k: int | None) -> pd.DataFrame:
    score = (1 - alpha) * cov + alpha * mob
    is_self = targets == src
    order = np.lexsort((~is_self, -rev, -score))  # score, then reverse coverage, then the métier itself first
    order = order[:k] if k is not None else order
    return pd.DataFrame({"target": space.metiers[targets[order]], COVERAGE: cov[order], REVERSE: rev[order],
                         MOBILITY: mob[order], SCORE: score[order], "rank": np.arange(1, len(order) + 1)})


def similar_metiers(code: str, k: int = 5, *, inputs: SkillInputs | None = None, engine=None,
                    among: str | None = None, include_self: bool = False, alpha: float = 0.25,
                    spaces: "SimilaritySpaces | None" = None) -> pd.DataFrame:
    """The ``k`` métiers closest to ``code`` for someone coming from it (``code`` is the source).

    Works on local métiers (among local métiers, level-aware, with the mobility observed in the history) and
    on any ROME fiche (among ROME fiches); ``among`` = "local", "rome" or "all" (binary skills) overrides.
    Returns ``target, label, source, coverage, reverse_coverage, mobility, score, rank``; the métier itself
    comes first when ``include_self``.
    """
    if spaces is None:
        spaces = SimilaritySpaces.build(inputs if inputs is not None else load_inputs(engine))
    return spaces.similar(code, k, among=among, include_self=include_self, alpha=alpha)


@dataclass(frozen=True, eq=False)
class SimilaritySpaces:
    """The three spaces ``similar_metiers`` searches: local (levels + mobility), ROME fiches, both."""

    local: SkillSpace
    rome: SkillSpace | None
    mobility: np.ndarray
    labels: pd.Series
    sources: pd.Series
    _all: list = field(default_factory=list)

    @classmethod
    def build(cls, inputs: SkillInputs, year: int | None = None) -> "SimilaritySpaces":
        year = year if year is not None else inputs.base_year
        local_req = active_requirements(inputs.requirements, year)
        local = SkillSpace.build(local_req, inputs.local_metiers()["code"], levels=True)
        rome = (SkillSpace.build(inputs.rome_requirements, levels=False) if len(inputs.rome_requirements) else None)
        labels = inputs.metiers.set_index("code")["label"]
        sources = inputs.metiers.set_index("code")["source"]
        return cls(local, rome, mobility_affinity(inputs.mobility, local.metiers), labels, sources,
                   [local_req, inputs.rome_requirements])

    def all(self) -> SkillSpace:
        if len(self._all) == 2:
            both = pd.concat(self._all, ignore_index=True)
            self._all.append(SkillSpace.build(both, levels=False))
        return self._all[2]

    def similar(self, code: str, k: int = 5, *, among: str | None = None, include_self: bool = False,
                alpha: float = 0.25) -> pd.DataFrame:
        in_local = code in set(self.local.metiers)
        in_rome = self.rome is not None and code in set(self.rome.metiers)
        if among is None:
            among = "local" if in_local else "rome"
        if among not in ("local", "rome", "all"):
            raise ValueError(f"among must be local, rome or all, got {among!r}")
        space = {"local": self.local, "rome": self.rome}.get(among) if among != "all" else self.all()
        if space is None:
            raise LookupError("no ROME release loaded: run `workforce referential import-rome DOSSIER`")
        if code not in set(space.metiers):
            known = "a local métier" if in_local else "a ROME fiche" if in_rome else "unknown"
            raise KeyError(f"{code!r} is {known}, not in the {among} space (or it has no required skill)")
        src = int(space.position([code])[0])
        targets = np.arange(len(space.metiers))
        cov = coverage_matrix(space.matrix[[src]], space.matrix, space.weights, space.levels)[0]
        rev = coverage_matrix(space.matrix, space.matrix[[src]], space.weights, space.levels)[:, 0]
        mob = self.mobility[src].copy() if space is self.local else np.zeros(len(targets))
        mob[src] = 1.0  # staying is the most observed "move": the métier itself ranks first
        alpha = alpha if space is self.local else 0.0
        if not include_self:
            targets, cov, rev, mob = targets[targets != src], np.delete(cov, src), np.delete(rev, src), np.delete(mob, src)
        out = _ranked(space, src, targets, cov, rev, mob, alpha, k)
        return out.assign(label=out["target"].map(self.labels).to_numpy(),
                          source=out["target"].map(self.sources).to_numpy())[
            ["target", "label", "source", COVERAGE, REVERSE, MOBILITY, SCORE, "rank"]]


# ------------------------------------------------------------------------------------------ transformation


def historical_trend(history: pd.DataFrame, cap: float = 0.10, min_years: int = 3) -> pd.DataFrame:
    """Annual growth of each métier's year-end headcount (log-linear least squares), clipped to +/- ``cap``.

    A stand-in for the demand baseline of the forecast stage; ``TransformationParams.trend`` replaces it.
    Returns ``metier_code, trend, n_years`` (trend 0 with fewer than ``min_years`` years of data).
    """
    by = history.groupby([METIER, YEAR], as_index=False)[HEADCOUNT].sum()
    by = by[by[HEADCOUNT] > 0]
    t = by[YEAR].to_numpy(dtype=float)
    y = np.log(by[HEADCOUNT].to_numpy(dtype=float))
    g = by[METIER]
    tm = pd.Series(t).groupby(g.to_numpy()).transform("mean").to_numpy()
    ym = pd.Series(y).groupby(g.to_numpy()).transform("mean").to_numpy()
    cov = pd.Series((t - tm) * (y - ym)).groupby(g.to_numpy()).sum()
    var = pd.Series((t - tm) ** 2).groupby(g.to_numpy()).sum()
    slope = (cov / var.where(var > 0)).fillna(0.0)
    count = g.value_counts().reindex(slope.index)
    rate = np.expm1(slope).clip(-cap, cap).where(count >= min_years, 0.0)
    return pd.DataFrame({METIER: slope.index.to_numpy(), "trend": rate.to_numpy(), "n_years": count.to_numpy()})


def metier_exposure(inputs: SkillInputs) -> pd.DataFrame:
    """Exposure of each local métier to the three transitions, from its ROME fiches and its skills' flags.

    Returns ``metier_code, eco_flag, green, brown, num_flag, demo_flag, share_eco, share_num, exposure_eco,
    exposure_num, exposure_demo, rome_data`` (``rome_data`` False: no ROME flag known, exposures are 0).
    """
    local = inputs.local_metiers()
    fiches = inputs.metiers[inputs.metiers["source"] == "rome"].set_index("code")
    pairs = [(m, r) for m, codes in zip(local["code"], local["rome_codes"]) for r in _split(codes)]
    mr = pd.DataFrame(pairs, columns=[METIER, "code_rome"])
    known = mr["code_rome"].isin(fiches.index)
    mr = mr[known]
    eco = mr["code_rome"].map(fiches["transition_eco"])
    flags = pd.DataFrame({
        METIER: mr[METIER].to_numpy(),
        "green": eco.isin(GREEN_FLAGS).to_numpy(dtype=float), "brown": (eco == BROWN_FLAG).to_numpy(dtype=float),
        "num_flag": mr["code_rome"].map(fiches["transition_num"]).eq(True).to_numpy(dtype=float),
        "demo_flag": mr["code_rome"].map(fiches["transition_demo"]).eq(True).to_numpy(dtype=float),
        "eco_flag": eco.fillna("").to_numpy(dtype=object),
    })
    per = flags.groupby(METIER).agg(green=("green", "max"), brown=("brown", "mean"), num_flag=("num_flag", "max"),
                                    demo_flag=("demo_flag", "max"),
                                    eco_flag=("eco_flag", lambda s: "; ".join(sorted({v for v in s if v}))))
    # a métier is brown only when every one of its fiches is
    per["brown"] = (per["brown"] >= 1).astype(float)
    req = active_requirements(inputs.requirements, inputs.base_year)
    sk = inputs.skills.set_index("code")
    shares = req.assign(eco=req[SKILL].map(sk["transition_eco"]).eq(True).to_numpy(dtype=float),
                        num=req[SKILL].map(sk["transition_num"]).eq(True).to_numpy(dtype=float)
                        ).groupby(METIER)[["eco", "num"]].mean()
    out = pd.DataFrame({METIER: local["code"].to_numpy()})
    out = out.merge(per.reset_index(), on=METIER, how="left").merge(
        shares.rename(columns={"eco": "share_eco", "num": "share_num"}).reset_index(), on=METIER, how="left")
    rome_data = out[METIER].isin(per.index).to_numpy()
    for col in ("green", "brown", "num_flag", "demo_flag", "share_eco", "share_num"):
        out[col] = out[col].fillna(0.0).astype(float)
    out["eco_flag"] = out["eco_flag"].fillna("")
    out["exposure_eco"] = 0.5 * out["green"] + 0.5 * out["share_eco"]
    out["exposure_num"] = 0.5 * out["num_flag"] + 0.5 * out["share_num"]
    out["exposure_demo"] = out["demo_flag"]
    out["rome_data"] = rome_data
    return out


def _split(codes) -> list[str]:
    from workforce.referential import split_codes

    return split_codes(codes)


def new_requirements(inputs: SkillInputs, exposure: pd.DataFrame, params: TransformationParams) -> pd.DataFrame:
    """Requirements that come into force after the base year, paced by the transformation intensity.

    Two sources: the referential's own dated requirements (due in ``k`` years, they come in
    ``ceil(k / intensity)``), and, for métiers whose ROME fiche is flagged for the digital or ecological
    transition, up to ``max_new_skills`` skills of the fiche flagged for it that the métier does not require
    yet (level ``new_skill_level``, in ``ceil(adoption_years / intensity)`` years), the skills listed by most
    of the métier's fiches first. Intensity 0: nothing new. Columns: ``metier_code, skill_code, level,
    from_year, origin`` ("referential" or "rome").
    """
    base = inputs.base_year
    req = inputs.requirements
    if params.intensity <= 0:
        return _empty_requirements().assign(origin=pd.Series(dtype=object))
    fy = req[FROM_YEAR]
    future = req[(fy > base).fillna(False).to_numpy(dtype=bool)]
    delay = np.ceil((future[FROM_YEAR].to_numpy(dtype=float) - base) / params.intensity).astype("int64")
    dated = future.assign(from_year=pd.array(base + delay, dtype="Int64"), origin="referential")
    rome = _rome_transition_skills(inputs, exposure, params)
    out = pd.concat([dated[[METIER, SKILL, LEVEL, FROM_YEAR, "origin"]], rome], ignore_index=True)
    return out.astype({LEVEL: "int64", FROM_YEAR: "Int64"})


def _rome_transition_skills(inputs: SkillInputs, exposure: pd.DataFrame, params: TransformationParams) -> pd.DataFrame:
    cols = [METIER, SKILL, LEVEL, FROM_YEAR, "origin"]
    rr = inputs.rome_requirements
    if not len(rr) or params.max_new_skills <= 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    local = inputs.local_metiers()
    pairs = pd.DataFrame([(m, r) for m, codes in zip(local["code"], local["rome_codes"]) for r in _split(codes)],
                         columns=[METIER, "code_rome"])
    cand = pairs.merge(rr[[METIER, SKILL]].rename(columns={METIER: "code_rome"}), on="code_rome")
    sk = inputs.skills.set_index("code")
    ex = exposure.set_index(METIER)
    is_num = cand[SKILL].map(sk["transition_num"]).eq(True).to_numpy() & \
        cand[METIER].map(ex["num_flag"]).eq(1).to_numpy()
    is_eco = cand[SKILL].map(sk["transition_eco"]).eq(True).to_numpy() & \
        cand[METIER].map(ex["green"]).eq(1).to_numpy()
    cand = cand[is_num | is_eco]
    required = set(zip(inputs.requirements[METIER], inputs.requirements[SKILL]))
    cand = cand[[(m, s) not in required for m, s in zip(cand[METIER], cand[SKILL])]]
    ranked = (cand.groupby([METIER, SKILL]).size().rename("n").reset_index()
              .sort_values([METIER, "n", SKILL], ascending=[True, False, True], kind="stable"))
    top = ranked.groupby(METIER, sort=False).head(params.max_new_skills)
    year = inputs.base_year + math.ceil(params.adoption_years / params.intensity)
    return pd.DataFrame({METIER: top[METIER].to_numpy(), SKILL: top[SKILL].to_numpy(),
                         LEVEL: np.full(len(top), params.new_skill_level, dtype="int64"),
                         FROM_YEAR: pd.array(np.full(len(top), year), dtype="Int64"), "origin": "rome"})


def requirement_timeline(inputs: SkillInputs, new: pd.DataFrame) -> pd.DataFrame:
    """Today's requirements plus the new ones: ``metier_code, skill_code, level, from_year``.

    The referential's own dated rows are replaced by their paced version in ``new`` (dropped at intensity 0).
    """
    req = inputs.requirements
    current = req[~(req[FROM_YEAR] > inputs.base_year).fillna(False).to_numpy(dtype=bool)]
    out = pd.concat([current[[METIER, SKILL, LEVEL, FROM_YEAR]], new[[METIER, SKILL, LEVEL, FROM_YEAR]]],
                    ignore_index=True)
    return out.astype({LEVEL: "int64", FROM_YEAR: "Int64"}).drop_duplicates([METIER, SKILL, FROM_YEAR], keep="last")


def transformation_factor(rate: np.ndarray, years_ahead: np.ndarray, intensity: float) -> np.ndarray:
    """Demand factor of the transformation: ``1 + intensity x ((1 + rate)^k - 1)``, rate at intensity 1.

    The same scaling as ``Scenario.transformation_intensity`` applies to ``Scenario.demand_factors``.
    """
    raw = np.power(1.0 + np.asarray(rate, dtype=float), np.asarray(years_ahead, dtype=float))
    return 1.0 + intensity * (raw - 1.0)


def transformation_profile(inputs: SkillInputs, params: TransformationParams | None = None
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transformation profile of each local métier, and its new requirements (``new_requirements``).

    Profile columns: ``metier_code, label, famille, exposure_num, exposure_eco, exposure_demo, brown, eco_flag,
    trend, transformation_rate (at intensity 1), demand_rate (trend + intensity x transformation),
    demand_change (at the horizon, fraction), n_required, n_new, new_share, first_new_year, classe, reason``.
    """
    params = params or TransformationParams()
    exposure = metier_exposure(inputs)
    trend = params.trend if params.trend is not None else historical_trend(inputs.history, params.trend_cap)
    new = new_requirements(inputs, exposure, params)
    horizon_year = inputs.base_year + params.horizon
    local = inputs.local_metiers()[["code", "label", "famille"]].rename(columns={"code": METIER})
    prof = local.merge(exposure, on=METIER, how="left").merge(trend[[METIER, "trend"]], on=METIER, how="left")
    prof["trend"] = prof["trend"].fillna(0.0)
    prof["transformation_rate"] = (params.demo_rate * prof["exposure_demo"] + params.green_rate * prof["green"]
                                   - params.brown_rate * prof["brown"])
    factor = transformation_factor(prof["transformation_rate"].to_numpy(), params.horizon, params.intensity)
    total = np.power(1.0 + prof["trend"].to_numpy(), params.horizon) * factor
    prof["demand_change"] = total - 1.0
    prof["demand_rate"] = np.power(np.clip(total, 1e-9, None), 1.0 / params.horizon) - 1.0
    at_horizon = active_requirements(requirement_timeline(inputs, new), horizon_year)
    in_horizon = new[(new[FROM_YEAR] <= horizon_year).fillna(False).to_numpy(dtype=bool)]
    prof["n_required"] = prof[METIER].map(at_horizon.groupby(METIER).size()).fillna(0).astype("int64")
    prof["n_new"] = prof[METIER].map(in_horizon.groupby(METIER)[SKILL].nunique()).fillna(0).astype("int64")
    prof["new_share"] = (prof["n_new"] / prof["n_required"].where(prof["n_required"] > 0)).fillna(0.0)
    prof["first_new_year"] = prof[METIER].map(in_horizon.groupby(METIER)[FROM_YEAR].min()).astype("Int64")
    rate = prof["demand_rate"].to_numpy()
    classe = np.select([rate <= params.declining, rate >= params.growing,
                        prof["new_share"].to_numpy() >= params.transforming_share],
                       ["declining", "growing", "transforming"], "stable")
    prof["classe"] = classe
    prof["reason"] = [_reason(r, params, horizon_year) for r in prof.itertuples(index=False)]
    return prof, new


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}".replace(".", ",").replace("-", "−") + " %/an"


def _reason(r, params: TransformationParams, horizon_year: int) -> str:
    """Why a métier is in its class, in French (shown to planners and exported)."""
    parts = [f"demande {_pct(r.demand_rate)} (tendance {_pct(r.trend)}"]
    drivers = []
    if r.exposure_demo > 0:
        drivers.append("transition démographique")
    if r.green > 0:
        drivers.append("emploi vert ou stratégique pour la transition écologique")
    if r.brown > 0:
        drivers.append("emploi brun")
    if drivers and params.intensity > 0:
        parts[0] += f", transformation {_pct(params.intensity * r.transformation_rate)} : {', '.join(drivers)}"
    parts[0] += ")"
    if r.n_new:
        parts.append(f"{r.n_new} compétence(s) nouvelle(s) sur {r.n_required} d'ici {horizon_year}"
                     f" (dès {r.first_new_year})")
    if r.exposure_num >= 0.5:
        parts.append("métier exposé à la transition numérique")
    if not r.rome_data:
        parts.append("pas de fiche ROME importée : exposition inconnue")
    return " ; ".join(parts)


def demand_factors(profile: pd.DataFrame, base_year: int, horizon: int, min_effect: float = 1e-4) -> dict:
    """``Scenario.demand_factors`` from a profile: ``{metier_code: {year: factor}}`` at intensity 1.

    Only the transformation enters (the historical trend is the demand baseline's business); métiers whose
    factor stays within ``min_effect`` of 1 are left out. The scenario scales them by its intensity.
    """
    years = np.arange(1, horizon + 1)
    out = {}
    for code, rate in zip(profile[METIER], profile["transformation_rate"]):
        f = transformation_factor(np.full(len(years), rate), years, 1.0)
        if np.abs(f - 1).max() > min_effect:
            out[str(code)] = {str(base_year + int(k)): round(float(v), 6) for k, v in zip(years, f)}
    return out


# ------------------------------------------------------------------------------------------ projection frame


def standin_projection(inputs: SkillInputs, profile: pd.DataFrame, years: Sequence[int],
                       intensity: float = 1.0, lookback: int = 3) -> pd.DataFrame:
    """A projection-shaped frame until ``workforce.projection`` feeds the analysis (documented stand-in).

    Today's positions carried forward: each métier x direction keeps its FTE; its agents leave at the
    group's departure rate of the last ``lookback`` years of history (the métier's when the group is thin,
    the employer's when the métier is) and every leaver is replaced; entrants are assumed to stay. Demand
    follows the transformation profile (trend and transformation). Columns: ``year, metier_code,
    direction, headcount, etp, hires, demand``.
    """
    a = inputs.agents
    groups = a.groupby([METIER, DIRECTION]).agg(headcount=(AGENT, "size"), etp=(ETP, "sum")).reset_index()
    rate = exit_rates(inputs.history, lookback)
    q = groups.merge(rate, on=[METIER, DIRECTION], how="left")["exit_rate"].to_numpy()
    years = np.asarray(list(years), dtype=int)
    k = years - inputs.base_year
    stay = np.power(1.0 - q[:, None], k[None, :])  # groups x years
    prev = np.power(1.0 - q[:, None], (k - 1)[None, :])
    hires = groups[ETP].to_numpy()[:, None] * (prev - stay)
    prof = profile.set_index(METIER)
    change = groups[METIER].map(1.0 + prof["demand_change"]).fillna(1.0).to_numpy()
    growth = np.power(np.clip(change, 1e-9, None)[:, None], (k / max(k.max(), 1))[None, :])
    n_g, n_y = len(groups), len(years)
    return pd.DataFrame({
        YEAR: np.tile(years, n_g), METIER: np.repeat(groups[METIER].to_numpy(), n_y),
        DIRECTION: np.repeat(groups[DIRECTION].to_numpy(), n_y),
        HEADCOUNT: np.repeat(groups[HEADCOUNT].to_numpy(dtype=float), n_y),
        ETP: np.repeat(groups[ETP].to_numpy(), n_y), HIRES: hires.ravel(),
        DEMAND: (groups[ETP].to_numpy()[:, None] * growth).ravel(),
    })


def exit_rates(history: pd.DataFrame, lookback: int = 3, min_heads: float = 30.0) -> pd.DataFrame:
    """Annual departure rate by métier x direction over the last ``lookback`` years, shrunk toward the métier
    (then the employer) rate with ``min_heads`` pseudo-agents: ``metier_code, direction, exit_rate``."""
    last = history[YEAR].max()
    h = history[history[YEAR] > last - lookback]
    overall = h[EXITS].sum() / max(h[HEADCOUNT].sum(), 1)
    by_m = h.groupby(METIER)[[EXITS, HEADCOUNT]].sum()
    m_rate = (by_m[EXITS] + min_heads * overall) / (by_m[HEADCOUNT] + min_heads)
    g = h.groupby([METIER, DIRECTION])[[EXITS, HEADCOUNT]].sum().reset_index()
    prior = g[METIER].map(m_rate).fillna(overall)
    rate = ((g[EXITS] + min_heads * prior) / (g[HEADCOUNT] + min_heads)).clip(0, 0.9)
    return pd.DataFrame({METIER: g[METIER], DIRECTION: g[DIRECTION], "exit_rate": rate})


def positions_from_projection(frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's output as the wide frame ``skill_balance`` reads: ``year, metier_code, direction, etp,
    headcount, hires, mobility_in, demand`` (summed over catégories; the expected value of a Monte Carlo run).

    Accepts a wide frame with those columns, or the engine's long table (``indicator`` and ``value`` or
    ``p50``/``expected`` columns).
    """
    f = frame
    if "indicator" in f.columns:
        value = next(c for c in ("value", "expected", "mean", "p50") if c in f.columns)
        f = f.assign(**{c: f[c].astype(str) for c in (METIER, DIRECTION, "indicator")})
        f = f.pivot_table(index=[YEAR, METIER, DIRECTION], columns="indicator", values=value, aggfunc="sum",
                          fill_value=0.0, observed=True).reset_index()
        f.columns.name = None
    keep = [c for c in (HEADCOUNT, ETP, HIRES, MOBILITY_IN, DEMAND) if c in f.columns]
    if ETP not in keep:
        raise ValueError(f"the projection frame has no {ETP!r} column (got {', '.join(map(str, f.columns))})")
    f = f.assign(**{c: f[c].astype(str) for c in (METIER, DIRECTION)})
    out = f.groupby([YEAR, METIER, DIRECTION], as_index=False)[keep].sum()
    return out.astype({YEAR: "int64"})


# ------------------------------------------------------------------------------------------ supply & demand


def agent_level_matrix(agents: pd.DataFrame, agent_skills: pd.DataFrame, requirements_now: pd.DataFrame,
                       skill_codes: np.ndarray) -> sparse.csr_matrix:
    """(agents x skills) levels: the métier's requirements in force today, replaced by the assessed level
    wherever the agent was assessed on the skill (assessed skills outside the profile count too)."""
    prof = agents[[AGENT, METIER]].reset_index(drop=True).assign(_row=np.arange(len(agents))).merge(
        requirements_now[[METIER, SKILL, LEVEL]], on=METIER, how="inner")
    rows = pd.Index(agents[AGENT].to_numpy())
    assessed = agent_skills.assign(_row=rows.get_indexer(agent_skills[AGENT]))
    assessed = assessed[assessed["_row"] >= 0]
    both = pd.concat([prof[["_row", SKILL, LEVEL]], assessed[["_row", SKILL, LEVEL]]], ignore_index=True)
    both = both.drop_duplicates(["_row", SKILL], keep="last")
    cols = _index(skill_codes, both[SKILL])
    ok = cols >= 0
    return sparse.csr_matrix((both[LEVEL].to_numpy(dtype=float)[ok], (both["_row"].to_numpy()[ok], cols[ok])),
                             shape=(len(agents), len(skill_codes)))


def held_thresholds(timeline: pd.DataFrame, skill_codes: np.ndarray) -> np.ndarray:
    """Per skill, the lowest level at which any métier requires it (1 for skills nobody requires)."""
    lo = timeline.groupby(SKILL)[LEVEL].min()
    return pd.Series(skill_codes).map(lo).fillna(1).clip(lower=1).to_numpy(dtype=float)


def held_matrix(levels: sparse.csr_matrix, thresholds: np.ndarray) -> sparse.csr_matrix:
    """Binary (agents x skills): the level reaches the skill's threshold."""
    m = levels.tocoo()
    ok = m.data >= thresholds[m.col]
    return sparse.csr_matrix((np.ones(ok.sum()), (m.row[ok], m.col[ok])), shape=levels.shape)


@dataclass(frozen=True, eq=False)
class Balance:
    """Supply, demand and their parts as arrays (directions x years x skills), plus the long frame."""

    directions: np.ndarray
    years: np.ndarray
    skills: np.ndarray
    supply: np.ndarray
    demand: np.ndarray
    holders: np.ndarray
    entrants: np.ndarray  # the entrants' share of supply
    presence: np.ndarray  # agents x years
    frame: pd.DataFrame


def presence_from_positions(agents: pd.DataFrame, positions: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Stand-in probability (agents x years) that each agent of today is still in post.

    Per métier x direction: the share of today's FTE not yet replaced, ``(etp(y) - cumulative inflows) /
    today's FTE`` clipped to [0, 1], inflows being hires and internal mobility in (with neither column:
    ``etp(y) / today's FTE`` capped at 1). Those who move to another métier leave the group; those who come
    in count as entrants, with the profile of the métier they join.
    """
    keys = pd.MultiIndex.from_arrays([agents[METIER].to_numpy(), agents[DIRECTION].to_numpy()])
    today = pd.Series(agents[ETP].to_numpy(dtype=float), index=keys).groupby(level=[0, 1]).sum()
    p = positions.sort_values(YEAR, kind="stable")
    wide_etp = p.pivot_table(index=[METIER, DIRECTION], columns=YEAR, values=ETP, aggfunc="sum").reindex(columns=years)
    inflows = [c for c in (HIRES, MOBILITY_IN) if c in p.columns]
    if inflows:
        p = p.assign(_in=p[inflows].sum(axis=1))
        cum = p.pivot_table(index=[METIER, DIRECTION], columns=YEAR, values="_in", aggfunc="sum").reindex(
            columns=years).fillna(0.0).cumsum(axis=1)
        remaining = wide_etp - cum.reindex(wide_etp.index).fillna(0.0)
    else:
        remaining = wide_etp
    base = today.reindex(remaining.index)
    share = remaining.div(base.where(base > 0), axis=0).clip(0, 1)
    share = share.reindex(keys).fillna(0.0).to_numpy()
    return share


def skill_balance(positions: pd.DataFrame, agents: pd.DataFrame, levels: sparse.csr_matrix,
                  timeline: pd.DataFrame, skill_codes: np.ndarray, *, presence: np.ndarray | None = None,
                  thresholds: np.ndarray | None = None) -> Balance:
    """Supply, demand and gap (FTE) by direction x year x skill.

    ``positions``: ``year, metier_code, direction, etp`` (+ ``hires``, ``demand``): projected FTE in post and
    demanded (``demand``, else ``etp``). ``agents``: today's ``agent_id, metier_code, direction, etp`` in the
    row order of ``levels`` (agents x skills, ``agent_level_matrix``). ``presence`` (agents x years): the
    probability each agent is still in post, else ``presence_from_positions``. Entrants fill the FTE in post
    that today's agents no longer hold, with the requirements in force that year.

    The frame has ``year, direction, skill_code, supply_fte, demand_fte, gap_fte, holders, entrants_fte``
    (rows where supply or demand is positive); ``gap_fte = supply_fte - demand_fte``.
    """
    years = np.asarray(sorted(positions[YEAR].unique()), dtype=int)
    directions = _codes(pd.concat([agents[DIRECTION], positions[DIRECTION]], ignore_index=True))
    metiers = _codes(pd.concat([agents[METIER], positions[METIER], timeline[METIER]], ignore_index=True))
    n_a, n_y, n_d, n_s, n_m = len(agents), len(years), len(directions), len(skill_codes), len(metiers)
    thresholds = thresholds if thresholds is not None else held_thresholds(timeline, skill_codes)
    if presence is None:
        presence = presence_from_positions(agents, positions, years)
    presence = np.asarray(presence, dtype=float)
    if presence.shape != (n_a, n_y):
        raise ValueError(f"presence must be agents x years = {(n_a, n_y)}, got {presence.shape}")
    held = held_matrix(levels, thresholds)
    a_dir = _index(directions, agents[DIRECTION])
    etp = agents[ETP].to_numpy(dtype=float)
    # one sparse product for every direction and year: rows (direction, year), columns agents
    rows = (a_dir[:, None] * n_y + np.arange(n_y)[None, :]).ravel()
    cols = np.repeat(np.arange(n_a), n_y)
    g_fte = sparse.csr_matrix(((presence * etp[:, None]).ravel(), (rows, cols)), shape=(n_d * n_y, n_a))
    g_heads = sparse.csr_matrix((presence.ravel(), (rows, cols)), shape=(n_d * n_y, n_a))
    supply = np.asarray((g_fte @ held).todense()).reshape(n_d, n_y, n_s)
    holders = np.asarray((g_heads @ held).todense()).reshape(n_d, n_y, n_s)
    # positions (FTE in post and demanded) and today's agents still there, by (direction, métier) and year
    p_dir, p_met = _index(directions, positions[DIRECTION]), _index(metiers, positions[METIER])
    p_year = np.searchsorted(years, positions[YEAR].to_numpy())
    in_post = np.zeros((n_y, n_d, n_m))
    np.add.at(in_post, (p_year, p_dir, p_met), positions[ETP].to_numpy(dtype=float))
    wanted = np.zeros((n_y, n_d, n_m))
    dcol = DEMAND if DEMAND in positions.columns else ETP
    np.add.at(wanted, (p_year, p_dir, p_met), positions[dcol].to_numpy(dtype=float))
    a_met = _index(metiers, agents[METIER])
    stayers = np.zeros((n_y, n_d, n_m))
    for yi in range(n_y):  # a loop over the ~10 years, each a bincount over agents
        stayers[yi] = np.bincount(a_dir * n_m + a_met, weights=presence[:, yi] * etp,
                                  minlength=n_d * n_m).reshape(n_d, n_m)
    entrants_fte = np.clip(in_post - stayers, 0, None)
    entrants = np.zeros((n_d, n_y, n_s))
    demand = np.zeros((n_d, n_y, n_s))
    for yi, year in enumerate(years):
        req = level_matrix(active_requirements(timeline, int(year)), metiers, skill_codes)
        req = _at_least(req, 1)
        entrants[:, yi, :] = np.asarray(req.T @ entrants_fte[yi].T).T
        demand[:, yi, :] = np.asarray(req.T @ wanted[yi].T).T
    supply = supply + entrants
    holders = holders + entrants
    d_i, y_i, s_i = np.nonzero((supply > 1e-12) | (demand > 1e-12))
    frame = pd.DataFrame({
        YEAR: years[y_i], DIRECTION: directions[d_i], SKILL: skill_codes[s_i],
        SUPPLY_FTE: supply[d_i, y_i, s_i], DEMAND_FTE: demand[d_i, y_i, s_i],
        GAP_FTE: supply[d_i, y_i, s_i] - demand[d_i, y_i, s_i], HOLDERS: holders[d_i, y_i, s_i],
        "entrants_fte": entrants[d_i, y_i, s_i],
    })
    return Balance(directions, years, np.asarray(skill_codes, dtype=object), supply, demand, holders, entrants,
                   presence, frame)


def total_balance(balance: Balance) -> Balance:
    """The balance of the whole employer: every direction summed into one, coded ``ALL_DIRECTIONS``.

    Small cells of a direction often pool into publishable figures at this level.
    """
    d = np.array([ALL_DIRECTIONS], dtype=object)
    supply, demand = balance.supply.sum(axis=0, keepdims=True), balance.demand.sum(axis=0, keepdims=True)
    holders, entrants = balance.holders.sum(axis=0, keepdims=True), balance.entrants.sum(axis=0, keepdims=True)
    _, y_i, s_i = np.nonzero((supply > 1e-12) | (demand > 1e-12))
    frame = pd.DataFrame({
        YEAR: balance.years[y_i], DIRECTION: ALL_DIRECTIONS, SKILL: balance.skills[s_i],
        SUPPLY_FTE: supply[0, y_i, s_i], DEMAND_FTE: demand[0, y_i, s_i],
        GAP_FTE: supply[0, y_i, s_i] - demand[0, y_i, s_i], HOLDERS: holders[0, y_i, s_i],
        "entrants_fte": entrants[0, y_i, s_i],
    })
    return Balance(d, balance.years, balance.skills, supply, demand, holders, entrants, balance.presence, frame)


def internal_candidates(agents: pd.DataFrame, levels: sparse.csr_matrix, held: sparse.csr_matrix,
                        skill_codes: np.ndarray, timeline: pd.DataFrame, year: int, local: SkillSpace,
                        presence: np.ndarray, directions: np.ndarray, min_coverage: float = 0.5) -> np.ndarray:
    """Expected agents (directions x years x skills) who could be trained to a skill they do not hold yet.

    A candidate does not hold the skill but either has it at a lower level (assessed) or works in a métier
    covering at least ``min_coverage`` of a métier that requires the skill in ``year``.
    """
    req = _at_least(level_matrix(active_requirements(timeline, year), local.metiers, skill_codes), 1)
    cov = local.coverage()
    np.fill_diagonal(cov, 0.0)
    reach = sparse.csr_matrix((cov >= min_coverage).astype(float)) @ req  # métier x skill: a close métier needs it
    eligible_m = (reach > 0).astype(float).tocsr()
    a_met = local.position(agents[METIER])
    rows = np.flatnonzero(a_met >= 0)
    pick = sparse.csr_matrix((np.ones(len(rows)), (rows, a_met[rows])), shape=(len(agents), len(local.metiers)))
    elig = (pick @ eligible_m).tocsr()
    partial = levels.copy()
    partial.data = (partial.data > 0).astype(float)
    cand = elig.maximum(partial) - elig.maximum(partial).multiply(held)
    cand.eliminate_zeros()
    n_y = presence.shape[1]
    a_dir = _index(directions, agents[DIRECTION])
    r = (a_dir[:, None] * n_y + np.arange(n_y)[None, :]).ravel()
    c = np.repeat(np.arange(len(agents)), n_y)
    g = sparse.csr_matrix((presence.ravel(), (r, c)), shape=(len(directions) * n_y, len(agents)))
    return np.asarray((g @ cand).todense()).reshape(len(directions), n_y, len(skill_codes))


def add_indicators(balance: Balance, timeline: pd.DataFrame, candidates: np.ndarray | None = None,
                   tolerance: float = 0.5) -> pd.DataFrame:
    """The balance frame with ``shortage_fte, urgency, metiers_requiring, criticality, candidates, action``.

    ``urgency``: first year a shortage of at least ``tolerance`` FTE opens for the skill in the direction (NA
    if none). ``criticality`` = breadth x scarcity. ``action``: none (no shortage), train (enough internal
    candidates), train_and_recruit (some), recruit (none).
    """
    f = balance.frame.copy()
    f[SHORTAGE_FTE] = np.clip(-f[GAP_FTE].to_numpy(), 0, None)
    short = f[SHORTAGE_FTE] >= tolerance
    first = f[short].groupby([DIRECTION, SKILL])[YEAR].min().rename(URGENCY)
    f = f.merge(first.reset_index(), on=[DIRECTION, SKILL], how="left")
    f[URGENCY] = f[URGENCY].astype("Int64")
    breadth_rows = []
    for year in balance.years:
        act = active_requirements(timeline, int(year))
        n = act.groupby(SKILL)[METIER].nunique()
        breadth_rows.append(pd.DataFrame({YEAR: int(year), SKILL: n.index, METIERS_REQUIRING: n.to_numpy()}))
    breadth = pd.concat(breadth_rows, ignore_index=True)
    f = f.merge(breadth, on=[YEAR, SKILL], how="left")
    f[METIERS_REQUIRING] = f[METIERS_REQUIRING].fillna(0).astype("int64")
    top = max(int(breadth[METIERS_REQUIRING].max()) if len(breadth) else 1, 1)
    b = np.log1p(f[METIERS_REQUIRING].to_numpy()) / np.log1p(top)
    dem = f[DEMAND_FTE].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        scarcity = np.where(dem > 0, np.clip(1 - f[SUPPLY_FTE].to_numpy() / np.where(dem > 0, dem, 1), 0, 1), 0.0)
    f[CRITICALITY] = np.round(b * scarcity, 3)
    if candidates is not None:
        d = _index(balance.directions, f[DIRECTION])
        y = np.searchsorted(balance.years, f[YEAR].to_numpy())
        s = _index(balance.skills, f[SKILL])
        f[CANDIDATES] = candidates[d, y, s]
    else:
        f[CANDIDATES] = 0.0
    need = f[SHORTAGE_FTE].to_numpy()
    cand = f[CANDIDATES].to_numpy()
    f[ACTION] = np.select([need < tolerance, cand >= need, cand >= tolerance],
                          ["none", "train", "train_and_recruit"], "recruit")
    return f.sort_values([YEAR, DIRECTION, SKILL], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------ passerelles


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


# ------------------------------------------------------------------------------------------ the whole analysis


@dataclass(frozen=True, eq=False)
class SkillAnalysis:
    """Everything the pages and exports show, for one scenario: see ``analyse``."""

    params: TransformationParams
    base_year: int
    years: np.ndarray
    extract_date: pd.Timestamp
    profile: pd.DataFrame
    new_requirements: pd.DataFrame
    timeline: pd.DataFrame
    positions: pd.DataFrame
    gaps: pd.DataFrame
    gaps_total: pd.DataFrame  # the same, all directions together (direction ALL_DIRECTIONS)
    passerelles: pd.DataFrame
    candidates: pd.DataFrame
    metier_labels: pd.Series
    skill_labels: pd.Series
    projection_source: str  # "projection" (the engine) or "stand-in"
    rome_version: str | None = None
    projection_note: str | None = None  # why the stand-in was used, when the engine was wanted


def analyse(inputs: SkillInputs, params: TransformationParams | None = None,
            projection: pd.DataFrame | None = None, presence: np.ndarray | None = None) -> SkillAnalysis:
    """Transformation profile, skill gaps with their indicators, passerelles and reskilling candidates.

    ``projection``: the engine's output (see ``positions_from_projection``); without it, the stand-in of
    ``standin_projection`` over ``params.horizon`` years.
    """
    params = params or TransformationParams()
    profile, new = transformation_profile(inputs, params)
    timeline = requirement_timeline(inputs, new)
    base = inputs.base_year
    if projection is not None:
        positions = positions_from_projection(projection)
        positions = positions[positions[YEAR] > base].reset_index(drop=True)  # the engine's year 0 is the start
        source = "projection"
    else:
        years = np.arange(base + 1, base + params.horizon + 1)
        positions = standin_projection(inputs, profile, years, params.intensity)
        source = "stand-in"
    years = np.asarray(sorted(positions[YEAR].unique()), dtype=int)
    known = set(inputs.skills["code"])
    skill_codes = _codes(pd.concat([timeline[SKILL], inputs.agent_skills.loc[
        inputs.agent_skills[SKILL].isin(known), SKILL]], ignore_index=True))
    now = active_requirements(timeline, base)
    levels = agent_level_matrix(inputs.agents, inputs.agent_skills, now, skill_codes)
    thresholds = held_thresholds(timeline, skill_codes)
    balance = skill_balance(positions, inputs.agents, levels, timeline, skill_codes, presence=presence,
                            thresholds=thresholds)
    horizon_year = int(years.max())
    local = SkillSpace.build(active_requirements(timeline, horizon_year), inputs.local_metiers()["code"])
    held = held_matrix(levels, thresholds)
    cands = internal_candidates(inputs.agents, levels, held, skill_codes, timeline, horizon_year, local,
                                balance.presence, balance.directions, params.min_coverage)
    gaps = add_indicators(balance, timeline, cands, params.tolerance)
    gaps_total = add_indicators(total_balance(balance), timeline, cands.sum(axis=0, keepdims=True), params.tolerance)
    skill_labels = inputs.skills.drop_duplicates("code").set_index("code")["label"]
    mob = mobility_affinity(inputs.mobility, local.metiers)
    pas = passerelles(profile, local, mob, skill_labels, params.passerelles_k, params.alpha)
    cand = reskilling_candidates(inputs.agents, levels, skill_codes, profile, local, params.min_coverage)
    return SkillAnalysis(params=params, base_year=base, years=years, extract_date=inputs.extract_date,
                         profile=profile, new_requirements=new, timeline=timeline, positions=positions, gaps=gaps,
                         gaps_total=gaps_total,
                         passerelles=pas, candidates=cand,
                         metier_labels=inputs.metiers.drop_duplicates("code").set_index("code")["label"],
                         skill_labels=skill_labels, projection_source=source, rome_version=inputs.rome_version)


def engine_projection(engine, scenario, inputs: SkillInputs | None = None) -> pd.DataFrame:
    """The projection engine's long table for ``scenario``, through the one function from a scenario to a
    projection (:func:`workforce.projection_inputs.project_scenario`): the same figures as the CLI and the app,
    the transformation factors applied there once, the run recorded.
    """
    # imported here: projection_inputs sits above this module (it reads the transformation factors from it)
    from workforce import projection_inputs as PI

    loaded = PI.load(engine, skill_inputs=inputs)
    return PI.project_scenario(engine, scenario, inputs=loaded, origin="skills").table()


def analyse_db(engine, scenario=None, *, intensity: float | None = None, horizon: int | None = None,
               inputs: SkillInputs | None = None, use_engine: bool = True) -> SkillAnalysis:
    """``analyse`` on the database's data under a ``workforce.scenario.Scenario`` (or its defaults).

    The scenario gives the transformation intensity and the horizon (``intensity`` and ``horizon`` override
    them). When the projection engine is installed (and ``use_engine``), it projects the positions under the
    scenario through ``engine_projection`` (this module's transformation factors as the scenario's
    ``demand_factors`` unless the scenario sets its own, applied there once); if the engine is missing or fails, the stand-in projection is used and
    ``projection_note`` says why.
    """
    inputs = inputs if inputs is not None else load_inputs(engine)
    knobs = {}
    if scenario is not None:
        knobs = {"intensity": float(scenario.transformation_intensity), "horizon": int(scenario.horizon)}
    if intensity is not None:
        knobs["intensity"] = float(intensity)
    if horizon is not None:
        knobs["horizon"] = int(horizon)
    params = TransformationParams(**knobs)
    projection, note = None, None
    if use_engine:
        try:
            from workforce.scenario import Scenario

            run_with = scenario if scenario is not None else Scenario()
            run_with = run_with.replace(horizon=params.horizon, transformation_intensity=params.intensity)
            projection = engine_projection(engine, run_with, inputs)
        except ImportError:
            note = "moteur de projection non installé"
        except Exception as err:  # noqa: BLE001 - the export still goes out, saying why
            note = f"moteur de projection en échec ({type(err).__name__} : {err})"
    out = analyse(inputs, params, projection=projection)
    return replace(out, projection_note=note) if note else out
