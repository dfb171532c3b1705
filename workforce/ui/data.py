"""Cached loaders of the app: the engine, the latest extract, aggregated history, quality reports, model lists.

Performance rule: a page load never reads every monthly snapshot (about a million rows on the demo data): it
reads one extract (the latest, or one a year back), or an aggregate computed by the database.

Every loader takes the database URL and a ``version`` (:func:`data_version`, a cheap fingerprint of the
extracts, model versions and scenarios tables): an import, a retraining or a saved scenario changes the version,
so the caches are refreshed without a manual clear.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from workforce import access, db
from workforce.config import get_settings
from workforce.ui import common as C

SNAPSHOT_COLUMNS = ("extract_date", "agent_id", "birth_date", "sex", "statut", "categorie", "filiere",
                    "cadre_emplois", "metier_code", "metier_label", "direction", "quotite", "entry_date",
                    "public_service_entry_date", "service_category", "active_service_years", "insurance_quarters",
                    "indice_majore")
AGE_BANDS = list(range(15, 75, 5))  # 15-19 ... 65-69, 70+ (closed at 70 and over)


# ---------------------------------------------------------------------------------------------- engine

def db_url() -> str:
    return get_settings().db_url


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    """One engine per URL for the whole server; the tables are created when missing (idempotent)."""
    eng = db.make_engine(url)
    db.init_db(eng)
    return eng


def current_engine() -> Engine:
    return engine(db_url())


def data_version(url: str | None = None) -> tuple:
    """A cheap fingerprint (one small query) of what the caches depend on."""
    eng = engine(url or db_url())
    with eng.connect() as conn:
        ext = conn.execute(select(func.count(db.Extract.id), func.max(db.Extract.id),
                                  func.max(db.Extract.imported_at))).one()
        mv = conn.execute(select(func.count(db.ModelVersion.id), func.max(db.ModelVersion.id))).one()
        # which versions are active, not only how many: a rollback moves the flag and must change the key
        active = conn.execute(select(db.ModelVersion.id).where(db.ModelVersion.active.is_(True))
                              .order_by(db.ModelVersion.id)).scalars().all()
        # the referential and the ROME release: an import or a title mapping changes exposures and passerelles
        rome = conn.execute(select(func.count(db.RomeRelease.id), func.max(db.RomeRelease.id))).one()
        metiers = conn.execute(select(func.count(db.Metier.code), func.count(db.Metier.rome_codes),
                                      func.sum(func.length(func.coalesce(db.Metier.rome_codes, ""))))).one()
        skills = conn.execute(select(func.count(db.MetierSkill.id), func.max(db.MetierSkill.id))).one()
    return (tuple(str(v) for v in ext), tuple(str(v) for v in mv), tuple(active),
            tuple(str(v) for v in (*rome, *metiers, *skills)))


SCOPE = "scope"


def with_scope(version: tuple, user) -> tuple:
    """The data version, plus the user's directions when their role is restricted to some: every cached read
    takes the version, so the cache keys include the scope and each read can apply it (:func:`scope_of`)."""
    scope = getattr(user, "scope", None)
    return version if scope is None else (*version, (SCOPE, tuple(scope)))


def unscoped(version: tuple) -> tuple:
    """The data version without the user's scope (for what every user shares, restricted later)."""
    return version[:-1] if scope_of(version) is not None else version


def scope_of(version: tuple) -> tuple[str, ...] | None:
    """The directions a cached read is restricted to (None: all), from :func:`with_scope`'s version."""
    last = version[-1] if version else None
    return tuple(last[1]) if isinstance(last, tuple) and len(last) == 2 and last[0] == SCOPE else None


def within_scope(frame: pd.DataFrame, version: tuple, column: str = "direction") -> pd.DataFrame:
    """The rows of ``frame`` in the scope of ``version`` (all rows without a scope)."""
    return access.within(frame, scope_of(version), column)


