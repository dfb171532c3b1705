"""Person-year panel: one row per agent and year at risk, covariates at the year's start, outcome of the year.

Why: retirement and the other exits are discrete-time hazards (DESIGN, competing risks). Every cause-specific
model is fitted on the same rows, the *risk set*: the agents present at the start of a year, each with the
first departure of that year (retirement with its motive, another exit with its motive) or none (stayed).

Years at risk. Extracts are snapshots taken on given dates (monthly at month end in practice). The *anchor* of
calendar year Y is the extract closest to 1 January Y within 31 days either side (the 31 December extract of
Y-1, or the January extract when the history starts in January). The year at risk runs from the day after its
anchor to the next year's anchor (or to the last extract for the last year): ``(anchor, end]``. Covariates
are measured on ``start_date`` = anchor + 1 day; ``exposure`` is the observed share of a year (1.0 for a
31 December anchor, 0.92 for a 31 January one). Consecutive windows touch, so each departure belongs to
exactly one agent-year, and an agent who has left has no later row (unless re-hired under the same id).

Outcome. The first departure movement of the agent in the window; a motive in :data:`RETIREMENT_MOTIVES` is a
retirement, any other motive an exit. A departure of unknown motive (``inconnu`` or missing, which the
import writes when the extract does not say) counts as a retirement when it happens on or after the agent's
AOD, else as an exit (``unknown_after_aod_is_retirement``). An agent absent from the window's closing
extract without any departure movement is an exit of unknown motive.

Law. AOD and age limit come from :mod:`workforce.rules` under one regime. Over a history up to 2025 the law
in force is ``reform2023`` (it equals ``pre2023`` for every generation that reached its AOD before the
reform took effect, and ``lfss2026`` only differs for pensions from September 2026): :data:`HISTORY_REGIME`.

Glossary: AOD (âge d'ouverture des droits) the legal minimum retirement age; limite d'âge the age by which a
fonctionnaire must leave; catégorie A/B/C the hierarchical level; filière the professional branch; statut
titulaire / stagiaire / contractuel; catégorie de service (service category) sédentaire / active /
insalubre; métier the job; direction the department of the employer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce import rules
from workforce.columns import (  # noqa: F401 - the panel's names, re-exported for its readers (P.YEAR...)
    ACTIVE_YEARS, AGE, AGENT_ID, ANCHOR_DATE, AOD_DATE, BIRTH_DATE, CATEGORIE, DEPARTURE, DIRECTION,
    EFFECTIVE_CATEGORY, END_DATE, ENTRY_DATE, EVENT_DATE, EXIT, EXPOSURE, EXTRA, EXTRACT_DATE, FILIERE, GRADE, INDICE,
    INVALIDITY, KIND, LIMIT_DATE, METIER_CODE, MONTHS_TO_AOD, MONTHS_TO_LIMIT, MOTIVE, MOVEMENT_DATE, OUTCOME,
    OUTCOMES, QUARTERS, QUOTITE, REQUIRED_QUARTERS, RETIREMENT, RETIREMENT_MOTIVES, SERVICE_CATEGORY, SEX, START_DATE,
    START_WORK_AGE, STATUT, STAY, TENURE, UNKNOWN_MOTIVE, YEAR, YEARS_TO_LIMIT,
)

# ============================================================================================== columns
# Every name comes from workforce.columns (snapshot and movement columns: the names of db.AgentSnapshot and
# db.Movement; panel columns, outcomes and motives).
SNAPSHOT_COLUMNS = (AGENT_ID, BIRTH_DATE, SEX, STATUT, CATEGORIE, FILIERE, METIER_CODE, DIRECTION, QUOTITE, ENTRY_DATE,
                    SERVICE_CATEGORY, ACTIVE_YEARS, QUARTERS, GRADE, INDICE, EXTRA)
"""Snapshot columns carried into the panel; only agent_id and birth_date are required, the others may be missing.
``grade``, ``indice_majore`` and ``extra`` (the columns a mapping keeps, one dict per row) are covariates of the
exit model (:mod:`workforce.forecast.exits_covariates`), which learns from every column an extract carries."""
REQUIRED_SNAPSHOT_COLUMNS = (EXTRACT_DATE, AGENT_ID, BIRTH_DATE)
COVARIATE_COLUMNS = (AGE, TENURE, EFFECTIVE_CATEGORY, AOD_DATE, MONTHS_TO_AOD, LIMIT_DATE, MONTHS_TO_LIMIT,
                     YEARS_TO_LIMIT, REQUIRED_QUARTERS, START_WORK_AGE)
PANEL_COLUMNS = (AGENT_ID, YEAR, ANCHOR_DATE, START_DATE, END_DATE, EXPOSURE, *SNAPSHOT_COLUMNS[1:],
                 *COVARIATE_COLUMNS, OUTCOME, MOTIVE, EVENT_DATE)

HISTORY_REGIME = "reform2023"
"""The law in force over a history ending in 2025 (see the module docstring)."""
ANCHOR_TOLERANCE_DAYS = 31

_DAY = np.timedelta64(1, "D")


# ============================================================================================== helpers

def _days(values) -> np.ndarray:
    return rules.as_dates(values)


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of each date (int64); NaT gives a large negative sentinel, never used unmasked."""
    d = np.asarray(days, dtype="datetime64[D]")
    out = d.astype("datetime64[M]").astype(np.int64)
    return np.where(np.isnat(d), np.iinfo(np.int64).min // 2, out)


def years_between(earlier: np.ndarray, later: np.ndarray) -> np.ndarray:
    """(later - earlier) in years of 365.25 days, NaN where a date is missing."""
    delta = (np.asarray(later, "datetime64[D]") - np.asarray(earlier, "datetime64[D]")).astype("timedelta64[D]")
    out = delta.astype(np.float64) / 365.25
    return np.where(np.isnat(delta), np.nan, out)


def _column(frame: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(default, index=frame.index, dtype=object if isinstance(default, str) else None)


# ============================================================================================== covariates

def _effective_category(agents: pd.DataFrame, active_accrual_years: float) -> np.ndarray:
    """:func:`workforce.rules.effective_category` of each row, evaluated once per distinct (service category,
    statut, active years) combination: the text normalisation of the rules is costly on a whole panel."""
    sc = _column(agents, SERVICE_CATEGORY, None).astype(object)
    statut = _column(agents, STATUT, None).astype(object)
    years = pd.to_numeric(_column(agents, ACTIVE_YEARS), errors="coerce").to_numpy(np.float64)
    declared_active = sc.isin(["active", "insalubre"]).to_numpy()
    years = years + np.where(declared_active, active_accrual_years, 0.0)
    keys = pd.DataFrame({"sc": sc.to_numpy(), "statut": statut.to_numpy(), "years": years})
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
    u = uniques.to_frame(index=False)
    u.columns = keys.columns
    eff = rules.effective_category(u["sc"].to_numpy(object), u["statut"].to_numpy(object),
                                   u["years"].to_numpy(np.float64))
    return np.asarray(eff, dtype=object)[codes]


def _law_months(quantity: str, birth: np.ndarray, categories: np.ndarray, regime: str) -> np.ndarray:
    """Months (or quarters) of a law table for each birth date and (already normalised) service category, by
    ``searchsorted`` on the table's bracket starts, one category block at a time."""
    tab = rules.table(quantity)
    out = np.empty(len(birth), dtype=np.int64)
    for category in rules.CATEGORIES:
        sel = categories == category
        if sel.any():
            block = tab.block(regime, category)
            out[sel] = block.values[block.index(birth[sel])]
    return out


def covariates(agents: pd.DataFrame, start, regime: str = HISTORY_REGIME, *,
               active_accrual_years: float = 1.0) -> pd.DataFrame:
    """Return a copy of ``agents`` with the law and age covariates measured on ``start``.

    Parameters
    ----------
    agents : DataFrame
        Snapshot-like rows: ``birth_date`` required; ``statut``, ``service_category``,
        ``active_service_years``, ``entry_date``, ``insurance_quarters`` used when present.
    start : date or array of dates
        First day of the year at risk of each row (broadcast when scalar).
    regime : str
        Law variant of :data:`workforce.rules.REGIMES` giving the AOD and the age limit.
    active_accrual_years : float
        Services actifs are counted at the end of the year: an agent in an active post reaching the 17 years
        during the year may leave under the active rules that year (catégorie active, fpt-facts §1).

    Returns
    -------
    DataFrame
        ``agents`` plus :data:`COVARIATE_COLUMNS`: ages and tenures in years, ``months_to_aod`` and
        ``months_to_limit`` in calendar months from the start month (negative once reached).
    """
    n = len(agents)
    start_days = _days(start) if np.ndim(start) else np.full(n, _days([start])[0])
    if len(start_days) != n:
        raise ValueError(f"start has {len(start_days)} dates for {n} agents")
    birth = _days(agents[BIRTH_DATE])
    if np.isnat(birth).any():
        pos = int(np.flatnonzero(np.isnat(birth))[0])
        raise ValueError(f"missing birth date for agent {agents[AGENT_ID].iloc[pos]!r} (row {pos})"
                         if AGENT_ID in agents.columns else f"missing birth date at row {pos}")
    eff = _effective_category(agents, active_accrual_years)
    aod = rules.add_months(birth, _law_months("aod", birth, eff, regime))
    limit = rules.add_months(birth, _law_months("age_limit", birth, eff, regime))
    start_month = month_index(start_days)
    age = years_between(birth, start_days)
    quarters = pd.to_numeric(_column(agents, QUARTERS), errors="coerce").to_numpy(np.float64)
    entry = _days(agents[ENTRY_DATE]) if ENTRY_DATE in agents.columns else np.full(n, np.datetime64("NaT", "D"))
    out = agents.copy()
    out[AGE] = age
    out[TENURE] = years_between(entry, start_days)
    out[EFFECTIVE_CATEGORY] = eff
    out[AOD_DATE] = aod
    out[MONTHS_TO_AOD] = month_index(aod) - start_month
    out[LIMIT_DATE] = limit
    out[MONTHS_TO_LIMIT] = month_index(limit) - start_month
    out[YEARS_TO_LIMIT] = years_between(start_days, limit)
    out[REQUIRED_QUARTERS] = _law_months("quarters", birth, eff, regime)
    out[START_WORK_AGE] = age - quarters / 4.0
    return out


# ============================================================================================== years at risk

def year_anchors(extract_dates, tolerance_days: int = ANCHOR_TOLERANCE_DAYS) -> pd.DataFrame:
    """The anchor extract and the observed window of each calendar year the history covers.

    Returns a frame ``year, anchor_date, start_date, end_date, exposure``, one row per year with an anchor
    and at least one later extract (the window ``(anchor_date, end_date]``).
    """
    dates = np.unique(_days(pd.Series(extract_dates).dropna()))
    cols = [YEAR, ANCHOR_DATE, START_DATE, END_DATE, EXPOSURE]
    if len(dates) == 0:
        return pd.DataFrame(columns=cols)
    first_year = int(str((dates[0] - np.timedelta64(tolerance_days, "D")).astype("datetime64[Y]"))) + 1
    last_year = int(str((dates[-1] + np.timedelta64(tolerance_days, "D")).astype("datetime64[Y]")))
    years = np.arange(first_year, last_year + 1)
    jan1 = np.array([f"{y}-01-01" for y in years], dtype="datetime64[D]")
    # closest extract to 1 January, within the tolerance (ties: the earlier one)
    pos = np.searchsorted(dates, jan1)
    before = dates[np.clip(pos - 1, 0, len(dates) - 1)]
    after = dates[np.clip(pos, 0, len(dates) - 1)]
    d_before = np.where(pos > 0, (jan1 - before).astype(np.int64), 10**9)
    d_after = np.where(pos < len(dates), (after - jan1).astype(np.int64), 10**9)
    anchor = np.where(d_before <= d_after, before, after)
    ok = np.minimum(d_before, d_after) <= tolerance_days
    years, anchor = years[ok], anchor[ok]
    nxt = np.append(anchor[1:], np.datetime64("NaT", "D"))
    consecutive = np.append(years[1:] == years[:-1] + 1, False)
    end = np.where(consecutive, nxt, dates[-1])
    keep = end > anchor
    years, anchor, end = years[keep], anchor[keep], end[keep]
    year_len = np.array([366 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 365 for y in years], float)
    return pd.DataFrame({
        YEAR: years.astype(np.int64), ANCHOR_DATE: anchor, START_DATE: anchor + _DAY, END_DATE: end,
        EXPOSURE: np.minimum((end - anchor).astype(np.int64) / year_len, 1.0),
    })


def _classify(motive: pd.Series, event: np.ndarray, aod: np.ndarray, unknown_after_aod: bool) -> np.ndarray:
    m = motive.astype(object)
    has_event = ~np.isnat(event)
    known_retirement = m.isin(RETIREMENT_MOTIVES).to_numpy()
    unknown = (m.isna() | (m == UNKNOWN_MOTIVE)).to_numpy()
    inferred = unknown & (event >= aod) if unknown_after_aod else np.zeros(len(m), bool)
    return np.where(~has_event, STAY, np.where(known_retirement | inferred, RETIREMENT, EXIT)).astype(object)


def build_panel(
    snapshots: pd.DataFrame,
    movements: pd.DataFrame,
    *,
    regime: str = HISTORY_REGIME,
    unknown_after_aod_is_retirement: bool = True,
) -> pd.DataFrame:
    """Build the person-year panel from snapshots and movements (frames in, frame out; inputs untouched).

    Parameters
    ----------
    snapshots : DataFrame
        ``extract_date, agent_id, birth_date`` and any of :data:`SNAPSHOT_COLUMNS` (db.AgentSnapshot names).
        Only the anchor extracts and the last one are read, so a frame holding just those is enough.
    movements : DataFrame
        ``agent_id, movement_date, kind, motive`` (db.Movement names); only departures are used.
    regime : str
        Law variant for the AOD and the age limit over the history (default :data:`HISTORY_REGIME`).
    unknown_after_aod_is_retirement : bool
        Count a departure of unknown motive on or after the AOD as a retirement (else every unknown is an exit).

    Returns
    -------
    DataFrame
        :data:`PANEL_COLUMNS`, one row per (agent_id, year), sorted by year then agent_id; ``outcome`` in
        :data:`OUTCOMES`, ``motive`` and ``event_date`` set when the agent left during the year.
    """
    missing = [c for c in REQUIRED_SNAPSHOT_COLUMNS if c not in snapshots.columns]
    if missing:
        raise ValueError(f"snapshots lack column(s) {', '.join(missing)}")
    missing = [c for c in (AGENT_ID, MOVEMENT_DATE, KIND, MOTIVE) if c not in movements.columns]
    if missing:
        raise ValueError(f"movements lack column(s) {', '.join(missing)}")
    extract_days = _days(snapshots[EXTRACT_DATE])
    anchors = year_anchors(extract_days)
    if anchors.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PANEL_COLUMNS})

    keep_cols = [c for c in SNAPSHOT_COLUMNS if c in snapshots.columns]
    at_anchor = np.isin(extract_days, anchors[ANCHOR_DATE].to_numpy())
    risk = snapshots.loc[at_anchor, keep_cols].copy()
    risk[ANCHOR_DATE] = extract_days[at_anchor]
    risk = risk.merge(anchors, on=ANCHOR_DATE, how="inner", validate="many_to_one")
    dup = risk.duplicated([AGENT_ID, YEAR])
    if dup.any():
        first = risk.loc[dup].iloc[0]
        raise ValueError(
            f"agent {first[AGENT_ID]!r} appears {int(dup.sum()) + 1} times or more in the extract of "
            f"{first[ANCHOR_DATE]:%Y-%m-%d}: one row per agent and extract expected"
        )
    risk = risk.sort_values([YEAR, AGENT_ID], kind="stable").reset_index(drop=True)
    for col in SNAPSHOT_COLUMNS:
        if col not in risk.columns:
            risk[col] = np.nan
    risk = covariates(risk, risk[START_DATE].to_numpy(), regime)

    # first departure of each agent in its window (anchor, end]
    dep = movements.loc[movements[KIND] == DEPARTURE, [AGENT_ID, MOVEMENT_DATE, MOTIVE]]
    dep = dep.assign(**{MOVEMENT_DATE: _days(dep[MOVEMENT_DATE])})
    pairs = risk[[AGENT_ID, YEAR, ANCHOR_DATE, END_DATE]].reset_index().merge(dep, on=AGENT_ID, how="inner")
    inside = (pairs[MOVEMENT_DATE] > pairs[ANCHOR_DATE]) & (pairs[MOVEMENT_DATE] <= pairs[END_DATE])
    first = (pairs[inside].sort_values(["index", MOVEMENT_DATE], kind="stable")
             .drop_duplicates("index").set_index("index"))
    event = np.full(len(risk), np.datetime64("NaT"), dtype="datetime64[D]")
    event[first.index.to_numpy()] = first[MOVEMENT_DATE].to_numpy().astype("datetime64[D]")
    motive = pd.Series(None, index=risk.index, dtype=object)
    motive.loc[first.index] = first[MOTIVE].to_numpy()

    # absent from the closing extract without a departure: an exit of unknown motive on the closing date
    closing = pd.DataFrame({AGENT_ID: snapshots[AGENT_ID].to_numpy(), END_DATE: extract_days})
    closing = closing[np.isin(extract_days, anchors[END_DATE].to_numpy())].assign(_present=True)
    present = risk[[AGENT_ID, END_DATE]].merge(closing, on=[AGENT_ID, END_DATE], how="left")["_present"]
    vanished = present.isna().to_numpy() & np.isnat(event)
    event[vanished] = risk[END_DATE].to_numpy().astype("datetime64[D]")[vanished]
    motive[vanished] = UNKNOWN_MOTIVE

    risk[OUTCOME] = _classify(motive, event, risk[AOD_DATE].to_numpy(), unknown_after_aod_is_retirement)
    risk[MOTIVE] = motive.where(risk[OUTCOME] != STAY, None)
    risk[EVENT_DATE] = event
    return risk[list(PANEL_COLUMNS)]


