"""`workforce referential import-rome DOSSIER | match-titles | apply-titles FICHIER`.

Exit codes: 0 done, 1 failure (database, nothing written), 2 bad input (a release or a file that cannot be
read: the message names the file, the row and the column).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workforce.cli.common import REPORTED_CENTRALLY, error
from workforce.labels import fmt_int

app = typer.Typer(help="Référentiel des métiers et des compétences : import du ROME, rapprochement des intitulés.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()

IMPORT_EXAMPLE = "Exemple : workforce referential import-rome ~/Téléchargements/ROME_v460"
MATCH_EXAMPLE = "Exemple : workforce referential match-titles --fichier intitules.csv --sortie suggestions.csv"
APPLY_EXAMPLE = "Exemple : workforce referential apply-titles suggestions.csv"
CONFIRM_COLUMN = "retenu"
TABLE_LABELS = {"metiers": "Fiches métier", "skills": "Compétences et savoirs", "appellations": "Appellations",
                "links": "Liens fiche -> éléments"}
CHANGE_LABELS = {"added": "ajoutés", "removed": "retirés", "changed": "modifiés", "kept": "conservés"}


_fail = error


@app.command("import-rome", epilog=IMPORT_EXAMPLE)
def import_rome(
    folder: Annotated[Optional[Path], typer.Argument(
        help="Dossier d'une version du ROME 4.0 (fichiers CSV de France Travail, unix_*_v<version>_utf8.csv) ; "
             "défaut : WORKFORCE_ROME_DIR, sinon ../shared/data/rome.", show_default=False)] = None,
) -> None:
    """Importe une version du ROME 4.0 : fiches métier et leurs drapeaux de transition, compétences et savoirs,
    appellations, liens fiche -> éléments. Une version plus récente met à jour les données en place et le
    rapport indique ce qui a changé. Un fichier manquant, tronqué ou mal formé : rien n'est écrit.

    Exemple : workforce referential import-rome ~/Téléchargements/ROME_v460
    """
    from workforce import db
    from workforce.referential import find_rome_dir
    from workforce.rome import RomeReleaseError, import_release

    try:
        folder = find_rome_dir(folder)
    except FileNotFoundError as err:
        raise _fail(str(err), 2)
    if folder is None:
        raise _fail("Aucun dossier du ROME : indiquez DOSSIER ou WORKFORCE_ROME_DIR.", 2)
    try:
        engine = db.make_engine()
        with console.status("Import du ROME") as status:
            report = import_release(engine, folder, progress=lambda step: status.update(f"Import du ROME : {step}"))
    except RomeReleaseError as err:
        raise _fail(f"{folder} : version du ROME refusée, rien n'a été importé.\n{err}", 2)
    except REPORTED_CENTRALLY:
        raise
    except Exception as err:  # database down, disk full: a failure, not the user's folder
        raise _fail(f"{folder} : import interrompu, rien n'a été enregistré ({type(err).__name__} : {err}).", 1)
    title = f" ({report.title})" if report.title else ""
    published = f", publiée le {report.published_on:%d/%m/%Y}" if report.published_on else ""
    console.print(f"[green]ROME version {escape(report.version)}{escape(title)}{published} importé.[/green]")
    if report.previous_version:
        console.print(f"Version précédente : {escape(report.previous_version)}.")
    table = Table("Table", "Lignes", "Ajoutées", "Retirées", "Modifiées", "Conservées*", title="Changements")
    counts = {"metiers": report.counts["fiches"], **report.counts}
    for key, change in report.changes.items():
        table.add_row(TABLE_LABELS.get(key, key), fmt_int(counts.get(key, 0)), fmt_int(change.added), fmt_int(change.removed),
                      fmt_int(change.changed), fmt_int(change.kept))
    console.print(table)
    if any(c.kept for c in report.changes.values()):
        console.print("* retirées du ROME mais encore exigées par un métier local ou évaluées chez un agent.")
    for key, change in report.changes.items():
        for what, codes in change.examples.items():
            if codes:
                console.print(f"  {TABLE_LABELS.get(key, key)}, {CHANGE_LABELS.get(what, what)} : "
                              f"{escape(', '.join(codes))}"
                              + (" …" if len(codes) >= 5 else ""))
    if report.unchanged:
        console.print("Aucun changement : cette version était déjà importée.")


def _labels_from_file(path: Path, column: str | None) -> list[str]:
    """Job labels from a text file (one a line) or a CSV/XLSX column (the first one by default)."""
    if not path.is_file():
        raise typer.BadParameter(f"{path} : fichier introuvable", param_hint="--fichier")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            import pandas as pd

            frame = pd.read_excel(path, dtype=str)
        elif suffix == ".csv":
            import pandas as pd

            frame = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
        else:
            return [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    except (ValueError, UnicodeDecodeError, OSError) as err:
        raise typer.BadParameter(f"{path} : illisible ({err})", param_hint="--fichier")
    col = column or frame.columns[0]
    if col not in frame.columns:
        raise typer.BadParameter(f"{path} : pas de colonne {col!r} ; colonnes : {', '.join(frame.columns)}",
                                 param_hint="--colonne")
    return [v.strip() for v in frame[col].dropna() if v.strip()]


@app.command("match-titles", epilog=MATCH_EXAMPLE)
def match_titles(
    file: Annotated[Optional[Path], typer.Option("--fichier", help="Intitulés à rapprocher : texte (un par ligne), "
                                                 "CSV ou XLSX. Par défaut : les métiers locaux sans code ROME.")] = None,
    column: Annotated[Optional[str], typer.Option("--colonne", help="Colonne des intitulés (CSV/XLSX ; défaut : "
                                                  "la première).")] = None,
    every: Annotated[bool, typer.Option("--tous", help="Tous les métiers locaux, même ceux qui ont un code ROME.")]
    = False,
    k: Annotated[int, typer.Option("--k", min=1, max=10, help="Nombre de fiches proposées par intitulé.")] = 3,
    rome_dir: Annotated[Optional[Path], typer.Option("--rome", help="Lire les appellations dans ce dossier du ROME "
                                                     "plutôt que dans la base.")] = None,
    out: Annotated[Optional[Path], typer.Option("--sortie", help="Écrire les suggestions dans ce CSV, avec une "
                                                "colonne « retenu » à remplir (oui) puis à passer à apply-titles.")]
    = None,
) -> None:
    """Propose, pour chaque intitulé de métier local sans code ROME, les fiches ROME les plus proches d'après
    leurs appellations, avec un score de 0 à 1 (accents, casse et formes « Assistant / Assistante » pris en
    compte). Rien n'est appliqué : le planificateur confirme avec apply-titles.

    Exemple : workforce referential match-titles --fichier intitules.csv --sortie suggestions.csv
    """
    from sqlalchemy import select

    from workforce import db
    from workforce.export import write_csv
    from workforce.rome import RomeReleaseError, TitleMatcher, load_appellations

    codes: list[str | None]
    try:
        engine = db.make_engine()
        if file is not None:
            labels = _labels_from_file(file, column)
            codes = [None] * len(labels)
        else:
            db.init_db(engine)
            local = db.read_frame(engine, select(db.Metier.code, db.Metier.label, db.Metier.rome_codes)
                                  .where(db.Metier.source != "rome").order_by(db.Metier.code))
            if not every:
                local = local[local["rome_codes"].fillna("").str.strip() == ""]
            labels, codes = local["label"].tolist(), local["code"].tolist()
        if not labels:
            console.print("Aucun intitulé à rapprocher : tous les métiers locaux ont un code ROME "
                          "(--tous pour les revoir, --fichier pour d'autres intitulés).")
            return
        with console.status("Lecture des appellations du ROME"):
            appellations = load_appellations(engine, rome_dir)
            matcher = TitleMatcher.build(appellations)
        suggestions = matcher.match(labels, k)
    except typer.BadParameter:
        raise
    except (LookupError, FileNotFoundError, RomeReleaseError) as err:
        raise _fail(str(err), 2 if rome_dir is not None else 1)
    by_label = dict(zip(labels, codes))
    suggestions.insert(0, "metier_code", suggestions["query"].map(by_label))
    table = Table("Intitulé", "Rang", "Code ROME", "Fiche", "Appellation la plus proche", "Score",
                  title="Fiches ROME proposées (à confirmer)")
    for row in suggestions.itertuples(index=False):
        table.add_row(escape(row.query) if row.rank == 1 else "", str(row.rank), row.code_rome,
                      escape(str(row.fiche_label)), escape(str(row.appellation)), f"{row.score:.2f}")
    console.print(table)
    if out is not None:
        frame = suggestions.rename(columns={"query": "intitule", "rank": "rang", "fiche_label": "fiche"})
        frame[CONFIRM_COLUMN] = ""
        write_csv(frame, out)  # French layout, formulas neutralised (labels come from HR files)
        console.print(f"Suggestions écrites dans {escape(str(out))} : mettez « oui » dans la colonne "
                      f"« {CONFIRM_COLUMN} » des lignes retenues, puis : workforce referential apply-titles "
                      f"{escape(str(out))}")


@app.command("apply-titles", epilog=APPLY_EXAMPLE)
def apply_titles(
    file: Annotated[Path, typer.Argument(help="CSV écrit par match-titles --sortie, colonne « retenu » remplie.",
                                         show_default=False)],
) -> None:
    """Applique les rapprochements confirmés (colonne « retenu » = oui) : le code ROME retenu est ajouté aux
    codes ROME du métier local. Chaque application est inscrite au journal d'audit.

    Exemple : workforce referential apply-titles suggestions.csv
    """
    import pandas as pd
    from sqlalchemy import select, update

    from workforce import db
    from workforce.referential import split_codes

    if not file.is_file():
        raise typer.BadParameter(f"{file} : fichier introuvable", param_hint="FICHIER")
    try:
        frame = pd.read_csv(file, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as err:
        raise typer.BadParameter(f"{file} : illisible ({err})", param_hint="FICHIER")
    missing = [c for c in ("metier_code", "code_rome", CONFIRM_COLUMN) if c not in frame.columns]
    if missing:
        raise typer.BadParameter(f"{file} : colonne(s) manquante(s) {', '.join(missing)} (fichier de match-titles "
                                 "--sortie attendu)", param_hint="FICHIER")
    chosen = frame[frame[CONFIRM_COLUMN].str.strip().str.lower().isin(("oui", "o", "x", "yes", "1"))]
    if chosen.empty:
        console.print(f"Aucune ligne retenue dans {escape(str(file))} (colonne « {CONFIRM_COLUMN} »).")
        return
    no_code = chosen.index[chosen["metier_code"].str.strip() == ""]
    if len(no_code):
        raise _fail(f"{file} ligne {no_code[0] + 2}, colonne metier_code : vide ; seuls les métiers de la base "
                    "peuvent recevoir un code ROME", 2)
    try:
        engine = db.make_engine()
        db.init_db(engine)
        with db.session_scope(engine) as session:
            rows = dict(session.execute(select(db.Metier.code, db.Metier.rome_codes)
                                        .where(db.Metier.code.in_(chosen["metier_code"].tolist()))).all())
            fiches = set(session.execute(select(db.Metier.code).where(db.Metier.source == "rome")).scalars())
            for i, (code, rome) in zip(chosen.index, zip(chosen["metier_code"], chosen["code_rome"])):
                if code not in rows:
                    raise _fail(f"{file} ligne {i + 2}, colonne metier_code : métier {code!r} absent de la base", 2)
                if fiches and rome not in fiches:
                    raise _fail(f"{file} ligne {i + 2}, colonne code_rome : fiche {rome!r} absente du ROME importé", 2)
            applied = []
            for code, group in chosen.groupby("metier_code"):
                current = split_codes(rows[code])
                new = current + [r for r in group["code_rome"] if r not in current]
                if new != current:
                    session.execute(update(db.Metier).where(db.Metier.code == code)
                                    .values(rome_codes=";".join(new)))
                    applied.append({"metier": code, "before": rows[code], "after": ";".join(new)})
            db.audit(session, "referential.apply_titles", {"file": str(file), "changes": applied})
    except (typer.Exit, *REPORTED_CENTRALLY):
        raise
    except Exception as err:
        raise _fail(f"{file} : rien n'a été appliqué ({type(err).__name__} : {err}).", 1)
    console.print(f"{len(applied)} métier(s) mis à jour.")
    for change in applied:
        console.print(f"  {change['metier']} : {change['before'] or '(aucun)'} -> {change['after']}")
