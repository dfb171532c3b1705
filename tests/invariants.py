"""The catalog of invariants (STYLE §6): each function returns the offending rows; empty means it holds."""

from __future__ import annotations

import pandas as pd


def stock_flow_violations(snapshots: pd.DataFrame, movements: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """stock(t+1) = stock(t) - departures + arrivals (+ internal in - internal out when grouped), every month.

    A movement dated in month m counts between the snapshot of month m-1 and that of month m.
    """
    keys = ["month"] + ([group] if group else [])
    snaps = snapshots.assign(month=pd.to_datetime(snapshots["extract_date"]).dt.to_period("M"))
    stock = snaps.groupby(keys).size().rename("stock")
    mv = movements.assign(month=pd.to_datetime(movements["movement_date"]).dt.to_period("M"))

    def flow(kind: str, side: str) -> pd.Series:
        sel = mv[mv["kind"] == kind]
        if group:
            sel = sel.rename(columns={f"{side}_{group}": group})
        return sel.groupby(keys).size()

    if group:
        parts = {"departures": flow("departure", "from"), "arrivals": flow("arrival", "to"),
                 "moved_in": flow("internal", "to"), "moved_out": flow("internal", "from")}
    else:
        parts = {"departures": flow("departure", "from"), "arrivals": flow("arrival", "to")}
    months = snaps["month"].sort_values().unique()
    frame = stock.unstack(fill_value=0).reindex(months, fill_value=0) if group else stock.reindex(months, fill_value=0)
    for name, series in parts.items():
        parts[name] = (series.unstack(fill_value=0) if group else series).reindex(months, fill_value=0)
        if group:
            parts[name] = parts[name].reindex(columns=frame.columns, fill_value=0)
    expected = frame.shift(1) - parts["departures"] + parts["arrivals"]
    if group:
        expected = expected + parts["moved_in"] - parts["moved_out"]
    diff = (frame - expected).iloc[1:]
    if group:
        diff = diff.stack().rename("difference").reset_index()
    else:
        diff = diff.rename("difference").reset_index()
    return diff[diff["difference"] != 0]


# ------------------------------------------------------------------------------------------ projection (issue 5)

PROJECTION_KEYS = ["metier_code", "direction", "categorie"]


def projection_stock_flow_violations(table: pd.DataFrame, value: str = "value", tol: float = 1e-6,
                                     keys: list[str] | None = None) -> pd.DataFrame:
    """Projection long table (``year, <keys>, indicator, <value>``): for every group and year,
    headcount(t) = headcount(t-1) - retirements - exits + hires + mobility_in - mobility_out, within ``tol``
    (absolute, plus ``tol`` relative to the headcount)."""
    keys = keys or PROJECTION_KEYS
    wide = table.pivot_table(index=keys + ["year"], columns="indicator", values=value, aggfunc="sum",
                             fill_value=0.0, observed=True)
    wide = wide.reset_index().sort_values(keys + ["year"])
    prev = wide.groupby(keys, observed=True)["headcount"].shift(1)
    expected = (prev - wide["retirements"] - wide["exits"] + wide["hires"] + wide["mobility_in"]
                - wide["mobility_out"])
    diff = (wide["headcount"] - expected)
    bad = prev.notna() & (diff.abs() > tol * (1.0 + wide["headcount"].abs()))
    return wide.loc[bad, keys + ["year", "headcount"]].assign(difference=diff[bad])


def projection_replicate_stock_flow_violations(replicates, indicators, tol: float = 1e-6) -> pd.DataFrame:
    """Monte Carlo replicates (array replicate x year x indicator x group, ``indicators`` naming the third
    axis): the stock-flow identity in every replicate, year and group."""
    import numpy as np

    ix = {name: i for i, name in enumerate(indicators)}
    r = np.asarray(replicates, dtype=np.float64)
    h = r[:, :, ix["headcount"]]
    expected = (h[:, :-1] - r[:, 1:, ix["retirements"]] - r[:, 1:, ix["exits"]] + r[:, 1:, ix["hires"]]
                + r[:, 1:, ix["mobility_in"]] - r[:, 1:, ix["mobility_out"]])
    diff = h[:, 1:] - expected
    rep, year, group = np.nonzero(np.abs(diff) > tol)
    return pd.DataFrame({"replicate": rep, "year_index": year + 1, "group": group, "difference": diff[rep, year, group]})


def projection_age_limit_violations(survival: pd.DataFrame, limit_dates, year_ends) -> pd.DataFrame:
    """Every agent has left by the age limit: expected presence 0 at the end of each year that ends on or after
    the agent's limit date. ``survival``: ``agent_id`` plus a column per year (projection.agent_survival);
    ``year_ends``: end date of each of those year columns, in order."""
    import numpy as np

    years = [c for c in survival.columns if c != "agent_id"]
    limit = np.asarray(limit_dates, dtype="datetime64[D]")
    ends = np.asarray(year_ends, dtype="datetime64[D]")
    rows = []
    for col, end in zip(years, ends):
        due = limit <= end
        present = survival[col].to_numpy() > 1e-12
        bad = np.flatnonzero(due & present)
        if len(bad):
            rows.append(pd.DataFrame({"agent_id": survival["agent_id"].to_numpy()[bad], "year": col,
                                      "limit_date": limit[bad], "presence": survival[col].to_numpy()[bad]}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["agent_id", "year", "limit_date",
                                                                                   "presence"])


def projection_difference_rows(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rows of two projection tables that differ in any digit (same data, scenario and seed must give none)."""
    keys = [c for c in a.columns if c not in ("value", "mean", "p10", "p50", "p90")]
    merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    vals = [c for c in ("value", "mean", "p10", "p50", "p90") if f"{c}_a" in merged.columns]
    differ = merged["_merge"] != "both"
    for c in vals:
        x, y = merged[f"{c}_a"], merged[f"{c}_b"]
        differ |= ~((x == y) | (x.isna() & y.isna()))
    return merged[differ]
