"""A solved week: the chosen pairs and an honest report of the solve (tier values, bounds, method, times)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from matcher.model.network import FlowState
from matcher.model.prepare import Prepared, kept_values
from matcher.model.terms import tier_weights
from matcher.rules.arrays import IntArray


@dataclass
class Solution:
    """Chosen pairs (household and unit indices, by household) and an honest report of the solve."""

    household: IntArray
    unit: IntArray
    tier_values: list[int]
    tier_bounds: list[int | None]
    status: str
    method: str
    build_s: float
    solve_s: float
    components: int = 0
    cpsat_components: int = 0
    kept_previous: int | None = None  # pairs of the previous proposal kept (when one was given)
    # The solved network of a week that is one network, kept for the explanations.
    flow_state: FlowState | None = None


def finish(
    prep: Prepared,
    chosen_h: list[IntArray],
    chosen_u: list[IntArray],
    gap: list[int],
    optimal: bool,
    method: str,
    started: float,
    components: int,
    cpsat_components: int,
) -> Solution:
    household = np.concatenate([prep.fixed_household, *chosen_h]).astype(np.int64)
    unit = np.concatenate([prep.fixed_unit, *chosen_u]).astype(np.int64)
    order = np.lexsort((unit, household))
    household, unit = household[order], unit[order]
    values = tier_values(prep, household, unit)
    bounds: list[int | None] = [v + g for v, g in zip(values, gap, strict=True)]
    return Solution(
        household=household,
        unit=unit,
        tier_values=values,
        tier_bounds=bounds,
        status="optimal" if optimal else "feasible",
        method=method,
        build_s=prep.build_s,
        solve_s=time.perf_counter() - started,
        components=components,
        cpsat_components=cpsat_components,
        kept_previous=int(kept_values(prep, household, unit).sum()) if prep.stable else None,
    )


def tier_values(prep: Prepared, household: IntArray, unit: IntArray) -> list[int]:
    """The value of each of the policy's tiers."""
    weights = tier_weights(prep.policy, household, unit, prep.households, prep.units, prep.preferred)
    return [int(w.sum()) for w in weights]


def ranked_values(prep: Prepared, household: IntArray, unit: IntArray) -> list[int]:
    """What the optimiser ranks lexicographically: the policy's tiers, then the pairs kept."""
    values = tier_values(prep, household, unit)
    if prep.stable:
        values.append(int(kept_values(prep, household, unit).sum()))
    return values
