"""`workforce project`: project the workforce under a saved scenario, print the totals, export the tables.

Registered in the main app by ``app.command("project")(project)``. Exit codes: 0 ok, 1 failure (no data, a
model that cannot be used), 2 bad input (unknown scenario, bad option or output file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table

from workforce import access
from workforce import db
from workforce import projection as PJ
from workforce.projection import inputs as PI
from workforce import scenario as sc
from workforce.cli.common import error
from workforce.export_projection import GroupNames, export_projection

console = Console()
wide_console = Console(width=max(Console().width, 150))  # the yearly table has nine columns
EXAMPLE = "workforce project --scenario gel-2027 --mc 1000 --out projection.xlsx"


def _fail(message: str, code: int) -> NoReturn:
    raise error(message, code)


def _fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}".replace(",", " ")


def project(
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="Nom du scénario enregistré (par défaut : "
                                                    "les réglages par défaut).")] = None,
    mc: Annotated[int, typer.Option("--mc", help="Nombre de tirages Monte Carlo (0 : valeurs espérées seules).",
                                    min=0, max=100_000)] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier de sortie .xlsx (en français : scénario et "
                                                "hypothèses, résultats, masse salariale, provenance) ou .csv (format "
                                                "machine) ; groupes de moins de 5 agents masqués.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Niveau du fichier : total, categorie, direction, "
                                              "metier, famille (par défaut : métier x direction x catégorie).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Processus pour le Monte Carlo.", min=1, max=64)] = 2,
) -> None:
    """Projette les effectifs année par année selon un scénario : départs en retraite et autres départs,
    recrutements, mobilités, besoins, vacances et masse salariale ; affiche les totaux et écrit le tableau
    détaillé. Les facteurs de transformation des métiers (module compétences) s'appliquent comme dans
    l'application, sauf si le scénario fixe les siens. Chaque exécution est tracée (table projection_runs :
    extraction, versions des modèles, code, graine).

    Exemple : workforce project --scenario gel-2027 --mc 1000 --out projection.xlsx
    """
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        _fail(f"{out} : le fichier de sortie doit finir par .csv ou .xlsx", 2)
    if by is not None and by not in PJ.LEVELS:
        _fail(f"--by {by!r} : choisir parmi {', '.join(PJ.LEVELS)}", 2)
    engine = db.make_engine()
    db.init_db(engine)
    try:
        chosen = sc.load(engine, scenario).scenario if scenario else sc.Scenario()
    except sc.ScenarioNotFound as err:
        _fail(str(err), 2)
    try:
        inputs = PI.load(engine)
    except LookupError as err:
        _fail(str(err), 1)
    for name, why in inputs.provenance.get("fallbacks", {}).items():
        console.print(f"[yellow]Modèle « {name} » indisponible, repli documenté : {why}[/yellow]")
    try:
        result = PI.project_scenario(engine, chosen, name=scenario, mc=mc, actor=access.os_actor(), origin="cli",
                                     inputs=inputs, n_jobs=jobs)
    except ValueError as err:
        _fail(str(err), 2)
    indicators = ["headcount", "etp", "retirements", "exits", "hires", "demand", "vacancies", "payroll"]
    summary = result.summary("total", indicators)
    labels = {"headcount": "Effectif", "etp": "ETP", "retirements": "Retraites", "exits": "Autres départs",
              "hires": "Recrutements", "demand": "Besoin (ETP)", "vacancies": "Vacances (ETP)",
              "payroll": "Masse salariale (M€)"}
    table = Table("Année", *labels.values(), title=f"Projection — scénario « {scenario or 'par défaut'} »"
                  + (f", {mc} tirages (P10-P90 de l'effectif)" if mc else ""))
    wide = summary.pivot_table(index="year", columns="indicator", values="value")
    band = summary[summary["indicator"] == "headcount"].set_index("year") if mc else None
    for year, row in wide.iterrows():
        head = _fmt(row["headcount"])
        if band is not None:
            head += f" [{_fmt(band.loc[year, 'p10'])}-{_fmt(band.loc[year, 'p90'])}]"
        table.add_row(str(year), head, _fmt(row["etp"], 1), _fmt(row["retirements"], 1), _fmt(row["exits"], 1),
                      _fmt(row["hires"], 1), _fmt(row["demand"], 1), _fmt(row["vacancies"], 1),
                      _fmt(row["payroll"] / 1e6, 2))
    wide_console.print(table)
    if out is not None:
        try:
            export_projection(result, out, by=by, name=scenario, scenario=chosen,
                              names=GroupNames.from_inputs(inputs))
        except OSError as err:
            _fail(f"{out} : {err}", 1)
        console.print(f"Écrit : {out}")
