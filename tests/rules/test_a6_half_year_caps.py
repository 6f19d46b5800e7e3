"""A6: a wijk with a half-year cap gets at most what is left of it after the earlier placements."""

from __future__ import annotations

import copy

import pytest
from helpers import household, instance, propose, reason_of, unit, unit_reason_of
from reference import brute_force_tiers, milp_tiers

from matcher import solve
from matcher.errors import InputError
from matcher.validate import check_proposal


def _four() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return [household(f"H-{i}") for i in range(1, 5)], [unit(f"U-{i}") for i in range(1, 5)]


def test_half_year_left_binds_below_the_weekly_cap() -> None:
    """Weekly cap 3, half-year cap 5 with 4 placed earlier: only one household goes to Hatert."""
    hh, un = _four()
    p = propose(instance(hh, un, neighbourhood_caps={"Hatert": 3}, half_year_caps={"Hatert": 5}, half_year_placed={"Hatert": 4}))
    assert len(p["matches"]) == 1
    waiting = [x["household_id"] for x in p["unmatched_households"]]
    assert {reason_of(p, hid) for hid in waiting} == {"neighbourhood_cap"}
    assert p["half_year_caps"] == [
        {
            "neighbourhood": "Hatert",
            "cap": 5,
            "placed_before": 4,
            "placed_now": 1,
            "left": 0,
            "explanation": "Wijk Hatert heeft een halfjaarplafond van 5 huishoudens in het eerste halfjaar van 2025: "
            "4 eerder geplaatst, 1 in dit voorstel, nog 0 over.",
        }
    ]
    unused = p["unused_units"][0]
    assert unit_reason_of(p, unused["unit_id"]) == "neighbourhood_cap"
    assert "halfjaarplafond van 5" in unused["explanation"] and "4 eerder geplaatst" in unused["explanation"]
    assert "halfjaarplafond van 5" in p["unmatched_households"][0]["explanation"]


def test_weekly_cap_binds_below_the_half_year_left() -> None:
    """Weekly cap 1, half-year cap 10 with 2 placed: the weekly cap decides, and says so."""
    hh, un = _four()
    p = propose(instance(hh, un, neighbourhood_caps={"Hatert": 1}, half_year_caps={"Hatert": 10}, half_year_placed={"Hatert": 2}))
    assert len(p["matches"]) == 1
    assert p["half_year_caps"][0]["left"] == 7
    assert "deze week bereikt" in p["unused_units"][0]["explanation"]


def test_half_year_cap_alone_without_weekly_cap() -> None:
    """Only a half-year cap (second half-year): 3 of 4 placed earlier leaves room for 1."""
    hh, un = _four()
    p = propose(instance(hh, un, planning_date="2025-09-01", half_year_caps={"Hatert": 4}, half_year_placed={"Hatert": 3}))
    assert len(p["matches"]) == 1
    assert "tweede halfjaar van 2025" in p["half_year_caps"][0]["explanation"]


def test_placed_beyond_the_cap_leaves_nothing() -> None:
    """More placed earlier than the cap (the cap was lowered): nothing more, no negative cap."""
    hh, un = _four()
    p = propose(instance(hh, un, half_year_caps={"Hatert": 2}, half_year_placed={"Hatert": 3}))
    assert p["matches"] == []
    assert p["half_year_caps"][0]["left"] == 0


def test_no_half_year_caps_no_section() -> None:
    """Without half-year caps the proposal has no half_year_caps section (old proposals unchanged)."""
    hh, un = _four()
    p = propose(instance(hh, un, neighbourhood_caps={"Hatert": 1}))
    assert "half_year_caps" not in p


