"""What happens to the synthetic département in a month, each event over whole-population arrays.

In order: in January, posts created by demand growth (`open_growth_posts`); then the departures, competing
risks drawn with one uniform per agent (`departures`), each freeing a post that opens after the recruitment
delay (`replace_departed`); internal mobility (`internal_mobility`); titularisation and the end of the stage
(`statut_changes`); the hires into the posts whose delay has run out (`fill_due_vacancies`); the ageing of
active service (`age_active_service`). Each event returns the movements it made, in the database's columns
but with integer codes (``agent``, ``from_metier`` ...; -1 for none), turned into codes by
`workforce.synth.frames`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce import rules
from workforce.columns import RETIREMENT_MOTIVES
from workforce.synth.params import CNP, CPERM, MOTIVES, STAG, STATUTS, TIT, SynthParams
from workforce.synth.population import MetierTables, Population, direction_for, draw_categorie, hire
from workforce.synth.truth import monthly, true_annual_death, true_annual_invalidity, true_monthly_retirement

FORCED_MOTIVE = 4  # position in MOTIVES of the departure at the age limit
GROWTH_POSTS_WITHIN = 6  # [U] months within which a post created in January is open to recruitment


@dataclass(frozen=True)
class Month:
    """Month ``t`` of the history: its first (``ms``) and last (``me``) day and its length in days."""

    t: int
    end: pd.Timestamp
    ms: np.datetime64
    me: np.datetime64
    days: int

    @classmethod
    def of(cls, t: int, month_end: pd.Timestamp) -> "Month":
        me = month_end.to_datetime64().astype("datetime64[D]")
        ms = (month_end - pd.offsets.MonthBegin(1)).to_datetime64().astype("datetime64[D]")
        return cls(t, month_end, ms, me, int((me - ms).astype(int)) + 1)

    def random_days(self, n: int, rng) -> np.ndarray:
        """``n`` days drawn uniformly in the month."""
        return self.ms + rng.integers(0, self.days, n).astype("timedelta64[D]")


@dataclass
class Vacancies:
    """Posts waiting for a recruit: métier, direction, and the month index from which they can be filled."""

    metier: np.ndarray
    direction: np.ndarray
    due: np.ndarray

    def add(self, metier: np.ndarray, direction: np.ndarray, due: np.ndarray) -> None:
        self.metier = np.concatenate([self.metier, metier])
        self.direction = np.concatenate([self.direction, direction])
        self.due = np.concatenate([self.due, due])

    def take(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Remove the posts of ``mask``; their métiers and directions."""
        taken = self.metier[mask], self.direction[mask]
        self.metier, self.direction, self.due = self.metier[~mask], self.direction[~mask], self.due[~mask]
        return taken


def initial_vacancies(p: SynthParams, rng, tables: MetierTables) -> Vacancies:
    """Posts already vacant at the start, as many as the steady state holds (departures x delay), so the
    headcount does not sag while the first vacancies wait for their recruitment."""
    n_vac = rng.poisson(p.n_agents * monthly(p.steady_exit_rate) * p.recruitment_delay_months)
    metier = rng.choice(tables.n_metiers, size=n_vac, p=tables.weights).astype(np.int32)
    direction = direction_for(metier, tables.default_direction, tables.n_directions, rng)
    due = rng.integers(0, int(2 * p.recruitment_delay_months) + 1, n_vac).astype(np.int64)
    return Vacancies(metier, direction, due)


def famille_growth(familles: pd.Series, growth: dict) -> np.ndarray:
    """Annual demand growth of each métier: the first keyword of ``growth`` its famille name contains."""
    low = familles.str.lower()
    out = np.zeros(len(familles))
    for key, g in growth.items():
        out = np.where(low.str.contains(key, regex=False).to_numpy() & (out == 0), g, out)
    return out


def open_growth_posts(pop: Population, idx: np.ndarray, vac: Vacancies, growth: np.ndarray, tables: MetierTables,
                      month: Month, rng) -> None:
    """January: posts created by demand growth (declining familles replace fewer departures instead)."""
    heads = np.bincount(pop.metier[idx], minlength=tables.n_metiers)
    new_posts = rng.poisson(np.clip(growth, 0, None) * heads)
    nm = np.repeat(np.arange(tables.n_metiers), new_posts).astype(np.int32)
    nd = direction_for(nm, tables.default_direction, tables.n_directions, rng)
    vac.add(nm, nd, month.t + rng.integers(0, GROWTH_POSTS_WITHIN, len(nm)))


# ------------------------------------------------------------------------------------------ departures

@dataclass(frozen=True)
class _LawDates:
    """The pension law as it applies to the agents present: effective category and dates, in months."""

    effective: np.ndarray  # service category in force for the pension
    aod: np.ndarray  # legal age date
    limit: np.ndarray  # age limit date
    cl_open: np.ndarray  # date the carrière longue channel opens
    months_since: np.ndarray  # whole months since the AOD (negative before)
    months_since_cl: np.ndarray


