"""The weekly KPIs add up and follow their definitions."""

from __future__ import annotations

import datetime as dt

from simhelpers import small

from matcher.simulate.simulator import Simulation, run_replicate
from matcher.simulate.world import build_world


def test_placements_per_neighbourhood_add_up_to_placements() -> None:
    """Per week, placements per wijk sum to all placements; over the horizon they equal the end totals."""
    scenario = small({"horizon_weeks": 10})
    run = run_replicate(scenario, build_world(scenario, 0), 0, "optimise")
    for week in range(10):
        assert sum(series[week] for series in run.placements_by_neighbourhood_weekly.values()) == run.weekly["placements"][week]
    assert {n: sum(s) for n, s in run.placements_by_neighbourhood_weekly.items()} == run.placements_by_neighbourhood


def test_taakstelling_carries_backlog_and_head_start() -> None:
    """At a new half year the target is the old target minus what was housed plus the half-year taakstelling."""
    scenario = small({"horizon_weeks": 8, "start": {"date": "2025-06-09"}, "taakstelling": {"persons_per_half_year": 50}})
    run = run_replicate(scenario, build_world(scenario, 0), 0, "fifo")
    dates = [scenario.week_date(w) for w in range(8)]
    first_new = next(w for w, d in enumerate(dates) if d >= dt.date(2025, 7, 1))
    before = first_new - 1
    expected = run.weekly["taakstelling_target"][before] - run.weekly["taakstelling_housed"][before] + 50
    assert run.weekly["taakstelling_target"][first_new] == expected
    assert run.weekly["taakstelling_housed"][first_new] == run.weekly["persons_housed"][first_new]


def test_waiting_times_and_pool_follow_the_households() -> None:
    """The pool counts arrived households without a first home; the median wait is the median of their weeks since koppeling."""
    scenario = small({"horizon_weeks": 3})
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "fifo")
    for week in range(3):
        simulation.step(week)
    world = simulation.world
    waiting = (world.arrival_week <= 2) & (simulation.status == 0)
    assert simulation.weekly["pool_households"][-1] == int(waiting.sum())
    waits = sorted((2 - world.koppeling_week[waiting]).tolist())
    middle = len(waits) // 2
    median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
    assert simulation.weekly["wait_median_weeks"][-1] == median
