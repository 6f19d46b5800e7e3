"""A solver-agnostic check of a proposal against its instance, written from the spec alone.

It shares no code with the vectorised rules or the solvers: every rule is re-implemented
here per pair in plain Python, so a test that runs it on every result catches a defect in
either. It is meant for tests and audits of small and medium instances, not for speed.

Two explicit, ordered registries of ``(id, function)``:

- ``RULES``: one predicate per eligibility rule E1-E9, true when the pair (h, u) keeps it;
  ``failing_rules`` lists the ids of those a pair breaks.
- ``CHECKS``: one check per rule or property of the proposal (A1-A5, the eligibility of
  every match, terms, tier values and status, reasons, sort orders, KPIs, explanations). A check reads
  a :class:`Context` and returns its problems as sentences; ``check_proposal`` runs them
  all in order, ``problems_by_check`` says which check found what.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, partial
from typing import Any

from matcher.input.instance import Instance

Row = dict[Any, Any]  # one input record, as pandas gives it

REASONS_HOUSEHOLD = ("documents_incomplete", "no_eligible_unit", "neighbourhood_cap", "outranked")
REASONS_UNIT = ("not_available_yet", "no_eligible_household", "neighbourhood_cap", "outranked")


def _persons(h: Row) -> int:
    return int(h["adults"]) + int(h["children"])


def _family_due(h: Row, instance: Instance) -> bool:
    """v1.1: family members count once due: no arrival date, or one within the reunification horizon."""
    if int(h["expected_reunification"]) <= 0:
        return False
    arrival = h.get("expected_arrival_date")
    if arrival is None or arrival != arrival:  # an empty cell: None, or NaN/NaT from a table
        return True
    p = instance.policy
    return bool(arrival <= p.planning_date + dt.timedelta(weeks=p.reunification_horizon_weeks))


def _future_size(h: Row, instance: Instance) -> int:
    return _persons(h) + (int(h["expected_reunification"]) if _family_due(h, instance) else 0)


# Eligibility: one predicate per rule, true when the pair keeps it.

Rule = Callable[[Row, Row, Instance], bool]


def e1_documents(h: Row, u: Row, instance: Instance) -> bool:
    """E1: the household's documents are complete (BSN and IBAN known)."""
    return bool(h["documents_complete"])


def e2_available(h: Row, u: Row, instance: Instance) -> bool:
    """E2: the unit is available on or before planning_date + horizon_days."""
    p = instance.policy
    return bool(u["available_from"] <= p.planning_date + dt.timedelta(days=p.horizon_days))


def e3_municipality(h: Row, u: Row, instance: Instance) -> bool:
    """E3: the unit lies in the household's municipality, unless the run is regional (and then,
    with a regional agreement, in a municipality the agreement allows for the household's)."""
    policy = instance.policy
    if policy.regional and policy.regional_agreement is not None:
        return policy.regional_agreement.allows(h["municipality"], u["municipality"])
    return bool(policy.regional or h["municipality"] == u["municipality"])


def e4_occupancy(h: Row, u: Row, instance: Instance) -> bool:
    """E4: a non-shared unit holds the household now within min_occupants..max_occupants."""
    return bool(u["shared"] or u["min_occupants"] <= _persons(h) <= u["max_occupants"])


def e5_reunification(h: Row, u: Row, instance: Instance) -> bool:
    """E5: if reunification must fit and the family is due, a permanent unit is non-shared and fits the future household."""
    future = _future_size(h, instance)
    concerned = instance.policy.reunification_must_fit and _family_due(h, instance) and not u["temporary"]
    return not (concerned and (u["shared"] or future > u["max_occupants"]))


def e6_shared(h: Row, u: Row, instance: Instance) -> bool:
    """E6: a shared unit takes small households within its beds, of its gender, LHBTIQ+-safe and supported where needed."""
    if not u["shared"]:
        return True
    persons = _persons(h)
    vulns = set(h["vulnerabilities"])
    ok = persons <= instance.policy.shared_max_household_size and persons <= u["beds"]
    ok = ok and (u["gender"] in ("", None) or u["gender"] == h["gender"])
    ok = ok and ("lgbtiq" not in vulns or u["lgbtiq_safe"])
    ok = ok and ("psychosocial" not in vulns or u["support"])
    return bool(ok)


def e7_accessibility(h: Row, u: Row, instance: Instance) -> bool:
    """E7: a wheelchair user gets a wheelchair unit; reduced mobility a step-free or wheelchair unit."""
    vulns = set(h["vulnerabilities"])
    wheelchair_fails = "wheelchair" in vulns and not u["wheelchair"]
    mobility_fails = "mobility" in vulns and not (u["step_free"] or u["wheelchair"])
    return not (wheelchair_fails or mobility_fails)


def e8_rent(h: Row, u: Row, instance: Instance) -> bool:
    """E8: with rent caps on, the rent is within the household's cap: young, low (up to 2 persons) or high."""
    caps = instance.policy.rent_caps
    if caps is None:
        return True
    persons = _persons(h)
    if persons == 1 and int(h["head_age"]) < caps.young_age:
        cap = caps.young
    elif persons <= 2:
        cap = caps.low
    else:
        cap = caps.high
    return Decimal(u["rent"]) <= cap


def e9_not_excluded(h: Row, u: Row, instance: Instance) -> bool:
    """E9: the pair is not one of the policy's excluded_pairs, nor a household and the place it lives in now (v1.1)."""
    if u["unit_id"] == (h.get("current_unit_id") or ""):
        return False
    return (h["household_id"], u["unit_id"]) not in set(instance.policy.excluded_pairs)


def b1_bedrooms(h: Row, u: Row, instance: Instance) -> bool:
    """B1: (this project's own rule) with max_persons_per_bedroom set, a non-shared home holds at most that many
    persons per bedroom, a studio counting as one bedroom."""
    limit = instance.policy.max_persons_per_bedroom
    if limit is None or u["shared"]:
        return True
    return _persons(h) <= limit * max(int(u["bedrooms"]), 1)


