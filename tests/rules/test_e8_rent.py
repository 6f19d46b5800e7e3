"""E8: passend toewijzen, rent within the household's cap."""

import pytest
from helpers import household, instance, matched, propose, unit


def _placed(h: dict, rent: str, **policy: object) -> bool:
    return bool(matched(propose(instance([h], [unit(rent=rent, max_occupants=6, bedrooms=3)], **policy))))


@pytest.mark.parametrize(
    ("adults", "children", "age", "rent", "ok"),
    [
        (1, 0, 22, "477.20", True),
        (1, 0, 22, "477.21", False),
        (1, 0, 23, "682.96", True),
        (2, 0, 22, "682.96", True),
        (2, 0, 40, "682.97", False),
        (2, 1, 40, "731.93", True),
        (2, 1, 40, "731.94", False),
    ],
)
def test_default_caps(adults: int, children: int, age: int, rent: str, ok: bool) -> None:
    """Young singles, 1-2 persons and 3+ persons each have their own 2025 cap, inclusive."""
    assert _placed(household(adults=adults, children=children, head_age=age), rent) is ok


def test_caps_switched_off() -> None:
    """rent_caps null switches the rule off."""
    assert _placed(household(), "1500", rent_caps=None)


def test_partial_caps_merge_with_defaults() -> None:
    """A partial object changes only the fields it names."""
    assert _placed(household(head_age=20), "600", rent_caps={"young_age": 18})
    assert not _placed(household(head_age=20), "600", rent_caps={"young": 500})
