"""Journal d'audit: who imported, replaced, deleted, exported, saved, trained, viewed nominative data (administrators
only; the library records every write under the logged-in user or the command line's actor)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

st.title("Journal d'audit")  # painted first: a fresh server then imports the library (seconds)

from workforce import access as A
from workforce import db
from workforce.export import csv_bytes
from workforce.ui import auth
from workforce.ui import common as C
from workforce.ui import data as D

auth.require(A.VIEW_AUDIT)

ACTIONS = {
    "": "Toutes", "import": "Imports", "extract": "Extractions remplacées ou supprimées", "scenario": "Scénarios",
    "export": "Exports", "model": "Modèles (entraînement, promotion, retour arrière)", "projection": "Projections",
    "ui.nominative": "Listes nominatives",
}
today = dt.date.today()
c = st.columns(4)
since = c[0].date_input("Du", today - dt.timedelta(days=90), format="DD/MM/YYYY", key="audit_since")
until = c[1].date_input("Au", today, format="DD/MM/YYYY", key="audit_until")
actor = c[2].text_input("Utilisateur (tout ou partie)", key="audit_actor")
action = c[3].selectbox("Action", list(ACTIONS), format_func=ACTIONS.get, key="audit_action")

log = db.read_audit(D.engine(D.db_url()), since=since, until=until, actor=actor.strip() or None,
                    action=action or None)
st.caption(f"{C.fmt_int(len(log))} action(s) enregistrée(s) ; les plus récentes d'abord (heures en UTC).")
shown = log.assign(at=log["at"].dt.strftime("%d/%m/%Y %H:%M:%S")).rename(
    columns={"at": "Date", "actor": "Utilisateur", "action": "Action", "detail": "Détail"})
st.dataframe(shown, hide_index=True, key="audit_table")
st.download_button("Télécharger (CSV)", csv_bytes(shown),
                   file_name=f"journal_audit_{today:%Y%m%d}.csv", mime="text/csv", key="audit_download")
