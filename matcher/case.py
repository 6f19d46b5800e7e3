"""The case of one household over time: from koppeling to a home, and the places it holds.

A weekly proposal is one moment. The municipality is judged over half-years on what
really happened afterwards: who moved in, within the 10 weeks or not, families who grew
when nareizigers came, temporary places that must be left again. This module is that
history as a state machine, in plain Python so that the service, the simulator and the
tests share one definition of it.

- A ``Case`` is one household's state (``waiting``, ``offered``, ``housed``,
  ``housed_temporary``, ``left``) with the places it holds and the facts the worklists read.
- An event (``Accepted``, ``OfferRefused``, ``Reopen``, ``UnitWithdrawn``, ``MovedIn``,
  ``FamilyExpected``, ``FamilyArrived``, ``DocumentsComplete``, ``DocumentsExpected``,
  ``MovedOut``, ``Left``) is something that happened on a date. ``apply(case, event, places)`` returns the new case and its
  ``Effects``: units held, released, let or freed, a pair to exclude from later runs, and
  the persons that count for the taakstelling on that date. An event that does not fit
  the case raises ``EventNotAllowed`` naming the state (the service answers 409); a field
  that cannot be right raises ``InvalidEvent`` naming the field (422).
- A ``Ledger`` keeps, per unit, which households hold it or live in it, counting the beds
  of shared places, so that no household and no bed is ever held twice, and which units
  were withdrawn (no longer on offer: never held again).

Nothing here reads a clock: every date comes with the event or the question, so a case
replayed from its events is the same case on any day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import ClassVar

OFFER_DAYS = 14
"""Days between the WBB's accept and the move before the move is flagged as late."""

DEADLINE_WEEKS = 10
"""The 10-wekentermijn after the koppeling (Huisvestingswet 2014)."""

DEFAULT_MOVE_ON_HORIZON_WEEKS = 8
"""A temporary stay ending within this many weeks of the planning date makes a move-on candidate."""


class State(StrEnum):
    """Where a household stands; exactly one at a time."""

    WAITING = "waiting"
    OFFERED = "offered"
    HOUSED = "housed"
    HOUSED_TEMPORARY = "housed_temporary"
    LEFT = "left"


HOME_STATES = frozenset({State.HOUSED, State.HOUSED_TEMPORARY})

OFFER_REFUSED_REASONS = ("household_refused", "unit_unsuitable", "corporation_refused", "other")
"""Why an offered home was not taken: the household said no, the home turned out unsuitable,
the corporation withdrew, or something else. Codes, not free text: free text could hold
personal details."""

REOPEN_REASONS = ("decided_in_error", "unit_not_available", "household_not_ready", "other")
"""Why the WBB's accept is undone before anyone moved (the pair may come back later)."""

LEFT_REASONS = ("moved_away", "own_housing", "other")
"""Why a household is no longer the municipality's task: it moved to another municipality
or abroad, it found a home by itself, or something else."""

WITHDRAWN_REASONS = ("back_to_market", "unit_unsuitable", "renovation", "other")
"""Why a unit is no longer on offer: the corporation lets it on the regular market, it turned
out unsuitable, it needs work first, or something else."""


class EventNotAllowed(Exception):
    """The event does not fit the case's current state; the message names the state."""

    def __init__(self, kind: str, state: State, detail: str = "") -> None:
        allowed = ", ".join(sorted(ALLOWED_FROM[kind]))
        message = f"{kind} does not fit a household that is {state.value} (it fits: {allowed})"
        super().__init__(message + (f"; {detail}" if detail else ""))
        self.kind = kind
        self.state = state


class InvalidEvent(ValueError):
    """A field of the event cannot be right whatever the state; names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class LedgerError(Exception):
    """A unit or bed would be held twice, or a household would hold two offers."""

    def __init__(self, unit_id: str, message: str) -> None:
        super().__init__(message)
        self.unit_id = unit_id


@dataclass(frozen=True)
class Place:
    """What a case needs to know of a unit: is it shared, how many does it hold, is it temporary.

    ``beds`` is the number of persons a shared place holds in total; a non-shared unit is
    held by one household whatever its size, up to ``max_occupants`` persons.
    ``stay_limit_weeks`` is how long a stay in a temporary place may last; it gives the
    default ``temporary_until`` of a move."""

    unit_id: str
    max_occupants: int
    shared: bool = False
    beds: int | None = None
    temporary: bool = False
    stay_limit_weeks: int | None = None

    def too_small_for(self, persons: int, beds_held: int) -> bool:
        """True when the household no longer fits the place it lives in: more persons than
        the home's occupancy limit, or, in a shared place, than the beds it was given."""
        return persons > beds_held if self.shared else persons > self.max_occupants


