"""B2: an AMV home (unit column amv_home) goes only to a household of one person with the ex_amv mark."""

from __future__ import annotations

import pytest
from helpers import household, instance, matched, propose, reason_of, unit
from reference import brute_force_tiers, milp_tiers

from matcher.validate import failing_rules


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"vulnerabilities": "ex_amv"}, True),  # an ex-AMV youngster alone: allowed
        ({}, False),  # a single person without the mark: refused
        ({"vulnerabilities": "ex_amv", "children": 1}, False),  # the mark, but not alone: refused
        ({"vulnerabilities": "ex_amv;medical"}, True),  # other needs do not matter here
    ],
)
def test_amv_home_only_for_an_ex_amv_youngster_alone(fields: dict[str, object], ok: bool) -> None:
    """An AMV home is proposed to an ex-AMV single person, and to nobody else."""
    p = propose(instance([household(head_age=19, **fields)], [unit(amv_home=True)]))
    assert (matched(p) == {("H-1", "U-1")}) is ok


def test_an_ordinary_home_is_open_to_an_ex_amv_youngster() -> None:
    """The rule restricts AMV homes, not the youngsters: an ordinary home still fits an ex-AMV single."""
    p = propose(instance([household(head_age=19, vulnerabilities="ex_amv")], [unit(amv_home=False)]))
    assert matched(p) == {("H-1", "U-1")}


def test_explained_in_the_rules_own_words() -> None:
    """A single person refused by B2 alone is told the home is kept for ex-AMV youngsters, and is no_eligible_unit."""
    p = propose(instance([household()], [unit(amv_home=True)]))
    assert reason_of(p, "H-1") == "no_eligible_unit"
    explanation = next(x["explanation"] for x in p["unmatched_households"] if x["household_id"] == "H-1")
    assert "1 bewaard voor ex-AMV-jongeren" in explanation


def test_validator_rule_agrees_and_the_independent_optima_follow_it() -> None:
    """The validator names B2 for a forbidden pair; with two AMV homes, one ordinary home and four singles, the
    engine's tiers equal brute force and HiGHS (both apply the validator's rules), and the AMV homes go to the two
    ex-AMV youngsters."""
    households = [
        household("H-1", vulnerabilities="ex_amv", head_age=18, koppeling_date="2025-02-01"),
        household("H-2", vulnerabilities="ex_amv", head_age=20, koppeling_date="2025-02-10"),
        household("H-3", koppeling_date="2024-10-01"),
        household("H-4", koppeling_date="2024-09-01"),
    ]
    units = [unit("U-1", amv_home=True), unit("U-2", amv_home=True), unit("U-3")]
    inst = instance(households, units)
    rows = {r["household_id"]: r for r in inst.households.to_dict(orient="records")}
    u1 = next(r for r in inst.units.to_dict(orient="records") if r["unit_id"] == "U-1")
    assert failing_rules(rows["H-3"], u1, inst) == ["B2"]
    assert failing_rules(rows["H-1"], u1, inst) == []
    proposal = propose(inst)
    tiers = [t["value"] for t in proposal["solver"]["tiers"]]
    assert tiers == brute_force_tiers(inst) == milp_tiers(inst)
    got = {m["unit_id"]: m["household_id"] for m in proposal["matches"]}
    assert {got["U-1"], got["U-2"]} == {"H-1", "H-2"} and got["U-3"] == "H-4"


def test_a_bad_amv_home_cell_names_row_and_column() -> None:
    """amv_home is read as a boolean like the other unit flags: a bad value names units.csv, row and column."""
    from matcher.errors import InputError

    with pytest.raises(InputError) as caught:
        instance([household()], [unit(amv_home="misschien")])
    assert str(caught.value).startswith("units.csv row 2, column amv_home: ")
