"""Données et modèles: upload an HR extract (the same import as `workforce import`, with its quarantine report),
the list of imports, the model versions with their backtest metrics, the date of the last retraining."""

from __future__ import annotations

import pandas as pd
import streamlit as st

st.title("Données et modèles")  # painted first: a fresh server then imports the library (seconds)

from sqlalchemy.engine import make_url

from workforce import access as A
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import models as M
from workforce.ui import quality
from workforce.ui import warmup as W

USER = auth.require(A.VIEW_DATA)  # the role is checked here too, not only in the menu

url, version = W.open_page()
dir_labels = D.direction_labels()
st.caption("Base : " + make_url(url).render_as_string(hide_password=True))

# ---------------------------------------------------------------------------------------------- upload
st.subheader("Importer une extraction RH")
st.markdown("Fichier CSV (séparateur ; , tabulation ou |) ou XLSX exporté du SIRH, une ligne par agent. Les "
            "matricules sont pseudonymisés à la lecture ; seules les colonnes reconnues sont enregistrées : les noms, "
            "NIR, adresses, courriels et commentaires ne sont jamais stockés. Les lignes fautives sont mises en quarantaine avec leurs raisons, rien n'est perdu : "
            "lignes lues = enregistrées + en quarantaine.")
with st.form("data_import_form", clear_on_submit=False):
    C.french_uploader(["csv", "txt", "xlsx", "dsn", "zip"])
    upload = st.file_uploader("Extraction", type=["csv", "txt", "xlsx", "dsn", "zip"], key="data_upload",
                              help="Ou DSN mensuelle : un fichier .dsn / .txt, ou un .zip de plusieurs mois ; "
                                   "agents en direction « non affecté » (la DSN ne dit pas la direction).")
    c = st.columns(4)
    date = c[0].text_input("Date de l'extraction (facultatif)", key="data_date", placeholder="AAAA-MM-JJ",
                           help="Sinon : colonne « Date d'extraction », ligne de titre ou nom du fichier.")
    mapping = c[1].selectbox("Correspondance des colonnes", ["auto", "sirh", "canonical"], key="data_mapping",
                             format_func={"auto": "Automatique", "sirh": "SIRH courant",
                                          "canonical": "Colonnes workforce"}.get)
    sheet = c[2].text_input("Feuille (XLSX, facultatif)", key="data_sheet",
                            help="Nom de la feuille à importer quand le classeur en a plusieurs remplies.")
    replace = c[3].checkbox("Remplacer l'extraction de même date", key="data_replace")
    submitted = st.form_submit_button("Importer", type="primary")

if submitted:
    if upload is None:
        st.warning("Choisissez d'abord un fichier.")
    else:
        from workforce.ingest import ExtractRejected, import_extract

        with st.status(f"Import de « {upload.name} »…", expanded=True) as status:
            try:
                result = import_extract(upload.getvalue(), engine=D.engine(url), name=upload.name,
                                        date=date.strip() or None, mapping=mapping, replace=replace,
                                        sheet=sheet.strip() or None, user=USER,
                                        progress=lambda step: status.write(step))
            except ExtractRejected as err:
                status.update(label="Fichier refusé", state="error")
                st.session_state["data_last_import"] = {"error": str(err)}
            except Exception as err:  # noqa: BLE001 - database down: a failure, not the user's file
                status.update(label="Import interrompu", state="error")
                st.session_state["data_last_import"] = {
                    "error": f"Import interrompu, rien n'a été enregistré ({type(err).__name__} : {err})."}
            else:
                status.update(label="Import terminé", state="complete")
                st.session_state["data_last_import"] = {
                    "name": upload.name, "already": result.already_imported, "date": str(result.extract_date),
                    "read": result.rows_read, "stored": result.rows_stored, "quarantined": result.rows_quarantined,
                    "report": result.report,
                    "quarantine": None if result.quarantine is None else result.quarantine.to_dict("records"),
                }
        version = D.data_version(url)

last = st.session_state.get("data_last_import")
if last:
    if "error" in last:
        st.error(last["error"])
    elif last["already"]:
        st.info(f"« {last['name']} » est déjà importé (extraction du {last['date']}, même contenu) : rien à faire.")
    else:
        st.success(f"Extraction du {last['date']} importée : {C.fmt_int(last['read'])} lignes lues, "
                   f"{C.fmt_int(last['stored'])} enregistrées, {C.fmt_int(last['quarantined'])} en quarantaine.")
        if last.get("quarantine"):
            st.markdown("**Lignes en quarantaine** (numéro de ligne du fichier et raisons)")
            q = pd.DataFrame(last["quarantine"]).rename(columns={"line": "Ligne", "reasons": "Raisons"})
            st.dataframe(q, hide_index=True, key="data_quarantine_table")
        with st.expander("Rapport de qualité complet", expanded=not last.get("quarantine")):
            quality.render_report(last["report"], key="data_quality", directions=dir_labels)

# ---------------------------------------------------------------------------------------------- imports
st.subheader("Extractions en base")
ex = D.extracts(url, version)
if ex.empty:
    C.no_data()
else:
    imports = ex[ex["kind"] != "synthetic"]
    synth = ex[ex["kind"] == "synthetic"]
    if len(synth):
        st.caption(f"Département synthétique de démonstration : {len(synth)} extractions mensuelles du "
                   f"{synth['extract_date'].min():%d/%m/%Y} au {synth['extract_date'].max():%d/%m/%Y} "
                   f"({C.fmt_int(synth['rows_stored'].iloc[-1])} agents à la dernière).")
    if imports.empty:
        st.info("Aucune extraction RH importée pour l'instant.")
    else:
        shown = imports.sort_values(["extract_date", "id"], ascending=False).assign(
            extract_date=lambda f: f["extract_date"].dt.strftime("%d/%m/%Y"),
            imported_at=lambda f: pd.to_datetime(f["imported_at"]).dt.strftime("%d/%m/%Y %H:%M"))
        st.dataframe(shown.rename(columns={
            "id": "N°", "extract_date": "Date d'extraction", "source": "Fichier", "imported_at": "Importée le",
            "rows_read": "Lignes lues", "rows_stored": "Enregistrées", "rows_quarantined": "Quarantaine",
            "mapping": "Correspondance"}).drop(columns=["kind"]), hide_index=True, key="data_imports_table")

# ---------------------------------------------------------------------------------------------- models
st.subheader("Modèles")
mv = D.model_versions(url, version)
if mv.empty:
    C.no_model()
else:
    trained = mv["trained_at"].max()
    active = mv[mv["active"]]
    c = st.columns(4)
    c[0].metric("Dernier réentraînement", f"{trained:%d/%m/%Y %H:%M}")
    c[1].metric("Modèles actifs", C.fmt_int(active["name"].nunique()))
    c[2].metric("Versions enregistrées", C.fmt_int(len(mv)))
    st.dataframe(M.versions_table(mv.sort_values(["name", "trained_at"], ascending=[True, False])), hide_index=True,
                 key="data_models_table")
    st.caption("Réentraîner : `workforce train` (planifié par cron après chaque extraction mensuelle) ; revenir à "
               "une version : `workforce models rollback NOM VERSION`.")
    names = active["name"].tolist()
    if names:
        choice = st.selectbox("Détail du modèle actif", names, format_func=lambda n: M.MODEL_LABELS.get(n, n),
                              key="data_model_detail")
        M.render_backtest(active[active["name"] == choice].iloc[-1], key="data_backtest")
        M.render_reliability(active, key="data_reliability")
