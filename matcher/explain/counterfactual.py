"""What it would take: the smallest single change that places an unmatched household.

A WBB member looking at a household left out this week wants to know what would have
to be different for it to get a home: one more occupant allowed in a unit, a lower rent,
a temporary contract, complete documents, a neighbourhood cap one higher. The engine
proposes such changes from the rules that exclude units for this household, and accepts
one only after re-solving the whole week with the change applied: a counterfactual is a
fact about the optimiser, not a guess about eligibility, because a unit that becomes
eligible may still go to someone the policy ranks higher.

Candidates, "smallest" first (each one change to the input, nothing else):

1. ``documents``: documents_complete becomes true (touches no unit; only for E1).
2. ``cap_raise``: a capped neighbourhood whose cap is reached, holding units eligible
   for this household, gets a cap one higher (by neighbourhood name).
3. ``occupant_plus_one``: a unit that E4, E5 or E6 excludes allows one more occupant
   (max_occupants + 1, or beds + 1 for a shared unit) and is then eligible (by unit id).
4. ``reunification_relaxed``: a permanent unit that E5 excludes becomes temporary, so
   the reunification rule no longer applies to it (by unit id).
5. ``rent_lower``: a unit that E8 excludes gets its rent lowered to exactly the
   household's cap; smallest amount first, then unit id.

Units that are interchangeable for every rule (one unit profile, neighbourhood included)
give one candidate per change type, the lowest unit id. At most ``max_candidates``
re-solves are tried per household (default 5; all of them for ``matcher explain``): each
is a full prepare and optimise. Re-solves of the same change are shared between
households. When none places the household, the answer says whether every candidate was
tried ("no single change of these kinds places it") or only the first few.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from matcher.input.instance import Instance, canonical_sha256
from matcher.input.policy import Policy
from matcher.model import Prepared, Solution, optimise, prepare
from matcher.rules.arrays import BoolArray, Households, IntArray, Units
from matcher.rules.eligibility import RULES, rule_masks

log = logging.getLogger(__name__)

DEFAULT_MAX_CANDIDATES = 5
CHANGE_ORDER = ("documents", "cap_raise", "occupant_plus_one", "reunification_relaxed", "rent_lower")
# The kinds of change that lift a rule are named by the rule's record; a cap one higher lifts A4.
RELAXATIONS = frozenset({"cap_raise"} | {kind for rule in RULES for kind in rule.relaxations})


@dataclass(frozen=True)
class Change:
    """One change to the input: its kind and what it touches."""

    kind: str
    unit: int = -1  # index into the id-sorted units, or -1
    neighbourhood: str = ""
    amount: Decimal = Decimal(0)  # rent_lower: euros below the current rent

    @property
    def key(self) -> tuple[str, int, str, Decimal]:
        return (self.kind, self.unit, self.neighbourhood, self.amount)


def _rule_ok(h: Households, u: Units, prep: Prepared, household: int) -> BoolArray:
    """E2-E8 for this household against every unit profile (E1 is the household's own)."""
    s = prep.structure
    masks = rule_masks(h, u, prep.instance.policy, np.array([household], dtype=np.int64), s.unit_rep)
    ok: BoolArray = np.logical_and.reduce(masks[1:])[0]
    return ok


def _excluded_units(prep: Prepared, household: int) -> set[int]:
    hid = prep.households.ids[household]
    index = {uid: i for i, uid in enumerate(prep.units.ids)}
    return {index[b] for a, b in prep.instance.excluded_pairs if a == hid}


def _opened_units(prep: Prepared, household: int, before: BoolArray, after: BoolArray, excluded: set[int]) -> list[int]:
    """One unit per unit profile that the change opens (not eligible before, eligible after): the lowest id."""
    s = prep.structure
    opened = (~before & after)[s.unit_profile]
    chosen: dict[int, int] = {}
    for ui in np.flatnonzero(opened).tolist():
        if ui in excluded:
            continue
        chosen.setdefault(int(s.unit_profile[ui]), ui)
    return sorted(chosen.values())


def candidates(prep: Prepared, solution: Solution, household: int) -> list[Change]:
    """Every single change that could place the household, smallest first (see the module docstring)."""
    h, u, s = prep.households, prep.units, prep.structure
    policy = prep.instance.policy
    if not h.documents[household]:
        ok = _rule_ok(h, u, prep, household)
        excluded = _excluded_units(prep, household)
        usable = ok[s.unit_profile] & u.available
        usable[list(excluded)] = False
        return [Change("documents")] if usable.any() and "documents" in RELAXATIONS else []

    excluded = _excluded_units(prep, household)
    before = _rule_ok(h, u, prep, household)
    changes: list[Change] = []

    # Caps that are reached and hold units this household may have.
    eligible_units = before[s.unit_profile].copy()
    eligible_units[list(excluded)] = False
    placed = np.bincount(u.neighbourhood[solution.unit], minlength=len(prep.codes.neighbourhoods))
    caps_left = policy.caps_left
    for name in sorted(caps_left) if "cap_raise" in RELAXATIONS else ():
        if name not in prep.codes.neighbourhoods:
            continue
        code = prep.codes.neighbourhoods.index(name)
        if placed[code] >= caps_left[name] and (eligible_units & (u.neighbourhood == code)).any():
            changes.append(Change("cap_raise", neighbourhood=name))

    if "occupant_plus_one" in RELAXATIONS:
        roomier = replace(
            u,
            max_occupants=u.max_occupants + np.where(u.shared, 0, 1),
            beds=u.beds + np.where(u.shared, 1, 0),
        )
        changes += [
            Change("occupant_plus_one", unit=x)
            for x in _opened_units(prep, household, before, _rule_ok(h, roomier, prep, household), excluded)
        ]

    if "reunification_relaxed" in RELAXATIONS:
        temporary = replace(u, temporary=np.ones_like(u.temporary))
        opened = _opened_units(prep, household, before, _rule_ok(h, temporary, prep, household), excluded)
        changes += [Change("reunification_relaxed", unit=x) for x in opened if not u.temporary[x]]

    if policy.rent_caps is not None and "rent_lower" in RELAXATIONS:
        cheaper_ok = u.rent_ok.copy()
        cheaper_ok[:, int(h.cap_class[household])] = True
        cap = _rent_cap(prep, household)
        after = _rule_ok(h, replace(u, rent_ok=cheaper_ok), prep, household)
        opened_mask = (~before & after)[s.unit_profile]
        opened_mask[list(excluded)] = False
        rents: list[Any] = list(prep.instance.units["rent"])
        best: dict[int, tuple[Decimal, int]] = {}
        for ui in np.flatnonzero(opened_mask).tolist():
            amount = Decimal(rents[ui]) - cap
            q = int(s.unit_profile[ui])
            if q not in best or (amount, ui) < best[q]:
                best[q] = (amount, ui)
        changes += [Change("rent_lower", unit=ui, amount=amount) for amount, ui in sorted(best.values())]
    return changes


def _rent_cap(prep: Prepared, household: int) -> Decimal:
    caps = prep.instance.policy.rent_caps
    assert caps is not None
    return (caps.young, caps.low, caps.high)[int(prep.households.cap_class[household])]


def apply_change(instance: Instance, change: Change, household: int, rehash: bool = True) -> Instance:
    """The instance with the one change applied (tables stay id-sorted, so indices hold).

    Hashing the canonical input costs as much as solving a small week, and a re-solve
    that only checks a counterfactual never reports the hash: with ``rehash=False`` the
    changed instance carries the original hash with a ``+`` suffix naming the change
    instead, so it can never pass for the canonical hash of any input.
    """
    households, units, policy = instance.households, instance.units, instance.policy
    if change.kind == "documents":
        households = households.copy()
        households.loc[household, "documents_complete"] = True
    elif change.kind == "cap_raise":
        # One more household in the wijk this week: raise whichever cap binds (weekly, half-year or both).
        name = change.neighbourhood
        left = policy.caps_left[name]
        caps, half_year = dict(policy.neighbourhood_caps), dict(policy.half_year_caps)
        if caps.get(name) == left:
            caps[name] += 1
        if name in half_year and _half_year_left(policy, name) == left:
            half_year[name] = policy.half_year_placed.get(name, 0) + left + 1
        policy = policy.model_copy(update={"neighbourhood_caps": caps, "half_year_caps": half_year})
    else:
        units = units.copy()
        row = change.unit
        if change.kind == "occupant_plus_one":
            column = "beds" if bool(units["shared"].iloc[row]) else "max_occupants"
            counts = units[column].to_numpy(copy=True)
            counts[row] += 1
            units[column] = counts
        elif change.kind == "reunification_relaxed":
            temporary = units["temporary"].to_numpy(copy=True)
            temporary[row] = True
            units["temporary"] = temporary
        elif change.kind == "rent_lower":
            rents: list[Any] = list(units["rent"])
            rents[row] = Decimal(rents[row]) - change.amount
            units["rent"] = pd.Series(rents, index=units.index, dtype=object)
        else:
            raise ValueError(f"unknown change {change.kind!r}")
    return replace(
        instance,
        households=households,
        units=units,
        policy=policy,
        input_sha256=canonical_sha256(households, units, policy) if rehash else f"{instance.input_sha256}+{change.kind}",
    )


def _half_year_left(policy: Policy, name: str) -> int:
    return max(0, policy.half_year_caps[name] - policy.half_year_placed.get(name, 0))


def _describe(prep: Prepared, change: Change) -> dict[str, Any]:
    u = prep.units
    data: dict[str, Any] = {"change": change.kind}
    if change.kind == "cap_raise":
        policy, name = prep.instance.policy, change.neighbourhood
        cap = policy.caps_left[name]
        data.update(neighbourhood=name, cap_from=cap, cap_to=cap + 1)
        if name in policy.half_year_caps and _half_year_left(policy, name) == cap:
            placed = policy.half_year_placed.get(name, 0)
            data.update(half_year_cap_from=policy.half_year_caps[name], half_year_cap_to=placed + cap + 1)
    elif change.kind != "documents":
        data["unit_id"] = prep.units.ids[change.unit]
    if change.kind == "occupant_plus_one":
        shared = bool(u.shared[change.unit])
        value = int(u.beds[change.unit] if shared else u.max_occupants[change.unit])
        data.update(field="beds" if shared else "max_occupants", value_from=value, value_to=value + 1)
    elif change.kind == "rent_lower":
        data.update(amount=_money(change.amount), rent_from=_money(_rent(prep, change.unit)))
    return data


def _rent(prep: Prepared, unit: int) -> Decimal:
    return Decimal(list(prep.instance.units["rent"])[unit])


def _money(amount: Decimal) -> str:
    cents = amount.quantize(Decimal("0.01"))
    return format(cents if cents == amount else amount.normalize(), "f")


class Verifier:
    """Re-solves changed instances, once per distinct change, and remembers the answers."""

    def __init__(self, prep: Prepared, solution: Solution) -> None:
        self.prep = prep
        self.solution = solution
        self.cache: dict[tuple[Any, ...], Solution] = {}
        self.resolves = 0
        self.searched: dict[int, tuple[int, bool]] = {}  # household -> (changes tried, all of its candidates tried)

    def solve(self, change: Change, household: int) -> Solution:
        key = (*change.key, household if change.kind == "documents" else -1)
        if key not in self.cache:
            self.resolves += 1
            self.cache[key] = optimise(prepare(apply_change(self.prep.instance, change, household, rehash=False)))
        return self.cache[key]

    def find(self, household: int, max_candidates: int | None = DEFAULT_MAX_CANDIDATES) -> dict[str, Any] | None:
        """The first candidate (smallest first) that places the household; ``max_candidates=None`` tries them all.

        ``searched[household]`` then says how many were tried and whether that was all of them,
        so that "no single change places this household" is said only when it is so.
        """
        if household in set(self.solution.household.tolist()):
            raise ValueError(f"household {self.prep.households.ids[household]} is already placed")
        every = candidates(self.prep, self.solution, household)
        tried = every[:max_candidates]
        for count, change in enumerate(tried, start=1):
            new = self.solve(change, household)
            where = np.flatnonzero(new.household == household)
            self.searched[household] = (count, count == len(every))
            if len(where) == 0:
                continue
            data = _describe(self.prep, change)
            data.update(
                verified=True,
                placed_in=self.prep.units.ids[int(new.unit[where[0]])],
                tier_difference=[a - b for a, b in zip(new.tier_values, self.solution.tier_values, strict=True)],
                status=new.status,
            )
            return data
        self.searched[household] = (len(tried), len(tried) == len(every))
        return None


def find_counterfactual(
    prep: Prepared, solution: Solution, household: int, max_candidates: int = DEFAULT_MAX_CANDIDATES
) -> dict[str, Any] | None:
    """The smallest single change, verified by re-solving, that places this unmatched household; None if none of
    the first ``max_candidates`` candidates does."""
    return Verifier(prep, solution).find(household, max_candidates)


def counterfactuals(
    prep: Prepared, solution: Solution, households: list[int], max_candidates: int = DEFAULT_MAX_CANDIDATES
) -> dict[int, dict[str, Any] | None]:
    """Counterfactuals for several unmatched households, sharing re-solves of the same change."""
    verifier = Verifier(prep, solution)
    result = {hi: verifier.find(hi, max_candidates) for hi in households}
    log.info("counterfactuals for %d households: %d re-solves", len(households), verifier.resolves)
    return result


def unmatched_households(prep: Prepared, solution: Solution) -> list[int]:
    """Indices of the households the proposal leaves unmatched, in id order."""
    placed = np.zeros(len(prep.households.ids), dtype=bool)
    placed[solution.household] = True
    out: IntArray = np.flatnonzero(~placed)
    return [int(x) for x in out]


def _dutch_money(text: str) -> str:
    return text.replace(".", ",")


SENTENCES: dict[str, dict[str, str]] = {
    "nl": {
        "documents": "Als BSN en IBAN van dit huishouden bekend waren, zou het deze week geplaatst worden.",
        "cap_raise": (
            "Als het plafond van wijk {neighbourhood} één hoger was ({cap_to} in plaats van {cap_from}), "
            "zou dit huishouden deze week geplaatst worden."
        ),
        "cap_raise_half_year": (
            "Als het halfjaarplafond van wijk {neighbourhood} hoger was ({half_year_cap_to} in plaats van "
            "{half_year_cap_from}), zodat er deze week {cap_to} in plaats van {cap_from} huishoudens bij konden, "
            "zou dit huishouden deze week geplaatst worden."
        ),
        "occupant_plus_one": (
            "Als {unit_id} één bewoner meer mocht huisvesten ({value_to} in plaats van {value_from}), "
            "zou dit huishouden deze week geplaatst worden."
        ),
        "occupant_plus_one_shared": (
            "Als {unit_id} één bed meer had ({value_to} in plaats van {value_from}), "
            "zou dit huishouden deze week geplaatst worden."
        ),
        "reunification_relaxed": (
            "Als {unit_id} als tijdelijke woning werd aangeboden, zodat de regel voor gezinshereniging niet geldt, "
            "zou dit huishouden deze week geplaatst worden."
        ),
        "rent_lower": "Als de huur van {unit_id} EUR {amount} lager was, zou dit huishouden deze week geplaatst worden.",
        "none": (
            "Geen van de {tried} geprobeerde losse wijzigingen (BSN/IBAN, wijkplafond, een bewoner meer, tijdelijk contract, "
            "lagere huur) plaatst dit huishouden deze week; er zijn er meer mogelijk."
        ),
        "none_at_all": (
            "Geen enkele losse wijziging van deze soorten (BSN/IBAN, wijkplafond één hoger, een bewoner of bed meer, "
            "tijdelijk contract, lagere huur) plaatst dit huishouden deze week."
        ),
    },
    "en": {
        "documents": "If this household's BSN and IBAN were known, it would be placed this week.",
        "cap_raise": (
            "If the cap of neighbourhood {neighbourhood} were one higher ({cap_to} instead of {cap_from}), "
            "this household would be placed this week."
        ),
        "cap_raise_half_year": (
            "If the half-year cap of neighbourhood {neighbourhood} were higher ({half_year_cap_to} instead of "
            "{half_year_cap_from}), so that {cap_to} instead of {cap_from} households could go there this week, "
            "this household would be placed this week."
        ),
        "occupant_plus_one": (
            "If {unit_id} were allowed one more occupant ({value_to} instead of {value_from}), "
            "this household would be placed this week."
        ),
        "occupant_plus_one_shared": (
            "If {unit_id} had one more bed ({value_to} instead of {value_from}), this household would be placed this week."
        ),
        "reunification_relaxed": (
            "If {unit_id} were offered as a temporary home, so that the family reunification rule does not apply, "
            "this household would be placed this week."
        ),
        "rent_lower": "If the rent of {unit_id} were EUR {amount} lower, this household would be placed this week.",
        "none": (
            "None of the {tried} single changes tried (BSN/IBAN, a neighbourhood cap, one more occupant, a temporary "
            "contract, a lower rent) places this household this week; there are more to try."
        ),
        "none_at_all": (
            "No single change of these kinds (BSN/IBAN, a neighbourhood cap one higher, one more occupant or bed, a "
            "temporary contract, a lower rent) places this household this week."
        ),
    },
}


def render_counterfactual(data: Mapping[str, Any] | None, lang: str = "nl", tried: int = 0, complete: bool = False) -> str:
    """One plain sentence for a counterfactual, or for none: ``complete`` when every candidate was tried."""
    words = SENTENCES[lang]
    if data is None:
        return words["none_at_all"] if complete else words["none"].format(tried=tried)
    kind = str(data["change"])
    if kind == "occupant_plus_one" and data.get("field") == "beds":
        kind = "occupant_plus_one_shared"
    if kind == "cap_raise" and "half_year_cap_from" in data:
        kind = "cap_raise_half_year"
    values = dict(data)
    if "amount" in values and lang == "nl":
        values["amount"] = _dutch_money(str(values["amount"]))
    return words[kind].format(**values)


__all__ = [
    "CHANGE_ORDER",
    "DEFAULT_MAX_CANDIDATES",
    "Change",
    "Verifier",
    "apply_change",
    "candidates",
    "counterfactuals",
    "find_counterfactual",
    "render_counterfactual",
    "unmatched_households",
]
