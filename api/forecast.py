"""The look-ahead's forecast in the service: the households and homes of recent weeks, or an officer's.

A proposal run whose policy names the ``lookahead`` term needs a forecast of the coming
weeks (``matcher.input.forecast``). An officer may send one in the policy (``forecast``
with ``households`` and ``units``, source ``officer``). Otherwise the service fills it in
from what arrived in the last ``RECENT_WEEKS`` weeks before the planning date: households
by their koppeling date and homes by the date they became available, each kind counted
and divided by the weeks. Those rates are stored with the run's policy, so every run shows
the forecast it looked ahead with. Only counts per kind of household and home enter the
forecast (size, nareizigers expected, occupancy range, temporary, shared, beds): no ids and
nothing about needs.

When the COA's pipeline has been uploaded (``api.routes.pipeline``) and holds households due
within the forecast's weeks in scope, those take the place of the recent koppelingen: the
households of the forecast are then the announced koppelingen, expected arrivals and AMV
turning 18 (``matcher.input.coa``), the homes still those of recent weeks, and the source
reads ``coa_pipeline+recent_weeks``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Household, PipelineRow, Unit
from matcher.input.coa import PipelineEntry, pipeline_households

RECENT_WEEKS = 13  # a quarter of a year: enough weeks to smooth a busy or a quiet week
LOOKAHEAD_WEEKS = 4  # how far ahead a filled-in forecast looks, unless the policy says otherwise


def names_lookahead(raw_policy: dict[str, Any]) -> bool:
    """Whether the policy's objective names the ``lookahead`` term (a malformed objective is left to the parser)."""
    objective = raw_policy.get("objective")
    if not isinstance(objective, list):
        return False
    return any(isinstance(tier, dict) and "lookahead" in tier for tier in objective)


def needs_forecast(raw_policy: dict[str, Any]) -> bool:
    """A forecast is filled in when the policy names the term and sends no households and homes of its own."""
    if not names_lookahead(raw_policy):
        return False
    given = raw_policy.get("forecast")
    if given is None:
        return True
    return isinstance(given, dict) and given.get("households") is None and given.get("units") is None


def recent_forecast(session: Session, scope: str | None, planning_date: dt.date, weeks_ahead: int) -> dict[str, Any]:
    """The forecast from the last ``RECENT_WEEKS`` weeks of koppelingen and homes coming available (in scope)."""
    start = planning_date - dt.timedelta(weeks=RECENT_WEEKS)
    households = select(Household.adults, Household.children, Household.expected_reunification).where(
        Household.koppeling_date >= start, Household.koppeling_date < planning_date
    )
    units = select(Unit.min_occupants, Unit.max_occupants, Unit.temporary, Unit.shared, Unit.beds).where(
        Unit.available_from >= start, Unit.available_from < planning_date
    )
    if scope is not None:
        households = households.where(Household.municipality == scope)
        units = units.where(Unit.municipality == scope)
    h_counts: dict[tuple[int, int], int] = {}
    for adults, children, expected in session.execute(households):
        key = (int(adults) + int(children), int(expected or 0))
        h_counts[key] = h_counts.get(key, 0) + 1
    u_counts: dict[tuple[int, int, bool, bool, int], int] = {}
    for low, high, temporary, shared, beds in session.execute(units):
        kind = (int(low or 1), int(high), bool(temporary), bool(shared), int(beds or high) if shared else 0)
        u_counts[kind] = u_counts.get(kind, 0) + 1
    announced = pipeline_households(pipeline_entries(session, scope), planning_date, weeks_ahead)
    return {
        "weeks": weeks_ahead,
        "source": "coa_pipeline+recent_weeks" if announced else "recent_weeks",
        "households": announced
        or [
            {"persons": persons, "expected_reunification": expected, "per_week": round(count / RECENT_WEEKS, 6)}
            for (persons, expected), count in sorted(h_counts.items())
        ],
        "units": [
            {
                "min_occupants": low,
                "max_occupants": high,
                "temporary": temporary,
                "shared": shared,
                **({"beds": beds} if shared else {}),
                "per_week": round(count / RECENT_WEEKS, 6),
            }
            for (low, high, temporary, shared, beds), count in sorted(u_counts.items())
        ],
    }


def pipeline_entries(session: Session, scope: str | None) -> list[PipelineEntry]:
    """The stored pipeline (in scope), as the engine reads it."""
    query = select(PipelineRow).order_by(PipelineRow.municipality, PipelineRow.pipeline_id)
    if scope is not None:
        query = query.where(PipelineRow.municipality == scope)
    return [
        PipelineEntry(
            pipeline_id=r.pipeline_id,
            municipality=r.municipality,
            kind=r.kind,
            expected_date=r.expected_date,
            adults=r.adults,
            children=r.children,
            expected_reunification=r.expected_reunification,
            households=r.households,
        )
        for r in session.scalars(query)
    ]


def with_forecast(session: Session, scope: str | None, raw_policy: dict[str, Any], planning_date: dt.date) -> dict[str, Any]:
    """The policy with its forecast filled in from recent weeks when it names the term and brings none."""
    if not needs_forecast(raw_policy):
        return raw_policy
    given = raw_policy.get("forecast")
    weeks = LOOKAHEAD_WEEKS
    if isinstance(given, dict) and isinstance(given.get("weeks"), int) and not isinstance(given.get("weeks"), bool):
        weeks = given["weeks"]
    return {**raw_policy, "forecast": recent_forecast(session, scope, planning_date, weeks)}
