"""Quality report of one import: stored as JSON in `extracts.report`, printed by `workforce quality`.

Sections: the file (format, encoding, delimiter, mapping, warnings), the columns (mapped, kept as extras by
the mapping, personal columns dropped, the others ignored), the rows (read = stored + quarantined), quarantine reasons with counts and the
first row numbers, missing values per column, suspicious values (past the age limit, quotité 0, entry
after the extract date), métier labels matched approximately, movements and the change of headcount by
direction since the previous extract (cells under 5 agents suppressed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce import privacy, rules
from workforce.ingest import columns as C
from workforce.ingest.validate import REASON_SEP

EXAMPLES = 5  # row numbers shown per reason


def reason_counts(why: pd.Series, lines: pd.Series) -> list[dict]:
    """One entry per kind of reason (quoted values blanked): count and the first row numbers."""
    if why.empty:
        return []
    parts = why.str.split(REASON_SEP).explode()
    kind = parts.str.replace(r"« [^»]*»", "«…»", regex=True).str.replace(r" ; (suggestions|aucun).*$", "", regex=True)
    frame = pd.DataFrame({"kind": kind.to_numpy(), "line": lines.reindex(parts.index).to_numpy(),
                          "example": parts.to_numpy()})
    out = []
    for k, g in frame.groupby("kind", sort=False):
        out.append({"raison": k, "lignes": int(len(g)), "exemples": [int(x) for x in g["line"].head(EXAMPLES)],
                    "premier": str(g["example"].iloc[0])})
    return sorted(out, key=lambda d: -d["lignes"])


def _flagged(mask: np.ndarray, lines: np.ndarray) -> dict:
    return {"lignes": int(mask.sum()), "exemples": [int(x) for x in lines[mask][:EXAMPLES]]}


def suspicious_values(stored: pd.DataFrame, stored_lines: np.ndarray, quotite_zero: np.ndarray,
                      all_lines: np.ndarray, extract_date: pd.Timestamp) -> dict:
    """Plausible-looking values worth a look: kept (or, for quotité 0, quarantined) but counted."""
    out = {}
    if len(stored):
        limit = rules.age_limit_date(stored[C.BIRTH_DATE].to_numpy(), stored[C.SERVICE_CATEGORY].to_numpy())
        past = limit < np.datetime64(extract_date.date())
        out["au_dela_limite_age"] = _flagged(past, stored_lines)
        entry = stored[C.ENTRY_DATE].to_numpy(dtype="datetime64[ns]")
        out["entree_apres_extraction"] = _flagged(entry > np.datetime64(extract_date), stored_lines)
    out["quotite_zero"] = _flagged(quotite_zero, all_lines)
    return out


def headcount_by_direction(current: pd.Series, previous: pd.Series | None) -> list[dict]:
    """Headcount by direction now and at the previous extract; counts under 5 agents are suppressed."""
    frame = pd.DataFrame({"effectif": current})
    if previous is not None:
        frame = frame.join(pd.DataFrame({"precedent": previous}), how="outer")
    frame = frame.fillna(0).astype(int).rename_axis("direction").reset_index()
    if previous is not None:
        frame["evolution"] = frame["effectif"] - frame["precedent"]
    # the directions add up to the extract's total: complements hidden too (privacy.protect)
    out = privacy.protect(frame, "effectif")
    if previous is not None:
        prev = privacy.protect(frame, "precedent")
        out["precedent"] = prev["precedent"]
        hidden = out["suppressed"] | prev["suppressed"]
        out["evolution"] = out["evolution"].astype("Float64").mask(hidden)
        out["suppressed"] = hidden
    records = []
    for rec in out.to_dict(orient="records"):
        records.append({k: (None if (v is pd.NA or (isinstance(v, float) and np.isnan(v))) else
                            (int(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                             else v)) for k, v in rec.items()})
    return records


def missing_counts(text: pd.DataFrame, used: dict[str, str]) -> dict[str, int]:
    """Empty cells per mapped column (by the file's header), over every row read."""
    counts = text.isna().sum()
    return {f"{used[c]} ({c})": int(n) for c, n in counts.items() if n and c in used}


# ------------------------------------------------------------------------------------------ rendering

def _escaped(value, escape):
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v, escape) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v, escape) for v in value]
    return value


