"""Importing a checked ROME release into the database in one transaction, and reporting what changed.

ROME fiches become métiers of source "rome" (with their transition flags), compétences and savoirs become
skills, and the appellations and fiche-to-item links fill their own tables. A newer release updates these
rows in place (`_sync`): rows are compared as text (`_diff`), new items are added, items gone from the release
are removed, except a skill still required by a local métier or assessed for an agent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select, update

from workforce import db
from workforce.rome.layout import RomeReleaseError
from workforce.rome.release import RomeRelease, read_release


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
    say = progress or (lambda _msg: None)
    say("lecture et contrôle des fichiers")
    rel = release or read_release(folder)
    db.init_db(engine)
    changes: dict[str, TableChanges] = {}
    with db.session_scope(engine) as session:
        previous = session.execute(select(db.RomeRelease.version).order_by(db.RomeRelease.id.desc())
                                   .limit(1)).scalar_one_or_none()
        say("fiches métier")
        changes["metiers"] = _sync_metiers(session, rel.fiches)
        say("compétences et savoirs")
        changes["skills"] = _sync_skills(session, rel.skills)
        say("appellations")
        changes["appellations"] = _sync_appellations(session, rel.appellations)
        say("liens fiche -> compétences, savoirs, appellations, contextes")
        changes["links"] = _sync_links(session, rel.links)
        counts = _counts(session)
        summary = {k: v.as_dict() for k, v in changes.items()}
        session.add(db.RomeRelease(version=rel.version, title=rel.title, published_on=rel.published_on,
                                   folder=str(rel.folder), files=rel.files, counts=counts, changes=summary))
        db.audit(session, "import_rome", {"version": rel.version, "folder": str(rel.folder), "counts": counts,
                                          "previous_version": previous}, actor=actor)
    return RomeImportReport(version=rel.version, title=rel.title, published_on=rel.published_on, counts=counts,
                            changes=changes, previous_version=previous)


def _sync_metiers(session, fiches: pd.DataFrame) -> TableChanges:
    """Fiches as métiers of source "rome"; a local métier may not already hold a fiche's code."""
    clash = set(session.execute(select(db.Metier.code).where(db.Metier.source != "rome")
                                .where(db.Metier.code.in_(list(fiches["code"])))).scalars())
    if clash:
        raise RomeReleaseError([f"métier code(s) {', '.join(sorted(clash)[:5])} of the database (source "
                                "builtin/local) are also ROME fiche codes: rename the local métiers first"])
    cols = ["code", "label", "source", "famille", "rome_codes", "transition_eco", "transition_num",
            "transition_demo", "attributes"]
    cur = db.read_frame(session.connection(),
                        select(*[getattr(db.Metier, c) for c in cols]).where(db.Metier.source == "rome"))
    return _sync(session, db.Metier, cur, fiches, ["code"], cols[1:])


def _sync_skills(session, skills: pd.DataFrame) -> TableChanges:
    """Compétences and savoirs as skills; a skill gone from the release stays while something local refers to it."""
    cols = ["code", "label", "kind", "source", "category", "transition_eco", "transition_num"]
    cur = db.read_frame(session.connection(),
                        select(*[getattr(db.Skill, c) for c in cols]).where(db.Skill.source == "rome"))
    used = set(session.execute(select(db.MetierSkill.skill_code).distinct()).scalars()) | \
        set(session.execute(select(db.AgentSkill.skill_code).distinct()).scalars())
    return _sync(session, db.Skill, cur, skills, ["code"], cols[1:], protected=used)


def _sync_appellations(session, appellations: pd.DataFrame) -> TableChanges:
    cols = ["code", "label", "short_label", "code_rome", "transition_eco", "transition_num", "transition_demo",
            "classification", "rarely_used"]
    cur = db.read_frame(session.connection(), select(*[getattr(db.RomeAppellation, c) for c in cols]))
    return _sync(session, db.RomeAppellation, cur, appellations, ["code"], cols[1:])


def _sync_links(session, links: pd.DataFrame) -> TableChanges:
    """Fiche -> compétence, savoir, appellation and contexte links, keyed by fiche, bloc and code_ogr."""
    cur = db.read_frame(session.connection(), select(db.RomeLink.id, db.RomeLink.code_rome, db.RomeLink.bloc,
                                                     db.RomeLink.rubrique, db.RomeLink.code_ogr))
    return _sync(session, db.RomeLink, cur, links, ["code_rome", "bloc", "code_ogr"], ["rubrique"], pk="id")


def _counts(session) -> dict[str, int]:
    """Rows of each ROME table after the import."""
    return {
        "fiches": session.execute(select(func.count()).select_from(db.Metier)
                                  .where(db.Metier.source == "rome")).scalar_one(),
        "skills": session.execute(select(func.count()).select_from(db.Skill)
                                  .where(db.Skill.source == "rome")).scalar_one(),
        "appellations": session.execute(select(func.count()).select_from(db.RomeAppellation)).scalar_one(),
        "links": session.execute(select(func.count()).select_from(db.RomeLink)).scalar_one(),
    }


def _sync(session, model, current: pd.DataFrame, new: pd.DataFrame, key: list[str], compare: list[str],
          *, protected: set | None = None, pk: str | None = None) -> TableChanges:
    """Make ``model``'s rows equal to ``new``: delete what left, update what changed, insert what came."""
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
