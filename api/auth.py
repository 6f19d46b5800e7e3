"""Who is calling: bearer tokens of named people, with roles, optionally scoped to one municipality.

A token is shown once, when it is made; the database keeps only its SHA-256. Every token
belongs to a person (its ``owner``), who is the ``actor`` of everything done with it: the
name on a decision, on a case event and in the audit log comes from here, never from the
request. A token expires (90 days unless chosen otherwise) and can be revoked; revoking a
token also revokes every token made with it, so revoking a person revokes what they made.

Roles are ordered: every role may do what the roles before it may.

- ``viewer``: read the pool, runs, proposals, decisions and the taakstelling;
- ``officer``: also ``POST /v1/solve`` (what-if proposals);
- ``wbb``: also proposal runs, decisions and taakstelling targets;
- ``admin``: also imports and edits of the pool, tokens and the audit log.

One role stands outside that ladder: ``corporation``, a housing corporation's staff member,
sees its own units with the offers, refusals and lets on them and records a refusal or a
move-in on them (``api.corporations``), and may do nothing any other role may.

``authenticate`` is the one place a request's credentials are checked; ``api.gate`` calls
it for every ``/v1`` request before the request body is read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.excel import dutch_date
from api.models import Token, utcnow

if TYPE_CHECKING:
    from api.oidc import SingleSignOn

log = logging.getLogger(__name__)
ROLES: tuple[str, ...] = ("viewer", "officer", "wbb", "admin")
CORPORATION = "corporation"  # outside the ladder: its own units only
TOKEN_ROLES: tuple[str, ...] = (*ROLES, CORPORATION)
TOKEN_PREFIX = "wbb"
DEFAULT_DAYS = 90
MAX_DAYS = 366
UNKNOWN_OWNER = "onbekend"  # the owner of tokens made before tokens had one
LAST_USED_EVERY = dt.timedelta(minutes=1)


def rank(role: str) -> int:
    return ROLES.index(role)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who is behind a request, as the handlers need it.

    ``token_id`` names the credential in decisions and the audit log: a local token's id, or
    for a person signed in with single sign-on ``sso-`` and a hash of issuer and subject
    (``api.oidc``). ``actor`` is the person: the name written on decisions, case events and
    audit entries (a local token's owner, or the name the identity provider gives);
    ``subject`` the identity provider's id of that person (None for a local token)."""

    token_id: str
    role: str
    municipality: str | None
    actor: str
    subject: str | None = None
    corporation: str | None = None  # the corporation a ``corporation`` caller speaks for

    def allows(self, role: str) -> bool:
        """Whether the caller may do what ``role`` may: the ladder's roles include the ones
        below them; ``corporation`` is allowed only what is for corporations, and nothing
        for corporations is allowed any other role."""
        if self.role == CORPORATION or role == CORPORATION:
            return self.role == role
        return rank(self.role) >= rank(role)

    def sees(self, municipality: str) -> bool:
        return self.municipality is None or self.municipality == municipality

    @property
    def named(self) -> bool:
        """Whether the actor is a known person (tokens from before owners were kept are not)."""
        return self.actor != UNKNOWN_OWNER


def require_named(caller: Caller) -> None:
    """Refuse (403) a decision or case event by a token without a known owner: every
    decision is taken by a named person."""
    if not caller.named:
        from api.errors import ApiError

        raise ApiError(
            403,
            "This token has no known owner (it was made before tokens had one); decisions and events are recorded in a "
            "person's name. Ask an administrator for a token in your name.",
            code="owner_unknown",
        )


