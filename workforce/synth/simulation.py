"""`generate`: the synthetic département simulated month by month, deterministic for a given seed.

One loop over months, never over agents: the population at the start (`workforce.synth.population`), then each
month the events of `workforce.synth.events` in a fixed order, and a snapshot at each month-end; the records
become frames in `workforce.synth.frames`. One `numpy.random.Generator`, seeded by `SynthParams.seed`, is drawn
from in that order, so the same parameters give the same data.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from workforce.referential import Referential, load_builtin
from workforce.synth import events
from workforce.synth.frames import assemble, snapshot
from workforce.synth.params import SynthParams, SyntheticDepartement, month_ends
from workforce.synth.population import MetierTables, Population, initial_population, metier_tables


def generate(params: SynthParams | None = None, ref: Referential | None = None,
             progress: Callable[[int, int], None] | None = None) -> SyntheticDepartement:
    """Simulate the département month by month; deterministic for a given `params.seed`.

    ``progress(done, total)`` is called after each simulated month.
    """
    p = params or SynthParams()
    ref = ref or load_builtin()
    rng = np.random.default_rng(p.seed)
    tables = metier_tables(ref)
    growth = events.famille_growth(tables.frame["famille"], p.growth)
    dates = month_ends(p.end, p.years)
    start = dates[0].to_datetime64().astype("datetime64[D]")

    pop = Population(int(p.n_agents * (1 + 0.2 * p.years)) + 100)
    initial_population(pop, p, rng, tables, start)
    vac = events.initial_vacancies(p, rng, tables)

    snaps, moves = [], []
    for t, month_end in enumerate(dates):
        month = events.Month.of(t, month_end)
        idx = pop.present_now()
        if month_end.month == 1:
            events.open_growth_posts(pop, idx, vac, growth, tables, month, rng)
        if t == 0:  # the first extract is the starting population; flows begin the month after
            snaps.append(snapshot(pop, idx, t))
            continue
        moves += _live_month(pop, idx, vac, growth, p, tables, month, rng)
        here = events.age_active_service(pop, tables)
        snaps.append(snapshot(pop, here, t))
        if progress:
            progress(t + 1, len(dates))

    return assemble(pop, p, ref, tables, dates, snaps, moves, rng)


def _live_month(pop: Population, idx: np.ndarray, vac: events.Vacancies, growth: np.ndarray, p: SynthParams,
                tables: MetierTables, month: events.Month, rng) -> list[pd.DataFrame]:
    """The flows of one month for the agents ``idx`` present at its start, in draw order; their movements."""
    leaves, departed = events.departures(pop, idx, p, tables, month, rng)
    events.replace_departed(pop, idx[leaves], vac, growth, p, month, rng)
    stay = idx[~leaves]
    internal = events.internal_mobility(pop, stay, p, tables, month, rng)
    events.statut_changes(pop, stay, p, month, rng)
    arrivals = events.fill_due_vacancies(pop, vac, p, tables, month, rng)
    return [f for f in (departed, internal, arrivals) if f is not None]
