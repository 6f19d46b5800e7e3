"""Households of the pool: bulk import (file or JSON), list, get, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from api.auth import Caller
from api.deps import Admin, Offset, ReadSessionDep, SessionDep, SettingsDep, Viewer
from api.errors import responses
from api.models import Household
from api.pool_routes import HOUSEHOLDS, delete_one, import_batch, import_upload, list_rows, read_one, update_one
from api.redaction import sees_special_categories
from api.schemas import HouseholdBatch, HouseholdList, HouseholdPublic, HouseholdUpdate, ImportMode, ImportResult

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
    caller: Viewer,
    session: ReadSessionDep,
    status: Annotated[str | None, Query(pattern="^(waiting|housed)$")] = None,
    municipality: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> HouseholdList:
    total, items = list_rows(HOUSEHOLDS, session, caller, status, municipality, limit, offset)
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
