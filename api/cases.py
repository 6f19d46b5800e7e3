"""Cases in the database: the engine's state machine (``matcher.case``) on the stored rows.

A household row holds its case; a unit's ``status``, ``beds_taken`` and ``beds_held`` are
what the ledger of the cases that hold it says. Every change goes through ``change``:

1. the household's row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite holds
   its write lock from the first read of the request), then the units the change touches,
   in id order, so two changes never wait for each other in a circle;
2. the engine applies the event to the case (409 naming the state when it does not fit,
   422 naming the field when a field cannot be right);
3. the ledger of those units, built from every case that holds them, takes the effects
   (409 when a unit or bed would be held twice);
4. the case and the units are written back.

Two people recording the same move at the same moment: the second waits for the first's
lock, then finds the household housed already, and gets 409.

Units are known by their id within their municipality; the household row names both for
every unit its case holds. The engine reads plain unit ids: the units one change touches
have distinct ids (a run's input has unique ids), and a change that would meet the same id
in two municipalities is refused (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from api.auth import Caller, require_named
from api.dates import in_window, window_text
from api.errors import ApiError, Problem, not_found
from api.models import CaseEvent, Decision, Household, MunicipalitySetting, Run, Unit, utcnow
from api.pool_routes import HOUSEHOLDS, fetch
from api.schemas import EventCreate, TimelineItem
from matcher.case import (
    LEFT_REASONS,
    OFFER_REFUSED_REASONS,
    REOPEN_REASONS,
    Case,
    DocumentsComplete,
    DocumentsExpected,
    Effects,
    Event,
    EventNotAllowed,
    FamilyArrived,
    FamilyExpected,
    InvalidEvent,
    Ledger,
    LedgerError,
    Left,
    MovedIn,
    MovedOut,
    OfferRefused,
    Place,
    Reopen,
    State,
    Transition,
    apply,
    is_move_on_candidate,
)

HOME_STATES = (State.HOUSED.value, State.HOUSED_TEMPORARY.value)


def case_of(h: Household) -> Case:
    """The engine's case of a stored household."""
    return Case(
        household_id=h.household_id,
        koppeling_date=h.koppeling_date,
        adults=h.adults,
        children=h.children,
        expected_reunification=h.expected_reunification,
        state=State(h.status),
        since=h.state_since,
        documents_complete=h.documents_complete,
        documents_expected=h.documents_expected,
        offered_unit=h.offered_unit_id,
        offered_persons=h.offered_persons,
        offered_on=h.offered_on,
        unit=h.current_unit_id,
        unit_persons=h.current_persons,
        home_state=State(h.home_state) if h.home_state else None,
        housed_on=h.housed_on,
        temporary_until=h.temporary_until,
        move_on=h.move_on,
        previous_unit=h.previous_unit_id,
        previous_persons=h.previous_persons,
        counted=h.counted,
        expected_arrival_date=h.expected_arrival_date,
    )


def write_case(h: Household, case: Case, municipality_of: Mapping[str, str]) -> None:
    """Store a case on its household row (the interchange fields that events change included);
    ``municipality_of`` gives the municipality of each unit id the case holds."""
    if case.documents_complete and not h.documents_complete:
        h.documents_incomplete_since = None
    h.adults, h.children, h.expected_reunification = case.adults, case.children, case.expected_reunification
    h.expected_arrival_date = case.expected_arrival_date
    h.status, h.state_since = case.state.value, case.since
    h.documents_complete, h.documents_expected = case.documents_complete, case.documents_expected
    h.offered_unit_id, h.offered_persons, h.offered_on = case.offered_unit, case.offered_persons, case.offered_on
    h.offered_unit_municipality = municipality_of[case.offered_unit] if case.offered_unit else None
    h.current_unit_id, h.current_persons = case.unit, case.unit_persons
    h.current_unit_municipality = municipality_of[case.unit] if case.unit else None
    h.home_state = case.home_state.value if case.home_state else None
    h.housed_on, h.temporary_until, h.move_on = case.housed_on, case.temporary_until, case.move_on
    h.previous_unit_id, h.previous_persons = case.previous_unit, case.previous_persons
    h.previous_unit_municipality = municipality_of[case.previous_unit] if case.previous_unit else None
    h.counted = case.counted


UnitKey = tuple[str, str]  # (unit id, municipality)


def held_units(h: Household) -> set[UnitKey]:
    """The units a household's case holds: the home offered, the place it lives in, the place it moved on from."""
    pairs = (
        (h.offered_unit_id, h.offered_unit_municipality),
        (h.current_unit_id, h.current_unit_municipality),
        (h.previous_unit_id, h.previous_unit_municipality),
    )
    return {(unit_id, place) for unit_id, place in pairs if unit_id is not None and place is not None}


