"""The relaxed hindsight's home slots equal the slot rule written out household by household.

``hindsight._slots`` finds the weeks an occupant could leave a temporary place early with
array operations per place; the reference below states the same rule one household at a
time. The slots' order matters (the assignment breaks ties by column), so the test compares
the three arrays element by element, on every example scenario, with and without
``hold_for_family``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcher.simulate.hindsight import _eligibility, _slots
from matcher.simulate.hindsight_model import family_week, leave_weeks, persons_after
from matcher.simulate.scenario import Scenario, load_scenario
from matcher.simulate.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))


def _reference_slots(
    scenario: Scenario, world: World, before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]
) -> tuple[list[int], list[int], list[int]]:
    """The slot rule, one household at a time (see ``hindsight._slots``)."""
    horizon = scenario.horizon_weeks
    family, leave = family_week(world, horizon), leave_weeks(world)
    grown = persons_after(world)[2]
    ready = np.maximum(world.arrival_week, world.documents_week)
    move_on = int(scenario.policy.matcher.get("move_on_horizon_weeks", 0) or 0)
    unit: list[int] = []
    first: list[int] = []
    last: list[int] = []
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
            early: set[int] = set()
            for i in np.flatnonzero(before[:, j] | after[:, j]).tolist():
                if ready[i] >= horizon - 1:
                    continue
                if max(int(ready[i]), start) < leave[i] < horizon:
                    early.add(int(leave[i]))
                if not before[i, j]:
                    continue
                if max(int(ready[i]), start) < family[i] < horizon and (world.shared[j] or grown[i] > world.max_occupants[j]):
                    early.add(int(family[i]) + 1)
                if scenario.policy.hold_for_family and world.declared[i] > 0:
                    starts.append(max(start, int(world.reunification_week[i]) - move_on + 1))
            starts.extend(week for week in early if start < week < horizon)
            starts = [week for week in starts if week < horizon]
            end = horizon - 1
        beds = int(world.beds[j]) if world.shared[j] else 1
        for s in starts:
            for _ in range(beds):
                unit.append(j)
                first.append(s)
                last.append(end)
    return unit, first, last


@pytest.mark.parametrize("hold", [False, True], ids=["as-given", "hold-for-family"])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_slots_equal_the_household_by_household_rule(path: Path, hold: bool) -> None:
    """Two replicates of each example scenario: the same slots, in the same order, as the reference."""
    scenario = load_scenario(path)
    scenario = scenario.model_copy(update={"policy": scenario.policy.model_copy(update={"hold_for_family": hold})})
    slots = 0
    for replicate in (0, 1):
        world = build_world(scenario, replicate)
        before, after = _eligibility(scenario, world)
        got = _slots(scenario, world, before, after)
        expected = _reference_slots(scenario, world, before, after)
        for a, b in zip(got, expected, strict=True):
            assert a.tolist() == b
        slots += len(expected[0])
    assert slots > 0
