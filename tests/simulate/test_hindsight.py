"""The hindsight optimum: exact on the time-expanded problem it defines, and an upper reference."""

from __future__ import annotations

import itertools

import numpy as np
from simhelpers import small

from matcher.simulate.hindsight import hindsight_optimum
from matcher.simulate.montecarlo import run_task
from matcher.simulate.scenario import scenario_document
from matcher.simulate.world import NEVER, World


def _tiny_world(arrival: list[int], persons: list[int], appear: list[int], max_occ: list[int], family: list[int]) -> World:
    n, m = len(arrival), len(appear)
    rows = [
        {"household_id": f"H{i}", "municipality": "Nijmegen", "koppeling_date": "2025-03-03", "gender": "M",
         "head_age": 30, "vulnerabilities": "", "preferred_neighbourhoods": ""}
        for i in range(n)
    ]  # fmt: skip
    units = [
        {"unit_id": f"U{j}", "municipality": "Nijmegen", "neighbourhood": "Hees", "corporation": "", "unit_type": "social",
         "temporary": "false", "shared": "false", "bedrooms": 2, "min_occupants": 1, "max_occupants": max_occ[j],
         "rent": "500.00", "step_free": "false", "wheelchair": "false", "gender": "", "lgbtiq_safe": "false",
         "support": "false"}
        for j in range(m)
    ]  # fmt: skip
    coming = np.array(family, dtype=np.int64)
    return World(
        household_rows=rows,
        arrival_week=np.array(arrival, dtype=np.int64),
        koppeling_week=np.array(arrival, dtype=np.int64),
        adults=np.ones(n, dtype=np.int64),
        children=np.array(persons, dtype=np.int64) - 1,
        declared=np.zeros(n, dtype=np.int64),
        extra=coming,
        reunification_week=np.where(coming > 0, 2, NEVER),
        documents_week=np.zeros(n, dtype=np.int64),
        unit_rows=units,
        appear_week=np.array(appear, dtype=np.int64),
        kind=["social"] * m,
        temporary=np.zeros(m, dtype=bool),
        shared=np.zeros(m, dtype=bool),
        beds=np.ones(m, dtype=np.int64),
        max_occupants=np.array(max_occ, dtype=np.int64),
        neighbourhood=["Hees"] * m,
    )


def _brute_force(world: World, horizon: int, offer_weeks: int) -> int:
    """Every household-home-week assignment enumerated, with the family arriving in week 2 (if the household is there)."""
    n, m = world.n_households, world.n_units
    best = 0
    for choice in itertools.product(range(-1, m), repeat=n):
        used = [c for c in choice if c >= 0]
        if len(used) != len(set(used)):
            continue
        total = 0
        for i, j in enumerate(choice):
            if j < 0:
                continue
            value = 0
            for week in range(max(world.arrival_week[i], world.appear_week[j]), min(horizon, world.appear_week[j] + offer_weeks)):
                joined = world.arrival_week[i] <= world.reunification_week[i] <= week  # a family joins only after arrival
                persons = int(world.persons[i]) + (int(world.extra[i]) if joined else 0)
                if persons <= world.max_occupants[j]:
                    value = max(value, persons * (horizon - week))
            total += value
        best = max(best, total)
    return best


def test_hindsight_equals_brute_force_on_small_worlds() -> None:
    """On tiny worlds the assignment's value equals exhaustive search over households, homes and weeks."""
    scenario = small({"horizon_weeks": 6, "vacancies": {"offer_weeks": 2}})
    rng = np.random.default_rng(0)
    for _ in range(8):
        n, m = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        world = _tiny_world(
            arrival=rng.integers(0, 4, size=n).tolist(),
            persons=rng.integers(1, 4, size=n).tolist(),
            appear=rng.integers(0, 5, size=m).tolist(),
            max_occ=rng.integers(1, 5, size=m).tolist(),
            family=rng.integers(0, 3, size=n).tolist(),
        )
        assert hindsight_optimum(scenario, world).objective == _brute_force(world, 6, 2)


def test_waiting_for_the_family_can_be_worth_more() -> None:
    """A home that fits only the grown family is used after the family arrives, at the larger size."""
    scenario = small({"horizon_weeks": 6, "vacancies": {"offer_weeks": 6}})
    world = _tiny_world(arrival=[0], persons=[1], appear=[0], max_occ=[4], family=[3])
    result = hindsight_optimum(scenario, world)
    assert result.objective == 4 * (6 - 2)  # four persons from week 2 beat one person from week 0
    assert result.persons_placed == 4


def test_engine_and_fifo_stay_below_hindsight() -> None:
    """On a generated replicate both strategies score above zero and at most the hindsight optimum."""
    scenario = small({"horizon_weeks": 10, "decline_probability": 0.0})
    task = run_task(scenario_document(scenario), 0)
    optimum = task["hindsight"]["objective"]
    scores = {r["strategy"]: r["objective"] for r in task["runs"]}
    assert 0 < scores["fifo"] <= optimum
    assert 0 < scores["optimise"] <= optimum
