"""Decisions and case events inside the audit chain.

A decision (or an event on a household's case) is a row of its own table, and its audit
entry used to name only its ids: someone who can write to the database could change a
stored decision's unit, kind, reason, date or person and the chain would still hold. So the
entry written with a decision carries every column of the decision in its ``details``,
under the MAC, and ``matcher audit verify`` compares every stored decision and event with
its entry.

The rows already there when the chain was keyed have no such entry; the keying entry
records the highest id of each table at that moment, so verify knows which rows are older
than the keying (not compared) and which were added without an entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.models import Base, CaseEvent, Decision


@dataclass(frozen=True)
class Tracked:
    """A table whose rows are kept whole in their audit entries: every column, so a column
    added later is covered from then on (an older entry is compared on the fields it has)."""

    model: type[Base]
    name: str  # the key of the row in an entry's details, and the word in messages
    action_prefix: str  # the entries that carry a row of this table start with this

    @property
    def fields(self) -> Sequence[str]:
        return [column.name for column in self.model.__table__.columns]


DECISIONS = Tracked(model=Decision, name="decision", action_prefix="decision.")
EVENTS = Tracked(model=CaseEvent, name="event", action_prefix="case.")
TRACKED = (DECISIONS, EVENTS)


def value(item: Any) -> Any:
    """A field as it is kept in the chain: times in UTC to the second, dates as ISO text."""
    if isinstance(item, dt.datetime):
        moment = item.astimezone(dt.UTC).replace(tzinfo=None) if item.tzinfo else item
        return moment.isoformat(timespec="seconds")
    if isinstance(item, dt.date):
        return item.isoformat()
    return item


def fields_of(tracked: Tracked, row: Any) -> dict[str, Any]:
    """The row's fields as its audit entry holds them."""
    return {name: value(getattr(row, name)) for name in tracked.fields}


def details_of(tracked: Tracked, row: Any) -> dict[str, Any]:
    """The ``details`` of the entry written with the row."""
    return {tracked.name: fields_of(tracked, row)}


def decision_details(decision: Decision) -> dict[str, Any]:
    return details_of(DECISIONS, decision)


def event_details(event: CaseEvent) -> dict[str, Any]:
    return details_of(EVENTS, event)
