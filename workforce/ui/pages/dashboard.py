"""Tableau de bord: headline figures, age pyramid, headcount by group, quality report of the latest import."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

st.title("Tableau de bord")  # painted first: a fresh server then imports the library (seconds)

import altair as alt

from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F
from workforce.ui import warmup as W

USER = auth.require(A.VIEW_DASHBOARD)  # the role is checked here too, not only in the menu

url, version = W.open_page()
ext = D.latest_extract_or_stop(url, version)

agents = D.snapshot(url, version, int(ext["id"]))
dir_labels = D.direction_labels()
kind = C.label(C.EXTRACT_KIND_LABELS, ext["kind"])
st.caption(f"Situation au {ext['extract_date']:%d/%m/%Y} — extraction {kind.lower()} « {ext['source']} ». "
           f"Les groupes de moins de {C.MIN_CELL} agents ne sont jamais affichés.")

# ---------------------------------------------------------------------------------------------- filters
met_labels = dict(zip(agents["metier_code"].astype(str), agents["metier_label"].astype(str)))
with st.expander("Filtres (la pyramide des âges d'une direction ou d'un métier)", expanded=False):
    cols = st.columns(5)
    options = {c: sorted(agents[c].dropna().unique().tolist()) for c in D.DASHBOARD_FILTERS}
    filters = {
        "direction": cols[0].multiselect("Direction", options["direction"], key="dash_direction",
                                         format_func=lambda v: dir_labels.get(v, v), placeholder="Toutes"),
        "metier_code": cols[4].multiselect("Métier", options["metier_code"], key="dash_metier",
                                           format_func=lambda v: met_labels.get(v, v), placeholder="Tous"),
        "filiere": cols[1].multiselect("Filière", options["filiere"], key="dash_filiere",
                                       format_func=lambda v: C.label(C.FILIERE_LABELS, v), placeholder="Toutes"),
        "categorie": cols[2].multiselect("Catégorie", options["categorie"], key="dash_categorie",
                                         format_func=lambda v: C.label(C.CATEGORIE_LABELS, v), placeholder="Toutes"),
        "statut": cols[3].multiselect("Statut", options["statut"], key="dash_statut",
                                      format_func=lambda v: C.label(C.STATUT_LABELS, v), placeholder="Tous"),
    }
view = D.dashboard_view(agents, filters)
hidden = view["refused"] is not None  # the view, or its difference with a neighbouring one, is 1-4 agents
sel = view["agents"] if not hidden else agents.iloc[:0]
n = view["n"] or 0
if hidden:
    st.warning(view["refused"], icon="🔒")

# ---------------------------------------------------------------------------------------------- headline
year_ago = D.extract_near(url, version, ext["extract_date"] - pd.DateOffset(years=1))
exit_rate = np.nan
if year_ago is not None and int(year_ago["id"]) != int(ext["id"]):
    before_view = D.dashboard_view(D.snapshot(url, version, int(year_ago["id"])), filters)
    before = before_view["agents"]
    if before is not None and len(before) >= C.MIN_CELL:
        left = ~before["agent_id"].isin(agents["agent_id"])
        exit_rate = float(left.mean())

forecast = F.retirement_forecast(url, version)
expected = {k: np.nan for k in (1, 3, 5)}
if forecast is not None:
    expected = F.expected_within(forecast, filters, (1, 3, 5))

m = st.columns(4)
m[0].metric("Effectif", "—" if hidden else C.fmt_int(n), help="Agents présents à la date de l'extraction.")
m[1].metric("ETP", "—" if hidden else C.fmt_float(view["etp"], 1),
            help="Équivalents temps plein : somme des quotités.")
m[2].metric("Âge moyen", "—" if hidden or n == 0 else C.fmt_float(view["age"], 1) + " ans")
m[3].metric("55 ans et plus", "—" if hidden or n == 0 else C.fmt_pct(view["senior"]),
            help="Part des agents âgés de 55 ans ou plus.")
m = st.columns(4)
m[0].metric("Taux de départ (12 mois)", "—" if hidden else C.fmt_pct(exit_rate),
            help="Part des agents présents un an plus tôt qui ont quitté la collectivité depuis "
                 "(retraites et autres départs).")
for i, k in enumerate((1, 3, 5), start=1):
    value = expected[k]
    m[i].metric(f"Retraites attendues ({k} an{'s' if k > 1 else ''})",
                "—" if hidden or pd.isna(value) else C.fmt_int(value),
                help=f"Départs à la retraite attendus dans les {12 * k} prochains mois (espérance du modèle, "
                     "droit en vigueur).")
if forecast is None:
    F.show_errors(url, version)
    if not F.model_errors(url, version):
        st.caption("Retraites attendues : " + C.NO_MODEL)

# ---------------------------------------------------------------------------------------------- pyramid
left_col, right_col = st.columns(2)
with left_col:
    st.subheader("Pyramide des âges")
    banded = agents.assign(tranche=D.age_band(agents["age"]),
                           sexe=agents["sex"].map(C.SEX_LABELS).fillna("Non renseigné"))
    pyr = banded.loc[sel.index].groupby(["tranche", "sexe"], observed=True).size().rename("agents").reset_index()
    # a cell a neighbouring view's pyramid would give away by difference is hidden like a small one
    pyr = C.publish(pyr, "agents", primary=D.exposed_cells(banded, filters, pyr, ["tranche", "sexe"]))
    pyr["valeur"] = np.where(pyr["sexe"] == "Hommes", -pyr["agents"].astype(float).fillna(0),
                             pyr["agents"].astype(float).fillna(0))
    order = list(reversed(D.age_band_order()))
    chart = (
        alt.Chart(pyr)
        .mark_bar()
        .encode(
            y=alt.Y("tranche:N", sort=order, title="Tranche d'âge"),
            x=alt.X("valeur:Q", title="Agents (hommes à gauche, femmes à droite)",
                    axis=alt.Axis(labelExpr="abs(datum.value)")),
            color=alt.Color("sexe:N", title="Sexe", scale=alt.Scale(domain=["Femmes", "Hommes", "Non renseigné"],
                                                                   range=["#c2185b", "#1f5fa8", "#9e9e9e"])),
            tooltip=[alt.Tooltip("tranche:N", title="Tranche"), alt.Tooltip("sexe:N", title="Sexe"),
                     alt.Tooltip("agents:Q", title="Agents")],
        )
        .properties(height=380)
    )
    C.show_chart(chart, key="dash_pyramid_chart")
    C.suppressed_note(pyr)

# ---------------------------------------------------------------------------------------------- breakdown
with right_col:
    st.subheader("Effectifs par groupe")
    dims = {"direction": "Direction", "filiere": "Filière", "categorie": "Catégorie", "statut": "Statut"}
    dim = st.selectbox("Regrouper par", list(dims), format_func=dims.get, key="dash_breakdown")
    fmt = {"direction": lambda v: dir_labels.get(v, v), "filiere": lambda v: C.label(C.FILIERE_LABELS, v),
           "categorie": lambda v: C.label(C.CATEGORIE_LABELS, v), "statut": lambda v: C.label(C.STATUT_LABELS, v)}[dim]
    grp = (sel.assign(groupe=sel[dim].map(fmt), senior=sel["age"] >= 55)
           .groupby("groupe").agg(effectif=("agent_id", "size"), etp=("quotite", "sum"), age=("age", "mean"),
                                  senior=("senior", "mean"))
           .reset_index())
    # the groups add up to the view's headline figures: complements hidden, means and shares blanked with them
    grp = C.publish(grp, "effectif", ["etp"], derived_cols=["age", "senior"],
                    primary=D.exposed_cells(agents.assign(groupe=agents[dim].map(fmt)), filters, grp, ["groupe"]))
    grp["etp"] = grp["etp"].round(1)
    grp["age"] = grp["age"].round(1)
    grp["senior"] = (100 * grp["senior"]).round(1)
    C.show_chart(C.bar_chart(grp.dropna(subset=["effectif"]), "groupe", "effectif", title="",
                                category_title=dims[dim], value_title="Agents"), key="dash_breakdown_chart")
    C.show_table(grp.sort_values("effectif", ascending=False),
                 {"groupe": dims[dim], "effectif": "Effectif", "etp": "ETP", "age": "Âge moyen",
                  "senior": "55 ans et plus (%)"}, key="dash_breakdown_table")

# ---------------------------------------------------------------------------------------------- history
hist = D.extracts(url, version)
hist = hist[hist["rows_stored"] > 0]
if len(hist) > 1:
    st.subheader("Évolution de l'effectif")
    series = hist.groupby("extract_date")["rows_stored"].sum().rename("effectif").reset_index()
    series = C.publish(series, "effectif", margins=[])  # each point a whole-employer total
    zoom = st.toggle("Zoomer sur les variations", key="dash_history_zoom",
                     help="Par défaut l'axe part de 0 : une baisse de 2 % reste une baisse de 2 %.")
    C.show_chart(
        alt.Chart(series).mark_line(point=len(series) <= 36).encode(
            x=alt.X("extract_date:T", title="Date d'extraction",
                    axis=alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}, labelAngle=0)),
            y=alt.Y("effectif:Q", title="Agents", scale=alt.Scale(zero=not zoom), axis=alt.Axis(format=",.0f")),
            tooltip=[alt.Tooltip("extract_date:T", title="Date", format="%d/%m/%Y"),
                     alt.Tooltip("effectif:Q", title="Agents", format=",.0f")]).properties(height=220),
        key="dash_history_chart")
    st.caption("Toute la collectivité (les filtres ne s'appliquent pas à cette courbe).")

# ---------------------------------------------------------------------------------------------- quality
st.subheader("Qualité de la dernière extraction importée")
rep = D.latest_import_report(url, version)
if rep is None:
    st.info("Aucune extraction RH importée : les chiffres ci-dessus viennent du département synthétique de "
            "démonstration. Importez une extraction sur la page « Données et modèles ».")
else:
    from workforce.ui import quality

    quality.render_report(rep["report"], key="dash_quality", directions=dir_labels)
