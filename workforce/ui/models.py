"""Model versions of the registry on screen: list, metrics, backtest tables."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from workforce.ui import common as C

MODEL_LABELS = {
    "retirement": "Départs à la retraite",
    "exits": "Autres départs",
    "mobility": "Mobilité interne",
    "demand": "Besoins (référence de la demande)",
}
METRIC_LABELS = {
    "cutoff": "Dernière année d'apprentissage", "n": "Agents-années testés", "observed": "Départs observés",
    "predicted": "Départs prévus", "rel_error": "Erreur relative", "brier": "Score de Brier",
    "brier_reference": "Brier de référence", "brier_skill": "Gain de Brier", "log_loss": "Log-vraisemblance",
    "coverage": "Couverture de la bande 80 %", "mae": "Erreur absolue moyenne", "mape": "Erreur relative moyenne",
    "abs_error": "Erreur absolue", "mase": "MASE", "mase_chosen": "MASE des modèles retenus",
    "mase_prophet": "MASE de Prophet", "mase_naive": "MASE naïf", "mase_snaive": "MASE naïf saisonnier",
    "coverage_raw": "Couverture de la bande brute", "coverage_conformal": "Couverture de la bande recalibrée",
    "deviance_skill": "Gain de déviance", "n_series": "Séries", "rows": "Lignes d'apprentissage",
    "series": "Séries", "level": "Niveau visé de la bande", "coverage_raw_prophet": "Couverture brute de Prophet",
    "coverage_conformal_prophet": "Couverture recalibrée de Prophet", "coverage_raw_naive": "Couverture brute naïve",
    "coverage_conformal_naive": "Couverture recalibrée naïve", "coverage_raw_snaive": "Couverture brute naïve saisonnière",
    "coverage_conformal_snaive": "Couverture recalibrée naïve saisonnière",
    "coverage_raw_chosen": "Couverture brute (modèles retenus)",
    "coverage_conformal_chosen": "Couverture recalibrée (modèles retenus)",
}
HEADLINE = ("observed", "predicted", "rel_error", "brier_skill", "mase_chosen", "coverage_conformal_chosen",
            "coverage_raw_prophet", "series", "coverage", "coverage_conformal", "deviance_skill", "cutoff")


def _scalar_metrics(metrics: dict) -> dict:
    return {k: v for k, v in (metrics or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _fmt_metric(name: str, value: float) -> str:
    if name in ("cutoff",):
        return str(int(value))
    if name in ("n", "observed", "predicted", "n_series", "rows", "series"):
        return C.fmt_int(value)
    if "coverage" in name or name in ("rel_error", "mape", "level"):
        return C.fmt_pct(value)
    return C.fmt_float(value, 3)


def _ordered(metrics: dict) -> list[tuple[str, float]]:
    scalars = _scalar_metrics(metrics)
    first = [(k, scalars[k]) for k in HEADLINE if k in scalars]
    return first + [(k, v) for k, v in scalars.items() if k not in HEADLINE]


def versions_table(mv: pd.DataFrame) -> pd.DataFrame:
    """One row per version: model, version, active, training date and duration, headline metrics."""
    rows = []
    for r in mv.itertuples():
        metrics = dict(_ordered(_json(r.metrics))[:4])
        rows.append({
            "Modèle": MODEL_LABELS.get(r.name, r.name), "Version": r.version, "Active": "oui" if r.active else "",
            "Entraîné le": r.trained_at.strftime("%d/%m/%Y %H:%M") if pd.notna(r.trained_at) else "—",
            "Durée (s)": C.fmt_float(r.training_seconds, 1) if r.training_seconds is not None else "—",
            "Indicateurs": " ; ".join(f"{METRIC_LABELS.get(k, k)} {_fmt_metric(k, v)}" for k, v in metrics.items()),
            "Empreinte": (r.sha256 or "")[:12],
        })
    return pd.DataFrame(rows)


def _json(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return {}


def backtest_frame(metrics: dict) -> pd.DataFrame | None:
    """The backtest table stored with a version (a list of records under ``backtest``), when any."""
    bt = metrics.get("backtest") if metrics else None
    if isinstance(bt, list) and bt:
        return pd.DataFrame(bt)
    if isinstance(bt, dict) and bt:
        try:
            return pd.DataFrame(bt)
        except ValueError:
            return pd.DataFrame([bt])
    return None


def render_backtest(row: pd.Series, *, key: str) -> None:
    """Headline metrics and the backtest table of one model version."""
    metrics = _json(row["metrics"])
    st.caption(f"Version {row['version']} entraînée le {row['trained_at']:%d/%m/%Y à %H:%M}.")
    ordered = _ordered(metrics)
    if ordered:
        cols = st.columns(4)
        for i, (k, v) in enumerate(ordered[:4]):
            cols[i].metric(METRIC_LABELS.get(k, k), _fmt_metric(k, v))
        if len(ordered) > 4:
            st.caption(" ; ".join(f"{METRIC_LABELS.get(k, k)} : {_fmt_metric(k, v)}" for k, v in ordered[4:]))
    if isinstance(metrics.get("cutoff"), (int, float)) and "observed" in metrics:
        cut = int(metrics["cutoff"])
        st.caption(f"Backtest : modèle appris sur l'historique jusqu'à fin {cut}, prévision de {cut + 1} comparée "
                   "à ce qui s'est passé.")
    bt = backtest_frame(metrics)
    if bt is None:
        st.caption("Le détail du backtest par année et par groupe n'est pas enregistré dans le registre pour "
                   "cette version.")
        return
    names = {"cutoff": "Fin d'apprentissage", "horizon": "Horizon", "year": "Année", "by": "Niveau",
             "group": "Groupe", "n_agents": "Agents", "observed": "Observés", "predicted": "Prévus",
             "lower": "P10", "upper": "P90", "covered": "Dans la bande", "abs_error": "Erreur absolue",
             "rel_error": "Erreur relative"}
    if "n_agents" in bt.columns:
        bt = C.publish(bt, "n_agents", [c for c in ("observed", "predicted", "lower", "upper") if c in bt.columns])
    if "by" in bt.columns:
        bt = bt[bt["by"].isin(["total", None]) | bt["by"].isna()] if (bt["by"] == "total").any() else bt
    C.show_table(bt, {c: names.get(c, c) for c in bt.columns if c != "suppressed"}, key=f"{key}_table")
