"""`workforce import FICHIER`, `workforce quality [EXTRACTION]` and `workforce extract list|delete`.

Exit codes: 0 imported (rows may be in quarantine) or already imported, 1 failure (database), 2 file or
option refused (the message names the file, the row and the column). The pseudonymisation key is read
from the configuration and never printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from workforce.cli.common import DATABASE_ERRORS, REPORTED_CENTRALLY, database_error_message, error

console = Console()
SHOWN_QUARANTINE = 10


_fail = error


def import_command(
    file: Annotated[Path, typer.Argument(help="Extraction RH à importer : CSV (; , tabulation ou |), XLSX, ou DSN "
                                              "mensuelle (un fichier, un dossier ou un zip de DSN).",
                                         show_default=False)],
    date: Annotated[Optional[str], typer.Option(
        "--date", help="Date de l'extraction (AAAA-MM-JJ). Sinon : colonne « Date d'extraction », ligne de titre "
                       "ou nom du fichier (extraction_2025-06-30.csv, EXTRACT_202506.csv).")] = None,
    mapping: Annotated[str, typer.Option(
        "--mapping", help="Correspondance des colonnes : auto (défaut), sirh, canonical, ou un fichier YAML.")] = "auto",
    replace: Annotated[bool, typer.Option(
        "--remplacer", help="Remplacer l'extraction déjà importée à la même date.")] = False,
    sheet: Annotated[Optional[str], typer.Option(
        "--sheet", help="Feuille du classeur XLSX à importer, quand plusieurs feuilles ont des données.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Accepter une date d'extraction dans le futur (ou avant 1970).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Afficher le rapport de qualité en JSON.")] = False,
    directions: Annotated[Optional[Path], typer.Option(
        "--directions", help="DSN : table du SIRH donnant la direction, en CSV : siret;direction ou "
                             "matricule;direction (colonnes facultatives metier_code, service). Sans elle, les "
                             "agents sont dans la direction « non affecté ».")] = None,
) -> None:
    """Importe une extraction RH : lecture, contrôle, pseudonymisation des matricules, quarantaine des lignes
    fautives, mouvements depuis l'extraction précédente et rapport de qualité.

    Exemple : workforce import data/samples/extraction_sirh_2025-06-30.csv --mapping sirh
    """
    from workforce import db
    from workforce.ingest import ExtractRejected, import_extract
    from workforce.ingest.quality import render

    from workforce.ingest import dsn_import

    if dsn_import.is_dsn_source(file):
        return _import_dsn(file, directions, replace, force, as_json)
    try:
        engine = db.make_engine()
        with console.status("Import en cours") as status:
            result = import_extract(file, engine=engine, date=date, mapping=mapping, replace=replace, sheet=sheet,
                                    force=force, progress=lambda step: status.update(f"Import : {step}"))
    except ExtractRejected as err:
        raise _fail(str(err), 2)
    except DATABASE_ERRORS as err:  # the shared one-line report, with what it means for this file
        raise _fail(f"{file} : import interrompu, rien n'a été enregistré ; {database_error_message(err)}", 1)
    except REPORTED_CENTRALLY:
        raise
    except Exception as err:  # disk full...: a failure, not the user's file
        raise _fail(f"{file} : import interrompu, rien n'a été enregistré ({type(err).__name__} : {err}).", 1)
    if as_json:
        print(json.dumps(result.report, ensure_ascii=False, indent=2, default=str))
        return
    if result.already_imported:
        console.print(f"{escape(str(file))} : déjà importé (extraction du {result.extract_date}, même contenu "
                      f"sha256 {result.sha256[:12]}…) ; rien à faire.")
        return
    console.print(f"[green]Extraction du {result.extract_date} importée[/green] : {result.rows_read} lignes lues, "
                  f"{result.rows_stored} enregistrées, {result.rows_quarantined} en quarantaine.")
    if result.rows_quarantined:
        q = result.quarantine
        console.print(f"[yellow]Lignes en quarantaine[/yellow] (les {min(len(q), SHOWN_QUARANTINE)} premières) :")
        for line, reasons in q.head(SHOWN_QUARANTINE).itertuples(index=False):
            console.print(f"  {escape(str(file))}, ligne {line} : {escape(reasons.replace(chr(10), ' ; '))}")
    for text in render(result.report)[3:]:
        console.print(text)


def _import_dsn(file: Path, directions: Path | None, replace: bool, force: bool, as_json: bool) -> None:
    """A DSN file, folder or zip: one extract per month, each printed as a CSV import is."""
    from workforce import db
    from workforce.ingest import ExtractRejected
    from workforce.ingest.dsn_import import import_dsn
    from workforce.ingest.quality import render

    try:
        engine = db.make_engine()
        with console.status("Import DSN en cours") as status:
            results = import_dsn(file, engine=engine, directions=directions, replace=replace, force=force,
                                 progress=lambda step: status.update(f"Import : {step}"))
    except ExtractRejected as err:
        raise _fail(str(err), 2)
    except DATABASE_ERRORS as err:
        raise _fail(f"{file} : import interrompu ; {database_error_message(err)}", 1)
    except REPORTED_CENTRALLY:
        raise
    except Exception as err:
        raise _fail(f"{file} : import interrompu ({type(err).__name__} : {err}).", 1)
    if as_json:
        print(json.dumps([r.report for r in results], ensure_ascii=False, indent=2, default=str))
        return
    for result in results:
        if result.already_imported:
            console.print(f"DSN du {result.extract_date} : déjà importée ; rien à faire.")
            continue
        d = result.report.get("dsn", {})
        console.print(f"[green]DSN de {d.get('mois')} importée[/green] (extraction du {result.extract_date}) : "
                      f"{d.get('individus_declares')} individus déclarés, {d.get('sortis_dans_le_mois')} sortis "
                      f"dans le mois, {result.rows_read} lignes lues = {result.rows_stored} enregistrées + "
                      f"{result.rows_quarantined} en quarantaine"
                      + (f" (dont {d['reportes']} reportés du mois précédent)" if d.get("reportes") else "") + ".")
        for line, reasons in result.quarantine.head(SHOWN_QUARANTINE).itertuples(index=False):
            console.print(f"  ligne {line} : {escape(reasons.replace(chr(10), ' ; '))}")
    if results and not results[-1].already_imported:
        for text in render(results[-1].report)[3:]:
            console.print(text)


def quality_command(
    extract: Annotated[Optional[str], typer.Argument(
        help="Extraction : sa date (AAAA-MM-JJ) ou son numéro ; par défaut la plus récente.", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Afficher le rapport en JSON.")] = False,
) -> None:
    """Affiche le rapport de qualité d'une extraction importée : lignes lues, enregistrées et en quarantaine,
    raisons de quarantaine, valeurs manquantes et suspectes, effectifs par direction.

    Exemple : workforce quality 2025-06-30
    """
    from workforce import db
    from workforce.ingest import ExtractRejected, quality_report
    from workforce.ingest.quality import render

    try:
        report = quality_report(db.make_engine(), extract)
    except ExtractRejected as err:
        raise _fail(str(err), 2)
    except REPORTED_CENTRALLY:
        raise
    except Exception as err:
        raise _fail(f"lecture du rapport impossible ({type(err).__name__} : {err}).", 1)
    if report is None:
        what = f"du {extract}" if extract else "importée"
        raise _fail(f"aucune extraction {what} ; importez-en une avec `workforce import FICHIER`.", 1)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    if not report:
        console.print("Cette extraction n'a pas de rapport de qualité (extraction synthétique ?).")
        return
    for text in render(report):
        console.print(text)


extract_app = typer.Typer(help="Extractions importées : liste, suppression (une date mal saisie se corrige ainsi).",
                          no_args_is_help=True)


@extract_app.command("list", epilog="Exemple : workforce extract list")
def extract_list() -> None:
    """Liste les extractions : date, origine, lignes lues, enregistrées et en quarantaine, date d'import."""
    from rich.table import Table

    from workforce import db
    from workforce.ingest import list_extracts

    frame = list_extracts(db.make_engine())
    if frame.empty:
        console.print("Aucune extraction ; importez-en une avec `workforce import FICHIER`.")
        return
    table = Table("N°", "Date", "Type", "Fichier", "Lues", "Enregistrées", "Quarantaine", "Importée le")
    for r in frame.itertuples(index=False):
        table.add_row(str(r.id), str(r.extract_date)[:10], "import" if r.kind == "import" else "synthétique",
                      escape(str(r.source)), str(r.rows_read), str(r.rows_stored), str(r.rows_quarantined),
                      f"{r.imported_at:%d/%m/%Y %H:%M}")
    console.print(table)


@extract_app.command("delete", epilog="Exemple : workforce extract delete 2052-01-31 --yes")
def extract_delete(
    extract: Annotated[str, typer.Argument(help="Date (AAAA-MM-JJ) ou numéro de l'extraction à supprimer.",
                                           show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Ne pas demander de confirmation.")] = False,
) -> None:
    """Supprime une extraction importée (agents, quarantaine, mouvements) ; les mouvements de l'extraction
    suivante sont recalculés depuis celle qui la précède désormais. L'opération est journalisée."""
    from workforce import db
    from workforce.ingest import ExtractRejected
    from workforce.ingest import delete_extract

    if not yes and not typer.confirm(f"Supprimer l'extraction {extract} et ses données ?"):
        raise _fail("suppression annulée.", 1)
    try:
        detail = delete_extract(db.make_engine(), extract)
    except ExtractRejected as err:
        raise _fail(str(err), 2)
    after = detail.get("movements_recomputed_for")
    console.print(f"Extraction du {detail['extract_date']} supprimée ({detail['rows_stored']} agents)"
                  + (f" ; mouvements du {after} recalculés." if after else "."))
