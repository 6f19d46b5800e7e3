"""The lexicographic min-cost flow on its own: exact against enumeration on small assignment networks."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.model.flow import (
    Network,
    _packed_distances,
    _packing,
    _tiered_distances,
    lexicographic,
    lexicographic_distances,
    potentials,
)


@st.composite
def assignment(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int]], list[list[int]]]:
    n_h = draw(st.integers(1, 4))
    n_u = draw(st.integers(1, 3))
    pairs = [(i, j) for i in range(n_h) for j in range(n_u) if draw(st.booleans())]
    tiers = [[draw(st.integers(-3, 5)) for _ in pairs] for _ in range(draw(st.integers(1, 3)))]
    return n_h, n_u, pairs, tiers


def _network(n_h: int, n_u: int, pairs: list[tuple[int, int]], tiers: list[list[int]]) -> tuple[Network, list[np.ndarray], int]:
    tail = [0] + [0] * n_h + [2 + i for i, _ in pairs] + [2 + n_h + j for j in range(n_u)]
    head = [1] + [2 + i for i in range(n_h)] + [2 + n_h + j for _, j in pairs] + [1] * n_u
    capacity = [n_h] + [1] * (n_h + len(pairs) + n_u)
    supply = np.zeros(2 + n_h + n_u, dtype=np.int64)
    supply[0], supply[1] = n_h, -n_h
    first = 1 + n_h
    costs = []
    for tier in tiers:
        cost = np.zeros(len(tail), dtype=np.int64)
        cost[first : first + len(pairs)] = -np.array(tier, dtype=np.int64)
        costs.append(cost)
    net = Network(len(supply), np.array(tail), np.array(head), np.array(capacity), supply)
    return net, costs, first


def _best(n_h: int, pairs: list[tuple[int, int]], tiers: list[list[int]]) -> list[int]:
    best: list[int] | None = None
    options: list[list[int | None]] = [[None] + [k for k, (i, _) in enumerate(pairs) if i == h] for h in range(n_h)]
    for combo in itertools.product(*options):
        chosen = [k for k in combo if k is not None]
        units = [pairs[k][1] for k in chosen]
        if len(units) != len(set(units)):
            continue
        value = [sum(t[k] for k in chosen) for t in tiers]
        best = value if best is None or value > best else best
    assert best is not None
    return best


@settings(max_examples=200, deadline=None)
@given(assignment())
def test_lexicographic_flow_matches_enumeration(case: tuple[int, int, list[tuple[int, int]], list[list[int]]]) -> None:
    """Tier by tier with reduced-cost fixing gives the lexicographic optimum found by enumeration."""
    n_h, n_u, pairs, tiers = case
    net, costs, first = _network(n_h, n_u, pairs, tiers)
    flows = lexicographic(net, costs)
    chosen = [k for k in range(len(pairs)) if flows[first + k] > 0]
    assert [sum(t[k] for k in chosen) for t in tiers] == _best(n_h, pairs, tiers)


def test_potentials_satisfy_reduced_cost_optimality() -> None:
    """Distances from a virtual root leave no arc with a negative reduced cost."""
    tail = np.array([0, 1, 2, 0])
    head = np.array([1, 2, 0, 2])
    cost = np.array([-2, 3, 1, 4])
    pi = potentials(3, tail, head, cost)
    assert (cost + pi[tail] - pi[head] >= 0).all()


@st.composite
def residual_like(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A graph without negative cycles: non-negative arc costs shifted by node potentials per tier."""
    n = draw(st.integers(2, 7))
    n_tiers = draw(st.integers(1, 3))
    arcs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=20))
    scale = draw(st.sampled_from([1, 10, 10**6]))
    pi = np.array([[draw(st.integers(-5, 5)) * scale for _ in range(n)] for _ in range(n_tiers)], dtype=np.int64)
    tail = np.array([a for a, _ in arcs], dtype=np.int64)
    head = np.array([b for _, b in arcs], dtype=np.int64)
    base = np.array([[draw(st.integers(0, 4)) * scale for _ in arcs] for _ in range(n_tiers)], dtype=np.int64)
    return n, tail, head, base + pi[:, tail] - pi[:, head]


def _reference_distances(
    n: int, tail: np.ndarray, head: np.ndarray, costs: np.ndarray, target: int
) -> dict[int, tuple[int, ...]]:
    """Plain Bellman-Ford on Python tuples (compared lexicographically), toward the target."""
    best: dict[int, tuple[int, ...]] = {target: (0,) * costs.shape[0]}
    for _ in range(n):
        for k, (a, b) in enumerate(zip(tail.tolist(), head.tolist(), strict=True)):
            if b in best:
                candidate = tuple(int(c) + d for c, d in zip(costs[:, k].tolist(), best[b], strict=True))
                if a not in best or candidate < best[a]:
                    best[a] = candidate
    return best


@settings(max_examples=300, deadline=None)
@given(residual_like())
def test_shortest_distances_to_the_sink_match_plain_bellman_ford(case: tuple[int, np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Both the packed search (one integer per cost vector, when the costs fit) and the tier-by-tier search give the
    lexicographic shortest distances of a plain Bellman-Ford, and the same set of nodes that reach the target."""
    n, tail, head, costs = case
    expected = _reference_distances(n, tail, head, costs, target=1 % n)
    widths = _packing(n, costs)
    answers = [_tiered_distances(n, tail, head, costs, 1 % n), lexicographic_distances(n, tail, head, costs, 1 % n)]
    if widths is not None:  # large costs in three tiers do not pack; then only the tier-by-tier search runs
        answers.append(_packed_distances(n, tail, head, costs, 1 % n, widths))
    for distance, reached in answers:
        assert set(np.flatnonzero(reached).tolist()) == set(expected)
        for node, value in expected.items():
            assert tuple(distance[node].tolist()) == value


def test_costs_too_large_to_pack_take_the_tier_by_tier_search() -> None:
    """With costs near 2**40 in three tiers the packed integer would overflow; the tier-by-tier answer is exact."""
    big = 2**40
    tail, head = np.array([0, 2, 0]), np.array([2, 1, 1])
    costs = np.array([[big, 0, big], [-big, big, big], [1, 1, 3]], dtype=np.int64)
    assert _packing(3, costs) is None
    distance, reached = lexicographic_distances(3, tail, head, costs, target=1)
    assert reached.tolist() == [True, True, True]
    assert distance[0].tolist() == [big, 0, 2]
