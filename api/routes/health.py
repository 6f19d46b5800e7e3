"""Probes and metrics for load balancers and monitoring; no data about anyone.

``/healthz`` (liveness): the process and its database answer. ``/readyz`` (readiness):
also the schema is at the newest migration and the job workers run, and the process is not
stopping; a load balancer sends traffic only to a ready process. ``/metrics``: the
Prometheus text format, for a scraper that has the metrics token (``MATCHER_METRICS_TOKEN``;
without one the endpoint is off).
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.db import schema_version
from api.deps import ReadSessionDep, SettingsDep, bearer
from api.errors import ApiError, ErrorBody, Problem, error_response, responses
from api.schemas import Health, Ready

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The service and its database answer")
def healthz(session: ReadSessionDep) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    summary="Ready for traffic: database, schema and job workers, and not stopping",
    responses={
        503: {
            "model": ErrorBody,
            "description": "Not ready: each failed check is a problem (source database, schema, workers or service).",
        }
    },
)
def readyz(request: Request) -> Response:
    """200 when this process should get traffic; 503 with ``Retry-After`` and one problem
    per failed check otherwise (also while it is stopping)."""
    state = request.app.state
    problems: list[Problem] = []
    version: str | None = None
    factory: sessionmaker[Session] = state.read_sessions
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
            version = schema_version(session)
    except Exception as error:
        log.warning("readiness: the database did not answer (%s)", type(error).__name__)
        problems.append(Problem(source="database", message="the database does not answer"))
    if not problems and version != state.schema_head:
        problems.append(
            Problem(
                source="schema",
                message=f"the database is at migration {version or 'none'}, this version needs {state.schema_head}",
            )
        )
    workers = {"run": state.queue.alive(), "scenario": state.scenarios.alive()}
    if state.drain.draining:
        problems.append(Problem(source="service", message="stopping: finishing or handing back its jobs"))
    else:
        stopped = [kind for kind, ok in workers.items() if not ok]
        problems += [Problem(source="workers", message=f"the {kind} workers are not running") for kind in stopped]
    if problems:
        return error_response(503, "not_ready", "Not ready for traffic.", problems, headers={"Retry-After": "5"})
    assert version is not None
    ready = Ready(status="ready", database="ok", schema_version=version, workers=dict.fromkeys(workers, "ok"))
    return Response(ready.model_dump_json(), media_type="application/json")


def _metrics_reader(settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    expected = settings.metrics_token
    if expected is None:
        raise ApiError(404, "Not found: /metrics is off (set MATCHER_METRICS_TOKEN to turn it on).")
    given = credentials.credentials if credentials is not None and credentials.scheme.lower() == "bearer" else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise ApiError(401, "The metrics token is required.")


@router.get("/metrics", include_in_schema=False, responses=responses(401, 404), dependencies=[Depends(_metrics_reader)])
def metrics(request: Request) -> Response:
    """The Prometheus text format; counts and durations only, no id or personal field in any label."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
