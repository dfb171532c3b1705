"""Configuration: a pseudonymisation key that can not be reversed by enumeration, kept outside the data folder;
a per-user data folder whatever the current folder; private files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workforce import config
from workforce.cli import app
from workforce.config import MIN_KEY_BYTES, SecretKeyError

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "extraction_sirh_2025-06-30.csv"


@pytest.fixture
def key_file(monkeypatch):
    """No key in the environment: the key file (in tmp_path, see conftest) is used."""
    monkeypatch.delenv("WORKFORCE_SECRET_KEY")
    return config.get_settings().key_file


def _write_key(path: Path, content: bytes, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(mode)
    return path


def test_short_env_key_is_refused_and_32_bytes_accepted(monkeypatch):
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", "x" * (MIN_KEY_BYTES - 1))
    with pytest.raises(SecretKeyError, match="trop courte : 31 octets"):
        config.secret_key()
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", "a")
    with pytest.raises(SecretKeyError, match="WORKFORCE_SECRET_KEY"):
        config.secret_key()
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", "x" * MIN_KEY_BYTES)
    assert config.secret_key() == b"x" * MIN_KEY_BYTES


def test_blank_env_key_is_refused_not_replaced_by_the_file(monkeypatch):
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", "   ")
    with pytest.raises(SecretKeyError, match="vide"):
        config.secret_key()


def test_spaces_do_not_count_toward_the_length(key_file):
    _write_key(key_file, b"  " + b"k" * 20 + b" " * 20 + b"\n", 0o600)
    with pytest.raises(SecretKeyError, match="20 octets"):
        config.secret_key()


def test_empty_key_file_is_refused(key_file):
    _write_key(key_file, b"", 0o600)
    with pytest.raises(SecretKeyError, match="vide") as info:
        config.secret_key()
    assert str(key_file) in str(info.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused_with_the_fix(key_file, mode):
    _write_key(key_file, b"k" * 64, mode)
    with pytest.raises(SecretKeyError) as info:
        config.secret_key()
    assert f"chmod 600 {key_file}" in str(info.value) and f"{mode:04o}" in str(info.value)
    key_file.chmod(0o600)
    assert config.secret_key() == b"k" * 64


def test_fresh_key_is_created_0600_in_the_config_folder_not_in_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKFORCE_SECRET_KEY")
    monkeypatch.delenv("WORKFORCE_KEY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    key = config.secret_key()
    path = tmp_path / "cfg" / "workforce" / "secret.key"
    settings = config.get_settings()
    assert settings.key_file == path and not path.is_relative_to(settings.home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(key) == 64 and config.secret_key() == key  # created once, then reused
    assert not list(settings.home.glob("*.key")) and not list(path.parent.glob(".secret.key.*"))  # no temp left


def test_key_file_location_follows_workforce_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKFORCE_SECRET_KEY")
    monkeypatch.setenv("WORKFORCE_KEY_FILE", str(tmp_path / "elsewhere" / "k"))
    key = config.secret_key()
    assert (tmp_path / "elsewhere" / "k").read_bytes() == key


def test_default_home_is_absolute_and_per_user_whatever_the_current_folder(tmp_path, monkeypatch):
    for name in ("WORKFORCE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "WORKFORCE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "alice"))
    homes = set()
    for folder in (tmp_path, tmp_path / "alice"):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        s = config.get_settings()
        homes.add(s.home)
        assert s.home.is_absolute() and s.home == tmp_path / "alice" / ".local" / "share" / "workforce"
        assert s.db_url == f"sqlite:///{s.home / 'workforce.db'}" and s.models_dir == s.home / "models"
        assert s.key_file == tmp_path / "alice" / ".config" / "workforce" / "secret.key"
    assert len(homes) == 1


def test_xdg_folders_are_honoured_and_relative_ones_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKFORCE_HOME")
    monkeypatch.delenv("WORKFORCE_KEY_FILE")
    monkeypatch.setenv("HOME", str(tmp_path / "bob"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    s = config.get_settings()
    assert s.home == tmp_path / "data" / "workforce"
    assert s.key_file == tmp_path / "bob" / ".config" / "workforce" / "secret.key"


def _one_error_line(res) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert isinstance(res.exception, SystemExit), res.exception  # reported, not an uncaught exception
    return lines[0]


def test_cli_refuses_a_short_key_in_one_line_with_exit_2(monkeypatch):
    monkeypatch.setenv("WORKFORCE_SECRET_KEY", "zz-short-zz")
    res = runner.invoke(app, ["import", str(SAMPLE), "--mapping", "sirh"])
    assert res.exit_code == 2
    line = _one_error_line(res)
    assert line.startswith("Erreur : la clé de pseudonymisation") and "trop courte" in line
    assert "zz-short-zz" not in res.output  # the key itself is never printed


def test_cli_refuses_a_key_file_readable_by_others(key_file):
    _write_key(key_file, b"k" * 64, 0o644)
    res = runner.invoke(app, ["import", str(SAMPLE), "--mapping", "sirh"])
    assert res.exit_code == 2
    assert f"chmod 600 {key_file}" in _one_error_line(res)
    assert "k" * 64 not in res.output


def test_cli_creates_private_files_and_restores_the_umask(tmp_path, monkeypatch):
    home = tmp_path / "fresh" / "home"
    monkeypatch.setenv("WORKFORCE_HOME", str(home))
    before = os.umask(0o022)
    try:
        res = runner.invoke(app, ["db", "stats"])
        assert os.umask(0o022) == 0o022  # the test process gets its umask back
    finally:
        os.umask(before)
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "workforce.db").stat().st_mode) == 0o600


def test_db_stats_prints_where_the_data_is(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    s = config.get_settings()
    res = runner.invoke(app, ["db", "stats"])
    assert res.exit_code == 0, res.output
    assert f"Dossier des données : {s.home}" in res.output
    assert f"Base : sqlite:///{s.home / 'workforce.db'}" in res.output
    assert "Clé de pseudonymisation : variable WORKFORCE_SECRET_KEY" in res.output
    assert f"Modèles : {s.models_dir}" in res.output
    monkeypatch.delenv("WORKFORCE_SECRET_KEY")
    res = runner.invoke(app, ["db", "stats"])
    assert f"Clé de pseudonymisation : {s.key_file} (créée au premier import)" in res.output
    assert not s.key_file.exists()  # stats never creates the key


def test_db_key_creates_the_key_once_and_never_prints_it(key_file):
    res = runner.invoke(app, ["db", "key"])
    assert res.exit_code == 0, res.output
    assert f"Clé de pseudonymisation prête : {key_file} (64 octets)" in res.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.read_text() not in res.output
    content = key_file.read_bytes()
    assert runner.invoke(app, ["db", "key"]).exit_code == 0 and key_file.read_bytes() == content
    key_file.chmod(0o644)
    res = runner.invoke(app, ["db", "key"])
    assert res.exit_code == 2 and f"chmod 600 {key_file}" in _one_error_line(res)


@pytest.mark.parametrize("raw, expected", [("", True), ("1", True), ("oui", True), ("TRUE", True), ("0", False),
                                           ("non", False), ("off", False)])
def test_yes_no_variables_have_one_parser(monkeypatch, raw, expected):
    monkeypatch.setenv("WORKFORCE_UI_WARMUP", raw)
    assert config.env_flag("WORKFORCE_UI_WARMUP", True) is expected


def test_a_yes_no_variable_with_another_value_is_an_error(monkeypatch):
    monkeypatch.setenv("WORKFORCE_NOMINATIVE", "peut-être")
    with pytest.raises(config.ConfigError, match="WORKFORCE_NOMINATIVE"):
        config.env_flag("WORKFORCE_NOMINATIVE", False)


def test_environment_variables_are_read_only_in_config():
    """Every variable is read in workforce/config.py (one place to document and parse them)."""
    import re

    offenders = [str(p) for p in config.REPO_ROOT.joinpath("workforce").rglob("*.py")
                 if p.name != "config.py" and re.search(r"os\.environ\.get|os\.getenv|os\.environ\[",
                                                        p.read_text(encoding="utf-8"))]
    assert offenders == []
