"""Koppeling mix advice: the LP's advice respects its bounds and never houses fewer persons than today's mix."""

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
    """Advised shares stay within half and twice today's share; persons a week are at least today's."""
    advice = advise_mix(small({"horizon_weeks": 26}), replicates=2)
    for row in advice.groups:
        assert row["share_advised"] >= 0.5 * row["share_today"] - 1e-6
        assert row["share_advised"] <= 2.0 * row["share_today"] + 1e-6
    assert advice.advised_persons_per_week >= advice.current_persons_per_week - 1e-9
    assert advice.current_persons_per_week > 0


def test_no_room_to_shift_gives_todays_figures() -> None:
    """With bounds of exactly today's shares, the advice equals today's mix and rate."""
    advice = advise_mix(small({"horizon_weeks": 26}), replicates=1, low=1.0, high=1.0)
    assert abs(advice.advised_persons_per_week - advice.current_persons_per_week) < 1e-6
    for row in advice.groups:
        assert abs(row["share_advised"] - row["share_today"]) < 1e-3
