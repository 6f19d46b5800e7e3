"""The simulator moves households by the case rules of ``matcher.case``: its journal replayed
through those rules alone gives the same cases, places and taakstelling; a mover is never
"moved" into the place it lives in; households that leave leave the books; the day a family
arrives is known ahead as the scenario says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from simhelpers import small

from matcher.case import (
    Accepted,
    Case,
    DocumentsComplete,
    Event,
    FamilyArrived,
    FamilyExpected,
    Ledger,
    Left,
    MovedIn,
    MovedOut,
    OfferRefused,
    apply,
)
from matcher.simulate.journal import Entry
from matcher.simulate.simulator import LEFT, Simulation, half_year_start
from matcher.simulate.world import build_world

BUSY = {
    "horizon_weeks": 20,
    "decline_probability": 0.2,
    "inflow": {"leave_share_per_year": 0.3, "reunification": {"date_known_weeks": 3}},
    "policy": {"movers_to_permanent_only": False},
}


def _event(entry: Entry) -> Event | None:
    """The case event a journal entry records (None for what is not an event of a household)."""
    data, day = entry.data, entry.date
    match entry.kind:
        case "accept":
            assert entry.unit_id is not None
            return Accepted(day, entry.unit_id)
        case "offer_refused":
            return OfferRefused(day, data["reason"])
        case "moved_in":
            until = data["temporary_until"]
            return MovedIn(day, dt.date.fromisoformat(until) if until else None)
        case "moved_out":
            return MovedOut(day)
        case "family_arrived":
            return FamilyArrived(day, adults=data["adults"], children=data["children"])
        case "family_expected":
            return FamilyExpected(day, dt.date.fromisoformat(data["expected"]))
        case "documents_complete":
            return DocumentsComplete(day)
        case "left":
            return Left(day, data["reason"])
    return None


def _replay(simulation: Simulation, journal: list[Entry]) -> tuple[dict[str, Case], Ledger, dict[dt.date, int]]:
    """Every entry of the journal applied through ``matcher.case`` alone, from the rows the
    koppelingen were imported with; returns the cases, the ledger and persons counted per half year."""
    cases: dict[str, Case] = {}
    ledger = Ledger(simulation.places)
    counted: dict[dt.date, int] = {}
    rows = {str(row["household_id"]): row for row in simulation.world.household_rows}
    for entry in journal:
        if entry.kind == "koppeling":
            assert entry.household_id is not None
            row: dict[str, Any] = {**rows[entry.household_id], **entry.data}
            cases[entry.household_id] = Case(
                household_id=entry.household_id,
                koppeling_date=dt.date.fromisoformat(row["koppeling_date"]),
                adults=row["adults"],
                children=row["children"],
                expected_reunification=row["expected_reunification"],
                documents_complete=row["documents_complete"],
                expected_arrival_date=row["expected_arrival_date"],
            )
            continue
        if entry.kind == "withdrawn":
            assert entry.unit_id is not None
            ledger.withdraw(entry.unit_id)
            continue
        event = _event(entry)
        if event is None:
            continue
        assert entry.household_id is not None
        transition = apply(cases[entry.household_id], event, simulation.places)
        ledger.apply(entry.household_id, transition.effects)
        cases[entry.household_id] = transition.case
        half = half_year_start(entry.date)
        counted[half] = counted.get(half, 0) + transition.effects.persons_counted
    return cases, ledger, counted


@pytest.mark.parametrize("strategy", ["optimise", "fifo"])
@pytest.mark.parametrize("hold", [False, True])
def test_the_journal_replayed_through_the_case_rules_gives_the_same_year(strategy: str, hold: bool) -> None:
    """A busy half year (declines, households leaving, movers into any place, known family
    dates, with and without holding families in temporary places): its journal replayed
    through ``matcher.case`` alone ends in exactly the simulator's cases and ledger, and
    counts exactly the simulator's persons housed per half year."""
    scenario = small({**BUSY, "seed": 11, "policy": {**BUSY["policy"], "hold_for_family": hold}})
    simulation = Simulation(scenario, build_world(scenario, 0), 0, strategy, record=True)
    result = simulation.run()
    assert simulation.journal is not None
    kinds = {entry.kind for entry in simulation.journal}
    assert {"koppeling", "unit", "run", "accept", "moved_in", "moved_out", "offer_refused", "left"} <= kinds
    assert {"family_arrived", "family_expected", "withdrawn"} <= kinds
    cases, ledger, counted = _replay(simulation, simulation.journal)
    assert cases == {case.household_id: case for case in simulation.cases if case is not None}
    assert ledger.holders == simulation.ledger.holders and ledger.withdrawn == simulation.ledger.withdrawn
    per_half: dict[dt.date, int] = {}
    for week, persons in enumerate(result.weekly["persons_housed"]):
        half = half_year_start(scenario.week_date(week))
        per_half[half] = per_half.get(half, 0) + int(persons)
    assert {k: v for k, v in counted.items() if v} == {k: v for k, v in per_half.items() if v}


