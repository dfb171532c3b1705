"""Scénarios: every knob of the projection engine in the sidebar; results update as a slider moves (expected
mode); bands on demand (Monte Carlo); save, load, duplicate, delete; compare up to 3 scenarios (assumptions
and outcomes); download the results as XLSX."""

from __future__ import annotations

import pandas as pd
import streamlit as st

st.title("Scénarios")  # painted first: a fresh server then imports the library (seconds)

import altair as alt

from workforce import scenario as S
from workforce.projection.names import FLOW_INDICATORS
from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F
from workforce.ui import projections as PJ
from workforce.ui import scenario_form as SF
from workforce.ui import warmup as W

USER = auth.require(A.VIEW_SCENARIOS)  # the role is checked here too, not only in the menu

url, version = W.open_page()
ext = D.latest_extract_or_stop(url, version)

dir_labels = D.direction_labels()
met_labels = D.metier_labels(url, version)
CURRENT = "(scénario en cours)"
COMPARED = ("headcount", "retirements", "hires", "vacancies", "payroll")
FLOWS = set(FLOW_INDICATORS)

# ---------------------------------------------------------------------------------------------- the scenario
params = SF.sidebar()
try:
    scenario = S.Scenario.from_dict(params)
except S.ScenarioError as err:
    st.error(f"Hypothèse invalide : {SF.knob_label(err.field)} — {err}")
    st.stop()

MODEL_NAMES = {"retirement": "départs à la retraite", "exits": "autres départs", "mobility": "mobilité interne",
               "demand": "besoins", "hires": "profil des recrutements"}
missing = PJ.fallbacks(url, version)
if "retirement" in missing:
    C.no_model("Départs à la retraite : la projection applique la loi seule (départ à l'âge légal)")
models_missing = [MODEL_NAMES.get(n, n) for n in missing if n not in ("retirement", "hires")]
if models_missing:
    st.caption("Modèles non disponibles (la projection utilise une hypothèse simple à la place) : "
               + ", ".join(models_missing) + ". Lancez `workforce train`.")

projection = PJ.run(url, version, scenario.to_json())  # the library adds the transformation factors
F.show_errors(url, version)
if projection is None:
    st.stop()

years = projection.years.astype(int)
first, last = int(years[0]), int(years[-1])
tot = PJ.totals(projection, ["headcount", "etp", "retirements", "retirements_of_recruits", "exits", "hires",
                             "vacancies", "demand", "payroll"])
flows = tot[tot["year"] > first]

st.caption(f"Agents présents au {ext['extract_date']:%d/%m/%Y}, projetés de {first + 1} à {last} "
           "(valeurs attendues ; bandes P10–P90 sur demande).")
m = st.columns(5)
h0, h1 = tot["headcount"].iloc[0], tot["headcount"].iloc[-1]
m[0].metric(f"Effectif fin {last}", C.fmt_int(h1), delta=C.fmt_int(h1 - h0), help=f"Effectif au départ : {C.fmt_int(h0)}.")
recruits_retiring = flows["retirements_of_recruits"].sum()
m[1].metric("Départs à la retraite (cumul)", C.fmt_int(flows["retirements"].sum()),
            help=f"Dont {C.fmt_int(recruits_retiring)} agents recrutés pendant la projection : la page Retraites ne "
                 "compte que les agents présents aujourd'hui.")
st.caption(f"Départs à la retraite {first + 1}–{last} : {C.fmt_int(flows['retirements'].sum())}, dont "
           f"{C.fmt_int(recruits_retiring)} agents recrutés pendant la projection (la page Retraites ne compte que "
           "les agents présents aujourd'hui).")
m[2].metric("Recrutements (cumul)", C.fmt_int(flows["hires"].sum()))
m[3].metric(f"Postes vacants fin {last}", C.fmt_float(tot["vacancies"].iloc[-1], 0),
            help="Besoin (ETP) moins ETP présents : positif = manque d'agents.")
