"""Interchange v1.1: a family counts for E5 and underoccupancy only once it is due within the horizon."""

import pytest
from helpers import household, instance, matched, propose, unit

from matcher.errors import InputError

# planning_date in the helpers is 2025-03-03; 52 weeks later is 2026-03-02.


@pytest.mark.parametrize(
    ("arrival", "horizon_weeks", "placed"),
    [
        (None, None, False),  # unknown date: v1 behaviour, the family counts
        ("2025-06-01", None, False),  # due within 52 weeks
        ("2026-03-02", None, False),  # the horizon's last day still counts
        ("2026-03-03", None, True),  # one day later: not planned for yet
        ("2025-03-20", 2, True),  # a two-week horizon leaves it out
        ("2025-03-17", 2, False),  # exactly two weeks: due
    ],
)
def test_e5_reads_the_expected_arrival(arrival: str | None, horizon_weeks: int | None, placed: bool) -> None:
    """A single expecting 3 gets a permanent home for 2 only while the family is not due within the horizon."""
    h = household(expected_reunification=3, expected_arrival_date=arrival)
    policy = {} if horizon_weeks is None else {"reunification_horizon_weeks": horizon_weeks}
    p = propose(instance([h], [unit(max_occupants=2)], **policy))
    assert (matched(p) == {("H-1", "U-1")}) is placed


def test_underoccupancy_counts_only_a_family_that_is_due() -> None:
    """A home for 4 is underoccupied by 3 for a single whose family comes in two years, by 0 when it comes soon."""
    objective = [{"placed_persons": 1}, {"underoccupancy": -1}]
    later = propose(
        instance(
            [household(expected_reunification=3, expected_arrival_date="2027-03-01")],
            [unit(max_occupants=4)],
            objective=objective,
        )
    )
    soon = propose(
        instance(
            [household(expected_reunification=3, expected_arrival_date="2025-04-01")],
            [unit(max_occupants=4)],
            objective=objective,
        )
    )
    assert [m["terms"]["underoccupancy"] for m in later["matches"]] == [3]
    assert [m["terms"]["underoccupancy"] for m in soon["matches"]] == [0]


def test_arrival_before_the_koppeling_is_an_input_error() -> None:
    """The family cannot be expected before the household was gekoppeld: file, row and column are named."""
    with pytest.raises(InputError) as caught:
        instance([household(koppeling_date="2025-01-10", expected_arrival_date="2025-01-09")], [unit()])
    assert str(caught.value) == (
        "households.csv row 2, column expected_arrival_date: expected_arrival_date (2025-01-09) lies before the "
        "koppeling_date (2025-01-10)"
    )


def test_arrival_that_is_not_a_date_is_an_input_error() -> None:
    """A date column gets a date, or the row and column are named."""
    with pytest.raises(InputError) as caught:
        instance([household(expected_arrival_date="volgend jaar")], [unit()])
    assert "households.csv row 2, column expected_arrival_date" in str(caught.value)


def test_a_file_without_the_new_columns_keeps_its_input_hash() -> None:
    """v1 inputs hash as before: the new columns enter the canonical input only when filled in."""
    plain = instance([household()], [unit()])
    empty = instance([household(expected_arrival_date=None, current_unit_id="")], [unit()])
    filled = instance([household(current_unit_id="U-9")], [unit()])
    assert plain.input_sha256 == empty.input_sha256 != filled.input_sha256
