"""The ROME 4.0 of France Travail: read and check a release, import it into the database, match job titles.

The ROME (Répertoire Opérationnel des Métiers et des Emplois) is the public taxonomy of jobs: 1,584 fiches
métier (code ROME such as ``K1302``), their appellations (13,000 job titles), and about 33,000 compétences
and savoirs (each with a ``code_ogr``), linked fiche by fiche. France Travail publishes it as a folder of CSV
files whose names carry a version suffix (``unix_referentiel_code_rome_v460_utf8.csv``); this module reads
any such release, so a newer one is imported the same way.

Vocabulary of the release:

- fiche: a ROME métier (``code_rome``), flagged for the ecological (``transition_eco``: Emploi Vert,
  Emploi stratégique pour la Transition écologique, Emploi Brun, Emploi Blanc), digital (``transition_num``)
  and demographic (``transition_demo``) transitions;
- appellation: a job title attached to one fiche;
- compétence (savoir-faire or savoir-être professionnel, some grouped as macro-compétences) and savoir
  (knowledge), each flagged for the ecological and digital transitions ("O"/"N");
- link (``unix_liens_rome_referentiels``): fiche -> item, by bloc: 1 the fiche itself, 2 an appellation,
  5 a compétence (rubrique 1 savoir-faire, 2 savoir-être) or a savoir (rubrique 3), 6 a contexte de travail.

``read_release`` checks every file before anything is written (missing file or column, truncated file,
malformed code or flag, link to an unknown item, fiche without its links) and names the file, row and
column of each problem; ``import_release`` then writes the whole release in one transaction, updating in
place what an earlier release left, and reports what changed. ``match_titles`` suggests ROME fiches for
local job labels; it never changes anything.

Row numbers in messages are the file's line numbers as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from workforce.referential import find_rome_dir, rome_file

# file stems of a release (the version suffix changes) and the columns this module needs from each
FICHES_STEM = "unix_referentiel_code_rome"
APPELLATIONS_STEM = "unix_referentiel_appellation"
COMPETENCES_STEM = "unix_referentiel_competence"
SAVOIRS_STEM = "unix_referentiel_savoir"
LINKS_STEM = "unix_liens_rome_referentiels"
DOMAINS_STEM = "unix_cr_gd_dp"
CONTEXTS_STEM = "unix_referentiel_contexte_travail"

REQUIRED_COLUMNS = {
    FICHES_STEM: ("code_rome", "code_ogr", "libelle_rome", "transition_eco", "transition_num", "transition_demo",
                  "emploi_reglemente", "emploi_cadre", "code_rome_parent"),
    APPELLATIONS_STEM: ("code_ogr", "libelle_appellation_long", "libelle_appellation_court", "code_rome",
                        "transition_eco", "transition_num", "transition_demo", "classification", "peu_usite"),
    COMPETENCES_STEM: ("code_ogr", "nature", "libelle_competence", "cat_comp", "sous_cat_comp", "transition_eco",
                       "transition_num"),
    SAVOIRS_STEM: ("code_ogr_savoir", "libelle_savoir", "categorie_savoir", "sous_categorie_savoir",
                   "transition_eco", "transition_num"),
    LINKS_STEM: ("code_rome", "code_compo_bloc", "code_rubrique", "code_ogr"),
    DOMAINS_STEM: ("code_rome", "code_grand_domaine", "libelle_grand_domaine", "code_domaine_professionel",
                   "libelle_domaine_professionel"),
    CONTEXTS_STEM: ("code_ogr", "libelle_cont_travail"),
}

# bloc of a link: what the code_ogr of the link designates
BLOC_FICHE, BLOC_APPELLATION, BLOC_SKILL, BLOC_CONTEXT = 1, 2, 5, 6
RUBRIQUES = {"": None, "1": 1, "2": 2, "3": 3}  # 1 savoir-faire, 2 savoir-être professionnel, 3 savoirs

ECO_FLAGS = ("Emploi Vert", "Emploi stratégique pour la Transition écologique", "Emploi Brun", "Emploi Blanc")
YES_NO = {"O": True, "N": False, "": None}
CODE_ROME_RE = r"^[A-Z]\d{4}$"
CODE_OGR_RE = r"^\d+$"

SHOWN_PROBLEMS = 30


class RomeReleaseError(ValueError):
    """A ROME release that cannot be imported: every problem, one line each, naming file, row and column."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:SHOWN_PROBLEMS]
        more = len(self.problems) - len(shown)
        super().__init__("\n".join(shown + ([f"... and {more} more problem(s)"] if more > 0 else [])))


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True, eq=False)
class RomeRelease:
    """A checked ROME release, its tables in the database's column names (codes are text).

    ``fiches``: code, label, transition_eco (text or None), transition_num, transition_demo (bool or None),
    famille (domaine professionnel), attributes (dict). ``skills``: code, label, kind (competence, savoir_etre,
    savoir), category, transition_eco, transition_num (bool or None). ``appellations``: code, label,
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


def _check_pattern(frame: pd.DataFrame, file: str, col: str, pattern: str, what: str, problems: list[str]) -> None:
    bad = ~frame[col].str.match(pattern)
    problems += [f"{file} row {i + 2}, column {col}: {frame[col].iat[i]!r} is not {what}"
                 for i in np.flatnonzero(bad.to_numpy())[:SHOWN_PROBLEMS]]


def _check_values(frame: pd.DataFrame, file: str, col: str, allowed: Iterable[str], problems: list[str]) -> None:
    allowed = tuple(allowed)
    bad = ~frame[col].isin(allowed)
    shown = ", ".join(repr(a) for a in allowed)
    problems += [f"{file} row {i + 2}, column {col}: {frame[col].iat[i]!r} is not one of {shown}"
                 for i in np.flatnonzero(bad.to_numpy())[:SHOWN_PROBLEMS]]


def _check_unique(frame: pd.DataFrame, file: str, cols: list[str], problems: list[str]) -> None:
    dup = frame.duplicated(cols, keep="first").to_numpy()
    problems += [f"{file} row {i + 2}, column {cols[-1]}: duplicate {' / '.join(frame[cols].iloc[i])}"
                 for i in np.flatnonzero(dup)[:SHOWN_PROBLEMS]]


def _check_known(frame: pd.DataFrame, file: str, col: str, known, target: str, problems: list[str],
                 mask=None) -> None:
    bad = ~frame[col].isin(known)
    if mask is not None:
        bad &= mask
    problems += [f"{file} row {i + 2}, column {col}: {frame[col].iat[i]} unknown in {target}"
                 + " (a file of the release is truncated or from another version)"
                 for i in np.flatnonzero(bad.to_numpy())[:SHOWN_PROBLEMS]]


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


def read_release(folder: str | Path) -> RomeRelease:
    """Read and check a ROME release folder; raises ``RomeReleaseError`` listing every problem.

    Nothing is returned unless every file is whole and consistent with the others, so an import never
    writes half a release.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RomeReleaseError([f"{folder}: no such folder; point to an unpacked ROME 4.0 release"])
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
    name = {stem: p.name for stem, p in paths.items()}
    f, a, c, s, l, d, x = (frames[k] for k in (FICHES_STEM, APPELLATIONS_STEM, COMPETENCES_STEM, SAVOIRS_STEM,
                                                 LINKS_STEM, DOMAINS_STEM, CONTEXTS_STEM))
    # codes and flags
    _check_pattern(f, name[FICHES_STEM], "code_rome", CODE_ROME_RE, "a code ROME (a letter and 4 digits)", problems)
    for frame, stem, col in ((f, FICHES_STEM, "code_ogr"), (a, APPELLATIONS_STEM, "code_ogr"),
                             (c, COMPETENCES_STEM, "code_ogr"), (s, SAVOIRS_STEM, "code_ogr_savoir"),
                             (l, LINKS_STEM, "code_ogr"), (x, CONTEXTS_STEM, "code_ogr")):
        _check_pattern(frame, name[stem], col, CODE_OGR_RE, "a code_ogr (digits)", problems)
    _check_unique(f, name[FICHES_STEM], ["code_rome"], problems)
    _check_unique(a, name[APPELLATIONS_STEM], ["code_ogr"], problems)
    _check_unique(c, name[COMPETENCES_STEM], ["code_ogr"], problems)
    _check_unique(s, name[SAVOIRS_STEM], ["code_ogr_savoir"], problems)
    _check_unique(l, name[LINKS_STEM], ["code_rome", "code_compo_bloc", "code_ogr"], problems)
    for frame, stem in ((f, FICHES_STEM), (a, APPELLATIONS_STEM)):
        _check_values(frame, name[stem], "transition_eco", ("", *ECO_FLAGS), problems)
        _check_values(frame, name[stem], "transition_num", YES_NO, problems)
        _check_values(frame, name[stem], "transition_demo", YES_NO, problems)
    for frame, stem in ((c, COMPETENCES_STEM), (s, SAVOIRS_STEM)):
        _check_values(frame, name[stem], "transition_eco", YES_NO, problems)
        _check_values(frame, name[stem], "transition_num", YES_NO, problems)
    _check_values(l, name[LINKS_STEM], "code_compo_bloc", ("1", "2", "5", "6"), problems)
    _check_values(l, name[LINKS_STEM], "code_rubrique", RUBRIQUES, problems)
    if set(c["code_ogr"]) & set(s["code_ogr_savoir"]):
        shared = sorted(set(c["code_ogr"]) & set(s["code_ogr_savoir"]))[:5]
        problems.append(f"{name[SAVOIRS_STEM]}: code_ogr {', '.join(shared)} also in {name[COMPETENCES_STEM]}")
    # cross-file references: a truncated file leaves links to items it no longer holds
    fiches = set(f["code_rome"])
    bloc = l["code_compo_bloc"]
    _check_known(l, name[LINKS_STEM], "code_rome", fiches, name[FICHES_STEM], problems)
    _check_known(l, name[LINKS_STEM], "code_ogr", set(a["code_ogr"]), name[APPELLATIONS_STEM], problems,
                 bloc == "2")
    _check_known(l, name[LINKS_STEM], "code_ogr", set(c["code_ogr"]) | set(s["code_ogr_savoir"]),
                 f"{name[COMPETENCES_STEM]} nor {name[SAVOIRS_STEM]}", problems, bloc == "5")
    _check_known(l, name[LINKS_STEM], "code_ogr", set(x["code_ogr"]), name[CONTEXTS_STEM], problems, bloc == "6")
    _check_known(a, name[APPELLATIONS_STEM], "code_rome", fiches, name[FICHES_STEM], problems)
    _check_known(d, name[DOMAINS_STEM], "code_rome", fiches, name[FICHES_STEM], problems)
    # ... and fiches without the links every fiche has
    for what, mask in (("its own bloc-1 link", bloc == "1"), ("any compétence or savoir (bloc 5)", bloc == "5")):
        lacking = sorted(fiches - set(l.loc[mask, "code_rome"]))
        if lacking:
            problems.append(f"{name[LINKS_STEM]}: {len(lacking)} fiche(s) without {what}, e.g. "
                            f"{', '.join(lacking[:5])} (the links file is truncated?)")
    unlinked = sorted(set(a["code_ogr"]) - set(l.loc[bloc == "2", "code_ogr"]))
    if unlinked:
        problems.append(f"{name[LINKS_STEM]}: {len(unlinked)} appellation(s) of {name[APPELLATIONS_STEM]} "
                        f"never linked (bloc 2), e.g. {', '.join(unlinked[:5])} (the links file is truncated?)")
    undomained = sorted(fiches - set(d["code_rome"]))
    if undomained:
        problems.append(f"{name[DOMAINS_STEM]}: {len(undomained)} fiche(s) without domain, e.g. "
                        f"{', '.join(undomained[:5])} (the file is truncated?)")
    if problems:
        raise RomeReleaseError(problems)
    version, title, published = _version_info(folder, paths[FICHES_STEM])
    return RomeRelease(folder=folder, version=version, title=title, published_on=published, files=files,
                       fiches=_fiche_rows(f, d), skills=_skill_rows(c, s), appellations=_appellation_rows(a),
                       links=_link_rows(l))


