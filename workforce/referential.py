"""The built-in referential of a département: directions, métiers, skills and the skills each métier requires.

Forecasts speak in métiers and skills, so every stage needs one vocabulary: métiers with their statutory
attributes (famille, filière, catégories, service category) and the skills they require, coded against
the ROME 4.0 of France Travail so that an employer's extract, the ROME and this tool use the same codes.

The files in ``data/referential/`` describe a département of about 8,000 agents, written from public facts
(names and codes only). The ROME release itself is never copied into the repository: ``check_integrity``
reads it from a folder the user names (``WORKFORCE_ROME_DIR``), or from ``../shared/data/rome`` beside the
repository when it exists.

Row numbers in messages are the file's line numbers as a spreadsheet shows them: the header is row 1, the
first data row is row 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from workforce.columns import CATEGORY_CODES
from workforce.config import env_text

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
REFERENTIAL_SUBDIR = "referential"
DEFAULT_ROME_DIR = REPO_ROOT.parent / "shared" / "data" / "rome"

DIRECTIONS_FILE = "directions.csv"
METIERS_FILE = "metiers.csv"
SKILLS_FILE = "skills.csv"
METIER_SKILLS_FILE = "metier_skills.csv"

DIRECTION_COLUMNS = ("code", "label")
METIER_COLUMNS = ("code", "label", "famille", "filiere", "categories", "categorie_weights", "service_category",
                  "rome_codes", "direction", "weight")
SKILL_COLUMNS = ("code", "label", "kind", "source")
METIER_SKILL_COLUMNS = ("metier_code", "skill_code", "level", "from_year")

# columns parsed as numbers; every other column stays text (codes such as "100015" are never numbers)
INT_COLUMNS = {METIERS_FILE: ("weight",), METIER_SKILLS_FILE: ("level",)}
NULLABLE_INT_COLUMNS = {METIER_SKILLS_FILE: ("from_year",)}

FILIERES = ("administrative", "technique", "sociale", "medico-sociale", "medico-technique", "culturelle",
            "sportive", "animation")
CATEGORIES = CATEGORY_CODES
SERVICE_CATEGORIES = ("sedentaire", "active", "insalubre")
SKILL_KINDS = ("competence", "savoir", "savoir_etre")
SKILL_SOURCES = ("rome", "local")
LEVELS = (1, 2, 3, 4)  # 1 notions, 2 pratique, 3 maîtrise, 4 expertise
MIN_SKILLS, MAX_SKILLS = 5, 15
FROM_YEAR_RANGE = (2000, 2100)

ROME_CODE_RE = re.compile(r"^[A-Z]\d{4}$")
# file stems of a ROME 4.0 open-data release; the version suffix (_v460_) changes with each release
ROME_CODES_STEM = "unix_referentiel_code_rome"
ROME_COMPETENCES_STEM = "unix_referentiel_competence"
ROME_SAVOIRS_STEM = "unix_referentiel_savoir"


class ReferentialError(ValueError):
    """A referential file cannot be read: a missing file or column, or a cell that is not a number."""


@dataclass(frozen=True, eq=False)
class Referential:
    """The four tables of a referential, one row per line of its CSV file (index = data row number - 2).

    ``metiers.categories``, ``metiers.categorie_weights`` and ``metiers.rome_codes`` stay ";"-joined text,
    as in the file; ``metier_categories`` and ``metier_rome_codes`` give them one row per item.
    ``metier_skills.from_year`` is a nullable Int64: missing means the requirement has always held.
    """

    directions: pd.DataFrame
    metiers: pd.DataFrame
    skills: pd.DataFrame
    metier_skills: pd.DataFrame

    def metier_rome_codes(self) -> pd.DataFrame:
        """Long table ``metier_code, rome_code``, in file order."""
        rows = [(m, r) for m, codes in zip(self.metiers["code"], self.metiers["rome_codes"])
                for r in split_codes(codes)]
        return pd.DataFrame(rows, columns=["metier_code", "rome_code"])

    def metier_categories(self) -> pd.DataFrame:
        """Long table ``metier_code, categorie, share``: how a métier's headcount splits across catégories."""
        rows = [(m, c, w) for m, spec in zip(self.metiers["code"], self.metiers["categorie_weights"])
                for c, w in _parse_weights(spec)]
        return pd.DataFrame(rows, columns=["metier_code", "categorie", "share"]).astype({"share": float})