@dataclass(frozen=True)
class Claim:
    """A unit (or ``persons`` beds of a shared place) held or lived in by a household."""

    unit_id: str
    persons: int


@dataclass(frozen=True)
class Case:
    """One household's state and the places it holds.

    - ``since``: the date it entered its state (the koppeling while it has never moved);
      an event dated before it is refused, so the history reads in date order.
    - ``offered_unit`` / ``offered_persons`` / ``offered_on``: the home the WBB accepted for
      it, held until the move, a refusal or a reopen.
    - ``unit`` / ``unit_persons`` / ``home_state``: the place it lives in and the beds it has
      there. A move-on household keeps them while an offer is pending, so that a refusal
      returns it to that place, not to the waiting list.
    - ``previous_unit``: the place it moved on from, held until its ``moved_out``.
    - ``counted``: its persons have counted for the taakstelling (at its first move); a
      later move never counts again, arrivals of family after it do.
    - ``expected_arrival_date``: when the family members it expects are due, once known
      (``FamilyExpected``); cleared when the last of them has arrived.
    """

    household_id: str
    koppeling_date: dt.date
    adults: int
    children: int
    expected_reunification: int = 0
    state: State = State.WAITING
    since: dt.date | None = None
    documents_complete: bool = True
    documents_expected: dt.date | None = None
    offered_unit: str | None = None
    offered_persons: int = 0
    offered_on: dt.date | None = None
    unit: str | None = None
    unit_persons: int = 0
    home_state: State | None = None
    housed_on: dt.date | None = None
    temporary_until: dt.date | None = None
    move_on: bool = False
    previous_unit: str | None = None
    previous_persons: int = 0
    counted: bool = False
    expected_arrival_date: dt.date | None = None

    @property
    def persons(self) -> int:
        return self.adults + self.children

    @property
    def entered(self) -> dt.date:
        """The date the case entered its current state."""
        return self.since or self.koppeling_date

    def claims(self) -> list[tuple[Claim, bool]]:
        """Every place the case holds: (claim, let). ``let`` is False for an offered home
        held for it, True for a place it lives in or has not moved out of yet."""
        out: list[tuple[Claim, bool]] = []
        if self.offered_unit is not None:
            out.append((Claim(self.offered_unit, self.offered_persons), False))
        if self.unit is not None:
            out.append((Claim(self.unit, self.unit_persons), True))
        if self.previous_unit is not None:
            out.append((Claim(self.previous_unit, self.previous_persons), True))
        return out


@dataclass(frozen=True)
class Effects:
    """What an event changes outside the case itself.

    - ``held``: a unit (or beds) now held for the household: no longer on offer to others;
    - ``released``: a hold given up: the unit (or its beds) is on offer again;
    - ``let``: a held unit the household moved into: let for as long as it lives there;
    - ``freed``: a place the household lived in and left: on offer again from the event's date;
    - ``excluded_pair``: (household, unit) never to be proposed again;
    - ``persons_counted``: persons that count for the taakstelling on the event's date.
    """

    held: tuple[Claim, ...] = ()
    released: tuple[Claim, ...] = ()
    let: tuple[Claim, ...] = ()
    freed: tuple[Claim, ...] = ()
    excluded_pair: tuple[str, str] | None = None
    persons_counted: int = 0


@dataclass(frozen=True)
class Transition:
    """The case after an event, and what the event changed outside it."""

    case: Case
    effects: Effects


# Events. Each names its kind as the contract spells it; ``date`` is the day it happened.


@dataclass(frozen=True)
class Accepted:
    """The WBB accepted a proposed pair: the home is offered, the move is due within 14 days."""

    kind: ClassVar[str] = "accepted"
    date: dt.date
    unit_id: str


@dataclass(frozen=True)
class OfferRefused:
    """The offer was not taken: the unit is on offer again and the pair is never proposed again."""

    kind: ClassVar[str] = "offer_refused"
    date: dt.date
    reason: str


