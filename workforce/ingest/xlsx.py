"""Read an XLSX workbook into text records: the one sheet to import, after the zip has been checked.

A workbook is a zip of XML parts; it is checked from the zip directory alone (sizes and compression ratios)
before anything is parsed, so a zip bomb costs nothing. Hidden sheets are skipped; several filled sheets are
refused unless the user names one.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd

from workforce.ingest.errors import ExtractRejected

MAX_XLSX_XML_BYTES = 300_000_000
"""Uncompressed size of a workbook's parts above which it is refused before parsing: about 400,000 rows of 20
columns; a larger extract goes through CSV (a 20 MB XLSX that unzipped to 351 MB took 6 minutes and 4 GB)."""
MAX_XLSX_RATIO = 100
"""Compression ratio of one part above which the workbook is taken for a zip bomb (real sheets: 5 to 20)."""


def _check_zip(data: bytes, name: str) -> None:
    """Refuse a workbook whose parts would unzip beyond the limits, reading only the zip directory."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ExtractRejected(f"{name} : classeur Excel illisible ou corrompu ({type(err).__name__}). "
                              "Ouvrez-le dans un tableur et enregistrez-le à nouveau en .xlsx ou en CSV.") from err
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_XML_BYTES:
        raise ExtractRejected(f"{name} : classeur de {total / 1e6:.0f} Mo une fois décompressé (au plus "
                              f"{MAX_XLSX_XML_BYTES / 1e6:.0f} Mo) ; exportez l'extraction en CSV.")
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1):
            raise ExtractRejected(f"{name} : la partie « {i.filename} » se décompresse {i.file_size // max(i.compress_size, 1)} "
                                  f"fois (au plus {MAX_XLSX_RATIO}) ; fichier suspect, refusé. Exportez l'extraction en CSV.")


def _pick_sheet(data: bytes, name: str, sheet: str | None) -> tuple[str, list[str]]:
    """The sheet to read: the one named, else the only visible non-empty one; hidden sheets are skipped."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds on a damaged archive
        raise ExtractRejected(f"{name} : classeur Excel illisible ({type(err).__name__}). "
                              "Ouvrez-le dans un tableur et enregistrez-le à nouveau en .xlsx ou en CSV.") from err
    try:
        states = {ws.title: ws.sheet_state for ws in book.worksheets}
        if sheet is not None:
            if sheet not in states:
                raise ExtractRejected(f"{name} : pas de feuille « {sheet} » ; feuilles du classeur : "
                                      + ", ".join(f"« {t} »" for t in states) + ".")
            return sheet, []
        filled = [ws.title for ws in book.worksheets
                  if any(any(v is not None and str(v).strip() for v in row)
                         for row in ws.iter_rows(max_row=50, values_only=True))]
    finally:
        book.close()
    visible = [t for t in filled if states[t] == "visible"]
    hidden = [t for t in filled if states[t] != "visible"]
    warnings = [f"{name} : feuille(s) masquée(s) ignorée(s) : " + ", ".join(f"« {t} »" for t in hidden) + "."] \
        if hidden else []
    if not visible:
        raise ExtractRejected(f"{name} : aucune feuille visible non vide"
                              + (" (seules des feuilles masquées ont des données ; nommez-en une avec --sheet)."
                                 if hidden else "."))
    if len(visible) > 1:
        raise ExtractRejected(f"{name} : {len(visible)} feuilles contiennent des données ("
                              + ", ".join(f"« {t} »" for t in visible) + ") ; indiquez celle à importer "
                              "(--sheet NOM, ou le champ « Feuille » de l'application) ; rien n'a été importé.")
    return visible[0], warnings


def xlsx_records(data: bytes, name: str, sheet: str | None = None) -> tuple[list[list[str]], np.ndarray, list[str]]:
    _check_zip(data, name)
    sheet_name, warnings = _pick_sheet(data, name, sheet)
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet_name, header=None, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise ExtractRejected(f"{name} : classeur Excel illisible ou corrompu ({type(err).__name__}). "
                              "Ouvrez-le dans un tableur et enregistrez-le à nouveau en .xlsx ou en CSV.") from err
    except Exception as err:  # openpyxl raises many kinds on a damaged archive
        raise ExtractRejected(f"{name} : classeur Excel illisible ({type(err).__name__} : {err}).") from err
    frame = frame.fillna("")
    # a whole-day datetime cell arrives as "2025-06-30 00:00:00": keep the date
    frame = frame.apply(lambda col: col.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True))
    records = frame.to_numpy(dtype=object).tolist()
    return records, np.arange(1, len(records) + 1, dtype=np.int64), warnings