def _flag(col: pd.Series) -> pd.Series:
    return col.map(YES_NO).astype(object)


def _none_if_empty(col: pd.Series) -> pd.Series:
    return col.where(col != "", None).astype(object)


def _fiche_rows(f: pd.DataFrame, d: pd.DataFrame) -> pd.DataFrame:
    dom = d.drop_duplicates("code_rome").set_index("code_rome").reindex(f["code_rome"])
    attributes = [
        {"code_ogr": ogr, "grand_domaine": gd, "grand_domaine_label": gdl, "domaine_professionnel": dp,
         "emploi_reglemente": bool(reg == "O") if reg else None, "emploi_cadre": bool(cad == "O") if cad else None,
         "code_rome_parent": parent or None}
        for ogr, gd, gdl, dp, reg, cad, parent in zip(
            f["code_ogr"], dom["code_grand_domaine"], dom["libelle_grand_domaine"],
            dom["code_domaine_professionel"], f["emploi_reglemente"], f["emploi_cadre"], f["code_rome_parent"])
    ]
    return pd.DataFrame({
        "code": f["code_rome"].to_numpy(), "label": f["libelle_rome"].to_numpy(), "source": "rome",
        "famille": dom["libelle_domaine_professionel"].to_numpy(), "rome_codes": f["code_rome"].to_numpy(),
        "transition_eco": _none_if_empty(f["transition_eco"]).to_numpy(),
        "transition_num": _flag(f["transition_num"]).to_numpy(),
        "transition_demo": _flag(f["transition_demo"]).to_numpy(), "attributes": attributes,
    })


