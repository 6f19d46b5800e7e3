"""The audit log, read-only: there is no route that changes or removes an entry; and how
often the meeting deviates from the proposal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.deps import Admin, Offset, ReadSessionDep, Viewer
from api.errors import ApiError, responses
from api.models import AuditEntry, Decision
from api.schemas import AuditList, AuditPublic, OverrideRate

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="Audit entries, newest first", responses=responses(401, 403))
def list_audit(
    caller: Admin,
    session: ReadSessionDep,
    action: str | None = None,
    token_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> AuditList:
    if caller.municipality is not None:
        raise ApiError(403, "The audit log covers every municipality; it needs an admin token without a municipality.")
    query = select(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if token_id is not None:
        query = query.where(AuditEntry.token_id == token_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    return AuditList(total=total, limit=limit, offset=offset, items=[AuditPublic.model_validate(a) for a in items])


@router.get(
    "/override-rate",
    summary="The share of decisions that deviate from the proposal (declines), per reason",
    responses=responses(401, 403),
)
def override_rate(caller: Viewer, session: ReadSessionDep) -> OverrideRate:
    """Counted over all decisions the token sees (its municipality's, or all)."""
    query = select(Decision.kind, Decision.reason, func.count()).group_by(Decision.kind, Decision.reason)
    if caller.municipality is not None:
        query = query.where(Decision.municipality == caller.municipality)
    decisions, by_reason = 0, dict[str, int]()
    for kind, reason, count in session.execute(query):
        decisions += count
        if kind == "decline":
            by_reason[str(reason)] = by_reason.get(str(reason), 0) + count
    deviations = sum(by_reason.values())
    return OverrideRate(
        decisions=decisions,
        deviations=deviations,
        override_rate=deviations / decisions if decisions else None,
        by_reason=dict(sorted(by_reason.items())),
    )
