"""Who sees what, in AppTest: the login page, each role's menu, a page opened without the role, the audit page.
The browser test of the real login flow is tests/ui/test_login.py."""

from __future__ import annotations

import pytest

from tests.ui.helpers import APP, page_path, table_with, texts

ROLES = """
group_claim: roles
rules:
  - email: admin@cd.example
    role: administrateur_rh
  - group: formation
    role: responsable_formation
  - group: planif
    role: planificateur
    directions: [DEF]
  - group: agents
    role: lecteur
"""
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "workforce",
        "client_secret": "s", "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}
GUIDE = "Comment lire ces prévisions"
MENU = {"Tableau de bord", "Départs à la retraite", "Scénarios", "Compétences", "Métiers et transformations",
        "Données et modèles", "Journal d'audit", GUIDE}


@pytest.fixture
def roles_file(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "roles.yaml"
    path.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("WORKFORCE_ROLES_FILE", str(path))
    return path


def as_user(claims: dict | None, page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False} if claims is None else {"is_logged_in": True, **claims}
    at.run()
    if page:
        at.switch_page(page_path(page)).run()
    return at


def menu(at) -> set[str]:
    return {link.label for link in at.get("page_link")}


def test_logged_out_sees_only_the_login(roles_file):
    at = as_user(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Se connecter"]
    assert not menu(at) and not at.metric


def test_a_stranger_of_the_identity_provider_is_refused(roles_file):
    at = as_user({"email": "someone@elsewhere.example", "roles": ["other"]})
    assert "Accès refusé : le compte « someone@elsewhere.example »" in texts(at)
    assert not menu(at)


@pytest.mark.parametrize("claims, allowed", [
    ({"email": "l@cd.example", "roles": ["agents"]},
     {"Tableau de bord", "Départs à la retraite", "Scénarios", "Métiers et transformations", GUIDE}),
    ({"email": "f@cd.example", "roles": ["formation"]},
     {"Tableau de bord", "Départs à la retraite", "Scénarios", "Métiers et transformations", "Compétences", GUIDE}),
    ({"email": "admin@cd.example"}, MENU),
])
def test_each_role_sees_its_menu(roles_file, claims, allowed):
    at = as_user(claims)
    assert not at.exception
    assert menu(at) == allowed
    assert claims["email"] in texts(at)  # who is logged in, in the sidebar


@pytest.mark.parametrize("page", ["data", "audit", "skills"])
def test_a_page_opened_without_the_role_is_refused(roles_file, page):
    at = as_user({"email": "l@cd.example", "roles": ["agents"]}, page)
    assert not at.exception
    shown = texts(at)
    assert "Accès refusé" in shown and "Lecteur" in shown, shown
    assert not at.dataframe and not at.file_uploader


def test_the_audit_page_lists_the_writes_with_their_user(roles_file):
    from workforce import access as A
    from workforce import db
    from workforce.ui import data as D

    with A.acting_as("marie@cd.example"), db.session_scope(D.engine(D.db_url())) as session:
        db.audit(session, "scenario.save", {"name": "essai"})
    at = as_user({"email": "admin@cd.example"}, "audit")
    assert not at.exception
    table = table_with(at, "Utilisateur")
    row = table[table["Action"] == "scenario.save"].iloc[0]
    assert row["Utilisateur"] == "marie@cd.example" and "essai" in row["Détail"]
    at.text_input(key="audit_actor").set_value("nobody-like-this").run()
    assert table_with(at, "Utilisateur").empty


def test_a_direction_scope_restricts_every_figure(demo_db, tmp_path, monkeypatch):
    """A planner restricted to one direction sees its agents only: the dashboard's headcount, the projection's
    headcount, and no band computed for the whole employer."""
    import pandas as pd
    from sqlalchemy import func, select

    from tests.ui.helpers import as_number, metric
    from workforce import db

    eng = db.make_engine(demo_db["url"])
    S = db.AgentSnapshot
    with eng.connect() as conn:
        last = conn.execute(select(func.max(S.extract_date))).scalar()
        counts = pd.DataFrame(conn.execute(select(S.direction, func.count()).where(S.extract_date == last)
                                           .group_by(S.direction)).all(), columns=["direction", "n"])
    eng.dispose()
    direction, n = counts.sort_values("n").iloc[-2][["direction", "n"]]  # a large direction, not the largest
    path = tmp_path / "roles.yaml"
    path.write_text(f"rules:\n  - email: p@cd.example\n    role: planificateur\n    directions: [{direction}]\n"
                    "  - email: admin@cd.example\n    role: administrateur_rh\n", encoding="utf-8")
    monkeypatch.setenv("WORKFORCE_ROLES_FILE", str(path))
    at = as_user({"email": "p@cd.example"})
    assert not at.exception
    assert as_number(metric(at, "Effectif")) == n
    assert direction in texts(at)  # the scope, said in the sidebar
    scoped = as_user({"email": "p@cd.example"}, "scenarios")
    whole = as_user({"email": "admin@cd.example"}, "scenarios")
    assert not scoped.exception and not whole.exception
    h_scoped, h_whole = as_number(metric(scoped, "Effectif fin")), as_number(metric(whole, "Effectif fin"))
    assert 0 < h_scoped < h_whole / 2
    assert not [b for b in scoped.button if b.key == "sc_run_mc"]  # bands are employer-wide: not offered
    assert "périmètre restreint" in texts(scoped)
