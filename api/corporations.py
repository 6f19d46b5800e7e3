"""What a housing corporation sees and records: its own units, the offers made on them,
the refusals and the lets, and a refusal or a move-in on one of them.

A corporation's staff member (role ``corporation``, ``api.auth``) sees no household beyond
what an offer needs: the household's pseudonymous id, the persons the home is for, the
dates, and a need only where the policy's hard rule makes the home fit it (rule E7 of
``matcher.validate``: a wheelchair user gets a wheelchair home, reduced mobility a step-free
or wheelchair home). Other vulnerabilities (lgbtiq, medical, psychosocial, ex_amv), gender,
age, koppeling date and preferences never leave this module.

A unit of another corporation answers 404, exactly as a unit that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from api.agreements import offer_dates
from api.auth import Caller
from api.cases import record_event
from api.errors import ApiError, not_found
from api.models import CaseEvent, Decision, Household, Unit
from api.schemas import EventCreate

OfferKind = Literal["offered", "refused", "let", "lapsed"]

# A need shown to a corporation, with the rule that makes the home fit it.
NEED_RULES: dict[str, str] = {
    "wheelchair": "E7: een rolstoelgebruiker krijgt een rolstoelwoning",
    "mobility": "E7: wie slecht ter been is krijgt een gelijkvloerse woning of een rolstoelwoning",
}


class Need(BaseModel):
    """A household's need the offered home must answer, and the policy's rule that says so."""

    need: str
    rule: str


class CorporationUnit(BaseModel):
    """One of the corporation's own units, as the service holds it (no personal data)."""

    model_config = ConfigDict(from_attributes=True)

    unit_id: str
    municipality: str
    neighbourhood: str
    unit_type: str
    bedrooms: int
    max_occupants: int
    step_free: bool
    wheelchair: bool
    available_from: dt.date
    status: str


class CorporationUnits(BaseModel):
    corporation: str
    actor: str = Field(description="who is calling, as events recorded with this token name them")
    units: list[CorporationUnit]


class CorporationOffer(BaseModel):
    """An offer on one of the corporation's units (``offered``, dated from the meeting that
    decided it: the run's planning date), a refusal of one (``refused``,
    with its reason code), a let (``let``: the household moved in) or an offer that lapsed
    (``lapsed``: the WBB undid its accept, or the household stopped being the municipality's
    task before it moved in; the home is on offer again, and no reason is shown), with only
    what the offer needs."""

    unit_id: str
    unit_municipality: str
    household_id: str
    kind: OfferKind
    date: dt.date
    persons: int = Field(description="the persons the home is for")
    reason: str | None = Field(description="refused: the reason code")
    needs: list[Need] = Field(description="needs the home must answer, each with the rule that makes it needed")


class CorporationOffers(BaseModel):
    corporation: str
    items: list[CorporationOffer]


class CorporationEvent(BaseModel):
    """A refusal or a move-in on one of the corporation's units; it concerns the household the
    unit is offered to now.

    - ``offer_refused``: ``reason`` (household_refused, unit_unsuitable, corporation_refused, other)
    - ``moved_in``: ``temporary_until`` for a temporary place (default: the move plus the stay limit)"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "offer_refused", "date": "2025-03-05", "reason": "corporation_refused"}]},
    )

    kind: Literal["offer_refused", "moved_in"]
    date: dt.date = Field(description="the day it happened: not before the koppeling, at most a year ahead")
    reason: str | None = Field(default=None, description="offer_refused: a code (see above)")
    temporary_until: dt.date | None = Field(default=None, description="moved_in into a temporary place: the end of the stay")


def own_units(caller: Caller) -> Select[Unit]:
    """The units of the caller's corporation (in its municipality, when the token is limited to one)."""
    if caller.corporation is None:
        raise ApiError(403, "This token speaks for no corporation.")
    query = select(Unit).where(Unit.corporation == caller.corporation)
    if caller.municipality is not None:
        query = query.where(Unit.municipality == caller.municipality)
    return query


def units_of(session: Session, caller: Caller) -> list[Unit]:
    return list(session.scalars(own_units(caller).order_by(Unit.municipality, Unit.unit_id)))


def needs_of(vulnerabilities: Iterable[object]) -> list[Need]:
    """The needs an offer shows: only those a hard rule of the policy ties to the home."""
    held = {str(v) for v in vulnerabilities}
    return [Need(need=need, rule=rule) for need, rule in NEED_RULES.items() if need in held]


# The case events that end or fulfil an offer, as the corporation's list names them.
EVENT_KINDS: dict[str, OfferKind] = {"offer_refused": "refused", "moved_in": "let", "reopen": "lapsed", "left": "lapsed"}


