"""The figures of the Overzicht page, computed from the pool, the cases and the current run.

One call gives what the weekly meeting looks at first: the taakstelling of the current half
year, the pool with its waiting times against the 10-wekentermijn, the mismatch between the
households waiting and the homes that fit them, where households moved in over time, and
the worklists: moves past their 14 days, households over the 10 weeks, documents missing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.cases import case_of
from api.cycle import latest_done_id
from api.dates import EARLIEST, in_window, latest
from api.models import CaseEvent, Household, Run, Unit
from api.redaction import proposal_for, sees_special_categories
from api.taakstelling import half_year_of, report
from matcher.case import OFFER_DAYS, days_over_move_deadline, weeks_over_deadline

log = logging.getLogger(__name__)
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


def _first(kind: str) -> Any:
    """The date of a household's first event of ``kind`` (null when there is none)."""
    return (
        select(func.min(CaseEvent.date))
        .where(
            CaseEvent.household_id == Household.household_id,
            CaseEvent.municipality == Household.municipality,
            CaseEvent.kind == kind,
            CaseEvent.date.between(EARLIEST, latest()),  # an event dated outside the window is left out
        )
        .scalar_subquery()
    )


def _waiting_on(on: dt.date) -> ColumnElement[bool]:
    """Households in the pool on that day: gekoppeld by then and waiting now, or housed only
    later (first moved_in after that day), or waiting until they left after that day. An
    offered household has been offered its home and is not in the pool."""
    moved, gone = _first("moved_in"), _first("left")
    return and_(
        Household.koppeling_date <= on,
        or_(Household.status == "waiting", moved > on, and_(Household.status == "left", moved.is_(None), gone > on)),
    )


def _pool(session: Session, caller: Caller, on: dt.date, deadline_weeks: int) -> dict[str, Any]:
    query = select(Household.koppeling_date, Household.adults, Household.children, Household.documents_complete).where(
        _waiting_on(on)
    )
    if caller.municipality is not None:
        query = query.where(Household.municipality == caller.municipality)
    rows = session.execute(query).all()
    # A koppeling date outside the window can only come from the database directly; such a
    # household counts in the pool, but not in the waiting times (it would stretch them over centuries).
    dated = [r for r in rows if in_window(r.koppeling_date)]
    if len(dated) < len(rows):
        log.warning(
            "Overzicht: left %d households with a koppeling date outside the window out of the waiting times",
            len(rows) - len(dated),
        )
    days = np.array([(on - r.koppeling_date).days for r in dated], dtype=np.int64)
    weeks = np.maximum(days, 0) // 7
    return {
        "households": len(rows),
        "persons": int(sum(r.adults + r.children for r in rows)),
        "overdue": int((days > 7 * deadline_weeks).sum()),
        "documents_incomplete": sum(1 for r in rows if not r.documents_complete),
        "waiting_weeks": waiting_distribution(weeks),
        "median_waiting_weeks": float(np.median(weeks)) if len(dated) else None,
    }


def _taakstelling(session: Session, caller: Caller, on: dt.date) -> list[dict[str, Any]]:
    """The current half year of each visible municipality (a row of zeros where nothing is known yet)."""
    current = half_year_of(on)
    out: list[dict[str, Any]] = []
    for place in report(session, caller.municipality, on=on, amv=sees_special_categories(caller)).municipalities:
        row = next((h for h in place.half_years if h.half_year == current), None)
        half = row.model_dump() if row is not None else None
        if half is None:
            carried = place.backlog if place.half_years and place.half_years[-1].half_year < current else 0
            half = {"half_year": current, "target": 0, "carried_in": carried, "due": carried, "realised": 0, "remaining": carried}
        out.append({"municipality": place.municipality, **half, "backlog": place.backlog})
    return out


def _placements(session: Session, caller: Caller, on: dt.date) -> dict[str, Any]:
    """Persons counted at a move (moved_in events) up to the peildatum, per month and wijk of the home."""
    query = (
        select(CaseEvent.date, CaseEvent.persons_counted, Unit.neighbourhood)
        .join(Unit, (Unit.unit_id == CaseEvent.unit_id) & (Unit.municipality == CaseEvent.unit_municipality))
        .where(CaseEvent.kind == "moved_in", CaseEvent.persons_counted > 0, CaseEvent.date <= on)
    )
    if caller.municipality is not None:
        query = query.where(CaseEvent.municipality == caller.municipality)
    counts: dict[str, dict[str, int]] = {}
    skipped = 0
    for moved_on, persons, neighbourhood in session.execute(query):
        if not in_window(moved_on):
            skipped += 1
            continue
        month = f"{moved_on.year}-{moved_on.month:02d}"
        by_month = counts.setdefault(neighbourhood, {})
        by_month[month] = by_month.get(month, 0) + persons
    if skipped:
        log.warning("Overzicht: left out %d moves dated outside the window", skipped)
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
        "lang": document.get("lang"),
        "kpis": document.get("kpis"),
        "mismatch": document.get("mismatch", []),
        "matches": document.get("matches", []),
    }


