"""The projection file a planner can put in front of élus or a comité social territorial: `workforce project --out
x.xlsx` and the Scénarios page's XLSX download write the same workbook (:func:`projection_workbook`).

Why a module of its own: the projection's XLSX used to be the engine's frames as they are (``headcount``,
``exits_demission``, direction codes, 141.991562 agents, the provenance as JSON, no scenario name). Here the
published frames of :mod:`workforce.export` (statistical secrecy through :func:`workforce.export.projection_published`
and :func:`workforce.export.payroll_published`, unchanged) are dressed for people: French headers from
:mod:`workforce.labels`, names beside codes, agents as integers, ETP with one decimal, euros without decimals,
P10/P90 beside each figure when Monte Carlo bands were computed, « Masqué » (oui/non) where a group of fewer than
5 agents (or its complement) is blanked, and the hidden figures left empty.

Sheets: « Scénario » (its name and every hypothesis in French beside the reference's), « Projection », « Masse
salariale » (by direction), « Provenance » (one fact a row). The CSV of `workforce project --out x.csv` stays the
machine layout (English column names, ``,`` separator) that scripts read, its provenance beside it as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workforce.export import (ExportError, payroll_published, projection_published, write_csv, write_xlsx,
                              xlsx_bytes)
from workforce.labels import (CATEGORIE_LABELS, INDICATOR_LABELS, LEVEL_LABELS, PAYROLL_LABELS, REGIME_LABELS,
                              fmt_int)
from workforce.privacy import MIN_CELL
from workforce.reliability import MODEL_LABELS
from workforce.scenario import REFERENCE_NAME, Scenario, describe

__all__ = ["GroupNames", "projection_workbook", "projection_table", "payroll_table", "provenance_table",
           "scenario_table", "export_projection", "projection_xlsx", "MASKED", "SHEETS"]

MASKED = "Masqué"
SCENARIO_SHEET, PROJECTION_SHEET, PAYROLL_SHEET, PROVENANCE_SHEET = ("Scénario", "Projection", "Masse salariale",
                                                                     "Provenance")
SHEETS = (SCENARIO_SHEET, PROJECTION_SHEET, PAYROLL_SHEET, PROVENANCE_SHEET)
ONE_DECIMAL = {"etp", "demand", "vacancies", "demand_p10", "demand_p90", "vacancies_p10", "vacancies_p90"}
"""Indicators in ETP (one decimal); euros (``payroll``) and agents (every other indicator) are whole numbers."""
EXCEL_FORMATS = {0: "#,##0", 1: "#,##0.0"}
BANDS = {"p10": "P10", "p90": "P90"}
UNSAVED = "Scénario en cours (non enregistré)"


@dataclass(frozen=True)
class GroupNames:
    """Names beside codes: direction and métier code -> French label (a code without a name keeps its code)."""

    direction: dict = field(default_factory=dict)
    metier: dict = field(default_factory=dict)

    @classmethod
    def from_inputs(cls, inputs) -> "GroupNames":
        """From what every projection reads (:class:`workforce.projection.inputs.ProjectionInputs`): the métiers
        of the database and the directions of the built-in referential."""
        from workforce.referential import direction_labels

        m = inputs.skills.metiers
        return cls(direction=direction_labels(), metier=dict(zip(m["code"].astype(str), m["label"].astype(str))))


def _decimals(indicator: str) -> int:
    return 1 if indicator in ONE_DECIMAL else 0


def _rounded(series, decimals: int) -> pd.Series:
    out = pd.to_numeric(pd.Series(series), errors="coerce").astype("Float64").round(decimals)
    return out.astype("Int64") if decimals == 0 else out


def _named_keys(frame: pd.DataFrame, keys: list[str], names: GroupNames) -> dict[str, pd.Series]:
    """The French key columns of a published frame: ``Année``, then each group's code and name."""
    out = {"Année": frame["year"].astype("int64")}
    for key in keys:
        codes = frame[key].astype(str)
        if key in ("direction", "metier_code", "metier"):
            labels = names.direction if key == "direction" else names.metier
            title = "direction" if key == "direction" else "métier"
            out[f"Code {title}"] = codes
            out[title.capitalize()] = codes.map(lambda c: labels.get(c, c))  # a code without a name stays a code
        elif key == "categorie":
            out["Catégorie"] = codes.map(lambda c: CATEGORIE_LABELS.get(c, c))
        elif key == "famille":
            out["Famille"] = codes
    return out


