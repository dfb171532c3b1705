"""Helpers of the app tests: run a page in AppTest, read its metrics and messages."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
PAGES = ("dashboard", "retirements", "scenarios", "skills", "metiers", "data", "guide")


def page_path(stem: str) -> str:
    return f"workforce/ui/pages/{stem}.py"


def copy_demo_db(demo_db, target: Path) -> str:
    """A copy of the shared demo database at ``target`` (a file path), returned as its URL.

    Through SQLite's backup, never by copying the file: this process holds connections to it, and closing any other
    descriptor of the same file drops their POSIX locks (every later connection then fails with « disk I/O
    error »); a file copy would also miss what still sits in the write-ahead log."""
    import sqlite3

    source = sqlite3.connect(Path(demo_db["home"]) / "workforce.db")
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return f"sqlite:///{target}"


def has_model(demo_db, name: str) -> bool:
    return demo_db["trained"].get(name) in ("promoted", "unchanged", "rejected")


def as_number(text) -> float:
    """'1 234,5 %' -> 1234.5 (French formats of the app)."""
    from workforce.ui.common import as_number as parse

    return parse(text)


def app(page: str | None = None, timeout: float = 120):
    """An AppTest of app.py, run once, then switched to ``page`` and run again."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout).run()
    if page and page != "dashboard":
        at.switch_page(page_path(page)).run()
    return at


def metric(at, label_start: str):
    """The value of the metric whose label starts with ``label_start``."""
    for m in at.metric:
        if re.sub(r"\s+", " ", m.label).startswith(label_start):
            return m.value
    raise AssertionError(f"no metric {label_start!r}; found {[m.label for m in at.metric]}")


def texts(at) -> str:
    """Every message, caption and markdown text of the page, joined (for 'the page says so' checks)."""
    parts = []
    for kind in ("info", "warning", "error", "success", "caption", "markdown", "title", "subheader"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def table_with(at, column: str):
    """The first dataframe of the page having ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a column {column!r}; found {[list(d.value.columns) for d in at.dataframe]}")


def numbers(column):
    """A table column shown in French ('1 234,5', '—' for a blank) back to floats (NaN for a blank)."""
    import pandas as pd

    return pd.Series([as_number(v) if v is not None else float("nan") for v in column], index=column.index,
                     dtype=float)
