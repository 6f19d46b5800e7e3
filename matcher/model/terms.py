"""Objective terms: the value of each term for every eligible pair, and tier weights.

All terms are linear in the chosen pairs, so each tier's objective is a vector over the
pairs. Terms that depend on the household alone, the unit alone, or the pair are all
computed vectorised from the encoded arrays. Two pair terms read more than the arrays:
``preferred`` (the households' preferred neighbourhoods) and ``lookahead`` (the reduced
costs of the fluid model of the coming weeks, ``matcher.model.lookahead``); both travel in
:class:`PreferredIndex`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.input.policy import TERMS, Policy
from matcher.model.lookahead import LookaheadTable
from matcher.rules.arrays import Households, IntArray, Units


@dataclass(frozen=True)
class PreferredIndex:
    """Household -> preferred neighbourhood codes, as sorted pair codes for fast lookup;
    and, when the policy names ``lookahead``, the look-ahead table of the week."""

    codes: IntArray
    n_neighbourhoods: int
    lookahead: LookaheadTable | None = None

    def lookup(self, household: IntArray, neighbourhood: IntArray) -> npt.NDArray[np.bool_]:
        if len(self.codes) == 0:
            return np.zeros(len(household), dtype=bool)
        keys = household * self.n_neighbourhoods + neighbourhood
        position = np.searchsorted(self.codes, keys)
        position = np.minimum(position, len(self.codes) - 1)
        return np.asarray(self.codes[position] == keys)


def preferred_index(preferences: list[tuple[str, ...]], neighbourhoods: list[str]) -> PreferredIndex:
    code = {name: i for i, name in enumerate(neighbourhoods)}
    n = max(len(neighbourhoods), 1)
    keys = [h * n + code[name] for h, names in enumerate(preferences) for name in names if name in code]
    return PreferredIndex(np.unique(np.array(keys, dtype=np.int64)), n)


def term_values(
    term: str,
    household: IntArray,
    unit: IntArray,
    h: Households,
    u: Units,
    policy: Policy,
    preferred: PreferredIndex,
) -> IntArray:
    """The value of one term for each pair (household[i], unit[i])."""
    if term == "placed_households":
        return np.ones(len(household), dtype=np.int64)
    if term == "placed_persons":
        return np.asarray(h.persons[household], dtype=np.int64)
    if term == "waiting_days":
        return np.asarray(h.waiting_days[household], dtype=np.int64)
    if term == "overdue":
        return (h.waiting_days[household] > 7 * policy.deadline_weeks).astype(np.int64)
    if term == "vulnerable":
        return h.vulnerable[household].astype(np.int64)
    if term == "temporary":
        return u.temporary[unit].astype(np.int64)
    if term == "underoccupancy":
        spare = np.maximum(u.max_occupants[unit] - h.future[household], 0)
        return np.where(u.shared[unit], 0, spare).astype(np.int64)
    if term == "preferred":
        return preferred.lookup(household, u.neighbourhood[unit]).astype(np.int64)
    if term == "move_on":
        return h.move_on[household].astype(np.int64)
    if term == "single_woman":
        return h.single_woman[household].astype(np.int64)
    if term == "single_parent":
        return h.single_parent[household].astype(np.int64)
    if term == "long_wait":
        return (h.waiting_days[household] > 7 * policy.long_wait_weeks).astype(np.int64)
    if term == "long_wait_days":
        return np.maximum(h.waiting_days[household] - 7 * policy.long_wait_weeks, 0).astype(np.int64)
    if term == "lookahead":
        if preferred.lookahead is None:
            raise ValueError("the lookahead term needs the week's look-ahead table (see prepare)")
        return preferred.lookahead.values(household, unit)
    if term == "own_municipality":
        return np.asarray(h.municipality[household] == u.municipality[unit], dtype=np.int64)
    raise ValueError(f"unknown term {term}")  # the policy parser rejects these earlier


def tier_weights(
    policy: Policy,
    household: IntArray,
    unit: IntArray,
    h: Households,
    u: Units,
    preferred: PreferredIndex,
) -> list[IntArray]:
    """Per tier, the weighted value of every pair (what choosing that pair adds to the tier)."""
    cache: dict[str, IntArray] = {}
    tiers: list[IntArray] = []
    for tier in policy.objective:
        total = np.zeros(len(household), dtype=np.int64)
        for term, weight in tier.items():
            if term not in cache:
                cache[term] = term_values(term, household, unit, h, u, policy, preferred)
            total += weight * cache[term]
        tiers.append(total)
    return tiers


__all__ = ["TERMS", "PreferredIndex", "preferred_index", "term_values", "tier_weights"]
