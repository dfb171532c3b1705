"""Presentation helpers shared by the pages: small-cell suppression, tables, charts, messages; the French labels and
number formats come from :mod:`workforce.labels` (shared with the command line and the exports).

Nothing here reads the database or fits anything; :mod:`workforce.ui.data` does the (cached) reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from workforce import privacy
from workforce.labels import (  # noqa: F401 - re-exported: the pages write C.fmt_int, C.MOTIVE_LABELS...
    CATEGORIE_LABELS, DIMENSION_LABELS, EXTRACT_KIND_LABELS, FILIERE_LABELS, MOTIVE_LABELS, NBSP, REGIME_LABELS,
    SERVICE_CATEGORY_LABELS, SEX_LABELS, STATUT_LABELS, as_number, fmt_euros, fmt_float, fmt_int, fmt_pct,
    french_numbers, label,
)

MIN_CELL = privacy.MIN_CELL

# ---------------------------------------------------------------------------------------------- labels, formats
# defined once in workforce.labels (shared with the command line and the exports), re-exported for the pages

NOT_AVAILABLE = "Ce module n'est pas encore disponible"
NO_MODEL = ("Aucun modèle entraîné n'est enregistré. L'application n'entraîne jamais de modèle à l'ouverture "
            "d'une page : lancez `workforce train` (ou `make demo`), puis rechargez la page.")
NO_DATA = ("La base ne contient encore aucune extraction. Importez une extraction RH sur la page « Données et "
           "modèles », ou générez le département de démonstration avec `workforce synth` (ou `make demo`).")


# ---------------------------------------------------------------------------------------------- privacy

def publish(frame: pd.DataFrame, count_col: str | None, value_cols: Sequence[str] | None = None, *,
            margins: Sequence[Sequence[str]] = (privacy.WHOLE,), derived_cols: Sequence[str] = (), counts=None,
            exact: bool = False) -> pd.DataFrame:
    """Every table or chart of the app goes through here (:func:`workforce.privacy.protect`): groups of fewer than
    5 agents blanked, plus the complementary cells of each published total (``margins``: ``()`` the whole table,
    ``("year",)`` each year) and the derived figures (means, shares, quantiles) of the hidden rows; a boolean
    ``suppressed`` column says which."""
    return privacy.protect(frame, count_col, list(value_cols or []), margins=margins, derived_cols=derived_cols,
                           counts=counts, exact=exact)


def suppressed_note(frame: pd.DataFrame) -> None:
    """A caption saying how many cells were hidden, when any."""
    if "suppressed" in frame.columns:
        n = int(frame["suppressed"].sum())
        if n:
            st.caption(f"« — » : {n} case(s) masquée(s) : moins de {MIN_CELL} agents, ou masquée(s) pour qu'aucune "
                       "ne se déduise d'un total (secret statistique).")


def show_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, *, key: str | None = None,
               height: int | None = None, decimals: dict[str, int] | None = None) -> None:
    """A published frame as a French table: columns renamed, numbers in French, blanks as '—', the
    ``suppressed`` flag shown as a note."""
    shown = frame.drop(columns=["suppressed"], errors="ignore")
    if columns:
        shown = shown[[c for c in columns if c in shown.columns]]
    shown = french_numbers(shown, decimals)
    if columns:
        shown = shown.rename(columns=columns)
    kwargs = {"hide_index": True, "key": key}
    if height:
        kwargs["height"] = height
    st.dataframe(shown, **kwargs)
    suppressed_note(frame)


# ---------------------------------------------------------------------------------------------- messages

def unavailable(what: str, how: str | None = None) -> None:
    """The French message of a module of the library not yet available (never made-up figures)."""
    st.info(f"{NOT_AVAILABLE} : {what}." + (f" {how}" if how else ""), icon="🛠️")


def no_model(what: str = "") -> None:
    st.warning((f"{what} — " if what else "") + NO_MODEL, icon="🧮")


def no_data() -> None:
    st.warning(NO_DATA, icon="📂")


# ---------------------------------------------------------------------------------------------- filters

def apply_filters(frame: pd.DataFrame, filters: dict[str, Iterable]) -> pd.DataFrame:
    """Rows whose column values are in each non-empty selection."""
    mask = np.ones(len(frame), dtype=bool)
    for col, chosen in filters.items():
        chosen = list(chosen or [])
        if chosen and col in frame.columns:
            mask &= frame[col].isin(chosen).to_numpy()
    return frame[mask]


# ---------------------------------------------------------------------------------------------- charts

FRENCH_LOCALE = {
    "number": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]},
    "time": {"dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
             "periods": ["AM", "PM"],
             "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
             "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
             "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                        "octobre", "novembre", "décembre"],
             "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                             "nov.", "déc."]},
}


def show_chart(chart, *, key: str) -> None:
    """An Altair chart with French number and date formats (1 234,5 ; janv. 2025)."""
    st.altair_chart(chart.configure(locale=FRENCH_LOCALE).configure_axisX(labelAngle=0), key=key)


def bar_chart(frame: pd.DataFrame, category: str, value: str, *, title: str, category_title: str,
              value_title: str, sort: str = "-x", color: str = "#1f5fa8", height: int | None = None) -> alt.Chart:
    """Horizontal bars (one per group), published values only."""
    n = max(len(frame), 1)
    return (
        alt.Chart(frame, title=title)
        .mark_bar(color=color)
        .encode(
            x=alt.X(f"{value}:Q", title=value_title),
            y=alt.Y(f"{category}:N", title=category_title, sort=sort,
                    axis=alt.Axis(labelLimit=240, labelOverlap=False)),
            tooltip=[alt.Tooltip(f"{category}:N", title=category_title),
                     alt.Tooltip(f"{value}:Q", title=value_title, format=",.0f")],
        )
        .properties(height=height or min(24 * n + 40, 720))
    )


def band_chart(frame: pd.DataFrame, *, x: str, low: str, mid: str, high: str, title: str, x_title: str,
               y_title: str, color: str | None = None, color_title: str = "") -> alt.LayerChart:
    """A line with its P10-P90 band (one per ``color`` group when given)."""
    base = alt.Chart(frame, title=title)
    enc_color = alt.Color(f"{color}:N", title=color_title) if color else alt.value("#1f5fa8")
    band = base.mark_area(opacity=0.25).encode(
        x=alt.X(f"{x}:O", title=x_title), y=alt.Y(f"{low}:Q", title=y_title), y2=f"{high}:Q", color=enc_color)
    tooltip = [alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip(f"{mid}:Q", title="Valeur centrale", format=",.0f"),
               alt.Tooltip(f"{low}:Q", title="P10", format=",.0f"), alt.Tooltip(f"{high}:Q", title="P90", format=",.0f")]
    if color:
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=color_title))
    line = base.mark_line(point=True).encode(x=alt.X(f"{x}:O"), y=alt.Y(f"{mid}:Q"), color=enc_color, tooltip=tooltip)
    return band + line
