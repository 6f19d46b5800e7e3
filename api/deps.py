"""Request dependencies: a database session, the caller, and role checks.

The caller is authenticated before the request reaches a route (``api.gate``, from the
headers alone); ``get_caller`` only hands it over."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.auth import CORPORATION, Caller
from api.db import session_scope
from api.errors import ApiError
from api.jobs import RunQueue
from api.settings import Settings

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `matcher token create` or `POST /v1/tokens`, or with single sign-on the identity provider's "
    "access token.",
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; committed when the handler returns without error.

    Used with ``scope="function"``: the commit happens before the answer is sent, so a
    client told "stored" (or a crash just after the answer) never meets a change that was
    not committed, and a failed commit is answered as an error, not as a success."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with session_scope(factory) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for handlers that only read: it waits for no writer (see ``make_sessionmaker``)."""
    factory: sessionmaker[Session] = request.app.state.read_sessions
    with factory() as session:
        yield session


def get_queue(request: Request) -> RunQueue:
    queue: RunQueue = request.app.state.queue
    return queue


# scope="function": the session commits (and SQLite's write lock is released) when the
# handler returns, before the answer is sent, so a failed commit is never answered with a
# success, and the lock is not held while the answer travels to a slow client.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
QueueDep = Annotated[RunQueue, Depends(get_queue)]


def get_caller(request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller ``api.gate`` let in (``_credentials`` only declares the bearer scheme in the
    API description). A route outside ``/v1`` that asks for a caller gets none: 401."""
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise ApiError(401, "A bearer token is required. (Er is een token nodig.)")
    return caller


CurrentToken = Annotated[Caller, Depends(get_caller)]


def require(role: str) -> Callable[[Caller], Caller]:
    """A dependency that lets the call through only for ``role`` or a higher one."""

    def check(caller: CurrentToken) -> Caller:
        if not caller.allows(role):
            if CORPORATION in (role, caller.role):  # outside the ladder: no "or higher"
                raise ApiError(403, f"This needs the role {role}; the token has {caller.role}.")
            raise ApiError(403, f"This needs the role {role} or higher; the token has {caller.role}.")
        return caller

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Caller, Depends(require("viewer"))]
Officer = Annotated[Caller, Depends(require("officer"))]
Wbb = Annotated[Caller, Depends(require("wbb"))]
Admin = Annotated[Caller, Depends(require("admin"))]


# Ids and offsets fit the database's integer column; a larger number is refused (422) before
# it reaches the database, where it would overflow.
MAX_DB_INT = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
