"""Hindsight references: the best a replicate allows with every arrival and vacancy known.

The weekly engine decides without knowing next week. As a reference, this module places
the same replicate's households into the same replicate's homes with the whole horizon
known in advance, maximising the measure the simulation reports as ``objective``: persons
at first placement times the weeks of the horizon left (persons housed, weighted by how
early). There are two references:

- ``exact_hindsight``: the time-expanded problem with every rule the simulator's week
  enforces (``hindsight_model.py``), solved to proven optimality or with a proven bound
  and its gap (``hindsight_solve.py``), its plan played back through the simulator
  (``hindsight_replay.py``). This is the reference a strategy's "% of hindsight" means.
- ``hindsight_optimum``: the relaxed reference below, one assignment solved in a blink.
  It drops declines, caps, beds, moves and most of what the stay limits do, so it can lie
  far above what any plan reaches; it is kept beside the exact one for comparison.

**The relaxed reference.**

Its time-expanded problem (household, home slot, week) collapses to one assignment: a
pair's value only falls with the week, and a household and a slot are each used once, so
each pair is best placed in the earliest week both are there (and the household's
documents are complete), in the household's make-up of that week, or after the family has
arrived if that is eligible and worth more. One household-by-slot assignment solved exactly
(``scipy.optimize.linear_sum_assignment``) therefore gives the optimum of its time-expanded
problem.

What it relaxes (so it is a reference, not a plan):
- nobody declines an offer;
- neighbourhood caps are ignored;
- a shared place is one slot per bed;
- a temporary place is free again exactly when a stay reaches its limit (one slot per
  possible stay), and moves out of permanent homes do not take homes from first placements;
- only first placements count; nareizigers who join a housed household are not counted.
A strategy whose occupants leave temporary places early (to move on when their family
arrives) can therefore occasionally score slightly above 100%.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from matcher.simulate.hindsight_model import Measure, Move, build_model
from matcher.simulate.hindsight_replay import replay
from matcher.simulate.hindsight_solve import LpNotSolved, solve
from matcher.simulate.scenario import Scenario
from matcher.simulate.weekly import eligible_over_horizon
from matcher.simulate.world import NEVER, World, build_world

RELAXES = (
    "no declines",
    "no neighbourhood caps",
    "a shared place is one slot per bed",
    "temporary places are reused exactly at each stay limit",
    "moves do not compete with first placements",
    "only first placements count",
)


@dataclass(frozen=True)
class Hindsight:
    """The hindsight optimum of one replicate."""

    objective: int
    persons_placed: int
    households_placed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "persons_placed": self.persons_placed,
            "households_placed": self.households_placed,
            "relaxes": list(RELAXES),
        }


def _eligibility(scenario: Scenario, world: World) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Eligibility (rules E1-E8, documents left to the week logic) before and after the family arrives."""
    coming = world.declared + world.extra
    rows: list[dict[str, Any]] = []
    position: dict[tuple[int, int], int] = {}  # (household, state) -> row
    for i, base in enumerate(world.household_rows):
        for state in (0, 1):
            adults, children = int(world.adults[i]), int(world.children[i])
            if state == 1:
                extra = int(coming[i])
                if extra == 0:
                    continue
                if adults == 1:
                    adults, children = 2, children + extra - 1
                else:
                    children += extra
            position[i, state] = len(rows)
            rows.append(
                {
                    **base,
                    "household_id": f"{base['household_id']}#{state}",
                    "adults": adults,
                    "children": children,
                    "expected_reunification": int(world.declared[i]) if state == 0 else 0,
                }
            )
    eligible = eligible_over_horizon(scenario, rows, world.unit_rows)
    before = eligible[[position[i, 0] for i in range(world.n_households)]]
    after = before.copy()
    for (i, state), row in position.items():
        if state == 1:
            after[i] = eligible[row]
    if scenario.policy.hold_for_family:
        waiting_for_family = world.declared > 0
        before[np.ix_(waiting_for_family, ~world.temporary)] = False
    return before, after


def _slots(scenario: Scenario, world: World) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Home slots: (unit index, first week, last week) for each bed and each possible stay."""
    horizon = scenario.horizon_weeks
    unit, first, last = [], [], []
    for j in range(world.n_units):
        start = int(world.appear_week[j])
        if start >= horizon:
            continue
        if not world.temporary[j]:
            starts = [start]
            end = start + scenario.vacancies.offer_weeks - 1
        else:
            stay = scenario.stays.flex_weeks if world.unit_rows[j]["unit_type"] == "flex" else scenario.stays.transit_weeks
            starts = list(range(start, horizon, stay))
            end = horizon - 1
        beds = int(world.beds[j]) if world.shared[j] else 1
        for s in starts:
            for _ in range(beds):
                unit.append(j)
                first.append(s)
                last.append(end)
    return np.array(unit, dtype=np.int64), np.array(first, dtype=np.int64), np.array(last, dtype=np.int64)


def hindsight_optimum(scenario: Scenario, world: World) -> Hindsight:
    """Solve the hindsight assignment for one replicate's world."""
    horizon = scenario.horizon_weeks
    before, after = _eligibility(scenario, world)
    slot_unit, slot_first, slot_last = _slots(scenario, world)
    if world.n_households == 0 or len(slot_unit) == 0:
        return Hindsight(0, 0, 0)
    coming = world.declared + world.extra
    persons_before = world.persons
    persons_after = persons_before + coming
    ready = np.maximum(world.arrival_week, world.documents_week)[:, None]
    family = np.where(coming > 0, world.reunification_week, NEVER)[:, None]
    week_before = np.maximum(ready, slot_first[None, :])
    ok_before = (week_before <= slot_last[None, :]) & (week_before < horizon) & (week_before < family) & before[:, slot_unit]
    value_before = np.where(ok_before, persons_before[:, None] * (horizon - week_before), 0)
    week_after = np.maximum(week_before, family)
    ok_after = (coming[:, None] > 0) & (week_after <= slot_last[None, :]) & (week_after < horizon) & after[:, slot_unit]
    value_after = np.where(ok_after, persons_after[:, None] * (horizon - week_after), 0)
    value = np.maximum(value_before, value_after)
    rows, cols = linear_sum_assignment(value, maximize=True)
    chosen = value[rows, cols] > 0
    rows, cols = rows[chosen], cols[chosen]
    placed_after = value_after[rows, cols] > value_before[rows, cols]
    persons = np.where(placed_after, persons_after[rows], persons_before[rows])
    return Hindsight(int(value[rows, cols].sum()), int(persons.sum()), len(rows))


