"""Row checks (pandera) and the métier check against the référentiel: split the rows, lose none.

Every row ends either valid (stored) or quarantined with every reason found, in French, naming the column
as the file names it. Reasons come from four places, one per (row, column), the first one winning:
the shape of the record (read), a cell that could not be read (parse), the métier check, the schema.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc
from pandera.typing import Series

from workforce import db
from workforce.ingest import columns as C
from workforce.ingest.mapping import loose, normalise
from workforce.ingest.parse import CellReasons
from workforce.ingest.errors import ExtractRejected
from workforce.privacy import FORMULA_TRIGGERS, personal_data_kind, redact

MATCH_CUTOFF = 0.86  # difflib ratio above which a label may be taken for a known one ...
MATCH_MARGIN = 0.04  # ... when the runner-up is at least this far behind
SUGGESTIONS = 3
REASON_SEP = "\n"  # between the reasons of one row (a reason never holds a newline)


# ------------------------------------------------------------------------------------------ schema

class ExtractSchema(pandera.DataFrameModel):
    """One agent at the extract date, typed. Dates are datetime64, closed lists are canonical codes."""

    agent_id: Series[pd.StringDtype] = pandera.Field(nullable=False)
    birth_date: Series[pandera.DateTime] = pandera.Field(nullable=False)
    sex: Series[pd.StringDtype] = pandera.Field(nullable=True, isin=list(C.SEXES))
    statut: Series[pd.StringDtype] = pandera.Field(nullable=False, isin=list(C.STATUTS))
    categorie: Series[pd.StringDtype] = pandera.Field(nullable=False, isin=list(C.CATEGORIES))
    metier_code: Series[pd.StringDtype] = pandera.Field(nullable=False)
    direction: Series[pd.StringDtype] = pandera.Field(nullable=False)
    quotite: Series[float] = pandera.Field(nullable=False, gt=0, le=1)
    entry_date: Series[pandera.DateTime] = pandera.Field(nullable=True)
    public_service_entry_date: Series[pandera.DateTime] = pandera.Field(nullable=True)
    service_category: Series[pd.StringDtype] = pandera.Field(nullable=False, isin=list(C.SERVICE_CATEGORIES))
    active_service_years: Series[float] = pandera.Field(nullable=True, ge=0, le=C.MAX_ACTIVE_YEARS)
    insurance_quarters: Series[pd.Int64Dtype] = pandera.Field(nullable=True, ge=0, le=C.MAX_QUARTERS)
    indice_majore: Series[pd.Int64Dtype] = pandera.Field(nullable=True, ge=C.MIN_INDICE, le=C.MAX_INDICE)
    departure_date: Series[pandera.DateTime] = pandera.Field(nullable=True)
    extract_date: Series[pandera.DateTime] = pandera.Field(nullable=False)

    class Config:
        strict = False
        coerce = False

    @pandera.dataframe_check
    def age_in_range(cls, df: pd.DataFrame) -> Series[bool]:
        age = _age(df[C.BIRTH_DATE], df[C.EXTRACT_DATE])
        return age.isna() | ((age >= C.MIN_AGE) & (age <= C.MAX_AGE))

    @pandera.dataframe_check
    def entry_after_birth(cls, df: pd.DataFrame) -> Series[bool]:
        return _after_birth(df, C.ENTRY_DATE)

    @pandera.dataframe_check
    def public_service_entry_after_birth(cls, df: pd.DataFrame) -> Series[bool]:
        return _after_birth(df, C.PS_ENTRY_DATE)

    @pandera.dataframe_check
    def departure_after_entry(cls, df: pd.DataFrame) -> Series[bool]:
        d, e = df[C.DEPARTURE_DATE], df[C.ENTRY_DATE]
        return d.isna() | e.isna() | (d >= e)

    @pandera.dataframe_check
    def agent_id_unique(cls, df: pd.DataFrame) -> Series[bool]:
        return ~duplicated_ids(df)


def _age(birth: pd.Series, at: pd.Series) -> pd.Series:
    return (at - birth).dt.days / 365.25


def _after_birth(df: pd.DataFrame, column: str) -> pd.Series:
    age = _age(df[C.BIRTH_DATE], df[column])
    return age.isna() | (age >= C.MIN_AGE)


def duplicated_ids(df: pd.DataFrame) -> pd.Series:
    """Rows whose agent id occurs more than once; of rows identical in every column, the first is kept."""
    ids = df[C.AGENT_ID]
    dup = ids.duplicated(keep=False) & ids.notna()
    if not dup.any():
        return dup
    cols = [c for c in C.CANONICAL if c in df]
    exact_first = ~df[cols].astype("string").fillna("\0").duplicated(keep="first")
    only_exact = df.loc[dup, cols].astype("string").fillna("\0").drop_duplicates()[C.AGENT_ID].is_unique
    if only_exact:
        return dup & ~exact_first
    # ids repeated with different contents: every occurrence is doubtful; exact copies count once
    groups = df.loc[dup, cols].astype("string").fillna("\0").drop_duplicates().groupby(C.AGENT_ID).size()
    conflicting = ids.isin(groups.index[groups > 1])
    return (dup & conflicting) | (dup & ~exact_first)


# messages of the schema checks; {col} is the file's header of the column
_CHECK_MESSAGES = {
    "not_nullable": "{col} : valeur manquante",
    "age_in_range": f"âge hors de {C.MIN_AGE}-{C.MAX_AGE} ans à la date d'extraction (date de naissance « {{value}} »)",
    "entry_after_birth": f"{{col}} : entrée avant l'âge de {C.MIN_AGE} ans",
    "public_service_entry_after_birth": f"{{col}} : entrée avant l'âge de {C.MIN_AGE} ans",
    "departure_after_entry": "{col} : départ antérieur à l'entrée",
    "agent_id_unique": "matricule en double dans l'extraction",
}
_CHECK_COLUMN = {  # the column a dataframe check is about
    "age_in_range": C.BIRTH_DATE, "entry_after_birth": C.ENTRY_DATE,
    "public_service_entry_after_birth": C.PS_ENTRY_DATE, "departure_after_entry": C.DEPARTURE_DATE,
    "agent_id_unique": C.AGENT_ID,
}
_ALLOWED_TEXT = {
    C.SEX: "F ou M (Femme/Homme, 1/2)",
    C.STATUT: "titulaire, stagiaire, contractuel permanent, contractuel non permanent",
    C.CATEGORIE: "A, B ou C",
    C.SERVICE_CATEGORY: "sédentaire, active ou insalubre",
}


def _schema_reasons(typed: pd.DataFrame, raw_text: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """Long frame (index, column, reason) of every schema failure."""
    try:
        ExtractSchema.validate(typed, lazy=True, inplace=True)  # no coercion: nothing to copy
        return pd.DataFrame(columns=["index", "column", "reason"])
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
    structural = cases["index"].isna()
    if structural.any():  # a dtype the parser should have produced: our bug, not the user's
        detail = "; ".join((cases.loc[structural, "column"].astype(str) + " " + cases.loc[structural, "check"]
                            .astype(str)).unique()[:5])
        raise RuntimeError(f"frame typé incohérent avant validation : {detail}")
    cases = cases.assign(index=cases["index"].astype(np.int64), check=cases["check"].astype(str))
    is_frame = cases["check"].isin(list(_CHECK_COLUMN))
    cases.loc[is_frame, "column"] = cases.loc[is_frame, "check"].map(_CHECK_COLUMN)
    cases = cases.drop_duplicates(["index", "column", "check"])
    col = cases["column"].astype(str)
    header = col.map(lambda c: headers.get(c, C.FRENCH.get(c, c)))
    raw = pd.Series([raw_text.at[i, c] if c in raw_text else None for i, c in zip(cases["index"], col)],
                    index=cases.index, dtype="string").fillna("")
    check = cases["check"]
    reason = pd.Series("", index=cases.index, dtype=object)
    for name, template in _CHECK_MESSAGES.items():
        m = (check == name).to_numpy()
        if m.any():
            reason[m] = [template.format(col=h, value=v) for h, v in zip(header[m], raw[m])]
    isin = check.str.startswith("isin").to_numpy()
    if isin.any():
        reason[isin] = [f"{h} : valeur inconnue « {v} » (attendu : {_ALLOWED_TEXT.get(c, '')})"
                        for h, v, c in zip(header[isin], raw[isin], col[isin])]
    bounds = (reason == "").to_numpy()
    if bounds.any():
        labels = check[bounds].str.replace("greater_than_or_equal_to", "≥", regex=False) \
            .str.replace("less_than_or_equal_to", "≤", regex=False).str.replace("greater_than", ">", regex=False) \
            .str.replace("less_than", "<", regex=False).str.replace(r"[()]", " ", regex=True).str.strip()
        reason[bounds] = [f"{h} : valeur hors limites « {v} » (attendu {lab})"
                          for h, v, lab in zip(header[bounds], raw[bounds], labels)]
    return pd.DataFrame({"index": cases["index"].to_numpy(), "column": col.to_numpy(), "reason": reason.to_numpy()})


# ------------------------------------------------------------------------------------------ text cells

FREE_TEXT = (C.FILIERE, C.CADRE_EMPLOIS, C.GRADE, C.METIER_CODE, C.METIER_LABEL, C.DIRECTION, C.SERVICE)
"""Canonical columns stored as the file writes them (the others are dates, numbers or closed lists)."""


def column_lengths() -> dict[str, int]:
    """Longest text each stored column takes, read from the schema so every backend refuses the same rows."""
    cols = db.AgentSnapshot.__table__.columns
    return {c: cols[c].type.length for c in C.TEXT_COLUMNS
            if c != C.AGENT_ID and getattr(cols[c].type, "length", None)}


def text_reasons(typed: pd.DataFrame, why: CellReasons) -> CellReasons:
    """Add the reasons to refuse a text cell before it is stored: personal data (NIR, e-mail, telephone), a
    formula prefix, or a length the database column cannot hold (cells already refused keep their reason)."""
    lengths = column_lengths()
    for col, limit in lengths.items():
        values = typed[col].astype("string")
        n = values.str.len()
        long = (n > limit).fillna(False).to_numpy(dtype=bool)
        if long.any():
            why.add(col, long, "valeur trop longue (" + n[long].astype(str) + f" caractères, {limit} au plus)")
    for col in FREE_TEXT:
        values = typed[col].astype("string")
        formula = values.str[:1].isin(list(FORMULA_TRIGGERS)).fillna(False).to_numpy(dtype=bool)
        if formula.any():
            why.add(col, formula, "valeur commençant par « " + values[formula].str[0].replace(
                {"\t": "tabulation", "\r": "retour chariot", "\n": "saut de ligne", "\0": "octet nul"})
                + " », lue comme une formule par un tableur")
        kind = personal_data_kind(values).to_numpy()
        personal = kind != ""
        if personal.any():
            why.add(col, personal, "donnée personnelle (" + pd.Series(kind[personal], dtype=object)
                    + ") : jamais enregistrée")
    return why


# ------------------------------------------------------------------------------------------ métiers

@dataclass
class MetierCheck:
    """The métier code of each row (NA when unresolved), reasons, and the labels matched approximately."""

    code: pd.Series
    label: pd.Series
    reason: pd.Series
    matches: list[dict] = field(default_factory=list)


def _label_index(ref: pd.DataFrame) -> tuple[dict, dict, dict, list[str], list[str]]:
    ref = ref.drop_duplicates("code")
    exact: dict[str, str | None] = {}
    lo: dict[str, str | None] = {}
    bag: dict[str, str | None] = {}
    for code, label in zip(ref["code"].astype(str), ref["label"].astype(str)):
        for table, key in ((exact, normalise(label)), (lo, loose(label)), (bag, " ".join(sorted(loose(label).split())))):
            table[key] = code if table.get(key, code) == code else None  # None: two métiers share the key
    norms = [normalise(x) for x in ref["label"].astype(str)]
    return exact, lo, bag, norms, ref["code"].astype(str).tolist()


def resolve_label(label: str, index) -> tuple[str | None, str, list[tuple[str, float]]]:
    """(code or None, method, suggestions as (code, score)) for one distinct label."""
    exact, lo, bag, norms, codes = index
    key = normalise(label)
    for table, method, k in ((exact, "exact", key), (lo, "mots", loose(label)),
                             (bag, "mots", " ".join(sorted(loose(label).split())))):
        if k in table:
            return table[k], method, []
    scores = sorted(((difflib.SequenceMatcher(None, key, n).ratio(), c) for n, c in zip(norms, codes)), reverse=True)
    top = [(c, s) for s, c in scores[:SUGGESTIONS] if s >= 0.5]
    if scores and scores[0][0] >= MATCH_CUTOFF and (len(scores) == 1 or scores[0][0] - scores[1][0] >= MATCH_MARGIN):
        return scores[0][1], "approché", top
    return None, "inconnu", top


def check_metiers(typed: pd.DataFrame, ref: pd.DataFrame, headers: dict[str, str]) -> MetierCheck:
    """Resolve each row's métier: a known code, else its label matched to the référentiel (once per label)."""
    code, label = typed[C.METIER_CODE], typed[C.METIER_LABEL]
    known_codes = set(ref["code"].astype(str))
    ref_label = dict(zip(ref["code"].astype(str), ref["label"].astype(str)))
    code_ok = code.isin(known_codes).fillna(False)
    out_code = code.where(code_ok).astype("string")
    reason = pd.Series("", index=typed.index, dtype=object)
    todo = ~code_ok & label.notna()
    matches = []
    if todo.any():
        index = _label_index(ref)
        distinct = label[todo].unique()
        resolved = {lab: resolve_label(lab, index) for lab in distinct}  # once per distinct label
        found = label[todo].map({k: v[0] for k, v in resolved.items()})
        out_code[todo] = found.astype("string")
        h = headers.get(C.METIER_LABEL, C.FRENCH[C.METIER_LABEL])
        counts = label[todo].value_counts()
        for lab, (c, method, sugg) in resolved.items():
            if c is not None and method != "exact":
                matches.append({"libelle": lab, "code": c, "libelle_referentiel": ref_label.get(c),
                                "methode": method, "lignes": int(counts.get(lab, 0))})
        unresolved = {lab: r for lab, r in resolved.items() if r[0] is None}
        msgs = {}
        for lab, (_, _, sugg) in unresolved.items():
            hint = ("suggestions : " + " ; ".join(f"{ref_label[c]} ({c})" for c, _ in sugg)) if sugg \
                else "aucun libellé proche"
            ambiguous = len(sugg) >= 2 and sugg[0][1] >= MATCH_CUTOFF
            what = "ambigu" if ambiguous else "inconnu du référentiel"
            msgs[lab] = f"{h} : métier {what} « {lab} » ; {hint}"
        m = todo & label.isin(list(unresolved))
        reason[m.to_numpy()] = label[m].map(msgs).to_numpy()
    bad_code = ~code_ok & code.notna() & ~todo
    if bad_code.any():
        h = headers.get(C.METIER_CODE, C.FRENCH[C.METIER_CODE])
        reason[bad_code.to_numpy()] = (h + " : code métier inconnu du référentiel « " + code[bad_code] + " »").to_numpy()
    none = code.isna() & label.isna()
    if none.any():
        reason[none.to_numpy()] = "métier manquant (ni code ni libellé)"
    out_label = label.where(label.notna(), out_code.map(ref_label)).astype("string")
    return MetierCheck(code=out_code, label=out_label, reason=reason, matches=matches)