@dataclass(frozen=True)
class Reopen:
    """The WBB's accept is undone before anyone moved: the unit is on offer again, the pair may return."""

    kind: ClassVar[str] = "reopen"
    date: dt.date
    reason: str


@dataclass(frozen=True)
class UnitWithdrawn:
    """The offered home was withdrawn (by its corporation or the WBB): the household is back where
    it was before the offer. Recorded with the unit's withdrawal, never on its own."""

    kind: ClassVar[str] = "unit_withdrawn"
    date: dt.date
    reason: str


@dataclass(frozen=True)
class MovedIn:
    """The household moved into the offered home; ``temporary_until`` ends a temporary stay."""

    kind: ClassVar[str] = "moved_in"
    date: dt.date
    temporary_until: dt.date | None = None


@dataclass(frozen=True)
class FamilyExpected:
    """The day the expected family members (nareizigers) are due is known: ``expected``."""

    kind: ClassVar[str] = "family_expected"
    date: dt.date
    expected: dt.date


@dataclass(frozen=True)
class FamilyArrived:
    """Family members (nareizigers) joined the household: ``adults`` and ``children`` who arrived."""

    kind: ClassVar[str] = "family_arrived"
    date: dt.date
    adults: int = 0
    children: int = 0


@dataclass(frozen=True)
class DocumentsComplete:
    """BSN and IBAN are known from this date: the household may be offered a home."""

    kind: ClassVar[str] = "documents_complete"
    date: dt.date


@dataclass(frozen=True)
class DocumentsExpected:
    """The documents are expected on ``expected``: shown on the worklist."""

    kind: ClassVar[str] = "documents_expected"
    date: dt.date
    expected: dt.date


@dataclass(frozen=True)
class MovedOut:
    """The household left the place it moved on from: that place is on offer again from this date."""

    kind: ClassVar[str] = "moved_out"
    date: dt.date


@dataclass(frozen=True)
class Left:
    """No longer the municipality's task (moved away, other reason): out of the pool, holds nothing."""

    kind: ClassVar[str] = "left"
    date: dt.date
    reason: str


Event = (
    Accepted
    | OfferRefused
    | Reopen
    | UnitWithdrawn
    | MovedIn
    | FamilyExpected
    | FamilyArrived
    | DocumentsComplete
    | DocumentsExpected
    | MovedOut
    | Left
)

EVENT_TYPES: tuple[type[Event], ...] = (
    Accepted,
    OfferRefused,
    Reopen,
    UnitWithdrawn,
    MovedIn,
    FamilyExpected,
    FamilyArrived,
    DocumentsComplete,
    DocumentsExpected,
    MovedOut,
    Left,
)
RECORDED_KINDS = tuple(t.kind for t in EVENT_TYPES if t not in (Accepted, UnitWithdrawn))
"""The kinds recorded as events on a household; ``accepted`` comes from the WBB's decision on
a run, ``unit_withdrawn`` from the withdrawal of the unit."""

_ALL = frozenset(State)
ALLOWED_FROM: dict[str, frozenset[State]] = {
    # A move-on household (temporary place, or a home too small) can be offered a home too.
    "accepted": frozenset({State.WAITING, State.HOUSED_TEMPORARY, State.HOUSED}),
    "offer_refused": frozenset({State.OFFERED}),
    "reopen": frozenset({State.OFFERED}),
    "unit_withdrawn": frozenset({State.OFFERED}),
    "moved_in": frozenset({State.OFFERED}),
    "family_expected": _ALL - {State.LEFT},
    "family_arrived": _ALL - {State.LEFT},
    "documents_complete": frozenset({State.WAITING}),
    "documents_expected": frozenset({State.WAITING}),
    # Only while the household still holds a place it moved on from (see ``_moved_out``).
    "moved_out": frozenset({State.OFFERED, State.HOUSED, State.HOUSED_TEMPORARY}),
    "left": frozenset({State.WAITING, State.OFFERED, State.HOUSED_TEMPORARY}),
}
"""For each kind, the states it may happen in; further conditions are in its function."""

REASONS: dict[str, tuple[str, ...]] = {
    "offer_refused": OFFER_REFUSED_REASONS,
    "reopen": REOPEN_REASONS,
    "unit_withdrawn": WITHDRAWN_REASONS,
    "left": LEFT_REASONS,
}


