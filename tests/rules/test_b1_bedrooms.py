"""B1: with max_persons_per_bedroom set, a non-shared home holds at most that many persons per bedroom."""

import pytest
from helpers import household, instance, matched, propose, reason_of, unit


@pytest.mark.parametrize(
    ("persons", "bedrooms", "limit", "ok"),
    [(4, 2, 2, True), (5, 2, 2, False), (2, 0, 2, True), (3, 0, 2, False), (5, 2, None, True), (3, 1, 3, True)],
)
def test_persons_per_bedroom(persons: int, bedrooms: int, limit: int | None, ok: bool) -> None:
    """Up to limit x bedrooms persons fit (a studio counts as one bedroom); without a limit the rule is off."""
    h = household(adults=2, children=persons - 2) if persons >= 2 else household()
    u = unit(bedrooms=bedrooms, max_occupants=6, rent="500")
    p = propose(instance([h], [u], max_persons_per_bedroom=limit))
    assert (matched(p) == {("H-1", "U-1")}) is ok


def test_shared_places_count_beds_not_bedrooms() -> None:
    """A shared place with one bedroom and three beds still takes a single under a limit of 1 per bedroom."""
    p = propose(instance([household()], [unit(shared=True, beds=3, bedrooms=0)], max_persons_per_bedroom=1))
    assert matched(p) == {("H-1", "U-1")}


def test_explained_in_the_rules_own_words() -> None:
    """A family refused by B1 alone is told how many homes have too few bedrooms for it."""
    p = propose(
        instance([household(adults=2, children=3)], [unit(bedrooms=2, max_occupants=6, rent="500")], max_persons_per_bedroom=2)
    )
    assert reason_of(p, "H-1") == "no_eligible_unit"
    explanation = next(x["explanation"] for x in p["unmatched_households"] if x["household_id"] == "H-1")
    assert "1 met te weinig slaapkamers voor 5 personen" in explanation
