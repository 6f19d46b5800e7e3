"""Parsers for single cells of the interchange tables.

A cell can come from a CSV file (always text), an XLSX sheet (numbers, booleans, dates
already typed by Excel) or a JSON body (typed by JSON). Each parser accepts all three
forms and raises :class:`CellError` with the expectation in the user's words, so the
caller can attach the file, row and column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

TRUE_WORDS = frozenset({"true", "1", "yes", "ja", "y", "j"})
FALSE_WORDS = frozenset({"false", "0", "no", "nee", "n"})
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
# Dates outside these years are typing errors in this domain, and far dates would overflow
# the date arithmetic of the rules (planning_date + horizon_days).
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)


class CellError(ValueError):
    """A cell that does not hold what its column expects."""


def show(value: Any) -> str:
    """Render a bad value for an error message, quoted and shortened."""
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f'"{text}"'


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and value.strip() == "":
        return True
    try:
        import pandas as pd

        return bool(value is pd.NaT)
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False


def parse_text(value: Any, what: str = "a text") -> str:
    if isinstance(value, (bool, list, dict)):
        raise CellError(f"expected {what}, got {show(value)}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if not text:
        raise CellError(f"expected {what}, got an empty value")
    return text


def parse_int(value: Any, low: int, high: int) -> int:
    what = f"an integer >= {low}" if high >= 1000 else f"an integer from {low} to {high}"
    number: int
    if isinstance(value, bool):
        raise CellError(f"expected {what}, got {show(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"expected {what}, got {show(value)}")
        number = int(value)
    else:
        text = str(value).strip()
        if INTEGER_TEXT.match(text):
            number = int(text)
        else:
            try:
                as_float = float(text)
            except ValueError:
                raise CellError(f"expected {what}, got {show(value)}") from None
            if not (math.isfinite(as_float) and as_float.is_integer()):
                raise CellError(f"expected {what}, got {show(value)}")
            number = int(as_float)
    if number < low:
        raise CellError(f"expected {what}, got {show(value)}")
    if number > high:
        raise CellError(f"expected an integer from {low} to {high}, got {show(value)}")
    return number


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"expected true/false (also 1/0, yes/no, ja/nee), got {show(value)}")


def parse_date(value: Any) -> dt.date:
    date = _date(value)
    if not FIRST_DATE <= date <= LAST_DATE:
        raise CellError(f"expected a date from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}, got {show(value)}")
    return date


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise CellError(f"expected an ISO date (YYYY-MM-DD), got {show(value)}")
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not ISO_DATE.match(text):
        raise CellError(f"expected an ISO date (YYYY-MM-DD), got {show(value)}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CellError(f"expected an ISO date (YYYY-MM-DD), got {show(value)}") from None


def parse_decimal(value: Any, high: Decimal) -> Decimal:
    what = "a decimal amount >= 0 (e.g. 612.50)"
    if isinstance(value, bool):
        raise CellError(f"expected {what}, got {show(value)}")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise CellError(f"expected {what}, got {show(value)}") from None
    if not number.is_finite() or number < 0:
        raise CellError(f"expected {what}, got {show(value)}")
    if number > high:
        raise CellError(f"expected an amount of at most {high}, got {show(value)}")
    return number


def parse_choice(value: Any, choices: tuple[str, ...]) -> str:
    text = parse_text(value, "one of " + ", ".join(choices))
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    raise CellError(f"expected one of {', '.join(choices)}, got {show(value)}")


def parse_list(value: Any, choices: tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        items = [parse_text(item, "a text") for item in value]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(";")]
    else:
        items = [parse_text(value)]
    cleaned: set[str] = set()
    for item in items:
        if not item:
            continue
        if choices is not None:
            matched = [c for c in choices if c.lower() == item.lower()]
            if not matched:
                raise CellError(f"expected a ;-list from {', '.join(choices)}, got {show(item)}")
            item = matched[0]
        cleaned.add(item)
    return tuple(sorted(cleaned))