def projection_table(result, by: str | None = None, names: GroupNames | None = None) -> tuple[pd.DataFrame, dict]:
    """The « Projection » sheet and its Excel number formats: :func:`workforce.export.projection_published` with
    French headers, names beside codes, rounded figures, P10/P90 beside each figure in Monte Carlo mode and
    « Masqué » (oui/non); a hidden row's figures are empty.

    Read from the long published frame (one row per group, year and indicator), where a band is unambiguous:
    in the wide one, ``demand_p10`` names both the demand model's low hypothesis and the Monte Carlo P10 of the
    demand. The demand has no Monte Carlo band of its own (it is set by the scenario), so none is written."""
    names = names or GroupNames()
    long = projection_published(result, by, wide=False)
    keys = ["metier_code", "direction", "categorie"] if by is None else [] if by == "total" else [by]
    index = ["year", *keys] if by != "total" else ["year", "total"]
    stats = ["value", *(b for b in BANDS if b in long.columns)]
    wide = long.pivot_table(index=index, columns="indicator", values=stats, aggfunc="first", observed=True,
                            sort=False, dropna=False)
    flags = long.groupby(index, observed=True, sort=False)["suppressed"].any()
    cols = _named_keys(wide.index.to_frame(index=False), keys, names)
    order = list(cols)
    formats = {}
    for ind in result.indicators():
        if ("value", ind) not in wide.columns:
            continue
        label, d = INDICATOR_LABELS.get(ind, ind), _decimals(ind)
        cols[label] = _rounded(wide[("value", ind)].to_numpy(), d)
        formats[label] = EXCEL_FORMATS[d]
        for band, title in BANDS.items():
            values = wide[(band, ind)] if (band, ind) in wide.columns and ind != "demand" else None
            if values is not None and values.notna().any():
                cols[f"{label} — {title}"] = _rounded(values.to_numpy(), d)
                formats[f"{label} — {title}"] = EXCEL_FORMATS[d]
    cols[MASKED] = flags.reindex(wide.index).map({True: "oui", False: "non"}).to_numpy()
    return pd.DataFrame(cols).sort_values(order, kind="stable").reset_index(drop=True), formats


def payroll_table(result, names: GroupNames | None = None) -> tuple[pd.DataFrame, dict]:
    """The « Masse salariale » sheet: :func:`workforce.export.payroll_published` (by direction and year, hidden
    directions and what their payroll carries into the next year blanked) in French, euros and agents whole."""
    names = names or GroupNames()
    pay = payroll_published(result)
    cols = _named_keys(pay, ["direction"], names)
    formats = {}
    for key, title in PAYROLL_LABELS.items():
        if key in pay.columns:
            cols[title] = _rounded(pay[key], 0)
            formats[title] = EXCEL_FORMATS[0]
    cols[MASKED] = pay["suppressed"].map({True: "oui", False: "non"})
    return pd.DataFrame(cols), formats


def scenario_table(result, name: str | None = None, scenario: Scenario | None = None) -> pd.DataFrame:
    """The « Scénario » sheet: its name, then every hypothesis in French beside the reference's (the default
    hypotheses, ``Scenario()``) and whether it differs. ``scenario``: as the planner set it (default: the run's,
    which carries the transformation factors the library added)."""
    scenario = scenario if scenario is not None else result.scenario
    head = pd.DataFrame({"Hypothèse": ["Nom du scénario", "Période projetée"],
                         "Valeur": [name or UNSAVED, f"{int(result.years[1])}-{int(result.years[-1])}"],
                         REFERENCE_NAME: [f"{REFERENCE_NAME} (hypothèses par défaut)", ""], "Diffère": ["", ""]})
    return pd.concat([head, describe(scenario, Scenario())], ignore_index=True)


