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
            exact: bool = False, primary=None) -> pd.DataFrame:
    """Every table or chart of the app goes through here (:func:`workforce.privacy.protect`): groups of fewer than
    5 agents blanked, plus the complementary cells of each published total (``margins``: ``()`` the whole table,
    ``("year",)`` each year) and the derived figures (means, shares, quantiles) of the hidden rows; a boolean
    ``suppressed`` column says which; ``primary`` rows are hidden besides the small ones (the cells a neighbouring
    view would give away, :func:`workforce.ui.data.exposed_cells`)."""
    return privacy.protect(frame, count_col, list(value_cols or []), margins=margins, derived_cols=derived_cols,
                           counts=counts, exact=exact, primary=primary)


def french_uploader(types: Sequence[str]) -> None:
    """Streamlit's upload widget says "Drag and drop", "Upload" and "200MB per file" in English with no option to
    change it: a style rule hides those words and writes the French ones in their place (the widget's own
    behaviour is unchanged)."""
    size = int(st.get_option("server.maxUploadSize"))
    limit = f"{size} Mo par fichier • {', '.join(t.upper() for t in types)}"
    st.html(f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "{limit}"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "Choisir un fichier"; font-size: 0.875rem; }}
</style>""")


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


def trend_chart(frame: pd.DataFrame, *, x: str, mid: str, y_title: str, x_title: str = "Année",
                low: str | None = None, high: str | None = None, title: str = "", color: str | None = None,
                color_title: str = "", zero: bool = True, decimals: int = 0, height: int = 320) -> alt.LayerChart:
    """A line by year, with its P10-P90 band as a shaded area on the same scale when ``low``/``high`` are given
    (one line per ``color`` group). The axis starts at 0 unless ``zero`` is False (the "zoom" a page offers):
    a -1.7 % drift over ten years must not look like a collapse. Years are shown as years (2027, not 2 027)."""
    data = frame.assign(**{x: frame[x].astype(int).astype(str)}) if pd.api.types.is_numeric_dtype(frame[x]) \
        else frame
    base = alt.Chart(data, title=title)
    enc_color = alt.Color(f"{color}:N", title=color_title, legend=alt.Legend(orient="bottom", labelLimit=400)) \
        if color else alt.value("#1f5fa8")
    scale = alt.Scale(zero=zero)
    fmt = f",.{decimals}f"
    tooltip = [alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip(f"{mid}:Q", title=y_title, format=fmt)]
    if low and high:
        tooltip += [alt.Tooltip(f"{low}:Q", title="P10", format=fmt), alt.Tooltip(f"{high}:Q", title="P90", format=fmt)]
    if color:
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=color_title))
    line = base.mark_line(point=True).encode(
        x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{mid}:Q", title=y_title, scale=scale), color=enc_color, tooltip=tooltip)
    layers = [line]
    if low and high:
        layers.insert(0, base.mark_area(opacity=0.25).encode(
            x=alt.X(f"{x}:O"), y=alt.Y(f"{low}:Q", scale=scale), y2=f"{high}:Q", color=enc_color))
    return alt.layer(*layers).properties(height=height)


def band_chart(frame: pd.DataFrame, *, x: str, low: str, mid: str, high: str, title: str, x_title: str,
               y_title: str, color: str | None = None, color_title: str = "", zero: bool = True) -> alt.LayerChart:
    """A line with its P10-P90 band (one per ``color`` group when given): :func:`trend_chart`."""
    return trend_chart(frame, x=x, mid=mid, low=low, high=high, title=title, x_title=x_title, y_title=y_title,
                       color=color, color_title=color_title, zero=zero)
