"""Preparing a week for the solvers: encode, group into profiles, split the tiers, check the fixed pairs.

``prepare`` builds a frozen :class:`Prepared` once; the optimiser, the FIFO baseline and
the explanations all read it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from matcher.input.instance import Instance
from matcher.model.fixed_pairs import check_fixed_pairs
from matcher.model.lookahead import build_table
from matcher.model.network import TierParts, tier_parts
from matcher.model.terms import PreferredIndex, preferred_index
from matcher.model.tiebreak import id_scores
from matcher.rules.arrays import Codes, Households, IntArray, Units, encode
from matcher.rules.structure import Structure, build_structure


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


def prepare(instance: Instance) -> Prepared:
    """Encode, build the eligibility structure, split the tiers, and check the fixed pairs."""
    started = time.perf_counter()
    h, u, codes = encode(instance)
    policy = instance.policy
    structure = build_structure(h, u, policy, instance.excluded_pairs)
    preferences = list(instance.households["preferred_neighbourhoods"])
    preferred = preferred_index(preferences, codes.neighbourhoods)
    if "lookahead" in policy.terms_used:
        preferred = replace(preferred, lookahead=build_table(h, u, policy))
    nbh_code = {name: i for i, name in enumerate(codes.neighbourhoods)}
    fixed_household, fixed_unit = check_fixed_pairs(instance, h, u, codes, structure)
    return Prepared(
        instance=instance,
        households=h,
        units=u,
        codes=codes,
        structure=structure,
        preferred=preferred,
        preference_lists=[tuple(nbh_code[n] for n in names) for names in preferences],
        parts=tier_parts(policy, h, u, preferred),
        tie_household=id_scores(h.ids, policy.seed, b"h"),
        tie_unit=id_scores(u.ids, policy.seed, b"u"),
        fixed_household=fixed_household,
        fixed_unit=fixed_unit,
        build_s=time.perf_counter() - started,
        previous_unit=_previous_units(instance, h, u, structure),
    )


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
