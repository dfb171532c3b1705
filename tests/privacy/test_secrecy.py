"""Differencing attacks as tests (issue 14): for each published table, a solver over the published cells and
totals must find no hidden cell with a unique value; the recovery formulas of the issue must fail."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from tests.privacy.solver import hidden_intervals, margin_equations
from workforce import privacy
from workforce.cli.forecast import _protected
from workforce.ui.data import dashboard_view


def _check_one_margin(frame: pd.DataFrame, count: str, key: str, published: pd.DataFrame,
                      min_width: float = 0.5) -> int:
    """Every hidden cell of ``published`` (rows of ``frame`` by ``key`` within each year) has an interval of width
    > 0 given the year totals; returns the number of hidden cells checked."""
    hidden = published["suppressed"].to_numpy(bool)
    values = frame[count].to_numpy(float)
    years = frame["year"].astype("Float64").fillna(-1).to_numpy()
    totals = frame.assign(_y=years).groupby("_y")[count].sum().to_dict()
    eqs, rows = margin_equations(values, hidden, [years], [totals])
    if not rows.size:
        return 0
    bounds = hidden_intervals(eqs, rows.size)
    width = bounds[:, 1] - bounds[:, 0]
    assert (width > min_width).all(), frame.iloc[rows[width <= min_width]]
    # never only one hidden cell in a published total, never only ones
    for y, sub in published.assign(_y=years).groupby("_y"):
        h = sub["suppressed"].to_numpy(bool)
        assert h.sum() != 1
    return rows.size


# ---------------------------------------------------------------------------------------------- the core rules

def test_a_lone_small_cell_gets_its_smallest_neighbour_as_complement():
    frame = pd.DataFrame({"year": [2026] * 5, "filiere": ["administrative", "technique", "sportive", "culturelle",
                                                          "sociale"], "n": [40, 25, 1, 9, 6]})
    pub = privacy.protect(frame, "n", margins=[("year",)])
    assert pub.loc[pub["suppressed"], "filiere"].tolist() == ["sportive", "sociale"]  # 6 < 9: smallest
    # totals minus groups: 81 - 40 - 25 - 9 = 7, no longer the sportive cell
    assert frame["n"].sum() - pub["n"].sum() == 7
    assert _check_one_margin(frame, "n", "filiere", pub) == 2
    # primary suppression alone (what was published before) gave it back exactly
    old = privacy.suppress_small(frame, "n")
    assert frame["n"].sum() - old["n"].sum() == 1


def test_hidden_ones_are_not_left_alone_either():
    frame = pd.DataFrame({"year": [1] * 4, "g": list("abcd"), "n": [1, 1, 30, 12]})
    pub = privacy.protect(frame, "n", margins=[("year",)])
    assert pub["suppressed"].tolist() == [True, True, False, True]


@pytest.mark.parametrize("seed", range(60))
def test_random_two_way_tables_leave_no_hidden_cell_determined(seed):
    """A direction x filière table with its row and column totals published: the hidden cells are determined by
    neither margin alone nor both together (solver over the published cells, totals and non-negativity)."""
    rng = np.random.default_rng(seed)
    R, K = rng.integers(3, 7), rng.integers(3, 6)
    counts = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 40], size=(R, K), p=[.1, .15, .1, .08, .07, .1, .1, .1,
                                                                         .08, .07, .05])
    frame = pd.DataFrame([(r, k, counts[r, k]) for r in range(R) for k in range(K) if counts[r, k] > 0],
                         columns=["direction", "filiere", "n"])
    pub = privacy.protect(frame, "n", margins=[("direction",), ("filiere",)])
    hidden = pub["suppressed"].to_numpy(bool)
    v = frame["n"].to_numpy(float)
    groups = [frame["direction"].to_numpy(), frame["filiere"].to_numpy()]
    # the margins are published as tables of their own (small totals hidden with a complement), and the grand
    # total with them: the reader knows the published totals only
    totals = []
    for key in ("direction", "filiere"):
        margin = frame.groupby(key, as_index=False)["n"].sum()
        shown = privacy.protect(margin, "n")
        totals.append(dict(zip(margin[key], shown["n"].astype("Float64").to_numpy(dtype=float, na_value=np.nan))))
    totals = [{g: t for g, t in tot.items() if not np.isnan(t)} for tot in totals]
    groups.append(np.zeros(len(frame)))
    totals.append({0.0: frame["n"].sum()})
    eqs, rows = margin_equations(v, hidden, groups, totals)
    assert ((frame["n"] < 5) <= pub["suppressed"]).all()  # every small cell hidden
    if rows.size:
        bounds = hidden_intervals(eqs, rows.size)
        assert (bounds[:, 1] - bounds[:, 0] > 1e-6).all(), (frame.assign(h=hidden), bounds)


# ---------------------------------------------------------------------------------------------- forecasts

def _agents(n=300, seed=3):
    rng = np.random.default_rng(seed)
    filiere = rng.choice(["administrative", "technique", "medico_sociale", "culturelle", "sportive", "animation"],
                         size=n, p=[.35, .35, .2, .06, .01, .03])
    return pd.DataFrame({"year": rng.choice([2026, 2027, 2028], size=n), "filiere": filiere,
                         "categorie": rng.choice(["A", "B", "C"], size=n, p=[.2, .3, .5])})


@pytest.mark.parametrize("by", ["filiere", "categorie"])
def test_aod_by_group_against_the_total_leaves_no_cell_derivable(by):
    """`workforce forecast aod --by` (the same call as the command): each year's groups add up to the total of
    `workforce forecast aod`."""
    from workforce.privacy import protect

    counts = _agents().groupby(["year", by]).size().rename("count").reset_index()
    pub = protect(counts, "count", margins=[("year",)])
    assert ((counts["count"] < 5) <= pub["suppressed"]).all()
    _check_one_margin(counts, "count", by, pub)
    if by == "filiere":  # the issue's recovery: total minus groups is no longer one hidden cell
        for year, sub in pub.groupby("year"):
            if sub["suppressed"].any():
                assert sub["suppressed"].sum() >= 2


def test_retirement_forecast_groups_hide_their_complement_and_quantiles():
    years = [2026, 2027, 2028]
    groups = {"DAJ": 18, "DRH": 40, "DSI": 3, "DGS": 7, "DEF": 60}
    rows = [(y, g, n, n * 0.05 * (i + 1), 0.0, n * 0.05, n * 0.1) for i, y in enumerate(years)
            for g, n in groups.items()]
    grouped = pd.DataFrame(rows, columns=["year", "direction", "n_agents", "expected", "p10", "p50", "p90"])
    pub = _protected(grouped, "direction")
    hidden = set(pub.loc[pub["suppressed"], "direction"])
    assert hidden == {"DSI", "DGS"}
    assert pub.loc[pub["suppressed"], ["n_agents", "expected", "p10", "p50", "p90"]].isna().all().all()
    expected = grouped.assign(n=grouped["n_agents"])
    _check_one_margin(expected, "expected", "direction", pub, min_width=0.1)
    # the total (one group) is published as is
    total = grouped.groupby("year", as_index=False)[["n_agents", "expected"]].sum().assign(group="total")
    assert not _protected(total, "group")["suppressed"].any()


# ---------------------------------------------------------------------------------------------- dashboard

def _staff(seed=1, n=160):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "agent_id": [f"a{i}" for i in range(n)],
        "direction": rng.choice(["DAJ", "DRH", "DSI"], size=n, p=[.2, .5, .3]),
        "filiere": rng.choice(["administrative", "technique", "medico_sociale"], size=n, p=[.6, .3, .1]),
        "categorie": rng.choice(["A", "B", "C"], size=n, p=[.3, .3, .4]),
        "statut": rng.choice(["titulaire", "contractuel"], size=n, p=[.8, .2]),
        "age": rng.integers(22, 64, size=n).astype(float), "quotite": rng.choice([1.0, 0.8, 0.5], size=n)})
    return frame


def test_the_issues_dashboard_difference_is_refused():
    """« DAJ » (18 agents) against « DAJ, filière not médico-sociale » (17) gave one agent's age and quotité."""
    staff = _staff()
    daj = staff[staff["direction"] == "DAJ"].index[:18]
    staff = staff[(staff["direction"] != "DAJ") | staff.index.isin(daj)].copy()
    staff.loc[daj, "filiere"] = "administrative"
    staff.loc[daj[0], ["filiere", "age", "quotite"]] = ["medico_sociale", 37.0, 0.8]
    whole = dashboard_view(staff, {"direction": ["DAJ"]})
    others = dashboard_view(staff, {"direction": ["DAJ"], "filiere": ["administrative", "technique"]})
    assert whole["n"] == 18 and whole["refused"] is None
    assert others["refused"] is not None and others["n"] is None and others["age"] is None
    assert "secret statistique" in others["refused"]
    # the recovery of the issue no longer works: the second view gives nothing to subtract
    with pytest.raises(TypeError):
        whole["age"] * whole["n"] - others["age"] * others["n"]


