"""Every CSV/XLSX file the project writes: the training managers' passerelles, the projection, the retirement
forecasts, the ROME title suggestions, and the bytes of the app's download buttons. The skill-gap list and the
training plan are written by :mod:`workforce.export_skills` with this module's readme and writers; the
projection's file (its XLSX in French, its CSV for scripts) by :mod:`workforce.export_projection` from this
module's published projection tables (:func:`projection_published`, :func:`payroll_published`).

Every CSV or XLSX leaves through :func:`write_csv` / :func:`write_xlsx` (or their ``*_bytes`` twins), which
neutralise formula injection (:mod:`workforce.export_files`, the low-level writers, re-exported here: callers
import them from this module); ``tests/test_export_sanitise.py`` fails when a module writes a spreadsheet file
any other way.

Every table leaves through :func:`workforce.privacy.protect` (statistical secrecy): a figure resting on fewer
than 5 agents is blanked, with the complementary cells of each published total and the figures derived from the
hidden ones (criticité, first year of shortage, suggested action, quantiles, payroll decomposition), and flagged
in the column « Masqué (moins de 5 agents) » (or ``suppressed``). The projection's levels (cells, catégorie,
direction, métier, famille, payroll by direction) share one pattern (:func:`projection_secrecy`), so no table
gives back what another hides. Training managers are entitled to exact skill supply: ``exact_skills=True``. Nominative candidate lists
(pseudonymised agent identifiers) are written only when asked for explicitly, and each such export is recorded
in the audit log before the function returns; if the record cannot be written the file is deleted.

An XLSX file of the skills exports carries a « Lisez-moi » sheet stating the scenario, the extract date, the
model versions, the ROME release and the column definitions; a CSV file gets the same text beside it
(``<name>_lisez-moi.txt``). CSV files are written the way French spreadsheets open them by default (``;``
separator, decimal comma, UTF-8 with BOM); the projection and forecast CSVs keep ``,`` and the decimal point.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.export_files import (QUOTE, csv_bytes, neutralise, neutralise_frame, sheet_title, write_csv,
                                    write_xlsx, xlsx_bytes)
from workforce.labels import CLASS_LABELS, PASSERELLE_STATUS_LABELS
from workforce.privacy import MIN_CELL, linked_mask, protect
from workforce.skills import MIN_PASSERELLE_COVERAGE, SkillAnalysis

__all__ = [
    # the files
    "export_passerelles", "ExportError", "ExportMeta", "ExportResult",
    "meta_from_db", "FORMATS", "SUPPRESSED", "ALL_DIRECTIONS_LABEL",
    # the published tables (the skill gaps and the training plan: workforce.export_skills)
    "profile_table", "passerelles_table", "candidates_table", "nominative_table", "readme_table",
    "projection_secrecy", "projection_hidden", "projection_published", "payroll_published",
    "PROFILE_COLUMNS", "PASSERELLE_COLUMNS", "CANDIDATE_COLUMNS", "NOMINATIVE_COLUMNS", "PAYROLL_OWN",
    # the low-level writers (workforce.export_files)
    "write_csv", "write_xlsx", "csv_bytes", "xlsx_bytes", "neutralise", "neutralise_frame", "sheet_title", "QUOTE",
]

FORMATS = ("xlsx", "csv")
ALL_DIRECTIONS_LABEL = "Toutes directions"
SUPPRESSED = "Masqué (moins de 5 agents)"

PROFILE_COLUMNS = {
    "Code métier": "Code du métier dans le référentiel.",
    "Métier": "Libellé du métier.",
    "Classe": "En croissance (demande >= +1 %/an), En déclin (<= -1 %/an), En transformation (au moins un "
              "cinquième de compétences nouvelles à l'horizon) ou Stable.",
    "Évolution de la demande (%/an)": "Tendance historique et effet des transitions, à l'intensité du scénario.",
    "Tendance historique (%/an)": "Évolution annuelle de l'effectif observée dans l'historique.",
    "Exposition numérique": "0 à 1 : drapeau de la fiche ROME et part des compétences « transition numérique ».",
    "Exposition écologique": "0 à 1 : fiche « emploi vert » ou « stratégique » et part des compétences "
                             "« transition écologique ».",
    "Exposition démographique": "1 quand la fiche ROME relève de la transition démographique.",
    "Compétences nouvelles": "Compétences exigées d'ici l'horizon qui ne le sont pas aujourd'hui.",
    "Motif": "Pourquoi le métier est dans sa classe.",
}

PASSERELLE_COLUMNS = {
    "Métier d'origine": "Métier en déclin ou en transformation.",
    "Libellé d'origine": "",
    "Classe d'origine": "",
    "Statut": f"« proposée », ou « aucune passerelle crédible » quand aucun métier en croissance n'atteint "
              f"{MIN_PASSERELLE_COVERAGE * 100:.0f} % de compétences déjà détenues (la ligne n'a alors pas de cible).",
    "Métier cible": "Métier en croissance vers lequel une passerelle est proposée.",
    "Libellé cible": "",
    "Rang": "1 = meilleure passerelle pour ce métier d'origine.",
    "Part des compétences déjà détenues (%)": "Part des compétences exigées par le métier cible que le métier "
                                              "d'origine détient déjà (un niveau inférieur compte en proportion) ; "
                                              f"au moins {MIN_PASSERELLE_COVERAGE * 100:.0f} %.",
    "Similarité": "0 à 1 : proximité des deux métiers (fiches ROME : compétences techniques, savoirs, "
                  "macro-compétences, contextes de travail, appellations, domaine professionnel ; compétences "
                  "et niveaux propres ; mobilité observée). Ordre des passerelles.",
    "Mobilité observée": "0 à 1 : part des changements de métier observés depuis l'origine qui vont vers la cible.",
    "Compétences à acquérir (nombre)": "",
    "Compétences à acquérir": "Code, libellé et niveau exigé, de la plus importante pour le métier cible (niveau "
                              "exigé x rareté) à la moins importante.",
}

CANDIDATE_COLUMNS = {
    "Métier d'origine": "", "Direction": "", "Métier cible": "",
    "Candidats": "Agents du métier d'origine dont les compétences couvrent au moins 50 % du métier cible.",
    "Couverture moyenne (%)": "",
    SUPPRESSED: "Oui quand moins de 5 agents : le nombre est masqué.",
}

NOMINATIVE_COLUMNS = {
    "Agent (pseudonyme)": "Identifiant pseudonymisé de l'agent (jamais son nom).",
    "Métier": "", "Direction": "", "Métier cible": "", "Couverture (%)": "",
    "Compétences manquantes": "Nombre d'exigences du métier cible que l'agent ne remplit pas encore.",
    "Rang": "Rang de l'agent parmi les candidats au métier cible.",
}


class ExportError(ValueError):
    """A bad request (unknown direction, year outside the projection, unknown format): exit code 2."""


@dataclass(frozen=True)
class ExportMeta:
    """What the readme sheet states about the figures."""

    scenario: str = "référence"
    scenario_params: dict = field(default_factory=dict)
    model_versions: list = field(default_factory=list)  # [{"name", "version", "sha256"}]
    extract_date: str | None = None
    generated_at: str = field(default_factory=lambda: dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    actor: str | None = None


@dataclass(frozen=True)
class ExportResult:
    paths: list
    rows: dict  # sheet -> rows
    suppressed: dict  # sheet -> suppressed rows


def _code_version() -> str:
    try:
        from importlib.metadata import version

        return version("workforce")
    except Exception:  # pragma: no cover - not installed
        return "inconnue"


def meta_from_db(engine, scenario: str = "référence", scenario_params: dict | None = None,
                 actor: str | None = None) -> ExportMeta:
    """Readme facts from the database: the active model versions and the last extract date."""
    from sqlalchemy import func, select

    from workforce import db

    with engine.connect() as conn:
        models = conn.execute(select(db.ModelVersion.name, db.ModelVersion.version, db.ModelVersion.sha256)
                              .where(db.ModelVersion.active.is_(True)).order_by(db.ModelVersion.name)).all()
        last = conn.execute(select(func.max(db.Extract.extract_date))).scalar_one_or_none()
    return ExportMeta(scenario=scenario, scenario_params=scenario_params or {},
                      model_versions=[{"name": n, "version": v, "sha256": s} for n, v, s in models],
                      extract_date=str(last) if last else None, actor=actor)


# ------------------------------------------------------------------------------------------ tables


def _round(series: pd.Series, digits: int = 1) -> pd.Series:
    out = series.astype("Float64").round(digits)
    return out.astype("Int64") if digits == 0 else out


def _yes_no(mask) -> np.ndarray:
    return np.where(np.asarray(mask, dtype=bool), "oui", "non")


def profile_table(analysis: SkillAnalysis) -> pd.DataFrame:
    """The transformation profile of the métiers (no agent counts: nothing to suppress)."""
    p = analysis.profile
    return pd.DataFrame({
        "Code métier": p["metier_code"], "Métier": p["label"], "Classe": p["classe"].map(CLASS_LABELS),
        "Évolution de la demande (%/an)": (p["demand_rate"] * 100).round(1),
        "Tendance historique (%/an)": (p["trend"] * 100).round(1),
        "Exposition numérique": p["exposure_num"].round(2), "Exposition écologique": p["exposure_eco"].round(2),
        "Exposition démographique": p["exposure_demo"].round(2), "Compétences nouvelles": p["n_new"],
        "Motif": p["reason"],
    }).reset_index(drop=True)


def passerelles_table(analysis: SkillAnalysis) -> pd.DataFrame:
    """The passerelles as the export and the page show them: one row per proposed target, or one row
    « aucune passerelle crédible » for a source without any."""
    p = analysis.passerelles
    labels, classes = analysis.metier_labels, analysis.profile.set_index("metier_code")["classe"]
    return pd.DataFrame({
        "Métier d'origine": p["source"], "Libellé d'origine": p["source"].map(labels),
        "Classe d'origine": p["source"].map(classes).map(CLASS_LABELS),
        "Statut": p["status"].map(PASSERELLE_STATUS_LABELS),
        "Métier cible": p["target"], "Libellé cible": p["target"].map(labels), "Rang": p["rank"],
        "Part des compétences déjà détenues (%)": (p["coverage"].astype(float) * 100).round(0),
        "Similarité": p["score"].astype(float).round(3), "Mobilité observée": p["mobility"].astype(float).round(2),
        "Compétences à acquérir (nombre)": p["n_to_acquire"], "Compétences à acquérir": p["skills_to_acquire"],
    }).reset_index(drop=True)


def candidates_table(analysis: SkillAnalysis) -> pd.DataFrame:
    """Reskilling candidates counted by origin métier x direction x target métier, suppressed under 5."""
    c = analysis.candidates
    agg = c.groupby(["metier_code", "direction", "target"], as_index=False).agg(
        n=("agent_id", "size"), coverage=("coverage", "mean"))
    sup = protect(agg, "n", margins=[], derived_cols=["coverage"])  # no total of these counts is published
    return pd.DataFrame({
        "Métier d'origine": agg["metier_code"], "Direction": agg["direction"], "Métier cible": agg["target"],
        "Candidats": _round(sup["n"], 0), "Couverture moyenne (%)": _round(sup["coverage"].astype("Float64") * 100, 0),
        SUPPRESSED: _yes_no(sup["suppressed"]),
    }).reset_index(drop=True)


def nominative_table(analysis: SkillAnalysis) -> pd.DataFrame:
    c = analysis.candidates
    return pd.DataFrame({
        "Agent (pseudonyme)": c["agent_id"], "Métier": c["metier_code"], "Direction": c["direction"],
        "Métier cible": c["target"], "Couverture (%)": (c["coverage"].astype(float) * 100).round(0),
        "Compétences manquantes": c["n_missing"], "Rang": c["rank"],
    }).reset_index(drop=True)


def readme_table(analysis: SkillAnalysis, meta: ExportMeta, title: str, sheets: dict[str, dict],
                 filters: dict | None = None, nominative: bool = False) -> pd.DataFrame:
    """Two columns, « Élément » and « Valeur »: the facts behind the figures, then every column's definition."""
    p = analysis.params
    models = "; ".join(f"{m['name']} {m['version']} (sha256 {str(m.get('sha256') or '')[:12]})"
                       for m in meta.model_versions) or "aucun modèle entraîné enregistré"
    source = "moteur de projection (workforce.projection), facteurs de transformation en surcouche de la demande"
    rows = [
        ("Document", title),
        ("Scénario", meta.scenario),
        ("Paramètres du scénario", json.dumps(meta.scenario_params, ensure_ascii=False, sort_keys=True, default=str)
         if meta.scenario_params else "valeurs par défaut"),
        ("Intensité de la transformation", f"{p.intensity:g}"),
        ("Horizon", f"{int(analysis.years.min())}-{int(analysis.years.max())}"),
        ("Date de l'extraction", meta.extract_date or str(analysis.extract_date.date())),
        ("Projection", source),
        ("Versions des modèles", models),
        ("Référentiel ROME", f"version {analysis.rome_version}" if analysis.rome_version else "non importé"),
        ("Version de workforce", _code_version()),
        ("Produit le", meta.generated_at + (f" par {meta.actor}" if meta.actor else "")),
        ("Filtres", ", ".join(f"{k} = {v}" for k, v in (filters or {}).items() if v is not None) or "aucun"),
        ("Confidentialité", f"Les chiffres reposant sur moins de {MIN_CELL} agents sont masqués "
                            f"(colonne « {SUPPRESSED} »)."),
        ("Données nominatives", "oui : identifiants pseudonymisés des agents ; export enregistré au journal d'audit"
         if nominative else "non"),
        ("", ""),
    ]
    for sheet, columns in sheets.items():
        rows.append((f"Feuille « {sheet} »", ""))
        rows += [(f"  {col}" if col else "", text) for col, text in columns.items() if text]
    return pd.DataFrame(rows, columns=["Élément", "Valeur"])


