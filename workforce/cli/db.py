"""`workforce db init|stats|key`."""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workforce import db
from workforce.cli.common import safe_url
from workforce.config import KEY_ENV, get_settings, secret_key

app = typer.Typer(help="Base de données : création et état.", no_args_is_help=True)
console = Console()


@app.command("init", epilog="Exemple : WORKFORCE_DB_URL=postgresql+psycopg://user@host/base workforce db init")
def init() -> None:
    """Crée les tables (sans effacer les données existantes) et charge le référentiel intégré."""
    from workforce.referential import load_builtin
    from workforce.referential import store_referential

    engine = db.make_engine()
    db.init_db(engine)
    with db.session_scope(engine) as session:
        n = store_referential(session, load_builtin())
    console.print(f"Base prête : {engine.url.render_as_string(hide_password=True)} ({n} métiers du référentiel)")


@app.command("key", epilog="Exemple : workforce db key")
def key() -> None:
    """Crée la clé de pseudonymisation si elle n'existe pas (aléatoire, mode 0600, hors du dossier des données)
    et vérifie qu'elle est utilisable : au moins 32 octets, lisible par son seul propriétaire. La clé n'est
    jamais affichée."""
    settings = get_settings()
    value = secret_key(settings)  # a refused key ends here: one line, exit 2 (see WorkforceGroup)
    where = f"variable {KEY_ENV}" if os.environ.get(KEY_ENV) is not None else str(settings.key_file)
    console.print(f"Clé de pseudonymisation prête : {escape(where)} ({len(value.strip())} octets).", soft_wrap=True)


@app.command("stats", epilog="Exemple : workforce db stats")
def stats() -> None:
    """Affiche où sont les données (dossier, base, clé de pseudonymisation, modèles), le nombre de lignes de
    chaque table et la période couverte par les extractions."""
    from sqlalchemy import func, select

    engine = db.make_engine()
    db.init_db(engine)
    counts = db.table_counts(engine)
    with engine.connect() as conn:
        first, last, n = conn.execute(
            select(func.min(db.Extract.extract_date), func.max(db.Extract.extract_date), func.count())
        ).one()
    for label, value in _locations():
        console.print(f"{label} : {escape(value)}", soft_wrap=True)
    table = Table("Table", "Lignes", title="Lignes par table")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}".replace(",", " "))
    console.print(table)
    if n:
        console.print(f"{n} extractions, du {first} au {last}")
    else:
        console.print("Aucune extraction : lancez `workforce synth` ou `workforce import FICHIER`.")


def _locations() -> list[tuple[str, str]]:
    """Where this installation keeps its data, so a cron job run from another folder can be checked."""
    settings = get_settings()
    if os.environ.get(KEY_ENV) is not None:
        key = f"variable {KEY_ENV}"
    elif settings.key_file.exists():
        key = str(settings.key_file)
    else:
        key = f"{settings.key_file} (créée au premier import)"
    return [
        ("Dossier des données", str(settings.home)),
        ("Base", safe_url(settings.db_url)),
        ("Clé de pseudonymisation", key),
        ("Modèles", str(settings.models_dir)),
    ]
