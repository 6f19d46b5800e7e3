"""A3: a shared unit holds at most `beds` persons."""

from helpers import household, instance, propose, unit

SHARED = {"shared": True, "beds": 3, "max_occupants": 3, "rent": "300"}


def test_shared_unit_fills_up_to_beds() -> None:
    """Four singles, three beds: three are placed in the shared unit."""
    p = propose(instance([household(f"H-{i}") for i in range(4)], [unit(**SHARED)]))
    assert len(p["matches"]) == 3


def test_mixed_sizes_respect_beds() -> None:
    """A couple and two singles in three beds: the persons placed never exceed the beds (knapsack)."""
    hh = [household("H-1", adults=2), household("H-2"), household("H-3")]
    p = propose(instance(hh, [unit(**SHARED)], shared_max_household_size=2))
    assert sum(m["persons"] for m in p["matches"]) == 3
    assert p["status"] == "optimal"


def test_shared_unit_with_used_bed_is_not_unused() -> None:
    """A shared unit that received a household appears only in matches."""
    p = propose(instance([household()], [unit(**SHARED)]))
    assert p["unused_units"] == []