def place_of(u: Unit) -> Place:
    return Place(
        unit_id=u.unit_id,
        max_occupants=u.max_occupants,
        shared=u.shared,
        beds=u.beds,
        temporary=u.temporary,
        stay_limit_weeks=u.stay_limit_weeks,
    )


def lock_units(session: Session, keys: Iterable[UnitKey]) -> dict[str, Unit]:
    """The units by id, each locked for this transaction, in key order (missing ones are left out)."""
    units: dict[str, Unit] = {}
    for unit_id, place in sorted(set(keys)):
        unit = session.get(Unit, (unit_id, place), with_for_update=True, populate_existing=True)
        if unit is None:
            continue
        if unit_id in units:
            raise ApiError(409, f"Unit id {unit_id} is used in two municipalities this change touches.", code="ambiguous_id")
        units[unit_id] = unit
    return units


def ledger_of(session: Session, units: Mapping[str, Unit]) -> Ledger:
    """The ledger of these units, from every household that holds, lives in or moved on from
    one, and which of them are withdrawn."""
    places = {unit_id: place_of(u) for unit_id, u in units.items()}
    withdrawn = [unit_id for unit_id, u in units.items() if u.status == "withdrawn"]
    if not units:
        return Ledger(places)
    keys = [(u.unit_id, u.municipality) for u in units.values()]
    columns = (
        (Household.offered_unit_id, Household.offered_unit_municipality),
        (Household.current_unit_id, Household.current_unit_municipality),
        (Household.previous_unit_id, Household.previous_unit_municipality),
    )
    holders = session.scalars(
        select(Household).where(
            or_(*(and_(ids == unit_id, places_ == place) for ids, places_ in columns for unit_id, place in keys))
        )
    )
    # A holder's claims on a unit with the same id in another municipality are not this unit's.
    wanted = set(keys)
    return Ledger.of(places, (_case_on(h, wanted) for h in holders), withdrawn)


def _case_on(h: Household, units: set[UnitKey]) -> Case:
    """The case of a holder with only its claims on ``units`` (by id and municipality)."""
    case = case_of(h)
    if held_units(h) <= units:
        return case
    keep = {unit_id for unit_id, place in held_units(h) if (unit_id, place) in units}
    return replace(
        case,
        offered_unit=case.offered_unit if case.offered_unit in keep else None,
        unit=case.unit if case.unit in keep else None,
        previous_unit=case.previous_unit if case.previous_unit in keep else None,
    )


def count_family_arrivals(session: Session, municipality: str) -> bool:
    setting = session.get(MunicipalitySetting, municipality)
    return True if setting is None else setting.count_family_arrivals


def conflict(error: EventNotAllowed) -> ApiError:
    """409 naming the state; the code says it too (``household_offered``, ``household_housed``, ...)."""
    message = str(error)
    return ApiError(409, message[:1].upper() + message[1:] + ".", code=f"household_{error.state.value}")


def invalid(error: InvalidEvent) -> ApiError:
    return _problem(error.field, error.message)


def unit_conflict(error: LedgerError, units: Mapping[str, Unit]) -> ApiError:
    """409 naming the unit's state in the code: ``unit_offered``, ``unit_withdrawn``, or ``unit_let``."""
    unit = units.get(error.unit_id)
    code = f"unit_{unit.status}" if unit is not None and unit.status in ("offered", "withdrawn") else "unit_let"
    return ApiError(409, error.args[0][:1].upper() + error.args[0][1:] + ".", code=code)


@dataclass(frozen=True)
class Applied:
    """An event applied to the stored rows: the engine's transition and the units it touched."""

    transition: Transition
    units: dict[str, Unit]

    @property
    def effects(self) -> Effects:
        return self.transition.effects


def change(session: Session, household: Household, event: Event, accepted: Unit | None = None) -> Applied:
    """Apply one event to a household (locked by the caller) and the units it touches
    (``accepted``: the unit of the WBB's accept).

    Raises ``ApiError``: 409 when the event does not fit the case or a unit is taken, 422
    when a field cannot be right. Nothing is written unless everything fits."""
    case = case_of(household)
    touched = held_units(household)
    if accepted is not None:
        touched.add((accepted.unit_id, accepted.municipality))
    units = lock_units(session, touched)
    places = {unit_id: place_of(u) for unit_id, u in units.items()}
    try:
        transition = apply(case, event, places, count_family_arrivals=count_family_arrivals(session, household.municipality))
    except EventNotAllowed as error:
        raise conflict(error) from None
    except InvalidEvent as error:
        raise invalid(error) from None
    ledger = ledger_of(session, units)
    try:
        ledger.apply(household.household_id, transition.effects)
    except LedgerError as error:
        raise unit_conflict(error, units) from None
    write_case(household, transition.case, {unit_id: u.municipality for unit_id, u in units.items()})
    for unit_id, unit in units.items():
        was_available = unit.status == "available"
        unit.status = ledger.status(unit_id)
        unit.beds_taken, unit.beds_held = ledger.beds(unit_id)
        freed = any(c.unit_id == unit_id for c in transition.effects.freed)
        if freed and not was_available:
            # The place comes free on the day it is left, not before.
            unit.available_from = event.date
    session.flush()
    return Applied(transition, units)


