"""Compétences: the skill-gap table with filters (year, direction, famille de métiers, urgency), the 15 largest
gaps as a chart, the passerelles of a chosen métier, and the training managers' downloads (CSV and XLSX, the
same files as `workforce export gaps|passerelles`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from workforce import db
from workforce import export as X
from workforce import scenario as S
from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F
from workforce.ui import projections as PJ
from workforce.ui import warmup as W

st.title("Compétences")
USER = auth.require(A.VIEW_SKILLS)  # the role is checked here too, not only in the menu

url, version = W.open_page()
D.latest_extract_or_stop(url, version)

dir_labels = D.direction_labels()
REFERENCE = "Scénario de référence (hypothèses par défaut)"
saved = S.list_saved(D.engine(url))["name"].tolist()
choice = st.selectbox("Scénario", [REFERENCE, *saved], key="sk_scenario",
                      help="Les besoins et l'offre de compétences suivent la projection de ce scénario.")
scenario = None if choice == REFERENCE else S.load(D.engine(url), choice).scenario
analysis = PJ.skill_analysis(url, version, None if scenario is None else scenario.to_json())
F.show_errors(url, version)
if analysis is None:
    st.warning("L'analyse des compétences n'a pas pu être calculée sur ces données.")
    st.stop()

years = [int(y) for y in analysis.years]
st.caption(f"Offre et besoin de compétences en ETP, par compétence, direction et année ({years[0]}–{years[-1]}), "
           f"d'après le moteur de projection. Écart = offre − besoin : négatif = manque. Chiffres reposant sur moins de "
           f"{C.MIN_CELL} agents masqués.")

# ---------------------------------------------------------------------------------------------- filters
c = st.columns(4)
year = c[0].selectbox("Année", years, index=min(4, len(years) - 1), key="sk_year")
directions = sorted(analysis.gaps["direction"].dropna().unique().tolist())
chosen_dirs = c[1].multiselect("Direction", directions, key="sk_direction", placeholder="Toutes",
                               format_func=lambda v: dir_labels.get(v, v))
familles = sorted(analysis.profile["famille"].dropna().unique().tolist())
chosen_fam = c[2].multiselect("Famille de métiers", familles, key="sk_famille", placeholder="Toutes",
                              help="Compétences requises par au moins un métier de ces familles.")
URGENCY = {"all": "Toutes les compétences", "shortage": "Avec un manque sur la période",
           "now": f"Manque dès {years[0]}", "3": f"Manque d'ici {years[min(2, len(years) - 1)]}",
           "none": "Sans manque"}
urgency = c[3].selectbox("Urgence", list(URGENCY), format_func=URGENCY.get, key="sk_urgency")

EXACT = USER.can(A.EXACT_SKILLS)  # training managers are entitled to agents' skills data
if EXACT:
    st.caption("Offre de compétences exacte : votre rôle est habilité aux données de compétences des agents (les "
               "petits effectifs ne sont pas masqués) ; chaque fichier exporté est tracé dans le journal d'audit.")
table = X.gaps_table(analysis, year=year, exact_skills=EXACT)
mask = np.ones(len(table), dtype=bool)
if chosen_dirs:
    mask &= table["Direction"].isin(chosen_dirs).to_numpy()
if chosen_fam:
    metiers = analysis.profile.loc[analysis.profile["famille"].isin(chosen_fam), "metier_code"]
    wanted = analysis.timeline.loc[analysis.timeline["metier_code"].isin(metiers), "skill_code"].unique()
    mask &= table["Code compétence"].isin(wanted).to_numpy()
first_short = pd.to_numeric(table["Première année de manque"], errors="coerce")
if urgency == "shortage":
    mask &= first_short.notna().to_numpy()
elif urgency == "now":
    mask &= (first_short <= years[0]).fillna(False).to_numpy()
elif urgency == "3":
    mask &= (first_short <= years[min(2, len(years) - 1)]).fillna(False).to_numpy()
elif urgency == "none":  # no shortage beyond the tolerance over the period, and none this year
    manque = pd.to_numeric(table["Manque (ETP)"], errors="coerce").fillna(0.0)
    mask &= (first_short.isna() & (manque <= 0)).to_numpy()
shown = table[mask].copy()
shown["Direction"] = shown["Direction"].map(lambda v: dir_labels.get(v, v))

# ---------------------------------------------------------------------------------------------- chart
st.subheader(f"Les 15 plus grands manques en {year}")
top = (shown.dropna(subset=["Manque (ETP)"])
       .groupby(["Code compétence", "Compétence"], as_index=False)["Manque (ETP)"].sum())
top["Manque (ETP)"] = top["Manque (ETP)"].astype(float)
top = top[top["Manque (ETP)"] > 0].nlargest(15, "Manque (ETP)")
if top.empty:
    st.info("Aucun manque de compétence avec ces filtres.")
else:
    top["libelle"] = top["Compétence"].astype(str).str.slice(0, 60)
    C.show_chart(C.bar_chart(top, "libelle", "Manque (ETP)", title="", category_title="Compétence",
                                value_title="Manque (ETP)", color="#c0392b"), key="sk_top_chart")
    st.caption("Somme des manques publiés des directions retenues (cases masquées exclues).")

st.subheader("Écarts de compétences")
m = st.columns(3)
m[0].metric("Compétences en manque", C.fmt_int(shown.loc[shown["Manque (ETP)"].astype(float) > 0,
                                                        "Code compétence"].nunique()))
m[1].metric("Manque total (ETP)", C.fmt_float(shown["Manque (ETP)"].astype(float).sum(), 1))
m[2].metric("Lignes masquées", C.fmt_int((shown[X.SUPPRESSED] == "oui").sum()),
            help=f"Groupes de moins de {C.MIN_CELL} agents : offre, écart et manque non publiés.")
st.dataframe(C.french_numbers(shown.sort_values(["Manque (ETP)", "Criticité"], ascending=False, na_position="last"),
                              {"Criticité": 2}),
             hide_index=True, key="sk_gaps_table", height=380)


# ---------------------------------------------------------------------------------------------- downloads
def _meta():
    return X.meta_from_db(D.engine(url), scenario="référence" if scenario is None else choice,
                          scenario_params=None if scenario is None else scenario.to_dict())


def _export(kind: str, fmt: str) -> bytes:
    """The file of `workforce export gaps|passerelles` (the main CSV, or the whole XLSX workbook)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"export.{fmt}"
        if kind == "gaps":
            result = X.export_gaps(analysis, target, fmt, year=year, meta=_meta(), exact_skills=EXACT)
        else:
            result = X.export_passerelles(analysis, target, fmt, meta=_meta())
        with db.session_scope(D.engine(url)) as session:  # every export of the skills page is audited
            db.audit(session, f"export.{kind}", {"format": fmt, "year": year, "exact_skills": EXACT})
        return Path(result.paths[0]).read_bytes()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
