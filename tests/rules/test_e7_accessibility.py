"""E7: wheelchair users need a wheelchair unit; reduced mobility a step-free one."""

from helpers import household, instance, matched, propose, unit


def _placed(h: dict, u: dict) -> bool:
    return bool(matched(propose(instance([h], [u]))))


def test_wheelchair_user() -> None:
    """Step-free is not enough for a wheelchair user; a wheelchair unit is."""
    h = household(vulnerabilities="wheelchair")
    assert not _placed(h, unit(step_free=True))
    assert _placed(h, unit(wheelchair=True))


def test_mobility() -> None:
    """Reduced mobility needs step-free or wheelchair access."""
    h = household(vulnerabilities="mobility")
    assert not _placed(h, unit())
    assert _placed(h, unit(step_free=True))
    assert _placed(h, unit(wheelchair=True))
