"""A1: a household gets at most one unit."""

from helpers import household, instance, propose, unit


def test_household_with_two_eligible_units_gets_one() -> None:
    """Even when placing it twice would add value, one household takes one unit."""
    p = propose(instance([household()], [unit("U-1"), unit("U-2")]))
    assert [m["household_id"] for m in p["matches"]] == ["H-1"]


def test_two_households_two_units_both_placed() -> None:
    """With two households both units are used, one each."""
    p = propose(instance([household("H-1"), household("H-2")], [unit("U-1"), unit("U-2")]))
    assert sorted(m["household_id"] for m in p["matches"]) == ["H-1", "H-2"]
