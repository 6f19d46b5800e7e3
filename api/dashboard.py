"""The figures of the Overzicht page, computed from the pool, the decisions and the current run.

One call gives what the weekly meeting looks at first: the taakstelling of the current half
year, the pool with its waiting times against the 10-wekentermijn, the mismatch between the
households waiting and the homes that fit them, and where accepted placements went over time.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.cycle import latest_done_id
from api.models import Decision, Household, Run, Unit
from api.taakstelling import half_year_of, report

BIN_WIDTHS = (2, 5, 10, 20, 50, 100)
MAX_BINS = 30


def _bin_width(longest: int) -> int:
    """The smallest of 2, 5, 10, ... weeks that needs at most MAX_BINS bins; each is a divisor of 10
    or a multiple of it, so the 10-week line falls on a bin edge."""
    return next((w for w in BIN_WIDTHS if longest // w < MAX_BINS), BIN_WIDTHS[-1])


def waiting_distribution(weeks: np.ndarray[Any, Any]) -> list[dict[str, int]]:
    """Households per bin of whole weeks since koppeling: [{from, to, households}], to exclusive."""
    if len(weeks) == 0:
        return []
    width = _bin_width(int(weeks.max()))
    counts = np.bincount(weeks // width)
    return [{"from": k * width, "to": (k + 1) * width, "households": int(n)} for k, n in enumerate(counts)]


def _waiting_on(on: dt.date) -> ColumnElement[bool]:
    """Households in the pool on that day: gekoppeld by then and not housed yet (still waiting, or housed later)."""
    return and_(Household.koppeling_date <= on, or_(Household.status == "waiting", Household.housed_on > on))


def _pool(session: Session, caller: Caller, on: dt.date, deadline_weeks: int) -> dict[str, Any]:
    query = select(Household.koppeling_date, Household.adults, Household.children, Household.documents_complete).where(
        _waiting_on(on)
    )
    if caller.municipality is not None:
        query = query.where(Household.municipality == caller.municipality)
    rows = session.execute(query).all()
    days = np.array([(on - r.koppeling_date).days for r in rows], dtype=np.int64)
    weeks = np.maximum(days, 0) // 7
    return {
        "households": len(rows),
        "persons": int(sum(r.adults + r.children for r in rows)),
        "overdue": int((days > 7 * deadline_weeks).sum()),
        "documents_incomplete": sum(1 for r in rows if not r.documents_complete),
        "waiting_weeks": waiting_distribution(weeks),
        "median_waiting_weeks": float(np.median(weeks)) if len(rows) else None,
    }


def _taakstelling(session: Session, caller: Caller, on: dt.date) -> list[dict[str, Any]]:
    """The current half year of each visible municipality (a row of zeros where nothing is known yet)."""
    current = half_year_of(on)
    out: list[dict[str, Any]] = []
    for place in report(session, caller.municipality).municipalities:
        row = next((h for h in place.half_years if h.half_year == current), None)
        half = row.model_dump() if row is not None else None
        if half is None:
            carried = place.backlog if place.half_years and place.half_years[-1].half_year < current else 0
            half = {"half_year": current, "target": 0, "carried_in": carried, "due": carried, "realised": 0, "remaining": carried}
        out.append({"municipality": place.municipality, **half, "backlog": place.backlog})
    return out


def _placements(session: Session, caller: Caller) -> dict[str, Any]:
    """Persons of accepted placements per month and wijk."""
    query = (
        select(Decision.housed_on, Decision.persons, Unit.neighbourhood)
        .join(Unit, Unit.unit_id == Decision.unit_id)
        .where(Decision.kind == "accept")
    )
    if caller.municipality is not None:
        query = query.where(Decision.municipality == caller.municipality)
    counts: dict[str, dict[str, int]] = {}
    for housed_on, persons, neighbourhood in session.execute(query):
        if housed_on is None:
            continue
        month = f"{housed_on.year}-{housed_on.month:02d}"
        by_month = counts.setdefault(neighbourhood, {})
        by_month[month] = by_month.get(month, 0) + persons
    months = sorted({m for by_month in counts.values() for m in by_month})
    return {
        "months": months,
        "neighbourhoods": [
            {"neighbourhood": name, "persons": [counts[name].get(m, 0) for m in months]} for name in sorted(counts)
        ],
    }


SIZES = 8  # sizes 1..7 and "8 or more"


def _by_size(session: Session, caller: Caller, current: dict[str, Any] | None, on: dt.date) -> list[dict[str, Any]]:
    """Per household size: households waiting on ``on``, units on offer whose occupancy range admits that
    size (a shared place admits single persons), and households of that size in the current proposal."""
    households = select(Household.adults, Household.children).where(_waiting_on(on))
    units = select(Unit.min_occupants, Unit.max_occupants, Unit.shared).where(Unit.status == "available")
    if caller.municipality is not None:
        households = households.where(Household.municipality == caller.municipality)
        units = units.where(Unit.municipality == caller.municipality)
    demand = np.zeros(SIZES + 1, dtype=np.int64)
    for adults, children in session.execute(households):
        demand[min(adults + children, SIZES)] += 1
    supply = np.zeros(SIZES + 1, dtype=np.int64)
    for low, high, shared in session.execute(units):
        for size in range(1, SIZES + 1):
            fits = size == 1 if shared else low <= size <= high or (size == SIZES and high >= SIZES)
            supply[size] += int(fits)
    placed = np.zeros(SIZES + 1, dtype=np.int64)
    for match in (current or {}).get("matches", []):
        placed[min(int(match["persons"]), SIZES)] += 1
    return [
        {
            "persons": size,
            "label": f"{size}+" if size == SIZES else str(size),
            "households": int(demand[size]),
            "units_fitting": int(supply[size]),
            "placed": int(placed[size]),
        }
        for size in range(1, SIZES + 1)
    ]


def _current_run(session: Session, caller: Caller) -> dict[str, Any] | None:
    run_id = latest_done_id(session, caller.municipality)
    if run_id is None:
        return None
    run = session.get(Run, run_id)
    if run is None or run.proposal_json is None:
        return None
    document = json.loads(run.proposal_json)
    return {
        "id": run.id,
        "planning_date": document.get("planning_date"),
        "kpis": document.get("kpis"),
        "mismatch": document.get("mismatch", []),
        "matches": document.get("matches", []),
    }


def dashboard(session: Session, caller: Caller, on: dt.date, deadline_weeks: int = 10) -> dict[str, Any]:
    """Everything the Overzicht shows, for the municipality the token sees (or all)."""
    current = _current_run(session, caller)
    return {
        "on": on.isoformat(),
        "deadline_weeks": deadline_weeks,
        "taakstelling": _taakstelling(session, caller, on),
        "pool": _pool(session, caller, on, deadline_weeks),
        "units_available": _available_units(session, caller),
        "municipalities": _municipalities(session, caller),
        "current_run": current,
        "by_size": _by_size(session, caller, current, on),
        "placements_by_neighbourhood": _placements(session, caller),
    }


def _available_units(session: Session, caller: Caller) -> int:
    query = select(Unit.unit_id).where(Unit.status == "available")
    if caller.municipality is not None:
        query = query.where(Unit.municipality == caller.municipality)
    return len(session.scalars(query).all())


def _municipalities(session: Session, caller: Caller) -> list[str]:
    """The municipalities of the pool the token sees (for the taakstelling form)."""
    if caller.municipality is not None:
        return [caller.municipality]
    return sorted(set(session.scalars(select(Household.municipality).distinct())))
