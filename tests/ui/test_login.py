"""The real login flow in a headless Chromium against a local OpenID Connect provider (oidc-provider-mock, test
extras): each role logs in, sees its menu, is refused a page it may not open, and logs out. The set-up follows
DESIGN's "Testing login offline" (localhost everywhere, the provider's stylesheet blocked)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.ui.helpers import REPO
from workforce.ui import e2e

pytest.importorskip("playwright", reason="the PyPI package playwright is missing: pip install -e '.[test]'")
pytest.importorskip("oidc_provider_mock", reason="oidc-provider-mock is missing: pip install -e '.[test]'")
if e2e.find_chromium() is None:
    pytest.skip("chromium not found (/usr/bin/chromium)", allow_module_level=True)

ARTIFACTS = REPO / "tests" / "artifacts"
USERS = {
    "admin": {"email": "admin@cd.example", "roles": ["rh"]},
    "lecteur": {"email": "lecteur@cd.example", "roles": ["agents"]},
}
ROLES = """
group_claim: roles
rules:
  - email: admin@cd.example
    role: administrateur_rh
  - group: agents
    role: lecteur
"""


@pytest.fixture(scope="module")
def provider():
    port = e2e.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://localhost:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        for sub, claims in USERS.items():
            req = urllib.request.Request(f"{base}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=5).read()
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(demo_db, provider, tmp_path_factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path_factory.mktemp("login")
    port = e2e.free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{"c" * 32}"\n'
        'client_id = "workforce"\nclient_secret = "secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    roles = folder / "roles.yaml"
    roles.write_text(ROLES, encoding="utf-8")
    env = {"WORKFORCE_HOME": str(demo_db["home"]), "WORKFORCE_DB_URL": demo_db["url"],
           "WORKFORCE_SECRET_KEY": "test-key-not-secret-but-32-bytes-long", "WORKFORCE_ROLES_FILE": str(roles)}
    with e2e.serve(env, port=port, log_path=ARTIFACTS / "streamlit_login.log", secrets=secrets,
                   host="localhost") as base:
        yield base


def login(page, base: str, sub: str) -> None:
    page.goto(base)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_role("heading", name="Tableau de bord", exact=True).first.wait_for(timeout=120_000)
    e2e.wait_idle(page)


def menu(page) -> set[str]:
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    links.first.wait_for(timeout=60_000)  # the menu may be drawn after the page's heading (seen empty in CI)
    e2e.wait_idle(page)
    return {links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())}  # after the icon


def test_roles_through_the_real_login(server):
    with e2e.browser() as page:
        page.context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
        page.goto(server)
        page.get_by_role("button", name="Se connecter").wait_for(timeout=60_000)
        assert page.get_by_role("heading", name="Tableau de bord").count() == 0  # nothing before the login

        login(page, server, "lecteur")
        assert "lecteur@cd.example" in page.locator('[data-testid="stSidebar"]').inner_text()
        shown = menu(page)
        assert "Tableau de bord" in shown and "Journal d'audit" not in shown and "Données et modèles" not in shown
        page.goto(f"{server}/audit")  # a page opened by its URL without the role
        page.get_by_text("Accès refusé").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "login_refused.png"), full_page=True)
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_timeout(1000)
        if page.get_by_role("button", name="End session").count():  # the provider's logout page
            page.get_by_role("button", name="End session").click()
        page.goto(server)
        page.get_by_role("button", name="Se connecter").wait_for(timeout=60_000)

        login(page, server, "admin")
        assert "Journal d'audit" in menu(page)
        page.goto(f"{server}/audit")
        page.get_by_role("heading", name="Journal d'audit", exact=True).first.wait_for(timeout=60_000)
        e2e.wait_idle(page)
        assert page.get_by_text("Accès refusé").count() == 0
