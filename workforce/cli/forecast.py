"""`workforce forecast retirements|aod|backtest`: retirement forecasts from the configured database.

`retirements` uses the registry's active models through :mod:`workforce.forecast.active`, the path the Départs à
la retraite page takes, so both give the same table (a rollback changes both; a refused artifact stops both).
`aod` is the law alone (no model). `backtest` alone refits, by design: it must fit on the past of each cutoff.
Exit codes: 0 ok, 1 failure (empty database, no active model, refused artifact, history too short), 2 bad input
(option values, output file type).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workforce import rules
from workforce.cli.common import error
from workforce.labels import GROUP_LABELS, REGIME_PHRASES, fmt_number

app = typer.Typer(
    help="Prévisions de départs à la retraite : par année, direction, métier, catégorie ou filière, avec bandes "
         "d'incertitude, et leur rétro-évaluation sur l'historique.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
console = Console()

OUT_TYPES = (".csv", ".xlsx")
BACKTEST_NOTE = ("Rétro-évaluation : modèles réajustés sur l'historique arrêté à chaque coupure (par construction) ; "
                 "les prévisions, elles, utilisent les modèles actifs du registre.")
SUPPRESSED = "< 5"

HorizonOpt = Annotated[int, typer.Option("--horizon", min=1, max=30, help="Nombre d'années prévues.")]
ByOpt = Annotated[str | None, typer.Option(
    "--by", help="Détail par direction, metier, categorie ou filiere (sans cette option : total seulement).")]
RegimeOpt = Annotated[str, typer.Option(
    "--regime", help="Variante de la loi pour la prévision : pre2023, reform2023 ou lfss2026 (par défaut).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Fichier de sortie .csv ou .xlsx.")]


# ---------------------------------------------------------------------------------------------- helpers

def _bad(message: str, param: str) -> NoReturn:
    raise typer.BadParameter(message, param_hint=param)


def _fail(message: str) -> NoReturn:
    raise error(message, 1)


def _check_common(by: str | None, regime: str, out: Path | None) -> None:
    from workforce.forecast.retirement import GROUP_BY

    if by is not None and by not in GROUP_BY:
        _bad(f"valeur inconnue « {by} » : choisir parmi {', '.join(GROUP_BY)}.", "--by")
    if regime not in rules.REGIMES:
        _bad(f"régime inconnu « {regime} » : choisir parmi {', '.join(rules.REGIMES)}.", "--regime")
    if out is not None and out.suffix.lower() not in OUT_TYPES:
        _bad(f"type de fichier non pris en charge « {out.name} » : utiliser .csv ou .xlsx.", "--out")


def _read(what):
    """``what(engine)`` on the configured database, or exit 1 with the remedy when it is unreadable or empty."""
    from sqlalchemy.exc import SQLAlchemyError

    from workforce import db
    from workforce.forecast import active

    engine = db.make_engine()
    try:
        db.init_db(engine)
        return engine, what(engine)
    except SQLAlchemyError as err:
        _fail(f"base de données illisible ({engine.url.render_as_string(hide_password=True)}) : "
              f"{err.__class__.__name__}. Vérifiez WORKFORCE_DB_URL, puis `workforce db init`.")
    except active.NoAgents as err:
        _fail(str(err))


def _history():
    """The history of the configured database (the backtest's input), or exit 1 when it is empty or unreadable."""
    from workforce.forecast import active
    from workforce.panel import load_history

    engine, history = _read(load_history)
    if history.empty or history.snapshots.empty:
        _fail(active.NO_DATA)
    return engine, history


def _models(engine):
    """The registry's active retirement and exits models, or exit 1 in one French line: none trained yet
    (run `workforce train`) or an artifact the registry refuses (altered, missing, other libraries)."""
    from workforce import registry
    from workforce.forecast import active

    try:
        models = active.load_models(engine)
    except active.NoActiveModel as err:
        _fail(str(err))
    except registry.ArtifactError as err:
        _fail(f"modèle refusé par le registre : {err}")
    used = ", ".join(f"{name} v{version}" + (f" (repli : {models.fallbacks[name]})" if name in models.fallbacks else "")
                     for name, version in models.versions.items())
    console.print(f"Modèles actifs du registre : {used}" + ("" if models.exits is not None else
                                                            " ; aucun modèle des autres départs"))
    return models


def _fmt(value, digits: int = 0) -> str:
    return fmt_number(value, digits, na=SUPPRESSED)  # NA: a group of fewer than 5 agents


def _mc_progress() -> Progress:
    return Progress(TextColumn("Monte Carlo"), BarColumn(), MofNCompleteColumn(), TextColumn("tirages"),
                    TimeElapsedColumn(), console=console, transient=True)


def _write(out: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """XLSX: one sheet per frame; CSV: the first frame (``,`` and decimal point). Through the export module,
    which neutralises formulas in the labels."""
    from workforce.export import write_csv, write_xlsx

    try:
        if out.suffix.lower() == ".csv":
            write_csv(next(iter(sheets.values())), out, sep=",", decimal=".", encoding="utf-8")
        else:
            write_xlsx(sheets, out)
    except OSError as err:
        _fail(f"écriture impossible de {out} : {err.strerror or err}.")
    console.print(f"Écrit : {out}")


def _protected(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Expected departures by year and group, the groups of fewer than 5 agents hidden with the complementary
    group of each year (the total by year is published too), quantiles blanked with them."""
    from workforce.privacy import protect

    margins = [("year",)] if key in frame.columns and frame[key].nunique() > 1 else []
    return protect(frame, "n_agents", ["expected"], margins=margins, derived_cols=["p10", "p50", "p90"])


def _published(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """French column names for files; groups of fewer than 5 agents suppressed (:func:`_protected`)."""
    out = _protected(frame, key)
    out["expected"] = out["expected"].round(2)
    return out.rename(columns={"year": "annee", key: key if key != "group" else "groupe", "n_agents": "effectif",
                               "expected": "departs_attendus", "suppressed": "secret_statistique"})


# ---------------------------------------------------------------------------------------------- retirements

@app.command("retirements", epilog="Exemple : workforce forecast retirements --horizon 10 --by direction "
                                   "--out departs.xlsx")
def retirements(
    horizon: HorizonOpt = 10,
    by: ByOpt = None,
    regime: RegimeOpt = rules.DEFAULT_REGIME,
    out: OutOpt = None,
    mc: Annotated[int, typer.Option("--mc", min=10, max=100_000,
                                    help="Tirages Monte Carlo pour les bandes P10-P90 (par défaut : ceux de "
                                         "l'application).")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Graine : même graine, mêmes bandes.")] = 42,
    postpone: Annotated[int, typer.Option("--postpone", min=0, max=120,
                                          help="Scénario : report des départs volontaires, en mois.")] = 0,
    aod_share: Annotated[float | None, typer.Option(
        "--aod-share", min=0.0, max=1.0,
        help="Scénario : part des agents partant l'année où ils atteignent l'âge d'ouverture des droits.")] = None,
) -> None:
    """Prévoit les départs à la retraite des agents présents dans la dernière extraction, année par année, avec
    la bande P10-P90 (Monte Carlo) et le nombre d'agents atteignant l'âge d'ouverture des droits (AOD).

    Modèles : ceux actifs dans le registre (`workforce train`, `workforce models rollback`), comme la page
    Départs à la retraite de l'application : mêmes options par défaut, même tableau."""
    from workforce.forecast import active, aod_counts, aod_schedule
    from workforce.privacy import protect

    _check_common(by, regime, out)
    engine, base = _read(active.latest_agents)
    models = _models(engine)
    t0 = time.perf_counter()
    fc = active.retirement_forecast(base, models, regime=regime, horizon=horizon, postpone_months=postpone,
                                    aod_share=aod_share)
    with _mc_progress() as progress:
        task = progress.add_task("mc", total=mc)
        outcomes = active.simulate(fc, n_rep=mc, seed=seed,
                                   progress=lambda done, total: progress.update(task, completed=done))
    total = active.retirement_summary(fc, None, outcomes=outcomes)
    grouped = active.retirement_summary(fc, by, outcomes=outcomes) if by else None
    schedule = aod_schedule(base, horizon=horizon, regime=regime)
    reach = protect(aod_counts(schedule), "count", margins=[])  # whole-employer counts: no margin
    reach_by_year = reach.dropna(subset=["year"]).set_index("year")["count"]

    last = pd.Timestamp(base["extract_date"].max())
    scen = []
    if postpone:
        scen.append(f"départs reportés de {postpone} mois")
    if aod_share is not None:
        learned = getattr(models.retirement, "aod_share_", None)
        scen.append(f"{aod_share:.0%} de départs l'année de l'AOD"
                    + (f" (appris : {learned:.0%})" if learned is not None else ""))
    console.print(f"Agents présents le {last:%d/%m/%Y} : {_fmt(len(base))} ; loi : {REGIME_PHRASES[regime]}" + (f" ; scénario : {', '.join(scen)}" if scen else ""))
    table = Table("Année", "Départs attendus", "P10", "P50", "P90", "Atteignent l'AOD",
                  title="Départs à la retraite prévus (agents présents à la dernière extraction)")
    for row in total.itertuples():
        table.add_row(str(row.year), _fmt(row.expected, 1), _fmt(row.p10), _fmt(row.p50), _fmt(row.p90),
                      _fmt(reach_by_year.get(row.year, 0)))  # NA (suppressed) prints "< 5"
    console.print(table)
    already = reach.loc[reach["year"].isna(), "count"]
    console.print(f"Agents ayant déjà atteint l'AOD : {_fmt(already.iloc[0] if len(already) else 0)}")
    if grouped is not None:
        pub = _protected(grouped, by)
        wide = pub.pivot(index=by, columns="year", values="expected")
        heads = pub.drop_duplicates(by).set_index(by)["n_agents"]
        gt = Table(GROUP_LABELS[by], "Effectif", *[str(y) for y in wide.columns],
                   title=f"Départs attendus par {GROUP_LABELS[by].lower()} (groupes de moins de 5 agents masqués)")
        for key, values in wide.iterrows():
            gt.add_row(str(key), _fmt(heads.get(key)), *[_fmt(v, 1) for v in values])
        console.print(gt)
    console.print(f"Prévision et {mc} tirages en {time.perf_counter() - t0:.1f} s (graine {seed}).")
    if out is not None:
        sheets = {"departs": _published(grouped if grouped is not None else total, by or "group")}
        if grouped is not None:
            sheets["total"] = _published(total, "group")
        sheets["aod"] = reach.rename(columns={"year": "annee", "group": "groupe", "count": "agents",
                                              "suppressed": "secret_statistique"})
        _write(out, sheets)


# ---------------------------------------------------------------------------------------------- aod

@app.command("aod", epilog="Exemple : workforce forecast aod --by direction --horizon 5")
def aod(
    horizon: HorizonOpt = 10,
    by: ByOpt = None,
    regime: RegimeOpt = rules.DEFAULT_REGIME,
    out: OutOpt = None,
    nominatif: Annotated[bool, typer.Option(
        "--nominatif", help="Liste par agent (identifiant pseudonymisé, date d'AOD) : exige --out ; chaque export "
                            "est tracé dans le journal d'audit.")] = False,
) -> None:
    """Compte les agents atteignant l'âge d'ouverture des droits (AOD) chaque année : calcul réglementaire seul
    (date de naissance, catégorie de service, loi choisie), sans modèle. La liste par agent n'est produite
    qu'avec --nominatif, dans un fichier, et tracée dans le journal d'audit."""
    from workforce import db
    from workforce.forecast import active, aod_counts, aod_schedule
    from workforce.privacy import protect

    _check_common(by, regime, out)
    if nominatif and out is None:
        _bad("la liste nominative s'écrit seulement dans un fichier : ajoutez --out FICHIER.csv.", "--nominatif")
    engine, base = _read(active.latest_agents)
    schedule = aod_schedule(base, horizon=horizon, regime=regime)
    counts = aod_counts(schedule, by)
    key = by or "group"
    # by a group: each year's groups add up to the total of `workforce forecast aod` (and « déjà atteint »,
    # year NA, to its own total): complementary cells hidden so that no group follows by difference
    pub = protect(counts, "count", margins=[("year",)] if by else [])
    table = Table("Année", *([GROUP_LABELS[by]] if by else []), "Agents atteignant l'AOD",
                  title=f"Âge d'ouverture des droits, loi : {REGIME_PHRASES[regime]} ; agents présents le "
                        f"{pd.Timestamp(base['extract_date'].max()):%d/%m/%Y}")
    for row in pub.itertuples(index=False):
        year = "déjà atteint" if pd.isna(row.year) else str(row.year)
        table.add_row(year, *([str(getattr(row, key))] if by else []), _fmt(row.count))
    console.print(table)
    if out is None:
        return
    if nominatif:
        listing = schedule[schedule["year"].notna() | schedule["already_reached"]].copy()
        listing["aod_date"] = pd.to_datetime(listing["aod_date"]).dt.date
        with db.session_scope(engine) as session:
            db.audit(session, "forecast.aod_nominatif",
                     {"rows": int(len(listing)), "regime": regime, "horizon": horizon, "file": str(out)})
        _write(out, {"aod_nominatif": listing.rename(columns={"year": "annee", "already_reached": "deja_atteint"})})
        console.print("Export nominatif tracé dans le journal d'audit.")
    else:
        _write(out, {"aod": pub.rename(columns={"year": "annee", "group": "groupe", "count": "agents",
                                                "suppressed": "secret_statistique"})})


# ---------------------------------------------------------------------------------------------- backtest

@app.command("backtest", epilog="Exemple : workforce forecast backtest --cutoff 2022 --out retro.csv")
def backtest(
    cutoff: Annotated[list[int] | None, typer.Option(
        "--cutoff", help="Année de coupure T (répétable) : ajustement jusqu'à T, prévision de T+1 à T+3. Par défaut : "
                         "toutes les années possibles.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=10, help="Années prévues après la coupure.")] = 3,
    by: Annotated[str, typer.Option("--by", help="Détail : direction, metier, categorie ou filiere.")] = "direction",
    out: OutOpt = None,
    mc: Annotated[int, typer.Option("--mc", min=10, max=100_000, help="Tirages Monte Carlo.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Graine des tirages.")] = 42,
) -> None:
    """Rétro-évaluation : ajuste les modèles sur l'historique arrêté à chaque coupure, prévoit les années
    suivantes et compare aux départs observés (erreurs, couverture de la bande P10-P90).

    Seule commande qui réajuste des modèles, par construction : elle doit les ajuster sur le passé de chaque
    coupure (modèle de retraite et taux de sortie par statut). Les prévisions (`workforce forecast
    retirements`, `workforce project`, l'application) utilisent les modèles actifs du registre."""
    from workforce import evaluation as ev
    from workforce.panel import HISTORY_REGIME
    from workforce.privacy import protect

    _check_common(by, HISTORY_REGIME, out)
    _, history = _history()
    cutoffs = list(cutoff) if cutoff else ev.default_cutoffs(history)
    if not cutoffs:
        _fail("historique trop court pour une rétro-évaluation : il faut au moins trois années complètes.")
    possible = ev.default_cutoffs(history, min_train_years=1)
    for c in cutoffs:
        if c not in possible:
            _bad(f"coupure {c} impossible : il faut une année complète observée jusqu'à {c} et l'année {c + 1} "
                 f"complète. Coupures possibles : {', '.join(map(str, possible)) or 'aucune'}.", "--cutoff")
    t0 = time.perf_counter()
    with console.status("Rétro-évaluation") as status:
        bt = ev.backtest(history, cutoffs, horizon=horizon, by=(by,), n_rep=mc, rng=np.random.default_rng(seed),
                         progress=lambda msg: status.update(f"Rétro-évaluation : {msg}"))
    console.print(BACKTEST_NOTE)
    total = bt[bt["by"] == "total"]
    table = Table("Coupure", "Année", "Observés", "Prévus", "P10", "P90", "Écart", "Dans la bande",
                  title="Départs à la retraite : prévus contre observés (agents présents à la coupure)")
    for row in total.itertuples():
        rel = "" if pd.isna(row.rel_error) else f"{row.rel_error:+.1%}"
        table.add_row(str(row.cutoff), str(row.year), str(row.observed), _fmt(row.predicted, 1), _fmt(row.lower),
                      _fmt(row.upper), rel, "oui" if row.covered else "non")
    console.print(table)
    summary = ev.backtest_summary(bt)
    st = Table("Niveau", "Horizon", "Erreur absolue moyenne", "Erreur relative moyenne", "Couverture P10-P90",
               title="Synthèse")
    for row in summary.itertuples():
        st.add_row("total" if row.by == "total" else GROUP_LABELS[row.by].lower(), f"T+{row.horizon}",
                   _fmt(row.mean_abs_error, 1), f"{row.mean_abs_rel_error:.1%}", f"{row.coverage:.0%}")
    console.print(st)
    console.print(f"Couverture d'ensemble de la bande à 80 % : {bt['covered'].mean():.0%} "
                  f"({len(bt)} comparaisons, {time.perf_counter() - t0:.0f} s).")
    if out is not None:
        keys = tuple(c for c in ("cutoff", "horizon", "year", "by") if c in bt.columns)
        pub = protect(bt, "n_agents", ["observed", "predicted"], margins=[keys],
                      derived_cols=["lower", "upper", "abs_error", "rel_error", "covered"])
        _write(out, {"retro_evaluation": pub.rename(columns={
            "cutoff": "coupure", "year": "annee", "by": "niveau", "group": "groupe", "n_agents": "effectif",
            "observed": "observes", "predicted": "prevus", "lower": "p10", "upper": "p90", "covered": "dans_bande",
            "abs_error": "erreur_absolue", "rel_error": "erreur_relative", "suppressed": "secret_statistique"})})
