"""The « note de synthèse » of a scenario: a PDF of a few pages a planner hands to élus or a comité social
territorial, written by `workforce report --scenario NOM --out note.pdf` and by the Scénarios page's button
through one function, :func:`build_note`, so both give the same figures.

Why here and not in the page: the note must read the same numbers as the app and the files. Every figure comes
from the library: the projection through :func:`workforce.projection.inputs.project_scenario` (Monte Carlo, for
the P10–P90 bands), the reference (the default hypotheses, ``Scenario()``) through the same function, the
hypotheses in French from :func:`workforce.scenario.describe`, the largest skill gaps from the skills analysis
published at the collectivité level by :func:`workforce.export_skills.gaps_table` (statistical secrecy
applied), the reliability of each active model from :mod:`workforce.reliability`, the provenance from
:func:`workforce.export_projection.provenance_table`. Only whole-employer totals are printed besides.

Rendering: fpdf2 (pure Python) with the DejaVu fonts matplotlib ships (accents, « € », narrow no-break spaces);
charts drawn by matplotlib's Agg backend into PNG, without a browser.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from workforce import registry, reliability
from workforce.export_projection import provenance_table
from workforce.labels import fmt_euros, fmt_float, fmt_int, fmt_pct
from workforce.projection import inputs as PI
from workforce.projection.names import MC_INDICATORS
from workforce.scenario import REFERENCE_NAME, Scenario, describe

__all__ = ["Note", "build_note", "key_figures", "yearly_table", "top_gaps", "STEPS", "TOP_GAPS", "MC_REPLICATES"]

MC_REPLICATES = 200
TOP_GAPS = 10
STEPS = ("Lecture des données et des modèles", "Projection du scénario (Monte Carlo)", "Projection de la référence",
         "Analyse des compétences", "Graphiques et mise en page")
"""What :func:`build_note` reports to its ``progress`` callback, in order."""
BLUE, GREY = "#1f5fa8", "#7f8c8d"
SCENARIO = "Scénario"


@dataclass(frozen=True)
class Note:
    """A built note: its name, the tables it prints (for the tests and the command line) and the PDF."""

    name: str
    figures: pd.DataFrame  # Indicateur, Scénario, Référence, Écart
    yearly: pd.DataFrame  # Année, headcount and retirements of the scenario (with P10/P90) and of the reference
    gaps: pd.DataFrame  # the largest published skill gaps at the horizon
    pdf: bytes


# ---------------------------------------------------------------------------------------------- figures

def _cumulated_band(result, indicator: str) -> tuple[float, float] | None:
    """P10 and P90 of an indicator summed over the projected years, from the Monte Carlo replicates (the sum of
    yearly P10s is not the P10 of the sum)."""
    if result.bands is None or indicator not in MC_INDICATORS:
        return None
    reps = result.replicates("total")[:, 1:, list(MC_INDICATORS).index(indicator), 0].sum(axis=1)
    return float(np.percentile(reps, 10)), float(np.percentile(reps, 90))


def _band(result, indicator: str, year_index: int) -> tuple[float, float] | None:
    if result.bands is None:
        return None
    s = result.summary("total", [indicator])
    return float(s["p10"].iloc[year_index]), float(s["p90"].iloc[year_index])


def key_figures(result, reference) -> pd.DataFrame:
    """The key figures of the scenario beside the reference's (expected values; P10–P90 in brackets when the
    scenario was simulated): ``Indicateur``, ``Scénario``, ``Référence``, ``Écart``."""
    first, last = int(result.years[1]), int(result.years[-1])

    def figures(r):
        flows = slice(1, None)
        return {"start": r.total("headcount")[0], "end": r.total("headcount")[-1],
                "retirements": r.total("retirements")[flows].sum(), "exits": r.total("exits")[flows].sum(),
                "hires": r.total("hires")[flows].sum(), "vacancies": r.total("vacancies")[-1],
                "payroll": r.total("payroll")[-1]}

    mine, ref = figures(result), figures(reference)
    rows = [("start", f"Effectif au départ ({int(result.years[0])})", fmt_int),
            ("end", f"Effectif fin {last}", fmt_int),
            ("retirements", f"Départs à la retraite {first}–{last}", fmt_int),
            ("exits", f"Autres départs {first}–{last}", fmt_int),
            ("hires", f"Recrutements {first}–{last}", fmt_int),
            ("vacancies", f"Postes vacants fin {last} (ETP)", lambda v: fmt_float(v, 1)),
            ("payroll", f"Masse salariale {last}", fmt_euros)]
    bands = {"end": _band(result, "headcount", -1), "retirements": _cumulated_band(result, "retirements"),
             "exits": _cumulated_band(result, "exits"), "hires": _cumulated_band(result, "hires")}
    out = []
    for key, label, fmt in rows:
        text = fmt(mine[key])
        if bands.get(key):
            lo, hi = bands[key]
            text += f" ({fmt(lo)} à {fmt(hi)})"
        diff = mine[key] - ref[key]
        sign = "+" if diff > 0 else ""
        delta = (sign + (fmt_euros(diff) if key == "payroll" else fmt_float(diff, 1) if key == "vacancies"
                         else fmt_int(diff)))
        out.append({"Indicateur": label, SCENARIO: text, REFERENCE_NAME: fmt(ref[key]), "Écart": delta})
    return pd.DataFrame(out)


def yearly_table(result, reference) -> pd.DataFrame:
    """By year: headcount and retirements of the scenario (expected, P10, P90 when simulated) and of the
    reference; the base year's retirements are empty (flows start with the first projected year)."""
    out = pd.DataFrame({"Année": result.years.astype(int), "Effectif": result.total("headcount"),
                        "Effectif (référence)": reference.total("headcount")[:len(result.years)],
                        "Retraites": result.total("retirements"),
                        "Retraites (référence)": reference.total("retirements")[:len(result.years)]})
    if result.bands is not None:
        s = result.summary("total", ["headcount", "retirements"]).pivot_table(index="year", columns="indicator",
                                                                              values=["p10", "p90"])
        for ind, label in (("headcount", "Effectif"), ("retirements", "Retraites")):
            out[f"{label} P10"] = s[("p10", ind)].to_numpy()
            out[f"{label} P90"] = s[("p90", ind)].to_numpy()
    flows = [c for c in out.columns if c.startswith("Retraites")]
    out.loc[0, flows] = np.nan
    return out


