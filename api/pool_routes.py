"""The steps the households and units endpoints share: import, list, get, change, remove.

Households and units are the two tables of the pool, imported, listed and edited the same
way; only their model, columns, checks and words differ. Those differences live in one
``PoolTable`` each, so both routers stay thin and behave alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api import audit
from api.audit_access import field_changes, read_details
from api.auth import Caller
from api.errors import ApiError, Problem, invalid_input, not_found
from api.models import Household, Unit
from api.pool import (
    HOUSEHOLD_FIELDS,
    UNIT_FIELDS,
    NeighbourhoodClash,
    Stored,
    check_batch,
    household_row,
    one_record,
    parse_households,
    parse_units,
    read_upload,
    settled,
    store_households,
    store_units,
    unit_row,
)
from api.schemas import ImportResult
from api.settings import Settings
from matcher.errors import InputError, InputProblem
from matcher.input import tables

Row = TypeVar("Row", Household, Unit)
Records = list[dict[str, Any]]
RawRows = Sequence[Mapping[str, Any] | None]


@dataclass(frozen=True)
class PoolTable(Generic[Row]):
    """What differs between the households and the units of the pool."""

    model: type[Row]
    key: InstrumentedAttribute[str]  # the id column
    plural: str  # "households": source name in errors, audit action prefix
    singular: str  # "household": audit target and action prefix
    removed_by_replace: str  # what an empty replace would remove, in words
    required: Sequence[str]
    fields: Sequence[str]
    max_rows: Callable[[Settings], int]
    parse: Callable[[Session, RawRows, str, Sequence[str] | None, Caller], Records]
    store: Callable[[Session, Records, str, bool, Caller, bool], Stored]
    row_of: Callable[[Row], dict[str, Any]]


HOUSEHOLDS: PoolTable[Household] = PoolTable(
    model=Household, key=Household.household_id, plural="households", singular="household",
    removed_by_replace="waiting household", required=tables.HOUSEHOLD_REQUIRED, fields=HOUSEHOLD_FIELDS,
    max_rows=lambda settings: settings.max_households_rows,
    parse=lambda session, rows, source, header, caller: parse_households(rows, source, header, caller),
    store=store_households, row_of=household_row,
)  # fmt: skip

UNITS: PoolTable[Unit] = PoolTable(
    model=Unit, key=Unit.unit_id, plural="units", singular="unit",
    removed_by_replace="available unit", required=tables.UNIT_REQUIRED, fields=UNIT_FIELDS,
    max_rows=lambda settings: settings.max_units_rows,
    parse=parse_units, store=store_units, row_of=unit_row,
)  # fmt: skip


def import_records(
    table: PoolTable[Row], session: Session, caller: Caller, rows: RawRows, header: Sequence[str] | None, source: str, mode: str
) -> ImportResult:
    """All rows or none: checked completely, then stored, with one audit entry for the import.
    Rows of households whose case has moved on, and of units held or let, are kept as they are."""
    stored: Stored
    try:
        records = table.parse(session, rows, source, header, caller)
        stored = table.store(session, records, source, mode == "replace", caller, False)
    except InputError as error:
        raise refused(error) from None
    audit.record_by(
        session, caller, f"{table.plural}.import", table.singular, [*stored.created, *stored.updated, *stored.removed]
    )
    return ImportResult(
        created=len(stored.created),
        updated=len(stored.updated),
        removed=len(stored.removed),
        kept=len(stored.kept),
        total=len(records),
    )


def refused(error: InputError, single: bool = False) -> ApiError:
    """422 for rows that cannot be stored; a clash with another municipality's neighbourhood is
    also written to the audit log (with the unit ids), although nothing is stored."""
    answer = invalid_input(one_record(error) if single else error)
    if isinstance(error, NeighbourhoodClash):
        answer.audit = ("units.import.neighbourhood_clash", "unit", error.unit_ids)
    return answer


def import_upload(
    table: PoolTable[Row], session: Session, caller: Caller, settings: Settings, file: UploadFile, mode: str
) -> ImportResult:
    """A CSV or XLSX upload, read by the engine's own reader within the size and row limits."""
    content = file.file.read(settings.max_upload_bytes + 1)
    try:
        rows, header, name = read_upload(
            file.filename, content, settings.max_upload_bytes, table.required, table.max_rows(settings)
        )
    except InputError as error:
        raise invalid_input(error) from None
    return import_records(table, session, caller, rows, header, name, mode)


