"""Profile-pair values from a small table, so rankings over a million profile pairs are look-ups.

A pair's value per tier without the household's own part and the preferred bonus
(``base_values``) reads the household only through the fields the
profile-pair terms read (``PROFILE_HOUSEHOLD_FIELDS`` and the look-ahead class) and the
unit through its own such fields, its look-ahead class and its unit part. Profiles alike
in those fields form a value class: a national week has a few thousand profiles on each
side but a few hundred classes, so the values of every class pair are computed once and
any profile pair's values are read from that table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.model import Prepared
from matcher.model.network import PROFILE_HOUSEHOLD_FIELDS, PROFILE_UNIT_FIELDS, profile_pair_values
from matcher.rules.arrays import IntArray
from matcher.rules.eligibility import UNIT_PROFILE, group_rows

Values = npt.NDArray[np.int64]  # (tiers, pairs)

# Packed ranks stay below this, so that -1 can mark an entry already taken.
_RANK_LIMIT = 1 << 62


@dataclass(frozen=True)
class ValueTable:
    """The value per tier of every (household profile, unit profile), as (household class, unit class)."""

    household_class: IntArray  # value class of each household profile
    unit_class: IntArray  # value class of each unit profile
    n_unit_classes: int
    grid: Values  # (tiers, household classes x unit classes)
    # Unit profiles alike in every field the rules read and in value class (they differ in wijk
    # only): every household profile may have all or none of a group, at one value.
    unit_group: IntArray
    unit_group_lead: IntArray  # the first unit profile of each group, which stands for the group

    def cells(self, household_profile: IntArray, unit_profile: IntArray) -> IntArray:
        """The table cell of each (household profile, unit profile) pair."""
        cell: IntArray = self.household_class[household_profile] * self.n_unit_classes + self.unit_class[unit_profile]
        return cell

    def values(self, household_profile: IntArray, unit_profile: IntArray) -> Values:
        """(tiers, pairs): ``base_values`` of these profile pairs (their representatives)."""
        values: Values = self.grid[:, self.cells(household_profile, unit_profile)]
        return values


def base_values(prep: Prepared, household: IntArray, unit: IntArray) -> np.ndarray:
    """(tiers, pairs): each pair's value per tier without the household's own part and the preferred bonus.

    It depends on the household only through its profile.
    """
    h, u, policy = prep.households, prep.units, prep.instance.policy
    rows = [profile_pair_values(part, household, unit, h, u, policy, prep.preferred) + part.unit[unit] for part in prep.parts]
    return np.array(rows, dtype=np.int64).reshape(len(prep.parts), len(household))


def value_table(prep: Prepared) -> ValueTable:
    """Group the profiles into value classes and evaluate one representative pair per class pair."""
    s, h, u = prep.structure, prep.households, prep.units
    lookahead = prep.preferred.lookahead
    h_columns = [np.asarray(getattr(h, name))[s.household_rep] for name in PROFILE_HOUSEHOLD_FIELDS]
    u_columns = [np.asarray(getattr(u, name))[s.unit_rep] for name in PROFILE_UNIT_FIELDS]
    u_columns += [part.unit[s.unit_rep] for part in prep.parts]
    if lookahead is not None:
        h_columns.append(lookahead.household[s.household_rep])
        u_columns.append(lookahead.unit[s.unit_rep])
    h_class, h_first = _classes(h_columns, len(s.household_rep))
    u_class, u_first = _classes(u_columns, len(s.unit_rep))
    reps_h = np.repeat(s.household_rep[h_first], len(u_first))
    reps_u = np.tile(s.unit_rep[u_first], len(h_first))
    # E9 aside, eligibility reads only the rule fields (UNIT_PROFILE), so a group shares its column
    # of the eligibility matrix; when a rule reads the wijk, the wijk is among them.
    rule_columns = [np.asarray(getattr(u, name))[s.unit_rep] for name in UNIT_PROFILE]
    u_group, u_lead = _classes([*rule_columns, u_class], len(s.unit_rep))
    return ValueTable(h_class, u_class, len(u_first), base_values(prep, reps_h, reps_u), u_group, u_lead)


def _classes(columns: list[npt.NDArray[np.generic]], n: int) -> tuple[IntArray, IntArray]:
    """(class of each row, the first row of each class) for rows alike in every column (a 2-D
    column counts with all its entries)."""
    if n == 0 or not columns:
        return np.zeros(n, dtype=np.int64), np.zeros(min(n, 1), dtype=np.int64)
    first, group = group_rows(np.concatenate([np.asarray(c, dtype=np.int64).reshape(n, -1) for c in columns], axis=1))
    return group, first


def packed_codes(values: Values) -> tuple[IntArray, int] | None:
    """Each column's values as one integer in the ranking's order (higher is better: larger
    values tier by tier), with the number of codes; None when they would not fit in 62 bits."""
    if values.shape[1] == 0:
        return np.zeros(0, dtype=np.int64), 1
    lows = [int(row.min()) for row in values]
    spans = [int(row.max()) - low + 1 for row, low in zip(values, lows, strict=True)]
    n_codes = math.prod(spans)
    if n_codes >= _RANK_LIMIT:
        return None
    code = np.zeros(values.shape[1], dtype=np.int64)
    for row, low, span in zip(values, lows, spans, strict=True):
        code *= span
        code += row - low
    return code, n_codes


def packed_ranks(code: IntArray, n_codes: int, member: IntArray) -> IntArray | None:
    """Codes and members as one integer per entry: higher code first, then the smaller member;
    None when that would not fit in 62 bits."""
    top_member = int(member.max()) + 1 if len(member) else 1
    if n_codes * top_member >= _RANK_LIMIT:
        return None
    rank: IntArray = code * top_member + (top_member - 1 - member)
    return rank


def sum_ranks(own: Values, member: IntArray, table: Values) -> tuple[IntArray, IntArray] | None:
    """Ranks for values that are an entry's own values plus a table cell's, in two parts.

    Returns (a part per entry, a part per cell): their sum orders (entry, cell) pairs as the
    ranking does (larger values tier by tier, then the smaller member), because packing the
    tiers into one integer is linear, so the code of a sum is the sum of the codes. None when
    the ranks would not fit in 62 bits.
    """
    if own.shape[1] == 0 or table.shape[1] == 0:
        return np.zeros(own.shape[1], dtype=np.int64), np.zeros(table.shape[1], dtype=np.int64)
    lows = [(int(a.min()), int(b.min())) for a, b in zip(own, table, strict=True)]
    spans = [int(a.max()) + int(b.max()) - low_a - low_b + 1 for a, b, (low_a, low_b) in zip(own, table, lows, strict=True)]
    top_member = int(member.max()) + 1
    if math.prod(spans) * top_member >= _RANK_LIMIT:
        return None
    code_own = np.zeros(own.shape[1], dtype=np.int64)
    code_table = np.zeros(table.shape[1], dtype=np.int64)
    for a, b, (low_a, low_b), span in zip(own, table, lows, spans, strict=True):
        code_own *= span
        code_own += a - low_a
        code_table *= span
        code_table += b - low_b
    return code_own * top_member + (top_member - 1 - member), code_table * top_member
