"""Synthetic département: the embedded default data, and the ground truth the models are checked against.

A monthly microsimulation over whole-population arrays (one loop over months, never over agents). Each
month every active agent faces competing risks (retirement by channel, other exits by motive), then
internal mobility, titularisation, and the hires that fill vacancies whose recruitment delay has run out.
The law comes from `workforce.rules`; the behaviour from `SynthParams`, every figure of which is an
assumption calibrated on ../shared/reference/fpt-facts.md §2-4 and written out beside the data (`truth`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from workforce import rules
from workforce.columns import DEPARTURE_EXIT_MOTIVES, RETIREMENT_MOTIVES
from workforce.referential import Referential, load_builtin, split_codes

STATUTS = np.array(["titulaire", "stagiaire", "contractuel_permanent", "contractuel_non_permanent"])
TIT, STAG, CPERM, CNP = range(4)
CATEGORIES = np.array(["A", "B", "C"])
SEXES = np.array(["F", "M"])
SERVICE_CATEGORIES = np.array(["sedentaire", "active", "insalubre"])

EXIT_MOTIVES = DEPARTURE_EXIT_MOTIVES  # a simulated departure always has its motive: never "autre"
# every departure motive, in the order of the competing-risk draw
MOTIVES = np.array([*RETIREMENT_MOTIVES, *EXIT_MOTIVES])
RETIREMENT = "retraite"


def _monthly(annual):
    """Monthly probability with the same annual survival: 1 - (1 - p)^(1/12)."""
    return 1.0 - (1.0 - np.asarray(annual, dtype=float)) ** (1.0 / 12.0)


@dataclass
class SynthParams:
    """Behaviour of the synthetic département. Every figure is an assumption [U] unless it cites a fact.

    Retirement (fpt-facts §2): a spike of departures in the first month of eligibility, a tail to the age
    limit, invalidity before the AOD, and a carrière longue channel opening `carriere_longue_months`
    before the AOD for a share of agents that depends on the catégorie.
    """

    n_agents: int = 8000
    years: int = 10
    end: str = "2025-12-31"
    seed: int = 42
    # law in force over the history: the 2023 reform applies to every pension of the period
    regime: str = "reform2023"
    # share of those eligible who leave in their first month of eligibility (§2: 20-35 %)
    spike: float = 0.27
    # annual retirement hazard after the first month, before and from 65 (tail to the age limit)
    after_hazard: float = 0.20
    after_hazard_65: float = 0.32
    # carrière longue: share of agents flagged by catégorie, and how early the channel opens (§1: AOD - 2 y)
    carriere_longue_share: dict = field(default_factory=lambda: {"A": 0.04, "B": 0.15, "C": 0.30})
    carriere_longue_months: int = 24
    # invalidity: annual hazard at 57 and its growth per year of age (§2: ~0.33 % of agents, mean age ~57)
    invalidity_at_57: float = 0.0055
    invalidity_slope: float = 0.09
    # other exits of fonctionnaires, annual (§4); mutation by catégorie
    mutation: dict = field(default_factory=lambda: {"A": 0.030, "B": 0.024, "C": 0.011})
    disponibilite: float = 0.007
    detachement: float = 0.003
    demission_fonctionnaire: float = 0.003
    licenciement: float = 0.0005
    # death: annual hazard at 50 and growth per year of age
    deces_at_50: float = 0.0015
    deces_slope: float = 0.08
    # age modifier of voluntary exits: young agents move more
    young_multiplier: float = 1.6
    senior_multiplier: float = 0.5
    # contractuels (§4: 25-40 % a year, mostly end of contract)
    fin_contrat_permanent: float = 0.13
    fin_contrat_non_permanent: float = 0.42
    demission_contractuel: float = 0.05
    mutation_contractuel: float = 0.015
    titularisation: float = 0.055  # contractuel permanent -> stagiaire, a year
    stage_months: int = 12  # stagiaire -> titulaire
    # hires: statut mix (§4: contractuels are 73 % of entries) and age
    hire_statut: dict = field(
        default_factory=lambda: {"titulaire": 0.27, "stagiaire": 0.08, "contractuel_permanent": 0.40,
                                 "contractuel_non_permanent": 0.25}
    )
    hire_age_mean: float = 37.0
    hire_age_sd: float = 9.0
    replacement_rate: float = 0.97
    steady_exit_rate: float = 0.11  # annual exits of the steady state, to size the posts vacant at the start
    recruitment_delay_months: float = 3.0  # mean months a post stays vacant
    # internal mobility: annual probability, and the share of moves that change métier (else direction)
    mobility: float = 0.035
    mobility_change_metier: float = 0.5
    # demand growth a year by famille keyword (lower-case substring of the famille name)
    growth: dict = field(
        default_factory=lambda: {"numérique": 0.03, "autonomie": 0.02, "enfance": 0.012, "insertion": 0.01,
                                 "environnement": 0.015, "accueil": -0.025, "routes": -0.01,
                                 "administration": -0.008}
    )
    # initial age structure (two-component mixture) tuned so the last snapshot matches fpt-facts §3
    initial_age_mean: float = 47.5
    initial_age_sd: float = 10.0
    women_share: float = 0.63
    part_time_share: float = 0.07
    assessed_share: float = 0.35  # agents whose skills were assessed (entretien professionnel)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SyntheticDepartement:
    """The generated history: long frames in the database's column names, and the generating truth."""

    snapshots: pd.DataFrame
    movements: pd.DataFrame
    agent_skills: pd.DataFrame
    extract_dates: pd.DatetimeIndex
    truth: dict
    params: SynthParams


