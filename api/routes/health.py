"""``/healthz``: for load balancers; no token, no data."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import ReadSessionDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The service and its database answer")
def healthz(session: ReadSessionDep) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