def b2_amv_home(h: Row, u: Row, instance: Instance) -> bool:
    """B2: (this project's own rule) an AMV home goes only to a household of one person with the ex_amv mark."""
    if not u.get("amv_home"):
        return True
    return "ex_amv" in set(h["vulnerabilities"]) and _persons(h) == 1


RULES: tuple[tuple[str, Rule], ...] = (
    ("E1", e1_documents),
    ("E2", e2_available),
    ("E3", e3_municipality),
    ("E4", e4_occupancy),
    ("E5", e5_reunification),
    ("E6", e6_shared),
    ("E7", e7_accessibility),
    ("E8", e8_rent),
    ("B1", b1_bedrooms),
    ("B2", b2_amv_home),
    ("E9", e9_not_excluded),
)


def failing_rules(h: Row, u: Row, instance: Instance) -> list[str]:
    """Every rule E1-E9 that the pair (h, u) breaks, per the spec's text, in rule order."""
    return [rule_id for rule_id, keeps in RULES if not keeps(h, u, instance)]


# Objective terms and tier values.


def pair_terms(h: Row, u: Row, instance: Instance, prices: Prices | None = None) -> dict[str, int]:
    """Every objective term's value for the pair (h, u).

    ``lookahead`` needs the fluid model's potentials (``prices``, read from the proposal and
    checked by ``check_lookahead``); without them it is 0."""
    p = instance.policy
    persons = _persons(h)
    future = _future_size(h, instance)
    waiting = max(0, (p.planning_date - h["koppeling_date"]).days)
    return {
        "placed_households": 1,
        "placed_persons": persons,
        "waiting_days": waiting,
        "overdue": int(waiting > 7 * p.deadline_weeks),
        "vulnerable": int(bool(h["vulnerabilities"])),
        "temporary": int(bool(u["temporary"])),
        "underoccupancy": 0 if u["shared"] else max(0, int(u["max_occupants"]) - future),
        "preferred": int(u["neighbourhood"] in set(h["preferred_neighbourhoods"])),
        "own_municipality": int(h["municipality"] == u["municipality"]),
        "move_on": int(bool(h.get("current_unit_id"))),
        "long_wait": int(waiting > 7 * p.long_wait_weeks),
        "long_wait_days": max(0, waiting - 7 * p.long_wait_weeks),
        "lookahead": prices.value(h, u, instance) if prices is not None else 0,
        # The groups of matcher/input/groups.py, restated from their definition.
        "single_woman": int(h["adults"] == 1 and h["children"] == 0 and h["gender"] == "F"),
        "single_parent": int(h["adults"] == 1 and h["children"] >= 1),
    }


def tier_values(matches: list[tuple[str, str]], instance: Instance, prices: Prices | None = None) -> list[int]:
    """Each tier's value for a list of (household_id, unit_id) pairs."""
    households = {r["household_id"]: r for r in instance.households.to_dict(orient="records")}
    units = {r["unit_id"]: r for r in instance.units.to_dict(orient="records")}
    values = []
    for tier in instance.policy.objective:
        total = 0
        for hid, uid in matches:
            terms = pair_terms(households[hid], units[uid], instance, prices)
            total += sum(weight * terms[term] for term, weight in tier.items())
        values.append(total)
    return values


def _tier_vector(h: Row, u: Row, instance: Instance, prices: Prices | None = None) -> list[int]:
    terms = pair_terms(h, u, instance, prices)
    return [sum(w * terms[t] for t, w in tier.items()) for tier in instance.policy.objective]


# The look-ahead term: the fluid model of the coming weeks, restated from its description.

HouseholdClass = tuple[int, int]
UnitClass = tuple[bool, bool, int, int, int]


def household_class(h: Row, instance: Instance) -> HouseholdClass:
    """Persons now and the size once the family on its way (if due) has arrived."""
    return (_persons(h), _future_size(h, instance))


def unit_class(u: Row) -> UnitClass:
    """A shared place by its beds, a home by its range of occupants; both temporary or not."""
    if u["shared"]:
        return (bool(u["temporary"]), True, 0, 0, int(u["beds"]))
    return (bool(u["temporary"]), False, int(u["min_occupants"]), int(u["max_occupants"]), 0)


def fluid_fits(k: HouseholdClass, q: UnitClass, instance: Instance) -> bool:
    """The size rules alone (E4, E5, the sizes of E6), for classes."""
    persons, future = k
    temporary, shared, low, high, beds = q
    p = instance.policy
    family = p.reunification_must_fit and future > persons and not temporary
    if shared:
        return persons <= p.shared_max_household_size and persons <= beds and not family
    return low <= persons <= high and not (family and future > high)


@dataclass(frozen=True)
class Prices:
    """The potentials a proposal reports per class of households and homes."""

    household: dict[HouseholdClass, float]
    home: dict[UnitClass, float]

    def value(self, h: Row, u: Row, instance: Instance) -> int:
        """Reduced cost of the pair's classes in tenths of a person, 0 or negative (missing classes count as 0)."""
        k, q = household_class(h, instance), unit_class(u)
        use = k[0] if q[1] else 1  # beds for the persons now, or one home
        reduced = k[1] - self.household.get(k, 0.0) - use * self.home.get(q, 0.0)  # persons with the family on its way
        return min(0, round(10 * reduced + 1e-7))

    @staticmethod
    def of(proposal: dict[str, Any]) -> Prices | None:
        section = proposal.get("lookahead")
        if not isinstance(section, dict):
            return None
        return Prices(
            household={(int(x["persons"]), int(x["future_size"])): float(x["potential"]) for x in section["household_classes"]},
            home={
                (bool(x["temporary"]), bool(x["shared"]), int(x["min_occupants"] or 0), int(x["max_occupants"] or 0),
                 int(x["beds"] or 0)): float(x["potential"])
                for x in section["unit_classes"]
            },
        )  # fmt: skip


