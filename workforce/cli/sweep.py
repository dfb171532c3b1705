"""`workforce sweep`: a grid of scenarios, each projected in Monte Carlo, on local processes or a Dask cluster.

Registered in the main app by ``app.command("sweep")(sweep)``. Exit codes: 0 ok, 1 failure (no data, scheduler
unreachable, file not writable), 2 bad input (grid file, key or value at fault named; bad option).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workforce import access
from workforce import db
from workforce import sweep as SW
from workforce.cli.common import error
from workforce.labels import fmt_number, knob_label
from workforce.projection import HEADCOUNT, LEVELS, MEAN, P10, P90, RETIREMENTS

console = Console()
SUMMARY_ROWS = 30
"""Points printed at the end (all of them are in the database and the file)."""
EXAMPLE = "workforce sweep --grid balayage.yaml --replicates 100 --scheduler tcp://10.0.0.5:8786 --out balayage.xlsx"
GRID_EXAMPLE = """Exemple de grille (YAML) :

    base: Référence            # ou le nom d'un scénario enregistré, ou des réglages
    grid:
      regime: \\[reform2023, lfss2026]
      replacement_rate: [0.8, 0.9, 1.0]
      exit_multipliers.mutation: [1.0, 1.5]"""


def sweep(
    grid: Annotated[Path, typer.Option("--grid", help="Fichier YAML de la grille : « base » (scénario de départ, "
                                       "facultatif) et « grid » (liste de valeurs par réglage ; toutes les "
                                       "combinaisons sont projetées).")],
    replicates: Annotated[int, typer.Option("--replicates", help="Tirages Monte Carlo par point de la grille.",
                                            min=1, max=100_000)] = 100,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Adresse du planificateur Dask "
                                                     "(tcp://hôte:8786) ; sans elle, processus locaux.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Graine des tirages (remplace celle du scénario "
                                                "de départ ; les mêmes résultats quel que soit le calcul).",
                                                min=0, max=2**32 - 1)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier de sortie .xlsx (en français) ou .csv "
                                                "(table longue pour les scripts) ; groupes de moins de 5 agents "
                                                "masqués.")] = None,
    levels: Annotated[str, typer.Option("--levels", help="Niveaux publiés, séparés par des virgules : "
                                        f"{', '.join(LEVELS)}.")] = ",".join(LEVELS),
    jobs: Annotated[int, typer.Option("--jobs", help="Processus locaux (sans --scheduler).", min=1, max=64)] = 2,
    timeout: Annotated[float, typer.Option("--timeout", help="Secondes pour joindre le planificateur Dask.",
                                           min=0.1, max=600)] = SW.CONNECT_TIMEOUT,
) -> None:
    """Balaye une grille de scénarios : chaque combinaison de réglages est projetée en Monte Carlo (bandes
    P10-P50-P90) par le même moteur que `workforce project`, sur des processus locaux ou sur un cluster Dask
    (--scheduler). Les résultats (une table longue : point, réglages, année, niveau, groupe, indicateur, valeur
    attendue, moyenne, P10, P50, P90) sont enregistrés dans la base (tables sweeps et sweep_results) et, avec
    --out, écrits dans un fichier. Mêmes graine et données : mêmes chiffres, en local comme sur le cluster.

    Exemple : workforce sweep --grid balayage.yaml --replicates 100 --scheduler tcp://10.0.0.5:8786 --out balayage.xlsx
    """
    chosen = tuple(lv.strip() for lv in levels.split(",") if lv.strip())
    bad = [lv for lv in chosen if lv not in LEVELS]
    if bad or not chosen:
        raise error(f"--levels {levels!r} : niveaux possibles {', '.join(LEVELS)}", 2)
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise error(f"{out} : le fichier de sortie doit finir par .csv ou .xlsx", 2)
    try:
        parsed = SW.read_grid(grid)
    except SW.GridError as err:
        raise error(str(err), 2) from None
    engine = db.make_engine()
    db.init_db(engine)
    columns = (TextColumn("Balayage"), BarColumn(), MofNCompleteColumn(), TextColumn("points"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("points", total=parsed.size)
        try:
            result = SW.sweep(engine, parsed, replicates=replicates, seed=seed, scheduler=scheduler, n_jobs=jobs,
                              timeout=timeout, levels=chosen, actor=access.os_actor(),
                              step=lambda text: console.print(f"{text}…"),
                              progress=lambda done, total: bar.update(task, completed=done))
        except SW.GridError as err:
            raise error(str(err), 2) from None
        except SW.SchedulerUnreachable as err:
            raise error(str(err), 1) from None
        except LookupError as err:
            raise error(str(err), 1) from None
    _print_summary(result)
    console.print(f"Enregistré : balayage n° {result.sweep_id} ({fmt_number(len(result.table))} lignes, table "
                  f"sweep_results) en {fmt_number(result.seconds, 1)} s sur {result.where}")
    if out is not None:
        try:
            SW.export_sweep(result, out)
        except ValueError as err:
            raise error(str(err), 2) from None
        except OSError as err:
            raise error(f"{out} : {err}", 1) from None
        console.print(f"Écrit : {out}")


def _print_summary(result: SW.SweepResult) -> None:
    """One line a point: its knobs, the last year's headcount (mean, P10-P90) and the retirements of the period."""
    t = result.table
    total = t[t["level"] == "total"]
    knobs = [c for c in t.columns if c not in SW.RESULT_COLUMNS]
    last = int(total["year"].max())
    table = Table("Point", *(knob_label(k) for k in knobs), f"Effectif {last} (P10-P90)",
                  f"Retraites {int(total['year'].min()) + 1}-{last}", title="Balayage — ensemble de l'employeur, "
                  f"{fmt_number(result.replicates)} tirages par point")
    for point, rows in total.groupby("point", sort=True):
        if point == SUMMARY_ROWS:
            table.add_row("…", *([""] * len(knobs)), f"{fmt_number(total['point'].nunique() - point)} autres points",
                          "")
            break
        head = rows[(rows["indicator"] == HEADCOUNT) & (rows["year"] == last)].iloc[0]
        ret = rows.loc[rows["indicator"] == RETIREMENTS, MEAN].sum()
        table.add_row(str(point), *(SW.knob_text(k, rows[k].iloc[0]) for k in knobs),
                      f"{fmt_number(head[MEAN])} [{fmt_number(head[P10])}-{fmt_number(head[P90])}]",
                      fmt_number(ret))
    console.print(table)
