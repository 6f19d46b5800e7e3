"""Offered units: bulk import (file or JSON), list, get, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from sqlalchemy import func, select

from api import audit
from api.auth import Caller
from api.deps import Admin, Offset, ReadSessionDep, SessionDep, SettingsDep, Viewer
from api.errors import ApiError, invalid_input, not_found, responses
from api.models import Unit
from api.pool import UNIT_FIELDS, check_batch, one_record, parse_units, read_upload, store_units, unit_row
from api.schemas import ImportMode, ImportResult, UnitBatch, UnitList, UnitPublic, UnitUpdate
from matcher import tables
from matcher.errors import InputError

router = APIRouter(prefix="/v1/units", tags=["units"])


def _import(
    session: SessionDep, caller: Caller, rows: list[dict[str, object] | None], header: list[str] | None, source: str, mode: str
) -> ImportResult:
    try:
        records = parse_units(session, rows, source, header, caller)
        created, updated, removed = store_units(session, records, source, mode == "replace", caller)
    except InputError as error:
        raise invalid_input(error) from None
    audit.record(session, caller.token_id, "units.import", "unit", [*created, *updated, *removed])
    return ImportResult(created=len(created), updated=len(updated), removed=len(removed), total=len(records))


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
    content = file.file.read(settings.max_upload_bytes + 1)
    try:
        rows, header, name = read_upload(
            file.filename, content, settings.max_upload_bytes, tables.UNIT_REQUIRED, settings.max_units_rows
        )
    except InputError as error:
        raise invalid_input(error) from None
    return _import(session, caller, rows, header, name, mode)


@router.post("/batch", summary="Import units given as JSON rows (all rows or none)", responses=responses(401, 403, 413, 422))
def import_rows(body: UnitBatch, caller: Admin, session: SessionDep, settings: SettingsDep) -> ImportResult:
    check_batch(body.rows, body.mode, "units", settings.max_units_rows, "available unit")
    return _import(session, caller, list(body.rows), None, "units", body.mode)


@router.get("", summary="List units", responses=responses(401, 403))
def list_units(
    caller: Viewer,
    session: ReadSessionDep,
    status: Annotated[str | None, Query(pattern="^(available|let)$")] = None,
    municipality: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> UnitList:
    query = select(Unit)
    if caller.municipality is not None:
        query = query.where(Unit.municipality == caller.municipality)
    if municipality is not None:
        query = query.where(Unit.municipality == municipality)
    if status is not None:
        query = query.where(Unit.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Unit.unit_id).limit(limit).offset(offset))
    return UnitList(total=total, limit=limit, offset=offset, items=[UnitPublic.model_validate(h) for h in items])


def _get(session: SessionDep, caller: Caller, unit_id: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not caller.sees(unit.municipality):
        raise not_found(f"Unit {unit_id}")
    return unit


@router.get("/{unit_id}", summary="One unit", responses=responses(401, 403, 404))
def get_unit(unit_id: str, caller: Viewer, session: SessionDep) -> UnitPublic:
    unit = _get(session, caller, unit_id)
    audit.record(session, caller.token_id, "unit.read", "unit", [unit_id])
    return UnitPublic.model_validate(unit)


@router.patch("/{unit_id}", summary="Change fields of an available unit", responses=responses(401, 403, 404, 409, 422))
def update_unit(unit_id: str, body: UnitUpdate, caller: Admin, session: SessionDep) -> UnitPublic:
    unit = _get(session, caller, unit_id)
    row = unit_row(unit) | {k: v for k, v in body.model_dump(mode="json", exclude_unset=True).items() if k in UNIT_FIELDS}
    try:
        records = parse_units(session, [row], "body", None, caller)
    except InputError as error:
        raise invalid_input(one_record(error)) from None
    try:
        store_units(session, records, "body", False, caller)
    except InputError as error:
        raise ApiError(409, error.problems[0].message) from None
    audit.record(session, caller.token_id, "unit.update", "unit", [unit_id])
    session.refresh(unit)
    return UnitPublic.model_validate(unit)


@router.delete("/{unit_id}", status_code=204, summary="Remove a unit from the offer", responses=responses(401, 403, 404))
def delete_unit(unit_id: str, caller: Admin, session: SessionDep) -> Response:
    unit = _get(session, caller, unit_id)
    session.delete(unit)
    audit.record(session, caller.token_id, "unit.delete", "unit", [unit_id])
    return Response(status_code=204)
