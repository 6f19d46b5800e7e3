"""Taakstelling: set a target; read targets, realised persons (from events), backlog and who
still waits, at any peildatum, as JSON or as the Excel report for the Provincie."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api import audit
from api.agreements import agreement_report
from api.audit_access import field_changes
from api.dates import EARLIEST, PlausibleDate, latest
from api.deps import ReadSessionDep, SessionDep, Viewer, Wbb
from api.errors import ApiError, Problem, not_found, responses
from api.excel import XLSX, taakstelling_workbook
from api.models import Target, utcnow
from api.redaction import sees_special_categories
from api.schemas import TaakstellingReport, TargetPublic, TargetSet
from api.taakstelling import counted_events, half_year_in_window, report

router = APIRouter(prefix="/v1/taakstelling", tags=["taakstelling"])
HalfYear = Annotated[str, Path(pattern=r"^\d{4}-H[12]$", description="e.g. 2025-H1", examples=["2025-H1"])]
On = Annotated[
    PlausibleDate | None,
    Query(description="peildatum: count events dated up to this day, half years up to the one it falls in"),
]


@router.get(
    "", summary="Targets, realised persons and backlog per municipality and half year", responses=responses(401, 403, 422)
)
def get_report(caller: Viewer, session: ReadSessionDep, municipality: str | None = None, on: On = None) -> TaakstellingReport:
    """Realised persons come from moved_in and family_arrived events only, counted on their date."""
    return report(session, caller.municipality, municipality, on, amv=sees_special_categories(caller))


@router.get(
    "/report.xlsx",
    summary="The half-year report for the Provincie as an Excel workbook (Dutch)",
    responses={200: {"content": {XLSX: {}}, "description": "Sheets Taakstelling and Gerealiseerd"}, **responses(401, 403, 422)},
)
def get_workbook(caller: Viewer, session: SessionDep, municipality: str | None = None, on: On = None) -> Response:
    """Per municipality and half year: target, backlog carried in, realised (moves and
    nareizigers), what remains, and who was still waiting and how long; a second sheet lists
    the events that counted, a third the prestatieafspraken of the peildatum's year against
    what each corporation realised. Dates are written out ("3 maart 2025")."""
    day = on or dt.date.today()
    agreements = agreement_report(session, day.year, caller.municipality)
    agreements.rows = [r for r in agreements.rows if municipality is None or r.municipality == municipality]
    content = taakstelling_workbook(
        report(session, caller.municipality, municipality, day, amv=sees_special_categories(caller)),
        counted_events(session, caller.municipality, municipality, day),
        agreements,
    )
    audit.record_by(session, caller, "taakstelling.export", "taakstelling", [day.isoformat(), municipality or "all"])
    name = f"taakstelling-{day.isoformat()}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


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
    before = (
        {"persons": None, "amv_persons": None}
        if target is None
        else {"persons": target.persons, "amv_persons": target.amv_persons}
    )
    if target is None:
        target = Target(municipality=municipality, half_year=half_year, persons=body.persons, updated_by=caller.token_id)
        session.add(target)
    target.persons, target.updated_by, target.updated_at = body.persons, caller.token_id, utcnow()
    if "amv_persons" in body.model_fields_set:  # left out: the stored AMV target stays
        target.amv_persons = body.amv_persons
    session.flush()
    details = field_changes(before, {"persons": target.persons, "amv_persons": target.amv_persons})
    audit.record_by(session, caller, "target.set", "target", [f"{municipality}/{half_year}"], details=details)
    return TargetPublic.model_validate(target)
