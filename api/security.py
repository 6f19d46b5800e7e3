"""Response headers for the API: its answers are data, never a page to render or frame.

The web pages set their own, stricter-for-pages headers (``api.web``). Every other answer
gets ``nosniff``, no framing, no referrer, a CSP that loads nothing, and ``no-store``:
personal data must not linger in browser or proxy caches. The interactive docs at /docs
and /redoc are off unless enabled, and then load nothing from elsewhere (``api.api_docs``).
No CORS middleware is
installed: a browser page from another origin gets no Access-Control-Allow-Origin and so
cannot read any answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


PLAIN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def api_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        path = request.url.path
        if path.startswith("/v1/") or path in PLAIN_PATHS:
            for key, value in API_HEADERS.items():
                response.headers.setdefault(key, value)
        return response