def scenario_version(url: str | None = None) -> tuple:
    eng = engine(url or db_url())
    with eng.connect() as conn:
        row = conn.execute(select(func.count(db.Scenario.id), func.max(db.Scenario.id),
                                  func.max(db.Scenario.created_at))).one()
    return tuple(str(v) for v in row)


# ---------------------------------------------------------------------------------------------- extracts

@st.cache_data(show_spinner=False)
def extracts(url: str, version: tuple) -> pd.DataFrame:
    """Every extract (without its report): id, date, source, kind, import time, row counts."""
    cols = [db.Extract.id, db.Extract.extract_date, db.Extract.source, db.Extract.kind, db.Extract.imported_at,
            db.Extract.rows_read, db.Extract.rows_stored, db.Extract.rows_quarantined, db.Extract.mapping]
    frame = db.read_frame(engine(url), select(*cols).order_by(db.Extract.extract_date, db.Extract.id))
    frame["extract_date"] = pd.to_datetime(frame["extract_date"])
    return frame


def latest_extract(url: str, version: tuple) -> pd.Series | None:
    """The newest extract that holds agents (any kind), or None on an empty database."""
    ex = extracts(url, version)
    ex = ex[ex["rows_stored"] > 0]
    if ex.empty:
        return None
    return ex.sort_values(["extract_date", "id"]).iloc[-1]


def extract_near(url: str, version: tuple, when: pd.Timestamp) -> pd.Series | None:
    """The newest extract on or before ``when`` (None when the history starts later)."""
    ex = extracts(url, version)
    ex = ex[(ex["rows_stored"] > 0) & (ex["extract_date"] <= pd.Timestamp(when))]
    if ex.empty:
        return None
    return ex.sort_values(["extract_date", "id"]).iloc[-1]


@st.cache_data(show_spinner=False)
def snapshot(url: str, version: tuple, extract_id: int) -> pd.DataFrame:
    """The agents of one extract, with their age (years) and seniority at the extract date."""
    cols = [getattr(db.AgentSnapshot, c) for c in SNAPSHOT_COLUMNS]
    stmt = select(*cols).where(db.AgentSnapshot.extract_id == int(extract_id))
    if scope_of(version) is not None:
        stmt = stmt.where(db.AgentSnapshot.direction.in_(scope_of(version)))
    frame = db.read_frame(engine(url), stmt)
    for col in ("extract_date", "birth_date", "entry_date", "public_service_entry_date"):
        frame[col] = pd.to_datetime(frame[col])
    at = frame["extract_date"]
    frame["age"] = (at - frame["birth_date"]).dt.days / 365.25
    frame["anciennete"] = (at - frame["entry_date"]).dt.days / 365.25
    frame["quotite"] = pd.to_numeric(frame["quotite"], errors="coerce").fillna(1.0)
    return frame


def latest_snapshot(url: str, version: tuple) -> pd.DataFrame | None:
    ext = latest_extract(url, version)
    return None if ext is None else snapshot(url, version, int(ext["id"]))


@st.cache_data(show_spinner=False)
def latest_import_report(url: str, version: tuple) -> dict | None:
    """The quality report of the newest imported extract (None when only synthetic data exist)."""
    with engine(url).connect() as conn:
        row = conn.execute(
            select(db.Extract.id, db.Extract.extract_date, db.Extract.source, db.Extract.report)
            .where(db.Extract.kind == "import").order_by(db.Extract.extract_date.desc(), db.Extract.id.desc())
            .limit(1)
        ).one_or_none()
    if row is None:
        return None
    return {"id": row.id, "extract_date": row.extract_date, "source": row.source, "report": row.report or {}}