def test_validator_reports_a_broken_half_year_cap() -> None:
    """A proposal made without the half-year cap breaks A6 for an instance that has it."""
    hh, un = _four()
    free = propose(instance(hh, un))
    capped = instance(hh, un, half_year_caps={"Hatert": 3}, half_year_placed={"Hatert": 1})
    document = copy.deepcopy(free)
    document["half_year_caps"] = [
        {"neighbourhood": "Hatert", "cap": 3, "placed_before": 1, "placed_now": 4, "left": 0, "explanation": "x"}
    ]
    problems = check_proposal(capped, document)
    assert any(p.startswith("A6: neighbourhood Hatert has 4 households after 1 earlier, half-year cap 3") for p in problems)


def test_validator_reports_wrong_section_numbers() -> None:
    """A section whose 'placed earlier' differs from the policy is reported."""
    hh, un = _four()
    inst = instance(hh, un, half_year_caps={"Hatert": 3}, half_year_placed={"Hatert": 1})
    document = propose(inst)
    document["half_year_caps"][0]["placed_before"] = 0
    assert any(p.startswith("half_year_caps:") for p in check_proposal(inst, document))


def test_references_count_the_half_year_cap() -> None:
    """Brute force and HiGHS both keep A6: their optimum is the engine's, lower than without it."""
    hh, un = _four()
    capped = instance(hh, un, half_year_caps={"Hatert": 3}, half_year_placed={"Hatert": 1})
    tiers = [t["value"] for t in propose(capped)["solver"]["tiers"]]
    assert brute_force_tiers(capped) == tiers == milp_tiers(capped)
    assert brute_force_tiers(instance(hh, un))[0] > tiers[0]


def test_fixed_pairs_beyond_the_half_year_left_are_an_input_error() -> None:
    """Two fixed pairs in Hatert with one place left in the half-year: an error naming A6."""
    hh, un = _four()
    with pytest.raises(InputError, match=r"what is left of its half-year cap: 1 of 3 .*\(A6\)"):
        propose(
            instance(
                hh,
                un,
                half_year_caps={"Hatert": 3},
                half_year_placed={"Hatert": 2},
                fixed_pairs=[["H-1", "U-1"], ["H-2", "U-2"]],
            )
        )


@pytest.mark.parametrize(
    ("policy", "column", "message"),
    [
        ({"half_year_caps": {"Hatert": -1}}, "half_year_caps.Hatert", 'expected an integer from 0 to 1000000, got "-1"'),
        ({"half_year_caps": {"Hatert": "vijf"}}, "half_year_caps.Hatert", 'got "vijf"'),
        ({"half_year_caps": [5]}, "half_year_caps", "expected an object neighbourhood -> cap"),
        (
            {"half_year_caps": {"Hatert": 5}, "half_year_placed": {"Lent": 1}},
            "half_year_placed.Lent",
            "no half-year cap for this neighbourhood",
        ),
        ({"half_year_caps": {"Hatert": 5}, "half_year_placed": {"Hatert": True}}, "half_year_placed.Hatert", 'got "True"'),
    ],
)
def test_bad_half_year_settings_name_their_field(policy: dict[str, object], column: str, message: str) -> None:
    """Every bad half-year setting is an input error naming the field, never a proposal."""
    hh, un = _four()
    with pytest.raises(InputError) as info:
        instance(hh, un, **policy)
    text = str(info.value)
    assert f"column {column}" in text and message in text, text


def test_what_it_would_take_raises_the_half_year_cap() -> None:
    """When the half-year cap holds a household back, the smallest change found raises that cap, and says so."""
    hh = [household("H-1"), household("H-2", koppeling_date="2025-02-01")]
    inst = instance(hh, [unit("U-1"), unit("U-2")], half_year_caps={"Hatert": 3}, half_year_placed={"Hatert": 2})
    document = solve(inst).proposal(None, True).model_dump(mode="json")
    [waiting] = document["unmatched_households"]
    change = waiting["details"]["what_it_would_take"]
    assert (change["change"], change["half_year_cap_from"], change["half_year_cap_to"]) == ("cap_raise", 3, 4)
    assert "Als het halfjaarplafond van wijk Hatert hoger was (4 in plaats van 3)" in waiting["explanation"]
