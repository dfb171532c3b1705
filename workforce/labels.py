"""French labels and number formats, defined once for the command line, the pages and the exported files.

Why one module: a planner reads the same figure on the screen, in the terminal and in a spreadsheet; written seven
times, the thousands separator and the decimal comma drifted apart (a space here, a dot there). Every French text
of a code (statut, catégorie, motive, law variant, indicator) and every number format lives here; the CLI, the
pages (:mod:`workforce.ui.common` re-exports these names) and :mod:`workforce.export` call it.

French conventions: thousands separated by a narrow no-break space (U+202F), a decimal comma, "12,3 %",
"12,3 M€"; a missing (or statistically hidden) value is shown as "—" unless the caller names another mark.
Nothing here imports streamlit or the database: only pandas and numpy.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from workforce.columns import EXIT_MOTIVES, OTHER_MOTIVE

# ---------------------------------------------------------------------------------------------- labels

STATUT_LABELS = {
    "titulaire": "Titulaire",
    "stagiaire": "Stagiaire",
    "contractuel_permanent": "Contractuel permanent",
    "contractuel_non_permanent": "Contractuel non permanent",
}
SEX_LABELS = {"F": "Femmes", "M": "Hommes"}
CATEGORIE_LABELS = {"A": "Catégorie A", "B": "Catégorie B", "C": "Catégorie C"}
FILIERE_LABELS = {
    "administrative": "Administrative", "technique": "Technique", "sociale": "Sociale",
    "medico-sociale": "Médico-sociale", "medico-technique": "Médico-technique", "culturelle": "Culturelle",
    "sportive": "Sportive", "animation": "Animation", "police": "Police municipale",
    "incendie": "Incendie et secours",
}
SERVICE_CATEGORY_LABELS = {"sedentaire": "Sédentaire", "active": "Active", "insalubre": "Insalubre"}
MOTIVE_LABELS = {
    "droit_commun": "Retraite (droit commun)", "carriere_longue": "Retraite (carrière longue)",
    "invalidite": "Retraite pour invalidité", "categorie_active": "Retraite (catégorie active)",
    "limite_age": "Retraite (limite d'âge)", "mutation": "Mutation", "demission": "Démission",
    "fin_contrat": "Fin de contrat", "disponibilite": "Disponibilité", "detachement": "Détachement",
    "deces": "Décès", "licenciement": "Licenciement", "inconnu": "Motif inconnu", "retraite": "Retraite",
    OTHER_MOTIVE: "Autres motifs",
}
REGIME_LABELS = {
    "pre2023": "Avant la réforme de 2023",
    "reform2023": "Réforme 2023 (loi 2023-270)",
    "lfss2026": "LFSS 2026 (suspension de la réforme)",
}
"""The law variants as a page names them (titles, choices)."""
REGIME_PHRASES = {
    "pre2023": "avant la réforme de 2023",
    "reform2023": "réforme de 2023 (loi n° 2023-270)",
    "lfss2026": "LFSS 2026 (suspension de la réforme)",
}
"""The law variants inside a sentence (the command line's messages)."""
EXTRACT_KIND_LABELS = {"import": "Import", "synthetic": "Synthétique"}
DIMENSION_LABELS = {
    "direction": "Direction", "filiere": "Filière", "categorie": "Catégorie", "statut": "Statut",
    "metier": "Métier", "metier_code": "Métier", "sex": "Sexe", "famille": "Famille",
}
GROUP_LABELS = {"direction": "Direction", "metier": "Métier", "categorie": "Catégorie", "filiere": "Filière"}
"""The groupings of a retirement forecast (``--by``, the page's selector)."""
LEVEL_LABELS = {"total": "Ensemble", "categorie": "Catégorie", "direction": "Direction", "metier": "Métier",
                "famille": "Famille"}
"""The aggregation levels of a projection."""
INDICATOR_LABELS = {
    "headcount": "Effectif", "etp": "ETP", "retirements": "Départs à la retraite",
    "retirements_of_recruits": "dont agents recrutés pendant la projection", "exits": "Autres départs",
    "hires": "Recrutements", "vacancies": "Postes vacants (besoin − ETP)", "demand": "Besoin (ETP)",
    "payroll": "Masse salariale (€/an)", "mobility_in": "Mobilités entrantes", "mobility_out": "Mobilités sortantes",
    "demand_p10": "Besoin, hypothèse basse (P10, ETP)", "demand_p90": "Besoin, hypothèse haute (P90, ETP)",
    "vacancies_p10": "Postes vacants si le besoin est bas (P10)",
    "vacancies_p90": "Postes vacants si le besoin est haut (P90)",
    **{f"exits_{m}": f"Départs : {MOTIVE_LABELS[m].lower()}" for m in EXIT_MOTIVES},
}
"""The projection's indicators (:data:`workforce.columns.INDICATORS`)."""
CLASS_LABELS = {"growing": "En croissance", "stable": "Stable", "declining": "En déclin",
                "transforming": "En transformation"}
"""The projected evolution of a métier (the skills module's transformation profile)."""
ACTION_LABELS = {"none": "Aucune", "train": "Former", "train_and_recruit": "Former et recruter",
                 "recruit": "Recruter"}
"""What a skill gap calls for (the skill-gap export)."""
PASSERELLE_STATUS_LABELS = {"proposed": "proposée", "no_credible_target": "aucune passerelle crédible"}
"""Whether a passerelle is proposed, or no target reaches the minimum coverage (the passerelles export and page)."""


DEMAND_BASELINE_LABELS = {"model": "Tendance estimée par métier (modèle)",
                          "flat": "Besoin constant (ETP d'aujourd'hui)"}
"""The reference of the demand (``Scenario.demand_baseline``)."""
PAYROLL_LABELS = {
    "payroll_start": "Début d'année (€)", "payroll": "Fin d'année (€)", "change": "Variation (€)",
    "price_effect": "Effet prix (point, €)", "gvt": "GVT positif (€)", "hires_cost": "Coût des recrutements (€)",
    "exits_cost": "Coût des départs (€)", "noria": "Effet de noria (€)", "volume": "Effet volume (€)",
    "mobility_net": "Mobilités, solde (€)", "hires": "Recrutements (agents)", "leavers": "Départs (agents)",
}
"""The payroll decomposition (:data:`workforce.payroll.DECOMPOSITION_COLUMNS`)."""
KNOB_LABELS = {
    "horizon": "Horizon (années)", "seed": "Graine des simulations", "regime": "Droit applicable",
    "postponement_months": "Report des départs à la retraite (mois)",
    "share_at_aod": "Part des agents partant dès l'âge légal",
    "exit_multiplier": "Propension aux autres départs (×)", "exit_multipliers": "Propension par motif (×)",
    **{f"exit_multipliers.{m}": f"Propension : {MOTIVE_LABELS.get(m, 'autres motifs').lower()} (×)"
       for m in EXIT_MOTIVES},
    "replacement_rate": "Taux de remplacement des départs", "hiring_freeze_years": "Gel des recrutements (années)",
    "recruitment_delay_months": "Délai de recrutement (mois)", "demand_baseline": "Référence du besoin",
    "demand_overlays": "Ajustements du besoin", "transformation_intensity": "Intensité de la transformation",
    "point_value": "Valeur annuelle du point d'indice (€)", "point_growth": "Revalorisation annuelle du point",
    "indemnitaire_rates": "Taux de régime indemnitaire", "employer_rates": "Taux de cotisations employeur",
    "replacement_by_famille": "Remplacement par famille", "replacement_by_metier": "Remplacement par métier",
    "demand_factors": "Facteurs de transformation par métier",
}
"""The knobs of :class:`workforce.scenario.Scenario` in French, with their unit: the app's sidebar and comparison,
the command line, the XLSX « Scénario » sheet and the PDF note."""
def label(mapping: dict, value) -> str:
    """French label of a code, the code itself when unknown (a local value of the employer)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "Non renseigné"
    return mapping.get(value, str(value))


# ---------------------------------------------------------------------------------------------- formats

NBSP = "\u202f"  # narrow no-break space, the French thousands separator
MISSING = "—"


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def fmt_int(value, na: str = MISSING) -> str:
    """7863 -> '7 863'; NA -> '—' (or ``na``)."""
    if _missing(value):
        return na
    return f"{int(round(float(value))):,}".replace(",", NBSP)


def fmt_float(value, decimals: int = 1, na: str = MISSING) -> str:
    """1234.56 -> '1 234,6'; NA -> '—' (or ``na``)."""
    if _missing(value):
        return na
    return f"{float(value):,.{decimals}f}".replace(",", NBSP).replace(".", ",")


def fmt_number(value, decimals: int = 0, na: str = MISSING) -> str:
    """An integer format when ``decimals`` is 0, else :func:`fmt_float`."""
    return fmt_int(value, na) if decimals == 0 else fmt_float(value, decimals, na)


def fmt_pct(value, decimals: int = 1, na: str = MISSING) -> str:
    """0.2534 -> '25,3 %'; NA -> '—'."""
    if _missing(value):
        return na
    return fmt_float(100.0 * float(value), decimals) + f"{NBSP}%"


def fmt_euros(value, na: str = MISSING) -> str:
    """12_345_678 -> '12,3 M€'; NA -> '—'."""
    if _missing(value):
        return na
    v = float(value)
    if abs(v) >= 1e6:
        return fmt_float(v / 1e6, 1) + f"{NBSP}M€"
    return fmt_int(v) + f"{NBSP}€"


def as_number(text: str) -> float:
    """Inverse of the formats above (for tests): '7 863' -> 7863.0, '25,3 %' -> 25.3, '47,2 ans' -> 47.2,
    '—' -> nan."""
    cleaned = str(text).replace(NBSP, "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    found = re.search(r"[-+]?\d+(?:\.\d+)?", cleaned)
    return float(found.group()) if found else float("nan")


def french_numbers(frame: pd.DataFrame, decimals: dict[str, int] | None = None, na: str = MISSING) -> pd.DataFrame:
    """Float (and nullable) columns as French text: '1 234,5', a blank (suppressed) cell as '—'.

    A missing number would otherwise read "None"; in French, and where a blank means "fewer than 5 agents",
    text reads better. A column of years gets no thousands separator, a column of codes stays as it is; every
    other count gets one ("7 747", not "7747")."""
    decimals = decimals or {}
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        if pd.api.types.is_integer_dtype(s) and not s.isna().any() and "code" in str(col).lower():
            continue  # a numeric code reads as it is written
        v = pd.to_numeric(s, errors="coerce").astype(float).to_numpy()
        ok = ~np.isnan(v)
        name = str(col).lower()
        if ("ann" in name or "year" in name) and ok.any() and np.allclose(v[ok], np.round(v[ok])) \
                and (v[ok] >= 1900).all() and (v[ok] <= 2200).all():  # a year: no thousands separator
            text = np.full(len(v), na, dtype=object)
            text[ok] = [str(int(x)) for x in v[ok]]
            out[col] = text
            continue
        d = decimals.get(col)
        if d is None:
            d = 0 if ok.any() and np.allclose(v[ok], np.round(v[ok])) else 1
        text = np.full(len(v), na, dtype=object)
        text[ok] = [fmt_float(x, d) for x in v[ok]]
        out[col] = text
    return out


# ---------------------------------------------------------------------------------------------- scenario knobs

_OVERLAY_SCOPES = {"all": "tous les métiers", "metier": "métier", "famille": "famille", "direction": "direction"}


def knob_label(knob: str) -> str:
    """French label of a knob, dotted for nested ones (``exit_multipliers.mutation``, ``demand_overlays[0].rate``):
    the parent's label and the rest of the path when the nested knob has no label of its own."""
    if knob in KNOB_LABELS:
        return KNOB_LABELS[knob]
    head = knob.split(".")[0].split("[")[0]
    return f"{KNOB_LABELS.get(head, head)} — {knob[len(head):].lstrip('.')}" if head != knob else knob


def _overlay_text(o: dict) -> str:
    where = _OVERLAY_SCOPES.get(o.get("scope"), str(o.get("scope")))
    if o.get("key"):
        where += f" {o['key']}"
    if o.get("kind") == "growth":
        span = "".join(f" {w} {o[k]}" for k, w in (("from_year", "de"), ("to_year", "à")) if o.get(k) is not None)
        return f"{fmt_pct(o.get('rate'))} par an ({where}{span})"
    return f"{fmt_float(o.get('value'), 0)} ETP en {o.get('year')} ({where})"


def _factor(value) -> str:
    """1.5 -> '1,5', 1.0 -> '1', 0.25 -> '0,25'."""
    return fmt_float(value, 2).rstrip("0").rstrip(",")


def knob_value(knob: str, value) -> str:
    """A knob's value as a planner reads it, with its unit: ``regime`` « LFSS 2026 (suspension de la réforme) »,
    ``replacement_rate`` 0.8 « 80 % », ``share_at_aod`` None « comme observé », ``exit_multiplier`` 1.5 « 1,5 »,
    ``hiring_freeze_years`` 2 « les 2 premières années »... ``knob`` as :func:`knob_label` takes it."""
    head = knob.split(".")[0].split("[")[0]
    if head == "demand_overlays" and isinstance(value, list):
        return "; ".join(_overlay_text(o) for o in value) if value else "aucun"
    if head == "demand_overlays" and knob != head:  # one field of one overlay (a diff of two scenarios)
        return fmt_pct(value) if knob.endswith(".rate") else MISSING if value is None else str(value)
    if head in ("demand_factors", "replacement_by_famille", "replacement_by_metier") and isinstance(value, dict):
        if not value:
            return "ceux de l'analyse des compétences" if head == "demand_factors" else "aucun"
        if head == "demand_factors":
            return f"{fmt_int(len(value))} métier(s) concerné(s)"
        return "; ".join(f"{k} : {fmt_pct(v, 0)}" for k, v in value.items())
    if head == "exit_multipliers" and isinstance(value, dict):
        return "; ".join(f"{MOTIVE_LABELS.get(k, k)} : {_factor(v)}" for k, v in value.items()) or "aucun"
    if head in ("indemnitaire_rates", "employer_rates") and knob == head:
        return "barème en vigueur" if not value else "; ".join(f"{k} : {fmt_pct(v)}" for k, v in value.items())
    if value is None:
        return {"share_at_aod": "comme observé", "point_value": "barème en vigueur"}.get(head, MISSING)
    if head == "regime":
        return REGIME_LABELS.get(value, str(value))
    if head == "demand_baseline":
        return DEMAND_BASELINE_LABELS.get(value, str(value))
    if head == "hiring_freeze_years":
        if isinstance(value, list):
            return ", ".join(str(y) for y in value) if value else "aucun"
        return "aucun" if not value else "la première année" if value == 1 else f"les {int(value)} premières années"
    if head in ("horizon",):
        return f"{int(value)} ans"
    if head in ("postponement_months", "recruitment_delay_months"):
        return f"{fmt_number(value, 0 if float(value).is_integer() else 1)} mois"
    if head in ("share_at_aod", "replacement_rate", "replacement_by_famille", "replacement_by_metier",
                "indemnitaire_rates", "employer_rates"):
        return fmt_pct(value, 0 if round(100 * float(value), 6).is_integer() else 1)
    if head == "point_growth":
        return fmt_pct(value) + " par an"
    if head in ("exit_multiplier", "exit_multipliers", "transformation_intensity"):
        return _factor(value)
    if head == "point_value":
        return fmt_float(value, 2) + f"{NBSP}€"
    if head == "seed":
        return str(int(value))
    return str(value)
