"""The half-year caps of a run counted from what really happened in the service.

A policy with ``half_year_caps`` needs ``half_year_placed``: the households placed in each
capped wijk earlier in the half-year. The service counts them itself (unless the policy
sends its own numbers): every recorded move into a home in the wijk (a ``moved_in`` case
event) dated from the first day of the planning date's half-year up to the planning date,
plus every offer still in progress on a home in the wijk (accepted, not yet moved in or
undone), since that household will live there too. The run stores the counts in its
policy, so the proposal can be traced to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import CaseEvent, Household, Unit
from matcher.input.spreading import half_year_of


def placed_in_half_year(session: Session, wijken: list[str], planning_date: dt.date) -> dict[str, int]:
    """Per wijk: the households moved in since the half-year began, and the offers in progress."""
    if not wijken:
        return {}
    first, _ = half_year_of(planning_date)
    counts = dict.fromkeys(wijken, 0)
    moved = (
        select(Unit.neighbourhood, func.count())
        .select_from(CaseEvent)
        .join(Unit, (Unit.unit_id == CaseEvent.unit_id) & (Unit.municipality == CaseEvent.unit_municipality))
        .where(
            CaseEvent.kind == "moved_in",
            CaseEvent.date >= first,
            CaseEvent.date <= planning_date,
            Unit.neighbourhood.in_(wijken),
        )
        .group_by(Unit.neighbourhood)
    )
    offered = (
        select(Unit.neighbourhood, func.count())
        .select_from(Household)
        .join(
            Unit,
            (Unit.unit_id == Household.offered_unit_id) & (Unit.municipality == Household.offered_unit_municipality),
        )
        .where(Household.status == "offered", Unit.neighbourhood.in_(wijken))
        .group_by(Unit.neighbourhood)
    )
    for query in (moved, offered):
        for name, count in session.execute(query):
            counts[name] += int(count)
    return counts


def with_half_year_placed(session: Session, raw_policy: dict[str, Any], planning_date: dt.date) -> dict[str, Any]:
    """The policy with ``half_year_placed`` counted from the service, when it sets half-year
    caps and brings no counts of its own."""
    caps = raw_policy.get("half_year_caps")
    if not isinstance(caps, dict) or not caps or raw_policy.get("half_year_placed") is not None:
        return raw_policy
    return {**raw_policy, "half_year_placed": placed_in_half_year(session, sorted(str(name) for name in caps), planning_date)}
