"""The engine's tier values equal independent optima: brute force (tiny) and HiGHS (small)."""

from __future__ import annotations

from helpers import instance, propose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import brute_force_tiers, milp_tiers
from strategies import households, policies, units

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tiers(proposal: dict) -> list[int]:
    return [t["value"] for t in proposal["solver"]["tiers"]]


@SETTINGS
@given(st.data())
def test_tiers_equal_brute_force_on_tiny_instances(data: st.DataObject) -> None:
    """Every tier value equals the lexicographic optimum found by enumerating all assignments."""
    hh = data.draw(households(data.draw(st.integers(1, 4))))
    un = data.draw(units(data.draw(st.integers(1, 3))))
    inst = instance(hh, un, **data.draw(policies(hh, un)))
    proposal = propose(inst)
    assert proposal["status"] == "optimal"
    assert _tiers(proposal) == brute_force_tiers(inst)
    assert all(t["bound"] == t["value"] for t in proposal["solver"]["tiers"])


@SETTINGS
@given(st.data())
def test_tiers_equal_highs_on_small_instances(data: st.DataObject) -> None:
    """Every tier value equals the lexicographic optimum of an independent MIP solved by HiGHS."""
    hh = data.draw(households(data.draw(st.integers(5, 14))))
    un = data.draw(units(data.draw(st.integers(3, 8))))
    inst = instance(hh, un, **data.draw(policies(hh, un)))
    proposal = propose(inst)
    assert proposal["status"] == "optimal"
    assert _tiers(proposal) == milp_tiers(inst)


@SETTINGS
@given(st.data())
def test_flow_and_cpsat_agree_on_every_tier(data: st.DataObject) -> None:
    """The aggregated network solver and the pair-level CP-SAT model reach the same tier values."""
    hh = data.draw(households(data.draw(st.integers(3, 12))))
    un = data.draw(units(data.draw(st.integers(2, 8))))
    inst = instance(hh, un, **data.draw(policies(hh, un)))
    auto = propose(inst)
    cp = propose(inst, engine="cpsat")
    assert cp["status"] == "optimal"
    assert _tiers(cp) == _tiers(auto)
