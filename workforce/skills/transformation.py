"""The transformation profile: how the transitions change each local métier's demand (``demand_factors``, the
scenario's overlay) and requirements (``new_requirements``, ``requirement_timeline``), and its class.

Depends on nothing from the projection engine: the projection's inputs read their transformation factors here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.referential import split_codes
from workforce.skills.inputs import (BROWN_FLAG, FROM_YEAR, GREEN_FLAGS, HEADCOUNT, LEVEL, LEVELS, METIER, SKILL,
                                     YEAR, SkillInputs, active_requirements, empty_requirements)
from workforce.skills.passerelles import MIN_PASSERELLE_COVERAGE

@dataclass(frozen=True)
class TransformationParams:
    """Assumptions of the transformation profile; every rate is an assumption [U] the planner can change.

    ``trend`` overrides the historical trend (frame ``metier_code, trend``, e.g. from the demand baseline).
    """

    intensity: float = 1.0
    horizon: int = 10
    demo_rate: float = 0.010  # extra demand a year for the demographic transition (ageing: care, autonomy)
    green_rate: float = 0.008  # extra demand a year for Emploi Vert / stratégique pour la TE
    brown_rate: float = 0.015  # lost demand a year for Emploi Brun
    adoption_years: int = 5  # years until a transition skill of the ROME fiche is required, at intensity 1
    new_skill_level: int = 2  # level of those new requirements (pratique)
    max_new_skills: int = 3  # new ROME requirements per métier, at most
    growing: float = 0.01  # annual demand rate from which a métier is growing
    declining: float = -0.01  # ... at or below which it is declining
    transforming_share: float = 0.2  # share of new requirements at the horizon that makes it transforming
    trend_cap: float = 0.10  # the historical trend is clipped to +/- this a year
    trend: pd.DataFrame | None = None
    tolerance: float = 0.5  # FTE below which a gap is not a shortage
    alpha: float = 0.25  # weight of observed mobility in the similarity of local métiers (LocalWeights.mobility)
    min_coverage: float = 0.5  # coverage that makes an agent or a métier a candidate
    passerelles_k: int = 3
    passerelle_min_coverage: float = MIN_PASSERELLE_COVERAGE  # share of the target held, under which no passerelle

    def __post_init__(self):
        if not 0 <= self.intensity <= 5:
            raise ValueError(f"intensity must be within 0-5, got {self.intensity!r}")
        if not 1 <= self.horizon <= 30:
            raise ValueError(f"horizon must be within 1-30 years, got {self.horizon!r}")
        if self.new_skill_level not in LEVELS:
            raise ValueError(f"new_skill_level must be 1-4, got {self.new_skill_level!r}")


def historical_trend(history: pd.DataFrame, cap: float = 0.10, min_years: int = 3) -> pd.DataFrame:
    """Annual growth of each métier's year-end headcount (log-linear least squares), clipped to +/- ``cap``.

    A stand-in for the demand baseline of the forecast stage; ``TransformationParams.trend`` replaces it.
    Returns ``metier_code, trend, n_years`` (trend 0 with fewer than ``min_years`` years of data).
    """
    by = history.groupby([METIER, YEAR], as_index=False)[HEADCOUNT].sum()
    by = by[by[HEADCOUNT] > 0]
    t = by[YEAR].to_numpy(dtype=float)
    y = np.log(by[HEADCOUNT].to_numpy(dtype=float))
    g = by[METIER]
    tm = pd.Series(t).groupby(g.to_numpy()).transform("mean").to_numpy()
    ym = pd.Series(y).groupby(g.to_numpy()).transform("mean").to_numpy()
    cov = pd.Series((t - tm) * (y - ym)).groupby(g.to_numpy()).sum()
    var = pd.Series((t - tm) ** 2).groupby(g.to_numpy()).sum()
    slope = (cov / var.where(var > 0)).fillna(0.0)
    count = g.value_counts().reindex(slope.index)
    rate = np.expm1(slope).clip(-cap, cap).where(count >= min_years, 0.0)
    return pd.DataFrame({METIER: slope.index.to_numpy(), "trend": rate.to_numpy(), "n_years": count.to_numpy()})


def metier_exposure(inputs: SkillInputs) -> pd.DataFrame:
    """Exposure of each local métier to the three transitions, from its ROME fiches and its skills' flags.

    Returns ``metier_code, eco_flag, green, brown, num_flag, demo_flag, share_eco, share_num, exposure_eco,
    exposure_num, exposure_demo, rome_data`` (``rome_data`` False: no ROME flag known, exposures are 0).
    """
    local = inputs.local_metiers()
    fiches = inputs.metiers[inputs.metiers["source"] == "rome"].set_index("code")
    pairs = [(m, r) for m, codes in zip(local["code"], local["rome_codes"]) for r in _split(codes)]
    mr = pd.DataFrame(pairs, columns=[METIER, "code_rome"])
    known = mr["code_rome"].isin(fiches.index)
    mr = mr[known]
    eco = mr["code_rome"].map(fiches["transition_eco"])
    flags = pd.DataFrame({
        METIER: mr[METIER].to_numpy(),
        "green": eco.isin(GREEN_FLAGS).to_numpy(dtype=float), "brown": (eco == BROWN_FLAG).to_numpy(dtype=float),
        "num_flag": mr["code_rome"].map(fiches["transition_num"]).eq(True).to_numpy(dtype=float),
        "demo_flag": mr["code_rome"].map(fiches["transition_demo"]).eq(True).to_numpy(dtype=float),
        "eco_flag": eco.fillna("").to_numpy(dtype=object),
    })
    per = flags.groupby(METIER).agg(green=("green", "max"), brown=("brown", "mean"), num_flag=("num_flag", "max"),
                                    demo_flag=("demo_flag", "max"),
                                    eco_flag=("eco_flag", lambda s: "; ".join(sorted({v for v in s if v}))))
    # a métier is brown only when every one of its fiches is
    per["brown"] = (per["brown"] >= 1).astype(float)
    req = active_requirements(inputs.requirements, inputs.base_year)
    sk = inputs.skills.set_index("code")
    shares = req.assign(eco=req[SKILL].map(sk["transition_eco"]).eq(True).to_numpy(dtype=float),
                        num=req[SKILL].map(sk["transition_num"]).eq(True).to_numpy(dtype=float)
                        ).groupby(METIER)[["eco", "num"]].mean()
    out = pd.DataFrame({METIER: local["code"].to_numpy()})
    out = out.merge(per.reset_index(), on=METIER, how="left").merge(
        shares.rename(columns={"eco": "share_eco", "num": "share_num"}).reset_index(), on=METIER, how="left")
    rome_data = out[METIER].isin(per.index).to_numpy()
    for col in ("green", "brown", "num_flag", "demo_flag", "share_eco", "share_num"):
        out[col] = out[col].fillna(0.0).astype(float)
    out["eco_flag"] = out["eco_flag"].fillna("")
    out["exposure_eco"] = 0.5 * out["green"] + 0.5 * out["share_eco"]
    out["exposure_num"] = 0.5 * out["num_flag"] + 0.5 * out["share_num"]
    out["exposure_demo"] = out["demo_flag"]
    out["rome_data"] = rome_data
    return out


def _split(codes) -> list[str]:
    return split_codes(codes)


def new_requirements(inputs: SkillInputs, exposure: pd.DataFrame, params: TransformationParams) -> pd.DataFrame:
    """Requirements that come into force after the base year, paced by the transformation intensity.

    Two sources: the referential's own dated requirements (due in ``k`` years, they come in
    ``ceil(k / intensity)``), and, for métiers whose ROME fiche is flagged for the digital or ecological
    transition, up to ``max_new_skills`` skills of the fiche flagged for it that the métier does not require
    yet (level ``new_skill_level``, in ``ceil(adoption_years / intensity)`` years), the skills listed by most
    of the métier's fiches first. Intensity 0: nothing new. Columns: ``metier_code, skill_code, level,
    from_year, origin`` ("referential" or "rome").
    """
    base = inputs.base_year
    req = inputs.requirements
    if params.intensity <= 0:
        return empty_requirements().assign(origin=pd.Series(dtype=object))
    fy = req[FROM_YEAR]
    future = req[(fy > base).fillna(False).to_numpy(dtype=bool)]
    delay = np.ceil((future[FROM_YEAR].to_numpy(dtype=float) - base) / params.intensity).astype("int64")
    dated = future.assign(from_year=pd.array(base + delay, dtype="Int64"), origin="referential")
    rome = _rome_transition_skills(inputs, exposure, params)
    out = pd.concat([dated[[METIER, SKILL, LEVEL, FROM_YEAR, "origin"]], rome], ignore_index=True)
    return out.astype({LEVEL: "int64", FROM_YEAR: "Int64"})


def _rome_transition_skills(inputs: SkillInputs, exposure: pd.DataFrame, params: TransformationParams) -> pd.DataFrame:
    cols = [METIER, SKILL, LEVEL, FROM_YEAR, "origin"]
    rr = inputs.rome_requirements
    if not len(rr) or params.max_new_skills <= 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    local = inputs.local_metiers()
    pairs = pd.DataFrame([(m, r) for m, codes in zip(local["code"], local["rome_codes"]) for r in _split(codes)],
                         columns=[METIER, "code_rome"])
    cand = pairs.merge(rr[[METIER, SKILL]].rename(columns={METIER: "code_rome"}), on="code_rome")
    sk = inputs.skills.set_index("code")
    ex = exposure.set_index(METIER)
    is_num = cand[SKILL].map(sk["transition_num"]).eq(True).to_numpy() & \
        cand[METIER].map(ex["num_flag"]).eq(1).to_numpy()
    is_eco = cand[SKILL].map(sk["transition_eco"]).eq(True).to_numpy() & \
        cand[METIER].map(ex["green"]).eq(1).to_numpy()
    cand = cand[is_num | is_eco]
    required = set(zip(inputs.requirements[METIER], inputs.requirements[SKILL]))
    cand = cand[[(m, s) not in required for m, s in zip(cand[METIER], cand[SKILL])]]
    ranked = (cand.groupby([METIER, SKILL]).size().rename("n").reset_index()
              .sort_values([METIER, "n", SKILL], ascending=[True, False, True], kind="stable"))
    top = ranked.groupby(METIER, sort=False).head(params.max_new_skills)
    year = inputs.base_year + math.ceil(params.adoption_years / params.intensity)
    return pd.DataFrame({METIER: top[METIER].to_numpy(), SKILL: top[SKILL].to_numpy(),
                         LEVEL: np.full(len(top), params.new_skill_level, dtype="int64"),
                         FROM_YEAR: pd.array(np.full(len(top), year), dtype="Int64"), "origin": "rome"})


def requirement_timeline(inputs: SkillInputs, new: pd.DataFrame) -> pd.DataFrame:
    """Today's requirements plus the new ones: ``metier_code, skill_code, level, from_year``.

    The referential's own dated rows are replaced by their paced version in ``new`` (dropped at intensity 0).
    """
    req = inputs.requirements
    current = req[~(req[FROM_YEAR] > inputs.base_year).fillna(False).to_numpy(dtype=bool)]
    out = pd.concat([current[[METIER, SKILL, LEVEL, FROM_YEAR]], new[[METIER, SKILL, LEVEL, FROM_YEAR]]],
                    ignore_index=True)
    return out.astype({LEVEL: "int64", FROM_YEAR: "Int64"}).drop_duplicates([METIER, SKILL, FROM_YEAR], keep="last")


def transformation_factor(rate: np.ndarray, years_ahead: np.ndarray, intensity: float) -> np.ndarray:
    """Demand factor of the transformation: ``1 + intensity x ((1 + rate)^k - 1)``, rate at intensity 1.

    The same scaling as ``Scenario.transformation_intensity`` applies to ``Scenario.demand_factors``.
    """
    raw = np.power(1.0 + np.asarray(rate, dtype=float), np.asarray(years_ahead, dtype=float))
    return 1.0 + intensity * (raw - 1.0)


def transformation_profile(inputs: SkillInputs, params: TransformationParams | None = None
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transformation profile of each local métier, and its new requirements (``new_requirements``).

    Profile columns: ``metier_code, label, famille, exposure_num, exposure_eco, exposure_demo, brown, eco_flag,
    trend, transformation_rate (at intensity 1), demand_rate (trend + intensity x transformation),
    demand_change (at the horizon, fraction), n_required, n_new, new_share, first_new_year, classe, reason``.
    """
    params = params or TransformationParams()
    exposure = metier_exposure(inputs)
    trend = params.trend if params.trend is not None else historical_trend(inputs.history, params.trend_cap)
    new = new_requirements(inputs, exposure, params)
    horizon_year = inputs.base_year + params.horizon
    local = inputs.local_metiers()[["code", "label", "famille"]].rename(columns={"code": METIER})
    prof = local.merge(exposure, on=METIER, how="left").merge(trend[[METIER, "trend"]], on=METIER, how="left")
    prof["trend"] = prof["trend"].fillna(0.0)
    prof["transformation_rate"] = (params.demo_rate * prof["exposure_demo"] + params.green_rate * prof["green"]
                                   - params.brown_rate * prof["brown"])
    factor = transformation_factor(prof["transformation_rate"].to_numpy(), params.horizon, params.intensity)
    total = np.power(1.0 + prof["trend"].to_numpy(), params.horizon) * factor
    prof["demand_change"] = total - 1.0
    prof["demand_rate"] = np.power(np.clip(total, 1e-9, None), 1.0 / params.horizon) - 1.0
    at_horizon = active_requirements(requirement_timeline(inputs, new), horizon_year)
    in_horizon = new[(new[FROM_YEAR] <= horizon_year).fillna(False).to_numpy(dtype=bool)]
    prof["n_required"] = prof[METIER].map(at_horizon.groupby(METIER).size()).fillna(0).astype("int64")
    prof["n_new"] = prof[METIER].map(in_horizon.groupby(METIER)[SKILL].nunique()).fillna(0).astype("int64")
    prof["new_share"] = (prof["n_new"] / prof["n_required"].where(prof["n_required"] > 0)).fillna(0.0)
    prof["first_new_year"] = prof[METIER].map(in_horizon.groupby(METIER)[FROM_YEAR].min()).astype("Int64")
    rate = prof["demand_rate"].to_numpy()
    classe = np.select([rate <= params.declining, rate >= params.growing,
                        prof["new_share"].to_numpy() >= params.transforming_share],
                       ["declining", "growing", "transforming"], "stable")
    prof["classe"] = classe
    prof["reason"] = [_reason(r, params, horizon_year) for r in prof.itertuples(index=False)]
    return prof, new


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}".replace(".", ",").replace("-", "−") + " %/an"