@st.cache_data(show_spinner=False)
def monthly_headcount(url: str, version: tuple) -> pd.DataFrame:
    """Headcount and ETP per extract date, aggregated by the database (never the million rows)."""
    stmt = (select(db.AgentSnapshot.extract_date, func.count().label("effectif"),
                   func.sum(db.AgentSnapshot.quotite).label("etp"))
            .group_by(db.AgentSnapshot.extract_date).order_by(db.AgentSnapshot.extract_date))
    if scope_of(version) is not None:
        stmt = stmt.where(db.AgentSnapshot.direction.in_(scope_of(version)))
    frame = db.read_frame(engine(url), stmt)
    frame["extract_date"] = pd.to_datetime(frame["extract_date"])
    return frame


@st.cache_data(show_spinner=False)
def departures(url: str, version: tuple, since: dt.date, until: dt.date) -> pd.DataFrame:
    """Departure movements in ``(since, until]``: agent pseudonym, date, motive (aggregated by the caller)."""
    stmt = (select(db.Movement.agent_id, db.Movement.movement_date, db.Movement.motive)
            .where(db.Movement.kind == "departure", db.Movement.movement_date > since,
                   db.Movement.movement_date <= until))
    if scope_of(version) is not None:
        stmt = stmt.where(db.Movement.from_direction.in_(scope_of(version)))
    frame = db.read_frame(engine(url), stmt)
    frame["movement_date"] = pd.to_datetime(frame["movement_date"])
    return frame


YEARLY_GROUPS = ("metier_code", "direction", "filiere", "categorie", "statut")