def top_gaps(analysis, year: int, n: int = TOP_GAPS) -> pd.DataFrame:
    """The ``n`` largest published shortages of ``year`` for the whole collectivité (the Compétences page's list
    at that level, :func:`workforce.export_skills.gaps_table`, secrecy applied): ``Compétence``, ``Besoin (ETP)``,
    ``Manque (ETP)``, ``Première année de manque``, ``Action suggérée``."""
    from workforce import export_skills as XS

    table = XS.gaps_table(analysis, XS.GapFilters(year=year, level="collectivite"))
    short = pd.to_numeric(table["Manque (ETP)"], errors="coerce")
    table = table.assign(_short=short)[short > 0].nlargest(n, "_short")
    return table[["Compétence", "Besoin (ETP)", "Manque (ETP)", "Première année de manque",
                  "Action suggérée"]].reset_index(drop=True)


def _reliability(engine) -> list[tuple[str, list[str]]]:
    """Per active model, its French label and the sentences of its backtest."""
    out = []
    for r in registry.records(engine):
        if r.active:
            out.append((f"{reliability.MODEL_LABELS.get(r.name, r.name)} (version {r.version})",
                        reliability.sentences(r.name, r.metrics, r.fallback)))
    return out


# ---------------------------------------------------------------------------------------------- charts

