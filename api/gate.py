"""Authentication before anything else: every ``/v1`` request is let in or refused on its headers.

This pure ASGI middleware runs before a route is chosen and before a byte of the request
body is read: an anonymous request, or one with a wrong, revoked or expired token, gets 401
without its body being received, parsed or validated (no 422 that would tell a stranger
what a route expects, and a 40 MB body sent without a valid token is never read). A client
with too many failed logins gets 429 with ``Retry-After`` before its token is looked up
(``api.ratelimit``). A signed-in identity (single sign-on) that may see no data gets 403 here
as well. Refusals are counted, not written one by one (``api.denials``).

The caller it lets in is put in the request's state (``request.state.caller``), where
``api.deps`` hands it to the routes. ``/healthz``, the pages, their files and the API
description are outside ``/v1`` and need no token.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Caller, Refused, authenticate
from api.denials import client_of
from api.errors import ApiError, error_response

PROTECTED = "/v1"


def protected(path: str) -> bool:
    return path == PROTECTED or path.startswith(PROTECTED + "/")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class AuthGate:
    """ASGI middleware: authenticate every ``/v1`` request from its headers, or refuse it unread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        state: Any = scope["app"].state
        client = client_of(scope)
        wait = state.limiter.retry_after(client)
        if wait is not None:
            state.denials.add(429, client, None, "too_many_failed_logins")
            message = (
                f"Too many failed logins from this address; try again in {wait} seconds. "
                f"(Te veel mislukte pogingen om in te loggen vanaf dit adres; probeer het over {wait} seconden opnieuw.)"
            )
            response = error_response(429, "too_many_failed_logins", message, headers={"Retry-After": str(wait)})
            await response(scope, receive, send)
            return
        try:
            caller: Caller = await run_in_threadpool(
                authenticate, _header(scope, b"authorization"), state.read_sessions, state.sessions, state.sso
            )
        except Refused as refused:
            if refused.attempted:
                state.limiter.failed(client)
            state.denials.add(401, client, refused.token_id, refused.reason)
            response = error_response(401, refused.code, refused.message, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        except ApiError as error:  # a signed-in identity that may see no data (403), or the provider is down (503)
            if error.status == 403:
                state.denials.add(403, client, getattr(error, "token_id", None), error.code)
            response = error_response(error.status, error.code, error.message, error.problems)
            await response(scope, receive, send)
            return
        request_state = scope.setdefault("state", {})
        request_state["caller"] = caller
        request_state["token_id"] = caller.token_id  # for the audit entry of a refused change
        request_state["actor"] = caller.actor
        await self.app(scope, receive, send)
