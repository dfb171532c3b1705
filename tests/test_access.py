"""Roles, direction scopes and the audited actor (workforce.access): the rules of roles.yaml, the rights table,
and who the audit log records."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce import access as A
from workforce import db

ROLES_YAML = """
group_claim: roles
rules:
  - email: Admin@CD.example
    role: administrateur_rh
  - group: gpeec-formation
    role: responsable_formation
  - group: gpeec-planif
    role: planificateur
    directions: [DEF, DAJ]
  - group: agents
    role: lecteur
"""


@pytest.fixture
def roles(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text(ROLES_YAML, encoding="utf-8")
    return A.load_roles(path)


def test_first_matching_rule_gives_role_and_scope(roles):
    admin = roles.user({"email": "admin@cd.example", "roles": ["agents"]})
    assert admin.role == A.ADMIN and admin.scope is None
    planner = roles.user({"email": "p@cd.example", "roles": ["gpeec-planif", "agents"]})
    assert planner.role == A.PLANIFICATEUR and planner.scope == ("DAJ", "DEF")
    assert roles.user({"email": "x@cd.example", "roles": "agents"}).role == A.LECTEUR  # one group as a string
    assert roles.user({"email": "stranger@elsewhere.example", "roles": ["other"]}) is None
    assert A.load_roles(None if A.roles_file() is None else A.roles_file()).rules == ()


@pytest.mark.parametrize("role, allowed, refused", [
    (A.LECTEUR, {A.VIEW_DASHBOARD, A.VIEW_SCENARIOS}, {A.EDIT_SCENARIOS, A.EXPORT, A.VIEW_SKILLS, A.IMPORT,
                                                       A.NOMINATIVE, A.VIEW_AUDIT}),
    (A.PLANIFICATEUR, {A.EDIT_SCENARIOS, A.EXPORT}, {A.VIEW_SKILLS, A.IMPORT, A.NOMINATIVE, A.VIEW_DATA}),
    (A.FORMATION, {A.VIEW_SKILLS, A.EXACT_SKILLS, A.EXPORT}, {A.EDIT_SCENARIOS, A.IMPORT, A.NOMINATIVE}),
    (A.ADMIN, {A.IMPORT, A.DELETE_EXTRACT, A.NOMINATIVE, A.VIEW_AUDIT, A.VIEW_MODELS}, set()),
])
def test_rights_table(role, allowed, refused):
    user = A.User("u@cd.example", role)
    assert all(user.can(a) for a in allowed)
    assert not any(user.can(a) for a in refused)
    for action in refused:
        with pytest.raises(A.AccessDenied, match="accès refusé : le rôle"):
            user.require(action)


def test_scope_restricts_frames():
    frame = pd.DataFrame({"direction": ["DAJ", "DEF", "DRH"], "n": [1, 2, 3]})
    assert A.User("p", A.PLANIFICATEUR, ("DEF", "DAJ")).restrict(frame)["n"].tolist() == [1, 2]
    assert len(A.User("a", A.ADMIN).restrict(frame)) == 3


@pytest.mark.parametrize("text, message", [
    ("rules: [{email: a@b.c, role: chef}]", "rôle 'chef' inconnu"),
    ("rules: [{role: lecteur}]", "soit « email », soit « group »"),
    ("rules: [{email: a@b.c, group: g, role: lecteur}]", "soit « email », soit « group »"),
    ("rules: [{group: g, role: lecteur, directions: DAJ}]", "doit être une liste"),
    ("rules: [{group: g, role: lecteur, scope: [DAJ]}]", "clé(s) inconnue(s) scope"),
    ("users: []", "attendu une clé « rules »"),
    ("rules: [: oops", "YAML invalide"),
])
def test_bad_roles_file_names_the_rule(tmp_path, text, message):
    path = tmp_path / "roles.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(A.RolesFileError) as err:
        A.load_roles(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_audit_records_the_logged_in_user_then_the_cli_actor(engine, monkeypatch):
    db.init_db(engine)
    with A.acting_as("marie@cd.example"):
        with db.session_scope(engine) as session:
            db.audit(session, "test.write")
    monkeypatch.setenv("WORKFORCE_ACTOR", "Jean Martin")
    with db.session_scope(engine) as session:
        db.audit(session, "test.cli")
    with db.session_scope(engine) as session:
        rows = {r.action: r.actor for r in session.query(db.AuditLog)}
    assert rows["test.write"] == "marie@cd.example"
    assert rows["test.cli"].startswith("Jean Martin (") and rows["test.cli"].endswith(")")


def test_cli_scenario_author_is_the_named_actor(engine, monkeypatch, tmp_path):
    from tests.registry.fakes import engine_url
    from workforce.cli import app

    db.init_db(engine)
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    monkeypatch.setenv("WORKFORCE_ACTOR", "Jean Martin")
    res = CliRunner().invoke(app, ["scenario", "create", "essai", "--set", "horizon=12"])
    assert res.exit_code == 0, res.output
    from workforce import scenario as sc

    assert sc.load(engine, "essai").author.startswith("Jean Martin (")


def test_import_checks_the_role_in_the_library(engine):
    """A page is not the only guard: the import itself refuses a role without the right, before reading."""
    from workforce.ingest import import_extract

    with pytest.raises(A.AccessDenied, match="importer une extraction"):
        import_extract(b"matricule;date_naissance\n1;1970-01-01\n", engine=engine, name="x_2025-01-31.csv",
                       user=A.User("p@cd.example", A.PLANIFICATEUR))
    with pytest.raises(A.AccessDenied, match="Lecteur"):
        import_extract(b"matricule;date_naissance\n1;1970-01-01\n", engine=engine, name="x_2025-01-31.csv",
                       replace=True, user=A.User("l@cd.example", A.LECTEUR))
