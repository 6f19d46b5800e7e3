"""Same seed, same results; common random numbers really shared; inflows as configured."""

from __future__ import annotations

import json

import numpy as np
from simhelpers import small

from matcher.simulate.montecarlo import run_scenario, run_task
from matcher.simulate.scenario import scenario_document
from matcher.simulate.world import build_world


def _without_timing(document: dict[str, object]) -> str:
    document = dict(document)
    document.pop("timing")
    per_replicate = [dict(r) for r in document["per_replicate"]]  # type: ignore[attr-defined]
    for row in per_replicate:
        row.pop("solve_s")
    document["per_replicate"] = per_replicate
    return json.dumps(document, sort_keys=True, default=str)


def test_same_seed_same_results_whatever_the_workers() -> None:
    """Two runs with one seed give identical figures, with one worker or two processes."""
    scenario = small()
    one = run_scenario(scenario, 3, workers=1).to_json()
    two = run_scenario(scenario, 3, workers=2).to_json()
    assert _without_timing(one) == _without_timing(two)


def test_other_seed_other_world() -> None:
    """A different scenario seed draws different arrivals (the seed is really used)."""
    a, b = build_world(small({"seed": 1}), 0), build_world(small({"seed": 2}), 0)
    assert a.arrival_week.tolist() != b.arrival_week.tolist() or a.appear_week.tolist() != b.appear_week.tolist()


def test_strategies_see_the_same_streams() -> None:
    """In one replicate the optimiser and FIFO see identical arrivals, vacancies and family arrivals, yet decide differently."""
    scenario = small({"horizon_weeks": 12})
    task = run_task(scenario_document(scenario), 0)
    optimise, fifo = task["runs"]
    assert optimise["extra"]["streams_seen"] == fifo["extra"]["streams_seen"]
    assert optimise["weekly"] != fifo["weekly"]


def test_streams_are_separate() -> None:
    """Changing the vacancy rate or the decline probability leaves the arrival stream untouched."""
    base = build_world(small(), 0)
    more_homes = build_world(small({"vacancies": {"statushouder_share": 0.2}, "decline_probability": 0.5}), 0)
    assert base.arrival_week.tolist() == more_homes.arrival_week.tolist()
    assert [r["household_id"] for r in base.household_rows] == [r["household_id"] for r in more_homes.household_rows]
    assert base.reunification_week.tolist() == more_homes.reunification_week.tolist()
    assert base.n_units != more_homes.n_units


def test_inflow_statistics_match_configuration() -> None:
    """Over many weeks the drawn koppelingen, household sizes, nareizigers and vacancies match their configured rates."""
    scenario = small(
        {
            "horizon_weeks": 520,
            "start": {"include_units": False},
            "inflow": {"koppelingen_per_week": 6.0, "household_sizes": {1: 0.5, 3: 0.3, 5: 0.2}},
            "vacancies": {"social_per_week": 50, "statushouder_share": 0.1, "flex_per_week": 1.0},
        }
    )
    world = build_world(scenario, 0)
    new = world.arrival_week > 0
    weeks = scenario.horizon_weeks - 1  # week 0 holds the start pool only
    assert abs(new.sum() / weeks - 6.0) < 0.25
    sizes = world.persons[new]
    for size, share in {1: 0.5, 3: 0.3, 5: 0.2}.items():
        assert abs((sizes == size).mean() - share) < 0.03
    singles = sizes == 1
    expects = world.declared[new] > 0
    assert abs(expects[singles].mean() - 0.42) < 0.04
    delays = (world.reunification_week - world.arrival_week)[new & (world.declared > 0)]
    assert abs(delays.mean() - 26.5) < 2.0  # gamma mean 26, rounded up to whole weeks
    kinds = np.array(world.kind)
    assert abs((kinds == "social").sum() / scenario.horizon_weeks - 5.0) < 0.3
    assert abs((kinds == "flex").sum() / scenario.horizon_weeks - 1.0) < 0.15
