"""The simulation's records turned into the database's frames: snapshots, movements, assessed skills.

During the simulation each month-end keeps a `snapshot` of the integer-coded arrays; at the end `assemble`
turns the snapshots and movements into long frames in the database's column names (``agent_snapshots``,
``movements``, ``agent_skills``), agents named ``SYN<seed>-<number>``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.referential import Referential
from workforce.synth.params import CATEGORIES, SEXES, STATUTS, SynthParams, SyntheticDepartement
from workforce.synth.population import CADRES, MetierTables, Population, indice
from workforce.synth.truth import truth_dict

MOVEMENT_COLUMNS = ["agent_id", "movement_date", "kind", "motive", "from_metier", "to_metier", "from_direction",
                    "to_direction"]


def snapshot(pop: Population, here: np.ndarray, t: int) -> dict:
    """What month ``t``'s extract keeps of the agents ``here`` (copies: the arrays change afterwards)."""
    return {
        "t": np.full(len(here), t, np.int32), "agent": here, "statut": pop.statut[here].copy(),
        "categorie": pop.categorie[here].copy(), "metier": pop.metier[here].copy(),
        "direction": pop.direction[here].copy(), "quotite": pop.quotite[here].copy(),
        "active_years": pop.active_years[here].copy(),
    }


def assemble(pop: Population, p: SynthParams, ref: Referential, tables: MetierTables, dates: pd.DatetimeIndex,
             snaps: list[dict], moves: list[pd.DataFrame], rng) -> SyntheticDepartement:
    """The generated history: snapshot and movement frames, assessed skills on the last extract, the truth."""
    agent_ids = pd.Series(np.arange(pop.n)).astype(str).str.zfill(6).radd(f"SYN{p.seed % 1000:03d}-").to_numpy()
    directions = np.asarray(tables.directions, dtype=object)
    snapshots = snapshot_frame(pop, tables, directions, agent_ids, dates, snaps)
    movements = movement_frame(moves, tables.frame["code"].to_numpy(), directions, agent_ids)
    last = snapshots[snapshots["extract_date"] == snapshots["extract_date"].max()]
    agent_skills = assess_skills(last, ref, p, rng, pd.Timestamp(dates[-1]))
    return SyntheticDepartement(snapshots, movements, agent_skills, pd.DatetimeIndex(dates), truth_dict(p), p)


def snapshot_frame(pop: Population, tables: MetierTables, directions: np.ndarray, agent_ids: np.ndarray,
                   dates: pd.DatetimeIndex, snaps: list[dict]) -> pd.DataFrame:
    """One row per agent and month-end, in ``agent_snapshots``' columns."""
    m = tables.frame
    parts = {k: np.concatenate([s[k] for s in snaps]) for k in snaps[0]}
    a = parts["agent"]
    extract_date = dates.to_numpy().astype("datetime64[D]")[parts["t"]]
    tenure_years = (extract_date - pop.entry[a]).astype("timedelta64[D]").astype(float) / 365.25
    fil = m["filiere"].to_numpy()[parts["metier"]]
    catl = CATEGORIES[parts["categorie"]]
    cadre = pd.Series(list(zip(fil, catl))).map(CADRES).to_numpy()
    age_now = (extract_date - pop.birth[a]).astype("timedelta64[D]").astype(float) / 365.25
    return pd.DataFrame({
        "extract_date": extract_date,
        "agent_id": agent_ids[a],
        "birth_date": pop.birth[a],
        "sex": SEXES[pop.sex[a]],
        "statut": STATUTS[parts["statut"]],
        "categorie": catl,
        "filiere": fil,
        "cadre_emplois": cadre,
        "metier_code": m["code"].to_numpy()[parts["metier"]],
        "metier_label": m["label"].to_numpy()[parts["metier"]],
        "direction": directions[parts["direction"]],
        "quotite": parts["quotite"],
        "entry_date": pop.entry[a],
        "public_service_entry_date": pop.ps_entry[a],
        "service_category": np.where(m["service_category"].to_numpy()[parts["metier"]] == "active", "active",
                                     "sedentaire"),
        "position": "activite",
        "active_service_years": np.round(parts["active_years"], 2),
        "insurance_quarters": np.round(pop.quarters_at_entry[a] + np.clip(tenure_years, 0, None) * 4).astype(int),
        "indice_majore": indice(parts["categorie"], tenure_years + np.clip(age_now - 40, 0, None) * 0.3),
    })


def movement_frame(moves: list[pd.DataFrame], codes: np.ndarray, directions: np.ndarray,
                   agent_ids: np.ndarray) -> pd.DataFrame:
    """Every movement in ``movements``' columns, codes in place of positions, sorted by date and agent."""
    mv = pd.concat(moves, ignore_index=True)
    mv_agent = mv.pop("agent").to_numpy()
    movements = mv.assign(
        agent_id=agent_ids[mv_agent],
        movement_date=pd.to_datetime(mv["movement_date"]),
        from_metier=_code_or_none(codes, mv["from_metier"].to_numpy()),
        to_metier=_code_or_none(codes, mv["to_metier"].to_numpy()),
        from_direction=_code_or_none(directions, mv["from_direction"].to_numpy()),
        to_direction=_code_or_none(directions, mv["to_direction"].to_numpy()),
    )[MOVEMENT_COLUMNS]
    return movements.sort_values(["movement_date", "agent_id", "kind"], kind="stable").reset_index(drop=True)


def _code_or_none(codes: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.asarray(codes, dtype=object)[np.clip(idx, 0, None)]
    return np.where(idx >= 0, out, None)


def assess_skills(last: pd.DataFrame, ref: Referential, p: SynthParams, rng, when: pd.Timestamp) -> pd.DataFrame:
    """Assessed levels for a share of the agents: around their métier's required level, lower for skills
    that only become required in the future (the gap the transformation opens)."""
    chosen = last[rng.random(len(last)) < p.assessed_share][["agent_id", "metier_code"]]
    req = ref.metier_skills.rename(columns={"level": "required"})
    pairs = chosen.merge(req, on="metier_code", how="inner")
    future = pairs["from_year"].notna().to_numpy()
    noise = np.rint(rng.normal(0, 0.8, len(pairs))).astype(int)
    level = pairs["required"].to_numpy() + noise - np.where(future, 1 + rng.integers(0, 2, len(pairs)), 0)
    held = ~future | (rng.random(len(pairs)) < 0.4)
    out = pd.DataFrame({
        "agent_id": pairs["agent_id"].to_numpy(), "skill_code": pairs["skill_code"].to_numpy(),
        "level": np.clip(level, 1, 4), "assessed_on": when - pd.to_timedelta(rng.integers(0, 730, len(pairs)), "D"),
    })[held]
    return out.reset_index(drop=True)
