"""The `workforce` command line: one Typer group per stage, joined here.

Exit codes: 0 ok, 1 failure, 2 bad input (file, row and column named in the message). The root group
(:class:`~workforce.cli.common.WorkforceGroup`) runs every command under umask 077 and reports an unreachable
database or a refused pseudonymisation key in one line, so no command repeats that handling.
"""

from __future__ import annotations

import typer

from workforce.cli import db as db_cli
from workforce.cli import export as export_cli
from workforce.cli import forecast as forecast_cli
from workforce.cli import models as models_cli
from workforce.cli import referential as referential_cli
from workforce.cli import scenario as scenario_cli
from workforce.cli.common import WorkforceGroup
from workforce.cli.ingest import extract_app, import_command, quality_command
from workforce.cli.project import project
from workforce.cli.report import EXAMPLE as REPORT_EXAMPLE
from workforce.cli.report import report
from workforce.cli.rules import rules
from workforce.cli.sweep import EXAMPLE as SWEEP_EXAMPLE
from workforce.cli.sweep import GRID_EXAMPLE, sweep
from workforce.cli.synth import synth
from workforce.cli.train import train

app = typer.Typer(
    name="workforce",
    cls=WorkforceGroup,
    help="GPEEC : prévision des départs, des effectifs et des compétences d'une collectivité.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.command("import", epilog="Exemple : workforce import extraction_2025-06-30.csv --mapping sirh")(import_command)
app.command("quality", epilog="Exemple : workforce quality 2025-06-30")(quality_command)
app.add_typer(extract_app, name="extract")
app.add_typer(forecast_cli.app, name="forecast")
app.add_typer(scenario_cli.app, name="scenario")
app.add_typer(referential_cli.app, name="referential")
app.add_typer(export_cli.app, name="export")
app.add_typer(models_cli.app, name="models")
app.command("project", epilog="Exemple : workforce project --scenario base --mc 1000 --out projection.xlsx")(project)
app.command("report", epilog=f"Exemple : {REPORT_EXAMPLE}")(report)
app.command("train", epilog="Exemple : workforce train --quiet")(train)
app.command("rules", epilog="Exemple : workforce rules --birth 1965-02-10 --category sedentaire")(rules)
app.add_typer(db_cli.app, name="db")
app.command("synth", epilog="Exemple : workforce synth --agents 8000 --years 10 --seed 42")(synth)
app.command("sweep", epilog=f"Exemple : {SWEEP_EXAMPLE}\n\n{GRID_EXAMPLE}")(sweep)

COMMANDS = ("import", "quality", "extract", "forecast", "scenario", "referential", "export", "models", "project",
            "report", "train", "rules", "db", "synth", "sweep")
"""Every command of the tool, in the order of ``workforce --help``; a module that fails to import fails here."""


def main() -> None:
    app()
