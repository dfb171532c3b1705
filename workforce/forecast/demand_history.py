"""The demand baseline's history: monthly ETP per métier from the snapshots (or from the database, or from the
training pipeline's headcount). A month without any extract is left out (unknown, not zero), so that annual
extracts stay annual points (:class:`workforce.forecast.demand.DemandBaseline` reads them as such)."""

from __future__ import annotations

import pandas as pd

from workforce.columns import METIER_CODE
from workforce.forecast.demand_models import DS, Y


def monthly_etp(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Monthly ETP per métier from snapshots: ``ds`` (month end), ``metier_code``, ``y`` (sum of quotités).

    The last extract of each month represents it; in a month with an extract, a métier with nobody counts as
    0 ETP. A month without any extract is left out (unknown, not zero: see :meth:`DemandBaseline.fit`).
    """
    q = (pd.to_numeric(snapshots["quotite"], errors="coerce").fillna(1.0) if "quotite" in snapshots.columns
         else pd.Series(1.0, index=snapshots.index))
    agg = (pd.DataFrame({"extract_date": pd.to_datetime(snapshots["extract_date"]).to_numpy(),
                         METIER_CODE: snapshots[METIER_CODE].to_numpy(object), "etp": q.to_numpy()})
           .groupby(["extract_date", METIER_CODE])["etp"].sum().reset_index())
    return monthly_etp_from_headcount(agg)


def load_monthly_etp(engine) -> pd.DataFrame:
    """:func:`monthly_etp` computed in the database (one aggregate query, not a million rows)."""
    from sqlalchemy import func, select

    from workforce import db

    S = db.AgentSnapshot
    stmt = (select(S.extract_date, S.metier_code, func.sum(func.coalesce(S.quotite, 1.0)).label("etp"))
            .group_by(S.extract_date, S.metier_code))
    agg = db.read_frame(engine, stmt)
    if agg.empty:
        return pd.DataFrame({DS: pd.Series(dtype="datetime64[ns]"), METIER_CODE: pd.Series(dtype=object),
                             Y: pd.Series(dtype=float)})
    return monthly_etp_from_headcount(agg)


def monthly_etp_from_headcount(headcount: pd.DataFrame) -> pd.DataFrame:
    """:func:`monthly_etp` from an aggregated frame ``extract_date, metier_code, etp`` (e.g. the training
    pipeline's monthly headcount by métier and direction)."""
    frame = pd.DataFrame({"extract_date": pd.to_datetime(headcount["extract_date"]),
                          METIER_CODE: headcount[METIER_CODE].to_numpy(object),
                          Y: pd.to_numeric(headcount["etp"], errors="coerce").fillna(0.0).to_numpy()})
    month = frame["extract_date"] + pd.offsets.MonthEnd(0)
    frame = frame[frame["extract_date"] == frame["extract_date"].groupby(month).transform("max")]
    wide = frame.assign(**{DS: month}).groupby([DS, METIER_CODE])[Y].sum().unstack(fill_value=0.0)
    wide.index.name = DS
    return wide.stack().rename(Y).reset_index()[[DS, METIER_CODE, Y]]
