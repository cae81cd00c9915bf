"""Breeding and management recommendations (pure numpy/scipy; no database, no UI).

* :mod:`~studbook.recommend.msi` — mate suitability index (MSI) scale and thresholds;
* :mod:`~studbook.recommend.pairing` — ΔGD of a pair's offspring, pair tables,
  optimal and dynamic-MK pair selection, GD after a breeding plan;
* :mod:`~studbook.recommend.transfers` — distances, transfer plans under capacity
  (MILP), kinship between institutions' holdings;
* :mod:`~studbook.recommend.reintroduction` — removal ΔGD and release-group selection.

Every function takes ``K``, the kinship matrix of the living analysis population
L, and works with positions 0..n-1 in L.
"""

from __future__ import annotations

from studbook.recommend.msi import DASH, MSIConfig, msi_label, msi_scores
from studbook.recommend.pairing import (
    STRATEGIES,
    PairTable,
    choose_pairs,
    delta_gd_offspring,
    evaluate_pairs,
    optimal_matching,
    population_gd_after,
)
from studbook.recommend.reintroduction import (
    ReleaseSelection,
    captive_gd_loss,
    delta_gd_if_removed,
    select_release_group,
)
from studbook.recommend.transfers import (
    EARTH_RADIUS_KM,
    Move,
    Site,
    TransferPlan,
    great_circle_km,
    holdings_mean_kinship,
    plan_transfers,
)

__all__ = [
    "DASH",
    "EARTH_RADIUS_KM",
    "MSIConfig",
    "Move",
    "PairTable",
    "ReleaseSelection",
    "STRATEGIES",
    "Site",
    "TransferPlan",
    "captive_gd_loss",
    "choose_pairs",
    "delta_gd_if_removed",
    "delta_gd_offspring",
    "evaluate_pairs",
    "great_circle_km",
    "holdings_mean_kinship",
    "msi_label",
    "msi_scores",
    "optimal_matching",
    "plan_transfers",
    "population_gd_after",
    "select_release_group",
]
