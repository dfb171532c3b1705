"""How far each model's forecasts of the past were from what happened, said in plain French.

Why: a planner decides whether to trust a figure from how the same model did on the employer's own past, not from
a "gain de Brier" or a "MASE". The registry stores every version's backtest metrics (:mod:`workforce.train`);
this module turns them into sentences and a table by horizon, the same for the app's "Fiabilité des prévisions"
section and for ``workforce models show``. The technical name of each measure stays in :data:`METRIC_HELP`, for
the help text.
"""

from __future__ import annotations

import math

import pandas as pd

from workforce.forecast.fallback import LABELS as FALLBACK_LABELS
from workforce.labels import fmt_float, fmt_int, fmt_pct

MODEL_LABELS = {
    "retirement": "Départs à la retraite",
    "exits": "Autres départs",
    "mobility": "Mobilité interne",
    "hires": "Profil des recrutements",
    "indices": "Progression des indices",
    "demand": "Besoins (référence de la demande)",
}
MODEL_GUIDE = {
    "retirement": (
        "Pour chaque agent et chaque année, la probabilité de partir à la retraite. Le droit fixe l'âge d'ouverture "
        "des droits (AOD) et la limite d'âge selon la date de naissance et la catégorie de service (sédentaire ou "
        "active) ; le modèle apprend sur l'historique de l'employeur à quel rythme les agents partent une fois "
        "l'AOD atteinte (l'année même, dans les années qui suivent, pour invalidité ou avec une carrière longue).",
        "Il suppose que les comportements observés dans le passé se prolongent. Une réforme nouvelle, une "
        "politique de maintien en emploi ou un changement de règles de surcote ne sont pris en compte qu'à travers "
        "les hypothèses du scénario (report de l'âge, part des départs à l'AOD)."),
    "exits": (
        "Les autres départs (mutation, démission, fin de contrat, disponibilité, décès…) : une probabilité par "
        "agent et par an selon son statut, sa catégorie, son âge, son ancienneté et les autres informations de "
        "l'extraction, apprise sur les départs observés.",
        "Les vagues de départs liées à un événement (réorganisation, fermeture d'un site) ne se prévoient pas : le "
        "multiplicateur du scénario permet de les simuler."),
    "mobility": (
        "Les changements de métier à l'intérieur de la collectivité : la part des agents d'un métier qui passent "
        "chaque année vers un autre, observée dans l'historique.",
        "Sans historique de mobilité suffisant, les agents restent dans leur métier (la référence simple)."),
    "hires": (
        "Le profil des recrutés (âge, catégorie, statut, quotité) : celui des recrutements des trois dernières "
        "années.",
        "Une politique de recrutement nouvelle (apprentis, concours ouverts) change ce profil : le modèle ne la "
        "connaît pas."),
    "indices": (
        "La progression des indices des agents d'une année à l'autre (avancements d'échelon et de grade), qui "
        "fait évoluer la masse salariale (le GVT).",
        "Les revalorisations générales (point d'indice, mesures catégorielles) sont des hypothèses du scénario."),
    "demand": (
        "Le besoin en postes (ETP) de chaque métier les années à venir : la tendance de son effectif passé, "
        "prolongée par le meilleur de plusieurs modèles de séries (prévision naïve, tendance, lissage "
        "exponentiel, ARIMA, Prophet), choisi sur son propre passé.",
        "Le besoin dépend surtout de décisions (créations de postes, transformations des métiers) : les "
        "hypothèses de croissance du scénario et l'intensité des transformations les portent."),
}
"""Per model, in plain French for the « Comment lire ces prévisions » page: what it does, its limits."""
DEMAND_MODELS = {
    "naive": ("la prévision naïve", "de la prévision naïve"), "drift": ("la tendance", "de la tendance"),
    "snaive": ("la prévision naïve saisonnière", "de la prévision naïve saisonnière"),
    "ets": ("le lissage exponentiel", "du lissage exponentiel"), "arima": ("l'ARIMA", "de l'ARIMA"),
    "prophet": ("Prophet", "de Prophet"),
}
"""The demand candidates in French: (subject, « de ... » form)."""
METRIC_LABELS = {
    "cutoff": "Dernière année d'apprentissage", "n": "Agents-années testés", "observed": "Observés",
    "predicted": "Prévus", "rel_error": "Écart relatif", "brier": "Écart des probabilités",
    "brier_reference": "Écart des probabilités d'un taux constant", "brier_skill": "Gain sur un taux constant",
    "log_loss": "Écart logarithmique", "coverage": "Part des valeurs dans la bande 80 %",
    "mae": "Écart absolu moyen", "mape": "Écart relatif moyen", "abs_error": "Écart absolu",
    "mase": "Erreur rapportée à la prévision naïve", "mase_chosen": "Erreur des modèles retenus",
    "mase_prophet": "Erreur de Prophet", "mase_naive": "Erreur de la prévision naïve",
    "mase_snaive": "Erreur de la prévision naïve saisonnière",
    "coverage_raw": "Bande brute : part des valeurs dedans", "coverage_conformal": "Bande recalibrée : part des valeurs dedans",
    "deviance_skill": "Gain sur un taux unique", "n_series": "Séries", "rows": "Lignes d'apprentissage",
    "series": "Séries", "level": "Niveau visé de la bande",
    "coverage_raw_chosen": "Bande brute des modèles retenus : part des valeurs dedans",
    "coverage_conformal_chosen": "Bande recalibrée des modèles retenus : part des valeurs dedans",
    "coverage_t1": "Dans la bande 80 % à un an", "coverage_t2": "Dans la bande 80 % à deux ans",
    "coverage_t3": "Dans la bande 80 % à trois ans",
    "age_error": "Écart d'âge moyen des recrutés (ans)", "age_error_baseline": "Même écart, agents récents",
    "statut_error": "Écart de part de contractuels", "indice_error": "Écart moyen d'indice (points)",
    "indice_error_baseline": "Même écart, indices inchangés", "n_arrivals": "Recrutements connus",
    "n_events": "Événements observés", "n_full_years": "Années complètes",
    "mase_holdout_selected": "Erreur des modèles choisis sur les dernières origines",
    "mase_holdout": "Erreur sur les dernières origines", "mase_holdout_naive": "Erreur naïve sur les dernières origines",
    "prophet_screened": "Séries où Prophet n'a pas été essayé", "origins_holdout": "Origines de contrôle",
    "origins_selection": "Origines de choix",
    **{f"mase_select_{m}": f"Erreur {of} (origines de choix)" for m, (_, of) in DEMAND_MODELS.items()},
    **{f"coverage_h{h}": f"Dans la bande 80 % à {h} mois" for h in range(1, 61)},
    **{f"selected_{m}": f"Séries où {name} est choisi(e)" for m, (name, _) in DEMAND_MODELS.items()},
    **{f"series_{m}": f"Séries prévues par {name}" for m, (name, _) in DEMAND_MODELS.items()},
}
"""Plain French name of each backtest measure (what the user reads first)."""
METRIC_HELP = {
    "brier": "score de Brier : moyenne de (probabilité prévue − 0 ou 1 observé)², agent par agent",
    "brier_reference": "score de Brier du taux constant des années d'apprentissage",
    "brier_skill": "gain de Brier : 1 − Brier / Brier du taux constant ; 0 = pas mieux qu'un taux constant, "
                   "négatif = moins bien",
    "log_loss": "log-loss : log-vraisemblance négative moyenne",
    "mase": "MASE : erreur absolue moyenne divisée par celle de la prévision naïve à un pas sur l'historique",
    "mase_chosen": "MASE des modèles retenus série par série",
    "mase_naive": "MASE de la prévision naïve (dernière valeur reconduite)",
    "deviance_skill": "gain de déviance de Poisson sur un taux de mobilité unique de l'employeur",
    "coverage": "couverture de la bande P10-P90 : part des valeurs observées entre P10 et P90 (visée : 80 %)",
    "coverage_conformal_chosen": "couverture de la bande recalibrée par horizon (conformal)",
}
"""The technical name and definition of each measure, for help texts."""

