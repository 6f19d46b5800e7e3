"""Interchange v1.1: households moving on from a temporary place (current_unit_id)."""

from helpers import household, instance, matched, propose, reason_of, unit


def test_never_proposed_its_own_place() -> None:
    """A household in flexwoning U-1 is not proposed U-1 again (E9), but may get U-2."""
    units = [unit("U-1", unit_type="flex"), unit("U-2")]
    p = propose(instance([household(current_unit_id="U-1")], units))
    assert matched(p) == {("H-1", "U-2")}
    alone = propose(instance([household(current_unit_id="U-1")], units[:1]))
    assert matched(alone) == set()
    assert reason_of(alone, "H-1") == "no_eligible_unit"


def test_an_unlisted_current_place_excludes_nothing() -> None:
    """When the place it lives in is not offered this week, the household is eligible like any other."""
    p = propose(instance([household(current_unit_id="U-77")], [unit("U-1")]))
    assert matched(p) == {("H-1", "U-1")}


def test_the_match_says_where_the_household_moves_from() -> None:
    """move_on_from, kpis.move_on_placed and the sentence name the place left; others carry no move_on_from."""
    p = propose(instance([household("H-1", current_unit_id="U-12"), household("H-2")], [unit("U-1"), unit("U-2")]))
    by_household = {m["household_id"]: m for m in p["matches"]}
    assert by_household["H-1"]["move_on_from"] == "U-12"
    assert "move_on_from" not in by_household["H-2"]
    assert p["kpis"]["move_on_placed"] == 1
    assert "verhuist door vanuit U-12" in by_household["H-1"]["explanation"]


def test_the_move_on_term_weighs_move_on_households() -> None:
    """With one home for two equal singles, a positive move_on weight houses the one moving on, a negative one the other."""
    households = [household("H-1", current_unit_id="U-9"), household("H-2")]
    up = propose(instance(households, [unit()], objective=[{"placed_persons": 1, "move_on": 5}]))
    down = propose(instance(households, [unit()], objective=[{"placed_persons": 1, "move_on": -5}]))
    assert matched(up) == {("H-1", "U-1")}
    assert matched(down) == {("H-2", "U-1")}
    assert p_terms(up) == {"placed_persons": 1, "move_on": 1}


def p_terms(proposal: dict) -> dict:
    return proposal["matches"][0]["terms"]


def test_no_move_on_household_means_zero() -> None:
    """kpis.move_on_placed is 0 in a week without move-on households."""
    p = propose(instance([household()], [unit()]))
    assert p["kpis"]["move_on_placed"] == 0
