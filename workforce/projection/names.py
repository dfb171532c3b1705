"""Names of the projection: the columns of its tables, its indicators, levels and modes. Column, indicator and
motive names shared with the rest of the package come from :mod:`workforce.columns` (defined once there); what
only the projection uses is defined here, and every file of the package reads its names from this one."""

from workforce.columns import (AGENT_ID, BIRTH_DATE, CATEGORIE, CATEGORY_CODES, DEMAND, DIRECTION, ENTRY_DATE, ETP,
                               EXIT_INDICATORS, EXIT_MOTIVES, EXITS, EXTRACT_DATE, FAMILLE, HEADCOUNT, HIRES,
                               INDICATORS, INDICE, MOBILITY_IN, MOBILITY_OUT, PAYROLL, QUOTITE, RECRUITS_RETIREMENTS,
                               RETIREMENTS, STATUT, VACANCIES, YEAR)
from workforce.columns import METIER_CODE as METIER

__all__ = ["AGENT_ID", "ALL", "BIRTH_DATE", "CATEGORIE", "CATEGORY_CODES", "DEMAND", "DIRECTION", "ENTRY_DATE", "ETP",
           "EXIT_INDICATORS", "EXIT_MOTIVES", "EXITS", "EXTRACT_DATE", "FAMILLE", "FLOW_INDICATORS", "HEADCOUNT", "HIRES", "INDICATOR",
           "INDICATORS", "INDICE", "LEVEL", "LEVELS", "MC_BATCH", "MC_CHUNK", "MC_INDICATORS", "MEAN", "METIER",
           "MOBILITY_IN", "MOBILITY_OUT", "MODES", "P10", "P50", "P90", "PAYROLL", "PAYROLL_FLOWS", "QUOTITE",
           "RECRUITS_RETIREMENTS", "RETIREMENTS", "STATUT", "VACANCIES", "VALUE", "YEAR"]

INDICATOR, VALUE, MEAN, P10, P50, P90 = "indicator", "value", "mean", "p10", "p50", "p90"
LEVEL = "level"
LEVELS = ("total", "categorie", "direction", "metier", "famille")
"""Aggregation levels of the bands (and of :meth:`Projection.summary`)."""
ALL = "*"
"""Placeholder of an aggregated dimension in the level tables."""
PAYROLL_FLOWS = ("payroll_start", "price_effect", "gvt", "hires_cost", "exits_cost", "mobility_in_cost",
                 "mobility_out_cost")
MC_INDICATORS = (HEADCOUNT, ETP, RETIREMENTS, EXITS, *EXIT_INDICATORS, HIRES, MOBILITY_IN, MOBILITY_OUT)
"""Indicators with Monte Carlo bands (vacancies get theirs from ETP's, demand being deterministic; payroll is
given by the expected mode only)."""
FLOW_INDICATORS = (RETIREMENTS, RECRUITS_RETIREMENTS, EXITS, *EXIT_INDICATORS, HIRES, MOBILITY_IN, MOBILITY_OUT)
"""Indicators that happen during a year (none in the starting year, which is a stock): summed over a period."""
MODES = ("expected", "mc")
MC_CHUNK = 25
"""Replicates simulated together (fixed, so results do not depend on the number of workers)."""
MC_BATCH = 4
"""Chunks per joblib task (fixed for the same reason; a task returns one array of cell sums)."""
