"""Eligibility: the rules E1-E9, each one record, and the pair set they allow.

A rule is a :class:`Rule`: its id, the household and unit fields it reads, its predicate,
the words that explain it (how many units it excluded, and the same with the household's
own numbers) and the kinds of single change that can lift it (see
``matcher.explain.counterfactual``). Everything else derives from the registry ``RULES``:
the profiles (every field any rule reads), the masks, the first failing rule behind a
reason code and its sentence. A new rule is one record here plus its test.

Predicates are evaluated on broadcast arrays: household attributes shaped ``(n, 1)``
against unit attributes shaped ``(1, m)``. They are never evaluated for every household x
unit pair at scale: households and units are first grouped into profiles, the rules run
on profiles, and only the eligible profile pairs are expanded into household/unit index
pairs. E9 (the excluded pairs of the policy) is pair-specific: its record has no
predicate and is applied after the expansion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from matcher.input.policy import Policy
from matcher.rules.arrays import BoolArray, Households, IntArray, Units

Predicate = Callable[[Households, Units, Policy], BoolArray]
Variants = Callable[[Mapping[str, Any], int], list[tuple[str, int]]]


def _one_phrase(details: Mapping[str, Any], n: int) -> list[tuple[str, int]]:
    return [("", n)]


@dataclass(frozen=True)
class Rule:
    """One eligibility rule, with everything that speaks of it.

    ``counted[lang]`` says how many units (or households) the rule excluded: ``{n}`` is the
    count. ``for_household[lang][variant]`` says the same with one household's numbers
    (``{persons}``, ``{future}``, ``{cap}``, ``{municipality}``, ``{horizon_end}``);
    ``variants`` splits a count into the phrases that apply (E4: too small and too large).
    ``relaxations`` names the kinds of single change that can make an excluded pair
    eligible; the counterfactual search tries exactly these.
    """

    id: str
    predicate: Predicate | None
    household_fields: tuple[str, ...]
    unit_fields: tuple[str, ...]
    counted: Mapping[str, str]
    for_household: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    variants: Variants = _one_phrase
    relaxations: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The predicate's docstring: what the rule forbids and why."""
        return (self.predicate.__doc__ or "") if self.predicate is not None else "E9: the WBB excluded the pair."


# --- the predicates ----------------------------------------------------------------------
# Each takes household arrays H (fields shaped (n, 1)), unit arrays U (fields (1, m)) and
# the policy, and returns a boolean array broadcastable to (n, m): True where allowed.


def e1_documents(h: Households, u: Units, p: Policy) -> BoolArray:
    """E1: without BSN and IBAN no lease can be signed, so no home can be offered."""
    return h.documents


def e2_available(h: Households, u: Units, p: Policy) -> BoolArray:
    """E2: the unit is free on or before planning_date + horizon_days."""
    return u.available


def e3_municipality(h: Households, u: Units, p: Policy) -> BoolArray:
    """E3: only the municipality the household is gekoppeld to, unless the run is regional;
    a regional agreement then allows only the municipalities it names for the household's."""
    if p.regional and p.regional_agreement is None:
        return np.ones((1, 1), dtype=bool)
    same = np.asarray(h.municipality == u.municipality)
    if not p.regional:
        return same
    return np.asarray(same | ((h.reach & u.region_bit) != 0), dtype=bool)


def e4_occupancy(h: Households, u: Units, p: Policy) -> BoolArray:
    """E4: a non-shared home respects its woningbezettingsnorm for the household now."""
    return u.shared | ((u.min_occupants <= h.persons) & (h.persons <= u.max_occupants))


def e5_reunification(h: Households, u: Units, p: Policy) -> BoolArray:
    """E5: a permanent home must fit the household once the nareizigers have arrived."""
    if not p.reunification_must_fit:
        return np.ones((1, 1), dtype=bool)
    concerned = h.expects_family & ~u.temporary
    return ~concerned | (~u.shared & (h.future <= u.max_occupants))