p0, p1 = tot["payroll"].iloc[0], tot["payroll"].iloc[-1]
m[4].metric(f"Masse salariale {last}", C.fmt_euros(p1),
            delta=(C.fmt_pct(p1 / p0 - 1) if p0 else None), delta_color="inverse")

# ---------------------------------------------------------------------------------------------- by year
mc_store = st.session_state.setdefault("sc_mc", {})
fp = scenario.fingerprint()
mc = mc_store.get(fp)
left, right = st.columns([3, 2])
with left:
    ind = st.selectbox("Indicateur", ["headcount", "etp", "retirements", "exits", "hires", "vacancies", "demand",
                                      "payroll"], format_func=PJ.INDICATOR_LABELS.get, key="sc_indicator")
    flow = ind in FLOWS
    zoom = st.toggle("Zoomer sur les variations", key="sc_zoom",
                     help="Par défaut l'axe part de 0 : une baisse de 2 % reste une baisse de 2 %. Le zoom montre "
                          "le détail des variations d'une année à l'autre.")
    series = tot[["year", ind]].rename(columns={ind: "valeur"})
    if flow:  # a flow happens during a year: none in the starting year
        series = series[series["year"] > first]
    band = None
    if mc is not None:
        band = mc.summary("total", [ind])[["year", "p10", "p90"]]
        series = series.merge(band, on="year", how="left")
    chart = C.trend_chart(series, x="year", mid="valeur", low="p10" if band is not None else None,
                          high="p90" if band is not None else None, y_title=PJ.INDICATOR_LABELS[ind],
                          zero=not zoom and ind != "vacancies")
    C.show_chart(chart, key="sc_chart")
with right:
    st.markdown("**Chiffres par année** (toute la collectivité)")
    shown = tot.drop(columns=["retirements_of_recruits"]).copy()
    for col in FLOWS:  # no flow in the starting year
        if col in shown.columns:
            shown[col] = shown[col].astype(float).mask(shown["year"] == first)
    if mc is not None:
        bands = mc.summary("total", ["headcount"])[["year", "p10", "p90"]].rename(
            columns={"p10": "headcount_p10", "p90": "headcount_p90"})
        shown = shown.merge(bands, on="year", how="left")
    labels = {**PJ.INDICATOR_LABELS, "year": "Année", "headcount_p10": "Effectif P10", "headcount_p90": "Effectif P90"}
    decimals = {labels[c]: (1 if c in ("etp", "demand", "vacancies") else 0) for c in shown.columns if c != "year"}
    shown = shown.rename(columns=labels)
    st.dataframe(C.french_numbers(shown, decimals), hide_index=True, key="sc_totals_table", height=320)
    if D.scope_of(version) is not None:
        st.caption("Bandes d'incertitude : calculées pour toute la collectivité, elles ne sont pas proposées sur un "
                   "périmètre restreint à certaines directions.")
    elif mc is None:
        if st.button(f"Calculer les bandes d'incertitude ({PJ.MC_REPLICATES} simulations)", key="sc_run_mc"):
            with st.spinner("Simulations Monte Carlo…"):
                result = PJ.run(url, version, scenario.to_json(), mode="mc", replicates=PJ.MC_REPLICATES)
            if result is not None:
                mc_store[fp] = result
                st.rerun()
    else:
        st.caption(f"Bandes P10–P90 : {PJ.MC_REPLICATES} simulations, graine {scenario.seed}.")

# ---------------------------------------------------------------------------------------------- period totals
st.markdown("**Total sur une période**")
projected = [int(y) for y in years if y > first]
if len(projected) > 1:
    period = st.select_slider("Période", options=projected, value=(projected[0], projected[-1]), key="sc_period")
else:
    period = (projected[0], projected[0])
period_totals = {f"{PJ.INDICATOR_LABELS[i]} {period[0]}–{period[1]}": projection.period_total(i, *period)
                 for i in ("retirements", "retirements_of_recruits", "exits", "hires")}