def render(report: dict) -> list[str]:
    """The report as French text lines (Rich markup; values from the file are escaped), for the terminal."""
    from rich.markup import escape

    report = _escaped(report, escape)
    f, r = report.get("fichier", {}), report.get("lignes", {})
    lines = [f"[bold]Extraction du {report.get('date_extraction')}[/bold] — {f.get('nom')}",
             f"Format {f.get('format')}, encodage {f.get('encodage') or '-'}, séparateur "
             f"{f.get('separateur') or '-'}, correspondance {f.get('correspondance')}, en-tête ligne {f.get('ligne_entete')}",
             f"Lignes lues : {r.get('lues')} = enregistrées {r.get('enregistrees')} + en quarantaine {r.get('quarantaine')}"
             + (f" ({r['lignes_physiques']} lignes physiques dans le fichier)" if r.get("lignes_physiques") else "")]
    for w in report.get("avertissements", []):
        lines.append(f"[yellow]Avertissement :[/yellow] {w}")
    cols = report.get("colonnes", {})
    if cols.get("personnelles_supprimees"):
        lines.append("Colonnes personnelles supprimées à la lecture (jamais stockées) : "
                     + ", ".join(cols["personnelles_supprimees"]))
    for key, label in (("annexes", "Colonnes annexes gardées à la demande de la correspondance (keep:)"),
                       ("ignorees", "Colonnes non enregistrées (ni reconnues, ni gardées)")):
        if cols.get(key):
            shown = cols[key][:15]
            more = len(cols[key]) - len(shown)
            lines.append(f"{label} : " + ", ".join(shown) + (f" et {more} autres" if more > 0 else ""))
    if cols.get("absentes"):
        lines.append("Colonnes facultatives absentes : " + ", ".join(cols["absentes"]))
    if report.get("quarantaine"):
        lines.append("[bold]Quarantaine[/bold] (raison : lignes, premières lignes du fichier)")
        for q in report["quarantaine"]:
            lines.append(f"  {q['raison']} : {q['lignes']} (lignes {', '.join(map(str, q['exemples']))}) "
                         f"— ex. {q['premier']}")
    if report.get("valeurs_manquantes"):
        lines.append("Valeurs manquantes : " + ", ".join(f"{k} {v}" for k, v in report["valeurs_manquantes"].items()))
    labels = {"au_dela_limite_age": "agents au-delà de la limite d'âge", "quotite_zero": "quotité 0",
              "entree_apres_extraction": "entrées datées après l'extraction"}
    sus = [(labels.get(k, k), v) for k, v in report.get("valeurs_suspectes", {}).items() if v["lignes"]]
    if sus:
        lines.append("[bold]Valeurs suspectes[/bold]")
        for label, v in sus:
            lines.append(f"  {label} : {v['lignes']} (lignes {', '.join(map(str, v['exemples']))})")
    if report.get("metiers_rapproches"):
        lines.append("[bold]Libellés métier rapprochés du référentiel[/bold]")
        for m in report["metiers_rapproches"]:
            lines.append(f"  « {m['libelle']} » -> {m['libelle_referentiel']} ({m['code']}), {m['lignes']} ligne(s)")
    mv = report.get("mouvements")
    if mv is not None:
        prev = report.get("extraction_precedente")
        if prev:
            lines.append(f"Mouvements depuis le {prev} : {mv.get('arrival', 0)} arrivées, {mv.get('departure', 0)} "
                         f"départs, {mv.get('internal', 0)} changements internes")
        else:
            lines.append("Première extraction : pas de mouvements à calculer.")
    dirs = report.get("effectifs_par_direction") or []
    if dirs:
        lines.append("[bold]Effectifs par direction[/bold]" + (" (évolution depuis l'extraction précédente)"
                                                               if report.get("extraction_precedente") else ""))
        for d in dirs:
            eff = "<5" if d.get("effectif") is None else d["effectif"]
            txt = f"  {d['direction']} : {eff}"
            if "precedent" in d:
                prev = "<5" if d.get("precedent") is None else d["precedent"]
                evo = "n.c." if d.get("evolution") is None else f"{d['evolution']:+d}"
                txt += f" (précédent {prev}, {evo})"
            lines.append(txt)
    return lines
