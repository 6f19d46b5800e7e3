"""The FastAPI application: ``create_app(settings)`` wires database, job queue and routes.

Making the app loads the audit key (``api.audit_key``): without one it refuses, unless in
development mode. Starting it upgrades the database schema (Alembic) when
``migrate_on_start`` is set, starts the run workers, queues again the runs an earlier
process left unfinished, and writes the audit checkpoint when one is set.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import api_docs, errors, oidc, scenario_jobs, security, web
from api import audit as audit_log
from api.audit_checkpoint import refresh
from api.audit_key import load_key
from api.db import make_engine, make_sessionmaker, upgrade
from api.denials import DenialCounter, Flusher
from api.gate import AuthGate
from api.jobs import RunQueue
from api.limits import BodyLimit
from api.ratelimit import FailureLimiter
from api.routes import (
    audit,
    dashboard,
    decisions,
    health,
    households,
    municipalities,
    pool,
    runs,
    scenarios,
    solve,
    taakstelling,
    tokens,
    units,
)
from api.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = """
The WBB service: the pool of gekoppelde households and offered units in a database,
weekly proposal runs as background jobs, decisions (accept, decline, pin) that the next
run respects, the proposal as an Excel workbook, and the taakstelling.

Every endpoint but `/healthz` needs `Authorization: Bearer <token>`, checked before the
request body is read. Roles, each allowing what the ones before it allow: **viewer**
(read), **officer** (`POST /v1/solve`), **wbb** (runs, decisions, targets), **admin**
(imports, edits, tokens, audit log). A token scoped to a municipality sees only that
municipality's data. A token belongs to a person (its owner: the name on every decision,
event and audit entry made with it) and expires, 90 days after it was made by default.
With single sign-on configured, the identity provider's access token (a JWT) is a bearer
token too; its roles and municipality come from its claims.

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
    {"name": "tokens", "description": "Access tokens (admin)."},
    {"name": "audit", "description": "Who did what, when, to which ids (admin)."},
    {"name": "scenarios", "description": "What-if scenarios: weeks of matching simulated with bands (officer runs)."},
    {"name": "dashboard", "description": "The calling token, and the figures of the Overzicht page."},
    {"name": "health", "description": "Liveness, without a token."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    key = load_key(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        if settings.migrate_on_start:
            upgrade(engine, audit_key=key)
        sessions = make_sessionmaker(engine)
        audit_log.attach(sessions, key, settings.audit_checkpoint)
        if settings.audit_checkpoint is not None:
            refresh(engine, key, settings.audit_checkpoint)
        queue = RunQueue(sessions, settings.workers, settings.queue_max)
        app.state.settings, app.state.sessions, app.state.queue = settings, sessions, queue
        app.state.read_sessions = make_sessionmaker(engine, read_only=True)
        flusher = Flusher(app.state.denials, sessions, settings.denial_flush_seconds)
        flusher.start()
        queue.resume()
        log.info("service started on %s", engine.dialect.name)
        try:
            yield
        finally:
            queue.shutdown()
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
    for module in (health, solve, households, units, pool, runs, decisions, taakstelling, municipalities, tokens, audit):
        app.include_router(module.router)
    app.include_router(scenarios.router)
    app.include_router(dashboard.router)
    scenario_jobs.install(app)
    web.install(app, settings)
    api_docs.install(app, settings.api_docs)
    security.install(app)

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


def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the service with uvicorn (what ``matcher serve`` does)."""
    import uvicorn

    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")
