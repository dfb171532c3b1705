"""The training managers' skills files: the skill-gap list exactly as the Compétences page shows it, and the
training-plan draft a training manager hands to the CNFPT delegation.

Why one module and one function per table: the downloaded list used to ignore the page's filters (a direction
and a year on screen, 6,930 rows of every direction in the file). Now :func:`gaps_table` computes the table of
the page, the CSV, the XLSX and `workforce export gaps` from one :class:`GapFilters` (year, directions, familles
de métiers, urgency, level), :func:`gap_totals` the figures the page shows above it and the readme states, and
:func:`plan_table` the plan of the page's download and of `workforce export plan-formation`.

Statistical secrecy goes through :func:`workforce.privacy.protect` on the whole balance before any filter (so a
filter never changes which cells are hidden). Training managers are entitled to agents' skills data
(``exact_skills=True``): nothing is hidden. For everyone else a hidden cell is blank, its count reads « < 5 »,
its derived columns (criticité, urgency, action) are blank, and « Masqué » says « oui » on those rows only.
When a direction's cells are too small, the same list for the whole collectivité (``level="collectivite"``)
pools them: the referential groups métiers by famille but has no pôle of directions, and a famille-level
balance published beside the directions' would need the two solved together (a direction whose agents are
one famille's would be that famille's row), so the collectivité is the aggregate offered.

Glossary: *famille* (de métiers), the referential's grouping of métiers; *collectivité*, the whole employer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.export import (ALL_DIRECTIONS_LABEL, PROFILE_COLUMNS, SUPPRESSED, ExportError, ExportMeta,
                              ExportResult, _check_format, _code_version, _write, profile_table, readme_table)
from workforce.labels import ACTION_LABELS, fmt_float, fmt_int
from workforce.privacy import MIN_CELL, protect
from workforce.referential import direction_labels
from workforce.skills import ALL_DIRECTIONS, SkillAnalysis
from workforce.skills.inputs import (ACTION, CANDIDATES, CRITICALITY, DEMAND, DEMAND_FTE, DIRECTION, ETP, GAP_FTE,
                                     HOLDERS, METIER, METIERS_REQUIRING, SHORTAGE_FTE, SKILL, SUPPLY_FTE, URGENCY,
                                     YEAR, active_requirements)

__all__ = ["GapFilters", "URGENCIES", "LEVELS", "HIDDEN", "GAP_COLUMNS", "PLAN_COLUMNS", "GAP_FIGURES",
           "GAP_DERIVED", "TOTAL_SHEET", "urgency_labels", "check_filters", "published_gaps",
           "gaps_table", "gap_totals", "export_gaps", "plan_table", "export_plan", "provenance_table"]

HIDDEN = f"< {MIN_CELL}"  # what a hidden count reads, in every file and on the page
TOTAL_SHEET = "Écarts toutes directions"
GAP_SHEET = "Écarts de compétences"
PLAN_SHEET = "Plan de formation"

URGENCIES = ("all", "shortage", "now", "soon", "none")
LEVELS = ("direction", "collectivite")
LEVEL_LABELS = {"direction": "par direction", "collectivite": "toute la collectivité"}
SOON_YEARS = 3  # « soon »: a shortage opens within the first three projected years
MIN_POST = 0.5  # FTE of a métier in a direction from which it is listed among the métiers requiring a skill


def urgency_labels(years) -> dict[str, str]:
    """The urgency choices in French, their years read from the projection."""
    years = [int(y) for y in years]
    soon = years[min(SOON_YEARS - 1, len(years) - 1)]
    return {"all": "Toutes les compétences", "shortage": "Avec un manque sur la période",
            "now": f"Manque dès {years[0]}", "soon": f"Manque d'ici {soon}", "none": "Sans manque"}


@dataclass(frozen=True)
class GapFilters:
    """What the page's filters select, and what `workforce export gaps|plan-formation` take as options.

    ``year`` None: every year. ``directions`` (codes) and ``familles`` empty: all. ``urgency`` one of
    :data:`URGENCIES`. ``level``: ``direction`` (one row per direction) or ``collectivite`` (the whole employer's
    rows, where the directions' small cells pool; the direction filter then does not apply)."""

    year: int | None = None
    directions: tuple[str, ...] = ()
    familles: tuple[str, ...] = ()
    urgency: str = "all"
    level: str = "direction"

    def describe(self, analysis: SkillAnalysis) -> dict[str, str]:
        """The filters in French, one entry each, for the readme sheet (every filter, even « toutes »)."""
        names = direction_labels()
        dirs = ", ".join(f"{names.get(d, d)} ({d})" for d in self.directions) or "toutes"
        if self.level == "collectivite":
            dirs = "sans objet (toute la collectivité)"
        return {"année": "toutes" if self.year is None else str(self.year), "direction": dirs,
                "famille de métiers": ", ".join(self.familles) or "toutes",
                "urgence": urgency_labels(analysis.years)[self.urgency], "niveau": LEVEL_LABELS[self.level]}


GAP_FIGURES = [SUPPLY_FTE, GAP_FTE, SHORTAGE_FTE, HOLDERS]  # resting on the agents who hold the skill
GAP_DERIVED = [CRITICALITY, URGENCY, ACTION]  # computed from them: criticité = breadth x shortage / demand

GAP_COLUMNS = {  # French header -> definition (the readme sheet lists them)
    "Année": "Année de projection (situation au 31 décembre).",
    "Code direction": "Code de la direction dans le référentiel (« * » : toute la collectivité).",
    "Direction": "Nom de la direction.",
    "Code compétence": "Code ROME (code_ogr) de la compétence ou du savoir, ou code local.",
    "Compétence": "Libellé de la compétence.",
    "Offre (ETP)": "Équivalents temps plein détenant la compétence : agents présents (niveau évalué, sinon profil "
                   "de leur métier) pondérés par leur probabilité d'être encore en poste, plus les recrutés.",
    "Besoin (ETP)": "Postes projetés (ETP) des métiers qui exigent la compétence cette année-là.",
    "Écart (ETP)": "Offre moins besoin : négatif quand la compétence manque.",
    "Manque (ETP)": "Besoin non couvert (0 quand l'offre suffit).",
    "Première année de manque": "Urgence : première année où le manque atteint 0,5 ETP dans la direction.",
    "Criticité": "De 0 à 1 : nombre de métiers qui exigent la compétence x part du besoin non couverte.",
    "Métiers concernés": "Nombre de métiers qui exigent la compétence cette année-là.",
    "Métiers qui l'exigent": "Métiers ayant des postes dans la direction cette année-là et qui exigent la compétence "
                             "(nom et code).",
    "Agents détenteurs": f"Nombre d'agents (entier) qui détiennent la compétence ; « {HIDDEN} » : masqué.",
    "Candidats internes": "Agents de la direction qui ne la détiennent pas encore mais l'ont à un niveau inférieur "
                          f"ou occupent un métier proche d'un métier qui l'exige ; « {HIDDEN} » : masqué.",
    "Action suggérée": "Former (assez de candidats internes), Former et recruter, Recruter, ou Aucune.",
    SUPPRESSED: f"« oui » seulement sur les lignes dont l'offre est masquée (secret statistique) : moins de "
                f"{MIN_CELL} agents, ou ligne masquée pour qu'une autre ne se déduise pas du total de la "
                "collectivité. Offre, écart, manque, criticité, urgence et action y sont vides, le nombre d'agents "
                f"y vaut « {HIDDEN} ».",
}


def check_filters(analysis: SkillAnalysis, filters: GapFilters) -> GapFilters:
    """``filters`` with directions given by name turned into codes; ``ExportError`` (exit code 2) naming what is
    unknown: a year outside the projection, a direction, a famille, an urgency or a level."""
    years = [int(y) for y in analysis.years]
    if filters.year is not None and int(filters.year) not in years:
        raise ExportError(f"année {filters.year} hors de la projection ({years[0]}-{years[-1]})")
    known = sorted(set(analysis.gaps[DIRECTION].astype(str)))
    by_name = {v.casefold(): k for k, v in direction_labels().items() if k in known}
    codes = tuple(d if d in known else by_name.get(str(d).casefold(), d) for d in filters.directions)
    unknown = [d for d in codes if d not in known]
    if unknown:
        raise ExportError(f"direction {unknown[0]!r} inconnue ; directions : {', '.join(known)}")
    familles = sorted(set(analysis.profile["famille"].dropna().astype(str)))
    bad = [f for f in filters.familles if f not in familles]
    if bad:
        raise ExportError(f"famille {bad[0]!r} inconnue ; familles : {', '.join(familles)}")
    if filters.urgency not in URGENCIES:
        raise ExportError(f"urgence {filters.urgency!r} inconnue : {', '.join(URGENCIES)}")
    if filters.level not in LEVELS:
        raise ExportError(f"niveau {filters.level!r} inconnu : {', '.join(LEVELS)}")
    return replace(filters, year=None if filters.year is None else int(filters.year), directions=codes,
                   familles=tuple(filters.familles))


def _protected(analysis: SkillAnalysis, level: str, exact_skills: bool) -> pd.DataFrame:
    """The balance of every year and direction (or the collectivité's rows), hidden cells blanked.

    Computed on the whole frame before any filter, so the page, the CSV of one year and the XLSX hide the same
    cells. The directions of a (year, skill) add up to the collectivité's row: a lone hidden direction would be
    that row minus the others, so each (year, skill) hides none or at least two. Criticité, urgency and action
    go with the supply (criticité = breadth x (1 - supply / demand) gave it back). ``hidden`` flags the supply,
    ``candidates_hidden`` the internal candidates (then the action too)."""
    whole = level == "collectivite"
    g = analysis.gaps_total if whole else analysis.gaps
    margins = [] if whole else [(YEAR, SKILL)]
    sup = protect(g, HOLDERS, GAP_FIGURES, margins=margins, derived_cols=GAP_DERIVED, exact=exact_skills)
    cand = protect(g, CANDIDATES, margins=margins, derived_cols=[ACTION], exact=exact_skills)
    cand_hidden = cand["suppressed"].to_numpy()
    return sup.assign(**{CANDIDATES: cand[CANDIDATES], ACTION: sup[ACTION].where(~cand_hidden, None),
                         "hidden": sup["suppressed"].to_numpy(), "candidates_hidden": cand_hidden})


def _requiring_metiers(analysis: SkillAnalysis, whole: bool) -> pd.DataFrame:
    """``year, direction, skill_code, metiers``: the métiers with at least half a post there that year (less is
    the projection's spread, not a post) requiring the skill, as « Libellé (CODE) » joined by « ; » (posts are
    always published: no agent count behind them)."""
    pos = analysis.positions
    posts = pos[(pos[DEMAND] if DEMAND in pos.columns else pos[ETP]) >= MIN_POST][[YEAR, METIER, DIRECTION]]
    if whole:
        posts = posts.assign(**{DIRECTION: ALL_DIRECTIONS}).drop_duplicates()
    parts = [posts[posts[YEAR] == y].merge(active_requirements(analysis.timeline, int(y))[[METIER, SKILL]], on=METIER)
             for y in analysis.years]  # one merge per projected year (about ten)
    pairs = pd.concat(parts, ignore_index=True) if parts else posts.assign(**{SKILL: []})
    labels = pairs[METIER].map(analysis.metier_labels).fillna(pairs[METIER])
    pairs = pairs.assign(text=labels.astype(str) + " (" + pairs[METIER].astype(str) + ")").sort_values("text")
    return pairs.groupby([YEAR, DIRECTION, SKILL], as_index=False)["text"].agg("; ".join).rename(
        columns={"text": "metiers"})


def published_gaps(analysis: SkillAnalysis, filters: GapFilters | None = None, *,
                   exact_skills: bool = False) -> pd.DataFrame:
    """The rows of ``filters``, secrecy applied (:func:`_protected`), with the balance's own column names plus
    ``hidden``, ``candidates_hidden`` and ``metiers``: what :func:`gaps_table` and :func:`plan_table` publish.

    Famille: the skills required (any year) by at least one métier of those familles. Urgency reads the
    published first year of shortage and shortage, never a hidden one."""
    f = check_filters(analysis, filters or GapFilters())
    g = _protected(analysis, f.level, exact_skills)
    keep = np.ones(len(g), dtype=bool)
    if f.year is not None:
        keep &= (g[YEAR] == f.year).to_numpy()
    if f.directions and f.level == "direction":
        keep &= g[DIRECTION].astype(str).isin(f.directions).to_numpy()
    if f.familles:
        prof = analysis.profile
        metiers = prof.loc[prof["famille"].isin(f.familles), "metier_code"]
        wanted = analysis.timeline.loc[analysis.timeline[METIER].isin(metiers), SKILL].unique()
        keep &= g[SKILL].isin(wanted).to_numpy()
    first = pd.to_numeric(g[URGENCY], errors="coerce")
    years = [int(y) for y in analysis.years]
    if f.urgency == "shortage":
        keep &= first.notna().to_numpy()
    elif f.urgency == "now":
        keep &= (first <= years[0]).fillna(False).to_numpy(dtype=bool)
    elif f.urgency == "soon":
        keep &= (first <= years[min(SOON_YEARS - 1, len(years) - 1)]).fillna(False).to_numpy(dtype=bool)
    elif f.urgency == "none":  # no shortage beyond the tolerance over the period, and none this year
        short = pd.to_numeric(g[SHORTAGE_FTE], errors="coerce").fillna(0.0)
        keep &= (first.isna() & (short <= 0) & ~g["hidden"]).to_numpy(dtype=bool)
    out = g[keep].merge(_requiring_metiers(analysis, f.level == "collectivite"), on=[YEAR, DIRECTION, SKILL],
                        how="left")
    return out.reset_index(drop=True)


def _count(values: pd.Series, hidden) -> np.ndarray:
    """Agents as whole numbers (the expected count rounded), « < 5 » where hidden: never « 55,0 »."""
    n = pd.to_numeric(values, errors="coerce").round().astype("Int64").astype(object)
    n[n.isna()] = None
    return np.where(np.asarray(hidden, dtype=bool), HIDDEN, n.to_numpy(dtype=object))


def _round(series: pd.Series, digits: int = 1) -> np.ndarray:
    return series.astype("Float64").round(digits).to_numpy()


def gaps_table(analysis: SkillAnalysis, filters: GapFilters | None = None, *,
               exact_skills: bool = False) -> pd.DataFrame:
    """The skill-gap list of the page and of every file: one row per (skill, direction, year) of ``filters``,
    French headers, direction and métier names beside their codes, agents as integers, hidden cells blank with
    « < 5 » (:func:`published_gaps`). ``exact_skills``: nothing hidden (training managers, entitled to agents'
    skills data). Raises ``ExportError`` for an unknown filter value."""
    g = published_gaps(analysis, filters, exact_skills=exact_skills)
    names = {**direction_labels(), ALL_DIRECTIONS: ALL_DIRECTIONS_LABEL}
    codes = g[DIRECTION].astype(str)
    out = pd.DataFrame({
        "Année": g[YEAR].to_numpy(),
        "Code direction": codes.to_numpy(),
        "Direction": codes.map(names).fillna(codes).to_numpy(),
        "Code compétence": g[SKILL].to_numpy(),
        "Compétence": g[SKILL].map(analysis.skill_labels).to_numpy(),
        "Offre (ETP)": _round(g[SUPPLY_FTE]),
        "Besoin (ETP)": _round(g[DEMAND_FTE]),  # posts, not agents: always published
        "Écart (ETP)": _round(g[GAP_FTE]),
        "Manque (ETP)": _round(g[SHORTAGE_FTE]),
        "Première année de manque": g[URGENCY].astype(object).where(g[URGENCY].notna(), None).to_numpy(),
        "Criticité": _round(g[CRITICALITY], 2),
        "Métiers concernés": g[METIERS_REQUIRING].to_numpy(),
        "Métiers qui l'exigent": g["metiers"].fillna("").to_numpy(),
        "Agents détenteurs": _count(g[HOLDERS], g["hidden"]),
        "Candidats internes": _count(g[CANDIDATES], g["candidates_hidden"]),
        "Action suggérée": g[ACTION].map(ACTION_LABELS).to_numpy(),
        SUPPRESSED: np.where(g["hidden"].to_numpy(dtype=bool), "oui", "non"),
    })
    return out


def gap_totals(table: pd.DataFrame) -> dict[str, float]:
    """What the page shows above the list and the readme states: skills short (distinct codes with a published
    shortage), the published shortage in FTE (hidden rows excluded), the rows whose supply is hidden."""
    short = pd.to_numeric(table["Manque (ETP)"], errors="coerce")
    return {"Compétences en manque": int(table.loc[(short > 0).to_numpy(), "Code compétence"].nunique()),
            "Manque total (ETP)": round(float(short.fillna(0).sum()), 1),
            "Lignes masquées": int((table[SUPPRESSED] == "oui").sum())}


def _totals_rows(totals: dict) -> list[tuple[str, str]]:
    return [(k, fmt_float(v, 1) if isinstance(v, float) else fmt_int(v)) for k, v in totals.items()]


def _readme(analysis, meta, title, sheets, filters: GapFilters, extra: list[tuple[str, str]],
            exact_skills: bool) -> pd.DataFrame:
    """The shared readme sheet (:func:`workforce.export.readme_table`) with every filter on its own row after
    « Filtres », then ``extra`` (the totals), and the secrecy line of this file."""
    base = readme_table(analysis, meta, title, sheets, filters.describe(analysis))
    at = int(np.flatnonzero(base["Élément"].to_numpy() == "Filtres")[0]) + 1
    rows = [(f"  {k}", v) for k, v in filters.describe(analysis).items()] + extra
    if exact_skills:  # the shared secrecy line would say the opposite of this file
        base.loc[base["Élément"] == "Confidentialité", "Valeur"] = (
            "Offre de compétences non masquée (rôle habilité, voir « Offre exacte ») ; les autres chiffres "
            f"reposant sur moins de {MIN_CELL} agents sont masqués.")
        rows.append(("Offre exacte", "oui : offre de compétences non masquée, pour un rôle habilité aux données de "
                                     "compétences des agents (responsable formation) ; export tracé au journal "
                                     "d'audit"))
    add = pd.DataFrame(rows, columns=["Élément", "Valeur"])
    return pd.concat([base.iloc[:at], add, base.iloc[at:]], ignore_index=True)


def export_gaps(analysis: SkillAnalysis, path: str | Path, fmt: str = "xlsx", *, filters: GapFilters | None = None,
                meta: ExportMeta | None = None, exact_skills: bool = False) -> ExportResult:
    """Write the skill-gap list of ``filters`` (the page's table, :func:`gaps_table`) and the métiers'
    transformation profile, with a readme holding every filter and the totals of the page.

    Without a direction filter, the collectivité's rows follow on their own sheet (small cells of the
    directions pool there). ``exact_skills``: skill supply unsuppressed (the caller audits)."""
    fmt = _check_format(fmt)
    meta = meta or ExportMeta()
    filters = check_filters(analysis, filters or GapFilters())
    gaps = gaps_table(analysis, filters, exact_skills=exact_skills)
    tables, sheets = {GAP_SHEET: gaps}, {GAP_SHEET: GAP_COLUMNS}
    if filters.level == "direction" and not filters.directions and len(analysis.gaps_total):
        tables[TOTAL_SHEET] = gaps_table(analysis, replace(filters, level="collectivite"),
                                         exact_skills=exact_skills)
        sheets[TOTAL_SHEET] = {"": "Mêmes colonnes, toute la collectivité (mêmes filtres)."}
    profile = profile_table(analysis)
    if filters.familles:
        fam = analysis.profile.set_index("metier_code")["famille"]
        profile = profile[profile["Code métier"].map(fam).isin(filters.familles).to_numpy()]
    tables["Transformation des métiers"] = profile.reset_index(drop=True)
    sheets["Transformation des métiers"] = PROFILE_COLUMNS
    readme = _readme(analysis, meta, "Écarts de compétences par compétence, direction et année", sheets, filters,
                     _totals_rows(gap_totals(gaps)), exact_skills)
    paths = _write(tables, readme, Path(path), fmt)
    return ExportResult(paths, {k: len(v) for k, v in tables.items()},
                        {k: int((v[SUPPRESSED] == "oui").sum()) for k, v in tables.items() if SUPPRESSED in v})


# ------------------------------------------------------------------------------------------ training plan

PLAN_COLUMNS = {
    "Rang": "1 = compétence à développer en premier (priorité décroissante).",
    "Code compétence": "Code ROME (code_ogr) ou code local.",
    "Compétence": "",
    "Manque (ETP)": "Somme des manques publiés des directions retenues, l'année du plan.",
    "Première année de manque": "La plus précoce des directions retenues.",
    "Urgence (poids)": "De 0 à 1 : (dernière année projetée - première année de manque + 1) / nombre d'années "
                       "projetées ; 1 quand le manque est ouvert dès la première année.",
    "Priorité": "Manque (ETP) x urgence : l'ordre du plan.",
    "Candidats internes": "Agents des directions retenues qui ne détiennent pas la compétence mais l'ont à un "
                          "niveau inférieur ou occupent un métier couvrant au moins la moitié des compétences d'un "
                          "métier qui l'exige.",
    "Agents à former": "Candidats internes retenus : au plus le manque (1 agent formé couvre 1 ETP).",
    "Agents à recruter": "Manque arrondi non couvert par la formation.",
    "Directions concernées": "Directions (nom et code) ayant un manque publié.",
    "Métiers qui l'exigent": "Métiers (nom et code) ayant des postes dans les directions retenues qui exigent la "
                             "compétence.",
}


def plan_table(analysis: SkillAnalysis, filters: GapFilters, *, exact_skills: bool = False) -> pd.DataFrame:
    """The training-plan draft of a year and a scope (``filters.directions``, empty: all; ``level`` collectivité
    for the whole employer's rows): the skills short that year (at least the tolerance, 0.5 ETP), ranked by
    shortage x urgency, with the agents to train (internal candidates, at most the shortage) and to recruit.

    Built from the published rows (:func:`published_gaps`): a hidden cell never enters a sum, so the plan gives
    back nothing the gap list hides. ``filters.year`` is required."""
    if filters is None or filters.year is None:
        raise ExportError("le plan de formation porte sur une année : précisez-la (--year)")
    g = published_gaps(analysis, filters, exact_skills=exact_skills)
    tol = analysis.params.tolerance
    years = [int(y) for y in analysis.years]
    names = {**direction_labels(), ALL_DIRECTIONS: ALL_DIRECTIONS_LABEL}
    g = g.assign(short=pd.to_numeric(g[SHORTAGE_FTE], errors="coerce").fillna(0.0),
                 first=pd.to_numeric(g[URGENCY], errors="coerce"),
                 cand=pd.to_numeric(g[CANDIDATES], errors="coerce").fillna(0.0),
                 dname=g[DIRECTION].astype(str).map(names).fillna(g[DIRECTION].astype(str))
                 + " (" + g[DIRECTION].astype(str) + ")")
    short = g[g["short"] > 0]
    metiers = g.assign(metiers=g["metiers"].fillna("").str.split("; ")).explode("metiers")
    metiers = metiers[metiers["metiers"] != ""].groupby(SKILL)["metiers"].agg(lambda s: "; ".join(sorted(set(s))))
    p = short.groupby(SKILL, as_index=False).agg(shortage=("short", "sum"), first=("first", "min"),
                                                 candidates=("cand", "sum"),
                                                 directions=("dname", lambda s: "; ".join(sorted(s))))
    p = p[p["shortage"] >= tol]
    first = p["first"].fillna(filters.year)  # a shortage under the tolerance elsewhere: urgent from the plan year
    weight = (years[-1] - first + 1) / len(years)
    p = p.assign(weight=weight.clip(0, 1), priority=p["shortage"] * weight.clip(0, 1))
    p = p.sort_values(["priority", SKILL], ascending=[False, True], kind="stable").reset_index(drop=True)
    need = np.floor(p["shortage"].round(1) + 0.5).astype("int64")  # the shortage printed, to the nearest agent
    train = np.minimum(np.floor(p["candidates"] + 1e-9), need).astype("int64")
    return pd.DataFrame({
        "Rang": np.arange(1, len(p) + 1),
        "Code compétence": p[SKILL].to_numpy(),
        "Compétence": p[SKILL].map(analysis.skill_labels).to_numpy(),
        "Manque (ETP)": p["shortage"].round(1).to_numpy(),
        "Première année de manque": p["first"].astype("Int64").to_numpy(),
        "Urgence (poids)": p["weight"].round(2).to_numpy(),
        "Priorité": p["priority"].round(1).to_numpy(),
        "Candidats internes": p["candidates"].round().astype("int64").to_numpy(),
        "Agents à former": train.to_numpy(),
        "Agents à recruter": (need - train).clip(lower=0).to_numpy(),
        "Directions concernées": p["directions"].to_numpy(),
        "Métiers qui l'exigent": p[SKILL].map(metiers).fillna("").to_numpy(),
    })


def provenance_table(analysis: SkillAnalysis, meta: ExportMeta, filters: GapFilters,
                     exact_skills: bool) -> pd.DataFrame:
    """« Élément », « Valeur »: where every figure comes from, in full (model hashes, parameters, filters), so
    the same file can be produced again from the same data."""
    p = analysis.params
    params = {k: v for k, v in vars(p).items() if k != "trend"}
    rows = [("Scénario", meta.scenario),
            ("Paramètres du scénario", json.dumps(meta.scenario_params, ensure_ascii=False, sort_keys=True,
                                                  default=str)),
            ("Paramètres de la transformation", json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)),
            ("Date de l'extraction", meta.extract_date or str(analysis.extract_date.date())),
            ("Années projetées", ", ".join(str(int(y)) for y in analysis.years)),
            ("Référentiel ROME", analysis.rome_version or "non importé"),
            *[(f"Modèle {m['name']}", f"version {m['version']}, sha256 {m.get('sha256') or ''}")
              for m in meta.model_versions],
            ("Version de workforce", _code_version()),
            ("Calcul", "workforce.skills.analyse (projection, transformation, écarts) puis "
                       "workforce.export_skills.plan_table"),
            ("Filtres", json.dumps({"year": filters.year, "directions": list(filters.directions),
                                    "familles": list(filters.familles), "urgency": filters.urgency,
                                    "level": filters.level}, ensure_ascii=False)),
            ("Offre exacte", "oui" if exact_skills else "non (secret statistique appliqué)"),
            ("Produit le", meta.generated_at + (f" par {meta.actor}" if meta.actor else ""))]
    return pd.DataFrame(rows, columns=["Élément", "Valeur"])