_COUNTS = ("n", "observed", "predicted", "n_series", "rows", "series", "n_arrivals", "n_events", "n_full_years",
           "prophet_screened", "origins_holdout", "origins_selection")


def fmt_metric(name: str, value) -> str:
    """A backtest measure in French format (years as years, counts as integers, shares as percentages)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name == "cutoff":
        return str(int(value))
    if name in _COUNTS:
        return fmt_int(value)
    if "coverage" in name or name in ("rel_error", "mape", "level", "statut_error", "brier_skill",
                                      "deviance_skill"):
        return fmt_pct(value)
    return fmt_float(value, 2)


def _num(metrics: dict, key: str) -> float | None:
    v = metrics.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


SAME_SKILL = 0.01
"""A gain under 1 % (either way) over the reference is reported as "équivalente": the backtest of one year
cannot tell them apart."""


def _verdict(skill: float) -> str:
    """« meilleure que », « moins bonne que » or « équivalente à » (what follows: « celle d'un taux... »)."""
    return "meilleure que" if skill > SAME_SKILL else "moins bonne que" if skill < -SAME_SKILL else "équivalente à"


def chosen_sentence(fallback: dict | None) -> str:
    """Which model is active and why, against its baseline."""
    if not fallback:
        return "Modèle retenu : le modèle complet, au moins aussi bon que sa référence sur le même backtest."
    label = fallback.get("label") or FALLBACK_LABELS.get(fallback.get("code"), fallback.get("code"))
    reason = fallback.get("reason")
    return f"Modèle retenu : la référence plus simple, {label}" + (f", car {reason}." if reason else ".")


def sentences(name: str, metrics: dict, fallback: dict | None = None) -> list[str]:
    """What the backtest of one model version says, in a few French sentences (the last one: the model chosen
    against its baseline)."""
    m = metrics or {}
    out: list[str] = []
    cutoff, obs, pred = _num(m, "cutoff"), _num(m, "observed"), _num(m, "predicted")
    if name in ("retirement", "exits") and obs is not None and pred is not None and cutoff is not None:
        what = "départs à la retraite" if name == "retirement" else "autres départs"
        out.append(f"Appris sur l'historique jusqu'à fin {int(cutoff)}, le modèle prévoyait {fmt_int(pred)} {what} "
                   f"en {int(cutoff) + 1} ; il y en a eu {fmt_int(obs)} (écart {fmt_pct((pred - obs) / obs) if obs else '—'}).")
        skill = _num(m, "brier_skill")
        if skill is not None:
            out.append(f"Agent par agent, sa prévision est {_verdict(skill)} celle d'un taux constant "
                       f"(gain {fmt_pct(skill)} ; 0 % = pas mieux).")
    elif name == "mobility":
        skill = _num(m, "deviance_skill")
        if obs is not None and pred is not None and cutoff is not None:
            out.append(f"En {int(cutoff) + 1}, {fmt_int(pred)} mobilités internes prévues pour {fmt_int(obs)} "
                       "observées.")
        if skill is not None:
            out.append(f"Par métier, la prévision est {_verdict(skill)} celle d'un taux unique pour tout "
                       f"l'employeur (gain {fmt_pct(skill)}).")
    elif name == "demand":
        chosen, naive = _num(m, "mase_chosen"), _num(m, "mase_naive")
        if chosen is not None:
            text = f"Sur les prévisions passées, l'erreur des modèles retenus vaut {fmt_float(chosen, 2)}"
            if naive is not None:
                text += f", contre {fmt_float(naive, 2)} pour la prévision naïve (plus bas = mieux)"
            out.append(text + ".")
        cov = _num(m, "coverage_conformal_chosen")
        if cov is not None:
            out.append(f"{fmt_pct(cov)} des valeurs observées sont tombées dans la bande à 80 % (visée : 80 %).")
    elif name == "hires":
        err, base = _num(m, "age_error"), _num(m, "age_error_baseline")
        if err is not None:
            out.append(f"L'âge moyen des recrutés de la dernière année était prévu à {fmt_float(err, 1)} an(s) près"
                       + (f" (agents récents : {fmt_float(base, 1)} an(s))." if base is not None else "."))
    elif name == "indices":
        err, base = _num(m, "indice_error"), _num(m, "indice_error_baseline")
        if err is not None:
            out.append(f"Les indices un an plus tard étaient prévus à {fmt_float(err, 1)} point(s) près en moyenne"
                       + (f" (indices inchangés : {fmt_float(base, 1)})." if base is not None else "."))
    if m.get("band_method"):
        out.append(f"Bandes d'incertitude : {m['band_method']}.")
    if not out:
        out.append("Pas de backtest pour cette version : l'historique était trop court pour confronter le modèle "
                   "au passé.")
    out.append(chosen_sentence(fallback))
    return out


HORIZON_UNITS = {"demand": "M"}
"""Horizons counted in months (the demand's monthly series) are written M+h; the others are years, T+h."""


def by_horizon(metrics: dict, name: str = "") -> pd.DataFrame | None:
    """The backtest of the totals by horizon, when the version stored one (``metrics["backtest"]``: rows with
    ``horizon``, ``observed``, ``predicted`` and ``covered``): ``Horizon``, ``Prévisions``, ``Écart relatif moyen``,
    ``Dans la bande 80 %``. ``name``: the model, for the unit of the horizon (T+1 a year, M+1 a month)."""
    bt = (metrics or {}).get("backtest")
    if not isinstance(bt, list) or not bt:
        return None
    frame = pd.DataFrame(bt)
    if not {"horizon", "observed", "predicted", "covered"} <= set(frame.columns):
        return None
    if "by" in frame.columns and (frame["by"] == "total").any():
        frame = frame[frame["by"] == "total"]
    obs = pd.to_numeric(frame["observed"], errors="coerce")
    pred = pd.to_numeric(frame["predicted"], errors="coerce")
    frame = frame.assign(rel=(pred - obs).abs() / obs.where(obs > 0), covered=frame["covered"].astype(float))
    out = frame.groupby("horizon").agg(n=("rel", "size"), rel=("rel", "mean"), cov=("covered", "mean")).reset_index()
    unit = HORIZON_UNITS.get(name, "T")
    return pd.DataFrame({"Horizon": [f"{unit}+{int(h)}" for h in out["horizon"]], "Prévisions": out["n"].map(fmt_int),
                         "Écart relatif moyen": out["rel"].map(fmt_pct), "Dans la bande 80 %": out["cov"].map(fmt_pct)})
