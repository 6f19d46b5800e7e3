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
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.auth import Caller
from api.dates import in_window, window_text
from api.errors import ApiError, Problem, invalid_input, too_large_file
from api.models import CaseEvent, Household, Unit, utcnow
from matcher.errors import InputError, InputProblem, ProblemCollector, TooManyRows
from matcher.input import cells, tables
from matcher.input.files import read_csv_bytes, read_xlsx

# The pool stores the v1 columns and the day the expected family arrives; where a household lives
# now follows from its case (states and events), not from an import.
HOUSEHOLD_FIELDS = (*(c.name for c in tables.HOUSEHOLD_COLUMNS if c.since == "v1"), "expected_arrival_date")
# The service's own unit column (not in the interchange format): how long a stay in a temporary
# place may last, which gives the default end of a stay when a household moves in.
SERVICE_UNIT_COLUMNS = (tables.Column("stay_limit_weeks", lambda v: cells.parse_int(v, 1, 520), False, None),)
UNIT_COLUMNS = tables.UNIT_COLUMNS + SERVICE_UNIT_COLUMNS
UNIT_FIELDS = tuple(c.name for c in UNIT_COLUMNS)
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xlsm")
# Columns the service sets itself; an import that sends one is refused, not silently ignored.
SERVER_OWNED = (
    "status", "housed_on", "beds_taken", "beds_held", "created_at", "updated_at", "created_by", "decided_by",
    "offered_unit_id", "offered_on", "temporary_until", "move_on", "documents_expected", "current_unit_id",
)  # fmt: skip
# Fields an event sets; an import does not change them once such an event is recorded.
EVENT_OWNED = {
    "family_arrived": ("adults", "children", "expected_reunification", "expected_arrival_date"),
    "family_expected": ("expected_arrival_date",),
    "documents_complete": ("documents_complete",),
}

Rows = list[dict[str, Any] | None]


