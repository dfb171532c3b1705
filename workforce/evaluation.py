"""How good the forecasts are: a backtest against the employer's own past, and the calibration of hazards.

Backtest (STYLE §3, §6): for each cutoff year T, the history is cut at the end of T (the extract anchoring
year T+1 is the last one kept, and no movement after it), the models are fitted on that cut history only,
the agents present at the cut are forecast for T+1..T+h, and the forecast is compared with what those agents
did (retirements counted from the full history's panel, by the group each agent was in at the cut). New
agents hired after the cut are outside both sides: the forecast is of the workforce present at the cut.

The split is a pure function (:func:`history_at`), so a test can prove that nothing after the cut reaches
``fit``.

The competing exits are those of the model the projection uses (:class:`workforce.forecast.exits.ExitHazard`,
by statut, catégorie, age and tenure): a flat rate by statut gave agents near their AOD the exit rate of the
young ones (2.9 % a year for titulaires instead of 1.9 %), so it let too few of them survive to retire and the
forecasts at T+2 and T+3 fell short by a further 2 and 3.5 %.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from workforce import panel as P
from workforce.forecast.exits import ExitHazard
from workforce.forecast.retirement import GROUP_COLUMNS, TOTAL, RetirementHazard
from workforce.forecast.retirement_forecast import forecast_retirements

# backtest columns
CUTOFF = "cutoff"
HORIZON = "horizon"
BY = "by"
GROUP = "group"
N_AGENTS = "n_agents"
OBSERVED = "observed"
PREDICTED = "predicted"
LOWER = "lower"
UPPER = "upper"
COVERED = "covered"
ABS_ERROR = "abs_error"
REL_ERROR = "rel_error"
BACKTEST_COLUMNS = (CUTOFF, HORIZON, P.YEAR, BY, GROUP, N_AGENTS, OBSERVED, PREDICTED, LOWER, UPPER, COVERED,
                    ABS_ERROR, REL_ERROR)
"""``lower``/``upper`` are the P10/P90 of the Monte Carlo replicates; ``covered`` = lower <= observed <= upper;
``rel_error`` = (predicted - observed) / observed (NaN when nothing was observed)."""

MIN_FULL_EXPOSURE = 0.9

Z80 = 1.2815515655446004
"""Half-width of a central 80 % normal band, in standard deviations (the P10-P90 band)."""
CALIBRATION_GROUPINGS = (TOTAL, "categorie")
"""Rows whose errors calibrate the bands by horizon: the levels planners read (the total, the catégories); the
directions' small counts are left out, their discrete bands are already wide (85 % coverage on the demo)."""
MIN_CALIBRATION_ROWS = 8
"""Fewer past errors at a horizon than this: the errors of all horizons are pooled; fewer in all: no
calibration (the model's own band)."""


# ============================================================================================== split

def cut_date(history: P.History, cutoff: int) -> np.datetime64:
    """The last day known when forecasting from the end of year ``cutoff``: the anchor extract of ``cutoff + 1``.

    Raises
    ------
    ValueError
        When no extract lies within a month of 1 January ``cutoff + 1``, listing the cutoffs that work.
    """
    anchors = P.year_anchors(history.extract_dates)
    hit = anchors[anchors[P.YEAR] == cutoff + 1]
    if hit.empty:
        possible = default_cutoffs(history, min_train_years=1)
        raise ValueError(
            f"no extract within a month of 1 January {cutoff + 1}: cannot cut the history at the end of {cutoff}; "
            f"possible cutoffs: {', '.join(map(str, possible)) or 'none'}"
        )
    return hit[P.ANCHOR_DATE].to_numpy("datetime64[D]")[0]


def history_at(history: P.History, cutoff: int) -> P.History:
    """The history as known at the end of year ``cutoff`` (later extracts and movements removed)."""
    return history.until(cut_date(history, cutoff))


def default_cutoffs(history: P.History, *, min_train_years: int = 2) -> list[int]:
    """Every year T with at least ``min_train_years`` full years of history up to T and a full year T+1."""
    anchors = P.year_anchors(history.extract_dates)
    full = anchors.loc[anchors[P.EXPOSURE] >= MIN_FULL_EXPOSURE, P.YEAR].to_numpy()
    if len(full) == 0:
        return []
    first = full.min()
    return [int(t) for t in full[:-1] if t - first + 1 >= min_train_years and (t + 1) in full]


