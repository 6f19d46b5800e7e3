"""Access tokens: create one for a person (the secret is shown once), list, revoke.

Revoking a token also revokes every token made with it, and the tokens made with those;
revoking by owner does that for every token of one person."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from api import audit
from api.auth import create_token, revoke
from api.deps import Admin, ReadSessionDep, SessionDep
from api.errors import ApiError, not_found, responses
from api.models import Token
from api.schemas import OwnerRevoke, Revoked, TokenCreate, TokenCreated, TokenPublic

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", status_code=201, summary="Create a token for a person", responses=responses(401, 403, 422))
def create(body: TokenCreate, caller: Admin, session: SessionDep) -> TokenCreated:
    """The token works for ``days`` (default 90) and acts in the name of ``owner``. A token
    scoped to a municipality sees only that municipality's households and units. An admin
    token that is itself scoped can only make tokens for its own municipality."""
    if caller.municipality is not None and body.municipality != caller.municipality:
        raise ApiError(403, "A scoped admin token can only create tokens for its own municipality.")
    row, secret = create_token(
        session,
        body.role,
        body.municipality,
        created_by=caller.token_id,
        owner=body.owner,
        days=body.days,
        corporation=body.corporation,
    )
    audit.record_by(session, caller, "token.create", "token", [row.id])
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=secret)


@router.get("", summary="List tokens (never their secrets)", responses=responses(401, 403))
def list_tokens(caller: Admin, session: ReadSessionDep) -> list[TokenPublic]:
    query = select(Token).order_by(Token.created_at, Token.id)
    if caller.municipality is not None:
        query = query.where(Token.municipality == caller.municipality)
    return [TokenPublic.model_validate(t) for t in session.scalars(query)]


@router.post(
    "/revoke",
    summary="Revoke every token of a person, and the tokens made with them",
    responses=responses(401, 403, 404, 422),
)
def revoke_owner(body: OwnerRevoke, caller: Admin, session: SessionDep) -> Revoked:
    """For someone who leaves or changes jobs. ``owner`` must match the name on the tokens
    exactly; a scoped admin token reaches its own municipality's tokens only. 404 when no
    token has that owner."""
    query = select(Token).where(Token.owner == body.owner)
    if caller.municipality is not None:
        query = query.where(Token.municipality == caller.municipality)
    found = list(session.scalars(query.order_by(Token.id)))
    if not found:
        raise ApiError(404, "No token has this owner (the name must match exactly).")
    revoked = revoke(session, found)
    if revoked:
        audit.record_by(session, caller, "token.revoke", "token", revoked)
    return Revoked(revoked=revoked)


@router.delete(
    "/{token_id}", status_code=204, summary="Revoke a token and the tokens made with it", responses=responses(401, 403, 404)
)
def revoke_one(token_id: str, caller: Admin, session: SessionDep) -> Response:
    token = session.get(Token, token_id)
    if token is None or (caller.municipality is not None and token.municipality != caller.municipality):
        raise not_found(f"Token {token_id}")
    revoked = revoke(session, [token])
    if revoked:
        audit.record_by(session, caller, "token.revoke", "token", revoked)
    return Response(status_code=204)
