"""The aggregated network stays exact when it shrinks: unit classes, wijk nodes and the split back into pairs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.generate import generate_instance
from matcher.input.instance import build_instance
from matcher.model import network, optimise, prepare
from matcher.model.prepare import Prepared
from matcher.model.solution import Solution


def _prepared(profile: str, seed: int) -> Prepared:
    hh, un, policy = generate_instance(profile, seed)
    households: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in hh.to_dict(orient="records")]
    units: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in un.to_dict(orient="records")]
    return prepare(build_instance(households, units, policy))


def _one_class_per_unit_profile(*args: Any) -> tuple[np.ndarray, np.ndarray]:
    """What the network was before unit classes: every unit profile its own class."""
    q_codes = args[3]
    own = np.arange(len(q_codes), dtype=np.int64)
    return own, own


def _one_group_per_household_profile(*args: Any) -> tuple[np.ndarray, np.ndarray]:
    """What the network was before household groups: every household profile its own node."""
    p_codes = args[3]
    own = np.arange(len(p_codes), dtype=np.int64)
    return own, own


def _check_pairs(prep: Prepared, solution: Solution) -> None:
    s = prep.structure
    assert len(np.unique(solution.household)) == len(solution.household)
    assert s.pair_eligible(solution.household, solution.unit).all()
    taken = np.bincount(solution.unit, minlength=len(prep.units.ids))
    assert (taken[~prep.units.shared] <= 1).all()


@pytest.mark.parametrize(("profile", "seed"), [("nijmegen-week", 2), ("regional", 1)])
@pytest.mark.parametrize("patched", [("_unit_classes",), ("_household_groups",), ("_unit_classes", "_household_groups")])
def test_unit_classes_keep_every_tier(profile: str, seed: int, patched: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit profiles that differ only in their wijk share one class node, and household profiles alike for
    every unit profile share one node: the network has fewer arcs than with one node per profile, and the
    proposal is as good in every policy tier and in the tie-break."""
    monkeypatch.setattr(network, "_AGGREGATE_ABOVE", 0)  # share nodes however small the week
    prep = _prepared(profile, seed)
    with_classes = optimise(prep)
    plain = {"_unit_classes": _one_class_per_unit_profile, "_household_groups": _one_group_per_household_profile}
    for name in patched:
        monkeypatch.setattr(network, name, plain[name])
    without = optimise(prep)
    assert with_classes.flow_state is not None and without.flow_state is not None
    assert len(with_classes.flow_state.tail) < len(without.flow_state.tail)
    assert with_classes.tier_values == without.tier_values
    tie = [int(prep.tie_household[s.household].sum() + prep.tie_unit[s.unit].sum()) for s in (with_classes, without)]
    assert tie[0] == tie[1]
    _check_pairs(prep, with_classes)


@pytest.mark.parametrize(("profile", "seed"), [("nijmegen-week", 2), ("regional", 1)])
@pytest.mark.parametrize("aggregate_above", [0, 10**12])
def test_pairs_are_worth_what_the_flow_is_worth(
    profile: str, seed: int, aggregate_above: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The split of the flow into pairs (through profiles, preferred-wijk nodes, unit classes and unit
    profiles, with nodes shared between alike profiles or not) loses nothing: in every policy tier the
    pairs' value equals the solved flow's value, and households that prefer a wijk are placed in one."""
    monkeypatch.setattr(network, "_AGGREGATE_ABOVE", aggregate_above)
    prep = _prepared(profile, seed)
    solution = optimise(prep)
    state = solution.flow_state
    assert state is not None and len(prep.fixed_household) == 0
    _check_pairs(prep, solution)
    flow_values = [-int(row @ state.flows) for row in state.costs]
    assert flow_values == solution.tier_values
    liked = prep.preferred.lookup(solution.household, prep.units.neighbourhood[solution.unit])
    assert liked.any()


def _no_layers(*args: Any) -> None:
    """What the network was before the municipality-free layers: every profile connects to its classes."""
    return None


@pytest.mark.parametrize(("profile", "seed"), [("regional", 1), ("regional", 2), ("nijmegen-week", 2)])
@pytest.mark.parametrize("own_weight", [5, 0, 40])
def test_municipality_layers_keep_every_tier(profile: str, seed: int, own_weight: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles and classes pooled across municipalities (with a direct arc for the own-municipality bonus)
    give a smaller network on a regional week with the same value in every policy tier and in the
    tie-break as one arc per (profile, class), whatever the bonus's weight; the pairs are worth what
    the flow is worth."""
    monkeypatch.setattr(network, "_AGGREGATE_ABOVE", 0)
    hh, un, policy = generate_instance(profile, seed)
    tiers = [dict(t) for t in policy.get("objective", [])] or [
        {"placed_persons": 10, "overdue": 5, "vulnerable": 3}, {"waiting_days": 1},
        {"temporary": -10, "underoccupancy": -3, "preferred": 5},
    ]  # fmt: skip
    tiers[-1]["own_municipality"] = own_weight
    policy = {**policy, "objective": tiers}
    households: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in hh.to_dict(orient="records")]
    units: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in un.to_dict(orient="records")]
    prep = prepare(build_instance(households, units, policy))
    layered = optimise(prep)
    monkeypatch.setattr(network, "_municipality_layers", _no_layers)
    plain = optimise(prep)
    assert layered.flow_state is not None and plain.flow_state is not None
    if prep.policy.regional:
        assert len(layered.flow_state.tail) < len(plain.flow_state.tail)
    assert layered.tier_values == plain.tier_values
    tie = [int(prep.tie_household[s.household].sum() + prep.tie_unit[s.unit].sum()) for s in (layered, plain)]
    assert tie[0] == tie[1]
    _check_pairs(prep, layered)
    # The tier values are counted from the pairs; the flow's own value equals them, so no household
    # went through the pooled layers to a home of its own municipality and lost the bonus there.
    state = layered.flow_state
    assert [-int(row @ state.flows) for row in state.costs] == layered.tier_values


def _first_order_reference(key: np.ndarray) -> tuple[list[int], list[int]]:
    """Grouping by comparing whole rows in plain Python: groups in the order of their first row."""
    firsts: dict[tuple[int, ...], int] = {}
    group = []
    for row, values in enumerate(map(tuple, key.tolist())):
        group.append(len(firsts) if values not in firsts else list(firsts).index(values))
        firsts.setdefault(values, row)
    return group, list(firsts.values())


@given(
    rows=st.integers(1, 40), width=st.integers(1, 6), top=st.integers(1, 3), seed=st.integers(0, 10**6),
    collide=st.booleans(),
)  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_first_order_groups_match_whole_rows(rows: int, width: int, top: int, seed: int, collide: bool) -> None:
    """Grouping rows by fingerprint gives the groups that comparing whole rows gives, numbered by first row,
    also when every fingerprint collides (the check against each group's first row falls back)."""
    key = np.random.default_rng(seed).integers(-top, top + 1, size=(rows, width))
    with pytest.MonkeyPatch.context() as patch:
        if collide:
            patch.setattr(network, "_fingerprint", lambda k: np.zeros(len(k), dtype=np.uint64))
        group, first = network._first_order_groups(key)
    assert (group.tolist(), first.tolist()) == _first_order_reference(key)