def split_codes(s) -> list[str]:
    """Items of a ";"-joined field, stripped, empty items dropped; a missing value gives []."""
    if s is None or (not isinstance(s, str) and pd.isna(s)):
        return []
    return [part.strip() for part in str(s).split(";") if part.strip()]


def data_dir(explicit: str | Path | None = None) -> Path:
    """The data folder holding ``referential/``: explicit, else ``WORKFORCE_DATA_DIR``, else the repository's."""
    if explicit is not None:
        return Path(explicit)
    env = env_text("WORKFORCE_DATA_DIR")
    return Path(env) if env else DATA_DIR


def load_builtin(data_dir: str | Path | None = None) -> Referential:
    """Read the four CSV files of ``<data_dir>/referential/`` with exact dtypes.

    Raises ``ReferentialError`` naming the file, row and column of every cell that cannot be read; the
    semantic checks (unknown codes, levels, shares...) are ``check_integrity``'s job.
    """
    folder = _resolve_data_dir(data_dir) / REFERENTIAL_SUBDIR
    problems: list[str] = []
    frames = {name: _read_table(folder / name, cols, problems)
              for name, cols in ((DIRECTIONS_FILE, DIRECTION_COLUMNS), (METIERS_FILE, METIER_COLUMNS),
                                 (SKILLS_FILE, SKILL_COLUMNS), (METIER_SKILLS_FILE, METIER_SKILL_COLUMNS))}
    if problems:
        raise ReferentialError("\n".join(problems))
    return Referential(directions=frames[DIRECTIONS_FILE], metiers=frames[METIERS_FILE],
                       skills=frames[SKILLS_FILE], metier_skills=frames[METIER_SKILLS_FILE])


def direction_labels(data_dir: str | Path | None = None) -> dict[str, str]:
    """Direction code -> French name, from the built-in referential: names beside codes in every table a person
    reads. An employer's code missing from it keeps its code; an unreadable referential gives ``{}`` (a name
    is a comfort, never a failure)."""
    try:
        d = load_builtin(data_dir).directions
    except (ReferentialError, OSError):
        return {}
    return dict(zip(d["code"].astype(str), d["label"].astype(str)))


def _resolve_data_dir(explicit):
    # the parameter of load_builtin shadows the module function data_dir
    return data_dir(explicit)


