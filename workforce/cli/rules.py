"""`workforce rules`: the retirement ages and quarters of one birth date, as the law tables give them.

Registered in the main app by ``app.command("rules")(rules)``; exit code 2 on a bad date, category or regime, and
on a birth date no agent in post at the reference date can have (:mod:`workforce.rules.plausibility`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, NoReturn, Optional

import numpy as np
import typer

from workforce import rules as law
from workforce.cli.common import error
from workforce.labels import REGIME_PHRASES
from workforce.rules.plausibility import ImplausibleBirthDate, check_birth_dates

CATEGORY_LABELS = {"sedentaire": "sédentaire", "active": "active", "insalubre": "insalubre"}
EXAMPLE = "workforce rules --birth 1965-02-10 --category sedentaire --regime lfss2026"


def format_age(months: int) -> str:
    """An age in months as French text: 753 -> "62 ans 9 mois", 744 -> "62 ans"."""
    years, rest = divmod(int(months), 12)
    return f"{years} ans" + (f" {rest} mois" if rest else "")


def _fail(message: str) -> NoReturn:
    raise error(message, 2)


def _date_fr(day: np.datetime64) -> str:
    return day.astype(dt.date).strftime("%d/%m/%Y")


def _parse_day(text: str, what: str, example: str) -> dt.date:
    """A strict AAAA-MM-JJ date, or exit 2 naming the option at fault."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"{what} illisible « {text} » : format attendu AAAA-MM-JJ, par exemple {example}.")


def rules(
    birth: Annotated[
        str, typer.Option("--birth", help="Date de naissance, au format AAAA-MM-JJ (par exemple 1965-02-10).")
    ],
    category: Annotated[
        str, typer.Option("--category", help="Catégorie de service : sedentaire, active ou insalubre.")
    ] = law.DEFAULT_CATEGORY,
    regime: Annotated[
        str,
        typer.Option("--regime", help="Variante de la loi : pre2023, reform2023 ou lfss2026 (par défaut)."),
    ] = law.DEFAULT_REGIME,
    at: Annotated[
        Optional[str],
        typer.Option(
            "--at",
            help="Date de référence (AAAA-MM-JJ) à laquelle l'agent est en poste ; par défaut aujourd'hui. "
            "Pour un agent parti depuis longtemps, donnez une date où il était en poste.",
        ),
    ] = None,
) -> None:
    """Affiche l'âge d'ouverture des droits, la limite d'âge, l'âge d'annulation de la décote et les
    trimestres requis pour une date de naissance, selon les tables de loi de workforce.rules.

    Exemple : workforce rules --birth 1965-02-10 --category sedentaire --regime lfss2026
    """
    born = _parse_day(birth, "date de naissance", "1965-02-10")
    reference = dt.date.today() if at is None else _parse_day(at, "date de référence", "2026-01-01")
    if regime not in law.REGIMES:
        _fail(f"régime inconnu « {regime} » : valeurs possibles {', '.join(law.REGIMES)}.")
    try:
        code = int(law.category_codes(category, 1)[0])
    except ValueError:
        _fail(f"catégorie inconnue « {category} » : valeurs possibles {', '.join(law.CATEGORIES)}.")
    cat = law.CATEGORIES[code]
    births = np.array([born], dtype="datetime64[D]")
    try:
        check_birth_dates(births, reference, cat, regime)
    except ImplausibleBirthDate as err:
        _fail(str(err))

    typer.echo(
        f"Né(e) le {born:%d/%m/%Y}, catégorie {CATEGORY_LABELS[cat]}, régime : {REGIME_PHRASES[regime]}"
    )
    used: list[law.Bracket] = []
    for quantity, label, months_fn, date_fn in (
        ("aod", "Âge d'ouverture des droits (AOD)", law.legal_age_months, law.legal_age_date),
        ("age_limit", "Limite d'âge", law.age_limit_months, law.age_limit_date),
        ("full_rate_age", "Âge d'annulation de la décote", law.full_rate_age_months, law.full_rate_age_date),
    ):
        months = int(months_fn(births, cat, regime)[0])
        day = date_fn(births, cat, regime)[0]
        typer.echo(f"{label} : {format_age(months)}, atteint le {_date_fr(day)}")
        used.append(law.bracket_for(quantity, births, cat, regime))
    quarters = int(law.required_quarters(births, cat, regime)[0])
    typer.echo(f"Trimestres requis pour le taux plein : {quarters}")
    used.append(law.bracket_for("quarters", births, cat, regime))

    typer.echo("Références :")
    for ref, href in dict.fromkeys((b.ref, b.href) for b in used):
        typer.echo(f"  - {ref} ({href})")
    assumptions = list(dict.fromkeys(b.assumption for b in used if b.assumption))
    if assumptions:
        typer.echo("Hypothèses (chiffres non vérifiés dans les textes) :")
        for text in assumptions:
            typer.echo(f"  - {text}")