def _reason(r, params: TransformationParams, horizon_year: int) -> str:
    """Why a métier is in its class, in French (shown to planners and exported)."""
    parts = [f"demande {_pct(r.demand_rate)} (tendance {_pct(r.trend)}"]
    drivers = []
    if r.exposure_demo > 0:
        drivers.append("transition démographique")
    if r.green > 0:
        drivers.append("emploi vert ou stratégique pour la transition écologique")
    if r.brown > 0:
        drivers.append("emploi brun")
    if drivers and params.intensity > 0:
        parts[0] += f", transformation {_pct(params.intensity * r.transformation_rate)} : {', '.join(drivers)}"
    parts[0] += ")"
    if r.n_new:
        parts.append(f"{r.n_new} compétence(s) nouvelle(s) sur {r.n_required} d'ici {horizon_year}"
                     f" (dès {r.first_new_year})")
    if r.exposure_num >= 0.5:
        parts.append("métier exposé à la transition numérique")
    if not r.rome_data:
        parts.append("pas de fiche ROME importée : exposition inconnue")
    return " ; ".join(parts)


def demand_factors(profile: pd.DataFrame, base_year: int, horizon: int, min_effect: float = 1e-4) -> dict:
    """``Scenario.demand_factors`` from a profile: ``{metier_code: {year: factor}}`` at intensity 1.

    Only the transformation enters (the historical trend is the demand baseline's business); métiers whose
    factor stays within ``min_effect`` of 1 are left out. The scenario scales them by its intensity.
    """
    years = np.arange(1, horizon + 1)
    out = {}
    for code, rate in zip(profile[METIER], profile["transformation_rate"]):
        f = transformation_factor(np.full(len(years), rate), years, 1.0)
        if np.abs(f - 1).max() > min_effect:
            out[str(code)] = {str(base_year + int(k)): round(float(v), 6) for k, v in zip(years, f)}
    return out
