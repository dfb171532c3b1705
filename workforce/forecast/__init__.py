"""Forecasting models fitted on the person-year panel: retirement (with the law as hard constraints) and the
competing other exits; their per-agent and aggregated forecasts; the priors and fallbacks that stand in for them
on short histories."""

from workforce.forecast.competing import StatutExitRate, combine
from workforce.forecast.fallback import Fallback
from workforce.forecast.priors import PriorExitHazard, PriorRetirementHazard
from workforce.forecast.retirement import RetirementHazard, aod_counts, aod_schedule
from workforce.forecast.retirement_forecast import RetirementForecast, forecast_retirements

__all__ = ["Fallback", "PriorExitHazard", "PriorRetirementHazard", "RetirementForecast", "RetirementHazard",
           "StatutExitRate", "aod_counts", "aod_schedule", "combine", "forecast_retirements"]
