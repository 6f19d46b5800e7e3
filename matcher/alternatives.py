"""Why this one: for each match, the household's next-best unit and the unit's next-best household.

A pair's value per tier is a household part, plus a part fixed by the unit's profile
(temporary, underoccupancy, own municipality, and the preferred bonus, since the
neighbourhood is part of the unit profile). So a household ranks units profile by
profile, and a unit ranks households by their own part plus their profile's part. Both
rankings are lexicographic over the policy's tiers; ties go to the smallest id. The
``tier_difference`` is the chosen pair's value minus the alternative's, per tier: a
negative first non-zero entry means the alternative would have been better for this
pair, and went elsewhere because the proposal as a whole is better that way.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from matcher.eligibility import IntArray
from matcher.network import profile_pair_values
from matcher.solve import Prepared


def pair_values(prep: Prepared, household: IntArray, unit: IntArray) -> np.ndarray:
    """(tiers, pairs): each pair's value per tier without the household's own part."""
    h, u, policy = prep.households, prep.units, prep.instance.policy
    preferred = prep.preferred.lookup(household, u.neighbourhood[unit]).astype(np.int64)
    rows = [
        profile_pair_values(part, household, unit, h, u, policy, prep.preferred) + part.unit[unit] + part.preferred * preferred
        for part in prep.parts
    ]
    return np.array(rows, dtype=np.int64).reshape(len(prep.parts), len(household))


def _lexicographic_best(values: np.ndarray, allowed: np.ndarray) -> int | None:
    """Index of the lexicographically largest column among the allowed ones (first on ties)."""
    candidates = np.flatnonzero(allowed)
    for row in values:
        if len(candidates) <= 1:
            break
        column = row[candidates]
        candidates = candidates[column == column.max()]
    return int(candidates[0]) if len(candidates) else None


def alternatives(prep: Prepared, household: IntArray, unit: IntArray) -> list[dict[str, Any]]:
    """Per match (same order as the arrays), the next-best unit and next-best household with tier differences."""
    s, h, u = prep.structure, prep.households, prep.units
    n_q = s.eligible.shape[1]
    excluded: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(s.excluded_household.tolist(), s.excluded_unit.tolist(), strict=True):
        excluded[a].add(b)
    available = np.flatnonzero(u.available)
    per_profile = np.bincount(s.unit_profile[available], minlength=n_q)
    first_unit: dict[int, list[int]] = defaultdict(list)  # profile -> available units in id order
    for ui in available.tolist():
        first_unit[int(s.unit_profile[ui])].append(ui)
    household_part = np.array([p.household for p in prep.parts], dtype=np.int64).reshape(len(prep.parts), -1)
    open_households = np.flatnonzero(h.documents)

    by_household: dict[tuple[int, tuple[int, ...]], tuple[IntArray, np.ndarray]] = {}
    by_unit_profile: dict[int, tuple[IntArray, np.ndarray]] = {}
    placed_in: dict[int, int] = dict(zip(household.tolist(), unit.tolist(), strict=True))
    residents: dict[int, set[int]] = defaultdict(set)
    for a, b in placed_in.items():
        residents[b].add(a)
    results: list[dict[str, Any]] = []
    for hi, ui in zip(household.tolist(), unit.tolist(), strict=True):
        p, own_q = int(s.household_profile[hi]), int(s.unit_profile[ui])
        key = (p, prep.preference_lists[hi])
        if key not in by_household:
            profiles = np.flatnonzero(s.eligible[p] & (per_profile > 0))
            by_household[key] = (profiles, pair_values(prep, np.full(len(profiles), hi), s.unit_rep[profiles]))
        profiles, values = by_household[key]
        chosen = pair_values(prep, np.array([hi]), np.array([ui]))[:, 0]
        blocked = excluded.get(hi, set()) | {ui}
        left = per_profile[profiles].copy()
        for x in blocked:
            left[profiles == s.unit_profile[x]] -= 1
        next_unit = None
        index = _lexicographic_best(values, left > 0)
        if index is not None:
            alt = next(x for x in first_unit[int(profiles[index])] if x not in blocked)
            next_unit = {
                "unit_id": u.ids[alt],
                "tier_difference": (chosen - values[:, index]).tolist(),
                "taken_by": [h.ids[x] for x in sorted(residents.get(alt, ()))],
            }

        if own_q not in by_unit_profile:
            candidates = open_households[s.eligible[s.household_profile[open_households], own_q]]
            reps = np.full(len(candidates), s.unit_rep[own_q])
            by_unit_profile[own_q] = (candidates, household_part[:, candidates] + pair_values(prep, candidates, reps))
        candidates, cand_values = by_unit_profile[own_q]
        allowed = ~np.isin(candidates, list(residents[ui]))
        for other in (c for c, units in excluded.items() if ui in units):
            allowed &= candidates != other
        next_household = None
        index = _lexicographic_best(cand_values, allowed)
        if index is not None:
            other = int(candidates[index])
            next_household = {
                "household_id": h.ids[other],
                "tier_difference": (household_part[:, hi] + chosen - cand_values[:, index]).tolist(),
                "placed_in": u.ids[placed_in[other]] if other in placed_in else None,
            }
        results.append({"next_best_unit": next_unit, "next_best_household": next_household})
    return results