def fluid_classes(instance: Instance) -> tuple[dict[HouseholdClass, float], dict[UnitClass, float]]:
    """Demand per household class and supply per class of homes (beds for shared places) over the forecast's weeks."""
    forecast = instance.policy.forecast
    weeks = forecast.weeks if forecast is not None else 0
    demand: dict[HouseholdClass, float] = {}
    supply: dict[UnitClass, float] = {}
    for h in instance.households.to_dict(orient="records"):
        k = household_class(h, instance)
        demand[k] = demand.get(k, 0.0) + 1
    for u in instance.units.to_dict(orient="records"):
        q = unit_class(u)
        supply[q] = supply.get(q, 0.0) + (int(u["beds"]) if u["shared"] else 1)
    if forecast is not None:
        for item in forecast.households:
            k = (item.persons, item.persons + item.expected_reunification)
            demand[k] = demand.get(k, 0.0) + weeks * item.per_week
        for unit in forecast.units:
            q = (
                (unit.temporary, True, 0, 0, unit.beds or 0)
                if unit.shared
                else (unit.temporary, False, unit.min_occupants, unit.max_occupants, 0)
            )
            supply[q] = supply.get(q, 0.0) + weeks * unit.per_week * ((unit.beds or 1) if unit.shared else 1)
    return demand, supply


def fluid_optimum(instance: Instance) -> float:
    """The fluid programme's optimum: the most persons (with the family on its way) its homes could house, fractionally."""
    from scipy.optimize import linprog

    demand, supply = fluid_classes(instance)
    ks, qs = list(demand), list(supply)
    pairs = [(a, b) for a, k in enumerate(ks) for b, q in enumerate(qs) if fluid_fits(k, q, instance)]
    if not pairs:
        return 0.0
    rows = [[0.0] * len(pairs) for _ in range(len(ks) + len(qs))]
    for column, (a, b) in enumerate(pairs):
        rows[a][column] = 1.0
        rows[len(ks) + b][column] = float(ks[a][0]) if qs[b][1] else 1.0
    result = linprog(
        [-float(ks[a][1]) for a, _ in pairs],  # persons with the family on its way
        A_ub=rows,
        b_ub=[*demand.values(), *supply.values()],
        bounds=(0, None),
        method="highs",
    )
    return float(-result.fun)


# What every check reads.


@dataclass
class Context:
    """The instance and the proposal, indexed once; eligibility is computed on demand and kept."""

    instance: Instance
    proposal: dict[str, Any]
    households: dict[str, Row]
    units: dict[str, Row]
    _broken: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)
    _units_for: dict[str, list[Row]] = field(default_factory=dict, repr=False)
    _households_for: dict[str, list[Row]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, instance: Instance, proposal: dict[str, Any]) -> Context:
        return cls(
            instance=instance,
            proposal=proposal,
            households={r["household_id"]: r for r in instance.households.to_dict(orient="records")},
            units={r["unit_id"]: r for r in instance.units.to_dict(orient="records")},
        )

    @cached_property
    def prices(self) -> Prices | None:
        """The look-ahead potentials the proposal reports (``check_lookahead`` checks them)."""
        return Prices.of(self.proposal)

    @cached_property
    def pairs(self) -> list[tuple[str, str]]:
        """Every match's (household_id, unit_id), as listed."""
        return [(m["household_id"], m["unit_id"]) for m in self.proposal["matches"]]

    @cached_property
    def known(self) -> list[tuple[dict[str, Any], Row, Row]]:
        """The matches whose household and unit are both in the input, with their rows."""
        return [
            (m, self.households[m["household_id"]], self.units[m["unit_id"]])
            for m in self.proposal["matches"]
            if m["household_id"] in self.households and m["unit_id"] in self.units
        ]

    @cached_property
    def known_pairs(self) -> list[tuple[str, str]]:
        return [(m["household_id"], m["unit_id"]) for m, _, _ in self.known]

    @cached_property
    def unit_of(self) -> dict[str, str]:
        """Household id -> the unit of its first match."""
        return {hid: uid for hid, uid in reversed(self.pairs)}

    @cached_property
    def residents(self) -> dict[str, set[str]]:
        """Unit id -> the households the proposal places there."""
        found: dict[str, set[str]] = {}
        for hid, uid in self.pairs:
            found.setdefault(uid, set()).add(hid)
        return found

    @cached_property
    def per_neighbourhood(self) -> dict[str, int]:
        """Neighbourhood -> households placed there."""
        counts: dict[str, int] = {}
        for _, _, u in self.known:
            counts[u["neighbourhood"]] = counts.get(u["neighbourhood"], 0) + 1
        return counts

    @cached_property
    def reached(self) -> set[str]:
        """The capped neighbourhoods whose cap the proposal reaches."""
        caps = self.instance.policy.caps_left
        return {name for name, cap in caps.items() if self.per_neighbourhood.get(name, 0) >= cap}

    def broken(self, hid: str, uid: str) -> list[str]:
        """``failing_rules`` of an input household and unit, computed once per pair."""
        key = (hid, uid)
        if key not in self._broken:
            self._broken[key] = failing_rules(self.households[hid], self.units[uid], self.instance)
        return self._broken[key]

    def eligible_units(self, hid: str) -> list[Row]:
        """The units the household may be offered (E1-E9), in id order."""
        if hid not in self._units_for:
            self._units_for[hid] = [u for uid, u in self.units.items() if not self.broken(hid, uid)]
        return self._units_for[hid]

    def eligible_households(self, uid: str) -> list[Row]:
        """The households the unit may be offered to (E1-E9), in id order."""
        if uid not in self._households_for:
            self._households_for[uid] = [h for hid, h in self.households.items() if not self.broken(hid, uid)]
        return self._households_for[uid]

    def household_reason(self, hid: str) -> str:
        """The spec's reason for an unmatched household: the first that applies."""
        if not self.households[hid]["documents_complete"]:
            return "documents_incomplete"
        eligible = self.eligible_units(hid)
        if not eligible:
            return "no_eligible_unit"
        if all(u["neighbourhood"] in self.reached for u in eligible):
            return "neighbourhood_cap"
        return "outranked"

    def unit_reason(self, uid: str) -> str:
        """The spec's reason for an unused unit: the first that applies."""
        u = self.units[uid]
        p = self.instance.policy
        if u["available_from"] > p.planning_date + dt.timedelta(days=p.horizon_days):
            return "not_available_yet"
        if not self.eligible_households(uid):
            return "no_eligible_household"
        if u["neighbourhood"] in self.reached:
            return "neighbourhood_cap"
        return "outranked"