def _read_table(path: Path, columns: tuple[str, ...], problems: list[str]) -> pd.DataFrame | None:
    name = path.name
    if not path.is_file():
        problems.append(f"{name}: file not found at {path}")
        return None
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        problems.append(f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
        return None
    out = raw[list(columns)].apply(lambda col: col.str.strip()).astype("str")
    for col in INT_COLUMNS.get(name, ()):
        parsed = pd.to_numeric(out[col], errors="coerce")
        bad = parsed.isna() | (parsed != parsed.round())
        problems += [f"{name} row {i + 2}, column {col}: {out[col][i]!r} is not an integer" for i in out.index[bad]]
        out[col] = parsed.where(~bad, 0).astype("int64")
    for col in NULLABLE_INT_COLUMNS.get(name, ()):
        text = out[col]
        parsed = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = (text != "") & (parsed.isna() | (parsed != parsed.round()))
        problems += [f"{name} row {i + 2}, column {col}: {text[i]!r} is not an integer or empty"
                     for i in out.index[bad]]
        out[col] = parsed.where(~bad).astype("Int64")
    return out


def find_rome_dir(explicit: str | Path | None = None) -> Path | None:
    """Folder of a ROME 4.0 release: explicit, else ``WORKFORCE_ROME_DIR``, else ``../shared/data/rome``.

    Returns None when nothing is configured and the default folder does not exist; a folder that was
    named explicitly (argument or environment) but does not exist raises ``FileNotFoundError``.
    """
    for given, origin in ((explicit, "argument"), (env_text("WORKFORCE_ROME_DIR"), "WORKFORCE_ROME_DIR")):
        if given:
            path = Path(given)
            if not path.is_dir():
                raise FileNotFoundError(f"dossier du ROME {path} ({origin}) introuvable : indiquez le dossier "
                                        "d'une version du ROME 4.0 décompressée")
            return path
    return DEFAULT_ROME_DIR if DEFAULT_ROME_DIR.is_dir() else None


def rome_file(rome_dir: str | Path, stem: str) -> Path:
    """The CSV of a release whose name starts with ``stem`` (e.g. ``unix_referentiel_competence``).

    Matches ``<stem>_v<version>_utf8.csv``; when several versions sit in the folder the latest wins.
    """
    matches = sorted(Path(rome_dir).glob(f"{stem}_v*_utf8.csv"),
                     key=lambda p: int(re.search(r"_v(\d+)_", p.name).group(1)))
    if not matches:
        raise FileNotFoundError(f"no {stem}_v*_utf8.csv in {rome_dir}: point WORKFORCE_ROME_DIR to an "
                                "unpacked ROME 4.0 release (France Travail open data)")
    return matches[-1]


@lru_cache(maxsize=4)
def _rome_items(rome_dir: str) -> tuple[frozenset, dict, dict]:
    """Fiche codes, compétence labels by code_ogr, savoir labels by code_ogr of a release."""
    codes = pd.read_csv(rome_file(rome_dir, ROME_CODES_STEM), dtype=str, keep_default_na=False)
    comp = pd.read_csv(rome_file(rome_dir, ROME_COMPETENCES_STEM), dtype=str, keep_default_na=False)
    sav = pd.read_csv(rome_file(rome_dir, ROME_SAVOIRS_STEM), dtype=str, keep_default_na=False)
    return (frozenset(codes["code_rome"]),
            dict(zip(comp["code_ogr"], comp["libelle_competence"].str.strip())),
            dict(zip(sav["code_ogr_savoir"], sav["libelle_savoir"].str.strip())))


def check_integrity(ref: Referential, rome_dir: str | Path | None = None, *, check_labels: bool = True) -> list[str]:
    """Every problem of a referential, one message each naming file, row and column; [] when clean.

    Without ``rome_dir`` the checks are structural (codes, references, catégories, levels, counts); with it,
    ROME fiche codes and ROME skill codes must also exist in that release, with the release's label when
    ``check_labels`` (a newer release may rename items: pass False to check codes only).
    """
    problems: list[str] = []
    rome = _rome_items(str(Path(rome_dir).resolve())) if rome_dir is not None else None
    _check_directions(ref.directions, problems)
    _check_metiers(ref.metiers, set(ref.directions["code"]), rome, problems)
    _check_skills(ref.skills, rome, check_labels, problems)
    _check_metier_skills(ref, problems)
    return problems


def _at(file: str, i: int, col: str) -> str:
    return f"{file} row {i + 2}, column {col}"


def _check_required(df: pd.DataFrame, file: str, cols, problems: list[str]) -> None:
    for col in cols:
        problems += [f"{_at(file, i, col)}: empty" for i in df.index[df[col] == ""]]


def _check_unique(df: pd.DataFrame, file: str, col: str, problems: list[str]) -> None:
    dup = df[col].duplicated(keep="first") & (df[col] != "")
    problems += [f"{_at(file, i, col)}: duplicate code {df[col][i]!r}" for i in df.index[dup]]


def _check_directions(d: pd.DataFrame, problems: list[str]) -> None:
    _check_required(d, DIRECTIONS_FILE, DIRECTION_COLUMNS, problems)
    _check_unique(d, DIRECTIONS_FILE, "code", problems)


def _parse_weights(spec: str) -> list[tuple[str, float]]:
    """"B:0.6;C:0.4" -> [("B", 0.6), ("C", 0.4)]; raises ValueError on a malformed item."""
    out = []
    for part in split_codes(spec):
        cat, sep, share = part.partition(":")
        if not sep:
            raise ValueError(f"{part!r} is not catégorie:share")
        out.append((cat.strip(), float(share)))
    return out


def _check_metiers(m: pd.DataFrame, directions: set, rome, problems: list[str]) -> None:
    f = METIERS_FILE
    _check_required(m, f, ("code", "label", "famille", "filiere", "categories", "categorie_weights",
                           "service_category", "rome_codes", "direction"), problems)
    _check_unique(m, f, "code", problems)
    for i, row in m.iterrows():
        if row.filiere and row.filiere not in FILIERES:
            problems.append(f"{_at(f, i, 'filiere')}: {row.filiere!r} is not one of {', '.join(FILIERES)}")
        if row.direction and row.direction not in directions:
            problems.append(f"{_at(f, i, 'direction')}: direction {row.direction!r} unknown in {DIRECTIONS_FILE}")
        if row.service_category and row.service_category not in SERVICE_CATEGORIES:
            problems.append(f"{_at(f, i, 'service_category')}: {row.service_category!r} is not one of "
                            f"{', '.join(SERVICE_CATEGORIES)}")
        if row.weight <= 0:
            problems.append(f"{_at(f, i, 'weight')}: {row.weight} must be a positive headcount")
        cats = split_codes(row.categories)
        bad = [c for c in cats if c not in CATEGORIES]
        if bad:
            problems.append(f"{_at(f, i, 'categories')}: {', '.join(bad)} outside A/B/C")
        if len(set(cats)) != len(cats):
            problems.append(f"{_at(f, i, 'categories')}: repeated catégorie in {row.categories!r}")
        if row.categorie_weights:
            try:
                weights = _parse_weights(row.categorie_weights)
            except ValueError as err:
                problems.append(f"{_at(f, i, 'categorie_weights')}: {err}")
            else:
                if sorted(c for c, _ in weights) != sorted(cats):
                    problems.append(f"{_at(f, i, 'categorie_weights')}: catégories {row.categorie_weights!r} "
                                    f"do not match column categories {row.categories!r}")
                if any(w <= 0 for _, w in weights) or abs(sum(w for _, w in weights) - 1) > 1e-6:
                    problems.append(f"{_at(f, i, 'categorie_weights')}: shares {row.categorie_weights!r} "
                                    "must be positive and sum to 1")
        for code in split_codes(row.rome_codes):
            if not ROME_CODE_RE.match(code):
                problems.append(f"{_at(f, i, 'rome_codes')}: ROME code {code!r} malformed (a letter and 4 digits)")
            elif rome is not None and code not in rome[0]:
                problems.append(f"{_at(f, i, 'rome_codes')}: ROME code {code} unknown in the ROME release")


def _check_skills(s: pd.DataFrame, rome, check_labels: bool, problems: list[str]) -> None:
    f = SKILLS_FILE
    _check_required(s, f, SKILL_COLUMNS, problems)
    _check_unique(s, f, "code", problems)
    for i, row in s.iterrows():
        if row.kind and row.kind not in SKILL_KINDS:
            problems.append(f"{_at(f, i, 'kind')}: {row.kind!r} is not one of {', '.join(SKILL_KINDS)}")
        if row.source and row.source not in SKILL_SOURCES:
            problems.append(f"{_at(f, i, 'source')}: {row.source!r} is not one of {', '.join(SKILL_SOURCES)}")
        if row.source == "rome" and not row.code.isdigit():
            problems.append(f"{_at(f, i, 'code')}: ROME skill code {row.code!r} is not a code_ogr (digits)")
        if row.source == "local" and row.code.isdigit():
            problems.append(f"{_at(f, i, 'code')}: local skill code {row.code!r} looks like a ROME code_ogr; "
                            "use a local code such as LOC001")
        if rome is None or row.source != "rome" or not row.code.isdigit():
            continue
        competences, savoirs = rome[1], rome[2]
        table = savoirs if row.kind == "savoir" else competences
        if row.code not in competences and row.code not in savoirs:
            problems.append(f"{_at(f, i, 'code')}: skill {row.code} unknown in the ROME release "
                            "(neither a compétence nor a savoir)")
        elif row.code not in table:
            where = "savoirs" if row.code in savoirs else "compétences"
            problems.append(f"{_at(f, i, 'kind')}: skill {row.code} is in the ROME {where}, not kind {row.kind!r}")
        elif check_labels and table[row.code] != row.label:
            problems.append(f"{_at(f, i, 'label')}: {row.label!r} differs from the ROME release "
                            f"label {table[row.code]!r}")


def _check_metier_skills(ref: Referential, problems: list[str]) -> None:
    f = METIER_SKILLS_FILE
    ms = ref.metier_skills
    _check_required(ms, f, ("metier_code", "skill_code"), problems)
    metiers, skills = set(ref.metiers["code"]), set(ref.skills["code"])
    lo, hi = FROM_YEAR_RANGE
    unknown_m = (ms["metier_code"] != "") & ~ms["metier_code"].isin(metiers)
    problems += [f"{_at(f, i, 'metier_code')}: métier {ms.metier_code[i]!r} unknown in {METIERS_FILE}"
                 for i in ms.index[unknown_m]]
    unknown_s = (ms["skill_code"] != "") & ~ms["skill_code"].isin(skills)
    problems += [f"{_at(f, i, 'skill_code')}: skill {ms.skill_code[i]!r} unknown in {SKILLS_FILE}"
                 for i in ms.index[unknown_s]]
    bad_level = ~ms["level"].isin(LEVELS)
    problems += [f"{_at(f, i, 'level')}: level {ms.level[i]} outside 1-4" for i in ms.index[bad_level]]
    year = ms["from_year"]
    bad_year = (year.notna() & ((year < lo) | (year > hi))).fillna(False).astype(bool)
    problems += [f"{_at(f, i, 'from_year')}: year {year[i]} outside {lo}-{hi}" for i in ms.index[bad_year]]
    dup = ms.duplicated(["metier_code", "skill_code", "from_year"], keep="first")
    problems += [f"{_at(f, i, 'skill_code')}: skill {ms.skill_code[i]} listed twice for métier "
                 f"{ms.metier_code[i]}" for i in ms.index[dup]]
    counts = ms.groupby("metier_code").size()
    for i, code in ref.metiers["code"].items():
        n = int(counts.get(code, 0))
        if not MIN_SKILLS <= n <= MAX_SKILLS:
            problems.append(f"{_at(METIERS_FILE, i, 'code')}: métier {code} has {n} required skills in {f}, "
                            f"expected {MIN_SKILLS} to {MAX_SKILLS}")


def calibration_shares(ref: Referential) -> dict:
    """Shares of the headcount implied by ``weight`` and ``categorie_weights`` (fractions summing to 1).

    Returns ``{"total": int, "categorie": {A, B, C}, "filiere": {filière: share},
    "service_category": {...}}``; the synthetic département draws its agents from the same weights.
    """
    m = ref.metiers
    total = int(m["weight"].sum())
    cats = ref.metier_categories().merge(m[["code", "weight"]], left_on="metier_code", right_on="code")
    by_cat = (cats["share"] * cats["weight"]).groupby(cats["categorie"]).sum() / total
    by_filiere = m.groupby("filiere")["weight"].sum() / total
    by_service = m.groupby("service_category")["weight"].sum() / total
    return {
        "total": total,
        "categorie": {c: float(by_cat.get(c, 0.0)) for c in CATEGORIES},
        "filiere": {k: float(v) for k, v in by_filiere.items()},
        "service_category": {c: float(by_service.get(c, 0.0)) for c in SERVICE_CATEGORIES},
    }


def store_referential(session, ref: Referential) -> int:
    """Upsert the built-in métiers, skills and requirements into the database, in the caller's transaction.

    Built-in rows are replaced wholesale (they are the project's data); métiers and skills of other sources
    (a ROME release, the employer's own) are left alone. Returns the number of built-in métiers.
    """
    from sqlalchemy import delete, select

    from workforce import db

    builtin = select(db.Metier.code).where(db.Metier.source == "builtin")
    session.execute(delete(db.MetierSkill).where(db.MetierSkill.metier_code.in_(builtin)))
    session.execute(delete(db.Metier).where(db.Metier.source == "builtin"))
    metiers = ref.metiers.assign(
        source="builtin",
        attributes=[{"weight": int(w), "categorie_weights": c}
                    for w, c in zip(ref.metiers["weight"], ref.metiers["categorie_weights"])],
    )
    db.bulk_insert(session, db.Metier, metiers)
    known = set(session.execute(select(db.Skill.code)).scalars())
    new_skills = ref.skills[~ref.skills["code"].isin(known)]
    db.bulk_insert(session, db.Skill, new_skills)
    db.bulk_insert(session, db.MetierSkill, ref.metier_skills)
    return len(metiers)