def _category(*parts: pd.Series) -> pd.Series:
    out = parts[0]
    for p in parts[1:]:
        out = out.str.cat(p, sep=" / ").str.strip(" /")
    return _none_if_empty(out)


def _skill_rows(c: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    macro = np.where(c["nature"].str.startswith("Macro"), "Macro-compétence", "")
    comp = pd.DataFrame({
        "code": c["code_ogr"], "label": c["libelle_competence"],
        "kind": np.where(c["cat_comp"].str.startswith("Savoir-être"), "savoir_etre", "competence"),
        "source": "rome", "category": _category(pd.Series(macro, index=c.index), c["cat_comp"], c["sous_cat_comp"]),
        "transition_eco": _flag(c["transition_eco"]), "transition_num": _flag(c["transition_num"]),
    })
    sav = pd.DataFrame({
        "code": s["code_ogr_savoir"], "label": s["libelle_savoir"], "kind": "savoir", "source": "rome",
        "category": _category(s["categorie_savoir"], s["sous_categorie_savoir"]),
        "transition_eco": _flag(s["transition_eco"]), "transition_num": _flag(s["transition_num"]),
    })
    return pd.concat([comp, sav], ignore_index=True)


def _appellation_rows(a: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code": a["code_ogr"], "label": a["libelle_appellation_long"],
        "short_label": _none_if_empty(a["libelle_appellation_court"]), "code_rome": a["code_rome"],
        "transition_eco": _none_if_empty(a["transition_eco"]), "transition_num": _flag(a["transition_num"]),
        "transition_demo": _flag(a["transition_demo"]), "classification": _none_if_empty(a["classification"]),
        "rarely_used": _flag(a["peu_usite"]),
    }).reset_index(drop=True)


