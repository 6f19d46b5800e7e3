"""E9: excluded pairs never appear."""

from helpers import household, instance, matched, propose, reason_of, unit


def test_excluded_pair_is_not_proposed() -> None:
    """A declined offer is not made again; the other unit is offered instead."""
    p = propose(instance([household()], [unit("U-1"), unit("U-2")], excluded_pairs=[["H-1", "U-1"]]))
    assert matched(p) == {("H-1", "U-2")}


def test_only_unit_excluded() -> None:
    """When the only eligible unit is excluded the household has no eligible unit."""
    p = propose(instance([household()], [unit("U-1")], excluded_pairs=[["H-1", "U-1"]]))
    assert matched(p) == set()
    assert reason_of(p, "H-1") == "no_eligible_unit"


def test_pair_not_excluded_is_allowed() -> None:
    """Excluding a pair of another household leaves this one alone."""
    p = propose(
        instance(
            [household("H-1"), household("H-2", documents_complete=False)],
            [unit("U-1")],
            excluded_pairs=[["H-2", "U-1"]],
        )
    )
    assert matched(p) == {("H-1", "U-1")}
