"""The FIFO baseline: oldest koppeling first takes the first eligible unit."""

from helpers import household, instance, matched, propose, unit


def test_oldest_household_takes_first_unit() -> None:
    """The oldest koppeling takes the earliest available unit, even when that is wasteful."""
    hh = [
        household("H-1", koppeling_date="2024-01-01"),
        household("H-2", adults=2, children=2, koppeling_date="2024-06-01"),
    ]
    un = [
        unit("U-1", max_occupants=6, bedrooms=3, available_from="2025-02-01"),
        unit("U-2", available_from="2025-03-01"),
    ]
    assert matched(propose(instance(hh, un), "fifo")) == {("H-1", "U-1")}
    assert matched(propose(instance(hh, un))) == {("H-1", "U-2"), ("H-2", "U-1")}


def test_fifo_respects_caps_and_fixed_pairs() -> None:
    """Fixed pairs go first; a reached cap is skipped."""
    hh = [household("H-1", koppeling_date="2024-01-01"), household("H-2")]
    un = [unit("U-1"), unit("U-2")]
    p = propose(instance(hh, un, fixed_pairs=[["H-2", "U-1"]], neighbourhood_caps={"Hatert": 1}), "fifo")
    assert matched(p) == {("H-2", "U-1")}
