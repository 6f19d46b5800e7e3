"""Reduced-cost pruning of a knapsack component before CP-SAT sees it.

The LP relaxation of the first tier (one column per pair; rows for A1-A4, with the real
bed constraints) is solved by HiGHS. Forcing a pair into the solution costs at least its
reduced cost, so a pair whose LP bound with it forced falls below the value of a known
solution cannot be part of any solution at least that good. Such pairs are dropped. Every
solution optimal for the first tier survives, so later tiers are unaffected. This is the
classical reduced-cost fixing, exact up to a small numerical margin that keeps a pair
whenever in doubt.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from matcher.rules.arrays import BoolArray, IntArray

if TYPE_CHECKING:
    from matcher.model.cpsat import Component

log = logging.getLogger(__name__)
MARGIN = 1e-6


def prune(
    component: Component,
    active: BoolArray,
    tier: int,
    held: list[tuple[IntArray, int]],
    known_value: int,
    time_limit_s: float | None = None,
) -> tuple[BoolArray, float | None]:
    """Which active pairs can still be in a solution reaching ``known_value`` in ``tier``.

    ``held`` lists the earlier tiers as (weights, value reached): the LP keeps them at
    least at that value, as the lexicographic search does. Returns the pairs to keep and
    the LP bound of the tier (None when the LP could not be solved, or not within
    ``time_limit_s``: then nothing is dropped). Large weights can make the LP slow (tens of
    seconds on 300,000 pairs), so it gets what is left of the policy's time budget.
    """
    index = np.flatnonzero(active)
    keep = active.copy()
    n = len(index)
    if n == 0:
        return keep, None
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    next_row = 0

    def add_groups(keys: IntArray, coefficient: np.ndarray, limits: dict[int, float] | float) -> None:
        nonlocal next_row
        uniq, inverse = np.unique(keys, return_inverse=True)
        rows.append(next_row + inverse.reshape(-1))
        cols.append(np.arange(n))
        vals.append(coefficient)
        if isinstance(limits, dict):
            upper.append(np.array([limits[int(k)] for k in uniq], dtype=float))
        else:
            upper.append(np.full(len(uniq), limits, dtype=float))
        next_row += len(uniq)

    add_groups(component.pair_household[index], np.ones(n), 1.0)
    units = component.pair_unit[index]
    shared = np.array([int(x) in component.unit_beds for x in units], dtype=bool)
    coefficient = np.where(shared, component.persons[index], 1).astype(float)
    limits = {int(x): float(component.unit_beds.get(int(x), 1)) for x in np.unique(units)}
    add_groups(units, coefficient, limits)
    position = np.full(len(active), -1, dtype=np.int64)
    position[index] = np.arange(n)
    for positions, cap in component.neighbourhood_caps:
        local = position[positions]
        local = local[local >= 0]
        rows.append(np.full(len(local), next_row))
        cols.append(local)
        vals.append(np.ones(len(local)))
        upper.append(np.array([float(cap)]))
        next_row += 1
    for weights, value in held:
        rows.append(np.full(n, next_row))
        cols.append(np.arange(n))
        vals.append(-weights[index].astype(float))
        upper.append(np.array([-float(value) + MARGIN]))
        next_row += 1
    matrix = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(next_row, n)).tocsr()
    weights = component.tiers[tier][index].astype(float)
    options = {} if time_limit_s is None else {"time_limit": max(time_limit_s, 0.05)}
    result = linprog(-weights, A_ub=matrix, b_ub=np.concatenate(upper), bounds=(0, 1), method="highs", options=options)
    if result.status != 0:
        log.debug("LP relaxation not solved (%s); no pruning", result.message)
        return keep, None
    bound = float(-result.fun)
    reduced = np.asarray(result.lower.marginals, dtype=float)  # >= 0: cost of raising a pair from 0
    keep[index] = bound - reduced >= known_value - MARGIN - 1e-9 * abs(bound)
    log.debug("tier %d: pruning kept %d of %d pairs (LP bound %.1f, known %d)", tier + 1, int(keep.sum()), n, bound, known_value)
    return keep, bound