def e6_shared(h: Households, u: Units, p: Policy) -> BoolArray:
    """E6: shared places only for small households, matching gender, safe and supported places."""
    fits = (h.persons <= p.shared_max_household_size) & (h.persons <= u.beds)
    gender = (u.gender == -1) | (u.gender == h.gender)
    safe = ~h.lgbtiq | u.lgbtiq_safe
    support = ~h.psychosocial | u.support
    return np.asarray(~u.shared | (fits & gender & safe & support))


def e7_accessibility(h: Households, u: Units, p: Policy) -> BoolArray:
    """E7: a wheelchair user needs a wheelchair home; reduced mobility needs step-free access."""
    return (~h.wheelchair | u.wheelchair) & (~h.mobility | u.step_free)


def e8_rent(h: Households, u: Units, p: Policy) -> BoolArray:
    """E8: passend toewijzen, the rent within the household's cap (young, low or high)."""
    if p.rent_caps is None:
        return np.ones((1, 1), dtype=bool)
    ok: BoolArray = np.take_along_axis(u.rent_ok.reshape(1, -1, 3), h.cap_class.reshape(-1, 1, 1), axis=2)[:, :, 0]
    return ok


def b1_bedrooms(h: Households, u: Units, p: Policy) -> BoolArray:
    """B1: a corporation allots a home by persons per bedroom; a studio counts as one bedroom.

    Off unless the policy sets ``max_persons_per_bedroom``; shared places count beds (E6)."""
    if p.max_persons_per_bedroom is None:
        return np.ones((1, 1), dtype=bool)
    return np.asarray(u.shared | (h.persons <= p.max_persons_per_bedroom * np.maximum(u.bedrooms, 1)))


def b2_amv_home(h: Households, u: Units, p: Policy) -> BoolArray:
    """B2: an AMV home is kept for a youngster who came as an unaccompanied minor (the ``ex_amv``
    mark), living alone; no other household is offered one. An ex-AMV youngster may still have
    any other home that fits."""
    return np.asarray(~u.amv_home | (h.ex_amv & (h.persons == 1)))


def _occupancy_split(details: Mapping[str, Any], n: int) -> list[tuple[str, int]]:
    """E4 counts homes too small and homes meant for more residents apart."""
    split = details["occupancy"]
    return [(key, split[f"too_{key}"]) for key in ("small", "large") if split[f"too_{key}"]]


def _accessibility_need(details: Mapping[str, Any], n: int) -> list[tuple[str, int]]:
    """E7 names the household's own need: wheelchair access, or step-free access."""
    return [("wheelchair" if details["needs"] == "wheelchair" else "step_free", n)]


_SHARED_NL = "{n} gedeelde woningen die niet passen (grootte, gender, LHBTIQ+-veilig of begeleiding)"
_SHARED_EN = "{n} shared places that do not fit (size, gender, LGBTIQ+-safe or support)"

