"""E3: only the own municipality, unless the run is regional."""

from helpers import household, instance, matched, propose, reason_of, unit


def test_other_municipality_is_refused() -> None:
    """A Wijchen unit is not offered to a household gekoppeld to Nijmegen."""
    p = propose(instance([household()], [unit(municipality="Wijchen", neighbourhood="Wijchen-Centrum")]))
    assert matched(p) == set()
    assert reason_of(p, "H-1") == "no_eligible_unit"


def test_regional_run_allows_other_municipality() -> None:
    """With regional: true the same pair is allowed."""
    p = propose(instance([household()], [unit(municipality="Wijchen", neighbourhood="Wijchen-Centrum")], regional=True))
    assert matched(p) == {("H-1", "U-1")}