Check = Callable[[Context], list[str]]


# Who is listed where, and in what order.


def check_one_unit_per_household(c: Context) -> list[str]:
    """A1: a household gets at most one unit, so it appears in at most one match."""
    matched = [hid for hid, _ in c.pairs]
    if len(set(matched)) != len(matched):
        return ["A1: a household appears in more than one match"]
    return []


def check_households_listed(c: Context) -> list[str]:
    """Every household of the input appears exactly once: in matches or in unmatched_households."""
    listed = [hid for hid, _ in c.pairs] + [x["household_id"] for x in c.proposal["unmatched_households"]]
    if sorted(listed) != sorted(c.households):
        return ["households in matches + unmatched_households differ from the input"]
    return []


def check_used_units_not_unused(c: Context) -> list[str]:
    """A unit with a match (a shared unit with at least one household too) appears only in matches, never in unused_units."""
    unused = {x["unit_id"] for x in c.proposal["unused_units"]}
    if unused & {uid for _, uid in c.pairs}:
        return ["a unit with a match also appears in unused_units"]
    return []


def check_units_listed(c: Context) -> list[str]:
    """Every unit of the input appears in matches or in unused_units, and at most once in unused_units."""
    unused = [x["unit_id"] for x in c.proposal["unused_units"]]
    if sorted(set(unused) | {uid for _, uid in c.pairs}) != sorted(c.units) or len(unused) != len(set(unused)):
        return ["units in matches + unused_units differ from the input"]
    return []


def check_sort_orders(c: Context) -> list[str]:
    """matches and unmatched_households are sorted by household_id, unused_units by unit_id."""
    problems = []
    for key, id_field in (("matches", "household_id"), ("unmatched_households", "household_id"), ("unused_units", "unit_id")):
        order = [item[id_field] for item in c.proposal[key]]
        if order != sorted(order):
            problems.append(f"{key} is not sorted by {id_field}")
    return problems


# Every match on its own.


def check_known_ids(c: Context) -> list[str]:
    """Every match names a household and a unit of the input."""
    return [f"match {hid}-{uid}: unknown id" for hid, uid in c.pairs if hid not in c.households or uid not in c.units]


def check_eligibility(c: Context) -> list[str]:
    """E1-E9: every match is a pair that keeps all eligibility rules (``RULES``); the message names those it breaks."""
    problems = []
    for m, h, u in c.known:
        broken = failing_rules(h, u, c.instance)
        if broken:
            problems.append(f"match {m['household_id']}-{m['unit_id']} breaks {', '.join(broken)}")
    return problems


def check_terms(c: Context) -> list[str]:
    """A match's terms are every term named in the policy's objective, with its value for that pair (zeros included)."""
    problems = []
    for m, h, u in c.known:
        expected = pair_terms(h, u, c.instance, c.prices)
        wanted = {t: expected[t] for t in c.instance.policy.terms_used}
        if m["terms"] != wanted:
            problems.append(f"match {m['household_id']}-{m['unit_id']}: terms {m['terms']} != {wanted}")
    return problems


def check_persons(c: Context) -> list[str]:
    """A match's ``persons`` is its household's persons_now (adults + children)."""
    return [
        f"match {m['household_id']}-{m['unit_id']}: persons {m['persons']} != {_persons(h)}"
        for m, h, _ in c.known
        if m["persons"] != _persons(h)
    ]


def check_match_explanations(c: Context) -> list[str]:
    """Every match has an explanation."""
    return [
        f"match {m['household_id']}-{m['unit_id']}: no explanation" for m in c.proposal["matches"] if not m.get("explanation")
    ]


def check_match_extras(c: Context) -> list[str]:
    """A match's ``neighbourhood`` is its unit's and ``fixed`` is true exactly for the policy's fixed pairs (each when given)."""
    problems = []
    fixed_pairs = set(c.instance.policy.fixed_pairs)
    for m, _, u in c.known:
        label = f"match {m['household_id']}-{m['unit_id']}"
        if "neighbourhood" in m and m["neighbourhood"] != u["neighbourhood"]:
            problems.append(f"{label}: neighbourhood {m['neighbourhood']} != {u['neighbourhood']}")
        fixed = (m["household_id"], m["unit_id"]) in fixed_pairs
        if "fixed" in m and m["fixed"] != fixed:
            problems.append(f"{label}: fixed {m['fixed']} != {fixed}")
    return problems


# Assignment rules.


def _placed_per_unit(c: Context) -> dict[str, tuple[int, int]]:
    """Unit id -> (households, persons) placed there, in the order units first appear in matches."""
    placed: dict[str, tuple[int, int]] = {}
    for _, h, u in c.known:
        households, persons = placed.get(u["unit_id"], (0, 0))
        placed[u["unit_id"]] = (households + 1, persons + _persons(h))
    return placed


def check_one_household_per_unit(c: Context) -> list[str]:
    """A2: a non-shared unit gets at most one household."""
    return [
        f"A2: non-shared unit {uid} holds {n} households"
        for uid, (n, _) in _placed_per_unit(c).items()
        if not c.units[uid]["shared"] and n > 1
    ]


def check_beds(c: Context) -> list[str]:
    """A3: a shared unit holds at most ``beds`` persons (the sum of persons_now of its households)."""
    return [
        f"A3: shared unit {uid} holds {load} persons in {c.units[uid]['beds']} beds"
        for uid, (_, load) in _placed_per_unit(c).items()
        if c.units[uid]["shared"] and load > c.units[uid]["beds"]
    ]


def check_neighbourhood_caps(c: Context) -> list[str]:
    """A4: a capped neighbourhood gets at most its cap of households."""
    return [
        f"A4: neighbourhood {name} has {c.per_neighbourhood[name]} households, cap {cap}"
        for name, cap in c.instance.policy.neighbourhood_caps.items()
        if c.per_neighbourhood.get(name, 0) > cap
    ]


def check_half_year_caps(c: Context) -> list[str]:
    """A6: a wijk with a half-year cap gets at most what is left of it: the households placed
    there earlier in the half-year plus those of this proposal stay within the cap."""
    policy = c.instance.policy
    problems = []
    for name, cap in policy.half_year_caps.items():
        before, now = policy.half_year_placed.get(name, 0), c.per_neighbourhood.get(name, 0)
        if now > 0 and before + now > cap:
            problems.append(f"A6: neighbourhood {name} has {now} households after {before} earlier, half-year cap {cap}")
    return problems


