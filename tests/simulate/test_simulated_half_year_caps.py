"""Half-year wijk caps in the simulator: the weekly proposals count the simulated placements of the half-year."""

from __future__ import annotations

from simhelpers import small

from matcher.input.spreading import half_year_of
from matcher.simulate.simulator import Simulation
from matcher.simulate.world import build_world


def _per_half_year(simulation: Simulation, weekly: list[int]) -> dict[tuple[object, object], int]:
    totals: dict[tuple[object, object], int] = {}
    for week, count in enumerate(weekly):
        half = half_year_of(simulation.scenario.week_date(week))
        totals[half] = totals.get(half, 0) + count
    return totals


def test_simulated_placements_stay_within_the_half_year_cap() -> None:
    """Over 30 weeks across 1 July, the busiest wijk without caps gets more than 3 households in a half-year;
    with a half-year cap of 3 it gets at most 3 in each half-year, and the cap starts afresh in July."""
    changes = {"horizon_weeks": 30, "inflow": {"koppelingen_per_week": 8.0}}
    free = Simulation(small(changes), build_world(small(changes), 0), 0, "optimise")
    free.run()
    busiest = max(sorted(free.by_neighbourhood_weekly), key=lambda name: sum(free.by_neighbourhood_weekly[name]))
    assert max(_per_half_year(free, free.by_neighbourhood_weekly[busiest]).values()) > 3
    capped_scenario = small(changes | {"policy": {"matcher": {"half_year_caps": {busiest: 3}}}})
    capped = Simulation(capped_scenario, build_world(capped_scenario, 0), 0, "optimise")
    capped.run()
    halves = _per_half_year(capped, capped.by_neighbourhood_weekly.get(busiest, [0] * 30))
    assert len(halves) == 2 and all(count <= 3 for count in halves.values()), halves
    assert sum(halves.values()) > 3  # the second half-year places there again
