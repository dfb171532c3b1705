"""The retirement forecast: per-agent probabilities of retiring (and of the competing exits) over the next
years, their survival, their aggregation by group, and the Monte Carlo bands with the hazards' uncertainty.

The hazards come from a fitted :class:`workforce.forecast.retirement.RetirementHazard` (or a prior standing in
for it) applied to the agents' covariates rolled over the forecast years
(:func:`workforce.forecast.retirement.roll_covariates`).

Competing risks: the other exits are another cause on the same rows (:mod:`workforce.forecast.competing`);
the forecast combines them, P(stay) = 1 - h_retirement - h_exit, and the survival to year k is the product of
the earlier years' P(stay).

Bands: the agent-level draws alone ignore that the hazards are estimated, so their P10-P90 band of a total was
too narrow beyond one year. Each Monte Carlo replicate therefore shifts the log-odds of every uncertain
retirement hazard (not the certain ones at the age limit, not the zeros the law imposes) by
``z = a + e_k``: ``a`` ~ N(0, ``level_sd_``²) common to all the years of the replicate, the estimation error
of the hazards' level (agent bootstrap of observed / expected retirements on the training rows), and ``e_k``
~ N(0, ``year_sd_``²) drawn each year, the year-to-year dispersion of the training years' totals beyond the
binomial one. :data:`BAND_METHOD` names it for the CLI and the app; the projection's Monte Carlo draws the
same effects (:mod:`workforce.projection.montecarlo`).

Calibration by horizon: these two terms come from the training years, fitted on them; beyond one year the errors
of the past forecasts were larger than the band said (coverage 67 % at T+3 on the demo). After training, the
multi-year backtest measures, per horizon, how many band half-widths the totals missed by (split conformal on
the past cutoffs, :func:`workforce.evaluation.band_calibration`), and the model keeps the extra yearly log-odds
dispersion ``horizon_sd_`` that widens the band of that horizon to the conformal quantile (never narrows it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce import panel as P
from workforce import rules
from workforce.forecast.competing import combine
from workforce.forecast.retirement import (GROUP_BY, GROUP_COLUMNS, LIMIT, TOTAL, RetirementHazard, as_text,
                                           forecast_start, forecast_years, roll_covariates)

# forecast output columns
N_AGENTS = "n_agents"
EXPECTED = "expected"
P10, P50, P90 = "p10", "p50", "p90"

BAND_METHOD = ("tirages par agent et incertitude des hasards estimés (niveau par bootstrap des agents, "
               "dispersion d'une année à l'autre de l'historique)")
"""How the P10-P90 bands are drawn, in French (shown by the CLI and the app)."""
BAND_METHOD_AGENTS_ONLY = "tirages par agent seulement (hasards supposés connus)"
"""The same when the hazards carry no uncertainty (a prior model, or a fit without the estimate)."""
BAND_METHOD_CALIBRATED = BAND_METHOD + ", bande élargie par horizon d'après les erreurs du backtest (conforme)"
"""The same with the bands widened per horizon on the backtest's own errors (``horizon_sd_`` of the model)."""


def yearly_sd(model, horizon: int) -> np.ndarray:
    """The model's yearly log-odds dispersion for each of ``horizon`` forecast years: ``year_sd_`` combined with
    the backtest's calibration ``horizon_sd_`` of that horizon (its last value beyond the backtested ones)."""
    base = float(getattr(model, "year_sd_", 0.0) or 0.0)
    extra = np.asarray(getattr(model, "horizon_sd_", None) or [0.0], float)
    extra = extra[np.minimum(np.arange(horizon), len(extra) - 1)]
    return np.sqrt(base ** 2 + extra ** 2)


