"""Stable re-solve: with the previous proposal's pairs given, the policy's tiers stay optimal
and, among the proposals optimal for them, as many previous pairs as possible are kept."""

from __future__ import annotations

import json

from helpers import household, instance, matched, propose, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import milp_tiers
from strategies import households, policies, units

from matcher import solve
from matcher.explain.proposal import build_proposal
from matcher.input.instance import build_instance
from matcher.validate import Prices

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tiers(proposal: dict) -> list[int]:
    return [t["value"] for t in proposal["solver"]["tiers"]]


def _previous(data: st.DataObject, hh: list[dict], un: list[dict]) -> list[list[str]]:
    pairs = [[h["household_id"], u["unit_id"]] for h in hh for u in un]
    return data.draw(st.lists(st.sampled_from(pairs), max_size=len(hh), unique_by=lambda p: p[0]))


@SETTINGS
@given(st.data())
def test_policy_tiers_unchanged_and_kept_pairs_maximal(data: st.DataObject) -> None:
    """The policy's tier values do not move, and the number of kept pairs equals HiGHS's lexicographic optimum."""
    hh = data.draw(households(data.draw(st.integers(3, 12))))
    un = data.draw(units(data.draw(st.integers(2, 7))))
    policy = data.draw(policies(hh, un))
    previous = _previous(data, hh, un)
    plain = propose(instance(hh, un, **policy))
    inst = instance(hh, un, **policy, previous_pairs=previous)
    stable = propose(inst)
    expected = milp_tiers(inst, prices=Prices.of(stable))
    assert stable["status"] == "optimal"
    assert _tiers(stable) == _tiers(plain)
    kept = len(matched(stable) & {tuple(p) for p in previous})
    if previous:
        assert stable["solver"]["previous_pairs_kept"] == kept
        assert [*_tiers(stable), kept] == expected
    else:
        assert stable["solver"]["previous_pairs_kept"] is None


@SETTINGS
@given(st.data())
def test_flow_and_cpsat_keep_the_same_number(data: st.DataObject) -> None:
    """The network's stability tier and CP-SAT's (knapsack path) agree on how many previous pairs can be kept."""
    hh = data.draw(households(data.draw(st.integers(3, 10))))
    un = data.draw(units(data.draw(st.integers(2, 6))))
    policy = data.draw(policies(hh, un))
    inst = instance(hh, un, **policy, previous_pairs=_previous(data, hh, un))
    auto, cp = propose(inst), propose(inst, engine="cpsat")
    assert _tiers(auto) == _tiers(cp)
    assert auto["solver"]["previous_pairs_kept"] == cp["solver"]["previous_pairs_kept"]


def test_rerun_with_own_pairs_keeps_every_one() -> None:
    """Feeding a proposal's own pairs back in keeps all of them, even where another equally good choice exists."""
    hh = [household(f"H-{i}") for i in range(1, 5)]
    un = [unit(f"U-{i}") for i in range(1, 4)]
    first = propose(instance(hh, un, seed=1))
    pairs = sorted(matched(first))
    assert len(pairs) == 3
    for seed in (2, 3, 4, 5):  # another seed would pick another equally good proposal
        again = propose(instance(hh, un, seed=seed, previous_pairs=[list(p) for p in pairs]))
        assert matched(again) == set(pairs)
        assert again["solver"]["previous_pairs_kept"] == 3


def test_a_declined_pair_moves_only_what_it_must() -> None:
    """After one pair is declined, that household takes the unit left over and the others keep theirs."""
    hh = [household(f"H-{i}", koppeling_date=f"2024-0{i}-01") for i in range(1, 4)]
    un = [unit(f"U-{i}") for i in range(1, 5)]
    first = propose(instance(hh, un))
    pairs = sorted(matched(first))
    assert len(pairs) == 3
    declined = pairs[0]
    for seed in (0, 1, 2, 3):
        again = propose(instance(hh, un, seed=seed, excluded_pairs=[list(declined)], previous_pairs=[list(p) for p in pairs]))
        assert declined not in matched(again)
        assert set(pairs[1:]) <= matched(again)
        assert again["solver"]["previous_pairs_kept"] == 2


def test_previous_pairs_of_households_no_longer_in_the_pool_are_ignored() -> None:
    """A previous pair naming a household or unit that has left (housed, let) is no input error; nothing is kept for it."""
    inst = instance([household("H-1")], [unit("U-1")], previous_pairs=[["H-9", "U-1"], ["H-1", "U-7"]])
    proposal = propose(inst)
    assert matched(proposal) == {("H-1", "U-1")}
    assert proposal["solver"]["previous_pairs_kept"] == 0


def test_hash_without_previous_pairs_is_unchanged_and_with_them_differs() -> None:
    """previous_pairs enters input_sha256 only when given, so proposals without it keep their hash."""
    hh, un = [household("H-1")], [unit("U-1")]
    base = instance(hh, un)
    empty = instance(hh, un, previous_pairs=[])
    given_ = instance(hh, un, previous_pairs=[["H-1", "U-1"]])
    assert base.input_sha256 == empty.input_sha256
    assert given_.input_sha256 != base.input_sha256


def test_malformed_previous_pairs_are_an_input_error() -> None:
    """A previous pair that is not [household_id, unit_id] is reported with its field, like fixed_pairs."""
    import pytest

    from matcher.errors import InputError

    with pytest.raises(InputError) as caught:
        build_instance([household("H-1")], [unit("U-1")], {"previous_pairs": [["H-1"]]})
    assert "previous_pairs" in str(caught.value)
    assert "item 1" in str(caught.value)


def test_fifo_ignores_previous_pairs() -> None:
    """The FIFO baseline works the list as it always does and reports no stability figure."""
    inst = instance(
        [household("H-1"), household("H-2", koppeling_date="2024-01-01")], [unit("U-1")], previous_pairs=[["H-1", "U-1"]]
    )
    result = solve(inst, "fifo")
    prep, solution = result.prepared, result.solution
    doc = json.loads(build_proposal(prep, solution, 0.0).to_json())
    assert {(m["household_id"], m["unit_id"]) for m in doc["matches"]} == {("H-2", "U-1")}
    assert doc["solver"]["previous_pairs_kept"] is None