def import_pool(
    session: Session, caller: Caller, settings: Settings, uploads: Mapping[str, UploadFile], mode: str, dry_run: bool
) -> dict[str, ImportResult]:
    """Households and units read in together, all or nothing: both files are read and checked
    before either is stored, and a problem in one refuses both (every problem of both files in
    one answer). With ``dry_run`` everything is checked and counted, and nothing is kept: what a
    replace would remove can be shown before it is confirmed."""
    tables: dict[str, PoolTable[Any]] = {"households": HOUSEHOLDS, "units": UNITS}
    read: dict[str, tuple[RawRows, list[str], str]] = {}
    problems: list[InputProblem] = []
    for kind, file in uploads.items():
        table = tables[kind]
        content = file.file.read(settings.max_upload_bytes + 1)
        try:
            read[kind] = read_upload(file.filename, content, settings.max_upload_bytes, table.required, table.max_rows(settings))
        except InputError as error:
            problems.extend(error.problems)
    records: dict[str, Records] = {}
    for kind, (rows, header, name) in read.items():
        try:
            records[kind] = tables[kind].parse(session, rows, name, header, caller)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise invalid_input(InputError(problems))
    results: dict[str, ImportResult] = {}
    for kind, parsed in records.items():
        table, name = tables[kind], read[kind][2]
        try:
            stored = table.store(session, parsed, name, mode == "replace", caller, False)
        except InputError as error:
            raise refused(error) from None
        audit.record(
            session,
            caller.token_id,
            f"{table.plural}.import",
            table.singular,
            [*stored.created, *stored.updated, *stored.removed],
        )
        results[kind] = ImportResult(
            created=len(stored.created),
            updated=len(stored.updated),
            removed=len(stored.removed),
            kept=len(stored.kept),
            total=len(parsed),
        )
    if dry_run:
        session.rollback()
    return results


def import_batch(
    table: PoolTable[Row], session: Session, caller: Caller, settings: Settings, rows: RawRows, mode: str
) -> ImportResult:
    """JSON rows; in replace mode at least one."""
    check_batch(rows, mode, table.plural, table.max_rows(settings), table.removed_by_replace)
    return import_records(table, session, caller, list(rows), None, table.plural, mode)


def list_rows(
    table: PoolTable[Row], session: Session, caller: Caller, status: str | None, municipality: str | None, limit: int, offset: int
) -> tuple[int, list[Row]]:
    """One page of the rows the caller may see, in id order, and how many there are in all."""
    query = select(table.model)
    if caller.municipality is not None:
        query = query.where(table.model.municipality == caller.municipality)
    if municipality is not None:
        query = query.where(table.model.municipality == municipality)
    if status is not None:
        query = query.where(table.model.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return total, list(session.scalars(query.order_by(table.key, table.model.municipality).limit(limit).offset(offset)))


def fetch(table: PoolTable[Row], session: Session, caller: Caller, row_id: str, municipality: str | None = None) -> Row:
    """One row, or 404 when it does not exist or belongs to another municipality (the same answer).

    An id is unique within a municipality: a limited token finds its own municipality's row; a
    token for all municipalities names the municipality when the id is used in more than one (409)."""
    query = select(table.model).where(table.key == row_id)
    wanted = caller.municipality if caller.municipality is not None else municipality
    if caller.municipality is not None and municipality not in (None, caller.municipality):
        raise not_found(f"{table.singular.capitalize()} {row_id}")
    if wanted is not None:
        query = query.where(table.model.municipality == wanted)
    rows = list(session.scalars(query.order_by(table.model.municipality).limit(2)))
    if not rows:
        raise not_found(f"{table.singular.capitalize()} {row_id}")
    if len(rows) > 1:
        raise ApiError(
            409,
            f"{table.singular.capitalize()} {row_id} exists in more than one municipality; say which with ?municipality=.",
            code="ambiguous_id",
        )
    return rows[0]


def read_one(table: PoolTable[Row], session: Session, caller: Caller, row_id: str, municipality: str | None = None) -> Row:
    """One row, and an audit entry that the caller read it."""
    row = fetch(table, session, caller, row_id, municipality)
    details = read_details(caller, 1, table.model is Household)
    audit.record_by(session, caller, f"{table.singular}.read", table.singular, [row_id], details=details)
    return row


def update_one(
    table: PoolTable[Row],
    session: Session,
    caller: Caller,
    row_id: str,
    changes: Mapping[str, Any],
    municipality: str | None = None,
) -> Row:
    """Change fields of a row that no decision has touched yet, checked by the rules of an import.

    The municipality is part of a row's identity and does not change: to move a household or
    unit, remove it and import it for the other municipality."""
    row = fetch(table, session, caller, row_id, municipality)
    if changes.get("municipality", row.municipality) != row.municipality:
        message = "the municipality is part of the id and cannot be changed; remove the row and import it for the other one"
        raise ApiError(422, "The input has 1 problem.", problems=[Problem(source="body", column="municipality", message=message)])
    before = table.row_of(row)
    merged = before | {k: v for k, v in changes.items() if k in table.fields}
    try:
        records = table.parse(session, [merged], "body", None, caller)
    except InputError as error:
        raise refused(error, single=True) from None
    try:
        table.store(session, records, "body", False, caller, True)
    except InputError as error:
        raise ApiError(409, error.problems[0].message) from None
    session.refresh(row)
    details = field_changes(before, table.row_of(row))
    audit.record_by(session, caller, f"{table.singular}.update", table.singular, [row_id], details=details)
    return row


def delete_one(table: PoolTable[Row], session: Session, caller: Caller, row_id: str, municipality: str | None = None) -> None:
    """Remove a row, with an audit entry; a household whose case has moved on, or a unit
    held or lived in, stays (409): its history and the places it holds depend on it."""
    row = fetch(table, session, caller, row_id, municipality)
    reason = settled(row)
    if reason is not None:
        raise ApiError(409, f"{reason[:1].upper()}{reason[1:]}; it cannot be removed.", code="conflict")
    session.delete(row)
    audit.record_by(session, caller, f"{table.singular}.delete", table.singular, [row_id])
