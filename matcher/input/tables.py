"""The two input tables, households and units, as column specifications and a parser.

The same parser serves CSV text, XLSX cells and JSON objects: each row is a mapping of
column name to raw value. The output is a pandas DataFrame with one typed column per
spec column plus ``source_row`` (the spreadsheet row the record came from), sorted by id
so that row order never influences a result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from matcher.errors import ProblemCollector
from matcher.input import cells

VULNERABILITIES = ("mobility", "wheelchair", "medical", "lgbtiq", "psychosocial", "ex_amv")
UNIT_TYPES = ("social", "flex", "transit")
MAX_PERSONS = 1000
MAX_RENT = Decimal("100000")


@dataclass(frozen=True)
class Column:
    """One column of an input table: how to parse it and what it defaults to."""

    name: str
    parse: Callable[[Any], Any]
    required: bool
    default: Any = None
    since: str = "v1"  # "v1.1": left out of the canonical input while at its default, so v1 hashes stay


def _int(low: int, high: int = MAX_PERSONS) -> Callable[[Any], int]:
    return lambda v: cells.parse_int(v, low, high)


HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column("household_id", lambda v: cells.parse_text(v, "an id"), True),
    Column("municipality", lambda v: cells.parse_text(v, "a municipality"), True),
    Column("koppeling_date", cells.parse_date, True),
    Column("adults", _int(1), True),
    Column("children", _int(0), True),
    Column("gender", lambda v: cells.parse_choice(v, ("F", "M", "X")), True),
    Column("head_age", _int(16, 120), True),
    Column("expected_reunification", _int(0), False, 0),
    Column("documents_complete", cells.parse_bool, False, True),
    Column("vulnerabilities", lambda v: cells.parse_list(v, VULNERABILITIES), False, ()),
    Column("preferred_neighbourhoods", lambda v: cells.parse_list(v, None), False, ()),
    Column("expected_arrival_date", cells.parse_date, False, None, since="v1.1"),
    Column("current_unit_id", lambda v: cells.parse_text(v, "a unit id"), False, "", since="v1.1"),
)

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("unit_id", lambda v: cells.parse_text(v, "an id"), True),
    Column("municipality", lambda v: cells.parse_text(v, "a municipality"), True),
    Column("neighbourhood", lambda v: cells.parse_text(v, "a neighbourhood"), True),
    Column("corporation", lambda v: cells.parse_text(v, "a corporation"), False, ""),
    Column("unit_type", lambda v: cells.parse_choice(v, UNIT_TYPES), True),
    Column("temporary", cells.parse_bool, False, None),
    Column("shared", cells.parse_bool, False, False),
    Column("beds", _int(1), False, None),
    Column("bedrooms", _int(0), True),
    Column("min_occupants", _int(1), False, 1),
    Column("max_occupants", _int(1), True),
    Column("rent", lambda v: cells.parse_decimal(v, MAX_RENT), True),
    Column("step_free", cells.parse_bool, False, False),
    Column("wheelchair", cells.parse_bool, False, False),
    Column("gender", lambda v: cells.parse_choice(v, ("F", "M")), False, ""),
    Column("lgbtiq_safe", cells.parse_bool, False, False),
    Column("support", cells.parse_bool, False, False),
    Column("available_from", cells.parse_date, True),
    Column("amv_home", cells.parse_bool, False, False, since="v1.1"),  # rule B2: a home kept for ex-AMV youngsters
)

HOUSEHOLD_REQUIRED = tuple(c.name for c in HOUSEHOLD_COLUMNS if c.required)
UNIT_REQUIRED = tuple(c.name for c in UNIT_COLUMNS if c.required)


def parse_rows(
    rows: Iterable[Mapping[str, Any] | None],
    columns: tuple[Column, ...],
    source: str,
    problems: ProblemCollector,
    present_columns: Iterable[str] | None = None,
    first_row: int = 2,
) -> list[dict[str, Any]]:
    """Parse raw rows into typed records; every bad cell is reported, none is guessed.

    ``present_columns`` lists the header of a file; a required column missing from it is
    reported once (row 1, the header) rather than once per row.
    """
    missing_required: set[str] = set()
    if present_columns is not None:
        header = set(present_columns)
        for column in columns:
            if column.required and column.name not in header:
                problems.add(source, "required column is missing", row=1, column=column.name)
                missing_required.add(column.name)
    if missing_required:
        return []
    records: list[dict[str, Any]] = []
    # Text cells repeat a lot (municipalities, dates, yes/no): each distinct text is parsed once
    # per column; the parsers are pure and return immutable values.
    seen: list[dict[str, tuple[int, Any]]] = [{} for _ in columns]
    for offset, raw in enumerate(rows):
        row_number = first_row + offset
        if raw is None:
            continue  # a blank spreadsheet line
        record: dict[str, Any] = {"source_row": row_number}
        for column, known in zip(columns, seen, strict=True):
            value = raw.get(column.name)
            outcome = known.get(value) if type(value) is str else None
            if outcome is None:
                outcome = _parse_cell(column, value)
                if type(value) is str:
                    known[value] = outcome
            kind, result = outcome
            if kind == _PARSED:
                record[column.name] = result
                continue
            if kind == _MISSING:
                if column.required:
                    problems.add(source, "a value is required", row=row_number, column=column.name)
            else:
                problems.add(source, result, row=row_number, column=column.name)
            record[column.name] = column.default
        records.append(record)
    return records


_PARSED, _MISSING, _BAD = 0, 1, 2


def _parse_cell(column: Column, value: Any) -> tuple[int, Any]:
    """One cell: (parsed, value), (missing, None) or (bad, the problem in words)."""
    if cells.is_missing(value):
        return _MISSING, None
    try:
        return _PARSED, column.parse(value)
    except cells.CellError as error:
        return _BAD, str(error)


def check_unique(records: list[dict[str, Any]], key: str, source: str, problems: ProblemCollector) -> None:
    seen: dict[str, int] = {}
    for record in records:
        value = record.get(key)
        if value is None:
            continue
        if value in seen:
            problems.add(
                source,
                f"duplicate id {cells.show(value)}, first used in row {seen[value]}",
                row=record["source_row"],
                column=key,
            )
        else:
            seen[value] = record["source_row"]


def households_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    names = [c.name for c in HOUSEHOLD_COLUMNS] + ["source_row"]
    frame = pd.DataFrame.from_records(records, columns=names)
    frame = frame.sort_values("household_id", kind="stable").reset_index(drop=True)
    return frame


def units_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    names = [c.name for c in UNIT_COLUMNS] + ["source_row"]
    frame = pd.DataFrame.from_records(records, columns=names)
    frame = frame.sort_values("unit_id", kind="stable").reset_index(drop=True)
    return frame


def check_households(records: list[dict[str, Any]], source: str, problems: ProblemCollector) -> None:
    """Cross-column rules of a household row: the family cannot be expected before the koppeling."""
    for record in records:
        arrival, koppeling = record["expected_arrival_date"], record["koppeling_date"]
        if arrival is not None and koppeling is not None and arrival < koppeling:
            problems.add(
                source,
                f"expected_arrival_date ({arrival.isoformat()}) lies before the koppeling_date ({koppeling.isoformat()})",
                row=record["source_row"],
                column="expected_arrival_date",
            )


def check_units(records: list[dict[str, Any]], source: str, problems: ProblemCollector) -> None:
    """Cross-column rules of a unit row, and defaults that depend on other columns."""
    municipality_of: dict[str, tuple[str, int]] = {}
    for record in records:
        row = record["source_row"]
        if record["temporary"] is None:
            record["temporary"] = record["unit_type"] in ("flex", "transit")
        if record["wheelchair"]:
            record["step_free"] = True
        low, high = record["min_occupants"], record["max_occupants"]
        if low is not None and high is not None and low > high:
            problems.add(
                source,
                f"min_occupants ({low}) is larger than max_occupants ({high})",
                row=row,
                column="min_occupants",
            )
        if record["shared"] and record["beds"] is None:
            # A shared place without a bed count holds at most max_occupants persons.
            record["beds"] = high
        neighbourhood, municipality = record["neighbourhood"], record["municipality"]
        if neighbourhood is None or municipality is None:
            continue
        if neighbourhood in municipality_of and municipality_of[neighbourhood][0] != municipality:
            other, other_row = municipality_of[neighbourhood]
            problems.add(
                source,
                f"neighbourhood {cells.show(neighbourhood)} is also used for municipality "
                f"{cells.show(other)} in row {other_row}; prefix it, e.g. {cells.show(municipality + '-' + neighbourhood)}",
                row=row,
                column="neighbourhood",
            )
        else:
            municipality_of.setdefault(neighbourhood, (municipality, row))