def _law_dates(pop: Population, idx: np.ndarray, p: SynthParams, tables: MetierTables, me) -> _LawDates:
    sc_declared = np.where(tables.active[pop.metier[idx]], "active", "sedentaire")
    eff = rules.effective_category(sc_declared, STATUTS[pop.statut[idx]], pop.active_years[idx])
    aod = rules.legal_age_date(pop.birth[idx], eff, p.regime)
    limit = rules.age_limit_date(pop.birth[idx], eff, p.regime)
    cl_open = rules.add_months(aod, -p.carriere_longue_months)
    return _LawDates(eff, aod, limit, cl_open, _months_between(aod, me), _months_between(cl_open, me))


def departure_hazards(pop: Population, idx: np.ndarray, law: _LawDates, p: SynthParams, tables: MetierTables,
                      month: Month) -> np.ndarray:
    """Monthly probability of each motive (agents x MOTIVES), rows summing to at most 1."""
    age = _age_years(pop.birth[idx], month.me)
    cat = pop.categorie[idx]
    st = pop.statut[idx]
    fonct = st <= STAG
    probs = np.zeros((len(idx), len(MOTIVES)))
    h_dc = true_monthly_retirement(law.months_since, age, p)
    h_cl = np.where(pop.cl[idx] & (law.months_since < 0), true_monthly_retirement(law.months_since_cl, age, p), 0.0)
    is_active_channel = law.effective == "active"
    probs[:, 0] = np.where(is_active_channel, 0.0, h_dc)
    probs[:, 1] = h_cl
    probs[:, 2] = np.where(fonct & (law.months_since < 0), monthly(true_annual_invalidity(age, p)), 0.0)
    probs[:, 3] = np.where(is_active_channel, h_dc, 0.0)
    vol = np.where(age < 35, p.young_multiplier, np.where(age >= 55, p.senior_multiplier, 1.0))
    k = len(RETIREMENT_MOTIVES)
    mut = np.array([p.mutation[c] for c in "ABC"])[cat]
    probs[:, k + 0] = monthly(np.where(fonct, mut, p.mutation_contractuel) * vol)
    probs[:, k + 1] = monthly(np.where(fonct, p.demission_fonctionnaire, p.demission_contractuel) * vol)
    season = _school_season(month.end.month, tables.famille[pop.metier[idx]])
    probs[:, k + 2] = np.where(st == CPERM, monthly(p.fin_contrat_permanent),
                               np.where(st == CNP, np.clip(monthly(p.fin_contrat_non_permanent) * season, 0, 0.9),
                                        0.0))
    probs[:, k + 3] = np.where(fonct, monthly(p.disponibilite * vol), 0.0)
    probs[:, k + 4] = np.where(fonct, monthly(p.detachement * vol), 0.0)
    probs[:, k + 5] = monthly(true_annual_death(age, p))
    probs[:, k + 6] = monthly(p.licenciement)
    probs = np.clip(probs, 0, 1)
    probs *= np.minimum(1.0, 1.0 / np.maximum(probs.sum(axis=1), 1e-12))[:, None]
    return probs


def departures(pop: Population, idx: np.ndarray, p: SynthParams, tables: MetierTables, month: Month,
               rng) -> tuple[np.ndarray, pd.DataFrame]:
    """Draw who leaves among ``idx`` this month (one uniform each), mark them gone; (leaves mask, movements)."""
    law = _law_dates(pop, idx, p, tables, month.me)
    probs = departure_hazards(pop, idx, law, p, tables, month)
    u = rng.random(len(idx))
    cum = np.cumsum(probs, axis=1)
    choice = (u[:, None] >= cum).sum(axis=1)  # len(MOTIVES) = stays
    leaves = choice < len(MOTIVES)
    # the age limit is certain: whoever reaches it this month leaves that day
    forced = law.limit <= month.me
    motive = np.where(forced, FORCED_MOTIVE, choice)
    leaves |= forced
    day = month.random_days(len(idx), rng)
    # a retirement never precedes the date its channel opens
    opens = np.where(choice == 1, law.cl_open, law.aod)
    dep_date = np.where(choice <= 3, np.maximum(day, np.where(choice == 2, day, opens)), day)
    dep_date = np.where(forced, law.limit, dep_date)
    dep_date = np.clip(dep_date, month.ms, month.me)
    gone = idx[leaves]
    pop.present[gone] = False
    return leaves, pd.DataFrame({
        "agent": gone, "movement_date": dep_date[leaves], "kind": "departure",
        "motive": MOTIVES[motive[leaves]], "from_metier": pop.metier[gone], "to_metier": -1,
        "from_direction": pop.direction[gone], "to_direction": -1,
    })


def replace_departed(pop: Population, gone: np.ndarray, vac: Vacancies, growth: np.ndarray, p: SynthParams,
                     month: Month, rng) -> None:
    """Each departure frees a post, replaced after the recruitment delay (declining familles less often)."""
    repl_p = np.clip(p.replacement_rate + np.minimum(growth[pop.metier[gone]], 0) * 3, 0, 1)
    keep = rng.random(len(gone)) < repl_p
    delay = rng.geometric(1.0 / (1.0 + p.recruitment_delay_months), keep.sum())
    vac.add(pop.metier[gone][keep], pop.direction[gone][keep], month.t + delay)


