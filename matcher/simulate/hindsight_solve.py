"""Solving the exact hindsight programme: an LP bound first, then CP-SAT on what the bound leaves open.

1. **The LP relaxation** (HiGHS interior point through SciPy, with crossover) gives a
   solution and dual values. The bound is recomputed from the dual values themselves
   (Lagrangian duality: for any duals ``y``, no solution is worth more than
   ``y.b + sum(max(0, c - A'y) * upper)``), so it holds whatever the LP's tolerances.
2. If the LP solution is integral, it is a plan worth the bound: proven optimal.
3. Otherwise **reduced-cost fixing**: a column whose reduced cost exceeds ``delta`` keeps its
   LP value in every plan worth more than ``bound - delta``. CP-SAT (one worker, a fixed
   seed and a deterministic time limit, so a run is repeatable) solves the programme over
   the columns left free. If its plan is worth at least what any plan breaking a fixing
   could be worth, it is optimal; otherwise ``delta`` grows and CP-SAT runs again.

``solve_cpsat`` and ``solve_milp`` solve the whole programme with one solver each, without
the LP stage: the tests compare them with each other and with brute force.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matcher.simulate.hindsight_model import HindsightModel

FloatArray = npt.NDArray[np.float64]
SEED = 1


@dataclass(frozen=True)
class Solved:
    """A solver's answer: the best plan found (a 0/1 vector) and a proven upper bound."""

    status: str  # optimal, feasible (a plan and a bound with a gap), no_plan (see also Infeasible)
    x: FloatArray | None
    value: int | None
    bound: int
    method: str
    lp_bound: float | None = None
    free_columns: int | None = None
    cpu_s: float = 0.0

    @property
    def gap(self) -> float | None:
        """(bound - value) / bound; 0 when proven optimal."""
        if self.value is None:
            return None
        return 0.0 if self.bound <= 0 else (self.bound - self.value) / self.bound


class LpNotSolved(RuntimeError):
    """The LP relaxation stopped without an optimum (time limit): there is no bound to report."""


class Infeasible(RuntimeError):
    """No plan keeps every row (possible only with the tail rule, which asks for placements)."""


def _split(model: HindsightModel) -> tuple[Any, Any, Any, Any, npt.NDArray[np.bool_]]:
    equal = model.row_lower == model.row_upper
    if np.any(~equal & np.isfinite(model.row_lower)):
        raise ValueError("the hindsight programme has only <= rows and equalities")
    a = model.matrix.tocsr()
    return a[~equal], model.row_upper[~equal], a[equal], model.row_upper[equal], equal


def dual_bound(model: HindsightModel, duals: FloatArray) -> float:
    """The Lagrangian bound of any dual vector (>= 0 on <= rows, free on equalities)."""
    equal = model.row_lower == model.row_upper
    y = np.where(equal, duals, np.maximum(duals, 0.0))
    reduced = model.cost - model.matrix.T @ y
    return float(y @ model.row_upper + np.maximum(reduced, 0.0) @ model.upper)


def solve_lp(model: HindsightModel, time_limit_s: float = 1800.0) -> tuple[FloatArray, float, FloatArray]:
    """The LP relaxation: (solution, bound from its duals, duals)."""
    a_ub, b_ub, a_eq, b_eq, equal = _split(model)
    result = linprog(
        -model.cost.astype(float),
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=np.column_stack([np.zeros(model.n_columns), model.upper]),
        method="highs-ipm",
        options={"time_limit": time_limit_s},
    )
    if result.status == 2:
        raise Infeasible("no plan keeps every row: the relaxation has no solution")
    if result.status != 0:
        raise LpNotSolved(f"the hindsight LP stopped: {result.message}")
    duals = np.zeros(model.n_rows)
    if a_ub.shape[0]:
        duals[~equal] = -np.asarray(result.ineqlin.marginals)
    if a_eq.shape[0]:
        duals[equal] = -np.asarray(result.eqlin.marginals)
    return np.asarray(result.x, dtype=float), dual_bound(model, duals), duals


def _integral(x: FloatArray) -> bool:
    return bool(np.all(np.abs(x - np.rint(x)) <= 1e-6))


def solve(model: HindsightModel, deterministic_time_s: float = 60.0, lp_time_limit_s: float = 1800.0) -> Solved:
    """The LP bound, then CP-SAT on the columns it leaves free (see the module docstring)."""
    started = time.process_time()
    if model.n_columns == 0:
        return Solved("optimal", np.zeros(0), 0, 0, "empty")
    x, bound_lp, duals = solve_lp(model, lp_time_limit_s)
    bound = math.floor(bound_lp + 1e-6)
    if _integral(x) and model.feasible(np.rint(x)) and model.value(np.rint(x)) >= bound:
        plan = np.rint(x)
        return Solved(
            "optimal", plan, model.value(plan), model.value(plan), "highs-lp", bound_lp, 0, time.process_time() - started
        )
    equal = model.row_lower == model.row_upper
    reduced = model.cost - model.matrix.T @ np.where(equal, duals, np.maximum(duals, 0.0))
    best: _Found | None = None
    delta = 1.0
    budget = deterministic_time_s  # for all CP-SAT rounds together
    while True:
        # Columns whose reduced cost exceeds delta keep their LP side (0, or the upper bound) ...
        fixed = np.full(model.n_columns, -1.0)
        fixed[reduced < -delta] = 0.0
        fixed[reduced > delta] = model.upper[reduced > delta]
        free = int(np.sum(fixed < 0))
        hint = best.x if best is not None and best.x is not None else np.rint(x)
        found = _cpsat(model, fixed, hint, budget)
        budget = max(0.0, budget - found.deterministic_s)
        if found.x is not None and (best is None or found.value > best.value):
            best = found
        # ... because a plan that breaks a fixing is worth less than bound_lp - delta.
        beyond = math.ceil(bound_lp - delta - 1e-6) - 1 if free < model.n_columns else -1
        method = "highs-lp+cp-sat"
        if found.status == "infeasible" and best is None and free == model.n_columns:
            raise Infeasible("no plan keeps every row: CP-SAT proved it over every column")
        if found.status == "optimal" and best is not None and best.value >= beyond:
            return Solved("optimal", best.x, best.value, best.value, method, bound_lp, free, time.process_time() - started)
        if found.status in ("feasible", "unknown") or free == model.n_columns or budget <= 0:
            # Out of time on the free columns: the best plan, and the best bound proven.
            top = min(bound, max(found.bound, beyond))
            value = best.value if best is not None else None
            if value is not None:
                top = max(top, value)
            status = "no_plan" if best is None else ("optimal" if value == top else "feasible")
            return Solved(status, best.x if best else None, value, top, method, bound_lp, free, time.process_time() - started)
        # Proven on the free columns but not beyond them (or the fixings leave no plan): free more.
        delta = max(4 * delta, bound_lp - best.value + 1.0) if best is not None else 4 * delta