class Refused(Exception):
    """A request that is not authenticated: 401 with ``code`` and a message in English and Dutch.

    ``reason`` says why (``missing``, ``malformed``, ``unknown``, ``revoked``, ``expired``,
    ``sso_invalid`` for a sign-in token that does not pass the checks);
    ``token_id`` names the token when the secret was a real one (revoked or expired)."""

    def __init__(self, reason: str, message: str, code: str = "unauthorized", token_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.code = code
        self.token_id = token_id

    @property
    def attempted(self) -> bool:
        """Whether a credential was presented (and failed): a failed login, which the rate limit counts."""
        return self.reason != "missing"


def authenticate(
    authorization: str | None,
    read_sessions: sessionmaker[Session],
    sessions: sessionmaker[Session],
    sso: SingleSignOn | None = None,
) -> Caller:
    """The caller of a request from its ``Authorization`` header, or ``Refused``.

    With single sign-on (``sso``), a bearer shaped like a JWT is the identity provider's
    access token and is checked by ``api.oidc`` (which may also refuse a valid identity that
    may see no data: ``IdentityRefused``, 403). Any other bearer is a local token, looked up
    in a read-only session (it waits for no writer); its ``last_used`` is written at most
    once a minute per token, in a short transaction of its own, so that reading does not
    turn every request into a write."""
    scheme, _, secret = (authorization or "").strip().partition(" ")
    secret = secret.strip()
    if not authorization or not authorization.strip():
        raise Refused("missing", "A bearer token is required. (Er is een token nodig.)")
    if scheme.lower() != "bearer" or not secret or " " in secret:
        raise Refused(
            "malformed", "The Authorization header must be 'Bearer <token>'. (De kop Authorization moet 'Bearer <token>' zijn.)"
        )
    if sso is not None:
        from api.oidc import looks_like_jwt

        if looks_like_jwt(secret):
            signed_in = sso.authenticate(secret)
            if signed_in is None:
                raise Refused(
                    "sso_invalid",
                    "The sign-in token is not valid or has expired. (Het aanmeldtoken is ongeldig of verlopen.)",
                )
            return signed_in
    now = utcnow()
    with read_sessions() as session:
        row = session.scalars(select(Token).where(Token.secret_sha256 == digest(secret))).first()
        if row is None:
            raise Refused("unknown", "The token is unknown or revoked. (Deze token is onbekend of ingetrokken.)")
        if row.revoked:
            raise Refused("revoked", "The token is unknown or revoked. (Deze token is onbekend of ingetrokken.)", token_id=row.id)
        if row.expires_at <= now:
            day = row.expires_at.date()
            raise Refused(
                "expired",
                f"The token expired on {day.isoformat()}; ask an administrator for a new one. "
                f"(Deze token is verlopen op {dutch_date(day)}; vraag de beheerder om een nieuwe.)",
                code="token_expired",
                token_id=row.id,
            )
        caller = Caller(
            token_id=row.id, role=row.role, municipality=row.municipality, actor=row.owner, corporation=row.corporation
        )
        stale = row.last_used is None or now - row.last_used >= LAST_USED_EVERY
    if stale:
        touch(sessions, caller.token_id, now)
    return caller


def touch(sessions: sessionmaker[Session], token_id: str, now: dt.datetime) -> None:
    """Set ``last_used``, unless another request of the same minute did so already. It is a
    record, not a condition of access: when the database refuses the write (busy), the
    request goes on and a later one records the use."""
    try:
        with sessions() as session, session.begin():
            session.execute(
                update(Token)
                .where(Token.id == token_id, or_(Token.last_used.is_(None), Token.last_used <= now - LAST_USED_EVERY))
                .values(last_used=now)
            )
    except SQLAlchemyError as error:
        log.warning("could not record the use of token %s (%s)", token_id, type(error).__name__)


def create_token(
    session: Session,
    role: str,
    municipality: str | None,
    created_by: str | None,
    *,
    owner: str,
    days: int = DEFAULT_DAYS,
    corporation: str | None = None,
) -> tuple[Token, str]:
    """Make a token for ``owner``, valid for ``days``; returns the row and the secret (which is not stored).

    A ``corporation`` token names its corporation; no other role may name one."""
    if role not in TOKEN_ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(TOKEN_ROLES)}")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be from 1 to {MAX_DAYS}")
    problem = corporation_problem(role, corporation)
    if problem is not None:
        raise ValueError(problem)
    token_id = "tok-" + secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    row = Token(
        id=token_id,
        secret_sha256=digest(secret),
        role=role,
        municipality=municipality,
        owner=owner,
        created_at=now,
        created_by=created_by,
        expires_at=now + dt.timedelta(days=days),
        revoked=False,
        corporation=corporation,
    )
    session.add(row)
    session.flush()
    return row, secret


