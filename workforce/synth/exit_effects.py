"""A panel whose other exits depend on what ExitHazard does not see: a direction and a kept column.

Why: the synthetic département's exits depend only on statut, catégorie and age, so it cannot show that the
exit model with every covariate (:class:`workforce.forecast.exits_covariates.CovariateExitHazard`) finds an
effect the banded model misses. The benchmark (bench/bench_exits.py) and its test redraw the exits of a real
panel with this one function, so they measure the same thing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce import panel as P

DIRECTION_EFFECT = {"DEC": 2.5, "DRM": 0.4, "DGS": 1.6}
"""Multiplier of the exit hazard by direction in the redrawn panel (others 1)."""
EXTRA_EFFECT = {"non": 1.8, "oui": 0.55}
"""Multiplier by the kept column ``Télétravail`` (per agent, a third ``oui``)."""


def with_covariate_effect(panel: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """The panel with its non-retirement exits redrawn: the statut group's observed rate times a direction and a
    kept-column effect; the kept column stored as ``extra`` dicts, like an import with ``keep: [Télétravail]``."""
    rng = np.random.default_rng(seed)
    ids, uniques = pd.factorize(panel[P.AGENT_ID])
    tele = np.where(rng.random(len(uniques)) < 1 / 3, "oui", "non")[ids]
    out = panel.copy()
    out[P.EXTRA] = [{"Télétravail": t} for t in tele]
    retired = out[P.OUTCOME].to_numpy(object) == P.RETIREMENT
    rate = out.groupby(P.STATUT)[P.OUTCOME].transform(lambda s: (s == P.EXIT).mean()).to_numpy(float)
    mult = (out[P.DIRECTION].map(DIRECTION_EFFECT).fillna(1.0).to_numpy(float)
            * pd.Series(tele).map(EXTRA_EFFECT).to_numpy())
    leaves = ~retired & (rng.random(len(out)) < np.clip(rate * mult, 0, 0.9))
    motive = out[P.MOTIVE].where(out[P.OUTCOME] == P.EXIT, "demission").to_numpy(object)
    out[P.OUTCOME] = np.where(retired, P.RETIREMENT, np.where(leaves, P.EXIT, P.STAY)).astype(object)
    out[P.MOTIVE] = np.where(retired, out[P.MOTIVE], np.where(leaves, motive, None)).astype(object)
    return out