def export_plan(analysis: SkillAnalysis, path: str | Path, *, filters: GapFilters, meta: ExportMeta | None = None,
                exact_skills: bool = False) -> ExportResult:
    """Write the training-plan draft as one XLSX for the CNFPT delegation: « Lisez-moi », the plan
    (:func:`plan_table`), the gap rows of the scope it rests on, and « Provenance »."""
    meta = meta or ExportMeta()
    filters = check_filters(analysis, filters)
    plan = plan_table(analysis, filters, exact_skills=exact_skills)
    detail = gaps_table(analysis, filters, exact_skills=exact_skills)
    detail = detail[pd.to_numeric(detail["Manque (ETP)"], errors="coerce").fillna(0).to_numpy() > 0]
    tables = {PLAN_SHEET: plan, "Détail par direction": detail.reset_index(drop=True),
              "Provenance": provenance_table(analysis, meta, filters, exact_skills)}
    sheets = {PLAN_SHEET: PLAN_COLUMNS, "Détail par direction": GAP_COLUMNS}
    totals = [("Compétences à développer", fmt_int(len(plan))),
              ("Agents à former", fmt_int(int(plan["Agents à former"].sum()))),
              ("Agents à recruter", fmt_int(int(plan["Agents à recruter"].sum())))]
    readme = _readme(analysis, meta, f"Projet de plan de formation {filters.year}", sheets, filters, totals,
                     exact_skills)
    paths = _write(tables, readme, Path(path).with_suffix(".xlsx"), "xlsx")
    return ExportResult(paths, {k: len(v) for k, v in tables.items()},
                        {"Détail par direction": int((detail[SUPPRESSED] == "oui").sum())})
