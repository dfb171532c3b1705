"""Helpers of the import tests: a small valid French SIRH extract to corrupt, and a one-call import."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from workforce import db
from workforce.ingest import import_extract

KEY = b"test-key-not-secret"
HEADER = ["Matricule", "Nom", "Prénom", "Date de naissance", "Sexe", "Statut", "Catégorie hiérarchique", "Filière",
          "Code métier", "Libellé emploi", "Direction", "Quotité de travail", "Date d'entrée", "Indice majoré"]
ROWS = [
    ["A001", "DURAND", "Marie", "12/05/1965", "Femme", "Titulaire", "C", "Technique", "COL01",
     "Agent d'entretien polyvalent des collèges", "DEC", "100 %", "01/09/1998", "420"],
    ["A002", "PETIT", "Jean", "1980-03-02", "Homme", "Contractuel permanent", "A", "Administrative", "BAT09",
     "Architecte", "DPAT", "0,8", "15/03/2010", "1 020"],
    ["A003", "MOREAU", "Léa", "03/07/1990", "F", "Stagiaire", "B", "Technique", "ROU01",
     "Agent d'exploitation des routes", "DRM", "1", "01/02/2024", "390"],
    ["A004", "SIMON", "Éric", "24/12/1972", "M", "Titulaire", "C", "Technique", "COL02",
     "Agent de restauration des collèges", "DEC", "80%", "05/01/2001", "410"],
    ["A005", "ROUX", "Anne", "31/01/1985", "2", "Contractuel non permanent", "C", "Administrative", "ADM03",
     "Secrétaire de service", "DGS", "0,5", "01/06/2025", ""],
]


def csv_bytes(rows=None, header=None, sep=";", encoding="cp1252", title=None, newline="\r\n") -> bytes:
    """A French SIRH-style CSV (values must not contain `sep`; quote them yourself if they do)."""
    rows = ROWS if rows is None else rows
    lines = ([title] if title else []) + [sep.join(header or HEADER)] + [sep.join(r) for r in rows]
    return (newline.join(lines) + newline).encode(encoding)


def run(engine, data: bytes, name: str = "extraction_2025-06-30.csv", **kw):
    return import_extract(data, name=name, engine=engine, key=KEY, **kw)


def table(engine, model) -> pd.DataFrame:
    return db.read_frame(engine, select(model))


def assert_accounted(engine, result) -> None:
    """rows_read = stored + quarantined, in the result, in the extract row and in the tables."""
    assert result.rows_read == result.rows_stored + result.rows_quarantined
    with engine.connect() as conn:
        n_snap = conn.execute(select(db.func.count()).select_from(db.AgentSnapshot)
                              .where(db.AgentSnapshot.extract_id == result.extract_id)).scalar_one()
        n_q = conn.execute(select(db.func.count()).select_from(db.QuarantinedRow)
                           .where(db.QuarantinedRow.extract_id == result.extract_id)).scalar_one()
        ex = conn.execute(select(db.Extract.rows_read, db.Extract.rows_stored, db.Extract.rows_quarantined)
                          .where(db.Extract.id == result.extract_id)).one()
    assert (n_snap, n_q) == (result.rows_stored, result.rows_quarantined)
    assert (ex.rows_read, ex.rows_stored, ex.rows_quarantined) == (result.rows_read, n_snap, n_q)
