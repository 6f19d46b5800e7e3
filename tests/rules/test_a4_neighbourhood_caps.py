"""A4: households placed in a capped neighbourhood stay within the cap."""

from helpers import household, instance, propose, reason_of, unit, unit_reason_of


def test_cap_limits_placements() -> None:
    """Two units in Hatert with a cap of 1: one household placed there, the other waits."""
    p = propose(instance([household("H-1"), household("H-2")], [unit("U-1"), unit("U-2")], neighbourhood_caps={"Hatert": 1}))
    assert len(p["matches"]) == 1
    assert p["kpis"]["by_neighbourhood"]["Hatert"] == 1
    unplaced = next(x["household_id"] for x in p["unmatched_households"])
    assert reason_of(p, unplaced) == "neighbourhood_cap"
    unused = next(x["unit_id"] for x in p["unused_units"])
    assert unit_reason_of(p, unused) == "neighbourhood_cap"


def test_cap_elsewhere_does_not_bind() -> None:
    """A cap on another neighbourhood changes nothing here."""
    p = propose(instance([household("H-1"), household("H-2")], [unit("U-1"), unit("U-2")], neighbourhood_caps={"Lent": 0}))
    assert len(p["matches"]) == 2


def test_cap_zero_blocks_neighbourhood() -> None:
    """A cap of 0 keeps everyone out."""
    p = propose(instance([household()], [unit()], neighbourhood_caps={"Hatert": 0}))
    assert p["matches"] == []
    assert reason_of(p, "H-1") == "neighbourhood_cap"
