"""Bearer tokens with roles, optionally scoped to one municipality.

A token is shown once, when it is made; the database keeps only its SHA-256. Roles are
ordered: every role may do what the roles before it may.

- ``viewer``: read the pool, runs, proposals, decisions and the taakstelling;
- ``officer``: also ``POST /v1/solve`` (what-if proposals);
- ``wbb``: also proposal runs, decisions and taakstelling targets;
- ``admin``: also imports and edits of the pool, tokens and the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Token, utcnow

ROLES: tuple[str, ...] = ("viewer", "officer", "wbb", "admin")
TOKEN_PREFIX = "wbb"


def rank(role: str) -> int:
    return ROLES.index(role)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who is behind a request, as the handlers need it.

    ``token_id`` names the credential in decisions and the audit log: a local token's id, or
    for a person signed in with single sign-on ``sso-`` and a hash of issuer and subject
    (``api.oidc``). ``actor`` is the person as a reader sees them; ``subject`` the identity
    provider's id of that person (None for a local token)."""

    token_id: str
    role: str
    municipality: str | None
    actor: str
    subject: str | None = None

    def allows(self, role: str) -> bool:
        return rank(self.role) >= rank(role)

    def sees(self, municipality: str) -> bool:
        return self.municipality is None or self.municipality == municipality


def create_token(session: Session, role: str, municipality: str | None, created_by: str | None) -> tuple[Token, str]:
    """Make a token; returns the row and the secret (which is not stored)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    token_id = "tok-" + secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    row = Token(
        id=token_id,
        secret_sha256=digest(secret),
        role=role,
        municipality=municipality,
        created_at=utcnow(),
        created_by=created_by,
        revoked=False,
    )
    session.add(row)
    session.flush()
    return row, secret


def lookup(session: Session, secret: str) -> Caller | None:
    """The caller for a presented secret, or None when unknown or revoked."""
    row = session.scalars(select(Token).where(Token.secret_sha256 == digest(secret))).first()
    if row is None or row.revoked:
        return None
    return Caller(token_id=row.id, role=row.role, municipality=row.municipality, actor=row.id)


def create_token_command(role: str, municipality: str | None) -> str:
    """What ``matcher token create`` does: upgrade the database, add a token, return its secret."""
    from api import audit
    from api.db import make_engine, make_sessionmaker, session_scope, upgrade
    from api.settings import Settings

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            row, secret = create_token(session, role, municipality, created_by=None)
            audit.record(session, None, "token.create", "token", [row.id])
    finally:
        engine.dispose()
    return secret
