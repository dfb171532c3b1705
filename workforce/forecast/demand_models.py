"""The demand candidates: the forecasters :class:`workforce.forecast.demand.DemandBaseline` chooses among, one
series at a time.

Why several: no single method wins on staffing series. A stable métier is best carried forward (naive), a
growing one by its drift, a métier with school-year or summer contracts by its seasonal naive forecast, a smooth
one by exponential smoothing or ARIMA, and Prophet (the user's choice) when its trend and yearly seasonality
pay. The backtest decides, series by series (:mod:`workforce.forecast.demand_backtest`).

Candidates, in order of preference on a tie (the simplest first):

``naive``    the last value carried forward (the baseline every choice must beat);
``drift``    the straight line through the first and the last value of the window (random walk with drift);
``snaive``   the value of the same month a year before (monthly series only: on annual series it is naive);
``ets``      exponential smoothing, additive errors, trend and (monthly series) seasonality chosen by AICc
             (statsforecast ``AutoETS``, model ``AZZ``);
``arima``    ARIMA without a seasonal part, orders chosen by AICc (statsforecast ``AutoARIMA``);
``prophet``  Prophet with a yearly seasonality where the window spans at least :data:`PROPHET_MIN_SEASONAL_MONTHS`
             months of monthly data, none on annual data.

Costs, because ``workforce train`` must stay short: ``ets`` and ``arima`` estimate their specification and
parameters once per series, on the first backtest window, and later windows are forecast with those parameters
(statsforecast's ``forward``, what its ``cross_validation(refit=False)`` does; no look-ahead); their final fit is
made only for a series that keeps them. ARIMA has no seasonal part: the seasonal search is about ten times
slower and the seasonal candidates above cover seasonality. Prophet is refitted at each window (it has no
``forward``) without its own sampled intervals (the bands are conformal, see the backtest module); its Stan
optimisation gets a seed, and so do its draws when ``uncertainty_samples`` asks for them, so that runs repeat
exactly. Every Prophet fit uses the same optimiser, L-BFGS (:data:`PROPHET_ALGORITHM`).
"""

from __future__ import annotations

import logging
import os
import resource
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

DS, Y = "ds", "y"
MODELS = ("naive", "drift", "snaive", "ets", "arima", "prophet")
"""Every candidate, simplest first (the order breaks ties)."""
BASELINE = "naive"
"""The baseline every choice is compared with (issue 13: a model that loses to it is never the active one)."""
STATEFUL = ("ets", "arima")
"""Candidates estimated once per series on the first backtest window, then applied to later windows."""
PROPHET_MIN_SEASONAL_MONTHS = 24
"""Shortest monthly window Prophet fits a yearly seasonality on: two full years, so that each month of the year
is seen twice (with one year the seasonality is the noise of that year)."""
PROPHET_ALGORITHM = "LBFGS"
"""Stan optimiser of every Prophet fit. Prophet's own default is Newton under 100 points and L-BFGS from 100 on,
so the backtest windows (78 to 108 months on ten years of history) and the final fit (120) were fitted by two
optimisers: the backtest did not score the estimator it kept. L-BFGS everywhere scores the one kept, at a
twentieth of the Stan time (on the demo's windows: 0.015 s of CPU a fit against 0.27 s for Newton; forecasts
0.2 % of the level apart at the median, 3 % at most, the backtest MASE no worse). Prophet itself falls back to
Newton when L-BFGS ends abnormally."""
ARIMA_MAX_ORDER = 2
"""Largest AR and MA orders ARIMA searches (monthly ETP series need no more; each extra order costs fits)."""


@dataclass(frozen=True)
class Frequency:
    """How a series is read: ``months`` between two points (1 monthly, 12 annual) and ``season`` (points per
    year when the seasonality can be modelled, else 1)."""

    months: int
    season: int

    @property
    def annual(self) -> bool:
        return self.months >= 12