def apply(
    case: Case, event: Event, places: Mapping[str, Place] | None = None, *, count_family_arrivals: bool = True
) -> Transition:
    """The case after ``event``, and the event's effects.

    ``places`` holds the units the event touches (the unit accepted, the offered home, the
    place lived in); ``count_family_arrivals`` is the municipality's setting whether
    nareizigers joining a housed household count for the taakstelling.

    Raises ``EventNotAllowed`` (naming the state) when the event does not fit the case, and
    ``InvalidEvent`` (naming the field) when a field cannot be right.
    """
    places = places or {}
    if case.state not in ALLOWED_FROM[event.kind]:
        raise EventNotAllowed(event.kind, case.state)
    conflict = _conflict(case, event)
    if conflict:
        raise EventNotAllowed(event.kind, case.state, conflict)
    if event.date < case.koppeling_date:
        raise InvalidEvent("date", f"lies before the koppeling ({case.koppeling_date.isoformat()})")
    if event.date < case.entered:
        raise InvalidEvent("date", f"lies before the household became {case.state.value} ({case.entered.isoformat()})")
    if event.kind in REASONS and getattr(event, "reason", None) not in REASONS[event.kind]:
        raise InvalidEvent("reason", f"expected one of {', '.join(REASONS[event.kind])}")
    match event:
        case Accepted():
            return _accepted(case, event, places)
        case OfferRefused() | Reopen() | UnitWithdrawn():
            return _offer_undone(case, event)
        case MovedIn():
            return _moved_in(case, event, places)
        case FamilyExpected():
            return _family_expected(case, event)
        case FamilyArrived():
            return _family_arrived(case, event, places, count_family_arrivals)
        case DocumentsComplete():
            return Transition(replace(case, documents_complete=True, documents_expected=None), Effects())
        case DocumentsExpected():
            return _documents_expected(case, event)
        case MovedOut():
            return _moved_out(case, event)
        case Left():
            return _left(case, event)
    raise AssertionError(f"unknown event {event!r}")  # pragma: no cover


def _conflict(case: Case, event: Event) -> str:
    """Why the event does not fit the case beyond its state (empty when it fits)."""
    if isinstance(event, Accepted):
        if case.state is State.HOUSED and not case.move_on:
            return "a housed household is offered a home only when it must move on"
        if event.unit_id in (case.unit, case.previous_unit):
            return "the household lives in that place already"
    if isinstance(event, MovedIn) and case.unit is not None and case.previous_unit is not None:
        return f"the household has not moved out of {case.previous_unit} yet; record moved_out first"
    if isinstance(event, DocumentsExpected) and case.documents_complete:
        return "its documents are complete already"
    if isinstance(event, MovedOut) and case.previous_unit is None and not (case.state is State.OFFERED and case.unit):
        return "it holds no place it moved on from"
    return ""


def _place(places: Mapping[str, Place], unit_id: str) -> Place:
    try:
        return places[unit_id]
    except KeyError:
        raise InvalidEvent("unit_id", f"unit {unit_id} is not known") from None


def _accepted(case: Case, event: Accepted, places: Mapping[str, Place]) -> Transition:
    place = _place(places, event.unit_id)
    if place.shared and place.beds is not None and case.persons > place.beds:
        raise InvalidEvent("unit_id", f"the shared place has {place.beds} beds, the household {case.persons} persons")
    claim = Claim(event.unit_id, case.persons)
    offered = replace(
        case,
        state=State.OFFERED,
        since=event.date,
        offered_unit=event.unit_id,
        offered_persons=case.persons,
        offered_on=event.date,
    )
    return Transition(offered, Effects(held=(claim,)))


def _offer_undone(case: Case, event: OfferRefused | Reopen | UnitWithdrawn) -> Transition:
    """Back to where the household was before the offer: the waiting list, or (a move-on
    household) the place it still lives in. Only a refusal excludes the pair from later runs
    (a reopened pair may come back; a withdrawn unit is not on offer any more)."""
    assert case.offered_unit is not None
    claim = Claim(case.offered_unit, case.offered_persons)
    back = case.home_state if case.unit is not None and case.home_state is not None else State.WAITING
    undone = replace(case, state=back, since=event.date, offered_unit=None, offered_persons=0, offered_on=None)
    excluded = (case.household_id, case.offered_unit) if isinstance(event, OfferRefused) else None
    return Transition(undone, Effects(released=(claim,), excluded_pair=excluded))


