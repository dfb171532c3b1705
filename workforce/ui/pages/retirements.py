"""Départs à la retraite: expected retirements with their band, heatmap by direction or métier, the regime
variants side by side, the agents reaching their legal age (AOD) each year, the backtest of the model.

The forecasts use the registry's active models through :mod:`workforce.forecast.active` (cached by
:mod:`workforce.ui.forecasts`), the path `workforce forecast retirements` takes: the page and the command line
show the same table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

st.title("Départs à la retraite")  # painted first: a fresh server then imports the library (seconds)

import altair as alt

from workforce import rules
from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F
from workforce.ui import warmup as W
from workforce.config import env_flag

USER = auth.require(A.VIEW_RETIREMENTS)  # the role is checked here too, not only in the menu

url, version = W.open_page()
ext = D.latest_extract_or_stop(url, version)

dir_labels = D.direction_labels()
met_labels = D.metier_labels(url, version)
GROUPS = {"direction": "Direction", "metier": "Métier", "categorie": "Catégorie", "filiere": "Filière"}
GROUP_FMT = {
    "direction": lambda v: dir_labels.get(v, v), "metier": lambda v: met_labels.get(v, v),
    "categorie": lambda v: C.label(C.CATEGORIE_LABELS, v), "filiere": lambda v: C.label(C.FILIERE_LABELS, v),
}

top = st.columns([2, 2, 3])
regime = top[0].selectbox("Droit applicable", list(rules.REGIMES), index=list(rules.REGIMES).index(rules.DEFAULT_REGIME),
                          format_func=C.REGIME_LABELS.get, key="ret_regime",
                          help="Variante de la loi utilisée pour les âges légaux (AOD) et les limites d'âge.")
by = top[1].selectbox("Détail par", list(GROUPS), format_func=GROUPS.get, key="ret_by")
top[2].caption(f"Agents présents au {ext['extract_date']:%d/%m/%Y}, projetés sur {F.HORIZON} ans. Bandes P10–P90 "
               f"issues de {F.N_REP} simulations (graine {F.SEED}) ; groupes de moins de {C.MIN_CELL} agents masqués.")

# ---------------------------------------------------------------------------------------------- expected
st.subheader("Départs à la retraite attendus par an")
total = F.retirement_summary(url, version, regime, None)
F.show_errors(url, version)
if total is None:
    C.no_model("Prévision des départs à la retraite")
else:
    tot = C.publish(total, "n_agents", ["expected"], margins=[], derived_cols=["p10", "p50", "p90"])
    k = st.columns(3)
    first = tot.iloc[0]
    k[0].metric(f"Attendus en {int(first['year'])}", C.fmt_int(first["expected"]),
                help="Espérance du nombre de départs à la retraite (somme des probabilités individuelles).")
    years_ = [int(y) for y in tot["year"]]
    period = k[1].select_slider("Période", options=years_, value=(years_[0], years_[min(4, len(years_) - 1)]),
                                key="ret_period", help="Années incluses dans le total.") if len(years_) > 1 \
        else (years_[0], years_[0])
    in_period = tot["year"].between(*period)
    k[2].metric(f"Total {period[0]}–{period[1]}", C.fmt_int(tot.loc[in_period, "expected"].sum()),
                help="Somme des départs attendus des années choisies (incluses).")
    st.caption("Agents présents aujourd'hui seulement. La page Scénarios compte en plus les départs à la retraite des "
               "agents recrutés pendant la projection (« dont agents recrutés pendant la projection »), et les départs "
               "pour d'autres motifs qui précèdent la retraite.")
    C.show_chart(
        C.trend_chart(tot, x="year", low="p10", mid="expected", high="p90", y_title="Départs à la retraite"),
        key="ret_total_chart")
    C.show_table(tot.assign(expected=tot["expected"].round(1)),
                 {"year": "Année", "expected": "Attendus", "p10": "P10", "p50": "P50", "p90": "P90"},
                 key="ret_total_table")

    # ------------------------------------------------------------------------------------------ heatmap
    st.subheader(f"Par {GROUPS[by].lower()} et par année")
    grouped = F.retirement_summary(url, version, regime, by)
if total is not None and grouped is None:  # the forecast failed for this view: its error is shown above
    C.no_model(f"Prévision par {GROUPS[by].lower()}")
elif total is not None:
    g = C.publish(grouped, "n_agents", ["expected"], margins=[("year",)], derived_cols=["p10", "p50", "p90"])
    g["groupe"] = g[by].map(GROUP_FMT[by])
    g["attendus"] = g["expected"].round(1)
    heat = (
        alt.Chart(g.dropna(subset=["attendus"]))
        .mark_rect()
        .encode(
            x=alt.X("year:O", title="Année"),
            y=alt.Y("groupe:N", title=GROUPS[by], sort=alt.EncodingSortField("attendus", op="sum", order="descending"),
                    axis=alt.Axis(labelLimit=360, labelOverlap=False, labelFontSize=11)),
            color=alt.Color("attendus:Q", title="Attendus", scale=alt.Scale(scheme="orangered")),
            tooltip=[alt.Tooltip("groupe:N", title=GROUPS[by]), alt.Tooltip("year:O", title="Année"),
                     alt.Tooltip("attendus:Q", title="Attendus", format=",.1f"),
                     alt.Tooltip("p10:Q", title="P10"), alt.Tooltip("p90:Q", title="P90")],
        )
        .properties(height=min(20 * g["groupe"].nunique() + 40, 2400))
    )
    C.show_chart(heat, key="ret_heatmap")
    C.suppressed_note(g.drop_duplicates(by))

# ---------------------------------------------------------------------------------------------- regimes
st.subheader("Variantes du droit côte à côte")
compare = ("reform2023", "lfss2026")
if total is not None:
    frames = []
    for reg in compare:
        s = F.retirement_summary(url, version, reg, None)
        if s is not None:  # a variant whose forecast failed is left out (its error is shown above)
            frames.append(C.publish(s, "n_agents", ["expected"], margins=[], derived_cols=["p10", "p50", "p90"])
                          .assign(regime=C.REGIME_LABELS[reg]))
if total is not None and frames:
    both = pd.concat(frames, ignore_index=True)
    C.show_chart(
        C.trend_chart(both, x="year", low="p10", mid="expected", high="p90", title="Départs à la retraite attendus",
                      y_title="Départs à la retraite", color="regime", color_title="Droit"),
        key="ret_regimes_chart")
    wide = both.pivot_table(index="year", columns="regime", values="expected").round(1).reset_index()
    if len(frames) == len(compare):
        wide["Écart"] = (wide[C.REGIME_LABELS["lfss2026"]] - wide[C.REGIME_LABELS["reform2023"]]).round(1)
    st.dataframe(C.french_numbers(wide.rename(columns={"year": "Année"})), hide_index=True, key="ret_regimes_table")

# ---------------------------------------------------------------------------------------------- AOD
st.subheader("Agents atteignant l'âge légal de départ (AOD) chaque année")
st.caption("Calcul réglementaire seul (sans modèle) : date d'ouverture des droits selon la date de naissance et la "
           "catégorie de service, pour les agents présents.")
schedules = {reg: F.aod_schedule(url, version, reg) for reg in dict.fromkeys((*compare, regime))}
from workforce.forecast.retirement import aod_counts  # noqa: E402 - after the page header

rows = []
for reg, sch in ((r, schedules[r]) for r in compare):
    counts = aod_counts(sch).rename(columns={"count": "agents"})
    counts["regime"] = C.REGIME_LABELS[reg]
    rows.append(counts)
aod = pd.concat(rows, ignore_index=True)
already = aod[aod["year"].isna()]
aod = C.publish(aod[aod["year"].notna()].astype({"year": int}), "agents", margins=[])  # whole-employer totals
C.show_chart(
    alt.Chart(aod).mark_bar().encode(
        x=alt.X("year:O", title="Année où l'AOD est atteint"),
        xOffset=alt.XOffset("regime:N"),
        y=alt.Y("agents:Q", title="Agents"),
        color=alt.Color("regime:N", title="Droit"),
        tooltip=[alt.Tooltip("regime:N", title="Droit"), alt.Tooltip("year:O", title="Année"),
                 alt.Tooltip("agents:Q", title="Agents")],
    ).properties(height=300),
    key="ret_aod_chart")
if len(already):
    st.caption("Ont déjà atteint l'AOD à la date de l'extraction : " + " ; ".join(
        f"{r.regime} : {C.fmt_int(r.agents) if r.agents >= C.MIN_CELL else '< 5'}" for r in already.itertuples()))
by_group = aod_counts(schedules[regime], by).rename(columns={"count": "agents"})
by_group = by_group[by_group["year"].notna()]
by_group["groupe"] = by_group[by].map(GROUP_FMT[by])
grid = (by_group.pivot_table(index="groupe", columns="year", values="agents", aggfunc="sum", fill_value=0)
        .stack().rename("agents").reset_index())  # every group and year, 0 where nobody reaches the AOD
wide = C.publish(grid, "agents", margins=[("year",)]).pivot_table(index="groupe", columns="year", values="agents", aggfunc="first",
                                             dropna=False)
wide.columns = [str(c) for c in wide.columns]
st.markdown(f"**Par {GROUPS[by].lower()}** ({C.REGIME_LABELS[regime]}) — cases vides : moins de {C.MIN_CELL} agents")
st.dataframe(C.french_numbers(wide.reset_index().rename(columns={"groupe": GROUPS[by]})), hide_index=True,
             key="ret_aod_table")

nominative = env_flag("WORKFORCE_NOMINATIVE", False) and USER.can(A.NOMINATIVE)  # switched on, and the role
if nominative:
    with st.expander("Liste nominative (pseudonymes) — accès tracé"):
        year_choice = st.selectbox("Année", sorted(by_group["year"].dropna().unique().tolist()), key="ret_nominative_year")
        if st.button("Afficher la liste", key="ret_nominative_show"):
            from workforce import db

            sch = schedules[regime]
            listed = sch[sch["year"] == year_choice]
            with db.session_scope(D.engine(url)) as session:
                db.audit(session, "ui.nominative_aod", {"year": int(year_choice), "regime": regime,
                                                        "agents": int(len(listed))})
            st.dataframe(listed.assign(direction=listed["direction"].map(GROUP_FMT["direction"])),
                         hide_index=True, key="ret_nominative_table")
else:
    st.caption("Liste nominative désactivée (activer avec la variable WORKFORCE_NOMINATIVE=1 ; chaque consultation "
               "est tracée dans le journal d'audit).")

# ---------------------------------------------------------------------------------------------- backtest
st.subheader("Qualité du modèle : backtest sur les années passées")
mv = D.model_versions(url, version)
ret_versions = mv[(mv["name"] == F.RETIREMENT_MODEL) & mv["active"]] if len(mv) else mv
if ret_versions.empty:
    C.no_model("Backtest du modèle de retraite")
else:
    from workforce.ui import models as M

    M.render_backtest(ret_versions.iloc[-1], key="ret_backtest")