# ------------------------------------------------------------------------------------------ careers

def internal_mobility(pop: Population, stay: np.ndarray, p: SynthParams, tables: MetierTables, month: Month,
                      rng) -> pd.DataFrame | None:
    """Moves of those who stay: to a métier of the same famille (and its direction), or to another direction."""
    movers = stay[rng.random(len(stay)) < monthly(p.mobility)]
    if not len(movers):
        return None
    change_metier = rng.random(len(movers)) < p.mobility_change_metier
    new_metier = pop.metier[movers].copy()
    fam = tables.famille
    new_metier[change_metier] = _same_famille_choice(fam[new_metier[change_metier]], fam, tables.weights, rng)
    nd = direction_for(new_metier, tables.default_direction, tables.n_directions, rng)
    new_dir = np.where(change_metier, nd, rng.integers(0, tables.n_directions, len(movers)))
    changed = (new_metier != pop.metier[movers]) | (new_dir != pop.direction[movers])
    mv = movers[changed]
    moves = pd.DataFrame({
        "agent": mv, "movement_date": month.random_days(len(mv), rng),
        "kind": "internal", "motive": np.where(new_metier[changed] != pop.metier[mv],
                                               "changement_metier", "changement_direction"),
        "from_metier": pop.metier[mv], "to_metier": new_metier[changed],
        "from_direction": pop.direction[mv], "to_direction": new_dir[changed],
    })
    pop.metier[mv] = new_metier[changed]
    pop.direction[mv] = new_dir[changed]
    # catégorie follows the new métier when it cannot hold the old one
    bad = tables.categorie_p[pop.metier[mv], pop.categorie[mv]] == 0
    pop.categorie[mv[bad]] = draw_categorie(pop.metier[mv[bad]], tables.categorie_p, rng)
    return moves


def statut_changes(pop: Population, stay: np.ndarray, p: SynthParams, month: Month, rng) -> None:
    """Titularisation of contractuels permanents (who become stagiaires), then the end of the stage."""
    cperm = stay[pop.statut[stay] == CPERM]
    titul = cperm[rng.random(len(cperm)) < monthly(p.titularisation)]
    pop.statut[titul] = STAG
    pop.stage_start[titul] = month.me
    stag = stay[pop.statut[stay] == STAG]
    done = stag[rules.add_months(pop.stage_start[stag], p.stage_months) <= month.me]
    pop.statut[done] = TIT


def fill_due_vacancies(pop: Population, vac: Vacancies, p: SynthParams, tables: MetierTables, month: Month,
                       rng) -> pd.DataFrame | None:
    """Hires for the vacancies due this month (collèges recruit for the school year, not in July-August)."""
    due = vac.due <= month.t
    if month.end.month in (7, 8):
        col = np.char.find(np.char.lower(tables.famille[vac.metier].astype(str)), "coll") >= 0
        due &= ~col
    if not due.any():
        return None
    hm, hd = vac.take(due)
    new = hire(pop, p, rng, hm, hd, tables, month.ms, month.days)
    return pd.DataFrame({
        "agent": new, "movement_date": pop.entry[new], "kind": "arrival", "motive": "recrutement",
        "from_metier": -1, "to_metier": pop.metier[new], "from_direction": -1, "to_direction": pop.direction[new],
    })


def age_active_service(pop: Population, tables: MetierTables) -> np.ndarray:
    """A month of active service for those present in an active métier; the positions of those present."""
    here = pop.present_now()
    act = here[tables.active[pop.metier[here]]]
    pop.active_years[act] += 1.0 / 12.0
    return here


# ------------------------------------------------------------------------------------------ helpers

def _age_years(birth: np.ndarray, at: np.datetime64) -> np.ndarray:
    return (at - birth).astype("timedelta64[D]").astype(float) / 365.25


def _months_between(a: np.ndarray, b: np.datetime64) -> np.ndarray:
    """Whole months from date array `a` to date `b` (negative before), counted on the calendar."""
    am = a.astype("datetime64[M]").astype(np.int64)
    bm = np.datetime64(b, "M").astype(np.int64)
    return bm - am


def _school_season(month: int, familles: np.ndarray) -> np.ndarray:
    """Non-permanent contracts in collèges end with the school year: x4 in July, x0.7 otherwise."""
    col = np.char.find(np.char.lower(familles.astype(str)), "coll") >= 0
    factor = 4.0 if month == 7 else 8.0 / 11.0
    return np.where(col, factor, 1.0)


def _same_famille_choice(src_fam: np.ndarray, fam: np.ndarray, metier_p: np.ndarray, rng) -> np.ndarray:
    """A métier of the same famille, drawn in proportion to the métiers' sizes (vectorised by famille)."""
    out = np.zeros(len(src_fam), dtype=np.int32)
    for f in np.unique(src_fam):  # loop over familles (~20), not agents
        sel = np.flatnonzero(src_fam == f)
        cands = np.flatnonzero(fam == f)
        w = metier_p[cands] / metier_p[cands].sum()
        out[sel] = rng.choice(cands, size=len(sel), p=w)
    return out
