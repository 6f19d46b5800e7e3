"""Nobody is lost or counted twice: persons and homes are accounted for every week."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simhelpers import small

from matcher.simulate.simulator import PERMANENT, WAITING, ConservationError, Simulation
from matcher.simulate.world import build_world


def _run_checked(simulation: Simulation) -> None:
    """Run week by week and check, after every week, the identity the report relies on."""
    world = simulation.world
    for week in range(simulation.scenario.horizon_weeks):
        simulation.step(week)
        arrived = world.arrival_week <= week
        persons = simulation.adults + simulation.children
        expected = int(world.persons[arrived].sum()) + int(
            (world.declared + world.extra)[arrived & simulation.family_arrived].sum()
        )
        assert int(persons[arrived].sum()) == expected
        assert simulation.weekly["pool_persons"][-1] + int(persons[arrived & (simulation.status != WAITING)].sum()) == expected
        # Every housed household lives in a home that has come on offer and is not gone back to the market.
        homes = simulation.home[arrived & (simulation.status != WAITING)]
        assert (simulation.unit_state[homes] != 0).all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    strategy=st.sampled_from(["optimise", "fifo"]),
    decline=st.sampled_from([0.0, 0.3]),
    hold=st.booleans(),
)
def test_persons_conserved_every_week(seed: int, strategy: str, decline: float, hold: bool) -> None:
    """Waiting plus housed persons equal everyone arrived (households and nareizigers), every week, in any setting."""
    scenario = small({"seed": seed, "decline_probability": decline, "policy": {"hold_for_family": hold}})
    world = build_world(scenario, 0)
    _run_checked(Simulation(scenario, world, 0, strategy))


def test_check_detects_a_lost_person() -> None:
    """The weekly check fails when a housed household's persons disappear from the books."""
    scenario = small()
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
    simulation._arrivals(0)
    simulation._vacancies(0)
    simulation._accept(0, simulation._propose(0))
    simulation._check(0)
    housed = int(np.flatnonzero(simulation.status == PERMANENT)[0])
    simulation.children[housed] += 1  # somebody appears from nowhere
    with pytest.raises(ConservationError):
        simulation._check(0)


def test_check_detects_a_doubly_let_home() -> None:
    """The weekly check fails when two households are put in one non-shared home."""
    scenario = small()
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
    simulation._arrivals(0)
    simulation._vacancies(0)
    simulation._accept(0, simulation._propose(0))
    housed = np.flatnonzero(simulation.status == PERMANENT)
    simulation.home[housed[1]] = simulation.home[housed[0]]
    with pytest.raises(ConservationError):
        simulation._check(0)
