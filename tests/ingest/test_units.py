"""Stage functions on small inputs: header matching, personal columns, dates, numbers, file-name dates."""

from __future__ import annotations

import pandas as pd
import pytest

from workforce.ingest import columns as C
from workforce.ingest.mapping import is_personal, load_mapping, match_headers, normalise
from workforce.ingest.parse import parse_dates, parse_numbers
from workforce.ingest.pipeline import date_from_name
from workforce.ingest.read import decode, sniff_delimiter


@pytest.mark.parametrize("header, canon", [
    ("Date de naissance", C.BIRTH_DATE), ("DATE_NAISS", C.BIRTH_DATE), ("Né(e) le", C.BIRTH_DATE),
    ("date naissance", C.BIRTH_DATE), ("Catégorie hiérarchique", C.CATEGORIE), ("CATEGORIE_HIERARCHIQUE", C.CATEGORIE),
    ("Quotité de travail", C.QUOTITE), ("Libellé emploi", C.METIER_LABEL), ("LIBELLE_EMPLOI", C.METIER_LABEL),
    ("N° agent", C.AGENT_ID), ("matricule", C.AGENT_ID), ("Indice majoré", C.INDICE), ("birth_date", C.BIRTH_DATE),
    ("Date d'entrée dans la fonction publique", C.PS_ENTRY_DATE), ("Motif de sortie", C.DEPARTURE_MOTIVE),
])
def test_sirh_headers_are_recognised(header, canon):
    used, personal = match_headers([header], load_mapping("auto"))
    assert used == {canon: header} and personal == []


@pytest.mark.parametrize("header", ["Nom", "NOM D'USAGE", "Prénom", "Nom de naissance", "NIR", "N° INSEE",
                                    "Numéro de sécurité sociale", "Adresse", "Code postal", "E-mail", "Courriel",
                                    "Téléphone", "Tél. portable", "IBAN", "Nom prénom",
                                    # seen in real SIRH exports (issue 11)
                                    "NOMUSAGE", "Patronyme", "Last name", "First name", "NUM_SS", "N° SS", "Nom usuel",
                                    "Lieu de naissance", "Commune de naissance", "Nationalité", "RQTH", "Handicap",
                                    "Commentaire", "Observations", "Temps partiel thérapeutique", "Nombre d'enfants"])
def test_personal_columns_are_detected(header):
    assert is_personal(header)
    used, personal = match_headers([header, "Matricule"], load_mapping("auto"))
    assert personal == [header] and used == {C.AGENT_ID: "Matricule"}


@pytest.mark.parametrize("header", ["Nom du service", "Libellé emploi", "Direction", "Statut", "Grade",
                                    "Date de naissance", "Code poste"])
def test_ordinary_columns_are_not_personal(header):
    assert not is_personal(header)


def test_normalise():
    assert normalise("  Né(e)_LE ") == "ne e le" and normalise("Quotité (%)") == "quotite"


def test_dates_in_every_format():
    text = pd.Series(["12/05/1965", "1965-05-12", "12/05/65", "12.05.1965", "19650512", "23874", "1965-05-12 00:00:00",
                      "", None, "31/02/1965", "bientôt", "01/01/1800"], dtype="string")
    dates, bad = parse_dates(text, pd.Timestamp("2025-06-30"))
    assert (dates[:7] == pd.Timestamp("1965-05-12")).all()
    assert dates[7:].isna().all() and bad.tolist() == [False] * 9 + [True] * 3


def test_two_digit_years_pivot_on_the_extract_date():
    dates, _ = parse_dates(pd.Series(["01/02/26", "01/02/27", "01/02/99"], dtype="string"), pd.Timestamp("2025-06-30"))
    assert dates.dt.year.tolist() == [2026, 1927, 1999]


def test_numbers():
    values, bad, pct = parse_numbers(pd.Series(["0,8", "1 234,5", "1.234,5", "1,234.5", "80 %", "1\u00a0020", "x", ""],
                                               dtype="string"))
    assert values[:6].tolist() == [0.8, 1234.5, 1234.5, 1234.5, 80.0, 1020.0]
    assert bad.tolist() == [False] * 6 + [True, False] and pct.tolist()[4]


@pytest.mark.parametrize("name, date", [
    ("extraction_2025-06-30.csv", "2025-06-30"), ("EXTRACT_202506.csv", "2025-06-30"), ("sirh_20250131.xlsx", "2025-01-31"),
    ("export 30-06-2025.csv", "2025-06-30"), ("effectifs_2024_02.csv", "2024-02-29"), ("extraction.csv", None),
])
def test_date_from_file_name(name, date):
    found = date_from_name(name)
    assert (found is None and date is None) or str(found.date()) == date


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_delimiter_is_detected(sep):
    text = sep.join(["Matricule", "Nom", "Direction"]) + "\n" + sep.join(["1", "a, b", "DEC"]) + "\n"
    assert sniff_delimiter(text) == sep


def test_decoding():
    assert decode("é;è".encode("cp1252"), "f")[:2] == ("é;è", "cp1252")
    assert decode("é;è".encode("utf-8"), "f")[:2] == ("é;è", "utf-8")
    assert decode(b"\xef\xbb\xbf" + "é".encode("utf-8"), "f")[:2] == ("é", "utf-8-sig")
