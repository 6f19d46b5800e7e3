"""The weekly loop: one strategy on one replicate's world.

Each week: new koppelingen join the pool, vacancies come on offer, nareizigers arrive and
grow their household (a household now too big for its home, or living in a temporary place
that cannot hold the family, re-enters the pool as a move), temporary stays that reach
their limit re-enter the pool as a move, the engine (or the FIFO baseline) proposes on the
pool and the homes on offer, households accept or decline (a decline is never offered
again), accepted households leave the pool and free the home they lived in, and social
homes nobody took within ``offer_weeks`` go back to the regular market.

People are never lost: every week the persons in the pool, in permanent homes and in
temporary places add up to everyone who has arrived (the check runs every week).
A mover keeps living in the old home until the new one is accepted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.input.instance import Instance, build_instance
from matcher.pipeline import solve
from matcher.simulate.scenario import Scenario
from matcher.simulate.streams import decline_draw
from matcher.simulate.weekly import WeeklyTables
from matcher.simulate.world import NEVER, World

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

WAITING, PERMANENT, TEMPORARY = 0, 1, 2
NOT_YET, ON_OFFER, FULL, GONE = 0, 1, 2, 3

WEEKLY_KPIS = (
    "persons_housed",
    "persons_housed_cum",
    "taakstelling_target",
    "taakstelling_housed",
    "taakstelling_remaining",
    "pool_households",
    "pool_persons",
    "movers_waiting",
    "wait_median_weeks",
    "wait_p90_weeks",
    "offered_within_deadline_share",
    "placements",
    "moves_cum",
    "moves_per_household",
    "temporary_occupancy",
    "units_on_offer",
    "declines_cum",
)


class ConservationError(AssertionError):
    """Persons or households were lost or counted twice: a bug, never a data problem."""


@dataclass
class ReplicateRun:
    """What one strategy did on one replicate: weekly KPIs and end totals."""

    strategy: str
    replicate: int
    weekly: dict[str, list[float]]
    placements_by_neighbourhood: dict[str, int]
    placements_by_neighbourhood_weekly: dict[str, list[int]]
    objective: int  # persons at first placement x weeks of the horizon left (how early)
    first_placement_week: list[int]
    solve_s: float
    extra: dict[str, Any] = field(default_factory=dict)
    first_offer_week: list[int] = field(default_factory=list)  # first offer of a first home, -1 for none

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "replicate": self.replicate,
            "weekly": self.weekly,
            "placements_by_neighbourhood": self.placements_by_neighbourhood,
            "placements_by_neighbourhood_weekly": self.placements_by_neighbourhood_weekly,
            "objective": self.objective,
            "first_placement_week": self.first_placement_week,
            "solve_s": self.solve_s,
            "extra": self.extra,
            "first_offer_week": self.first_offer_week,
        }

    @staticmethod
    def from_json(doc: dict[str, Any]) -> ReplicateRun:
        return ReplicateRun(**doc)


def deadline_weeks(scenario: Scenario) -> int:
    """The policy's deadline in weeks after koppeling (the 10-wekentermijn by default)."""
    return int(scenario.policy.matcher.get("deadline_weeks", 10) or 10)


def half_year_start(date: dt.date) -> dt.date:
    return dt.date(date.year, 1 if date.month <= 6 else 7, 1)


def _half_year_days(start: dt.date) -> int:
    end = dt.date(start.year, 7, 1) if start.month == 1 else dt.date(start.year + 1, 1, 1)
    return (end - start).days


