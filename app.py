"""Streamlit entry point of workforce: the page registry only (`streamlit run app.py`).

Each page is a script of workforce/ui/pages/ (English file name = url path, French title).
"""

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent / "workforce" / "ui" / "pages"


def page(stem: str, title: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(PAGES_DIR / f"{stem}.py", title=title, icon=icon, url_path=stem, default=default)


st.set_page_config(page_title="workforce — GPEEC", page_icon=":material/groups:", layout="wide")
st.navigation({
    "Pilotage": [
        page("dashboard", "Tableau de bord", ":material/dashboard:", default=True),
        page("retirements", "Départs à la retraite", ":material/elderly:"),
        page("scenarios", "Scénarios", ":material/tune:"),
    ],
    "Compétences et métiers": [
        page("skills", "Compétences", ":material/school:"),
        page("metiers", "Métiers et transformations", ":material/sync_alt:"),
    ],
    "Administration": [
        page("data", "Données et modèles", ":material/database:"),
    ],
}).run()
