"""What is left to decide after the fixed pairs: open households, beds and places, capped wijken."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.model.prepare import Prepared
from matcher.rules.arrays import BoolArray, IntArray


@dataclass(frozen=True)
class Residual:
    """What is left to decide after the fixed pairs."""

    open_household: BoolArray
    unit_left: IntArray  # beds left (shared) or 1/0 (non-shared)
    cap_left: IntArray  # per neighbourhood code, -1: uncapped
    open_unit: BoolArray


def residual(prep: Prepared) -> Residual:
    h, u, policy = prep.households, prep.units, prep.policy
    cap_left = np.full(len(prep.codes.neighbourhoods), -1, dtype=np.int64)
    for name, cap in policy.caps_left.items():
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
