"""Pseudonyms are stable and keyed; small cells never leave an aggregate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from workforce import config
from workforce.privacy import MIN_CELL, pseudonymise, suppress_small


def test_pseudonyms_are_stable_keyed_and_distinct():
    ids = ["00123", " 00123 ", "00124", "A-9"]
    a = pseudonymise(ids, b"key-1")
    assert a[0] == a[1] and len(set(a)) == 3
    assert all(len(x) == 20 and "00123" not in x for x in a)
    assert (pseudonymise(ids, b"key-1") == a).all()
    assert not (pseudonymise(ids, b"key-2") == a).any()


def test_key_file_is_created_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKFORCE_SECRET_KEY")
    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path))
    k1 = config.secret_key()
    assert config.get_settings().key_file.stat().st_mode & 0o077 == 0
    assert config.secret_key() == k1 and len(k1) == 64


def test_small_cells_are_suppressed_but_zero_and_large_kept():
    frame = pd.DataFrame({"direction": ["DRH", "DEC", "DNUM", "DAJ"], "n": [12, 4, 0, MIN_CELL],
                          "age_moyen": [45.0, 61.0, np.nan, 50.0]})
    out = suppress_small(frame, "n", ["age_moyen"])
    assert out["suppressed"].tolist() == [False, True, False, False]
    assert pd.isna(out.loc[1, "n"]) and pd.isna(out.loc[1, "age_moyen"])
    assert out.loc[0, "n"] == 12 and out.loc[3, "n"] == MIN_CELL
    assert frame.loc[1, "n"] == 4  # input untouched


def test_cli_db_init_loads_the_referential():
    from workforce.cli import app

    result = CliRunner().invoke(app, ["db", "init"])
    assert result.exit_code == 0, result.output
    assert "124 métiers" in result.output or "métiers du référentiel" in result.output
