"""Who is using the app: login through the identity provider (Streamlit's OpenID Connect), or the local demo.

With an ``[auth]`` section in the secrets file, every visitor logs in with the département's identity provider
(Entra ID, Keycloak, ProConnect); ``roles.yaml`` (:mod:`workforce.access`) gives their role and directions, and a
logged-in stranger matching no rule sees a refusal. Without ``[auth]``, the app serves only on the loopback
address, as a clearly labelled local demonstration with the administrator's rights (``make demo``); on any other
address it refuses to serve a single page.

:func:`user` is the one function the pages and the data layer ask (AppTest sets ``at.user`` and ``at.secrets``);
each run records its writes under the logged-in user (:func:`workforce.access.set_actor`).
"""

from __future__ import annotations

import streamlit as st

from workforce import access as A

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEMO_NAME = "démonstration locale"


def auth_configured() -> bool:
    """True when the secrets file has an ``[auth]`` section (a missing secrets file counts as none)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all: no login configured
        return False


def server_address() -> str:
    return str(st.get_option("server.address") or "")


def is_loopback(address: str) -> bool:
    """An address only this machine reaches (an unset address means every interface: not loopback)."""
    return address in LOOPBACK


@st.cache_resource(show_spinner=False, ttl=60)
def _roles(path_key: str) -> A.Roles:
    return A.load_roles()


def user() -> A.User | None:
    """The current user, or None (not logged in, or logged in but no rule of ``roles.yaml`` matches)."""
    if not auth_configured():
        return A.User(DEMO_NAME, A.ADMIN, demo=True) if is_loopback(server_address()) else None
    if not st.user.get("is_logged_in"):
        return None
    path = A.roles_file()
    return _roles(str(path)).user(st.user.to_dict())


def gate() -> A.User:
    """The logged-in user of this run, or a page that says why there is none, then stop."""
    if not auth_configured() and not is_loopback(server_address()):
        st.error(f"Application non démarrée : aucune authentification n'est configurée (section [auth] du fichier "
                 f"de secrets) et le serveur écoute sur « {server_address() or 'toutes les interfaces'} ». Sans "
                 f"authentification, l'application ne sert que sur 127.0.0.1 (démonstration locale).")
        st.stop()
    if auth_configured() and not st.user.get("is_logged_in"):
        st.title("workforce — GPEEC")
        st.write("Connectez-vous avec le compte de votre collectivité pour accéder à l'application.")
        if st.button("Se connecter", type="primary", key="auth_login"):
            st.login()
        st.stop()
    try:
        current = user()
    except A.RolesFileError as err:
        st.error(f"Fichier des rôles invalide : {err}")
        st.stop()
    if current is None:
        st.error(f"Accès refusé : le compte « {st.user.get('email') or st.user.get('sub') or '?'} » n'a aucun rôle "
                 "dans cette application. Demandez à l'administrateur RH de l'ajouter au fichier des rôles.")
        if st.button("Se déconnecter", key="auth_logout_refused"):
            st.logout()
        st.stop()
    A.set_actor(current.name)
    return current


def sidebar(current: A.User) -> None:
    """Who is logged in, with which role and directions; the logout button or the demo label."""
    with st.sidebar:
        if current.demo:
            st.warning("Mode démonstration locale : pas d'authentification, droits d'administrateur, accessible "
                       "depuis cette machine seulement.")
            return
        scope = "toutes les directions" if current.scope is None else ", ".join(current.scope)
        st.caption(f"{current.name} — {A.ROLE_LABELS.get(current.role, current.role)} ({scope})")
        if st.button("Se déconnecter", key="auth_logout"):
            st.logout()


def require(action: str) -> A.User:
    """The current user if their role allows ``action``; otherwise a refusal and the page stops."""
    current = user()
    try:
        if current is None:
            raise A.AccessDenied("accès refusé : connectez-vous d'abord")
        current.require(action)
    except A.AccessDenied as err:
        st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
        st.stop()
    return current