@dataclass
class RetirementForecast:
    """Per-agent retirement probabilities over the next years, and their aggregation.

    Arrays have shape (n_agents, horizon): ``hazard`` P(retire in year k | present at its start), ``exit_hazard``
    the same for the other exits, ``survival`` P(present at the start of year k), ``p_retire`` = survival x
    retirement probability (unconditional), ``p_exit`` likewise, ``certain`` where the law makes leaving certain.
    ``level_sd`` and ``year_sd`` are the model's hazard uncertainty (log-odds, see the module docstring) that
    :meth:`simulate` draws per replicate.
    """

    agents: pd.DataFrame
    years: np.ndarray
    hazard: np.ndarray
    exit_hazard: np.ndarray
    survival: np.ndarray
    p_retire: np.ndarray
    p_exit: np.ndarray
    regime: str
    settings: dict = field(default_factory=dict)
    certain: np.ndarray | None = None
    level_sd: float = 0.0
    year_sd: float | np.ndarray = 0.0
    calibrated: bool = False

    @property
    def horizon(self) -> int:
        return len(self.years)

    @property
    def band_method(self) -> str:
        """How the bands are drawn, in French (:data:`BAND_METHOD`)."""
        if not (self.level_sd > 0 or np.any(np.asarray(self.year_sd) > 0)):
            return BAND_METHOD_AGENTS_ONLY
        return BAND_METHOD_CALIBRATED if self.calibrated else BAND_METHOD

    def per_agent(self) -> pd.DataFrame:
        """Long frame ``agent_id, year, survival, hazard, p_retire`` (one row per agent and year)."""
        n, h = self.p_retire.shape
        return pd.DataFrame({
            P.AGENT_ID: np.tile(self.agents[P.AGENT_ID].to_numpy(), h),
            P.YEAR: np.repeat(self.years, n),
            "survival": self.survival.T.ravel(), "hazard": self.hazard.T.ravel(), "p_retire": self.p_retire.T.ravel(),
        })

    def _groups(self, by: str | None) -> tuple[np.ndarray, np.ndarray]:
        if by is None:
            return np.zeros(len(self.agents), np.int64), np.array([TOTAL], dtype=object)
        if by not in GROUP_COLUMNS:
            raise ValueError(f"unknown grouping {by!r}; allowed: {', '.join(GROUP_BY)}")
        values = as_text(self.agents, GROUP_COLUMNS[by])
        labels, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64), labels

    def expected(self, by: str | None = None) -> pd.DataFrame:
        """Expected retirements ``year, <by>, n_agents, expected`` (``<by>`` is ``group`` = "total" when None)."""
        codes, labels = self._groups(by)
        g = len(labels)
        heads = np.bincount(codes, minlength=g)
        exp = np.stack([np.bincount(codes, weights=self.p_retire[:, k], minlength=g) for k in range(self.horizon)])
        return pd.DataFrame({
            P.YEAR: np.repeat(self.years, g), by or "group": np.tile(labels, self.horizon),
            N_AGENTS: np.tile(heads, self.horizon), EXPECTED: exp.ravel(),
        })

    def hazard_effects(self, n_rep: int, rng: np.random.Generator) -> np.ndarray:
        """The log-odds shift of every replicate and year, shape (n_rep, H): a common draw N(0, level_sd²) plus
        a yearly one N(0, year_sd²) (:func:`hazard_effects`)."""
        return hazard_effects(n_rep, self.horizon, self.level_sd, self.year_sd, rng)

    def simulate(self, n_rep: int, rng: np.random.Generator, *, chunk: int = 50,
                 progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Monte Carlo outcomes, shape (n_agents, n_rep), int16: year index ``k`` (0..H-1) for a retirement in
        year k, ``H + k`` for another exit in year k, ``2H`` for still present after the horizon.

        Each replicate first draws its hazard effects (:meth:`hazard_effects`), which move the retirement hazards
        of the uncertain years (:func:`shift_hazard`), then one uniform per agent and replicate meets the agent's
        cumulative outcome probabilities (vectorised over agents x replicates, chunks of replicates bound the
        memory); same generator state, same outcomes.
        """
        if n_rep < 1:
            raise ValueError(f"n_rep must be >= 1, got {n_rep}")
        n, h = self.p_retire.shape
        effects = self.hazard_effects(n_rep, rng)
        certain = np.zeros((n, h), bool) if self.certain is None else self.certain
        fixed = np.cumsum(np.hstack([self.p_retire, self.p_exit]), axis=1)[:, None, :]  # (n, 1, 2H)
        fixed[:, :, -1] = np.minimum(fixed[:, :, -1], 1.0)
        out = np.empty((n, n_rep), dtype=np.int16)
        for lo in range(0, n_rep, chunk):
            hi = min(lo + chunk, n_rep)
            z = effects[lo:hi]  # (c, H)
            cum = fixed
            if np.any(z != 0):
                x = self.exit_hazard[:, None, :]
                r = shift_hazard(self.hazard[:, None, :], z[None, :, :], certain[:, None, :], x)
                stay = np.where(certain[:, None, :], 0.0, np.clip(1.0 - r - x, 0.0, 1.0))
                surv = np.ones_like(r)
                surv[:, :, 1:] = np.cumprod(stay[:, :, :-1], axis=2)
                cum = np.cumsum(np.concatenate([surv * r, surv * x], axis=2), axis=2)  # (n, c, 2H)
                cum[:, :, -1] = np.minimum(cum[:, :, -1], 1.0)
            u = rng.random((n, hi - lo))
            out[:, lo:hi] = (u[:, :, None] >= cum).sum(axis=2)
            if progress:
                progress(hi, n_rep)
        return out

    def summary(self, by: str | None = None, *, outcomes: np.ndarray | None = None, n_rep: int = 500,
                rng: np.random.Generator | None = None,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """Retirements per year and group: ``year, <by>, n_agents, expected, p10, p50, p90``.

        ``expected`` is the exact sum of the probabilities; the bands come from Monte Carlo ``outcomes``
        (:meth:`simulate`), drawn here from ``rng`` when not given. Quantiles are those of a discrete
        distribution (``inverted_cdf``), so the P10-P90 band holds at least 80 % of the replicates.
        """
        if outcomes is None:
            if rng is None:
                raise ValueError("pass outcomes or a numpy Generator (rng) for the Monte Carlo bands")
            outcomes = self.simulate(n_rep, rng, progress=progress)
        codes, labels = self._groups(by)
        g, h, r = len(labels), self.horizon, outcomes.shape[1]
        retired = outcomes < h
        rep = np.broadcast_to(np.arange(r), outcomes.shape)
        flat = (codes[:, None] * h + outcomes.astype(np.int64)) * r + rep
        counts = np.bincount(flat[retired], minlength=g * h * r).reshape(g, h, r)
        q = np.quantile(counts, [0.1, 0.5, 0.9], axis=2, method="inverted_cdf")  # (3, g, h)
        frame = self.expected(by)
        frame[P10] = q[0].T.ravel().astype(float)
        frame[P50] = q[1].T.ravel().astype(float)
        frame[P90] = q[2].T.ravel().astype(float)
        frame.attrs["band_method"] = self.band_method
        return frame


def hazard_effects(n_rep: int, horizon: int, level_sd: float, year_sd,
                   rng: np.random.Generator) -> np.ndarray:
    """Log-odds shifts of the retirement hazards, shape (n_rep, horizon): ``a_r + e_rk`` with ``a_r`` ~ N(0,
    level_sd²) common to the replicate's years and ``e_rk`` ~ N(0, year_sd_k²) each year (``year_sd`` one value
    or one per year, :func:`yearly_sd`). Zeros (and no draw from ``rng``) when all are 0. Shared by the
    retirement forecast and the projection's Monte Carlo."""
    year_sd = np.broadcast_to(np.asarray(year_sd, float), (horizon,))
    if level_sd < 0 or np.any(year_sd < 0):
        raise ValueError(f"level_sd and year_sd must be >= 0, got {level_sd!r} and {year_sd!r}")
    if level_sd == 0 and not np.any(year_sd > 0):
        return np.zeros((n_rep, horizon))
    common = rng.normal(0.0, 1.0, (n_rep, 1)) * level_sd
    yearly = rng.normal(0.0, 1.0, (n_rep, horizon)) * year_sd
    return common + yearly


