"""Prestatieafspraken: set the homes a corporation agreed to offer in a year (the WBB, a named
person, audited with before and after), and read agreed against realised."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import audit
from api.agreements import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    AgreementPublic,
    AgreementReport,
    AgreementSet,
    agreement_report,
)
from api.audit_access import field_changes
from api.auth import MAX_CORPORATION, require_named
from api.deps import ReadSessionDep, SessionDep, Viewer, Wbb
from api.errors import ApiError, Problem, not_found, responses
from api.models import Agreement, utcnow

router = APIRouter(prefix="/v1/prestatieafspraken", tags=["prestatieafspraken"])
Year = Annotated[int, Path(ge=EARLIEST_YEAR, le=LATEST_YEAR, description="the calendar year", examples=[2025])]
YearQuery = Annotated[int, Query(ge=EARLIEST_YEAR, le=LATEST_YEAR, description="the calendar year")]


@router.get("", summary="Homes agreed per corporation against offered and let in a year", responses=responses(401, 403, 422))
def get_report(caller: Viewer, session: ReadSessionDep, year: YearQuery) -> AgreementReport:
    """A token limited to a municipality reads that municipality's rows only."""
    return agreement_report(session, year, caller.municipality)


@router.put(
    "/{municipality}/{corporation}/{year}",
    summary="Set the homes a corporation agreed to offer statushouders in a year",
    responses=responses(401, 403, 404, 422),
)
def set_agreement(
    municipality: str, corporation: str, year: Year, body: AgreementSet, caller: Wbb, session: SessionDep
) -> AgreementPublic:
    """``homes`` from 0 to 100000. Recorded in the name of the token's person."""
    require_named(caller)
    if corporation != corporation.strip() or not corporation or len(corporation) > MAX_CORPORATION:
        message = f"expected the corporation's name as in units.csv, no spaces around it, at most {MAX_CORPORATION} characters"
        problem = Problem(source="path", column="corporation", message=message)
        raise ApiError(422, "The request has 1 problem.", problems=[problem])
    if not caller.sees(municipality):
        raise not_found(f"Municipality {municipality}")
    row = session.get(Agreement, (municipality, corporation, year))
    before = {"homes": row.homes if row is not None else None}
    if row is None:
        row = Agreement(municipality=municipality, corporation=corporation, year=year, homes=body.homes)
        session.add(row)
    row.homes, row.updated_by, row.updated_at = body.homes, caller.token_id, utcnow()
    session.flush()
    details = field_changes(before, {"homes": row.homes})
    audit.record_by(session, caller, "agreement.set", "agreement", [f"{municipality}/{corporation}/{year}"], details=details)
    return AgreementPublic.model_validate(row)
