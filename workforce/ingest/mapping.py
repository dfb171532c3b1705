"""Map the file's headers to the canonical columns; store nothing else unless the mapping asks to keep it.

Storage is an allow-list: the canonical columns, plus the extra columns a mapping names under `keep:`. Every
other column (names, NIR, e-mails, free-text comments, a second copy of a mapped column, anything unknown) is
read only to be counted and is gone before the import writes anything; personal ones are named as such in the
quality report. A `keep:` column that looks personal or free text is refused there too.

Presets live in `data/mappings/` (`canonical.yaml`: our own column names; `sirh.yaml`: the usual French SIRH
headers; `values.yaml`: the value synonyms every preset shares). A header matches a synonym when both are
equal once normalised (case, accents, spaces, underscores and punctuation ignored), then, failing that,
once French stop words are also dropped ("Date de naissance" = "DATE_NAISSANCE" = "date naissance").

A user mapping is a YAML file::

    name: mon_sirh                  # optional, shown in the report
    extends: auto                   # optional: auto (default), sirh, canonical or none
    columns:                        # canonical column -> header(s) of the file
      agent_id: "N° d'agent"
      metier_label: [Emploi, Libellé du poste]
    values:                         # optional: canonical value -> synonyms, added to values.yaml
      statut: {contractuel_non_permanent: [Vacataire horaire]}
    keep: [Code poste, Grade détaillé]   # optional: extra columns stored as they are (scanned, never personal)
    options:
      matricule_zeros: strip        # keep (default) or strip: "0100000" and "100000" are then one agent
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from workforce.config import REPO_ROOT
from workforce.ingest import columns as C
from workforce.ingest.read import SHAPE, ExtractRejected, RawTable
from workforce.ingest.uniques import strip_or_na

MAPPINGS_DIR = REPO_ROOT / "data" / "mappings"
PRESETS = ("auto", "sirh", "canonical")
STOP_WORDS = frozenset("de du des la le les l d a au aux en e et par sur".split())
KNOWN_COLUMNS = frozenset((*C.CANONICAL, C.EXTRACT_DATE))

# Personal data and free text: matched on the normalised header. Never stored (storage is an allow-list); named
# in the quality report, and refused if a mapping asks to keep one.
PERSONAL_PATTERNS = tuple(re.compile(p) for p in (
    r"^noms?( (de |d |du )?(l )?(usage|usuel|famille|naissance|patronymique|marital|maritale|epouse|jeune fille|agent))?$",
    r"^nom (et )?prenoms?$", r"\bprenoms?\b", r"^identite( agent)?$", r"^nom complet$", r"\bnomusage\b",
    r"\bnom ?usuel\b", r"\bnom ?marital\b", r"\bpatronyme\b", r"\b(last|first|family|given|middle|sur|full) ?name\b",
    r"\bnir\b", r"securite sociale", r"\bnss\b", r"\bn ?secu\b", r"\bnumero secu", r"\binsee\b",
    r"^(n|no|num|numero) ?ss$", r"\bnum ?ss\b", r"\bss ?number\b",
    r"\badresses?\b", r"\brue\b", r"code postal", r"\bville\b", r"commune (de )?residence", r"\bdomicile\b",
    r"(lieu|commune|ville|pays|departement|dept) (de )?naissance", r"naissance (lieu|commune|ville|pays)",
    r"\bnationalite", r"\bsituation familiale\b", r"\bconjoint", r"\benfants?\b",
    r"\be ?mails?\b", r"\bcourriels?\b", r"\bmel\b", r"\bmail\b",
    r"\btelephone\b", r"\btel\b", r"\bportable\b", r"\bmobile\b", r"\biban\b", r"\brib\b", r"\bbic\b",
    # health and other sensitive data (RGPD art. 9)
    r"\brqth\b", r"\bboeth\b", r"\bhandicap", r"\binvalidite\b", r"\btherapeutique\b", r"\bmedic",
    r"\bmaladie\b", r"\bsante\b", r"\bdiagnostic", r"\binaptitude\b", r"\bsyndica", r"\breligi", r"\bsanction",
    r"\bdisciplin",
    # free text: anything can be written there
    r"\bcommentaires?\b", r"\bobservations?\b", r"\bremarques?\b", r"\bnotes?\b", r"\bmemo\b",
    r"\bblocs? notes?\b", r"\bannotations?\b", r"\binformations? complementaires?\b", r"\blibre\b",
))


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation and underscores as single spaces: "Né(e) le" -> "ne e le"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("°", " ").replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def loose(text: str) -> str:
    """Normalised and without French stop words: "date de naissance" -> "date naissance"."""
    words = [w for w in normalise(text).split() if w not in STOP_WORDS]
    return " ".join(words) or normalise(text)


def normalise_series(values: pd.Series) -> pd.Series:
    """Vectorised `normalise` of a text column (missing stays missing)."""
    s = values.astype("string").str.normalize("NFKD").str.encode("ascii", errors="ignore").str.decode("ascii")
    s = s.str.casefold().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
    return s.mask(s == "")


def is_personal(header: str) -> bool:
    key = normalise(header)
    return any(p.search(key) for p in PERSONAL_PATTERNS)


# ------------------------------------------------------------------------------------------ presets

@dataclass(frozen=True)
class Mapping:
    """Which headers name which canonical column, and the value synonyms to apply."""

    name: str
    synonyms: dict[str, tuple[str, ...]]  # canonical -> headers (raw text; matched normalised)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {normalised synonym: value}
    keep: tuple[str, ...] = ()  # extra headers stored as they are (matched normalised)
    options: dict[str, str] = field(default_factory=dict)  # see OPTIONS

    def lookup(self) -> tuple[dict[str, str], dict[str, str]]:
        """{normalised header: canonical} and {loose header: canonical}; an ambiguous loose key is left out."""
        exact, lo, clash = {}, {}, set()
        for canon, headers in self.synonyms.items():
            for h in (canon, *headers):
                exact.setdefault(normalise(h), canon)
                key = loose(h)
                if lo.get(key, canon) != canon:
                    clash.add(key)
                lo.setdefault(key, canon)
        return exact, {k: v for k, v in lo.items() if k not in clash}


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ExtractRejected(f"{path} : fichier de correspondance illisible ({err}).") from err
    except yaml.YAMLError as err:
        raise ExtractRejected(f"{path} : YAML invalide ({err}).") from err
    if not isinstance(data, dict):
        raise ExtractRejected(f"{path} : une correspondance est un dictionnaire (columns:, values:).")
    unknown = set(data) - {"name", "description", "extends", "columns", "values", "keep", "options"}
    if unknown:
        raise ExtractRejected(f"{path} : clés inconnues {sorted(unknown)} "
                              "(attendu : name, extends, columns, values, keep, options).")
    return data


IDENTIFIER = re.compile(r"\bmatricule|\bidentifiant|^(id|mat|n|no|num|numero) ?agent\b|^id$")
"""Headers of an agent identifier: only the mapped matricule is read (and pseudonymised), never a second one."""

OPTIONS = {"matricule_zeros": ("keep", "strip")}
"""Mapping options and their allowed values (first = default). matricule_zeros: strip the leading zeros of
matricules when one export writes "0100000" and another "100000" for the same agent."""


def _keep(data: dict, path: Path) -> tuple[str, ...]:
    keep = data.get("keep") or []
    keep = [keep] if isinstance(keep, str) else keep
    if not isinstance(keep, list):
        raise ExtractRejected(f"{path} : « keep: » est une liste d'en-têtes de colonnes à conserver.")
    personal = [str(h) for h in keep if is_personal(str(h)) or IDENTIFIER.search(normalise(str(h)))]
    if personal:
        raise ExtractRejected(f"{path} : « keep: » demande de conserver {', '.join(map(repr, personal))}, une donnée "
                              "personnelle ou un texte libre : ces colonnes ne sont jamais enregistrées.")
    return tuple(str(h) for h in keep)


def _options(data: dict, path: Path) -> dict[str, str]:
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise ExtractRejected(f"{path} : « options: » est un dictionnaire option: valeur.")
    for key, value in options.items():
        if key not in OPTIONS:
            raise ExtractRejected(f"{path} : option inconnue « {key} » ; options possibles : {', '.join(OPTIONS)}.")
        if str(value) not in OPTIONS[key]:
            raise ExtractRejected(f"{path} : option {key} = « {value} » ; valeurs possibles : "
                                  f"{', '.join(OPTIONS[key])}.")
    return {k: str(v) for k, v in options.items()}


def _columns(data: dict, path: Path) -> dict[str, tuple[str, ...]]:
    out = {}
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        raise ExtractRejected(f"{path} : « columns: » doit être un dictionnaire colonne_canonique: en-tête(s).")
    for canon, headers in columns.items():
        if canon not in KNOWN_COLUMNS:
            raise ExtractRejected(f"{path} : colonne canonique inconnue « {canon} » ; "
                                  f"colonnes possibles : {', '.join(sorted(KNOWN_COLUMNS))}.")
        headers = [headers] if isinstance(headers, str) else list(headers or [])
        out[canon] = tuple(str(h) for h in headers)
    return out


def _values(data: dict, path: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    values = data.get("values") or {}
    if not isinstance(values, dict):
        raise ExtractRejected(f"{path} : « values: » doit être un dictionnaire colonne: {{valeur: [synonymes]}}.")
    for canon, table in values.items():
        if canon not in KNOWN_COLUMNS or not isinstance(table, dict):
            raise ExtractRejected(f"{path} : « values: {canon} » doit être une colonne canonique suivie de "
                                  "valeur: [synonymes].")
        target = out.setdefault(canon, {})
        for value, synonyms in table.items():
            synonyms = [synonyms] if isinstance(synonyms, str) else list(synonyms or [])
            for syn in (value, *synonyms):
                target[normalise(syn)] = str(value)
    return out


def _merge(*mappings: Mapping, name: str) -> Mapping:
    synonyms: dict[str, tuple[str, ...]] = {}
    values: dict[str, dict[str, str]] = {}
    keep: tuple[str, ...] = ()
    options: dict[str, str] = {}
    for m in mappings:  # later ones first: their headers win on a clash
        for canon, headers in m.synonyms.items():
            synonyms[canon] = tuple(dict.fromkeys((*headers, *synonyms.get(canon, ()))))
        for canon, table in m.values.items():
            values.setdefault(canon, {}).update(table)
        keep = tuple(dict.fromkeys((*keep, *m.keep)))
        options.update(m.options)
    return Mapping(name, synonyms, values, keep, options)


@functools.lru_cache(maxsize=8)
def _preset_file(name: str) -> Mapping:
    path = MAPPINGS_DIR / f"{name}.yaml"
    data = _read_yaml(path)
    return Mapping(name, _columns(data, path), _values(data, path))


def load_mapping(spec: str | Path | None = None) -> Mapping:
    """A preset by name (auto, sirh, canonical) or a user YAML file (extending `auto` unless told)."""
    values = _preset_file("values")
    if spec is None or str(spec) == "auto":
        return _merge(values, _preset_file("canonical"), _preset_file("sirh"), name="auto")
    if str(spec) in ("sirh", "canonical"):
        return _merge(values, _preset_file(str(spec)), name=str(spec))
    path = Path(spec)
    if not path.is_file():
        raise ExtractRejected(f"correspondance « {spec} » introuvable : donnez un préréglage "
                              f"({', '.join(PRESETS)}) ou le chemin d'un fichier YAML.")
    data = _read_yaml(path)
    base = data.get("extends", "auto")
    own = Mapping(str(data.get("name") or path.stem), _columns(data, path), _values(data, path), _keep(data, path),
                  _options(data, path))
    personal = [h for canon, hs in own.synonyms.items() if canon != C.AGENT_ID for h in hs if is_personal(h)]
    if personal:
        raise ExtractRejected(f"{path} : « columns: » lit {', '.join(map(repr, personal))}, une donnée personnelle ou "
                              "un texte libre, comme une colonne du référentiel : ces colonnes ne sont jamais "
                              "enregistrées.")
    if base in (None, "none"):
        return _merge(values, own, name=own.name)
    if base not in PRESETS:
        raise ExtractRejected(f"{path} : « extends: {base} » inconnu ; choisir parmi {', '.join(PRESETS)} ou none.")
    parent = load_mapping(base)
    # the user's headers are tried first: put them last in the merge (later synonyms lead)
    return _merge(parent, own, name=own.name)


# ------------------------------------------------------------------------------------------ applying

@dataclass
class MappedTable:
    """Canonical text columns (str, NA when empty), the extra columns kept, and what was done to the header."""

    text: pd.DataFrame
    extra: pd.DataFrame
    used: dict[str, str]  # canonical -> header of the file
    dropped_personal: list[str]  # personal or free-text columns: never stored
    ignored: list[str]  # every other column not stored (unknown, second copies, unused synonyms)
    shape: pd.Series  # "" or the reason the record does not fit the header


def match_headers(headers: list[str], mapping: Mapping) -> tuple[dict[str, str], list[str]]:
    """{canonical: header} (first matching header wins) and the personal headers (never stored)."""
    exact, lo = mapping.lookup()
    explicit = {normalise(h) for hs in mapping.synonyms.values() for h in hs}
    used: dict[str, str] = {}
    personal = []
    for h in headers:
        key = normalise(h)
        if re.search(r" \(\d+\)$", h) and normalise(re.sub(r" \(\d+\)$", "", h)) in exact:
            continue  # second copy of a duplicated header: never stored
        canon = exact.get(key) or lo.get(loose(h))
        if canon is None and is_personal(h) and key not in explicit:
            personal.append(h)
            continue
        if canon is not None and canon not in used:
            used[canon] = h
    return used, personal


def header_score(mapping: Mapping):
    """How many fields of a record are known headers: finds the header line under title lines."""
    exact, lo = mapping.lookup()

    def score(fields: list[str]) -> int:
        hits = sum(1 for f in fields if f.strip() and (normalise(f) in exact or loose(f) in lo))
        return hits if hits >= 2 else 0

    return score


def _copies(header: str, columns: list[str]) -> list[str]:
    """The later columns of the same name ("Direction (2)"), as the reader names them."""
    pattern = re.compile(re.escape(header) + r" \(\d+\)")
    return [c for c in columns if pattern.fullmatch(c)]


def wanted_columns(mapping: Mapping):
    """Which columns of a header the import will read (mapped or kept): the reader materialises only these,
    the others are counted and named, never held in memory cell by cell."""

    def wanted(header: list[str]) -> list[bool]:
        used, personal = match_headers(header, mapping)
        names, keep = set(used.values()), {normalise(h) for h in mapping.keep}
        names |= {c for h in used.values() for c in _copies(h, header)}  # read to check they say the same
        return [h in names or (normalise(h) in keep and h not in personal) for h in header]

    return wanted


def apply_mapping(table: RawTable, mapping: Mapping) -> MappedTable:
    used, personal = match_headers(table.columns, mapping)
    rows = table.rows
    twice = [h for h in used.values() for c in _copies(h, table.columns)
             if c in rows and (rows[h].fillna("") != rows[c].fillna("")).any()]
    if twice:
        raise ExtractRejected(f"{table.name} : la colonne {', '.join(f'« {h} »' for h in dict.fromkeys(twice))} "
                              "apparaît plusieurs fois dans l'en-tête avec des contenus différents ; impossible de "
                              "savoir laquelle lire. Renommez ou supprimez les autres, ou donnez une correspondance "
                              "(--mapping fichier.yaml).")
    text = pd.DataFrame(index=rows.index)
    for canon, header in used.items():
        text[canon] = strip_or_na(rows[header])
    mapped_headers = set(used.values())
    wanted = {normalise(h) for h in mapping.keep}
    kept = [c for c in table.columns if normalise(c) in wanted and c not in mapped_headers and c not in personal]
    ignored = [c for c in table.columns if c not in mapped_headers and c not in personal and c not in kept]
    return MappedTable(text=text, extra=rows[kept], used=used, dropped_personal=personal, ignored=ignored,
                       shape=rows[SHAPE])


def map_values(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace known synonyms (normalised match) by their canonical value; others are left as they are."""
    if not table:
        return values
    key = normalise_series(values)
    mapped = key.map(table)
    return mapped.where(mapped.notna(), values).astype("string")
