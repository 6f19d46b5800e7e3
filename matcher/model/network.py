"""The aggregated flow network: households -> profiles -> unit classes -> unit profiles -> units.

A pair's value in a tier splits into a household part, a unit part, a part that depends
only on the two profiles (underoccupancy, own municipality, look-ahead) and the preferred-
neighbourhood bonus. So households need not connect to every eligible unit: each
household connects to its profile node, a profile node to every eligible unit profile,
a unit profile to its units. On a large week a profile node connects to unit classes
instead (the unit profiles that differ only in their wijk), a class to its unit profiles,
and household profiles alike for every unit profile and every profile-pair term share
one node. Households with preferences reach their preferred
neighbourhoods through extra (profile, neighbourhood) nodes that carry the bonus. A
household with an excluded pair (or with preferences under a negative preferred weight)
keeps explicit arcs to its units. At national scale this turns ~30 million pair arcs
into under a million.

After the lexicographic flow, the flow is split back into pairs deterministically: each
middle node, in node order, passes the households that reached it, in id order, to its
arcs in order of their head. Every such split has the same value in every tier, because
within a profile node all households are interchangeable for every term the network does
not carry on their own arcs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.input.policy import Policy
from matcher.model import flow
from matcher.model.terms import PreferredIndex, term_values
from matcher.rules.arrays import Households, IntArray, Units
from matcher.rules.eligibility import UNIT_PROFILE, group_rows
from matcher.rules.structure import Structure

HOUSEHOLD_TERMS = (
    "placed_households",
    "placed_persons",
    "waiting_days",
    "overdue",
    "vulnerable",
    "move_on",
    "long_wait",
    "long_wait_days",
    "single_woman",
    "single_parent",
)
UNIT_TERMS = ("temporary",)
PROFILE_TERMS = ("underoccupancy", "own_municipality", "lookahead")
# The unit fields the profile terms read (the look-ahead reads its own unit classes, see lookahead.py).
PROFILE_UNIT_FIELDS = ("max_occupants", "shared", "municipality")
PROFILE_HOUSEHOLD_FIELDS = ("future", "municipality")
# Above this many (household profile, unit profile) cells a week shares nodes between alike profiles.
# That changes which of equally good households takes which of equally good homes (never a tier
# value), so weeks below it keep one node per profile and the answers they always had.
_AGGREGATE_ABOVE = 2_000_000


@dataclass(frozen=True)
class TierParts:
    """One tier's weights split by what they depend on."""

    household: IntArray  # per household
    unit: IntArray  # per unit
    weights: dict[str, int]

    @property
    def preferred(self) -> int:
        return self.weights.get("preferred", 0)


def tier_parts(policy: Policy, h: Households, u: Units, preferred: PreferredIndex) -> list[TierParts]:
    """Split every tier into its household part and unit part (the rest is per profile pair)."""
    all_h = np.arange(len(h.ids), dtype=np.int64)
    all_u = np.arange(len(u.ids), dtype=np.int64)
    # Household terms never read the unit index and unit terms never the household index.
    zeros_h = np.zeros(len(h.ids), dtype=np.int64)
    zeros_u = np.zeros(len(u.ids), dtype=np.int64)
    parts = []
    for tier in policy.objective:
        hp = np.zeros(len(h.ids), dtype=np.int64)
        up = np.zeros(len(u.ids), dtype=np.int64)
        for term, weight in tier.items():
            if term in HOUSEHOLD_TERMS:
                hp += weight * term_values(term, all_h, zeros_h, h, u, policy, preferred)
            elif term in UNIT_TERMS:
                up += weight * term_values(term, zeros_u, all_u, h, u, policy, preferred)
        parts.append(TierParts(hp, up, dict(tier)))
    return parts


