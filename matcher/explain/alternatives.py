"""Why this one: for each match, the household's next-best unit and the unit's next-best household.

A pair's value per tier is a household part, plus a part fixed by the unit's profile
(temporary, underoccupancy, own municipality, and the preferred bonus, since the
neighbourhood is part of the unit profile). So a household's best units are found among
a few unit profiles, and a unit ranks households by their own part plus their profile's
part. Both rankings are lexicographic over the policy's tiers; ties go to the smallest id. The
``tier_difference`` is the chosen pair's value minus the alternative's, per tier: a
negative first non-zero entry means the alternative would have been better for this
pair, and went elsewhere because the proposal as a whole is better that way.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from matcher.explain.values import ValueTable, base_values, packed_codes, packed_ranks, sum_ranks, value_table
from matcher.model import Prepared
from matcher.rules.arrays import IntArray


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


def grouped_top(group: IntArray, member: IntArray, values: np.ndarray, count: int) -> dict[int, tuple[IntArray, np.ndarray]]:
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
    every group's lexicographic best among the entries left and takes it out: ``count``
    linear passes instead of sorting every pair. When the values and members fit in one
    integer (the usual case: the tiers' values span small ranges), each round compares
    that one integer; otherwise tier by tier with segment maxima, then the smallest member.
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    packed = packed_codes(values)
    rank = packed_ranks(*packed, member) if packed is not None else None
    if rank is not None:
        return grouped_top_ranked(group, rank, count)
    starts = _starts(group)
    segment = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(group)]))
    return _in_order(_rounds(values, member, starts, segment, count), group)


def grouped_top_ranked(group: IntArray, rank: IntArray, count: int) -> IntArray:
    """``grouped_top_indices`` for entries already packed into distinct non-negative ranks (higher is better)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = _starts(group)
    sizes = np.diff(np.r_[starts, len(group)])
    left = rank.copy()
    picks: list[IntArray] = []
    for _ in range(count):
        best = np.maximum.reduceat(left, starts)
        chosen = np.flatnonzero(left == np.repeat(best, sizes))  # at most one per group: ranks are distinct
        chosen = chosen[left[chosen] >= 0]  # not of a group whose entries are all taken
        if len(chosen) == 0:
            break
        picks.append(chosen)
        left[chosen] = -1
    return _in_order(picks, group)


def _starts(group: IntArray) -> IntArray:
    """The start of each run of equal (sorted) groups."""
    starts: IntArray = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    return starts


def _in_order(picks: list[IntArray], group: IntArray) -> IntArray:
    """The entries picked round by round, by group, then in the order picked."""
    if not picks:
        return np.zeros(0, dtype=np.int64)
    order = np.concatenate(picks)
    ranked: IntArray = order[np.lexsort((np.repeat(np.arange(len(picks)), [len(p) for p in picks]), group[order]))]
    return ranked


def _rounds(values: np.ndarray, member: IntArray, starts: IntArray, segment: IntArray, count: int) -> list[IntArray]:
    """The rounds of ``grouped_top_indices`` tier by tier, for values too wide to pack."""
    left = np.ones(len(member), dtype=bool)
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
    return picks