# ------------------------------------------------------------------------------------------ split

def split_rows(typed: pd.DataFrame, raw_text: pd.DataFrame, cell_reasons: CellReasons, shape: pd.Series,
               metiers: MetierCheck, headers: dict[str, str], sort_by: str | None = None
               ) -> tuple[pd.DataFrame, pd.Series]:
    """Valid typed rows, and the reasons ("; "-joined, French) of every other row, by row index.

    typed: canonical frame (index = row position); raw_text: the canonical text cells; cell_reasons: parse
    failures (one column per canonical column); shape: read failures; metiers: the métier check.
    """
    typed = typed.assign(**{C.METIER_CODE: metiers.code, C.METIER_LABEL: metiers.label})
    parts = [pd.DataFrame({"index": typed.index[shape.to_numpy() != ""], "column": "__shape__",
                           "reason": shape[shape != ""].to_numpy()})]
    for col, reasons in cell_reasons.items():
        h = headers.get(col, C.FRENCH.get(col, col))
        parts.append(pd.DataFrame({"index": reasons.index, "column": col,
                                   "reason": (h + " : " + reasons.astype(str)).to_numpy()}))
    mm = (metiers.reason != "").to_numpy()
    parts.append(pd.DataFrame({"index": typed.index[mm], "column": C.METIER_CODE, "reason": metiers.reason[mm].to_numpy()}))
    parts.append(_schema_reasons(typed, raw_text, headers))
    parts = [p for p in parts if len(p)]
    if parts:
        allr = pd.concat(parts, ignore_index=True).drop_duplicates(["index", "column"], keep="first")
        allr["reason"] = allr["reason"].astype(str).str.replace(r"\s*[\r\n]+\s*", " ", regex=True)
        why = allr.groupby("index", sort=True)["reason"].agg(REASON_SEP.join)
    else:
        why = pd.Series(dtype=object)
    keep = np.flatnonzero(~typed.index.isin(why.index))
    if sort_by is not None:  # one gather does both the selection and the order
        keys = pa.array(typed[sort_by].iloc[keep].array)  # Arrow sorts without a Python string per row
        keep = keep[pc.sort_indices(keys).to_numpy()]
    return typed.take(keep), why