# ============================================================================================== history from the DB

@dataclass(frozen=True)
class History:
    """What the forecast needs from the database: the snapshots of the anchor extracts and of the last one,
    and the departure movements. ``extract_dates`` lists every extract date (for the year anchors)."""

    snapshots: pd.DataFrame
    movements: pd.DataFrame
    extract_dates: np.ndarray

    @property
    def empty(self) -> bool:
        return len(self.extract_dates) == 0

    @property
    def last_date(self) -> np.datetime64:
        return self.extract_dates[-1]

    def base(self) -> pd.DataFrame:
        """The agents of the latest extract held (the last one, or the cut of :meth:`until`): the population a
        forecast starts from."""
        days = _days(self.snapshots[EXTRACT_DATE])
        if len(days) == 0:
            return self.snapshots.iloc[:0].reset_index(drop=True)
        return self.snapshots[days == days.max()].reset_index(drop=True)

    def until(self, last_day) -> "History":
        """The history as it was known on ``last_day``: later extracts and movements dropped. Cut on an anchor
        extract (:func:`workforce.evaluation.cut_date`) so that :meth:`base` is the population of that day."""
        cut = _days([last_day])[0]
        snaps = self.snapshots[_days(self.snapshots[EXTRACT_DATE]) <= cut]
        moves = self.movements[_days(self.movements[MOVEMENT_DATE]) <= cut]
        return History(snaps, moves, self.extract_dates[self.extract_dates <= cut])


