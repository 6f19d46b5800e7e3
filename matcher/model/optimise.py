"""The optimiser: the lexicographically optimal proposal, by min-cost flow and, where needed, CP-SAT.

The optimiser honours the fixed pairs first, then solves what is left. Whatever is a
network flow (the default: shared places hold one household size each) goes to the exact
lexicographic flow solver on the aggregated network; parts with shared places that mix
household sizes (a knapsack) are split off as independent components and go to CP-SAT.

Ties are broken by one more tier of scores from ``matcher.model.tiebreak``; within groups
of households that are interchangeable for every term, households in id order take units
in id order.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from matcher.model.network import FlowState, solve_aggregated
from matcher.model.prepare import Prepared, kept_values
from matcher.model.residual import Residual, residual
from matcher.model.solution import Solution, finish, ranked_values
from matcher.model.terms import tier_weights
from matcher.model.tiebreak import tie_break_scores
from matcher.rules.arrays import BoolArray, IntArray

if TYPE_CHECKING:
    from matcher.model import cpsat


def _profile_persons(prep: Prepared, res: Residual) -> tuple[IntArray, IntArray, IntArray]:
    """Per unit profile: smallest, largest and total persons of open eligible households."""
    s, h = prep.structure, prep.households
    n_p = s.eligible.shape[0]
    count = np.bincount(s.household_profile[res.open_household], minlength=n_p)
    persons = h.persons[s.household_rep].astype(np.int64)
    # Only the profiles with open households, by persons: the first eligible one is the smallest,
    # the last the largest (no integer copy of the whole eligibility matrix).
    rows = np.flatnonzero(count > 0)
    rows = rows[np.argsort(persons[rows], kind="stable")]
    eligible = s.eligible[rows]
    n_q = s.eligible.shape[1]
    any_row = eligible.any(axis=0)
    low = np.full(n_q, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.zeros(n_q, dtype=np.int64)
    if len(rows):
        low[any_row] = persons[rows][eligible.argmax(axis=0)][any_row]
        high[any_row] = persons[rows][len(rows) - 1 - eligible[::-1].argmax(axis=0)][any_row]
    total = np.zeros(n_q, dtype=np.int64)
    weight = persons[rows] * count[rows]
    for start in range(0, len(rows), 256):
        total += weight[start : start + 256] @ eligible[start : start + 256].astype(np.int64)
    return low, high, total


def _flow_capacity(prep: Prepared, res: Residual) -> tuple[IntArray, BoolArray, IntArray]:
    """Households a unit can take in the flow, the shared units whose beds form a knapsack,
    and the largest eligible household per unit."""
    u, s = prep.units, prep.structure
    low, high, total = _profile_persons(prep, res)
    q = s.unit_profile
    capacity = np.where(u.shared, 0, res.unit_left).astype(np.int64)
    beds = res.unit_left
    slack = u.shared & (total[q] <= beds)
    uniform = u.shared & ~slack & (low[q] == high[q])
    capacity[slack] = np.minimum(total[q][slack], beds[slack])  # at most one per person, never binding
    capacity[uniform] = beds[uniform] // np.maximum(low[q][uniform], 1)
    knapsack = u.shared & res.open_unit & ~slack & ~uniform & (high[q] > 0)
    return capacity, knapsack, high[q]


def _components(prep: Prepared, res: Residual) -> tuple[IntArray, IntArray, int]:
    """Component label per household and per unit, over the profile graph (households, profiles, units, capped wijken)."""
    from scipy.sparse import coo_matrix  # only the knapsack path needs SciPy's graph code: keep start-up fast
    from scipy.sparse.csgraph import connected_components

    s, u = prep.structure, prep.units
    n_h, n_u = s.n_households, s.n_units
    n_p, n_q = s.eligible.shape
    n_nb = len(prep.codes.neighbourhoods)
    base_p, base_q, base_u, base_nb = n_h, n_h + n_p, n_h + n_p + n_q, n_h + n_p + n_q + n_u
    open_h = np.flatnonzero(res.open_household)
    open_u = np.flatnonzero(res.open_unit)
    p_used = np.zeros(n_p, dtype=bool)
    p_used[s.household_profile[open_h]] = True
    q_used = np.zeros(n_q, dtype=bool)
    q_used[s.unit_profile[open_u]] = True
    pi, qi = np.nonzero(s.eligible & p_used[:, None] & q_used[None, :])
    capped = open_u[res.cap_left[u.neighbourhood[open_u]] >= 0]
    rows = np.concatenate((open_h, base_u + open_u, base_p + pi, base_u + capped))
    cols = np.concatenate((base_p + s.household_profile[open_h], base_q + s.unit_profile[open_u], base_q + qi,
                           base_nb + u.neighbourhood[capped]))  # fmt: skip
    size = base_nb + n_nb
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    return labels[:n_h].astype(np.int64), labels[base_u : base_u + n_u].astype(np.int64), int(count)


def optimise(prep: Prepared, engine: str = "auto") -> Solution:
    """The lexicographically optimal proposal (or the best found within the time limit).

    Shared places that mix household sizes make the problem a knapsack. They are first
    bounded by two flows: a relaxation (a bed per household, whatever its size) and a
    restriction (room for the largest eligible household each time). When the relaxation
    is feasible, or both give the same tier values, that flow is optimal. Otherwise the
    components holding such places go to CP-SAT, started from the restriction's answer.

    ``engine="cpsat"`` sends everything to CP-SAT; tests and benchmarks use it to check
    the flow solver against an independent model.
    """
    started = time.perf_counter()
    policy = prep.policy
    deadline = time.monotonic() + policy.time_limit_s
    res = residual(prep)
    capacity, knapsack, largest = _flow_capacity(prep, res)
    all_open_h = np.flatnonzero(res.open_household)
    n_tiers = len(prep.parts)
    method = "min-cost-flow"

    if engine != "cpsat" and not knapsack.any():
        kept: list[FlowState] = []
        ph, pu = _flow(prep, res, all_open_h, capacity, kept)
        solution = finish(prep, [ph], [pu], [0] * n_tiers, True, method, started, 1, 0)
        solution.flow_state = kept[0] if kept else None  # none when no household or no unit is open
        return solution

    restricted_h = restricted_u = np.zeros(0, dtype=np.int64)
    if engine != "cpsat":
        relaxed = capacity.copy()
        relaxed[knapsack] = res.unit_left[knapsack]
        rh, ru = _flow(prep, res, all_open_h, relaxed)
        if _beds_respected(prep, res, rh, ru):
            return finish(prep, [rh], [ru], [0] * n_tiers, True, method, started, 1, 0)
        restricted_h, restricted_u = _best_restriction(prep, res, all_open_h, capacity, knapsack, largest)
        if ranked_values(prep, restricted_h, restricted_u) == ranked_values(prep, rh, ru):
            return finish(prep, [restricted_h], [restricted_u], [0] * n_tiers, True, method, started, 1, 0)

    from matcher.model import cpsat, pruning  # CP-SAT and the LP only for knapsack parts: keep start-up fast

    h_label, u_label, n_components = _components(prep, res)
    if engine == "cpsat":
        cp_labels = sorted(set(h_label[res.open_household].tolist()))
    else:
        cp_labels = sorted(set(u_label[knapsack].tolist()))
    on_cpsat_h = np.isin(h_label, cp_labels) & res.open_household
    on_cpsat_u = np.isin(u_label, cp_labels) & res.open_unit
    chosen_h: list[IntArray] = []
    chosen_u: list[IntArray] = []
    if len(restricted_h):
        # Outside the knapsack components the restriction changed nothing: keep its pairs.
        keep = ~on_cpsat_h[restricted_h]
        chosen_h.append(restricted_h[keep])
        chosen_u.append(restricted_u[keep])
    gap = [0] * n_tiers
    optimal = True
    hint_codes = restricted_h * max(prep.structure.n_units, 1) + restricted_u
    for label in cp_labels:
        hh, uu = prep.structure.expand(on_cpsat_h & (h_label == label), on_cpsat_u & (u_label == label))
        if len(hh) == 0:
            continue
        component = _component(prep, res, hh, uu)
        hint = np.isin(hh * max(prep.structure.n_units, 1) + uu, hint_codes).astype(np.int64)
        if engine != "cpsat":
            # Drop the pairs the first tier's LP rules out before building the CP-SAT model.
            keep, _ = pruning.prune(component, np.ones(len(hh), dtype=bool), 0, [], int(np.dot(hint, component.tiers[0])))
            hh, uu, hint = hh[keep], uu[keep], hint[keep]
            component = _component(prep, res, hh, uu)
        result = cpsat.solve_component(component, policy.seed, deadline, hint, lp_pruning=engine != "cpsat")
        chosen_h.append(hh[result.chosen])
        chosen_u.append(uu[result.chosen])
        for k in range(n_tiers):
            gap[k] += result.tiers[k].bound - result.tiers[k].value
            optimal = optimal and result.tiers[k].optimal
    method = "cp-sat" if engine == "cpsat" else "min-cost-flow+cp-sat"
    return finish(prep, chosen_h, chosen_u, gap, optimal, method, started, n_components, len(cp_labels))


def _best_restriction(
    prep: Prepared, res: Residual, households: IntArray, capacity: IntArray, knapsack: BoolArray, largest: IntArray
) -> tuple[IntArray, IntArray]:
    """A good feasible answer from two restrictions that make the knapsack a flow again:
    room for the largest eligible household each time, or single persons only."""
    roomy = capacity.copy()
    roomy[knapsack] = res.unit_left[knapsack] // np.maximum(largest[knapsack], 1)
    a = _flow(prep, res, households, roomy)
    s = prep.structure
    singles_only = s.eligible.copy()
    knapsack_profiles = np.unique(s.unit_profile[knapsack])
    too_big = prep.households.persons[s.household_rep] > 1
    singles_only[np.ix_(too_big, knapsack_profiles)] = False
    beds = capacity.copy()
    beds[knapsack] = res.unit_left[knapsack]
    b = _flow(replace(prep, structure=replace(s, eligible=singles_only)), res, households, beds)
    return a if ranked_values(prep, *a) >= ranked_values(prep, *b) else b


def _flow(
    prep: Prepared, res: Residual, households: IntArray, capacity: IntArray, keep: list[FlowState] | None = None
) -> tuple[IntArray, IntArray]:
    units = np.flatnonzero(res.open_unit & (capacity > 0))
    if len(households) == 0 or len(units) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return solve_aggregated(
        households, units, capacity[units], res.cap_left, prep.structure, prep.parts, prep.tie_household, prep.tie_unit,
        prep.households, prep.units, prep.policy, prep.preferred, prep.preference_lists,
        prep.previous_unit if prep.stable else None, keep,
    )  # fmt: skip


def _beds_respected(prep: Prepared, res: Residual, household: IntArray, unit: IntArray) -> bool:
    shared = prep.units.shared[unit]
    load = np.bincount(unit[shared], weights=prep.households.persons[household[shared]], minlength=prep.structure.n_units)
    return bool((load <= res.unit_left).all())


def _component(prep: Prepared, res: Residual, hh: IntArray, uu: IntArray) -> cpsat.Component:
    from matcher.model import cpsat

    u, h = prep.units, prep.households
    caps: list[tuple[IntArray, int]] = []
    nbh = u.neighbourhood[uu]
    for code in np.unique(nbh).tolist():
        cap = int(res.cap_left[code])
        if cap >= 0:
            caps.append((np.flatnonzero(nbh == code), cap))
    shared_units = {int(x) for x in np.unique(uu).tolist() if u.shared[x]}
    tiers = tier_weights(prep.policy, hh, uu, h, u, prep.preferred)
    tie = tie_break_scores(hh, uu, h, u, prep.policy.seed)
    kept = [kept_values(prep, hh, uu)] if prep.stable else []
    return cpsat.Component(
        pair_household=hh,
        pair_unit=uu,
        persons=h.persons[hh],
        unit_beds={x: int(res.unit_left[x]) for x in shared_units},
        neighbourhood_caps=caps,
        tiers=[*tiers, *kept, tie],
    )
