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
