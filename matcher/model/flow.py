"""Lexicographic min-cost flow: the exact solver for the network-structured part.

With shared places holding one household size each, the weekly matching is a network
flow: source -> household -> unit -> (capped neighbourhood) -> sink, with a bypass arc
for households left unplaced. A lexicographic objective is solved tier by tier without
leaving the network: after each tier, optimal node potentials are computed on the
residual graph, and every arc with a non-zero reduced cost is fixed (at zero or at its
capacity). By complementary slackness every optimal flow agrees with those fixings, so
the arcs left free describe exactly the set of flows optimal for all tiers so far, and
the next tier is again a plain min-cost flow on them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from matcher.rules.arrays import IntArray

log = logging.getLogger(__name__)


class FlowError(RuntimeError):
    """The flow solver did not return an optimum (a defect, never an input problem)."""


@dataclass(frozen=True)
class Network:
    """Arcs as parallel arrays; node 0 is the source, node 1 the sink."""

    n_nodes: int
    tail: IntArray
    head: IntArray
    capacity: IntArray
    supply: IntArray


def _solve(net: Network, active: IntArray, cost: IntArray, supply: IntArray) -> IntArray:
    solver = min_cost_flow.SimpleMinCostFlow()
    if len(active):
        solver.add_arcs_with_capacity_and_unit_cost(net.tail[active], net.head[active], net.capacity[active], cost[active])
    nodes = np.arange(net.n_nodes, dtype=np.int64)
    solver.set_nodes_supplies(nodes, supply)
    # Make sure every node exists in the solver even when it has no arc.
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise FlowError(f"min-cost flow returned {status}")
    flows = np.asarray(solver.flows(np.arange(len(active), dtype=np.int64)), dtype=np.int64)
    return flows


def potentials(n_nodes: int, tail: IntArray, head: IntArray, cost: IntArray) -> IntArray:
    """Shortest distances from a virtual root (0-cost arcs to all) on a graph without negative cycles.

    Frontier Bellman-Ford: each round relaxes only the arcs leaving nodes whose distance
    changed in the previous round, vectorised with numpy.
    """
    distance = np.zeros(n_nodes, dtype=np.int64)
    if len(tail) == 0:
        return distance
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    start = np.searchsorted(tail, np.arange(n_nodes + 1))
    frontier = np.unique(tail)
    for _ in range(n_nodes + 1):
        counts = start[frontier + 1] - start[frontier]
        if counts.sum() == 0:
            return distance
        arc = np.repeat(start[frontier], counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        candidate = distance[tail[arc]] + cost[arc]
        better = candidate < distance[head[arc]]
        if not better.any():
            return distance
        targets, values = head[arc][better], candidate[better]
        np.minimum.at(distance, targets, values)
        frontier = np.unique(targets)
    raise FlowError("negative cycle in an optimal residual graph")


def lexicographic(net: Network, tier_costs: list[IntArray]) -> IntArray:
    """Flow on every arc that is optimal for tier 1, then tier 2 among those, and so on.

    ``tier_costs`` are costs to minimise (negated values), one array over all arcs per tier.
    """
    n_arcs = len(net.tail)
    fixed_flow = np.zeros(n_arcs, dtype=np.int64)
    active = np.arange(n_arcs, dtype=np.int64)
    supply = net.supply.copy()
    flow_active = np.zeros(0, dtype=np.int64)
    for index, cost in enumerate(tier_costs):
        flow_active = _solve(net, active, cost, supply)
        if index == len(tier_costs) - 1:
            break
        t, h, c, cap = net.tail[active], net.head[active], cost[active], net.capacity[active]
        forward = flow_active < cap
        backward = flow_active > 0
        pi = potentials(
            net.n_nodes,
            np.concatenate((t[forward], h[backward])),
            np.concatenate((h[forward], t[backward])),
            np.concatenate((c[forward], -c[backward])),
        )
        reduced = c + pi[t] - pi[h]
        at_capacity = reduced < 0
        free = reduced == 0
        arcs_full = active[at_capacity]
        fixed_flow[arcs_full] = net.capacity[arcs_full]
        np.subtract.at(supply, net.tail[arcs_full], net.capacity[arcs_full])
        np.add.at(supply, net.head[arcs_full], net.capacity[arcs_full])
        log.debug(
            "tier %d: %d arcs fixed empty, %d fixed full, %d free",
            index + 1,
            int((reduced > 0).sum()),
            int(at_capacity.sum()),
            int(free.sum()),
        )
        active = active[free]
    total = fixed_flow
    total[active] += flow_active
    return total


def lexicographic_distances(
    n_nodes: int, tail: IntArray, head: IntArray, costs: IntArray, target: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Shortest distance from every node to ``target``, costs compared lexicographically.

    ``costs`` has one row per tier. Bellman-Ford works over any ordered group, so it works
    over cost vectors in lexicographic order; the graph must have no negative cycle (the
    residual graph of a lexicographically optimal flow has none). Returns the distances
    (nodes x tiers) and which nodes reach the target at all.
    """
    widths = _packing(n_nodes, costs)
    if widths is not None:
        return _packed_distances(n_nodes, tail, head, costs, target, widths)
    return _tiered_distances(n_nodes, tail, head, costs, target)


Relax = Callable[[IntArray, npt.NDArray[np.bool_]], tuple[IntArray, IntArray]]