def _link_rows(l: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code_rome": l["code_rome"].to_numpy(), "bloc": l["code_compo_bloc"].astype("int64").to_numpy(),
        "rubrique": pd.array(l["code_rubrique"].map(RUBRIQUES), dtype="Int64"), "code_ogr": l["code_ogr"].to_numpy(),
    })


# ------------------------------------------------------------------------------------------ import


@dataclass
class TableChanges:
    """What an import did to one table; ``examples`` holds a few codes of each change for the report."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    kept: int = 0  # removed from the release but still referenced locally, so kept
    examples: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed, "kept": self.kept,
                "examples": self.examples}


@dataclass
class RomeImportReport:
    """The outcome of ``import_release``: the release, row counts per table and the changes."""

    version: str
    title: str | None
    published_on: dt.date | None
    counts: dict
    changes: dict  # table -> TableChanges
    previous_version: str | None = None

    @property
    def unchanged(self) -> bool:
        return not any(c.added or c.removed or c.changed for c in self.changes.values())


EXAMPLES = 5


def _norm(value):
    """A value as comparable text: NA -> "", bools and numbers canonical, dicts as sorted JSON."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    return str(value)


def _text(col: pd.Series) -> list[str]:
    """A column as comparable text, vectorised: NA -> "", integral numbers without ".0", dicts as JSON."""
    if pd.api.types.is_bool_dtype(col):
        return ["1" if v else "0" for v in col]
    if pd.api.types.is_numeric_dtype(col):
        num = pd.to_numeric(col, errors="coerce")
        return [("" if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v)) for v in num]
    values = col.astype(object).to_numpy()
    missing = col.isna().to_numpy()
    if any(isinstance(v, (dict, bool, np.bool_, int, np.integer)) for v in values[~missing]):
        return [_norm(v) for v in values]
    return ["" if m else str(v) for v, m in zip(values, missing)]