# ------------------------------------------------------------------------------------------ helpers

def month_ends(end: str, years: int) -> pd.DatetimeIndex:
    return pd.date_range(end=pd.Timestamp(end), periods=12 * years, freq="ME")


def _age_years(birth: np.ndarray, at: np.datetime64) -> np.ndarray:
    return (at - birth).astype("timedelta64[D]").astype(float) / 365.25


def _famille_growth(familles: pd.Series, growth: dict) -> np.ndarray:
    low = familles.str.lower()
    out = np.zeros(len(familles))
    for key, g in growth.items():
        out = np.where(low.str.contains(key, regex=False).to_numpy() & (out == 0), g, out)
    return out


def true_monthly_retirement(months_since_eligible: np.ndarray, age: np.ndarray, p: SynthParams) -> np.ndarray:
    """The generator's retirement hazard for an eligible agent, a month (0 = first month of eligibility)."""
    after = np.where(age >= 65, _monthly(p.after_hazard_65), _monthly(p.after_hazard))
    return np.where(months_since_eligible < 0, 0.0, np.where(months_since_eligible == 0, p.spike, after))


def true_annual_invalidity(age: np.ndarray, p: SynthParams) -> np.ndarray:
    return np.clip(p.invalidity_at_57 * np.exp(p.invalidity_slope * (np.asarray(age) - 57.0)), 0, 0.2)


def true_annual_death(age: np.ndarray, p: SynthParams) -> np.ndarray:
    return np.clip(p.deces_at_50 * np.exp(p.deces_slope * (np.asarray(age) - 50.0)), 0, 0.2)


# ------------------------------------------------------------------------------------------ population

