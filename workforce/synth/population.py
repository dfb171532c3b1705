"""The agents of the synthetic département: their arrays, the population at the start, and each hire.

`Population` holds one array per attribute of every agent ever present (integer codes of
`workforce.synth.params`); `initial_population` fills it at the first month, `hire` adds the recruits of a
month. Métier, catégorie, direction and statut are drawn from the built-in référentiel (`MetierTables`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce import rules
from workforce.referential import Referential, split_codes
from workforce.synth.params import STAG, STATUTS, TIT, SynthParams

# statut mix of the starting population [U] (fpt-facts §3: about 21 % contractuels on the last snapshot)
INITIAL_STATUT = {"titulaire": 0.74, "stagiaire": 0.03, "contractuel_permanent": 0.15,
                  "contractuel_non_permanent": 0.08}
OTHER_DIRECTION_SHARE = 0.08  # [U] agents whose direction is not their métier's usual one


class Population:
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

    def present_now(self) -> np.ndarray:
        """Positions of the agents present."""
        return np.flatnonzero(self.present[: self.n])


@dataclass(frozen=True, eq=False)
class MetierTables:
    """The référentiel's métiers as arrays indexed by métier position.

    ``categorie_p`` (métiers x 3): catégorie A/B/C shares; ``weights``: share of the workforce (sums to 1);
    ``default_direction``: position in ``directions`` of the métier's usual direction; ``active``: service
    en catégorie active; ``famille``: famille name.
    """

    frame: pd.DataFrame
    categorie_p: np.ndarray
    weights: np.ndarray
    directions: list
    default_direction: np.ndarray
    active: np.ndarray
    famille: np.ndarray

    @property
    def n_metiers(self) -> int:
        return len(self.frame)

    @property
    def n_directions(self) -> int:
        return len(self.directions)


def metier_tables(ref: Referential) -> MetierTables:
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
    return MetierTables(m, cat_p, weights / weights.sum(), directions, default_dir, active, m["famille"].to_numpy())


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


def indice(categorie: np.ndarray, tenure_years: np.ndarray) -> np.ndarray:
    """Indice majoré after ``tenure_years`` in the catégorie (capped at the top of the grille)."""
    v = INDICE_START[categorie] + INDICE_STEP[categorie] * np.clip(tenure_years, 0, 40)
    return np.minimum(v, INDICE_MAX[categorie]).astype(np.int32)


# ------------------------------------------------------------------------------------------ draws

def draw_categorie(metiers: np.ndarray, cat_p: np.ndarray, rng) -> np.ndarray:
    cum = np.cumsum(cat_p[metiers], axis=1)
    return (rng.random(len(metiers))[:, None] >= cum).sum(axis=1).clip(0, 2).astype(np.int8)


def direction_for(metiers: np.ndarray, default_dir: np.ndarray, n_dir: int, rng) -> np.ndarray:
    """Most agents sit in their métier's usual direction; a share of transversal jobs sit elsewhere."""
    other = rng.random(len(metiers)) < OTHER_DIRECTION_SHARE
    return np.where(other, rng.integers(0, n_dir, len(metiers)), default_dir[metiers]).astype(np.int32)


def statut_draw(n: int, shares: dict, rng) -> np.ndarray:
    w = np.array([shares[s] for s in STATUTS], float)
    return rng.choice(4, size=n, p=w / w.sum()).astype(np.int8)


# ------------------------------------------------------------------------------------------ arrivals

def initial_population(pop: Population, p: SynthParams, rng, tables: MetierTables, start: np.datetime64) -> None:
    """The ``p.n_agents`` agents present on the first day of the history."""
    n = p.n_agents
    metier = rng.choice(tables.n_metiers, size=n, p=tables.weights).astype(np.int32)
    categorie = draw_categorie(metier, tables.categorie_p, rng)
    age = np.clip(rng.normal(p.initial_age_mean, p.initial_age_sd, n), 19, 66.5)
    # fewer agents beyond the usual departure ages at the start: thin the tail beyond 62
    late = age > 62
    age[late] = 62 - rng.random(late.sum()) * 20
    birth = start - (age * 365.25).astype("timedelta64[D]")
    # nobody is in post past their own age limit (actives born before 1960 leave between 60 and 61 y 7 m): those
    # drawn past it are mirrored below it, without another draw, so every other agent stays as drawn
    declared = np.where(tables.active[metier], "active", "sedentaire")
    limit_age = rules.age_limit_months(birth, declared, p.regime) / 12.0
    past = age >= limit_age
    age[past] = np.maximum(2.0 * limit_age[past] - age[past] - 1.0 / 12.0, 19.0)
    birth = start - (age * 365.25).astype("timedelta64[D]")
    statut = statut_draw(n, INITIAL_STATUT, rng)
    tenure = np.minimum(age - 19, rng.exponential(12, n))
    entry = start - (tenure * 365.25).astype("timedelta64[D]")
    ps_tenure = np.minimum(age - 19, tenure + rng.exponential(3, n))
    ps_entry = start - (ps_tenure * 365.25).astype("timedelta64[D]")
    direction = direction_for(metier, tables.default_direction, tables.n_directions, rng)
    _fill(pop, p, rng, metier, categorie, birth, statut, entry, ps_entry, direction, tables.active, tenure)


def hire(pop: Population, p: SynthParams, rng, metier: np.ndarray, direction: np.ndarray, tables: MetierTables,
         ms: np.datetime64, days: int) -> np.ndarray:
    """Recruits into the posts (``metier``, ``direction``), entering on a day of the month starting ``ms``."""
    n = len(metier)
    categorie = draw_categorie(metier, tables.categorie_p, rng)
    age = np.clip(rng.normal(p.hire_age_mean, p.hire_age_sd, n), 19, 60)
    entry = ms + rng.integers(0, days, n).astype("timedelta64[D]")
    birth = entry - (age * 365.25).astype("timedelta64[D]")
    statut = statut_draw(n, p.hire_statut, rng)
    prior = np.minimum(np.where(statut == TIT, rng.uniform(1, 15, n), 0), np.clip(age - 19, 0, None))
    ps_entry = entry - (prior * 365.25).astype("timedelta64[D]")  # never before 19
    tenure = np.zeros(n)
    return _fill(pop, p, rng, metier, categorie, birth, statut, entry, ps_entry, direction, tables.active, tenure)


def _fill(pop, p, rng, metier, categorie, birth, statut, entry, ps_entry, direction, metier_active,
          tenure) -> np.ndarray:
    """Draw the attributes every arrival needs (sex, quotité, carrière longue, quarters) and add the agents."""
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
        indice=indice(categorie, tenure), stage_start=np.where(statut == STAG, entry, np.datetime64("NaT")),
        quarters_at_entry=quarters,
    )
