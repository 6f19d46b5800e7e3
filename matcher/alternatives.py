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
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from matcher.eligibility import IntArray
from matcher.network import profile_pair_values
from matcher.solve import Prepared


def base_values(prep: Prepared, household: IntArray, unit: IntArray) -> np.ndarray:
    """(tiers, pairs): each pair's value per tier without the household's own part and the preferred bonus.

    It depends on the household only through its profile.
    """
    h, u, policy = prep.households, prep.units, prep.instance.policy
    rows = [profile_pair_values(part, household, unit, h, u, policy, prep.preferred) + part.unit[unit] for part in prep.parts]
    return np.array(rows, dtype=np.int64).reshape(len(prep.parts), len(household))


def preferred_bonus(prep: Prepared) -> np.ndarray:
    """(tiers, 1): what a preferred wijk adds in each tier."""
    return np.array([part.preferred for part in prep.parts], dtype=np.int64).reshape(len(prep.parts), 1)


def pair_values(prep: Prepared, household: IntArray, unit: IntArray) -> np.ndarray:
    """(tiers, pairs): each pair's value per tier without the household's own part."""
    liked = prep.preferred.lookup(household, prep.units.neighbourhood[unit]).astype(np.int64)
    values: np.ndarray = base_values(prep, household, unit) + preferred_bonus(prep) * liked
    return values


def _ranked(values: np.ndarray) -> IntArray:
    """Column indices from lexicographically largest to smallest (first index first on ties)."""
    if values.shape[1] == 0:
        return np.zeros(0, dtype=np.int64)
    order: IntArray = np.lexsort((np.arange(values.shape[1]), *(-row for row in values[::-1])))
    return order


def _merged(values: np.ndarray, first: list[int], second: list[int]) -> Iterator[int]:
    """Two rankings of columns of ``values`` merged into one (largest first, smaller index on ties)."""
    i = j = 0
    while i < len(first) or j < len(second):
        if j == len(second) or (
            i < len(first) and (values[:, first[i]].tolist(), -first[i]) > (values[:, second[j]].tolist(), -second[j])
        ):
            yield first[i]
            i += 1
        else:
            yield second[j]
            j += 1


def alternatives(prep: Prepared, household: IntArray, unit: IntArray) -> list[dict[str, Any]]:
    """Per match (same order as the arrays), the next-best unit and next-best household with tier differences.

    Each household group (profile and preferred wijken) ranks the unit profiles once, and
    each unit profile ranks its eligible households once; a match then walks down those
    rankings past what it may not take (its own unit, excluded pairs), usually one step.
    """
    s, h, u = prep.structure, prep.households, prep.units
    n_q = s.eligible.shape[1]
    excluded: dict[int, set[int]] = defaultdict(set)
    excluded_by_unit: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(s.excluded_household.tolist(), s.excluded_unit.tolist(), strict=True):
        excluded[a].add(b)
        excluded_by_unit[b].add(a)
    available = np.flatnonzero(u.available)
    per_profile = np.bincount(s.unit_profile[available], minlength=n_q)
    first_unit: dict[int, list[int]] = defaultdict(list)  # profile -> available units in id order
    for ui in available.tolist():
        first_unit[int(s.unit_profile[ui])].append(ui)
    household_part = np.array([p.household for p in prep.parts], dtype=np.int64).reshape(len(prep.parts), -1)
    open_households = np.flatnonzero(h.documents)
    chosen_all = pair_values(prep, household, unit)

    by_profile: dict[int, tuple[IntArray, np.ndarray, list[int]]] = {}
    bonus = preferred_bonus(prep)
    by_unit_profile: dict[int, tuple[np.ndarray, list[int], list[int]]] = {}
    placed_in: dict[int, int] = dict(zip(household.tolist(), unit.tolist(), strict=True))
    residents: dict[int, set[int]] = defaultdict(set)
    for a, b in placed_in.items():
        residents[b].add(a)
    results: list[dict[str, Any]] = []
    for k, (hi, ui) in enumerate(zip(household.tolist(), unit.tolist(), strict=True)):
        p, own_q = int(s.household_profile[hi]), int(s.unit_profile[ui])
        chosen = chosen_all[:, k]
        if p not in by_profile:
            profiles = np.flatnonzero(s.eligible[p] & (per_profile > 0))
            values = base_values(prep, np.full(len(profiles), hi), s.unit_rep[profiles])
            by_profile[p] = (profiles, values, _ranked(values).tolist())
        profiles, values, order = by_profile[p]
        ranking: Iterable[int] = order
        if prep.preference_lists[hi]:
            liked = prep.preferred.lookup(np.full(len(profiles), hi), u.neighbourhood[s.unit_rep[profiles]])
            if liked.any():
                # Only the preferred wijken's profiles move up: rank those, merge with the rest.
                values = values + bonus * liked
                liked_at = np.flatnonzero(liked)
                columns = values.T.tolist()
                liked_ranked = sorted(liked_at.tolist(), key=lambda i: ([-v for v in columns[i]], i))
                ranking = _merged(values, liked_ranked, [i for i in order if not liked[i]])
        blocked = excluded.get(hi, set()) | {ui}
        next_unit = None
        for index in ranking:
            q = int(profiles[index])
            alt = next((x for x in first_unit[q] if x not in blocked), None)
            if alt is not None:
                next_unit = {
                    "unit_id": u.ids[alt],
                    "tier_difference": (chosen - values[:, index]).tolist(),
                    "taken_by": [h.ids[x] for x in sorted(residents.get(alt, ()))],
                }
                break

        if own_q not in by_unit_profile:
            candidates = open_households[s.eligible[s.household_profile[open_households], own_q]]
            reps = np.full(len(candidates), s.unit_rep[own_q])
            cand_values = household_part[:, candidates] + pair_values(prep, candidates, reps)
            ranked = _ranked(cand_values)
            by_unit_profile[own_q] = (cand_values, ranked.tolist(), candidates[ranked].tolist())
        cand_values, cand_order, cand_households = by_unit_profile[own_q]
        skip = residents[ui] | excluded_by_unit.get(ui, set())
        next_household = None
        for index, other in zip(cand_order, cand_households, strict=True):
            if other in skip:
                continue
            next_household = {
                "household_id": h.ids[other],
                "tier_difference": (household_part[:, hi] + chosen - cand_values[:, index]).tolist(),
                "placed_in": u.ids[placed_in[other]] if other in placed_in else None,
            }
            break
        results.append({"next_best_unit": next_unit, "next_best_household": next_household})
    return results