E1 = Rule(
    "E1", e1_documents, ("documents",), (),
    counted={"nl": "{n} zonder BSN of IBAN", "en": "{n} without BSN or IBAN"},
    relaxations=("documents",),
)  # fmt: skip
E2 = Rule(
    "E2", e2_available, (), ("available",),
    counted={"nl": "{n} nog niet beschikbaar binnen de horizon", "en": "{n} not available within the horizon"},
    for_household={"nl": {"": "{n} pas na {horizon_end} vrij"}, "en": {"": "{n} not free before {horizon_end}"}},
)  # fmt: skip
E3 = Rule(
    "E3", e3_municipality, ("municipality", "reach"), ("municipality", "region_bit"),
    counted={"nl": "{n} in een andere gemeente", "en": "{n} in another municipality"},
    for_household={"nl": {"": "{n} buiten {municipality}"}, "en": {"": "{n} outside {municipality}"}},
)  # fmt: skip
E4 = Rule(
    "E4", e4_occupancy, ("persons",), ("shared", "min_occupants", "max_occupants"),
    counted={"nl": "{n} met een bezettingsnorm die niet past", "en": "{n} whose occupancy norm does not fit"},
    for_household={
        "nl": {"small": "{n} te klein voor {persons}", "large": "{n} bedoeld voor meer bewoners dan {persons}"},
        "en": {"small": "{n} hold fewer than {persons}", "large": "{n} are meant for more residents than {persons}"},
    },
    variants=_occupancy_split,
    relaxations=("occupant_plus_one",),
)  # fmt: skip
E5 = Rule(
    "E5", e5_reunification, ("future", "expects_family"), ("shared", "temporary", "max_occupants"),
    counted={
        "nl": "{n} te klein voor het huishouden na gezinshereniging",
        "en": "{n} too small for the household after family reunification",
    },
    for_household={
        "nl": {"": "{n} te klein voor {future} na gezinshereniging"},
        "en": {"": "{n} too small for {future} after family reunification"},
    },
    relaxations=("occupant_plus_one", "reunification_relaxed"),
)  # fmt: skip
E6 = Rule(
    "E6", e6_shared, ("persons", "gender", "lgbtiq", "psychosocial"), ("shared", "beds", "gender", "lgbtiq_safe", "support"),
    counted={"nl": _SHARED_NL, "en": _SHARED_EN},
    for_household={"nl": {"": _SHARED_NL}, "en": {"": _SHARED_EN}},
    relaxations=("occupant_plus_one",),
)  # fmt: skip
E7 = Rule(
    "E7", e7_accessibility, ("wheelchair", "mobility"), ("wheelchair", "step_free"),
    counted={
        "nl": "{n} niet toegankelijk genoeg (rolstoel of traploos)",
        "en": "{n} not accessible enough (wheelchair or step-free)",
    },
    for_household={
        "nl": {"wheelchair": "{n} niet rolstoeltoegankelijk", "step_free": "{n} niet traploos bereikbaar"},
        "en": {"wheelchair": "{n} not wheelchair accessible", "step_free": "{n} not step-free"},
    },
    variants=_accessibility_need,
)  # fmt: skip
E8 = Rule(
    "E8", e8_rent, ("cap_class",), ("rent_ok",),
    counted={"nl": "{n} met een huur boven de aftoppingsgrens", "en": "{n} with a rent above the cap"},
    for_household={"nl": {"": "{n} duurder dan EUR {cap}"}, "en": {"": "{n} cost more than EUR {cap}"}},
    relaxations=("rent_lower",),
)  # fmt: skip
B1 = Rule(
    "B1", b1_bedrooms, ("persons",), ("shared", "bedrooms"),
    counted={"nl": "{n} met te weinig slaapkamers", "en": "{n} with too few bedrooms"},
    for_household={
        "nl": {"": "{n} met te weinig slaapkamers voor {persons}"},
        "en": {"": "{n} with too few bedrooms for {persons}"},
    },
)  # fmt: skip
B2 = Rule(
    "B2", b2_amv_home, ("ex_amv", "persons"), ("amv_home",),
    counted={"nl": "{n} bewaard voor ex-AMV-jongeren", "en": "{n} kept for former unaccompanied minors"},
    for_household={
        "nl": {"": "{n} bewaard voor ex-AMV-jongeren"},
        "en": {"": "{n} kept for former unaccompanied minors"},
    },
)  # fmt: skip
E9 = Rule(
    "E9", None, (), (),
    counted={"nl": "{n} door de WBB uitgesloten", "en": "{n} excluded by the WBB"},
    for_household={"nl": {"": "{n} door de WBB uitgesloten"}, "en": {"": "{n} excluded by the WBB"}},
)  # fmt: skip

# The vectorised rules in the spec's order, then this project's own (the first failing one
# names the reason), then E9.
RULES: tuple[Rule, ...] = (E1, E2, E3, E4, E5, E6, E7, E8, B1, B2)
ALL_RULES: tuple[Rule, ...] = (*RULES, E9)
RULE_INDEX = {rule.id: k for k, rule in enumerate(RULES)}


def _profile_fields(record: type[Households] | type[Units], wanted: set[str]) -> tuple[str, ...]:
    """The fields the rules read, in the record's own field order."""
    return tuple(f.name for f in fields(record) if f.name in wanted)


# Every attribute any rule reads: households (and units) equal in all of them are one profile.
HOUSEHOLD_PROFILE = _profile_fields(Households, {f for rule in RULES for f in rule.household_fields})
UNIT_PROFILE = _profile_fields(Units, {f for rule in RULES for f in rule.unit_fields})


