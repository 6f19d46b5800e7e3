"""Taakstelling: set a target, read targets, realised persons and backlog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import audit
from api.dates import EARLIEST, latest
from api.deps import ReadSessionDep, SessionDep, Viewer, Wbb
from api.errors import ApiError, Problem, not_found, responses
from api.models import Target, utcnow
from api.schemas import TaakstellingReport, TargetPublic, TargetSet
from api.taakstelling import half_year_in_window, report

router = APIRouter(prefix="/v1/taakstelling", tags=["taakstelling"])
HalfYear = Annotated[str, Path(pattern=r"^\d{4}-H[12]$", description="e.g. 2025-H1", examples=["2025-H1"])]


@router.get("", summary="Targets, realised persons and backlog per municipality and half year", responses=responses(401, 403))
def get_report(caller: Viewer, session: ReadSessionDep, municipality: str | None = None) -> TaakstellingReport:
    return report(session, caller.municipality, municipality)


@router.put(
    "/{municipality}/{half_year}",
    summary="Set the target of a municipality for a half year",
    responses=responses(401, 403, 404, 422),
)
def set_target(municipality: str, half_year: HalfYear, body: TargetSet, caller: Wbb, session: SessionDep) -> TargetPublic:
    if not half_year_in_window(half_year):
        message = f"expected a half year that starts from {EARLIEST.isoformat()} to {latest().isoformat()}"
        raise ApiError(422, "The request has 1 problem.", problems=[Problem(source="path", column="half_year", message=message)])
    if not caller.sees(municipality):
        raise not_found(f"Municipality {municipality}")
    target = session.get(Target, (municipality, half_year))
    if target is None:
        target = Target(municipality=municipality, half_year=half_year, persons=body.persons, updated_by=caller.token_id)
        session.add(target)
    target.persons, target.updated_by, target.updated_at = body.persons, caller.token_id, utcnow()
    session.flush()
    audit.record(session, caller.token_id, "target.set", "target", [f"{municipality}/{half_year}"])
    return TargetPublic.model_validate(target)