# ------------------------------------------------------------------------------------------ writing


def _check_format(fmt: str) -> str:
    fmt = (fmt or "").lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} inconnu : xlsx ou csv")
    return fmt


def _write(tables: dict[str, pd.DataFrame], readme: pd.DataFrame, path: Path, fmt: str) -> list[Path]:
    """XLSX: the readme sheet first, then one sheet per table. CSV: one file per table plus the readme text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = path.with_suffix(".xlsx")
        write_xlsx({"Lisez-moi": readme, **tables}, path)
        return [path]
    path = path.with_suffix(".csv")
    written = []
    for i, (name, frame) in enumerate(tables.items()):
        target = path if i == 0 else path.with_name(f"{path.stem}_{_slug(name)}.csv")
        write_csv(frame, target)
        written.append(target)
    notice = path.with_name(f"{path.stem}_lisez-moi.txt")
    notice.write_text("\n".join(f"{a} : {b}" if a and b else (a or b) for a, b in readme.itertuples(index=False))
                      + "\n",
                      encoding="utf-8")
    return written + [notice]


def _slug(text: str) -> str:
    from workforce.rome import fold

    return fold(text).replace(" ", "_")


def export_passerelles(analysis: SkillAnalysis, path: str | Path, fmt: str = "xlsx", *, nominative: bool = False,
                       engine=None, meta: ExportMeta | None = None) -> ExportResult:
    """Write the passerelles and the reskilling candidates (counted; by agent only when ``nominative``).

    A nominative export needs ``engine``: it is recorded in the audit log (who, when, file, how many agents);
    if the record fails, the file is removed and the error raised.
    """
    fmt = _check_format(fmt)
    meta = meta or ExportMeta()
    if nominative and engine is None:
        raise ExportError("un export nominatif doit être enregistré au journal d'audit : base de données requise")
    cands = candidates_table(analysis)
    tables = {"Passerelles": passerelles_table(analysis), "Candidats": cands}
    sheets = {"Passerelles": PASSERELLE_COLUMNS, "Candidats": CANDIDATE_COLUMNS}
    if nominative:
        tables["Candidats nominatifs"] = nominative_table(analysis)
        sheets["Candidats nominatifs"] = NOMINATIVE_COLUMNS
    readme = readme_table(analysis, meta, "Passerelles entre métiers et candidats à la reconversion", sheets,
                          nominative=nominative)
    paths = _write(tables, readme, Path(path), fmt)
    if nominative:
        from workforce import db

        try:
            with db.session_scope(engine) as session:
                db.audit(session, "export_nominative", {
                    "what": "reskilling_candidates", "files": [str(p) for p in paths],
                    "agents": int(analysis.candidates["agent_id"].nunique()), "rows": len(analysis.candidates),
                    "scenario": meta.scenario, "extract_date": meta.extract_date or str(analysis.extract_date.date()),
                }, actor=meta.actor)
        except Exception:
            for p in paths:
                Path(p).unlink(missing_ok=True)
            raise
    return ExportResult(paths, {k: len(v) for k, v in tables.items()},
                        {"Candidats": int((cands[SUPPRESSED] == "oui").sum())})


# ------------------------------------------------------------------------------------------ projection


_SECRECY_CACHE: dict = {}  # id(result) -> (result, pattern): a few recent projections, patterns cost a solve


def projection_secrecy(result) -> dict:
    """The suppression pattern shared by every table of a projection: ``{"cells": bool (Y, C*M*D), "categorie",
    "direction", "metier", "famille": bool (Y, G)}`` (:func:`workforce.privacy.linked_mask`), from the expected
    headcount rounded. The cells add up to their catégorie, direction and métier, the métiers to their famille,
    each table to the employer's total printed by `workforce project`."""
    hit = _SECRECY_CACHE.get(id(result))
    if hit is not None and hit[0] is result:
        return hit[1]
    from workforce.projection import HEADCOUNT
    from workforce.projection.prepared import level_maps

    maps = level_maps(result.prepared)
    heads = result.values[HEADCOUNT].reshape(len(result.years), -1)
    levels = {name: maps[name][0] for name in ("categorie", "direction", "metier", "famille")}
    fam_labels = maps["famille"][1]
    metier_famille = np.searchsorted(fam_labels.astype(str), result.prepared.familles.astype(str))
    pattern = linked_mask(heads, levels, {("metier", "famille"): metier_famille})
    pattern["labels"] = {name: maps[name][1] for name in levels}
    while len(_SECRECY_CACHE) >= 4:
        _SECRECY_CACHE.pop(next(iter(_SECRECY_CACHE)))
    _SECRECY_CACHE[id(result)] = (result, pattern)
    return pattern


