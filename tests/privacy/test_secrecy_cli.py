"""The issue's first recovery through the command line: `workforce forecast aod` minus `--by filiere` (and
`--by categorie`) no longer gives back a hidden group."""

from __future__ import annotations

import pandas as pd
import pytest

from typer.testing import CliRunner

from workforce.cli import app

runner = CliRunner()  # the tiny stored département is the shared fixture ``stored`` (tests/conftest.py)


@pytest.mark.parametrize("by", ["filiere", "categorie", "direction"])
def test_total_minus_groups_never_isolates_one_hidden_group(stored, tmp_path, by):
    total_csv, by_csv = tmp_path / "total.csv", tmp_path / f"{by}.csv"
    assert runner.invoke(app, ["forecast", "aod", "--out", str(total_csv)]).exit_code == 0
    res = runner.invoke(app, ["forecast", "aod", "--by", by, "--out", str(by_csv)])
    assert res.exit_code == 0, res.output
    total, groups = pd.read_csv(total_csv), pd.read_csv(by_csv)
    checked = 0
    for year, sub in groups.groupby(groups["annee"].fillna(-1)):
        hidden = sub["secret_statistique"].astype(bool)
        published_total = total.loc[total["annee"].fillna(-1) == year, "agents"].dropna()
        if not len(published_total) or not hidden.any():
            continue
        assert hidden.sum() >= 2, sub  # the residual is shared: no hidden group follows by difference
        residual = float(published_total.iloc[0]) - sub.loc[~hidden, "agents"].sum()
        assert residual > hidden.sum()  # and it is not only ones
        checked += 1
    assert checked > 0 or by != "filiere"
