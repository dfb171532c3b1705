"""Métiers et transformations: growing, declining and transforming métiers with their reasons and their
exposure to the transitions; the demand baseline with its band for a chosen métier."""

from __future__ import annotations

import pandas as pd
import streamlit as st

st.title("Métiers et transformations")  # painted first: a fresh server then imports the library (seconds)

import altair as alt

from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import projections as PJ
from workforce.ui import warmup as W

USER = auth.require(A.VIEW_METIERS)  # the role is checked here too, not only in the menu

url, version = W.open_page()
ext = D.latest_extract_or_stop(url, version)

met = D.metiers(url, version)
met = met[met["source"] != "rome"]
agents = D.snapshot(url, version, int(ext["id"]))
yearly = D.yearly_counts(url, version, "metier_code")

# ---------------------------------------------------------------------------------------------- overview
now = agents.assign(senior=agents["age"] >= 55).groupby("metier_code").agg(
    effectif=("agent_id", "size"), etp=("quotite", "sum"), age=("age", "mean"), senior=("senior", "mean"))
years = sorted(yearly["year"].unique())
span = 0
trend = pd.Series(dtype=float)
if len(years) >= 2:
    first_year = years[max(0, len(years) - 6)]
    span = int(years[-1] - first_year)
    then = yearly[yearly["year"] == first_year].set_index("metier_code")["effectif"]
    last = yearly[yearly["year"] == years[-1]].set_index("metier_code")["effectif"]
    trend = (last.reindex(now.index).astype(float) / then.reindex(now.index).astype(float) - 1.0)
table = met.set_index("code").join(now, how="left")
table["effectif"] = table["effectif"].fillna(0)
table["tendance"] = trend.reindex(table.index)

profile = PJ.transformation_profile(url, version)
if profile is not None:
    table = table.join(profile.set_index("metier_code"), how="left")

table = table.reset_index().rename(columns={"index": "code"})
pub = C.publish(table, "effectif", ["etp"], derived_cols=["age", "senior", "tendance"])
for col, flag in (("exposure_eco", "transition_eco"), ("exposure_num", "transition_num"),
                  ("exposure_demo", "transition_demo")):
    if col in pub.columns:  # the skills module's exposure (ROME flags and skills) beats the bare fiche flag
        pub[flag] = pub[col].fillna(0) >= 0.25
pub = pub[pub["effectif"].fillna(1) > 0]

flags = {"transition_eco": "Écologique", "transition_num": "Numérique", "transition_demo": "Démographique"}

def _exposure(row) -> str:
    marks = [lab for col, lab in flags.items() if col in row and bool(row[col]) and not pd.isna(row[col])]
    return ", ".join(marks)

pub["exposition"] = pub.apply(_exposure, axis=1)
pub["etp"] = pub["etp"].round(1)
pub["age"] = pub["age"].round(1)
pub["senior"] = (100 * pub["senior"]).round(1)
pub["tendance"] = (100 * pub["tendance"]).round(1)

c = st.columns(3)
famille = c[0].multiselect("Famille", sorted(pub["famille"].dropna().unique()), key="met_famille",
                           placeholder="Toutes")
if "classe_fr" in pub.columns:
    classes = c[1].multiselect("Évolution projetée", sorted(pub["classe_fr"].dropna().unique()), key="met_class",
                               placeholder="Toutes")
else:
    classes = []
sorts = {"tendance": f"Évolution observée ({span} ans)", "senior": "Part des 55 ans et plus", "effectif": "Effectif"}
if "demand_rate_pct" in pub.columns:
    sorts = {"demand_rate_pct": "Évolution projetée de la demande", **sorts}
sort = c[2].selectbox("Trier par", list(sorts), key="met_sort", format_func=sorts.get)
shown = C.apply_filters(pub, {"famille": famille, "classe_fr": classes}).sort_values(sort, ascending=False)

st.subheader("Métiers : évolution observée et exposition aux transitions")
cols = {"code": "Code", "label": "Métier", "famille": "Famille", "effectif": "Effectif", "etp": "ETP",
        "tendance": f"Évolution sur {span} ans (%)", "senior": "55 ans et plus (%)", "age": "Âge moyen",
        "exposition": "Transitions (ROME)"}
