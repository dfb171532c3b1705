"""Runtime configuration, read from the environment so cron, the app and the tests agree.

WORKFORCE_HOME        data folder: SQLite file, models, logs, lock (default ``$XDG_DATA_HOME/workforce``, i.e.
                      ``~/.local/share/workforce``): absolute and per user, so a command run from another folder
                      (cron) finds the same database instead of silently creating an empty one
WORKFORCE_DB_URL      SQLAlchemy URL (default ``sqlite:///$WORKFORCE_HOME/workforce.db``)
WORKFORCE_MODELS_DIR  trained artifacts (default ``$WORKFORCE_HOME/models``)
WORKFORCE_KEY_FILE    pseudonymisation key file (default ``$XDG_CONFIG_HOME/workforce/secret.key``, i.e.
                      ``~/.config/workforce/secret.key``), created on first use with mode 0600
WORKFORCE_SECRET_KEY  the key itself, instead of the file
WORKFORCE_DATA_DIR    folder holding the built-in ``referential/`` (default: the repository's ``data/``)
WORKFORCE_ROME_DIR    an unpacked ROME 4.0 release (default ``../shared/data/rome`` when present)
WORKFORCE_PROMOTION_TOLERANCE  how much worse a new model version may be and still be promoted (0.05)
WORKFORCE_UI_WARMUP   ``0`` turns off the app's background cache warm-up (default on)
WORKFORCE_NOMINATIVE  ``1`` lets the app show the nominative list of agents reaching their legal age
WORKFORCE_CHROMIUM    the Chromium of the browser test and benchmark
WORKFORCE_ROLES_FILE  who may see and do what in the app (default ``$WORKFORCE_HOME/roles.yaml``; see
                      :mod:`workforce.access`)
WORKFORCE_ACTOR       the person behind a command run from a shared account, recorded in the audit log beside
                      the OS user

Every variable is read here and nowhere else; yes/no values go through :func:`env_flag`.

The key lives outside the data folder on purpose: with 6-digit matricules, whoever holds both the database and
the key reverses every pseudonym by enumeration in seconds. For the same reason a key must be at least
:data:`MIN_KEY_BYTES` bytes and its file readable by its owner only; anything else raises
:class:`SecretKeyError`, never a silent fallback that would change every pseudonym. Files and folders the tool
creates are private to the user (:data:`PRIVATE_UMASK`).
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parents[1]

MIN_KEY_BYTES = 32
"""Shortest accepted pseudonymisation key (after stripping whitespace): 256 bits, as HMAC-SHA256's output."""

PRIVATE_UMASK = 0o077
"""Umask of every command: what the tool creates (database, models, logs, key) is readable by its user only."""

KEY_ENV = "WORKFORCE_SECRET_KEY"
KEY_FILE_ENV = "WORKFORCE_KEY_FILE"


TRUE_WORDS = frozenset(("1", "true", "yes", "on", "oui", "vrai"))
FALSE_WORDS = frozenset(("0", "false", "no", "off", "non", "faux"))


class ConfigError(ValueError):
    """A variable holds a value the tool cannot use; the message names it and gives an example."""


def env_flag(name: str, default: bool) -> bool:
    """A yes/no variable (1/0, true/false, oui/non...): unset or empty gives `default`, anything else is an
    error rather than a guess."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} : valeur oui/non attendue (1 ou 0, true ou false, oui ou non).")


def env_text(name: str) -> str | None:
    """A free variable (a path, a number to parse): None when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None


class SecretKeyError(ValueError):
    """The pseudonymisation key is missing, too short or readable by others; the message says how to fix it."""


def _xdg_dir(variable: str, fallback: str) -> Path:
    """An XDG base folder: the variable when it holds an absolute path (the spec ignores relative ones)."""
    value = os.environ.get(variable, "")
    if value and Path(value).expanduser().is_absolute():
        return Path(value).expanduser()
    return Path.home() / fallback


