"""One error shape for every 4xx (and 5xx) answer.

Every error body is ``{"error": {"status", "code", "message", "problems", "request_id"}}``.
``problems`` lists what is wrong with the input, each with source (file or field), row,
column and message, as the CLI prints them. Submitted values are never echoed beyond what
the engine's own message says. ``request_id`` is the id of the request, also in the
service's log lines and audit entries (see ``api.logs``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import dutch
from api.logs import request_id
from matcher.errors import InputError, InputProblem, TooLarge

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "queue_full",
    500: "internal_error",
    503: "unavailable",
}


class Problem(BaseModel):
    """One thing wrong with the input."""

    source: str
    row: int | None = None
    column: str | None = None
    message: str


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    problems: list[Problem] = []
    request_id: str | None = None


class ErrorBody(BaseModel):
    """The body of every error answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "status": 422,
                        "code": "invalid_input",
                        "message": "The input has 1 problem.",
                        "problems": [
                            {
                                "source": "units.csv",
                                "row": 14,
                                "column": "max_occupants",
                                "message": "expected an integer >= 1, got something else",
                            }
                        ],
                        "request_id": "6f1c2a0e9b7d4e3fa8c5d2b1e0f9a7c6",
                    }
                }
            ]
        }
    )

    error: ErrorDetail


class ApiError(Exception):
    """Raised by handlers for any answer that is not a success."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        problems: list[Problem] | None = None,
        audit: tuple[str, str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.problems = problems or []
        self.audit = audit  # (action, object type, ids): written although the change is refused


def problems_from(error: InputError) -> list[Problem]:
    return [_problem(p) for p in error.problems]


_GOT_VALUE = re.compile(r'\bgot ".*"$', re.S)
_QUOTED_TERM = re.compile(r'\bterm ".*?";')


def without_values(message: str) -> str:
    """The engine's message without the submitted value it quotes."""
    return _QUOTED_TERM.sub("term;", _GOT_VALUE.sub("got something else", message))


def _problem(p: InputProblem) -> Problem:
    return Problem(source=p.source, row=p.row, column=p.column, message=without_values(p.message))


def invalid_input(error: InputError) -> ApiError:
    """422 with every problem; 413 for input over a size or row limit."""
    if isinstance(error, TooLarge):
        return ApiError(413, error.summary, problems=problems_from(error))
    n = len(error.problems)
    return ApiError(422, f"The input has {n} problem{'s' if n != 1 else ''}.", problems=problems_from(error))


def size_text(n_bytes: int) -> str:
    """A byte count in words, e.g. "20 MiB (20971520 bytes)"."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.4g} {unit} ({n_bytes} bytes)"
    return f"{n_bytes} bytes"


def too_large_file(max_bytes: int) -> ApiError:
    return ApiError(413, f"The file is larger than the limit of {size_text(max_bytes)}.")


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found.")


def error_response(
    status: int,
    code: str,
    message: str,
    problems: list[Problem] | None = None,
    headers: Any = None,
    request: Request | None = None,
) -> JSONResponse:
    """The one error shape; in Dutch words (same status, code, rows and columns) when the request
    asks for Dutch, as the pages do. It carries the request's id (``api.logs``), also as a header."""
    problems = problems or []
    if request is not None and dutch.wants_dutch(request.headers.get("accept-language")):
        message = dutch.message(message)
        problems = [
            p.model_copy(update={"source": dutch.source(p.source), "message": dutch.problem(p.message)}) for p in problems
        ]
    rid = request_id.get()
    detail = ErrorDetail(status=status, code=code, message=message, problems=problems, request_id=rid)
    response = JSONResponse(ErrorBody(error=detail).model_dump(mode="json"), status_code=status, headers=headers)
    if rid is not None:
        response.headers.setdefault("X-Request-ID", rid)
    return response


def _validation_problems(error: RequestValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            problems.append(Problem(source="body", message="the body is not valid JSON"))
            continue
        loc = [str(part) for part in item.get("loc", ())]
        source = loc[0] if loc else "request"
        rest = loc[1:]
        row: int | None = None
        column: str | None
        # rows[3].field -> row numbered as the engine numbers rows (first item is row 2)
        if len(rest) >= 2 and rest[1].isdigit():
            row = int(rest[1]) + 2
            column = ".".join([rest[0], *rest[2:]])
        else:
            column = ".".join(rest) or None
        problems.append(Problem(source=source, row=row, column=column, message=str(item.get("msg", "invalid"))))
    return problems


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def count_refusal(request: Request, status: int) -> None:
    """Count a request refused with 401 or 403 (``api.denials``): no write now, one audit entry
    per minute, client, token and route later."""
    from api.denials import client_of

    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    request.app.state.denials.add(
        status,
        client_of(request.scope),
        getattr(request.state, "token_id", None),
        f"{request.method} {template}",
        actor=getattr(request.state, "actor", None),
    )


def record_refusal(request: Request, status: int) -> None:
    """One audit entry for a change refused with 404, in its own transaction (the request's
    own was rolled back). It names the token, the route and the ids in the path, nothing
    from the body."""
    from api import audit
    from api.db import session_scope

    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    ids = [str(v) for v in request.path_params.values()]
    with session_scope(request.app.state.sessions) as session:
        audit.record(
            session,
            getattr(request.state, "token_id", None),
            f"denied.{status}",
            "request",
            [f"{request.method} {template}", *ids],
            actor=getattr(request.state, "actor", None),
        )


def record_refused(request: Request, action: str, object_type: str, ids: list[str]) -> None:
    """An audit entry for a refused change that the log should show (such as a clash with another
    municipality's data), in a transaction of its own: ids and the action, nothing from the body."""
    from api import audit
    from api.db import session_scope

    with session_scope(request.app.state.sessions) as session:
        token_id, actor = getattr(request.state, "token_id", None), getattr(request.state, "actor", None)
        audit.record(session, token_id, action, object_type, ids, actor=actor)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.status in (401, 403):
            count_refusal(request, exc.status)
        elif exc.status == 404 and request.method in WRITES:
            await run_in_threadpool(record_refusal, request, exc.status)
        if exc.audit is not None:
            await run_in_threadpool(record_refused, request, *exc.audit)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.problems, headers, request)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        api = invalid_input(exc)
        return error_response(api.status, api.code, api.message, api.problems, request=request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = _validation_problems(exc)
        n = len(problems)
        message = f"The request has {n} problem{'s' if n != 1 else ''}."
        return error_response(422, "invalid_input", message, problems, request=request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request refused."
        return error_response(exc.status_code, CODES.get(exc.status_code, "error"), message, None, exc.headers, request)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("refused a change that conflicts with a simultaneous one (%s)", type(exc.orig).__name__)
        message = "The change conflicts with a simultaneous change; reload and try again."
        return error_response(409, "conflict", message, request=request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error: %s", type(exc).__name__)
        return error_response(500, "internal_error", "Something went wrong on the server; it is logged.", request=request)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give."""
    text = {
        401: "No valid bearer token.",
        403: "The token's role does not allow this.",
        404: "Not found (or outside the token's municipality).",
        409: "Conflicts with the current state.",
        413: "The body or file is over a size limit, or has too many rows.",
        415: "Unsupported file type.",
        422: "Invalid input: every problem with source, row and column.",
        429: "Too many runs waiting; try again later.",
    }
    return {s: {"model": ErrorBody, "description": text.get(s, "Error.")} for s in statuses}
