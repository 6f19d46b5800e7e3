"""Read-only figures for the web pages: who the token is, and the Overzicht in one call."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.audit_access import read_details, record_read
from api.dashboard import dashboard
from api.dates import PlausibleDate
from api.deps import CurrentToken, ReadSessionDep, Viewer
from api.errors import responses
from api.redaction import dashboard_for, sees_special_categories

router = APIRouter(prefix="/v1", tags=["dashboard"])


class Me(BaseModel):
    """The caller: who it is, and what the pages show and which buttons they offer."""

    token_id: str = Field(description="the token's id; for a person signed in with single sign-on sso- and a hash")
    role: str
    municipality: str | None = Field(description="the municipality the token is limited to; null: all")
    actor: str = Field(description="who is calling, as decisions and the audit log name them")
    corporation: str | None = Field(default=None, description="role corporation: the corporation the caller speaks for")


class WaitingBin(BaseModel):
    model_config = {"populate_by_name": True}

    from_weeks: int = Field(alias="from", description="whole weeks since koppeling, from (inclusive)")
    to_weeks: int = Field(alias="to", description="to (exclusive)")
    households: int


class PoolFigures(BaseModel):
    households: int = Field(description="households waiting on the reference date: gekoppeld by then and not yet housed")
    persons: int
    overdue: int = Field(description="of those, households waiting longer than the 10-wekentermijn on that date")
    documents_incomplete: int | None = Field(
        description="households without BSN or IBAN yet; null for the viewer role when there are 1 to 4 (small cell)"
    )
    waiting_weeks: list[WaitingBin]
    median_waiting_weeks: float | None


class HalfYearNow(BaseModel):
    municipality: str
    half_year: str
    target: int
    carried_in: int
    due: int
    realised: int
    remaining: int
    backlog: int
    amv_target: int | None = Field(default=None, description="the indicative AMV taakstelling of the half year (null: none set)")
    amv_realised: int | None = Field(
        default=None,
        description="ex-AMV persons housed in the half year; null for a role that does not see special-category data",
    )


class CurrentRun(BaseModel):
    id: int
    planning_date: str | None
    lang: str | None = Field(default=None, description="language of the proposal's explanations")
    kpis: dict[str, Any] | None
    mismatch: list[dict[str, Any]] = Field(
        description="per household profile: households waiting, fitting homes, placed; for the viewer role a row per "
        "profile and only need groups of at least 5 households (see security.md)"
    )
    withheld: list[str] | None = Field(default=None, description="what the viewer role does not see; null: nothing withheld")


class SizeRow(BaseModel):
    persons: int = Field(description="household size (persons now); the last row counts this size and more")
    label: str
    households: int = Field(description="households of this size waiting on the reference date")
    units_fitting: int = Field(description="units on offer whose occupancy range admits this size")
    placed: int = Field(description="households of this size placed in the current proposal")


class NeighbourhoodSeries(BaseModel):
    neighbourhood: str
    persons: list[int]


class Placements(BaseModel):
    months: list[str]
    neighbourhoods: list[NeighbourhoodSeries]


class MoveOverdue(BaseModel):
    """An offered household whose 14 days to move have passed ("verhuizing over termijn")."""

    household_id: str
    municipality: str
    unit_id: str | None
    offered_on: str
    due: str = Field(description="offered_on + 14 days")
    days_over: int


class ThisWeek(BaseModel):
    """What the current run does for a household: the home it proposes, or why it proposes none."""

    run_id: int
    proposed_unit: str | None = Field(None, description="the unit the current run proposes to this household")
    reason: str | None = Field(None, description="why the current run proposes none: outranked, no_eligible_unit, ...")
    explanation: str | None = Field(None, description="the run's explanation of that reason, as the caller may read it")


class WaitingOverdue(BaseModel):
    """A waiting household over the 10-wekentermijn."""

    household_id: str
    municipality: str
    koppeling_date: str
    weeks_waiting: int
    weeks_over: int = Field(description="weeks past the term, counting a started week (1 from the first day over)")
    this_week: ThisWeek | None = Field(None, description="what the current run does for it; null when the run does not hold it")


class DocumentsItem(BaseModel):
    """A waiting household without BSN or IBAN yet."""

    household_id: str
    municipality: str
    since: str = Field(description="incomplete since (the koppeling, or the day an import said so)")
    expected: str | None = Field(description="the date the documents are expected (documents_expected event)")
    expected_passed: bool


class Dashboard(BaseModel):
    """What the Overzicht page shows."""

    on: str = Field(description="the date waiting times and the half year refer to")
    deadline_weeks: int
    taakstelling: list[HalfYearNow]
    pool: PoolFigures
    units_available: int
    municipalities: list[str] = Field(description="municipalities of the pool the token sees")
    current_run: CurrentRun | None
    by_size: list[SizeRow] = Field(description="the mismatch by household size: demand, fitting supply, placed")
    placements_by_neighbourhood: Placements = Field(
        description="persons moved in (moved_in events) up to the peildatum, per month and wijk"
    )
    states: dict[str, int] = Field(description="households per state of the case")
    moves_overdue: list[MoveOverdue] = Field(description="offered households past their 14 days to move")
    waiting_overdue: list[WaitingOverdue] = Field(description="waiting households over the 10 weeks")
    documents: list[DocumentsItem] = Field(description="the documents worklist")


@router.get("/me", summary="The calling token or person: id, role, municipality and name", responses=responses(401, 403))
def get_me(caller: CurrentToken) -> Me:
    """Every role, the corporation's included: the pages ask it who is logged in."""
    return Me(
        token_id=caller.token_id,
        role=caller.role,
        municipality=caller.municipality,
        actor=caller.actor,
        corporation=caller.corporation,
    )


@router.get(
    "/dashboard",
    summary="The Overzicht: taakstelling, pool and waiting times, mismatch, placements per wijk, worklists",
    responses=responses(401, 403),
)
def get_dashboard(
    request: Request,
    caller: Viewer,
    session: ReadSessionDep,
    on: Annotated[
        PlausibleDate | None,
        Query(
            description="reference date of every waiting figure and of the half year (default today); "
            "from 2000-01-01 to a year after today"
        ),
    ] = None,
    deadline_weeks: Annotated[int, Query(ge=0, le=520, description="the term for an offer")] = 10,
) -> Dashboard:
    """Scoped like every read: a municipality's token sees its own pool and decisions. For the
    roles that see the mismatch by need unsuppressed, the read is in the audit log."""
    figures = dashboard(session, caller, on or dt.date.today(), deadline_weeks)
    current = figures.get("current_run")
    if sees_special_categories(caller) and current is not None:
        need_rows = [row for row in current.get("mismatch") or [] if row.get("needs")]
        details = read_details(caller, len(need_rows), True, run=current.get("id"))
        record_read(request.app.state.sessions, caller, "dashboard.read", "run", [current.get("id")], details)
    return Dashboard.model_validate(dashboard_for(caller, figures))
