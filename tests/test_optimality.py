"""The engine's tier values equal independent optima: brute force (tiny) and HiGHS (small)."""

from __future__ import annotations

import pytest
from helpers import instance, propose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import brute_force_tiers, milp_tiers
from strategies import households, policies, units

from matcher.validate import Prices

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
    assert _tiers(proposal) == brute_force_tiers(inst, prices=Prices.of(proposal))
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
    assert _tiers(proposal) == milp_tiers(inst, prices=Prices.of(proposal))


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


@SETTINGS
@given(st.data())
def test_fixed_pairs_kept_and_rest_optimal(data: st.DataObject) -> None:
    """Fixing some of a proposal's own pairs keeps them, and the rest is optimal given them (HiGHS)."""
    hh = data.draw(households(data.draw(st.integers(4, 12))))
    un = data.draw(units(data.draw(st.integers(2, 7))))
    policy = data.draw(policies(hh, un))
    first = propose(instance(hh, un, **policy))
    if not first["matches"]:
        return
    chosen = data.draw(st.lists(st.sampled_from(first["matches"]), min_size=1, max_size=3, unique_by=lambda m: m["household_id"]))
    fixed = [[m["household_id"], m["unit_id"]] for m in chosen]
    inst = instance(hh, un, **policy, fixed_pairs=fixed)
    proposal = propose(inst)
    assert {tuple(p) for p in fixed} <= {(m["household_id"], m["unit_id"]) for m in proposal["matches"]}
    assert _tiers(proposal) == milp_tiers(inst, prices=Prices.of(proposal))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_families_in_shared_places_equal_highs(seed: int) -> None:
    """On a realistic week with households up to 4 persons in shared places (knapsack), every tier equals HiGHS."""
    from matcher.generate import generate_instance
    from matcher.input.instance import build_instance

    rows_h, rows_u, policy = generate_instance("nijmegen-week", seed)
    policy["shared_max_household_size"] = 4
    inst = build_instance(rows_h.to_dict(orient="records"), rows_u.to_dict(orient="records"), policy)
    proposal = propose(inst)
    assert proposal["status"] == "optimal"
    assert (proposal["solver"]["name"], proposal["solver"]["method"]) == ("or-tools", "min-cost-flow+cp-sat")
    assert _tiers(proposal) == milp_tiers(inst, prices=Prices.of(proposal))


def test_a_negative_lookahead_weight_is_counted_by_the_reference() -> None:
    """Look-ahead values are 0 or negative per pair; a policy that weighs them negatively prefers pairs the
    fluid model discourages. The independent optimum values those pairs with the proposal's checked
    potentials too, so both sides count the same term (a two-person home, one single, one parent)."""

    def household(hid: str, children: int) -> dict:
        return {"household_id": hid, "municipality": "Nijmegen", "koppeling_date": "2024-01-01", "adults": 1,
                "children": children, "gender": "F", "head_age": 30, "expected_reunification": 0,
                "documents_complete": True, "vulnerabilities": [], "preferred_neighbourhoods": []}  # fmt: skip

    def unit(uid: str, most: int) -> dict:
        return {"unit_id": uid, "municipality": "Nijmegen", "neighbourhood": "Hatert", "unit_type": "social",
                "shared": False, "beds": None, "bedrooms": 0, "min_occupants": 1, "max_occupants": most,
                "rent": "400", "step_free": False, "wheelchair": False, "gender": "", "lgbtiq_safe": False,
                "support": False, "available_from": "2025-02-01"}  # fmt: skip

    hh = [household("H-00", 0), household("H-01", 1), household("H-02", 0), household("H-03", 0)]
    un = [unit("U-00", 1), unit("U-01", 2)]
    inst = instance(hh, un, objective=[{"placed_households": 0, "lookahead": -1}])
    proposal = propose(inst)
    assert _tiers(proposal)[0] > 0
    assert _tiers(proposal) == brute_force_tiers(inst, prices=Prices.of(proposal))
    assert _tiers(proposal) == milp_tiers(inst, prices=Prices.of(proposal))
