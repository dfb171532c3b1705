"""Write a snapshot frame as a French SIRH-style extract: the docs' sample, the round-trip test, the benchmark.

The style is the one `data/samples/` shows: semicolon, Windows-1252, French headers, dates dd/mm/yyyy,
decimal comma, French labels (Titulaire, Femme, Sédentaire, Activité). `write_sirh` is the inverse of the
import for every column the import keeps, pseudonyms aside.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.ingest import columns as C

HEADERS = {  # canonical -> French SIRH header (all recognised by the `sirh` preset)
    C.AGENT_ID: "Matricule",
    C.BIRTH_DATE: "Date de naissance",
    C.SEX: "Sexe",
    C.STATUT: "Statut",
    C.CATEGORIE: "Catégorie hiérarchique",
    C.FILIERE: "Filière",
    C.CADRE_EMPLOIS: "Cadre d'emplois",
    C.GRADE: "Grade",
    C.METIER_CODE: "Code métier",
    C.METIER_LABEL: "Libellé emploi",
    C.DIRECTION: "Direction",
    C.SERVICE: "Service",
    C.QUOTITE: "Quotité de travail",
    C.ENTRY_DATE: "Date d'entrée dans la collectivité",
    C.PS_ENTRY_DATE: "Date d'entrée FP",
    C.SERVICE_CATEGORY: "Catégorie active",
    C.POSITION: "Position",
    C.ACTIVE_YEARS: "Années de service actif",
    C.QUARTERS: "Trimestres d'assurance",
    C.INDICE: "Indice majoré",
    C.DEPARTURE_DATE: "Date de départ",
    C.DEPARTURE_MOTIVE: "Motif de départ",
}
LABELS = {
    C.SEX: {"F": "Femme", "M": "Homme"},
    C.STATUT: {"titulaire": "Titulaire", "stagiaire": "Stagiaire", "contractuel_permanent": "Contractuel permanent",
               "contractuel_non_permanent": "Contractuel non permanent"},
    C.SERVICE_CATEGORY: {"sedentaire": "Sédentaire", "active": "Active", "insalubre": "Insalubre"},
    C.POSITION: {"activite": "Activité", "detachement": "Détachement", "disponibilite": "Disponibilité",
                 "conge_parental": "Congé parental", "mise_a_disposition": "Mise à disposition"},
    C.FILIERE: {"administrative": "Administrative", "technique": "Technique", "sociale": "Sociale",
                "medico-sociale": "Médico-sociale", "medico-technique": "Médico-technique",
                "culturelle": "Culturelle", "animation": "Animation", "sportive": "Sportive"},
    C.DEPARTURE_MOTIVE: {"droit_commun": "Départ en retraite", "carriere_longue": "Retraite carrière longue",
                         "invalidite": "Retraite pour invalidité", "categorie_active": "Retraite catégorie active",
                         "limite_age": "Limite d'âge", "mutation": "Mutation", "demission": "Démission",
                         "fin_contrat": "Fin de contrat", "disponibilite": "Mise en disponibilité",
                         "detachement": "Détachement", "deces": "Décès", "licenciement": "Licenciement"},
}


def _french_number(values: pd.Series, decimals: int) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce")
    text = v.round(decimals).map(lambda x: "" if pd.isna(x) else f"{x:.{decimals}f}".rstrip("0").rstrip("."))
    return text.str.replace(".", ",", regex=False)


def to_sirh_frame(snapshot: pd.DataFrame, extra: dict[str, object] | None = None) -> pd.DataFrame:
    """The French SIRH text frame of a snapshot (canonical columns in, French headers and labels out)."""
    out = pd.DataFrame(index=snapshot.index)
    for canon, header in HEADERS.items():
        if canon not in snapshot:
            continue
        s = snapshot[canon]
        if canon in C.DATE_COLUMNS:
            d = pd.to_datetime(s)
            text = d.dt.strftime("%d/%m/%Y").fillna("")
        elif canon == C.QUOTITE:
            text = _french_number(s, 4)
        elif canon == C.ACTIVE_YEARS:
            text = _french_number(s, 2)
        elif canon in C.INT_COLUMNS:
            v = pd.to_numeric(s, errors="coerce")
            text = v.map(lambda x: "" if pd.isna(x) else f"{int(round(x)):,}".replace(",", "\u00a0"))
        else:
            text = s.astype("string")
            if canon in LABELS:
                text = text.map(lambda x, t=LABELS[canon]: t.get(x, x) if isinstance(x, str) else x)
            text = text.fillna("")
        out[header] = text.astype(str)
    for name, value in (extra or {}).items():
        out[name] = value
    return out


def write_sirh(snapshot: pd.DataFrame, path: str | Path | None = None, *, encoding: str = "cp1252",
               delimiter: str = ";", title: str | None = None, extra: dict[str, object] | None = None) -> bytes:
    """Write (and return) the extract bytes; `title` is an optional line above the header."""
    frame = to_sirh_frame(snapshot, extra)
    buf = io.StringIO()
    if title:
        buf.write(title + "\r\n")
    frame.to_csv(buf, sep=delimiter, index=False, lineterminator="\r\n")
    data = buf.getvalue().encode(encoding, errors="replace")
    if path is not None:
        Path(path).write_bytes(data)
    return data


def random_snapshot(n: int, metiers: pd.DataFrame, directions: list[str], extract_date: str = "2025-06-30",
                    seed: int = 0) -> pd.DataFrame:
    """A plausible snapshot of `n` agents drawn at random (for the benchmark), with matricules."""
    rng = np.random.default_rng(seed)
    at = pd.Timestamp(extract_date)
    age_days = rng.integers(20 * 365, 64 * 365, n)
    birth = at - pd.to_timedelta(age_days, unit="D")
    tenure = rng.integers(0, 30 * 365, n)
    entry = at - pd.to_timedelta(np.minimum(tenure, age_days - 18 * 365), unit="D")
    m = metiers.iloc[rng.integers(0, len(metiers), n)].reset_index(drop=True)
    statut = rng.choice(list(C.STATUTS), n, p=[0.72, 0.04, 0.14, 0.10])
    if "categories" in m:  # a catégorie the métier admits
        allowed = m["categories"].astype(str).str.split(";")
        pick = (rng.random(n) * allowed.str.len()).astype(int)
        categorie = np.array([c[i] for c, i in zip(allowed, pick)])
    else:
        categorie = rng.choice(list(C.CATEGORIES), n, p=[0.2, 0.2, 0.6])
    return pd.DataFrame({
        C.AGENT_ID: pd.Series(np.arange(n)).astype(str).str.zfill(7).radd("M").to_numpy(),
        C.BIRTH_DATE: birth.normalize(),
        C.SEX: rng.choice(["F", "M"], n),
        C.STATUT: statut,
        C.CATEGORIE: categorie,
        C.FILIERE: m["filiere"].to_numpy(),
        C.METIER_CODE: m["code"].to_numpy(),
        C.METIER_LABEL: m["label"].to_numpy(),
        C.DIRECTION: rng.choice(directions, n),
        C.QUOTITE: rng.choice([1.0, 0.9, 0.8, 0.5], n, p=[0.85, 0.05, 0.07, 0.03]),
        C.ENTRY_DATE: entry.normalize(),
        C.SERVICE_CATEGORY: "sedentaire",
        C.POSITION: "activite",
        C.QUARTERS: rng.integers(0, 170, n),
        C.INDICE: rng.integers(370, 830, n),
    })
