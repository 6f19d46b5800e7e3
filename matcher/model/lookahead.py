"""Look-ahead: what a pair costs the coming weeks, from a fluid model of the forecast.

The weekly proposal is optimal for one week. A home given this week is gone for the
households the coming weeks bring, and a household housed now no longer needs one of the
homes that come later. To weigh that, the engine solves a small linear programme (a fluid
model) over the next ``forecast.weeks`` weeks:

- households are grouped into *classes* by their size now and their size once the family
  on its way has arrived (``persons``, ``future_size``); homes into classes by the size
  rules (temporary, shared, ``min_occupants``, ``max_occupants``, ``beds``);
- a class of households may use a class of homes when the size rules allow it (E4, E5 and
  the sizes of E6); the other rules (rent, access, gender, documents) are left out, so
  the model is a coarse, optimistic picture;
- the demand of a class is the households of the class in this week's pool plus the
  forecast's households a week times the weeks; the supply of a class of homes is the
  homes of the class on offer now (for shared places their beds) plus the forecast's homes
  a week times the weeks;
- the programme houses as many persons as it can, fractionally, counting each household with
  the family on its way (``future_size``): those persons count for the taakstelling when
  they come, and a home that fits the family spares a move later.

Its dual solution prices every class: ``home_potential`` (what one more home of the class,
or one more bed of a shared place, would add) and ``household_potential`` (what one more
household of the class would add). The *reduced cost* of a pair of classes,
``future_size - household_potential - home_potential`` (the home's potential per bed times
the persons now for a shared place), is zero when the pair belongs to a best plan and negative by
the persons the plan loses when such a pair is made. The ``lookahead`` term of a pair is
that reduced cost in tenths of a person: 0 or negative.

HiGHS (through SciPy) solves the programme; rows and columns are built in sorted class
order, so the same week gives the same potentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from matcher.input.policy import Policy
from matcher.rules.arrays import Households, IntArray, Units

HouseholdClass = tuple[int, int]  # persons now, future size
UnitClass = tuple[bool, bool, int, int, int]  # temporary, shared, min_occupants, max_occupants, beds (shared only)

TOLERANCE = 1e-7


def household_class(persons: int, future: int) -> HouseholdClass:
    return (int(persons), int(future))


def unit_class(temporary: bool, shared: bool, min_occupants: int, max_occupants: int, beds: int) -> UnitClass:
    """A shared place is known by its beds; a home by its range of occupants."""
    if shared:
        return (bool(temporary), True, 0, 0, int(beds))
    return (bool(temporary), False, int(min_occupants), int(max_occupants), 0)


def fits(k: HouseholdClass, q: UnitClass, policy: Policy) -> bool:
    """The size rules: E4 (occupants), E5 (a permanent home fits the family on its way), E6 (beds, household size)."""
    persons, future = k
    temporary, shared, low, high, beds = q
    family_rule = policy.reunification_must_fit and future > persons and not temporary
    if shared:
        return persons <= policy.shared_max_household_size and persons <= beds and not family_rule
    if not low <= persons <= high:
        return False
    return not (family_rule and future > high)


@dataclass(frozen=True)
class FluidModel:
    """The fluid model of one week: classes, demand and supply, and the dual potentials."""

    weeks: int
    source: str | None
    household_classes: list[HouseholdClass]
    unit_classes: list[UnitClass]
    households_now: list[int]
    households_per_week: list[float]
    units_now: list[int]  # homes on offer now (shared places: places, not beds)
    beds_now: list[int]
    units_per_week: list[float]
    beds_per_week: list[float]
    household_potential: list[float]
    home_potential: list[float]  # per home, or per bed for a shared place
    persons_in_window: float  # the programme's optimum: persons housed over the window
    reduced: np.ndarray[Any, Any]  # (household classes, unit classes), tenths of a person, 0 or negative; 0 where no fit

    def fitting_homes_per_week(self, k: int, policy: Policy) -> float:
        """Homes (places in shared units) a week in the forecast that fit class ``k`` by the size rules."""
        total = 0.0
        for q, cls in enumerate(self.unit_classes):
            if fits(self.household_classes[k], cls, policy):
                total += self.beds_per_week[q] / max(self.household_classes[k][0], 1) if cls[1] else self.units_per_week[q]
        return total

    def fitting_homes_now(self, k: int, policy: Policy) -> float:
        """Homes (places in shared units) on offer now that fit class ``k`` by the size rules."""
        total = 0.0
        persons = max(self.household_classes[k][0], 1)
        for q, cls in enumerate(self.unit_classes):
            if fits(self.household_classes[k], cls, policy):
                total += self.beds_now[q] // persons if cls[1] else self.units_now[q]
        return total

    def to_json(self) -> dict[str, Any]:
        """The model as the proposal reports it (``lookahead`` in proposal.json)."""
        return {
            "weeks": self.weeks,
            "source": self.source,
            "persons_in_window": round(self.persons_in_window, 6),
            "household_classes": [
                {
                    "persons": k[0],
                    "future_size": k[1],
                    "in_pool": self.households_now[i],
                    "per_week": round(self.households_per_week[i], 6),
                    "potential": round(self.household_potential[i], 6),
                }
                for i, k in enumerate(self.household_classes)
            ],
            "unit_classes": [
                {
                    "temporary": q[0],
                    "shared": q[1],
                    "min_occupants": q[2] if not q[1] else None,
                    "max_occupants": q[3] if not q[1] else None,
                    "beds": q[4] if q[1] else None,
                    "on_offer": self.units_now[j],
                    "per_week": round(self.units_per_week[j], 6),
                    "potential": round(self.home_potential[j], 6),
                }
                for j, q in enumerate(self.unit_classes)
            ],
        }


@dataclass(frozen=True)
class LookaheadTable:
    """The ``lookahead`` term for every pair: a class per household and unit, and the table of reduced costs."""

    model: FluidModel
    household: IntArray  # class index per household (instance order)
    unit: IntArray  # class index per unit

    def values(self, household: IntArray, unit: IntArray) -> IntArray:
        table: IntArray = self.model.reduced.astype(np.int64)
        out: IntArray = table[self.household[household], self.unit[unit]]
        return out


def build_table(h: Households, u: Units, policy: Policy) -> LookaheadTable:
    """Classes of this week's households and units, the forecast's, and the fluid model over them."""
    forecast = policy.forecast
    weeks = forecast.weeks if forecast is not None else 0
    h_keys = [household_class(p, f) for p, f in zip(h.persons.tolist(), h.future.tolist(), strict=True)]
    u_keys = [
        unit_class(t, s, lo, hi, b)
        for t, s, lo, hi, b in zip(
            u.temporary.tolist(), u.shared.tolist(), u.min_occupants.tolist(), u.max_occupants.tolist(), u.beds.tolist(),
            strict=True,
        )
    ]  # fmt: skip
    now_h: dict[HouseholdClass, int] = {}
    for k in h_keys:
        now_h[k] = now_h.get(k, 0) + 1
    now_u: dict[UnitClass, int] = {}
    now_beds: dict[UnitClass, int] = {}
    for q, beds in zip(u_keys, u.beds.tolist(), strict=True):
        now_u[q] = now_u.get(q, 0) + 1
        now_beds[q] = now_beds.get(q, 0) + (int(beds) if q[1] else 1)
    rate_h: dict[HouseholdClass, float] = {}
    rate_u: dict[UnitClass, float] = {}
    rate_beds: dict[UnitClass, float] = {}
    if forecast is not None:
        for item in forecast.households:
            k = household_class(item.persons, item.future_size)
            rate_h[k] = rate_h.get(k, 0.0) + item.per_week
        for unit in forecast.units:
            q = unit_class(unit.temporary, unit.shared, unit.min_occupants, unit.max_occupants, unit.beds or 0)
            rate_u[q] = rate_u.get(q, 0.0) + unit.per_week
            rate_beds[q] = rate_beds.get(q, 0.0) + unit.per_week * (unit.beds or 1 if unit.shared else 1)
    h_classes = sorted(set(now_h) | set(rate_h))
    u_classes = sorted(set(now_u) | set(rate_u))
    model = solve_fluid(
        weeks,
        forecast.source if forecast is not None else None,
        h_classes,
        u_classes,
        [now_h.get(k, 0) for k in h_classes],
        [rate_h.get(k, 0.0) for k in h_classes],
        [now_u.get(q, 0) for q in u_classes],
        [now_beds.get(q, 0) for q in u_classes],
        [rate_u.get(q, 0.0) for q in u_classes],
        [rate_beds.get(q, 0.0) for q in u_classes],
        policy,
    )
    h_index = {k: i for i, k in enumerate(h_classes)}
    u_index = {q: j for j, q in enumerate(u_classes)}
    return LookaheadTable(
        model=model,
        household=np.array([h_index[k] for k in h_keys], dtype=np.int64),
        unit=np.array([u_index[q] for q in u_keys], dtype=np.int64),
    )


def solve_fluid(
    weeks: int,
    source: str | None,
    h_classes: list[HouseholdClass],
    u_classes: list[UnitClass],
    households_now: list[int],
    households_per_week: list[float],
    units_now: list[int],
    beds_now: list[int],
    units_per_week: list[float],
    beds_per_week: list[float],
    policy: Policy,
) -> FluidModel:
    """Solve the fluid programme and read its potentials (see the module docstring)."""
    n_h, n_u = len(h_classes), len(u_classes)
    pairs = [(k, q) for k in range(n_h) for q in range(n_u) if fits(h_classes[k], u_classes[q], policy)]
    demand = np.array([households_now[k] + weeks * households_per_week[k] for k in range(n_h)], dtype=float)
    supply = np.array([beds_now[q] + weeks * beds_per_week[q] for q in range(n_u)], dtype=float)
    persons = np.array([k[1] for k in h_classes], dtype=float)  # with the family on its way: they count when they come
    size_now = np.array([k[0] for k in h_classes], dtype=float)
    use = np.array([size_now[k] if u_classes[q][1] else 1.0 for k, q in pairs], dtype=float)  # beds now, or one home
    mu = np.zeros(n_h)
    lam = np.zeros(n_u)
    optimum = 0.0
    if pairs:
        k_of = np.array([k for k, _ in pairs], dtype=np.int64)
        q_of = np.array([q for _, q in pairs], dtype=np.int64)
        a = np.zeros((n_h + n_u, len(pairs)))
        a[k_of, np.arange(len(pairs))] = 1.0
        a[n_h + q_of, np.arange(len(pairs))] = use
        result = linprog(-persons[k_of], A_ub=a, b_ub=np.concatenate((demand, supply)), bounds=(0, None), method="highs")
        if result.status != 0:  # a bounded, feasible programme (x = 0 is feasible): a failure is a bug
            raise RuntimeError(f"the fluid model of the look-ahead could not be solved: {result.message}")
        marginals = -np.asarray(result.ineqlin.marginals, dtype=float)
        mu, lam = np.maximum(marginals[:n_h], 0.0), np.maximum(marginals[n_h:], 0.0)
        optimum = float(-result.fun)
    reduced = np.zeros((n_h, n_u), dtype=np.int64)
    for (k, q), c in zip(pairs, use, strict=True):
        value = persons[k] - mu[k] - c * lam[q]
        reduced[k, q] = min(0, round(10 * value + TOLERANCE))
    return FluidModel(
        weeks=weeks,
        source=source,
        household_classes=h_classes,
        unit_classes=u_classes,
        households_now=households_now,
        households_per_week=households_per_week,
        units_now=units_now,
        beds_now=beds_now,
        units_per_week=units_per_week,
        beds_per_week=beds_per_week,
        household_potential=[float(x) for x in mu],
        home_potential=[float(x) for x in lam],
        persons_in_window=optimum,
        reduced=reduced,
    )