MONTHLY = Frequency(months=1, season=12)
ANNUAL = Frequency(months=12, season=1)


def future_dates(last: pd.Timestamp, steps: int, freq: Frequency) -> pd.DatetimeIndex:
    """The ``steps`` dates after ``last`` (month ends), one point of the frequency apart."""
    return pd.DatetimeIndex([last + pd.offsets.MonthEnd(freq.months * k) for k in range(1, steps + 1)])


def cpu_clock() -> tuple[float, float]:
    """CPU seconds of this thread and of this process's finished child processes (Prophet's Stan runs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time(), children.ru_utime + children.ru_stime


def cpu_spent(start: tuple[float, float]) -> dict:
    """What a series job cost since ``start`` (:func:`cpu_clock`): ``thread``, ``children`` and the ``pid`` it ran
    in, so that the estimator counts a worker's thread once and its own thread not twice."""
    thread, children = cpu_clock()
    return {"thread": thread - start[0], "children": children - start[1], "pid": os.getpid()}


# ------------------------------------------------------------------------------------------ closed forms

def naive(y: np.ndarray, steps: int) -> np.ndarray:
    return np.full(steps, float(y[-1]))


def drift(y: np.ndarray, steps: int) -> np.ndarray:
    slope = (float(y[-1]) - float(y[0])) / (len(y) - 1) if len(y) > 1 else 0.0
    return float(y[-1]) + slope * np.arange(1, steps + 1)


def snaive(y: np.ndarray, steps: int, season: int) -> np.ndarray:
    if season <= 1 or len(y) < season:
        return naive(y, steps)
    return y[-season:][(np.arange(steps)) % season].astype(float)


# ------------------------------------------------------------------------------------------ statsforecast

def _statsforecast_model(model: str, y: np.ndarray, freq: Frequency):
    """A fitted statsforecast model (``ets`` or ``arima``) on ``y``, or None when it cannot be fitted (too few
    points, a degenerate series): the candidate then sits out for this series."""
    from statsforecast.models import AutoARIMA, AutoETS

    seasonal = freq.season > 1 and len(y) >= 2 * freq.season + 2
    if model == "ets":
        attempts = [AutoETS(season_length=freq.season, model="AZZ")] if seasonal else []
        attempts.append(AutoETS(season_length=1, model="AZN"))
    else:
        attempts = [AutoARIMA(season_length=1, max_p=ARIMA_MAX_ORDER, max_q=ARIMA_MAX_ORDER, max_P=0, max_Q=0)]
    for est in attempts:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                fitted = est.fit(np.asarray(y, dtype=float))
                probe = fitted.predict(h=1)["mean"]
            if np.all(np.isfinite(probe)):
                return fitted
        except Exception:  # noqa: BLE001 - statsforecast raises bare errors on short or flat series
            continue
    return None


def _statsforecast_forecast(fitted, y: np.ndarray, steps: int, first: bool) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if first:
            return np.asarray(fitted.predict(h=steps)["mean"], dtype=float)
        return np.asarray(fitted.forward(y=np.asarray(y, dtype=float), h=steps)["mean"], dtype=float)


def describe_statsforecast(fitted) -> str:
    """The specification a statsforecast model settled on (``ETS(A,Ad,N)``, ``ARIMA(1,1,0) avec dérive``)."""
    m = getattr(fitted, "model_", {}) or {}
    if "method" in m:
        return str(m["method"])
    arma = m.get("arma")
    if arma is not None:
        p, q, _, _, _, d, _ = (list(arma) + [0] * 7)[:7]
        return f"ARIMA({p},{d},{q})"
    return type(fitted).__name__


# ------------------------------------------------------------------------------------------ Prophet