def _subset_households(h: Households, index: IntArray) -> Households:
    values: dict[str, Any] = {
        name: (getattr(h, name)[index].reshape(-1, 1) if name != "ids" else [h.ids[i] for i in index])
        for name in Households.__dataclass_fields__
    }
    values["cap_class"] = h.cap_class[index]
    return Households(**values)


def _subset_units(u: Units, index: IntArray) -> Units:
    values: dict[str, Any] = {}
    for name in Units.__dataclass_fields__:
        if name == "ids":
            values[name] = [u.ids[i] for i in index]
        elif name == "rent_ok":
            values[name] = u.rent_ok[index]
        else:
            values[name] = getattr(u, name)[index].reshape(1, -1)
    return Units(**values)


def profile_matrix(arrays: Households | Units, fields: tuple[str, ...]) -> IntArray:
    """The rule-relevant attributes as one integer row per entry (n, k).

    A 2-D field (a unit's rent within each cap) counts as one column per entry of its row,
    after all plain fields."""
    columns: list[IntArray] = []
    matrix_columns: list[IntArray] = []
    for name in fields:
        values = np.asarray(getattr(arrays, name)).astype(np.int64)
        if values.ndim == 2:
            matrix_columns.extend(values.T)
        else:
            columns.append(values)
    columns += matrix_columns
    if not columns or len(columns[0]) == 0:
        return np.zeros((0, len(columns)), dtype=np.int64)
    return np.stack(columns, axis=1)


def group_rows(stacked: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct rows of ``stacked`` in lexicographic order: (first entry of each, group of each entry).

    The same answer as ``np.unique(stacked, axis=0, return_index=True, return_inverse=True)``,
    from one stable ``lexsort`` (several times faster on the few hundred rows of a week)."""
    n = len(stacked)
    if n == 0 or stacked.shape[1] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(stacked.T[::-1])
    ordered = stacked[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group_sorted = np.cumsum(starts) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group_sorted
    return order[starts].astype(np.int64), inverse


def profiles(arrays: Households | Units, fields: tuple[str, ...]) -> tuple[IntArray, IntArray]:
    """Group entries with identical rule-relevant attributes: (representatives, profile of each).

    Profiles are numbered in the lexicographic order of ``profile_matrix``; the representative
    of a profile is its first entry."""
    return group_rows(profile_matrix(arrays, fields))


def rule_masks(h: Households, u: Units, policy: Policy, h_index: IntArray, u_index: IntArray) -> list[BoolArray]:
    """Every rule E1-E8 on the given households x units, each as a full (n, m) mask."""
    hs, us = _subset_households(h, h_index), _subset_units(u, u_index)
    shape = (len(h_index), len(u_index))
    return [np.broadcast_to(rule.predicate(hs, us, policy), shape) for rule in RULES if rule.predicate is not None]


def expand_profile_pairs(eligible: BoolArray, h_prof: IntArray, u_prof: IntArray) -> tuple[IntArray, IntArray]:
    """Expand eligible profile pairs into member pairs, ordered by household then unit."""
    h_order = np.argsort(h_prof, kind="stable")
    u_order = np.argsort(u_prof, kind="stable")
    h_size = np.bincount(h_prof, minlength=eligible.shape[0])
    u_size = np.bincount(u_prof, minlength=eligible.shape[1])
    h_start = np.concatenate(([0], np.cumsum(h_size)[:-1]))
    u_start = np.concatenate(([0], np.cumsum(u_size)[:-1]))
    pc, pk = np.nonzero(eligible)
    blocks = h_size[pc] * u_size[pk]
    total = int(blocks.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    block_of = np.repeat(np.arange(len(pc)), blocks)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(blocks) - blocks, blocks)
    width = u_size[pk][block_of]
    household = h_order[h_start[pc][block_of] + offset // width]
    unit = u_order[u_start[pk][block_of] + offset % width]
    order = np.lexsort((unit, household))
    return household[order].astype(np.int64), unit[order].astype(np.int64)
