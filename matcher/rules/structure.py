"""The eligibility structure: profiles of households and units, and which profiles fit.

At national scale there are tens of millions of eligible pairs, but only a few thousand
distinct household profiles and unit profiles. Everything downstream (the flow network,
explanations, the FIFO baseline) works on this structure and expands explicit pairs only
for the few households or units that need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.input.policy import Policy
from matcher.rules.arrays import BoolArray, Households, IntArray, Units
from matcher.rules.eligibility import HOUSEHOLD_PROFILE, UNIT_PROFILE, expand_profile_pairs, profiles, rule_masks

_BLOCK_CELLS = 1 << 21  # (household profile, unit profile) cells per block of rule evaluations


@dataclass(frozen=True)
class Structure:
    """Profile-level eligibility (E1-E8) plus the explicit exclusions (E9)."""

    household_rep: IntArray  # a representative household per household profile
    household_profile: IntArray  # profile of each household
    unit_rep: IntArray
    unit_profile: IntArray  # profile of each unit (neighbourhood included)
    eligible: BoolArray  # (household profiles, unit profiles)
    excluded_household: IntArray  # excluded pairs that pass E1-E8
    excluded_unit: IntArray

    @property
    def n_households(self) -> int:
        return len(self.household_profile)

    @property
    def n_units(self) -> int:
        return len(self.unit_profile)

    def pair_eligible(self, household: IntArray, unit: IntArray) -> BoolArray:
        """E1-E9 for given pairs (parallel arrays)."""
        ok = self.eligible[self.household_profile[household], self.unit_profile[unit]]
        if len(self.excluded_household):
            n = self.n_units
            banned = self.excluded_household * n + self.excluded_unit
            ok = ok & ~np.isin(household * n + unit, banned)
        return np.asarray(ok)

    def eligible_counts(self) -> tuple[IntArray, IntArray]:
        """Number of eligible units per household and eligible households per unit."""
        h_sizes = np.bincount(self.household_profile, minlength=self.eligible.shape[0])
        u_sizes = np.bincount(self.unit_profile, minlength=self.eligible.shape[1])
        per_p = np.zeros(self.eligible.shape[0], dtype=np.int64)
        per_q = np.zeros(self.eligible.shape[1], dtype=np.int64)
        block = max(1, _BLOCK_CELLS // max(self.eligible.shape[1], 1))
        for start in range(0, self.eligible.shape[0], block):  # no integer copy of the whole matrix
            matrix = self.eligible[start : start + block].astype(np.int64)
            per_p[start : start + len(matrix)] = matrix @ u_sizes
            per_q += h_sizes[start : start + len(matrix)] @ matrix
        per_household = per_p[self.household_profile]
        per_unit = per_q[self.unit_profile]
        np.subtract.at(per_household, self.excluded_household, 1)
        np.subtract.at(per_unit, self.excluded_unit, 1)
        return per_household.astype(np.int64), per_unit.astype(np.int64)

    def expand(self, households: BoolArray, units: BoolArray) -> tuple[IntArray, IntArray]:
        """Explicit eligible pairs among the selected households and units, by household then unit."""
        h_sel = np.flatnonzero(households)
        u_sel = np.flatnonzero(units)
        if len(h_sel) == 0 or len(u_sel) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        hp_codes, hp_local = np.unique(self.household_profile[h_sel], return_inverse=True)
        up_codes, up_local = np.unique(self.unit_profile[u_sel], return_inverse=True)
        sub = self.eligible[np.ix_(hp_codes, up_codes)]
        local_h, local_u = expand_profile_pairs(sub, hp_local.reshape(-1), up_local.reshape(-1))
        household, unit = h_sel[local_h], u_sel[local_u]
        if len(self.excluded_household):
            keep = self.pair_eligible(household, unit)
            household, unit = household[keep], unit[keep]
        return household.astype(np.int64), unit.astype(np.int64)


def build_structure(h: Households, u: Units, policy: Policy, excluded_pairs: Sequence[tuple[str, str]] = ()) -> Structure:
    """Group households and units into profiles and evaluate E1-E8 on the profiles."""
    h_rep, h_prof = profiles(h, HOUSEHOLD_PROFILE)
    u_rep, u_prof = profiles(u, (*UNIT_PROFILE, "neighbourhood"))
    eligible = np.zeros((len(h_rep), len(u_rep)), dtype=bool)
    # A block of household profiles at a time: the rules' working arrays stay small.
    block = max(1, _BLOCK_CELLS // max(len(u_rep), 1))
    for start in range(0, len(h_rep) if len(u_rep) else 0, block):
        rows = h_rep[start : start + block]
        eligible[start : start + len(rows)] = np.logical_and.reduce(rule_masks(h, u, policy, rows, u_rep))
    ex_h: list[int] = []
    ex_u: list[int] = []
    if excluded_pairs:
        index_h = {hid: i for i, hid in enumerate(h.ids)}
        index_u = {uid: i for i, uid in enumerate(u.ids)}
        for hid, uid in sorted(set(excluded_pairs)):
            hi, ui = index_h[hid], index_u[uid]
            if eligible[h_prof[hi], u_prof[ui]]:
                ex_h.append(hi)
                ex_u.append(ui)
    return Structure(
        household_rep=h_rep,
        household_profile=h_prof,
        unit_rep=u_rep,
        unit_profile=u_prof,
        eligible=np.ascontiguousarray(eligible),
        excluded_household=np.array(ex_h, dtype=np.int64),
        excluded_unit=np.array(ex_u, dtype=np.int64),
    )