def quiet_prophet() -> None:
    """Prophet and cmdstanpy speak on their loggers (an optional plotting library missing, every Stan run's INFO
    lines): only their errors reach the console."""
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger(name).propagate = False
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)  # plotly is optional: its absence is no error
    stan = logging.getLogger("cmdstanpy")
    if not any(isinstance(h, logging.NullHandler) for h in stan.handlers):
        # cmdstanpy sets itself up at its first fit (level DEBUG, an INFO console handler) unless it has a handler
        stan.addHandler(logging.NullHandler())


def prophet_fit(y: np.ndarray, ds: pd.DatetimeIndex, freq: Frequency, params: dict):
    """Prophet on one window; yearly seasonality only on monthly windows of at least
    :data:`PROPHET_MIN_SEASONAL_MONTHS` months; the Stan optimisation (:data:`PROPHET_ALGORITHM`) seeded with
    ``params['random_state']``."""
    quiet_prophet()  # before the import: prophet logs "Importing plotly failed" as it loads
    from prophet import Prophet

    quiet_prophet()  # and after it: cmdstanpy sets its logger up when imported
    yearly = (not freq.annual) and len(y) * freq.months >= PROPHET_MIN_SEASONAL_MONTHS
    m = Prophet(yearly_seasonality=yearly, weekly_seasonality=False, daily_seasonality=False,
                uncertainty_samples=int(params["uncertainty_samples"]),
                changepoint_prior_scale=float(params["changepoint_prior_scale"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Prophet's own pandas deprecations
        m.fit(pd.DataFrame({DS: ds, Y: y}), seed=int(params["random_state"]), algorithm=PROPHET_ALGORITHM)
    return m


def prophet_predict(model, dates, seed: int) -> np.ndarray:
    """``yhat`` at ``dates``; Prophet draws its intervals from numpy's global generator, so it is seeded for the
    call and restored after (the caller's random state is left as it was)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.predict(pd.DataFrame({DS: pd.DatetimeIndex(dates)}))["yhat"].to_numpy(float)
    finally:
        np.random.set_state(state)


# ------------------------------------------------------------------------------------------ one interface

class Forecaster:
    """One candidate on one series: ``forecast(y, ds, steps)`` for each backtest window in date order, then
    ``final(y, ds, steps)`` on the whole history. The stateful candidates keep the model of their first window
    (``fitted``); Prophet keeps its final model for the registry's JSON (``final_model``)."""

    def __init__(self, model: str, freq: Frequency, params: dict):
        if model not in MODELS:
            raise ValueError(f"unknown demand model {model!r}; allowed: {', '.join(MODELS)}")
        self.model, self.freq, self.params = model, freq, params
        self.fitted = None
        self.failed = False
        self.final_model = None
        self.spec = model

    def forecast(self, y: np.ndarray, ds: pd.DatetimeIndex, steps: int) -> np.ndarray:
        """Forecast of the ``steps`` points after the window (NaN when the candidate cannot forecast it)."""
        if self.failed:
            return np.full(steps, np.nan)
        m = self.model
        if m == "naive":
            return naive(y, steps)
        if m == "drift":
            return drift(y, steps)
        if m == "snaive":
            return snaive(y, steps, self.freq.season)
        if m in STATEFUL:
            first = self.fitted is None
            if first:
                self.fitted = _statsforecast_model(m, y, self.freq)
                if self.fitted is None:
                    self.failed = True
                    return np.full(steps, np.nan)
                self.spec = describe_statsforecast(self.fitted)
            return _statsforecast_forecast(self.fitted, y, steps, first)
        try:
            fitted = prophet_fit(y, ds, self.freq, self.params)
            return prophet_predict(fitted, future_dates(ds[-1], steps, self.freq), int(self.params["random_state"]))
        except Exception:  # noqa: BLE001 - Stan fails on degenerate windows (flat, two points)
            return np.full(steps, np.nan)

    def final(self, y: np.ndarray, ds: pd.DatetimeIndex, steps: int) -> tuple[np.ndarray, float]:
        """Forecast from the whole history and the model's fitted value at its last point (the level the
        projection's index divides by, so that the baseline continues today's level)."""
        m = self.model
        if m in STATEFUL:
            fitted = _statsforecast_model(m, y, self.freq)
            if fitted is None:
                raise RuntimeError(f"{m} cannot be fitted on the whole history")
            self.fitted, self.spec = fitted, describe_statsforecast(fitted)
            return _statsforecast_forecast(fitted, y, steps, True), float(y[-1])
        if m == "prophet":
            fitted = prophet_fit(y, ds, self.freq, self.params)
            self.final_model = fitted
            seed = int(self.params["random_state"])
            yhat = prophet_predict(fitted, future_dates(ds[-1], steps, self.freq), seed)
            now = float(prophet_predict(fitted, ds[-1:], seed)[0])
            return yhat, now
        return self.forecast(y, ds, steps), float(y[-1])


# ------------------------------------------------------------------------------------------ final forecasts

def final_job(key: str, y: np.ndarray, ds: pd.DatetimeIndex, freq: Frequency, model: str, q: np.ndarray,
              steps: int, params: dict) -> dict:
    """The stored forecast of one series by its active model, fitted on the whole history (a joblib worker):
    ``yhat`` and the band's half-width ``q_h x scale`` for ``steps`` points. A model that cannot be fitted on the
    whole history gives way to naive (``failed``)."""
    from workforce.forecast.demand_backtest import _scale

    start = cpu_clock()
    failed = False
    f = Forecaster(model, freq, params)
    try:
        yhat, now = f.final(y, ds, steps)
        if not np.all(np.isfinite(yhat)):
            raise ValueError("non-finite forecast")
    except Exception:  # noqa: BLE001 - Stan and statsforecast fail on degenerate series
        failed, model = True, BASELINE
        f = Forecaster(model, freq, params)
        yhat, now = f.final(y, ds, steps)
    text = None
    if f.final_model is not None:
        from prophet.serialize import model_to_json

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = model_to_json(f.final_model)
    width = np.asarray(q, dtype=float) * _scale(y)[0]
    return {"key": key, "yhat": np.asarray(yhat, float), "width": width, "q": 1.0, "model": model, "now": now,
            "json": text, "spec": f.spec, "failed": failed, "cpu": cpu_spent(start)}


def naive_job(key: str, y: np.ndarray, freq: Frequency, gaps: np.ndarray | None, z: float, steps: int) -> dict:
    """Naive forecast without a backtest: the last value carried forward, the band of a random walk whose step
    (per point of ``freq``) is the observed one; ``gaps`` (months between the observed points of a sparse
    history) rescales each observed change to one point."""
    d = np.diff(y)
    if gaps is not None and len(d):
        d = d / np.sqrt(np.maximum(np.asarray(gaps, float) / freq.months, 1.0))
    sigma = float(np.sqrt(np.mean(d ** 2))) if len(d) else 0.0
    floor = 1e-3 * max(float(np.mean(np.abs(y))), 1.0)
    width = np.maximum(sigma * np.sqrt(np.arange(1, steps + 1)), floor)
    return {"key": key, "yhat": naive(y, steps), "width": width, "q": z, "model": BASELINE, "now": float(y[-1]),
            "json": None, "spec": BASELINE, "failed": False}


def to_months(result: dict, freq: Frequency, months: int) -> tuple[np.ndarray, np.ndarray, float, str]:
    """``(yhat, width, q, model)`` month by month for ``months`` months: as is for a monthly series; an annual
    one is interpolated linearly between its yearly points, from today's level and a zero width."""
    yhat, width = result["yhat"], result["width"]
    if not freq.annual:
        return yhat[:months], width[:months], float(result["q"]), result["model"]
    x = np.arange(1, months + 1) / freq.months
    xp = np.arange(0, len(yhat) + 1)
    return (np.interp(x, xp, np.r_[result["now"], yhat]), np.interp(x, xp, np.r_[0.0, width]),
            float(result["q"]), result["model"])