@st.cache_data(show_spinner=False)
def yearly_counts(url: str, version: tuple, by: str) -> pd.DataFrame:
    """Headcount and ETP by group at the last extract of each year (plus the latest extract): ``year,
    extract_date, <by>, effectif, etp``. One extract a year, never the whole monthly history."""
    if by not in YEARLY_GROUPS:
        raise ValueError(f"unknown grouping {by!r}; allowed: {', '.join(YEARLY_GROUPS)}")
    ex = extracts(url, version)
    ex = ex[ex["rows_stored"] > 0]
    if ex.empty:
        return pd.DataFrame(columns=["year", "extract_date", by, "effectif", "etp"])
    last = ex.sort_values(["extract_date", "id"]).groupby(ex["extract_date"].dt.year).tail(1)
    ids = [int(i) for i in last["id"]]
    col = getattr(db.AgentSnapshot, by)
    stmt = (select(db.AgentSnapshot.extract_id, col, func.count().label("effectif"),
                   func.sum(db.AgentSnapshot.quotite).label("etp"))
            .where(db.AgentSnapshot.extract_id.in_(ids)).group_by(db.AgentSnapshot.extract_id, col))
    if scope_of(version) is not None:
        stmt = stmt.where(db.AgentSnapshot.direction.in_(scope_of(version)))
    frame = db.read_frame(engine(url), stmt)
    dates = last.set_index("id")["extract_date"]
    frame["extract_date"] = frame["extract_id"].map(dates)
    frame["year"] = frame["extract_date"].dt.year
    return frame[["year", "extract_date", by, "effectif", "etp"]].sort_values(["year", by]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- referential

@st.cache_data(show_spinner=False)
def direction_labels() -> dict[str, str]:
    """Direction code -> French name (:func:`workforce.referential.direction_labels`, the files' own)."""
    from workforce.referential import direction_labels as labels

    return labels()


@st.cache_data(show_spinner=False)
def metiers(url: str, version: tuple) -> pd.DataFrame:
    """The métiers of the database (built-in referential, ROME fiches, local ones)."""
    cols = [db.Metier.code, db.Metier.label, db.Metier.source, db.Metier.famille, db.Metier.filiere,
            db.Metier.categories, db.Metier.service_category, db.Metier.rome_codes, db.Metier.direction,
            db.Metier.transition_eco, db.Metier.transition_num, db.Metier.transition_demo]
    return db.read_frame(engine(url), select(*cols).order_by(db.Metier.code))


def metier_labels(url: str, version: tuple) -> dict[str, str]:
    m = metiers(url, version)
    return dict(zip(m["code"].astype(str), m["label"].astype(str)))


# ---------------------------------------------------------------------------------------------- models

@st.cache_data(show_spinner=False)
def model_versions(url: str, version: tuple) -> pd.DataFrame:
    """Every registered model version with its metrics and training date (the registry's table)."""
    cols = [db.ModelVersion.id, db.ModelVersion.name, db.ModelVersion.version, db.ModelVersion.active,
            db.ModelVersion.trained_at, db.ModelVersion.training_seconds, db.ModelVersion.extract_id,
            db.ModelVersion.code_version, db.ModelVersion.sha256, db.ModelVersion.metrics, db.ModelVersion.params]
    frame = db.read_frame(engine(url), select(*cols).order_by(db.ModelVersion.name, db.ModelVersion.trained_at))
    frame["trained_at"] = pd.to_datetime(frame["trained_at"])
    frame["active"] = frame["active"].astype(bool)
    return frame


def age_band(age: pd.Series) -> pd.Series:
    """Five-year bands as French labels: '15-19 ans' ... '65-69 ans', '70 ans et plus'."""
    edges = [*AGE_BANDS, 200]
    labels = [f"{lo}-{lo + 4} ans" for lo in AGE_BANDS[:-1]] + [f"{AGE_BANDS[-1]} ans et plus"]
    under = pd.Series(np.where(age < AGE_BANDS[0], f"moins de {AGE_BANDS[0]} ans", None), index=age.index)
    cut = pd.cut(age, bins=edges, right=False, labels=labels).astype(object)
    return cut.where(under.isna(), under)


def age_band_order() -> list[str]:
    return [f"moins de {AGE_BANDS[0]} ans"] + [f"{lo}-{lo + 4} ans" for lo in AGE_BANDS[:-1]] + \
        [f"{AGE_BANDS[-1]} ans et plus"]


def latest_extract_or_stop(url: str, version: tuple) -> pd.Series:
    """The latest extract; with none, the page says how to load data and stops there."""
    ext = latest_extract(url, version)
    if ext is None:
        C.no_data()
        st.stop()
    return ext


# ---------------------------------------------------------------------------------------------- dashboard view

DASHBOARD_FILTERS = ("direction", "metier_code", "filiere", "categorie", "statut")


def exposed_cells(agents: pd.DataFrame, filters: dict, table: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of ``table`` (a breakdown of the filtered view by ``keys``, columns computed on every row of
    ``agents``), whether a neighbouring view's same breakdown would give it away
    (:func:`workforce.privacy.differencing_cells`): hide it with the small cells."""
    from workforce import privacy

    cells = privacy.differencing_cells(agents, {c: filters.get(c) for c in DASHBOARD_FILTERS}, keys)
    merged = table[keys].astype(object).fillna("—").merge(cells.astype({k: object for k in keys}), on=keys,
                                                          how="left")
    return merged["exposed"].fillna(False).to_numpy(bool)


def dashboard_view(agents: pd.DataFrame, filters: dict) -> dict:
    """The headline figures of the dashboard for a filtered view, through statistical secrecy.

    Returns ``refused`` (the French reason, or None), ``n`` (agents), ``etp``, ``age`` (mean), ``senior``
    (share aged 55 or more) and ``agents`` (the rows, for the breakdowns). A view is refused, all figures None,
    when it or its difference with a neighbouring view holds 1-4 agents
    (:func:`workforce.privacy.filter_refusal`): « DAJ » and « DAJ, filière autre que médico-sociale » side by
    side gave one agent's age and quotité."""
    from workforce import privacy

    refused = privacy.filter_refusal(agents, {c: filters.get(c) for c in DASHBOARD_FILTERS})
    if refused:
        return {"refused": refused, "n": None, "etp": None, "age": None, "senior": None, "agents": None}
    sel = C.apply_filters(agents, filters)
    n = len(sel)
    return {"refused": None, "n": n, "etp": float(sel["quotite"].sum()),
            "age": float(sel["age"].mean()) if n else None,
            "senior": float((sel["age"] >= 55).mean()) if n else None, "agents": sel}
