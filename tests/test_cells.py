"""Cell parsers: every accepted spelling, and the message for what is refused."""

import datetime as dt
from decimal import Decimal

import pytest

from matcher.input import cells


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("JA", True), ("yes", True), ("1", True), ("Nee", False), ("0", False), (False, False), (1, True)],
)
def test_booleans(text: object, value: bool) -> None:
    """true/false, 1/0, yes/no, ja/nee in any case, and typed booleans from XLSX/JSON."""
    assert cells.parse_bool(text) is value


def test_boolean_refused() -> None:
    """Anything else is refused with the accepted spellings named."""
    with pytest.raises(cells.CellError, match="expected true/false"):
        cells.parse_bool("misschien")


def test_dates() -> None:
    """ISO dates from text, and dates or midnight datetimes from XLSX."""
    assert cells.parse_date("2025-03-03") == dt.date(2025, 3, 3)
    assert cells.parse_date(dt.datetime(2025, 3, 3)) == dt.date(2025, 3, 3)
    with pytest.raises(cells.CellError):
        cells.parse_date("2025-02-30")
    with pytest.raises(cells.CellError):
        cells.parse_date("3-3-2025")


def test_integers() -> None:
    """Integral text and floats are accepted, fractions, words and booleans are not."""
    assert cells.parse_int("4", 1, 10) == 4
    assert cells.parse_int(4.0, 1, 10) == 4
    for bad in ("4.5", "vier", True, "0"):
        with pytest.raises(cells.CellError):
            cells.parse_int(bad, 1, 10)


def test_decimal_and_lists() -> None:
    """Rents keep their exact value; ;-lists are trimmed, deduplicated and sorted."""
    assert cells.parse_decimal("682.96", Decimal(1000)) == Decimal("682.96")
    assert cells.parse_list(" mobility ;lgbtiq;;mobility", ("mobility", "lgbtiq")) == ("lgbtiq", "mobility")
    assert cells.parse_list(["Hatert", "Lent"], None) == ("Hatert", "Lent")
