"""A2: a non-shared unit gets at most one household."""

from helpers import household, instance, propose, reason_of, unit


def test_non_shared_unit_takes_one_household() -> None:
    """Two singles compete for one unit: one is placed, the other is outranked."""
    p = propose(instance([household("H-1"), household("H-2")], [unit("U-1")]))
    assert len(p["matches"]) == 1
    other = "H-2" if p["matches"][0]["household_id"] == "H-1" else "H-1"
    assert reason_of(p, other) == "outranked"


def test_longer_waiting_household_wins() -> None:
    """Under the default policy the household waiting longest (tier 2) gets the unit."""
    p = propose(
        instance(
            [household("H-1", koppeling_date="2025-02-01"), household("H-2", koppeling_date="2025-01-01")],
            [unit("U-1")],
        )
    )
    assert p["matches"][0]["household_id"] == "H-2"
