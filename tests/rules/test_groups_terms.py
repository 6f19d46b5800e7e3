"""The groups alleengaande vrouw and eenoudergezin (matcher/input/groups.py) as objective terms."""

from __future__ import annotations

import copy

from helpers import household, instance, matched, propose, unit
from reference import brute_force_tiers, milp_tiers

from matcher.validate import check_proposal


def _tiers(proposal: dict) -> list[int]:
    return [t["value"] for t in proposal["solver"]["tiers"]]


def test_single_woman_weight_decides_between_two_singles() -> None:
    """One home, a man alone and a woman alone who are equal otherwise: a positive single_woman weight
    houses the woman, a negative one the man; the match reports the term's value."""
    households = [household("H-1", gender="M"), household("H-2", gender="F")]
    up = propose(instance(households, [unit()], objective=[{"placed_persons": 1, "single_woman": 5}]))
    down = propose(instance(households, [unit()], objective=[{"placed_persons": 1, "single_woman": -5}]))
    assert matched(up) == {("H-2", "U-1")}
    assert matched(down) == {("H-1", "U-1")}
    assert up["matches"][0]["terms"] == {"placed_persons": 1, "single_woman": 1}
    assert down["matches"][0]["terms"] == {"placed_persons": 1, "single_woman": 0}


def test_single_parent_weight_decides_between_parent_and_couple() -> None:
    """One home for two, a mother with one child and a couple: single_parent houses the mother; a father
    alone with a child counts too, and a woman with a partner does not."""
    households = [
        household("H-1", adults=2, children=0, gender="F"),
        household("H-2", adults=1, children=1, gender="F"),
    ]
    p = propose(instance(households, [unit()], objective=[{"placed_persons": 1, "single_parent": 3}]))
    assert matched(p) == {("H-2", "U-1")}
    assert p["matches"][0]["terms"]["single_parent"] == 1
    father = propose(instance([household("H-3", children=1, gender="M")], [unit()], objective=[{"single_parent": 1}]))
    assert father["matches"][0]["terms"] == {"single_parent": 1}
    couple = propose(instance([households[0]], [unit()], objective=[{"single_parent": 1, "single_woman": 1}]))
    assert couple["matches"][0]["terms"] == {"single_parent": 0, "single_woman": 0}


def test_groups_describe_the_household_now() -> None:
    """A woman alone whose husband is expected (nareiziger) counts as alleengaande vrouw until he arrives;
    a woman alone with a child is an eenoudergezin, not an alleengaande vrouw."""
    waiting = household("H-1", gender="F", expected_reunification=1)
    mother = household("H-2", gender="F", children=1)
    p = propose(instance([waiting, mother], [unit("U-1"), unit("U-2")], objective=[{"single_woman": 2, "single_parent": 1}]))
    terms = {m["household_id"]: m["terms"] for m in p["matches"]}
    assert terms == {"H-1": {"single_woman": 1, "single_parent": 0}, "H-2": {"single_woman": 0, "single_parent": 1}}


def test_validator_rejects_a_wrong_group_value() -> None:
    """The validator restates the groups: a match claiming single_woman 0 for a woman alone is reported."""
    inst = instance([household(gender="F")], [unit()], objective=[{"single_woman": 1}])
    proposal = propose(inst)
    wrong = copy.deepcopy(proposal)
    wrong["matches"][0]["terms"]["single_woman"] = 0
    assert check_proposal(inst, wrong)


def test_groups_in_tiers_equal_independent_optima() -> None:
    """With both group terms in two tiers and more households than homes, the engine's tier values equal
    brute force and HiGHS (both read the validator's terms)."""
    households = [
        household("H-1", gender="F"),
        household("H-2", gender="F", children=2),
        household("H-3", gender="M", children=1),
        household("H-4", gender="M"),
        household("H-5", gender="F", adults=2, koppeling_date="2024-06-01"),
    ]
    units = [unit("U-1"), unit("U-2", max_occupants=4, bedrooms=2), unit("U-3", max_occupants=3, bedrooms=2)]
    objective = [{"single_parent": 4, "single_woman": 3, "placed_households": 1}, {"waiting_days": 1}]
    inst = instance(households, units, objective=objective)
    proposal = propose(inst)
    assert proposal["status"] == "optimal"
    assert _tiers(proposal) == brute_force_tiers(inst) == milp_tiers(inst)
    assert _tiers(proposal)[0] == 4 + 4 + 3 + 3
