"""Movements between two consecutive snapshots: arrivals, departures (with their motive), internal changes.

A snapshot frame has at least agent_id, metier_code, direction, entry_date, departure_date, departure_motive.
An agent present in `before` and absent from `after` (or present with a departure date in the interval)
has left: the motive is the one the extract carries, else `inconnu`. An agent present only in `after`
has arrived. An agent present in both whose métier or direction changed has moved internally.
Dates: the departure or entry date the extract gives when it lies in the interval, else the later date.
"""

from __future__ import annotations

import pandas as pd

from workforce.ingest import columns as C

MOVEMENT_COLUMNS = ["agent_id", "movement_date", "kind", "motive", "from_metier", "to_metier",
                    "from_direction", "to_direction"]


def _in_interval(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    d = pd.to_datetime(dates)
    return d.notna() & (d > start) & (d <= end)


def derive_movements(before: pd.DataFrame, after: pd.DataFrame, before_date, after_date,
                     quarantined_before=(), quarantined_after=()) -> pd.DataFrame:
    """Movements from the snapshot at `before_date` to the one at `after_date` (frames are not modified).

    `quarantined_before` / `quarantined_after`: agent ids whose row was quarantined in that extract. Such an
    agent is still there, only unreadable: missing from `after` is no departure, new in `after` no arrival.
    """
    start, end = pd.Timestamp(before_date), pd.Timestamp(after_date)
    keep = [C.AGENT_ID, C.METIER_CODE, C.DIRECTION, C.ENTRY_DATE, C.DEPARTURE_DATE, C.DEPARTURE_MOTIVE]
    b = before.reindex(columns=keep).drop_duplicates(C.AGENT_ID).set_index(C.AGENT_ID)
    a = after.reindex(columns=keep).drop_duplicates(C.AGENT_ID).set_index(C.AGENT_ID)
    # an agent still listed in `after` with a departure dated in the interval has left too
    left_listed = _in_interval(a[C.DEPARTURE_DATE], start, end)
    absent = b.index.difference(a.index)
    absent = absent[~absent.isin(list(quarantined_after))]
    gone_ids = absent.union(b.index.intersection(a.index[left_listed.to_numpy()]))
    gone = b.loc[gone_ids]
    told = a.reindex(gone_ids)  # what the later extract says about the leaver, when it still lists them
    motive = told[C.DEPARTURE_MOTIVE].where(told[C.DEPARTURE_MOTIVE].notna(), gone[C.DEPARTURE_MOTIVE])
    when = told[C.DEPARTURE_DATE].where(told[C.DEPARTURE_DATE].notna(), gone[C.DEPARTURE_DATE])
    when = pd.to_datetime(when).where(_in_interval(when, start, end), end)
    departures = pd.DataFrame({
        "agent_id": gone_ids, "movement_date": when.to_numpy(), "kind": C.DEPARTURE,
        "motive": motive.fillna(C.UNKNOWN_MOTIVE).to_numpy(), "from_metier": gone[C.METIER_CODE].to_numpy(),
        "to_metier": None, "from_direction": gone[C.DIRECTION].to_numpy(), "to_direction": None})
    new_ids = a.index.difference(b.index)
    new_ids = new_ids[~new_ids.isin(list(quarantined_before))]
    new = a.loc[new_ids]
    new = new[~_in_interval(new[C.DEPARTURE_DATE], pd.Timestamp.min, start).to_numpy()]  # left before: not new
    entry = pd.to_datetime(new[C.ENTRY_DATE])
    arrivals = pd.DataFrame({
        "agent_id": new.index, "movement_date": entry.where(_in_interval(entry, start, end), end).to_numpy(),
        "kind": C.ARRIVAL, "motive": None, "from_metier": None, "to_metier": new[C.METIER_CODE].to_numpy(),
        "from_direction": None, "to_direction": new[C.DIRECTION].to_numpy()})
    both = b.index.intersection(a.index).difference(gone_ids)
    bb, aa = b.loc[both], a.loc[both]
    changed = (bb[C.METIER_CODE].astype("string") != aa[C.METIER_CODE].astype("string")).fillna(False) | \
              (bb[C.DIRECTION].astype("string") != aa[C.DIRECTION].astype("string")).fillna(False)
    internal = pd.DataFrame({
        "agent_id": both[changed.to_numpy()], "movement_date": end, "kind": C.INTERNAL, "motive": None,
        "from_metier": bb.loc[changed, C.METIER_CODE].to_numpy(), "to_metier": aa.loc[changed, C.METIER_CODE].to_numpy(),
        "from_direction": bb.loc[changed, C.DIRECTION].to_numpy(),
        "to_direction": aa.loc[changed, C.DIRECTION].to_numpy()})
    parts = [p for p in (arrivals, departures, internal) if len(p)]
    if not parts:
        return pd.DataFrame(columns=MOVEMENT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[MOVEMENT_COLUMNS]
    out["movement_date"] = pd.to_datetime(out["movement_date"])
    return out.sort_values(["movement_date", "kind", "agent_id"], kind="stable").reset_index(drop=True)
