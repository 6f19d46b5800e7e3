"""Taakstelling: targets per municipality and half year, persons realised, backlog, who still waits.

Realised persons are counted from events only: a ``moved_in`` counts the household's
persons on the day of the move (once per household: moving on from a temporary place does
not count again), a ``family_arrived`` counts the family members who joined a household
that lives in the municipality (where the municipality counts them, the default). A
decision alone counts nothing: an accepted offer is not a home until someone moves in.

Counted by the household's municipality and the half year of the event's date. What is
not realised carries over to the next half year; more than the target gives a head start
(a negative carry). At a peildatum (``on``) only events dated up to that day count, and the
half years end with the one it falls in, so the figures are what could be reported on
that day (an event recorded late counts on its own date).

For each half year the report also says who was still waiting at its end (or at the
peildatum): households gekoppeld by then that had not moved in and had not left, their
persons, how many waited longer than the 10 weeks, and the median and longest wait.

Beside the target a half year may have an indicative AMV taakstelling: ex-AMV youngsters
to house. Its realised figure counts the persons of ``moved_in`` events (as counted above)
of households that carry the ``ex_amv`` mark; they count in the main figure as well, and
nothing is subtracted from it. The mark is special-category data, so the realised AMV
figure is only computed for roles that see such data (``api.redaction``): any count of it,
however large, differs between two peildata by the ex-AMV youngsters among the moves in
between, which a viewer can list. A household whose mark retention has erased no longer
counts for it.

Only half years in the window of plausible dates (``api.dates``) count: a stored event date
or target outside it can only have been written to the database directly, and is left out
(and counted in the log) rather than stretching the report over centuries.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dates import in_window
from api.models import CaseEvent, Household, Target
from api.schemas import HalfYearStatus, MunicipalityTaakstelling, TaakstellingReport
from matcher.case import DEADLINE_WEEKS

log = logging.getLogger(__name__)
HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")
COUNTED_KINDS = ("moved_in", "family_arrived")


def half_year_of(day: dt.date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def half_year_start(half_year: str) -> dt.date | None:
    """The first day of a half year such as ``2025-H2``; None for anything else."""
    match = HALF_YEAR.match(half_year)
    if match is None or int(match.group(1)) < 1:
        return None
    return dt.date(int(match.group(1)), 1 if match.group(2) == "1" else 7, 1)


def half_year_in_window(half_year: str, today: dt.date | None = None) -> bool:
    """A well-formed half year that starts inside the window of plausible dates."""
    start = half_year_start(half_year)
    return start is not None and in_window(start, today)


def _index(half_year: str) -> int:
    start = half_year_start(half_year)
    if start is None:
        raise ValueError("not a half year")
    return start.year * 2 + (0 if start.month == 1 else 1)


def _index_of(day: dt.date) -> int:
    return day.year * 2 + (0 if day.month <= 6 else 1)


def _name(index: int) -> str:
    return f"{index // 2}-H{index % 2 + 1}"


def _bounds(index: int) -> tuple[dt.date, dt.date]:
    """First and last day of a half year (the report only meets years in the window of plausible dates)."""
    year, second = divmod(index, 2)
    return (dt.date(year, 7, 1), dt.date(year, 12, 31)) if second else (dt.date(year, 1, 1), dt.date(year, 6, 30))


@dataclass
class _Waiter:
    """What the waiting figures need of one household: when it came, moved in, left, and its arrivals."""

    koppeling: dt.date
    persons_now: int
    moved_in: dt.date | None = None
    left: dt.date | None = None
    arrivals: list[tuple[dt.date, int]] | None = None

    def waiting_on(self, day: dt.date) -> bool:
        return self.koppeling <= day and (self.moved_in is None or self.moved_in > day) and (self.left is None or self.left > day)

    def persons_on(self, day: dt.date) -> int:
        """Its size on ``day``: family members who arrived later are not counted yet."""
        later = sum(n for when, n in self.arrivals or [] if when > day)
        return self.persons_now - later


def _waiting(waiters: list[_Waiter], day: dt.date) -> dict[str, object]:
    waiting = [w for w in waiters if w.waiting_on(day)]
    weeks = sorted((day - w.koppeling).days // 7 for w in waiting)
    return {
        "waiting_on": day,
        "waiting_households": len(waiting),
        "waiting_persons": sum(w.persons_on(day) for w in waiting),
        "waiting_over_deadline": sum(1 for w in waiting if (day - w.koppeling).days > 7 * DEADLINE_WEEKS),
        "median_waiting_weeks": float(statistics.median(weeks)) if weeks else None,
        "longest_waiting_weeks": weeks[-1] if weeks else None,
    }


def _waiters(session: Session, names: list[str | None]) -> dict[str, list[_Waiter]]:
    households = select(Household.household_id, Household.municipality, Household.koppeling_date, Household.adults,
                        Household.children)  # fmt: skip
    events = select(
        CaseEvent.household_id, CaseEvent.municipality, CaseEvent.kind, CaseEvent.date, CaseEvent.adults, CaseEvent.children
    ).where(CaseEvent.kind.in_(("moved_in", "left", "family_arrived")))
    for name in names:
        if name is not None:
            households = households.where(Household.municipality == name)
            events = events.where(CaseEvent.municipality == name)
    # A household is known by its id within its municipality.
    by_key: dict[tuple[str, str], _Waiter] = {}
    for household_id, place, koppeling, adults, children in session.execute(households):
        by_key[(household_id, place)] = _Waiter(koppeling, adults + children, arrivals=[])
    for household_id, place, kind, day, arrived_adults, arrived_children in session.execute(events.order_by(CaseEvent.id)):
        waiter = by_key.get((household_id, place))
        if waiter is None or not in_window(day):
            continue  # an event dated outside the window is left out here too
        if kind == "moved_in" and (waiter.moved_in is None or day < waiter.moved_in):
            waiter.moved_in = day
        elif kind == "left" and (waiter.left is None or day < waiter.left):
            waiter.left = day
        elif kind == "family_arrived" and waiter.arrivals is not None:
            waiter.arrivals.append((day, (arrived_adults or 0) + (arrived_children or 0)))
    grouped: dict[str, list[_Waiter]] = defaultdict(list)
    for (_, place), waiter in by_key.items():
        grouped[place].append(waiter)
    return grouped


def _ex_amv(session: Session, names: list[str | None]) -> set[tuple[str, str]]:
    """The households (id, municipality) that carry the ex_amv mark."""
    query = select(Household.household_id, Household.municipality, Household.vulnerabilities)
    for name in names:
        if name is not None:
            query = query.where(Household.municipality == name)
    return {(hid, place) for hid, place, marks in session.execute(query) if "ex_amv" in (marks or [])}


def report(
    session: Session,
    scope: str | None,
    municipality: str | None = None,
    on: dt.date | None = None,
    today: dt.date | None = None,
    *,
    amv: bool = False,
) -> TaakstellingReport:
    """Per municipality (the token's, or the one asked, or all) and half year: target, backlog
    carried in, realised persons from events, what remains, and who was still waiting; the
    AMV target, and with ``amv`` (a role that sees special-category data) the ex-AMV persons realised."""
    today = today or dt.date.today()
    names = [scope, municipality]
    targets: dict[str, dict[int, int]] = defaultdict(dict)
    amv_targets: dict[str, dict[int, int]] = defaultdict(dict)
    amv_realised: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    ex_amv = _ex_amv(session, names) if amv else set()
    realised: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    target_query = select(Target)
    event_query = select(
        CaseEvent.municipality, CaseEvent.kind, CaseEvent.date, CaseEvent.persons_counted, CaseEvent.household_id
    ).where(CaseEvent.kind.in_(COUNTED_KINDS), CaseEvent.persons_counted > 0)
    if on is not None:
        event_query = event_query.where(CaseEvent.date <= on)
    for name in names:
        if name is not None:
            target_query = target_query.where(Target.municipality == name)
            event_query = event_query.where(CaseEvent.municipality == name)
    last = _index_of(on) if on is not None else None
    skipped_targets = skipped_events = 0
    for row in session.scalars(target_query):
        if not half_year_in_window(row.half_year):
            skipped_targets += 1
            continue
        index = _index(row.half_year)
        if last is None or index <= last:
            targets[row.municipality][index] = row.persons
            if row.amv_persons is not None:
                amv_targets[row.municipality][index] = row.amv_persons
    for place, kind, day, persons, household_id in session.execute(event_query):
        if not in_window(day):
            skipped_events += 1
            continue
        realised[place][_index_of(day)][kind] += persons
        if kind == "moved_in" and (household_id, place) in ex_amv:
            amv_realised[place][_index_of(day)] += persons
    if skipped_targets or skipped_events:
        log.warning(
            "taakstelling: left out %d targets and %d events dated outside the window of plausible dates",
            skipped_targets,
            skipped_events,
        )
    waiters = _waiters(session, names)
    reference = on or today
    result: list[MunicipalityTaakstelling] = []
    for place in sorted(set(targets) | set(realised) | set(waiters)):
        indices = set(targets.get(place, {})) | set(realised.get(place, {}))
        if last is not None or not indices:
            indices.add(last if last is not None else _index_of(today))
        carried = 0
        halves: list[HalfYearStatus] = []
        for index in range(min(indices), max(indices) + 1):
            target = targets.get(place, {}).get(index, 0)
            counts = realised.get(place, {}).get(index, {})
            done = sum(counts.values())
            due = target + carried
            first, last_day = _bounds(index)
            started = reference >= first
            halves.append(
                HalfYearStatus(
                    half_year=_name(index),
                    target=target,
                    carried_in=carried,
                    due=due,
                    realised=done,
                    realised_moved_in=counts.get("moved_in", 0),
                    realised_family_arrived=counts.get("family_arrived", 0),
                    remaining=due - done,
                    amv_target=amv_targets.get(place, {}).get(index),
                    amv_realised=amv_realised.get(place, {}).get(index, 0) if amv else None,
                    **(_waiting(waiters.get(place, []), min(last_day, reference)) if started else {}),
                )
            )
            carried = due - done
        result.append(MunicipalityTaakstelling(municipality=place, half_years=halves, backlog=carried))
    return TaakstellingReport(on=on, municipalities=result)


@dataclass(frozen=True)
class Counted:
    """One event that counted for the taakstelling."""

    municipality: str
    date: dt.date
    household_id: str
    kind: str
    persons: int


def counted_events(session: Session, scope: str | None, municipality: str | None, on: dt.date) -> list[Counted]:
    """The events that counted up to ``on``, by municipality and date."""
    query = select(CaseEvent).where(CaseEvent.kind.in_(COUNTED_KINDS), CaseEvent.persons_counted > 0, CaseEvent.date <= on)
    for name in (scope, municipality):
        if name is not None:
            query = query.where(CaseEvent.municipality == name)
    query = query.order_by(CaseEvent.municipality, CaseEvent.date, CaseEvent.id)
    return [Counted(e.municipality, e.date, e.household_id, e.kind, e.persons_counted) for e in session.scalars(query)]
