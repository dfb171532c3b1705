"""What the skills analysis reads: the skills' column names, ``SkillInputs`` and the two ways to fill it
(``load_inputs`` from the database, ``inputs_from_synth`` from a synthetic département), the ROME fiches'
requirements, and the requirements in force in a year."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from workforce import db
from workforce.referential import load_builtin

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
SIMILARITY_BLOCS = (5, 6)  # the links the similarity reads: compétences and savoirs, contextes de travail


@dataclass(frozen=True, eq=False)
class SkillInputs:
    """Everything the skills analysis reads, as frames (see ``load_inputs`` and ``inputs_from_synth``).

    metiers: code, label, source (builtin, local, rome), famille, direction, rome_codes, transition_eco,
    transition_num, transition_demo. skills: code, label, kind, transition_eco, transition_num.
    requirements: metier_code, skill_code, level, from_year (Int64) of local métiers. rome_requirements: the
    same for ROME fiches (level 1, from_year missing); empty without a ROME release. agents: agent_id,
    metier_code, direction, etp (today's population). agent_skills: agent_id, skill_code, level (assessed).
    mobility: from_metier, to_metier (internal métier changes). history: year, metier_code, direction,
    headcount, etp, exits (year-end stock and the year's departures). rome_links: code_rome, bloc, rubrique,
    code_ogr of the fiches' compétences, savoirs (bloc 5) and contextes (bloc 6); rome_appellations: code_rome,
    label; both None without a ROME release (what ``workforce.skills.similarity`` reads beyond the skills).
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
    rome_links: pd.DataFrame | None = None
    rome_appellations: pd.DataFrame | None = None

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
    ref = ref if ref is not None else load_builtin()
    snaps = sd.snapshots
    last_date = snaps["extract_date"].max()
    last = snaps[snaps["extract_date"] == last_date]
    metiers = ref.metiers[["code", "label", "famille", "direction", "rome_codes"]].assign(
        source="builtin", transition_eco=None, transition_num=None, transition_demo=None)
    skills = ref.skills[["code", "label", "kind"]].assign(transition_eco=None, transition_num=None)
    rome_req, links, appellations = empty_requirements(), None, None
    if rome_release is not None:
        metiers = pd.concat([metiers, rome_release.fiches[["code", "label", "famille", "rome_codes", "transition_eco",
                                                           "transition_num", "transition_demo"]]
                             .assign(source="rome", direction=None)], ignore_index=True)
        rs = rome_release.skills[["code", "label", "kind", "category", "transition_eco", "transition_num",
                                  "macro_code"]]
        skills = pd.concat([skills[~skills["code"].isin(rs["code"])], rs], ignore_index=True)
        rome_req = rome_requirements_from_links(rome_release.links)
        links = rome_release.links[rome_release.links["bloc"].isin(SIMILARITY_BLOCS)].reset_index(drop=True)
        appellations = rome_release.appellations[["code_rome", "label"]].reset_index(drop=True)
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
        rome_links=links, rome_appellations=appellations,
    )


def empty_requirements() -> pd.DataFrame:
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
        skills = db.read_frame(conn, select(db.Skill.code, db.Skill.label, db.Skill.kind, db.Skill.category,
                                            db.Skill.transition_eco, db.Skill.transition_num))
        req = db.read_frame(conn, select(db.MetierSkill.metier_code, db.MetierSkill.skill_code, db.MetierSkill.level,
                                         db.MetierSkill.from_year))
        links = db.read_frame(conn, select(db.RomeLink.code_rome, db.RomeLink.bloc, db.RomeLink.rubrique,
                                           db.RomeLink.code_ogr).where(db.RomeLink.bloc.in_(SIMILARITY_BLOCS)))
        appellations = db.read_frame(conn, select(db.RomeAppellation.code_rome, db.RomeAppellation.label))
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
        rome_requirements=rome_requirements_from_links(links) if len(links) else empty_requirements(),
        agents=agents.assign(etp=agents[ETP].astype(float)),
        agent_skills=assessed[[AGENT, SKILL, LEVEL]].reset_index(drop=True), mobility=mobility,
        history=_history_from(counts, departures), extract_date=pd.Timestamp(last_date), rome_version=version,
        rome_links=links if len(links) else None, rome_appellations=appellations if len(links) else None,
    )


def unique_codes(values: Iterable) -> np.ndarray:
    return np.asarray(pd.unique(pd.Series(list(values) if not isinstance(values, pd.Series) else values,
                                          dtype=object).dropna()), dtype=object)


def code_index(codes: np.ndarray, values) -> np.ndarray:
    """Position of each value in ``codes`` (-1 when absent)."""
    return pd.Index(codes).get_indexer(pd.Index(np.asarray(values, dtype=object)))


def active_requirements(timeline: pd.DataFrame, year: int) -> pd.DataFrame:
    """Requirements in force in ``year``: the latest row with ``from_year`` missing or not after it."""
    fy = timeline[FROM_YEAR]
    on = (fy.isna() | (fy <= year)).fillna(True).to_numpy(dtype=bool)
    active = timeline[on]
    order = active[FROM_YEAR].fillna(-1).astype("int64").to_numpy()
    return active.iloc[np.argsort(order, kind="stable")].drop_duplicates([METIER, SKILL], keep="last")
