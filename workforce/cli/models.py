"""`workforce models list|show|rollback|prune`: the model registry.

Exit codes: 0 ok, 1 failure (an artifact refused), 2 bad input (unknown model or version), 75 another
training or registry operation holds the lock.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from workforce.cli.train import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_FAILURE

app = typer.Typer(
    help="Registre des modèles : versions, métriques, retour arrière, nettoyage.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
if not console.is_terminal:  # cron mail, a pipe or a file: no 80-column wrapping of the table
    console.width = max(console.width, 160)


def _engine():
    from workforce import db

    engine = db.make_engine()
    db.init_db(engine)
    return engine


DECISIONS = {"promoted": "promue", "rejected": "refusée"}


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@app.command("list", epilog="Exemple : workforce models list --name retirement")
def list_command(
    name: Annotated[str | None, typer.Option("--name", help="Un seul modèle (retirement, exits, mobility, demand).")] = None,
) -> None:
    """Liste les versions enregistrées : active, décision de promotion, métrique de backtest, intégrité."""
    from workforce import registry

    engine = _engine()
    recs = registry.records(engine, name)
    if not recs:
        console.print("Aucun modèle enregistré" + (f" pour {name!r}" if name else "")
                      + " : lancez `workforce train`.")
        return
    from workforce.forecast.fallback import SHORT_LABELS

    table = Table("Modèle", "Version", "Active", "Décision", "Métrique", "Valeur", "Repli", "Entraîné le (UTC)",
                  "Durée (s)", "Données", "Intégrité", title="Modèles enregistrés")
    for r in recs:
        metric, value, direction = r.primary
        state = registry.integrity(r)
        fallback = r.fallback
        table.add_row(r.name, r.version, "oui" if r.active else "", DECISIONS.get(r.status, r.status or "–"),
                      f"{metric} ({direction})" if metric else "–", _fmt(value),
                      SHORT_LABELS.get(fallback.get("code"), fallback.get("code")) if fallback else "–",
                      r.trained_at.strftime("%Y-%m-%d %H:%M") if r.trained_at else "–", _fmt(r.training_seconds),
                      (r.data_hash or "")[:12], state if state == "ok" else f"[red]{state}[/red]")
    console.print(table)
    if any(r.fallback for r in recs):
        console.print("Repli : modèle plus simple utilisé faute d'historique suffisant ou parce que le modèle complet "
                      "perd contre lui au backtest ; `workforce models show MODÈLE` dit lequel et pourquoi.")
    stray = registry.unregistered(engine)
    if stray:
        console.print(f"[yellow]{len(stray)} dossier(s) inconnu(s) du registre sous {registry.models_dir()} "
                      f"(jamais chargés ; supprimés par `workforce models prune` ou le prochain entraînement)[/yellow]")


@app.command("show", epilog="Exemple : workforce models show retirement 3")
def show(
    name: Annotated[str, typer.Argument(help="Nom du modèle.")],
    version: Annotated[str | None, typer.Argument(help="Version (défaut : la version active).")] = None,
) -> None:
    """Affiche une version : repli éventuel (historique court), métriques, paramètres, bibliothèques, empreinte,
    et vérifie son artefact."""
    from workforce import registry
    from workforce import reliability
    from workforce.forecast.fallback import describe

    engine = _engine()
    try:
        r = registry.record(engine, name, version)
    except registry.VersionNotFound as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT)
    state = registry.integrity(r)
    console.print(f"[bold]{r.name} v{r.version}[/bold]{' (active)' if r.active else ''} — {DECISIONS.get(r.status, r.status or '–')} : "
                  f"{r.reason or ''}")
    console.print(f"  {describe(r.fallback)}", markup=False, highlight=False, soft_wrap=True)
    console.print("  fiabilité :")
    for sentence in reliability.sentences(r.name, r.metrics, r.fallback):
        console.print(f"    {sentence}", markup=False, highlight=False, soft_wrap=True)
    horizons = reliability.by_horizon(r.metrics, r.name)
    if horizons is not None:
        for h in horizons.itertuples(index=False):
            console.print(f"    {h[0]} : {h[1]} prévision(s), écart relatif moyen {h[2]}, dans la bande 80 % : {h[3]}",
                          markup=False, highlight=False)
    fields = {
        "artefact": str(registry.models_dir() / r.path), "format": r.format, "sha256": r.sha256,
        "intégrité": state, "entraîné le (UTC)": r.trained_at, "durée d'entraînement (s)": _fmt(r.training_seconds),
        "extraction": r.extract_id, "empreinte des données": r.data_hash, "version du code": r.code_version,
    }
    for key, value in fields.items():
        console.print(f"  {key} : {value}")
    console.print("  métriques de backtest :")
    for key, value in r.metrics.items():
        if key not in ("primary", "fallback", "backtest"):  # the backtest rows: summarised by horizon above
            console.print(f"    {key} = {_fmt(value)}")
    metric, value, direction = r.primary
    console.print(f"  métrique principale : {metric} = {_fmt(value)} ({'plus bas' if direction == 'min' else 'plus haut'} = mieux)"
                  + ("" if value is not None else " ; pas de backtest"))
    console.print(f"  paramètres : {json.dumps(r.params, ensure_ascii=False, sort_keys=True)}")
    diff = registry.library_mismatches(r.libraries)
    console.print(f"  bibliothèques : {json.dumps(r.libraries, sort_keys=True)}"
                  + (f" [red]≠ installées : {'; '.join(diff)}[/red]" if diff else " (identiques aux installées)"))
    if state != "ok":
        raise typer.Exit(EXIT_FAILURE)


@app.command("rollback", epilog="Exemple : workforce models rollback retirement 2")
def rollback(
    name: Annotated[str, typer.Argument(help="Nom du modèle.")],
    version: Annotated[str, typer.Argument(help="Version à rendre active.")],
) -> None:
    """Rend active une version antérieure (après vérification de son artefact) ; tracé dans le journal d'audit."""
    from workforce import registry

    engine = _engine()
    try:
        with registry.exclusive():
            rec = registry.rollback(engine, name, version)
    except registry.RegistryBusy as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BUSY)
    except registry.VersionNotFound as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT)
    except registry.ArtifactError as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_FAILURE)
    metric, value, _ = rec.primary
    console.print(f"{rec.name} v{rec.version} est maintenant la version active ({metric} = {_fmt(value)}).")


@app.command("prune", epilog="Exemple : workforce models prune --keep 5")
def prune(
    keep: Annotated[int, typer.Option("--keep", min=1, help="Versions les plus récentes gardées par modèle "
                                                         "(la version active est toujours gardée).")] = 5,
    name: Annotated[str | None, typer.Option("--name", help="Un seul modèle.")] = None,
) -> None:
    """Supprime les anciennes versions (base et fichiers), en gardant les N plus récentes et l'active."""
    from workforce import registry

    engine = _engine()
    try:
        with registry.exclusive():
            stray = len(registry.unregistered(engine))
            removed = registry.prune(engine, keep, name=name)
    except registry.RegistryBusy as err:
        print(f"erreur : {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BUSY)
    if not removed and not stray:
        console.print("Rien à supprimer.")
        return
    for r in removed:
        console.print(f"supprimé : {r.name} v{r.version}")
    if stray:
        console.print(f"{stray} dossier(s) inconnu(s) du registre supprimé(s).")