def provenance_table(result, name: str | None = None) -> pd.DataFrame:
    """The « Provenance » sheet, one fact a row (``Élément``, ``Valeur``): the scenario, the extract, each model's
    version and fingerprint (or the simple assumption standing in for it), the run."""
    p = result.provenance
    mode = (f"Monte Carlo, {fmt_int(p.get('replicates'))} simulations (bandes P10–P90)" if p.get("mode") == "mc"
            else "valeurs attendues")
    rows = [("Scénario", name or UNSAVED), ("Empreinte du scénario", str(p.get("scenario_fingerprint", ""))[:16]),
            ("Date de l'extraction", p.get("extract_date")), ("Extraction n°", p.get("extract_id")),
            ("Empreinte de l'extraction", str(p.get("extract_sha256") or "")[:16]),
            ("Agents au départ", fmt_int(p.get("agents"))), ("Année de départ", p.get("base_year")),
            ("Droit applicable", REGIME_LABELS.get(result.scenario.regime, result.scenario.regime)),
            ("Calcul", mode), ("Graine", p.get("seed")), ("Version du code", p.get("code_version")),
            ("Calculé le (UTC)", p.get("run_at")),
            ("Référentiel ROME", f"version {p['rome_version']}" if p.get("rome_version") else "non importé")]
    for model, v in sorted((p.get("models") or {}).items()):
        rows.append((f"Modèle : {MODEL_LABELS.get(model, model).lower()}",
                     f"version {v.get('version')} (sha256 {str(v.get('sha256') or '')[:12]})"))
    for model, why in sorted((p.get("fallbacks") or {}).items()):
        rows.append((f"Modèle : {MODEL_LABELS.get(model, model).lower()}",
                     f"non disponible, hypothèse simple à la place ({why})"))
    rows.append(("Confidentialité", f"Groupes de moins de {MIN_CELL} agents, et ceux qui permettraient de les "
                                    f"déduire d'un total, masqués : chiffres vides, colonne « {MASKED} » à oui."))
    return pd.DataFrame([(k, str(v)) for k, v in rows if v not in (None, "")], columns=["Élément", "Valeur"])


def projection_workbook(result, by: str | None = None, *, name: str | None = None,
                        scenario: Scenario | None = None,
                        names: GroupNames | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The sheets of the projection's XLSX (:data:`SHEETS`) and their Excel number formats
    (``{sheet: {column: format}}``). ``by``: a level of :data:`workforce.projection.LEVELS` (None: métier x
    direction x catégorie); ``name``: the saved scenario's name (None: unsaved)."""
    if by is not None and by not in LEVEL_LABELS:
        raise ExportError(f"niveau {by!r} inconnu : {', '.join(LEVEL_LABELS)}")
    projection, proj_formats = projection_table(result, by, names)
    payroll, pay_formats = payroll_table(result, names)
    sheets = {SCENARIO_SHEET: scenario_table(result, name, scenario), PROJECTION_SHEET: projection,
              PAYROLL_SHEET: payroll, PROVENANCE_SHEET: provenance_table(result, name)}
    return sheets, {PROJECTION_SHEET: proj_formats, PAYROLL_SHEET: pay_formats}


def projection_xlsx(result, by: str | None = None, **kwargs) -> bytes:
    """:func:`projection_workbook` as the bytes of an XLSX file (the app's download button)."""
    sheets, formats = projection_workbook(result, by, **kwargs)
    return xlsx_bytes(sheets, number_formats=formats)


def export_projection(result, path: str | Path, by: str | None = None, *, name: str | None = None,
                      scenario: Scenario | None = None, names: GroupNames | None = None) -> list[Path]:
    """Write a projection by extension: XLSX, the workbook of :func:`projection_workbook`; CSV, the machine layout
    (:func:`workforce.export.projection_published`, ``,`` separator, decimal point, English column names) with
    the provenance beside it, unchanged, in ``<name>.provenance.json``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ExportError(f"{path} : le fichier de sortie doit finir par .csv ou .xlsx")
    if suffix == ".xlsx":
        sheets, formats = projection_workbook(result, by, name=name, scenario=scenario, names=names)
        write_xlsx(sheets, path, number_formats=formats)
        return [path]
    write_csv(projection_published(result, by), path, sep=",", decimal=".", encoding="utf-8")
    notice = path.with_suffix(".provenance.json")
    notice.write_text(json.dumps(result.provenance, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return [path, notice]
