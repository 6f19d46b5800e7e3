"""The FastAPI application: ``create_app(settings)`` wires database, job queues and routes.

Making the app loads the audit key (``api.audit_key``): without one it refuses, unless in
development mode. Starting it upgrades the database schema (Alembic) when
``migrate_on_start`` is set, writes the audit checkpoint when one is set, and starts the
workers of proposal runs and scenario runs, which pick up what is waiting (also what a
stopped process left; see ``api.job_queue``). Stopping it drains: no new job is taken, and
the jobs held are finished or handed back within the drain bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import api_docs, errors, oidc, security, web
from api import audit as audit_log
from api.audit_checkpoint import refresh
from api.audit_key import load_key
from api.db import make_engine, make_sessionmaker, schema_head, upgrade
from api.denials import DenialCounter, Flusher
from api.drain import Drain
from api.gate import AuthGate
from api.job_queue import JobQueue
from api.jobs import RunQueue
from api.leases import Leases, process_owner
from api.limits import BodyLimit
from api.metrics import Metrics
from api.models import Run, ScenarioRun
from api.ratelimit import FailureLimiter
from api.routes import (
    audit,
    corporation,
    dashboard,
    decisions,
    health,
    households,
    municipalities,
    pipeline,
    pool,
    prestatieafspraken,
    regional,
    runs,
    scenarios,
    solve,
    taakstelling,
    tokens,
    units,
)
from api.scenario_jobs import ScenarioQueue
from api.settings import Settings
from api.traffic import Traffic

log = logging.getLogger(__name__)

DESCRIPTION = """
The WBB service: the pool of gekoppelde households and offered units in a database,
weekly proposal runs as background jobs, decisions (accept, decline, pin) that the next
run respects, the proposal as an Excel workbook, and the taakstelling.

