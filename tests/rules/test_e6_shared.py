"""E6: who may live in a shared unit."""

import pytest
from helpers import household, instance, matched, propose, unit

SHARED = {"shared": True, "beds": 4, "max_occupants": 4}


def _placed(h: dict, u: dict, **policy: object) -> bool:
    return bool(matched(propose(instance([h], [u], **policy))))


def test_household_larger_than_shared_max_is_refused() -> None:
    """A couple is refused under the default shared_max_household_size of 1, allowed under 2."""
    couple = household(adults=2)
    assert not _placed(couple, unit(**SHARED))
    assert _placed(couple, unit(**SHARED), shared_max_household_size=2)


def test_household_larger_than_beds_is_refused() -> None:
    """Three persons do not fit two beds even when the policy allows households of 3."""
    family = household(adults=2, children=1, rent="400")
    assert not _placed(family, unit(shared=True, beds=2, max_occupants=2), shared_max_household_size=3)


@pytest.mark.parametrize(
    ("unit_gender", "gender", "ok"), [("", "X", True), ("M", "M", True), ("M", "F", False), ("F", "X", False)]
)
def test_gender_of_shared_unit(unit_gender: str, gender: str, ok: bool) -> None:
    """A gendered shared unit takes only that gender; X only unrestricted units."""
    assert _placed(household(gender=gender), unit(gender=unit_gender, **SHARED)) is ok


def test_lgbtiq_needs_safe_unit() -> None:
    """An LHBTIQ+ resident goes only to a shared unit designated safe."""
    h = household(vulnerabilities="lgbtiq")
    assert not _placed(h, unit(**SHARED))
    assert _placed(h, unit(lgbtiq_safe=True, **SHARED))


def test_psychosocial_needs_support() -> None:
    """A resident with psychosocial needs goes only to a shared unit with support."""
    h = household(vulnerabilities="psychosocial")
    assert not _placed(h, unit(**SHARED))
    assert _placed(h, unit(support="ja", **SHARED))
