"""From a checked instance to chosen pairs: the optimiser and the FIFO baseline.

The optimiser honours the fixed pairs first, splits what is left into independent
components (households, units and capped neighbourhoods that share no eligible pair),
solves every component that is a network flow with the exact lexicographic flow solver,
and gives the rest (shared places with mixed household sizes: knapsack constraints) to
CP-SAT. After the policy's tiers one more tier breaks ties: it maximises a pseudo-random
score per pair derived from the seed and the two ids, so that among equally good
proposals the same one is returned on every run, whichever solver handled a component.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher import cpsat, flow
from matcher.eligibility import (
    RULES,
    Codes,
    Households,
    IntArray,
    PairSet,
    Units,
    eligible_pairs,
    encode,
    rule_masks,
)
from matcher.errors import InputError, ProblemCollector
from matcher.instance import Instance
from matcher.terms import PreferredIndex, preferred_index, tier_weights

log = logging.getLogger(__name__)

TIE_BREAK_BITS = 20


@dataclass(frozen=True)
class Prepared:
    """An instance with its eligible pairs and the per-pair value of every tier."""

    instance: Instance
    households: Households
    units: Units
    codes: Codes
    pairs: PairSet
    preferred: PreferredIndex
    tiers: list[IntArray]
    tie_break: IntArray
    fixed: IntArray  # positions in pairs of the fixed pairs
    build_s: float

    @property
    def n_pairs(self) -> int:
        return len(self.pairs.household)


@dataclass
class Solution:
    """Chosen pairs (positions into Prepared.pairs) and an honest report of the solve."""

    chosen: IntArray
    tier_values: list[int]
    tier_bounds: list[int | None]
    status: str
    method: str
    build_s: float
    solve_s: float
    components: int = 0
    cpsat_components: int = 0
    notes: list[str] = field(default_factory=list)


def _id_hash(ids: list[str], seed: int, salt: bytes) -> npt.NDArray[np.uint64]:
    values = [
        int.from_bytes(
            hashlib.blake2b(salt + i.encode("utf-8"), digest_size=8, key=seed.to_bytes(8, "little")).digest(), "little"
        )
        for i in ids
    ]
    return np.array(values, dtype=np.uint64)


def tie_break_scores(household: IntArray, unit: IntArray, h: Households, u: Units, seed: int) -> IntArray:
    """A score per pair in [1, 2^20], a fixed function of the seed and the two ids."""
    rh = _id_hash(h.ids, seed, b"h")[household]
    ru = _id_hash(u.ids, seed, b"u")[unit]
    with np.errstate(over="ignore"):
        z = rh ^ (ru * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    scores: IntArray = (z >> np.uint64(64 - TIE_BREAK_BITS)).astype(np.int64) + 1
    return scores


def prepare(instance: Instance) -> Prepared:
    """Encode, find the eligible pairs, value them per tier, and check the fixed pairs."""
    started = time.perf_counter()
    h, u, codes = encode(instance)
    pairs = eligible_pairs(h, u, instance.policy)
    preferred = preferred_index(list(instance.households["preferred_neighbourhoods"]), codes.neighbourhoods)
    tiers = tier_weights(instance.policy, pairs.household, pairs.unit, h, u, preferred)
    tie = tie_break_scores(pairs.household, pairs.unit, h, u, instance.policy.seed)
    fixed = _check_fixed_pairs(instance, h, u, codes, pairs)
    return Prepared(instance, h, u, codes, pairs, preferred, tiers, tie, fixed, time.perf_counter() - started)


def first_failing_rule(h: Households, u: Units, instance: Instance, hi: int, ui: int) -> str | None:
    masks = rule_masks(h, u, instance.policy, np.array([hi]), np.array([ui]))
    for (rule_id, _), mask in zip(RULES, masks, strict=True):
        if not bool(mask[0, 0]):
            return rule_id
    if (h.ids[hi], u.ids[ui]) in set(instance.policy.excluded_pairs):
        return "E9"
    return None


def _check_fixed_pairs(instance: Instance, h: Households, u: Units, codes: Codes, pairs: PairSet) -> IntArray:
    """A5: every fixed pair must be eligible and the fixed pairs together must fit."""
    policy = instance.policy
    if not policy.fixed_pairs:
        return np.zeros(0, dtype=np.int64)
    source, column = instance.policy_source, "fixed_pairs"
    problems = ProblemCollector()
    h_index = {hid: i for i, hid in enumerate(h.ids)}
    u_index = {uid: i for i, uid in enumerate(u.ids)}
    n_units = max(len(u.ids), 1)
    pair_code = pairs.household * n_units + pairs.unit
    positions: list[int] = []
    seen_household: dict[int, int] = {}
    unit_load: dict[int, int] = {}
    unit_first: dict[int, int] = {}
    nbh_load: dict[int, int] = {}
    for item, (hid, uid) in enumerate(policy.fixed_pairs, start=1):
        hi, ui = h_index[hid], u_index[uid]
        where = f"item {item} [{hid}, {uid}]"
        found = np.flatnonzero(pair_code == hi * n_units + ui)
        if len(found) == 0:
            rule = first_failing_rule(h, u, instance, hi, ui)
            problems.add(source, f"{where}: the pair breaks rule {rule} and cannot be fixed", column=column)
            continue
        if hi in seen_household:
            problems.add(source, f"{where}: household {hid} is already fixed in item {seen_household[hi]} (A1)", column=column)
            continue
        seen_household[hi] = item
        if u.shared[ui]:
            unit_load[ui] = unit_load.get(ui, 0) + int(h.persons[hi])
            if unit_load[ui] > u.beds[ui]:
                problems.add(
                    source,
                    f"{where}: shared unit {uid} would hold {unit_load[ui]} persons in {u.beds[ui]} beds (A3)",
                    column=column,
                )
                continue
        elif ui in unit_first:
            problems.add(
                source,
                f"{where}: unit {uid} is already fixed to another household in item {unit_first[ui]} (A2)",
                column=column,
            )
            continue
        unit_first.setdefault(ui, item)
        nbh = int(u.neighbourhood[ui])
        name = codes.neighbourhoods[nbh]
        nbh_load[nbh] = nbh_load.get(nbh, 0) + 1
        if name in policy.neighbourhood_caps and nbh_load[nbh] > policy.neighbourhood_caps[name]:
            problems.add(
                source,
                f"{where}: neighbourhood {name} would exceed its cap of {policy.neighbourhood_caps[name]} (A4)",
                column=column,
            )
            continue
        positions.append(int(found[0]))
    problems.raise_if_any()
    return np.array(sorted(positions), dtype=np.int64)


@dataclass(frozen=True)
class Residual:
    """What is left to decide after the fixed pairs: open pairs and remaining capacities."""

    open_pairs: IntArray  # positions into Prepared.pairs
    unit_capacity_persons: IntArray  # beds left (shared) or 1/0 (non-shared)
    neighbourhood_cap_left: IntArray  # per neighbourhood code, -1: uncapped


def residual(prep: Prepared) -> Residual:
    h, u, pairs, policy = prep.households, prep.units, prep.pairs, prep.instance.policy
    n_nbh = len(prep.codes.neighbourhoods)
    cap_left = np.full(n_nbh, -1, dtype=np.int64)
    for name, cap in policy.neighbourhood_caps.items():
        if name in prep.codes.neighbourhoods:
            cap_left[prep.codes.neighbourhoods.index(name)] = cap
    unit_left = np.where(u.shared, u.beds, 1).astype(np.int64)
    household_done = np.zeros(len(h.ids), dtype=bool)
    for position in prep.fixed:
        hi, ui = int(pairs.household[position]), int(pairs.unit[position])
        household_done[hi] = True
        unit_left[ui] -= int(h.persons[hi]) if u.shared[ui] else 1
        nbh = int(u.neighbourhood[ui])
        if cap_left[nbh] >= 0:
            cap_left[nbh] -= 1
    need = np.where(u.shared[pairs.unit], h.persons[pairs.household], 1)
    nbh_of_pair = u.neighbourhood[pairs.unit]
    keep = ~household_done[pairs.household] & (need <= unit_left[pairs.unit]) & (cap_left[nbh_of_pair] != 0)
    return Residual(np.flatnonzero(keep).astype(np.int64), unit_left, cap_left)


def _components(prep: Prepared, res: Residual) -> tuple[IntArray, int]:
    """Label every open pair with its component (networkx would do; scipy scales to millions)."""
    h, u = prep.pairs.household[res.open_pairs], prep.pairs.unit[res.open_pairs]
    n_h, n_u, n_nb = len(prep.households.ids), len(prep.units.ids), len(prep.codes.neighbourhoods)
    capped_unit = np.flatnonzero(res.neighbourhood_cap_left[prep.units.neighbourhood] >= 0)
    rows = np.concatenate((h, n_h + capped_unit))
    cols = np.concatenate((n_h + u, n_h + n_u + prep.units.neighbourhood[capped_unit]))
    size = n_h + n_u + n_nb
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    return labels[h].astype(np.int64), int(count)


def _shared_units_needing_cpsat(prep: Prepared, res: Residual) -> tuple[set[int], dict[int, int]]:
    """Shared units whose bed limit is a knapsack, and flow capacities for the others."""
    u, h = prep.units, prep.households
    hh, uu = prep.pairs.household[res.open_pairs], prep.pairs.unit[res.open_pairs]
    shared = u.shared[uu]
    frame = pd.DataFrame({"unit": uu[shared], "persons": h.persons[hh[shared]]})
    knapsack: set[int] = set()
    capacity: dict[int, int] = {}
    if frame.empty:
        return knapsack, capacity
    stats = frame.groupby("unit")["persons"].agg(["min", "max", "sum", "count"])
    for unit, low, high, total, count in zip(
        stats.index.to_numpy(), stats["min"], stats["max"], stats["sum"], stats["count"], strict=True
    ):
        beds = int(res.unit_capacity_persons[int(unit)])
        if total <= beds:
            capacity[int(unit)] = int(count)
        elif low == high:
            capacity[int(unit)] = beds // int(low)
        else:
            knapsack.add(int(unit))
    return knapsack, capacity


def optimise(prep: Prepared, engine: str = "auto") -> Solution:
    """The lexicographically optimal proposal (or the best found within the time limit).

    ``engine="cpsat"`` sends every component to CP-SAT; tests and benchmarks use it to
    check the flow solver against an independent model.
    """
    started = time.perf_counter()
    policy = prep.instance.policy
    deadline = time.monotonic() + policy.time_limit_s
    res = residual(prep)
    labels, n_components = _components(prep, res)
    knapsack_units, shared_capacity = _shared_units_needing_cpsat(prep, res)
    open_units = prep.pairs.unit[res.open_pairs]
    if engine == "cpsat":
        cp_labels = np.unique(labels)
    else:
        cp_labels = np.unique(labels[np.isin(open_units, np.array(sorted(knapsack_units), dtype=np.int64))])
    on_cpsat = np.isin(labels, cp_labels)
    all_tiers = [*prep.tiers, prep.tie_break]
    n_tiers = len(prep.tiers)
    values_gap = np.zeros(n_tiers, dtype=np.int64)
    chosen_parts: list[IntArray] = [prep.fixed]
    optimal = True

    flow_pairs = res.open_pairs[~on_cpsat]
    if len(flow_pairs):
        chosen_parts.append(_solve_flow(prep, res, flow_pairs, shared_capacity, all_tiers))
    for label in cp_labels:
        positions = res.open_pairs[labels == label]
        component = _component(prep, res, positions, all_tiers)
        result = cpsat.solve_component(component, policy.seed, deadline)
        chosen_parts.append(positions[result.chosen])
        for k in range(n_tiers):
            tier = result.tiers[k]
            values_gap[k] += tier.bound - tier.value
            optimal = optimal and tier.optimal
    chosen = np.sort(np.concatenate(chosen_parts)).astype(np.int64)
    values = [int(t[chosen].sum()) for t in prep.tiers]
    bounds: list[int | None] = [v + int(g) for v, g in zip(values, values_gap, strict=True)]
    method = "min-cost-flow" if len(cp_labels) == 0 else ("cp-sat" if len(flow_pairs) == 0 else "min-cost-flow+cp-sat")
    return Solution(
        chosen=chosen,
        tier_values=values,
        tier_bounds=bounds,
        status="optimal" if optimal else "feasible",
        method=method,
        build_s=prep.build_s,
        solve_s=time.perf_counter() - started,
        components=n_components,
        cpsat_components=len(cp_labels),
    )


def _solve_flow(
    prep: Prepared, res: Residual, positions: IntArray, shared_capacity: dict[int, int], tiers: list[IntArray]
) -> IntArray:
    u = prep.units
    hh, uu = prep.pairs.household[positions], prep.pairs.unit[positions]
    households, h_local = np.unique(hh, return_inverse=True)
    units, u_local = np.unique(uu, return_inverse=True)
    unit_nbh = u.neighbourhood[units]
    capped = res.neighbourhood_cap_left[unit_nbh] >= 0
    nbhs, nbh_local = np.unique(unit_nbh[capped], return_inverse=True)
    n_h, n_u = len(households), len(units)
    h_node = 2 + np.arange(n_h)
    u_node = 2 + n_h + np.arange(n_u)
    nb_node = 2 + n_h + n_u + np.arange(len(nbhs))
    unit_cap = np.array([shared_capacity.get(int(x), 0) if u.shared[x] else 1 for x in units], dtype=np.int64)
    unit_head = np.ones(n_u, dtype=np.int64)
    unit_head[capped] = nb_node[nbh_local]
    tail = np.concatenate(([0], np.zeros(n_h, np.int64), h_node[h_local], u_node, nb_node))
    head = np.concatenate(([1], h_node, u_node[u_local], unit_head, np.ones(len(nbhs), np.int64)))
    capacity = np.concatenate(
        ([n_h], np.ones(n_h, np.int64), np.ones(len(positions), np.int64), unit_cap, res.neighbourhood_cap_left[nbhs])
    ).astype(np.int64)
    n_nodes = 2 + n_h + n_u + len(nbhs)
    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[0], supply[1] = n_h, -n_h
    first_pair = 1 + n_h
    costs = []
    for weights in tiers:
        cost = np.zeros(len(tail), dtype=np.int64)
        cost[first_pair : first_pair + len(positions)] = -weights[positions]
        costs.append(cost)
    network = flow.Network(n_nodes, tail.astype(np.int64), head.astype(np.int64), capacity, supply)
    flows = flow.lexicographic(network, costs)
    used = flows[first_pair : first_pair + len(positions)] > 0
    return positions[used]


def _component(prep: Prepared, res: Residual, positions: IntArray, tiers: list[IntArray]) -> cpsat.Component:
    u, h = prep.units, prep.households
    hh, uu = prep.pairs.household[positions], prep.pairs.unit[positions]
    caps: list[tuple[IntArray, int]] = []
    nbh = u.neighbourhood[uu]
    for code in np.unique(nbh):
        cap = int(res.neighbourhood_cap_left[code])
        if cap >= 0:
            caps.append((np.flatnonzero(nbh == code), cap))
    shared_units = {int(x) for x in np.unique(uu) if u.shared[x]}
    return cpsat.Component(
        pair_household=hh,
        pair_unit=uu,
        persons=h.persons[hh],
        unit_capacity={},
        unit_beds={x: int(res.unit_capacity_persons[x]) for x in shared_units},
        neighbourhood_caps=caps,
        tiers=[t[positions] for t in tiers],
    )


def fifo(prep: Prepared) -> Solution:
    """Baseline: oldest koppeling first takes the first eligible unit still free.

    Households are worked in order of koppeling_date (then id); units in order of
    available_from (then id), as a vacancy list is read. Fixed pairs come first.
    """
    started = time.perf_counter()
    res = residual(prep)
    h, u, pairs = prep.households, prep.units, prep.pairs
    hh = pairs.household[res.open_pairs]
    uu = pairs.unit[res.open_pairs]
    frame = prep.instance.households
    household_rank = np.lexsort((np.arange(len(frame)), pd.to_datetime(frame["koppeling_date"]).to_numpy()))
    rank_of_household = np.empty(len(frame), dtype=np.int64)
    rank_of_household[household_rank] = np.arange(len(frame))
    units = prep.instance.units
    unit_rank = np.lexsort((np.arange(len(units)), pd.to_datetime(units["available_from"]).to_numpy()))
    rank_of_unit = np.empty(len(units), dtype=np.int64)
    rank_of_unit[unit_rank] = np.arange(len(units))
    order = np.lexsort((rank_of_unit[uu], rank_of_household[hh]))
    unit_left = res.unit_capacity_persons.copy()
    cap_left = res.neighbourhood_cap_left.copy()
    placed = np.zeros(len(h.ids), dtype=bool)
    chosen: list[int] = list(prep.fixed)
    for index in order:
        hi, ui = int(hh[index]), int(uu[index])
        if placed[hi]:
            continue
        need = int(h.persons[hi]) if u.shared[ui] else 1
        nbh = int(u.neighbourhood[ui])
        if unit_left[ui] < need or cap_left[nbh] == 0:
            continue
        placed[hi] = True
        unit_left[ui] -= need
        if cap_left[nbh] > 0:
            cap_left[nbh] -= 1
        chosen.append(int(res.open_pairs[index]))
    chosen_array = np.array(sorted(chosen), dtype=np.int64)
    values = [int(t[chosen_array].sum()) for t in prep.tiers]
    return Solution(
        chosen=chosen_array,
        tier_values=values,
        tier_bounds=[None] * len(values),  # a heuristic proves no bound
        status="feasible",
        method="fifo",
        build_s=prep.build_s,
        solve_s=time.perf_counter() - started,
    )


def solve(instance: Instance, strategy: str = "optimise", engine: str = "auto") -> tuple[Prepared, Solution]:
    """Prepare and solve; raises InputError for fixed pairs that break a rule."""
    prep = prepare(instance)
    if strategy == "fifo":
        return prep, fifo(prep)
    if strategy != "optimise":
        raise InputError.single("strategy", f"unknown strategy {strategy!r}; expected optimise or fifo")
    return prep, optimise(prep, engine)
