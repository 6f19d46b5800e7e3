"""Taakstelling: targets per municipality and half year, persons housed, and the backlog.

Realised persons are those of accepted placements (by the household's municipality)
whose housing date falls in the half year. What is not realised carries over to the next
half year; more than the target gives a head start (a negative carry).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Decision, Target
from api.schemas import HalfYearStatus, MunicipalityTaakstelling, TaakstellingReport

HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")


def half_year_of(day: dt.date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def _index(half_year: str) -> int:
    match = HALF_YEAR.match(half_year)
    assert match is not None
    return int(match.group(1)) * 2 + int(match.group(2)) - 1


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
    for row in session.scalars(target_query):
        targets.setdefault(row.municipality, {})[_index(row.half_year)] = row.persons
    for place, housed_on, persons in session.execute(decision_query):
        if housed_on is None:
            continue
        index = _index(half_year_of(housed_on))
        by_half = realised.setdefault(place, {})
        by_half[index] = by_half.get(index, 0) + persons
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