def projection_hidden(result, by: str | None) -> pd.DataFrame:
    """``year, <keys>, suppressed`` for the rows of a projection table at level ``by`` (None: the cells
    ``year, metier_code, direction, categorie``), from :func:`projection_secrecy`."""
    from workforce.projection import CATEGORIE, CATEGORY_CODES, DIRECTION, METIER, YEAR

    years = np.asarray(result.years)
    if by == "total":
        return pd.DataFrame({YEAR: years, "total": "total", "suppressed": False})
    pattern = projection_secrecy(result)
    if by is not None:
        labels = np.asarray(pattern["labels"][by]).astype(str)
        hidden = pattern[by]
        return pd.DataFrame({YEAR: np.repeat(years, len(labels)), by: np.tile(labels, len(years)),
                             "suppressed": hidden.ravel()})
    C, M, D = result.prepared.shape
    c, m, d = np.indices((C, M, D)).reshape(3, -1)
    cells = pattern["cells"]
    return pd.DataFrame({YEAR: np.repeat(years, C * M * D),
                         METIER: np.tile(np.asarray(result.prepared.metiers).astype(str)[m], len(years)),
                         DIRECTION: np.tile(np.asarray(result.prepared.directions).astype(str)[d], len(years)),
                         CATEGORIE: np.tile(np.asarray(CATEGORY_CODES).astype(str)[c], len(years)),
                         "suppressed": cells.ravel()})


