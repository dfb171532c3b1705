"""`workforce db init|upgrade|stats|key`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workforce import db, migrations
from workforce.cli.common import error, safe_url
from workforce.config import KEY_ENV, env_text, get_settings, secret_key

app = typer.Typer(help="Base de données : création, mise à jour du schéma et état.", no_args_is_help=True)
console = Console()


@app.command("init", epilog="Exemple : WORKFORCE_DB_URL=postgresql+psycopg://user@host/base workforce db init")
def init() -> None:
    """Crée les tables, ou met le schéma à jour (sans effacer les données existantes), et charge le référentiel
    intégré."""
    from workforce.referential import load_builtin
    from workforce.referential import store_referential

    engine = db.make_engine()
    _migrate(engine)
    with db.session_scope(engine) as session:
        n = store_referential(session, load_builtin())
    console.print(
        f"Base prête : {engine.url.render_as_string(hide_password=True)} ({n} métiers du référentiel, "
        f"révision du schéma {db.schema_revision(engine)})"
    )


@app.command("upgrade", epilog="Exemple : WORKFORCE_DB_URL=postgresql+psycopg://user@host/base workforce db upgrade")
def upgrade() -> None:
    """Met le schéma de la base à jour (migrations Alembic) sans toucher aux données, et affiche la révision
    avant et après. Une base créée par une version sans migrations est reconnue et mise à jour ; les autres
    commandes le font aussi d'elles-mêmes au démarrage."""
    engine = db.make_engine()
    before = _revision_label(engine)
    _migrate(engine)
    after = db.schema_revision(engine)
    console.print(f"Révision du schéma avant : {before}")
    console.print(f"Révision du schéma après : {after}")
    if before == after:
        console.print("Schéma déjà à jour.")


@app.command("key", epilog="Exemple : workforce db key")
def key() -> None:
    """Crée la clé de pseudonymisation si elle n'existe pas (aléatoire, mode 0600, hors du dossier des données)
    et vérifie qu'elle est utilisable : au moins 32 octets, lisible par son seul propriétaire. La clé n'est
    jamais affichée."""
    settings = get_settings()
    value = secret_key(settings)  # a refused key ends here: one line, exit 2 (see WorkforceGroup)
    where = f"variable {KEY_ENV}" if env_text(KEY_ENV) is not None else str(settings.key_file)
    console.print(f"Clé de pseudonymisation prête : {escape(where)} ({len(value.strip())} octets).", soft_wrap=True)


@app.command("stats", epilog="Exemple : workforce db stats")
def stats() -> None:
    """Affiche où sont les données (dossier, base, clé de pseudonymisation, modèles), le nombre de lignes de
    chaque table et la période couverte par les extractions."""
    from sqlalchemy import func, select

    engine = db.make_engine()
    _migrate(engine)
    counts = db.table_counts(engine)
    with engine.connect() as conn:
        first, last, n = conn.execute(
            select(func.min(db.Extract.extract_date), func.max(db.Extract.extract_date), func.count())
        ).one()
    for label, value in _locations():
        console.print(f"{label} : {escape(value)}", soft_wrap=True)
    console.print(f"Révision du schéma : {db.schema_revision(engine)}")
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
    if env_text(KEY_ENV) is not None:
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


def _migrate(engine) -> None:
    """init_db, with a schema newer than this code reported in one French line (exit 1)."""
    try:
        db.init_db(engine)
    except migrations.SchemaError as err:
        raise error(str(err), 1) from None


def _revision_label(engine) -> str:
    """The schema revision, or why there is none."""
    from sqlalchemy import inspect

    revision = db.schema_revision(engine)
    if revision is not None:
        return revision
    with engine.connect() as conn:
        created = inspect(conn).has_table("extracts")
    return "aucune (base créée avant les migrations)" if created else "aucune (base vide)"