def _frontier_search(n_nodes: int, head: IntArray, target: int, distance: IntArray, relax: Relax) -> npt.NDArray[np.bool_]:
    """Bellman-Ford toward ``target`` that relaxes only the arcs into nodes whose distance changed.

    ``relax(arcs, reached)`` returns the tails that improve and their new distances;
    ``distance`` is updated in place. Returns which nodes reach the target.
    """
    reached = np.zeros(n_nodes, dtype=bool)
    reached[target] = True
    frontier = np.array([target], dtype=np.int64)
    by_head = np.argsort(head, kind="stable")
    first_arc = np.searchsorted(head[by_head], np.arange(n_nodes + 1))
    for _ in range(n_nodes + 1):
        # The arcs into the frontier, gathered from the arcs sorted by head.
        begin, count = first_arc[frontier], first_arc[frontier + 1] - first_arc[frontier]
        offsets = np.repeat(begin - np.r_[0, np.cumsum(count)[:-1]], count)
        arcs = by_head[offsets + np.arange(int(count.sum()))]
        if len(arcs) == 0:
            return reached
        nodes, best = relax(arcs, reached)
        if len(nodes) == 0:
            return reached
        distance[nodes] = best
        reached[nodes] = True
        frontier = nodes
    raise FlowError("negative cycle in an optimal residual graph")


def _scalar_relax(n_nodes: int, tail: IntArray, head: IntArray, cost: IntArray, distance: IntArray) -> Relax:
    """Relaxation with one integer cost per arc: each tail takes its cheapest arc into the frontier."""

    def relax(arcs: IntArray, reached: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
        source = tail[arcs]
        candidate = cost[arcs] + distance[head[arcs]]
        better = ~reached[source] | (candidate < distance[source])
        source, candidate = source[better], candidate[better]
        best = np.full(n_nodes, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, source, candidate)
        nodes = np.unique(source)
        return nodes, best[nodes]

    return relax


def _tiered_distances(
    n_nodes: int, tail: IntArray, head: IntArray, costs: IntArray, target: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """``lexicographic_distances`` one tier at a time, for costs too large to pack into one integer.

    A lexicographically shortest path is shortest in tier 1, so it uses only arcs that are
    tight in tier 1 (distance at the tail = cost + distance at the head); among those it is
    shortest in tier 2, and so on. A cycle of tight arcs costs nothing in the tiers before,
    so without a lexicographically negative cycle there is none in the tier searched.
    """
    distance = np.zeros((n_nodes, costs.shape[0]), dtype=np.int64)
    arcs = np.arange(len(tail))
    reached = np.zeros(n_nodes, dtype=bool)
    for tier, row in enumerate(costs):
        t, h, c = tail[arcs], head[arcs], row[arcs]
        d = np.zeros(n_nodes, dtype=np.int64)
        reached_now = _frontier_search(n_nodes, h, target, d, _scalar_relax(n_nodes, t, h, c, d))
        if tier == 0:
            reached = reached_now
        distance[:, tier] = np.where(reached, d, 0)
        arcs = arcs[reached_now[t] & reached_now[h] & (d[t] == c + d[h])]
    return distance, reached


def _packing(n_nodes: int, costs: IntArray) -> list[int] | None:
    """Per tier, the half-width of the range its path costs can take, if all tiers fit in one int64.

    Any value the search stores is the cost of a walk of at most ``n_nodes + 2`` arcs, so
    tier k stays within ``(n_nodes + 2) * max|cost_k|``. Written in mixed radix (tier 1
    most significant, each digit shifted to be non-negative), one integer compares like
    the cost vector compares lexicographically. None when the packed value could overflow.
    """
    if costs.shape[1] == 0:
        return None
    widths = [(n_nodes + 2) * int(np.abs(row).max()) for row in costs]
    total = 0
    for width in widths:
        total = total * (2 * width + 1) + width
    return widths if total < 2**62 else None


def _pack(values: IntArray, widths: list[int]) -> IntArray:
    """Vectors (tiers x n) as one int64 each, in the mixed radix of ``_packing`` (digits may be negative)."""
    packed = np.zeros(values.shape[1], dtype=np.int64)
    for row, width in zip(values, widths, strict=True):
        packed = packed * (2 * width + 1) + row
    return packed


def _unpack(packed: IntArray, widths: list[int]) -> IntArray:
    """The inverse of ``_pack``: each digit back in [-width, width]."""
    rows = []
    rest = packed.copy()
    for width in reversed(widths):
        base = 2 * width + 1
        digit = (rest + width) % base - width
        rows.append(digit)
        rest = (rest - digit) // base
    return np.stack(rows[::-1], axis=1)


def _packed_distances(
    n_nodes: int, tail: IntArray, head: IntArray, costs: IntArray, target: int, widths: list[int]
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """``lexicographic_distances`` with each cost vector packed into one integer: the same answer, with
    scalar comparisons instead of lexicographic sorts."""
    cost = _pack(costs, widths)
    distance = np.zeros(n_nodes, dtype=np.int64)
    relax = _scalar_relax(n_nodes, tail, head, cost, distance)
    reached = _frontier_search(n_nodes, head, target, distance, relax)
    return np.where(reached[:, None], _unpack(distance, widths), 0), reached
