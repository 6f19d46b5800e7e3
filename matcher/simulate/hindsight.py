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
- a shared place is one slot per bed, whatever the household's size;
- a temporary place has a slot at each stay limit and one in every week an occupant could
  leave it early (a family arriving that the place is too small for, the end of a stay held
  for the family, a household leaving the municipality's task), whether or not one does;
- moving on takes no home from first placements;
- only first placements count; nareizigers who join a housed household are not counted.
Every plan the simulator can follow fits in these slots, so the relaxed reference is never
below the exact optimum (``tests/simulate/test_hindsight_exact.py`` checks it on tiny worlds
against the exact one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from matcher.simulate.fairness import weeks_to_first
from matcher.simulate.hindsight_model import (
    MAX_COLUMNS,
    Measure,
    ModelTooLarge,
    Move,
    TailBound,
    build_model,
    eligibility,
    family_week,
    leave_weeks,
    persons_after,
)
from matcher.simulate.hindsight_replay import replay
from matcher.simulate.hindsight_solve import Infeasible, LpNotSolved, solve
from matcher.simulate.scenario import Scenario
from matcher.simulate.world import World, build_world

RELAXES = (
    "no declines",
    "no neighbourhood caps",
    "a shared place is one slot per bed",
    "a temporary place is free again at each stay limit and in every week an occupant could leave it early",
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
    """Eligibility (rules E2-E8, B1) before and after the family arrives; before it, a pair counts if it
    is eligible in any week (with the nareizigers due or, where their date is known and far, not)."""
    due, not_due, after = eligibility(scenario, world)
    before = due | not_due
    if scenario.policy.hold_for_family:
        waiting_for_family = world.declared > 0
        before[np.ix_(waiting_for_family, ~world.temporary)] = False
    return before, after


def _slots(
    scenario: Scenario, world: World, before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Home slots: (unit index, first week, last week) for each bed and each possible stay.

    A temporary place gets a slot at each stay limit after it appears (every ``stay -
    move_on_horizon_weeks`` weeks) and one at every week an occupant could leave it early:
    the week after a family arrives that the place is too small for (or, with
    ``hold_for_family``, after the family's arrival makes the household a mover), and the
    week a household may stop being the municipality's task. Each stay in the simulator then
    has a slot of its own that starts no later than the stay, so the assignment is a relaxation."""
    horizon = scenario.horizon_weeks
    family, leave = family_week(world, horizon), leave_weeks(world)
    grown = persons_after(world)[2]
    ready = np.maximum(world.arrival_week, world.documents_week)
    move_on = int(scenario.policy.matcher.get("move_on_horizon_weeks", 0) or 0)
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
            starts = list(range(start, horizon, max(1, stay - move_on)))
            # The households that could live here, in index order.
            who = np.flatnonzero((before[:, j] | after[:, j]) & (ready < horizon - 1))
            moved_in = np.maximum(ready[who], start)
            # Only a household that can live here before the week it leaves early frees the place then.
            leaves = (moved_in < leave[who]) & (leave[who] < horizon)
            outgrows = (
                before[who, j]
                & (moved_in < family[who])
                & (family[who] < horizon)
                & (bool(world.shared[j]) | (grown[who] > world.max_occupants[j]))
            )
            # Each household's leave week, then its family's week + 1: the order the weeks join the set in.
            weeks = np.stack((leave[who], family[who] + 1), axis=1)[np.stack((leaves, outgrows), axis=1)]
            early = set(weeks.tolist())
            if scenario.policy.hold_for_family:
                held = who[before[who, j] & (world.declared[who] > 0)]
                starts.extend(np.maximum(start, world.reunification_week[held] - move_on + 1).tolist())  # one per household
            starts.extend(week for week in early if start < week < horizon)
            starts = [week for week in starts if week < horizon]
            end = horizon - 1
        beds = int(world.beds[j]) if world.shared[j] else 1
        for s in starts:
            for _ in range(beds):
                unit.append(j)
                first.append(s)
                last.append(end)
    return np.array(unit, dtype=np.int64), np.array(first, dtype=np.int64), np.array(last, dtype=np.int64)


def hindsight_optimum(scenario: Scenario, world: World) -> Hindsight:
    """Solve the relaxed hindsight assignment for one replicate's world."""
    horizon = scenario.horizon_weeks
    before, after = _eligibility(scenario, world)
    slot_unit, slot_first, slot_last = _slots(scenario, world, before, after)
    if world.n_households == 0 or len(slot_unit) == 0:
        return Hindsight(0, 0, 0)
    coming = world.declared + world.extra
    persons_before = world.persons
    persons_later = persons_after(world)[2]
    ready = np.maximum(world.arrival_week, world.documents_week)[:, None]
    family = family_week(world, horizon)[:, None]
    week_before = np.maximum(ready, slot_first[None, :])
    ok_before = (week_before <= slot_last[None, :]) & (week_before < horizon) & (week_before < family) & before[:, slot_unit]
    value_before = np.where(ok_before, persons_before[:, None] * (horizon - week_before), 0)
    week_after = np.maximum(week_before, family)
    ok_after = (coming[:, None] > 0) & (week_after <= slot_last[None, :]) & (week_after < horizon) & after[:, slot_unit]
    value_after = np.where(ok_after, persons_later[:, None] * (horizon - week_after), 0)
    value = np.maximum(value_before, value_after)
    rows, cols = linear_sum_assignment(value, maximize=True)
    chosen = value[rows, cols] > 0
    rows, cols = rows[chosen], cols[chosen]
    placed_after = value_after[rows, cols] > value_before[rows, cols]
    persons = np.where(placed_after, persons_later[rows], persons_before[rows])
    return Hindsight(int(value[rows, cols].sum()), int(persons.sum()), len(rows))


class HindsightMismatch(AssertionError):
    """The simulator refused a plan of the exact model, or scored it differently: a bug, never a data problem."""


@dataclass(frozen=True)
class HindsightResult:
    """The exact hindsight optimum of one replicate, or the best plan found with a proven bound.

    ``value`` is the measure of the best plan found (None if none was found), ``bound`` what
    no plan can exceed, ``gap`` = (bound - value) / bound, ``status`` "optimal" (value ==
    bound), "feasible" (a plan, not proven best), "no_plan", "unsolved" (the LP did not
    finish in its time limit: neither plan nor bound), "too_large" (not attempted, see
    ``exact_hindsight``) or "not_modelled" (the policy has a rule the model does not hold,
    named in ``restrictions``). ``persons_housed``, ``households_placed`` and ``moves`` describe
    the plan found; other optimal plans can differ in them (the measure alone is optimised).
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
    tail_weeks: int | None = None  # the tail rule's T, if the programme had it
    wait_p90_weeks: float | None = None  # with the tail rule: the plan's 90th percentile of weeks to a first placement

    def to_json(self, timings: bool = True) -> dict[str, Any]:
        """The figures (the plan itself stays out: it is long and says the same as the simulator's run);
        without ``timings``, only what the same inputs always give."""
        figures = {
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
        }
        if self.tail_weeks is not None:
            figures.update(tail_weeks=self.tail_weeks, wait_p90_weeks=self.wait_p90_weeks)
        if timings:
            figures.update(build_s=round(self.build_s, 3), solve_s=round(self.solve_s, 3))
        return figures


def exact_hindsight(
    scenario: Scenario,
    replicate: int,
    *,
    measure: Measure = "objective",
    world: World | None = None,
    deterministic_time_s: float = 60.0,
    lp_time_limit_s: float = 1800.0,
    max_columns: int = MAX_COLUMNS,
    tail_weeks: int | None = None,
    declined_offers_count: bool = False,
) -> HindsightResult:
    """The exact hindsight optimum of one replicate (see ``hindsight_model.py`` for every rule).

    ``measure`` is ``objective`` (persons at first placement x weeks left, what "% of
    hindsight" compares) or ``persons_housed`` (persons housed over the horizon, nareizigers
    who join a housed household included). ``world`` saves drawing the replicate again.
    CP-SAT's ``deterministic_time_s`` bounds the search after the LP (all rounds together); a
    run that reaches it returns the best plan with its proven bound. A world whose programme
    would exceed ``max_columns`` household-home-weeks gets status "too_large" and no figures,
    before anything big is built. A policy with half-year wijk caps gets status "not_modelled"
    and no figures: the model holds the weekly caps, not the half-year ones. The plan is played
    back through the simulator, and :class:`HindsightMismatch` is raised if the simulator
    refuses it or scores it differently.

    With ``tail_weeks`` T the programme has the tail rule (rule 8 of ``hindsight_model.py``):
    at most a tenth of the households (``late_allowed``) wait more than T weeks to a first
    placement. Its optimum is then at least what any plan with a 90th percentile of weeks to a
    first placement of at most T reaches. With ``declined_offers_count`` the rule counts weeks
    to a first offer, a declined one included, and the optimum is an upper bound (exact where
    no offer is declined). Status "infeasible" says no plan keeps the rule; ``wait_p90_weeks``
    is the plan's own 90th percentile of weeks to a first placement.
    """
    world = world if world is not None else build_world(scenario, replicate)
    started = time.perf_counter()
    if scenario.policy.matcher.get("half_year_caps"):
        return HindsightResult(measure, None, None, None, "not_modelled", "none", 0, 0, 0, (), None, {},
                               ("half-year wijk caps (half_year_caps) are not in the exact model",),
                               time.perf_counter() - started, 0.0)  # fmt: skip
    tail = None if tail_weeks is None else TailBound(tail_weeks, declined_offers_count)
    try:
        model = build_model(scenario, world, replicate, measure, max_columns, tail)
    except ModelTooLarge as error:
        return HindsightResult(measure, None, None, None, "too_large", "none", 0, 0, 0, (), None,
                               {"potential_columns": error.columns, "limit": error.limit}, (),
                               time.perf_counter() - started, 0.0, tail_weeks)  # fmt: skip
    built = time.perf_counter()
    try:
        if model.tail_impossible:
            raise Infeasible("more households wait past the tail in every plan than the rule allows")
        solved = solve(model, deterministic_time_s, lp_time_limit_s)
    except LpNotSolved:
        return HindsightResult(measure, None, None, None, "unsolved", "highs-lp", 0, 0, 0, (), None, model.sizes(),
                               model.restrictions, built - started, time.perf_counter() - built, tail_weeks)  # fmt: skip
    except Infeasible:
        return HindsightResult(measure, None, None, None, "infeasible", "highs-lp+cp-sat", 0, 0, 0, (), None,
                               model.sizes(), model.restrictions, built - started, time.perf_counter() - built,
                               tail_weeks)  # fmt: skip
    solved_s = time.perf_counter() - built
    plan: tuple[Move, ...] = ()
    persons = households = moves = 0
    wait_p90: float | None = None
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
        if tail is not None:
            wait_p90 = _wait_p90(world, run.run.first_placement_week, scenario.horizon_weeks)
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
        tail_weeks=tail_weeks,
        wait_p90_weeks=wait_p90,
    )


def _wait_p90(world: World, first_place: list[int], horizon: int) -> float | None:
    """The 90th percentile of weeks from koppeling to a first placement (-1 for none), over the
    households that arrived, counted as ``matcher.simulate.fairness`` counts weeks to a first offer."""
    arrived = world.arrival_week < horizon
    if not arrived.any():
        return None
    waits = weeks_to_first(np.asarray(first_place, dtype=np.int64), world.koppeling_week, horizon)[arrived]
    return float(np.percentile(waits, 90))
