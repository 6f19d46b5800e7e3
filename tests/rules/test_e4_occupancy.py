"""E4: a non-shared unit respects min_occupants <= persons_now <= max_occupants."""

import pytest
from helpers import household, instance, matched, propose, unit


@pytest.mark.parametrize(("adults", "children", "ok"), [(1, 0, False), (2, 0, True), (2, 2, True), (2, 3, False)])
def test_occupancy_bounds(adults: int, children: int, ok: bool) -> None:
    """Between 2 and 4 persons fit a unit with min 2 and max 4; 1 and 5 do not."""
    p = propose(instance([household(adults=adults, children=children)], [unit(min_occupants=2, max_occupants=4, rent="500")]))
    assert (matched(p) == {("H-1", "U-1")}) is ok


def test_shared_unit_ignores_occupancy_norm() -> None:
    """The occupancy norm is for non-shared units; a shared unit with min 2 still takes a single."""
    p = propose(instance([household()], [unit(shared=True, beds=3, min_occupants=2, max_occupants=3)]))
    assert matched(p) == {("H-1", "U-1")}
