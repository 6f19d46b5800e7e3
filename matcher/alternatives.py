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


_EMPTY = np.zeros(0, dtype=np.int64)
_NO_VALUES = np.zeros((0, 0), dtype=np.int64)


def _grouped_rankings(group: IntArray, member: IntArray, values: np.ndarray) -> dict[int, tuple[IntArray, np.ndarray]]:
    """Per group: its members from lexicographically largest value to smallest (smaller member first on
    ties), with their values (tiers x members) in that order."""
    if len(group) == 0:
        return {}
    order = np.lexsort((member, *(-row for row in values[::-1]), group))
    group, member, values = group[order], member[order], values[:, order]
    cuts = np.flatnonzero(np.diff(group)) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(group)]
    return {int(group[a]): (member[a:b], values[:, a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}


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


def _grouped_top(group: IntArray, member: IntArray, values: np.ndarray, count: int) -> dict[int, tuple[IntArray, np.ndarray]]:
    """Like ``_grouped_rankings``, but only the best ``count`` members of each group.

    ``group`` must be sorted and ``member`` ascending within a group. Each round finds
    every group's lexicographic best among the members left (tier by tier with segment
    maxima, then the smallest member) and takes it out: ``count`` linear passes instead
    of sorting every pair.
    """
    if len(group) == 0:
        return {}
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    segment = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(group)]))
    left = np.ones(len(group), dtype=bool)
    lowest = np.iinfo(np.int64).min
    picks: list[IntArray] = []
    for _ in range(count):
        best = left.copy()
        for row in values:
            masked = np.where(best, row, lowest)
            best &= masked == np.maximum.reduceat(masked, starts)[segment]
        first = np.where(best, member, np.iinfo(np.int64).max)
        best &= first == np.minimum.reduceat(first, starts)[segment]
        chosen = np.flatnonzero(best)  # at most one per group
        if len(chosen) == 0:
            break
        picks.append(chosen)
        left[chosen] = False
    order = np.concatenate(picks)
    order = order[np.lexsort((np.repeat(np.arange(len(picks)), [len(p) for p in picks]), segment[order]))]
    g, m, v = group[order], member[order], values[:, order]
    cuts = np.flatnonzero(np.diff(g)) + 1
    a_s, b_s = np.r_[0, cuts], np.r_[cuts, len(g)]
    return {int(g[a]): (m[a:b], v[:, a:b]) for a, b in zip(a_s.tolist(), b_s.tolist(), strict=True)}


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

    bonus = preferred_bonus(prep)
    # Unit profiles ranked per household profile, and households ranked per unit profile, all at once.
    needed_p = np.unique(s.household_profile[household])
    offered_q = np.flatnonzero(per_profile > 0)
    pi, qi = np.nonzero(s.eligible[np.ix_(needed_p, offered_q)])
    by_profile = _grouped_rankings(
        needed_p[pi], offered_q[qi], base_values(prep, s.household_rep[needed_p[pi]], s.unit_rep[offered_q[qi]])
    )
    placed_in: dict[int, int] = dict(zip(household.tolist(), unit.tolist(), strict=True))
    residents: dict[int, set[int]] = defaultdict(set)
    for a, b in placed_in.items():
        residents[b].add(a)
    # A unit skips its residents and its excluded households, so the best few per unit profile suffice.
    needed_q = np.unique(s.unit_profile[unit])
    qj, hj = np.nonzero(s.eligible[np.ix_(s.household_profile[open_households], needed_q)].T)
    candidates = open_households[hj]
    candidate_values = household_part[:, candidates] + pair_values(prep, candidates, s.unit_rep[needed_q[qj]])
    by_unit_profile = _grouped_top(needed_q[qj], candidates, candidate_values, 2)
    bounds = np.searchsorted(qj, np.arange(len(needed_q) + 1))
    q_position = {int(q): k for k, q in enumerate(needed_q.tolist())}

    def full_ranking(q: int) -> tuple[IntArray, np.ndarray]:
        """All households eligible for unit profile q, ranked (when the best two are both skipped)."""
        a, b = bounds[q_position[q]], bounds[q_position[q] + 1]
        return _grouped_rankings(needed_q[qj[a:b]], candidates[a:b], candidate_values[:, a:b]).get(q, (_EMPTY, _NO_VALUES))

    results: list[dict[str, Any]] = []
    for k, (hi, ui) in enumerate(zip(household.tolist(), unit.tolist(), strict=True)):
        p, own_q = int(s.household_profile[hi]), int(s.unit_profile[ui])
        chosen = chosen_all[:, k]
        profiles, values = by_profile.get(p, (_EMPTY, _NO_VALUES))
        ranking: Iterable[int] = range(len(profiles))
        if prep.preference_lists[hi] and len(profiles):
            liked = prep.preferred.lookup(np.full(len(profiles), hi), u.neighbourhood[s.unit_rep[profiles]])
            if liked.any():
                # Only the preferred wijken's profiles move up: rank those, merge with the rest.
                values = values + bonus * liked
                liked_at = np.flatnonzero(liked).tolist()
                columns = values.T.tolist()
                liked_ranked = sorted(liked_at, key=lambda i: ([-v for v in columns[i]], i))
                ranking = _merged(values, liked_ranked, np.flatnonzero(~liked).tolist())
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

        cand_households, cand_values = by_unit_profile.get(own_q, (_EMPTY, _NO_VALUES))
        skip = residents[ui] | excluded_by_unit.get(ui, set())
        if len(skip) >= len(cand_households) and skip.issuperset(cand_households.tolist()):
            cand_households, cand_values = full_ranking(own_q)
        next_household = None
        for index, other in enumerate(cand_households.tolist()):
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
