"""Warm the caches in the background, once per data version, so every page paints fast.

The expensive steps are the library's, once per data and model version: preparing the projection engine
(retirement hazards of every agent and hire cohort), reading the skills inputs, the retirement forecasts and
bands. `workforce train` stores most of them (:mod:`workforce.projection.stored`), read first here; when the data
changed since (an import), they are computed, then stored for the next server. The first page a user opens starts a daemon thread that computes them in the order the
pages need them; a page asking for an item being computed waits for it (Streamlit's cache lock) instead of
computing it twice. Nothing is trained: only the registry's models are loaded.

The page modules depend one way: data <- forecasts <- projections <- warmup; :func:`open_page` sits here, at the
top, because opening a page starts the warm-up. ``WORKFORCE_UI_WARMUP=0`` switches it off (each page then computes what it needs on first use).
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from workforce import rules
from workforce.config import env_flag
from workforce.scenario import Scenario
from workforce.ui import auth
from workforce.ui import data as D
from workforce.ui import forecasts as F
from workforce.ui import projections as PJ

log = logging.getLogger("workforce.ui.warmup")
_started: set[tuple] = set()
_lock = threading.Lock()
timings: dict[tuple, dict[str, float]] = {}


def enabled() -> bool:
    return env_flag("WORKFORCE_UI_WARMUP", True)


def open_page() -> tuple[str, tuple]:
    """How every page begins: the configured database, its data version, and the cache warm-up started."""
    url = D.db_url()
    version = D.with_scope(D.data_version(url), auth.user())
    ensure(url, version)
    return url, version


def ensure(url: str, version: tuple) -> None:
    """Start the warm-up of ``(url, version)`` unless it already ran in this process."""
    if not enabled():
        return
    key = (url, version)
    with _lock:
        if key in _started:
            return
        _started.add(key)
    threading.Thread(target=_run, args=(url, version), name="workforce-ui-warmup", daemon=True).start()


def _run(url: str, version: tuple) -> None:
    try:
        _warm(url, version)
    except Exception:  # noqa: BLE001 - a warm-up failure only means the page computes on demand
        log.exception("warm-up failed")


@st.cache_resource(show_spinner=False, max_entries=4)
def _warm(url: str, version: tuple) -> bool:
    """Inside a cached function, so the nested cached calls show no spinner (there is no page to show it on)."""
    done: dict[str, float] = {}
    timings[(url, version)] = done

    def step(name, fn, *args):
        t0 = time.perf_counter()
        try:
            fn(*args)
        finally:
            done[name] = time.perf_counter() - t0

    if D.latest_extract(url, version) is None:
        return True
    step("stored", F.stored, url, version)  # what `workforce train` stored: everything below is then instant
    step("retirement_forecast", F.retirement_forecast, url, version, rules.DEFAULT_REGIME, F.HORIZON)
    step("retirement_summary", F.retirement_summary, url, version, rules.DEFAULT_REGIME, None)
    step("retirement_by_direction", F.retirement_summary, url, version, rules.DEFAULT_REGIME, "direction")
    step("aod_default", F.aod_schedule, url, version, rules.DEFAULT_REGIME)
    step("prepare", PJ.prepared, url, version, 10)
    step("skill_inputs", PJ.skill_inputs, url, version)
    step("base_run", lambda: PJ.run(url, version, Scenario().to_json()))
    step("skill_analysis", PJ.skill_analysis, url, version, None)
    step("profile", PJ.transformation_profile, url, version)
    for regime in ("reform2023", "lfss2026"):
        step(f"retirement_summary_{regime}", F.retirement_summary, url, version, regime, None)
        step(f"aod_{regime}", F.aod_schedule, url, version, regime)
    step("yearly_metiers", D.yearly_counts, url, version, "metier_code")
    step("store", PJ.store_if_missing, url, version)  # for the next server, when `workforce train` did not
    return True