def household_row(h: Household) -> dict[str, Any]:
    """A stored household as an interchange row (JSON values); the v1.1 column
    ``expected_arrival_date`` only when it is known, so a row without it reads as v1."""
    row: dict[str, Any] = {
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
    if h.expected_arrival_date is not None:
        row["expected_arrival_date"] = h.expected_arrival_date.isoformat()
    return row


def unit_row(u: Unit) -> dict[str, Any]:
    """A stored unit as an interchange row; a shared unit offers only the beds still free.
    (``stay_limit_weeks`` is the service's own column; the engine does not read it.)"""
    beds = u.beds
    if u.shared and beds is not None:
        beds = beds - u.beds_taken - u.beds_held
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
        **({"amv_home": True} if u.amv_home else {}),
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
    _dates_in_window(records, "expected_arrival_date", source, problems)
    tables.check_unique(records, "household_id", source, problems)
    tables.check_households(records, source, problems)
    _scope_check(records, caller, source, problems)
    problems.raise_if_any()
    return records


def parse_units(
    session: Session, rows: Sequence[Mapping[str, Any] | None], source: str, header: Sequence[str] | None, caller: Caller
) -> list[dict[str, Any]]:
    problems = ProblemCollector()
    _server_owned(rows, header, source, problems)
    records = tables.parse_rows(rows, UNIT_COLUMNS, source, problems, header)
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
    for name in fields:
        if name not in record:
            continue  # a field an event owns (see EVENT_OWNED)
        value = record[name]
        if isinstance(value, tuple):
            value = list(value)
        setattr(target, name, value)


Key = tuple[str, str]  # (id, municipality): a household or unit is known by its id within its municipality


def _upsert(
    session: Session,
    records: list[dict[str, Any]],
    existing: Mapping[Key, Any],
    key: str,
    fields: Sequence[str],
    new_row: Callable[[], Any],
    removable: Any,
    keep_keys: Sequence[Key] = (),
) -> tuple[list[str], list[str], list[str]]:
    """Insert or update every (already checked) record; with a ``removable`` query, delete
    the rows it finds that neither the records nor ``keep_keys`` list. Returns created,
    updated, removed ids."""
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
        keep = {(record[key], record["municipality"]) for record in records} | set(keep_keys)
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


@dataclass(frozen=True)
class Stored:
    """Ids created, updated and removed by an import, and those kept as they were: households
    whose case has moved on (offered, housed, left) and units held or let are not changed by
    an import, so replaying a list after events keeps the events and states."""

    created: list[str]
    updated: list[str]
    removed: list[str]
    kept: list[str] = field(default_factory=list)


def settled(found: Household | Unit) -> str | None:
    """Why an import leaves this row as it is, or None when it may change it."""
    if isinstance(found, Household):
        return None if found.status == "waiting" else f"this household is {found.status}; its case has moved on"
    if found.status != "available" or found.beds_taken > 0 or found.beds_held > 0:
        return f"this unit is {found.status if found.status != 'available' else 'partly taken'}"
    return None


def _split_settled(
    records: list[dict[str, Any]], existing: Mapping[Key, Household | Unit], key: str, source: str, edit: bool
) -> tuple[list[dict[str, Any]], list[Key]]:
    """The records an import may apply, and the keys of the rows it keeps as they are. One
    edit (PATCH) of a settled row is refused instead: a single change asked for should not
    pass silently."""
    problems = ProblemCollector()
    open_records: list[dict[str, Any]] = []
    kept: list[Key] = []
    for record in records:
        row_key = (record[key], record["municipality"])
        found = existing.get(row_key)
        reason = settled(found) if found is not None else None
        if reason is None:
            open_records.append(record)
        elif edit:
            problems.add(source, f"{reason}; it can no longer be changed", row=record["source_row"], column=key)
        else:
            kept.append(row_key)
    problems.raise_if_any()
    return open_records, kept


def store_households(
    session: Session, records: list[dict[str, Any]], source: str, replace: bool, caller: Caller, edit: bool = False
) -> Stored:
    """Insert or update every record of a waiting or new household; with ``replace`` remove
    waiting households not listed. In an import, fields that an event has set keep the
    event's value (a list replayed later does not undo an arrival or completed documents)."""
    existing = _stored(session, Household, Household.household_id, [r["household_id"] for r in records])
    open_records, kept = _split_settled(records, existing, "household_id", source, edit)
    owned: dict[Key, set[str]] = {}
    if existing and not edit:  # an edit (PATCH) is a deliberate correction and changes what it names
        for household_id, place, kind in session.execute(
            select(CaseEvent.household_id, CaseEvent.municipality, CaseEvent.kind).where(
                CaseEvent.household_id.in_([hid for hid, _ in existing]), CaseEvent.kind.in_(list(EVENT_OWNED))
            )
        ):
            owned.setdefault((household_id, place), set()).update(EVENT_OWNED[kind])
    before = {k: (found.documents_complete, found.documents_incomplete_since) for k, found in existing.items()}
    applied = [
        {k: v for k, v in r.items() if k not in owned.get((r["household_id"], r["municipality"]), ())} for r in open_records
    ]
    shared = _shared_ids(records, existing, "household_id")
    open_rows = select(Household).where(Household.status == "waiting")
    if caller.municipality is not None:
        open_rows = open_rows.where(Household.municipality == caller.municipality)
    created, updated, removed = _upsert(
        session, applied, existing, "household_id", HOUSEHOLD_FIELDS,
        lambda: Household(status="waiting", created_at=utcnow()), open_rows if replace and not edit else None,
        keep_keys=kept,
    )  # fmt: skip
    today = utcnow().date()
    for record in applied:
        row_key = (record["household_id"], record["municipality"])
        household = session.get(Household, row_key)
        assert household is not None
        complete, since = before.get(row_key, (True, None))
        if household.documents_complete:
            household.documents_incomplete_since, household.documents_expected = None, None
        elif since is None:
            # Incomplete from the koppeling when it comes in so; from today when an update says so.
            household.documents_incomplete_since = household.koppeling_date if row_key not in existing or not complete else today
    session.flush()
    if shared:
        audit.record_by(session, caller, "households.import.shared_id", "household", shared)
    return Stored(created, updated, removed, [hid for hid, _ in kept])


def store_units(
    session: Session, records: list[dict[str, Any]], source: str, replace: bool, caller: Caller, edit: bool = False
) -> Stored:
    """Insert or update every record of an available or new unit; with ``replace`` remove
    available units not listed (none that is held or lived in)."""
    existing = _stored(session, Unit, Unit.unit_id, [r["unit_id"] for r in records])
    open_records, kept = _split_settled(records, existing, "unit_id", source, edit)
    shared = _shared_ids(records, existing, "unit_id")
    open_rows = select(Unit).where(Unit.status == "available", Unit.beds_taken == 0, Unit.beds_held == 0)
    if caller.municipality is not None:
        open_rows = open_rows.where(Unit.municipality == caller.municipality)
    created, updated, removed = _upsert(
        session, open_records, existing, "unit_id", UNIT_FIELDS,
        lambda: Unit(status="available", beds_taken=0, beds_held=0, created_at=utcnow()),
        open_rows if replace and not edit else None, keep_keys=kept,
    )  # fmt: skip
    if shared:
        audit.record_by(session, caller, "units.import.shared_id", "unit", shared)
    return Stored(created, updated, removed, [uid for uid, _ in kept])


def one_record(parse_error: InputError) -> InputError:
    """Problems of a single-object body: no row numbers, the source is the body."""
    return InputError([InputProblem(source="body", message=p.message, row=None, column=p.column) for p in parse_error.problems])
