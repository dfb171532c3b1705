"""Fixtures of the registry tests: the settings of the test's own WORKFORCE_HOME and a database with data."""

from __future__ import annotations

import pytest

from tests.registry.fakes import add_extract
from workforce.config import get_settings


@pytest.fixture
def settings():
    return get_settings()


@pytest.fixture
def data_engine(engine):
    """The backend's empty database with one extract (so a training run has data to fingerprint)."""
    add_extract(engine)
    return engine
