"""`workforce synth`: build the synthetic département into the configured database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from workforce.labels import fmt_int

console = Console()


def synth(
    agents: Annotated[int, typer.Option("--agents", min=50, help="Effectif au début de l'historique.")] = 8000,
    years: Annotated[int, typer.Option("--years", min=1, max=40, help="Années d'historique mensuel.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Graine : même graine, mêmes données.")] = 42,
    end: Annotated[str, typer.Option("--end", help="Date de la dernière extraction (AAAA-MM-JJ).")] = "2025-12-31",
    fmt: Annotated[str, typer.Option("--format", help="base (défaut) : enregistrer en base ; dsn : écrire les 12 "
                                                      "dernières DSN mensuelles dans --out.")] = "base",
    out: Annotated[Optional[Path], typer.Option("--out", help="Dossier des DSN (avec --format dsn).")] = None,
) -> None:
    """Génère le département synthétique (extractions mensuelles, mouvements, compétences) et l'enregistre."""
    import pandas as pd

    from workforce import db, synth as synth_mod
    from workforce.config import get_settings

    try:
        pd_end = pd.Timestamp(end)
    except ValueError:
        raise typer.BadParameter(f"date de fin illisible : {end!r} (attendu AAAA-MM-JJ)", param_hint="--end")
    if fmt not in ("base", "dsn"):
        raise typer.BadParameter(f"format inconnu : {fmt!r} (base ou dsn)", param_hint="--format")
    if fmt == "dsn" and out is None:
        raise typer.BadParameter("--format dsn écrit des fichiers : donnez le dossier --out", param_hint="--out")
    params = synth_mod.SynthParams(n_agents=agents, years=years, seed=seed, end=str(pd_end.date()))
    t0 = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Simulation mensuelle", total=12 * years)
        sd = synth_mod.generate(params, progress=lambda done, total: progress.update(task, completed=done))
    t1 = time.perf_counter()
    if fmt == "dsn":
        from workforce.synth.dsn import write_dsn

        paths = write_dsn(sd, out)
        console.print(f"{len(paths)} DSN mensuelles écrites dans {out} ({paths[0].name} à {paths[-1].name}), avec la "
                      f"table des directions directions.csv (simulation {t1 - t0:.1f} s). Import : workforce import "
                      f"{out} --directions {out / 'directions.csv'}")
        return
    settings = get_settings()
    engine = db.make_engine()
    with console.status("Écriture en base"):
        counts = synth_mod.store(sd, engine, truth_dir=settings.home / "synth")
    t2 = time.perf_counter()
    n = {k: fmt_int(v) for k, v in counts.items()}
    console.print(
        f"Département synthétique : {n['extracts']} extractions, {n['agent_snapshots']} lignes d'agents, "
        f"{n['movements']} mouvements, {n['agent_skills']} compétences évaluées "
        f"(simulation {t1 - t0:.1f} s, écriture {t2 - t1:.1f} s)"
    )
    print_calibration(synth_mod.calibration_table(sd))


def print_calibration(cal) -> None:
    table = Table("Indicateur", "Cible", "Mesuré", "", title="Calage du département synthétique (dernière extraction)")
    for row in cal.itertuples():
        table.add_row(row.indicateur, f"{row.cible_min:g} – {row.cible_max:g}", f"{row.mesure:.1f}",
                      "[green]ok[/green]" if row.ok else "[red]hors cible[/red]")
    console.print(table)
