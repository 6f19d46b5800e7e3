"""The interactive API documentation (/docs and /redoc): off unless ``MATCHER_API_DOCS=1``.

FastAPI's own documentation pages load Swagger UI and ReDoc from a CDN and start them with an
inline script, so a browser that opens them runs code from another site next to a logged-in
session, and they cannot have the pages' Content-Security-Policy. Here they are off by
default (404). With ``MATCHER_API_DOCS=1`` they are served from files installed with the
service (the ``fastapi-offline`` package ships Swagger UI and ReDoc; the page that starts
Swagger UI is a file of ours), under the pages' policy: scripts only from this origin, no
inline script, nothing loaded from elsewhere. The only relaxation is ``style-src
'unsafe-inline'`` on these two pages, because both viewers set styles from their scripts.
The OpenAPI document itself stays at /openapi.json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/api-docs/assets"
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
HERE = Path(__file__).parent / "web" / "docs"

SWAGGER = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WBB service: API</title>
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
<link rel="icon" href="{ASSETS_URL}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="/api-docs/start-swagger-ui.js"></script>
</body>
</html>
"""

REDOC = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WBB service: API</title>
<link rel="icon" href="{ASSETS_URL}/favicon.png">
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="{ASSETS_URL}/redoc.standalone.js"></script>
</body>
</html>
"""


def _assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI, enabled: bool) -> None:
    """Serve /docs and /redoc from installed files when ``enabled``; otherwise they do not exist."""
    if not enabled:
        return
    app.mount(ASSETS_URL, StaticFiles(directory=_assets()), name="api-docs-assets")

    def swagger() -> HTMLResponse:
        return HTMLResponse(SWAGGER)

    def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC)

    def start() -> Response:
        return Response((HERE / "start-swagger-ui.js").read_bytes(), media_type="text/javascript")

    app.add_api_route("/docs", swagger, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
    app.add_api_route("/api-docs/start-swagger-ui.js", start, methods=["GET"], include_in_schema=False)

    @app.middleware("http")
    async def docs_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        path = request.url.path
        if path in ("/docs", "/redoc") or path.startswith("/api-docs/"):
            for key, value in HEADERS.items():
                response.headers[key] = value
        return response
