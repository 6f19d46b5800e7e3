"""Households of the pool: bulk import (file or JSON), list, get, update, delete; and each
household's case: the events that move it on, and its timeline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from api import audit
from api.audit_access import read_details, record_read
from api.audit_records import event_details
from api.auth import Caller
from api.cases import record_event, timeline
from api.deps import Admin, Offset, ReadSessionDep, SessionDep, SettingsDep, Viewer, Wbb
from api.errors import ApiError, responses
from api.models import Household
from api.pool_routes import HOUSEHOLDS, delete_one, fetch, import_batch, import_upload, list_rows, read_one, update_one
from api.redaction import sees_special_categories
from api.schemas import (
    EventCreate,
    EventPublic,
    HouseholdBatch,
    HouseholdList,
    HouseholdPublic,
    HouseholdUpdate,
    ImportMode,
    ImportResult,
    Timeline,
)

STATES = "^(waiting|offered|housed|housed_temporary|left)$"

OneMunicipality = Annotated[
    str | None,
    Query(description="the municipality of the id, when a token for all municipalities finds it in more than one"),
]

router = APIRouter(prefix="/v1/households", tags=["households"])


def _shown(caller: Caller, household: Household) -> HouseholdPublic:
    """The household as the caller may see it: without special-category fields below officer."""
    shown = HouseholdPublic.model_validate(household)
    return shown if sees_special_categories(caller) else shown.model_copy(update={"vulnerabilities": None})


@router.post(
    "/import",
    summary="Import households from a CSV or XLSX file (all rows or none)",
    responses=responses(401, 403, 413, 415, 422),
)
def import_file(
    caller: Admin,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="households.csv or .xlsx, columns as in the interchange format")],
    mode: Annotated[
        ImportMode, Query(description="upsert: add and update; replace: also remove waiting households not listed")
    ] = "upsert",
) -> ImportResult:
    return import_upload(HOUSEHOLDS, session, caller, settings, file, mode)


@router.post("/batch", summary="Import households given as JSON rows (all rows or none)", responses=responses(401, 403, 413, 422))
def import_rows(body: HouseholdBatch, caller: Admin, session: SessionDep, settings: SettingsDep) -> ImportResult:
    return import_batch(HOUSEHOLDS, session, caller, settings, body.rows, body.mode)


@router.get("", summary="List households", responses=responses(401, 403))
def list_households(
    request: Request,
    caller: Viewer,
    session: ReadSessionDep,
    state: Annotated[str | None, Query(pattern=STATES, description="only households in this state")] = None,
    status: Annotated[str | None, Query(pattern=STATES, description="the same as state (its older name)")] = None,
    municipality: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> HouseholdList:
    if state is not None and status is not None and state != status:
        raise ApiError(422, "state and status name the same filter; give one.")
    total, items = list_rows(HOUSEHOLDS, session, caller, state or status, municipality, limit, offset)
    if sees_special_categories(caller):  # the list shows vulnerabilities: one entry for the whole page
        filters = {"state": state or status, "municipality": municipality, "limit": limit, "offset": offset}
        details = read_details(caller, len(items), True, total=total, filters=filters)
        record_read(request.app.state.sessions, caller, "households.list", "household", [h.household_id for h in items], details)
    return HouseholdList(total=total, limit=limit, offset=offset, items=[_shown(caller, h) for h in items])


@router.get("/{household_id}", summary="One household", responses=responses(401, 403, 404, 409))
def get_household(
    household_id: str, caller: Viewer, session: SessionDep, municipality: OneMunicipality = None
) -> HouseholdPublic:
    return _shown(caller, read_one(HOUSEHOLDS, session, caller, household_id, municipality))


@router.patch("/{household_id}", summary="Change fields of a waiting household", responses=responses(401, 403, 404, 409, 422))
def update_household(
    household_id: str, body: HouseholdUpdate, caller: Admin, session: SessionDep, municipality: OneMunicipality = None
) -> HouseholdPublic:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return HouseholdPublic.model_validate(update_one(HOUSEHOLDS, session, caller, household_id, changes, municipality))


@router.delete(
    "/{household_id}", status_code=204, summary="Remove a household from the pool", responses=responses(401, 403, 404, 409)
)
def delete_household(household_id: str, caller: Admin, session: SessionDep, municipality: OneMunicipality = None) -> Response:
    delete_one(HOUSEHOLDS, session, caller, household_id, municipality)
    return Response(status_code=204)


@router.post(
    "/{household_id}/events",
    status_code=201,
    summary="Record what happened to a household's case (moved in, offer refused, family arrived, ...)",
    responses=responses(401, 403, 404, 409, 422),
)
def create_event(
    household_id: str, body: EventCreate, caller: Wbb, session: SessionDep, municipality: OneMunicipality = None
) -> EventPublic:
    """One event on the household's case, dated. An event that does not fit the household's
    state answers 409 and names the state; two people recording the same move at once get
    one 201 and one 409. The effects on units (held, let, free again) and on the
    taakstelling (persons counted on the date) happen in the same transaction."""
    event = record_event(session, caller, household_id, municipality, body, dt.date.today())
    ids: list[str | int] = [event.id, household_id, *([event.unit_id] if event.unit_id else [])]
    audit.record_by(session, caller, f"case.{body.kind}", "household", ids, details=event_details(event))
    return EventPublic.model_validate(event)


@router.get(
    "/{household_id}/timeline",
    summary="The household's history: koppeling, decisions and events in date order, with who recorded them",
    responses=responses(401, 403, 404, 409),
)
def get_timeline(household_id: str, caller: Viewer, session: SessionDep, municipality: OneMunicipality = None) -> Timeline:
    household = fetch(HOUSEHOLDS, session, caller, household_id, municipality)
    items = timeline(session, household)
    details = read_details(caller, len(items), False)  # a timeline holds no vulnerabilities
    audit.record_by(session, caller, "household.timeline.read", "household", [household_id], details=details)
    return Timeline(
        household_id=household.household_id,
        municipality=household.municipality,
        status=household.status,
        items=items,
    )
