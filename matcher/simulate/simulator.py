"""The weekly loop: one strategy on one replicate's world.

Each week: new koppelingen join the pool, vacancies come on offer, households that are no
longer the municipality's task leave, nareizigers arrive and grow their household (a
household now too big for its home re-enters the pool as a mover), the day a family will
arrive becomes known, documents come in, temporary stays that reach their end make the
household a mover, the engine (or the FIFO baseline) proposes on the pool and the homes on
offer, the WBB accepts every proposed pair and each household refuses the offer (that pair is
never proposed again) or moves in, a mover moves out of its old place (a temporary place is
on offer again, a social home goes back to the market), and social homes nobody took within
``offer_weeks`` go back to the regular market (withdrawn).

Every one of these steps is an event of ``matcher.case`` applied to the household's case
and to the ledger of places, the same rules the service applies to what a municipality
records, so a simulated year replayed through the service gives the same figures
(``tests/api/test_replay.py``). With ``record=True`` the steps are also written to a
journal (``matcher.simulate.journal``) from which that replay is made.

People are never lost: every week the persons in the pool, in permanent homes and in
temporary places add up to everyone who has arrived, less those who left (the check runs
every week). A mover keeps living in the old home until it moves into the new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.case import (
    Accepted,
    Case,
    DocumentsComplete,
    Effects,
    Event,
    FamilyArrived,
    FamilyExpected,
    Ledger,
    Left,
    MovedIn,
    MovedOut,
    OfferRefused,
    Place,
    State,
    apply,
    is_move_on_candidate,
)
from matcher.input.instance import Instance, build_instance
from matcher.input.policy import Policy, parse_policy
from matcher.input.spreading import half_year_of
from matcher.model import EncodedWeek
from matcher.pipeline import solve, solve_encoded
from matcher.simulate.forecast import scenario_forecast
from matcher.simulate.journal import Entry
from matcher.simulate.scenario import Scenario
from matcher.simulate.streams import decline_draw
from matcher.simulate.weekly_arrays import WeekState, world_tables
from matcher.simulate.world import NEVER, World

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# The engine's strategy each simulated strategy solves with (the others are the engine's own).
ENGINE_STRATEGY = {"lookahead": "optimise"}

WAITING, PERMANENT, TEMPORARY, LEFT, OFFERED = 0, 1, 2, 3, 4  # OFFERED lasts only while the WBB's accept is answered
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
    """Mutable state of one strategy on one world.

    The state of every household is a ``matcher.case.Case`` and the units are kept in a
    ``matcher.case.Ledger``: each move, refusal, arrival of family, departure and withdrawn
    home is an event applied by ``matcher.case.apply``, the same rules the service applies
    to recorded events. The numpy arrays (``status``, ``home``, ``adults``, ``children``,
    ``needs_move``, ``unit_state``, ``beds_left``, ...) mirror the cases for the weekly
    figures and the books; they are written only from the cases and the ledger."""

    def __init__(
        self,
        scenario: Scenario,
        world: World,
        replicate: int,
        strategy: str,
        fast: bool = True,
        record: bool = False,
        arrays: bool = True,
    ) -> None:
        """``fast``: build weekly instances from rows parsed once (else through ``build_instance``);
        ``arrays``: solve each week from the world encoded once, without an instance (the default;
        the same pairs, ``tests/simulate/test_weekly_arrays.py``). A policy with fixed pairs always
        goes through an instance."""
        self.scenario, self.world, self.replicate, self.strategy = scenario, world, replicate, strategy
        tables, encoded = world_tables(world) if fast or arrays else (None, None)
        self.tables = tables if fast else None
        self.arrays = encoded if arrays else None
        n, m = world.n_households, world.n_units
        self.status = np.full(n, WAITING, dtype=np.int64)
        self.home = np.full(n, -1, dtype=np.int64)
        self.needs_move = np.zeros(n, dtype=bool)
        self.adults = world.adults.copy()
        self.children = world.children.copy()
        self.family_arrived = np.zeros(n, dtype=bool)
        self.stay_end = np.full(n, NEVER, dtype=np.int64)
        # The case's end of a temporary stay (an ordinal day) and its move_on flag, for ``_movers``.
        self.until_day = np.full(n, _NO_DAY, dtype=np.int64)
        self.move_on = np.zeros(n, dtype=bool)
        # The case's columns the engine reads each week (``_household_changes``), for ``week_arrays``.
        self.expected_reunification = np.zeros(n, dtype=np.int64)
        self.expected_arrival = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        self.documents = np.zeros(n, dtype=bool)
        self.placements = np.zeros(n, dtype=np.int64)
        self.first_offer = np.full(n, -1, dtype=np.int64)
        self.first_place = np.full(n, -1, dtype=np.int64)
        self.declined: dict[int, set[str]] = {}
        self.unit_state = np.full(m, NOT_YET, dtype=np.int64)
        self.offer_end = np.full(m, NEVER, dtype=np.int64)
        self.beds_left = world.beds.copy()
        self.arrived_persons = 0
        self.left_persons = 0
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
        # The cases and the ledger of places: the state rules shared with the service.
        self.cases: list[Case | None] = [None] * n
        self.household_ids = [str(row["household_id"]) for row in world.household_rows]
        self.unit_ids = [str(row["unit_id"]) for row in world.unit_rows]
        self.unit_index = {uid: j for j, uid in enumerate(self.unit_ids)}
        self.places = {str(row["unit_id"]): self._place(j) for j, row in enumerate(world.unit_rows)}
        self.ledger = Ledger(self.places)
        self.leave_week = world.leave_week if world.leave_week is not None else np.full(n, NEVER, dtype=np.int64)
        # A household in a temporary place is a mover once its stay ends within this many weeks.
        self.move_on_weeks = int(scenario.policy.matcher.get("move_on_horizon_weeks", 0) or 0)
        # The week the day the family arrives becomes known, per household (NEVER: not ahead of it).
        ahead = scenario.inflow.reunification.date_known_weeks
        known = world.reunification_week.astype(np.int64) - ahead
        self.date_known_week = np.where((world.declared > 0) & (ahead != 0), known, NEVER).astype(np.int64)
        self.journal: list[Entry] | None = [] if record else None
        self._policy_cache: tuple[str, Policy] | None = None

    def _place(self, j: int) -> Place:
        """What the case rules need to know of unit ``j``; a temporary place's stay limit is the
        scenario's for flexwoningen, or for doorstroom places (every other temporary place)."""
        world, stays = self.world, self.scenario.stays
        temporary = bool(world.temporary[j])
        stay = (stays.flex_weeks if world.unit_rows[j]["unit_type"] == "flex" else stays.transit_weeks) if temporary else None
        shared = bool(world.shared[j])
        return Place(
            unit_id=str(world.unit_rows[j]["unit_id"]),
            max_occupants=int(world.max_occupants[j]),
            shared=shared,
            beds=int(world.beds[j]) if shared else None,
            temporary=temporary,
            stay_limit_weeks=stay,
        )

    # -- the case rules ----------------------------------------------------------------
    def _note(self, week: int, kind: str, household: int = -1, unit: int = -1, **data: Any) -> None:
        if self.journal is None:
            return
        hid = str(self.world.household_rows[household]["household_id"]) if household >= 0 else None
        uid = str(self.world.unit_rows[unit]["unit_id"]) if unit >= 0 else None
        self.journal.append(Entry(week, self.scenario.week_date(week), kind, hid, uid, data))

    def _case(self, i: int) -> Case:
        case = self.cases[i]
        assert case is not None, "a household is known from its koppeling on"
        return case

    def _apply(self, i: int, event: Event, week: int) -> Effects:
        """Apply one event to household ``i``'s case and the ledger; the mirrors follow."""
        case = self._case(i)
        transition = apply(case, event, self.places)
        self.ledger.apply(case.household_id, transition.effects)
        self.cases[i] = transition.case
        self._sync_household(i, week)
        effects = transition.effects
        for claim in (*effects.held, *effects.released, *effects.let, *effects.freed):
            self._sync_unit(self.unit_index[claim.unit_id])
        return effects

    def _withdraw(self, j: int, week: int) -> None:
        """A unit goes back to the regular market: withdrawn in the ledger, never offered again."""
        uid = str(self.world.unit_rows[j]["unit_id"])
        if uid in self.ledger.withdrawn:
            return
        self.ledger.withdraw(uid)
        self._sync_unit(j)
        self._note(week, "withdrawn", unit=j, reason="back_to_market")

    def _sync_household(self, i: int, week: int) -> None:
        case = self._case(i)
        self.status[i] = _STATUS[case.state]
        self.adults[i], self.children[i] = case.adults, case.children
        self.home[i] = self.unit_index[case.unit] if case.unit is not None else -1
        until = case.temporary_until
        self.stay_end[i] = (until - self.scenario.start.date).days // 7 if until is not None else NEVER
        self.until_day[i] = until.toordinal() if until is not None else _NO_DAY
        self.move_on[i] = case.move_on
        self.expected_reunification[i] = case.expected_reunification
        arrival = case.expected_arrival_date
        self.expected_arrival[i] = np.datetime64(arrival, "D") if arrival is not None else np.datetime64("NaT")
        self.documents[i] = case.documents_complete
        self.needs_move[i] = is_move_on_candidate(case, self.scenario.week_date(week), self.move_on_weeks)

    def _sync_unit(self, j: int) -> None:
        uid = str(self.world.unit_rows[j]["unit_id"])
        status = self.ledger.status(uid)
        self.unit_state[j] = GONE if status == "withdrawn" else ON_OFFER if status == "available" else FULL
        if self.world.shared[j]:
            self.beds_left[j] = self.world.beds[j] - self.ledger.persons_in(uid)

    def _arrival_date(self, i: int) -> dt.date:
        return self.scenario.week_date(int(self.world.reunification_week[i]))

    # -- the week's events -------------------------------------------------------------
    def _arrivals(self, week: int) -> None:
        world = self.world
        new = world.arrival_week == week
        for i in np.flatnonzero(new).tolist():
            row = world.household_rows[i]
            self.seen.update(f"h{week}:{row['household_id']}:{self.adults[i]}:{self.children[i]};".encode())
            known = int(self.date_known_week[i]) <= week
            case = Case(
                household_id=str(row["household_id"]),
                koppeling_date=dt.date.fromisoformat(str(row["koppeling_date"])),
                adults=int(self.adults[i]),
                children=int(self.children[i]),
                expected_reunification=int(world.declared[i]),
                documents_complete=bool(world.documents_week[i] <= week),
                expected_arrival_date=self._arrival_date(i) if known else None,
            )
            self.cases[i] = case
            self._sync_household(i, week)
            self._note(week, "koppeling", household=i, **self._household_changes(case))
        self.arrived_persons += int((self.adults[new] + self.children[new]).sum())

    def _vacancies(self, week: int) -> None:
        new = np.flatnonzero(self.world.appear_week == week)
        for j in new.tolist():
            self.seen.update(f"u{week}:{self.world.unit_rows[j]['unit_id']};".encode())
            place = self.places[str(self.world.unit_rows[j]["unit_id"])]
            self._note(week, "unit", unit=j, stay_limit_weeks=place.stay_limit_weeks)
        self.unit_state[new] = ON_OFFER
        social = new[~self.world.temporary[new]]
        self.offer_end[social] = week + self.scenario.vacancies.offer_weeks - 1

    def _leaving(self, week: int) -> None:
        """Households whose leave week has come stop being the municipality's task, if still
        waiting or in a temporary place; a temporary place they leave is on offer again."""
        date = self.scenario.week_date(week)
        for i in np.flatnonzero((self.leave_week == week) & (self.world.arrival_week < week)).tolist():
            if self._case(i).state not in (State.WAITING, State.HOUSED_TEMPORARY):
                continue
            persons = int(self.adults[i] + self.children[i])
            self._apply(i, Left(date, "moved_away"), week)
            self.left_persons += persons
            self._note(week, "left", household=i, reason="moved_away")

    def _nareizigers(self, week: int) -> int:
        """Families arrive; returns the persons who joined an already housed household."""
        world = self.world
        date = self.scenario.week_date(week)
        arrive = np.flatnonzero((world.reunification_week == week) & (world.arrival_week <= week) & ~self.family_arrived)
        joined_housed = 0
        for i in arrive.tolist():
            if self._case(i).state is State.LEFT:
                continue  # no longer the municipality's task: its family does not come here
            coming = int(self.pending_counts[i])
            self.seen.update(f"f{week}:{i}:{coming};".encode())
            self.family_arrived[i] = True
            adults = 1 if self.adults[i] == 1 else 0  # a single's partner comes with the children
            effects = self._apply(i, FamilyArrived(date, adults=adults, children=coming - adults), week)
            self.arrived_persons += coming
            joined_housed += effects.persons_counted
            self._note(week, "family_arrived", household=i, adults=adults, children=coming - adults)
        return joined_housed

    def _family_expected(self, week: int) -> None:
        """The day a family arrives becomes known ``date_known_weeks`` ahead (later than the koppeling)."""
        date = self.scenario.week_date(week)
        known = (self.world.arrival_week < week) & ~self.family_arrived & (self.date_known_week == week)
        for i in np.flatnonzero(known).tolist():
            if self._case(i).state is State.LEFT:
                continue
            expected = self._arrival_date(i)
            self._apply(i, FamilyExpected(date, expected), week)
            self._note(week, "family_expected", household=i, expected=expected.isoformat())

    def _documents(self, week: int) -> None:
        """BSN and IBAN come in: the household may be placed from this week."""
        date = self.scenario.week_date(week)
        for i in np.flatnonzero((self.world.documents_week == week) & (self.world.arrival_week < week)).tolist():
            case = self._case(i)
            if case.state is State.WAITING and not case.documents_complete:
                self._apply(i, DocumentsComplete(date), week)
                self._note(week, "documents_complete", household=i)

    def _movers(self, week: int) -> None:
        """Who must move on this week: a stay that ends (with ``hold_for_family``: when the
        family arrives), or a home the family has outgrown (``matcher.case.is_move_on_candidate``)."""
        # Every other mirror was set when the case last changed (``_apply``); only the date moved.
        # ``is_move_on_candidate`` of every housed case at once, from the mirrors of its fields.
        limit = (self.scenario.week_date(week) + dt.timedelta(weeks=self.move_on_weeks)).toordinal()
        temporary, permanent = self.status == TEMPORARY, self.status == PERMANENT
        housed = temporary | permanent
        candidate = (temporary & ((self.until_day <= limit) | self.move_on)) | (permanent & self.move_on)
        self.needs_move[housed] = candidate[housed]

    # -- the weekly proposal -----------------------------------------------------------
    def _household_changes(self, case: Case) -> dict[str, Any]:
        """The columns of a household that its case sets, as the engine reads them."""
        in_place = case.state in (State.HOUSED, State.HOUSED_TEMPORARY) and case.unit is not None
        return {
            "adults": case.adults,
            "children": case.children,
            "expected_reunification": case.expected_reunification,
            "documents_complete": case.documents_complete,
            "expected_arrival_date": case.expected_arrival_date,
            "current_unit_id": case.unit if in_place else "",
        }

    def _week_changes(
        self, week: int, pool: IntArray, units: IntArray
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]], list[list[str]], list[list[str]]]:
        """What changes from the world's records this week; the pairs excluded this week, all
        of them and those the scenario's policy excludes (the rest are refused offers)."""
        world = self.world
        date = self.scenario.week_date(week)
        households = [(i, self._household_changes(self._case(i))) for i in pool.tolist()]
        offered_units = [
            (j, {"available_from": date, "beds": int(self.beds_left[j])} if world.shared[j] else {"available_from": date})
            for j in units.tolist()
        ]
        excluded, by_policy = self._excluded(pool, units)
        return households, offered_units, excluded, by_policy

    def _excluded(self, pool: IntArray, units: IntArray) -> tuple[list[list[str]], list[list[str]]]:
        """The pairs excluded this week, all of them and those the scenario's policy excludes."""
        world = self.world
        excluded: list[list[str]] = []
        by_policy: list[list[str]] = []
        policy = self.scenario.policy
        unit_ids = [world.unit_rows[j]["unit_id"] for j in units.tolist()]
        permanent_ids = [uid for uid, j in zip(unit_ids, units.tolist(), strict=True) if not world.temporary[j]]
        temporary_ids = [uid for uid, j in zip(unit_ids, units.tolist(), strict=True) if world.temporary[j]]
        offered = set(unit_ids)
        hold, movers, declined = policy.hold_for_family, policy.movers_to_permanent_only, self.declined
        for i in pool.tolist():
            refused = declined.get(i)
            if not (refused or hold or movers):
                continue  # nothing excluded for this household
            hid = world.household_rows[i]["household_id"]
            if refused:
                excluded.extend([hid, uid] for uid in sorted(refused & offered))
            if hold and world.declared[i] > 0 and not self.family_arrived[i]:
                by_policy.extend([hid, uid] for uid in permanent_ids)
            if movers and self.needs_move[i]:
                by_policy.extend([hid, uid] for uid in temporary_ids)
        excluded.extend(by_policy)
        return excluded, by_policy

    def _raw_policy(self, week: int, excluded: list[list[str]]) -> dict[str, Any]:
        return {
            **self.scenario.policy.matcher,
            "planning_date": self.scenario.week_date(week).isoformat(),
            "horizon_days": 6,
            "move_on_horizon_weeks": self.move_on_weeks,
            "excluded_pairs": excluded,
            **self._half_year_placed(week),
            **self._strategy_policy(week),
        }

    def _half_year_placed(self, week: int) -> dict[str, Any]:
        """With half-year caps in the policy: the simulated placements in each capped wijk in the
        weeks of this half-year before this one (weeks before the simulation's start count 0)."""
        caps = self.scenario.policy.matcher.get("half_year_caps")
        if not isinstance(caps, dict) or not caps or "half_year_placed" in self.scenario.policy.matcher:
            return {}
        half = half_year_of(self.scenario.week_date(week))
        earlier = [w for w in range(week) if half_year_of(self.scenario.week_date(w)) == half]
        placed = {
            str(name): sum(self.by_neighbourhood_weekly.get(str(name), [0] * (week + 1))[w] for w in earlier) for name in caps
        }
        return {"half_year_placed": placed}

    def week_instance(self, week: int, pool: IntArray, units: IntArray) -> Instance:
        """The engine instance of this week's pool and homes on offer."""
        households, offered_units, excluded, _ = self._week_changes(week, pool, units)
        raw_policy = self._raw_policy(week, excluded)
        today = self.scenario.week_date(week)
        if self.tables is not None:
            return self.tables.instance(households, offered_units, raw_policy, today)
        world = self.world
        h_rows = [{**world.household_rows[i], **changes} for i, changes in households]
        u_rows = [{**world.unit_rows[j], **changes} for j, changes in offered_units]
        return build_instance(h_rows, u_rows, raw_policy, today=today)

    def week_arrays(self, week: int, pool: IntArray, units: IntArray) -> tuple[EncodedWeek, IntArray, IntArray] | None:
        """This week's pool and homes on offer as encoded arrays, with the world index of each
        household and home in their order; None where the week needs an instance."""
        if self.arrays is None or self.scenario.policy.matcher.get("fixed_pairs"):
            return None
        excluded, _ = self._excluded(pool, units)
        date = self.scenario.week_date(week)
        policy = self._week_policy(self._raw_policy(week, excluded), date)
        if policy.fixed_pairs:
            return None
        # The columns ``_household_changes`` gives, read from the mirrors of the cases.
        in_place = ((self.status[pool] == PERMANENT) | (self.status[pool] == TEMPORARY)) & (self.home[pool] >= 0)
        state = WeekState(
            adults=self.adults[pool],
            children=self.children[pool],
            expected_reunification=self.expected_reunification[pool],
            expected_arrival=self.expected_arrival[pool],
            documents=self.documents[pool],
            current_unit=[
                self.unit_ids[j] if at else "" for j, at in zip(self.home[pool].tolist(), in_place.tolist(), strict=True)
            ],
            available=np.full(len(units), np.datetime64(date, "D"), dtype="datetime64[D]"),
            beds=np.where(self.world.shared[units], self.beds_left[units], self.arrays.beds[units]).astype(np.int64),
        )
        return self.arrays.week_of(pool, units, state, policy)

    def _week_policy(self, raw: dict[str, Any], today: dt.date) -> Policy:
        """``parse_policy`` of the week's policy. Most weeks differ from the last only in the
        planning date and the excluded pairs (ids of the world, already checked): the last
        parse is then copied with those two set, which gives the same policy."""
        key = json.dumps({k: v for k, v in raw.items() if k not in _WEEKLY_FIELDS}, sort_keys=True, default=str)
        if self._policy_cache is not None and self._policy_cache[0] == key:
            pairs = tuple((str(a).strip(), str(b).strip()) for a, b in raw.get("excluded_pairs") or ())
            update = {"planning_date": dt.date.fromisoformat(raw["planning_date"]), "excluded_pairs": pairs}
            return self._policy_cache[1].model_copy(update=update)
        policy = parse_policy(raw, "policy", today=today)
        self._policy_cache = (key, policy)
        return policy

    def _strategy_policy(self, week: int) -> dict[str, Any]:
        """What the strategy adds to the engine's policy: the ``lookahead`` strategy its objective,
        its guard on long waits and a forecast from the scenario alone (never this world's future)."""
        if self.strategy != "lookahead":
            return {}
        look = self.scenario.policy.lookahead
        return {
            "objective": look.objective,
            "long_wait_weeks": look.long_wait_weeks,
            "forecast": scenario_forecast(self.scenario, week, look.weeks),
        }

    def _propose(self, week: int) -> list[tuple[int, int]]:
        world = self.world
        arrived = world.arrival_week <= week
        pool = np.flatnonzero(arrived & ((self.status == WAITING) | self.needs_move))
        units = np.flatnonzero(self.unit_state == ON_OFFER)
        if len(pool) == 0 or len(units) == 0:
            return []
        strategy = ENGINE_STRATEGY.get(self.strategy, self.strategy)
        encoded = self.week_arrays(week, pool, units)
        if encoded is not None:
            week_data, h_world, u_world = encoded
            solution = solve_encoded(week_data, strategy).solution
        else:
            instance = self.week_instance(week, pool, units)
            solution = solve(instance, strategy).solution
            # The instance's tables are sorted by id; map back to world indices.
            by_id = {world.household_rows[i]["household_id"]: i for i in pool.tolist()}
            h_world = np.array([by_id[hid] for hid in instance.households["household_id"].tolist()], dtype=np.int64)
            by_id = {world.unit_rows[j]["unit_id"]: j for j in units.tolist()}
            u_world = np.array([by_id[uid] for uid in instance.units["unit_id"].tolist()], dtype=np.int64)
        self.solve_s += solution.build_s + solution.solve_s
        pairs = list(zip(h_world[solution.household].tolist(), u_world[solution.unit].tolist(), strict=True))
        if self.journal is not None:
            h_index = {world.household_rows[i]["household_id"]: i for i in pool.tolist()}
            u_index = {world.unit_rows[j]["unit_id"]: j for j in units.tolist()}
            _, _, excluded, by_policy = self._week_changes(week, pool, units)
            self._note(
                week,
                "run",
                policy=self._raw_policy(week, by_policy),
                excluded_pairs=sorted(excluded),
                households=sorted(h_index),
                units=sorted(u_index),
                pairs=sorted([world.household_rows[i]["household_id"], world.unit_rows[j]["unit_id"]] for i, j in pairs),
            )
        return pairs

    def _accept(self, week: int, pairs: list[tuple[int, int]]) -> tuple[int, int]:
        """The WBB accepts each proposed pair: the home is offered, and the household refuses
        it or moves in (a mover then moves out of its old place). Returns (persons newly
        housed, placements)."""
        world, scenario = self.world, self.scenario
        date = scenario.week_date(week)
        housed_persons = placements = 0
        for i, j in pairs:
            case = self._case(i)
            first = case.state is State.WAITING
            if self.first_offer[i] < 0 and first:
                self.first_offer[i] = week
            hid, uid = world.household_rows[i]["household_id"], world.unit_rows[j]["unit_id"]
            self._apply(i, Accepted(date, uid), week)
            self._note(week, "accept", household=i, unit=j)
            if decline_draw(scenario.seed, self.replicate, hid, uid) < scenario.decline_probability:
                effects = self._apply(i, OfferRefused(date, "household_refused"), week)
                assert effects.excluded_pair == (hid, uid)
                self.declined.setdefault(i, set()).add(uid)
                self.declines += 1
                self._note(week, "offer_refused", household=i, unit=j, reason="household_refused")
                continue
            until = self._stay_until(i, j, week)
            old_home = case.unit
            effects = self._apply(i, MovedIn(date, until), week)
            self._note(week, "moved_in", household=i, unit=j, temporary_until=until.isoformat() if until else None)
            if first:
                self.first_place[i] = week
                housed_persons += effects.persons_counted
                self.objective += effects.persons_counted * (scenario.horizon_weeks - week)
            else:
                assert old_home is not None
                self._move_out(i, self.unit_index[old_home], week)
                self.moves += 1
            placements += 1
            self.placements[i] += 1
            name = world.neighbourhood[j]
            self.by_neighbourhood[name] = self.by_neighbourhood.get(name, 0) + 1
            weekly = self.by_neighbourhood_weekly.setdefault(name, [0] * scenario.horizon_weeks)
            weekly[week] += 1
        return housed_persons, placements

    def _stay_until(self, i: int, j: int, week: int) -> dt.date | None:
        """The end of a stay in a temporary place: the stay limit, or with ``hold_for_family``
        for a household whose family is still to come, the day the family arrives."""
        place = self.places[str(self.world.unit_rows[j]["unit_id"])]
        if not place.temporary:
            return None
        assert place.stay_limit_weeks is not None
        if self.scenario.policy.hold_for_family and self.world.declared[i] > 0 and not self.family_arrived[i]:
            return self._arrival_date(i)
        return self.scenario.week_date(week + place.stay_limit_weeks)

    def _move_out(self, i: int, j: int, week: int) -> None:
        """A mover leaves its old place the day it moves in: a temporary place is on offer
        again, a social home goes back to the market (withdrawn)."""
        self._apply(i, MovedOut(self.scenario.week_date(week)), week)
        self._note(week, "moved_out", household=i, unit=j)
        if self.world.temporary[j]:
            self.offer_end[j] = NEVER
        else:
            self._withdraw(j, week)

    def _expire(self, week: int) -> None:
        for j in np.flatnonzero((self.unit_state == ON_OFFER) & (self.offer_end <= week)).tolist():
            self._withdraw(j, week)

    # -- bookkeeping -------------------------------------------------------------------
    def _check(self, week: int) -> None:
        world = self.world
        arrived = world.arrival_week <= week
        persons = self.adults + self.children
        housed_mask = (self.status == PERMANENT) | (self.status == TEMPORARY)
        in_pool = int(persons[arrived & (self.status == WAITING)].sum())
        housed = int(persons[arrived & housed_mask].sum())
        if in_pool + housed != self.arrived_persons - self.left_persons:
            raise ConservationError(
                f"week {week}: {in_pool} waiting + {housed} housed != {self.arrived_persons} arrived - {self.left_persons} left"
            )
        homes = self.home[arrived & housed_mask]
        non_shared = homes[~world.shared[homes]]
        if len(np.unique(non_shared)) != len(non_shared):
            raise ConservationError(f"week {week}: two households in one non-shared home")
        if (self.beds_left < 0).any():
            raise ConservationError(f"week {week}: a shared place holds more persons than beds")
        if (self.status[~arrived] != WAITING).any():
            raise ConservationError(f"week {week}: a household not yet gekoppeld was housed")
        holders = self.ledger.holders
        living = np.flatnonzero(arrived & housed_mask)
        for i, j in zip(living.tolist(), self.home[living].tolist(), strict=True):
            uid, hid = self.unit_ids[j], self.household_ids[i]
            held = holders.get(uid)
            if held is None or held.get(hid) is None:
                raise ConservationError(f"week {week}: {hid} lives in {uid} but the ledger does not say so")

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
        # A household that left without an offer is not counted as offered late.
        late = new & (week - world.koppeling_week > deadline) & ~((self.status == LEFT) & (self.first_offer < 0))
        decided = offered_in_time | late
        housed = (self.status == PERMANENT) | (self.status == TEMPORARY)
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
        self._leaving(week)
        joined = self._nareizigers(week)
        self._family_expected(week)
        self._documents(week)
        self._movers(week)
        pairs = self._propose(week)
        housed, placements = self._accept(week, pairs)
        self._expire(week)
        self._check(week)
        self._record(week, housed + joined, placements)

    def run(self) -> ReplicateRun:
        for week in range(self.scenario.horizon_weeks):
            self.step(week)
        return self.result()

    def result(self) -> ReplicateRun:
        """What the weeks stepped so far did."""
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


# ``until_day`` of a case without a temporary stay: after every day.
_NO_DAY = np.iinfo(np.int64).max

# The fields of the week's raw policy that ``_week_policy`` sets on a copy of the last parse.
_WEEKLY_FIELDS = ("planning_date", "excluded_pairs")

_STATUS = {
    State.WAITING: WAITING,
    State.OFFERED: OFFERED,
    State.HOUSED: PERMANENT,
    State.HOUSED_TEMPORARY: TEMPORARY,
    State.LEFT: LEFT,
}


def run_replicate(scenario: Scenario, world: World, replicate: int, strategy: str) -> ReplicateRun:
    """Simulate one strategy on one replicate's world."""
    return Simulation(scenario, world, replicate, strategy).run()
