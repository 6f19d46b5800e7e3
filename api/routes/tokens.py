"""Access tokens: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from api import audit
from api.auth import create_token
from api.deps import Admin, ReadSessionDep, SessionDep
from api.errors import ApiError, not_found, responses
from api.models import Token, utcnow
from api.schemas import TokenCreate, TokenCreated, TokenPublic

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", status_code=201, summary="Create a token", responses=responses(401, 403, 422))
def create(body: TokenCreate, caller: Admin, session: SessionDep) -> TokenCreated:
    """A token scoped to a municipality sees only that municipality's households and units.
    An admin token that is itself scoped can only make tokens for its own municipality."""
    if caller.municipality is not None and body.municipality != caller.municipality:
        raise ApiError(403, "A scoped admin token can only create tokens for its own municipality.")
    row, secret = create_token(session, body.role, body.municipality, created_by=caller.token_id)
    audit.record_by(session, caller, "token.create", "token", [row.id])
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=secret)


@router.get("", summary="List tokens (never their secrets)", responses=responses(401, 403))
def list_tokens(caller: Admin, session: ReadSessionDep) -> list[TokenPublic]:
    query = select(Token).order_by(Token.created_at, Token.id)
    if caller.municipality is not None:
        query = query.where(Token.municipality == caller.municipality)
    return [TokenPublic.model_validate(t) for t in session.scalars(query)]


@router.delete("/{token_id}", status_code=204, summary="Revoke a token", responses=responses(401, 403, 404))
def revoke(token_id: str, caller: Admin, session: SessionDep) -> Response:
    token = session.get(Token, token_id)
    if token is None or (caller.municipality is not None and token.municipality != caller.municipality):
        raise not_found(f"Token {token_id}")
    if not token.revoked:
        token.revoked, token.revoked_at = True, utcnow()
        audit.record_by(session, caller, "token.revoke", "token", [token_id])
    return Response(status_code=204)
