"""What every command shares: how an error is reported."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True)


def error(message: str, code: int = 1) -> typer.Exit:
    """Print a French error on stderr (file values escaped, never interpreted as markup) and return the
    Exit to raise: 1 failure, 2 bad input."""
    err_console.print(f"[red]Erreur :[/red] {escape(message)}")
    return typer.Exit(code=code)
