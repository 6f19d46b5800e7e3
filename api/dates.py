"""The window of plausible dates: where a date enters the service, and where one is read back.

A date far outside the years the service works in is a typing error (``0001-01-01``,
``2999-12-31``), not news, and one such date must not take a page down for everyone: the
taakstelling counts half years between the earliest and the latest date it meets, and
labels them with four-digit years. So every date a request stores or asks about lies in

    2000-01-01 .. today + 366 days

(a decision's housing date, a household's koppeling date, a unit's first day, a run's
planning date, a target's half year, the Overzicht's peildatum). A date outside it is
refused with 422 naming the field. The upper bound moves with today, so a date accepted
once stays inside the window for good. Reads skip a stored date outside the window (it can
only come from the database directly) and log how many they skipped, never which.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

EARLIEST = dt.date(2000, 1, 1)
AHEAD_DAYS = 366


def latest(today: dt.date | None = None) -> dt.date:
    """The last date the service accepts: a year (and a day) after today."""
    return (today or dt.date.today()) + dt.timedelta(days=AHEAD_DAYS)


def in_window(day: dt.date, today: dt.date | None = None) -> bool:
    return EARLIEST <= day <= latest(today)


def window_text(today: dt.date | None = None) -> str:
    """What a refused date should have been, for an error message (never the refused value)."""
    return f"expected a date from {EARLIEST.isoformat()} to {latest(today).isoformat()} (at most a year after today)"


def _check(day: dt.date | None) -> dt.date | None:
    if day is not None and not in_window(day):
        raise PydanticCustomError("date_window", window_text())
    return day


PlausibleDate = Annotated[dt.date, AfterValidator(_check)]
"""A date field or query parameter that must lie in the window (422 naming the field otherwise)."""
