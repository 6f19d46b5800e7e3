"""Proposal runs over the pool, their proposals (JSON and Excel) and the decisions on them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from api import audit, dutch
from api.audit_access import read_details
from api.audit_records import decision_details
from api.auth import Caller, started_by
from api.cycle import decide, latest_done_id, snapshot
from api.dates import in_window, window_text
from api.deps import MAX_DB_INT, Offset, QueueDep, ReadSessionDep, RowId, SessionDep, Viewer, Wbb
from api.errors import ApiError, Problem, invalid_input, responses
from api.history import compare, planning_date_of
from api.history_schemas import RunDiff
from api.models import AuditEntry, Decision, Run, utcnow
from api.redaction import proposal_for, solver_for
from api.schemas import DecisionCreate, DecisionList, DecisionPublic, RunCreate, RunList, RunPublic
from api.scoped import get_visible, newest_first
from matcher.errors import InputError
from matcher.input.policy import parse_policy

router = APIRouter(prefix="/v1/runs", tags=["runs"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A run's summary (``public``) needs neither its input snapshot nor its proposal, the two
# columns that grow with the pool (megabytes each for a national run): the list of runs and a
# run's status leave them unread, and touching them there raises instead of quietly loading.
SUMMARY_ONLY = (defer(Run.snapshot, raiseload=True), defer(Run.proposal_json, raiseload=True))


# Audit actions that change the pool a run is computed from (imports, edits, removals).
POOL_CHANGES = ("households.import", "units.import", "household.update", "unit.update", "household.delete", "unit.delete")


def pool_changed_since(session: Session, run: Run) -> bool:
    """Whether the lists were read in, changed or removed after the run started (from the audit
    log, which records every such change; decisions and events are not changes of the lists)."""
    # The run's own audit entry marks the moment in the log (times may be stored to the second).
    since = run.created_at - dt.timedelta(seconds=2)
    created = [
        entry_id
        for entry_id, ids in session.execute(
            select(AuditEntry.id, AuditEntry.object_ids).where(AuditEntry.action == "run.create", AuditEntry.at >= since)
        )
        if run.id in ids or str(run.id) in ids
    ]
    if not created:
        return False
    query = select(AuditEntry.id).where(AuditEntry.action.in_(POOL_CHANGES), AuditEntry.id > min(created)).limit(1)
    return session.scalar(query) is not None


def in_words(request: Request, run: RunPublic) -> RunPublic:
    """A failed run's error and problems in Dutch for a request that asks for Dutch (the pages),
    as the error answers are (``api.dutch``)."""
    if not dutch.wants_dutch(request.headers.get("accept-language")) or (run.error is None and not run.problems):
        return run
    problems = [
        {**p, "source": dutch.source(str(p.get("source", ""))), "message": dutch.problem(str(p.get("message", "")))}
        for p in run.problems or []
    ]
    return run.model_copy(update={"error": dutch.message(run.error) if run.error else None, "problems": problems or run.problems})


def public(run: Run, current_id: int | None, caller: Caller, session: Session | None = None) -> RunPublic:
    """The run as the caller may see it: a viewer's solver report lacks the tier values the
    ``vulnerable`` term is added into (see ``api.redaction``). With a session, the current run
    says whether the lists changed after it started."""
    return RunPublic(
        id=run.id,
        scope=run.scope,
        status=run.status,
        stage=run.stage,
        progress=run.progress,
        strategy=run.strategy,
        what_it_would_take=run.what_it_would_take,
        created_at=run.created_at,
        created_by=run.created_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        policy=run.policy,
        input_sha256=run.input_sha256,
        solver=solver_for(caller, run.solver, run.policy),
        kpis=run.kpis,
        problems=run.problems,
        error=run.error,
        current=run.id == current_id,
        superseded=run.status == "done" and current_id is not None and run.id != current_id,
        planning_date=planning_date_of(run.policy),
        households=run.households_count,
        units=run.units_count,
        pool_changed=session is not None and run.id == current_id and pool_changed_since(session, run),
    )


@router.post(
    "",
    status_code=202,
    summary="Start a proposal run over the current pool",
    response_description="The run is queued; follow the Location header until its status is done or failed.",
    responses={
        202: {"headers": {"Location": {"description": "the run's address, e.g. /v1/runs/7", "schema": {"type": "string"}}}},
        **responses(401, 403, 422, 429),
    },
)
def create_run(body: RunCreate, caller: Wbb, session: SessionDep, queue: QueueDep, response: Response) -> RunPublic:
    """The run covers the waiting households and available units the token sees (its
    municipality, or all). A policy with problems is refused at once (422); problems that
    show only with the pool (e.g. a fixed pair naming an unknown id) make a failed run.
    Declined pairs are excluded, pinned pairs fixed, and the pairs of the last run kept
    where the policy allows."""
    try:
        parsed = parse_policy(body.policy, "policy")
    except InputError as error:
        raise invalid_input(error) from None
    if body.policy.get("planning_date") is not None and not in_window(parsed.planning_date):
        problem = Problem(source="policy", column="planning_date", message=window_text())
        raise ApiError(422, "The input has 1 problem.", problems=[problem])
    if queue.full(session):
        raise ApiError(429, f"{queue.limit} runs are already waiting; try again when one has finished.")
    snap, policy = snapshot(session, caller.municipality, body.policy)
    run = Run(
        scope=caller.municipality,
        created_by=caller.token_id,
        strategy=body.strategy,
        what_it_would_take=body.what_it_would_take,
        status="queued",
        stage="queued",
        progress=0.0,
        policy=policy,
        snapshot=snap,
    )
    session.add(run)
    session.flush()
    audit.record_by(session, caller, "run.create", "run", [run.id])
    session.commit()
    queue.submit(run.id)
    response.headers["Location"] = f"/v1/runs/{run.id}"
    return public(run, latest_done_id(session, run.scope), caller)


@router.get("", summary="List runs, newest first", responses=responses(401, 403))
def list_runs(
    request: Request,
    caller: Viewer,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
) -> RunList:
    total, runs = newest_first(session, caller, Run, limit, offset, *SUMMARY_ONLY)
    current = {scope: latest_done_id(session, scope) for scope in {r.scope for r in runs}}
    items = [in_words(request, public(r, current[r.scope], caller, session)) for r in runs]
    return RunList(total=total, limit=limit, offset=offset, items=items)


@router.get("/{run_id}", summary="One run: status, progress, summary", responses=responses(401, 403, 404))
def get_run_status(run_id: RowId, request: Request, caller: Viewer, session: ReadSessionDep) -> RunPublic:
    run = get_visible(session, caller, Run, run_id, "Run", *SUMMARY_ONLY)
    return in_words(request, public(run, latest_done_id(session, run.scope), caller, session))


def _finished(session: SessionDep, caller: Viewer, run_id: int) -> Run:
    """A finished run with its proposal; its input snapshot is left unread (the proposal and
    the workbook need only its counts)."""
    run = get_visible(session, caller, Run, run_id, "Run", defer(Run.snapshot, raiseload=True))
    if run.status != "done" or run.proposal_json is None:
        raise ApiError(409, f"Run {run_id} has no proposal (status {run.status}).", code="run_not_done")
    return run


@router.get(
    "/{run_id}/proposal",
    summary="The run's proposal (proposal/v1)",
    responses={200: {"content": {"application/json": {}}}, **responses(401, 403, 404, 409)},
)
def get_proposal(run_id: RowId, caller: Viewer, session: SessionDep) -> Response:
    run = _finished(session, caller, run_id)
    details = read_details(caller, _households(run), True)
    audit.record_by(session, caller, "run.proposal.read", "run", [run_id], details=details)
    assert run.proposal_json is not None
    return Response(proposal_for(caller, run.proposal_json, run.policy), media_type="application/json")


@router.get(
    "/{run_id}/proposal.xlsx",
    summary="The run's proposal as an Excel workbook for the WBB meeting",
    responses={
        200: {"content": {XLSX: {}}, "description": "Sheets Voorblad, Matches, Unmatched, Unused units, Mismatch, Besluiten"},
        **responses(401, 403, 404, 409),
    },
)
def get_workbook(run_id: RowId, caller: Viewer, session: SessionDep) -> Response:
    """The proposal's sheets, with a front sheet (Voorblad: run id, planning date, pool,
    status, who started it and when) and the decisions taken on the run (Besluiten: wanneer,
    wie, wat, reden), so the workbook can serve as the minutes of the meeting."""
    from api.excel import DecisionLine, Minutes, proposal_workbook

    run = _finished(session, caller, run_id)
    assert run.proposal_json is not None
    current = latest_done_id(session, run.scope)
    minutes = Minutes(
        run_id=run.id,
        planning_date=planning_date_of(run.policy),
        scope=run.scope,
        status="actueel: besluiten worden op deze run genomen" if current == run.id else f"vervangen door run {current}",
        created_by=started_by(session, run.created_by),
        created_at=run.created_at,
        finished_at=run.finished_at,
        input_sha256=run.input_sha256,
        households=run.households_count,
        units=run.units_count,
        decisions=[DecisionLine.of(d) for d in _run_decisions(session, caller, run_id)],
        made_at=utcnow(),
    )
    content = proposal_workbook(proposal_for(caller, run.proposal_json, run.policy), minutes)
    details = read_details(caller, _households(run), True)
    audit.record_by(session, caller, "run.proposal.export", "run", [run_id], details=details)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="voorstel-run-{run_id}.xlsx"'},
    )


@router.get(
    "/{run_id}/diff",
    summary="What changed since an earlier run: pairs new, kept and gone, and why",
    responses=responses(401, 403, 404, 409, 422),
)
def get_diff(
    run_id: RowId,
    caller: Viewer,
    session: SessionDep,
    against: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="id of an earlier run of the same pool")],
) -> RunDiff:
    """Pairs of this run that the earlier run did not have (new, with why), pairs of both
    (kept) and pairs of the earlier run that this one does not have (gone), each with the
    reason read from the decisions and the two runs' inputs and proposals; with counts. Both
    runs must be finished and cover the same municipality (409); either run outside the
    token's municipality is 404. For the viewer role nothing names a household's
    vulnerabilities (see ``withheld``)."""
    later = get_visible(session, caller, Run, run_id, "Run")
    earlier = get_visible(session, caller, Run, against, "Run")
    if against >= run_id:
        problem = Problem(source="query", column="against", message=f"expected an earlier run than {run_id}")
        raise ApiError(422, "Compare a run with an earlier one.", problems=[problem])
    for run in (later, earlier):
        if run.status != "done" or run.proposal_json is None:
            raise ApiError(409, f"Run {run.id} has no proposal (status {run.status}).", code="run_not_done")
    if later.scope != earlier.scope:
        raise ApiError(409, "The two runs cover different pools (municipalities); they are not compared.", code="not_comparable")
    diff = compare(session, caller, later, earlier)
    details = read_details(caller, _households(later), True)
    audit.record_by(session, caller, "run.diff.read", "run", [run_id, against], details=details)
    return diff


@router.post(
    "/{run_id}/decisions",
    status_code=201,
    summary="Accept, decline or pin a proposed pair of the newest run",
    responses=responses(401, 403, 404, 409, 422),
)
def create_decision(run_id: RowId, body: DecisionCreate, caller: Wbb, session: SessionDep) -> DecisionPublic:
    """accept: the household is housed on ``housed_on`` and counts for the taakstelling, the
    unit is let. decline (with a reason code): the pair is never proposed again. pin: the
    pair is fixed in every later run."""
    decision = decide(session, caller, run_id, body)
    ids: list[str | int] = [decision.id, body.household_id, body.unit_id]
    audit.record_by(session, caller, f"decision.{body.kind}", "decision", ids, details=decision_details(decision))
    return DecisionPublic.model_validate(decision)


@router.get("/{run_id}/decisions", summary="Decisions taken on a run", responses=responses(401, 403, 404))
def list_run_decisions(run_id: RowId, caller: Viewer, session: SessionDep) -> DecisionList:
    get_visible(session, caller, Run, run_id, "Run")
    items = _run_decisions(session, caller, run_id)
    return DecisionList(total=len(items), limit=len(items), offset=0, items=[DecisionPublic.model_validate(d) for d in items])


def _households(run: Run) -> int:
    """The households of the run's input: those its proposal speaks about."""
    return run.households_count


def _run_decisions(session: Session, caller: Caller, run_id: int) -> list[Decision]:
    """The decisions taken on a run that the caller may see, oldest first."""
    query = select(Decision).where(Decision.run_id == run_id)
    if caller.municipality is not None:
        query = query.where(Decision.municipality == caller.municipality)
    return list(session.scalars(query.order_by(Decision.id)))
