"""`workforce db init|stats`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from workforce import db

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


@app.command("stats", epilog="Exemple : workforce db stats")
def stats() -> None:
    """Affiche le nombre de lignes de chaque table et la période couverte par les extractions."""
    from sqlalchemy import func, select

    engine = db.make_engine()
    db.init_db(engine)
    table = Table("Table", "Lignes", title=f"Base {engine.url.render_as_string(hide_password=True)}")
    for name, count in db.table_counts(engine).items():
        table.add_row(name, f"{count:,}".replace(",", " "))
    console.print(table)
    with engine.connect() as conn:
        first, last, n = conn.execute(
            select(func.min(db.Extract.extract_date), func.max(db.Extract.extract_date), func.count())
        ).one()
    if n:
        console.print(f"{n} extractions, du {first} au {last}")
    else:
        console.print("Aucune extraction : lancez `workforce synth` ou `workforce import FICHIER`.")