class _Population:
    """Struct of arrays for every agent ever present; grows by doubling when hires exceed capacity."""

    FIELDS = {
        "birth": "datetime64[D]", "sex": np.int8, "statut": np.int8, "categorie": np.int8, "metier": np.int32,
        "direction": np.int32, "quotite": np.float64, "entry": "datetime64[D]", "ps_entry": "datetime64[D]",
        "cl": bool, "active_years": np.float64, "indice": np.int32, "stage_start": "datetime64[D]",
        "present": bool, "quarters_at_entry": np.float64,
    }

    def __init__(self, capacity: int):
        self.n = 0
        for name, dtype in self.FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))

    def add(self, **values) -> np.ndarray:
        k = len(next(iter(values.values())))
        if self.n + k > len(self.present):
            cap = max(2 * len(self.present), self.n + k)
            for name in self.FIELDS:
                arr = getattr(self, name)
                grown = np.zeros(cap, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                setattr(self, name, grown)
        idx = np.arange(self.n, self.n + k)
        for name, v in values.items():
            getattr(self, name)[idx] = v
        self.present[idx] = True
        self.n += k
        return idx


def _metier_tables(ref: Referential):
    m = ref.metiers.reset_index(drop=True)
    cat_p = np.zeros((len(m), 3))
    for i, spec in enumerate(m["categorie_weights"]):
        for part in split_codes(spec):
            c, w = part.split(":")
            cat_p[i, "ABC".index(c.strip())] = float(w)
    cat_p /= cat_p.sum(axis=1, keepdims=True)
    weights = m["weight"].to_numpy(float)
    directions = ref.directions["code"].tolist()
    default_dir = m["direction"].map({d: i for i, d in enumerate(directions)}).to_numpy()
    active = (m["service_category"] == "active").to_numpy()
    return m, cat_p, weights / weights.sum(), directions, default_dir, active


# Cadres d'emplois by (filière, catégorie): enough realism for grades and payroll later.
CADRES = {
    ("technique", "A"): "Ingénieurs territoriaux", ("technique", "B"): "Techniciens territoriaux",
    ("technique", "C"): "Adjoints techniques territoriaux",
    ("administrative", "A"): "Attachés territoriaux", ("administrative", "B"): "Rédacteurs territoriaux",
    ("administrative", "C"): "Adjoints administratifs territoriaux",
    ("sociale", "A"): "Assistants territoriaux socio-éducatifs", ("sociale", "B"): "Moniteurs-éducateurs",
    ("sociale", "C"): "Agents sociaux territoriaux",
    ("medico-sociale", "A"): "Puéricultrices territoriales", ("medico-sociale", "B"): "Infirmiers territoriaux",
    ("medico-sociale", "C"): "Auxiliaires de puériculture territoriaux",
    ("medico-technique", "A"): "Biologistes territoriaux", ("medico-technique", "B"): "Techniciens paramédicaux",
    ("medico-technique", "C"): "Auxiliaires de soins territoriaux",
    ("culturelle", "A"): "Conservateurs territoriaux du patrimoine",
    ("culturelle", "B"): "Assistants territoriaux de conservation",
    ("culturelle", "C"): "Adjoints territoriaux du patrimoine",
    ("sportive", "A"): "Conseillers territoriaux des APS", ("sportive", "B"): "Éducateurs territoriaux des APS",
    ("sportive", "C"): "Opérateurs territoriaux des APS",
    ("animation", "A"): "Attachés territoriaux", ("animation", "B"): "Animateurs territoriaux",
    ("animation", "C"): "Adjoints territoriaux d'animation",
}
# indice majoré at entry and its yearly progression by catégorie (grille indiciaire, rounded)
INDICE_START = np.array([420, 370, 366])
INDICE_STEP = np.array([11.0, 6.5, 3.2])
INDICE_MAX = np.array([830, 587, 473])


def _indice(categorie: np.ndarray, tenure_years: np.ndarray) -> np.ndarray:
    v = INDICE_START[categorie] + INDICE_STEP[categorie] * np.clip(tenure_years, 0, 40)
    return np.minimum(v, INDICE_MAX[categorie]).astype(np.int32)


# ------------------------------------------------------------------------------------------ generator

def generate(params: SynthParams | None = None, ref: Referential | None = None,
             progress: Callable[[int, int], None] | None = None) -> SyntheticDepartement:
    """Simulate the département month by month; deterministic for a given `params.seed`."""
    p = params or SynthParams()
    ref = ref or load_builtin()
    rng = np.random.default_rng(p.seed)
    m, cat_p, metier_p, directions, default_dir, metier_active = _metier_tables(ref)
    n_metiers = len(m)
    growth = _famille_growth(m["famille"], p.growth)
    dates = month_ends(p.end, p.years)
    start = dates[0].to_datetime64().astype("datetime64[D]")

    pop = _Population(int(p.n_agents * (1 + 0.2 * p.years)) + 100)
    _initial_population(pop, p, rng, n_metiers, cat_p, metier_p, default_dir, metier_active, start, len(directions))

    snaps, moves = [], []
    # posts already vacant at the start, as many as the steady state holds (departures x delay), so the
    # headcount does not sag while the first vacancies wait for their recruitment
    n_vac = rng.poisson(p.n_agents * _monthly(p.steady_exit_rate) * p.recruitment_delay_months)
    vac_metier = rng.choice(n_metiers, size=n_vac, p=metier_p).astype(np.int32)
    vac_dir = _direction_for(vac_metier, default_dir, len(directions), rng)
    vac_due = rng.integers(0, int(2 * p.recruitment_delay_months) + 1, n_vac).astype(np.int64)
    monthly_fin_cnp = _monthly(p.fin_contrat_non_permanent)

    for t, month_end in enumerate(dates):
        me = month_end.to_datetime64().astype("datetime64[D]")
        ms = (month_end - pd.offsets.MonthBegin(1)).to_datetime64().astype("datetime64[D]")
        days = int((me - ms).astype(int)) + 1
        idx = np.flatnonzero(pop.present[: pop.n])

        # January: posts created by demand growth (declining familles replace fewer departures)
        if month_end.month == 1:
            heads = np.bincount(pop.metier[idx], minlength=n_metiers)
            new_posts = rng.poisson(np.clip(growth, 0, None) * heads)
            nm = np.repeat(np.arange(n_metiers), new_posts).astype(np.int32)
            vac_metier = np.concatenate([vac_metier, nm])
            vac_dir = np.concatenate([vac_dir, _direction_for(nm, default_dir, len(directions), rng)])
            vac_due = np.concatenate([vac_due, t + rng.integers(0, 6, len(nm))])

        if t == 0:  # the first extract is the starting population; flows begin the month after
            snaps.append(_snapshot(pop, idx, me, t))
            continue

        # ---- departures: competing risks, one uniform per agent
        age = _age_years(pop.birth[idx], me)
        cat = pop.categorie[idx]
        st = pop.statut[idx]
        fonct = st <= STAG
        sc_declared = np.where(metier_active[pop.metier[idx]], "active", "sedentaire")
        eff = rules.effective_category(sc_declared, STATUTS[st], pop.active_years[idx])
        aod = rules.legal_age_date(pop.birth[idx], eff, p.regime)
        limit = rules.age_limit_date(pop.birth[idx], eff, p.regime)
        months_since = _months_between(aod, me)
        cl_open = rules.add_months(aod, -p.carriere_longue_months)
        months_since_cl = _months_between(cl_open, me)

        probs = np.zeros((len(idx), len(MOTIVES)))
        h_dc = true_monthly_retirement(months_since, age, p)
        h_cl = np.where(pop.cl[idx] & (months_since < 0), true_monthly_retirement(months_since_cl, age, p), 0.0)
        is_active_channel = eff == "active"
        probs[:, 0] = np.where(is_active_channel, 0.0, h_dc)
        probs[:, 1] = h_cl
        probs[:, 2] = np.where(fonct & (months_since < 0), _monthly(true_annual_invalidity(age, p)), 0.0)
        probs[:, 3] = np.where(is_active_channel, h_dc, 0.0)
        vol = np.where(age < 35, p.young_multiplier, np.where(age >= 55, p.senior_multiplier, 1.0))
        k = len(RETIREMENT_MOTIVES)
        mut = np.array([p.mutation[c] for c in "ABC"])[cat]
        probs[:, k + 0] = _monthly(np.where(fonct, mut, p.mutation_contractuel) * vol)
        probs[:, k + 1] = _monthly(np.where(fonct, p.demission_fonctionnaire, p.demission_contractuel) * vol)
        season = _school_season(month_end.month, m["famille"].to_numpy()[pop.metier[idx]])
        probs[:, k + 2] = np.where(st == CPERM, _monthly(p.fin_contrat_permanent),
                                   np.where(st == CNP, np.clip(monthly_fin_cnp * season, 0, 0.9), 0.0))
        probs[:, k + 3] = np.where(fonct, _monthly(p.disponibilite * vol), 0.0)
        probs[:, k + 4] = np.where(fonct, _monthly(p.detachement * vol), 0.0)
        probs[:, k + 5] = _monthly(true_annual_death(age, p))
        probs[:, k + 6] = _monthly(p.licenciement)
        probs = np.clip(probs, 0, 1)
        probs *= np.minimum(1.0, 1.0 / np.maximum(probs.sum(axis=1), 1e-12))[:, None]
        u = rng.random(len(idx))
        cum = np.cumsum(probs, axis=1)
        choice = (u[:, None] >= cum).sum(axis=1)  # len(MOTIVES) = stays
        leaves = choice < len(MOTIVES)
        # the age limit is certain: whoever reaches it this month leaves that day
        forced = limit <= me
        motive = np.where(forced, 4, choice)
        leaves |= forced
        day = ms + rng.integers(0, days, len(idx)).astype("timedelta64[D]")
        # a retirement never precedes the date its channel opens
        opens = np.where(choice == 1, cl_open, aod)
        dep_date = np.where(choice <= 3, np.maximum(day, np.where(choice == 2, day, opens)), day)
        dep_date = np.where(forced, limit, dep_date)
        dep_date = np.clip(dep_date, ms, me)
        gone = idx[leaves]
        pop.present[gone] = False
        moves.append(pd.DataFrame({
            "agent": gone, "movement_date": dep_date[leaves], "kind": "departure",
            "motive": MOTIVES[motive[leaves]], "from_metier": pop.metier[gone], "to_metier": -1,
            "from_direction": pop.direction[gone], "to_direction": -1,
        }))
        # each departure frees a post, replaced after the recruitment delay (declining familles less often)
        repl_p = np.clip(p.replacement_rate + np.minimum(growth[pop.metier[gone]], 0) * 3, 0, 1)
        keep = rng.random(len(gone)) < repl_p
        delay = rng.geometric(1.0 / (1.0 + p.recruitment_delay_months), keep.sum())
        vac_metier = np.concatenate([vac_metier, pop.metier[gone][keep]])
        vac_dir = np.concatenate([vac_dir, pop.direction[gone][keep]])
        vac_due = np.concatenate([vac_due, t + delay])

        # ---- internal mobility of those who stay
        stay = idx[~leaves]
        movers = stay[rng.random(len(stay)) < _monthly(p.mobility)]
        if len(movers):
            change_metier = rng.random(len(movers)) < p.mobility_change_metier
            new_metier = pop.metier[movers].copy()
            fam = m["famille"].to_numpy()
            same_fam = _same_famille_choice(fam[new_metier[change_metier]], fam, metier_p, rng)
            new_metier[change_metier] = same_fam
            new_dir = pop.direction[movers].copy()
            nd = _direction_for(new_metier, default_dir, len(directions), rng)
            new_dir = np.where(change_metier, nd, rng.integers(0, len(directions), len(movers)))
            changed = (new_metier != pop.metier[movers]) | (new_dir != pop.direction[movers])
            mv = movers[changed]
            moves.append(pd.DataFrame({
                "agent": mv, "movement_date": ms + rng.integers(0, days, len(mv)).astype("timedelta64[D]"),
                "kind": "internal", "motive": np.where(new_metier[changed] != pop.metier[mv],
                                                       "changement_metier", "changement_direction"),
                "from_metier": pop.metier[mv], "to_metier": new_metier[changed],
                "from_direction": pop.direction[mv], "to_direction": new_dir[changed],
            }))
            # catégorie follows the new métier when it cannot hold the old one
            pop.metier[mv] = new_metier[changed]
            pop.direction[mv] = new_dir[changed]
            bad = cat_p[pop.metier[mv], pop.categorie[mv]] == 0
            pop.categorie[mv[bad]] = _draw_categorie(pop.metier[mv[bad]], cat_p, rng)

        # ---- statut changes: titularisation, end of stage
        cperm = stay[pop.statut[stay] == CPERM]
        titul = cperm[rng.random(len(cperm)) < _monthly(p.titularisation)]
        pop.statut[titul] = STAG
        pop.stage_start[titul] = me
        stag = stay[pop.statut[stay] == STAG]
        done = stag[rules.add_months(pop.stage_start[stag], p.stage_months) <= me]
        pop.statut[done] = TIT

        # ---- hires for vacancies due this month (collèges recruit for the school year)
        due = vac_due <= t
        if month_end.month in (7, 8):
            col = np.char.find(np.char.lower(m["famille"].to_numpy()[vac_metier].astype(str)), "coll") >= 0
            due &= ~col
        if due.any():
            hm, hd = vac_metier[due], vac_dir[due]
            vac_metier, vac_dir, vac_due = vac_metier[~due], vac_dir[~due], vac_due[~due]
            new = _hire(pop, p, rng, hm, hd, cat_p, metier_active, ms, days)
            moves.append(pd.DataFrame({
                "agent": new, "movement_date": pop.entry[new], "kind": "arrival", "motive": "recrutement",
                "from_metier": -1, "to_metier": pop.metier[new], "from_direction": -1, "to_direction": pop.direction[new],
            }))

        # ---- ageing of active service, then the month-end snapshot
        here = np.flatnonzero(pop.present[: pop.n])
        act = here[metier_active[pop.metier[here]]]
        pop.active_years[act] += 1.0 / 12.0
        snaps.append(_snapshot(pop, here, me, t))
        if progress:
            progress(t + 1, len(dates))

    return _assemble(pop, p, ref, m, directions, dates, snaps, moves, rng)


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


def _draw_categorie(metiers: np.ndarray, cat_p: np.ndarray, rng) -> np.ndarray:
    cum = np.cumsum(cat_p[metiers], axis=1)
    return (rng.random(len(metiers))[:, None] >= cum).sum(axis=1).clip(0, 2).astype(np.int8)


def _direction_for(metiers: np.ndarray, default_dir: np.ndarray, n_dir: int, rng) -> np.ndarray:
    """Most agents sit in their métier's usual direction; a fifth of transversal jobs sit elsewhere."""
    other = rng.random(len(metiers)) < 0.08
    return np.where(other, rng.integers(0, n_dir, len(metiers)), default_dir[metiers]).astype(np.int32)


def _same_famille_choice(src_fam: np.ndarray, fam: np.ndarray, metier_p: np.ndarray, rng) -> np.ndarray:
    """A métier of the same famille, drawn in proportion to the métiers' sizes (vectorised by famille)."""
    out = np.zeros(len(src_fam), dtype=np.int32)
    for f in np.unique(src_fam):  # loop over familles (~20), not agents
        sel = np.flatnonzero(src_fam == f)
        cands = np.flatnonzero(fam == f)
        w = metier_p[cands] / metier_p[cands].sum()
        out[sel] = rng.choice(cands, size=len(sel), p=w)
    return out


def _statut_draw(n: int, shares: dict, rng) -> np.ndarray:
    w = np.array([shares[s] for s in STATUTS], float)
    return rng.choice(4, size=n, p=w / w.sum()).astype(np.int8)


def _initial_population(pop, p, rng, n_metiers, cat_p, metier_p, default_dir, metier_active, start, n_dir) -> None:
    n = p.n_agents
    metier = rng.choice(n_metiers, size=n, p=metier_p).astype(np.int32)
    categorie = _draw_categorie(metier, cat_p, rng)
    age = np.clip(rng.normal(p.initial_age_mean, p.initial_age_sd, n), 19, 66.5)
    # fewer agents beyond the usual departure ages at the start: thin the tail beyond 62
    late = age > 62
    age[late] = 62 - rng.random(late.sum()) * 20
    birth = start - (age * 365.25).astype("timedelta64[D]")
    statut = _statut_draw(n, {"titulaire": 0.74, "stagiaire": 0.03, "contractuel_permanent": 0.15,
                              "contractuel_non_permanent": 0.08}, rng)
    tenure = np.minimum(age - 19, rng.exponential(12, n))
    entry = start - (tenure * 365.25).astype("timedelta64[D]")
    ps_tenure = np.minimum(age - 19, tenure + rng.exponential(3, n))
    ps_entry = start - (ps_tenure * 365.25).astype("timedelta64[D]")
    direction = _direction_for(metier, default_dir, n_dir, rng)
    _fill(pop, p, rng, metier, categorie, birth, statut, entry, ps_entry, direction, metier_active, tenure)


def _fill(pop, p, rng, metier, categorie, birth, statut, entry, ps_entry, direction, metier_active,
          tenure) -> np.ndarray:
    n = len(metier)
    sex = (rng.random(n) >= p.women_share).astype(np.int8)  # 0 = F
    quotite = np.where((sex == 0) & (rng.random(n) < p.part_time_share / p.women_share),
                       rng.choice([0.5, 0.8, 0.9], size=n), 1.0)
    cl = rng.random(n) < np.array([p.carriere_longue_share[c] for c in "ABC"])[categorie]
    active_years = np.where(metier_active[metier], tenure, 0.0)
    start_work_age = np.where(cl, rng.uniform(16, 19.5, n), rng.uniform(19, 26, n))
    age_at_entry = (entry - birth).astype("timedelta64[D]").astype(float) / 365.25
    quarters = np.clip((age_at_entry - start_work_age) * 4 * rng.uniform(0.75, 1.0, n), 0, None)
    return pop.add(
        birth=birth, sex=sex, statut=statut, categorie=categorie, metier=metier, direction=direction,
        quotite=quotite, entry=entry, ps_entry=ps_entry, cl=cl, active_years=active_years,
        indice=_indice(categorie, tenure), stage_start=np.where(statut == STAG, entry, np.datetime64("NaT")),
        quarters_at_entry=quarters,
    )


def _hire(pop, p, rng, metier, direction, cat_p, metier_active, ms, days) -> np.ndarray:
    n = len(metier)
    categorie = _draw_categorie(metier, cat_p, rng)
    age = np.clip(rng.normal(p.hire_age_mean, p.hire_age_sd, n), 19, 60)
    entry = ms + rng.integers(0, days, n).astype("timedelta64[D]")
    birth = entry - (age * 365.25).astype("timedelta64[D]")
    statut = _statut_draw(n, p.hire_statut, rng)
    prior = np.minimum(np.where(statut == TIT, rng.uniform(1, 15, n), 0), np.clip(age - 19, 0, None))
    ps_entry = entry - (prior * 365.25).astype("timedelta64[D]")  # never before 19
    tenure = np.zeros(n)
    return _fill(pop, p, rng, metier, categorie, birth, statut, entry, ps_entry, direction, metier_active, tenure)


def _snapshot(pop, here, me, t) -> dict:
    return {
        "t": np.full(len(here), t, np.int32), "agent": here, "statut": pop.statut[here].copy(),
        "categorie": pop.categorie[here].copy(), "metier": pop.metier[here].copy(),
        "direction": pop.direction[here].copy(), "quotite": pop.quotite[here].copy(),
        "active_years": pop.active_years[here].copy(),
    }


def _assemble(pop, p, ref, m, directions, dates, snaps, moves, rng) -> SyntheticDepartement:
    n = pop.n
    agent_ids = pd.Series(np.arange(n)).astype(str).str.zfill(6).radd(f"SYN{p.seed % 1000:03d}-").to_numpy()
    codes = m["code"].to_numpy()
    dirs = np.asarray(directions, dtype=object)
    cat_codes = np.array(["A", "B", "C"])
    parts = {k: np.concatenate([s[k] for s in snaps]) for k in snaps[0]}
    a = parts["agent"]
    extract_date = dates.to_numpy().astype("datetime64[D]")[parts["t"]]
    tenure_years = (extract_date - pop.entry[a]).astype("timedelta64[D]").astype(float) / 365.25
    fil = m["filiere"].to_numpy()[parts["metier"]]
    catl = cat_codes[parts["categorie"]]
    cadre = pd.Series(list(zip(fil, catl))).map(CADRES).to_numpy()
    age_now = (extract_date - pop.birth[a]).astype("timedelta64[D]").astype(float) / 365.25
    snapshots = pd.DataFrame({
        "extract_date": extract_date,
        "agent_id": agent_ids[a],
        "birth_date": pop.birth[a],
        "sex": SEXES[pop.sex[a]],
        "statut": STATUTS[parts["statut"]],
        "categorie": catl,
        "filiere": fil,
        "cadre_emplois": cadre,
        "metier_code": codes[parts["metier"]],
        "metier_label": m["label"].to_numpy()[parts["metier"]],
        "direction": dirs[parts["direction"]],
        "quotite": parts["quotite"],
        "entry_date": pop.entry[a],
        "public_service_entry_date": pop.ps_entry[a],
        "service_category": np.where(m["service_category"].to_numpy()[parts["metier"]] == "active", "active",
                                     "sedentaire"),
        "position": "activite",
        "active_service_years": np.round(parts["active_years"], 2),
        "insurance_quarters": np.round(pop.quarters_at_entry[a] + np.clip(tenure_years, 0, None) * 4).astype(int),
        "indice_majore": _indice(parts["categorie"], tenure_years + np.clip(age_now - 40, 0, None) * 0.3),
    })
    mv = pd.concat(moves, ignore_index=True)
    mv_agent = mv.pop("agent").to_numpy()
    movements = mv.assign(
        agent_id=agent_ids[mv_agent],
        movement_date=pd.to_datetime(mv["movement_date"]),
        from_metier=_code_or_none(codes, mv["from_metier"].to_numpy()),
        to_metier=_code_or_none(codes, mv["to_metier"].to_numpy()),
        from_direction=_code_or_none(dirs, mv["from_direction"].to_numpy()),
        to_direction=_code_or_none(dirs, mv["to_direction"].to_numpy()),
    )[["agent_id", "movement_date", "kind", "motive", "from_metier", "to_metier", "from_direction", "to_direction"]]
    movements = movements.sort_values(["movement_date", "agent_id", "kind"], kind="stable").reset_index(drop=True)
    last = snapshots[snapshots["extract_date"] == snapshots["extract_date"].max()]
    agent_skills = _assess_skills(last, ref, p, rng, pd.Timestamp(dates[-1]))
    truth = {"params": p.to_dict(), "regime": p.regime, "motives": list(MOTIVES),
             "retirement_motives": list(RETIREMENT_MOTIVES),
             "hazard": {"monthly_spike": p.spike, "annual_after": p.after_hazard,
                        "annual_after_65": p.after_hazard_65,
                        "invalidity": f"{p.invalidity_at_57} * exp({p.invalidity_slope} * (age - 57))",
                        "death": f"{p.deces_at_50} * exp({p.deces_slope} * (age - 50))"},
             "first_year_retirement_probability": first_year_probability(p),
             # annual exit hazards at ages 35-54 (x young_multiplier under 35, x senior_multiplier from 55
             # for mutation, démission, disponibilité, détachement)
             "exits": {
                 "fonctionnaire": {"mutation": p.mutation, "demission": p.demission_fonctionnaire,
                                   "disponibilite": p.disponibilite, "detachement": p.detachement,
                                   "licenciement": p.licenciement},
                 "contractuel_permanent": {"fin_contrat": p.fin_contrat_permanent,
                                           "demission": p.demission_contractuel,
                                           "mutation": p.mutation_contractuel, "licenciement": p.licenciement},
                 "contractuel_non_permanent": {"fin_contrat": p.fin_contrat_non_permanent,
                                               "demission": p.demission_contractuel,
                                               "mutation": p.mutation_contractuel,
                                               "licenciement": p.licenciement},
             }}
    return SyntheticDepartement(snapshots, movements, agent_skills, pd.DatetimeIndex(dates), truth, p)


def first_year_probability(p: SynthParams) -> float:
    """True probability that an agent retires within the 12 months after eligibility opens (age < 65)."""
    return float(1 - (1 - p.spike) * (1 - _monthly(p.after_hazard)) ** 11)


def _code_or_none(codes: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.asarray(codes, dtype=object)[np.clip(idx, 0, None)]
    return np.where(idx >= 0, out, None)


def _assess_skills(last: pd.DataFrame, ref: Referential, p: SynthParams, rng, when: pd.Timestamp) -> pd.DataFrame:
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


# ------------------------------------------------------------------------------------------ calibration

# (label, low, high) per figure of fpt-facts §3-4, measured on the last snapshot or over the history
CALIBRATION_TARGETS = {
    "categorie_A": ("Catégorie A (%)", 23, 27), "categorie_B": ("Catégorie B (%)", 18, 22),
    "categorie_C": ("Catégorie C (%)", 52, 58),
    "filiere_technique": ("Filière technique (%)", 42, 48),
    "filiere_administrative": ("Filière administrative (%)", 25, 31),
    "filiere_sociale": ("Filières sociale et médico-sociale (%)", 19, 25),
    "filiere_culturelle": ("Filière culturelle (%)", 2, 4),
    "women": ("Femmes (%)", 60, 65), "mean_age": ("Âge moyen", 46, 47.5),
    "age_50": ("50 ans et plus (%)", 43, 52), "age_55": ("55 ans et plus (%)", 25, 28),
    "contractuels": ("Contractuels (%)", 19, 23), "active": ("Catégorie active (%)", 0.5, 5),
    "exit_rate": ("Taux de sortie annuel (%)", 8, 12.5),
    "retirement_share_fonct": ("Part de la retraite dans les sorties de fonctionnaires (%)", 40, 56),
    "mean_retirement_age": ("Âge moyen de départ à la retraite", 61.5, 63.5),
}


def calibration_measures(snapshots: pd.DataFrame, movements: pd.DataFrame) -> dict[str, float]:
    """The calibration figures measured on generated (or imported) data."""
    last_date = snapshots["extract_date"].max()
    last = snapshots[snapshots["extract_date"] == last_date]
    age = (pd.Timestamp(last_date) - pd.to_datetime(last["birth_date"])).dt.days / 365.25
    pct = lambda mask: 100.0 * float(np.mean(mask))  # noqa: E731
    fil = last["filiere"]
    out = {f"categorie_{c}": pct(last["categorie"] == c) for c in "ABC"}
    out |= {
        "filiere_technique": pct(fil == "technique"), "filiere_administrative": pct(fil == "administrative"),
        "filiere_sociale": pct(fil.isin(["sociale", "medico-sociale", "medico-technique"])),
        "filiere_culturelle": pct(fil == "culturelle"),
        "women": pct(last["sex"] == "F"), "mean_age": float(age.mean()),
        "age_50": pct(age >= 50), "age_55": pct(age >= 55),
        "contractuels": pct(last["statut"].str.startswith("contractuel")),
        "active": pct(last["service_category"] == "active"),
    }
    counts = snapshots.groupby("extract_date").size()
    years = max(len(counts) / 12.0, 1e-9)
    dep = movements[movements["kind"] == "departure"]
    out["exit_rate"] = 100.0 * len(dep) / years / counts.mean()
    # statut at departure, from the last snapshot each departing agent appears in
    status = snapshots.drop_duplicates("agent_id", keep="last").set_index("agent_id")["statut"]
    fonct = dep["agent_id"].map(status).isin(["titulaire", "stagiaire"])
    retired = dep["motive"].isin(RETIREMENT_MOTIVES)
    out["retirement_share_fonct"] = pct(retired[fonct]) if fonct.any() else float("nan")
    births = snapshots.drop_duplicates("agent_id", keep="last").set_index("agent_id")["birth_date"]
    ret = dep[retired]
    ages = (pd.to_datetime(ret["movement_date"]) - pd.to_datetime(ret["agent_id"].map(births))).dt.days / 365.25
    out["mean_retirement_age"] = float(ages.mean())
    return out


def calibration_table(sd: SyntheticDepartement) -> pd.DataFrame:
    measured = calibration_measures(sd.snapshots, sd.movements)
    rows = [
        {"indicateur": label, "cible_min": lo, "cible_max": hi, "mesure": round(measured[key], 2),
         "ok": bool(lo <= measured[key] <= hi)}
        for key, (label, lo, hi) in CALIBRATION_TARGETS.items()
    ]
    return pd.DataFrame(rows, index=list(CALIBRATION_TARGETS))


# ------------------------------------------------------------------------------------------ storage

def store(sd: SyntheticDepartement, engine, truth_dir: Path | None = None) -> dict[str, int]:
    """Replace the synthetic history in the database (one transaction) and write the truth beside it."""
    from sqlalchemy import delete, select

    from workforce import db
    from workforce.referential import store_referential

    db.init_db(engine)
    with db.session_scope(engine) as session:
        store_referential(session, load_builtin())
        old = select(db.Extract.id).where(db.Extract.kind == "synthetic")
        session.execute(delete(db.Movement).where(db.Movement.extract_id.in_(old)))
        session.execute(delete(db.AgentSnapshot).where(db.AgentSnapshot.extract_id.in_(old)))
        session.execute(delete(db.AgentSkill).where(db.AgentSkill.agent_id.like("SYN%")))
        session.execute(delete(db.Extract).where(db.Extract.kind == "synthetic"))
        counts = sd.snapshots.groupby("extract_date").size()
        extracts = pd.DataFrame({
            "extract_date": counts.index, "source": f"synthetic seed={sd.params.seed}", "kind": "synthetic",
            "rows_read": counts.to_numpy(), "rows_stored": counts.to_numpy(), "rows_quarantined": 0,
            "imported_at": pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
        })
        db.bulk_insert(session, db.Extract, extracts)
        ids = db.read_frame(session.connection(), select(db.Extract.id, db.Extract.extract_date)
                            .where(db.Extract.kind == "synthetic"))
        by_date = pd.Series(ids["id"].to_numpy(), index=pd.to_datetime(ids["extract_date"]))
        snaps = sd.snapshots.assign(extract_id=pd.to_datetime(sd.snapshots["extract_date"]).map(by_date))
        n_snap = db.bulk_insert(session, db.AgentSnapshot, snaps)
        # a movement belongs to the extract of its month
        month_end = pd.to_datetime(sd.movements["movement_date"]) + pd.offsets.MonthEnd(0)
        n_mov = db.bulk_insert(session, db.Movement, sd.movements.assign(extract_id=month_end.map(by_date)))
        n_sk = db.bulk_insert(session, db.AgentSkill, sd.agent_skills)
        db.audit(session, "synth", {"seed": sd.params.seed, "agents": sd.params.n_agents, "years": sd.params.years})
    if truth_dir is not None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        (truth_dir / "truth.json").write_text(json.dumps(sd.truth, indent=2, ensure_ascii=False, default=str))
    return {"extracts": len(extracts), "agent_snapshots": n_snap, "movements": n_mov, "agent_skills": n_sk}