def _row_keys(frame: pd.DataFrame, cols: list[str]) -> list[str]:
    parts = [_text(frame[c]) for c in cols]
    return ["\x1f".join(t) for t in zip(*parts)] if parts else [""] * len(frame)


def _diff(current: pd.DataFrame, new: pd.DataFrame, key: list[str], compare: list[str]):
    """(added rows of new, removed rows of current, changed rows of new with current's extra columns)."""
    ck, nk = _row_keys(current, key), _row_keys(new, key)
    cv, nv = _row_keys(current, compare), _row_keys(new, compare)
    where = {k: i for i, k in enumerate(ck)}
    pos = np.fromiter((where.get(k, -1) for k in nk), dtype=np.int64, count=len(nk))
    added = pos < 0
    changed = np.fromiter((p >= 0 and v != cv[p] for p, v in zip(pos, nv)), dtype=bool, count=len(nk))
    present = set(nk)
    removed = np.fromiter((k not in present for k in ck), dtype=bool, count=len(ck))
    extra = [c for c in current.columns if c not in new.columns]
    changed_rows = new[changed].reset_index(drop=True)
    for c in extra:
        changed_rows[c] = current[c].to_numpy()[pos[changed]]
    return new[added], current[removed], changed_rows


def _examples(frame: pd.DataFrame, col: str) -> list[str]:
    return [str(v) for v in frame[col].head(EXAMPLES)]