def check_half_year_section(c: Context) -> list[str]:
    """The ``half_year_caps`` section is there exactly when the policy sets half-year caps, and
    per wijk its numbers are the cap, the earlier placements, this proposal's and what is left."""
    policy, section = c.instance.policy, c.proposal.get("half_year_caps")
    if not policy.half_year_caps:
        return ["half_year_caps: section without half-year caps in the policy"] if section is not None else []
    want = []
    for name, cap in sorted(policy.half_year_caps.items()):
        before, now = policy.half_year_placed.get(name, 0), c.per_neighbourhood.get(name, 0)
        want.append((name, cap, before, now, max(0, cap - before - now)))
    keys = ("neighbourhood", "cap", "placed_before", "placed_now", "left")
    got = [tuple(item.get(k) for k in keys) for item in section or []]
    problems = [f"half_year_caps: {got} != {want}"] if got != want else []
    problems += [
        f"half_year_caps: {item.get('neighbourhood')} without explanation"
        for item in section or []
        if not item.get("explanation")
    ]
    return problems


def check_regional_balance(c: Context) -> list[str]:
    """A regional run's ``regional_balance`` recomputed from the matches: per municipality the
    homes offered, the persons housed in its homes, placed elsewhere, taken in and counted for
    its taakstelling (by the agreement's rule); a run without a regional agreement has none."""
    policy, section = c.instance.policy, c.proposal.get("regional_balance")
    agreement = policy.regional_agreement
    if not policy.regional or agreement is None:
        return ["regional_balance: section without a regional agreement"] if section is not None else []
    if section is None:
        return ["regional_balance: missing in a regional run with an agreement"]
    counts_for, shares = agreement.counts_for, agreement.taakstelling
    names = {h["municipality"] for h in c.households.values()} | {u["municipality"] for u in c.units.values()} | set(shares)
    zero = ("homes_offered", "persons_housed", "persons_placed_elsewhere", "persons_taken_in", "persons_counted")
    want: dict[str, dict[str, Any]] = {n: {"taakstelling": shares.get(n), **dict.fromkeys(zero, 0)} for n in names}
    for u in c.units.values():
        want[u["municipality"]]["homes_offered"] += int(e2_available({}, u, c.instance))
    for _, h, u in c.known:
        persons = int(h["adults"]) + int(h["children"])
        own, home = h["municipality"], u["municipality"]
        want[home]["persons_housed"] += persons
        if own != home:
            want[own]["persons_placed_elsewhere"] += persons
            want[home]["persons_taken_in"] += persons
        want[own if counts_for == "household" else home]["persons_counted"] += persons
    problems = []
    if section.get("counts_for") != counts_for:
        problems.append(f"regional_balance: counts_for {section.get('counts_for')} != {counts_for}")
    got = {item.get("municipality"): item for item in section.get("municipalities", [])}
    if sorted(got) != sorted(names):
        problems.append(f"regional_balance: municipalities {sorted(got)} != {sorted(names)}")
    for name in sorted(names & set(got)):
        for key, value in want[name].items():
            if got[name].get(key) != value:
                problems.append(f"regional_balance: {name} {key} {got[name].get(key)} != {value}")
    return problems


def check_fixed_pairs(c: Context) -> list[str]:
    """A5: every fixed pair of the policy appears among the matches."""
    pairs = set(c.pairs)
    return [f"A5: fixed pair {hid}-{uid} missing" for hid, uid in c.instance.policy.fixed_pairs if (hid, uid) not in pairs]


# Why this one: the next-best unit and household of every match.


def _check_alternative(
    match: dict[str, Any],
    key: str,
    id_field: str,
    table: dict[Any, Row],
    pool: list[Row],
    value: Callable[[Row], list[int]],
    mine: list[int],
) -> list[str]:
    given = match["alternatives"][key]
    label = f"match {match['household_id']}-{match['unit_id']} {key}"
    if not pool:
        return [] if given is None else [f"{label}: none exists, got {given}"]
    if given is None:
        return [f"{label}: missing"]
    best = max(value(row) for row in pool)
    chosen = value(table[given[id_field]])
    problems = []
    if chosen != best:
        problems.append(f"{label}: {given[id_field]} has {chosen}, the best other has {best}")
    elif given[id_field] != min(row[id_field] for row in pool if value(row) == best):
        problems.append(f"{label}: {given[id_field]} is not the smallest id among the best others")
    if given["tier_difference"] != [a - b for a, b in zip(mine, chosen, strict=True)]:
        problems.append(f"{label}: tier_difference {given['tier_difference']} is not chosen minus alternative")
    return problems


def check_next_best_unit(c: Context) -> list[str]:
    """Why this one: a match's next-best unit is the household's best other eligible unit (per tier,
    then smallest id), or none when there is none, and tier_difference is this pair minus that one."""
    problems = []
    for m, h, u in c.known:
        if "alternatives" not in m:
            continue
        mine = _tier_vector(h, u, c.instance, c.prices)
        others = [v for v in c.eligible_units(h["household_id"]) if v["unit_id"] != u["unit_id"]]
        value = partial(_tier_vector, h, instance=c.instance, prices=c.prices)
        problems.extend(_check_alternative(m, "next_best_unit", "unit_id", c.units, others, value, mine))
        given = m["alternatives"]["next_best_unit"]
        if given is not None and "taken_by" in given:
            holders = sorted(c.residents.get(given["unit_id"], set()))
            if given["taken_by"] != holders:
                label = f"match {m['household_id']}-{m['unit_id']} next_best_unit"
                problems.append(f"{label}: taken_by {given['taken_by']} != households placed there {holders}")
    return problems