m = st.columns(len(period_totals))
for col, (label, value) in zip(m, period_totals.items()):
    col.metric(label, C.fmt_int(value))
st.caption(f"Sommes des années {period[0]} à {period[1]} incluses (valeurs attendues).")

# ---------------------------------------------------------------------------------------------- detail
st.subheader("Détail")
c = st.columns(2)
level = c[0].selectbox("Par", ["direction", "categorie", "famille", "metier"], format_func=PJ.LEVEL_LABELS.get,
                       key="sc_level")
detail_ind = c[1].selectbox("Indicateur du détail", ["headcount", "retirements", "hires", "exits", "vacancies",
                                                     "payroll"], format_func=PJ.INDICATOR_LABELS.get,
                            key="sc_detail_indicator")
pub = PJ.published(projection, level)
pub = pub[pub["indicator"] == detail_ind]
names = {"direction": lambda v: dir_labels.get(v, v), "metier": lambda v: met_labels.get(v, v),
         "categorie": lambda v: C.label(C.CATEGORIE_LABELS, v), "famille": lambda v: v}[level]
wide = pub.assign(groupe=pub[level].map(names)).pivot_table(index="groupe", columns="year", values="value",
                                                            aggfunc="first", dropna=False)
wide = wide.round(0 if detail_ind != "payroll" else -3)
wide.columns = [str(y) for y in wide.columns]
st.dataframe(C.french_numbers(wide.reset_index().rename(columns={"groupe": PJ.LEVEL_LABELS[level]})), hide_index=True,
             key="sc_detail_table")
if pub["suppressed"].any():
    st.caption(f"Cases vides : groupes de moins de {C.MIN_CELL} agents (secret statistique).")

with st.expander("Masse salariale : effet prix, GVT et effet de noria"):
    pay = projection.payroll("total")
    cols = {"year": "Année", "payroll_start": "Début d'année (€)", "price_effect": "Effet prix (point)",
            "gvt": "GVT positif", "noria": "Effet de noria", "volume": "Effet volume",
            "mobility_net": "Mobilités (solde)", "change": "Variation", "payroll": "Fin d'année (€)"}
    st.dataframe(C.french_numbers(pay[[c for c in cols if c in pay.columns]].round(0).rename(columns=cols)),
                 hide_index=True,
                 key="sc_payroll_table")

