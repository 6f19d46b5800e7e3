"""Taakstelling: targets per municipality and half year, persons housed, and the backlog.

Realised persons are those of accepted placements (by the household's municipality)
whose housing date falls in the half year. What is not realised carries over to the next
half year; more than the target gives a head start (a negative carry).

Only half years in the window of plausible dates (``api.dates``) count: a stored housing
date or target outside it can only have been written to the database directly, and is left
out (and counted in the log) rather than stretching the report over centuries.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dates import in_window
from api.models import Decision, Target
from api.schemas import HalfYearStatus, MunicipalityTaakstelling, TaakstellingReport

log = logging.getLogger(__name__)
HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")


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


def report(session: Session, scope: str | None, municipality: str | None = None) -> TaakstellingReport:
    targets: dict[str, dict[int, int]] = {}
    realised: dict[str, dict[int, int]] = {}
    target_query = select(Target)
    decision_query = select(Decision.municipality, Decision.housed_on, Decision.persons).where(Decision.kind == "accept")
    for name in (scope, municipality):
        if name is not None:
            target_query = target_query.where(Target.municipality == name)
            decision_query = decision_query.where(Decision.municipality == name)
    skipped_targets = skipped_decisions = 0
    for row in session.scalars(target_query):
        if not half_year_in_window(row.half_year):
            skipped_targets += 1
            continue
        targets.setdefault(row.municipality, {})[_index(row.half_year)] = row.persons
    for place, housed_on, persons in session.execute(decision_query):
        if housed_on is None:
            continue
        if not in_window(housed_on):
            skipped_decisions += 1
            continue
        index = _index_of(housed_on)
        by_half = realised.setdefault(place, {})
        by_half[index] = by_half.get(index, 0) + persons
    if skipped_targets or skipped_decisions:
        log.warning(
            "taakstelling: left out %d targets and %d accepted decisions dated outside the window of plausible dates",
            skipped_targets,
            skipped_decisions,
        )
    result: list[MunicipalityTaakstelling] = []
    for place in sorted(set(targets) | set(realised)):
        indices = set(targets.get(place, {})) | set(realised.get(place, {}))
        carried = 0
        halves: list[HalfYearStatus] = []
        for index in range(min(indices), max(indices) + 1):
            target = targets.get(place, {}).get(index, 0)
            done = realised.get(place, {}).get(index, 0)
            due = target + carried
            halves.append(
                HalfYearStatus(
                    half_year=_name(index), target=target, carried_in=carried, due=due, realised=done, remaining=due - done
                )
            )
            carried = due - done
        result.append(MunicipalityTaakstelling(municipality=place, half_years=halves, backlog=carried))
    return TaakstellingReport(municipalities=result)