def profile_pair_values(
    parts: TierParts, h_rep: IntArray, u_rep: IntArray, h: Households, u: Units, policy: Policy, preferred: PreferredIndex
) -> IntArray:
    """The profile-dependent part of a tier for representative pairs."""
    total = np.zeros(len(h_rep), dtype=np.int64)
    for term in PROFILE_TERMS:
        weight = parts.weights.get(term, 0)
        if weight:
            total += weight * term_values(term, h_rep, u_rep, h, u, policy, preferred)
    return total


@dataclass
class _Arcs:
    tail: list[npt.NDArray[np.int64]]
    head: list[npt.NDArray[np.int64]]
    capacity: list[npt.NDArray[np.int64]]
    costs: list[list[npt.NDArray[np.int64]]]  # per block, per tier

    def add(self, tail: IntArray, head: IntArray, capacity: IntArray, costs: list[IntArray]) -> int:
        start = sum(len(t) for t in self.tail)
        self.tail.append(tail.astype(np.int64))
        self.head.append(head.astype(np.int64))
        self.capacity.append(capacity.astype(np.int64))
        self.costs.append([c.astype(np.int64) for c in costs])
        return start


def solve_aggregated(
    households: IntArray,
    units: IntArray,
    unit_capacity: IntArray,
    cap_left: IntArray,
    structure: Structure,
    parts: list[TierParts],
    tie_h: IntArray,
    tie_u: IntArray,
    h: Households,
    u: Units,
    policy: Policy,
    preferred: PreferredIndex,
    preference_lists: list[tuple[int, ...]],
    previous_unit: IntArray | None = None,
    keep: list[FlowState] | None = None,
) -> tuple[IntArray, IntArray]:
    """Lexicographically optimal pairs among the given households and units (flow part).

    With ``previous_unit`` (per household, the unit of its previous pair or -1) a
    stability tier after the policy's tiers keeps as many previous pairs as possible: a
    household with a previous pair gets a direct arc to that unit, with the same value
    in every policy tier as the way through the profiles, plus one in the stability tier.

    A list given as ``keep`` receives the solved network (see ``forced_differences``).
    """
    if len(households) == 0 or len(units) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    # Built in its own function, so its working arrays are freed before the solver runs.
    net, costs, h_node, u_node = _build_network(
        households, units, unit_capacity, cap_left, structure, parts, tie_h, tie_u, h, u, policy, preferred,
        preference_lists, previous_unit,
    )  # fmt: skip
    flows = flow.lexicographic(net, costs)
    if keep is not None:
        keep.append(
            FlowState(net.n_nodes, net.tail, net.head, net.capacity, np.array(costs[: len(parts)]), flows, h_node, households)
        )
    return _decompose(net.tail, net.head, flows, h_node, u_node, households, units)


