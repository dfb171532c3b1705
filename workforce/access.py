"""Who may see and do what: roles, direction scopes, and the actor every audited write is recorded under.

Why here and not in the pages: a menu that hides a page protects nothing (a page opens by its URL, a library
function is one import away), so every check is a function of this module that the data layer calls, and the
pages merely ask it first to show a clear refusal. The same checks serve the app (the logged-in user of the
identity provider) and the command line (the OS user, who holds the database and the key anyway).

Roles (``roles.yaml``, see :func:`load_roles`):

``lecteur``                 dashboards, retirements, métiers and saved scenarios; suppressed aggregates only
``planificateur``           + scenarios: create, save, delete their own; projections and exports of aggregates
``responsable_formation``   lecteur + skills, gaps and passerelles, with exact skill supply; exports audited
``administrateur_rh``       everything: imports, extract replacement and deletion, model registry, nominative
                            lists (audited with the real user), audit page

A rule may restrict a user to some directions (``directions: [DAJ, DEF]``); every figure, chart and export is
then computed on those directions only (:meth:`User.scope`), and cache keys include the scope.
"""

from __future__ import annotations

import contextvars
import getpass
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from workforce.config import env_text

LECTEUR, PLANIFICATEUR, FORMATION, ADMIN = "lecteur", "planificateur", "responsable_formation", "administrateur_rh"
ROLES = (LECTEUR, PLANIFICATEUR, FORMATION, ADMIN)
ROLE_LABELS = {LECTEUR: "Lecteur", PLANIFICATEUR: "Planificateur", FORMATION: "Responsable formation",
               ADMIN: "Administrateur RH"}

# what a role may do (the pages' names are their url paths)
VIEW_DASHBOARD, VIEW_RETIREMENTS, VIEW_SCENARIOS, VIEW_METIERS = "dashboard", "retirements", "scenarios", "metiers"
VIEW_SKILLS, VIEW_DATA, VIEW_AUDIT = "skills", "data", "audit"
VIEW_GUIDE = "guide"
EDIT_SCENARIOS = "edit_scenarios"
EXPORT = "export"
EXACT_SKILLS = "exact_skills"
IMPORT = "import"
DELETE_EXTRACT = "delete_extract"
NOMINATIVE = "nominative"
VIEW_MODELS = "view_models"

_READER = frozenset({VIEW_DASHBOARD, VIEW_RETIREMENTS, VIEW_SCENARIOS, VIEW_METIERS, VIEW_GUIDE})
PERMISSIONS: Mapping[str, frozenset[str]] = {
    LECTEUR: _READER,
    PLANIFICATEUR: _READER | {EDIT_SCENARIOS, EXPORT},
    FORMATION: _READER | {VIEW_SKILLS, EXACT_SKILLS, EXPORT},
    ADMIN: _READER | {EDIT_SCENARIOS, EXPORT, VIEW_SKILLS, EXACT_SKILLS, VIEW_DATA, VIEW_AUDIT, IMPORT,
                      DELETE_EXTRACT, NOMINATIVE, VIEW_MODELS},
}
"""The one table of rights. Training managers are entitled to agents' skills data (exact skill supply)."""
ACTION_LABELS = {
    VIEW_DASHBOARD: "le tableau de bord", VIEW_RETIREMENTS: "les départs à la retraite", VIEW_SCENARIOS: "les scénarios",
    VIEW_METIERS: "les métiers", VIEW_SKILLS: "les compétences", VIEW_DATA: "les données et modèles",
    VIEW_AUDIT: "le journal d'audit", VIEW_GUIDE: "le guide de lecture des prévisions", EDIT_SCENARIOS: "enregistrer ou supprimer des scénarios",
    EXPORT: "exporter des fichiers", EXACT_SKILLS: "l'offre exacte de compétences", IMPORT: "importer une extraction",
    DELETE_EXTRACT: "remplacer ou supprimer une extraction", NOMINATIVE: "les listes nominatives",
    VIEW_MODELS: "le registre des modèles",
}

ROLES_FILE_ENV = "WORKFORCE_ROLES_FILE"
ACTOR_ENV = "WORKFORCE_ACTOR"
DEFAULT_GROUP_CLAIM = "groups"


class AccessDenied(PermissionError):
    """The user's role does not allow the action; the message (French) names the action and the role."""


class RolesFileError(ValueError):
    """``roles.yaml`` is malformed; the message names the file and the rule at fault."""


@dataclass(frozen=True)
class User:
    """A user as the tool sees them: who (e-mail or OS user), their role, and their directions (None: all)."""

    name: str
    role: str
    directions: tuple[str, ...] | None = None
    demo: bool = False

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())

    def require(self, action: str) -> None:
        """Raise :class:`AccessDenied` unless the role allows ``action``."""
        if not self.can(action):
            raise AccessDenied(f"accès refusé : le rôle « {ROLE_LABELS.get(self.role, self.role)} » ne donne pas "
                               f"accès à ceci : {ACTION_LABELS.get(action, action)}")

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The directions the user may see (sorted), None for all: part of every cache key."""
        return None if self.directions is None else tuple(sorted(self.directions))

    def restrict(self, frame: pd.DataFrame, column: str = "direction") -> pd.DataFrame:
        """The rows of ``frame`` within the user's directions (all of them without a scope)."""
        return within(frame, self.directions, column)


