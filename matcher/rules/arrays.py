"""The encoded instance: households and units as integer arrays, the data every rule reads.

``encode`` turns the checked tables into one array per attribute (households and units in
id order), with municipalities and neighbourhoods as integer codes. The rules
(``matcher.rules.eligibility``), the objective terms and the solvers read only these arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
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
UNIT_GENDER_CODES = {"F": 0, "M": 1}  # a shared unit's gender; any other value (empty): -1, anyone
CAP_YOUNG, CAP_LOW, CAP_HIGH = 0, 1, 2
MICRO = Decimal(1_000_000)


def micro(amount: Decimal) -> int:
    """A euro amount in millionths of a euro, as the rent rule (E8) compares them."""
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


def _has(lists: Sequence[Sequence[str]], item: str) -> BoolArray:
    return np.fromiter((item in v for v in lists), dtype=bool, count=len(lists))


def regional_bits(policy: Policy, household_munis: list[str], unit_munis: list[str]) -> tuple[IntArray, IntArray]:
    """Each municipality the regional agreement names gets one bit; a household's ``reach``
    holds the bits of the municipalities whose homes it may be offered (rule E3)."""
    agreement = policy.regional_agreement
    if agreement is None:
        return np.zeros(len(household_munis), dtype=np.int64), np.zeros(len(unit_munis), dtype=np.int64)
    bit = {name: 1 << k for k, name in enumerate(agreement.municipalities)}
    reach_of = {name: sum(bit[t] for t in targets) for name, targets in agreement.may_place.items()}
    reach = np.array([reach_of.get(m, 0) for m in household_munis], dtype=np.int64)
    return reach, np.array([bit.get(m, 0) for m in unit_munis], dtype=np.int64)


@dataclass(frozen=True)
class HouseholdColumns:
    """The household columns the rules derive from, one entry per household (id order).

    ``encode`` fills them from a checked table; a simulation fills them from the rows of its
    world it encoded once, so both derive the rules' arrays the same way
    (:func:`households_from_columns`)."""

    ids: list[str]
    documents: BoolArray
    municipality: IntArray  # codes of ``Codes.municipalities``
    adults: IntArray
    children: IntArray
    expected_reunification: IntArray
    expected_arrival: npt.NDArray[np.datetime64]  # datetime64[D], NaT: the day is not known
    koppeling: npt.NDArray[np.datetime64]  # datetime64[D]
    head_age: IntArray
    gender: npt.NDArray[np.str_]  # F, M or X
    wheelchair: BoolArray
    mobility: BoolArray
    lgbtiq: BoolArray
    psychosocial: BoolArray
    ex_amv: BoolArray  # the ex_amv mark as recorded, before the week's AMV homes are known
    vulnerable: BoolArray
    move_on: BoolArray
    reach: IntArray


@dataclass(frozen=True)
class UnitColumns:
    """The unit columns the rules derive from, one entry per unit (id order); see :class:`HouseholdColumns`."""

    ids: list[str]
    available_from: npt.NDArray[np.datetime64]  # datetime64[D]
    municipality: IntArray
    neighbourhood: IntArray
    shared: BoolArray
    temporary: BoolArray
    beds: IntArray  # 0 where not given
    min_occupants: IntArray
    max_occupants: IntArray
    bedrooms: IntArray
    rent_micro: IntArray  # rent in millionths of a euro
    step_free: BoolArray
    wheelchair: BoolArray
    gender: IntArray  # -1: anyone
    lgbtiq_safe: BoolArray
    support: BoolArray
    region_bit: IntArray
    amv_home: BoolArray


def households_from_columns(columns: HouseholdColumns, policy: Policy, amv_on_offer: bool) -> Households:
    """The rules' household arrays for the policy's planning date."""
    c = columns
    persons = (c.adults + c.children).astype(np.int64)
    # Family members count once they are due: an unknown arrival date, or one within the horizon.
    horizon = np.datetime64(policy.planning_date, "D") + np.timedelta64(7 * policy.reunification_horizon_weeks, "D")
    due = np.isnat(c.expected_arrival) | (c.expected_arrival <= horizon)
    expected = np.where(due, c.expected_reunification, 0)
    waiting = (np.datetime64(policy.planning_date, "D") - c.koppeling).astype(np.int64)
    cap_class = np.full(len(c.ids), CAP_HIGH, dtype=np.int64)
    young_age = policy.rent_caps.young_age if policy.rent_caps is not None else 0
    cap_class[persons <= 2] = CAP_LOW
    cap_class[(persons == 1) & (c.head_age < young_age)] = CAP_YOUNG
    return Households(
        ids=c.ids,
        documents=c.documents,
        municipality=c.municipality,
        persons=persons,
        future=persons + expected,
        expects_family=expected > 0,
        gender=np.array([GENDER_CODES[g] for g in c.gender.tolist()], dtype=np.int64),
        wheelchair=c.wheelchair,
        mobility=c.mobility,
        lgbtiq=c.lgbtiq,
        psychosocial=c.psychosocial,
        cap_class=cap_class,
        head_age=c.head_age,
        waiting_days=np.maximum(waiting, 0),
        vulnerable=c.vulnerable,
        move_on=c.move_on,
        reach=c.reach,
        single_woman=single_woman(c.adults, c.children, c.gender),
        single_parent=single_parent(c.adults, c.children),
        ex_amv=c.ex_amv & amv_on_offer,
    )


def units_from_columns(columns: UnitColumns, policy: Policy) -> Units:
    """The rules' unit arrays for the policy's planning date, horizon and rent caps."""
    c = columns
    rent_ok = np.ones((len(c.ids), 3), dtype=bool)
    if policy.rent_caps is not None:
        caps = policy.rent_caps
        for column, cap in ((CAP_YOUNG, caps.young), (CAP_LOW, caps.low), (CAP_HIGH, caps.high)):
            rent_ok[:, column] = c.rent_micro <= micro(cap)
    horizon_end = np.datetime64(policy.planning_date, "D") + np.timedelta64(policy.horizon_days, "D")
    return Units(
        ids=c.ids,
        available=c.available_from <= horizon_end,
        municipality=c.municipality,
        neighbourhood=c.neighbourhood,
        shared=c.shared,
        temporary=c.temporary,
        beds=c.beds,
        min_occupants=c.min_occupants,
        max_occupants=c.max_occupants,
        bedrooms=c.bedrooms,
        rent_ok=rent_ok,
        step_free=c.step_free | c.wheelchair,
        wheelchair=c.wheelchair,
        gender=c.gender,
        lgbtiq_safe=c.lgbtiq_safe,
        support=c.support,
        region_bit=c.region_bit,
        amv_home=c.amv_home,
    )


def encode(instance: Instance) -> tuple[Households, Units, Codes]:
    """Turn the checked tables into the integer arrays the rules and the model use."""
    hh, un, policy = instance.households, instance.units, instance.policy
    # Columns walked in Python are read as lists first: iterating a pandas column costs ten times more.
    h_munis, u_munis = hh["municipality"].tolist(), un["municipality"].tolist()
    municipalities = sorted(set(h_munis) | set(u_munis))
    neighbourhoods = sorted(set(un["neighbourhood"].tolist()).union(*hh["preferred_neighbourhoods"].tolist()))
    muni_code = {name: i for i, name in enumerate(municipalities)}
    nbh_code = {name: i for i, name in enumerate(neighbourhoods)}
    vulns = hh["vulnerabilities"].tolist()
    reach, region_bit = regional_bits(policy, h_munis, u_munis)
    household_columns = HouseholdColumns(
        ids=hh["household_id"].tolist(),
        documents=hh["documents_complete"].to_numpy(bool),
        municipality=np.array([muni_code[m] for m in h_munis], dtype=np.int64),
        adults=hh["adults"].to_numpy(np.int64),
        children=hh["children"].to_numpy(np.int64),
        expected_reunification=hh["expected_reunification"].to_numpy(np.int64),
        expected_arrival=pd.to_datetime(hh["expected_arrival_date"]).to_numpy("datetime64[D]"),
        koppeling=pd.to_datetime(hh["koppeling_date"]).to_numpy("datetime64[D]"),
        head_age=hh["head_age"].to_numpy(np.int64),
        gender=hh["gender"].to_numpy(str),
        wheelchair=_has(vulns, "wheelchair"),
        mobility=_has(vulns, "mobility"),
        lgbtiq=_has(vulns, "lgbtiq"),
        psychosocial=_has(vulns, "psychosocial"),
        ex_amv=_has(vulns, "ex_amv"),
        vulnerable=np.fromiter((len(v) > 0 for v in vulns), dtype=bool, count=len(hh)),
        move_on=hh["current_unit_id"].fillna("").astype(bool).to_numpy(bool),
        reach=reach,
    )
    unit_columns = UnitColumns(
        ids=un["unit_id"].tolist(),
        available_from=pd.to_datetime(un["available_from"]).to_numpy("datetime64[D]"),
        municipality=np.array([muni_code[m] for m in u_munis], dtype=np.int64),
        neighbourhood=np.array([nbh_code[n] for n in un["neighbourhood"].tolist()], dtype=np.int64),
        shared=un["shared"].to_numpy(bool),
        temporary=un["temporary"].to_numpy(bool),
        beds=un["beds"].fillna(0).to_numpy(np.int64),
        min_occupants=un["min_occupants"].to_numpy(np.int64),
        max_occupants=un["max_occupants"].to_numpy(np.int64),
        bedrooms=un["bedrooms"].to_numpy(np.int64),
        rent_micro=np.array([micro(r) for r in un["rent"].tolist()], dtype=np.int64),
        step_free=un["step_free"].to_numpy(bool),
        wheelchair=un["wheelchair"].to_numpy(bool),
        gender=np.array([UNIT_GENDER_CODES.get(g, -1) for g in un["gender"].tolist()], dtype=np.int64),
        lgbtiq_safe=un["lgbtiq_safe"].to_numpy(bool),
        support=un["support"].to_numpy(bool),
        region_bit=region_bit,
        amv_home=un["amv_home"].to_numpy(bool),
    )
    households = households_from_columns(household_columns, policy, bool(un["amv_home"].any()))
    return households, units_from_columns(unit_columns, policy), Codes(municipalities, neighbourhoods)