def default_home() -> Path:
    """The per-user data folder, whatever the current folder: ``$XDG_DATA_HOME/workforce``."""
    return _xdg_dir("XDG_DATA_HOME", ".local/share") / "workforce"


def default_key_file() -> Path:
    """The key file: ``WORKFORCE_KEY_FILE``, else ``$XDG_CONFIG_HOME/workforce/secret.key`` (not the data folder)."""
    explicit = os.environ.get(KEY_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser().resolve()
    return (_xdg_dir("XDG_CONFIG_HOME", ".config") / "workforce" / "secret.key").resolve()


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    models_dir: Path
    key_file: Path = field(default_factory=default_key_file)


def get_settings() -> Settings:
    home_env = os.environ.get("WORKFORCE_HOME")
    home = (Path(home_env).expanduser() if home_env else default_home()).resolve()
    db_url = os.environ.get("WORKFORCE_DB_URL") or f"sqlite:///{home / 'workforce.db'}"
    models_dir = Path(os.environ.get("WORKFORCE_MODELS_DIR", home / "models")).expanduser().resolve()
    return Settings(home=home, db_url=db_url, models_dir=models_dir, key_file=default_key_file())


@contextmanager
def private_umask() -> Iterator[None]:
    """Run the block under :data:`PRIVATE_UMASK`, then restore the caller's umask (the tests share one process)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def make_private_dir(path: Path) -> None:
    """Create `path` and its missing parents with mode 0700 (existing folders are left as they are)."""
    missing = [p for p in [path, *path.parents] if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another process
            pass


def _checked(key: bytes, origin: str) -> bytes:
    if not key.strip():
        raise SecretKeyError(f"la clé de pseudonymisation ({origin}) est vide ; il faut au moins {MIN_KEY_BYTES} "
                             f"octets aléatoires, par exemple `openssl rand -hex 32`.")
    if len(key.strip()) < MIN_KEY_BYTES:
        raise SecretKeyError(f"la clé de pseudonymisation ({origin}) est trop courte : {len(key.strip())} octets, "
                             f"il en faut au moins {MIN_KEY_BYTES} (par exemple `openssl rand -hex 32`).")
    return key


def _create_key_file(path: Path) -> None:
    """Write a fresh random key with mode 0600, atomically: a concurrent reader sees the whole key or no file."""
    make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.link(tmp, path)  # fails if another process created the key first: theirs is kept
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _read_key_file(path: Path) -> bytes:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise SecretKeyError(f"la clé de pseudonymisation {path} n'est pas un fichier ; "
                                 f"corrigez {KEY_FILE_ENV}.")
        if st.st_mode & 0o077:
            raise SecretKeyError(f"la clé de pseudonymisation {path} est accessible à d'autres utilisateurs "
                                 f"(mode {stat.S_IMODE(st.st_mode):04o}) ; exécutez `chmod 600 {path}`.")
        content = path.read_bytes()
    except OSError as err:
        raise SecretKeyError(f"la clé de pseudonymisation {path} est illisible ({err.strerror}).") from None
    return _checked(content, str(path)).strip()


def secret_key(settings: Settings | None = None) -> bytes:
    """The HMAC key for pseudonyms: ``WORKFORCE_SECRET_KEY`` if set, else the key file, created on first use
    (random, 0600, never printed). Raises :class:`SecretKeyError` for a key that would let pseudonyms be
    reversed: shorter than :data:`MIN_KEY_BYTES`, empty, or in a file others can read."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        return _checked(env.encode(), f"variable {KEY_ENV}")
    path = (settings or get_settings()).key_file
    if not path.exists():
        try:
            _create_key_file(path)
        except OSError as err:
            raise SecretKeyError(f"impossible de créer la clé de pseudonymisation {path} ({err.strerror}) ; "
                                 f"choisissez un autre emplacement avec {KEY_FILE_ENV}.") from None
    return _read_key_file(path)