def _build_network(
    households: IntArray,
    units: IntArray,
    unit_capacity: IntArray,
    cap_left: IntArray,
    structure: Structure,
    parts: list[TierParts],
    tie_h: IntArray,
    tie_u: IntArray,
    h: Households,
    u: Units,
    policy: Policy,
    preferred: PreferredIndex,
    preference_lists: list[tuple[int, ...]],
    previous_unit: IntArray | None = None,
) -> tuple[flow.Network, list[IntArray], IntArray, IntArray]:
    """The aggregated network: arcs, costs per tier (policy tiers, stability, tie-break), household and unit nodes."""
    stable = previous_unit is not None
    n_tiers = len(parts) + 1 + stable  # the tie-break is the last tier
    negative_preferred = any(p.preferred < 0 for p in parts)
    excluded = set(structure.excluded_household.tolist())
    has_pref = np.array([bool(preference_lists[x]) for x in households], dtype=bool)
    special = np.array([x in excluded for x in households], dtype=bool)
    if negative_preferred:
        special |= has_pref

    n_h, n_u = len(households), len(units)
    hp = structure.household_profile[households]
    up = structure.unit_profile[units]
    p_codes, p_local = np.unique(hp[~special], return_inverse=True)
    q_codes, q_local = np.unique(up, return_inverse=True)
    # Household profiles alike for every unit profile share one node (see ``_household_groups``).
    # A large week shares nodes between household profiles alike for every unit profile (see
    # ``_household_groups``) and between unit profiles that differ only in their wijk (``_unit_classes``).
    aggregate = len(p_codes) * len(q_codes) > _AGGREGATE_ABOVE
    if aggregate:
        g_of_p, g_first = _household_groups(structure, h, preferred, p_codes, q_codes)
        p_codes, p_local = p_codes[g_first], g_of_p[p_local.reshape(-1)]
    unit_nbh = u.neighbourhood[units]
    capped = cap_left[unit_nbh] >= 0
    nb_codes, nb_local = np.unique(unit_nbh[capped], return_inverse=True)
    q_nbh = u.neighbourhood[structure.unit_rep[q_codes]]

    # Node numbering.
    h_node = 2 + np.arange(n_h)
    p_node = 2 + n_h + np.arange(len(p_codes))
    next_node = 2 + n_h + len(p_codes)
    non_special = np.flatnonzero(~special)
    p_of_h = np.full(n_h, -1, dtype=np.int64)
    p_of_h[non_special] = p_local.reshape(-1)
    # Unit profiles that differ only in their wijk form a class; eligibility per (profile, class).
    sub = structure.eligible[np.ix_(p_codes, q_codes)]
    if aggregate:
        c_of_q, c_first = _unit_classes(structure, u, preferred, q_codes, sub)
    else:
        c_of_q = c_first = np.arange(len(q_codes), dtype=np.int64)
    classes = len(c_first) < len(q_codes)  # else profiles connect to unit profiles directly
    pi, ci = np.nonzero(sub[:, c_first])  # by profile, then class
    # Every (household, preferred wijk) entry of a household that goes through its profile, in
    # household order and then list order; coded as profile * n_nbh + wijk.
    liker = np.flatnonzero(has_pref & ~special)
    lists = [preference_lists[int(x)] for x in households[liker].tolist()]
    pref_i = np.repeat(liker, [len(names) for names in lists]).astype(np.int64)
    pref_n = np.fromiter((n for names in lists for n in names), dtype=np.int64, count=len(pref_i))
    n_nbh = max(preferred.n_neighbourhoods, int(pref_n.max(initial=-1)) + 1, int(q_nbh.max(initial=-1)) + 1, 1)
    pref_code = p_of_h[pref_i] * n_nbh + pref_n
    if negative_preferred:
        pref_code = pref_code[:0]
    # A (profile, wijk) node for each preferred wijk the profile can reach, numbered in order of first use,
    # with an arc to each eligible unit profile in that wijk (by unit profile).
    first_codes, first_at = np.unique(pref_code, return_index=True)
    wanted = first_codes[np.argsort(first_at, kind="stable")]
    by_nbh = np.argsort(q_nbh, kind="stable")
    lo = np.searchsorted(q_nbh[by_nbh], wanted % n_nbh, side="left")
    count = np.searchsorted(q_nbh[by_nbh], wanted % n_nbh, side="right") - lo
    pn_q = by_nbh[np.repeat(lo, count) + _within(count)]
    pn_p = np.repeat(wanted // n_nbh, count)
    pn_which = np.repeat(np.arange(len(wanted)), count)
    ok = sub[pn_p, pn_q] if len(pn_q) else np.zeros(0, dtype=bool)
    pn_q, pn_p, pn_which = pn_q[ok], pn_p[ok], pn_which[ok]
    reached = np.zeros(len(wanted), dtype=bool)
    reached[pn_which] = True
    pn_code = wanted[reached]
    renumber = np.cumsum(reached) - 1
    pn_node_of = next_node + np.arange(len(pn_code), dtype=np.int64)
    next_node += len(pn_code)
    # On a large week whose homes and households differ by municipality only for the own-municipality
    # bonus, households reach other municipalities' classes through municipality-free layers.
    layers = _municipality_layers(structure, h, u, preferred, parts, p_codes, q_codes, c_first, sub) if classes else None
    t_node = next_node + np.arange(len(layers.t_first) if layers else 0)
    next_node += len(t_node)
    k_node = next_node + np.arange(len(layers.k_first) if layers else 0)
    next_node += len(k_node)
    c_node = next_node + np.arange(len(c_first) if classes else 0)
    next_node += len(c_node)
    q_node = next_node + np.arange(len(q_codes))
    u_node = next_node + len(q_codes) + np.arange(n_u)
    nb_node = next_node + len(q_codes) + n_u + np.arange(len(nb_codes))
    n_nodes = int(next_node + len(q_codes) + n_u + len(nb_codes))

    arcs = _Arcs([], [], [], [])

    def const(n: int, value: int = 0) -> list[IntArray]:
        return [np.full(n, value, dtype=np.int64) for _ in range(n_tiers)]

    def with_extra(policy_costs: list[IntArray], tie: IntArray, kept: IntArray | None = None) -> list[IntArray]:
        """Costs for every tier: the policy's, the stability tier when present, the tie-break."""
        n = len(tie)
        stability = [np.zeros(n, np.int64) if kept is None else -kept.astype(np.int64)] if stable else []
        return [*policy_costs, *stability, tie]

    arcs.add(np.array([0]), np.array([1]), np.array([n_h]), const(1))
    household_costs = with_extra([-p.household[households] for p in parts], -tie_h[households])
    arcs.add(np.zeros(n_h, np.int64), h_node, np.ones(n_h, np.int64), household_costs)
    # household -> profile
    if len(non_special):
        arcs.add(h_node[non_special], p_node[p_of_h[non_special]], np.ones(len(non_special), np.int64), const(len(non_special)))
    # household -> (profile, preferred neighbourhood)
    if len(pn_code):
        pn_sorted = np.argsort(pn_code, kind="stable")
        where = np.minimum(np.searchsorted(pn_code[pn_sorted], pref_code), len(pn_code) - 1)
        hit = pn_code[pn_sorted][where] == pref_code
        m = int(hit.sum())
        if m:
            arcs.add(h_node[pref_i[hit]], pn_node_of[pn_sorted[where[hit]]], np.ones(m, np.int64),
                     with_extra([np.full(m, -p.preferred, np.int64) for p in parts], np.zeros(m, np.int64)))  # fmt: skip
    # profile -> unit profile, and (profile, neighbourhood) -> unit profile in that neighbourhood
    if len(p_codes):
        size_p = np.bincount(p_of_h[non_special], minlength=len(p_codes))
        # profile -> unit class (one arc stands for the profile's arcs to every unit profile of the class),
        # and unit class -> unit profile

        def costs_of(profile: IntArray, unit_profile: IntArray) -> list[IntArray]:
            hr, ur = structure.household_rep[p_codes[profile]], structure.unit_rep[q_codes[unit_profile]]
            return with_extra(
                [-profile_pair_values(p, hr, ur, h, u, policy, preferred) for p in parts], np.zeros(len(hr), np.int64)
            )

        if layers is not None:
            # profile -> its type -> class type -> class, at the value without the own-municipality bonus,
            # and profile -> each class of its own municipality at the whole value
            size_t = np.bincount(layers.t_of_p, weights=size_p, minlength=len(t_node)).astype(np.int64)
            arcs.add(p_node, t_node[layers.t_of_p], size_p, const(len(p_node)))
            t_rep, k_rep = layers.t_first[layers.type_pair], layers.k_first[layers.class_pair]
            hr, ur = structure.household_rep[p_codes[t_rep]], structure.unit_rep[q_codes[c_first[k_rep]]]
            without = [-profile_pair_values(_without_own(p), hr, ur, h, u, policy, preferred) for p in parts]
            arcs.add(t_node[layers.type_pair], k_node[layers.class_pair], size_t[layers.type_pair],
                     with_extra(without, np.zeros(len(hr), np.int64)))  # fmt: skip
            arcs.add(k_node[layers.k_of_c], c_node, np.full(len(c_node), n_h, np.int64), const(len(c_node)))
            own = layers.own_municipality[pi, ci] if len(pi) else np.zeros(0, dtype=bool)
            arcs.add(p_node[pi[own]], c_node[ci[own]], size_p[pi[own]], costs_of(pi[own], c_first[ci[own]]))
            arcs.add(c_node[c_of_q], q_node, np.full(len(q_node), n_h, np.int64), const(len(q_node)))
        elif classes:
            arcs.add(p_node[pi], c_node[ci], size_p[pi], costs_of(pi, c_first[ci]))
            arcs.add(c_node[c_of_q], q_node, np.full(len(q_node), n_h, np.int64), const(len(q_node)))
        else:
            arcs.add(p_node[pi], q_node[ci], size_p[pi], costs_of(pi, ci))
        if len(pn_q):
            # (profile, wijk) -> each eligible unit profile in that wijk, at the profile-pair value
            arcs.add(pn_node_of[renumber[pn_which]], q_node[pn_q], size_p[pn_p], costs_of(pn_p, pn_q))

    # special households: explicit arcs to their eligible units
    def pair_costs(eh: IntArray, eu: IntArray) -> list[IntArray]:
        """Costs of explicit household -> unit arcs: the whole pair value except the household's own part."""
        values = []
        for part in parts:
            v = profile_pair_values(part, eh, eu, h, u, policy, preferred)
            if part.preferred:
                v = v + part.preferred * term_values("preferred", eh, eu, h, u, policy, preferred)
            values.append(-v)
        kept = None if previous_unit is None else previous_unit[eh] == eu
        return with_extra(values, np.zeros(len(eh), np.int64), kept)

    special_idx = np.flatnonzero(special)
    if len(special_idx):
        sel_h = np.zeros(len(h.ids), dtype=bool)
        sel_h[households[special_idx]] = True
        sel_u = np.zeros(len(u.ids), dtype=bool)
        sel_u[units] = True
        eh, eu = structure.expand(sel_h, sel_u)
        local_h = np.searchsorted(households, eh)
        local_u = np.searchsorted(units, eu)
        arcs.add(h_node[local_h], u_node[local_u], np.ones(len(eh), np.int64), pair_costs(eh, eu))
    # households with a previous pair (and no explicit arcs yet): a direct arc to that unit
    if previous_unit is not None:
        target = previous_unit[households]
        position = np.searchsorted(units, np.maximum(target, 0))
        position = np.minimum(position, n_u - 1)
        direct = np.flatnonzero(~special & (target >= 0) & (units[position] == target))
        # The structure may be a restriction of the instance's (see the knapsack restrictions).
        direct = direct[structure.pair_eligible(households[direct], target[direct])]
        if len(direct):
            eh, eu = households[direct], target[direct]
            arcs.add(h_node[direct], u_node[position[direct]], np.ones(len(direct), np.int64), pair_costs(eh, eu))
    # unit profile -> unit -> (capped neighbourhood) -> sink
    arcs.add(q_node[q_local.reshape(-1)], u_node, unit_capacity, const(n_u))
    unit_head = np.ones(n_u, dtype=np.int64)
    unit_head[capped] = nb_node[nb_local.reshape(-1)]
    unit_costs = with_extra([-p.unit[units] for p in parts], -tie_u[units])
    arcs.add(u_node, unit_head, unit_capacity, unit_costs)
    if len(nb_codes):
        arcs.add(nb_node, np.ones(len(nb_codes), np.int64), cap_left[nb_codes], const(len(nb_codes)))

    tail = np.concatenate(arcs.tail)
    head = np.concatenate(arcs.head)
    capacity = np.concatenate(arcs.capacity)
    costs = [np.concatenate([block[k] for block in arcs.costs]) for k in range(n_tiers)]
    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[0], supply[1] = n_h, -n_h
    return flow.Network(n_nodes, tail, head, capacity, supply), costs, h_node, u_node


def _household_groups(
    structure: Structure, h: Households, preferred: PreferredIndex, p_codes: IntArray, q_codes: IntArray
) -> tuple[IntArray, IntArray]:
    """Household profiles that may have the same unit profiles and read alike in every profile-pair term,
    grouped: (group of each profile, the first profile of each group).

    Profiles differ in fields that only some rules read (say, a need that every unit here meets), so
    several profiles can be interchangeable in this week's network; one node then stands for all.
    """
    if len(p_codes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    reps = structure.household_rep[p_codes]
    rows = np.packbits(structure.eligible[np.ix_(p_codes, q_codes)], axis=1)
    columns = [rows.astype(np.int64)] + [
        np.asarray(getattr(h, name))[reps].reshape(len(reps), -1) for name in PROFILE_HOUSEHOLD_FIELDS
    ]
    if preferred.lookahead is not None:
        columns.append(preferred.lookahead.household[reps].reshape(-1, 1))
    # Groups numbered in the order of their first profile, so node order follows profile order.
    return _first_order_groups(np.concatenate(columns, axis=1))


def _unit_classes(
    structure: Structure, u: Units, preferred: PreferredIndex, q_codes: IntArray, sub: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    """Unit profiles that differ only in their wijk, grouped into classes: (class of each unit profile,
    the first unit profile of each class).

    A class shares every field the rules read apart from the wijk, and every field the profile-pair
    terms read, so one arc from a household profile to the class, at one value, stands for its arcs
    to every unit profile of the class (the preferred bonus has its own nodes). Eligibility is
    checked on the matrix itself: if a rule reads the wijk, every unit profile is a class of its own.
    """
    reps = structure.unit_rep[q_codes]
    columns = [np.asarray(getattr(u, name))[reps].reshape(len(reps), -1) for name in (*UNIT_PROFILE, *PROFILE_UNIT_FIELDS)]
    if preferred.lookahead is not None:
        columns.append(preferred.lookahead.unit[reps].reshape(-1, 1))
    c_first, c_of_q = group_rows(np.concatenate(columns, axis=1).astype(np.int64))
    own = np.arange(len(q_codes), dtype=np.int64)
    if len(c_first) == len(q_codes) or not bool((sub == sub[:, c_first[c_of_q]]).all()):
        return own, own
    return c_of_q, c_first


@dataclass(frozen=True)
class _Layers:
    """Municipality-free layers between household profiles and unit classes (see ``_municipality_layers``)."""

    t_of_p: IntArray  # type of each household profile node
    t_first: IntArray  # the first profile of each type
    k_of_c: IntArray  # class type of each unit class
    k_first: IntArray  # the first class of each class type
    type_pair: IntArray  # (type, class type) pairs that are eligible
    class_pair: IntArray
    own_municipality: npt.NDArray[np.bool_]  # (profile, class): the same municipality


def _without_own(part: TierParts) -> TierParts:
    """The tier without its own-municipality bonus."""
    weights = {term: w for term, w in part.weights.items() if term != "own_municipality"}
    return TierParts(part.household, part.unit, weights)


def _municipality_layers(
    structure: Structure,
    h: Households,
    u: Units,
    preferred: PreferredIndex,
    parts: list[TierParts],
    p_codes: IntArray,
    q_codes: IntArray,
    c_first: IntArray,
    sub: npt.NDArray[np.bool_],
) -> _Layers | None:
    """Household profiles and unit classes that differ only in their municipality, each pooled in one
    node, when the municipality counts only for the own-municipality bonus.

    In a regional run every household may take a home in any municipality, yet profiles and
    classes split by municipality, because the bonus for a home in the household's own
    municipality depends on both: P profiles x C classes arcs, most of them to other
    municipalities at the same value. Instead each profile reaches its type (its profile without
    the municipality), each type the class types it is eligible for at the value without the
    bonus, each class type its classes; and each profile has a direct arc, with the bonus, to the
    classes of its own municipality. A way through the types to a class of the household's own
    municipality misses a bonus that is never negative, so it is never better than the direct
    arc, and the best value of every (profile, class) is the one the direct arcs gave: every tier
    keeps its optimum. Types and class types share eligibility (it is in their key) and every
    field the profile-pair terms read. None when a bonus is negative or nothing would be pooled.
    """
    if any(p.weights.get("own_municipality", 0) < 0 for p in parts) or len(p_codes) == 0 or len(c_first) == 0:
        return None
    h_reps = structure.household_rep[p_codes]
    h_fields = [f for f in PROFILE_HOUSEHOLD_FIELDS if f != "municipality"]
    h_columns = [np.packbits(sub, axis=1).astype(np.int64)]
    h_columns += [np.asarray(getattr(h, name))[h_reps].reshape(len(h_reps), -1) for name in h_fields]
    if preferred.lookahead is not None:
        h_columns.append(preferred.lookahead.household[h_reps].reshape(-1, 1))
    t_of_p, t_first = _first_order_groups(np.concatenate(h_columns, axis=1))
    u_reps = structure.unit_rep[q_codes[c_first]]
    fields = [f for f in (*UNIT_PROFILE, *PROFILE_UNIT_FIELDS) if f not in ("municipality", "region_bit")]
    u_columns = [np.packbits(sub[:, c_first].T, axis=1).astype(np.int64)]
    u_columns += [np.asarray(getattr(u, name))[u_reps].reshape(len(u_reps), -1) for name in fields]
    if preferred.lookahead is not None:
        u_columns.append(preferred.lookahead.unit[u_reps].reshape(-1, 1))
    k_of_c, k_first = _first_order_groups(np.concatenate(u_columns, axis=1))
    if len(t_first) == len(p_codes) and len(k_first) == len(c_first):
        return None
    type_pair, class_pair = np.nonzero(sub[np.ix_(t_first, c_first[k_first])])
    same = np.asarray(h.municipality)[h_reps].reshape(-1, 1) == np.asarray(u.municipality)[u_reps].reshape(1, -1)
    return _Layers(t_of_p, t_first, k_of_c, k_first, type_pair.astype(np.int64), class_pair.astype(np.int64), same)


def _first_order_groups(key: IntArray) -> tuple[IntArray, IntArray]:
    """Rows with equal keys grouped: (group of each row, first row of each group), groups numbered in the
    order of their first row.

    Rows are compared through one 64-bit fingerprint each (a fixed random linear form, wrapping), which
    sorts far faster than whole rows; every row is then checked against its group's first row, and a
    collision (two different rows, one fingerprint) falls back to comparing whole rows.
    """
    key = np.ascontiguousarray(key, dtype=np.int64)
    if key.ndim == 1:
        key = key.reshape(-1, 1)
    _, first, group = np.unique(_fingerprint(key), return_index=True, return_inverse=True)
    group = group.reshape(-1)
    if not bool((key == key[first[group]]).all()):
        first, group = group_rows(key)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[group], first[order].astype(np.int64)


def _fingerprint(key: IntArray) -> npt.NDArray[np.uint64]:
    """One 64-bit number per row: a fixed random linear form of its values, wrapping."""
    weights = np.random.default_rng(20250303).integers(1, 2**63, size=key.shape[1], dtype=np.uint64) | np.uint64(1)
    fingerprint: npt.NDArray[np.uint64] = (key.view(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    return fingerprint


@dataclass(frozen=True)
class FlowState:
    """The solved network, kept for explanations: arcs, policy-tier costs, optimal flows."""

    n_nodes: int
    tail: IntArray
    head: IntArray
    capacity: IntArray
    costs: IntArray  # (policy tiers, arcs), minimised
    flows: IntArray
    h_node: IntArray
    households: IntArray  # household index of each household node


def forced_differences(state: FlowState) -> dict[int, list[int] | None]:
    """Per household: how each policy tier changes when that household must be placed (None: it cannot be).

    Placing an unplaced household h means one unit of flow source -> h -> ... -> sink
    instead of over the bypass. The best such change is the lexicographically shortest
    path from h to the sink in the residual graph (which may push other households out
    or into other units), so one shortest-path tree toward the sink answers every household.
    """
    n_nodes, tail, head, costs, flows = state.n_nodes, state.tail, state.head, state.costs, state.flows
    forward = flows < state.capacity
    backward = flows > 0
    r_tail = np.concatenate((tail[forward], head[backward]))
    r_head = np.concatenate((head[forward], tail[backward]))
    r_cost = np.concatenate((costs[:, forward], -costs[:, backward]), axis=1)
    distance, reached = flow.lexicographic_distances(n_nodes, r_tail, r_head, r_cost, target=1)
    arcs = 1 + np.arange(len(state.h_node))  # arc 0 is the bypass, then one arc from the source to each household
    placeable = (flows[arcs] == 0) & reached[state.h_node]  # not placed already, and there is a way to place it
    change = (-(costs[:, arcs].T + distance[state.h_node])).tolist()
    return {
        household: (values if ok else None)
        for household, values, ok in zip(state.households.tolist(), change, placeable.tolist(), strict=True)
    }


def _within(counts: IntArray) -> IntArray:
    """0, 1, ..., c-1 for each count c, concatenated."""
    offsets: IntArray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return offsets


def _decompose(
    tail: IntArray,
    head: IntArray,
    flows: IntArray,
    h_node: IntArray,
    u_node: IntArray,
    households: IntArray,
    units: IntArray,
) -> tuple[IntArray, IntArray]:
    """Turn arc flows into (household, unit) pairs, in a fixed order.

    Nodes are numbered along the network (households, profiles, preferred wijken, unit classes,
    unit profiles, units), so taking the middle nodes in number order sees every household
    arrive before it moves on: each node passes its households, in id order, to its arcs in
    order of their head (a unit takes as many as its arc carries).
    """
    used = flows > 0
    t, hd, f = tail[used], head[used], flows[used]
    first_h, last_h = int(h_node[0]), int(h_node[-1])
    first_u, last_u = int(u_node[0]), int(u_node[-1])
    pairs_h: list[int] = []
    pairs_u: list[int] = []
    queue: dict[int, list[int]] = defaultdict(list)  # middle node -> households (local) that arrived
    outof: dict[int, list[tuple[int, int]]] = defaultdict(list)  # middle node -> (head, flow)
    for a, b, amount in zip(t.tolist(), hd.tolist(), f.tolist(), strict=True):
        if first_h <= a <= last_h:
            if first_u <= b <= last_u:
                pairs_h.append(a - first_h)
                pairs_u.append(b - first_u)
            elif b > 1:
                queue[b].append(a - first_h)
        elif last_h < a < first_u:
            outof[a].append((b, amount))
    for node in sorted(outof):
        arrived = sorted(queue.pop(node, []))
        position = 0
        for b, amount in sorted(outof[node]):
            moving = arrived[position : position + amount]
            position += amount
            if first_u <= b <= last_u:
                pairs_h.extend(moving)
                pairs_u.extend([b - first_u] * len(moving))
            else:
                queue[b].extend(moving)
    local_h = np.array(pairs_h, dtype=np.int64)
    local_u = np.array(pairs_u, dtype=np.int64)
    return households[local_h], units[local_u]
