"""The COA's pipeline: announced koppelingen and expected arrivals, read strictly, as a forecast.

Before a household is gekoppeld to a municipality, the COA already announces it (a
koppeling with a date), or reports status holders still in the AZC who are expected to be
linked; Nidos reports youngsters under its guardianship (AMV) whose housing task starts
when they turn 18. A municipality plans supply on these. This module reads such a list
(``pipeline.csv``, or a workbook with the same columns) with the same strictness as the
household file: every bad cell names file, row and column, and nothing is returned on error.

``pipeline_households`` turns the rows into the households part of the look-ahead's
forecast (``matcher.input.forecast``): per make-up (persons now, nareizigers), how many a
week are due within the forecast's window. Rows due on or before the planning date are
left out: by then they are koppelingen in the household file, and counting them again would
count them twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.errors import InputError, ProblemCollector
from matcher.input import cells
from matcher.input.tables import Column, check_unique, parse_rows

KINDS = ("koppeling", "expected", "amv")
MAX_HOUSEHOLDS_PER_ROW = 1000

PIPELINE_COLUMNS: tuple[Column, ...] = (
    Column("pipeline_id", lambda v: cells.parse_text(v, "an id"), True),
    Column("municipality", lambda v: cells.parse_text(v, "a municipality"), True),
    Column("kind", lambda v: cells.parse_choice(v, KINDS), False, "koppeling"),
    Column("expected_date", cells.parse_date, True),
    Column("adults", lambda v: cells.parse_int(v, 1, 1000), True),
    Column("children", lambda v: cells.parse_int(v, 0, 1000), True),
    Column("expected_reunification", lambda v: cells.parse_int(v, 0, 1000), False, 0),
    Column("households", lambda v: cells.parse_int(v, 1, MAX_HOUSEHOLDS_PER_ROW), False, 1),
)
PIPELINE_REQUIRED = tuple(c.name for c in PIPELINE_COLUMNS if c.required)


@dataclass(frozen=True)
class PipelineEntry:
    """One row of the pipeline: ``households`` alike households due on ``expected_date``."""

    pipeline_id: str
    municipality: str
    kind: str
    expected_date: dt.date
    adults: int
    children: int
    expected_reunification: int
    households: int

    @property
    def persons(self) -> int:
        return self.adults + self.children

    def as_json(self) -> dict[str, Any]:
        return {
            "pipeline_id": self.pipeline_id,
            "municipality": self.municipality,
            "kind": self.kind,
            "expected_date": self.expected_date.isoformat(),
            "adults": self.adults,
            "children": self.children,
            "expected_reunification": self.expected_reunification,
            "households": self.households,
        }


def parse_pipeline(
    rows: Iterable[Mapping[str, Any] | None],
    source: str,
    problems: ProblemCollector,
    header: Sequence[str] | None = None,
) -> list[PipelineEntry]:
    """Parse raw rows (from a file or JSON) into entries, sorted by id; every problem goes to ``problems``.

    ``header`` is the file's header row: an unknown column is reported there (row 1), so a
    misspelt optional column is never silently ignored.
    """
    if header is not None:
        known = {c.name for c in PIPELINE_COLUMNS}
        for name in header:
            if name and name not in known:
                problems.add(source, f"unknown column; expected {', '.join(sorted(known))}", row=1, column=name)
    records = parse_rows(rows, PIPELINE_COLUMNS, source, problems, present_columns=header)
    check_unique(records, "pipeline_id", source, problems)
    if problems.problems:
        return []
    entries = [PipelineEntry(**{c.name: r[c.name] for c in PIPELINE_COLUMNS}) for r in records]
    return sorted(entries, key=lambda e: e.pipeline_id)


def pipeline_households(
    entries: Iterable[PipelineEntry],
    planning_date: dt.date,
    weeks: int,
    municipalities: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The forecast's households: per (persons, nareizigers), households a week due after ``planning_date``
    and at most ``weeks`` weeks later; only the given municipalities when named. Sorted by make-up."""
    if weeks <= 0:
        return []
    wanted = set(municipalities) if municipalities is not None else None
    end = planning_date + dt.timedelta(weeks=weeks)
    counts: dict[tuple[int, int], int] = {}
    for entry in entries:
        if wanted is not None and entry.municipality not in wanted:
            continue
        if planning_date < entry.expected_date <= end:
            key = (entry.persons, entry.expected_reunification)
            counts[key] = counts.get(key, 0) + entry.households
    return [
        {"persons": persons, "expected_reunification": extra, "per_week": round(count / weeks, 9)}
        for (persons, extra), count in sorted(counts.items())
    ]


def policy_with_pipeline(raw_policy: Any, path: Path, policy_source: str = "policy.json", today: dt.date | None = None) -> Any:
    """The policy with its forecast's households taken from the pipeline file at ``path`` (the command line's
    ``--pipeline``). The policy must name ``lookahead``, the only term a forecast feeds; the window is the policy's
    forecast ``weeks`` (default 8) after its planning date. Homes stay those of the policy's forecast (source
    ``coa_pipeline+officer``), or there are none (``coa_pipeline``)."""
    from matcher.input.files import read_table
    from matcher.input.policy import parse_policy

    rows, header, name = read_table(path, required=PIPELINE_REQUIRED)
    problems = ProblemCollector()
    entries = parse_pipeline(rows, name, problems, header)
    problems.raise_if_any()
    policy = parse_policy(raw_policy, policy_source, today)
    if not any("lookahead" in tier for tier in policy.objective):
        raise InputError.single(
            "--pipeline", "the pipeline feeds the look-ahead's forecast, but the policy's objective does not name lookahead"
        )
    given = dict(raw_policy.get("forecast") or {})
    weeks = policy.forecast.weeks if policy.forecast is not None else 8
    units = given.get("units")
    given.update(
        weeks=weeks,
        households=pipeline_households(entries, policy.planning_date, weeks),
        source="coa_pipeline+officer" if units else "coa_pipeline",
    )
    return {**raw_policy, "forecast": given}


def due_by_kind(entries: Iterable[PipelineEntry], planning_date: dt.date, weeks: int) -> dict[str, int]:
    """Households due within the window per kind (koppeling, expected, amv): what the forecast counted."""
    end = planning_date + dt.timedelta(weeks=weeks)
    due = dict.fromkeys(KINDS, 0)
    for entry in entries:
        if weeks > 0 and planning_date < entry.expected_date <= end:
            due[entry.kind] += entry.households
    return due
