"""The `workforce` command line: one Typer group per stage, joined here.

Exit codes: 0 ok, 1 failure, 2 bad input (file, row and column named in the message). The root group
(:class:`~workforce.cli.common.WorkforceGroup`) runs every command under umask 077 and reports an unreachable
database or a refused pseudonymisation key in one line, so no command repeats that handling.
"""

from __future__ import annotations

import importlib

import typer

from workforce.cli import db as db_cli
from workforce.cli.common import WorkforceGroup
from workforce.cli.synth import synth

app = typer.Typer(
    name="workforce",
    cls=WorkforceGroup,
    help="GPEEC : prévision des départs, des effectifs et des compétences d'une collectivité.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.add_typer(db_cli.app, name="db")
app.command("synth", epilog="Exemple : workforce synth --agents 8000 --years 10 --seed 42")(synth)

try:  # each stage registers its commands once its module exists
    from workforce.cli.ingest import extract_app, import_command, quality_command

    app.command("import", epilog="Exemple : workforce import extraction_2025-06-30.csv --mapping sirh")(import_command)
    app.command("quality", epilog="Exemple : workforce quality 2025-06-30")(quality_command)
    app.add_typer(extract_app, name="extract")
except ImportError:  # pragma: no cover
    pass

try:
    from workforce.cli.forecast import app as forecast_app

    app.add_typer(forecast_app, name="forecast")
except ImportError:  # pragma: no cover
    pass

# one optional group per stage: (module, Typer attribute, command name); a stage not yet built is skipped
_GROUPS = [
    ("workforce.cli.scenario", "app", "scenario"),
    ("workforce.cli.referential", "app", "referential"),
    ("workforce.cli.export", "app", "export"),
    ("workforce.cli.models", "app", "models"),
]
_COMMANDS = [
    ("workforce.cli.project", "project", "project", "Exemple : workforce project --scenario base --mc 1000 --out projection.xlsx"),
    ("workforce.cli.train", "train", "train", "Exemple : workforce train --quiet"),
]
for _module, _attr, _name in _GROUPS:
    try:
        app.add_typer(getattr(importlib.import_module(_module), _attr), name=_name)
    except ImportError:  # pragma: no cover
        pass
for _module, _attr, _name, _epilog in _COMMANDS:
    try:
        app.command(_name, epilog=_epilog)(getattr(importlib.import_module(_module), _attr))
    except ImportError:  # pragma: no cover
        pass

try:
    from workforce.cli.rules import rules

    app.command("rules", epilog="Exemple : workforce rules --birth 1965-02-10 --category sedentaire")(rules)
except ImportError:  # pragma: no cover
    pass


def main() -> None:
    app()
