"""The history of the runs: every run stays readable."""

from __future__ import annotations

import datetime as dt
from typing import Any


def planning_date_of(policy: dict[str, Any] | None) -> dt.date | None:
    """The planning date a run was computed for, from its stored policy."""
    value = (policy or {}).get("planning_date")
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
