"""`workforce export gaps | passerelles`: the training managers' lists, as XLSX or CSV.

Exit codes: 0 written, 1 failure (no data in the database, disk or database error), 2 bad input (unknown
direction, year outside the projection, unknown format or scenario).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from workforce import access
from workforce.cli.common import error

app = typer.Typer(help="Exports pour les responsables formation : écarts de compétences, passerelles.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()

GAPS_EXAMPLE = "Exemple : workforce export gaps --year 2028 --direction DNUM --format xlsx --out ecarts_2028.xlsx"
PASSERELLES_EXAMPLE = "Exemple : workforce export passerelles --scenario base --out passerelles.xlsx"


_fail = error


def _analysis(scenario_name: str | None, intensity: float | None, horizon: int | None):
    """The engine, the analysis and the readme facts for the chosen scenario."""
    from workforce import db
    from workforce.export import meta_from_db
    from workforce.skills import analyse_db

    engine = db.make_engine()
    db.init_db(engine)
    scenario, params = None, {}
    if scenario_name is not None:
        from workforce.scenario import ScenarioNotFound, load

        try:
            scenario = load(engine, scenario_name).scenario
        except ScenarioNotFound as err:
            raise _fail(str(err), 2)
        params = scenario.to_dict()
    try:
        with console.status("Calcul des compétences (projection, transformation, écarts, passerelles)"):
            analysis = analyse_db(engine, scenario, intensity=intensity, horizon=horizon)
    except LookupError as err:
        raise _fail(str(err), 1)
    except ValueError as err:
        raise _fail(str(err), 2)
    if intensity is not None:
        params = {**params, "transformation_intensity": intensity}
    if horizon is not None:
        params = {**params, "horizon": horizon}
    meta = meta_from_db(engine, scenario_name or "référence (valeurs par défaut)", params, actor=access.os_actor())
    return engine, analysis, meta


def _format(fmt: str, out: Path | None) -> str:
    fmt = fmt.lower()
    if fmt not in ("xlsx", "csv"):
        raise typer.BadParameter(f"{fmt!r} : xlsx ou csv", param_hint="--format")
    if out is not None and out.suffix.lower().lstrip(".") in ("xlsx", "csv") and out.suffix.lower() != f".{fmt}":
        raise typer.BadParameter(f"{out} : l'extension ne correspond pas au format {fmt}", param_hint="--out")
    return fmt


def _report(result) -> None:
    for path in result.paths:
        console.print(f"[green]Écrit :[/green] {escape(str(path))}")
    for sheet, n in result.rows.items():
        hidden = result.suppressed.get(sheet)
        extra = f", dont {hidden} avec des chiffres masqués (moins de 5 agents)" if hidden else ""
        console.print(f"  {sheet} : {n} lignes{extra}")


Scenario = Annotated[Optional[str], typer.Option("--scenario", help="Scénario enregistré (workforce scenario "
                                                  "list) ; défaut : valeurs par défaut.")]
Intensity = Annotated[Optional[float], typer.Option("--intensity", min=0, max=5, help="Intensité de la "
                                                     "transformation (0 aucune, 1 centrale, 2 deux fois plus "
                                                     "rapide) ; remplace celle du scénario.")]
Horizon = Annotated[Optional[int], typer.Option("--horizon", min=1, max=30, help="Années de projection ; "
                                                 "remplace celui du scénario.")]
Format = Annotated[str, typer.Option("--format", help="xlsx (avec une feuille Lisez-moi) ou csv (séparateur ; et "
                                     "fichier _lisez-moi.txt).")]


@app.command("gaps", epilog=GAPS_EXAMPLE)
def gaps(
    year: Annotated[Optional[int], typer.Option("--year", help="Une seule année de projection.")] = None,
    direction: Annotated[Optional[str], typer.Option("--direction", help="Une seule direction (code).")] = None,
    fmt: Format = "xlsx",
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier à écrire ; défaut : "
                                                "ecarts_competences.<format>.")] = None,
    scenario: Scenario = None,
    intensity: Intensity = None,
    horizon: Horizon = None,
) -> None:
    """Exporte les écarts de compétences : une ligne par compétence, direction et année, avec l'offre, le
    besoin et l'écart en ETP, l'urgence, la criticité, les candidats internes et l'action suggérée (former ou
    recruter). Les chiffres reposant sur moins de 5 agents sont masqués.

    Exemple : workforce export gaps --year 2028 --direction DNUM --format xlsx --out ecarts_2028.xlsx
    """
    from workforce.export import ExportError, export_gaps

    fmt = _format(fmt, out)
    engine, analysis, meta = _analysis(scenario, intensity, horizon)
    target = out or Path(f"ecarts_competences.{fmt}")
    try:
        result = export_gaps(analysis, target, fmt, year=year, direction=direction, meta=meta)
    except ExportError as err:
        raise _fail(str(err), 2)
    except OSError as err:
        raise _fail(f"{target} : écriture impossible ({err})", 1)
    _report(result)


@app.command("passerelles", epilog=PASSERELLES_EXAMPLE)
def passerelles(
    fmt: Format = "xlsx",
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier à écrire ; défaut : passerelles.<format>.")]
    = None,
    nominative: Annotated[bool, typer.Option("--nominative", help="Ajouter la liste des agents candidats "
                                             "(identifiants pseudonymisés) ; l'export est inscrit au journal "
                                             "d'audit.")] = False,
    scenario: Scenario = None,
    intensity: Intensity = None,
    horizon: Horizon = None,
) -> None:
    """Exporte les passerelles : pour chaque métier en déclin ou en transformation, les métiers en croissance
    les plus proches dont il détient déjà au moins 40 % des compétences (sinon « aucune passerelle crédible »),
    la part déjà détenue et les compétences à acquérir, puis le nombre de candidats à la reconversion par métier et
    direction (masqué sous 5 agents). La liste nominative n'est écrite qu'avec --nominative.

    Exemple : workforce export passerelles --scenario base --out passerelles.xlsx
    """
    from workforce.export import ExportError, export_passerelles

    fmt = _format(fmt, out)
    engine, analysis, meta = _analysis(scenario, intensity, horizon)
    target = out or Path(f"passerelles.{fmt}")
    try:
        result = export_passerelles(analysis, target, fmt, nominative=nominative, engine=engine, meta=meta)
    except ExportError as err:
        raise _fail(str(err), 2)
    except OSError as err:
        raise _fail(f"{target} : écriture impossible ({err})", 1)
    _report(result)
    if nominative:
        console.print("[yellow]Liste nominative écrite : l'export est inscrit au journal d'audit.[/yellow]")