def require_columns(used: dict[str, str], found: list[str], name: str) -> None:
    """Refuse a file without the required columns, naming them and listing the columns found."""
    missing = [c for c in C.REQUIRED if c not in used]
    if not any(c in used for c in C.METIER_ANY):
        missing.append("metier_code ou metier_label")
    if missing:
        names = ", ".join(f"{C.FRENCH.get(m, 'code ou libellé métier')} ({m})" for m in missing)
        shown = ", ".join(f"« {f} »" for f in redact(pd.Series(found[:40], dtype="string")).fillna("")) \
            + (" ..." if len(found) > 40 else "")
        hint = ""
        quoted = [f for f in found if '"' in f]
        if quoted:
            hint = (f" L'en-tête contient un guillemet (\") dans « {quoted[0][:60]} » : un guillemet sans son "
                    "pendant réunit plusieurs colonnes en une ; supprimez-le.")
        elif len(found) == 1:
            hint = " Une seule colonne lue : le séparateur n'est peut-être pas , ; tabulation ou |."
        raise ExtractRejected(f"{name} : colonne(s) obligatoire(s) absente(s) : {names}. "
                              f"Colonnes trouvées : {shown}.{hint} Renommez la colonne ou donnez une "
                              "correspondance (--mapping fichier.yaml).")


def require_values(text: pd.DataFrame, used: dict[str, str], name: str) -> None:
    """Refuse a file whose required column (or both métier columns) is empty on every row."""
    for c in C.REQUIRED:
        if text[c].isna().all():
            raise ExtractRejected(f"{name} : la colonne « {used[c]} » ({C.FRENCH[c]}) est vide sur toutes les lignes.")
    cols = [c for c in C.METIER_ANY if c in text]
    if all(text[c].isna().all() for c in cols):
        heads = " et ".join(f"« {used[c]} »" for c in cols)
        raise ExtractRejected(f"{name} : {heads} (métier) vide(s) sur toutes les lignes ; "
                              "le métier de chaque agent est nécessaire.")