def check_next_best_household(c: Context) -> list[str]:
    """Why this one: a match's next-best household is the unit's best eligible household not placed in it (per tier,
    then smallest id), or none when there is none, and tier_difference is this pair minus that one."""
    problems = []
    for m, h, u in c.known:
        if "alternatives" not in m:
            continue
        mine = _tier_vector(h, u, c.instance, c.prices)
        residents = c.residents[u["unit_id"]]
        rivals = [g for g in c.eligible_households(u["unit_id"]) if g["household_id"] not in residents]
        value = partial(_tier_vector, u=u, instance=c.instance, prices=c.prices)
        problems.extend(_check_alternative(m, "next_best_household", "household_id", c.households, rivals, value, mine))
        given = m["alternatives"]["next_best_household"]
        if given is not None and "placed_in" in given:
            placed_in = c.unit_of.get(given["household_id"])
            if given["placed_in"] != placed_in:
                label = f"match {m['household_id']}-{m['unit_id']} next_best_household"
                problems.append(f"{label}: placed_in {given['placed_in']} != its match {placed_in}")
    return problems


# The mismatch report.


NEEDS = ("wheelchair", "mobility", "lgbtiq", "psychosocial")  # the vulnerabilities that restrict which homes fit


def _group(h: Row, instance: Instance) -> tuple[int, int, tuple[str, ...]]:
    """A household's group in the mismatch report: persons now, size after a due reunification, needs."""
    return (
        _persons(h),
        _future_size(h, instance),
        tuple(sorted(n for n in NEEDS if n in h["vulnerabilities"])),
    )


def _label(group: tuple[int, int, tuple[str, ...]]) -> str:
    persons, future, needs = group
    return f"{persons}/{future}/{list(needs)}"


def check_mismatch(c: Context) -> list[str]:
    """Mismatch report: every group (persons now, future size, needs) of the input's households is listed once,
    with its households, those without documents, the units that fit at least one of them (E9 aside), those
    placed and those unplaced counted right."""
    if "mismatch" not in c.proposal:
        return []
    problems = []
    placed_ids = {hid for hid, _ in c.pairs}
    for row in c.proposal["mismatch"]:
        group = (row["persons"], row["future_size"], tuple(sorted(row["needs"])))
        members = [g for g in c.households.values() if _group(g, c.instance) == group]
        fitting = sum(1 for uid in c.units if any(set(c.broken(g["household_id"], uid)) <= {"E9"} for g in members))
        expected_row = {
            "households": len(members),
            "documents_incomplete": sum(1 for g in members if not g["documents_complete"]),
            "eligible_units": fitting,
            "placed": sum(1 for g in members if g["household_id"] in placed_ids),
        }
        got = {key: row[key] for key in expected_row}
        if got != expected_row:
            problems.append(f"mismatch row {row['persons']}/{row['future_size']}/{row['needs']}: {got} != {expected_row}")
        unplaced = expected_row["households"] - expected_row["placed"]
        if "unplaced" in row and row["unplaced"] != unplaced:
            problems.append(
                f"mismatch row {row['persons']}/{row['future_size']}/{row['needs']}: unplaced {row['unplaced']} != {unplaced}"
            )
    listed = Counter((row["persons"], row["future_size"], tuple(sorted(row["needs"]))) for row in c.proposal["mismatch"])
    for group in sorted({_group(h, c.instance) for h in c.households.values()} - set(listed)):
        problems.append(f"mismatch report misses the group {_label(group)}")
    for group, times in sorted(listed.items()):
        if times > 1:
            problems.append(f"mismatch report lists the group {_label(group)} {times} times")
    return problems


# Why not: unmatched households.


def _unmatched(c: Context) -> list[tuple[dict[str, Any], Row]]:
    return [(x, c.households[x["household_id"]]) for x in c.proposal["unmatched_households"] if x["household_id"] in c.households]


def check_household_reasons(c: Context) -> list[str]:
    """An unmatched household's reason is a known one and the first that applies: documents_incomplete,
    no_eligible_unit, neighbourhood_cap (every eligible unit in a wijk whose cap is reached), outranked."""
    problems = []
    for item, h in _unmatched(c):
        want = c.household_reason(h["household_id"])
        if item["reason"] not in REASONS_HOUSEHOLD:
            problems.append(f"household {h['household_id']}: unknown reason {item['reason']}")
        if item["reason"] != want:
            problems.append(f"household {h['household_id']}: reason {item['reason']} != {want}")
    return problems


def _best_first(h: Row, u: Row, instance: Instance, prices: Prices | None = None) -> tuple[list[int], str]:
    """Sort key: the unit of most value to the household first, per tier, then the smallest unit id."""
    return [-x for x in _tier_vector(h, u, instance, prices)], str(u["unit_id"])


def check_units_taken(c: Context) -> list[str]:
    """An unmatched household's units_taken are eligible units held by exactly the households named, and they are
    its best held units (by value per tier, then unit id), as many as listed, and up to three when there are more."""
    problems = []
    held = {uid for _, uid in c.pairs}
    for item, h in _unmatched(c):
        details = item.get("details", {})
        if "units_taken" not in details:
            continue
        for taken in details["units_taken"]:
            unit_row = c.units.get(taken["unit_id"])
            holders = sorted(a for a, b in c.pairs if b == taken["unit_id"])
            if unit_row is None or c.broken(h["household_id"], taken["unit_id"]) or taken["taken_by"] != holders:
                problems.append(f"household {h['household_id']}: units_taken {taken} is not an eligible unit held by those")
        ranked = sorted(
            (v for v in c.eligible_units(h["household_id"]) if v["unit_id"] in held),
            key=partial(_best_first, h, instance=c.instance, prices=c.prices),
        )
        expected_ids = [v["unit_id"] for v in ranked[: len(details["units_taken"])]]
        listed = [t["unit_id"] for t in details["units_taken"]]
        if listed != expected_ids or (len(listed) < 3 and len(ranked) > len(listed)):
            problems.append(f"household {h['household_id']}: units_taken {listed} are not its best held units {expected_ids}")
    return problems


def _first_rule_counts(broken: list[list[str]]) -> dict[str, int]:
    """How many candidates each rule excludes first; E9 counts only where E1-E8 all pass."""
    counts: dict[str, int] = {}
    for rules in broken:
        if rules:
            counts[rules[0]] = counts.get(rules[0], 0) + 1
    return counts


