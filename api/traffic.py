"""Every HTTP request, seen once from the outside: its request id, its metrics, its log line,
and the 503 while the process drains.

The outermost of the service's middleware (pure ASGI, so it sees the status of every
answer, also those of the other middleware). It gives the request its id (see
``api.logs``) and puts it on the answer; it measures the request under the route's
template, never the raw path (no ids in metric labels), and counts a 401 as a failed
login. While the process drains, a new request other than the probes is answered 503 with
``Retry-After`` and ``Connection: close`` (the load balancer sends it elsewhere); requests
already in flight are answered as usual.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.datastructures import MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.drain import Drain
from api.errors import error_response
from api.logs import new_request_id, request_id
from api.metrics import Metrics

log = logging.getLogger("api.access")

PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
RETRY_AFTER_SECONDS = 2


class Traffic:
    """ASGI middleware: request id, metrics, request log line (JSON logs), 503 while draining."""

    def __init__(self, app: ASGIApp, metrics: Metrics, drain: Drain, log_requests: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.drain = drain
        self.log_requests = log_requests
        self._templates: list[tuple[re.Pattern[str], set[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id(_header(scope, b"x-request-id"))
        request_id.set(rid)  # each request runs in its own task: the value ends with it
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers["X-Request-ID"] = rid
            await send(message)

        self.metrics.in_flight.inc()
        try:
            if self.drain.draining and scope["path"] not in PROBES:
                response = error_response(
                    503,
                    "draining",
                    "This server is stopping; send the request again (another server takes it).",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"},
                )
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            seconds = time.perf_counter() - started
            route = self._route(scope)
            self.metrics.requests.labels(method, route, str(status)).observe(seconds)
            if status == 401:
                self.metrics.failed_logins.inc()
            if self.log_requests:
                fields = {"method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)}
                log.info("%s %s %d", method, route, status, extra=fields)

    def _route(self, scope: Scope) -> str:
        """The template of the route that answered (the router puts it on the scope), or, for a
        request refused before routing (no token, stopping), the template of the API operation
        its path and method fit; otherwise "unmatched"."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str) and path:
            return path
        if self._templates is None:
            self._templates = _operations(scope.get("app"))
        for pattern, methods, template in self._templates:
            if scope["method"] in methods and pattern.match(scope["path"]):
                return template
        return "unmatched"


def _operations(app: object) -> list[tuple[re.Pattern[str], set[str], str]]:
    """Every operation of the app's OpenAPI document as (path pattern, methods, template); fixed
    paths first, so ``/v1/scenarios/compare`` is not taken for ``/v1/scenarios/{scenario_id}``."""
    openapi = getattr(app, "openapi", None)
    if openapi is None:
        return []
    found: list[tuple[re.Pattern[str], set[str], str]] = []
    for template, item in sorted(openapi()["paths"].items(), key=lambda pair: pair[0].count("{")):
        pattern, _format, _convertors = compile_path(template)
        found.append((pattern, {method.upper() for method in item}, template))
    return found


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            try:
                return bytes(value).decode("latin-1")
            except UnicodeDecodeError:
                return None
    return None