# ============================================================================================== backtest

def backtest(
    history: P.History,
    cutoffs: Sequence[int] | None = None,
    *,
    horizon: int = 3,
    by: Sequence[str] = ("direction",),
    regime: str = P.HISTORY_REGIME,
    model: RetirementHazard | None = None,
    exit_model=None,
    n_rep: int = 500,
    rng: np.random.Generator | None = None,
    min_train_years: int = 2,
    progress: Callable[[str], None] | None = None,
    calibrate: bool = True,
) -> pd.DataFrame:
    """Fit up to each cutoff, forecast the next ``horizon`` years, compare with what happened.

    Parameters
    ----------
    history : workforce.panel.History
        The whole history (frames or :func:`workforce.panel.load_history`).
    cutoffs : years or None
        Cutoff years T (default :func:`default_cutoffs`).
    by : groupings
        Groupings besides the total (:data:`workforce.forecast.retirement.GROUP_BY`).
    regime : str
        Law regime of the forecast: the one in force over the backtested years.
    model, exit_model : unfitted estimators, cloned at each cutoff
        Default :class:`RetirementHazard` and :class:`workforce.forecast.exits.ExitHazard`.
    n_rep : int
        Monte Carlo replicates for the 80 % band.
    rng : numpy Generator
        Source of the Monte Carlo draws (default ``np.random.default_rng(0)``).
    calibrate : bool
        Widen each cutoff's bands by horizon on the errors of the earlier cutoffs known at that cut
        (:func:`band_calibration`), as the production model is widened on the whole backtest: the coverage is
        measured on bands that saw none of the years they cover.

    Returns
    -------
    DataFrame
        :data:`BACKTEST_COLUMNS`, one row per cutoff, horizon and group (``by`` = "total" for the total);
        ``attrs["band_method"]`` says in French how the bands were drawn, ``attrs["horizon_sd"]`` the
        calibration by horizon of every past error (:func:`band_calibration`) for the model trained on the
        whole history.
    """
    for b in by:
        if b not in GROUP_COLUMNS:
            raise ValueError(f"unknown grouping {b!r}; allowed: {', '.join(GROUP_COLUMNS)}")
    rng = np.random.default_rng(0) if rng is None else rng
    model = RetirementHazard() if model is None else model
    exit_model = ExitHazard() if exit_model is None else exit_model
    cutoffs = default_cutoffs(history, min_train_years=min_train_years) if cutoffs is None else list(cutoffs)
    if not cutoffs:
        raise ValueError("the history is too short for a backtest: it needs at least "
                         f"{min_train_years + 1} full years (extracts around each 1 January)")
    full = P.build_panel(history.snapshots, history.movements, regime=P.HISTORY_REGIME)
    observed_years = set(full.loc[full[P.EXPOSURE] >= MIN_FULL_EXPOSURE, P.YEAR].tolist())
    frames, raw_frames = [], []
    methods = set()
    slope = None
    for cutoff in cutoffs:
        if progress:
            progress(f"coupure {cutoff}")
        known = history_at(history, cutoff)
        train = P.build_panel(known.snapshots, known.movements, regime=P.HISTORY_REGIME)
        hazard = clone(model).fit(train)
        exits = clone(exit_model).fit(train)
        base = known.base()
        fc = forecast_retirements(base, hazard, exit_model=exits, horizon=horizon, regime=regime)
        slope = shift_slope(fc)
        cohort = full[full[P.AGENT_ID].isin(base[P.AGENT_ID]) & (full[P.OUTCOME] == P.RETIREMENT)]
        raw = _compare(fc, fc.simulate(n_rep, rng), base, cohort, cutoff, by, observed_years)
        raw_frames.append(raw)
        # the band as the model would have published it then: widened on the errors already known at the cut
        past = pd.concat(raw_frames[:-1], ignore_index=True) if calibrate and len(raw_frames) > 1 else None
        extra = band_calibration(past[past[P.YEAR] <= cutoff], horizon, slope) if past is not None else ()
        if extra and any(extra):
            fc.year_sd = np.sqrt(np.asarray(fc.year_sd, float) ** 2 + np.asarray(extra) ** 2)
            fc.calibrated = True
            frames.append(_compare(fc, fc.simulate(n_rep, rng), base, cohort, cutoff, by, observed_years))
        else:
            frames.append(raw)
        methods.add(fc.band_method)
    out, raw_all = _finish(frames), _finish(raw_frames)
    out.attrs["band_method"] = " ; ".join(sorted(methods))
    # for the production model: the calibration on every past error (see workforce.train.hazards)
    out.attrs["horizon_sd"] = list(band_calibration(raw_all, horizon, slope)) if calibrate else []
    return out


