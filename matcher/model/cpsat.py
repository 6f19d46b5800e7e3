"""CP-SAT for what breaks the network structure: shared places with mixed household sizes.

One Boolean per eligible pair of the component. Tiers are solved in order: maximise tier
k, then hold it at the value reached (equal when proven optimal, at least that value
otherwise) and go on, each solve hinted with the previous solution. One worker and a
fixed seed make the search repeatable; the final tie-break tier makes the answer unique
in practice, so the proposal does not depend on the search path.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from matcher.model import pruning
from matcher.rules.arrays import IntArray

log = logging.getLogger(__name__)

TIE_BREAK_BUDGET_S = 2.0


@dataclass(frozen=True)
class Component:
    """One independent part of the problem, in local terms."""

    pair_household: IntArray  # household index of each pair
    pair_unit: IntArray
    persons: IntArray  # per pair: persons of its household
    unit_beds: dict[int, int]  # shared unit -> beds left
    neighbourhood_caps: list[tuple[IntArray, int]]  # (pair positions, cap left)
    tiers: list[IntArray]  # per tier, the value of each pair (maximised)


@dataclass
class TierResult:
    value: int
    bound: int
    optimal: bool


@dataclass
class ComponentResult:
    chosen: IntArray
    tiers: list[TierResult] = field(default_factory=list)


def solve_component(
    component: Component, seed: int, deadline: float, hint: IntArray | None = None, lp_pruning: bool = False
) -> ComponentResult:
    """Lexicographic CP-SAT solve of one component within the wall-clock deadline.

    ``hint`` (0/1 per pair) is a known feasible solution, e.g. from the flow solver on a
    restriction of the problem; the search starts from it, so the answer is never worse.
    With ``lp_pruning`` every tier first solves its LP relaxation: pairs that cannot
    reach the hint's value are fixed to 0 (reduced-cost fixing) and the LP bound is
    stated as a constraint, so CP-SAT closes the tier as soon as a solution reaches it.
    """
    n = len(component.pair_household)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(n)]
    assert not x or x[-1].index == n - 1  # pair i is variable i (see _set_maximise)

    # A1: a household gets at most one unit.
    for positions in _groups(component.pair_household):
        if len(positions) > 1:
            model.add_at_most_one(x[i] for i in positions)
    # A2/A3: a non-shared unit one household; a shared unit at most its beds in persons.
    for unit, positions in zip(*_keyed_groups(component.pair_unit), strict=True):
        if unit in component.unit_beds:
            beds = component.unit_beds[unit]
            if int(component.persons[positions].sum()) > beds:
                model.add(sum(component.persons[i].item() * x[i] for i in positions) <= beds)
        elif len(positions) > 1:
            model.add_at_most_one(x[i] for i in positions)
    # A4: households placed in a capped neighbourhood stay within the cap.
    for positions, cap in component.neighbourhood_caps:
        if len(positions) > cap:
            model.add(sum(x[i] for i in positions) <= cap)

    result = ComponentResult(chosen=np.zeros(0, dtype=np.int64))
    hint = np.zeros(n, dtype=np.int64) if hint is None else hint.astype(np.int64)
    active = np.ones(n, dtype=bool)
    held: list[tuple[IntArray, int]] = []
    for index, weights in enumerate(component.tiers):
        lp_bound: int | None = None
        if lp_pruning:
            left = deadline - time.monotonic()
            keep, relaxed = pruning.prune(component, active, index, held, int(np.dot(hint, weights)), left)
            _fix_to_zero(model, np.flatnonzero(active & ~keep))
            active &= keep
            if relaxed is not None:
                lp_bound = math.floor(relaxed + 1e-6)
                _add_linear(model, weights, None, lp_bound)
        if lp_bound is not None and int(np.dot(hint, weights)) == lp_bound:
            # The known solution reaches the LP bound: it is optimal for this tier.
            result.tiers.append(TierResult(value=lp_bound, bound=lp_bound, optimal=True))
            held.append((weights, lp_bound))
            _add_linear(model, weights, lp_bound, lp_bound)
            continue
        _set_hint(model, hint)
        _set_maximise(model, weights)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.linearization_level = 2
        # Deterministic time keeps a run that hits the limit repeatable; wall time is a safety net.
        budget = max(0.05, deadline - time.monotonic())
        if index == len(component.tiers) - 1 and index > 0:
            budget = min(budget, TIE_BREAK_BUDGET_S)  # the tie-break needs no proof, only repeatability
        solver.parameters.max_deterministic_time = budget
        solver.parameters.max_time_in_seconds = 3 * budget
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = np.asarray(solver.response_proto.solution, dtype=np.int64)[:n]
            # Keep whichever is lexicographically better on this tier and the ones after it.
            rest = component.tiers[index:]
            if [int(np.dot(found, w)) for w in rest] >= [int(np.dot(hint, w)) for w in rest]:
                hint = found
        value = int(np.dot(hint, weights))
        optimal = status == cp_model.OPTIMAL
        bound = value if optimal else max(value, math.floor(solver.best_objective_bound + 1e-6))
        if lp_bound is not None:
            bound = max(value, min(bound, lp_bound))
            optimal = optimal or value == lp_bound
        held.append((weights, value))
        result.tiers.append(TierResult(value=value, bound=bound, optimal=optimal))
        log.debug("cp-sat tier: status %s value %d bound %d", solver.status_name(status), value, bound)
        # Hold this tier at what was reached before optimising the next one.
        _add_linear(model, weights, value, value if optimal else None)
    result.chosen = np.flatnonzero(hint)
    return result


# The pair variables are the model's first n variables, so variable i is pair i. Objectives,
# hints and tier constraints over all of them are written into the model's proto directly:
# through the expression API they cost seconds per tier on 300,000 pairs.


def _set_maximise(model: cp_model.CpModel, weights: IntArray) -> None:
    """Maximise the weighted sum of the pair variables (CP-SAT minimises coefficients x scaling -1)."""
    model.clear_objective()  # type: ignore[no-untyped-call]
    used = np.flatnonzero(weights)
    objective = model.proto.objective
    objective.vars.extend(used.tolist())
    objective.coeffs.extend((-weights[used]).tolist())
    objective.scaling_factor = -1.0


def _set_hint(model: cp_model.CpModel, hint: IntArray) -> None:
    """Start the search from this 0/1 value of every pair variable."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    model.proto.solution_hint.vars.extend(range(len(hint)))
    model.proto.solution_hint.values.extend(hint.tolist())


def _add_linear(model: cp_model.CpModel, weights: IntArray, low: int | None, high: int | None) -> None:
    """low <= weighted sum of the pair variables <= high (None: unbounded on that side)."""
    used = np.flatnonzero(weights)
    if len(used) == 0:
        return
    limit = np.iinfo(np.int64)
    constraint = model.proto.constraints.add().linear
    constraint.vars.extend(used.tolist())
    constraint.coeffs.extend(weights[used].tolist())
    constraint.domain.extend([limit.min if low is None else low, limit.max if high is None else high])


def _fix_to_zero(model: cp_model.CpModel, pairs: IntArray) -> None:
    """Pairs that cannot be chosen: their variable's domain becomes {0}."""
    for i in pairs.tolist():
        domain = model.proto.variables[i].domain
        domain.clear()
        domain.extend([0, 0])


def _groups(keys: IntArray) -> list[IntArray]:
    return _keyed_groups(keys)[1]


def _keyed_groups(keys: IntArray) -> tuple[list[int], list[IntArray]]:
    if len(keys) == 0:
        return [], []
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    groups = np.split(order, cuts)
    return [int(keys[g[0]]) for g in groups], groups