def history_from_frames(snapshots: pd.DataFrame, movements: pd.DataFrame) -> History:
    """A :class:`History` from in-memory frames (e.g. a synthetic département), keeping the same extracts as
    :func:`load_history` would read."""
    days = _days(snapshots[EXTRACT_DATE])
    dates = np.unique(days)
    anchors = year_anchors(dates)
    wanted = np.union1d(anchors[ANCHOR_DATE].to_numpy().astype("datetime64[D]"), dates[-1:])
    cols = [c for c in (EXTRACT_DATE, *SNAPSHOT_COLUMNS) if c in snapshots.columns]
    snaps = snapshots.loc[np.isin(days, wanted), cols].reset_index(drop=True)
    moves = movements.loc[movements[KIND] == DEPARTURE, [AGENT_ID, MOVEMENT_DATE, KIND, MOTIVE]].reset_index(drop=True)
    return History(snaps, moves, dates)


def load_history(engine) -> History:
    """Read from the database what the panel and the forecast need (anchor extracts, last extract, departures).

    Only about one extract a year is read, not every monthly snapshot, so this stays fast on long histories.
    """
    from sqlalchemy import select

    from workforce import db

    with engine.connect() as conn:
        dates = db.read_frame(conn, select(db.AgentSnapshot.extract_date).distinct())
        if dates.empty:
            empty = pd.DataFrame(columns=[EXTRACT_DATE, *SNAPSHOT_COLUMNS])
            return History(empty, pd.DataFrame(columns=[AGENT_ID, MOVEMENT_DATE, KIND, MOTIVE]),
                           np.array([], dtype="datetime64[D]"))
        all_dates = np.unique(_days(dates[EXTRACT_DATE]))
        anchors = year_anchors(all_dates)
        wanted = np.union1d(anchors[ANCHOR_DATE].to_numpy().astype("datetime64[D]"), all_dates[-1:])
        wanted_py = [d.item() for d in wanted.astype("datetime64[D]")]
        cols = [getattr(db.AgentSnapshot, c) for c in (EXTRACT_DATE, *SNAPSHOT_COLUMNS)]
        snaps = db.read_frame(conn, select(*cols).where(db.AgentSnapshot.extract_date.in_(wanted_py)))
        moves = db.read_frame(conn, select(db.Movement.agent_id, db.Movement.movement_date, db.Movement.kind,
                                           db.Movement.motive).where(db.Movement.kind == DEPARTURE))
    for col in (EXTRACT_DATE, BIRTH_DATE, ENTRY_DATE):
        snaps[col] = pd.to_datetime(snaps[col])
    moves[MOVEMENT_DATE] = pd.to_datetime(moves[MOVEMENT_DATE])
    snaps = snaps.sort_values([EXTRACT_DATE, AGENT_ID], kind="stable").reset_index(drop=True)
    return History(snaps, moves, all_dates)


