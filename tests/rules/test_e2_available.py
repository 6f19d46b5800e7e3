"""E2: only units available by planning_date + horizon_days are offered."""

from helpers import household, instance, matched, propose, unit, unit_reason_of


def test_unit_available_on_last_day_of_horizon() -> None:
    """available_from exactly at planning_date + horizon_days is allowed."""
    p = propose(instance([household()], [unit(available_from="2025-03-17")], horizon_days=14))
    assert matched(p) == {("H-1", "U-1")}


def test_unit_available_after_horizon() -> None:
    """One day later the unit is not offered, and it is reported as not available yet."""
    p = propose(instance([household()], [unit(available_from="2025-03-18")], horizon_days=14))
    assert matched(p) == set()
    assert unit_reason_of(p, "U-1") == "not_available_yet"
