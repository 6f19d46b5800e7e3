"""Play a hindsight plan back through the simulator, as the check of every exact result.

The programme in ``hindsight_model.py`` restates the simulator's week in rows; a mistake
there would make the reference wrong without anyone noticing. So every plan it returns is
run through the simulator itself: each week the plan's pairs are the proposal, checked
pair by pair against that week's engine instance with the independent rule checks of
``matcher.validate`` (E1-E9, B1), the neighbourhood caps, the beds and one household per
home, and then accepted by the simulator's own code (declines drawn as always). The plan
is right only if nothing is refused and the simulator's measure equals the programme's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.simulate.hindsight_model import Move
from matcher.simulate.scenario import Scenario
from matcher.simulate.simulator import ReplicateRun, Simulation
from matcher.simulate.world import World
from matcher.validate import failing_rules

WAITING = 0


@dataclass
class Replay:
    """What the simulator made of a plan: its run and every problem found on the way."""

    run: ReplicateRun
    problems: list[str] = field(default_factory=list)

    @property
    def objective(self) -> int:
        return self.run.objective

    @property
    def persons_housed(self) -> int:
        return int(self.run.weekly["persons_housed_cum"][-1]) if self.run.weekly["persons_housed_cum"] else 0


class _ScriptedSimulation(Simulation):
    """The simulator with the week's proposal read from a plan instead of solved."""

    def __init__(self, scenario: Scenario, world: World, replicate: int, plan: list[Move]) -> None:
        super().__init__(scenario, world, replicate, "hindsight")
        self.by_week: dict[int, list[Move]] = {}
        for step in plan:
            self.by_week.setdefault(step.week, []).append(step)
        self.problems: list[str] = []

    def _propose(self, week: int) -> list[tuple[int, int]]:
        steps = self.by_week.get(week, [])
        if not steps:
            return []
        world = self.world
        arrived = world.arrival_week <= week
        pool = np.flatnonzero(arrived & ((self.status == WAITING) | self.needs_move))
        units = np.flatnonzero(self.unit_state == 1)  # on offer
        in_pool, on_offer = set(pool.tolist()), set(units.tolist())
        pairs = [(s.household, s.unit) for s in steps]
        for s in steps:
            hid, uid = world.household_rows[s.household]["household_id"], world.unit_rows[s.unit]["unit_id"]
            if s.household not in in_pool:
                self.problems.append(f"week {week}: {hid} is not in the pool")
            elif (s.kind == "first") != (self.status[s.household] == WAITING):
                self.problems.append(
                    f"week {week}: {hid} is planned as a {s.kind} but is {'waiting' if s.kind != 'first' else 'housed'}"
                )
            if s.unit not in on_offer:
                self.problems.append(f"week {week}: {uid} is not on offer")
        if self.problems:
            return []
        instance = self.week_instance(week, pool, units)
        households = {r["household_id"]: r for r in instance.households.to_dict("records")}
        homes = {r["unit_id"]: r for r in instance.units.to_dict("records")}
        load: dict[str, list[Any]] = {}
        for i, j in pairs:
            h, u = households[world.household_rows[i]["household_id"]], homes[world.unit_rows[j]["unit_id"]]
            broken = failing_rules(h, u, instance)
            if broken:
                self.problems.append(f"week {week}: {h['household_id']} in {u['unit_id']} breaks {', '.join(broken)}")
            load.setdefault(u["unit_id"], []).append(int(h["adults"]) + int(h["children"]))
        for uid, persons in load.items():
            u = homes[uid]
            if u["shared"] and sum(persons) > int(u["beds"]):
                self.problems.append(f"week {week}: {sum(persons)} persons in {uid} with {u['beds']} beds left")
            if not u["shared"] and len(persons) > 1:
                self.problems.append(f"week {week}: {len(persons)} households in {uid}")
        caps = instance.policy.neighbourhood_caps
        per_wijk: dict[str, int] = {}
        for _, j in pairs:
            per_wijk[world.neighbourhood[j]] = per_wijk.get(world.neighbourhood[j], 0) + 1
        for name, count in sorted(per_wijk.items()):
            if name in caps and count > caps[name]:
                self.problems.append(f"week {week}: {count} placements in {name}, cap {caps[name]}")
        return pairs

    def _accept(self, week: int, pairs: list[tuple[int, int]]) -> tuple[int, int]:
        before = self.declines
        result = super()._accept(week, pairs)
        if self.declines != before:
            self.problems.append(f"week {week}: {self.declines - before} planned offers were declined")
        return result


def replay(scenario: Scenario, world: World, replicate: int, plan: list[Move]) -> Replay:
    """Run the plan through the simulator; ``problems`` lists every pair it refused or could not make."""
    simulation = _ScriptedSimulation(scenario, world, replicate, plan)
    run = simulation.run()
    return Replay(run, simulation.problems)
