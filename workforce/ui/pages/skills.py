"""Compétences: the skill-gap table with filters (year, direction, famille de métiers, urgency, level), the 15
largest gaps as a chart, the training-plan draft, the passerelles of a chosen métier, and the training managers'
downloads (CSV and XLSX: the table on screen with its filters, the same files as `workforce export
gaps|plan-formation|passerelles`, through the same functions of :mod:`workforce.export_skills`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

st.title("Compétences")  # painted first: a fresh server then imports the library (seconds)

from workforce import db
from workforce import export as X
from workforce import export_skills as XS
from workforce import scenario as S
from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F
from workforce.ui import projections as PJ
from workforce.ui import warmup as W

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
directions = sorted(analysis.gaps["direction"].dropna().astype(str).unique().tolist())
chosen_dirs = c[1].multiselect("Direction", directions, key="sk_direction", placeholder="Toutes",
                               format_func=lambda v: dir_labels.get(v, v))
familles = sorted(analysis.profile["famille"].dropna().unique().tolist())
chosen_fam = c[2].multiselect("Famille de métiers", familles, key="sk_famille", placeholder="Toutes",
                              help="Compétences requises par au moins un métier de ces familles.")
URGENCY = XS.urgency_labels(years)
urgency = c[3].selectbox("Urgence", list(URGENCY), format_func=URGENCY.get, key="sk_urgency")
LEVELS = {"direction": "Par direction", "collectivite": "Toute la collectivité"}
level = st.radio("Niveau", list(LEVELS), format_func=LEVELS.get, key="sk_level", horizontal=True,
                 help="Toute la collectivité : les mêmes compétences, directions confondues ; les petits effectifs "
                      "des directions s'y regroupent (le filtre de direction ne s'applique pas).")
FILTERS = XS.GapFilters(year=year, directions=tuple(chosen_dirs), familles=tuple(chosen_fam), urgency=urgency,
                        level=level)

EXACT = USER.can(A.EXACT_SKILLS)  # training managers are entitled to agents' skills data
if EXACT:
    st.caption("Offre de compétences exacte : votre rôle est habilité aux données de compétences des agents (les "
               "petits effectifs ne sont pas masqués) ; chaque fichier exporté est tracé dans le journal d'audit.")
shown = XS.gaps_table(analysis, FILTERS, exact_skills=EXACT)  # the same table as the CSV, the XLSX and the CLI
totals = XS.gap_totals(shown)
if level == "direction" and len(shown) and totals["Lignes masquées"] > len(shown) / 2 and len(analysis.gaps_total):
    st.info("La plupart des lignes de cette sélection sont masquées (moins de 5 agents) : choisissez le niveau "
            "« Toute la collectivité » pour la même liste, directions confondues.")

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
m[0].metric("Compétences en manque", C.fmt_int(totals["Compétences en manque"]))
m[1].metric("Manque total (ETP)", C.fmt_float(totals["Manque total (ETP)"], 1))
m[2].metric("Lignes masquées", C.fmt_int(totals["Lignes masquées"]),
            help=f"Groupes de moins de {C.MIN_CELL} agents : offre, écart et manque non publiés, effectif « < 5 ».")
counts = ["Agents détenteurs", "Candidats internes"]  # whole numbers or « < 5 »: shown as text
st.dataframe(C.french_numbers(shown.sort_values(["Manque (ETP)", "Criticité"], ascending=False, na_position="last")
                              .astype({col: "string" for col in counts}), {"Criticité": 2}),
             hide_index=True, key="sk_gaps_table", height=380)

# ---------------------------------------------------------------------------------------------- downloads
def _meta():
    return X.meta_from_db(D.engine(url), scenario="référence" if scenario is None else choice,
                          scenario_params=None if scenario is None else scenario.to_dict(), actor=USER.name)

def _export(kind: str, fmt: str) -> bytes:
    """The file of `workforce export gaps|plan-formation|passerelles` with the page's filters (the main CSV,
    or the whole XLSX workbook)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"export.{fmt}"
        if kind == "gaps":
            result = XS.export_gaps(analysis, target, fmt, filters=FILTERS, meta=_meta(), exact_skills=EXACT)
        elif kind == "plan_formation":
            result = XS.export_plan(analysis, target, filters=FILTERS, meta=_meta(), exact_skills=EXACT)
        else:
            result = X.export_passerelles(analysis, target, fmt, meta=_meta())
        with db.session_scope(D.engine(url)) as session:  # every export of the skills page is audited
            db.audit(session, f"export.{kind}", {"format": fmt, "year": year, "directions": list(chosen_dirs),
                                                 "familles": list(chosen_fam), "urgency": urgency, "level": level,
                                                 "exact_skills": EXACT})
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
options = "".join(f" --direction {v}" for v in chosen_dirs) + "".join(f' --famille "{v}"' for v in chosen_fam)
st.caption(f"Les écarts téléchargés sont la liste affichée, avec ses filtres : `workforce export gaps --year {year}"
           f"{options} --urgence {urgency} --niveau {level}` (feuille « Lisez-moi » : filtres, totaux, scénario, date "
           "d'extraction, versions des modèles). Les listes nominatives ne sont disponibles qu'en ligne de commande "
           "(`workforce export passerelles --nominative`, tracé au journal d'audit).")

# ---------------------------------------------------------------------------------------------- training plan
st.subheader(f"Projet de plan de formation {year}")
plan = XS.plan_table(analysis, FILTERS, exact_skills=EXACT)
if plan.empty:
    st.info("Aucune compétence en manque cette année avec ces filtres : pas de plan de formation à proposer.")
else:
    p = st.columns(3)
    p[0].metric("Compétences à développer", C.fmt_int(len(plan)))
    p[1].metric("Agents à former", C.fmt_int(plan["Agents à former"].sum()))
    p[2].metric("Agents à recruter", C.fmt_int(plan["Agents à recruter"].sum()))
    st.dataframe(C.french_numbers(plan, {"Urgence (poids)": 2}), hide_index=True, key="sk_plan_table", height=320)
st.download_button("Plan de formation (XLSX)", data=lambda: _export("plan_formation", "xlsx"),
                   file_name=f"plan_formation_{year}.xlsx", mime=XLSX, on_click="ignore",
                   key="sk_download_plan_xlsx", disabled=plan.empty)
st.caption("Compétences classées par manque x urgence ; agents à former : candidats internes qui détiennent déjà "
           "l'essentiel des compétences d'un métier qui l'exige, au plus le manque ; le reste est à recruter. Le "
           f"même fichier que `workforce export plan-formation --year {year}{options}` (feuilles Lisez-moi et "
           "Provenance), à remettre à la délégation du CNFPT.")

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
