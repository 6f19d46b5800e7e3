"""E1: a household without BSN/IBAN gets no unit."""

from helpers import household, instance, matched, propose, reason_of, unit


def test_documents_complete_is_placed() -> None:
    """With documents the single eligible unit is offered."""
    assert matched(propose(instance([household("H-1")], [unit("U-1")]))) == {("H-1", "U-1")}


def test_documents_incomplete_is_not_placed() -> None:
    """Without documents nothing is offered and the reason says so."""
    p = propose(instance([household("H-1", documents_complete="nee")], [unit("U-1")]))
    assert matched(p) == set()
    assert reason_of(p, "H-1") == "documents_incomplete"
