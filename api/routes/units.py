"""Offered units: bulk import (file or JSON), list, get, update, delete; and a unit withdrawn
from the offer, an event on the unit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from api import audit
from api.auth import Caller
from api.deps import Admin, Offset, ReadSessionDep, SessionDep, SettingsDep, Viewer, Wbb
from api.errors import responses
from api.models import Unit
from api.pool_routes import UNITS, delete_one, import_batch, import_upload, list_rows, read_one, update_one
from api.redaction import sees_special_categories
from api.schemas import (
    ImportMode,
    ImportResult,
    UnitBatch,
    UnitEventCreate,
    UnitEventList,
    UnitEventPublic,
    UnitList,
    UnitPublic,
    UnitUpdate,
)
from api.withdrawals import unit_events, withdraw

OneMunicipality = Annotated[
    str | None,
    Query(description="the municipality of the id, when a token for all municipalities finds it in more than one"),
]

router = APIRouter(prefix="/v1/units", tags=["units"])


def _shown(caller: Caller, unit: Unit) -> UnitPublic:
    """The unit as the caller may see it: below officer without ``amv_home`` (a match to an AMV home would
    tell which household came as an unaccompanied minor)."""
    shown = UnitPublic.model_validate(unit)
    return shown if sees_special_categories(caller) else shown.model_copy(update={"amv_home": None})


@router.post(
    "/import",
    summary="Import units from a CSV or XLSX file (all rows or none)",
    responses=responses(401, 403, 413, 415, 422),
)
def import_file(
    caller: Admin,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="units.csv or .xlsx, columns as in the interchange format")],
    mode: Annotated[
        ImportMode, Query(description="upsert: add and update; replace: also remove available units not listed")
    ] = "upsert",
) -> ImportResult:
    return import_upload(UNITS, session, caller, settings, file, mode)


@router.post("/batch", summary="Import units given as JSON rows (all rows or none)", responses=responses(401, 403, 413, 422))
def import_rows(body: UnitBatch, caller: Admin, session: SessionDep, settings: SettingsDep) -> ImportResult:
    return import_batch(UNITS, session, caller, settings, body.rows, body.mode)


@router.get("", summary="List units", responses=responses(401, 403))
def list_units(
    caller: Viewer,
    session: ReadSessionDep,
    status: Annotated[str | None, Query(pattern="^(available|offered|let|withdrawn)$")] = None,
    municipality: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> UnitList:
    total, items = list_rows(UNITS, session, caller, status, municipality, limit, offset)
    return UnitList(total=total, limit=limit, offset=offset, items=[_shown(caller, u) for u in items])


@router.get("/{unit_id}", summary="One unit", responses=responses(401, 403, 404, 409))
def get_unit(unit_id: str, caller: Viewer, session: SessionDep, municipality: OneMunicipality = None) -> UnitPublic:
    return _shown(caller, read_one(UNITS, session, caller, unit_id, municipality))


@router.patch("/{unit_id}", summary="Change fields of an available unit", responses=responses(401, 403, 404, 409, 422))
def update_unit(
    unit_id: str, body: UnitUpdate, caller: Admin, session: SessionDep, municipality: OneMunicipality = None
) -> UnitPublic:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return UnitPublic.model_validate(update_one(UNITS, session, caller, unit_id, changes, municipality))


@router.delete("/{unit_id}", status_code=204, summary="Remove a unit from the offer", responses=responses(401, 403, 404, 409))
def delete_unit(unit_id: str, caller: Admin, session: SessionDep, municipality: OneMunicipality = None) -> Response:
    delete_one(UNITS, session, caller, unit_id, municipality)
    return Response(status_code=204)


@router.post(
    "/{unit_id}/events",
    status_code=201,
    summary="Record that a unit was withdrawn from the offer (by its corporation or the WBB)",
    responses=responses(401, 403, 404, 409, 422),
)
def create_unit_event(
    unit_id: str, body: UnitEventCreate, caller: Wbb, session: SessionDep, municipality: OneMunicipality = None
) -> UnitEventPublic:
    """The unit is no longer on offer. A household it was offered to is back where it was
    before the offer (the event ``unit_withdrawn`` on its timeline). A home someone lives in
    cannot be withdrawn (409 ``unit_let``), nor a unit withdrawn already (409 ``unit_withdrawn``)."""
    event = withdraw(session, caller, unit_id, municipality, body, dt.date.today())
    audit.record_by(session, caller, "unit.withdrawn", "unit", [event.id, unit_id, *event.households])
    return UnitEventPublic.model_validate(event)


@router.get(
    "/{unit_id}/events", summary="What happened to a unit (withdrawn), oldest first", responses=responses(401, 403, 404, 409)
)
def list_unit_events(unit_id: str, caller: Viewer, session: SessionDep, municipality: OneMunicipality = None) -> UnitEventList:
    return UnitEventList(items=[UnitEventPublic.model_validate(e) for e in unit_events(session, caller, unit_id, municipality)])
