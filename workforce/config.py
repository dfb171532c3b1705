"""Runtime configuration, read from the environment so cron, the app and the tests agree.

WORKFORCE_HOME       folder for the SQLite file, the key file and models (default ./var)
WORKFORCE_DB_URL     SQLAlchemy URL (default sqlite:///$WORKFORCE_HOME/workforce.db)
WORKFORCE_SECRET_KEY pseudonymisation key; else the key file $WORKFORCE_HOME/secret.key, created on first use
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    models_dir: Path

    @property
    def key_file(self) -> Path:
        return self.home / "secret.key"


def get_settings() -> Settings:
    home = Path(os.environ.get("WORKFORCE_HOME", "var")).expanduser().resolve()
    db_url = os.environ.get("WORKFORCE_DB_URL") or f"sqlite:///{home / 'workforce.db'}"
    models_dir = Path(os.environ.get("WORKFORCE_MODELS_DIR", home / "models")).expanduser().resolve()
    return Settings(home=home, db_url=db_url, models_dir=models_dir)


def secret_key(settings: Settings | None = None) -> bytes:
    """The HMAC key for pseudonyms; a local install gets its own random key file, never printed."""
    env = os.environ.get("WORKFORCE_SECRET_KEY")
    if env:
        return env.encode()
    settings = settings or get_settings()
    path = settings.key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
