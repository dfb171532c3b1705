"""`workforce train`: batch retraining, for cron.

Exit codes: 0 ok (or nothing to do), 1 a model failed, 2 bad input (unknown model, no data), 75 another run
holds the lock (EX_TEMPFAIL: try again later).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 75  # EX_TEMPFAIL (sysexits.h)


def _sink(quiet: bool):
    def log(line: str, problem: bool) -> None:
        if problem:
            print(line, file=sys.stderr, flush=True)
        elif not quiet:
            print(line, flush=True)

    return log


def train(
    force: Annotated[bool, typer.Option(
        "--force", help="Réentraîne même si les données et le code n'ont pas changé depuis le dernier entraînement.")] = False,
    only: Annotated[str | None, typer.Option(
        "--only", metavar="MODÈLES",
        help="Modèles à entraîner, séparés par des virgules, parmi retirement, exits, mobility, demand "
             "(défaut : tous).")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, help="Processus parallèles (joblib) pour les ajustements Prophet de la demande.")] = 1,
    tolerance: Annotated[float | None, typer.Option(
        "--tolerance", min=0.0,
        help="Dégradation relative tolérée de la métrique de backtest avant de refuser une nouvelle version "
             "(0.05 = 5 %). Défaut : WORKFORCE_PROMOTION_TOLERANCE, sinon 0.05.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="N'affiche que les problèmes (pour cron : pas de courriel quand tout va bien).")] = False,
) -> None:
    """Réentraîne les modèles (départs en retraite, autres départs, mobilité, demande) à partir de la base.

    Une ligne clé=valeur par étape, avec sa durée. Une nouvelle version devient active si sa métrique de
    backtest n'est pas moins bonne que celle de la version active (à la tolérance près) ; la première
    version d'un modèle l'est toujours. Mêmes données et même code : rien à faire.

    Exemples : `workforce train --quiet` (cron) ; `workforce train --force --only retirement,exits` ;
    `workforce train --jobs 2`.

    Codes de sortie : 0 succès ou rien à faire ; 1 échec d'au moins un modèle ; 2 entrée invalide
    (modèle inconnu, aucune donnée) ; 75 un autre entraînement est en cours (réessayer plus tard).
    """
    from workforce import registry
    from workforce import train as train_mod

    log = _sink(quiet)
    names = [n.strip() for n in only.split(",")] if only else None
    try:
        report = train_mod.run(only=names, force=force, n_jobs=jobs, tolerance=tolerance, log=log)
    except registry.RegistryBusy as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BUSY)
    except train_mod.BadInput as err:
        raise typer.BadParameter(str(err), param_hint="--only" if "modèle" in str(err) else None)
    except (train_mod.NoData, registry.RegistryError) as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT)
    if report.failed:
        raise typer.Exit(EXIT_FAILURE)
    raise typer.Exit(EXIT_OK)
