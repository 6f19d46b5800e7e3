"""The lookahead strategy: its weekly terms come from the scenario's forecast, never from the replicate's future."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from simhelpers import small

from matcher.input.instance import Instance
from matcher.model.prepare import prepare
from matcher.simulate.forecast import scenario_forecast
from matcher.simulate.montecarlo import run_scenario, run_task
from matcher.simulate.scenario import Scenario, parse_scenario, scenario_document
from matcher.simulate.simulator import Simulation
from matcher.simulate.world import NEVER, IntArray, World, build_world

WEEK = 3


class _Recording(Simulation):
    """The lookahead strategy, keeping each week's engine instance."""

    def __init__(self, scenario: Scenario, world: World) -> None:
        super().__init__(scenario, world, 0, "lookahead", arrays=False)  # through instances, to keep them
        self.instances: dict[int, Instance] = {}

    def week_instance(self, week: int, pool: IntArray, units: IntArray) -> Instance:
        instance = super().week_instance(week, pool, units)
        self.instances[week] = instance
        return instance


def _terms_at(scenario: Scenario, world: World, week: int) -> tuple[list[str], dict[str, Any], list[int]]:
    """Run the lookahead strategy up to ``week`` and return that week's pool, fluid model and look-ahead terms."""
    simulation = _Recording(scenario, world)
    for w in range(week + 1):
        simulation.step(w)
    prep = prepare(simulation.instances[week])
    table = prep.preferred.lookahead
    assert table is not None
    h = np.repeat(np.arange(len(prep.households.ids)), len(prep.units.ids))
    u = np.tile(np.arange(len(prep.units.ids)), len(prep.households.ids))
    return prep.households.ids, table.model.to_json(), table.values(h, u).tolist()


def _other_future(world: World, week: int) -> World:
    """The same world up to ``week``; afterwards no homes come free and every new koppeling is a family of six."""
    later_units = world.appear_week > week
    later_households = world.arrival_week > week
    return replace(
        world,
        appear_week=np.where(later_units, NEVER, world.appear_week),
        adults=np.where(later_households, 2, world.adults),
        children=np.where(later_households, 4, world.children),
    )


def test_weekly_terms_do_not_read_the_replicate_future() -> None:
    """Changing what the replicate's future holds (no vacancies at all after week 3, every later koppeling a
    family of six) leaves week 3's pool, fluid model and look-ahead terms exactly as they were."""
    scenario = small({"strategies": ["lookahead", "fifo"]})
    world = build_world(scenario, 0)
    assert (world.appear_week > WEEK).sum() > 3 and (world.arrival_week > WEEK).sum() > 3
    before = _terms_at(scenario, world, WEEK)
    after = _terms_at(scenario, _other_future(world, WEEK), WEEK)
    assert before == after
    assert any(v < 0 for v in before[2]), "no pair has a look-ahead cost: the test would prove nothing"


def test_weekly_terms_follow_the_forecast() -> None:
    """The same week with another forecast (the scenario's rates of homes and koppelingen changed) gives other
    terms, so the test above can fail."""
    scenario = small({"strategies": ["lookahead", "fifo"]})
    world = build_world(scenario, 0)
    other = parse_scenario(
        {**scenario_document(scenario), "inflow": {**scenario_document(scenario)["inflow"], "koppelingen_per_week": 20.0}}
    )
    assert _terms_at(scenario, world, WEEK)[1] != _terms_at(other, world, WEEK)[1]


def test_forecast_is_the_scenario_rates() -> None:
    """The forecast's koppelingen and homes a week add up to the scenario's rates, and a batch of homes due
    within the window is spread over the window's weeks."""
    scenario = small(
        {"events": [{"kind": "add_units", "date": "2025-03-31", "count": 8, "neighbourhood": "Lankforst", "max_occupants": 2}]}
    )
    forecast = scenario_forecast(scenario, 0, 8)
    assert sum(x["per_week"] for x in forecast["households"]) == pytest.approx(scenario.inflow.koppelingen_per_week)
    v = scenario.vacancies
    expected = v.social_per_week * v.statushouder_share + v.flex_per_week + v.transit_per_week + v.shared_per_week + 8 / 8
    assert sum(x["per_week"] for x in forecast["units"]) == pytest.approx(expected)
    assert sum(x["per_week"] for x in scenario_forecast(scenario, 5, 8)["units"]) == pytest.approx(expected - 1)


def test_forecast_matches_the_drawn_arrivals() -> None:
    """Over many replicates the drawn koppelingen per make-up match the forecast's rates (the forecast restates
    how the world draws them, without reading any world)."""
    scenario = small({"horizon_weeks": 30, "inflow": {"koppelingen_per_week": 6.0}})
    rates = {(x["persons"], x["expected_reunification"]): x["per_week"] for x in scenario_forecast(scenario, 0, 8)["households"]}
    counts: dict[tuple[int, int], int] = {}
    weeks = 0
    for replicate in range(40):
        world = build_world(scenario, replicate)
        new = world.arrival_week > 0
        weeks += scenario.horizon_weeks - 1  # week 0 is the start pool
        for persons, declared in zip(world.persons[new].tolist(), world.declared[new].tolist(), strict=True):
            counts[(persons, declared)] = counts.get((persons, declared), 0) + 1
    for key in [(1, 0), (1, 1), (4, 0)]:
        observed = counts.get(key, 0) / weeks
        assert observed == pytest.approx(rates[key], rel=0.15), key


def test_lookahead_runs_are_deterministic_and_compared() -> None:
    """The same replicate run twice gives the same figures; the result compares the look-ahead with FIFO and with
    today's engine, and its fairness figures count every household once for all three strategies."""
    scenario = small({"strategies": ["lookahead", "optimise", "fifo"], "horizon_weeks": 6})
    first = run_task(scenario_document(scenario), 1)
    again = run_task(scenario_document(scenario), 1)
    for task in (first, again):
        task.pop("seconds"), task.pop("timings")
    for task in (first, again):
        for run in task["runs"]:
            run.pop("solve_s")
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)  # NaN-safe
    arrived = int((build_world(scenario, 1).arrival_week < scenario.horizon_weeks).sum())
    for strategy, figures in first["fairness"].items():
        assert figures["all"]["all"]["households"] == arrived, strategy
        for grouping, groups in figures.items():
            assert sum(g["households"] for g in groups.values()) == arrived, (strategy, grouping)
    result = run_scenario(scenario, 2).to_json()
    assert {"lookahead_minus_fifo", "optimise_minus_fifo", "lookahead_minus_optimise"} <= set(result["comparison"])
    assert "lookahead_minus_fifo" in result["fairness"]["groupings"]["household_size"]["1"]


def test_bad_lookahead_objective_names_the_field() -> None:
    """A typo in the lookahead strategy's objective is reported with its field path."""
    from matcher.errors import InputError

    with pytest.raises(InputError) as error:
        small({"policy": {"lookahead": {"objective": [{"look_ahead": 2}]}}})
    assert error.value.problems[0].column == "policy.lookahead.objective[0]"
