"""The exact hindsight problem of one replicate, written out as a mixed-integer programme.

The relaxed reference (``hindsight.py``) drops most of what the simulator enforces. This
module states the whole problem: which households may be placed where in which week, when
a household may move on, how many may live in a home at once, as the simulator's week
(``simulator.py``) does it. ``hindsight_solve.py`` solves the programme and
``hindsight_replay.py`` plays every plan it returns back through the simulator.

**Make-ups.** A household has one make-up until its nareizigers arrive (week ``r``) and
another after, if they arrive within the horizon and not before the household arrived
(the simulator lets a family join only then). A *copy* is a household in one make-up,
offered homes only in the weeks it has that make-up and from the week it is gekoppeld with
its documents complete (rule E1). Its persons, its eligibility (rules E2-E8 and B1, with the
declared nareizigers expected before the family arrives and none after) and the beds it
takes in a shared place come with it.

**Homes.** A social home is on offer from the week it appears for ``offer_weeks`` weeks
and holds one household (a shared one: persons up to its beds). A temporary place is on
offer from the week it appears to the end of the horizon; it takes a new household from the
week after its occupant moved out (the proposal of a week comes before its moves).

**The columns** are 0/1 events: a copy enters a home in a week (a first placement, or a
move), or leaves a temporary place in a week; plus, per temporary place and week, its
occupancy (households, or persons in a shared place), fixed by the events.

**The rules, each one family of rows** (``row_rule`` names them):

1. ``first_once``: at most one first placement per household, over both make-ups.
2. ``home_once``: no household enters a home twice. Without loss when movers go to
   permanent homes only (the default: a temporary place is then entered only by a first
   placement). With ``movers_to_permanent_only: false`` a household could return to a
   place it left; the model does not allow that and says so in ``restrictions``.
3. ``social_home``: a non-shared social home takes one household, a shared one persons up
   to its beds. Nobody leaves a social home in the model (see "Pruned"), so what enters is
   what lives there.
4. ``occupancy``: a temporary place's occupancy in a week in which someone may enter is the
   occupancy at the previous such week plus the entries since, minus the moves out before
   this week; it is at most one household, or the beds.
5. ``neighbourhood_cap``: per capped wijk and week, entries (first placements and moves)
   into its homes up to the cap, as in each weekly proposal.
6. ``leave_after_entry``: a household may move out of a temporary place in week ``s`` only
   if the simulator has put it in the pool as a mover by then: its stay reached the limit
   (entered ``stay`` weeks before or earlier; with ``hold_for_family`` only once its family
   has arrived), or its family arrived while it lived there and the place is shared, too
   small for the family (more persons than ``max_occupants``) or, with
   ``hold_for_family``, temporary. A stay limit does not end a stay: the household lives
   there until it moves.
7. ``move_is_leave_and_entry``: per household and week, entries as a mover equal moves out.
   A mover is offered homes with its make-up of that week; with
   ``movers_to_permanent_only`` (the default) permanent homes only.

8. ``tail`` (only with a :class:`TailBound`): at most ``late_allowed(n)`` of the ``n``
   households that arrived within the horizon wait more than ``T`` weeks from koppeling to a
   first placement, a household never placed counting with the weeks to the horizon, as
   ``matcher.simulate.fairness`` counts waits. Per household that may be late a 0/1 column
   ``late`` and a row: late, or placed by week koppeling + T. This is exact, declines
   included (a declined offer places nobody). With ``declined_offers_count`` the rule counts
   weeks to a first *offer* instead, as the simulator's p90 does: a policy may also make an
   offer it knows will be declined, and a declined offer counts as an offer. A household
   then counts as offered in time, whatever the plan, when some home it would decline is on
   offer to it (eligible, within the home's offer window) by week koppeling + T, whether or
   not that home is free in that week: a relaxation, so the optimum is an upper bound on what
   a plan whose declined offers are real can reach (exact with no declines).

Declines and ``hold_for_family`` remove columns: a pair whose offer the replicate declines
(the hash of seed, replicate and ids the simulator draws) is never entered, because a
declined offer is never accepted and an offer made only to be declined changes nothing but
a cap's count and the first-offer week, neither of which can raise the measure; with
``hold_for_family`` a household that expects nareizigers is not offered a permanent home
before they arrive.

**The measure** (maximised): ``objective`` as the simulator reports it, persons at the first
placement times the weeks of the horizon left; or ``persons_housed``: persons at the first
placement plus nareizigers who join a housed household within the horizon. Moves count for
neither.

**Pruned, without changing the optimum** (``_canonical_weeks`` gives the argument):

- no household leaves a social home: such a move frees no place (the home goes back to the
  market), gains nothing in either measure and takes a home; dropping it keeps a plan
  feasible;
- steps happen only in weeks in which an optimal plan with the smallest sum of step weeks
  can have them;
- a temporary place is left only in a week in which someone else could still enter it, and
  a household leaves only in a week in which it could move into some home.

The tail row keeps this argument: moving a first placement earlier never makes a household
wait longer, so a plan within the tail bound stays within it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from matcher.simulate.scenario import Scenario
from matcher.simulate.streams import decline_draw
from matcher.simulate.weekly_arrays import eligible_over_horizon_arrays
from matcher.simulate.world import NEVER, World

Measure = Literal["objective", "persons_housed"]
MEASURES: tuple[Measure, ...] = ("objective", "persons_housed")

FIRST, MOVE, LEAVE = 0, 1, 2
KIND_NAMES = {FIRST: "first", MOVE: "move", LEAVE: "leave"}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Pair = tuple[int, int]  # (copy, home)


@dataclass(frozen=True)
class Copy:
    """A household in one make-up: before (state 0) or after (state 1) its family arrived."""

    household: int
    state: int
    persons: int
    first_week: int  # first week it may be offered a home in this make-up
    last_week: int  # last week, inclusive
    due: bool = True  # the declared nareizigers count for rule E5 (always, unless their date is known and far)


@dataclass(frozen=True)
class Chain:
    """The event columns of one kind of step, one copy and one home: one column per week it may happen."""

    kind: int  # FIRST, MOVE or LEAVE
    copy: int
    unit: int
    weeks: tuple[int, ...]
    column: int  # the column of weeks[0]; weeks[q] is column + q

    def at(self, week: int, weight: float, terms: dict[int, float]) -> None:
        """Add ``weight`` x (the step happens in ``week``)."""
        q = bisect.bisect_left(self.weeks, week)
        if q < len(self.weeks) and self.weeks[q] == week:
            terms[self.column + q] = terms.get(self.column + q, 0) + weight

    def between(self, first: int, last: int, weight: float, terms: dict[int, float]) -> None:
        """Add ``weight`` x (the step happens in a week from ``first`` to ``last``)."""
        for q in range(bisect.bisect_left(self.weeks, first), bisect.bisect_right(self.weeks, last)):
            terms[self.column + q] = terms.get(self.column + q, 0) + weight

    def by(self, week: int, weight: float, terms: dict[int, float]) -> None:
        """Add ``weight`` x (the step happened in ``week`` or before)."""
        self.between(-1, week, weight, terms)

    def all(self, weight: float, terms: dict[int, float]) -> None:
        """Add ``weight`` x (the step happens within the horizon)."""
        for q in range(len(self.weeks)):
            terms[self.column + q] = terms.get(self.column + q, 0) + weight


@dataclass(frozen=True)
class Move:
    """One step of a hindsight plan: a household enters a home (first placement or move) in a week."""

    week: int
    household: int
    unit: int
    kind: str  # "first" or "move"
    persons: int


@dataclass(frozen=True)
class TailBound:
    """The tail rule: at most ``late_allowed(n)`` households wait more than ``weeks`` weeks to a first placement
    (with ``declined_offers_count``, to a first offer, a declined one included)."""

    weeks: int
    declined_offers_count: bool = False


def late_allowed(n: int) -> int:
    """The most of ``n`` waits that may exceed T when their 90th percentile (``numpy.percentile``) is at most T.

    With the waits sorted, the percentile lies between the waits at ``f = floor(0.9 (n - 1))``
    and ``f + 1``, so it is at least the wait at ``f``: if it is at most T, so are the first
    ``f + 1`` waits, and at most ``n - 1 - f`` exceed T. The rule is therefore implied by a 90th
    percentile of at most T (it allows a few plans whose percentile, interpolated, lies just
    above T: the optimum under it is an upper bound for "p90 at most T")."""
    if n <= 0:
        return 0
    return n - 1 - (9 * (n - 1)) // 10


@dataclass
class _Rows:
    """Sparse rows collected as triplets, with their bounds and the rule each row states."""

    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)

    def add(self, terms: dict[int, float], lower: float, upper: float, rule: str) -> None:
        terms = {c: v for c, v in terms.items() if v != 0}
        if not terms:
            return
        row = len(self.lower)
        for col, val in sorted(terms.items()):
            self.rows.append(row)
            self.cols.append(col)
            self.vals.append(val)
        self.lower.append(lower)
        self.upper.append(upper)
        self.rule.append(rule)


@dataclass(frozen=True)
class HindsightModel:
    """The programme: maximise ``cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper`` and the column bounds.

    Event columns are 0/1; occupancy columns are integers fixed by the events. Every
    coefficient is an integer, so the programme goes to an integer solver (CP-SAT) as it is.
    """

    scenario: Scenario
    world: World
    replicate: int
    measure: Measure
    copies: list[Copy]
    chains: list[Chain]
    cost: IntArray
    upper: IntArray  # column upper bounds (lower bounds are 0)
    matrix: sparse.csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    row_rule: list[str]
    restrictions: tuple[str, ...]
    tail: TailBound | None = None
    late_columns: int = 0  # the tail rule's columns, the last ones
    late_forced: int = 0  # households late in every plan (the tail rule counts them as a constant)
    tail_impossible: bool = False  # more households are late in every plan than the tail rule allows

    @property
    def n_columns(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_events(self) -> int:
        return sum(len(c.weeks) for c in self.chains)

    def value(self, x: npt.ArrayLike) -> int:
        """The measure of a solution vector."""
        return int(np.rint(self.cost @ np.asarray(x, dtype=float)))

    def feasible(self, x: npt.ArrayLike, tolerance: float = 1e-6) -> bool:
        """Whether an integer vector keeps every row and bound."""
        values = np.asarray(x, dtype=float)
        if np.any(values < -tolerance) or np.any(values > self.upper + tolerance):
            return False
        if np.any(np.abs(values - np.rint(values)) > tolerance):
            return False
        rows = self.matrix @ values
        return bool(np.all(rows >= self.row_lower - tolerance) and np.all(rows <= self.row_upper + tolerance))

    def plan(self, x: npt.ArrayLike) -> list[Move]:
        """The entries of an integer solution: who enters which home in which week, in week order."""
        values = np.rint(np.asarray(x, dtype=float)).astype(np.int64)
        steps: list[Move] = []
        for chain in self.chains:
            if chain.kind == LEAVE:
                continue
            for q, week in enumerate(chain.weeks):
                if values[chain.column + q] > 0:
                    copy = self.copies[chain.copy]
                    steps.append(Move(week, copy.household, chain.unit, KIND_NAMES[chain.kind], copy.persons))
        return sorted(steps, key=lambda m: (m.week, m.household, m.unit))

    def sizes(self) -> dict[str, int]:
        """Columns by kind, rows by rule, and non-zero coefficients."""
        by_kind = {KIND_NAMES[k]: 0 for k in (FIRST, MOVE, LEAVE)}
        for chain in self.chains:
            by_kind[KIND_NAMES[chain.kind]] += len(chain.weeks)
        rules: dict[str, int] = {}
        for name in self.row_rule:
            rules[name] = rules.get(name, 0) + 1
        return {
            "columns": self.n_columns,
            **{f"columns_{k}": v for k, v in by_kind.items()},
            "columns_occupancy": self.n_columns - self.n_events - self.late_columns,
            "columns_late": self.late_columns,
            "rows": self.n_rows,
            **{f"rows_{k}": v for k, v in sorted(rules.items())},
            "nonzeros": int(self.matrix.nnz),
        }


def leave_weeks(world: World) -> IntArray:
    """The week each household stops being the municipality's task if still waiting or in a temporary place."""
    if world.leave_week is None:
        return np.full(world.n_households, NEVER, dtype=np.int64)
    return np.asarray(world.leave_week, dtype=np.int64)


