"""The COA's pipeline: upload the announced koppelingen, expected arrivals and AMV turning 18, and read them back.

The file is read by the engine's strict reader (``matcher.input.coa``): a bad cell names
file, row and column, and nothing is stored. An upload replaces the pipeline of every
municipality it names (a pipeline is always the COA's latest list, never a change to an
earlier one). The next proposal run that looks ahead takes the households of its forecast
from it (``api.forecast``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel
from sqlalchemy import delete, func, select

from api import audit
from api.deps import Admin, Officer, ReadSessionDep, SessionDep, SettingsDep
from api.errors import invalid_input, responses
from api.forecast import LOOKAHEAD_WEEKS, pipeline_entries
from api.models import PipelineRow
from api.pool import read_upload
from matcher.errors import InputError, ProblemCollector
from matcher.input.coa import PIPELINE_REQUIRED, due_by_kind, parse_pipeline

router = APIRouter(prefix="/v1/pipeline", tags=["pipeline"])


class PipelineItem(BaseModel):
    """One line of the pipeline (a pseudonymous id and counts, nothing personal)."""

    municipality: str
    pipeline_id: str
    kind: str
    expected_date: dt.date
    adults: int
    children: int
    expected_reunification: int
    households: int


class PipelineImport(BaseModel):
    """What an upload stored: its rows and households per municipality (each replaced whole)."""

    rows: int
    municipalities: dict[str, int]


class PipelineList(BaseModel):
    """The stored pipeline, and the households due within ``weeks`` after ``planning_date`` per kind."""

    total: int
    planning_date: dt.date
    weeks: int
    due: dict[str, int]
    items: list[PipelineItem]


@router.post(
    "/import",
    summary="Upload the COA's pipeline as CSV or XLSX (all rows or none; replaces the named municipalities' pipeline)",
    responses=responses(401, 403, 413, 415, 422),
)
def import_pipeline(
    caller: Admin,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="pipeline.csv or .xlsx, columns as in docs/interchange.md")],
) -> PipelineImport:
    content = file.file.read(settings.max_upload_bytes + 1)
    problems = ProblemCollector()
    try:
        rows, header, name = read_upload(
            file.filename, content, settings.max_upload_bytes, PIPELINE_REQUIRED, settings.max_households_rows
        )
        entries = parse_pipeline(rows, name, problems, header)
        for offset, raw in enumerate(rows):
            municipality = (raw or {}).get("municipality")
            if caller.municipality is not None and municipality and str(municipality).strip() != caller.municipality:
                problems.add(
                    name,
                    f"this token may upload the pipeline of {caller.municipality} only",
                    row=offset + 2,
                    column="municipality",
                )
        problems.raise_if_any()
    except InputError as error:
        raise invalid_input(error) from None
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.municipality] = counts.get(entry.municipality, 0) + entry.households
    session.execute(delete(PipelineRow).where(PipelineRow.municipality.in_(sorted(counts))))
    for entry in entries:
        session.add(PipelineRow(**entry.as_json() | {"expected_date": entry.expected_date}, uploaded_by=caller.token_id))
    session.flush()
    audit.record_by(session, caller, "pipeline.import", "municipality", sorted(counts), details={"rows": len(entries)})
    return PipelineImport(rows=len(entries), municipalities=dict(sorted(counts.items())))


@router.get("", summary="The stored pipeline and what is due within the look-ahead's weeks", responses=responses(401, 403, 422))
def list_pipeline(
    caller: Officer,
    session: ReadSessionDep,
    planning_date: Annotated[dt.date | None, Query(description="count what is due after this day (default today)")] = None,
    weeks: Annotated[int, Query(ge=0, le=104, description="weeks ahead to count")] = LOOKAHEAD_WEEKS,
) -> PipelineList:
    day = planning_date or dt.date.today()
    entries = pipeline_entries(session, caller.municipality)
    total = session.scalar(select(func.count()).select_from(PipelineRow)) if caller.municipality is None else len(entries)
    items = [PipelineItem(**e.as_json()) for e in entries]
    return PipelineList(total=int(total or 0), planning_date=day, weeks=weeks, due=due_by_kind(entries, day, weeks), items=items)
