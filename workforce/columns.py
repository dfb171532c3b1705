"""Column names of an agent snapshot (the names of db.AgentSnapshot), defined once for every stage.

A light module on purpose: the import, the panel and the engine all name the same columns, and none of them
should pay for another stage's imports to do so.
"""

from __future__ import annotations

# canonical columns, in the order of db.AgentSnapshot
AGENT_ID = "agent_id"
BIRTH_DATE = "birth_date"
SEX = "sex"
STATUT = "statut"
CATEGORIE = "categorie"
FILIERE = "filiere"
CADRE_EMPLOIS = "cadre_emplois"
GRADE = "grade"
METIER_CODE = "metier_code"
METIER_LABEL = "metier_label"
DIRECTION = "direction"
SERVICE = "service"
QUOTITE = "quotite"
ENTRY_DATE = "entry_date"
PS_ENTRY_DATE = "public_service_entry_date"
SERVICE_CATEGORY = "service_category"
POSITION = "position"
ACTIVE_YEARS = "active_service_years"
QUARTERS = "insurance_quarters"
INDICE = "indice_majore"
DEPARTURE_DATE = "departure_date"
DEPARTURE_MOTIVE = "departure_motive"
EXTRACT_DATE = "extract_date"  # optional column of the file; always set on the stored frame
EXTRA = "extra"
