"""What-if scenarios over HTTP: start a scenario run, follow it as its bands narrow, cancel
it, read its KPI bands, compare two.

A scenario sent here is complete in itself: the server reads no files for it (no ``base``
file, no ``start.households`` or ``start.units``). A variant is compared with its base by
running both and asking ``/v1/scenarios/compare``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api import audit
from api.auth import Caller
from api.deps import MAX_DB_INT, Offset, ReadSessionDep, RowId, SessionDep, SettingsDep, Viewer
from api.deps import Officer as OfficerDep
from api.errors import ApiError, Problem, invalid_input, responses
from api.leases import database_now
from api.models import ScenarioRun
from api.redaction import sees_special_categories
from api.scenario_jobs import ScenarioQueue
from api.scenario_schemas import ScenarioComparison, ScenarioCreate, ScenarioRunList, ScenarioRunPublic, ScenarioRunSummary
from api.scoped import get_visible, newest_first
from matcher.errors import InputError

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])

SERVER_FILES = {
    "base": "a scenario sent to the service is complete: send the merged fields, not the name of a base file",
    "start.households": "the service reads no files: use start.profile for the start pool",
    "start.units": "the service reads no files: use start.profile and include_units for the homes on offer",
}


def _server_file_problems(document: dict[str, Any]) -> list[Problem]:
    start = document.get("start")
    values = {
        "base": document.get("base"),
        "start.households": start.get("households") if isinstance(start, dict) else None,
        "start.units": start.get("units") if isinstance(start, dict) else None,
    }
    return [
        Problem(source="scenario", column=key, message=SERVER_FILES[key]) for key, value in values.items() if value is not None
    ]


def _summary_fields(row: ScenarioRun) -> dict[str, Any]:
    partial = (row.result or {}).get("partial") if row.status != "done" else None
    return {
        "replicates_done": (row.result or {}).get("replicates", 0),
        "seconds_left": partial.get("seconds_left") if partial and row.status == "running" else None,
        "id": row.id,
        "name": row.name,
        "scope": row.scope,
        "status": row.status,
        "stage": row.stage,
        "progress": row.progress,
        "replicates": row.replicates,
        "horizon_weeks": int(row.scenario.get("horizon_weeks", 0)),
        "seed": int(row.scenario.get("seed", 0)),
        "created_at": row.created_at,
        "created_by": row.created_by,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "error": row.error,
        "problems": row.problems,
    }


def _pipeline_for(caller: Caller, document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A scenario as the caller may read it: below officer, the COA pipeline's lines keep their dates and
    sizes but lose their reference and kind (an ``amv`` line tells who came as an unaccompanied minor)."""
    inflow = document.get("inflow") if isinstance(document, dict) else None
    if document is None or sees_special_categories(caller) or not isinstance(inflow, dict) or not inflow.get("pipeline"):
        return document
    lines = [{k: v for k, v in line.items() if k not in ("pipeline_id", "kind")} for line in inflow["pipeline"]]
    return {**document, "inflow": {**inflow, "pipeline": lines}}


def _public(row: ScenarioRun, caller: Caller) -> ScenarioRunPublic:
    result = row.result
    if isinstance(result, dict) and isinstance(result.get("scenario"), dict):
        result = {**result, "scenario": _pipeline_for(caller, result["scenario"])}
    return ScenarioRunPublic(**_summary_fields(row), scenario=_pipeline_for(caller, row.scenario), result=result)


@router.post(
    "",
    status_code=202,
    response_model=ScenarioRunPublic,
    summary="Start a what-if scenario run",
    response_description="The run is queued; follow the Location header until its status is done or failed.",
    responses={
        202: {"headers": {"Location": {"description": "the run's address, e.g. /v1/scenarios/3", "schema": {"type": "string"}}}},
        204: {"description": "with ?check=true: the scenario would be started; nothing was stored"},
        **responses(401, 403, 422, 429),
    },
)
def create_scenario_run(
    body: ScenarioCreate,
    caller: OfficerDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    check: Annotated[bool, Query(description="only check the scenario: 204 when it would be started; nothing is stored")] = False,
) -> Any:
    """The scenario is checked at once: every problem is a 422 naming the field path (e.g.
    `vacancies.statushouder_share`). The replicates are simulated in the background; the
    run's `progress` grows with each finished replicate. With `?check=true` nothing is started:
    204 says the scenario would be (so a base and its variant can both be checked before either
    starts, and then started in that order)."""
    from matcher.simulate.scenario import parse_scenario, scenario_document

    if body.replicates > settings.scenario_max_replicates:
        raise ApiError(
            422,
            "Too many replicates.",
            problems=[Problem(source="body", column="replicates", message=f"at most {settings.scenario_max_replicates}")],
        )
    problems = _server_file_problems(body.scenario)
    if problems:
        raise ApiError(422, f"The scenario has {len(problems)} problem{'s' if len(problems) != 1 else ''}.", problems=problems)
    try:
        scenario = parse_scenario(body.scenario, "scenario")
    except InputError as error:
        raise invalid_input(error) from None
    if check:
        return Response(status_code=204)
    queue: ScenarioQueue = request.app.state.scenarios
    if queue.full(session):
        raise ApiError(429, f"{queue.limit} scenario runs are already waiting; try again when one has finished.")
    row = ScenarioRun(
        scope=caller.municipality,
        name=scenario.name[:200],
        created_by=caller.token_id,
        status="queued",
        stage="queued",
        progress=0.0,
        replicates=body.replicates,
        scenario=scenario_document(scenario),
    )
    session.add(row)
    session.flush()
    audit.record_by(session, caller, "scenario.create", "scenario", [row.id])
    session.commit()
    queue.submit(row.id)
    response.headers["Location"] = f"/v1/scenarios/{row.id}"
    return _public(row, caller)


