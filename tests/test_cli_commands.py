"""Every command group of the tool is registered: a module that fails to import fails loudly, it never drops a
command from ``workforce --help`` (issue 12 item 6)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

EXPECTED = ("import", "quality", "extract", "forecast", "scenario", "referential", "export", "models", "project",
            "report", "train", "rules", "db", "synth", "sweep")


def test_help_lists_every_command_group():
    from workforce.cli import COMMANDS, app

    res = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    listed = set(re.findall(r"^[│|]\s+([a-z][a-z-]*)\s", res.output, flags=re.MULTILINE))
    missing = [name for name in EXPECTED if name not in listed]
    assert not missing, f"commands missing from workforce --help: {missing}\n{res.output}"
    assert set(COMMANDS) == set(EXPECTED)


def test_cli_imports_its_modules_at_the_top():
    """No ``try: ... except ImportError`` around the package's own command modules."""
    import inspect

    import workforce.cli as cli

    source = inspect.getsource(cli)
    assert "except ImportError" not in source and "importlib" not in source
