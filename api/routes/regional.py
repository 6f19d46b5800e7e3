"""Regional runs for each municipality in them: the list, and the proposal with its own households.

A run over all municipalities with ``regional: true`` is not in the ``/v1/runs`` of a token
limited to one municipality (that list holds the runs over its own pool). Here such a token
finds the regional runs its municipality is part of and reads each proposal cut to its own
households (``api.regional``), with the regional balance of every municipality. A token for
all municipalities sees every regional run and the whole proposal. A viewer's copy is
redacted as everywhere (``api.redaction``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.audit_access import read_details
from api.auth import Caller, started_by
from api.deps import ReadSessionDep, RowId, SessionDep, Viewer
from api.errors import ApiError, not_found, responses
from api.history import planning_date_of
from api.models import Decision, Run, utcnow
from api.redaction import proposal_for
from api.regional import is_regional, municipalities_of, own_households_only

router = APIRouter(prefix="/v1/regional-runs", tags=["regional runs"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SCANNED = 200
"""How many of the newest finished runs over all municipalities the list looks through."""


class RegionalRun(BaseModel):
    """A finished regional run: when it was planned for and which municipalities it covers."""

    id: int
    planning_date: dt.date | None
    finished_at: dt.datetime | None
    municipalities: list[str]


class RegionalRunList(BaseModel):
    items: list[RegionalRun]


def _sees(caller: Caller, run: Run) -> bool:
    return is_regional(run) and (caller.municipality is None or caller.municipality in municipalities_of(run))


def _regional_runs(session: Session, caller: Caller, limit: int) -> list[Run]:
    query = select(Run).where(Run.scope.is_(None), Run.status == "done").order_by(Run.id.desc()).limit(SCANNED)
    return [run for run in session.scalars(query) if _sees(caller, run)][:limit]


@router.get(
    "", summary="The finished regional runs the caller's municipality is part of, newest first", responses=responses(401, 403)
)
def list_regional_runs(
    caller: Viewer, session: ReadSessionDep, limit: Annotated[int, Query(ge=1, le=50)] = 10
) -> RegionalRunList:
    items = [
        RegionalRun(
            id=run.id,
            planning_date=planning_date_of(run.policy),
            finished_at=run.finished_at,
            municipalities=municipalities_of(run),
        )
        for run in _regional_runs(session, caller, limit)
    ]
    return RegionalRunList(items=items)


def _finished(session: Session, caller: Caller, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None or not _sees(caller, run):
        raise not_found(f"Regional run {run_id}")
    if run.status != "done" or run.proposal_json is None:
        raise ApiError(409, f"Run {run_id} has no proposal (status {run.status}).", code="run_not_done")
    return run


def _as_read(caller: Caller, run: Run) -> tuple[str, int]:
    """The proposal as the caller reads it (before redaction), and how many households it is about."""
    assert run.proposal_json is not None
    households = run.snapshot.get("households", [])
    if caller.municipality is None:
        return run.proposal_json, len(households)
    own = sum(1 for h in households if h["municipality"] == caller.municipality)
    return own_households_only(run.proposal_json, run, caller.municipality), own


@router.get(
    "/{run_id}/proposal",
    summary="A regional run's proposal: for a municipality's token its own households only",
    responses={200: {"content": {"application/json": {}}}, **responses(401, 403, 404, 409)},
)
def get_regional_proposal(run_id: RowId, caller: Viewer, session: SessionDep) -> Response:
    """The proposal with the regional balance of every municipality. A run that is not
    regional, or that the caller's municipality is not part of, answers 404."""
    run = _finished(session, caller, run_id)
    text, count = _as_read(caller, run)
    details = read_details(caller, count, True, regional=True)
    audit.record_by(session, caller, "run.proposal.read", "run", [run_id], details=details)
    return Response(proposal_for(caller, text, run.policy), media_type="application/json")


@router.get(
    "/{run_id}/proposal.xlsx",
    summary="A regional run's proposal as an Excel workbook: for a municipality's token its own households only",
    responses={
        200: {"content": {XLSX: {}}, "description": "Sheets Voorblad, Voorstel, ..., Regionale balans, Besluiten"},
        **responses(401, 403, 404, 409),
    },
)
def get_regional_workbook(run_id: RowId, caller: Viewer, session: SessionDep) -> Response:
    """The same proposal as the JSON, as a workbook with the sheet Regionale balans, and on
    the sheet Besluiten the decisions on the caller's own households (all, for a token for all
    municipalities)."""
    from api.excel import DecisionLine, Minutes, proposal_workbook

    run = _finished(session, caller, run_id)
    text, count = _as_read(caller, run)
    query = select(Decision).where(Decision.run_id == run_id)
    if caller.municipality is not None:
        query = query.where(Decision.municipality == caller.municipality)
    minutes = Minutes(
        run_id=run.id,
        planning_date=planning_date_of(run.policy),
        scope=caller.municipality,
        status="regionale run",
        created_by=started_by(session, run.created_by),
        created_at=run.created_at,
        finished_at=run.finished_at,
        input_sha256=run.input_sha256,
        households=count,
        units=run.units_count,
        decisions=[DecisionLine.of(d) for d in session.scalars(query.order_by(Decision.id))],
        made_at=utcnow(),
    )
    content = proposal_workbook(proposal_for(caller, text, run.policy), minutes)
    details = read_details(caller, count, True, regional=True)
    audit.record_by(session, caller, "run.proposal.export", "run", [run_id], details=details)
    return Response(
        content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="regionaal-voorstel-run-{run_id}.xlsx"'}
    )
