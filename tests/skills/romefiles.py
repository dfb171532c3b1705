"""Read, write and cut ROME release files for the tests (never into the repository)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

# fiches of a small release: ROME codes of the built-in référentiel plus a few of the care and social sector
MINI_FICHES = ("K1201", "K1302", "K1304", "K1305", "J1501", "J1507", "G1606", "G1601", "I1203", "K2204",
               "A1203", "M1607", "M1805", "K1802", "N4101")


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def cut_release(source: Path, target: Path, fiches=MINI_FICHES) -> Path:
    """A smaller release with the same file names: the chosen fiches and every item they link to."""
    target.mkdir(parents=True, exist_ok=True)
    keep = set(fiches)
    files = {p.name: p for p in source.glob("*.csv")}
    by_stem = {name.split("_v")[0]: name for name in files}
    h, links = read_rows(files[by_stem["unix_liens_rome_referentiels"]])
    links = [r for r in links if r[0] in keep]
    write_rows(target / by_stem["unix_liens_rome_referentiels"], h, links)
    linked = {r[3] for r in links}
    for stem, key in (("unix_referentiel_code_rome", 0), ("unix_cr_gd_dp", 0), ("unix_referentiel_appellation", 3)):
        h, rows = read_rows(files[by_stem[stem]])
        write_rows(target / by_stem[stem], h, [r for r in rows if r[key] in keep])
    for stem in ("unix_referentiel_competence", "unix_referentiel_savoir", "unix_referentiel_contexte_travail"):
        h, rows = read_rows(files[by_stem[stem]])
        write_rows(target / by_stem[stem], h, [r for r in rows if r[0] in linked])
    if (source / "version.txt").exists():
        shutil.copy(source / "version.txt", target / "version.txt")
    return target