def offers_of(session: Session, caller: Caller) -> list[CorporationOffer]:
    """Every offer, refusal and let on the caller's units, by date, unit, household and kind."""
    keys = {(u.unit_id, u.municipality) for u in units_of(session, caller)}
    if not keys:
        return []
    on_unit_decision = or_(*(and_(Decision.unit_id == a, Decision.unit_municipality == b) for a, b in keys))
    on_unit_event = or_(*(and_(CaseEvent.unit_id == a, CaseEvent.unit_municipality == b) for a, b in keys))
    decisions = list(session.scalars(select(Decision).where(Decision.kind == "accept", on_unit_decision)))
    events = list(
        session.scalars(
            select(CaseEvent).where(
                or_(
                    CaseEvent.kind.in_(("offer_refused", "moved_in", "reopen")),
                    and_(CaseEvent.kind == "left", CaseEvent.state_before == "offered"),
                ),
                on_unit_event,
            )
        )
    )
    households = {(d.household_id, d.municipality) for d in decisions} | {(e.household_id, e.municipality) for e in events}
    needs: dict[tuple[str, str], list[Need]] = {}
    for household_id, municipality in households:
        row = session.get(Household, (household_id, municipality))
        needs[(household_id, municipality)] = needs_of(row.vulnerabilities or []) if row is not None else []
    persons: dict[tuple[str, str, str, str], int] = {}
    items: list[CorporationOffer] = []
    offered_on = offer_dates(session, decisions)
    for d in sorted(decisions, key=lambda d: d.id):
        persons[(d.household_id, d.municipality, d.unit_id, d.unit_municipality)] = d.persons
        items.append(
            CorporationOffer(
                unit_id=d.unit_id,
                unit_municipality=d.unit_municipality,
                household_id=d.household_id,
                kind="offered",
                date=offered_on[d.id],
                persons=d.persons,
                reason=None,
                needs=needs[(d.household_id, d.municipality)],
            )
        )
    for e in events:
        unit_id, unit_municipality = e.unit_id or "", e.unit_municipality or ""
        items.append(
            CorporationOffer(
                unit_id=unit_id,
                unit_municipality=unit_municipality,
                household_id=e.household_id,
                kind=EVENT_KINDS[e.kind],
                date=e.date,
                persons=persons.get((e.household_id, e.municipality, unit_id, unit_municipality), e.persons_counted),
                reason=e.reason if e.kind == "offer_refused" else None,
                needs=needs[(e.household_id, e.municipality)],
            )
        )
    order = {"offered": 0, "refused": 1, "lapsed": 1, "let": 2}
    return sorted(items, key=lambda i: (i.date, i.unit_municipality, i.unit_id, i.household_id, order[i.kind]))


def own_unit(session: Session, caller: Caller, unit_id: str, municipality: str | None) -> Unit:
    """One of the caller's units; 404 for any other (another corporation's is not told apart)."""
    query = own_units(caller).where(Unit.unit_id == unit_id)
    if municipality is not None:
        query = query.where(Unit.municipality == municipality)
    found = list(session.scalars(query.order_by(Unit.municipality).limit(2)))
    if not found:
        raise not_found(f"Unit {unit_id}")
    if len(found) > 1:
        raise ApiError(
            409, f"Unit {unit_id} exists in more than one municipality; say which with ?municipality=.", code="ambiguous_id"
        )
    return found[0]


def record_on_unit(
    session: Session, caller: Caller, unit_id: str, municipality: str | None, body: CorporationEvent, today: dt.date
) -> CaseEvent:
    """Record a refusal or a move-in of the household the caller's unit is offered to, in the
    caller's name; 404 for a unit that is not the caller's, 409 when the unit is offered to
    nobody or (a shared unit) to more than one household, and the case's own checks (409
    naming the state, 422 naming the field)."""
    unit = own_unit(session, caller, unit_id, municipality)
    holders = list(
        session.scalars(
            select(Household)
            .where(Household.offered_unit_id == unit.unit_id, Household.offered_unit_municipality == unit.municipality)
            .order_by(Household.municipality, Household.household_id)
            .limit(2)
        )
    )
    if not holders:
        raise ApiError(409, f"Unit {unit_id} is offered to nobody now.", code="unit_not_offered")
    if len(holders) > 1:
        # A shared unit offered to several households: which one is meant cannot be guessed.
        raise ApiError(
            409,
            f"Unit {unit_id} is offered to more than one household; the WBB records this on the household's case.",
            code="unit_offered_to_several",
        )
    holder = holders[0]
    event = EventCreate(kind=body.kind, date=body.date, reason=body.reason, temporary_until=body.temporary_until)
    return record_event(session, caller, holder.household_id, holder.municipality, event, today)


def offer_of_event(session: Session, event: CaseEvent) -> CorporationOffer:
    """The corporation's view of an event it just recorded."""
    household = session.get(Household, (event.household_id, event.municipality))
    offer = session.scalars(
        select(Decision)
        .where(
            Decision.kind == "accept",
            Decision.household_id == event.household_id,
            Decision.municipality == event.municipality,
            Decision.unit_id == event.unit_id,
            Decision.unit_municipality == event.unit_municipality,
        )
        .order_by(Decision.id.desc())
    ).first()
    persons = offer.persons if offer is not None else event.persons_counted
    return CorporationOffer(
        unit_id=event.unit_id or "",
        unit_municipality=event.unit_municipality or "",
        household_id=event.household_id,
        kind="refused" if event.kind == "offer_refused" else "let",
        date=event.date,
        persons=persons,
        reason=event.reason,
        needs=needs_of(household.vulnerabilities or []) if household is not None else [],
    )