@dataclass(frozen=True)
class _Found:
    status: str  # optimal, feasible, infeasible, unknown
    x: FloatArray | None
    value: int
    bound: int
    deterministic_s: float = 0.0


def _cpsat(model: HindsightModel, fixed: FloatArray, hint: FloatArray, budget: float) -> _Found:
    """CP-SAT over the columns not fixed (``fixed`` < 0 marks a free column)."""
    free = np.flatnonzero(fixed < 0)
    held = np.flatnonzero(fixed >= 0)
    a = model.matrix.tocsc()
    constant = a[:, held] @ fixed[held]
    offset = round(float(model.cost[held] @ fixed[held]))
    sub = a[:, free].tocsr()
    cp = cp_model.CpModel()
    variables = [
        cp.new_bool_var(f"x{j}") if model.upper[j] == 1 else cp.new_int_var(0, int(model.upper[j]), f"x{j}")
        for j in free.tolist()
    ]
    for r in range(model.n_rows):
        lo, hi = sub.indptr[r], sub.indptr[r + 1]
        low = model.row_lower[r] - constant[r]
        high = model.row_upper[r] - constant[r]
        if lo == hi:
            if low > 1e-9 or high < -1e-9:
                return _Found("infeasible", None, 0, -1)  # the fixings break this row
            continue
        expr = cp_model.LinearExpr.weighted_sum([variables[k] for k in sub.indices[lo:hi].tolist()],
                                                [int(v) for v in sub.data[lo:hi].tolist()])  # fmt: skip
        if np.isfinite(low):
            cp.add(expr >= math.ceil(low - 1e-9))
        cp.add(expr <= math.floor(high + 1e-9))
    cp.maximize(cp_model.LinearExpr.weighted_sum(variables, [int(w) for w in model.cost[free].tolist()]))
    for var, value in zip(variables, hint[free].tolist(), strict=True):
        cp.add_hint(var, round(value))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = SEED
    solver.parameters.linearization_level = 2
    solver.parameters.max_deterministic_time = budget
    solver.parameters.max_time_in_seconds = 10 * budget  # a safety net; the deterministic limit decides
    status = solver.solve(cp)
    spent = float(solver.response_proto.deterministic_time)
    if status == cp_model.INFEASIBLE:
        return _Found("infeasible", None, 0, -1, spent)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Found("unknown", None, 0, math.floor(solver.best_objective_bound + 1e-6) + offset, spent)
    x = fixed.copy()
    x[free] = [solver.value(v) for v in variables]
    name = "optimal" if status == cp_model.OPTIMAL else "feasible"
    return _Found(name, x, model.value(x), math.floor(solver.best_objective_bound + 1e-6) + offset, spent)


def solve_cpsat(model: HindsightModel, deterministic_time_s: float = 60.0) -> Solved:
    """CP-SAT alone on the whole programme (one worker, deterministic time limit)."""
    started = time.process_time()
    if model.n_columns == 0:
        return Solved("optimal", np.zeros(0), 0, 0, "empty")
    found = _cpsat(model, np.full(model.n_columns, -1.0), np.zeros(model.n_columns), deterministic_time_s)
    if found.x is None:
        raise RuntimeError(f"CP-SAT found no plan ({found.status}), not even the empty one")
    optimal = found.status == "optimal"
    bound = found.value if optimal else max(found.value, found.bound)
    return Solved("optimal" if optimal else "feasible", found.x, found.value, bound, "cp-sat", None, None,
                  time.process_time() - started)  # fmt: skip


def solve_milp(model: HindsightModel, time_limit_s: float = 600.0) -> Solved:
    """HiGHS branch and bound (``scipy.optimize.milp``) alone on the whole programme."""
    started = time.process_time()
    if model.n_columns == 0:
        return Solved("optimal", np.zeros(0), 0, 0, "empty")
    constraints = LinearConstraint(sparse.csr_matrix(model.matrix), model.row_lower, model.row_upper)
    result = milp(
        -model.cost.astype(float),
        constraints=constraints,
        integrality=np.ones(model.n_columns),
        bounds=Bounds(np.zeros(model.n_columns), model.upper.astype(float)),
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        raise RuntimeError(f"HiGHS found no plan: {result.message}")
    x = np.rint(result.x)
    value = model.value(x)
    bound = math.floor(-float(result.mip_dual_bound) + 1e-6) if result.mip_dual_bound is not None else value
    optimal = result.status == 0
    return Solved("optimal" if optimal else "feasible", x, value, value if optimal else max(value, bound), "highs-mip",
                  None, None, time.process_time() - started)  # fmt: skip
