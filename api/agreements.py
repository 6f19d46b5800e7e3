"""Prestatieafspraken: how many homes each corporation agreed to offer a municipality's
statushouders in a year, against what it realised.

Realised is read from what the service records, never typed in: ``offered`` counts the
WBB's accepts (the offers) on the corporation's units whose meeting (the run's planning
date, from which the home is offered) falls in the year, ``let`` the
move-ins into them dated in the year, and ``persons`` the persons of those move-ins (the
persons the accepted offer was for). A unit belongs to the corporation named in its
``corporation`` column; a municipality's row counts that municipality's units.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Agreement, CaseEvent, Decision, Run, Unit

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
MAX_HOMES = 100_000


class AgreementSet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"homes": 40}]})

    homes: int = Field(ge=0, le=MAX_HOMES, description="homes the corporation agreed to offer statushouders in the year")


class AgreementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    municipality: str
    corporation: str
    year: int
    homes: int
    updated_at: dt.datetime


class AgreementRow(BaseModel):
    """One corporation in one municipality and year: agreed against realised."""

    municipality: str
    corporation: str
    year: int
    agreed: int | None = Field(description="homes agreed; null: no prestatieafspraak recorded")
    offered: int = Field(description="offers (WBB accepts) on its units decided in the year")
    let: int = Field(description="move-ins into its units dated in the year")
    persons: int = Field(description="persons who moved into its units in the year")


class AgreementReport(BaseModel):
    year: int
    rows: list[AgreementRow]


RowKey = tuple[str, str]  # (municipality, corporation)


def offer_dates(session: Session, decisions: list[Decision]) -> dict[int, dt.date]:
    """The day each decision's offer starts: its run's planning date (the day it was taken
    when the run names none)."""
    runs = {d.run_id for d in decisions}
    planned: dict[int, dt.date] = {}
    if runs:
        for run_id, policy in session.execute(select(Run.id, Run.policy).where(Run.id.in_(runs))):
            value = policy.get("planning_date") if isinstance(policy, dict) else None
            try:
                planned[run_id] = dt.date.fromisoformat(str(value))
            except ValueError:
                continue
    return {d.id: planned.get(d.run_id, d.created_at.date()) for d in decisions}


def realised(session: Session, year: int, scope: str | None) -> dict[RowKey, tuple[int, int, int]]:
    """Offered, let and persons per municipality and corporation in ``year``."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    units_query = select(Unit.unit_id, Unit.municipality, Unit.corporation).where(Unit.corporation != "")
    if scope is not None:
        units_query = units_query.where(Unit.municipality == scope)
    owner = {(u, m): c for u, m, c in session.execute(units_query)}
    counts: dict[RowKey, list[int]] = {}
    persons_of: dict[tuple[str, str, str, str], int] = {}
    accepts = list(session.scalars(select(Decision).where(Decision.kind == "accept").order_by(Decision.id)))
    offered_on = offer_dates(session, accepts)
    for d in accepts:
        persons_of[(d.household_id, d.municipality, d.unit_id, d.unit_municipality)] = d.persons
        corporation = owner.get((d.unit_id, d.unit_municipality))
        if corporation is not None and first <= offered_on[d.id] <= last:
            counts.setdefault((d.unit_municipality, corporation), [0, 0, 0])[0] += 1
    moves = select(CaseEvent).where(CaseEvent.kind == "moved_in", CaseEvent.date >= first, CaseEvent.date <= last)
    for e in session.scalars(moves):
        if e.unit_id is None or e.unit_municipality is None:
            continue
        corporation = owner.get((e.unit_id, e.unit_municipality))
        if corporation is None:
            continue
        row = counts.setdefault((e.unit_municipality, corporation), [0, 0, 0])
        row[1] += 1
        row[2] += persons_of.get((e.household_id, e.municipality, e.unit_id, e.unit_municipality), e.persons_counted)
    return {key: (a, b, c) for key, (a, b, c) in counts.items()}


def agreement_report(session: Session, year: int, scope: str | None) -> AgreementReport:
    """Every corporation with an agreement or something realised in ``year``, in name order."""
    query = select(Agreement).where(Agreement.year == year)
    if scope is not None:
        query = query.where(Agreement.municipality == scope)
    agreed = {(a.municipality, a.corporation): a.homes for a in session.scalars(query)}
    done = realised(session, year, scope)
    rows = [
        AgreementRow(
            municipality=municipality,
            corporation=corporation,
            year=year,
            agreed=agreed.get((municipality, corporation)),
            offered=done.get((municipality, corporation), (0, 0, 0))[0],
            let=done.get((municipality, corporation), (0, 0, 0))[1],
            persons=done.get((municipality, corporation), (0, 0, 0))[2],
        )
        for municipality, corporation in sorted(set(agreed) | set(done))
    ]
    return AgreementReport(year=year, rows=rows)