class HindsightMismatch(AssertionError):
    """The simulator refused a plan of the exact model, or scored it differently: a bug, never a data problem."""


@dataclass(frozen=True)
class HindsightResult:
    """The exact hindsight optimum of one replicate, or the best plan found with a proven bound.

    ``value`` is the measure of the best plan found (None if none was found), ``bound`` what
    no plan can exceed, ``gap`` = (bound - value) / bound, ``status`` "optimal" (value ==
    bound), "feasible" (a plan, not proven best), "no_plan", or "unsolved" (the LP did not
    finish in its time limit: neither plan nor bound). ``persons_housed``,
    ``households_placed`` and ``moves`` describe the plan found; other optimal plans can
    differ in them (the measure alone is optimised).
    """

    measure: str
    value: int | None
    bound: int | None
    gap: float | None
    status: str
    method: str
    persons_housed: int
    households_placed: int
    moves: int
    plan: tuple[Move, ...]
    lp_bound: float | None
    model_size: dict[str, int]
    restrictions: tuple[str, ...]
    build_s: float
    solve_s: float

    def to_json(self) -> dict[str, Any]:
        """The figures (the plan itself stays out: it is long and says the same as the simulator's run)."""
        return {
            "measure": self.measure,
            "value": self.value,
            "bound": self.bound,
            "gap": self.gap,
            "status": self.status,
            "method": self.method,
            "persons_housed": self.persons_housed,
            "households_placed": self.households_placed,
            "moves": self.moves,
            "lp_bound": self.lp_bound,
            "model_size": self.model_size,
            "restrictions": list(self.restrictions),
            "build_s": round(self.build_s, 3),
            "solve_s": round(self.solve_s, 3),
        }


def exact_hindsight(
    scenario: Scenario,
    replicate: int,
    *,
    measure: Measure = "objective",
    world: World | None = None,
    deterministic_time_s: float = 60.0,
    lp_time_limit_s: float = 1800.0,
) -> HindsightResult:
    """The exact hindsight optimum of one replicate (see ``hindsight_model.py`` for every rule).

    ``measure`` is ``objective`` (persons at first placement x weeks left, what "% of
    hindsight" compares) or ``persons_housed`` (persons housed over the horizon, nareizigers
    who join a housed household included). ``world`` saves drawing the replicate again.
    CP-SAT's ``deterministic_time_s`` bounds the search after the LP; a run that reaches it
    returns the best plan with its proven bound. The plan is played back through the
    simulator, and :class:`HindsightMismatch` is raised if the simulator refuses it or scores it
    differently.
    """
    world = world if world is not None else build_world(scenario, replicate)
    started = time.perf_counter()
    model = build_model(scenario, world, replicate, measure)
    built = time.perf_counter()
    try:
        solved = solve(model, deterministic_time_s, lp_time_limit_s)
    except LpNotSolved:
        return HindsightResult(measure, None, None, None, "unsolved", "highs-lp", 0, 0, 0, (), None, model.sizes(),
                               model.restrictions, built - started, time.perf_counter() - built)  # fmt: skip
    solved_s = time.perf_counter() - built
    plan: tuple[Move, ...] = ()
    persons = households = moves = 0
    if solved.x is not None:
        plan = tuple(model.plan(solved.x))
        run = replay(scenario, world, replicate, list(plan))
        reached = run.objective if measure == "objective" else run.persons_housed
        if run.problems or reached != solved.value:
            raise HindsightMismatch(
                f"replicate {replicate}: the simulator made {reached} of the plan worth {solved.value}; "
                + "; ".join(run.problems[:5])
            )
        persons = run.persons_housed
        households = sum(1 for step in plan if step.kind == "first")
        moves = len(plan) - households
    return HindsightResult(
        measure=measure,
        value=solved.value,
        bound=solved.bound,
        gap=solved.gap,
        status=solved.status,
        method=solved.method,
        persons_housed=persons,
        households_placed=households,
        moves=moves,
        plan=plan,
        lp_bound=None if solved.lp_bound is None else round(solved.lp_bound, 6),
        model_size=model.sizes(),
        restrictions=model.restrictions,
        build_s=built - started,
        solve_s=solved_s,
    )