if profile is not None:
    cols |= {c: lab for c, lab in PJ.PROFILE_COLUMNS.items() if c in shown.columns}
C.show_table(shown, cols, key="met_table", height=420)
if profile is None:
    C.unavailable("le profil de transformation des métiers (croissance, déclin, transformation et leurs raisons)",
                  "Il s'affichera ici dès que le module compétences (workforce.skills) sera livré ; en attendant, "
                  "le tableau montre l'évolution observée des effectifs et la pyramide des âges de chaque métier.")
if not pub["exposition"].astype(bool).any():
    st.caption("Exposition aux transitions : importez un référentiel ROME 4.0 (`workforce referential import-rome "
               "DOSSIER`) pour obtenir les indicateurs de transition écologique, numérique et démographique.")

def _reason(text: str) -> str:
    """The demand module's choice of model, in French."""
    import re

    names = {"prophet": "Prophet", "naive": "la prévision naïve", "snaive": "la prévision naïve saisonnière"}
    text = str(text)
    if text.startswith("prophet wins"):
        return "Prophet l'emporte sur les prévisions naïves au backtest"
    m = re.match(r"prophet loses to (\w+) \(MASE ([\d.]+) vs ([\d.]+)\)", text)
    if m:
        return (f"Prophet perd face à {names.get(m.group(1), m.group(1))} au backtest (MASE "
                f"{m.group(2).replace('.', ',')} contre {m.group(3).replace('.', ',')})")
    if text.startswith("too short"):
        return "série trop courte pour un backtest : prévision naïve"
    return text

# ---------------------------------------------------------------------------------------------- one métier
st.subheader("Un métier en détail")
codes = shown["code"].tolist() or pub["code"].tolist()
labels = dict(zip(pub["code"], pub["label"]))
code = st.selectbox("Métier", codes, format_func=lambda v: f"{labels.get(v, v)} ({v})", key="met_metier")
hist = yearly[yearly["metier_code"] == code][["year", "effectif", "etp"]]
hist = C.publish(hist, "effectif", ["etp"], margins=[])  # one métier's yearly totals: no margin between years
if len(hist) and bool(pub.loc[pub["code"] == code, "suppressed"].any()):  # hidden in the table above: hidden here
    now_rows = (hist["year"] == hist["year"].max()).to_numpy()
    for col in ("effectif", "etp"):
        hist[col] = hist[col].astype("Float64").mask(now_rows)
    hist["suppressed"] = hist["suppressed"].to_numpy() | now_rows
left, right = st.columns(2)
with left:
    if hist["effectif"].isna().all():
        st.info(f"Moins de {C.MIN_CELL} agents chaque année : l'historique de ce métier n'est pas publié "
                "(secret statistique).")
    C.show_chart(
        alt.Chart(hist, title="Effectif observé (fin d'année)").mark_line(point=True).encode(
            x=alt.X("year:O", title="Année"), y=alt.Y("effectif:Q", title="Agents", scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("year:O", title="Année"), alt.Tooltip("effectif:Q", title="Agents"),
                     alt.Tooltip("etp:Q", title="ETP", format=",.1f")]).properties(height=260),
        key="met_history_chart")
    C.suppressed_note(hist)
with right:
    baseline = PJ.demand_baseline(url, version, code)
    if baseline is None:
        C.no_model("Référence de la demande (besoins) par métier")
    else:
        band = baseline.assign(annee=baseline["year"].astype(str))
        C.show_chart(C.band_chart(band, x="annee", low="p10", mid="p50", high="p90",
                                     title="Besoin projeté (ETP) et bande P10–P90", x_title="Année",
                                     y_title="ETP"), key="met_demand_chart")
        model_names = {"prophet": "Prophet", "naive": "prévision naïve (dernière valeur)",
                       "snaive": "prévision naïve saisonnière"}
        used = ", ".join(model_names.get(m, m) for m in sorted(baseline["model"].dropna().astype(str).unique()))
        where = ("série de la famille, au prorata du métier" if (baseline["level"] == "famille").any()
                 else "série propre au métier")
        st.caption(f"Modèle retenu : {used} ({where}). Bande recalibrée sur le backtest du modèle (80 %)."
                   + (f" Choix : {_reason(baseline['reason'].iloc[0])}." if "reason" in baseline.columns else ""))