d = st.columns(4)
d[0].download_button("Écarts (CSV)", data=lambda: _export("gaps", "csv"), file_name=f"ecarts_competences_{year}.csv",
                     mime="text/csv", on_click="ignore", key="sk_download_gaps_csv")
d[1].download_button("Écarts (XLSX)", data=lambda: _export("gaps", "xlsx"),
                     file_name=f"ecarts_competences_{year}.xlsx", mime=XLSX, on_click="ignore",
                     key="sk_download_gaps_xlsx")
d[2].download_button("Passerelles (CSV)", data=lambda: _export("passerelles", "csv"), file_name="passerelles.csv",
                     mime="text/csv", on_click="ignore", key="sk_download_passerelles_csv")
d[3].download_button("Passerelles (XLSX)", data=lambda: _export("passerelles", "xlsx"),
                     file_name="passerelles.xlsx", mime=XLSX, on_click="ignore", key="sk_download_passerelles_xlsx")
st.caption(f"Les mêmes fichiers que `workforce export gaps --year {year}` et `workforce export passerelles` "
           "(feuille « Lisez-moi » : scénario, date d'extraction, versions des modèles). Les listes nominatives "
           "ne sont disponibles qu'en ligne de commande (`--nominative`, tracé au journal d'audit).")

# ---------------------------------------------------------------------------------------------- passerelles
st.subheader("Passerelles entre métiers")
pas = X.passerelles_table(analysis)
sources = pas["Métier d'origine"].drop_duplicates().tolist()
if not sources:
    st.info("Aucun métier en déclin ou en transformation : pas de passerelle à proposer.")
else:
    labels = dict(zip(pas["Métier d'origine"], pas["Libellé d'origine"]))
    src = st.selectbox("Métier d'origine (en déclin ou en transformation)", sources, key="sk_metier",
                       format_func=lambda v: f"{labels.get(v, v)} ({v})")
    one = pas[pas["Métier d'origine"] == src]
    classe = one["Classe d'origine"].iloc[0]
    minimum = f"{analysis.params.passerelle_min_coverage * 100:.0f} %"
    st.caption(f"Classe du métier : {classe}. Une passerelle n'est proposée que si le métier d'origine détient déjà "
               f"au moins {minimum} des compétences exigées par le métier cible ; elles sont classées par "
               "similarité des deux métiers (fiches ROME, compétences et niveaux, mobilité observée).")
    found = one[one["Métier cible"].notna()]  # the other row says « aucune passerelle crédible »
    if not len(found):
        st.info(f"Aucune passerelle crédible : aucun métier en croissance dont ce métier détient au moins {minimum} "
                "des compétences.")
    else:
        st.dataframe(C.french_numbers(found.drop(columns=["Métier d'origine", "Libellé d'origine", "Classe d'origine",
                                                          "Statut"]),
                                      {"Similarité": 3, "Mobilité observée": 2}), hide_index=True,
                     key="sk_passerelles_table")
    cands = X.candidates_table(analysis)
    cands = cands[cands["Métier d'origine"] == src]
    if len(cands):
        st.markdown("**Candidats à la reconversion** (agents du métier dont les compétences couvrent au moins la "
                    "moitié des besoins du métier cible ; effectifs de moins de 5 masqués)")
        st.dataframe(C.french_numbers(cands.assign(Direction=cands["Direction"].map(lambda v: dir_labels.get(v, v)))),
                     hide_index=True, key="sk_candidates_table")
