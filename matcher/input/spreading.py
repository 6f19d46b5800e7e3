"""Spreading over time: a cap per wijk for the half-year as well as for the week.

A weekly cap (``neighbourhood_caps``) resets every week, so a wijk can still receive many
households over a half-year. A half-year cap (``half_year_caps``) bounds the households
placed in a wijk in the half-year of the planning date (1 January - 30 June or 1 July -
31 December), and ``half_year_placed`` says how many were really placed there earlier in
that half-year: counted from the recorded moves in the service, from the simulated
placements in the simulator. The weekly proposal gets only what is left:

    cap left(wijk) = min(weekly cap, max(0, half-year cap - placed earlier))

so rule A4 with these caps also keeps the half-year cap (rule A6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from matcher.errors import ProblemCollector
from matcher.input import cells

MAX_CAP = 10**6


def caps_left(weekly: Mapping[str, int], half_year: Mapping[str, int], placed: Mapping[str, int]) -> dict[str, int]:
    """The cap each capped wijk has left for this proposal (weekly and half-year together)."""
    caps = dict(weekly)
    for name, cap in half_year.items():
        left = max(0, cap - placed.get(name, 0))
        caps[name] = min(caps.get(name, left), left)
    return dict(sorted(caps.items()))


def half_year_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the half-year that holds ``day``."""
    if day.month <= 6:
        return dt.date(day.year, 1, 1), dt.date(day.year, 6, 30)
    return dt.date(day.year, 7, 1), dt.date(day.year, 12, 31)


def parse_counts(raw: Any, field: str, source: str, problems: ProblemCollector, what: str) -> dict[str, int]:
    """A map wijk -> integer from 0 to a million, every problem naming ``field.wijk``."""
    if not isinstance(raw, dict):
        problems.add(source, f"expected an object neighbourhood -> {what}", column=field)
        return {}
    parsed: dict[str, int] = {}
    for name, value in raw.items():
        column = f"{field}.{name}"
        if not str(name).strip():
            problems.add(source, "a neighbourhood name must not be empty", column=column)
            continue
        if isinstance(value, (bool, str)) or not isinstance(value, int) or not 0 <= value <= MAX_CAP:
            problems.add(source, f"expected an integer from 0 to {MAX_CAP}, got {cells.show(value)}", column=column)
            continue
        parsed[str(name)] = value
    return parsed


def describe_cap(weekly: Mapping[str, int], half_year: Mapping[str, int], placed: Mapping[str, int], name: str) -> str:
    """The binding cap of a wijk in words for an input error, with its rule (A4 or A6)."""
    left = caps_left(weekly, half_year, placed)[name]
    if name in half_year and left == max(0, half_year[name] - placed.get(name, 0)):
        return (
            f"what is left of its half-year cap: {left} of {half_year[name]} "
            f"({placed.get(name, 0)} placed earlier in the half-year) (A6)"
        )
    return f"its cap of {weekly[name]} (A4)"