def _moved_in(case: Case, event: MovedIn, places: Mapping[str, Place]) -> Transition:
    assert case.offered_unit is not None
    place = _place(places, case.offered_unit)
    until = event.temporary_until
    if not place.temporary and until is not None:
        raise InvalidEvent("temporary_until", "only for a move into a temporary place")
    if place.temporary and until is None:
        if place.stay_limit_weeks is None:
            raise InvalidEvent("temporary_until", "required: the place has no stay limit to take it from")
        until = event.date + dt.timedelta(weeks=place.stay_limit_weeks)
    if until is not None and until <= event.date:
        raise InvalidEvent("temporary_until", "must lie after the date of the move")
    state = State.HOUSED_TEMPORARY if place.temporary else State.HOUSED
    claim = Claim(case.offered_unit, case.offered_persons)
    moved = replace(
        case,
        state=state,
        since=event.date,
        offered_unit=None,
        offered_persons=0,
        offered_on=None,
        unit=case.offered_unit,
        unit_persons=case.offered_persons,
        home_state=state,
        housed_on=event.date,
        temporary_until=until,
        move_on=place.too_small_for(case.persons, case.offered_persons),
        previous_unit=case.unit if case.unit is not None else case.previous_unit,
        previous_persons=case.unit_persons if case.unit is not None else case.previous_persons,
        counted=True,
    )
    # A household counts once, at its first move; moving on from a temporary place does not count again.
    return Transition(moved, Effects(let=(claim,), persons_counted=0 if case.counted else case.persons))


def _family_arrived(case: Case, event: FamilyArrived, places: Mapping[str, Place], count: bool) -> Transition:
    for name, value in (("adults", event.adults), ("children", event.children)):
        if value < 0:
            raise InvalidEvent(name, "the number who arrived cannot be negative")
    arrived = event.adults + event.children
    if arrived < 1:
        raise InvalidEvent("adults", "at least one person arrives (adults + children >= 1)")
    still_expected = max(0, case.expected_reunification - arrived)
    grown = replace(
        case,
        adults=case.adults + event.adults,
        children=case.children + event.children,
        expected_reunification=still_expected,
        expected_arrival_date=case.expected_arrival_date if still_expected else None,
    )
    home = places.get(case.unit) if case.state in HOME_STATES and case.unit is not None else None
    if home is not None and home.too_small_for(grown.persons, case.unit_persons):
        grown = replace(grown, move_on=True)
    # Arrivals count when the household has counted already (it lives in the municipality);
    # before its first move they count with the household when it moves.
    counted = arrived if case.counted and count else 0
    return Transition(grown, Effects(persons_counted=counted))


def _family_expected(case: Case, event: FamilyExpected) -> Transition:
    if case.expected_reunification < 1:
        raise InvalidEvent("expected", "the household expects no family members (expected_reunification is 0)")
    if event.expected < event.date:
        raise InvalidEvent("expected", "lies before the date it is recorded")
    return Transition(replace(case, expected_arrival_date=event.expected), Effects())


def _documents_expected(case: Case, event: DocumentsExpected) -> Transition:
    if event.expected < event.date:
        raise InvalidEvent("expected", "lies before the date it is recorded")
    return Transition(replace(case, documents_expected=event.expected), Effects())


def _moved_out(case: Case, event: MovedOut) -> Transition:
    """The place a household moved on from comes free: after its new move (``previous_unit``),
    or just before it, while the new home is offered (``unit`` during an offer)."""
    if case.previous_unit is not None:
        claim = Claim(case.previous_unit, case.previous_persons)
        return Transition(replace(case, previous_unit=None, previous_persons=0), Effects(freed=(claim,)))
    if case.state is State.OFFERED and case.unit is not None:
        claim = Claim(case.unit, case.unit_persons)
        left_home = replace(case, unit=None, unit_persons=0, home_state=None, temporary_until=None, move_on=False)
        return Transition(left_home, Effects(freed=(claim,)))
    raise AssertionError("moved_out without a place to leave")  # pragma: no cover (see _conflict)


