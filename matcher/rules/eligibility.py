"""Eligibility rules E1-E8 as vectorised functions, and the pair set they allow.

Each rule is one function with the spec's id, evaluated on broadcast arrays: household
attributes shaped ``(n, 1)`` against unit attributes shaped ``(1, m)``. The rules are
never evaluated for every household x unit pair at scale: households and units are first
grouped into profiles (every attribute any rule reads), the rules run on profiles, and
only the eligible profile pairs are expanded into household/unit index pairs. E9 (the
excluded pairs of the policy) is pair-specific and is applied after the expansion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.input.instance import Instance
from matcher.input.policy import Policy

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

GENDER_CODES = {"F": 0, "M": 1, "X": 2}
CAP_YOUNG, CAP_LOW, CAP_HIGH = 0, 1, 2
MICRO = Decimal(1_000_000)


def _micro(amount: Decimal) -> int:
    return int((amount * MICRO).to_integral_value())


@dataclass(frozen=True)
class Households:
    """Household attributes the rules and terms read, one entry per household (id order)."""

    ids: list[str]
    documents: BoolArray
    municipality: IntArray
    persons: IntArray
    future: IntArray
    expects_family: BoolArray
    gender: IntArray
    wheelchair: BoolArray
    mobility: BoolArray
    lgbtiq: BoolArray
    psychosocial: BoolArray
    cap_class: IntArray
    head_age: IntArray
    waiting_days: IntArray
    vulnerable: BoolArray


@dataclass(frozen=True)
class Units:
    """Unit attributes the rules and terms read, one entry per unit (id order)."""

    ids: list[str]
    available: BoolArray
    municipality: IntArray
    neighbourhood: IntArray
    shared: BoolArray
    temporary: BoolArray
    beds: IntArray
    min_occupants: IntArray
    max_occupants: IntArray
    rent_ok: npt.NDArray[np.bool_]  # (m, 3): rent within the young, low and high cap
    step_free: BoolArray
    wheelchair: BoolArray
    gender: IntArray  # -1: anyone
    lgbtiq_safe: BoolArray
    support: BoolArray


@dataclass(frozen=True)
class Codes:
    """Integer codes for municipalities and neighbourhoods, shared by both tables."""

    municipalities: list[str]
    neighbourhoods: list[str]


def _has(lists: pd.Series, item: str) -> BoolArray:
    return np.fromiter((item in v for v in lists), dtype=bool, count=len(lists))


def encode(instance: Instance) -> tuple[Households, Units, Codes]:
    """Turn the checked tables into the integer arrays the rules and the model use."""
    hh, un, policy = instance.households, instance.units, instance.policy
    municipalities = sorted(set(hh["municipality"]) | set(un["municipality"]))
    neighbourhoods = sorted(set(un["neighbourhood"]).union(*[set(p) for p in hh["preferred_neighbourhoods"]]))
    muni_code = {name: i for i, name in enumerate(municipalities)}
    nbh_code = {name: i for i, name in enumerate(neighbourhoods)}

    persons = (hh["adults"].to_numpy(np.int64) + hh["children"].to_numpy(np.int64)).astype(np.int64)
    expected = hh["expected_reunification"].to_numpy(np.int64)
    koppeling = pd.to_datetime(hh["koppeling_date"]).to_numpy("datetime64[D]")
    waiting = (np.datetime64(policy.planning_date, "D") - koppeling).astype(np.int64)
    head_age = hh["head_age"].to_numpy(np.int64)
    cap_class = np.full(len(hh), CAP_HIGH, dtype=np.int64)
    young_age = policy.rent_caps.young_age if policy.rent_caps is not None else 0
    cap_class[persons <= 2] = CAP_LOW
    cap_class[(persons == 1) & (head_age < young_age)] = CAP_YOUNG
    vulns = hh["vulnerabilities"]
    households = Households(
        ids=list(hh["household_id"]),
        documents=hh["documents_complete"].to_numpy(bool),
        municipality=np.array([muni_code[m] for m in hh["municipality"]], dtype=np.int64),
        persons=persons,
        future=persons + expected,
        expects_family=expected > 0,
        gender=np.array([GENDER_CODES[g] for g in hh["gender"]], dtype=np.int64),
        wheelchair=_has(vulns, "wheelchair"),
        mobility=_has(vulns, "mobility"),
        lgbtiq=_has(vulns, "lgbtiq"),
        psychosocial=_has(vulns, "psychosocial"),
        cap_class=cap_class,
        head_age=head_age,
        waiting_days=np.maximum(waiting, 0),
        vulnerable=np.fromiter((len(v) > 0 for v in vulns), dtype=bool, count=len(hh)),
    )

    rent = np.array([_micro(r) for r in un["rent"]], dtype=np.int64)
    rent_ok = np.ones((len(un), 3), dtype=bool)
    if policy.rent_caps is not None:
        caps = policy.rent_caps
        for column, cap in ((CAP_YOUNG, caps.young), (CAP_LOW, caps.low), (CAP_HIGH, caps.high)):
            rent_ok[:, column] = rent <= _micro(cap)
    horizon_end = np.datetime64(policy.planning_date, "D") + np.timedelta64(policy.horizon_days, "D")
    available_from = pd.to_datetime(un["available_from"]).to_numpy("datetime64[D]")
    shared = un["shared"].to_numpy(bool)
    beds = un["beds"].fillna(0).to_numpy(np.int64)
    units = Units(
        ids=list(un["unit_id"]),
        available=available_from <= horizon_end,
        municipality=np.array([muni_code[m] for m in un["municipality"]], dtype=np.int64),
        neighbourhood=np.array([nbh_code[n] for n in un["neighbourhood"]], dtype=np.int64),
        shared=shared,
        temporary=un["temporary"].to_numpy(bool),
        beds=beds,
        min_occupants=un["min_occupants"].to_numpy(np.int64),
        max_occupants=un["max_occupants"].to_numpy(np.int64),
        rent_ok=rent_ok,
        step_free=un["step_free"].to_numpy(bool) | un["wheelchair"].to_numpy(bool),
        wheelchair=un["wheelchair"].to_numpy(bool),
        gender=np.array([{"F": 0, "M": 1}.get(g, -1) for g in un["gender"]], dtype=np.int64),
        lgbtiq_safe=un["lgbtiq_safe"].to_numpy(bool),
        support=un["support"].to_numpy(bool),
    )
    return households, units, Codes(municipalities, neighbourhoods)


# --- the rules -------------------------------------------------------------------------
# Each takes household arrays H (fields shaped (n, 1)), unit arrays U (fields (1, m)) and
# the policy, and returns a boolean array broadcastable to (n, m): True where allowed.

Rule = Callable[[Households, Units, Policy], BoolArray]


def e1_documents(h: Households, u: Units, p: Policy) -> BoolArray:
    """E1: without BSN and IBAN no lease can be signed, so no home can be offered."""
    return h.documents


def e2_available(h: Households, u: Units, p: Policy) -> BoolArray:
    """E2: the unit is free on or before planning_date + horizon_days."""
    return u.available


def e3_municipality(h: Households, u: Units, p: Policy) -> BoolArray:
    """E3: only the municipality the household is gekoppeld to, unless the run is regional."""
    if p.regional:
        return np.ones((1, 1), dtype=bool)
    return np.asarray(h.municipality == u.municipality)


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


RULES: tuple[tuple[str, Rule], ...] = (
    ("E1", e1_documents),
    ("E2", e2_available),
    ("E3", e3_municipality),
    ("E4", e4_occupancy),
    ("E5", e5_reunification),
    ("E6", e6_shared),
    ("E7", e7_accessibility),
    ("E8", e8_rent),
)


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


HOUSEHOLD_PROFILE = (
    "documents", "municipality", "persons", "future", "expects_family", "gender",
    "wheelchair", "mobility", "lgbtiq", "psychosocial", "cap_class",
)  # fmt: skip
UNIT_PROFILE = (
    "available", "municipality", "shared", "temporary", "beds", "min_occupants", "max_occupants",
    "step_free", "wheelchair", "gender", "lgbtiq_safe", "support",
)  # fmt: skip


def profiles(arrays: Households | Units, fields: tuple[str, ...]) -> tuple[IntArray, IntArray]:
    """Group entries with identical rule-relevant attributes: (representatives, profile of each)."""
    columns = [np.asarray(getattr(arrays, f)).astype(np.int64) for f in fields]
    if isinstance(arrays, Units):
        columns.extend(arrays.rent_ok.T.astype(np.int64))
    if not columns or len(columns[0]) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    stacked = np.stack(columns, axis=1)
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def rule_masks(h: Households, u: Units, policy: Policy, h_index: IntArray, u_index: IntArray) -> list[BoolArray]:
    """Every rule E1-E8 on the given households x units, each as a full (n, m) mask."""
    hs, us = _subset_households(h, h_index), _subset_units(u, u_index)
    shape = (len(h_index), len(u_index))
    return [np.broadcast_to(rule(hs, us, policy), shape) for _, rule in RULES]


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
