"""Differencing attacks on the files: the projection's sheets (every level and the payroll) share one pattern that
no published total undoes; the skills gap export no longer gives the supply back through the criticité."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.privacy.solver import hidden_intervals
from workforce import export as X
from workforce import privacy


@pytest.fixture(scope="module")
def result(base_agents, fitted_models):
    from workforce import projection as PJ
    from workforce.scenario import Scenario

    return PJ.run(PJ.prepare(base_agents, fitted_models, horizon=5), Scenario(horizon=5))


def test_every_level_of_the_projection_leaves_no_hidden_headcount_determined(result):
    """Cells (métier x direction x catégorie) and the tables by catégorie, direction, métier and famille, each year:
    unknowns are the hidden cells and hidden group totals, equations every published total; each hidden figure
    keeps an interval of width > 0 (LP with non-negativity)."""
    from workforce.projection import HEADCOUNT
    from workforce.projection.prepared import level_maps

    pattern = X.projection_secrecy(result)
    maps = level_maps(result.prepared)
    heads = result.values[HEADCOUNT].reshape(len(result.years), -1)
    checked = 0
    for t in range(len(result.years)):
        cells = heads[t]
        hidden_cells = pattern["cells"][t] & (np.round(cells) > 0)
        assert (((np.round(cells) > 0) & (np.round(cells) < 5)) <= pattern["cells"][t]).all()
        unknown = {("cell", int(i)): k for k, i in enumerate(np.flatnonzero(hidden_cells))}
        primary = list(unknown.values())
        eqs = []
        for level in ("categorie", "direction", "metier"):
            codes = maps[level][0]
            totals = np.bincount(codes, weights=cells, minlength=len(maps[level][1]))
            hidden_level = pattern[level][t]
            assert (((np.round(totals) > 0) & (np.round(totals) < 5)) <= hidden_level).all()
            for g in np.flatnonzero(hidden_level):
                unknown[(level, int(g))] = len(unknown)
            for g in range(len(totals)):
                members = [unknown[("cell", int(i))] for i in np.flatnonzero((codes == g) & hidden_cells)]
                published = cells[(codes == g) & ~hidden_cells].sum()
                if hidden_level[g]:  # cells - total = - published cells
                    eqs.append((members + [unknown[(level, g)]], [1.0] * len(members) + [-1.0], -published))
                elif members:
                    eqs.append((members, totals[g] - published))
            if hidden_level.any():  # the table adds up to the year's total (printed by `workforce project`)
                eqs.append(([unknown[(level, int(g))] for g in np.flatnonzero(hidden_level)],
                            cells.sum() - totals[~hidden_level].sum()))
        if not primary:
            continue
        sample = primary[:: max(1, len(primary) // 12)]
        bounds = hidden_intervals(eqs, len(unknown), sample)
        assert (bounds[:, 1] - bounds[:, 0] > 0.05).all(), bounds
        checked += len(sample)
    assert checked > 0


@pytest.fixture(scope="module")
def result_small_direction(base_agents, fitted_models):
    """The same département with a 2-agent direction (the issue's case)."""
    from workforce import projection as PJ
    from workforce.scenario import Scenario

    agents = base_agents.copy()
    agents.loc[agents.index[:2], "direction"] = "DPETITE"
    return PJ.run(PJ.prepare(agents, fitted_models, horizon=5), Scenario(horizon=5))


def test_payroll_sheet_is_suppressed_by_the_agents_it_covers(result_small_direction):
    result = result_small_direction
    """The issue: a 2-agent direction showed 103,297 €. Every direction hidden that year has its payroll blanked;
    the directions of a year hide none or at least two; the year after a hidden one blanks the carried start."""
    pay, proj = X.payroll_published(result), X.projection_published(result, "direction")
    hidden = X.projection_hidden(result, "direction")
    small = hidden.merge(result.summary("direction", ["headcount"]).rename(columns={"value": "heads"}),
                         on=["year", "direction"])
    small = small[(small["heads"].round() > 0) & (small["heads"].round() < 5)]
    assert "DPETITE" in set(small["direction"])
    merged = pay.merge(small[["year", "direction"]], on=["year", "direction"])
    assert merged["payroll"].isna().all() and merged["payroll_start"].isna().all()
    for year, sub in pay.groupby("year"):
        assert sub["suppressed"].sum() != 1
        # the year's total payroll minus the published directions is shared by at least two hidden ones
        if sub["suppressed"].any():
            assert sub["suppressed"].sum() >= 2
    # same pattern in the projection sheet (one pattern for every table)
    flags = proj.set_index(["year", "direction"])["suppressed"]
    for row in pay.itertuples():
        assert flags.loc[(row.year, row.direction)] == row.suppressed
    prev = hidden.assign(year=hidden["year"] + 1).rename(columns={"suppressed": "before"})
    carried = pay.merge(prev, on=["year", "direction"])
    carried = carried[carried["before"] & ~carried["suppressed"]]
    assert carried["payroll_start"].isna().all() and carried["change"].isna().all()
    # the XLSX a planner opens hides the same rows and leaves their figures empty
    from workforce import export_projection as XP

    sheets, _ = XP.projection_workbook(result, "direction")
    for sheet, published in ((XP.PROJECTION_SHEET, proj), (XP.PAYROLL_SHEET, pay)):
        shown = sheets[sheet]
        assert ((shown[XP.MASKED] == "oui").to_numpy() == published["suppressed"].to_numpy()).all(), sheet
    book = sheets[XP.PAYROLL_SHEET]
    assert book.loc[book[XP.MASKED] == "oui", "Fin d'année (€)"].isna().all()


def test_the_app_and_the_cli_publish_the_same_cells(result):
    long = X.projection_published(result, "direction", wide=False)
    wide = X.projection_published(result, "direction")
    a = long.drop_duplicates(["year", "direction"]).set_index(["year", "direction"])["suppressed"]
    b = wide.set_index(["year", "direction"])["suppressed"]
    assert a.sort_index().equals(b.sort_index())
    assert long.loc[long["suppressed"], "value"].isna().all()


@pytest.fixture(scope="module")
def analysis(small_synth, base_agents, fitted_models):
    from workforce import projection as PJ
    from workforce.rome import read_release
    from workforce.scenario import Scenario
    from workforce.skills import analyse, inputs_from_synth
    from tests.skills.conftest import find_rome_dir

    inputs = inputs_from_synth(small_synth, rome_release=read_release(find_rome_dir()))
    table = PJ.run(PJ.prepare(base_agents, fitted_models, horizon=5), Scenario(horizon=5)).table()
    return analyse(inputs, table)


def test_skills_gaps_export_resists_the_criticite_formula_and_the_total_sheet(analysis):
    from workforce import export_skills as XS

    gaps = XS.gaps_table(analysis)
    total = XS.gaps_table(analysis, XS.GapFilters(level="collectivite"))
    hidden = gaps[gaps[X.SUPPRESSED] == "oui"]  # the supply is hidden: its count reads « < 5 »
    assert len(hidden) > 0 and (hidden["Agents détenteurs"] == XS.HIDDEN).all()
    assert gaps.loc[gaps["Candidats internes"] == XS.HIDDEN, "Action suggérée"].isna().all()
    # Offre = Besoin x (1 - Criticité / b): the criticité (and every figure resting on the supply) is blank
    for col in ("Offre (ETP)", "Écart (ETP)", "Manque (ETP)", "Criticité", "Première année de manque",
                "Action suggérée"):
        assert hidden[col].isna().all(), col
    recovered = hidden["Besoin (ETP)"].astype(float) * (1 - hidden["Criticité"].astype(float)
                                                       / hidden["Métiers concernés"].astype(float))
    assert recovered.notna().sum() == 0
    # the « Toutes directions » sheet minus the published directions: never one hidden direction
    raw = analysis.gaps.set_index(["year", "skill_code", "direction"])["supply_fte"]
    key = ["Année", "Code compétence"]
    tot = total.set_index(key)["Offre (ETP)"]
    for (year, skill), sub in gaps.groupby(key):
        h = sub[X.SUPPRESSED] == "oui"
        holders_hidden = h
        if pd.notna(tot.get((year, skill))):  # a published total: never one hidden direction under it
            assert holders_hidden.sum() != 1, (year, skill)
        if holders_hidden.sum() >= 2 and pd.notna(tot.get((year, skill))):
            residual = float(tot[(year, skill)]) - sub.loc[~h, "Offre (ETP)"].astype(float).sum()
            values = raw.loc[[(year, skill, d) for d in sub.loc[holders_hidden, "Code direction"]]].to_numpy()
            # the residual is shared by at least two positive unknowns: none is fixed
            assert residual > values.max() - 0.2
    # training managers: exact supply
    exact = XS.gaps_table(analysis, exact_skills=True)
    assert (exact[X.SUPPRESSED] == "non").all() and exact["Offre (ETP)"].notna().all()
