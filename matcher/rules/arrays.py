"""The encoded instance: households and units as integer arrays, the data every rule reads.

``encode`` turns the checked tables into one array per attribute (households and units in
id order), with municipalities and neighbourhoods as integer codes. The rules
(``matcher.rules.eligibility``), the objective terms and the solvers read only these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.input.groups import single_parent, single_woman
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
    move_on: BoolArray  # lives in a temporary place now (current_unit_id)
    reach: IntArray  # regional agreement: bit k set = may be placed in its k-th municipality
    single_woman: BoolArray  # alleengaande vrouw (matcher.input.groups)
    single_parent: BoolArray  # eenoudergezin (matcher.input.groups)
    # The ex_amv mark, kept only in a week with an AMV home on offer: no other rule reads it, so
    # without AMV homes households that differ in it alone stay one profile (and proposals stay as before).
    ex_amv: BoolArray


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
    bedrooms: IntArray
    rent_ok: npt.NDArray[np.bool_]  # (m, 3): rent within the young, low and high cap
    step_free: BoolArray
    wheelchair: BoolArray
    gender: IntArray  # -1: anyone
    lgbtiq_safe: BoolArray
    support: BoolArray
    region_bit: IntArray  # regional agreement: the bit of the unit's municipality (0: not named)
    amv_home: BoolArray  # kept for ex-AMV youngsters (rule B2)


@dataclass(frozen=True)
class Codes:
    """Integer codes for municipalities and neighbourhoods, shared by both tables."""

    municipalities: list[str]
    neighbourhoods: list[str]


def _has(lists: pd.Series, item: str) -> BoolArray:
    return np.fromiter((item in v for v in lists), dtype=bool, count=len(lists))


def _regional_bits(policy: Policy, household_munis: list[str], unit_munis: list[str]) -> tuple[IntArray, IntArray]:
    """Each municipality the regional agreement names gets one bit; a household's ``reach``
    holds the bits of the municipalities whose homes it may be offered (rule E3)."""
    agreement = policy.regional_agreement
    if agreement is None:
        return np.zeros(len(household_munis), dtype=np.int64), np.zeros(len(unit_munis), dtype=np.int64)
    bit = {name: 1 << k for k, name in enumerate(agreement.municipalities)}
    reach_of = {name: sum(bit[t] for t in targets) for name, targets in agreement.may_place.items()}
    reach = np.array([reach_of.get(m, 0) for m in household_munis], dtype=np.int64)
    return reach, np.array([bit.get(m, 0) for m in unit_munis], dtype=np.int64)


def encode(instance: Instance) -> tuple[Households, Units, Codes]:
    """Turn the checked tables into the integer arrays the rules and the model use."""
    hh, un, policy = instance.households, instance.units, instance.policy
    municipalities = sorted(set(hh["municipality"]) | set(un["municipality"]))
    neighbourhoods = sorted(set(un["neighbourhood"]).union(*[set(p) for p in hh["preferred_neighbourhoods"]]))
    muni_code = {name: i for i, name in enumerate(municipalities)}
    nbh_code = {name: i for i, name in enumerate(neighbourhoods)}

    persons = (hh["adults"].to_numpy(np.int64) + hh["children"].to_numpy(np.int64)).astype(np.int64)
    # Family members count once they are due: an unknown arrival date, or one within the horizon.
    arrival = pd.to_datetime(hh["expected_arrival_date"]).to_numpy("datetime64[D]")
    horizon = np.datetime64(policy.planning_date, "D") + np.timedelta64(7 * policy.reunification_horizon_weeks, "D")
    due = np.isnat(arrival) | (arrival <= horizon)
    expected = np.where(due, hh["expected_reunification"].to_numpy(np.int64), 0)
    koppeling = pd.to_datetime(hh["koppeling_date"]).to_numpy("datetime64[D]")
    waiting = (np.datetime64(policy.planning_date, "D") - koppeling).astype(np.int64)
    head_age = hh["head_age"].to_numpy(np.int64)
    cap_class = np.full(len(hh), CAP_HIGH, dtype=np.int64)
    young_age = policy.rent_caps.young_age if policy.rent_caps is not None else 0
    cap_class[persons <= 2] = CAP_LOW
    cap_class[(persons == 1) & (head_age < young_age)] = CAP_YOUNG
    vulns = hh["vulnerabilities"]
    reach, region_bit = _regional_bits(policy, list(hh["municipality"]), list(un["municipality"]))
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
        move_on=hh["current_unit_id"].fillna("").astype(bool).to_numpy(bool),
        reach=reach,
        single_woman=single_woman(hh["adults"].to_numpy(np.int64), hh["children"].to_numpy(np.int64), hh["gender"].to_numpy(str)),
        single_parent=single_parent(hh["adults"].to_numpy(np.int64), hh["children"].to_numpy(np.int64)),
        ex_amv=_has(vulns, "ex_amv") & bool(un["amv_home"].any()),
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
        bedrooms=un["bedrooms"].to_numpy(np.int64),
        rent_ok=rent_ok,
        step_free=un["step_free"].to_numpy(bool) | un["wheelchair"].to_numpy(bool),
        wheelchair=un["wheelchair"].to_numpy(bool),
        gender=np.array([{"F": 0, "M": 1}.get(g, -1) for g in un["gender"]], dtype=np.int64),
        lgbtiq_safe=un["lgbtiq_safe"].to_numpy(bool),
        support=un["support"].to_numpy(bool),
        region_bit=region_bit,
        amv_home=un["amv_home"].to_numpy(bool),
    )
    return households, units, Codes(municipalities, neighbourhoods)