def import_release(engine, folder: str | Path, *, progress: Callable[[str], None] | None = None,
                   release: RomeRelease | None = None, actor: str | None = None) -> RomeImportReport:
    """Import a ROME release into the database in one transaction and report what changed.

    ROME fiches become métiers of source "rome" (with their transition flags), compétences and savoirs
    become skills, and the appellations and fiche-to-item links fill their own tables. A newer release
    updates these rows in place: new items are added, items gone from the release are removed, except a
    skill still required by a local métier or assessed for an agent (kept, and counted as such). Raises
    ``RomeReleaseError`` before writing anything if the release is not whole.
    """
    from sqlalchemy import func, select

    from workforce import db

    say = progress or (lambda _msg: None)
    say("lecture et contrôle des fichiers")
    rel = release or read_release(folder)
    db.init_db(engine)
    changes: dict[str, TableChanges] = {}
    with db.session_scope(engine) as session:
        conn = session.connection()
        previous = session.execute(select(db.RomeRelease.version).order_by(db.RomeRelease.id.desc())
                                   .limit(1)).scalar_one_or_none()
        # métiers: a local métier may not already hold a fiche's code
        say("fiches métier")
        clash = set(session.execute(select(db.Metier.code).where(db.Metier.source != "rome")
                                    .where(db.Metier.code.in_(list(rel.fiches["code"])))).scalars())
        if clash:
            raise RomeReleaseError([f"métier code(s) {', '.join(sorted(clash)[:5])} of the database (source "
                                    "builtin/local) are also ROME fiche codes: rename the local métiers first"])
        cols = ["code", "label", "source", "famille", "rome_codes", "transition_eco", "transition_num",
                "transition_demo", "attributes"]
        cur = db.read_frame(conn, select(*[getattr(db.Metier, c) for c in cols]).where(db.Metier.source == "rome"))
        changes["metiers"] = _sync(session, db.Metier, cur, rel.fiches, ["code"], cols[1:])
        # skills: a skill gone from the release stays while something local refers to it
        say("compétences et savoirs")
        cols = ["code", "label", "kind", "source", "category", "transition_eco", "transition_num"]
        cur = db.read_frame(conn, select(*[getattr(db.Skill, c) for c in cols]).where(db.Skill.source == "rome"))
        used = set(session.execute(select(db.MetierSkill.skill_code).distinct()).scalars()) | \
            set(session.execute(select(db.AgentSkill.skill_code).distinct()).scalars())
        changes["skills"] = _sync(session, db.Skill, cur, rel.skills, ["code"], cols[1:], protected=used)
        say("appellations")
        cols = ["code", "label", "short_label", "code_rome", "transition_eco", "transition_num", "transition_demo",
                "classification", "rarely_used"]
        cur = db.read_frame(conn, select(*[getattr(db.RomeAppellation, c) for c in cols]))
        changes["appellations"] = _sync(session, db.RomeAppellation, cur, rel.appellations, ["code"], cols[1:])
        say("liens fiche -> compétences, savoirs, appellations, contextes")
        cur = db.read_frame(conn, select(db.RomeLink.id, db.RomeLink.code_rome, db.RomeLink.bloc,
                                         db.RomeLink.rubrique, db.RomeLink.code_ogr))
        changes["links"] = _sync(session, db.RomeLink, cur, rel.links, ["code_rome", "bloc", "code_ogr"],
                                 ["rubrique"], pk="id")
        counts = {
            "fiches": session.execute(select(func.count()).select_from(db.Metier)
                                      .where(db.Metier.source == "rome")).scalar_one(),
            "skills": session.execute(select(func.count()).select_from(db.Skill)
                                      .where(db.Skill.source == "rome")).scalar_one(),
            "appellations": session.execute(select(func.count()).select_from(db.RomeAppellation)).scalar_one(),
            "links": session.execute(select(func.count()).select_from(db.RomeLink)).scalar_one(),
        }
        summary = {k: v.as_dict() for k, v in changes.items()}
        session.add(db.RomeRelease(version=rel.version, title=rel.title, published_on=rel.published_on,
                                   folder=str(rel.folder), files=rel.files, counts=counts, changes=summary))
        db.audit(session, "import_rome", {"version": rel.version, "folder": str(rel.folder), "counts": counts,
                                          "previous_version": previous}, actor=actor)
    return RomeImportReport(version=rel.version, title=rel.title, published_on=rel.published_on, counts=counts,
                            changes=changes, previous_version=previous)


