"""`workforce export gaps | plan-formation | passerelles`: the training managers' lists, as XLSX or CSV.

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

app = typer.Typer(help="Exports pour les responsables formation : écarts de compétences, plan de formation, "
                       "passerelles.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()

GAPS_EXAMPLE = ("Exemple : workforce export gaps --year 2030 --direction DEF --urgence shortage --format csv "
                "--out ecarts.csv")
PLAN_EXAMPLE = "Exemple : workforce export plan-formation --year 2030 --direction DEF --out plan_2030.xlsx"
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


Year = Annotated[Optional[int], typer.Option("--year", help="Une seule année de projection.")]
Directions = Annotated[Optional[list[str]], typer.Option("--direction", help="Une direction (code ou nom) ; "
                                                         "répétez l'option pour plusieurs.")]
Familles = Annotated[Optional[list[str]], typer.Option("--famille", help="Compétences exigées par une famille de "
                                                       "métiers ; répétez l'option pour plusieurs.")]
Exact = Annotated[bool, typer.Option("--offre-exacte", help="Offre de compétences exacte, sans secret "
                                     "statistique : réservé aux responsables formation, habilités aux données de "
                                     "compétences des agents ; l'export est inscrit au journal d'audit.")]


def _filters(year, directions, familles, urgency: str = "all", level: str = "direction"):
    from workforce.export_skills import GapFilters

    return GapFilters(year=year, directions=tuple(directions or ()), familles=tuple(familles or ()),
                      urgency=urgency, level=level)


def _written(target: Path, write):
    """``write()``, its errors turned into exit codes: a bad request 2, a file that cannot be written 1."""
    from workforce.export import ExportError

    try:
        return write()
    except ExportError as err:
        raise _fail(str(err), 2)
    except OSError as err:
        raise _fail(f"{target} : écriture impossible ({err})", 1)


def _audit(engine, action: str, result, filters, exact: bool) -> None:
    """Every skills file of the training managers is recorded (the page does the same)."""
    from workforce import db

    with db.session_scope(engine) as session:
        db.audit(session, action, {"files": [str(p) for p in result.paths], "year": filters.year,
                                   "directions": list(filters.directions), "familles": list(filters.familles),
                                   "urgency": filters.urgency, "level": filters.level, "exact_skills": exact},
                 actor=access.os_actor())


@app.command("gaps", epilog=GAPS_EXAMPLE)
def gaps(
    year: Year = None,
    direction: Directions = None,
    famille: Familles = None,
    urgence: Annotated[str, typer.Option("--urgence", help="all (toutes), shortage (un manque sur la période), "
                                         "now (manque dès la première année), soon (d'ici trois ans), none (sans "
                                         "manque).")] = "all",
    niveau: Annotated[str, typer.Option("--niveau", help="direction (une ligne par direction) ou collectivite "
                                        "(toute la collectivité : les petits effectifs s'y regroupent).")]
    = "direction",
    exact: Exact = False,
    fmt: Format = "xlsx",
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier à écrire ; défaut : "
                                                "ecarts_competences.<format>.")] = None,
    scenario: Scenario = None,
    intensity: Intensity = None,
    horizon: Horizon = None,
) -> None:
    """Exporte les écarts de compétences, avec les filtres de la page Compétences (année, direction, famille,
    urgence) : une ligne par compétence, direction et année, avec l'offre, le besoin et l'écart en ETP, l'urgence,
    la criticité, les métiers concernés, les candidats internes et l'action suggérée. Les chiffres reposant sur
    moins de 5 agents sont masqués (« < 5 »), sauf avec --offre-exacte.

    Exemple : workforce export gaps --year 2030 --direction DEF --urgence shortage --format csv --out ecarts.csv
    """
    from workforce.export_skills import export_gaps

    fmt = _format(fmt, out)
    engine, analysis, meta = _analysis(scenario, intensity, horizon)
    target = out or Path(f"ecarts_competences.{fmt}")
    filters = _filters(year, direction, famille, urgence, niveau)
    result = _written(target, lambda: export_gaps(analysis, target, fmt, filters=filters, meta=meta,
                                                  exact_skills=exact))
    _audit(engine, "export.gaps", result, filters, exact)
    _report(result)


@app.command("plan-formation", epilog=PLAN_EXAMPLE)
def plan_formation(
    year: Annotated[int, typer.Option("--year", help="Année du plan (une année de projection).")],
    direction: Directions = None,
    famille: Familles = None,
    exact: Exact = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier XLSX à écrire ; défaut : "
                                                "plan_formation_<année>.xlsx.")] = None,
    scenario: Scenario = None,
    intensity: Intensity = None,
    horizon: Horizon = None,
) -> None:
    """Écrit un projet de plan de formation (XLSX) pour une année et un périmètre (directions) : les
    compétences à développer classées par manque x urgence, le nombre d'agents à former (candidats internes
    qui détiennent déjà l'essentiel des compétences) et le nombre à recruter, avec une feuille Lisez-moi et une
    feuille Provenance, à remettre à la délégation du CNFPT. Le même fichier que le bouton de la page
    Compétences.

    Exemple : workforce export plan-formation --year 2030 --direction DEF --direction DAUT --out plan_2030.xlsx
    """
    from workforce.export_skills import export_plan

    if out is not None and out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{out} : le plan de formation s'écrit en .xlsx", param_hint="--out")
    engine, analysis, meta = _analysis(scenario, intensity, horizon)
    target = out or Path(f"plan_formation_{year}.xlsx")
    filters = _filters(year, direction, famille)
    result = _written(target, lambda: export_plan(analysis, target, filters=filters, meta=meta,
                                                  exact_skills=exact))
    _audit(engine, "export.plan_formation", result, filters, exact)
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