def refused_pairs(session: Session) -> set[tuple[str, str, str, str]]:
    """Offers the household refused, never to be proposed again: (household's municipality,
    household id, unit's municipality, unit id), as decided pairs are kept."""
    refused = session.execute(
        select(CaseEvent.municipality, CaseEvent.household_id, CaseEvent.unit_municipality, CaseEvent.unit_id).where(
            CaseEvent.kind == "offer_refused", CaseEvent.unit_id.is_not(None)
        )
    )
    return {(a, b, c, d) for a, b, c, d in refused if c is not None and d is not None}


def pool_households(session: Session, scope: str | None, planning_date: dt.date, horizon_weeks: int) -> list[Household]:
    """The households of the next run: waiting ones, and move-on candidates (a temporary stay
    ending within ``horizon_weeks``, or a home that has become too small), in id order."""
    query = select(Household).where(
        or_(
            Household.status == State.WAITING.value,
            Household.status == State.HOUSED_TEMPORARY.value,
            (Household.status == State.HOUSED.value) & Household.move_on.is_(True),
        )
    )
    if scope is not None:
        query = query.where(Household.municipality == scope)
    chosen = []
    for household in session.scalars(query.order_by(Household.household_id)):
        if household.status == State.WAITING.value or is_move_on_candidate(case_of(household), planning_date, horizon_weeks):
            chosen.append(household)
    return chosen


def in_pool_state(household: Household) -> bool:
    """Whether a proposed pair of this household may still be decided on: it waits, or it
    lives in a place it may move on from (the run that proposed it judged the candidacy)."""
    return household.status == State.WAITING.value or household.status == State.HOUSED_TEMPORARY.value or household.move_on


# Events over HTTP

MAX_STAY_YEARS = 10
REASON_CODES = {"offer_refused": OFFER_REFUSED_REASONS, "reopen": REOPEN_REASONS, "left": LEFT_REASONS}
FIELDS_OF = {
    "offer_refused": {"reason"},
    "reopen": {"reason"},
    "moved_in": {"temporary_until"},
    "family_expected": {"expected"},
    "family_arrived": {"adults", "children"},
    "documents_complete": set(),
    "documents_expected": {"expected"},
    "moved_out": set(),
    "left": {"reason"},
}
OPTIONAL_FIELDS = ("reason", "temporary_until", "adults", "children", "expected")


def _problem(column: str, message: str) -> ApiError:
    return ApiError(422, "The request has 1 problem.", problems=[Problem(source="body", column=column, message=message)])


def to_event(body: EventCreate, koppeling: dt.date, today: dt.date) -> Event:
    """The engine's event from a request body, with the checks that need no case: fields that
    belong to the kind, reason codes, and dates in a plausible window (422, naming the field)."""
    allowed = FIELDS_OF[body.kind]
    for name in OPTIONAL_FIELDS:
        if getattr(body, name) is not None and name not in allowed:
            kinds = ", ".join(k for k, names in FIELDS_OF.items() if name in names)
            raise _problem(name, f"only for {kinds}")
    if body.kind in REASON_CODES and body.reason not in REASON_CODES[body.kind]:
        raise _problem("reason", f"required, one of {', '.join(REASON_CODES[body.kind])}")
    if not in_window(body.date, today):
        raise _problem("date", window_text(today))
    if body.date < koppeling:
        raise _problem("date", f"lies before the koppeling ({koppeling.isoformat()})")
    day, reason = body.date, body.reason or ""
    match body.kind:
        case "offer_refused":
            return OfferRefused(day, reason)
        case "reopen":
            return Reopen(day, reason)
        case "moved_in":
            until = body.temporary_until
            if until is not None and until > day + dt.timedelta(days=365 * MAX_STAY_YEARS):
                raise _problem("temporary_until", f"lies more than {MAX_STAY_YEARS} years after the move")
            return MovedIn(day, until)
        case "family_expected":
            if body.expected is None:
                raise _problem("expected", "required: the day the family members are expected")
            if not in_window(body.expected, today):
                raise _problem("expected", window_text(today))
            return FamilyExpected(day, body.expected)
        case "family_arrived":
            return FamilyArrived(day, body.adults or 0, body.children or 0)
        case "documents_complete":
            return DocumentsComplete(day)
        case "documents_expected":
            if body.expected is None:
                raise _problem("expected", "required: the date the documents are expected")
            if not in_window(body.expected, today):
                raise _problem("expected", window_text(today))
            return DocumentsExpected(day, body.expected)
        case "moved_out":
            return MovedOut(day)
    return Left(day, reason)


