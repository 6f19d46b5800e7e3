"""The lexicographic min-cost flow on its own: exact against enumeration on small assignment networks."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.flow import Network, lexicographic, potentials


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