if USER.can(A.EXPORT):  # the files of `workforce project --out x.xlsx` and `workforce report` (one function each)
    saved_name = PJ.scenario_name(url, scenario, st.session_state.get(SF.LOADED_NAME))
    d = st.columns(2)
    d[0].download_button("Télécharger les résultats (XLSX)", key="sc_download_xlsx", on_click="ignore",
                         data=lambda: PJ.xlsx_bytes(projection, name=saved_name, scenario=scenario, url=url,
                                                    version=version),
                         file_name=f"projection_{last}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         help="Scénario et hypothèses, résultats par direction et par année (groupes de moins de 5 "
                              "agents masqués), masse salariale et provenance.")
    if D.scope_of(version) is None:  # the note prints whole-employer figures
        d[1].download_button("Note de synthèse (PDF)", key="sc_download_pdf", on_click="ignore",
                             data=lambda: PJ.note_pdf(url, version, scenario.to_json(), saved_name),
                             file_name=f"note_de_synthese_{last}.pdf", mime="application/pdf",
                             help="Hypothèses, chiffres clés, effectif et retraites avec leurs bandes P10–P90, "
                                  "comparaison avec la référence, compétences en manque, fiabilité et provenance "
                                  "(comme `workforce report`).")

# ---------------------------------------------------------------------------------------------- save / load
st.subheader("Enregistrer, charger, comparer")
svers = D.scenario_version(url)
saved = S.list_saved(D.engine(url), with_reference=True)
names_saved = [n for n in saved["name"].tolist() if n != S.REFERENCE_NAME]

def _save() -> None:
    name = st.session_state.get("sc_save_name") or ""
    description = st.session_state.get("sc_save_description")
    parent = st.session_state.get(SF.LOADED_NAME)
    try:
        S.save(D.engine(url), name, scenario, parent=parent if parent in names_saved else None,
               description=description or None, user=USER)
    except (ValueError, S.ScenarioError, A.AccessDenied) as err:
        st.session_state["sc_message"] = ("error", _french(err))
    else:
        st.session_state[SF.LOADED_NAME] = name.strip()
        st.session_state["sc_message"] = ("success", f"Scénario « {name.strip()} » enregistré.")

def _french(err: Exception) -> str:
    text = str(err)
    if isinstance(err, S.ScenarioExists):
        return "Ce nom est déjà pris : choisissez-en un autre ou supprimez d'abord l'ancien scénario."
    if isinstance(err, S.ScenarioError) and err.field == "name":
        return "Donnez un nom au scénario (200 caractères au plus)."
    return text

def _load() -> None:
    name = st.session_state["sc_load_name"]
    saved_one = S.load(D.engine(url), name)
    SF.load_into_widgets(saved_one.scenario, name)
    st.session_state["sc_message"] = ("success", f"Scénario « {name} » chargé dans les curseurs.")

def _duplicate() -> None:
    name = st.session_state["sc_load_name"]
    original = S.load(D.engine(url), name)
    copy, i = f"{name} (copie)", 2
    while copy in names_saved:
        copy, i = f"{name} (copie {i})", i + 1
    S.save(D.engine(url), copy, original.scenario, parent=name, description=original.description, user=USER)
    st.session_state["sc_message"] = ("success", f"« {name} » dupliqué en « {copy} ».")

def _delete() -> None:
    name = st.session_state["sc_load_name"]
    if not st.session_state.get("sc_delete_confirm"):
        st.session_state["sc_message"] = ("warning", "Cochez « Confirmer la suppression » d'abord.")
        return
    try:
        S.delete(D.engine(url), name, user=USER)
    except S.ReferenceReadOnly as err:
        st.session_state["sc_message"] = ("error", f"{str(err)[0].upper()}{str(err)[1:]}.")
        return
    except A.AccessDenied as err:
        st.session_state["sc_message"] = ("error", f"{str(err)[0].upper()}{str(err)[1:]}.")
        return
    if st.session_state.get(SF.LOADED_NAME) == name:
        st.session_state[SF.LOADED_NAME] = None
    st.session_state["sc_delete_confirm"] = False
    st.session_state["sc_message"] = ("success", f"Scénario « {name} » supprimé.")

msg = st.session_state.pop("sc_message", None)
if msg:
    getattr(st, msg[0])(msg[1])

editor = USER.can(A.EDIT_SCENARIOS)
if editor:
    c = st.columns([2, 3, 1])
    c[0].text_input("Nom du scénario", key="sc_save_name", placeholder="ex. Gel 2026 et report 6 mois")
    c[1].text_input("Description (facultatif)", key="sc_save_description")
    c[2].button("Enregistrer", key="sc_save", type="primary", on_click=_save)
else:
    st.caption("Votre rôle permet de consulter et de charger les scénarios enregistrés, pas d'en enregistrer ni "
               "d'en supprimer.")

if True:  # the reference is always there
    c = st.columns([3, 1, 1, 1, 2])
    c[0].selectbox("Scénarios enregistrés", [S.REFERENCE_NAME, *names_saved], key="sc_load_name",
                   help=f"« {S.REFERENCE_NAME} » : les hypothèses par défaut, en lecture seule.")
    c[1].button("Charger", key="sc_load", on_click=_load)
    if editor:
        c[2].button("Dupliquer", key="sc_duplicate", on_click=_duplicate)
        c[3].button("Supprimer", key="sc_delete", on_click=_delete)
        c[4].checkbox("Confirmer la suppression", key="sc_delete_confirm")
    st.button("Revenir aux hypothèses par défaut", key="sc_reset", on_click=SF.reset_widgets)
    listing = saved.assign(created_at=pd.to_datetime(saved["created_at"]).dt.strftime("%d/%m/%Y %H:%M"))
    listing = listing.astype(object).where(listing.notna(), "—")
    st.dataframe(listing.rename(columns={"name": "Nom", "author": "Auteur", "parent": "Dérivé de",
                                         "created_at": "Créé le", "description": "Description",
                                         "fingerprint": "Empreinte"}), hide_index=True, key="sc_saved_table")
    if not names_saved:
        st.caption("Aucun scénario enregistré pour l'instant : seule la référence est disponible.")

# ---------------------------------------------------------------------------------------------- compare
st.markdown("**Comparer jusqu'à 3 scénarios**")
compare = st.multiselect("Scénarios à comparer", [S.REFERENCE_NAME, CURRENT, *names_saved], key="sc_compare",
                         max_selections=3, default=[S.REFERENCE_NAME, CURRENT],
                         placeholder="Choisissez 2 ou 3 scénarios",
                         help=f"« {S.REFERENCE_NAME} » : les hypothèses par défaut, toujours disponibles, en lecture "
                              "seule.")
if len(compare) >= 2:
    scenarios = {n: (scenario if n == CURRENT else S.load(D.engine(url), n).scenario) for n in compare}
    st.markdown("Hypothèses qui diffèrent")
    differ = S.compare(scenarios)
    if len(differ):
        st.dataframe(differ, hide_index=True, key="sc_compare_assumptions")
    else:
        st.caption("Les scénarios choisis ont les mêmes hypothèses.")
    results = {}
    for n, s_ in scenarios.items():
        proj = PJ.run(url, version, s_.to_json())
        if proj is not None:
            results[n] = PJ.totals(proj, COMPARED)
    comp_ind = st.selectbox("Indicateur comparé", list(COMPARED), format_func=PJ.INDICATOR_LABELS.get,
                            key="sc_compare_indicator")
    long = pd.concat([r[["year", comp_ind]].assign(scenario=n) for n, r in results.items()], ignore_index=True)
    if comp_ind in FLOWS:
        long = long[long["year"] > first]
    C.show_chart(C.trend_chart(long, x="year", mid=comp_ind, y_title=PJ.INDICATOR_LABELS[comp_ind],
                               color="scenario", color_title="Scénario",
                               zero=not st.session_state.get("sc_zoom") and comp_ind != "vacancies", height=300),
                 key="sc_compare_chart")
    outcome = []
    for n, r in results.items():
        fl = r[r["year"] > r["year"].min()]
        outcome.append({"Scénario": n, "Effectif final": round(float(r["headcount"].iloc[-1])),
                        "Retraites (cumul)": round(float(fl["retirements"].sum())),
                        "Recrutements (cumul)": round(float(fl["hires"].sum())),
                        "Postes vacants (fin)": round(float(r["vacancies"].iloc[-1]), 1),
                        "Masse salariale finale (M€)": round(float(r["payroll"].iloc[-1]) / 1e6, 2)})
    st.markdown("Résultats")
    st.dataframe(C.french_numbers(pd.DataFrame(outcome), {"Postes vacants (fin)": 1,
                                                           "Masse salariale finale (M€)": 2}),
                 hide_index=True, key="sc_compare_outcomes")
    by_year = long.pivot_table(index="year", columns="scenario", values=comp_ind).reset_index()
    by_year = by_year[["year", *[n for n in compare if n in by_year.columns]]]
    digits = 1 if comp_ind in ("vacancies", "etp", "demand") else 0
    st.dataframe(C.french_numbers(by_year.rename(columns={"year": "Année"}),
                                  {n: digits for n in compare}), hide_index=True, key="sc_compare_by_year")
elif compare:
    st.caption("Choisissez au moins deux scénarios.")