def test_no_two_published_dashboard_views_differ_by_one_to_four_agents():
    """Every pair of filter combinations on the dashboard's aggregate function (nested views): the difference
    of two published headcounts is never 1-4 agents, so no small group's age or quotité follows."""
    staff = _staff(seed=5, n=120)
    domains = {"direction": ["DAJ", "DRH", "DSI"], "filiere": ["administrative", "technique", "medico_sociale"],
               "categorie": ["A", "B", "C"]}

    def choices(values):
        yield []
        for r in (1, 2):
            yield from (list(c) for c in itertools.combinations(values, r))

    views = []
    for d, f, c in itertools.product(*(list(choices(v)) for v in domains.values())):
        filters = {"direction": d, "filiere": f, "categorie": c, "statut": []}
        view = dashboard_view(staff, filters)
        if view["refused"] is None:
            views.append((filters, set(view["agents"]["agent_id"]), view))
    assert len(views) > 20  # the check refuses some views, not all
    leaks = [(a[0], b[0]) for a, b in itertools.combinations(views, 2)
             if (a[1] <= b[1] or b[1] <= a[1]) and 0 < abs(len(a[1]) - len(b[1])) < privacy.MIN_CELL]
    assert not leaks, leaks[:3]


def _age_breakdown(staff: pd.DataFrame, filters: dict) -> pd.DataFrame | None:
    """The dashboard's breakdown of a view by age band and sexe, as the page publishes it (None when refused)."""
    from workforce.ui import common as C
    from workforce.ui.data import exposed_cells

    view = dashboard_view(staff, filters)
    if view["refused"] is not None:
        return None
    banded = staff.assign(tranche=(staff["age"] // 10 * 10).astype(int))
    table = (banded.loc[view["agents"].index].groupby(["tranche", "sexe"]).size().rename("agents").reset_index())
    return C.publish(table, "agents", primary=exposed_cells(banded, filters, table, ["tranche", "sexe"]))


def test_no_breakdown_cell_follows_from_a_neighbouring_views_breakdown():
    """The headline figures of two views may differ by five agents or more while one cell of their age pyramids
    differs by 1-4: « DAJ » and « DAJ, filière not médico-sociale » gave that one woman in her thirties is among
    the médico-sociale agents. Across every pair of nested published views, no cell published in both differs by
    1-4 agents."""
    staff = _staff(seed=5, n=160).assign(sexe=lambda d: np.where(d.index % 3 == 0, "H", "F"))
    domains = {"direction": ["DAJ", "DRH", "DSI"], "filiere": ["administrative", "technique", "medico_sociale"]}
    choices = [[], *([v] for v in domains["direction"]), ["DAJ", "DRH"]]
    fchoices = [[], *([v] for v in domains["filiere"]), ["administrative", "technique"]]
    views = []
    for d, f in itertools.product(choices, fchoices):
        filters = {"direction": d, "filiere": f, "categorie": [], "statut": []}
        table = _age_breakdown(staff, filters)
        if table is not None:
            rows = dashboard_view(staff, filters)["agents"]
            views.append((set(rows["agent_id"]), table.set_index(["tranche", "sexe"])))
    assert len(views) > 8
    hidden_for_neighbours = 0
    for (a, ta), (b, tb) in itertools.combinations(views, 2):
        if not (a <= b or b <= a):
            continue
        both = ta.join(tb, how="inner", suffixes=("_a", "_b"))
        shown = both[~both["suppressed_a"] & ~both["suppressed_b"]]
        diff = (shown["agents_a"] - shown["agents_b"]).abs()
        assert not ((diff > 0) & (diff < privacy.MIN_CELL)).any(), shown[(diff > 0) & (diff < privacy.MIN_CELL)]
        hidden_for_neighbours += int((both["suppressed_a"] & (both["agents_b"].astype(float) >= 5)).sum())
    assert hidden_for_neighbours > 0  # the rule did hide cells that were not small in themselves