ARRIVAL_YEARS = 4.0
"""Years of recruits the hire profile is trained and backtested on: the profile is fitted on three years, and
the year before the last extract is held out to backtest it."""


def load_arrivals(engine, years: float = ARRIVAL_YEARS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recruits of the last ``years`` before the latest extract: ``(snapshots, arrivals)``, their snapshots
    from the arrival on (``extract_date, agent_id, birth_date, categorie, statut, quotite, indice_majore``) and
    their arrival movements (``agent_id, movement_date, kind``); :func:`workforce.forecast.hires.arrivals_from_history`
    pairs them."""
    from sqlalchemy import func, select

    from workforce import db

    S, Mv = db.AgentSnapshot, db.Movement
    with engine.connect() as conn:
        last = conn.execute(select(func.max(S.extract_date))).scalar()
        if last is None:
            return (pd.DataFrame(columns=[EXTRACT_DATE, AGENT_ID, BIRTH_DATE, CATEGORIE, STATUT, QUOTITE, INDICE]),
                    pd.DataFrame(columns=[AGENT_ID, MOVEMENT_DATE, KIND]))
        since = (pd.Timestamp(last) - pd.DateOffset(days=int(365.25 * years))).date()
        recent = select(Mv.agent_id).where(Mv.kind == "arrival", Mv.movement_date >= since)
        moves = db.read_frame(conn, select(Mv.agent_id, Mv.movement_date, Mv.kind).where(
            Mv.kind == "arrival", Mv.movement_date >= since))
        snaps = db.read_frame(conn, select(S.extract_date, S.agent_id, S.birth_date, S.categorie, S.statut,
                                           S.quotite, S.indice_majore).where(S.extract_date >= since,
                                                                             S.agent_id.in_(recent)))
    return snaps, moves


def load_indices(engine) -> pd.DataFrame:
    """``extract_date, agent_id, categorie, indice_majore, entry_date`` at the extracts closest to one, two, ...
    years before the latest one (and the latest): what :class:`workforce.payroll.IndiceProgression` learns
    from, without reading every monthly snapshot."""
    from sqlalchemy import select

    from workforce import db

    S = db.AgentSnapshot
    with engine.connect() as conn:
        dates = pd.to_datetime(db.read_frame(conn, select(S.extract_date).distinct())[EXTRACT_DATE]).sort_values()
        if dates.empty:
            return pd.DataFrame(columns=[EXTRACT_DATE, AGENT_ID, CATEGORIE, INDICE, ENTRY_DATE])
        last = dates.iloc[-1]
        targets = [last - pd.DateOffset(years=k) for k in range(11)]
        days = dates.to_numpy("datetime64[D]")
        wanted = sorted({pd.Timestamp(days[int(np.argmin(np.abs(days - np.datetime64(t.date()))))]).date()
                         for t in targets if t >= dates.iloc[0] - pd.Timedelta(days=45)})
        frame = db.read_frame(conn, select(S.extract_date, S.agent_id, S.categorie, S.indice_majore, S.entry_date)
                              .where(S.extract_date.in_(wanted)))
    frame[EXTRACT_DATE] = pd.to_datetime(frame[EXTRACT_DATE])
    return frame