def _unit_of(effects: Effects) -> str | None:
    """The unit an event concerns: the home refused or moved into, or the place left."""
    for claims in (effects.let, effects.released, effects.freed):
        if claims:
            return claims[0].unit_id
    return None


def record_event(
    session: Session, caller: Caller, household_id: str, municipality: str | None, body: EventCreate, today: dt.date
) -> CaseEvent:
    """Record one event on a household's case, with its effects on the units; 404 for a
    household the caller does not see, 409 naming the state, 422 for a bad field.

    The household is looked up as every single-household call does (``municipality`` names
    it when a token for all municipalities finds the id in more than one), then locked. The
    event is recorded in the name of the caller's actor."""
    require_named(caller)
    found = fetch(HOUSEHOLDS, session, caller, household_id, municipality)
    household = session.get(Household, (found.household_id, found.municipality), with_for_update=True, populate_existing=True)
    if household is None:
        raise not_found(f"Household {household_id}")
    event = to_event(body, household.koppeling_date, today)
    before = household.status
    applied = change(session, household, event)
    case = applied.transition.case
    unit_id = _unit_of(applied.effects)
    row = CaseEvent(
        household_id=household_id,
        municipality=household.municipality,
        kind=body.kind,
        date=body.date,
        unit_id=unit_id,
        unit_municipality=applied.units[unit_id].municipality if unit_id in applied.units else None,
        reason=body.reason,
        temporary_until=case.temporary_until if body.kind == "moved_in" else None,
        expected=body.expected,
        adults=body.adults,
        children=body.children,
        persons_counted=applied.effects.persons_counted,
        state_before=before,
        state_after=case.state.value,
        created_at=utcnow(),
        created_by=caller.token_id,
        actor=caller.actor,
    )
    session.add(row)
    session.flush()
    return row


def timeline(session: Session, household: Household) -> list[TimelineItem]:
    """The koppeling, every decision and every event of a household, in date order (on one
    day: decisions before events, each in the order they were recorded)."""
    items: list[tuple[dt.date, int, int, TimelineItem]] = [
        (household.koppeling_date, 0, 0, TimelineItem(date=household.koppeling_date, source="koppeling", kind="koppeling"))
    ]
    decisions = session.execute(
        select(Decision, Run.policy)
        .join(Run, Run.id == Decision.run_id)
        .where(Decision.household_id == household.household_id, Decision.municipality == household.municipality)
    )
    for decision, policy in decisions:
        meeting = policy.get("planning_date") if isinstance(policy, dict) else None
        day = dt.date.fromisoformat(meeting) if isinstance(meeting, str) else decision.created_at.date()
        details = {"persons": decision.persons}
        if decision.housed_on is not None:
            details["expected_move"] = decision.housed_on.isoformat()
        item = TimelineItem(
            date=day,
            source="decision",
            kind=decision.kind,
            unit_id=decision.unit_id,
            run_id=decision.run_id,
            reason=decision.reason,
            state_after="offered" if decision.kind == "accept" else None,
            details=details,
            decided_by=decision.decided_by,
            actor=decision.decided_by,
            recorded_by=decision.created_by,
            recorded_at=decision.created_at,
        )
        items.append((day, 1, decision.id, item))
    events = session.scalars(
        select(CaseEvent).where(
            CaseEvent.household_id == household.household_id, CaseEvent.municipality == household.municipality
        )
    )
    for event in events:
        details = {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name in ("temporary_until", "expected", "adults", "children")
            if (value := getattr(event, name)) is not None
        }
        details["state_before"] = event.state_before
        item = TimelineItem(
            date=event.date,
            source="event",
            kind=event.kind,
            unit_id=event.unit_id,
            reason=event.reason,
            state_after=event.state_after,
            persons_counted=event.persons_counted,
            details=details,
            actor=event.actor,
            recorded_by=event.created_by,
            recorded_at=event.created_at,
        )
        items.append((event.date, 2, event.id, item))
    return [item for *_, item in sorted(items, key=lambda entry: entry[:3])]