def check_household_exclusions(c: Context) -> list[str]:
    """For a household without documents or eligible unit: excluded_by counts the units each rule excludes first
    (as if its documents were complete), occupancy.too_small the units too small for it (E4 first), and
    eligible_with_documents the units it could get with complete documents."""
    problems = []
    unit_list = list(c.units.values())
    for item, h in _unmatched(c):
        details = item.get("details", {})
        if c.household_reason(h["household_id"]) not in ("no_eligible_unit", "documents_incomplete"):
            continue
        if "excluded_by" not in details:
            continue
        with_documents = {**h, "documents_complete": True}
        broken_by_unit = [failing_rules(with_documents, u, c.instance) for u in unit_list]
        counts = _first_rule_counts(broken_by_unit)
        if details["excluded_by"] != counts:
            problems.append(f"household {h['household_id']}: excluded_by {details['excluded_by']} != {counts}")
        small = sum(
            1 for u, b in zip(unit_list, broken_by_unit, strict=True) if b[:1] == ["E4"] and u["max_occupants"] < _persons(h)
        )
        if "occupancy" in details and details["occupancy"]["too_small"] != small:
            problems.append(f"household {h['household_id']}: too_small {details['occupancy']['too_small']} != {small}")
        fitting = sum(1 for b in broken_by_unit if not b)
        if "eligible_with_documents" in details and details["eligible_with_documents"] != fitting:
            problems.append(f"household {h['household_id']}: eligible_with_documents != {fitting}")
    return problems


def check_household_explanations(c: Context) -> list[str]:
    """Every unmatched household has an explanation."""
    return [f"household {h['household_id']}: no explanation" for item, h in _unmatched(c) if not item.get("explanation")]


# Why not: unused units.


def _unused(c: Context) -> list[tuple[dict[str, Any], Row]]:
    return [(x, c.units[x["unit_id"]]) for x in c.proposal["unused_units"] if x["unit_id"] in c.units]


def check_unit_reasons(c: Context) -> list[str]:
    """An unused unit's reason is a known one and the first that applies: not_available_yet, no_eligible_household,
    neighbourhood_cap (its wijk's cap is reached), outranked."""
    problems = []
    for item, u in _unused(c):
        want = c.unit_reason(u["unit_id"])
        if item["reason"] not in REASONS_UNIT:
            problems.append(f"unit {u['unit_id']}: unknown reason {item['reason']}")
        if item["reason"] != want:
            problems.append(f"unit {u['unit_id']}: reason {item['reason']} != {want}")
    return problems


def check_unit_exclusions(c: Context) -> list[str]:
    """For a unit without eligible household: excluded_by counts the households each rule excludes first."""
    problems = []
    for item, u in _unused(c):
        details = item.get("details", {})
        if c.unit_reason(u["unit_id"]) != "no_eligible_household" or "excluded_by" not in details:
            continue
        counts = _first_rule_counts([c.broken(hid, u["unit_id"]) for hid in c.households])
        if details["excluded_by"] != counts:
            problems.append(f"unit {u['unit_id']}: excluded_by {details['excluded_by']} != {counts}")
    return problems


def check_unit_explanations(c: Context) -> list[str]:
    """Every unused unit has an explanation."""
    return [f"unit {u['unit_id']}: no explanation" for item, u in _unused(c) if not item.get("explanation")]


# The solver's report, the KPIs and the trace to the input.


def check_tier_values(c: Context) -> list[str]:
    """solver.tiers holds one value per objective tier, each the sum of the tier's weighted terms over the matches."""
    values = tier_values(c.known_pairs, c.instance, c.prices)
    reported = [t["value"] for t in c.proposal["solver"]["tiers"]]
    return [f"tier values {reported} != recomputed {values}"] if reported != values else []


def check_tier_bounds(c: Context) -> list[str]:
    """A tier's bound, when there is one, is at least its value (tiers are maximised)."""
    return [
        f"tier bound {t['bound']} below its value {t['value']}"
        for t in c.proposal["solver"]["tiers"]
        if t["bound"] is not None and t["bound"] < t["value"]
    ]


def check_status(c: Context) -> list[str]:
    """status is optimal or feasible; optimal only when every tier's bound equals its value (proven)."""
    status = c.proposal["status"]
    if status not in ("optimal", "feasible"):
        return [f"status {status} is neither optimal nor feasible"]
    if status != "optimal":
        return []
    return [
        f"status optimal but tier {i + 1} has bound {t['bound']} for value {t['value']}"
        for i, t in enumerate(c.proposal["solver"]["tiers"])
        if t["bound"] != t["value"]
    ]


def check_kpis(c: Context) -> list[str]:
    """kpis counts the households and persons placed, the overdue households placed and the temporary placements."""
    k = c.proposal["kpis"]
    expected = {
        "placed_households": len(c.known),
        "placed_persons": sum(_persons(h) for _, h, _ in c.known),
        "overdue_placed": sum(pair_terms(h, u, c.instance)["overdue"] for _, h, u in c.known),
        "temporary_placements": sum(1 for _, _, u in c.known if u["temporary"]),
    }
    return [f"kpis.{key} {k[key]} != {value}" for key, value in expected.items() if k[key] != value]


def check_lookahead(c: Context) -> list[str]:
    """A policy that names ``lookahead`` comes with the fluid model in ``lookahead``: one entry per class of the
    week's households and homes and of the forecast, with the counts and rates the policy implies, and potentials
    that are an optimal dual solution of the fluid programme (non-negative, no fitting pair of classes above zero
    reduced cost, and together worth exactly the programme's optimum). Without the term there is no such section."""
    named = "lookahead" in c.instance.policy.terms_used
    section = c.proposal.get("lookahead")
    if not named:
        return [] if section is None else ["lookahead reported but the policy does not name the term"]
    if c.prices is None or not isinstance(section, dict):
        return ["the policy names lookahead but the proposal has no lookahead section"]
    demand, supply = fluid_classes(c.instance)
    problems = []
    if set(c.prices.household) != set(demand):
        problems.append(f"lookahead household classes {sorted(c.prices.household)} != {sorted(demand)}")
    if set(c.prices.home) != set(supply):
        problems.append(f"lookahead unit classes {sorted(c.prices.home)} != {sorted(supply)}")
    if problems:
        return problems
    potentials: list[tuple[Any, float]] = [*c.prices.household.items(), *c.prices.home.items()]
    negative = [k for k, v in potentials if v < -1e-9]
    if negative:
        problems.append(f"negative potentials for {negative}")
    for k in demand:
        for q in supply:
            if fluid_fits(k, q, c.instance):
                use = k[0] if q[1] else 1
                slack = c.prices.household[k] + use * c.prices.home[q] - k[1]
                if slack < -1e-6:
                    problems.append(f"lookahead: classes {k} and {q} have a positive reduced cost ({-slack:.6f})")
    dual = sum(demand[k] * c.prices.household[k] for k in demand) + sum(supply[q] * c.prices.home[q] for q in supply)
    primal = fluid_optimum(c.instance)
    if abs(dual - primal) > 1e-6 * max(1.0, abs(primal)):
        problems.append(f"lookahead potentials are worth {dual:.6f}, the fluid optimum is {primal:.6f}")
    return problems