def _chart(yearly: pd.DataFrame, column: str, title: str, *, flows: bool) -> bytes:
    """A line with its P10–P90 band as a shaded area and the reference dashed, on an axis from 0, as PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    data = yearly.iloc[1:] if flows else yearly
    fig = Figure(figsize=(7.2, 3.0), dpi=150)
    ax = fig.add_subplot()
    x = data["Année"].to_numpy()
    if f"{column} P10" in data.columns:
        ax.fill_between(x, data[f"{column} P10"], data[f"{column} P90"], color=BLUE, alpha=0.2, linewidth=0,
                        label="Bande P10–P90")
    ax.plot(x, data[column], color=BLUE, marker="o", markersize=3, label="Scénario")
    ax.plot(x, data[f"{column} (référence)"], color=GREY, linestyle="--", label=REFERENCE_NAME)
    ax.set_ylim(bottom=0, top=max(float(np.nanmax(data.drop(columns="Année").to_numpy(float))) * 1.1, 1.0))
    ax.set_title(title, fontsize=10, loc="left")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_int(v)))
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- layout

def _font_paths() -> tuple[Path, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


class _Pdf:
    """The note's few layout rules over fpdf2: headings, paragraphs, tables, images."""

    def __init__(self, title: str, footer: str):
        from fpdf import FPDF

        class Doc(FPDF):
            def footer(self):
                self.set_y(-12)
                self.set_font("DejaVu", size=7)
                self.set_text_color(120)
                self.cell(0, 6, f"{footer} — page {self.page_no()}/{{nb}}", align="C")
                self.set_text_color(0)

        self.doc = Doc(format="A4")
        regular, bold = _font_paths()
        self.doc.add_font("DejaVu", "", str(regular))
        self.doc.add_font("DejaVu", "B", str(bold))
        self.doc.set_margins(16, 14, 16)
        self.doc.set_auto_page_break(True, 16)
        self.doc.set_title(title)
        self.doc.set_creator("workforce")
        self.doc.add_page()

    def title(self, text: str, subtitle: str) -> None:
        self.doc.set_font("DejaVu", "B", 16)
        self.doc.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.doc.set_font("DejaVu", size=9)
        self.doc.set_text_color(90)
        self.doc.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
        self.doc.set_text_color(0)
        self.doc.ln(3)

    def heading(self, text: str) -> None:
        if self.doc.get_y() > 250:
            self.doc.add_page()
        self.doc.ln(2)
        self.doc.set_font("DejaVu", "B", 12)
        self.doc.set_text_color(31, 95, 168)
        self.doc.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.doc.set_text_color(0)
        self.doc.ln(1)

    def text(self, text: str, size: float = 9) -> None:
        self.doc.set_font("DejaVu", size=size)
        self.doc.multi_cell(0, 4.6, text, new_x="LMARGIN", new_y="NEXT")
        self.doc.ln(1)

    def bullets(self, items: list[str]) -> None:
        self.doc.set_font("DejaVu", size=8.5)
        for item in items:
            self.doc.multi_cell(0, 4.4, f"• {item}", new_x="LMARGIN", new_y="NEXT")
        self.doc.ln(1)

    def table(self, frame: pd.DataFrame, widths: tuple | None = None, bold_rows=None, size: float = 8) -> None:
        from fpdf.fonts import FontFace

        self.doc.set_font("DejaVu", size=size)
        bold_rows = set(() if bold_rows is None else bold_rows)
        head = FontFace(emphasis="BOLD", fill_color=(230, 236, 245))
        aligns = ["LEFT" if i == 0 or not _numeric(frame.iloc[:, i]) else "RIGHT" for i in range(frame.shape[1])]
        with self.doc.table(col_widths=widths, headings_style=head, line_height=4.6, text_align=aligns,
                            first_row_as_headings=True, borders_layout="HORIZONTAL_LINES") as table:
            table.row([str(c) for c in frame.columns])
            for i, values in enumerate(frame.itertuples(index=False)):
                style = FontFace(emphasis="BOLD") if i in bold_rows else None
                table.row(["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values],
                          style=style)
        self.doc.ln(2)

    def image(self, png: bytes, width: float = 178) -> None:
        if self.doc.get_y() > 200:
            self.doc.add_page()
        self.doc.image(io.BytesIO(png), w=width)
        self.doc.ln(1)

    def bytes(self) -> bytes:
        return bytes(self.doc.output())


def _numeric(column: pd.Series) -> bool:
    text = column.astype(str).str.replace("\u202f", "").str.replace(" ", "")
    return bool(text.str.match(r"^[-+]?[\d,.]+").all())


def _yearly_shown(yearly: pd.DataFrame) -> pd.DataFrame:
    """The yearly table in French numbers (whole agents), P10–P90 as a range."""
    out = pd.DataFrame({"Année": yearly["Année"].astype(str)})
    for col in ("Effectif", "Retraites"):
        values = yearly[col].map(lambda v: fmt_int(v, na=""))
        if f"{col} P10" in yearly.columns:
            band = [("" if pd.isna(lo) else f"{fmt_int(lo)}–{fmt_int(hi)}")
                    for lo, hi in zip(yearly[f"{col} P10"], yearly[f"{col} P90"])]
            out[col] = values
            out[f"{col} P10–P90"] = band
        else:
            out[col] = values
        out[f"{col} ({REFERENCE_NAME.lower()})"] = yearly[f"{col} (référence)"].map(lambda v: fmt_int(v, na=""))
    return out


def _render(name: str, result, figures: pd.DataFrame, yearly: pd.DataFrame,
            hypotheses: pd.DataFrame, gaps: pd.DataFrame | None, models: list, provenance: pd.DataFrame) -> bytes:
    first, last = int(result.years[1]), int(result.years[-1])
    extract = result.provenance.get("extract_date") or "—"
    produced = dt.datetime.now().strftime("%d/%m/%Y %H:%M")
    pdf = _Pdf(f"Note de synthèse — {name}", f"Note de synthèse « {name} » — produite le {produced}")
    pdf.title(f"Note de synthèse — scénario « {name} »",
              f"Projection des effectifs {first}–{last} à partir de l'extraction RH du {extract} ; "
              f"comparée à la référence (hypothèses par défaut). Produite le {produced}.")

    pdf.heading("1. Chiffres clés")
    mc = result.provenance.get("replicates") or 0
    pdf.text("Valeurs attendues du scénario" + (f" ; entre parenthèses, la fourchette P10–P90 de {fmt_int(mc)} "
                                                 "simulations (8 chances sur 10 d'y tomber)" if mc else "")
             + ". L'écart se lit par rapport à la référence.", size=8.5)
    pdf.table(figures, widths=(58, 52, 34, 26))

    pdf.heading("2. Hypothèses")
    differ = hypotheses[hypotheses["Diffère"] == "oui"]
    if differ.empty:
        pdf.text("Le scénario reprend toutes les hypothèses de la référence.", size=8.5)
    else:
        pdf.text(f"{len(differ)} hypothèse(s) diffère(nt) de la référence (en gras) ; les autres sont celles de la "
                 "référence.", size=8.5)
    shown = hypotheses.rename(columns={"Valeur": SCENARIO})[["Hypothèse", SCENARIO, REFERENCE_NAME]]
    pdf.table(shown, widths=(62, 54, 54), bold_rows=np.flatnonzero(hypotheses["Diffère"].to_numpy() == "oui"),
              size=7.5)

    pdf.doc.add_page()
    pdf.heading("3. Évolution de l'effectif")
    pdf.image(_chart(yearly, "Effectif", "Effectif au 31 décembre (agents)", flows=False))
    pdf.heading("4. Départs à la retraite")
    pdf.image(_chart(yearly, "Retraites", "Départs à la retraite dans l'année (agents)", flows=True))
    pdf.text("Trait plein : le scénario ; zone ombrée : 8 chances sur 10 (P10–P90) ; tirets : la référence. Les "
             "axes partent de zéro.", size=8)

    pdf.heading("5. Comparaison avec la référence, année par année")
    pdf.table(_yearly_shown(yearly), size=7.5)

    pdf.heading(f"6. Compétences les plus en manque en {last}")
    if gaps is None:
        pdf.text("L'analyse des compétences n'a pas pu être faite (référentiel des compétences absent).", size=8.5)
    elif gaps.empty:
        pdf.text("Aucun manque de compétence publié à cet horizon pour l'ensemble de la collectivité.", size=8.5)
    else:
        pdf.text("Besoin non couvert en équivalents temps plein, toutes directions confondues (les compétences "
                 "reposant sur moins de 5 agents sont masquées).", size=8.5)
        shown = gaps.assign(**{c: gaps[c].map(lambda v: fmt_float(v, 1)) for c in ("Besoin (ETP)", "Manque (ETP)")},
                            **{"Première année de manque": gaps["Première année de manque"].map(
                                lambda v: "" if v is None or pd.isna(v) else str(int(v)))})
        pdf.table(shown.fillna(""), widths=(70, 24, 24, 28, 32), size=7.5)

    pdf.heading("7. Fiabilité des prévisions")
    if not models:
        pdf.text("Aucun modèle entraîné n'est enregistré : la projection applique la loi seule et des hypothèses "
                 "simples.", size=8.5)
    for label, sentences in models:
        pdf.doc.set_font("DejaVu", "B", 9)
        pdf.doc.multi_cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.bullets(sentences)

    pdf.heading("8. Provenance")
    pdf.table(provenance, widths=(50, 128), size=7.5)
    return pdf.bytes()


# ---------------------------------------------------------------------------------------------- the one function

def build_note(engine, name: str | None = None, *, scenario: Scenario | None = None, mc: int = MC_REPLICATES,
               inputs: PI.ProjectionInputs | None = None, prepared_engine=None, n_jobs: int = 1,
               actor: str | None = None, origin: str = "export",
               progress: Callable[[int, str], None] | None = None) -> Note:
    """The note of a scenario: the command line and the app's button call this, so they print the same figures.

    Parameters
    ----------
    name : the scenario's name as printed (a saved scenario's; None: « Référence » for the default hypotheses,
        else « Scénario en cours »). ``scenario`` None: loaded by ``name`` (the default hypotheses when None).
    mc : Monte Carlo replicates for the bands (0: expected values only, no band).
    inputs, prepared_engine : what :func:`workforce.projection.inputs.load` and ``prepared`` return, for callers
        that cache them (the app).
    progress : called with (step number, step label of :data:`STEPS`) before each step.
    """
    from workforce import scenario as sc
    from workforce import skills

    def step(i: int) -> None:
        if progress is not None:
            progress(i, STEPS[i])

    if scenario is None:
        scenario = sc.load(engine, name).scenario if name and name != REFERENCE_NAME else Scenario()
    name = name or (REFERENCE_NAME if scenario == Scenario() else "Scénario en cours")
    step(0)
    inputs = inputs if inputs is not None else PI.load(engine)
    step(1)
    saved = name if name != "Scénario en cours" else None
    result = PI.project_scenario(engine, scenario, name=saved, mc=mc, actor=actor, origin=origin, inputs=inputs,
                                 prepared_engine=prepared_engine, n_jobs=n_jobs)
    step(2)
    ref_scenario = Scenario() if scenario.horizon == Scenario().horizon else Scenario(horizon=scenario.horizon)
    reference = PI.project_scenario(engine, ref_scenario, name=REFERENCE_NAME, actor=actor, origin=origin,
                                    inputs=inputs, prepared_engine=prepared_engine)
    step(3)
    last = int(result.years[-1])
    try:
        table = result.table()
        analysis = skills.analyse(inputs.skills, table[table["year"] > result.years[0]],
                                  skills.TransformationParams(intensity=float(scenario.transformation_intensity),
                                                              horizon=int(scenario.horizon)))
        gaps = top_gaps(analysis, last)
    except (KeyError, ValueError):  # a référentiel without skill requirements: said in the note
        gaps = None
    step(4)
    figures = key_figures(result, reference)
    yearly = yearly_table(result, reference)
    hypotheses = describe(scenario, Scenario())
    pdf = _render(name, result, figures, yearly, hypotheses, gaps, _reliability(engine),
                  provenance_table(result, name))
    return Note(name=name, figures=figures, yearly=yearly, gaps=gaps if gaps is not None else pd.DataFrame(),
                pdf=pdf)
