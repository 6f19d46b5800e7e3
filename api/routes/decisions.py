"""All decisions, across runs: the WBB's record of what was accepted, declined and pinned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.deps import Offset, ReadSessionDep, Viewer
from api.errors import responses
from api.models import Decision
from api.schemas import DecisionList, DecisionPublic

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


@router.get("", summary="List decisions, newest first", responses=responses(401, 403))
def list_decisions(
    caller: Viewer,
    session: ReadSessionDep,
    kind: Annotated[str | None, Query(pattern="^(accept|decline|pin)$")] = None,
    household_id: str | None = None,
    unit_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> DecisionList:
    query = select(Decision)
    if caller.municipality is not None:
        query = query.where(Decision.municipality == caller.municipality)
    if kind is not None:
        query = query.where(Decision.kind == kind)
    if household_id is not None:
        query = query.where(Decision.household_id == household_id)
    if unit_id is not None:
        query = query.where(Decision.unit_id == unit_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Decision.id.desc()).limit(limit).offset(offset))
    return DecisionList(total=total, limit=limit, offset=offset, items=[DecisionPublic.model_validate(d) for d in items])