def check_move_on(c: Context) -> list[str]:
    """v1.1: a match of a household with a current_unit_id carries it as move_on_from, no other match has one,
    and kpis.move_on_placed counts them (0 when none)."""
    problems = []
    for m, h, _ in c.known:
        current = h.get("current_unit_id") or None
        if m.get("move_on_from") != current:
            problems.append(f"match {m['household_id']}-{m['unit_id']}: move_on_from {m.get('move_on_from')} != {current}")
    placed = sum(1 for _, h, _ in c.known if h.get("current_unit_id"))
    if c.proposal["kpis"].get("move_on_placed") != placed:
        problems.append(f"kpis.move_on_placed {c.proposal['kpis'].get('move_on_placed')} != {placed}")
    return problems


def check_by_neighbourhood(c: Context) -> list[str]:
    """kpis.by_neighbourhood lists every neighbourhood that has a unit, zeros included, and no other,
    each with the number of households placed there."""
    listed = c.proposal["kpis"]["by_neighbourhood"]
    problems = [
        f"kpis.by_neighbourhood[{name}] {n} != {c.per_neighbourhood.get(name, 0)}"
        for name, n in listed.items()
        if c.per_neighbourhood.get(name, 0) != n
    ]
    with_units = {u["neighbourhood"] for u in c.units.values()}
    missing = sorted(with_units - set(listed))
    if missing:
        problems.append(f"kpis.by_neighbourhood misses {', '.join(missing)}")
    extra = sorted(set(listed) - with_units)
    if extra:
        problems.append(f"kpis.by_neighbourhood lists {', '.join(extra)}, where no unit is")
    return problems


def check_previous_pairs_kept(c: Context) -> list[str]:
    """solver.previous_pairs_kept, when given, counts the policy's previous_pairs that the matches keep."""
    kept = c.proposal["solver"].get("previous_pairs_kept")
    actual = len(set(c.pairs) & set(c.instance.policy.previous_pairs))
    if kept is not None and kept != actual:
        return [f"solver.previous_pairs_kept {kept} != pairs kept {actual}"]
    return []


def check_input_sha256(c: Context) -> list[str]:
    """input_sha256 is the instance's hash of its canonical inputs."""
    return ["input_sha256 differs from the instance"] if c.proposal["input_sha256"] != c.instance.input_sha256 else []


def check_format(c: Context) -> list[str]:
    """format is proposal/v1."""
    return [] if c.proposal["format"] == "proposal/v1" else [f"format {c.proposal['format']} is not proposal/v1"]


def check_planning_date(c: Context) -> list[str]:
    """planning_date is the policy's planning date."""
    want = c.instance.policy.planning_date.isoformat()
    given = c.proposal["planning_date"]
    return [] if given == want else [f"planning_date {given} != the policy's {want}"]


CHECKS: tuple[tuple[str, Check], ...] = (
    ("A1", check_one_unit_per_household),
    ("households_listed", check_households_listed),
    ("used_units_not_unused", check_used_units_not_unused),
    ("units_listed", check_units_listed),
    ("sort_orders", check_sort_orders),
    ("known_ids", check_known_ids),
    ("E1-E9", check_eligibility),
    ("terms", check_terms),
    ("persons", check_persons),
    ("match_explanations", check_match_explanations),
    ("match_extras", check_match_extras),
    ("A2", check_one_household_per_unit),
    ("A3", check_beds),
    ("A4", check_neighbourhood_caps),
    ("A6", check_half_year_caps),
    ("half_year_section", check_half_year_section),
    ("regional_balance", check_regional_balance),
    ("A5", check_fixed_pairs),
    ("next_best_unit", check_next_best_unit),
    ("next_best_household", check_next_best_household),
    ("mismatch", check_mismatch),
    ("household_reasons", check_household_reasons),
    ("units_taken", check_units_taken),
    ("household_exclusions", check_household_exclusions),
    ("household_explanations", check_household_explanations),
    ("unit_reasons", check_unit_reasons),
    ("unit_exclusions", check_unit_exclusions),
    ("unit_explanations", check_unit_explanations),
    ("tier_values", check_tier_values),
    ("tier_bounds", check_tier_bounds),
    ("status", check_status),
    ("kpis", check_kpis),
    ("lookahead", check_lookahead),
    ("move_on", check_move_on),
    ("by_neighbourhood", check_by_neighbourhood),
    ("previous_pairs_kept", check_previous_pairs_kept),
    ("input_sha256", check_input_sha256),
    ("format", check_format),
    ("planning_date", check_planning_date),
)


def problems_by_check(instance: Instance, proposal: dict[str, Any]) -> dict[str, list[str]]:
    """Check id -> the problems it finds, for every check in ``CHECKS`` that finds any, in registry order."""
    context = Context.of(instance, proposal)
    found = {check_id: check(context) for check_id, check in CHECKS}
    return {check_id: problems for check_id, problems in found.items() if problems}


def check_proposal(instance: Instance, proposal: dict[str, Any]) -> list[str]:
    """Every way the proposal breaks the spec; an empty list means it is valid."""
    return [problem for problems in problems_by_check(instance, proposal).values() for problem in problems]