def test_a_mover_is_never_moved_into_the_place_it_lives_in() -> None:
    """Movers allowed into temporary places: the engine is told where each mover lives
    (``current_unit_id``), so no move leaves a household where it was (a shared place with
    free beds is not offered to those who already live there)."""
    for seed in (1, 2, 3):
        scenario = small({"seed": seed, "horizon_weeks": 26, "policy": {"movers_to_permanent_only": False}})
        simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
        moves = 0
        for week in range(scenario.horizon_weeks):
            home, placements = simulation.home.copy(), simulation.placements.copy()
            simulation.step(week)
            moved = np.flatnonzero((placements > 0) & (simulation.placements > placements))
            assert (simulation.home[moved] != home[moved]).all(), (seed, week)
            moves += len(moved)
        assert moves > 0


def test_households_that_leave_leave_the_books() -> None:
    """With a third leaving within a year: households leave while waiting or in a temporary
    place (which is on offer again), are never placed after it, and the weekly books hold."""
    scenario = small({"horizon_weeks": 26, "inflow": {"leave_share_per_year": 0.3}})
    world = build_world(scenario, 0)
    assert world.leave_week is not None
    simulation = Simulation(scenario, world, 0, "optimise", record=True)
    simulation.run()
    assert simulation.journal is not None
    left = {e.household_id: e.week for e in simulation.journal if e.kind == "left"}
    assert len(left) >= 3
    for entry in simulation.journal:
        if entry.household_id in left and entry.kind in ("accept", "moved_in", "family_arrived"):
            assert entry.week < left[entry.household_id], entry
    index = {str(row["household_id"]): i for i, row in enumerate(world.household_rows)}
    assert all(simulation.status[index[h]] == LEFT and world.leave_week[index[h]] == w for h, w in left.items())
    assert simulation.left_persons == sum(int(world.persons[index[h]]) for h in left) + sum(
        int(simulation.pending_counts[index[h]]) for h in left if simulation.family_arrived[index[h]]
    )
    without = small({"horizon_weeks": 26})
    assert (build_world(without, 0).leave_week == 10**6).all()


def test_the_day_a_family_arrives_is_known_as_many_weeks_ahead_as_the_scenario_says() -> None:
    """``date_known_weeks: 4``: a household's expected_arrival_date is in the week's instance
    from 4 weeks before its family arrives (or from its koppeling, if later) and gone when the
    family is there; with 0 it is never known ahead."""
    for ahead in (4, 0):
        scenario = small({"horizon_weeks": 12, "inflow": {"reunification": {"date_known_weeks": ahead}}})
        world = build_world(scenario, 0)
        simulation = Simulation(scenario, world, 0, "optimise")
        seen = 0
        for week in range(scenario.horizon_weeks):
            simulation.step(week)
            pool = np.flatnonzero((world.arrival_week <= week) & (simulation.status == 0))
            units = np.flatnonzero(simulation.unit_state == 1)
            if len(units) == 0:
                continue
            instance = simulation.week_instance(week, pool, units)
            dates = dict(zip(instance.households["household_id"], instance.households["expected_arrival_date"], strict=True))
            for i in pool.tolist():
                arrival = int(world.reunification_week[i])
                known = ahead > 0 and world.declared[i] > 0 and arrival - ahead <= week < arrival
                value = dates[world.household_rows[i]["household_id"]]
                assert (value == scenario.week_date(arrival)) if known else value is None, (ahead, week, i)
                seen += known
        assert (seen > 0) == (ahead > 0)
