"""Every page on an empty database: no exception, a French message saying how to get data."""

from __future__ import annotations

import pytest

from tests.ui.helpers import PAGES, app, texts


@pytest.mark.parametrize("page", PAGES)
def test_page_without_data(empty_env, page):
    at = app(page)
    assert not at.exception, at.exception
    said = texts(at)
    if page == "data":
        assert "Importer une extraction RH" in said and "workforce train" in said
    elif page == "guide":  # the guide reads without data; it says the models are not trained yet
        assert "Ce qu'il fait" in said and "workforce train" in said
    else:
        assert "workforce synth" in said or "n'est pas encore disponible" in said