def _compare(fc, outcomes: np.ndarray, base: pd.DataFrame, cohort: pd.DataFrame, cutoff: int, by,
             observed_years: set) -> pd.DataFrame:
    """The forecast of one cutoff against what its agents did, total and by each grouping (observed years)."""
    frames = []
    for grouping in (None, *by):
        pred = fc.summary(grouping, outcomes=outcomes)
        key = grouping or "group"
        if grouping is None:
            obs = cohort.groupby(P.YEAR).size().rename(OBSERVED).reset_index().assign(**{key: TOTAL})
        else:
            col = GROUP_COLUMNS[grouping]
            where = base.set_index(P.AGENT_ID)[col].astype(object).fillna("inconnu")
            obs = (cohort.assign(**{key: cohort[P.AGENT_ID].map(where)})
                   .groupby([P.YEAR, key]).size().rename(OBSERVED).reset_index())
        merged = pred.merge(obs, on=[P.YEAR, key], how="left")
        merged[OBSERVED] = merged[OBSERVED].fillna(0).astype(int)
        merged = merged[merged[P.YEAR].isin(observed_years)]
        frames.append(pd.DataFrame({
            CUTOFF: cutoff, HORIZON: merged[P.YEAR] - cutoff, P.YEAR: merged[P.YEAR],
            BY: grouping or TOTAL, GROUP: merged[key].astype(str), N_AGENTS: merged["n_agents"],
            OBSERVED: merged[OBSERVED], PREDICTED: merged["expected"],
            LOWER: merged["p10"], UPPER: merged["p90"],
        }))
    return pd.concat(frames, ignore_index=True)


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The compared rows with their coverage and errors, in :data:`BACKTEST_COLUMNS` order."""
    out = pd.concat(frames, ignore_index=True)
    out[COVERED] = (out[LOWER] <= out[OBSERVED]) & (out[OBSERVED] <= out[UPPER])
    out[ABS_ERROR] = (out[PREDICTED] - out[OBSERVED]).abs()
    out[REL_ERROR] = np.where(out[OBSERVED] > 0, (out[PREDICTED] - out[OBSERVED]) / out[OBSERVED].where(
        out[OBSERVED] > 0, 1), np.nan)
    return out[list(BACKTEST_COLUMNS)]


def band_calibration(bt: pd.DataFrame, horizon: int, slope=None) -> tuple[float, ...]:
    """Extra yearly log-odds dispersion per horizon 1..``horizon`` that widens the 80 % band to the past errors.

    Split conformal on the backtest rows of :data:`CALIBRATION_GROUPINGS` (their bands drawn without
    calibration): each row's score is its error in band standard deviations, ``|observed - predicted| / sd``
    with ``sd = (upper - lower) / (2 Z80)``; the band of horizon h must stretch by ``s_h = q_h / Z80`` (never
    below 1), ``q_h`` the 80 % quantile of the scores (the plain one: the finite-sample ``ceil(0.8 (n + 1))``-th
    score is the largest of the few past errors a cut knows, and gave 100 % coverage at T+1 on the demo). The extra variance ``(s_h² - 1) sd²`` is turned into log-odds through ``slope``
    (per horizon, the share of the expected retirements a log-odds shift moves, :func:`shift_slope`; 1 when
    unknown). Empty tuple when the backtest has fewer than :data:`MIN_CALIBRATION_ROWS` rows.
    """
    rows = bt[bt[BY].isin(CALIBRATION_GROUPINGS) & (bt[PREDICTED] > 0)]
    if len(rows) < MIN_CALIBRATION_ROWS:
        return ()
    sd = np.maximum((rows[UPPER] - rows[LOWER]).to_numpy(float) / (2 * Z80), 0.5)
    pred = rows[PREDICTED].to_numpy(float)
    score = np.abs(rows[OBSERVED].to_numpy(float) - pred) / sd
    rel = sd / pred
    hz = rows[HORIZON].to_numpy()
    slope = np.ones(horizon) if slope is None else np.asarray(slope, float)
    out = []
    for h in range(1, horizon + 1):
        at = hz == h if (hz == h).sum() >= MIN_CALIBRATION_ROWS else np.ones(len(rows), bool)
        q = float(np.quantile(score[at], 0.8))
        stretch = max(q / Z80, 1.0)
        k = slope[min(h, len(slope)) - 1]
        out.append(float(np.sqrt(stretch ** 2 - 1.0) * np.median(rel[at]) / max(k, 0.05)))
    return tuple(out)


def shift_slope(fc) -> np.ndarray:
    """Per forecast year, d log(expected retirements) / d log-odds shift: the uncertain retirements (not the
    certain ones at the age limit) weighted by ``1 - hazard``, over all expected retirements."""
    uncertain = ~fc.certain if fc.certain is not None else np.ones_like(fc.hazard, bool)
    moved = (fc.p_retire * (1.0 - fc.hazard) * uncertain).sum(axis=0)
    return moved / np.maximum(fc.p_retire.sum(axis=0), 1e-12)


def backtest_summary(bt: pd.DataFrame) -> pd.DataFrame:
    """Per grouping and horizon: ``n`` rows, ``observed`` and ``predicted`` totals, mean absolute error,
    mean absolute relative error (over rows with something observed) and the coverage of the 80 % band."""
    g = bt.assign(abs_rel=bt[REL_ERROR].abs()).groupby([BY, HORIZON])
    return pd.DataFrame({
        "n": g.size(), OBSERVED: g[OBSERVED].sum(), PREDICTED: g[PREDICTED].sum(),
        "mean_abs_error": g[ABS_ERROR].mean(), "mean_abs_rel_error": g["abs_rel"].mean(),
        "coverage": g[COVERED].mean(),
    }).reset_index()


# ============================================================================================== calibration

DEFAULT_BINS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0)


def brier_score(y, p, sample_weight=None) -> float:
    """Mean squared difference between the outcome (0/1) and its probability."""
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    return float(np.average((p - y) ** 2, weights=sample_weight))


def reliability_table(y, p, bins: Sequence[float] = DEFAULT_BINS) -> pd.DataFrame:
    """Predicted against observed frequency by probability bin: ``bin, n, predicted, observed, se, z``.

    ``se`` is the binomial standard error of the observed rate under the predicted one; ``z`` = (observed -
    predicted) / se (|z| above 3 in a bin of some size means miscalibration there).
    """
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    edges = np.asarray(bins, float)
    idx = np.clip(np.searchsorted(edges, p, side="left") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        sel = idx == b
        n = int(sel.sum())
        if n == 0:
            continue
        pred, obs = float(p[sel].mean()), float(y[sel].mean())
        se = float(np.sqrt(max(pred * (1 - pred), 1e-12) / n))
        rows.append({"bin": f"]{edges[b]:g} ; {edges[b + 1]:g}]", "n": n, "predicted": pred, "observed": obs,
                     "se": se, "z": (obs - pred) / se})
    return pd.DataFrame(rows, columns=["bin", "n", "predicted", "observed", "se", "z"])


def calibration_report(model, panel: pd.DataFrame, *, min_exposure: float = MIN_FULL_EXPOSURE):
    """Brier score (with the reference of a constant rate) and reliability table of a fitted hazard on panel
    rows it was not fitted on (e.g. the years after its training years).

    Rows where the law makes retirement certain (age limit in the year, hazard 1) are law, not model: they are
    counted in ``certain`` and left out of the scores and the table. Returns ``(scores, table)``; scores has
    ``brier``, ``brier_reference`` (a constant rate), ``n``, ``observed``, ``predicted``, ``certain``.
    """
    rows = panel[panel[P.EXPOSURE] >= min_exposure]
    y = (rows[P.OUTCOME] == P.RETIREMENT).to_numpy(float)
    p = model.predict_hazard(rows)
    certain = p >= 1.0
    y, p = y[~certain], p[~certain]
    scores = {"brier": brier_score(y, p), "brier_reference": brier_score(y, np.full(len(y), y.mean())),
              "n": int(len(y)), "observed": float(y.sum()), "predicted": float(p.sum()),
              "certain": int(certain.sum())}
    return scores, reliability_table(y, p)