def _left(case: Case, event: Left) -> Transition:
    released = (Claim(case.offered_unit, case.offered_persons),) if case.offered_unit is not None else ()
    freed = tuple(claim for claim, let in case.claims() if let)
    gone = replace(
        case,
        state=State.LEFT,
        since=event.date,
        offered_unit=None,
        offered_persons=0,
        offered_on=None,
        unit=None,
        unit_persons=0,
        home_state=None,
        temporary_until=None,
        move_on=False,
        previous_unit=None,
        previous_persons=0,
    )
    return Transition(gone, Effects(released=released, freed=freed))


# Flags and candidacy: what the worklists and the next run read from a case.


def days_over_move_deadline(case: Case, on: dt.date) -> int | None:
    """Days past the 14 days an offered household has to move ("verhuizing over termijn"),
    or None when it is not offered or still within them."""
    if case.state is not State.OFFERED or case.offered_on is None:
        return None
    over = (on - case.offered_on).days - OFFER_DAYS
    return over if over > 0 else None


def weeks_over_deadline(case: Case, on: dt.date, deadline_weeks: int = DEADLINE_WEEKS) -> int | None:
    """Started weeks past the 10-wekentermijn of a waiting household (1 from its first day
    over), or None when it is not waiting or still within the term."""
    if case.state is not State.WAITING:
        return None
    over = (on - case.koppeling_date).days - 7 * deadline_weeks
    return -(-over // 7) if over > 0 else None


def is_move_on_candidate(case: Case, planning_date: dt.date, horizon_weeks: int = DEFAULT_MOVE_ON_HORIZON_WEEKS) -> bool:
    """True for a household that should be offered its next home in this run: it lives in a
    temporary place whose stay ends within ``horizon_weeks`` of the planning date, or in a
    home that has become too small (``move_on``)."""
    if case.state is State.HOUSED_TEMPORARY:
        ending = case.temporary_until is not None and case.temporary_until <= planning_date + dt.timedelta(weeks=horizon_weeks)
        return ending or case.move_on
    return case.state is State.HOUSED and case.move_on


def in_pool(case: Case, planning_date: dt.date, horizon_weeks: int = DEFAULT_MOVE_ON_HORIZON_WEEKS) -> bool:
    """Whether the next run proposes for this household: waiting ones, and move-on candidates."""
    return case.state is State.WAITING or is_move_on_candidate(case, planning_date, horizon_weeks)


# The ledger: who holds what, per unit.


@dataclass
class _Holder:
    persons: int
    let: bool


@dataclass
class Ledger:
    """Per unit, the households that hold it (an offer) or live in it, with their beds.

    A non-shared unit has at most one household; a shared place at most ``beds`` persons.
    A household holds at most one offered home at a time. A withdrawn unit is never held
    again (those living in a withdrawn shared place stay until they move out). ``apply``
    checks an event's effects against these rules before changing anything, so a refused
    change leaves the ledger as it was."""

    places: Mapping[str, Place]
    holders: dict[str, dict[str, _Holder]] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, places: Mapping[str, Place], cases: Iterable[Case], withdrawn: Iterable[str] = ()) -> Ledger:
        """The ledger the cases describe for the units in ``places`` (claims on other units are
        left out, so a ledger of the few units a change touches is cheap), with the units of
        ``withdrawn`` withdrawn; raises ``LedgerError`` when the cases hold a unit twice."""
        ledger = cls(places, withdrawn={unit_id for unit_id in withdrawn if unit_id in places})
        for case in cases:
            for claim, let in case.claims():
                if claim.unit_id in places:
                    ledger._add(case.household_id, claim, let)
        return ledger

    def persons_in(self, unit_id: str) -> int:
        return sum(h.persons for h in self.holders.get(unit_id, {}).values())

    def free_beds(self, unit_id: str) -> int:
        """Persons a shared place can still take (for a non-shared unit: 1 when nobody holds it, else 0)."""
        place = self.places[unit_id]
        if place.shared and place.beds is not None:
            return place.beds - self.persons_in(unit_id)
        return 0 if self.holders.get(unit_id) else 1

    def status(self, unit_id: str) -> str:
        """``available`` (a shared place with a free bed is still on offer), ``offered`` (held
        for a household that has not moved in), ``let``, or ``withdrawn``."""
        if unit_id in self.withdrawn:
            return "withdrawn"
        held = self.holders.get(unit_id, {})
        if not held or (self.places[unit_id].shared and self.free_beds(unit_id) > 0):
            return "available"
        return "let" if all(h.let for h in held.values()) else "offered"

    def beds(self, unit_id: str) -> tuple[int, int]:
        """(persons living in the unit, persons it is held for)."""
        held = self.holders.get(unit_id, {}).values()
        return sum(h.persons for h in held if h.let), sum(h.persons for h in held if not h.let)

    def offered_to(self, unit_id: str) -> list[str]:
        """The households a unit is held for (offered, not moved in), in id order."""
        return sorted(h for h, x in self.holders.get(unit_id, {}).items() if not x.let)

    def check_withdraw(self, unit_id: str) -> None:
        """Raises ``LedgerError`` when the unit cannot be withdrawn: it is withdrawn already, or
        a household lives in it and it is not a shared place (whose free beds can be withdrawn)."""
        if unit_id in self.withdrawn:
            raise LedgerError(unit_id, f"unit {unit_id} is withdrawn already")
        place = self.places[unit_id]
        if not place.shared and any(x.let for x in self.holders.get(unit_id, {}).values()):
            raise LedgerError(unit_id, f"unit {unit_id} is let; a home someone lives in cannot be withdrawn")

    def withdraw(self, unit_id: str) -> None:
        """Take a unit off offer for good. The offers it held must be undone first (each
        household's ``UnitWithdrawn``); raises ``LedgerError`` when one is still pending or
        the unit cannot be withdrawn (``check_withdraw``)."""
        self.check_withdraw(unit_id)
        if self.offered_to(unit_id):
            raise LedgerError(unit_id, f"unit {unit_id} is still offered to {', '.join(self.offered_to(unit_id))}")
        self.withdrawn.add(unit_id)

    def apply(self, household_id: str, effects: Effects) -> None:
        """Take the effects of one household's event; all or nothing (the units it touches are
        put back as they were when one effect does not fit)."""
        claims = (*effects.released, *effects.freed, *effects.let, *effects.held)
        saved = {c.unit_id: dict(self.holders[c.unit_id]) if c.unit_id in self.holders else None for c in claims}
        try:
            for claim in effects.released:
                self._remove(household_id, claim, let=False)
            for claim in effects.freed:
                self._remove(household_id, claim, let=True)
            for claim in effects.let:
                self._remove(household_id, claim, let=False)
                self._add(household_id, claim, let=True)
            for claim in effects.held:
                self._add(household_id, claim, let=False)
        except LedgerError:
            for unit_id, held in saved.items():
                if held is None:
                    self.holders.pop(unit_id, None)
                else:
                    self.holders[unit_id] = held
            raise

    def _add(self, household_id: str, claim: Claim, let: bool) -> None:
        place = self.places.get(claim.unit_id)
        if place is None:
            raise LedgerError(claim.unit_id, f"unit {claim.unit_id} is not known")
        if not let and claim.unit_id in self.withdrawn:
            raise LedgerError(claim.unit_id, f"unit {claim.unit_id} is withdrawn")
        held = self.holders.setdefault(claim.unit_id, {})
        if household_id in held:
            raise LedgerError(claim.unit_id, f"{household_id} holds unit {claim.unit_id} already")
        if not let and any((x := u.get(household_id)) is not None and not x.let for u in self.holders.values()):
            raise LedgerError(claim.unit_id, f"{household_id} holds another offered home already")
        if place.shared and place.beds is not None:
            if self.persons_in(claim.unit_id) + claim.persons > place.beds:
                raise LedgerError(claim.unit_id, f"the shared place {claim.unit_id} has too few free beds")
        elif held:
            raise LedgerError(claim.unit_id, f"unit {claim.unit_id} is held or let already")
        held[household_id] = _Holder(claim.persons, let)

    def _remove(self, household_id: str, claim: Claim, let: bool) -> None:
        holder = self.holders.get(claim.unit_id, {}).get(household_id)
        if holder is None or holder.let != let:
            raise LedgerError(claim.unit_id, f"{household_id} does not hold unit {claim.unit_id} that way")
        del self.holders[claim.unit_id][household_id]
        if not self.holders[claim.unit_id]:
            del self.holders[claim.unit_id]
