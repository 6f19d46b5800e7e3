"""The corporation's own endpoints: its units, the offers, refusals and lets on them, and a
refusal or a move-in recorded on one of its units. Only a ``corporation`` token reaches them,
and a ``corporation`` token reaches nothing else (``api.auth.Caller.allows``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api import audit
from api.audit_records import event_details
from api.auth import CORPORATION, Caller
from api.corporations import (
    CorporationEvent,
    CorporationOffer,
    CorporationOffers,
    CorporationUnit,
    CorporationUnits,
    offer_of_event,
    offers_of,
    record_on_unit,
    units_of,
)
from api.deps import ReadSessionDep, SessionDep, require
from api.errors import responses

Corporation = Annotated[Caller, Depends(require(CORPORATION))]
OneMunicipality = Annotated[
    str | None, Query(description="the municipality of the unit, when the corporation has the id in more than one")
]

router = APIRouter(prefix="/v1/corporation", tags=["corporation"])


@router.get("/units", summary="The corporation's own units", responses=responses(401, 403))
def list_units(caller: Corporation, session: ReadSessionDep) -> CorporationUnits:
    units = units_of(session, caller)
    return CorporationUnits(
        corporation=caller.corporation or "",
        actor=caller.actor,
        units=[CorporationUnit.model_validate(u) for u in units],
    )


@router.get(
    "/offers",
    summary="Offers, refusals and lets on the corporation's units, with only what an offer needs",
    responses=responses(401, 403),
)
def list_offers(caller: Corporation, session: SessionDep) -> CorporationOffers:
    """Each row names the household by its pseudonymous id, the persons the home is for and,
    only where a rule of the policy ties the home to it, a need (wheelchair, reduced
    mobility) with that rule. The read is in the audit log."""
    items = offers_of(session, caller)
    households = sorted({i.household_id for i in items})
    audit.record_by(session, caller, "corporation.offers.read", "household", households, details={"count": len(items)})
    return CorporationOffers(corporation=caller.corporation or "", items=items)


@router.post(
    "/units/{unit_id}/events",
    status_code=201,
    summary="Record that the household offered this unit refused it or moved in",
    responses=responses(401, 403, 404, 409, 422),
)
def create_event(
    unit_id: str, body: CorporationEvent, caller: Corporation, session: SessionDep, municipality: OneMunicipality = None
) -> CorporationOffer:
    """In the name of the token's person. 404 for a unit that is not the corporation's, 409
    when the unit is offered to nobody or the household's case does not allow it."""
    event = record_on_unit(session, caller, unit_id, municipality, body, dt.date.today())
    ids: list[str | int] = [event.id, event.household_id, *([event.unit_id] if event.unit_id else [])]
    audit.record_by(session, caller, f"case.{body.kind}", "household", ids, details=event_details(event))
    return offer_of_event(session, event)
