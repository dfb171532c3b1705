"""Canonical columns of an imported extract, defined once, and the French words that name them.

Glossary (French domain words kept in French):
matricule      the employer's agent identifier; replaced by a pseudonym at read time, never stored.
statut         titulaire (tenured fonctionnaire), stagiaire (on probation), contractuel permanent (contract
               on a permanent post), contractuel non permanent (temporary, seasonal, replacement).
catégorie      A, B or C: the hierarchical level of the post (A+ is stored as A).
filière        the professional branch (administrative, technique, médico-sociale, ...).
cadre d'emplois / grade   the body and the rank inside it.
quotité        the share of full time worked, in (0, 1].
catégorie de service (service_category)   sédentaire, active or insalubre (CNRACL, drives the retirement age).
position       activité, détachement, disponibilité, congé parental, ... (statutory position).
indice majoré  the pay index.
"""

from __future__ import annotations

# canonical columns, in the order of db.AgentSnapshot (defined once in workforce.columns)
from workforce.columns import (  # noqa: F401 - re-exported for the import stages
    AGENT_ID, BIRTH_DATE, SEX, STATUT, CATEGORIE, FILIERE, CADRE_EMPLOIS, GRADE, METIER_CODE, METIER_LABEL,
    DIRECTION, SERVICE, QUOTITE, ENTRY_DATE, PS_ENTRY_DATE, SERVICE_CATEGORY, POSITION, ACTIVE_YEARS, QUARTERS,
    INDICE, DEPARTURE_DATE, DEPARTURE_MOTIVE, EXTRACT_DATE, EXTRA, CATEGORY_CODES,
)

DATE_COLUMNS = (BIRTH_DATE, ENTRY_DATE, PS_ENTRY_DATE, DEPARTURE_DATE)
FLOAT_COLUMNS = (QUOTITE, ACTIVE_YEARS)
INT_COLUMNS = (QUARTERS, INDICE)
TEXT_COLUMNS = (AGENT_ID, SEX, STATUT, CATEGORIE, FILIERE, CADRE_EMPLOIS, GRADE, METIER_CODE, METIER_LABEL,
                DIRECTION, SERVICE, SERVICE_CATEGORY, POSITION, DEPARTURE_MOTIVE)

CANONICAL = (AGENT_ID, BIRTH_DATE, SEX, STATUT, CATEGORIE, FILIERE, CADRE_EMPLOIS, GRADE, METIER_CODE,
             METIER_LABEL, DIRECTION, SERVICE, QUOTITE, ENTRY_DATE, PS_ENTRY_DATE, SERVICE_CATEGORY, POSITION,
             ACTIVE_YEARS, QUARTERS, INDICE, DEPARTURE_DATE, DEPARTURE_MOTIVE)
"""Columns an extract may carry (plus `extract_date`), in the order of the database table."""

REQUIRED = (AGENT_ID, BIRTH_DATE, STATUT, CATEGORIE, DIRECTION)
"""A file without one of these is refused as a whole; the métier needs its code or its label."""
METIER_ANY = (METIER_CODE, METIER_LABEL)

# French names used in messages (the user never sees the canonical English names alone)
FRENCH = {
    AGENT_ID: "matricule",
    BIRTH_DATE: "date de naissance",
    SEX: "sexe",
    STATUT: "statut",
    CATEGORIE: "catégorie",
    FILIERE: "filière",
    CADRE_EMPLOIS: "cadre d'emplois",
    GRADE: "grade",
    METIER_CODE: "code métier",
    METIER_LABEL: "libellé métier",
    DIRECTION: "direction",
    SERVICE: "service",
    QUOTITE: "quotité",
    ENTRY_DATE: "date d'entrée dans la collectivité",
    PS_ENTRY_DATE: "date d'entrée dans la fonction publique",
    SERVICE_CATEGORY: "catégorie de service (sédentaire/active)",
    POSITION: "position",
    ACTIVE_YEARS: "années de service actif",
    QUARTERS: "trimestres d'assurance",
    INDICE: "indice majoré",
    DEPARTURE_DATE: "date de départ",
    DEPARTURE_MOTIVE: "motif de départ",
    EXTRACT_DATE: "date d'extraction",
}

STATUTS = ("titulaire", "stagiaire", "contractuel_permanent", "contractuel_non_permanent")
CATEGORIES = CATEGORY_CODES
SEXES = ("F", "M")
SERVICE_CATEGORIES = ("sedentaire", "active", "insalubre")

# bounds of the row checks
MIN_AGE, MAX_AGE = 15, 75
MIN_INDICE, MAX_INDICE = 100, 2000
MAX_QUARTERS = 300
MAX_ACTIVE_YEARS = 60

# movements
ARRIVAL, DEPARTURE, INTERNAL = "arrival", "departure", "internal"
UNKNOWN_MOTIVE = "inconnu"