def _sync(session, model, current: pd.DataFrame, new: pd.DataFrame, key: list[str], compare: list[str],
          *, protected: set | None = None, pk: str | None = None) -> TableChanges:
    """Make ``model``'s rows equal to ``new``: delete what left, update what changed, insert what came."""
    from sqlalchemy import delete, update

    from workforce import db

    table = model.__table__
    added, removed, changed = _diff(current, new, key, compare)
    out = TableChanges(added=len(added), changed=len(changed))
    if protected:
        keep = removed[key[0]].isin(protected)
        out.kept = int(keep.sum())
        out.examples["kept"] = _examples(removed[keep], key[0])
        removed = removed[~keep]
    out.removed = len(removed)
    label = key[0] if len(key) == 1 else key
    for name, frame in (("added", added), ("removed", removed), ("changed", changed)):
        if len(frame):
            out.examples[name] = (_examples(frame, label) if isinstance(label, str) else
                                  [" ".join(map(str, r)) for r in frame[label].head(EXAMPLES).itertuples(index=False)])
    pk_col = pk or key[0]
    ids = removed[pk_col].tolist()
    for start in range(0, len(ids), 5000):
        session.execute(delete(table).where(table.c[pk_col].in_(ids[start:start + 5000])))
    if len(changed):
        values = changed[[pk_col] + compare].astype(object)
        rows = values.where(values.notna(), None).to_dict("records")
        session.execute(update(model), rows)
    if len(added):
        db.bulk_insert(session, model, added)
    return out


# ------------------------------------------------------------------------------------------ reading back


def load_appellations(engine=None, rome_dir: str | Path | None = None) -> pd.DataFrame:
    """Appellations with their fiche: ``code, label, code_rome, fiche_label``.

    From the database when a release was imported there, else read from ``rome_dir`` (or the default
    ROME folder). Raises ``LookupError`` when neither holds a release.
    """
    from sqlalchemy import select

    from workforce import db

    if engine is not None and rome_dir is None:
        db.init_db(engine)
        frame = db.read_frame(engine, select(db.RomeAppellation.code, db.RomeAppellation.label,
                                             db.RomeAppellation.code_rome, db.Metier.label.label("fiche_label"))
                              .join(db.Metier, db.Metier.code == db.RomeAppellation.code_rome))
        if len(frame):
            return frame
    folder = find_rome_dir(rome_dir)
    if folder is None:
        raise LookupError("no ROME release in the database nor on disk: run `workforce referential import-rome "
                          "DOSSIER` or set WORKFORCE_ROME_DIR")
    rel = read_release(folder)
    labels = rel.fiches.set_index("code")["label"]
    app = rel.appellations
    return pd.DataFrame({"code": app["code"], "label": app["label"], "code_rome": app["code_rome"],
                         "fiche_label": app["code_rome"].map(labels).to_numpy()})


# ------------------------------------------------------------------------------------------ title matching