MAX_CORPORATION = 200


def corporation_problem(role: str, corporation: str | None) -> str | None:
    """What is wrong with the corporation of a new token of ``role``, or None."""
    if role != CORPORATION:
        return None if corporation is None else f"only for the role {CORPORATION}, not for {role}"
    if corporation is None or not corporation.strip():
        return f"required for the role {CORPORATION}: the corporation's name as in the corporation column of units.csv"
    if corporation != corporation.strip() or len(corporation) > MAX_CORPORATION:
        return f"expected the corporation's name without spaces around it, at most {MAX_CORPORATION} characters"
    return None


def revoke(session: Session, tokens: Iterable[Token]) -> list[str]:
    """Revoke ``tokens`` and, transitively, every token made with one of them; returns the ids
    revoked now (tokens revoked before are passed through, so their offspring is revoked too)."""
    now = utcnow()
    revoked: list[str] = []
    seen: set[str] = set()
    frontier = list(tokens)
    while frontier:
        for token in frontier:
            seen.add(token.id)
            if not token.revoked:
                token.revoked, token.revoked_at = True, now
                revoked.append(token.id)
        ids = [t.id for t in frontier]
        frontier = [t for t in session.scalars(select(Token).where(Token.created_by.in_(ids))) if t.id not in seen]
    session.flush()
    return revoked


def still_valid(session: Session, token_id: str, lock: bool = False) -> str | None:
    """Why the token ``token_id`` no longer speaks for its owner (revoked, expired), or None.

    A credential that is not a stored token (another kind of identity) is not judged here."""
    query = select(Token).where(Token.id == token_id)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    if row.revoked:
        return "revoked"
    if row.expires_at <= utcnow():
        return "expired"
    return None


@dataclass(frozen=True)
class Made:
    """A token just made: its id, owner and expiry, and the secret (shown once, never stored)."""

    token_id: str
    owner: str
    role: str
    expires_at: dt.datetime
    secret: str
    municipality: str | None = None
    corporation: str | None = None


def started_by(session: Session, token_id: str) -> str:
    """Who started a run, for the minutes: the owner of the local token it used, with the token's id
    ("M. Bakker (tok-...)"); an identity from single sign-on is named by its pseudonymous id."""
    owner = session.scalar(select(Token.owner).where(Token.id == token_id))
    return f"{owner} ({token_id})" if owner else token_id


def create_token_command(
    role: str, municipality: str | None, owner: str, days: int = DEFAULT_DAYS, corporation: str | None = None
) -> Made:
    """What ``matcher token create`` does: upgrade the database and add a token."""
    from api import audit
    from api.db import make_engine, make_sessionmaker, session_scope, upgrade
    from api.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            row, secret = create_token(
                session, role, municipality, created_by=None, owner=owner, days=days, corporation=corporation
            )
            audit.record(session, None, "token.create", "token", [row.id])
            made = Made(row.id, row.owner, row.role, row.expires_at, secret, municipality, corporation)
    finally:
        engine.dispose()
    return made


def revoke_command(token_id: str | None, owner: str | None) -> tuple[int, list[str]]:
    """What ``matcher token revoke`` does: revoke one token, or every token of a person, with
    the tokens made with them; returns how many tokens matched and the ids revoked now."""
    from api import audit
    from api.db import make_engine, make_sessionmaker, session_scope, upgrade
    from api.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            matches = Token.id == token_id if token_id is not None else Token.owner == owner
            query = select(Token).where(matches)
            found = list(session.scalars(query.order_by(Token.id)))
            revoked = revoke(session, found)
            if revoked:
                audit.record(session, None, "token.revoke", "token", revoked)
    finally:
        engine.dispose()
    return len(found), revoked