def this_week(session: Session, caller: Caller) -> dict[tuple[str, str], dict[str, Any]]:
    """Per household (municipality, id) in the current run: the home proposed, or why none, as the caller may read it.

    The reason and its explanation come from the run's proposal with the caller's redactions
    (a viewer gets no explanation that could reveal a need). Ids are matched with their
    municipality through the run's input; an id that the run holds in two municipalities is left out."""
    run_id = latest_done_id(session, caller.municipality)
    run = session.get(Run, run_id) if run_id is not None else None
    if run is None or run.proposal_json is None:
        return {}
    municipalities: dict[str, set[str]] = {}
    for row in (run.snapshot or {}).get("households", []):
        municipalities.setdefault(str(row["household_id"]), set()).add(str(row["municipality"]))
    document = json.loads(proposal_for(caller, run.proposal_json, run.policy))
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def key(household_id: str) -> tuple[str, str] | None:
        places = municipalities.get(household_id, set())
        return (next(iter(places)), household_id) if len(places) == 1 else None

    for match in document.get("matches", []):
        at = key(match["household_id"])
        if at is not None:
            found[at] = {"run_id": run.id, "proposed_unit": match["unit_id"]}
    for item in document.get("unmatched_households", []):
        at = key(item["household_id"])
        if at is not None:
            found[at] = {"run_id": run.id, "reason": item["reason"], "explanation": item["explanation"]}
    return found


def dashboard(session: Session, caller: Caller, on: dt.date, deadline_weeks: int = 10) -> dict[str, Any]:
    """Everything the Overzicht shows, for the municipality the token sees (or all).

    The long waiters of ``waiting_overdue`` carry ``this_week``: the home the current run
    proposes them, or the reason it proposes none (see ``this_week``); null when the current
    run does not hold them (it was made before they were in the pool)."""
    current = _current_run(session, caller)
    lists = worklists(session, caller, on, deadline_weeks)
    known = this_week(session, caller)
    for item in lists["waiting_overdue"]:
        item["this_week"] = known.get((item["municipality"], item["household_id"]))
    return {
        "on": on.isoformat(),
        "deadline_weeks": deadline_weeks,
        "taakstelling": _taakstelling(session, caller, on),
        "pool": _pool(session, caller, on, deadline_weeks),
        "units_available": _available_units(session, caller),
        "municipalities": _municipalities(session, caller),
        "current_run": current,
        "by_size": _by_size(session, caller, current, on),
        "placements_by_neighbourhood": _placements(session, caller, on),
        "states": _states(session, caller),
        **lists,
    }


def _states(session: Session, caller: Caller) -> dict[str, int]:
    """Households per state."""
    query = select(Household.status, func.count()).group_by(Household.status)
    if caller.municipality is not None:
        query = query.where(Household.municipality == caller.municipality)
    counts = dict.fromkeys(("waiting", "offered", "housed", "housed_temporary", "left"), 0)
    counts.update({status: int(n) for status, n in session.execute(query)})
    return counts


def worklists(session: Session, caller: Caller, on: dt.date, deadline_weeks: int) -> dict[str, list[dict[str, Any]]]:
    """What needs doing, household by household (ids and dates only, no personal fields):

    - ``moves_overdue``: offered households whose 14 days to move have passed ("verhuizing
      over termijn"), most days over first;
    - ``waiting_overdue``: waiting households over the 10 weeks, with the started weeks over,
      longest first;
    - ``documents``: waiting households without BSN or IBAN yet: since when, and the date
      the documents are expected (if known), longest first."""
    query = select(Household).where(Household.status.in_(("offered", "waiting")))
    if caller.municipality is not None:
        query = query.where(Household.municipality == caller.municipality)
    moves: list[tuple[int, str, dict[str, Any]]] = []
    waiting: list[tuple[int, str, dict[str, Any]]] = []
    documents: list[tuple[str, str, dict[str, Any]]] = []
    for household in session.scalars(query):
        case, hid = case_of(household), household.household_id
        base: dict[str, Any] = {"household_id": hid, "municipality": household.municipality}
        days_over = days_over_move_deadline(case, on)
        if days_over is not None and household.offered_on is not None:
            due = household.offered_on + dt.timedelta(days=OFFER_DAYS)
            offered_on = household.offered_on.isoformat()
            item: dict[str, Any] = {"unit_id": household.offered_unit_id, "offered_on": offered_on, "due": due.isoformat()}
            moves.append((-days_over, hid, base | item | {"days_over": days_over}))
        weeks_over = weeks_over_deadline(case, on, deadline_weeks)
        if weeks_over is not None:
            weeks = (on - household.koppeling_date).days // 7
            item = {"koppeling_date": household.koppeling_date.isoformat(), "weeks_waiting": weeks, "weeks_over": weeks_over}
            waiting.append((-weeks_over, hid, base | item))
        if household.status == "waiting" and not household.documents_complete:
            since = (household.documents_incomplete_since or household.koppeling_date).isoformat()
            expected = household.documents_expected
            item = {
                "since": since,
                "expected": expected.isoformat() if expected else None,
                "expected_passed": expected is not None and expected < on,
            }
            documents.append((since, hid, base | item))
    return {
        "moves_overdue": [item for *_, item in sorted(moves)],
        "waiting_overdue": [item for *_, item in sorted(waiting)],
        "documents": [item for *_, item in sorted(documents)],
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