def within(frame: pd.DataFrame, directions, column: str = "direction") -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` is one of ``directions`` (every row when None or no such column)."""
    if directions is None or column not in frame.columns:
        return frame
    return frame[frame[column].astype(str).isin(list(directions))].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- roles.yaml

@dataclass(frozen=True)
class Rule:
    role: str
    email: str | None = None
    group: str | None = None
    directions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Roles:
    """The rules of ``roles.yaml``, in order: the first rule that matches a user gives their role and scope."""

    rules: tuple[Rule, ...]
    group_claim: str = DEFAULT_GROUP_CLAIM

    def user(self, claims: Mapping) -> User | None:
        """The user of an ID token's ``claims`` (``email`` and the group claim), or None: no rule matches, so no
        access at all (a logged-in stranger of the identity provider sees nothing)."""
        email = str(claims.get("email") or "").strip().lower()
        groups = claims.get(self.group_claim) or []
        groups = {str(g) for g in ([groups] if isinstance(groups, str) else groups)}
        for rule in self.rules:
            if (rule.email and rule.email == email) or (rule.group and rule.group in groups):
                return User(email or str(claims.get("sub") or "?"), rule.role, rule.directions)
        return None


def roles_file() -> Path | None:
    """``WORKFORCE_ROLES_FILE``, else ``roles.yaml`` in the data folder when it exists."""
    from workforce.config import get_settings

    path = env_text(ROLES_FILE_ENV)
    if path:
        return Path(path).expanduser()
    default = get_settings().home / "roles.yaml"
    return default if default.is_file() else None


def _directions(raw, where: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if isinstance(raw, str) or not isinstance(raw, Iterable) or not all(isinstance(d, (str, int)) for d in raw):
        raise RolesFileError(f"{where} : « directions » doit être une liste de codes de direction")
    out = tuple(str(d) for d in raw)
    if not out:
        raise RolesFileError(f"{where} : « directions » vide (retirez la clé pour toutes les directions)")
    return out


def parse_roles(data, source: str = "roles.yaml") -> Roles:
    """Rules from the parsed YAML: ``{group_claim: groups, rules: [{email|group, role, directions?}, ...]}``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise RolesFileError(f"{source} : attendu une clé « rules » contenant une liste de règles")
    unknown = set(data) - {"rules", "group_claim"}
    if unknown:
        raise RolesFileError(f"{source} : clé(s) inconnue(s) {', '.join(sorted(map(str, unknown)))}")
    rules = []
    for i, raw in enumerate(data["rules"], start=1):
        where = f"{source}, règle {i}"
        if not isinstance(raw, Mapping):
            raise RolesFileError(f"{where} : attendu un dictionnaire (email ou group, role, directions)")
        extra = set(raw) - {"email", "group", "role", "directions"}
        if extra:
            raise RolesFileError(f"{where} : clé(s) inconnue(s) {', '.join(sorted(map(str, extra)))}")
        if raw.get("role") not in ROLES:
            raise RolesFileError(f"{where} : rôle {raw.get('role')!r} inconnu ; rôles possibles : {', '.join(ROLES)}")
        email, group = raw.get("email"), raw.get("group")
        if bool(email) == bool(group):
            raise RolesFileError(f"{where} : donnez soit « email », soit « group »")
        rules.append(Rule(raw["role"], str(email).strip().lower() if email else None,
                          str(group) if group else None, _directions(raw.get("directions"), where)))
    return Roles(tuple(rules), str(data.get("group_claim") or DEFAULT_GROUP_CLAIM))


def load_roles(path: Path | None = None) -> Roles:
    """The rules of ``path`` (default :func:`roles_file`); no file gives no rule, hence no access for anyone but
    the local demo."""
    path = path or roles_file()
    if path is None:
        return Roles(())
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RolesFileError(f"{path} : illisible ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise RolesFileError(f"{path} : YAML invalide ({err})") from None
    return parse_roles(data, str(path))


# ---------------------------------------------------------------------------------------------- actor

def os_actor() -> str:
    """The command line's actor: ``WORKFORCE_ACTOR`` (the person, when a shared account runs the command) with
    the OS user in brackets, else the OS user."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container without /etc/passwd entry)
        user = "utilisateur système inconnu"
    named = env_text(ACTOR_ENV)
    return f"{named} ({user})" if named and named != user else user


_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("workforce_actor", default=None)


def current_actor() -> str:
    """Who the audit log records for a write made now: the logged-in user of the app's current run, else the
    command line's actor."""
    return _ACTOR.get() or os_actor()


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Record the writes of the block under ``name`` (the app sets it to the logged-in user for each run)."""
    token = _ACTOR.set(name)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def set_actor(name: str | None) -> None:
    """Set the actor of the current thread's run (a Streamlit script run is one thread): used where a context
    manager cannot wrap the whole run."""
    _ACTOR.set(name)