def family_week(world: World, horizon: int) -> IntArray:
    """The week each household's nareizigers join it, or NEVER if not within the horizon.

    The simulator lets a family join only in its drawn week, only if the household has
    arrived by then and has not left before (a household that leaves while waiting or in a
    temporary place takes its family elsewhere)."""
    coming = world.declared + world.extra
    week = world.reunification_week
    ok = (coming > 0) & (week < horizon) & (week >= world.arrival_week) & (week < leave_weeks(world))
    result: IntArray = np.where(ok, week, NEVER).astype(np.int64)
    return result


def persons_after(world: World) -> tuple[IntArray, IntArray, IntArray]:
    """Adults, children and persons once the family has arrived (a single becomes two adults)."""
    coming = world.declared + world.extra
    adults = np.where((coming > 0) & (world.adults == 1), 2, world.adults).astype(np.int64)
    children = (world.children + coming - (adults - world.adults)).astype(np.int64)
    persons: IntArray = adults + children
    return adults, children, persons


def eligibility(scenario: Scenario, world: World) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Rules E2-E8 and B1 for each household and home: before the family arrives with the declared
    nareizigers counted, the same without them (rule E5 counts them only when their arrival is
    due), and after the family arrived.

    Documents (E1) are left to the weeks of each copy and the beds left to the occupancy rows."""
    if world.n_households == 0 or world.n_units == 0:
        empty = np.zeros((world.n_households, world.n_units), dtype=bool)
        return empty, empty.copy(), empty.copy()
    adults, children, _ = persons_after(world)
    declared = world.declared.tolist()
    before = [{"adults": a, "children": c} for a, c in zip(world.adults.tolist(), world.children.tolist(), strict=True)]
    due = [{**b, "expected_reunification": d} for b, d in zip(before, declared, strict=True)]
    not_due = [{**b, "expected_reunification": 0} for b in before]
    after = [
        {"adults": a, "children": c, "expected_reunification": 0} for a, c in zip(adults.tolist(), children.tolist(), strict=True)
    ]
    due_ok, not_due_ok, after_ok = eligible_over_horizon_arrays(scenario, world, [due, not_due, after])
    return due_ok, not_due_ok, after_ok


def declined(scenario: Scenario, world: World, replicate: int, candidates: BoolArray) -> BoolArray:
    """The pairs among ``candidates`` whose offer the replicate declines (the simulator's own draw)."""
    result = np.zeros_like(candidates)
    if scenario.decline_probability <= 0:
        return result
    for i, j in zip(*np.nonzero(candidates), strict=True):
        hid, uid = world.household_rows[int(i)]["household_id"], world.unit_rows[int(j)]["unit_id"]
        result[i, j] = decline_draw(scenario.seed, replicate, hid, uid) < scenario.decline_probability
    return result


def _copies(scenario: Scenario, world: World) -> list[Copy]:
    """Each household's make-ups with the weeks it may be offered a home in each.

    Before the family arrives, a week in which the family's arrival date is known and lies
    beyond the policy's reunification horizon is a week in which rule E5 does not count the
    nareizigers (a copy of its own); with the defaults (date known 13 weeks ahead, horizon 52
    weeks) there is no such week."""
    horizon = scenario.horizon_weeks
    family, leave = family_week(world, horizon), leave_weeks(world)
    _, _, after = persons_after(world)
    ready = np.maximum(world.arrival_week, world.documents_week)
    known_ahead = scenario.inflow.reunification.date_known_weeks
    due_within = int(scenario.policy.matcher.get("reunification_horizon_weeks", 52))
    copies: list[Copy] = []
    for i in range(world.n_households):
        r, gone = int(family[i]), min(int(leave[i]), horizon)
        first, last = int(ready[i]), min(r, gone) - 1
        not_due: set[int] = set()
        if known_ahead > 0 and world.declared[i] > 0:
            drawn = int(world.reunification_week[i])
            not_due = set(range(drawn - known_ahead, drawn - due_within))
        for lo, hi, due in _runs_by(range(first, last + 1), not_due):
            copies.append(Copy(i, 0, int(world.persons[i]), lo, hi, due=due))
        if r < gone and max(first, r) <= gone - 1:
            copies.append(Copy(i, 1, int(after[i]), max(first, r), gone - 1))
    return copies


def _runs_by(weeks: range, not_due: set[int]) -> list[tuple[int, int, bool]]:
    """Maximal runs of consecutive weeks in which the family is due or not, as (first, last, due)."""
    runs: list[tuple[int, int, bool]] = []
    for week in weeks:
        due = week not in not_due
        if runs and runs[-1][2] == due:
            runs[-1] = (runs[-1][0], week, due)
        else:
            runs.append((week, week, due))
    return runs


class ModelTooLarge(ValueError):
    """The programme would have more columns than allowed: a much larger world than a municipality's year."""

    def __init__(self, columns: int, limit: int) -> None:
        super().__init__(f"the exact hindsight would need up to {columns} columns (limit {limit})")
        self.columns, self.limit = columns, limit


# About ten times the base scenario's: of 100 replicates, the one with the largest programme counts
# 299,674 household-home-weeks before pruning and 232,895 columns after; none took over 431 MB.
MAX_COLUMNS = 3_000_000


class _Problem:
    """The replicate's facts the rows are written from: copies, homes, windows, deadlines."""

    def __init__(self, scenario: Scenario, world: World, replicate: int, max_columns: int = MAX_COLUMNS) -> None:
        self.scenario, self.world = scenario, world
        self.horizon = horizon = scenario.horizon_weeks
        policy = scenario.policy
        self.caps = {str(k): int(v) for k, v in (policy.matcher.get("neighbourhood_caps") or {}).items()}
        self.copies = _copies(scenario, world)
        self.family = family_week(world, horizon)
        self.leave = leave_weeks(world)
        self.after = persons_after(world)[2]
        # A household in a temporary place is a mover once its stay ends within this many weeks.
        self.move_on_weeks = int(policy.matcher.get("move_on_horizon_weeks", 0) or 0)
        before_ok, not_due_ok, after_ok = eligibility(scenario, world)
        refused = declined(scenario, world, replicate, before_ok | not_due_ok | after_ok)
        self.temporary, self.shared = world.temporary, world.shared
        self.capped = np.array([name in self.caps for name in world.neighbourhood], dtype=bool)
        offer_end = np.minimum(world.appear_week + scenario.vacancies.offer_weeks - 1, horizon - 1)
        unit_first = world.appear_week
        unit_last = np.where(self.temporary, horizon - 1, offer_end)
        self.mover_may_enter = ~self.temporary if policy.movers_to_permanent_only else np.ones(world.n_units, dtype=bool)
        # Which copy may have which home in which weeks: rules 9 and 10 and the offer windows.
        self.windows: dict[Pair, tuple[int, int]] = {}
        # The first week each household could be offered a home it declines (for the tail rule).
        self.decline_week = np.full(world.n_households, NEVER, dtype=np.int64)
        for k, copy in enumerate(self.copies):
            eligible = after_ok if copy.state == 1 else before_ok if copy.due else not_due_ok
            allowed = eligible[copy.household].copy()
            if policy.hold_for_family and copy.state == 0 and world.declared[copy.household] > 0:
                allowed &= self.temporary
            ok = allowed & ~refused[copy.household]
            for j in np.flatnonzero(ok).tolist():
                lo, hi = max(copy.first_week, int(unit_first[j])), min(copy.last_week, int(unit_last[j]))
                if lo <= hi:
                    self.windows[k, j] = (lo, hi)
            for j in np.flatnonzero(allowed & refused[copy.household]).tolist():
                lo, hi = max(copy.first_week, int(unit_first[j])), min(copy.last_week, int(unit_last[j]))
                if lo <= hi:
                    self.decline_week[copy.household] = min(int(self.decline_week[copy.household]), lo)
        columns = sum(hi - lo + 1 for lo, hi in self.windows.values())
        if columns > max_columns:
            raise ModelTooLarge(columns, max_columns)
        self.copy_at = {(c.household, w): k for k, c in enumerate(self.copies) for w in range(c.first_week, c.last_week + 1)}
        # Homes a mover may enter: household -> week -> homes (rule 8).
        self.targets: dict[int, dict[int, list[int]]] = {}
        for (k, j), (lo, hi) in sorted(self.windows.items()):
            if self.mover_may_enter[j]:
                weeks = self.targets.setdefault(self.copies[k].household, {})
                for week in range(lo, hi + 1):
                    weeks.setdefault(week, []).append(j)
        self.deadlines: dict[Pair, IntArray] = {(k, j): self._deadlines(k, j) for (k, j) in self.windows if self.temporary[j]}
        # The first week a copy may leave, by the week it entered (the horizon if never).
        every_week = np.arange(self.horizon)
        self.first_leaves: dict[Pair, list[int]] = {
            pair: np.searchsorted(deadline, every_week, side="left").tolist() for pair, deadline in self.deadlines.items()
        }

    def household(self, k: int) -> int:
        return self.copies[k].household

    def persons(self, k: int) -> int:
        return self.copies[k].persons

    def stay(self, unit: int) -> int:
        stays = self.scenario.stays
        return stays.flex_weeks if self.world.unit_rows[unit]["unit_type"] == "flex" else stays.transit_weeks

    def _deadlines(self, k: int, j: int) -> IntArray:
        """Per week s: the latest week the copy may have entered temporary place j to be a mover in s (-1: none).

        The simulator makes a household in a temporary place a mover (``is_move_on_candidate``)
        once its stay ends within ``move_on_horizon_weeks`` (0 unless the scenario's policy sets
        it): the stay ends ``stay`` weeks after the entry, or, with ``hold_for_family`` for a
        household that entered before its family arrived, on the day the family arrives. Or
        once its family has arrived while it lives there and the place is too small for it
        (shared: more persons than the beds it took; otherwise more than ``max_occupants``)."""
        policy = self.scenario.policy
        copy = self.copies[k]
        i = copy.household
        weeks = np.arange(self.horizon)
        if policy.hold_for_family and self.world.declared[i] > 0 and copy.state == 0:
            ends = int(self.world.reunification_week[i])  # the stay lasts until the family arrives
            deadline = np.where(weeks + self.move_on_weeks >= ends, weeks - 1, -1)
        else:
            deadline = weeks + self.move_on_weeks - self.stay(j)
        r = int(self.family[i])
        too_small = bool(self.shared[j]) or int(self.after[i]) > int(self.world.max_occupants[j])
        if copy.state == 0 and r < self.horizon and too_small:
            deadline = np.where(weeks >= r, weeks - 1, deadline)
        result: IntArray = np.clip(deadline, -1, weeks - 1).astype(np.int64)
        return result

    def first_leave(self, pair: Pair, entered: int) -> int:
        """The first week a copy that entered in week ``entered`` may leave (the horizon if none)."""
        return self.first_leaves[pair][entered]


@dataclass
class _Weeks:
    """The weeks in which each step may happen in a plan that is canonical (see ``_canonical_weeks``)."""

    first: dict[Pair, list[int]]
    leave: dict[Pair, list[int]]
    move: dict[Pair, list[int]]


def _canonical_weeks(p: _Problem) -> _Weeks:
    """Weeks of first placements, leaves and moves that some optimal plan is made of.

    Take an optimal plan with the smallest sum of the weeks of all its steps. A first
    placement into a home in an uncapped wijk could be made a week earlier unless it is in
    the first week of its window or the place was full until a move out the week before or
    until someone left the municipality's task that week (that frees the place before the
    proposal); a move into a home in an uncapped wijk could be made a week earlier (worth the
    same, freeing the place earlier) unless the household became a mover that week, the home
    came on offer that week, the family arrived that week (another make-up, other homes), or
    the place it moves into was full until then. So the steps of that plan
    happen only in the weeks kept here. The sets depend on each other (entries after
    leaves, leaves after entries); starting from every week, each round keeps only weeks
    the previous round allows, until nothing changes.
    """
    horizon, world = p.horizon, p.world
    temp_pairs = sorted(pair for pair in p.windows if p.temporary[pair[1]])
    households = sorted({p.household(k) for k, _ in temp_pairs})
    first: dict[Pair, list[int]] = {}
    for (k, j), (lo, hi) in sorted(p.windows.items()):
        first[k, j] = [lo] if not p.temporary[j] and not p.capped[j] else list(range(lo, hi + 1))
    leave_any: dict[int, set[int]] = {j: set(range(horizon)) for j in range(world.n_units)}  # every week, to start
    departures: dict[int, dict[int, set[int]]] = {}  # home -> week -> households that may leave the task then
    for k, j in temp_pairs:
        gone = int(p.leave[p.household(k)])
        if gone < horizon:
            departures.setdefault(j, {}).setdefault(gone, set()).add(p.household(k))
    move: dict[Pair, list[int]] = {}
    leave: dict[Pair, list[int]] = {}
    for _ in range(4 * horizon + 4):
        # Entries into temporary places by movers (only if movers may go there).
        entries: dict[Pair, list[int]] = {pair: first[pair] for pair in temp_pairs}
        for (k, j), weeks in move.items():
            if p.temporary[j]:
                entries[k, j] = sorted(set(entries.get((k, j), [])) | set(weeks))
        latest: dict[int, dict[int, int]] = {}  # home -> household -> latest entry week
        for (k, j), weeks in entries.items():
            if weeks:
                by_household = latest.setdefault(j, {})
                by_household[p.household(k)] = max(by_household.get(p.household(k), -1), weeks[-1])
        # Weeks a household becomes a mover, and the moves it may make.
        options: dict[int, list[tuple[int, int]]] = {}
        becomes: dict[int, set[int]] = {}
        for pair, weeks in entries.items():
            if weeks and pair in p.deadlines:
                becomes.setdefault(p.household(pair[0]), set()).update(p.first_leave(pair, t) for t in weeks)
        for i in households:
            r = int(p.family[i])
            chosen = []
            for s, homes in sorted(p.targets.get(i, {}).items()):
                for j in homes:
                    if (s in becomes.get(i, ()) or s == int(world.appear_week[j]) or s == r or p.capped[j]
                            or (p.temporary[j] and (s - 1 in leave_any[j] or s in departures.get(j, {})))):  # fmt: skip
                        chosen.append((s, j))
            options[i] = chosen
        # Leaves: after the first week the copy may leave, before the last week someone else could enter.
        new_leave: dict[Pair, list[int]] = {}
        for pair, weeks in entries.items():
            if not weeks:
                continue
            k, j = pair
            i = p.household(k)
            others = [week for h, week in latest.get(j, {}).items() if h != i]
            stop = min(max(others, default=-1) - 1, horizon - 2, int(p.leave[i]) - 1)
            start = p.first_leave(pair, weeks[0])
            chosen_weeks = sorted({s for s, _ in options.get(i, []) if start <= s <= stop})
            if chosen_weeks:
                new_leave[pair] = chosen_weeks
        new_leave_any: dict[int, set[int]] = {}
        count: dict[int, dict[int, int]] = {}  # home -> week -> households leaving
        for (_, j), weeks in new_leave.items():
            new_leave_any.setdefault(j, set()).update(weeks)
            for s in weeks:
                count.setdefault(j, {})
                count[j][s] = count[j].get(s, 0) + 1
        # First placements into uncapped temporary places: first week of the window or after another's leave.
        own: dict[tuple[int, int], set[int]] = {}
        for (k, j), weeks in new_leave.items():
            own.setdefault((p.household(k), j), set()).update(weeks)
        new_first = dict(first)
        for k, j in temp_pairs:
            if p.capped[j]:
                continue
            lo, hi = p.windows[k, j]
            i = p.household(k)
            mine = own.get((i, j), set())
            after_leave = {s + 1 for s in new_leave_any.get(j, set()) if lo < s + 1 <= hi and (s not in mine or count[j][s] > 1)}
            after_departure = {w for w, who in departures.get(j, {}).items() if lo < w <= hi and who - {i}}
            new_first[k, j] = sorted({lo} | after_leave | after_departure)
        # Moves: the options in weeks the household may leave.
        leave_weeks: dict[int, set[int]] = {}
        for (k, _), weeks in new_leave.items():
            leave_weeks.setdefault(p.household(k), set()).update(weeks)
        new_move: dict[Pair, list[int]] = {}
        for i, chosen in options.items():
            for s, j in chosen:
                if s in leave_weeks.get(i, ()):
                    new_move.setdefault((p.copy_at[i, s], j), []).append(s)
        stable = new_first == first and new_leave == leave and new_move == move
        first, leave, move = new_first, new_leave, new_move
        leave_any = {j: new_leave_any.get(j, set()) for j in range(world.n_units)}
        if stable:
            return _Weeks(first, leave, move)
    raise AssertionError("the canonical weeks did not settle")  # each round only removes weeks


def build_model(
    scenario: Scenario,
    world: World,
    replicate: int,
    measure: Measure = "objective",
    max_columns: int = MAX_COLUMNS,
    tail: TailBound | None = None,
) -> HindsightModel:
    """The exact hindsight programme of one replicate's world (see the module docstring), with
    the tail rule (rule 8) when ``tail`` is given.

    Raises :class:`ModelTooLarge` before building anything big when the copies' windows
    alone hold more than ``max_columns`` household-home-weeks."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    p = _Problem(scenario, world, replicate, max_columns)
    weeks = _canonical_weeks(p)
    chains: list[Chain] = []
    column = 0
    for kind, listed in ((FIRST, weeks.first), (MOVE, weeks.move), (LEAVE, weeks.leave)):
        for (k, j), chain_weeks in sorted(listed.items()):
            chains.append(Chain(kind, k, j, tuple(chain_weeks), column))
            column += len(chain_weeks)
    n_events = column
    firsts = [c for c in chains if c.kind == FIRST]
    moves = [c for c in chains if c.kind == MOVE]
    leaves = [c for c in chains if c.kind == LEAVE]
    temporary, shared, beds = p.temporary, p.shared, world.beds
    rows = _Rows()

    def weight(c: Chain) -> float:
        return float(p.persons(c.copy) if shared[c.unit] else 1)

    def room(j: int) -> int:
        return int(beds[j]) if shared[j] else 1

    # Rule 1: one first placement per household.
    for mine in _grouped(firsts, lambda c: p.household(c.copy)).values():
        terms: dict[int, float] = {}
        for c in mine:
            c.all(1, terms)
        rows.add(terms, -np.inf, 1, "first_once")
    # Rule 2: a home once per household, where a household could enter a home twice.
    restrictions: tuple[str, ...] = ()
    if not scenario.policy.movers_to_permanent_only:
        restrictions = ("a household enters each home at most once",)
        for mine in _grouped(firsts + moves, lambda c: (p.household(c.copy), c.unit)).values():
            terms = {}
            for c in mine:
                c.all(1, terms)
            if len(terms) > 1:
                rows.add(terms, -np.inf, 1, "home_once")
    entering = _grouped(firsts + moves, lambda c: c.unit)
    leaving = _grouped(leaves, lambda c: c.unit)
    upper = [1] * n_events
    for j, into in sorted(entering.items()):
        if not temporary[j]:
            # Rule 3: a social home takes one household, or persons up to its beds.
            terms = {}
            for c in into:
                c.all(weight(c), terms)
            rows.add(terms, -np.inf, room(j), "social_home")
            continue
        # Rule 4: occupancy of a temporary place in each week someone may enter it.
        previous, previous_column = -1, None
        for week in sorted({w for c in into for w in c.weeks}):
            occupancy = len(upper)
            upper.append(room(j))
            terms = {occupancy: 1.0}
            if previous_column is not None:
                terms[previous_column] = -1.0
            for c in into:
                c.between(previous + 1, week, -weight(c), terms)
                if previous < int(p.leave[p.household(c.copy)]) <= week:
                    c.all(weight(c), terms)  # left the municipality's task: gone from the place that week
            for c in leaving.get(j, []):
                c.between(previous, week - 1, weight(c), terms)  # moved out since the week before the previous entry week
                if previous < int(p.leave[p.household(c.copy)]) <= week:
                    c.all(-weight(c), terms)  # its move out, if any, is already counted in the departure above
            rows.add(terms, 0, 0, "occupancy")
            previous, previous_column = week, occupancy
    # Rule 5: neighbourhood caps per week, on first placements and moves alike.
    for name, cap in sorted(p.caps.items()):
        in_wijk = [c for c in firsts + moves if world.neighbourhood[c.unit] == name]
        for week in sorted({w for c in in_wijk for w in c.weeks}):
            terms = {}
            for c in in_wijk:
                c.at(week, 1, terms)
            rows.add(terms, -np.inf, cap, "neighbourhood_cap")
    # Rule 6: a move out only after an entry early enough to allow it. A row for a week is
    # implied by the row of a later week with the same entries allowed, so only the last is kept.
    entered = _grouped([c for c in firsts + moves if temporary[c.unit]], lambda c: (c.copy, c.unit))
    for c in leaves:
        deadlines = p.deadlines[c.copy, c.unit]
        into = entered.get((c.copy, c.unit), [])
        allowed = [sum(bisect.bisect_right(e.weeks, int(deadlines[s])) for e in into) for s in c.weeks]
        for q, s in enumerate(c.weeks):
            if q + 1 < len(c.weeks) and allowed[q + 1] == allowed[q]:
                continue
            terms = {}
            c.by(s, 1, terms)
            for e in into:
                e.by(int(deadlines[s]), -1, terms)
            rows.add(terms, -np.inf, 0, "leave_after_entry")
    # Rule 7: per household and week, entries as a mover equal moves out.
    moves_of = _grouped(moves, lambda c: p.household(c.copy))
    leaves_of = _grouped(leaves, lambda c: p.household(c.copy))
    for i in sorted(set(moves_of) | set(leaves_of)):
        mine = moves_of.get(i, []) + leaves_of.get(i, [])
        for week in sorted({w for c in mine for w in c.weeks}):
            terms = {}
            for c in mine:
                c.at(week, 1 if c.kind == MOVE else -1, terms)
            rows.add(terms, 0, 0, "move_is_leave_and_entry")

    # Rule 8: at most late_allowed(n) households wait more than T weeks to a first placement
    # (with declined_offers_count, to a first offer).
    late_columns = late_forced = 0
    impossible = False
    if tail is not None:
        late_columns, late_forced, impossible = _tail_rows(p, firsts, tail, upper, rows)
    # The measure: first placements, and (persons housed) a family that joins a household in a permanent home.
    cost = np.zeros(len(upper), dtype=np.int64)
    for c in firsts + moves:
        for q, week in enumerate(c.weeks):
            cost[c.column + q] = _value(measure, p, c, week)
    matrix = sparse.csr_matrix(
        (np.array(rows.vals, dtype=float), (np.array(rows.rows, dtype=np.int64), np.array(rows.cols, dtype=np.int64))),
        shape=(len(rows.lower), len(upper)),
    )
    return HindsightModel(
        scenario=scenario,
        world=world,
        replicate=replicate,
        measure=measure,
        copies=p.copies,
        chains=chains,
        cost=cost,
        upper=np.array(upper, dtype=np.int64),
        matrix=matrix,
        row_lower=np.array(rows.lower, dtype=float),
        row_upper=np.array(rows.upper, dtype=float),
        row_rule=rows.rule,
        restrictions=restrictions,
        tail=tail,
        late_columns=late_columns,
        late_forced=late_forced,
        tail_impossible=impossible,
    )


def _tail_rows(p: _Problem, firsts: list[Chain], tail: TailBound, upper: list[int], rows: _Rows) -> tuple[int, int, bool]:
    """Rule 8's columns and rows; returns (late columns, households late in every plan, impossible).

    A household is never late if the horizon comes within T weeks of its koppeling (or, when
    declined offers count, if a home it would decline is on offer to it by week koppeling + T);
    it is late in every plan if it can be placed no earlier than that week + 1."""
    world, horizon = p.world, p.horizon
    arrived = world.arrival_week < horizon
    mine = _grouped(firsts, lambda c: p.household(c.copy))
    late: dict[int, float] = {}
    forced = 0
    for i in np.flatnonzero(arrived).tolist():
        deadline = int(world.koppeling_week[i]) + tail.weeks
        if horizon <= deadline or (tail.declined_offers_count and int(p.decline_week[i]) <= deadline):
            # Never late: waits are counted up to the horizon (horizon - koppeling <= T), or offered in time.
            continue
        terms: dict[int, float] = {}
        for c in mine.get(i, []):
            c.by(deadline, -1, terms)
        terms = {col: v for col, v in terms.items() if v != 0}
        if not terms:
            forced += 1
            continue
        column = len(upper)
        upper.append(1)
        late[column] = 1.0
        rows.add({column: -1.0, **terms}, -np.inf, -1, "tail")  # late, or placed by the deadline
    allowed = late_allowed(int(arrived.sum())) - forced
    if late:
        rows.add(late, -np.inf, max(allowed, 0), "tail")
    return len(late), forced, allowed < 0


def _value(measure: Measure, p: _Problem, chain: Chain, week: int) -> int:
    """What a step adds to the measure: a first placement, or (persons housed) a move that keeps a family.

    ``objective``: persons at the first placement times the weeks left. ``persons_housed``:
    persons at the first placement, plus the nareizigers who join the housed household within
    the horizon. They join if the household is housed when they come and has not left: a
    household that leaves while waiting or in a temporary place takes its family elsewhere,
    so when its leave week comes before the family, only a permanent home (a first placement
    there, or a move there before it leaves) brings the family in."""
    copy = p.copies[chain.copy]
    i = copy.household
    if measure == "objective":
        return copy.persons * (p.horizon - week) if chain.kind == FIRST else 0
    world = p.world
    coming = int(world.declared[i] + world.extra[i])
    drawn, leave = int(world.reunification_week[i]), int(p.leave[i])
    joins = coming > 0 and world.arrival_week[i] <= drawn < p.horizon and copy.state == 0
    permanent = not bool(p.temporary[chain.unit])
    if chain.kind == MOVE:
        return coming if joins and leave <= drawn and permanent and week < leave else 0
    if joins and (drawn < leave or permanent):
        return copy.persons + coming
    return copy.persons


def _grouped(chains: list[Chain], key: Any) -> dict[Any, list[Chain]]:
    grouped: dict[Any, list[Chain]] = {}
    for chain in chains:
        grouped.setdefault(key(chain), []).append(chain)
    return grouped
