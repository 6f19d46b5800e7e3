"""Scenario events and simulation policies do what the four questions need."""

from __future__ import annotations

import numpy as np
from simhelpers import small

from matcher.simulate.simulator import PERMANENT, TEMPORARY, Simulation
from matcher.simulate.world import build_world


def test_add_units_event_puts_the_homes_in_the_right_week_and_place() -> None:
    """50 flexwoningen at Lankforst dated in week 3 appear in week 3, as temporary flex homes."""
    scenario = small({"events": [{"kind": "add_units", "date": "2025-03-24", "count": 50, "neighbourhood": "Lankforst"}]})
    world = build_world(scenario, 0)
    batch = [j for j, row in enumerate(world.unit_rows) if row["unit_id"].startswith("E01-")]
    assert len(batch) == 50
    assert set(world.appear_week[batch].tolist()) == {3}
    assert {world.neighbourhood[j] for j in batch} == {"Lankforst"}
    assert world.temporary[batch].all() and {world.kind[j] for j in batch} == {"flex"}


def test_nareizigers_wave_brings_families_into_the_window() -> None:
    """A wave of 30 nareizigers in weeks 1-4 moves at least 30 persons' arrival into that window, and no more than needed."""
    event = {"kind": "nareizigers", "start": "2025-03-10", "end": "2025-03-31", "persons": 30}
    before = build_world(small(), 0)
    after = build_world(small({"events": [event]}), 0)
    coming = after.declared + after.extra
    moved = after.reunification_week != before.reunification_week
    assert ((after.reunification_week[moved] >= 1) & (after.reunification_week[moved] <= 4)).all()
    assert coming[moved].sum() >= 30
    assert coming[moved].sum() - coming[moved].max() < 30
    assert before.arrival_week.tolist() == after.arrival_week.tolist()


def test_hold_for_family_keeps_waiting_families_out_of_permanent_homes() -> None:
    """With hold_for_family, no household whose declared family has not come lives in a permanent home, any week."""
    scenario = small({"horizon_weeks": 12, "policy": {"hold_for_family": True}, "vacancies": {"transit_per_week": 2.0}})
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
    expecting = simulation.world.declared > 0
    placed_temporary = 0
    for week in range(scenario.horizon_weeks):
        simulation.step(week)
        waiting_for_family = expecting & ~simulation.family_arrived
        assert not (waiting_for_family & (simulation.status == PERMANENT)).any()
        placed_temporary += int((waiting_for_family & (simulation.status == TEMPORARY)).sum())
    assert placed_temporary > 0  # the rule was exercised, not vacuous


def test_without_hold_families_to_come_do_get_permanent_homes() -> None:
    """The same world without hold_for_family places some households expecting family in permanent homes (E5 allowing)."""
    scenario = small({"horizon_weeks": 12, "vacancies": {"transit_per_week": 2.0}})
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
    seen = 0
    for week in range(scenario.horizon_weeks):
        simulation.step(week)
        seen += int(((simulation.world.declared > 0) & ~simulation.family_arrived & (simulation.status == PERMANENT)).sum())
    assert seen > 0


def test_stay_limit_sends_households_on() -> None:
    """A household in a temporary place past its stay limit is waiting to move (or has moved), without hold_for_family."""
    scenario = small({"horizon_weeks": 12, "stays": {"transit_weeks": 2, "flex_weeks": 2}})
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "fifo")
    for week in range(scenario.horizon_weeks):
        simulation.step(week)
        overstayed = (simulation.status == TEMPORARY) & (simulation.stay_end <= week)
        assert simulation.needs_move[overstayed].all()
    assert simulation.weekly["moves_cum"][-1] > 0


def test_half_social_homes_means_fewer_social_vacancies() -> None:
    """Halving the statushouder share halves the drawn social vacancies (over a long horizon), nothing else."""
    long = {"horizon_weeks": 300, "start": {"include_units": False}}
    full = build_world(small(long), 0)
    half = build_world(small({**long, "vacancies": {"statushouder_share": 0.04}}), 0)
    social_full = int((np.array(full.kind) == "social").sum())
    social_half = int((np.array(half.kind) == "social").sum())
    assert abs(social_half / social_full - 0.5) < 0.08
