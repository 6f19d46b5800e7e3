"""Koppeling mix advice: the LP's advice respects its bounds, its bound is never below today's mix's,
and it says it is an upper bound of the fluid model, not a forecast."""

from __future__ import annotations

from simhelpers import small

from matcher.simulate.mix import advise_mix, household_group


def test_household_groups() -> None:
    """Households are grouped by persons now and whether a single expects family."""
    assert household_group(1, 0) == "single"
    assert household_group(1, 2) == "single_expecting_family"
    assert household_group(3, 0) == "two_three"
    assert household_group(5, 1) == "four_five"
    assert household_group(6, 0) == "six_plus"


def test_advice_stays_within_bounds_and_beats_today() -> None:
    """Advised shares stay within half and twice today's share; the bound on persons a week is at least today's."""
    advice = advise_mix(small({"horizon_weeks": 26}), replicates=2)
    for row in advice.groups:
        assert row["share_advised"] >= 0.5 * row["share_today"] - 1e-6
        assert row["share_advised"] <= 2.0 * row["share_today"] + 1e-6
    assert advice.persons_per_week_upper_bound_advised >= advice.persons_per_week_upper_bound_today - 1e-9
    assert advice.persons_per_week_upper_bound_today > 0


def test_no_room_to_shift_gives_todays_figures() -> None:
    """With bounds of exactly today's shares, the advice equals today's mix and rate."""
    advice = advise_mix(small({"horizon_weeks": 26}), replicates=1, low=1.0, high=1.0)
    assert abs(advice.persons_per_week_upper_bound_advised - advice.persons_per_week_upper_bound_today) < 1e-6
    for row in advice.groups:
        assert abs(row["share_advised"] - row["share_today"]) < 1e-3


def test_the_json_says_it_is_a_bound_and_points_to_the_simulation() -> None:
    """Every figure of persons a week or weeks to the target is named a bound; the document says it is
    not a forecast and, given the variant file, how to simulate the advised mix against today's."""
    document = advise_mix(small({"horizon_weeks": 26}), replicates=1).to_json("mix_advice_variant.yaml")
    assert "upper bound" in document["what_this_is"].lower() and "not a forecast" in document["what_this_is"]
    figures = [key for key in document if "persons_per_week" in key or "weeks_to_target" in key]
    assert figures and all("_bound_" in key for key in figures)
    assert all("_in_bound_" in key for row in document["groups"] for key in row if key.startswith("households_"))
    assert document["simulated_comparison"]["command"] == "matcher simulate mix_advice_variant.yaml"
    assert "simulated_comparison" not in advise_mix(small({"horizon_weeks": 26}), replicates=1).to_json()
