"""Reading a ROME release folder: every file read as text and checked, then the tables of a `RomeRelease`.

``read_release`` checks every file before anything is written (missing file or column, truncated file,
malformed code or flag, link to an unknown item, fiche without its links) and names the file, row and
column of each problem, so an import never writes half a release. Row numbers in messages are the file's
line numbers as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.referential import rome_file
from workforce.rome.checks import check_codes, check_references
from workforce.rome.layout import (APPELLATIONS_STEM, BLOC_SKILL, COMPETENCES_STEM, DOMAINS_STEM, FICHES_STEM,
                                   LINKS_STEM, REQUIRED_COLUMNS, SAVOIRS_STEM, SHOWN_PROBLEMS, RomeReleaseError)
from workforce.rome.rows import appellation_rows, fiche_rows, link_rows, skill_rows


@dataclass(frozen=True, eq=False)
class RomeRelease:
    """A checked ROME release, its tables in the database's column names (codes are text).

    ``fiches``: code, label, transition_eco (text or None), transition_num, transition_demo (bool or None),
    famille (domaine professionnel), attributes (dict). ``skills``: code, label, kind (competence, savoir_etre,
    savoir), category, transition_eco, transition_num (bool or None), macro_code (the macro-compétence a
    compétence belongs to, else None; not stored in the database). ``appellations``: code, label,
    short_label, code_rome, flags, classification, rarely_used. ``links``: code_rome, bloc, rubrique (Int64),
    code_ogr. ``files``: file name -> {"sha256", "rows"}.
    """

    folder: Path
    version: str
    title: str | None
    published_on: dt.date | None
    files: dict
    fiches: pd.DataFrame
    skills: pd.DataFrame
    appellations: pd.DataFrame
    links: pd.DataFrame

    def fiche_skills(self) -> pd.DataFrame:
        """Long table ``code_rome, skill_code, rubrique``: the compétences and savoirs of each fiche."""
        return fiche_skills_from_links(self.links)


def fiche_skills_from_links(links: pd.DataFrame) -> pd.DataFrame:
    """``code_rome, skill_code, rubrique`` from the bloc-5 links of a release (or of the rome_links table)."""
    sk = links[links["bloc"] == BLOC_SKILL]
    return pd.DataFrame({"code_rome": sk["code_rome"].to_numpy(), "skill_code": sk["code_ogr"].to_numpy(),
                         "rubrique": sk["rubrique"].to_numpy()})


def read_release(folder: str | Path) -> RomeRelease:
    """Read and check a ROME release folder; raises ``RomeReleaseError`` listing every problem.

    Nothing is returned unless every file is whole and consistent with the others, so an import never
    writes half a release.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RomeReleaseError([f"{folder}: no such folder; point to an unpacked ROME 4.0 release"])
    paths, frames, files = _read_files(folder)
    name = {stem: p.name for stem, p in paths.items()}
    problems: list[str] = []
    check_codes(frames, name, problems)
    check_references(frames, name, problems)
    if problems:
        raise RomeReleaseError(problems)
    version, title, published = _version_info(folder, paths[FICHES_STEM])
    return RomeRelease(folder=folder, version=version, title=title, published_on=published, files=files,
                       fiches=fiche_rows(frames[FICHES_STEM], frames[DOMAINS_STEM]),
                       skills=skill_rows(frames[COMPETENCES_STEM], frames[SAVOIRS_STEM]),
                       appellations=appellation_rows(frames[APPELLATIONS_STEM]), links=link_rows(frames[LINKS_STEM]))


def _read_files(folder: Path) -> tuple[dict[str, Path], dict[str, pd.DataFrame], dict[str, dict]]:
    """Every file of the release by stem: its path, its needed columns as text, its sha256 and row count.

    Raises ``RomeReleaseError`` when a file is missing or unreadable.
    """
    problems: list[str] = []
    paths, frames, files = {}, {}, {}
    for stem, cols in REQUIRED_COLUMNS.items():
        try:
            paths[stem] = rome_file(folder, stem)
        except FileNotFoundError:
            problems.append(f"{stem}_v*_utf8.csv: file not found in {folder} (the release is incomplete)")
            continue
        frames[stem], files[paths[stem].name] = _read_csv(paths[stem], cols, problems)
    if problems:
        raise RomeReleaseError(problems)
    return paths, frames, files


def _read_csv(path: Path, columns: tuple[str, ...], problems: list[str]) -> tuple[pd.DataFrame | None, dict]:
    """Every field as text; a file cut short, with an unreadable byte or a row of the wrong width is refused."""
    name = path.name
    data = path.read_bytes()
    meta = {"sha256": hashlib.sha256(data).hexdigest(), "rows": 0}
    if not data.strip():
        problems.append(f"{name}: empty file")
        return None, meta
    if not data.endswith(b"\n"):
        problems.append(f"{name}: the file does not end with a line break, so its last row is cut: "
                        "the file is truncated; download the release again")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(f"{name} row {line}: byte {data[err.start]:#x} is not UTF-8 (the ROME ships *_utf8.csv)")
        return None, meta
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as err:
        problems.append(f"{name} row {reader.line_num}: unreadable CSV ({err}); the file is probably truncated")
        return None, meta
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
        return None, meta
    body = rows[1:]
    widths = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
    bad = np.flatnonzero(widths != len(header))
    problems += [f"{name} row {i + 2}: {widths[i]} fields instead of {len(header)}"
                 + (" (the file is truncated)" if i == len(body) - 1 else "") for i in bad[:SHOWN_PROBLEMS]]
    if len(bad):
        return None, meta
    meta["rows"] = len(body)
    transposed = list(zip(*body)) if body else [()] * len(header)
    frame = pd.DataFrame({c: pd.Series(transposed[header.index(c)], dtype=object) for c in columns})
    return frame, meta


def _version_info(folder: Path, fiches_file: Path) -> tuple[str, str | None, dt.date | None]:
    """Version number, title and publication date from version.txt, else the file suffix (``v460``)."""
    suffix = re.search(r"_(v\d+)_", fiches_file.name)
    version, title, published = (suffix.group(1) if suffix else "inconnue"), None, None
    vfile = folder / "version.txt"
    if vfile.is_file():
        text = vfile.read_text(encoding="utf-8", errors="replace")
        if m := re.search(r"Num[ée]ro de version\s*:\s*(\S+)", text):
            version = m.group(1)
        if m := re.search(r"Titre/commentaire\s*:\s*(.+)", text):
            title = m.group(1).strip()
        if m := re.search(r"Date de publication\s*:\s*(\d{2})/(\d{2})/(\d{4})", text):
            published = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return version, title, published
