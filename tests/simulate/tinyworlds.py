"""Tiny worlds for the exact hindsight tests, and a brute force over every weekly policy.

A tiny world has one to three households and one to three homes over a few weeks, with
every kind of home (social, flexwoning, doorstroom, shared), nareizigers, late documents,
caps and declines. The brute force knows nothing of the hindsight model: it runs the
simulator itself and tries, week after week, every proposal the week allows (every set of
pairs that the independent rule checks of ``matcher.validate`` accept, within caps, beds
and one household per home, declined offers included), keeping the best measure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from simhelpers import small

from matcher.simulate.scenario import Scenario
from matcher.simulate.simulator import ReplicateRun, Simulation
from matcher.simulate.world import NEVER, World
from matcher.validate import failing_rules

WAITING, ON_OFFER = 0, 1


@dataclass(frozen=True)
class TinyHousehold:
    arrival: int
    adults: int
    children: int
    declared: int = 0
    extra: int = 0
    family: int = NEVER  # week the nareizigers arrive
    documents: int = 0  # week the documents are complete
    leave: int = NEVER  # week it stops being the municipality's task if waiting or in a temporary place then


@dataclass(frozen=True)
class TinyHome:
    kind: str  # social, flex, transit, shared
    appear: int
    max_occupants: int = 4
    beds: int = 2
    neighbourhood: str = "Hees"
    min_occupants: int = 1


def tiny_world(households: list[TinyHousehold], homes: list[TinyHome]) -> World:
    """A world from plain records; rents low enough that rule E8 never excludes."""
    rows = [
        {"household_id": f"H{i}", "municipality": "Nijmegen", "koppeling_date": "2025-03-03", "gender": "M",
         "head_age": 30, "vulnerabilities": "", "preferred_neighbourhoods": ""}
        for i in range(len(households))
    ]  # fmt: skip
    units: list[dict[str, Any]] = []
    for j, home in enumerate(homes):
        shared = home.kind == "shared"
        unit_type = "social" if home.kind == "social" else ("flex" if home.kind in ("flex", "shared") else "transit")
        unit = {"unit_id": f"U{j}", "municipality": "Nijmegen", "neighbourhood": home.neighbourhood, "corporation": "",
                "unit_type": unit_type, "temporary": "false" if home.kind == "social" else "true",
                "shared": "true" if shared else "false", "bedrooms": 2,
                "min_occupants": min(home.min_occupants, home.max_occupants), "max_occupants": home.max_occupants,
                "rent": "400.00", "step_free": "false", "wheelchair": "false", "gender": "", "lgbtiq_safe": "false",
                "support": "false"}  # fmt: skip
        if shared:
            unit["beds"] = home.beds
        units.append(unit)
    shared_mask = np.array([h.kind == "shared" for h in homes], dtype=bool)
    return World(
        household_rows=rows,
        arrival_week=np.array([h.arrival for h in households], dtype=np.int64),
        koppeling_week=np.array([h.arrival for h in households], dtype=np.int64),
        adults=np.array([h.adults for h in households], dtype=np.int64),
        children=np.array([h.children for h in households], dtype=np.int64),
        declared=np.array([h.declared for h in households], dtype=np.int64),
        extra=np.array([h.extra for h in households], dtype=np.int64),
        reunification_week=np.array([h.family for h in households], dtype=np.int64),
        documents_week=np.array([max(h.documents, h.arrival) for h in households], dtype=np.int64),
        unit_rows=units,
        appear_week=np.array([h.appear for h in homes], dtype=np.int64),
        kind=[h.kind for h in homes],
        temporary=np.array([h.kind != "social" for h in homes], dtype=bool),
        shared=shared_mask,
        beds=np.array([h.beds if h.kind == "shared" else 1 for h in homes], dtype=np.int64),
        max_occupants=np.array([h.max_occupants for h in homes], dtype=np.int64),
        neighbourhood=[h.neighbourhood for h in homes],
        leave_week=np.array([h.leave for h in households], dtype=np.int64),
    )


def tiny_scenario(horizon: int, offer_weeks: int = 2, flex: int = 3, transit: int = 2, **changes: Any) -> Scenario:
    """The small scenario with a tiny horizon; ``changes`` go in as scenario fields (policy, decline_probability)."""
    document: dict[str, Any] = {
        "horizon_weeks": horizon,
        "vacancies": {"offer_weeks": offer_weeks},
        "stays": {"flex_weeks": flex, "transit_weeks": transit},
        "decline_probability": 0.0,
        **changes,
    }
    return small(document)


# -- the brute force ----------------------------------------------------------------------


class _Stop(Exception):
    """Raised inside the week to be branched on, carrying the simulation as it stands there."""

    def __init__(self, simulation: _Scripted) -> None:
        super().__init__()
        self.simulation = simulation


class _Scripted(Simulation):
    """The simulator with given proposals for the first weeks; stops at the first week without one."""

    def __init__(self, scenario: Scenario, world: World, replicate: int, proposals: list[list[tuple[int, int]]]) -> None:
        super().__init__(scenario, world, replicate, "brute-force")
        self.proposals = proposals

    def _propose(self, week: int) -> list[tuple[int, int]]:
        if week < len(self.proposals):
            return self.proposals[week]
        raise _Stop(self)


def week_options(sim: Simulation, week: int) -> list[list[tuple[int, int]]]:
    """Every proposal the week allows: sets of pairs the rules accept, within caps, beds and one household per home."""
    world = sim.world
    arrived = world.arrival_week <= week
    pool = np.flatnonzero(arrived & ((sim.status == WAITING) | sim.needs_move))
    units = np.flatnonzero(sim.unit_state == ON_OFFER)
    if len(pool) == 0 or len(units) == 0:
        return [[]]
    instance = sim.week_instance(week, pool, units)
    households = {r["household_id"]: r for r in instance.households.to_dict("records")}
    homes = {r["unit_id"]: r for r in instance.units.to_dict("records")}
    allowed: dict[int, list[int]] = {}
    for i in pool.tolist():
        h = households[world.household_rows[i]["household_id"]]
        allowed[i] = [j for j in units.tolist() if not failing_rules(h, homes[world.unit_rows[j]["unit_id"]], instance)]
    caps = instance.policy.neighbourhood_caps
    options = []
    for choice in itertools.product(*[[-1, *allowed[i]] for i in pool.tolist()]):
        pairs = [(i, j) for i, j in zip(pool.tolist(), choice, strict=True) if j >= 0]
        load: dict[int, int] = {}
        per_wijk: dict[str, int] = {}
        for i, j in pairs:
            load[j] = load.get(j, 0) + (int(sim.adults[i] + sim.children[i]) if world.shared[j] else 1)
            per_wijk[world.neighbourhood[j]] = per_wijk.get(world.neighbourhood[j], 0) + 1
        if any(n > (int(sim.beds_left[j]) if world.shared[j] else 1) for j, n in load.items()):
            continue
        if any(n > caps[name] for name, n in per_wijk.items() if name in caps):
            continue
        options.append(pairs)
    return options


def brute_force(
    scenario: Scenario,
    world: World,
    replicate: int,
    measure: str = "objective",
    keep: Callable[[ReplicateRun], bool] | None = None,
) -> int:
    """The best measure over every sequence of weekly proposals, found by running the simulator on each
    (with ``keep``, over the runs it keeps only; -1 if it keeps none)."""
    horizon = scenario.horizon_weeks
    best = -1

    def explore(proposals: list[list[tuple[int, int]]]) -> None:
        nonlocal best
        sim = _Scripted(scenario, world, replicate, proposals)
        try:
            run = sim.run()
        except _Stop as stop:
            for option in week_options(stop.simulation, len(proposals)):
                explore([*proposals, option])
            return
        if keep is not None and not keep(run):
            return
        value = run.objective if measure == "objective" else int(run.weekly["persons_housed_cum"][-1])
        best = max(best, value)

    explore([])
    assert len(world.arrival_week) == 0 or horizon > 0
    return best


# -- hypothesis strategies ------------------------------------------------------------------


@st.composite
def tiny_cases(draw: st.DrawFn, max_households: int = 3, max_homes: int = 3, max_horizon: int = 5) -> tuple[Scenario, World]:
    """A tiny scenario and world: any mix of homes, families, documents, caps, declines and policies.

    Households are small and stays short, so that moves on from temporary places happen
    within the few weeks."""
    horizon = draw(st.integers(2, max_horizon))
    households = []
    for _ in range(draw(st.integers(1, max_households))):
        arrival = draw(st.integers(0, horizon - 1))
        adults = draw(st.integers(1, 2))
        children = draw(st.sampled_from([0, 0, 1, 2]))
        declared = draw(st.sampled_from([0, 0, 1, 2]))
        extra = draw(st.integers(0, 1)) if declared else 0
        family = draw(st.integers(arrival, horizon + 3)) if declared else NEVER
        documents = draw(st.sampled_from([arrival, arrival, arrival + 1]))
        leave = draw(st.sampled_from([NEVER, NEVER, NEVER, arrival + 1, arrival + 2]))
        households.append(TinyHousehold(arrival, adults, children, declared, extra, family, documents, leave))
    homes = []
    for _ in range(draw(st.integers(1, max_homes))):
        kind = draw(st.sampled_from(["social", "social", "flex", "transit", "shared"]))
        homes.append(
            TinyHome(
                kind,
                draw(st.integers(0, horizon - 1)),
                max_occupants=draw(st.integers(1, 5)),
                beds=draw(st.integers(1, 3)),
                neighbourhood=draw(st.sampled_from(["Hees", "Hatert"])),
                min_occupants=draw(st.sampled_from([1, 1, 2])),
            )
        )
    caps = draw(st.sampled_from([{}, {}, {"Hatert": 1}]))
    scenario = tiny_scenario(
        horizon,
        offer_weeks=draw(st.integers(1, 3)),
        flex=draw(st.integers(1, 3)),
        transit=draw(st.integers(1, 2)),
        decline_probability=draw(st.sampled_from([0.0, 0.0, 0.3])),
        seed=draw(st.integers(0, 50)),
        inflow={"reunification": {"date_known_weeks": draw(st.sampled_from([13, 0, 3]))}},
        policy={
            "matcher": {
                "neighbourhood_caps": caps,
                "move_on_horizon_weeks": draw(st.sampled_from([0, 0, 1])),
                "reunification_horizon_weeks": draw(st.sampled_from([52, 1])),
            },
            "hold_for_family": draw(st.booleans()),
            "movers_to_permanent_only": draw(st.booleans()),
        },
    )
    return scenario, tiny_world(households, homes)


@st.composite
def move_cases(draw: st.DrawFn) -> tuple[Scenario, World]:
    """Worlds where moving on can pay: A lives in a temporary place, a permanent home fits only A, B fits only the place.

    Whether the move pays, and when it may happen, depends on the drawn stay, family,
    weeks, caps, declines and policies; a third household sometimes competes."""
    horizon = draw(st.integers(4, 6))
    kind = draw(st.sampled_from(["flex", "transit", "shared"]))
    size_a = 1 if kind == "shared" else draw(st.integers(2, 3))
    declared = draw(st.sampled_from([0, 1]))
    family = draw(st.integers(1, horizon)) if declared else NEVER
    a = TinyHousehold(0, 1, size_a - 1, declared=declared, family=family, leave=draw(st.sampled_from([NEVER, NEVER, 3])))
    b = TinyHousehold(draw(st.integers(0, 2)), 1, 0)
    households = [a, b]
    if draw(st.booleans()):
        households.append(TinyHousehold(draw(st.integers(0, 2)), 1, draw(st.integers(0, 2))))
    future_a = size_a + declared
    homes = [
        TinyHome(kind, draw(st.integers(0, 1)), max_occupants=size_a, beds=1, neighbourhood="Hatert"),
        TinyHome(
            "social",
            draw(st.integers(1, 3)),
            max_occupants=future_a,
            min_occupants=future_a,
            neighbourhood=draw(st.sampled_from(["Hees", "Hatert"])),
        ),
    ]
    if draw(st.booleans()):
        homes.append(TinyHome(draw(st.sampled_from(["social", "transit"])), draw(st.integers(0, 3)), max_occupants=3))
    scenario = tiny_scenario(
        horizon,
        offer_weeks=draw(st.integers(1, 3)),
        flex=draw(st.integers(1, 8)),  # beyond the horizon: only the family can make A a mover
        transit=draw(st.integers(1, 2)),
        decline_probability=draw(st.sampled_from([0.0, 0.0, 0.3])),
        seed=draw(st.integers(0, 50)),
        policy={
            "matcher": {
                "neighbourhood_caps": draw(st.sampled_from([{}, {"Hatert": 1}])),
                "move_on_horizon_weeks": draw(st.sampled_from([0, 0, 1])),
            },
            "hold_for_family": draw(st.booleans()),
            "movers_to_permanent_only": draw(st.booleans()),
        },
    )
    return scenario, tiny_world(households, homes)
