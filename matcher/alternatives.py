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
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

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


def among(values: IntArray, wanted: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """Which values are one of a few wanted ones (np.isin costs ~0.4 ms a call on short arrays)."""
    mask = np.zeros(len(values), dtype=bool)
    for item in wanted:
        mask |= values == item
    return mask


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


def _merged(values: np.ndarray, first: Iterable[int], second: Iterable[int]) -> Iterator[int]:
    """Two rankings of columns of ``values`` merged lazily into one (largest first, smaller index on ties)."""
    a, b = iter(first), iter(second)
    x, y = next(a, None), next(b, None)
    while x is not None or y is not None:
        if y is None or (x is not None and (values[:, x].tolist(), -x) > (values[:, y].tolist(), -y)):
            assert x is not None
            yield x
            x = next(a, None)
        else:
            yield y
            y = next(b, None)


def _grouped_top(group: IntArray, member: IntArray, values: np.ndarray, count: int) -> dict[int, tuple[IntArray, np.ndarray]]:
    """Like ``_grouped_rankings``, but only the best ``count`` members of each group."""
    if len(group) == 0:
        return {}
    order = grouped_top_indices(group, member, values, count)
    g, m, v = group[order], member[order], values[:, order]
    cuts = np.flatnonzero(np.diff(g)) + 1
    a_s, b_s = np.r_[0, cuts], np.r_[cuts, len(g)]
    return {int(g[a]): (m[a:b], v[:, a:b]) for a, b in zip(a_s.tolist(), b_s.tolist(), strict=True)}


def grouped_top_indices(group: IntArray, member: IntArray, values: np.ndarray, count: int) -> IntArray:
    """Indices of the best ``count`` entries of each group: by group, then best first.

    ``group`` must be sorted and ``member`` ascending within a group. Each round finds
    every group's lexicographic best among the entries left (tier by tier with segment
    maxima, then the smallest member) and takes it out: ``count`` linear passes instead
    of sorting every pair.
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
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
    if not picks:
        return np.zeros(0, dtype=np.int64)
    order = np.concatenate(picks)
    ranked: IntArray = order[np.lexsort((np.repeat(np.arange(len(picks)), [len(p) for p in picks]), segment[order]))]
    return ranked


def _ranked_columns(values: np.ndarray, columns: IntArray) -> list[int]:
    """The given columns of ``values`` from lexicographically largest to smallest (smaller column on ties)."""
    if len(columns) == 0:
        return []
    order = np.lexsort((columns, *(-row for row in values[::-1, columns])))
    ranked: list[int] = columns[order].tolist()
    return ranked


def _best_first(top: list[int], rest: Callable[[], list[int]]) -> Iterator[int]:
    """Columns in ranking order: first the known best ones, then (only if asked for) the rest."""
    yield from top
    seen = set(top)
    yield from (i for i in rest() if i not in seen)


def alternatives(prep: Prepared, household: IntArray, unit: IntArray) -> list[dict[str, Any]]:
    """Per match (same order as the arrays), the next-best unit and next-best household with tier differences.

    A household ranks unit profiles by a value that depends on its profile, plus a bonus
    for its preferred wijken; a unit ranks households by their own part plus their
    profile's value and bonus. Only the best few of each ranking are computed: a match
    walks past what it may not take (its own unit, excluded pairs, the unit's residents),
    usually one step, and the full ranking is computed only when those few run out.
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
    placed_in: dict[int, int] = dict(zip(household.tolist(), unit.tolist(), strict=True))
    residents: dict[int, set[int]] = defaultdict(set)
    for a, b in placed_in.items():
        residents[b].add(a)

    # Unit profiles per household profile: all eligible ones with their values, the best three ranked.
    needed_p = np.unique(s.household_profile[household])
    pi, qi = np.nonzero(s.eligible[np.ix_(needed_p, np.flatnonzero(per_profile > 0))])
    offered_q = np.flatnonzero(per_profile > 0)
    p_values = base_values(prep, s.household_rep[needed_p[pi]], s.unit_rep[offered_q[qi]])
    p_bounds = np.searchsorted(pi, np.arange(len(needed_p) + 1))
    p_position = {int(p): k for k, p in enumerate(needed_p.tolist())}
    p_top = {p: top for p, (top, _) in _grouped_top(needed_p[pi], offered_q[qi], p_values, 3).items()}

    next_households = _NextHouseholds(prep, household, unit, open_households, household_part, bonus)
    # A ranking depends on the household's profile and its preferred wijken; households alike
    # in both share one ranking, walked as far as needed.
    rankings: dict[tuple[int, tuple[int, ...]], tuple[_Replayable, np.ndarray, IntArray]] = {}

    def ranking_for(hi: int, p: int) -> tuple[_Replayable, np.ndarray, IntArray]:
        key = (p, prep.preference_lists[hi])
        if key not in rankings:
            a, b = p_bounds[p_position[p]], p_bounds[p_position[p] + 1]
            profiles, values = offered_q[qi[a:b]], p_values[:, a:b]
            liked_columns = np.flatnonzero(among(u.neighbourhood[s.unit_rep[profiles]], key[1])).tolist()
            top = np.searchsorted(profiles, p_top.get(p, _EMPTY)).tolist()  # profiles are ascending
            ranking: Iterable[int] = _best_first(top, partial(_ranked_columns, values, np.arange(values.shape[1])))
            if liked_columns:
                # The preferred wijken's profiles move by the bonus: rank those, merge with the rest in order.
                liked = np.zeros(len(profiles), dtype=bool)
                liked[liked_columns] = True
                values = values + bonus * liked
                rest = _best_first([i for i in top if not liked[i]], partial(_ranked_columns, values, np.flatnonzero(~liked)))
                ranking = _merged(values, _ranked_columns(values, np.flatnonzero(liked)), rest)
            rankings[key] = (_Replayable(ranking), values, profiles)
        return rankings[key]

    results: list[dict[str, Any]] = []
    for k, (hi, ui) in enumerate(zip(household.tolist(), unit.tolist(), strict=True)):
        p, own_q = int(s.household_profile[hi]), int(s.unit_profile[ui])
        chosen = chosen_all[:, k]
        ranking, values, profiles = ranking_for(hi, p)
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

        next_household = None
        skip = residents[ui] | excluded_by_unit.get(ui, set())
        found = next_households.best(own_q, skip)
        if found is not None:
            other, value = found
            next_household = {
                "household_id": h.ids[other],
                "tier_difference": (household_part[:, hi] + chosen - value).tolist(),
                "placed_in": u.ids[placed_in[other]] if other in placed_in else None,
            }
        results.append({"next_best_unit": next_unit, "next_best_household": next_household})
    return results


class _Replayable:
    """A lazy sequence: items are pulled from the source once, and every walk replays them first."""

    def __init__(self, source: Iterable[int]) -> None:
        self._source = iter(source)
        self._seen: list[int] = []

    def __iter__(self) -> Iterator[int]:
        index = 0
        while True:
            if index == len(self._seen):
                item = next(self._source, None)
                if item is None:
                    return
                self._seen.append(item)
            yield self._seen[index]
            index += 1


class _NextHouseholds:
    """The best households per unit profile, without scoring every (household, unit profile) pair.

    A household's value for a unit profile is its own part, plus its profile's value for
    the unit profile, plus the bonus when it prefers that wijk. With a bonus that is never
    negative, a household that does not prefer the wijk is beaten by the two best of its
    own profile (by own part), so the candidates are those two per eligible profile and
    the households that prefer the wijk. The best two candidates per unit profile are
    kept; a unit that skips both (residents, excluded pairs) gets a full ranking.
    """

    def __init__(
        self, prep: Prepared, household: IntArray, unit: IntArray, open_households: IntArray,
        household_part: np.ndarray, bonus: np.ndarray,
    ) -> None:  # fmt: skip
        self.prep, self.household_part, self.open = prep, household_part, open_households
        s, u = prep.structure, prep.units
        needed_q = np.unique(s.unit_profile[unit])
        self.needed_q = needed_q
        self.full: dict[int, tuple[IntArray, np.ndarray]] = {}
        if (bonus >= 0).all():
            own = s.household_profile[open_households]
            order = np.argsort(own, kind="stable")
            best_two = _grouped_top(own[order], open_households[order], household_part[:, open_households[order]], 2)
            members = np.full((s.eligible.shape[0], 2), -1, dtype=np.int64)
            for p, (best, _) in best_two.items():
                members[p, : len(best)] = best
            qj, pj = np.nonzero(s.eligible[:, needed_q].T)  # grouped by unit profile
            # Values without the bonus, once per (household profile, unit profile): a member that
            # prefers the wijk is also among the likers below, with the bonus, and that entry ranks first.
            profile_values = base_values(prep, s.household_rep[pj], s.unit_rep[needed_q[qj]])
            q_all = np.repeat(needed_q[qj], 2)
            h_all = members[pj].reshape(-1)
            kept = h_all >= 0
            q_all, h_all = q_all[kept], h_all[kept]
            values = np.repeat(profile_values, 2, axis=1)[:, kept] + household_part[:, h_all]
            liked_h, liked_q = self._likers(needed_q)
            order = np.argsort(liked_q, kind="stable")
            self.liked_top = _grouped_top(liked_q[order], liked_h[order], self._values(liked_h[order], liked_q[order]), 2)
        else:
            qj, hj = np.nonzero(s.eligible[np.ix_(s.household_profile[open_households], needed_q)].T)
            q_all, h_all = needed_q[qj], open_households[hj]
            values = self._values(h_all, q_all)
            self.liked_top = {}
        self.top = _grouped_top(q_all, h_all, values, 2)
        for q, (extra, extra_values) in self.liked_top.items():
            # Households preferring the wijk join the two best of their profiles; keep the best two overall.
            members, values = self.top.get(q, (_EMPTY, _NO_VALUES.reshape(len(bonus), 0)))
            both_m = members.tolist() + extra.tolist()
            both_v = values.T.tolist() + extra_values.T.tolist()
            ranked = sorted(range(len(both_m)), key=lambda i: ([-v for v in both_v[i]], both_m[i]))
            keep: list[int] = []
            for i in ranked:
                if len(keep) < 2 and all(both_m[i] != both_m[j] for j in keep):  # one household may be in both
                    keep.append(i)
            kept_values = np.array([both_v[i] for i in keep], dtype=np.int64).T
            self.top[q] = (np.array([both_m[i] for i in keep], dtype=np.int64), kept_values)
        del u

    def _values(self, households: IntArray, profiles: IntArray) -> np.ndarray:
        values: np.ndarray = self.household_part[:, households] + pair_values(
            self.prep, households, self.prep.structure.unit_rep[profiles]
        )
        return values

    def _likers(self, needed_q: IntArray) -> tuple[IntArray, IntArray]:
        """(household, unit profile) pairs where an open household prefers the profile's wijk and may have it."""
        s, u, prep = self.prep.structure, self.prep.units, self.prep
        codes, n_nbh = prep.preferred.codes, prep.preferred.n_neighbourhoods
        hs, ns = codes // n_nbh, codes % n_nbh  # (household, preferred wijk), by household
        is_open = np.zeros(len(prep.households.ids), dtype=bool)
        is_open[self.open] = True
        hs, ns = hs[is_open[hs]], ns[is_open[hs]]
        q_nbh = u.neighbourhood[s.unit_rep[needed_q]]
        by_nbh = np.argsort(q_nbh, kind="stable")
        start = np.searchsorted(q_nbh[by_nbh], ns, side="left")
        count = np.searchsorted(q_nbh[by_nbh], ns, side="right") - start
        offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        h_arr = np.repeat(hs, count).astype(np.int64)
        q_arr = needed_q[by_nbh[np.repeat(start, count) + offsets]].astype(np.int64)
        keep = s.eligible[s.household_profile[h_arr], q_arr] if len(h_arr) else np.zeros(0, dtype=bool)
        return h_arr[keep], q_arr[keep]

    def best(self, q: int, skip: set[int]) -> tuple[int, np.ndarray] | None:
        """The best household for unit profile q that is not skipped, with its value per tier."""
        members, values = self.top.get(q, (_EMPTY, _NO_VALUES))
        for index, other in enumerate(members.tolist()):
            if other not in skip:
                return other, values[:, index]
        if len(members) < 2:
            return None  # fewer than two candidates at all: nobody else is eligible
        if q not in self.full:
            s = self.prep.structure
            eligible = self.open[s.eligible[s.household_profile[self.open], q]]
            values_all = self.household_part[:, eligible] + pair_values(
                self.prep, eligible, np.full(len(eligible), s.unit_rep[q])
            )
            self.full[q] = _grouped_rankings(np.full(len(eligible), q), eligible, values_all).get(q, (_EMPTY, _NO_VALUES))
        members, values = self.full[q]
        for index, other in enumerate(members.tolist()):
            if other not in skip:
                return other, values[:, index]
        return None