class Simulation:
    """Mutable state of one strategy on one world."""

    def __init__(self, scenario: Scenario, world: World, replicate: int, strategy: str, fast: bool = True) -> None:
        self.scenario, self.world, self.replicate, self.strategy = scenario, world, replicate, strategy
        self.tables = WeeklyTables(world.household_rows, world.unit_rows) if fast else None
        n, m = world.n_households, world.n_units
        self.status = np.full(n, WAITING, dtype=np.int64)
        self.home = np.full(n, -1, dtype=np.int64)
        self.home_beds = np.zeros(n, dtype=np.int64)
        self.needs_move = np.zeros(n, dtype=bool)
        self.adults = world.adults.copy()
        self.children = world.children.copy()
        self.family_arrived = np.zeros(n, dtype=bool)
        self.stay_end = np.full(n, NEVER, dtype=np.int64)
        self.placements = np.zeros(n, dtype=np.int64)
        self.first_offer = np.full(n, -1, dtype=np.int64)
        self.first_place = np.full(n, -1, dtype=np.int64)
        self.declined: dict[int, set[str]] = {}
        self.unit_state = np.full(m, NOT_YET, dtype=np.int64)
        self.offer_end = np.full(m, NEVER, dtype=np.int64)
        self.beds_left = world.beds.copy()
        self.arrived_persons = 0
        self.objective = 0
        self.by_neighbourhood: dict[str, int] = {}
        self.by_neighbourhood_weekly: dict[str, list[int]] = {}
        self.weekly: dict[str, list[float]] = {k: [] for k in WEEKLY_KPIS}
        self.moves = 0
        self.declines = 0
        self.solve_s = 0.0
        self.period_start = half_year_start(scenario.start.date)
        t = scenario.taakstelling
        remaining = (_half_year_days(self.period_start) - (scenario.start.date - self.period_start).days) / _half_year_days(
            self.period_start
        )
        self.target = t.backlog + round(t.persons_per_half_year * remaining)
        self.period_housed = 0
        self.housed_cum = 0
        self.pending_counts = world.declared + world.extra
        self.seen = hashlib.sha256()  # what arrived, came on offer and which families came, in order

    # -- the week's events -------------------------------------------------------------
    def _arrivals(self, week: int) -> None:
        new = self.world.arrival_week == week
        for i in np.flatnonzero(new).tolist():
            self.seen.update(
                f"h{week}:{self.world.household_rows[i]['household_id']}:{self.adults[i]}:{self.children[i]};".encode()
            )
        self.arrived_persons += int((self.adults[new] + self.children[new]).sum())

    def _vacancies(self, week: int) -> None:
        new = np.flatnonzero(self.world.appear_week == week)
        for j in new.tolist():
            self.seen.update(f"u{week}:{self.world.unit_rows[j]['unit_id']};".encode())
        self.unit_state[new] = ON_OFFER
        social = new[~self.world.temporary[new]]
        self.offer_end[social] = week + self.scenario.vacancies.offer_weeks - 1

    def _nareizigers(self, week: int) -> int:
        """Families arrive; returns the persons who joined an already housed household."""
        world = self.world
        arrive = np.flatnonzero((world.reunification_week == week) & (world.arrival_week <= week) & ~self.family_arrived)
        joined_housed = 0
        for i in arrive.tolist():
            coming = int(self.pending_counts[i])
            self.seen.update(f"f{week}:{i}:{coming};".encode())
            self.family_arrived[i] = True
            if self.adults[i] == 1:
                self.adults[i] += 1
                coming -= 1
            self.children[i] += coming
            self.arrived_persons += int(self.pending_counts[i])
            if self.status[i] == WAITING:
                continue
            joined_housed += int(self.pending_counts[i])
            unit = int(self.home[i])
            persons = int(self.adults[i] + self.children[i])
            too_big = bool(world.shared[unit]) or persons > int(world.max_occupants[unit])
            if too_big or (self.status[i] == TEMPORARY and self.scenario.policy.hold_for_family):
                self.needs_move[i] = True
        return joined_housed

    def _stays_end(self, week: int) -> None:
        ended = (self.status == TEMPORARY) & (self.stay_end <= week)
        if self.scenario.policy.hold_for_family:
            # Held for their family: the stay lasts until the family has arrived.
            ended &= ~((self.world.declared > 0) & ~self.family_arrived)
        self.needs_move[ended] = True

    # -- the weekly proposal -----------------------------------------------------------
    def _week_changes(
        self, week: int, pool: IntArray, units: IntArray
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]], list[list[str]]]:
        """What changes from the world's records this week, and the pairs excluded this week."""
        world = self.world
        date = self.scenario.week_date(week)
        households = [
            (
                i,
                {
                    "adults": int(self.adults[i]),
                    "children": int(self.children[i]),
                    "expected_reunification": 0 if self.family_arrived[i] else int(world.declared[i]),
                    "documents_complete": bool(world.documents_week[i] <= week),
                },
            )
            for i in pool.tolist()
        ]
        offered_units = [
            (j, {"available_from": date, "beds": int(self.beds_left[j])} if world.shared[j] else {"available_from": date})
            for j in units.tolist()
        ]
        excluded: list[list[str]] = []
        policy = self.scenario.policy
        unit_ids = [world.unit_rows[j]["unit_id"] for j in units.tolist()]
        permanent_ids = [uid for uid, j in zip(unit_ids, units.tolist(), strict=True) if not world.temporary[j]]
        temporary_ids = [uid for uid, j in zip(unit_ids, units.tolist(), strict=True) if world.temporary[j]]
        offered = set(unit_ids)
        for i in pool.tolist():
            hid = world.household_rows[i]["household_id"]
            excluded.extend([hid, uid] for uid in sorted(self.declined.get(i, set()) & offered))
            if policy.hold_for_family and world.declared[i] > 0 and not self.family_arrived[i]:
                excluded.extend([hid, uid] for uid in permanent_ids)
            if policy.movers_to_permanent_only and self.needs_move[i]:
                excluded.extend([hid, uid] for uid in temporary_ids)
        return households, offered_units, excluded

    def week_instance(self, week: int, pool: IntArray, units: IntArray) -> Instance:
        """The engine instance of this week's pool and homes on offer."""
        households, offered_units, excluded = self._week_changes(week, pool, units)
        raw_policy = {
            **self.scenario.policy.matcher,
            "planning_date": self.scenario.week_date(week).isoformat(),
            "horizon_days": 6,
            "excluded_pairs": excluded,
        }
        today = self.scenario.week_date(week)
        if self.tables is not None:
            return self.tables.instance(households, offered_units, raw_policy, today)
        world = self.world
        h_rows = [{**world.household_rows[i], **changes} for i, changes in households]
        u_rows = [{**world.unit_rows[j], **changes} for j, changes in offered_units]
        return build_instance(h_rows, u_rows, raw_policy, today=today)

    def _propose(self, week: int) -> list[tuple[int, int]]:
        world = self.world
        arrived = world.arrival_week <= week
        pool = np.flatnonzero(arrived & ((self.status == WAITING) | self.needs_move))
        units = np.flatnonzero(self.unit_state == ON_OFFER)
        if len(pool) == 0 or len(units) == 0:
            return []
        instance = self.week_instance(week, pool, units)
        solution = solve(instance, self.strategy).solution
        self.solve_s += solution.build_s + solution.solve_s
        # The instance's tables are sorted by id; map back to world indices.
        h_index = {world.household_rows[i]["household_id"]: i for i in pool.tolist()}
        u_index = {world.unit_rows[j]["unit_id"]: j for j in units.tolist()}
        h_ids = instance.households["household_id"].tolist()
        u_ids = instance.units["unit_id"].tolist()
        return [
            (h_index[h_ids[a]], u_index[u_ids[b]])
            for a, b in zip(solution.household.tolist(), solution.unit.tolist(), strict=True)
        ]

    def _accept(self, week: int, pairs: list[tuple[int, int]]) -> tuple[int, int]:
        """Offers are made; returns (persons newly housed, placements)."""
        world, scenario = self.world, self.scenario
        housed_persons = placements = 0
        for i, j in pairs:
            if self.first_offer[i] < 0 and self.status[i] == WAITING:
                self.first_offer[i] = week
            hid, uid = world.household_rows[i]["household_id"], world.unit_rows[j]["unit_id"]
            if decline_draw(scenario.seed, self.replicate, hid, uid) < scenario.decline_probability:
                self.declined.setdefault(i, set()).add(uid)
                self.declines += 1
                continue
            persons = int(self.adults[i] + self.children[i])
            if self.status[i] == WAITING:
                self.first_place[i] = week
                housed_persons += persons
                self.objective += persons * (scenario.horizon_weeks - week)
            else:
                self._leave(i)
                self.moves += 1
            placements += 1
            self.placements[i] += 1
            self.home[i] = j
            self.needs_move[i] = False
            if world.temporary[j]:
                self.status[i] = TEMPORARY
                stay = scenario.stays.flex_weeks if world.unit_rows[j]["unit_type"] == "flex" else scenario.stays.transit_weeks
                self.stay_end[i] = week + stay
            else:
                self.status[i] = PERMANENT
                self.stay_end[i] = NEVER
            if world.shared[j]:
                self.home_beds[i] = persons
                self.beds_left[j] -= persons
                if self.beds_left[j] <= 0:
                    self.unit_state[j] = FULL
            else:
                self.home_beds[i] = 1
                self.unit_state[j] = FULL
            name = world.neighbourhood[j]
            self.by_neighbourhood[name] = self.by_neighbourhood.get(name, 0) + 1
            weekly = self.by_neighbourhood_weekly.setdefault(name, [0] * scenario.horizon_weeks)
            weekly[week] += 1
        return housed_persons, placements

    def _leave(self, i: int) -> None:
        """A mover frees the old home: temporary places come back on offer, social homes go back to the market."""
        j = int(self.home[i])
        world = self.world
        if world.temporary[j]:
            if world.shared[j]:
                self.beds_left[j] += int(self.home_beds[i])
            self.unit_state[j] = ON_OFFER
            self.offer_end[j] = NEVER
        else:
            self.unit_state[j] = GONE

    def _expire(self, week: int) -> None:
        expired = (self.unit_state == ON_OFFER) & (self.offer_end <= week)
        self.unit_state[expired] = GONE

    # -- bookkeeping -------------------------------------------------------------------
    def _check(self, week: int) -> None:
        world = self.world
        arrived = world.arrival_week <= week
        persons = self.adults + self.children
        in_pool = int(persons[arrived & (self.status == WAITING)].sum())
        housed = int(persons[arrived & (self.status != WAITING)].sum())
        if in_pool + housed != self.arrived_persons:
            raise ConservationError(f"week {week}: {in_pool} waiting + {housed} housed != {self.arrived_persons} arrived")
        homes = self.home[arrived & (self.status != WAITING)]
        non_shared = homes[~world.shared[homes]]
        if len(np.unique(non_shared)) != len(non_shared):
            raise ConservationError(f"week {week}: two households in one non-shared home")
        if (self.beds_left < 0).any():
            raise ConservationError(f"week {week}: a shared place holds more persons than beds")
        if (self.status[~arrived] != WAITING).any():
            raise ConservationError(f"week {week}: a household not yet gekoppeld was housed")

    def _record(self, week: int, housed_persons: int, placements: int) -> None:
        world, scenario = self.world, self.scenario
        date = scenario.week_date(week)
        start = half_year_start(date)
        if start != self.period_start:
            # A shortfall carries over as backlog (achterstand), a surplus as a head start (voorsprong).
            self.target = self.target - self.period_housed + scenario.taakstelling.persons_per_half_year
            self.period_start, self.period_housed = start, 0
        self.period_housed += housed_persons
        self.housed_cum += housed_persons
        arrived = world.arrival_week <= week
        waiting = arrived & (self.status == WAITING)
        persons = self.adults + self.children
        waits = (week - world.koppeling_week[waiting]).astype(float)
        deadline = int(self.policy_deadline)
        new = arrived & (world.arrival_week > 0)
        offered_in_time = new & (self.first_offer >= 0) & (self.first_offer - world.koppeling_week <= deadline)
        decided = offered_in_time | (new & (week - world.koppeling_week > deadline))
        housed = self.status != WAITING
        temp_units = np.flatnonzero(world.temporary & (self.unit_state != NOT_YET) & (self.unit_state != GONE))
        if len(temp_units):
            used = np.where(
                world.shared[temp_units],
                (world.beds[temp_units] - self.beds_left[temp_units]) / world.beds[temp_units],
                (self.unit_state[temp_units] == FULL).astype(float),
            )
            occupancy = float(used.mean())
        else:
            occupancy = float("nan")
        ever_housed = int((self.placements > 0).sum())
        values: dict[str, float] = {
            "persons_housed": housed_persons,
            "persons_housed_cum": self.housed_cum,
            "taakstelling_target": self.target,
            "taakstelling_housed": self.period_housed,
            "taakstelling_remaining": self.target - self.period_housed,
            "pool_households": int(waiting.sum()),
            "pool_persons": int(persons[waiting].sum()),
            "movers_waiting": int((arrived & housed & self.needs_move).sum()),
            "wait_median_weeks": float(np.median(waits)) if len(waits) else float("nan"),
            "wait_p90_weeks": float(np.percentile(waits, 90)) if len(waits) else float("nan"),
            "offered_within_deadline_share": float(offered_in_time.sum() / decided.sum()) if decided.any() else float("nan"),
            "placements": placements,
            "moves_cum": self.moves,
            "moves_per_household": self.moves / ever_housed if ever_housed else 0.0,
            "temporary_occupancy": occupancy,
            "units_on_offer": int((self.unit_state == ON_OFFER).sum()),
            "declines_cum": self.declines,
        }
        for key in WEEKLY_KPIS:
            self.weekly[key].append(values[key])

    @property
    def policy_deadline(self) -> int:
        return deadline_weeks(self.scenario)

    def step(self, week: int) -> None:
        """One simulated week, in the order the module docstring gives; the books are checked at the end."""
        self._arrivals(week)
        self._vacancies(week)
        joined = self._nareizigers(week)
        self._stays_end(week)
        pairs = self._propose(week)
        housed, placements = self._accept(week, pairs)
        self._expire(week)
        self._check(week)
        self._record(week, housed + joined, placements)

    def run(self) -> ReplicateRun:
        for week in range(self.scenario.horizon_weeks):
            self.step(week)
        return ReplicateRun(
            strategy=self.strategy,
            replicate=self.replicate,
            weekly=self.weekly,
            placements_by_neighbourhood=dict(sorted(self.by_neighbourhood.items())),
            placements_by_neighbourhood_weekly=dict(sorted(self.by_neighbourhood_weekly.items())),
            objective=self.objective,
            first_placement_week=self.first_place.tolist(),
            solve_s=round(self.solve_s, 4),
            extra={"streams_seen": self.seen.hexdigest()},
            first_offer_week=self.first_offer.tolist(),
        )


def run_replicate(scenario: Scenario, world: World, replicate: int, strategy: str) -> ReplicateRun:
    """Simulate one strategy on one replicate's world."""
    return Simulation(scenario, world, replicate, strategy).run()
