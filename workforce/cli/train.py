"""`workforce train`: batch retraining, for cron.

Exit codes: 0 ok (or nothing to do), 1 a model failed, 2 bad input (unknown model, no data), 75 another run
holds the lock (EX_TEMPFAIL: try again later).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 75  # EX_TEMPFAIL (sysexits.h)


LOG_NAME = "logs/train.log"
"""Every run appends its key=value lines here (under WORKFORCE_HOME), and with --quiet also what the libraries
print (Prophet, cmdstanpy, joblib workers), so cron mails only the problems."""


def _stream(stream, fd: int, saved: int | None):
    """Where the problems go: the terminal the run started with, even while fds 1 and 2 point at the log."""
    try:
        if saved is not None and stream.fileno() == fd:
            return os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
    except (AttributeError, OSError, ValueError):  # a test runner's in-memory stream
        pass
    return stream


@contextmanager
def _quiet_output(log_path: Path, quiet: bool):
    """With --quiet, point file descriptors 1 and 2 (this process and the workers it starts) at the log file
    for the duration of the run; yields the (stdout, stderr) streams of the terminal."""
    if not quiet:
        yield sys.stdout, sys.stderr
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    out, err = _stream(sys.stdout, 1, saved[0]), _stream(sys.stderr, 2, saved[1])
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield out, err
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in {out, err} - {sys.stdout, sys.stderr}:
            f.close()
        for d in (*saved, fd):
            os.close(d)


STEP_LABELS = {"retirement": "départs à la retraite", "exits": "autres départs", "mobility": "mobilité interne",
               "hires": "profil des recrutements", "indices": "progression des indices",
               "demand": "besoins par métier (plusieurs minutes : un modèle de série par métier)"}


def _sink(quiet: bool, out, err, log_file):
    """Every line to the log file; the problems to the terminal, the rest too unless quiet. On a terminal, a step
    that starts prints « Étape i/n : ... » in French with the time since the run began, so a long fit (the
    demand) does not look stuck."""
    t0 = time.perf_counter()
    interactive = not quiet and getattr(out, "isatty", lambda: False)()

    def log(line: str, problem: bool) -> None:
        log_file.write(f"time={dt.datetime.now().isoformat(timespec='seconds')} {line}\n")
        log_file.flush()
        if problem:
            print(line, file=err, flush=True)
        elif " status=started " in f" {line} ":  # on a terminal only: a pipe or cron keeps one line a step
            if interactive:
                fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
                print(f"[{time.perf_counter() - t0:5.0f} s] Étape {fields.get('position', '')} : "
                      f"{STEP_LABELS.get(fields.get('step'), fields.get('step'))}…", file=out, flush=True)
        elif not quiet:
            print(line, file=out, flush=True)

    return log


def _store_prepared(log) -> None:
    """After every run (new models or none): the projection's inputs and preparations, the retirement forecasts
    and the demand tables stored for the app (:mod:`workforce.projection.stored`), so that no page open computes
    them. Not fatal: without them the app computes on demand."""
    from workforce import db
    from workforce.config import get_settings
    from workforce.projection import stored
    from workforce.train import kv

    engine = db.make_engine(get_settings().db_url)
    try:
        key, seconds = stored.ensure(engine)
        log(kv(step="prepared", status="ok" if key else "no_data", key=key[:12] or None, seconds=seconds), False)
    except Exception as err:  # noqa: BLE001 - the models are trained; the app computes what is missing
        log(kv(step="prepared", status="failed", error=f"{type(err).__name__}: {err}"), True)
    finally:
        engine.dispose()


def train(
    force: Annotated[bool, typer.Option(
        "--force", help="Réentraîne même si les données et le code n'ont pas changé depuis le dernier entraînement.")] = False,
    only: Annotated[str | None, typer.Option(
        "--only", metavar="MODÈLES",
        help="Modèles à entraîner, séparés par des virgules, parmi retirement, exits, mobility, demand "
             "(défaut : tous).")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, help="Processus parallèles (joblib) : au-delà de 1, la demande s'ajuste en parallèle des autres modèles.")] = 1,
    tolerance: Annotated[float | None, typer.Option(
        "--tolerance", min=0.0,
        help="Dégradation relative tolérée de la métrique de backtest avant de refuser une nouvelle version "
             "(0.05 = 5 %). Défaut : WORKFORCE_PROMOTION_TOLERANCE, sinon 0.05.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="N'affiche que les problèmes (pour cron : pas de courriel quand tout va bien).")] = False,
) -> None:
    """Réentraîne les modèles (départs en retraite, autres départs, mobilité, demande) à partir de la base.

    Une ligne clé=valeur par étape, avec sa durée (aussi ajoutée à $WORKFORCE_HOME/logs/train.log). Une nouvelle version devient active si sa métrique de backtest n'est pas moins bonne que celle de la version active, à la tolérance près ; la première version d'un modèle l'est toujours. Mêmes données et même code : rien à faire.

    Dès la première extraction, chaque modèle a une version active : quand l'historique est trop court (ou annuel) pour ajuster ou backtester le modèle complet, ou quand celui-ci perd contre sa référence, un repli documenté le remplace (champ fallback= du journal ; `workforce models show MODÈLE` dit lequel et pourquoi).

    Exemples : workforce train --quiet (cron) ; workforce train --force --only retirement,exits ; workforce train --jobs 2

    Codes de sortie : 0 succès ou rien à faire ; 1 échec d'au moins un modèle ; 2 entrée invalide (modèle inconnu, aucune donnée) ; 75 un autre entraînement est en cours (réessayer plus tard).
    """
    from workforce import registry
    from workforce import train as train_mod

    from workforce.config import get_settings

    names = [n.strip() for n in only.split(",")] if only else None
    log_path = get_settings().home / LOG_NAME
    log_path.parent.mkdir(parents=True, exist_ok=True)
    code, bad = None, None
    with open(log_path, "a", encoding="utf-8") as log_file, _quiet_output(log_path, quiet) as (out, err):
        log = _sink(quiet, out, err, log_file)
        try:
            report = train_mod.run(only=names, force=force, n_jobs=jobs, tolerance=tolerance, log=log)
            _store_prepared(log)
        except registry.RegistryBusy as e:
            print(f"erreur : {e}", file=err, flush=True)
            code = EXIT_BUSY
        except train_mod.BadInput as e:
            bad = e
            code = EXIT_BAD_INPUT
        except (train_mod.NoData, registry.RegistryError) as e:
            print(f"erreur : {e}", file=err, flush=True)
            code = EXIT_BAD_INPUT
    if bad is not None:
        raise typer.BadParameter(str(bad), param_hint="--only" if "modèle" in str(bad) else None)
    if code is not None:
        raise typer.Exit(code)
    if report.failed:
        raise typer.Exit(EXIT_FAILURE)
    raise typer.Exit(EXIT_OK)
