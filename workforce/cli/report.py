"""`workforce report`: the PDF « note de synthèse » of a scenario (:func:`workforce.report.build_note`, the function
the Scénarios page's button calls too).

Registered in the main app by ``app.command("report")(report)``. Exit codes: 0 ok, 1 failure (no data, a file
that cannot be written), 2 bad input (unknown scenario, output not a .pdf).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from workforce import access, db
from workforce import report as R
from workforce import scenario as sc
from workforce.cli.common import error

console = Console()
EXAMPLE = "workforce report --scenario gel-2027 --out note.pdf"


def report(
    out: Annotated[Path, typer.Option("--out", help="Fichier PDF à écrire.")],
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="Nom du scénario enregistré (par défaut : "
                                                    "la référence, hypothèses par défaut).")] = None,
    mc: Annotated[int, typer.Option("--mc", help="Simulations Monte Carlo des bandes P10–P90 (0 : sans bande).",
                                    min=0, max=100_000)] = R.MC_REPLICATES,
    jobs: Annotated[int, typer.Option("--jobs", help="Processus pour le Monte Carlo.", min=1, max=64)] = 2,
) -> None:
    """Écrit la note de synthèse d'un scénario en PDF : hypothèses, chiffres clés, effectif et départs à la
    retraite avec leurs bandes P10–P90, comparaison avec la référence, compétences les plus en manque, fiabilité
    des prévisions et provenance. Les chiffres sont ceux de l'application (même fonction que son bouton).

    Exemple : workforce report --scenario gel-2027 --out note.pdf
    """
    if out.suffix.lower() != ".pdf":
        raise error(f"{out} : le fichier de sortie doit finir par .pdf", 2)
    engine = db.make_engine()
    db.init_db(engine)
    try:
        chosen = sc.load(engine, scenario).scenario if scenario and scenario != sc.REFERENCE_NAME else None
    except sc.ScenarioNotFound as err:
        raise error(str(err), 2)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(R.STEPS[0], total=len(R.STEPS))
        try:
            note = R.build_note(engine, scenario, scenario=chosen, mc=mc, n_jobs=jobs, actor=access.os_actor(),
                                origin="cli",
                                progress=lambda i, label: bar.update(task, completed=i, description=label))
        except LookupError as err:
            raise error(str(err), 1)
        bar.update(task, completed=len(R.STEPS))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(note.pdf)
    except OSError as err:
        raise error(f"{out} : {err}", 1)
    for row in note.figures.itertuples(index=False):
        console.print(f"  {row[0]} : {row[1]}", markup=False, highlight=False)
    console.print(f"Écrit : {out} (note de synthèse « {note.name} »)")
