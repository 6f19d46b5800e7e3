"""A unit withdrawn from the offer: by its corporation (it lets the home on the regular market,
it needs work first) or by the WBB.

A withdrawal is an event on the unit (``unit_events``). When the unit was offered to a
household (or, a shared place, to several), each of them is back where it was before the
offer (the waiting list, or the place a move-on household lives in) through the case rule
``unit_withdrawn`` of ``matcher.case``, recorded on its timeline. A home someone lives in
cannot be withdrawn (409 ``unit_let``); a shared place with residents can: its free beds are
no longer offered and its residents stay until they move out. A withdrawn unit is never held
again (``matcher.case.Ledger``), is in no later run, and stays withdrawn when a list that
names it is imported again.

Locks are taken households first, then the unit, as every other change takes them
(``api.cases``), so a withdrawal and a decision on the same home never wait for each other
in a circle. A household that accepted the unit between the first look and the lock makes
the withdrawal answer 409; sending it again then finds that household too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Caller, require_named
from api.cases import change, ledger_of, lock_units, unit_conflict
from api.dates import in_window, window_text
from api.errors import ApiError, Problem
from api.models import CaseEvent, Household, Unit, UnitEvent, utcnow
from api.pool_routes import UNITS, fetch
from api.schemas import UnitEventCreate
from matcher.case import LedgerError, UnitWithdrawn


def _offered_to(session: Session, unit: Unit) -> list[Household]:
    """The households the unit is held for, in id order."""
    query = select(Household).where(
        Household.offered_unit_id == unit.unit_id, Household.offered_unit_municipality == unit.municipality
    )
    return list(session.scalars(query.order_by(Household.household_id, Household.municipality)))


def withdraw(
    session: Session, caller: Caller, unit_id: str, municipality: str | None, body: UnitEventCreate, today: dt.date
) -> UnitEvent:
    """Withdraw one unit (see the module docstring), in the name of the caller's actor: 404 for
    a unit the caller does not see, 409 naming the unit's state when it cannot be withdrawn,
    422 for a bad field."""
    require_named(caller)
    found = fetch(UNITS, session, caller, unit_id, municipality)
    if not in_window(body.date, today):
        problem = Problem(source="body", column="date", message=window_text(today))
        raise ApiError(422, "The request has 1 problem.", problems=[problem])
    seen = sorted((h.household_id, h.municipality) for h in _offered_to(session, found))
    for key in seen:  # households first, then the unit
        session.get(Household, key, with_for_update=True, populate_existing=True)
    units = lock_units(session, [(found.unit_id, found.municipality)])
    unit = units[found.unit_id]
    # Read again under the locks: a household may have moved in or refused meanwhile (then it
    # no longer holds an offer), or, not locked here, have been offered the unit.
    holders = _offered_to(session, unit)
    if any((h.household_id, h.municipality) not in seen for h in holders):
        raise ApiError(409, f"Unit {unit_id} was offered to another household meanwhile; send the withdrawal again.")
    status_before = unit.status
    try:
        ledger_of(session, units).check_withdraw(unit.unit_id)
    except LedgerError as error:
        raise unit_conflict(error, units) from None
    households: list[str] = []
    for household in holders:
        before = household.status
        applied = change(session, household, UnitWithdrawn(body.date, body.reason))
        session.add(
            CaseEvent(
                household_id=household.household_id,
                municipality=household.municipality,
                kind=UnitWithdrawn.kind,
                date=body.date,
                unit_id=unit.unit_id,
                unit_municipality=unit.municipality,
                reason=body.reason,
                persons_counted=0,
                state_before=before,
                state_after=applied.transition.case.state.value,
                created_at=utcnow(),
                created_by=caller.token_id,
                actor=caller.actor,
            )
        )
        households.append(household.household_id)
    ledger = ledger_of(session, units)
    try:
        ledger.withdraw(unit.unit_id)
    except LedgerError as error:  # pragma: no cover (checked above, and the offers are undone)
        raise unit_conflict(error, units) from None
    unit.status = ledger.status(unit.unit_id)
    unit.beds_taken, unit.beds_held = ledger.beds(unit.unit_id)
    event = UnitEvent(
        unit_id=unit.unit_id,
        municipality=unit.municipality,
        kind=body.kind,
        date=body.date,
        reason=body.reason,
        withdrawn_by=body.by,
        households=households,
        status_before=status_before,
        created_at=utcnow(),
        created_by=caller.token_id,
        actor=caller.actor,
    )
    session.add(event)
    session.flush()
    return event


def unit_events(session: Session, caller: Caller, unit_id: str, municipality: str | None) -> list[UnitEvent]:
    """The events of one unit the caller may see, oldest first."""
    unit = fetch(UNITS, session, caller, unit_id, municipality)
    query = select(UnitEvent).where(UnitEvent.unit_id == unit.unit_id, UnitEvent.municipality == unit.municipality)
    return list(session.scalars(query.order_by(UnitEvent.id)))
