"""Model versions of the registry on screen: list, metrics, backtest tables, and how reliable each model was
(the sentences of :mod:`workforce.reliability`, shared with `workforce models show`)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from workforce.reliability import METRIC_HELP, METRIC_LABELS, MODEL_LABELS, by_horizon, fmt_metric, sentences
from workforce.ui import common as C

HEADLINE = ("observed", "predicted", "rel_error", "brier_skill", "mase_chosen", "coverage_conformal_chosen",
            "age_error", "indice_error", "series", "coverage", "coverage_conformal", "deviance_skill", "cutoff")


def _scalar_metrics(metrics: dict) -> dict:
    return {k: v for k, v in (metrics or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


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
            "Indicateurs": " ; ".join(f"{METRIC_LABELS.get(k, k)} {fmt_metric(k, v)}" for k, v in metrics.items()),
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
            cols[i].metric(METRIC_LABELS.get(k, k), fmt_metric(k, v), help=METRIC_HELP.get(k))
        if len(ordered) > 4:
            st.caption(" ; ".join(f"{METRIC_LABELS.get(k, k)} : {fmt_metric(k, v)}" for k, v in ordered[4:]))
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
        keys = [c for c in ("cutoff", "horizon", "year", "by") if c in bt.columns]
        bt = C.publish(bt, "n_agents", [c for c in ("observed", "predicted") if c in bt.columns],
                       margins=[tuple(keys)], derived_cols=[c for c in ("lower", "upper", "abs_error", "rel_error",
                                                                         "covered") if c in bt.columns])
    if "by" in bt.columns:
        bt = bt[bt["by"].isin(["total", None]) | bt["by"].isna()] if (bt["by"] == "total").any() else bt
    C.show_table(bt, {c: names.get(c, c) for c in bt.columns if c != "suppressed"}, key=f"{key}_table")


def render_reliability(active: pd.DataFrame, *, key: str) -> None:
    """« Fiabilité des prévisions »: for every active model, how far its forecasts of the past were from what
    happened, the band coverage by horizon when stored, and the model chosen against its baseline."""
    st.subheader("Fiabilité des prévisions")
    st.caption("Chaque modèle est confronté au passé de l'employeur : appris sur les années anciennes, il prévoit "
               "les suivantes, et sa prévision est comparée à ce qui s'est passé et à celle d'une référence simple "
               "(taux constant, prévision naïve, agents récents). Celui des deux qui fait le mieux est le modèle "
               "utilisé.")
    for row in active.sort_values("name").itertuples():
        metrics = _json(row.metrics)
        with st.container(border=True):
            st.markdown(f"**{MODEL_LABELS.get(row.name, row.name)}** (version {row.version})")
            for sentence in sentences(row.name, metrics, metrics.get("fallback")):
                st.markdown(f"- {sentence}")
            horizons = by_horizon(metrics, row.name)
            if horizons is not None:
                st.caption("Prévisions passées des totaux, par horizon (T+1 : l'année suivant la fin de "
                           "l'apprentissage ; M+1 : le mois suivant) :")
                st.dataframe(horizons, hide_index=True, key=f"{key}_{row.name}_horizons")
