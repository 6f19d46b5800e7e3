"""From a checked instance to chosen pairs: the optimiser and the FIFO baseline.

The optimiser honours the fixed pairs first, then solves what is left. Whatever is a
network flow (the default: shared places hold one household size each) goes to the exact
lexicographic flow solver on the aggregated network; parts with shared places that mix
household sizes (a knapsack) are split off as independent components and go to CP-SAT.

Ties. Among proposals that are equally good in every policy tier, one more tier decides:
it maximises a pseudo-random score derived from the seed and the ids (per household and
per unit in the flow part, per pair in the CP-SAT part). Within groups of households that
are interchangeable for every term, households in id order take units in id order. So the
same input and seed always give the same proposal, whatever the row order.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.errors import ProblemCollector
from matcher.input.instance import Instance
from matcher.model.network import FlowState, TierParts, solve_aggregated, tier_parts
from matcher.model.terms import PreferredIndex, preferred_index, tier_weights
from matcher.rules.arrays import BoolArray, Codes, Households, IntArray, Units, encode
from matcher.rules.eligibility import RULES, rule_masks
from matcher.rules.structure import Structure, build_structure

if TYPE_CHECKING:
    from matcher.model import cpsat

log = logging.getLogger(__name__)

TIE_BREAK_BITS = 20


@dataclass(frozen=True)
class Prepared:
    """An instance with its eligibility structure and the tiers split for the network."""

    instance: Instance
    households: Households
    units: Units
    codes: Codes
    structure: Structure
    preferred: PreferredIndex
    preference_lists: list[tuple[int, ...]]  # neighbourhood codes per household
    parts: list[TierParts]
    tie_household: IntArray
    tie_unit: IntArray
    fixed_household: IntArray
    fixed_unit: IntArray
    build_s: float
    previous_unit: IntArray  # per household: the unit of its previous pair if still eligible, else -1

    @property
    def stable(self) -> bool:
        """Whether a stability tier (keep the previous proposal's pairs) follows the policy's tiers."""
        return bool(self.instance.policy.previous_pairs)

    @property
    def n_pairs(self) -> int:
        """Number of eligible pairs (E1-E9), counted on the structure without listing them."""
        return int(self.structure.eligible_counts()[0].sum())


@dataclass
class Solution:
    """Chosen pairs (household and unit indices, by household) and an honest report of the solve."""

    household: IntArray
    unit: IntArray
    tier_values: list[int]
    tier_bounds: list[int | None]
    status: str
    method: str
    build_s: float
    solve_s: float
    components: int = 0
    cpsat_components: int = 0
    kept_previous: int | None = None  # pairs of the previous proposal kept (when one was given)
    # The solved network of a week that is one network, kept for the explanations.
    flow_state: FlowState | None = None


def _id_hash(ids: list[str], seed: int, salt: bytes) -> npt.NDArray[np.uint64]:
    key = seed.to_bytes(8, "little")
    values = [int.from_bytes(hashlib.blake2b(salt + i.encode("utf-8"), digest_size=8, key=key).digest(), "little") for i in ids]
    return np.array(values, dtype=np.uint64)


def _mix(z: npt.NDArray[np.uint64]) -> IntArray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    scores: IntArray = (z >> np.uint64(64 - TIE_BREAK_BITS)).astype(np.int64) + 1
    return scores


def tie_break_scores(household: IntArray, unit: IntArray, h: Households, u: Units, seed: int) -> IntArray:
    """A score per pair in [1, 2^20], a fixed function of the seed and the two ids."""
    rh = _id_hash(h.ids, seed, b"h")[household]
    ru = _id_hash(u.ids, seed, b"u")[unit]
    with np.errstate(over="ignore"):
        return _mix(rh ^ (ru * np.uint64(0x9E3779B97F4A7C15)))


def prepare(instance: Instance) -> Prepared:
    """Encode, build the eligibility structure, split the tiers, and check the fixed pairs."""
    started = time.perf_counter()
    h, u, codes = encode(instance)
    policy = instance.policy
    structure = build_structure(h, u, policy)
    preferences = list(instance.households["preferred_neighbourhoods"])
    preferred = preferred_index(preferences, codes.neighbourhoods)
    nbh_code = {name: i for i, name in enumerate(codes.neighbourhoods)}
    preference_lists = [tuple(nbh_code[n] for n in names) for names in preferences]
    parts = tier_parts(policy, h, u, preferred)
    tie_h = _mix(_id_hash(h.ids, policy.seed, b"h"))
    tie_u = _mix(_id_hash(u.ids, policy.seed, b"u"))
    fixed_h, fixed_u = _check_fixed_pairs(instance, h, u, codes, structure)
    return Prepared(
        instance, h, u, codes, structure, preferred, preference_lists, parts, tie_h, tie_u, fixed_h, fixed_u,
        time.perf_counter() - started, _previous_units(instance, h, u, structure),
    )  # fmt: skip


def _previous_units(instance: Instance, h: Households, u: Units, structure: Structure) -> IntArray:
    """Per household, the unit of its pair in the previous proposal, or -1.

    Pairs naming a household or unit that is no longer in the input (housed, let,
    withdrawn), or that is no longer eligible, cannot be kept and are ignored.
    """
    previous = np.full(len(h.ids), -1, dtype=np.int64)
    h_index = {hid: i for i, hid in enumerate(h.ids)}
    u_index = {uid: i for i, uid in enumerate(u.ids)}
    for hid, uid in sorted(instance.policy.previous_pairs):
        hi, ui = h_index.get(hid), u_index.get(uid)
        if hi is None or ui is None or previous[hi] >= 0:
            continue
        if structure.pair_eligible(np.array([hi]), np.array([ui]))[0]:
            previous[hi] = ui
    return previous


def kept_values(prep: Prepared, household: IntArray, unit: IntArray) -> IntArray:
    """The stability tier: 1 for a pair that the previous proposal also made."""
    kept: IntArray = (prep.previous_unit[household] == unit).astype(np.int64)
    return kept


def first_failing_rule(h: Households, u: Units, instance: Instance, hi: int, ui: int) -> str | None:
    """The first of E1-E9 that the pair breaks, or None when it is eligible."""
    masks = rule_masks(h, u, instance.policy, np.array([hi]), np.array([ui]))
    for rule, mask in zip(RULES, masks, strict=True):
        if not bool(mask[0, 0]):
            return rule.id
    if (h.ids[hi], u.ids[ui]) in set(instance.policy.excluded_pairs):
        return "E9"
    return None


def _check_fixed_pairs(
    instance: Instance, h: Households, u: Units, codes: Codes, structure: Structure
) -> tuple[IntArray, IntArray]:
    """A5: every fixed pair must be eligible and the fixed pairs together must fit."""
    policy = instance.policy
    if not policy.fixed_pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    source, column = instance.policy_source, "fixed_pairs"
    problems = ProblemCollector()
    h_index = {hid: i for i, hid in enumerate(h.ids)}
    u_index = {uid: i for i, uid in enumerate(u.ids)}
    chosen: list[tuple[int, int]] = []
    seen_household: dict[int, int] = {}
    unit_load: dict[int, int] = {}
    unit_first: dict[int, int] = {}
    nbh_load: dict[int, int] = {}
    for item, (hid, uid) in enumerate(policy.fixed_pairs, start=1):
        if (hid, uid) in policy.fixed_pairs[: item - 1]:
            continue  # the same pair listed twice is no conflict
        hi, ui = h_index[hid], u_index[uid]
        where = f"item {item} [{hid}, {uid}]"
        rule = first_failing_rule(h, u, instance, hi, ui)
        if rule == "E9":
            problems.add(source, f"{where}: the pair is also in excluded_pairs (E9) and cannot be fixed", column=column)
            continue
        if rule is not None:
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
                    f"{where}: shared unit {uid} would hold {unit_load[ui]} persons in {u.beds[ui]} "
                    f"bed{'s' if u.beds[ui] != 1 else ''} (A3)",
                    column=column,
                )
                continue
        elif ui in unit_first:
            problems.add(
                source, f"{where}: unit {uid} is already fixed to another household in item {unit_first[ui]} (A2)", column=column
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
        chosen.append((hi, ui))
    problems.raise_if_any()
    chosen.sort()
    return np.array([c[0] for c in chosen], dtype=np.int64), np.array([c[1] for c in chosen], dtype=np.int64)


@dataclass(frozen=True)
class Residual:
    """What is left to decide after the fixed pairs."""

    open_household: BoolArray
    unit_left: IntArray  # beds left (shared) or 1/0 (non-shared)
    cap_left: IntArray  # per neighbourhood code, -1: uncapped
    open_unit: BoolArray


def residual(prep: Prepared) -> Residual:
    h, u, policy = prep.households, prep.units, prep.instance.policy
    cap_left = np.full(len(prep.codes.neighbourhoods), -1, dtype=np.int64)
    for name, cap in policy.neighbourhood_caps.items():
        if name in prep.codes.neighbourhoods:
            cap_left[prep.codes.neighbourhoods.index(name)] = cap
    unit_left = np.where(u.shared, u.beds, 1).astype(np.int64)
    open_household = h.documents.copy()
    for hi, ui in zip(prep.fixed_household.tolist(), prep.fixed_unit.tolist(), strict=True):
        open_household[hi] = False
        unit_left[ui] -= int(h.persons[hi]) if u.shared[ui] else 1
        nbh = int(u.neighbourhood[ui])
        if cap_left[nbh] >= 0:
            cap_left[nbh] -= 1
    open_unit = u.available & (unit_left > 0) & (cap_left[u.neighbourhood] != 0)
    return Residual(open_household, unit_left, cap_left, open_unit)


def _profile_persons(prep: Prepared, res: Residual) -> tuple[IntArray, IntArray, IntArray]:
    """Per unit profile: smallest, largest and total persons of open eligible households."""
    s, h = prep.structure, prep.households
    n_p = s.eligible.shape[0]
    count = np.bincount(s.household_profile[res.open_household], minlength=n_p)
    persons = h.persons[s.household_rep]
    present = s.eligible & (count > 0)[:, None]
    big = np.iinfo(np.int64).max
    low = np.where(present, persons[:, None], big).min(axis=0, initial=big)
    high = np.where(present, persons[:, None], 0).max(axis=0, initial=0)
    total = (persons * count) @ s.eligible.astype(np.int64)
    return low, high, total


def _flow_capacity(prep: Prepared, res: Residual) -> tuple[IntArray, BoolArray, IntArray]:
    """Households a unit can take in the flow, the shared units whose beds form a knapsack,
    and the largest eligible household per unit."""
    u, s = prep.units, prep.structure
    low, high, total = _profile_persons(prep, res)
    q = s.unit_profile
    capacity = np.where(u.shared, 0, res.unit_left).astype(np.int64)
    beds = res.unit_left
    slack = u.shared & (total[q] <= beds)
    uniform = u.shared & ~slack & (low[q] == high[q])
    capacity[slack] = np.minimum(total[q][slack], beds[slack])  # at most one per person, never binding
    capacity[uniform] = beds[uniform] // np.maximum(low[q][uniform], 1)
    knapsack = u.shared & res.open_unit & ~slack & ~uniform & (high[q] > 0)
    return capacity, knapsack, high[q]


def _components(prep: Prepared, res: Residual) -> tuple[IntArray, IntArray, int]:
    """Component label per household and per unit, over the profile graph (households, profiles, units, capped wijken)."""
    from scipy.sparse import coo_matrix  # only the knapsack path needs SciPy's graph code: keep start-up fast
    from scipy.sparse.csgraph import connected_components

    s, u = prep.structure, prep.units
    n_h, n_u = s.n_households, s.n_units
    n_p, n_q = s.eligible.shape
    n_nb = len(prep.codes.neighbourhoods)
    base_p, base_q, base_u, base_nb = n_h, n_h + n_p, n_h + n_p + n_q, n_h + n_p + n_q + n_u
    open_h = np.flatnonzero(res.open_household)
    open_u = np.flatnonzero(res.open_unit)
    p_used = np.zeros(n_p, dtype=bool)
    p_used[s.household_profile[open_h]] = True
    q_used = np.zeros(n_q, dtype=bool)
    q_used[s.unit_profile[open_u]] = True
    pi, qi = np.nonzero(s.eligible & p_used[:, None] & q_used[None, :])
    capped = open_u[res.cap_left[u.neighbourhood[open_u]] >= 0]
    rows = np.concatenate((open_h, base_u + open_u, base_p + pi, base_u + capped))
    cols = np.concatenate((base_p + s.household_profile[open_h], base_q + s.unit_profile[open_u], base_q + qi,
                           base_nb + u.neighbourhood[capped]))  # fmt: skip
    size = base_nb + n_nb
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    return labels[:n_h].astype(np.int64), labels[base_u : base_u + n_u].astype(np.int64), int(count)


def optimise(prep: Prepared, engine: str = "auto") -> Solution:
    """The lexicographically optimal proposal (or the best found within the time limit).

    Shared places that mix household sizes make the problem a knapsack. They are first
    bounded by two flows: a relaxation (a bed per household, whatever its size) and a
    restriction (room for the largest eligible household each time). When the relaxation
    is feasible, or both give the same tier values, that flow is optimal. Otherwise the
    components holding such places go to CP-SAT, started from the restriction's answer.

    ``engine="cpsat"`` sends everything to CP-SAT; tests and benchmarks use it to check
    the flow solver against an independent model.
    """
    started = time.perf_counter()
    policy = prep.instance.policy
    deadline = time.monotonic() + policy.time_limit_s
    res = residual(prep)
    capacity, knapsack, largest = _flow_capacity(prep, res)
    all_open_h = np.flatnonzero(res.open_household)
    n_tiers = len(prep.parts)
    method = "min-cost-flow"

    if engine != "cpsat" and not knapsack.any():
        kept: list[FlowState] = []
        ph, pu = _flow(prep, res, all_open_h, capacity, kept)
        solution = _finish(prep, [ph], [pu], [0] * n_tiers, True, method, started, 1, 0)
        solution.flow_state = kept[0] if kept else None  # none when no household or no unit is open
        return solution

    restricted_h = restricted_u = np.zeros(0, dtype=np.int64)
    if engine != "cpsat":
        relaxed = capacity.copy()
        relaxed[knapsack] = res.unit_left[knapsack]
        rh, ru = _flow(prep, res, all_open_h, relaxed)
        if _beds_respected(prep, res, rh, ru):
            return _finish(prep, [rh], [ru], [0] * n_tiers, True, method, started, 1, 0)
        restricted_h, restricted_u = _best_restriction(prep, res, all_open_h, capacity, knapsack, largest)
        if ranked_values(prep, restricted_h, restricted_u) == ranked_values(prep, rh, ru):
            return _finish(prep, [restricted_h], [restricted_u], [0] * n_tiers, True, method, started, 1, 0)

    from matcher.model import cpsat, pruning  # CP-SAT and the LP only for knapsack parts: keep start-up fast

    h_label, u_label, n_components = _components(prep, res)
    if engine == "cpsat":
        cp_labels = sorted(set(h_label[res.open_household].tolist()))
    else:
        cp_labels = sorted(set(u_label[knapsack].tolist()))
    on_cpsat_h = np.isin(h_label, cp_labels) & res.open_household
    on_cpsat_u = np.isin(u_label, cp_labels) & res.open_unit
    chosen_h: list[IntArray] = []
    chosen_u: list[IntArray] = []
    if len(restricted_h):
        # Outside the knapsack components the restriction changed nothing: keep its pairs.
        keep = ~on_cpsat_h[restricted_h]
        chosen_h.append(restricted_h[keep])
        chosen_u.append(restricted_u[keep])
    gap = [0] * n_tiers
    optimal = True
    hint_codes = restricted_h * max(prep.structure.n_units, 1) + restricted_u
    for label in cp_labels:
        hh, uu = prep.structure.expand(on_cpsat_h & (h_label == label), on_cpsat_u & (u_label == label))
        if len(hh) == 0:
            continue
        component = _component(prep, res, hh, uu)
        hint = np.isin(hh * max(prep.structure.n_units, 1) + uu, hint_codes).astype(np.int64)
        if engine != "cpsat":
            # Drop the pairs the first tier's LP rules out before building the CP-SAT model.
            keep, _ = pruning.prune(component, np.ones(len(hh), dtype=bool), 0, [], int(np.dot(hint, component.tiers[0])))
            hh, uu, hint = hh[keep], uu[keep], hint[keep]
            component = _component(prep, res, hh, uu)
        result = cpsat.solve_component(component, policy.seed, deadline, hint, lp_pruning=engine != "cpsat")
        chosen_h.append(hh[result.chosen])
        chosen_u.append(uu[result.chosen])
        for k in range(n_tiers):
            gap[k] += result.tiers[k].bound - result.tiers[k].value
            optimal = optimal and result.tiers[k].optimal
    method = "cp-sat" if engine == "cpsat" else "min-cost-flow+cp-sat"
    return _finish(prep, chosen_h, chosen_u, gap, optimal, method, started, n_components, len(cp_labels))


def _best_restriction(
    prep: Prepared, res: Residual, households: IntArray, capacity: IntArray, knapsack: BoolArray, largest: IntArray
) -> tuple[IntArray, IntArray]:
    """A good feasible answer from two restrictions that make the knapsack a flow again:
    room for the largest eligible household each time, or single persons only."""
    roomy = capacity.copy()
    roomy[knapsack] = res.unit_left[knapsack] // np.maximum(largest[knapsack], 1)
    a = _flow(prep, res, households, roomy)
    s = prep.structure
    singles_only = s.eligible.copy()
    knapsack_profiles = np.unique(s.unit_profile[knapsack])
    too_big = prep.households.persons[s.household_rep] > 1
    singles_only[np.ix_(too_big, knapsack_profiles)] = False
    beds = capacity.copy()
    beds[knapsack] = res.unit_left[knapsack]
    b = _flow(replace(prep, structure=replace(s, eligible=singles_only)), res, households, beds)
    return a if ranked_values(prep, *a) >= ranked_values(prep, *b) else b


def _flow(
    prep: Prepared, res: Residual, households: IntArray, capacity: IntArray, keep: list[FlowState] | None = None
) -> tuple[IntArray, IntArray]:
    units = np.flatnonzero(res.open_unit & (capacity > 0))
    if len(households) == 0 or len(units) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return solve_aggregated(
        households, units, capacity[units], res.cap_left, prep.structure, prep.parts, prep.tie_household, prep.tie_unit,
        prep.households, prep.units, prep.instance.policy, prep.preferred, prep.preference_lists,
        prep.previous_unit if prep.stable else None, keep,
    )  # fmt: skip


def _beds_respected(prep: Prepared, res: Residual, household: IntArray, unit: IntArray) -> bool:
    shared = prep.units.shared[unit]
    load = np.bincount(unit[shared], weights=prep.households.persons[household[shared]], minlength=prep.structure.n_units)
    return bool((load <= res.unit_left).all())


def _finish(
    prep: Prepared,
    chosen_h: list[IntArray],
    chosen_u: list[IntArray],
    gap: list[int],
    optimal: bool,
    method: str,
    started: float,
    components: int,
    cpsat_components: int,
) -> Solution:
    household = np.concatenate([prep.fixed_household, *chosen_h]).astype(np.int64)
    unit = np.concatenate([prep.fixed_unit, *chosen_u]).astype(np.int64)
    order = np.lexsort((unit, household))
    household, unit = household[order], unit[order]
    values = tier_values(prep, household, unit)
    bounds: list[int | None] = [v + g for v, g in zip(values, gap, strict=True)]
    return Solution(
        household=household,
        unit=unit,
        tier_values=values,
        tier_bounds=bounds,
        status="optimal" if optimal else "feasible",
        method=method,
        build_s=prep.build_s,
        solve_s=time.perf_counter() - started,
        components=components,
        cpsat_components=cpsat_components,
        kept_previous=int(kept_values(prep, household, unit).sum()) if prep.stable else None,
    )


def tier_values(prep: Prepared, household: IntArray, unit: IntArray) -> list[int]:
    """The value of each of the policy's tiers."""
    weights = tier_weights(prep.instance.policy, household, unit, prep.households, prep.units, prep.preferred)
    return [int(w.sum()) for w in weights]


def ranked_values(prep: Prepared, household: IntArray, unit: IntArray) -> list[int]:
    """What the optimiser ranks lexicographically: the policy's tiers, then the pairs kept."""
    values = tier_values(prep, household, unit)
    if prep.stable:
        values.append(int(kept_values(prep, household, unit).sum()))
    return values


def _component(prep: Prepared, res: Residual, hh: IntArray, uu: IntArray) -> cpsat.Component:
    from matcher.model import cpsat

    u, h = prep.units, prep.households
    caps: list[tuple[IntArray, int]] = []
    nbh = u.neighbourhood[uu]
    for code in np.unique(nbh).tolist():
        cap = int(res.cap_left[code])
        if cap >= 0:
            caps.append((np.flatnonzero(nbh == code), cap))
    shared_units = {int(x) for x in np.unique(uu).tolist() if u.shared[x]}
    tiers = tier_weights(prep.instance.policy, hh, uu, h, u, prep.preferred)
    tie = tie_break_scores(hh, uu, h, u, prep.instance.policy.seed)
    kept = [kept_values(prep, hh, uu)] if prep.stable else []
    return cpsat.Component(
        pair_household=hh,
        pair_unit=uu,
        persons=h.persons[hh],
        unit_beds={x: int(res.unit_left[x]) for x in shared_units},
        neighbourhood_caps=caps,
        tiers=[*tiers, *kept, tie],
    )


def fifo(prep: Prepared) -> Solution:
    """Baseline: oldest koppeling first takes the first eligible unit still free.

    Households are worked in order of koppeling_date (then id); units in order of
    available_from (then id), as a vacancy list is read. Fixed pairs come first.
    """
    started = time.perf_counter()
    res = residual(prep)
    h, u, s = prep.households, prep.units, prep.structure
    households = prep.instance.households
    units = prep.instance.units
    h_order = np.lexsort((np.arange(len(households)), pd.to_datetime(households["koppeling_date"]).to_numpy()))
    u_order = np.lexsort((np.arange(len(units)), pd.to_datetime(units["available_from"]).to_numpy()))
    unit_left = res.unit_left.copy()
    cap_left = res.cap_left.copy()
    excluded: dict[int, set[int]] = {}
    for a, b in zip(s.excluded_household.tolist(), s.excluded_unit.tolist(), strict=True):
        excluded.setdefault(a, set()).add(b)
    ordered_profile = s.unit_profile[u_order]
    ordered_nbh = u.neighbourhood[u_order]
    ordered_shared = u.shared[u_order]
    chosen_h = prep.fixed_household.tolist()
    chosen_u = prep.fixed_unit.tolist()
    open_mask = res.open_unit[u_order].copy()
    for hi in h_order.tolist():
        if not res.open_household[hi]:
            continue
        need = np.where(ordered_shared, h.persons[hi], 1)
        fits = (
            open_mask
            & s.eligible[s.household_profile[hi], ordered_profile]
            & (unit_left[u_order] >= need)
            & (cap_left[ordered_nbh] != 0)
        )
        for position in np.flatnonzero(fits).tolist():
            ui = int(u_order[position])
            if ui in excluded.get(hi, ()):
                continue
            unit_left[ui] -= int(need[position])
            nbh = int(u.neighbourhood[ui])
            if cap_left[nbh] > 0:
                cap_left[nbh] -= 1
            if unit_left[ui] <= 0:
                open_mask[position] = False
            chosen_h.append(hi)
            chosen_u.append(ui)
            break
    household = np.array(chosen_h, dtype=np.int64)
    unit = np.array(chosen_u, dtype=np.int64)
    order = np.lexsort((unit, household))
    household, unit = household[order], unit[order]
    values = tier_values(prep, household, unit)
    return Solution(
        household=household,
        unit=unit,
        tier_values=values,
        tier_bounds=[None] * len(values),  # a heuristic proves no bound
        status="feasible",
        method="fifo",
        build_s=prep.build_s,
        solve_s=time.perf_counter() - started,
    )
