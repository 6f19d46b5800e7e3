"""Households of the pool: bulk import (file or JSON), list, get, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from sqlalchemy import func, select

from api import audit
from api.auth import Caller
from api.deps import Admin, Offset, ReadSessionDep, SessionDep, SettingsDep, Viewer
from api.errors import ApiError, invalid_input, not_found, responses
from api.models import Household
from api.pool import HOUSEHOLD_FIELDS, check_batch, household_row, one_record, parse_households, read_upload, store_households
from api.redaction import sees_special_categories
from api.schemas import HouseholdBatch, HouseholdList, HouseholdPublic, HouseholdUpdate, ImportMode, ImportResult
from matcher import tables
from matcher.errors import InputError

router = APIRouter(prefix="/v1/households", tags=["households"])


def _import(
    session: SessionDep, caller: Caller, rows: list[dict[str, object] | None], header: list[str] | None, source: str, mode: str
) -> ImportResult:
    try:
        records = parse_households(rows, source, header, caller)
        created, updated, removed = store_households(session, records, source, mode == "replace", caller)
    except InputError as error:
        raise invalid_input(error) from None
    audit.record(session, caller.token_id, "households.import", "household", [*created, *updated, *removed])
    return ImportResult(created=len(created), updated=len(updated), removed=len(removed), total=len(records))


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
    content = file.file.read(settings.max_upload_bytes + 1)
    try:
        rows, header, name = read_upload(
            file.filename, content, settings.max_upload_bytes, tables.HOUSEHOLD_REQUIRED, settings.max_households_rows
        )
    except InputError as error:
        raise invalid_input(error) from None
    return _import(session, caller, rows, header, name, mode)


@router.post("/batch", summary="Import households given as JSON rows (all rows or none)", responses=responses(401, 403, 413, 422))
def import_rows(body: HouseholdBatch, caller: Admin, session: SessionDep, settings: SettingsDep) -> ImportResult:
    check_batch(body.rows, body.mode, "households", settings.max_households_rows, "waiting household")
    return _import(session, caller, list(body.rows), None, "households", body.mode)


@router.get("", summary="List households", responses=responses(401, 403))
def list_households(
    caller: Viewer,
    session: ReadSessionDep,
    status: Annotated[str | None, Query(pattern="^(waiting|housed)$")] = None,
    municipality: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> HouseholdList:
    query = select(Household)
    if caller.municipality is not None:
        query = query.where(Household.municipality == caller.municipality)
    if municipality is not None:
        query = query.where(Household.municipality == municipality)
    if status is not None:
        query = query.where(Household.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Household.household_id).limit(limit).offset(offset))
    return HouseholdList(total=total, limit=limit, offset=offset, items=[_shown(caller, h) for h in items])


def _shown(caller: Caller, household: Household) -> HouseholdPublic:
    """The household as the caller may see it: without special-category fields below officer."""
    shown = HouseholdPublic.model_validate(household)
    return shown if sees_special_categories(caller) else shown.model_copy(update={"vulnerabilities": None})


def _get(session: SessionDep, caller: Caller, household_id: str) -> Household:
    household = session.get(Household, household_id)
    if household is None or not caller.sees(household.municipality):
        raise not_found(f"Household {household_id}")
    return household


@router.get("/{household_id}", summary="One household", responses=responses(401, 403, 404))
def get_household(household_id: str, caller: Viewer, session: SessionDep) -> HouseholdPublic:
    household = _get(session, caller, household_id)
    audit.record(session, caller.token_id, "household.read", "household", [household_id])
    return _shown(caller, household)


@router.patch("/{household_id}", summary="Change fields of a waiting household", responses=responses(401, 403, 404, 409, 422))
def update_household(household_id: str, body: HouseholdUpdate, caller: Admin, session: SessionDep) -> HouseholdPublic:
    household = _get(session, caller, household_id)
    row = household_row(household) | {
        k: v for k, v in body.model_dump(mode="json", exclude_unset=True).items() if k in HOUSEHOLD_FIELDS
    }
    try:
        records = parse_households([row], "body", None, caller)
    except InputError as error:
        raise invalid_input(one_record(error)) from None
    try:
        store_households(session, records, "body", False, caller)
    except InputError as error:
        raise ApiError(409, error.problems[0].message) from None
    audit.record(session, caller.token_id, "household.update", "household", [household_id])
    session.refresh(household)
    return HouseholdPublic.model_validate(household)


@router.delete("/{household_id}", status_code=204, summary="Remove a household from the pool", responses=responses(401, 403, 404))
def delete_household(household_id: str, caller: Admin, session: SessionDep) -> Response:
    household = _get(session, caller, household_id)
    session.delete(household)
    audit.record(session, caller.token_id, "household.delete", "household", [household_id])
    return Response(status_code=204)