def shift_hazard(hazard: np.ndarray, effect: np.ndarray, certain: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Retirement probabilities with their log-odds moved by ``effect`` (arrays broadcast together): a zero the
    law imposes stays zero, a certain departure stays as it is, and the result never exceeds ``1 - other`` (the
    probability left by the competing exits)."""
    h = np.clip(np.asarray(hazard, float), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        logit = np.log(h) - np.log1p(-np.minimum(h, 1.0 - 1e-12))
    moved = 1.0 / (1.0 + np.exp(-(logit + effect)))
    moved = np.where(h > 0, np.minimum(moved, np.clip(1.0 - np.asarray(other, float), 0.0, 1.0)), 0.0)
    return np.where(certain, h, moved)


def forecast_retirements(
    base: pd.DataFrame,
    model: RetirementHazard,
    *,
    exit_model=None,
    horizon: int = 10,
    regime: str = rules.DEFAULT_REGIME,
    start=None,
    postpone_months: int = 0,
    aod_share: float | None = None,
) -> RetirementForecast:
    """Per-agent probability of retiring in each of the next ``horizon`` years.

    Parameters
    ----------
    base : DataFrame
        The agents present at the start (snapshot rows: the last extract), with ``extract_date`` unless
        ``start`` is given.
    model : RetirementHazard
        Fitted retirement hazard.
    exit_model : estimator with ``predict_hazard(frame)`` or None
        The competing other exits (e.g. :class:`workforce.forecast.competing.StatutExitRate`); None means no
        other exit (every agent stays until retirement).
    horizon : int
        Years forecast (12-month periods from ``start``).
    regime : str
        Law variant of the forecast (:data:`workforce.rules.REGIMES`); it may differ from the history's.
    start : date or None
        First day of the forecast (default: the day after the base extract).
    postpone_months, aod_share
        Scenario knobs, see :meth:`RetirementHazard.predict_hazard`.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if regime not in rules.REGIMES:
        raise ValueError(f"unknown regime {regime!r}; allowed: {', '.join(rules.REGIMES)}")
    base = base.reset_index(drop=True)
    start = forecast_start(base) if start is None else rules.as_dates([start])[0]
    n = len(base)
    rolled = roll_covariates(base, start, horizon, regime)
    comp = model.predict_components(rolled, postpone_months=postpone_months, aod_share=aod_share)
    h_r = comp["hazard"].to_numpy()
    h_x = np.zeros(len(rolled)) if exit_model is None else np.asarray(exit_model.predict_hazard(rolled), float)
    certain = (comp["segment"] == LIMIT).to_numpy()
    r, x = combine(h_r, h_x, certain)
    r = r.reshape(horizon, n).T
    x = x.reshape(horizon, n).T
    stay = np.where(certain.reshape(horizon, n).T, 0.0, np.clip(1.0 - r - x, 0.0, 1.0))
    survival = np.ones((n, horizon))
    if horizon > 1:
        survival[:, 1:] = np.cumprod(stay[:, :-1], axis=1)
    years = forecast_years(rolled, horizon, n, start)
    keep = [c for c in (P.AGENT_ID, P.BIRTH_DATE, P.STATUT, P.CATEGORIE, P.FILIERE, P.METIER_CODE, P.DIRECTION,
                        P.SERVICE_CATEGORY) if c in base.columns]
    return RetirementForecast(
        agents=base[keep].copy(), years=np.asarray(years, np.int64), hazard=r, exit_hazard=x, survival=survival,
        p_retire=survival * r, p_exit=survival * x, regime=regime,
        settings={"horizon": horizon, "regime": regime, "start": str(start), "postpone_months": postpone_months,
                  "aod_share": aod_share, "exits": type(exit_model).__name__ if exit_model is not None else None},
        certain=certain.reshape(horizon, n).T.copy(), level_sd=float(getattr(model, "level_sd_", 0.0) or 0.0),
        year_sd=yearly_sd(model, horizon), calibrated=bool(getattr(model, "horizon_sd_", None)),
    )