@router.get("", summary="List scenario runs, newest first", responses=responses(401, 403))
def list_scenario_runs(
    caller: Viewer,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
) -> ScenarioRunList:
    total, rows = newest_first(session, caller, ScenarioRun, limit, offset)
    return ScenarioRunList(
        total=total, limit=limit, offset=offset, items=[ScenarioRunSummary(**_summary_fields(r)) for r in rows]
    )


@router.get(
    "/compare",
    summary="A variant against its base: bands side by side and the paired difference",
    responses=responses(401, 403, 404, 409, 422),
)
def compare_scenario_runs(
    caller: Viewer,
    session: ReadSessionDep,
    base: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="id of the base scenario run")],
    variant: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="id of the variant scenario run")],
) -> ScenarioComparison:
    """Both runs must have a result and cover the same weeks (start date and horizon);
    otherwise their end figures do not measure the same thing (409 `not_comparable`). With
    the same seed, replicate k of both saw the same arrivals and the difference is paired.
    A run still running (or cancelled) is compared over the replicates it has done:
    `comparison.replicates` says over how many the difference is, and `partial` is true."""
    from matcher.simulate import SimulationResult, compare

    rows = [get_visible(session, caller, ScenarioRun, run_id, "Scenario run") for run_id in (base, variant)]
    for row in rows:
        if row.result is None or row.status == "failed":
            raise ApiError(409, f"Scenario run {row.id} has no result (status {row.status}).", code="scenario_not_done")
    a, b = (row.scenario for row in rows)
    if a.get("horizon_weeks") != b.get("horizon_weeks") or a.get("start", {}).get("date") != b.get("start", {}).get("date"):
        raise ApiError(
            409, "The two runs cover different weeks (start date or horizon); their end figures cannot be compared.",
            code="not_comparable",
        )  # fmt: skip
    assert rows[0].result is not None and rows[1].result is not None
    comparison = compare(SimulationResult.from_json(rows[0].result), SimulationResult.from_json(rows[1].result))
    partial = any(row.status != "done" for row in rows)
    return ScenarioComparison(
        base_id=base, variant_id=variant, paired=a.get("seed") == b.get("seed"), partial=partial, comparison=comparison
    )


@router.post(
    "/{scenario_id}/cancel",
    summary="Cancel a scenario run that is waiting or running",
    responses=responses(401, 403, 404, 409),
)
def cancel_scenario_run(scenario_id: RowId, caller: OfficerDep, session: SessionDep, request: Request) -> ScenarioRunPublic:
    """The run ends as `cancelled` at once; the process simulating it stops its replicate
    workers within a second. A run cancelled while running keeps the figures over the
    replicates it had done (`result.partial`); one that was done or failed is a 409."""
    row = get_visible(session, caller, ScenarioRun, scenario_id, "Scenario run")
    session.refresh(row, with_for_update=True)
    if row.status not in ("queued", "running"):
        raise ApiError(409, f"Scenario run {row.id} has already ended (status {row.status}).", code="scenario_ended")
    waiting = row.status == "queued"
    row.status, row.stage, row.error = "cancelled", "cancelled", "cancelled on request"
    row.finished_at = database_now(session)
    row.lease_owner, row.lease_expires_at = None, None
    audit.record_by(session, caller, "scenario.cancel", "scenario", [row.id])
    session.commit()
    if waiting:  # no process held it: the cancel ends it here
        request.app.state.metrics.jobs_finished.labels("scenario", "cancelled").inc()
    return _public(row, caller)


@router.get(
    "/{scenario_id}", summary="One scenario run: status, progress and, when done, the result", responses=responses(401, 403, 404)
)
def get_scenario_run(scenario_id: RowId, caller: Viewer, session: ReadSessionDep) -> ScenarioRunPublic:
    return _public(get_visible(session, caller, ScenarioRun, scenario_id, "Scenario run"), caller)