def alternatives(prep: Prepared, household: IntArray, unit: IntArray, table: ValueTable | None = None) -> list[dict[str, Any]]:
    """Per match (same order as the arrays), the next-best unit and next-best household with tier differences.

    A household ranks unit profiles by a value that depends on its profile, plus a bonus
    for its preferred wijken; a unit ranks households by their own part plus their
    profile's value and bonus. Only the best few of each ranking are computed: a match
    walks past what it may not take (its own unit, excluded pairs, the unit's residents),
    usually one step, and the full ranking is computed only when those few run out.
    """
    s, h, u = prep.structure, prep.households, prep.units
    table = value_table(prep) if table is None else table
    excluded: dict[int, set[int]] = defaultdict(set)
    excluded_by_unit: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(s.excluded_household.tolist(), s.excluded_unit.tolist(), strict=True):
        excluded[a].add(b)
        excluded_by_unit[b].add(a)
    available = np.flatnonzero(u.available)
    household_part = np.array([p.household for p in prep.parts], dtype=np.int64).reshape(len(prep.parts), -1)
    open_households = np.flatnonzero(h.documents)
    chosen_all = pair_values(prep, household, unit)
    bonus = preferred_bonus(prep)
    placed_in: dict[int, int] = dict(zip(household.tolist(), unit.tolist(), strict=True))
    residents: dict[int, set[int]] = defaultdict(set)
    for a, b in placed_in.items():
        residents[b].add(a)

    next_households = _NextHouseholds(prep, table, household, unit, open_households, household_part, bonus)
    # The next-best unit: the best of the household's eligible units once its own unit and its
    # excluded pairs are left out. Households alike in profile and preferred wijken share one
    # ranking; a household with excluded pairs has its own, long enough to walk past them.
    keys: dict[tuple[int, tuple[int, ...], int], int] = {}
    key_of = [
        keys.setdefault((p, prep.preference_lists[hi], hi if hi in excluded else -1), len(keys))
        for hi, p in zip(household.tolist(), s.household_profile[household].tolist(), strict=True)
    ]
    limits = np.array([2 + len(excluded.get(owner, ())) for _, _, owner in keys], dtype=np.int64)
    ranked = best_units(prep, table, [(p, wijken) for p, wijken, _ in keys], limits, available, bonus)

    results: list[dict[str, Any]] = []
    # Per match, as lists: item access on numpy arrays is slow in a loop.
    per_match = zip(
        household.tolist(), unit.tolist(), s.unit_profile[unit].tolist(), chosen_all.T.tolist(),
        household_part[:, household].T.tolist(), key_of, strict=True,
    )  # fmt: skip
    for hi, ui, own_q, chosen, own_part, key in per_match:
        blocked = excluded.get(hi, set()) | {ui}
        candidates, values = ranked[key]
        next_unit = None
        for index, alt in enumerate(candidates):
            if alt not in blocked:
                next_unit = {
                    "unit_id": u.ids[alt],
                    "tier_difference": [c - v for c, v in zip(chosen, values[index], strict=True)],
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
                "tier_difference": [a + c - v for a, c, v in zip(own_part, chosen, value.tolist(), strict=True)],
                "placed_in": u.ids[placed_in[other]] if other in placed_in else None,
            }
        results.append({"next_best_unit": next_unit, "next_best_household": next_household})
    return results


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
        self, prep: Prepared, table: ValueTable, household: IntArray, unit: IntArray, open_households: IntArray,
        household_part: np.ndarray, bonus: np.ndarray,
    ) -> None:  # fmt: skip
        self.prep, self.table, self.household_part, self.open = prep, table, household_part, open_households
        s = prep.structure
        needed_q = np.unique(s.unit_profile[unit])
        self.needed_q = needed_q
        self.full: dict[int, tuple[IntArray, np.ndarray]] = {}
        if (bonus >= 0).all():
            own = s.household_profile[open_households]
            order = np.argsort(own, kind="stable")
            best_two = grouped_top(own[order], open_households[order], household_part[:, open_households[order]], 2)
            members = np.full((s.eligible.shape[0], 2), -1, dtype=np.int64)
            for p, (best, _) in best_two.items():
                members[p, : len(best)] = best
            # The best two of all plain entries are the best two of the profiles' first members, or the
            # first and the second member of the leading profile: three entries per unit profile at most.
            # Taken a block of unit profiles at a time, so the (profile, unit profile) arrays stay small.
            leaders = np.flatnonzero(members[:, 0] >= 0)
            ranks = sum_ranks(household_part[:, members[leaders, 0]], members[leaders, 0], table.grid)
            # Unit profiles of one group have the same plain candidates: found for the group's first
            # unit profile and repeated for the others.
            first_q = needed_q[np.unique(table.unit_group[needed_q], return_index=True)[1]]
            block = max(1, (1 << 20) // max(len(leaders), 1))
            found = [
                self._plain_candidates(first_q[k : k + block], members, leaders, ranks) for k in range(0, len(first_q), block)
            ]
            q_lead = np.concatenate([f[0] for f in found]) if found else _EMPTY
            h_lead = np.concatenate([f[1] for f in found]) if found else _EMPTY
            v_lead = np.concatenate([f[2] for f in found], axis=1) if found else np.zeros((len(prep.parts), 0), np.int64)
            q_all, entry = _spread(q_lead, table.unit_group, needed_q)
            h_all, values = h_lead[entry], v_lead[:, entry]
            liked_h, liked_q = self._likers(needed_q)
            # Households preferring the wijk join with the bonus; a household in both keeps that entry.
            plain = np.r_[np.zeros(len(liked_q), dtype=np.int64), np.ones(len(q_all), dtype=np.int64)]
            q_all = np.concatenate([liked_q, q_all])
            h_all = np.concatenate([liked_h, h_all])
            values = np.concatenate([self._values(liked_h, liked_q), values], axis=1)
            order = np.lexsort((plain, h_all, q_all))
            first = order[np.r_[True, (np.diff(q_all[order]) != 0) | (np.diff(h_all[order]) != 0)][: len(order)]]
            q_all, h_all, values = q_all[first], h_all[first], values[:, first]
        else:
            qj, hj = np.nonzero(s.eligible[np.ix_(s.household_profile[open_households], needed_q)].T)
            q_all, h_all = needed_q[qj], open_households[hj]
            values = self._values(h_all, q_all)
        self.top = grouped_top(q_all, h_all, values, 2)

    def _plain_candidates(
        self, needed_q: IntArray, members: IntArray, leaders: IntArray, ranks: tuple[IntArray, IntArray] | None
    ) -> tuple[IntArray, IntArray, np.ndarray]:
        """For the given unit profiles: the three plain candidates of each (unit profile, household, values).

        ``leaders`` are the profiles with a first member; ``ranks`` (see ``values.sum_ranks``) rank
        a leader for a unit profile by two look-ups, or are None when values must be compared tier by tier.
        """
        s, household_part, table = self.prep.structure, self.household_part, self.table
        qj, local = np.nonzero(s.eligible[np.ix_(leaders, needed_q)].T)  # grouped by unit profile
        pj = leaders[local]
        # Values without the bonus, once per (household profile, unit profile): a member that
        # prefers the wijk is also among the likers, with the bonus, and that entry ranks first.
        if ranks is not None:
            top = grouped_top_ranked(qj, ranks[0][local] + ranks[1][table.cells(pj, needed_q[qj])], 2)
        else:
            leader_values = table.values(pj, needed_q[qj]) + household_part[:, members[pj, 0]]
            top = grouped_top_indices(qj, members[pj, 0], leader_values, 2)
        lead = top[np.r_[True, qj[top][1:] != qj[top][:-1]]] if len(top) else top
        lead = lead[members[pj[lead], 1] >= 0]
        q_all = np.concatenate([needed_q[qj[top]], needed_q[qj[lead]]])
        p_all = np.concatenate([pj[top], pj[lead]])
        h_all = np.concatenate([members[pj[top], 0], members[pj[lead], 1]])
        return q_all, h_all, table.values(p_all, q_all) + household_part[:, h_all]

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


def best_units(
    prep: Prepared, table: ValueTable, keys: list[tuple[int, tuple[int, ...]]], limits: IntArray, units: IntArray,
    bonus: np.ndarray,
) -> list[tuple[list[int], list[list[int]]]]:  # fmt: skip
    """Per key (household profile, preferred wijken): the ``limits[k]`` best eligible units among
    ``units``, by value per tier (the bonus for a preferred wijk included), then unit id; with
    their values (a list per unit, one value per tier).

    The best units are among the first ``limit`` units of the best ``limit`` unit profiles
    (by value, then their first unit). Those are among the preferred profiles (with the
    bonus) and the best few profiles without the bonus, so each key needs only a few rows,
    and all keys are ranked together in a few array passes.
    """
    s, u = prep.structure, prep.units
    by_q = units[np.argsort(s.unit_profile[units], kind="stable")]  # units by profile, then id
    unit_q, q_start, q_count = np.unique(s.unit_profile[by_q], return_index=True, return_counts=True)
    key_p = np.array([p for p, _ in keys], dtype=np.int64)
    profiles = np.unique(key_p)
    key_pos = np.searchsorted(profiles, key_p)
    # The unit profiles in one of the key's preferred wijken that its profile may have, with the bonus
    # (looked up wijk by wijk: a key prefers a few wijken, each with a few unit profiles) ...
    q_nbh = u.neighbourhood[s.unit_rep[unit_q]]
    by_nbh = np.argsort(q_nbh, kind="stable")
    liked_key = np.array([k for k, (_, wijken) in enumerate(keys) for _ in wijken], dtype=np.int64)
    liked_nbh = np.array([n for _, wijken in keys for n in wijken], dtype=np.int64)
    lo = np.searchsorted(q_nbh[by_nbh], liked_nbh, side="left")
    found = np.searchsorted(q_nbh[by_nbh], liked_nbh, side="right") - lo
    liked_rows_key = np.repeat(liked_key, found)
    liked_q = by_nbh[np.repeat(lo, found) + _within(found)]
    fits = s.eligible[profiles[key_pos[liked_rows_key]], unit_q[liked_q]]
    liked_rows_key, liked_q = liked_rows_key[fits], liked_q[fits]
    liked_values = table.values(key_p[liked_rows_key], unit_q[liked_q]) + bonus
    n_liked = np.bincount(liked_rows_key, minlength=len(keys))
    # ... and the best unit profiles of the key's profile without it: ``limit`` of them when the bonus
    # only ever raises a value (a preferred profile then ranks at least as high with it), and
    # ``limit`` more per preferred profile when it can lower one.
    nonzero = bonus[:, 0][bonus[:, 0] != 0]
    wanted = limits + (n_liked if len(nonzero) and nonzero[0] < 0 else 0)
    pi, qi, cells, top = _best_columns(prep, table, profiles, unit_q, by_q[q_start], int(wanted.max()) if len(keys) else 0)
    starts = np.searchsorted(pi[top], key_pos, side="left")
    counts = np.minimum(np.searchsorted(pi[top], key_pos, side="right") - starts, wanted)
    plain = top[np.repeat(starts, counts) + _within(counts)]
    rows_key = np.concatenate([liked_rows_key, np.repeat(np.arange(len(keys)), counts)])
    rows_q = np.concatenate([liked_q, qi[plain]])
    rows_values = np.concatenate([liked_values, table.grid[:, cells[plain]]], axis=1)
    is_liked = np.r_[np.ones(len(liked_q), dtype=np.int64), np.zeros(len(plain), dtype=np.int64)]

    # One row per (key, unit profile), the preferred one kept; each row gives its first units.
    order = np.lexsort((-is_liked, rows_q, rows_key))
    keep = order[np.r_[True, (np.diff(rows_key[order]) != 0) | (np.diff(rows_q[order]) != 0)][: len(order)]]
    rows_key, q_index, rows_values = rows_key[keep], rows_q[keep], rows_values[:, keep]
    take = np.minimum(q_count[q_index], limits[rows_key])
    unit_key = np.repeat(rows_key, take)
    unit = by_q[np.repeat(q_start[q_index], take) + _within(take)]
    unit_values = np.repeat(rows_values, take, axis=1)
    order = np.lexsort((unit, *(-row for row in unit_values[::-1]), unit_key))
    unit_key, unit, unit_values = unit_key[order], unit[order], unit_values[:, order]
    chosen = np.arange(len(unit_key)) - np.searchsorted(unit_key, unit_key, side="left") < limits[unit_key]
    unit_key, unit, unit_values = unit_key[chosen], unit[chosen], unit_values[:, chosen]
    bounds = np.searchsorted(unit_key, np.arange(len(keys) + 1))
    listed, columns = unit.tolist(), unit_values.T.tolist()
    return [(listed[a:b], columns[a:b]) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]


def _best_columns(
    prep: Prepared, table: ValueTable, profiles: IntArray, columns: IntArray, member: IntArray, count: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per household profile, its best ``count`` eligible unit profiles among ``columns`` (by value,
    then ``member``, the column's first unit), as (profile position, column position, table cell) of
    candidate pairs and the indices of the best among them, by profile then best first.

    Unit profiles of one group (``ValueTable.unit_group``) are eligible for the same household
    profiles at the same value, so the pairs are first ranked per group (at the group's smallest
    member): the best ``count`` columns lie among the first ``count`` columns of the best
    ``count`` groups, and only those few candidates per profile are ranked column by column.
    """
    group, column_group = np.unique(table.unit_group[columns], return_inverse=True)
    by_group = np.lexsort((member, column_group))  # columns by group, then member
    first = np.searchsorted(column_group[by_group], np.arange(len(group)))
    size = np.diff(np.r_[first, len(columns)])
    lead = by_group[first]  # each group's column with the smallest member
    pi, gi = np.nonzero(prep.structure.eligible[np.ix_(profiles, columns[lead])])  # by profile, then group
    cells = table.cells(profiles[pi], columns[lead[gi]])
    best = _top_cells(table, pi, cells, member[lead[gi]], count)
    take = np.minimum(size[gi[best]], count)
    pi, cells = np.repeat(pi[best], take), np.repeat(cells[best], take)
    qi = by_group[np.repeat(first[gi[best]], take) + _within(take)]
    order = np.lexsort((member[qi], pi))
    pi, qi, cells = pi[order], qi[order], cells[order]
    return pi, qi, cells, _top_cells(table, pi, cells, member[qi], count)


def _top_cells(table: ValueTable, group: IntArray, cells: IntArray, member: IntArray, count: int) -> IntArray:
    """``grouped_top_indices`` for pairs given by their table cells: the cells' values are packed
    once per cell of the table, and each pair's rank is one look-up."""
    packed = packed_codes(table.grid)
    rank = packed_ranks(packed[0][cells], packed[1], member) if packed is not None else None
    if rank is None:
        return grouped_top_indices(group, member, table.grid[:, cells], count)
    return grouped_top_ranked(group, rank, count)


def _spread(q_lead: IntArray, unit_group: IntArray, needed_q: IntArray) -> tuple[IntArray, IntArray]:
    """Entries found for one unit profile per group, repeated for every needed unit profile of the group:
    (unit profile, entry) pairs."""
    by_group = np.argsort(unit_group[needed_q], kind="stable")
    sorted_groups = unit_group[needed_q[by_group]]
    lo = np.searchsorted(sorted_groups, unit_group[q_lead], side="left")
    count = np.searchsorted(sorted_groups, unit_group[q_lead], side="right") - lo
    q_all: IntArray = needed_q[by_group[np.repeat(lo, count) + _within(count)]]
    return q_all, np.repeat(np.arange(len(q_lead)), count)


def _within(counts: IntArray) -> IntArray:
    """0, 1, ..., c-1 for each count c, concatenated."""
    offsets: IntArray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return offsets