_NOISE = re.compile(r"\(\s*[hf]\s*/\s*[hf]\s*\)|\b[hf]\s*/\s*[hf]\b", re.IGNORECASE)
_INCLUSIVE = re.compile(r"(\w)\s*(?:\((?:e|ne|le|se|euse|rice|trice|ère)\)|[·.](?:e|ne|le|se|euse|rice|trice|ère)\b)",
                        re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case, no accents, ligatures expanded, punctuation to spaces: what two spellings share."""
    text = str(text).replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def gender_forms(label: str) -> list[str]:
    """The spellings of a job title to compare, masculine and feminine split apart.

    "Conducteur / Conductrice d'engins" gives "Conducteur d'engins" and "Conductrice d'engins" (the ROME
    writes the feminine of the first words after the slash); inclusive forms ("Assistant(e)",
    "Technicien·ne") give the masculine; "(H/F)" is dropped. The label as written is kept too, so a slash
    that does not separate genders ("Agent RH / paie") loses nothing.
    """
    text = _NOISE.sub(" ", str(label))
    text = _INCLUSIVE.sub(r"\1", text)
    forms = [text.replace("/", " ")]
    if "/" in text:
        left, right = (part.split() for part in re.split(r"\s*/\s*", text, maxsplit=1))
        if left and right:
            forms.append(" ".join(left + right[len(left):]))
            forms.append(" ".join(right))
    return [f for f in dict.fromkeys(fold(f) for f in forms) if f]


@dataclass(frozen=True, eq=False)
class TitleMatcher:
    """Character n-gram TF-IDF over every gender form of every appellation; scores are cosines in [0, 1].

    Build once with ``TitleMatcher.build(appellations)`` (columns ``code, label, code_rome, fiche_label``),
    then ``match(labels, k)``.
    """

    vectorizer: object
    matrix: object  # sparse (n_forms x n_features), rows sorted by fiche
    form_appellation: np.ndarray  # row -> appellation position
    fiche_starts: np.ndarray  # first row of each fiche
    fiches: np.ndarray
    fiche_labels: np.ndarray
    appellations: pd.DataFrame

    @classmethod
    def build(cls, appellations: pd.DataFrame) -> "TitleMatcher":
        from sklearn.feature_extraction.text import TfidfVectorizer

        app = appellations.sort_values(["code_rome", "code"], kind="stable").reset_index(drop=True)
        # the fiche's own label is an appellation too (the PRINCIPALE one)
        forms, owner = [], []
        for i, label in enumerate(app["label"]):
            for f in gender_forms(label):
                forms.append(f)
                owner.append(i)
        owner = np.asarray(owner)
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, dtype=np.float32)
        matrix = vec.fit_transform(forms).tocsr()
        fiche_of_row = app["code_rome"].to_numpy()[owner]
        starts = np.flatnonzero(np.r_[True, fiche_of_row[1:] != fiche_of_row[:-1]])
        fiches = fiche_of_row[starts]
        labels = app.drop_duplicates("code_rome").set_index("code_rome")["fiche_label"].reindex(fiches).to_numpy()
        return cls(vec, matrix, owner, starts, fiches, labels, app)

    def match(self, labels: Sequence[str], k: int = 3, chunk: int = 256) -> pd.DataFrame:
        """The ``k`` closest fiches of each label: ``query, rank, code_rome, fiche_label, appellation, score``.

        A fiche's score is the best cosine between any spelling of the label and any spelling of the
        fiche's appellations; the appellation that gave it is shown. Labels that fold to nothing get no row.
        """
        rows = []
        labels = list(labels)
        for start in range(0, len(labels), chunk):
            part = labels[start:start + chunk]
            forms, owner = [], []
            for i, label in enumerate(part):
                for f in gender_forms(label):
                    forms.append(f)
                    owner.append(i)
            if not forms:
                continue
            owner = np.asarray(owner)
            sim = (self.vectorizer.transform(forms) @ self.matrix.T).toarray()  # forms x appellation forms
            best_form = np.full((len(part), sim.shape[1]), -1.0, dtype=np.float32)
            np.maximum.at(best_form, owner, sim)  # label x appellation form
            by_fiche = np.maximum.reduceat(best_form, self.fiche_starts, axis=1)
            arg_in_fiche = _argmax_reduceat(best_form, self.fiche_starts)
            kk = min(k, by_fiche.shape[1])
            top = np.argsort(-by_fiche, axis=1, kind="stable")[:, :kk]
            for i in range(len(part)):
                if not (owner == i).any():
                    continue
                for rank, j in enumerate(top[i], start=1):
                    app_row = self.form_appellation[arg_in_fiche[i, j]]
                    rows.append((part[i], rank, self.fiches[j], self.fiche_labels[j],
                                 self.appellations["label"].iat[app_row], round(float(by_fiche[i, j]), 3)))
        return pd.DataFrame(rows, columns=["query", "rank", "code_rome", "fiche_label", "appellation", "score"])


def _argmax_reduceat(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Column index of the maximum of each [start, next start) slice of each row."""
    n_rows, n_cols = values.shape
    ends = np.r_[starts[1:], n_cols]
    seg = np.repeat(np.arange(len(starts)), ends - starts)
    maxima = np.maximum.reduceat(values, starts, axis=1)
    is_max = values >= maxima[:, seg]
    # the first column of each slice reaching the maximum
    cols = np.broadcast_to(np.arange(n_cols), values.shape)
    masked = np.where(is_max, cols, n_cols)
    return np.minimum.reduceat(masked, starts, axis=1)


def match_titles(labels: Sequence[str], appellations: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """Suggest the ``k`` closest ROME fiches for each job label; see ``TitleMatcher.match``."""
    return TitleMatcher.build(appellations).match(labels, k)