def _with_secrecy(frame: pd.DataFrame, hidden: pd.DataFrame, keys: list[str], blank: list[str]) -> pd.DataFrame:
    """``frame`` with the ``suppressed`` flag of ``hidden`` (joined on ``keys``) and ``blank`` columns NA there."""
    out = frame.drop(columns=["suppressed"], errors="ignore").copy()
    left = out[keys].astype({k: str for k in keys[1:]})
    flag = left.merge(hidden.astype({k: str for k in keys[1:]}), on=keys, how="left")["suppressed"]
    mask = flag.fillna(False).to_numpy(dtype=bool)
    for col in blank:
        if col in out.columns:
            out[col] = out[col].astype("Float64").mask(mask)
    out["suppressed"] = mask
    return out


def projection_published(result, by: str | None = None, *, wide: bool = True) -> pd.DataFrame:
    """What may leave the tool of a projection at level ``by`` (None: the cells holding at least half an agent):
    wide, one row per year and group and one column per indicator (``<indicator>_p10``... in Monte Carlo mode),
    or long (``year, <by>, indicator, value[, mean, p10, p50, p90], suppressed``). Every figure of a hidden row
    is blanked (:func:`projection_hidden`)."""
    from workforce.projection import CATEGORIE, DIRECTION, INDICATOR, MEAN, METIER, P10, P50, P90, VALUE, YEAR

    frame = result.table(0.5) if by is None else result.summary(by)
    keys = [YEAR, METIER, DIRECTION, CATEGORIE] if by is None else [YEAR, by]
    stats = [c for c in (VALUE, MEAN, P10, P50, P90) if c in frame.columns]
    hidden = projection_hidden(result, by)
    if not wide:
        return _with_secrecy(frame, hidden, keys, stats)
    w = frame.pivot_table(index=keys, columns=INDICATOR, values=stats, aggfunc="first", observed=True, sort=False)
    names = [n for n in result.indicators() if (VALUE, n) in w.columns]
    cols = {n if st == VALUE else f"{n}_{st}": w[(st, n)] for st in stats for n in names if (st, n) in w.columns}
    w = pd.DataFrame(cols).reset_index()
    for k in keys[1:]:
        w[k] = w[k].astype(str)
    out = _with_secrecy(w, hidden, keys, [c for c in w.columns if c not in keys])
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


PAYROLL_OWN = ("payroll", "hires_cost", "exits_cost", "hires", "leavers")  # the year's own figures


def payroll_published(result) -> pd.DataFrame:
    """The payroll by direction and year, suppressed by the agents it covers: a direction hidden in the
    projection that year (:func:`projection_hidden`) has every figure blanked, and the year after a hidden year
    blanks what starts from the hidden payroll (``payroll_start``, change and its decomposition), which would
    otherwise carry it into a published row."""
    from workforce.projection import YEAR

    pay = result.payroll("direction")
    hidden = projection_hidden(result, "direction")
    before = hidden.assign(**{YEAR: hidden[YEAR] + 1}).rename(columns={"suppressed": "_before"})
    figures = [c for c in pay.columns if c not in (YEAR, "direction")]
    out = _with_secrecy(pay, hidden, [YEAR, "direction"], figures)
    prev = _with_secrecy(pay, before.rename(columns={"_before": "suppressed"}), [YEAR, "direction"], [])
    carried = prev["suppressed"].to_numpy() & ~out["suppressed"].to_numpy()
    for col in figures:
        if col not in PAYROLL_OWN:
            out[col] = out[col].astype("Float64").mask(carried)
    return out
