"""The quality report of an import (``extracts.report``, built by :mod:`workforce.ingest.quality`) on screen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workforce.ui import common as C

SUSPICIOUS_LABELS = {
    "au_dela_limite_age": "Agents au-delà de la limite d'âge",
    "quotite_zero": "Quotité 0 (lignes mises en quarantaine)",
    "entree_apres_extraction": "Entrées datées après l'extraction",
}


def render_report(report: dict, *, key: str, directions: dict[str, str] | None = None) -> None:
    """Rows read = stored + quarantined, warnings, quarantine reasons, suspicious values, movements, headcount
    by direction (already suppressed under 5 agents by the import)."""
    if not report:
        st.info("Pas de rapport de qualité pour cette extraction.")
        return
    f, r = report.get("fichier", {}), report.get("lignes", {})
    st.markdown(f"**Extraction du {report.get('date_extraction')}** — fichier « {f.get('nom', '?')} » "
                f"({f.get('format', '?')}, correspondance {f.get('correspondance', '?')})")
    m = st.columns(3)
    m[0].metric("Lignes lues", C.fmt_int(r.get("lues")))
    m[1].metric("Enregistrées", C.fmt_int(r.get("enregistrees")))
    m[2].metric("En quarantaine", C.fmt_int(r.get("quarantaine")))
    for w in report.get("avertissements", []):
        st.warning(w)
    cols = report.get("colonnes", {})
    if cols.get("personnelles_supprimees"):
        st.caption("Colonnes personnelles supprimées à la lecture (jamais stockées) : "
                   + ", ".join(cols["personnelles_supprimees"]))
    if cols.get("annexes"):
        st.caption("Colonnes annexes gardées à la demande de la correspondance : " + ", ".join(cols["annexes"]))
    if cols.get("ignorees"):
        shown = cols["ignorees"][:15]
        more = len(cols["ignorees"]) - len(shown)
        st.caption("Colonnes non enregistrées (ni reconnues, ni gardées) : " + ", ".join(shown)
                   + (f" et {more} autres" if more > 0 else ""))
    if cols.get("absentes"):
        st.caption("Colonnes facultatives absentes : " + ", ".join(cols["absentes"]))
    quarantine = report.get("quarantaine") or []
    if quarantine:
        st.markdown("**Raisons de mise en quarantaine**")
        q = pd.DataFrame([{"Raison": x.get("raison"), "Lignes": x.get("lignes"),
                           "Premières lignes du fichier": ", ".join(map(str, x.get("exemples", []))),
                           "Exemple": x.get("premier")} for x in quarantine])
        st.dataframe(q, hide_index=True, key=f"{key}_quarantine")
    sus = [(SUSPICIOUS_LABELS.get(k, k), v) for k, v in (report.get("valeurs_suspectes") or {}).items()
           if v and v.get("lignes")]
    if sus:
        st.markdown("**Valeurs suspectes**")
        st.dataframe(pd.DataFrame([{"Contrôle": lab, "Lignes": v["lignes"],
                                    "Premières lignes du fichier": ", ".join(map(str, v.get("exemples", [])))}
                                   for lab, v in sus]), hide_index=True, key=f"{key}_suspicious")
    missing = report.get("valeurs_manquantes") or {}
    if any(missing.values()):
        st.markdown("**Valeurs manquantes par colonne**")
        st.dataframe(pd.DataFrame([{"Colonne": k, "Cellules vides": v} for k, v in missing.items() if v]),
                     hide_index=True, key=f"{key}_missing")
    matched = report.get("metiers_rapproches") or []
    if matched:
        st.markdown("**Libellés métier rapprochés du référentiel**")
        st.dataframe(pd.DataFrame([{"Libellé du fichier": x.get("libelle"),
                                    "Métier du référentiel": x.get("libelle_referentiel"), "Code": x.get("code"),
                                    "Lignes": x.get("lignes")} for x in matched]),
                     hide_index=True, key=f"{key}_metiers")
    mv = report.get("mouvements")
    if mv is not None and report.get("extraction_precedente"):
        st.caption(f"Mouvements depuis le {report['extraction_precedente']} : {mv.get('arrival', 0)} arrivées, "
                   f"{mv.get('departure', 0)} départs, {mv.get('internal', 0)} changements internes.")
    dirs = report.get("effectifs_par_direction") or []
    if dirs:
        names = directions or {}
        frame = pd.DataFrame(dirs)
        out = pd.DataFrame({"Direction": frame["direction"].map(lambda d: names.get(d, d)),
                            "Effectif": frame["effectif"]})
        if "precedent" in frame.columns:
            out["Extraction précédente"] = frame["precedent"]
            out["Évolution"] = frame["evolution"]
        st.markdown("**Effectifs par direction**")
        st.dataframe(C.french_numbers(out), hide_index=True, key=f"{key}_directions")
        if "suppressed" in frame.columns and frame["suppressed"].fillna(False).any():
            st.caption(f"Cases vides : moins de {C.MIN_CELL} agents (secret statistique).")
