"""Request bodies over the size limits are refused before they are read, not after.

The import routes take one file of at most ``max_upload_bytes`` (plus the few bytes the
multipart form wraps it in); every other route takes JSON of at most ``max_body_bytes``.
A declared ``Content-Length`` over the limit is refused before any of the body is read;
a body sent without one (chunked) is counted as it arrives and refused as soon as the
count passes the limit, so the service never holds more than the limit in memory.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import size_text
from api.settings import Settings

UPLOAD_PATHS = frozenset({"/v1/households/import", "/v1/units/import"})
MULTIPART_ALLOWANCE = 64 * 1024  # the form's boundaries and part headers around the file


class BodyTooLarge(HTTPException):
    """Raised from the body stream; the route's body parsing passes it on as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


class BodyLimit:
    """ASGI middleware that holds every request body to its route's limit."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, path: str) -> tuple[int, str]:
        if path in UPLOAD_PATHS:
            limit = self.settings.max_upload_bytes
            return limit + MULTIPART_ALLOWANCE, f"The file is larger than the limit of {size_text(limit)}."
        limit = self.settings.max_body_bytes
        return limit, f"The request body is larger than the limit of {size_text(limit)}."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, message = self._limit(scope["path"])
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(message)
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(message)
            return event

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
