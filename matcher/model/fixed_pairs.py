"""A5: the pairs the WBB already agreed, checked against every rule and against each other.

A fixed pair that breaks a rule, or fixed pairs that together overfill a unit or a capped
neighbourhood, are an input error that names the pair; nothing is solved.
"""

from __future__ import annotations

import numpy as np

from matcher.errors import ProblemCollector
from matcher.input.instance import Instance
from matcher.input.spreading import describe_cap
from matcher.rules.arrays import Codes, Households, IntArray, Units
from matcher.rules.eligibility import RULES, rule_masks
from matcher.rules.structure import Structure


def first_failing_rule(h: Households, u: Units, instance: Instance, hi: int, ui: int) -> str | None:
    """The first of E1-E9 that the pair breaks, or None when it is eligible."""
    masks = rule_masks(h, u, instance.policy, np.array([hi]), np.array([ui]))
    for rule, mask in zip(RULES, masks, strict=True):
        if not bool(mask[0, 0]):
            return rule.id
    if (h.ids[hi], u.ids[ui]) in set(instance.excluded_pairs):
        return "E9"
    return None


def check_fixed_pairs(
    instance: Instance, h: Households, u: Units, codes: Codes, structure: Structure
) -> tuple[IntArray, IntArray]:
    """A5: every fixed pair must be eligible and the fixed pairs together must fit."""
    policy = instance.policy
    caps = policy.caps_left
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
        if name in caps and nbh_load[nbh] > caps[name]:
            which = describe_cap(policy.neighbourhood_caps, policy.half_year_caps, policy.half_year_placed, name)
            problems.add(source, f"{where}: neighbourhood {name} would exceed {which}", column=column)
            continue
        chosen.append((hi, ui))
    problems.raise_if_any()
    chosen.sort()
    return np.array([c[0] for c in chosen], dtype=np.int64), np.array([c[1] for c in chosen], dtype=np.int64)
