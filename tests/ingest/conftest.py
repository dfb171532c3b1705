"""Fixtures of the import tests (the helpers they share are in tests/ingest/helpers.py)."""

from __future__ import annotations

import pytest

from tests.ingest.helpers import ROWS


@pytest.fixture
def sirh_rows():
    return [list(r) for r in ROWS]
