"""Streamlit entry point of workforce: who is logged in, then the pages their role opens (`streamlit run app.py`).

Each page is a script of workforce/ui/pages/ (English file name = url path, French title). Every page is
registered, so a page opened by its URL without the role shows its refusal (each page checks the role first,
workforce.access has the rights) instead of another page; the menu lists only the pages the role opens.
"""

from pathlib import Path

import streamlit as st

from workforce.ui import auth

PAGES_DIR = Path(__file__).resolve().parent / "workforce" / "ui" / "pages"
SECTIONS = {
    "Pilotage": [("dashboard", "Tableau de bord", ":material/dashboard:"),
                 ("retirements", "Départs à la retraite", ":material/elderly:"),
                 ("scenarios", "Scénarios", ":material/tune:")],
    "Compétences et métiers": [("skills", "Compétences", ":material/school:"),
                               ("metiers", "Métiers et transformations", ":material/sync_alt:")],
    "Aide": [("guide", "Comment lire ces prévisions", ":material/help:")],
    "Administration": [("data", "Données et modèles", ":material/database:"),
                       ("audit", "Journal d'audit", ":material/policy:")],
}


st.set_page_config(page_title="workforce — GPEEC", page_icon=":material/groups:", layout="wide")
user = auth.gate()
pages = {stem: st.Page(PAGES_DIR / f"{stem}.py", title=title, icon=icon, url_path=stem, default=stem == "dashboard")
         for items in SECTIONS.values() for stem, title, icon in items}
allowed = {stem: page for stem, page in pages.items() if user.can(stem)}
current = st.navigation(list(pages.values()), position="hidden")
with st.sidebar:
    for section, items in SECTIONS.items():
        links = [allowed[stem] for stem, _, _ in items if stem in allowed]
        if links:
            st.caption(section)
            for link in links:
                st.page_link(link)
auth.sidebar(user)
# printing a page gives the page: no sidebar, no toolbar, tables and charts not cut at the screen's width
st.html("""<style>@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebarCollapsedControl"]
  { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"], .block-container
  { margin: 0 !important; padding: 0.5cm !important; max-width: 100% !important; width: 100% !important; }
  [data-testid="stVerticalBlock"] > div { break-inside: avoid; }
}</style>""")
current.run()
