"""Preparing a week for the solvers: encode, group into profiles, split the tiers, check the fixed pairs.

``prepare`` builds a frozen :class:`Prepared` once; the optimiser, the FIFO baseline and
the explanations all read it. A simulation that keeps its world encoded between weeks hands
the week's arrays to ``prepare_encoded`` instead and skips the tables altogether; such a
``Prepared`` has no instance, so it can be solved but not explained.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from matcher.input.instance import Instance
from matcher.input.policy import Policy
from matcher.model.fixed_pairs import check_fixed_pairs
from matcher.model.lookahead import build_table
from matcher.model.network import TierParts, tier_parts
from matcher.model.terms import PreferredIndex, preferred_index
from matcher.model.tiebreak import id_scores
from matcher.rules.arrays import Codes, Households, IntArray, Units, encode
from matcher.rules.structure import Structure, build_structure


@dataclass(frozen=True)
class EncodedWeek:
    """A week already encoded: what ``prepare`` otherwise reads from an instance's tables.

    ``preferences`` holds each household's preferred neighbourhoods by name, and
    ``koppeling_day``/``available_day`` the days (any integer scale) the FIFO baseline orders by.
    ``excluded_pairs`` must be the instance's (the policy's and each mover's current place).
    A simulation that prepares many weeks of one world may hand over the tie-break scores of
    the week's households and units (``id_scores`` of their ids, computed once per world)."""

    households: Households
    units: Units
    codes: Codes
    policy: Policy
    excluded_pairs: Sequence[tuple[str, str]]
    preferences: list[tuple[str, ...]]
    koppeling_day: IntArray
    available_day: IntArray
    tie_scores: tuple[IntArray, IntArray] | None = None


@dataclass(frozen=True)
class Prepared:
    """An instance with its eligibility structure and the tiers split for the network.

    ``source`` is the instance it was prepared from, or None for an :class:`EncodedWeek`;
    ``fifo_keys`` then holds the order keys the FIFO baseline would read from the tables."""

    source: Instance | None
    policy: Policy
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
    fifo_keys: tuple[IntArray, IntArray] | None = None  # (household, unit) order keys without tables

    @property
    def instance(self) -> Instance:
        """The instance this was prepared from (explanations read its tables)."""
        if self.source is None:
            raise ValueError("a week prepared from encoded arrays has no instance to explain")
        return self.source

    @property
    def stable(self) -> bool:
        """Whether a stability tier (keep the previous proposal's pairs) follows the policy's tiers."""
        return bool(self.policy.previous_pairs)

    @property
    def n_pairs(self) -> int:
        """Number of eligible pairs (E1-E9), counted on the structure without listing them."""
        return int(self.structure.eligible_counts()[0].sum())


def prepare(instance: Instance) -> Prepared:
    """Encode, build the eligibility structure, split the tiers, and check the fixed pairs."""
    started = time.perf_counter()
    h, u, codes = encode(instance)
    preferences = list(instance.households["preferred_neighbourhoods"])
    return _prepare(started, instance, h, u, codes, instance.policy, instance.excluded_pairs, preferences, None)


def prepare_encoded(week: EncodedWeek) -> Prepared:
    """``prepare`` for a week already encoded; the same result for the same week, without tables.

    A policy with fixed pairs needs the instance (their errors name its rows): use ``prepare``."""
    started = time.perf_counter()
    if week.policy.fixed_pairs:
        raise ValueError("fixed pairs are checked against an instance: use prepare(instance)")
    keys = (week.koppeling_day, week.available_day)
    return _prepare(
        started,
        None,
        week.households,
        week.units,
        week.codes,
        week.policy,
        week.excluded_pairs,
        week.preferences,
        keys,
        week.tie_scores,
    )


def _prepare(
    started: float,
    instance: Instance | None,
    h: Households,
    u: Units,
    codes: Codes,
    policy: Policy,
    excluded_pairs: Sequence[tuple[str, str]],
    preferences: list[tuple[str, ...]],
    fifo_keys: tuple[IntArray, IntArray] | None,
    tie_scores: tuple[IntArray, IntArray] | None = None,
) -> Prepared:
    structure = build_structure(h, u, policy, excluded_pairs)
    if tie_scores is None:
        tie_scores = (id_scores(h.ids, policy.seed, b"h"), id_scores(u.ids, policy.seed, b"u"))
    preferred = preferred_index(preferences, codes.neighbourhoods)
    if "lookahead" in policy.terms_used:
        preferred = replace(preferred, lookahead=build_table(h, u, policy))
    nbh_code = {name: i for i, name in enumerate(codes.neighbourhoods)}
    if instance is not None:
        fixed_household, fixed_unit = check_fixed_pairs(instance, h, u, codes, structure)
    else:
        fixed_household, fixed_unit = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return Prepared(
        source=instance,
        policy=policy,
        households=h,
        units=u,
        codes=codes,
        structure=structure,
        preferred=preferred,
        preference_lists=[tuple(nbh_code[n] for n in names) for names in preferences],
        parts=tier_parts(policy, h, u, preferred),
        tie_household=tie_scores[0],
        tie_unit=tie_scores[1],
        fixed_household=fixed_household,
        fixed_unit=fixed_unit,
        build_s=time.perf_counter() - started,
        previous_unit=_previous_units(policy, h, u, structure),
        fifo_keys=fifo_keys,
    )


def _previous_units(policy: Policy, h: Households, u: Units, structure: Structure) -> IntArray:
    """Per household, the unit of its pair in the previous proposal, or -1.

    Pairs naming a household or unit that is no longer in the input (housed, let,
    withdrawn), or that is no longer eligible, cannot be kept and are ignored.
    """
    previous = np.full(len(h.ids), -1, dtype=np.int64)
    h_index = {hid: i for i, hid in enumerate(h.ids)}
    u_index = {uid: i for i, uid in enumerate(u.ids)}
    for hid, uid in sorted(policy.previous_pairs):
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
