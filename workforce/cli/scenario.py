"""`workforce scenario create|list|show|diff|delete`: the planner's saved scenarios.

Registered in the main app by ``app.add_typer(scenario.app, name="scenario")``. Exit codes: 0 ok, 1 failure,
2 bad input (an invalid knob, named; an unknown or taken scenario name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from workforce import access
from workforce import db
from workforce import scenario as sc
from workforce.cli.common import error

app = typer.Typer(
    help="Scénarios de projection : créer, lister, afficher, comparer, supprimer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()


def _fail(message: str, code: int = 2) -> NoReturn:
    raise error(message, code)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _parse_value(text: str):
    """JSON when it parses (numbers, lists, dicts, true/false/null), else the raw text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_settings(params: dict, settings: list[str]) -> dict:
    """Apply ``knob=value`` settings; a dotted knob sets a nested key (``exit_multipliers.mutation=1.5``)."""
    out = json.loads(json.dumps(params))
    for item in settings:
        if "=" not in item:
            raise sc.ScenarioError(item, "attendu paramètre=valeur, par exemple horizon=15")
        key, value = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise sc.ScenarioError(item, "nom de paramètre vide")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise sc.ScenarioError(key, f"{p} n'est pas un dictionnaire")
        node[parts[-1]] = _parse_value(value.strip())
    return out


@app.command("create", epilog="Exemple : workforce scenario create gel-2027 --from base --set hiring_freeze_years=[2027] "
                              "--set exit_multipliers.mutation=1.5")
def create(
    name: Annotated[str, typer.Argument(help="Nom unique du scénario.")],
    parent: Annotated[Optional[str], typer.Option("--from", help="Scénario parent dont on part.")] = None,
    settings: Annotated[Optional[list[str]], typer.Option(
        "--set", help="Réglage knob=valeur (valeur en JSON : 15, 0.8, [2027], {\"COL01\": 0.5}) ; répétable.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Fichier JSON des réglages.")] = None,
    author: Annotated[Optional[str], typer.Option("--author", help="Auteur (par défaut : l'utilisateur).")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Description libre.")] = None,
) -> None:
    """Crée un scénario : réglages par défaut, ou ceux du parent, modifiés par --file puis --set."""
    engine = db.make_engine()
    try:
        params = sc.load(engine, parent).scenario.to_dict() if parent else sc.Scenario().to_dict()
        if file is not None:
            try:
                loaded = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as err:
                _fail(f"{file}: {err}")
            if not isinstance(loaded, dict):
                _fail(f"{file}: un objet JSON de réglages est attendu")
            params |= loaded
        params = apply_settings(params, settings or [])
        scenario = sc.check_against_referential(sc.Scenario.from_dict(params))
        saved = sc.save(engine, name, scenario, author=author or access.os_actor(), parent=parent,
                        description=description)
    except sc.ScenarioError as err:
        _fail(f"réglage invalide, {err}")
    except (sc.ScenarioExists, sc.ScenarioNotFound) as err:
        _fail(str(err))
    except ValueError as err:
        _fail(str(err))
    console.print(f"Scénario « {saved.name} » enregistré (empreinte {scenario.fingerprint()[:12]}).")


@app.command("list", epilog="Exemple : workforce scenario list")
def list_command() -> None:
    """Liste les scénarios : la « Référence » (hypothèses par défaut, en lecture seule) puis les enregistrés."""
    frame = sc.list_saved(db.make_engine(), with_reference=True)
    table = Table("Nom", "Auteur", "Parent", "Créé le", "Description", "Empreinte")
    for r in frame.itertuples(index=False):
        created = "—" if r.created_at is None or pd.isna(r.created_at) else f"{r.created_at:%Y-%m-%d %H:%M}"
        table.add_row(r.name, _text(r.author), _text(r.parent), created, _text(r.description), r.fingerprint)
    console.print(table)
    if len(frame) == 1:
        console.print("Aucun scénario enregistré : créez-en un avec `workforce scenario create NOM`.")


@app.command("show", epilog="Exemple : workforce scenario show base --json")
def show(
    name: Annotated[str, typer.Argument(help="Nom du scénario.")],
    as_json: Annotated[bool, typer.Option("--json", help="Réglages en JSON seulement.")] = False,
) -> None:
    """Affiche un scénario et tous ses réglages."""
    try:
        saved = sc.load(db.make_engine(), name)
    except sc.ScenarioNotFound as err:
        _fail(str(err))
    if as_json:
        typer.echo(json.dumps(saved.scenario.to_dict(), ensure_ascii=False, indent=2, sort_keys=True))
        return
    console.print(f"[bold]{saved.name}[/bold]  auteur : {saved.author or '-'}  parent : {saved.parent or '-'}  "
                  f"créé le {saved.created_at:%Y-%m-%d %H:%M}")
    if saved.description:
        console.print(saved.description)
    table = Table("Réglage", "Valeur")
    for k, v in sc.flatten(saved.scenario.to_dict()).items():
        table.add_row(k, json.dumps(v, ensure_ascii=False))
    console.print(table)


@app.command("diff", epilog="Exemple : workforce scenario diff base gel-2027")
def diff(
    a: Annotated[str, typer.Argument(help="Premier scénario.")],
    b: Annotated[str, typer.Argument(help="Second scénario.")],
) -> None:
    """Affiche les réglages qui diffèrent entre deux scénarios."""
    engine = db.make_engine()
    try:
        sa, sb = sc.load(engine, a), sc.load(engine, b)
    except sc.ScenarioNotFound as err:
        _fail(str(err))
    frame = sc.diff(sa.scenario, sb.scenario)
    if frame.empty:
        console.print(f"« {a} » et « {b} » ont les mêmes réglages.")
        return
    table = Table("Réglage", a, b)
    for r in frame.itertuples(index=False):
        table.add_row(r.knob, json.dumps(r.a, ensure_ascii=False), json.dumps(r.b, ensure_ascii=False))
    console.print(table)


@app.command("delete", epilog="Exemple : workforce scenario delete gel-2027 --yes")
def delete(
    name: Annotated[str, typer.Argument(help="Nom du scénario.")],
    yes: Annotated[bool, typer.Option("--yes", help="Ne pas demander de confirmation.")] = False,
) -> None:
    """Supprime un scénario (ses enfants gardent leurs réglages et perdent le lien de parenté)."""
    if not yes and not typer.confirm(f"Supprimer le scénario « {name} » ?"):
        _fail("suppression annulée", code=1)
    try:
        sc.delete(db.make_engine(), name, actor=access.os_actor())
    except (sc.ScenarioNotFound, sc.ReferenceReadOnly) as err:
        _fail(str(err))
    console.print(f"Scénario « {name} » supprimé.")
