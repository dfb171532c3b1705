"""What every command shares: how an error is reported, and the errors any command can meet.

The root group (:class:`WorkforceGroup`) runs every command under a private umask and turns the failures no
command should handle itself (database unreachable or of another schema revision, pseudonymisation key refused,
folder not writable) into one
French line on stderr. It sits in the click command tree, so ``workforce``, ``main()`` and the tests'
``CliRunner`` all go through it.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from typer.core import TyperGroup

from workforce.config import SecretKeyError, get_settings, private_umask
from workforce.migrations import SchemaError

try:  # the PostgreSQL driver is a dependency, but a broken install must still report errors
    import psycopg
except ImportError:  # pragma: no cover
    psycopg = None

err_console = Console(stderr=True)

DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    (psycopg.OperationalError, psycopg.InterfaceError) if psycopg is not None else ()
)
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, *DRIVER_ERRORS
)
"""Database failures that are the installation's, not a command's: no command catches them (see
:data:`REPORTED_CENTRALLY`), the root group reports them."""

REPORTED_CENTRALLY: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, SecretKeyError, SchemaError)
"""Re-raise these from a command's catch-all ``except Exception`` so they get the one shared message."""


def error(message: str, code: int = 1) -> typer.Exit:
    """Print a French error on stderr, on one line (file values escaped, never interpreted as markup) and
    return the Exit to raise: 1 failure, 2 bad input."""
    err_console.print(f"[red]Erreur :[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(code=code)


def _parsed(url: str):
    try:
        return make_url(url)
    except Exception:  # an unparsable URL: never echo it, it may hold a password
        return None


def safe_url(url: str) -> str:
    """The database URL without its password, for messages and `db stats`."""
    parsed = _parsed(url)
    return parsed._replace(password=None).render_as_string(hide_password=False) if parsed else "URL illisible"


def database_error_message(err: BaseException) -> str:
    """One line for a database failure: the URL without password, the driver's reason (the DBAPI message, not
    the SQL and its parameters), the remedy."""
    url = get_settings().db_url
    reason = " ".join(str(getattr(err, "orig", None) or err).split()) or type(err).__name__
    password = getattr(_parsed(url), "password", None)
    if password:
        reason = reason.replace(str(password), "***")
    reason += "" if reason.endswith((".", "?", "!")) else "."
    at_connect = (isinstance(err, sa_exc.DBAPIError) and err.statement is None) or isinstance(err, sa_exc.TimeoutError)
    if at_connect:
        return f"base de données injoignable ({safe_url(url)}) : {reason} Vérifiez WORKFORCE_DB_URL."
    return f"erreur de base de données ({safe_url(url)}) : {reason}"


class WorkforceGroup(TyperGroup):
    """Root command group: every command runs under umask 077 and shares one report for the errors above."""

    def invoke(self, ctx):
        with private_umask():
            try:
                return super().invoke(ctx)
            except SecretKeyError as err:
                raise error(str(err), 2) from None
            except DATABASE_ERRORS as err:
                raise error(database_error_message(err), 1) from None
            except SchemaError as err:  # a database written by a newer release, or not upgraded yet
                raise error(str(err), 1) from None
            except PermissionError as err:
                where = f" {err.filename}" if err.filename else ""
                raise error(f"accès refusé{where} ({err.strerror}) ; vérifiez les droits ou WORKFORCE_HOME.", 1) from None