Every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer <token>`, checked
before the request body is read. Roles, each allowing what the ones before it allow:
**viewer** (read), **officer** (`POST /v1/solve`), **wbb** (runs, decisions, targets),
**admin** (imports, edits, tokens, audit log). A token scoped to a municipality sees only
that municipality's data. A token belongs to a person (its owner: the name on every
decision, event and audit entry made with it) and expires, 90 days after it was made by
default. With single sign-on configured, the identity provider's access token (a JWT) is a
bearer token too; its roles and municipality come from its claims.

Every error has the same shape: `{"error": {"status", "code", "message", "problems"}}`,
where each problem names source, row and column.
"""

TAGS = [
    {"name": "solve", "description": "Stateless: the CLI's `matcher propose` over HTTP."},
    {"name": "households", "description": "The pool of gekoppelde households (pseudonymous), their cases and timelines."},
    {"name": "units", "description": "The offered units."},
    {"name": "runs", "description": "Proposal runs over the pool, their proposals and decisions."},
    {"name": "decisions", "description": "All decisions across runs."},
    {"name": "taakstelling", "description": "Targets per half year, realised persons, backlog."},
    {"name": "pipeline", "description": "The COA's pipeline: announced koppelingen, expected arrivals, AMV turning 18."},
    {"name": "tokens", "description": "Access tokens (admin)."},
    {"name": "audit", "description": "Who did what, when, to which ids (admin)."},
    {"name": "scenarios", "description": "What-if scenarios: weeks of matching simulated with bands (officer runs)."},
    {"name": "dashboard", "description": "The calling token, and the figures of the Overzicht page."},
    {"name": "corporation", "description": "A housing corporation's own units, offers, refusals and lets (corporation role)."},
    {"name": "prestatieafspraken", "description": "Homes each corporation agreed to offer per year, against realised."},
    {"name": "health", "description": "Liveness and readiness, without a token."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    key = load_key(settings)
    drain = Drain(settings.drain_seconds)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        if settings.migrate_on_start:
            upgrade(engine, audit_key=key)
        sessions = make_sessionmaker(engine)
        audit_log.attach(sessions, key, settings.audit_checkpoint)
        if settings.audit_checkpoint is not None:
            refresh(engine, key, settings.audit_checkpoint)
        read_sessions = make_sessionmaker(engine, read_only=True)
        owner = process_owner()

        def leases(model: type[Run] | type[ScenarioRun]) -> Leases[Any]:
            return Leases(sessions, read_sessions, model, owner, settings.lease_seconds, settings.job_max_attempts)

        poll, head = settings.job_poll_seconds, schema_head()
        queue = RunQueue(leases(Run), settings.workers, settings.queue_max, drain, metrics, poll, head)
        scenarios = ScenarioQueue(
            leases(ScenarioRun), settings.scenario_processes, settings.scenario_queue_max, drain, metrics, poll, head,
            settings.ray_address,
        )  # fmt: skip
        app.state.settings, app.state.sessions, app.state.read_sessions = settings, sessions, read_sessions
        app.state.queue, app.state.scenarios, app.state.owner = queue, scenarios, owner
        app.state.schema_head = head
        flusher = Flusher(app.state.denials, sessions, settings.denial_flush_seconds)
        flusher.start()
        if engine.dialect.name == "sqlite":
            log.info("SQLite database: run one service process on it; several processes on one database need PostgreSQL")
        queue.start()
        scenarios.start()
        log.info("service started on %s as %s", engine.dialect.name, owner)
        try:
            yield
        finally:
            if drain.begin():
                log.info("stopping: no new jobs; jobs held are finished or handed back within %.0f s", drain.drain_seconds)
            await asyncio.to_thread(_stop, [queue, scenarios])
            flusher.stop()
            engine.dispose()

    app = FastAPI(
        title="Statushouder matcher: WBB service",
        version=version("statushouder-matcher"),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.sso = oidc.SingleSignOn(settings) if settings.oidc_issuer else None
    app.state.limiter = FailureLimiter(settings.auth_failure_burst, settings.auth_failures_per_minute)
    app.state.denials = DenialCounter()
    errors.install(app)
    # Innermost of the middleware, so the route's body parsing sees BodyTooLarge itself
    # (the BaseHTTPMiddleware ones added later would wrap it in an exception group).
    app.add_middleware(BodyLimit, settings=settings)
    # Around it, authentication: a request without a valid token is refused before its body
    # is read; the headers middleware added later still marks those answers.
    app.add_middleware(AuthGate)
    for module in (
        health,
        solve,
        households,
        units,
        pool,
        runs,
        regional,
        decisions,
        taakstelling,
        municipalities,
        tokens,
        audit,
        pipeline,
    ):
        app.include_router(module.router)
    app.include_router(scenarios.router)
    app.include_router(dashboard.router)
    app.include_router(corporation.router)
    app.include_router(prestatieafspraken.router)
    web.install(app, settings)
    api_docs.install(app, settings.api_docs)
    security.install(app)
    # Outermost, so it sees every answer (also those of the middleware above) and every
    # log line of the request carries its id.
    app.add_middleware(Traffic, metrics=metrics, drain=drain, log_requests=settings.log_format == "json")
    app.state.drain, app.state.metrics = drain, metrics
    metrics.watch(
        lambda: getattr(app.state, "read_sessions", None),
        lambda: {kind: _alive(app, name) for kind, name in (("run", "queue"), ("scenario", "scenarios"))},
        lambda: drain.draining,
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _one_error_shape(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _stop(queues: list[JobQueue[Any]]) -> None:
    """Drain the queues side by side: none takes a new job, then each waits for its jobs
    until the shared deadline and hands back the rest."""
    for queue in queues:
        queue.begin_drain()
    for queue in queues:
        queue.finish_drain()


def _alive(app: FastAPI, name: str) -> bool:
    queue: JobQueue[Any] | None = getattr(app.state, name, None)
    return queue is not None and queue.alive()


def _one_error_shape(spec: dict[str, Any]) -> dict[str, Any]:
    """Point every 4xx answer at ErrorBody (FastAPI documents its own 422 shape by default,
    but the handlers in api.errors answer every error in the one shape)."""
    reference = {"$ref": "#/components/schemas/ErrorBody"}
    for item in spec["paths"].values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith("4"):
                    response["content"] = {"application/json": {"schema": reference}}
                    if status == "422":
                        response["description"] = "Invalid input: every problem with source, row and column."
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return spec
