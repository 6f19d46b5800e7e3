"""A5: fixed pairs appear; a fixed pair breaking a rule, or conflicting ones, is an input error."""

import pytest
from helpers import household, instance, matched, propose, unit

from matcher.errors import InputError


def test_fixed_pair_appears_even_if_worse() -> None:
    """The WBB fixed the newer household to the only unit; the proposal keeps it."""
    hh = [household("H-1", koppeling_date="2024-01-01"), household("H-2", koppeling_date="2025-02-01")]
    p = propose(instance(hh, [unit("U-1")], fixed_pairs=[["H-2", "U-1"]]))
    assert matched(p) == {("H-2", "U-1")}
    assert p["matches"][0]["fixed"] is True


def test_fixed_pair_breaking_a_rule_is_an_error() -> None:
    """Fixing a pair that breaks E4 is refused with the rule named."""
    with pytest.raises(InputError, match=r"fixed_pairs.*E4"):
        instance_ = instance([household(adults=2, children=3)], [unit("U-1")], fixed_pairs=[["H-1", "U-1"]])
        propose(instance_)


def test_two_fixed_pairs_on_one_unit_conflict() -> None:
    """Two households fixed to the same non-shared unit is an input error (A2)."""
    with pytest.raises(InputError, match=r"A2"):
        propose(instance([household("H-1"), household("H-2")], [unit("U-1")], fixed_pairs=[["H-1", "U-1"], ["H-2", "U-1"]]))


def test_fixed_pairs_exceeding_cap_conflict() -> None:
    """Fixed pairs that exceed a neighbourhood cap are an input error (A4)."""
    with pytest.raises(InputError, match=r"A4"):
        propose(
            instance(
                [household("H-1"), household("H-2")],
                [unit("U-1"), unit("U-2")],
                fixed_pairs=[["H-1", "U-1"], ["H-2", "U-2"]],
                neighbourhood_caps={"Hatert": 1},
            )
        )


def test_fixed_household_twice_conflicts() -> None:
    """One household fixed to two units is an input error (A1)."""
    with pytest.raises(InputError, match=r"A1"):
        propose(instance([household("H-1")], [unit("U-1"), unit("U-2")], fixed_pairs=[["H-1", "U-1"], ["H-1", "U-2"]]))


def test_fixed_pair_with_unknown_id() -> None:
    """An unknown id in a fixed pair is named."""
    with pytest.raises(InputError, match=r"unknown unit_id \"U-9\""):
        instance([household("H-1")], [unit("U-1")], fixed_pairs=[["H-1", "U-9"]])
