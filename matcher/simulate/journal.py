"""What happened in a simulated replicate, in the words of the service.

A simulated year is a sequence of the same things a municipality records through the web
service: koppelingen imported, homes put on offer, a run each week, the WBB's accepts, and
the events of each household's case (``matcher.case``). With ``record=True`` the simulator
writes them down here, so that the same year can be replayed through the service and
the two compared (``tests/api/test_replay.py``).

Each entry is dated and names the household and unit by their ids. ``data`` holds what the
service needs besides: the interchange row of an import, the policy of a run and the pairs
it proposed, the fields of an event as its HTTP body has them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "koppeling",  # a household imported (data: its interchange row)
    "unit",  # a unit put on offer (data: its interchange row and stay_limit_weeks)
    "withdrawn",  # a unit taken off offer (data: reason)
    "run",  # a weekly run (data: policy, households, units, pairs)
    "accept",  # the WBB accepts a proposed pair
    "offer_refused",
    "moved_in",
    "moved_out",
    "family_expected",
    "family_arrived",
    "documents_complete",
    "left",
)


@dataclass(frozen=True)
class Entry:
    """One thing that happened on ``date`` (in simulated ``week``)."""

    week: int
    date: dt.date
    kind: str
    household_id: str | None = None
    unit_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
