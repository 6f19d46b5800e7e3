"""E5: a permanent unit must fit the household after reunification."""

from helpers import household, instance, matched, propose, unit


def test_permanent_unit_too_small_for_future_household() -> None:
    """A single expecting 3 family members does not get a permanent unit for 2."""
    p = propose(instance([household(expected_reunification=3)], [unit(max_occupants=2)]))
    assert matched(p) == set()


def test_permanent_unit_that_fits_future_household() -> None:
    """The same single gets a permanent unit for 4."""
    p = propose(instance([household(expected_reunification=3)], [unit(max_occupants=4, bedrooms=2)]))
    assert matched(p) == {("H-1", "U-1")}


def test_temporary_unit_needs_not_fit_future_household() -> None:
    """A temporary (flex) unit for 2 is allowed while the family is on its way."""
    p = propose(instance([household(expected_reunification=3)], [unit(unit_type="flex", max_occupants=2)]))
    assert matched(p) == {("H-1", "U-1")}


def test_rule_switched_off() -> None:
    """With reunification_must_fit false the small permanent unit is allowed."""
    p = propose(instance([household(expected_reunification=3)], [unit(max_occupants=2)], reunification_must_fit=False))
    assert matched(p) == {("H-1", "U-1")}


def test_shared_permanent_unit_refused_when_family_expected() -> None:
    """A household expecting family goes to a shared unit only if it is temporary."""
    shared = {"shared": True, "beds": 4, "max_occupants": 4}
    refused = propose(instance([household(expected_reunification=1)], [unit(**shared)]))
    allowed = propose(instance([household(expected_reunification=1)], [unit(unit_type="transit", **shared)]))
    assert matched(refused) == set()
    assert matched(allowed) == {("H-1", "U-1")}
