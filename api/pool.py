"""The pool in the database and the interchange rows the engine reads.

Imports go through the engine's own cell parsers (``matcher.input.tables``), so a row that the
CLI would refuse is refused here with the same message, row and column. An import is
checked completely before anything is written: all rows or none.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.auth import Caller
from api.dates import in_window, window_text
from api.errors import ApiError, Problem, invalid_input, too_large_file
from api.models import Household, Unit, utcnow
from matcher.errors import InputError, InputProblem, ProblemCollector, TooManyRows
from matcher.input import tables
from matcher.input.files import read_csv_bytes, read_xlsx

# The pool stores the v1 columns; where a household lives now and when its family comes follow
# from its case (states and events), not from an import.
HOUSEHOLD_FIELDS = tuple(c.name for c in tables.HOUSEHOLD_COLUMNS if c.since == "v1")
UNIT_FIELDS = tuple(c.name for c in tables.UNIT_COLUMNS)
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xlsm")
# Columns the service sets itself; an import that sends one is refused, not silently ignored.
SERVER_OWNED = ("status", "housed_on", "beds_taken", "created_at", "updated_at", "created_by", "decided_by")

Rows = list[dict[str, Any] | None]


def household_row(h: Household) -> dict[str, Any]:
    """A stored household as an interchange row (JSON values)."""
    return {
        "household_id": h.household_id,
        "municipality": h.municipality,
        "koppeling_date": h.koppeling_date.isoformat(),
        "adults": h.adults,
        "children": h.children,
        "gender": h.gender,
        "head_age": h.head_age,
        "expected_reunification": h.expected_reunification,
        "documents_complete": h.documents_complete,
        "vulnerabilities": list(h.vulnerabilities),
        "preferred_neighbourhoods": list(h.preferred_neighbourhoods),
    }


def unit_row(u: Unit) -> dict[str, Any]:
    """A stored unit as an interchange row; a shared unit offers only the beds still free."""
    beds = u.beds
    if u.shared and beds is not None:
        beds = beds - u.beds_taken
    return {
        "unit_id": u.unit_id,
        "municipality": u.municipality,
        "neighbourhood": u.neighbourhood,
        "corporation": u.corporation or None,
        "unit_type": u.unit_type,
        "temporary": u.temporary,
        "shared": u.shared,
        "beds": beds,
        "bedrooms": u.bedrooms,
        "min_occupants": u.min_occupants,
        "max_occupants": u.max_occupants,
        "rent": format(Decimal(u.rent).normalize(), "f"),
        "step_free": u.step_free,
        "wheelchair": u.wheelchair,
        "gender": u.gender or None,
        "lgbtiq_safe": u.lgbtiq_safe,
        "support": u.support,
        "available_from": u.available_from.isoformat(),
    }


EMPTY_UPLOAD = "the file has a header but no rows of data"


def read_upload(
    filename: str | None, content: bytes, max_bytes: int, required: Sequence[str], max_rows: int
) -> tuple[Rows, list[str], str]:
    """Rows, header and the file name used in errors, from an uploaded CSV or XLSX file.

    The file is read by the engine's own reader, so it gets the CLI's messages."""
    name = PurePath(filename or "upload.csv").name[:100] or "upload.csv"
    suffix = PurePath(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ApiError(415, f"Upload a .csv or .xlsx file; got a {suffix or 'file without extension'}.")
    if len(content) > max_bytes:
        raise too_large_file(max_bytes)
    if suffix == ".csv":
        read = read_csv_bytes(content, name, required, max_rows)
    else:
        read = read_xlsx(io.BytesIO(content), name, required, max_rows)
    if not any(read[0]):
        # An upload with a header alone is a mistake far more often than news; in replace mode it
        # would remove every waiting household or available unit.
        raise InputError.single(name, EMPTY_UPLOAD, row=2)
    return read


def check_batch(rows: Sequence[Mapping[str, Any] | None], mode: str, source: str, max_rows: int, removed: str) -> None:
    """A JSON import: the rows themselves (see ``check_rows``), and at least one row in replace mode,
    which would otherwise remove every ``removed``."""
    try:
        check_rows(rows, source, max_rows)
    except InputError as error:
        raise invalid_input(error) from None
    if mode == "replace" and not rows:
        message = f"mode replace needs at least one row; with none it would remove every {removed}"
        raise ApiError(422, "The input has 1 problem.", problems=[Problem(source="body", column="rows", message=message)])


def check_rows(rows: Sequence[Mapping[str, Any] | None], source: str, max_rows: int) -> None:
    """JSON rows: refuse more than ``max_rows``, and NaN or Infinity (which JSON does not
    have, but Python's parser accepts; NaN would otherwise read as an empty cell)."""
    if len(rows) > max_rows:
        raise TooManyRows(source, len(rows), max_rows)
    problems = ProblemCollector()
    for offset, row in enumerate(rows):
        for column, value in (row or {}).items():
            if isinstance(value, float) and not math.isfinite(value):
                problems.add(
                    source,
                    "NaN and Infinity are not JSON numbers; leave the field out for its default",
                    row=offset + 2,
                    column=str(column),
                )
    problems.raise_if_any()


def _scope_check(records: list[dict[str, Any]], caller: Caller, source: str, problems: ProblemCollector) -> None:
    if caller.municipality is None:
        return
    for record in records:
        if record.get("municipality") not in (None, caller.municipality):
            problems.add(
                source,
                f"this token may only change rows of {caller.municipality}",
                row=record["source_row"],
                column="municipality",
            )


def _server_owned(
    rows: Sequence[Mapping[str, Any] | None], header: Sequence[str] | None, source: str, problems: ProblemCollector
) -> None:
    message = "this column is set by the service and cannot be imported; leave it out"
    if header is not None:
        for column in SERVER_OWNED:
            if column in header:
                problems.add(source, message, row=1, column=column)
        return
    for offset, raw in enumerate(rows):
        for column in SERVER_OWNED:
            if raw is not None and column in raw:
                problems.add(source, message, row=offset + 2, column=column)


def _dates_in_window(records: list[dict[str, Any]], column: str, source: str, problems: ProblemCollector) -> None:
    """The service keeps only plausible dates (``api.dates``); the engine's own range is wider."""
    for record in records:
        value = record.get(column)
        if isinstance(value, dt.date) and not in_window(value):
            problems.add(source, window_text(), row=record["source_row"], column=column)


def parse_households(
    rows: Sequence[Mapping[str, Any] | None], source: str, header: Sequence[str] | None, caller: Caller
) -> list[dict[str, Any]]:
    problems = ProblemCollector()
    _server_owned(rows, header, source, problems)
    records = tables.parse_rows(rows, tables.HOUSEHOLD_COLUMNS, source, problems, header)
    _dates_in_window(records, "koppeling_date", source, problems)
    tables.check_unique(records, "household_id", source, problems)
    _scope_check(records, caller, source, problems)
    problems.raise_if_any()
    return records


def parse_units(
    session: Session, rows: Sequence[Mapping[str, Any] | None], source: str, header: Sequence[str] | None, caller: Caller
) -> list[dict[str, Any]]:
    problems = ProblemCollector()
    _server_owned(rows, header, source, problems)
    records = tables.parse_rows(rows, tables.UNIT_COLUMNS, source, problems, header)
    _dates_in_window(records, "available_from", source, problems)
    tables.check_unique(records, "unit_id", source, problems)
    tables.check_units(records, source, problems)
    _scope_check(records, caller, source, problems)
    problems.raise_if_any()
    # A neighbourhood name must mean one municipality across the whole pool, not just the file.
    # A token limited to one municipality is not told which other municipality uses the name.
    uploaded = {(r["unit_id"], r["municipality"]) for r in records}
    known: dict[str, set[str]] = {}
    for unit_id, neighbourhood, municipality in session.execute(select(Unit.unit_id, Unit.neighbourhood, Unit.municipality)):
        if (unit_id, municipality) not in uploaded:
            known.setdefault(neighbourhood, set()).add(municipality)
    clashing: list[str] = []
    for record in records:
        others = sorted(known.get(record["neighbourhood"], set()) - {record["municipality"]})
        if others:
            clashing.append(record["unit_id"])
            used_by = f'municipality "{others[0]}"' if caller.municipality is None else "another municipality"
            problems.add(
                source,
                f'neighbourhood "{record["neighbourhood"]}" is already used for {used_by} in the pool; '
                "prefix it with the municipality",
                row=record["source_row"],
                column="neighbourhood",
            )
    if problems.problems:
        raise NeighbourhoodClash(problems.problems, clashing)
    return records


class NeighbourhoodClash(InputError):
    """Units whose neighbourhood name another municipality already uses: refused, and audited
    (``units.import.neighbourhood_clash``, with the unit ids) although nothing is stored."""

    def __init__(self, problems: list[InputProblem], unit_ids: list[str]) -> None:
        super().__init__(problems)
        self.unit_ids = unit_ids


def _assign(target: Household | Unit, record: Mapping[str, Any], fields: Sequence[str]) -> None:
    for field in fields:
        value = record[field]
        if isinstance(value, tuple):
            value = list(value)
        setattr(target, field, value)


Key = tuple[str, str]  # (id, municipality): a household or unit is known by its id within its municipality


def _upsert(
    session: Session,
    records: list[dict[str, Any]],
    existing: Mapping[Key, Any],
    key: str,
    fields: Sequence[str],
    new_row: Callable[[], Any],
    removable: Any,
) -> tuple[list[str], list[str], list[str]]:
    """Insert or update every (already checked) record; with a ``removable`` query, delete
    the rows it finds that the records do not list. Returns created, updated, removed ids."""
    created, updated = [], []
    for record in records:
        found = existing.get((record[key], record["municipality"]))
        if found is None:
            found = new_row()
            created.append(record[key])
            _assign(found, record, fields)
            session.add(found)
        else:
            updated.append(record[key])
            _assign(found, record, fields)
    removed: list[str] = []
    if removable is not None:
        keep = {(record[key], record["municipality"]) for record in records}
        for row in session.scalars(removable):
            if (getattr(row, key), row.municipality) not in keep:
                removed.append(getattr(row, key))
                session.delete(row)
    session.flush()
    return created, updated, removed


def _stored(session: Session, model: type[Household] | type[Unit], key: Any, ids: list[str]) -> dict[Key, Any]:
    """The stored rows with these ids, in any municipality, by (id, municipality)."""
    if not ids:
        return {}
    rows: list[Any] = list(session.scalars(select(model).where(key.in_(ids))))
    return {(getattr(row, key.key), row.municipality): row for row in rows}


def _shared_ids(records: list[dict[str, Any]], existing: Mapping[Key, Any], key: str) -> list[str]:
    """Ids of records that are new in their municipality but stored for another one. The import
    treats them as new (a token of one municipality must not learn another's ids); the audit log
    names them, since a run over several municipalities needs distinct ids."""
    stored_ids = {stored_id for stored_id, _ in existing}
    return [r[key] for r in records if (r[key], r["municipality"]) not in existing and r[key] in stored_ids]


def store_households(
    session: Session, records: list[dict[str, Any]], source: str, replace: bool, caller: Caller
) -> tuple[list[str], list[str], list[str]]:
    """Insert or update every record; with ``replace`` remove waiting households not listed."""
    existing = _stored(session, Household, Household.household_id, [r["household_id"] for r in records])
    problems = ProblemCollector()
    for record in records:
        found = existing.get((record["household_id"], record["municipality"]))
        if found is not None and found.status != "waiting":
            problems.add(
                source,
                "this household is already housed (accepted decision); it can no longer be changed",
                row=record["source_row"],
                column="household_id",
            )
    problems.raise_if_any()
    shared = _shared_ids(records, existing, "household_id")
    open_rows = select(Household).where(Household.status == "waiting")
    if caller.municipality is not None:
        open_rows = open_rows.where(Household.municipality == caller.municipality)
    result = _upsert(
        session, records, existing, "household_id", HOUSEHOLD_FIELDS,
        lambda: Household(status="waiting", created_at=utcnow()), open_rows if replace else None,
    )  # fmt: skip
    if shared:
        audit.record(session, caller.token_id, "households.import.shared_id", "household", shared)
    return result


def store_units(
    session: Session, records: list[dict[str, Any]], source: str, replace: bool, caller: Caller
) -> tuple[list[str], list[str], list[str]]:
    """Insert or update every record; with ``replace`` remove available units not listed."""
    existing = _stored(session, Unit, Unit.unit_id, [r["unit_id"] for r in records])
    problems = ProblemCollector()
    for record in records:
        found = existing.get((record["unit_id"], record["municipality"]))
        if found is not None and (found.status != "available" or found.beds_taken > 0):
            problems.add(
                source,
                "this unit is already (partly) let by an accepted decision; it can no longer be changed",
                row=record["source_row"],
                column="unit_id",
            )
    problems.raise_if_any()
    shared = _shared_ids(records, existing, "unit_id")
    open_rows = select(Unit).where(Unit.status == "available", Unit.beds_taken == 0)
    if caller.municipality is not None:
        open_rows = open_rows.where(Unit.municipality == caller.municipality)
    result = _upsert(
        session, records, existing, "unit_id", UNIT_FIELDS,
        lambda: Unit(status="available", beds_taken=0, created_at=utcnow()), open_rows if replace else None,
    )  # fmt: skip
    if shared:
        audit.record(session, caller.token_id, "units.import.shared_id", "unit", shared)
    return result


def one_record(parse_error: InputError) -> InputError:
    """Problems of a single-object body: no row numbers, the source is the body."""
    return InputError([InputProblem(source="body", message=p.message, row=None, column=p.column) for p in parse_error.problems])
