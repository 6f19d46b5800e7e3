"""Reason codes and the sentences a WBB member can read out, data first.

Every unmatched household and unused unit gets the spec's reason code (the first that
applies) and a ``details`` object with the numbers behind it; the sentence is rendered
from those details in Dutch (default) or English.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.explain.spreading import cap_details, cap_sentence, half_year_binds
from matcher.explain.values import ValueTable, value_table
from matcher.model import Prepared
from matcher.rules.arrays import BoolArray, IntArray
from matcher.rules.eligibility import ALL_RULES, RULE_INDEX, RULES, rule_masks

_NO_UNITS = np.zeros(0, dtype=np.int64)
Int8Array = npt.NDArray[np.int8]

UNIT_TYPE_WORDS = {
    "nl": {"social": "sociale huurwoning", "flex": "flexwoning", "transit": "doorstroomlocatie"},
    "en": {"social": "social rental home", "flex": "flex home", "transit": "transit housing"},
}


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    last = " en " if lang == "nl" else " and "
    return ", ".join(parts[:-1]) + last + parts[-1]


def _persons_words(n: int, lang: str) -> str:
    if lang == "nl":
        return "1 persoon" if n == 1 else f"{n} personen"
    return "1 person" if n == 1 else f"{n} persons"


MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")  # fmt: skip


def dutch_date(iso: str) -> str:
    """An ISO date as a Dutch sentence writes it: "3 maart 2025"."""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def household_rule_phrase(details: Mapping[str, Any], lang: str) -> str:
    """The units each rule excluded for one household, in the rule's own words and numbers."""
    context = {
        "persons": _persons_words(int(details["persons"]), lang),
        "future": _persons_words(int(details["future_size"]), lang),
        "cap": details.get("rent_cap") or "",
        "municipality": details["municipality"],
        "horizon_end": dutch_date(details["horizon_end"]) if lang == "nl" else details["horizon_end"],
    }
    parts: list[str] = []
    counts = details["excluded_by"]
    for rule in ALL_RULES:
        n = counts.get(rule.id, 0)
        if not n or not rule.for_household:
            continue
        parts += [rule.for_household[lang][variant].format(n=m, **context) for variant, m in rule.variants(details, n)]
    return _join(parts, lang)


def tier_difference_words(values: list[int]) -> str:
    """A tier difference as the WBB reads it: "-10 / +35 / 0"."""
    return _difference_words(tuple(values))


@functools.lru_cache(maxsize=4096)
def _difference_words(values: tuple[int, ...]) -> str:
    return " / ".join(f"{v:+d}" if v else "0" for v in values)


# A term's amount in Dutch words: (one, many, "meer"/"minder" after the number).
_TERM_NL: dict[str, tuple[str, str]] = {
    "placed_households": ("huishouden meer geplaatst", "huishoudens meer geplaatst"),
    "placed_persons": ("persoon meer geplaatst", "personen meer geplaatst"),
    "waiting_days": ("wachtdag meer", "wachtdagen meer"),
    "overdue": ("huishouden over de termijn meer geplaatst", "huishoudens over de termijn meer geplaatst"),
    "vulnerable": ("kwetsbaar huishouden meer geplaatst", "kwetsbare huishoudens meer geplaatst"),
    "temporary": ("tijdelijke plaatsing meer", "tijdelijke plaatsingen meer"),
    "underoccupancy": ("lege plaats meer (onderbezetting)", "lege plaatsen meer (onderbezetting)"),
    "preferred": ("plaatsing in een voorkeurswijk meer", "plaatsingen in een voorkeurswijk meer"),
    "own_municipality": ("plaatsing in de eigen gemeente meer", "plaatsingen in de eigen gemeente meer"),
    "move_on": ("doorstromer meer geplaatst", "doorstromers meer geplaatst"),
    "single_woman": ("alleengaande vrouw meer geplaatst", "alleengaande vrouwen meer geplaatst"),
    "single_parent": ("eenoudergezin meer geplaatst", "eenoudergezinnen meer geplaatst"),
}
TERM_NAMES_NL = {
    "placed_households": "huishoudens geplaatst",
    "placed_persons": "personen geplaatst",
    "waiting_days": "wachtdagen",
    "overdue": "over de termijn",
    "vulnerable": "kwetsbaar",
    "temporary": "tijdelijk",
    "underoccupancy": "onderbezetting",
    "preferred": "voorkeurswijk",
    "own_municipality": "eigen gemeente",
    "move_on": "doorstromer",
    "long_wait": "lang wachtend",
    "long_wait_days": "wachtdagen boven de lange-wachtgrens",
    "lookahead": "vooruitkijken",
    "single_woman": "alleengaande vrouw",
    "single_parent": "eenoudergezin",
}
# The Dutch words of a tier difference always read "zou ... opleveren" or "volgens het beleid even
# goed", so the service can withhold them as one phrase (api/redaction.py).
EVEN_GOOD_NL = "volgens het beleid even goed"


def tier_difference_nl(values: Sequence[int], objective: Sequence[Mapping[str, int]]) -> str:
    """A tier difference in plain Dutch, for a WBB member: "zou 36 wachtdagen minder opleveren".

    A tier of one term says how many of that term (the weight divided out); a tier of several
    terms says how many points, naming its terms."""
    return DutchDifferences(objective)(values)


def _tier_phrase_nl(k: int, value: int, objective: Sequence[Mapping[str, int]]) -> str:
    """One non-zero entry of a tier difference in Dutch words."""
    more = value > 0
    if k >= len(objective):  # the stability tier after the policy's own: pairs of the previous proposal kept
        pairs = "paar" if abs(value) == 1 else "paren"
        return f"{abs(value)} {pairs} uit het vorige voorstel {'meer' if more else 'minder'} behouden"
    tier = objective[k]
    if len(tier) == 1:
        ((term, weight),) = tier.items()
        if weight and value % weight == 0 and term in _TERM_NL:
            n = value // weight
            one, many = _TERM_NL[term]
            words = one if abs(n) == 1 else many
            return f"{abs(n)} {words if n > 0 else words.replace(' meer', ' minder', 1)}"
    names = ", ".join(TERM_NAMES_NL.get(t, t) for t in tier)
    return f"{abs(value)} punt{'' if abs(value) == 1 else 'en'} {'meer' if more else 'minder'} op prioriteit {k + 1} ({names})"


class DutchDifferences:
    """``tier_difference_nl`` for one objective, remembering what it wrote.

    A national week writes tens of thousands of tier differences, but they repeat, and
    the distinct (tier, value) entries are fewer still: each whole difference and each
    entry's words are written once.
    """

    def __init__(self, objective: Sequence[Mapping[str, int]]) -> None:
        self._objective = objective
        self._entries: dict[tuple[int, int], str] = {}
        self._written: dict[tuple[int, ...], str] = {}

    def __call__(self, values: Sequence[int]) -> str:
        key = tuple(values)
        text = self._written.get(key)
        if text is None:
            text = self._written[key] = self._words(key)
        return text

    def _words(self, values: tuple[int, ...]) -> str:
        parts = []
        for k, value in enumerate(values):
            if not value:
                continue
            entry = self._entries.get((k, value))
            if entry is None:
                entry = self._entries[(k, value)] = _tier_phrase_nl(k, value, self._objective)
            parts.append(entry)
        if not parts:
            return EVEN_GOOD_NL
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]
        return f"zou {listed} opleveren"


def _outranked_opening(n: int, lang: str) -> str:
    if lang == "nl":
        return (
            f"Er {'is' if n == 1 else 'zijn'} {n} passende woning{'' if n == 1 else 'en'}, maar die "
            f"{'ging' if n == 1 else 'gingen'} volgens de prioriteiten van het beleid naar andere huishoudens"
        )
    return (
        f"There {'is' if n == 1 else 'are'} {n} suitable unit{'' if n == 1 else 's'}, "
        f"but the policy's priorities gave {'it' if n == 1 else 'them'} to other households"
    )


def _taken_phrase(taken: list[dict[str, Any]], lang: str) -> str:
    if not taken:
        return "."
    word = "naar" if lang == "nl" else "to"
    parts = [f"{t['unit_id']} {word} {', '.join(t['taken_by'])}" for t in taken]
    return (" (o.a. " if lang == "nl" else " (among them ") + "; ".join(parts) + ")."


def _forced_phrase(details: Mapping[str, Any], lang: str, dutch: DutchDifferences) -> str:
    difference = details.get("forced_tier_difference")
    if difference is None:
        return ""
    if lang == "nl":
        return f" Dit huishouden toch plaatsen {dutch(difference)}."
    return f" Placing this household anyway changes the proposal per tier by {tier_difference_words(difference)}."


def _rule_phrase(counts: Mapping[str, int], lang: str) -> str:
    parts = [rule.counted[lang].format(n=n) for rule in ALL_RULES if (n := counts.get(rule.id, 0))]
    return _join(parts, lang)


def first_failing(masks: Sequence[BoolArray], offset: int = 0) -> Int8Array:
    """Per cell, the number (plus ``offset``) of the first mask that fails there; -1 where all hold.

    The masks are applied from the last to the first, so the first failing one is written
    last; broadcast masks (a rule on household or unit fields only) stay broadcast, and no
    (cells x rules) stack is built.
    """
    first = np.full(np.broadcast_shapes(*(m.shape for m in masks)), -1, dtype=np.int8)
    for k in range(len(masks) - 1, -1, -1):
        first = np.where(masks[k], first, np.int8(k + offset))
    return first


def units_per_rule(first: Int8Array, weights: IntArray, n_rules: int) -> IntArray:
    """(rows, 1 + n_rules): per row of ``first``, the weights of its columns summed by first failing
    rule, column 0 for the columns where none fails (-1).

    One weighted count over all cells instead of one matrix product per rule; the weights
    (profile sizes) are whole numbers far below 2**53, so the float sums are exact.
    """
    rows, columns = first.shape
    codes = (np.arange(rows, dtype=np.int64)[:, None] * (n_rules + 1) + first + 1).ravel()
    totals = np.bincount(codes, weights=np.broadcast_to(weights, (rows, columns)).ravel(), minlength=rows * (n_rules + 1))
    counts: IntArray = np.rint(totals).astype(np.int64).reshape(rows, n_rules + 1)
    return counts


class Explainer:
    """Computes reason details for households and units of one solved instance."""

    def __init__(self, prep: Prepared, household: IntArray, unit: IntArray) -> None:
        self.prep = prep
        h, u, s = prep.households, prep.units, prep.structure
        self.n_eligible_h, self.n_eligible_u = s.eligible_counts()
        self.placed_h = np.zeros(len(h.ids), dtype=bool)
        self.placed_h[household] = True
        self.used_u = np.zeros(len(u.ids), dtype=bool)
        self.used_u[unit] = True
        n_nbh = len(prep.codes.neighbourhoods)
        self.placed_nbh = np.bincount(u.neighbourhood[unit], minlength=n_nbh)
        caps = prep.instance.policy.caps_left
        self.cap = np.array([caps.get(name, -1) for name in prep.codes.neighbourhoods], dtype=np.int64)
        self.cap_reached = (self.cap >= 0) & (self.placed_nbh >= self.cap)
        # Eligible units outside neighbourhoods whose cap is reached, per household: all eligible
        # units less those in capped wijken (only their few columns of the profile matrix are read).
        u_sizes = np.bincount(s.unit_profile, minlength=len(s.unit_rep))
        self.unit_sizes = u_sizes
        capped_q = np.flatnonzero(self.cap_reached[u.neighbourhood[s.unit_rep]])
        closed = s.eligible[:, capped_q].astype(np.int64) @ u_sizes[capped_q]
        self.open_eligible_h = self.n_eligible_h - closed[s.household_profile]
        ex_closed = self.cap_reached[u.neighbourhood[s.excluded_unit]]
        np.add.at(self.open_eligible_h, s.excluded_household[ex_closed], 1)  # already left out of both counts
        self._unit_rule_counts: dict[int, dict[str, int]] = {}
        self._rule_counts_with_documents: dict[int, tuple[dict[str, int], int]] = {}
        self._excluded_by_household: dict[int, IntArray] | None = None
        self._taken_phrases: dict[tuple[int, str], str] = {}
        self._outranked_openings: dict[tuple[int, str], str] = {}
        self._occupancy: dict[tuple[int, int], dict[str, int]] = {}
        self._placed_per_profile: IntArray | None = None
        self._available_from: list[str] | None = None
        self.residents: dict[int, list[int]] = {}
        self.excluded_households = set(s.excluded_household.tolist())
        self._first_fail_with_documents: dict[int, np.ndarray] = {}
        for a, b in zip(household.tolist(), unit.tolist(), strict=True):
            self.residents.setdefault(b, []).append(a)
        self.unit_index = {uid: i for i, uid in enumerate(u.ids)}
        self.dutch_differences = DutchDifferences(prep.instance.policy.objective)
        self._value_table: ValueTable | None = None

    def value_table(self) -> ValueTable:
        """The profile-pair values of this week (see ``matcher.explain.values``), made once."""
        if self._value_table is None:
            self._value_table = value_table(self.prep)
        return self._value_table

    def prefetch_rule_details(self, households: list[int]) -> None:
        """Evaluate E2-E8 for the profiles of these households in one vectorised pass."""
        s = self.prep.structure
        profiles = sorted({int(s.household_profile[x]) for x in households} - set(self._first_fail_with_documents))
        if not profiles:
            return
        # The rules read the same fields for every unit profile of a group (they differ in wijk only):
        # evaluated on one unit profile per group, counted with the group's units.
        table = self.value_table()
        group, lead = table.unit_group, table.unit_group_lead
        group_sizes = np.bincount(group, weights=self.unit_sizes, minlength=len(lead)).astype(np.int64)
        masks = rule_masks(
            self.prep.households, self.prep.units, self.prep.instance.policy, s.household_rep[profiles], s.unit_rep[lead]
        )
        first_of_group = first_failing(masks[1:], offset=1)  # (household profiles, groups): E2-E8, E1 aside
        per_rule = units_per_rule(first_of_group, group_sizes, len(RULES)).tolist()  # column 0: fitting
        first = first_of_group[:, group]  # (household profiles, unit profiles)
        for row, profile in enumerate(profiles):
            self._first_fail_with_documents[profile] = first[row]
            counts = {rule.id: per_rule[row][k + 1] for k, rule in enumerate(RULES) if k > 0}
            self._rule_counts_with_documents[profile] = (counts, per_rule[row][0])

    def excluded_by_household(self) -> dict[int, IntArray]:
        """Every excluded pair of the policy, as unit indices per household index."""
        if self._excluded_by_household is None:
            index_h = {hid: i for i, hid in enumerate(self.prep.households.ids)}
            grouped: dict[int, list[int]] = defaultdict(list)
            for hid, uid in self.prep.instance.excluded_pairs:
                grouped[index_h[hid]].append(self.unit_index[uid])
            self._excluded_by_household = {k: np.array(v, dtype=np.int64) for k, v in grouped.items()}
        return self._excluded_by_household

    def household_rule_details(self, household: int) -> dict[str, Any]:
        """The units each rule excludes for this household (documents aside), with the numbers behind them.

        For a household without documents the counts say what the offer would look like
        once BSN and IBAN are known.
        """
        s, h, u = self.prep.structure, self.prep.households, self.prep.units
        policy = self.prep.instance.policy
        profile = int(s.household_profile[household])
        if profile not in self._first_fail_with_documents:
            self.prefetch_rule_details([household])
        first = self._first_fail_with_documents[profile]
        sizes = self.unit_sizes
        counts_of_profile, fitting = self._rule_counts_with_documents[profile]
        counts = dict(counts_of_profile)
        excluded = self.excluded_by_household().get(household, _NO_UNITS)  # E1 aside: all of the WBB's pairs
        counts["E9"] = int((first[s.unit_profile[excluded]] == -1).sum())
        persons = int(h.persons[household])
        occupancy = self._occupancy.get((profile, persons))
        if occupancy is None:  # households alike in profile and persons share these numbers
            by_norm = first == RULE_INDEX["E4"]
            small = by_norm & (u.max_occupants[s.unit_rep] < persons)
            occupancy = {"too_small": int(sizes[small].sum()), "too_large": int(sizes[by_norm & ~small].sum())}
            self._occupancy[(profile, persons)] = occupancy
        cap = None
        if policy.rent_caps is not None:
            caps = policy.rent_caps
            cap = str((caps.young, caps.low, caps.high)[int(h.cap_class[household])])
        horizon_end = policy.planning_date + dt.timedelta(days=policy.horizon_days)
        return {
            "units_offered": len(u.ids),
            "eligible_with_documents": fitting - counts["E9"],
            "excluded_by": {k: v for k, v in counts.items() if v},
            "persons": persons,
            "future_size": int(h.future[household]),
            "occupancy": dict(occupancy),
            "rent_cap": cap,
            "needs": "wheelchair" if h.wheelchair[household] else ("step_free" if h.mobility[household] else None),
            "municipality": self.prep.codes.municipalities[int(h.municipality[household])],
            "horizon_end": horizon_end.isoformat(),
        }

    def prefetch_unit_rule_counts(self, units: list[int]) -> None:
        """The first failing rule for every household, counted per unit, for these units in one pass.

        Only the unit profiles asked for are evaluated against all household profiles, one per
        group; an excluded pair counts under E9 only when no rule E1-E8 fails first.
        """
        s, prep = self.prep.structure, self.prep
        wanted = [x for x in units if x not in self._unit_rule_counts]
        if not wanted:
            return
        # One unit profile per group stands for the others (see ``prefetch_rule_details``).
        table = self.value_table()
        groups, local = np.unique(table.unit_group[s.unit_profile[wanted]], return_inverse=True)
        lead = table.unit_group_lead[groups]
        masks = rule_masks(prep.households, prep.units, prep.instance.policy, s.household_rep, s.unit_rep[lead])
        first = first_failing(masks)  # (household profiles, these groups)
        sizes = np.bincount(s.household_profile, minlength=len(s.household_rep))
        per_rule = units_per_rule(first.T, sizes, len(RULES)).tolist()  # (groups, 1 + rules)
        excluded: dict[int, list[int]] = defaultdict(list)
        for a, b in zip(s.excluded_household.tolist(), s.excluded_unit.tolist(), strict=True):
            excluded[b].append(a)
        for x, row in zip(wanted, np.asarray(local).reshape(-1).tolist(), strict=True):
            counts = {rule.id: per_rule[row][k + 1] for k, rule in enumerate(RULES)}
            if x in excluded:
                counts["E9"] = int((first[s.household_profile[excluded[x]], row] == -1).sum())
            self._unit_rule_counts[x] = {k: v for k, v in counts.items() if v}

    def unit_rule_counts(self, unit: int) -> dict[str, int]:
        """Households per first failing rule for this unit."""
        self.prefetch_unit_rule_counts([unit])
        return self._unit_rule_counts[unit]

    # --- households ------------------------------------------------------------------
    def household_reason(self, household: int) -> tuple[str, dict[str, Any]]:
        h = self.prep.households
        if not h.documents[household]:
            return "documents_incomplete", self.household_rule_details(household)
        eligible = int(self.n_eligible_h[household])
        if eligible == 0:
            return "no_eligible_unit", self.household_rule_details(household)
        if self.open_eligible_h[household] == 0:
            s = self.prep.structure
            profiles_ = np.flatnonzero(s.eligible[s.household_profile[household]])
            codes = set(self.prep.units.neighbourhood[s.unit_rep[profiles_]].tolist())
            names = sorted(self.prep.codes.neighbourhoods[n] for n in codes if self.cap_reached[n])
            policy = self.prep.instance.policy
            half_year = [
                cap_details(policy, name, int(self.placed_nbh[self.prep.codes.neighbourhoods.index(name)]))
                for name in names
                if half_year_binds(policy, name)
            ]
            return "neighbourhood_cap", {
                "eligible_units": eligible,
                "capped_neighbourhoods": names,
                **({"half_year": half_year} if half_year else {}),
            }
        return "outranked", {"eligible_units": eligible}

    def household_reasons(self, households: IntArray) -> dict[int, tuple[str, dict[str, Any]]]:
        """``household_reason`` for many households, in their order.

        Most unplaced households of a large week are outranked; they are told apart with
        arrays and only the others go through ``household_reason`` one by one.
        """
        h = self.prep.households
        eligible = self.n_eligible_h[households]
        plain = h.documents[households] & (eligible > 0) & (self.open_eligible_h[households] > 0)
        return {
            hi: ("outranked", {"eligible_units": n}) if outranked else self.household_reason(hi)
            for hi, n, outranked in zip(households.tolist(), eligible.tolist(), plain.tolist(), strict=True)
        }

    def units_taken(self, households: list[int], limit: int = 3) -> dict[int, list[dict[str, Any]]]:
        """Per household: its best eligible units that went to others, and who got them.

        Units are ranked by the policy's tiers for this household (its own part aside), then by
        unit id. A value depends on the household's profile and the unit's profile, plus a
        bonus for a preferred wijk, so households alike in profile and preferred wijken are
        ranked together (``best_units``). Households with excluded pairs are ranked unit by unit.
        """
        from matcher.explain.alternatives import best_units, grouped_top, pair_values, preferred_bonus

        prep, s, u, h = self.prep, self.prep.structure, self.prep.units, self.prep.households
        used = np.flatnonzero(u.available & self.used_u)

        described_unit: dict[int, dict[str, Any]] = {}

        def described(units: list[int]) -> list[dict[str, Any]]:
            for x in units:
                if x not in described_unit:
                    described_unit[x] = {"unit_id": u.ids[x], "taken_by": [h.ids[y] for y in sorted(self.residents.get(x, ()))]}
            return [described_unit[x] for x in units]

        answer: dict[int, list[dict[str, Any]]] = {hi: [] for hi in households}
        slow = [x for x in households if x in self.excluded_households]
        if slow:
            selected = np.zeros(len(h.ids), dtype=bool)
            selected[slow] = True
            eh, eu = s.expand(selected, u.available & self.used_u)  # by household, then unit
            for hi, (chosen, _) in grouped_top(eh, eu, pair_values(prep, eh, eu), limit).items():
                answer[hi] = described(chosen.tolist())
        fast = [x for x in households if x not in self.excluded_households]
        if not fast or len(used) == 0:
            return answer
        keys: dict[tuple[int, tuple[int, ...]], int] = {}  # households alike in profile and preferred wijken rank alike
        key_of = [
            keys.setdefault((p, prep.preference_lists[hi]), len(keys))
            for hi, p in zip(fast, s.household_profile[fast].tolist(), strict=True)
        ]
        limits = np.full(len(keys), limit, dtype=np.int64)
        best = best_units(prep, self.value_table(), list(keys), limits, used, preferred_bonus(prep))
        lists = [described(units) for units, _ in best]
        for hi, k in zip(fast, key_of, strict=True):
            answer[hi] = lists[k]  # shared, never changed after this point
        return answer

    def household_sentence(self, household: int, reason: str, details: Mapping[str, Any], lang: str) -> str:
        if reason == "outranked":  # most unplaced households of a large week: first
            return self._outranked_sentence(details, lang)
        if reason == "documents_incomplete":
            n = details["eligible_with_documents"]
            if lang == "nl":
                return (
                    "BSN of IBAN ontbreekt; zonder deze gegevens kan geen huurcontract worden getekend. "
                    f"Met complete gegevens {'zou' if n == 1 else 'zouden'} {n} van de {details['units_offered']} "
                    f"aangeboden woningen passen."
                )
            return (
                "BSN or IBAN is missing; without them no lease can be signed. "
                f"With complete documents {n} of the {details['units_offered']} units offered would fit."
            )
        if reason == "no_eligible_unit":
            total = details["units_offered"]
            phrase = household_rule_phrase(details, lang)
            who = _persons_words(int(self.prep.households.persons[household]), lang)
            if total == 0:
                if lang == "nl":
                    return "Er worden deze week geen woningen aangeboden."
                return "No units are offered this week."
            if lang == "nl":
                return f"Geen passende woning voor {who}: van de {total} aangeboden woningen zijn er {phrase}."
            return f"No suitable unit for {who}: of the {total} units offered, {phrase}."
        if reason == "neighbourhood_cap":
            names = ", ".join(details["capped_neighbourhoods"])
            n = details["eligible_units"]
            day = self.prep.instance.policy.planning_date
            extra = "".join(" " + cap_sentence(item, day, lang) for item in details.get("half_year", ()))
            if lang == "nl":
                return f"Alle {n} passende woningen liggen in wijken waarvan het plafond deze week is bereikt ({names}).{extra}"
            return f"All {n} suitable units lie in neighbourhoods whose cap is reached this week ({names}).{extra}"
        return self._outranked_sentence(details, lang)

    def _outranked_sentence(self, details: Mapping[str, Any], lang: str) -> str:
        """The sentence of an outranked household, from phrases shared by many: the opening per number
        of suitable units, the units taken per shared list, the tier difference per distinct difference."""
        n = details["eligible_units"]
        opening = self._outranked_openings.get((n, lang))
        if opening is None:
            opening = self._outranked_openings[(n, lang)] = _outranked_opening(n, lang)
        taken = details.get("units_taken")
        if not taken:
            return opening + _taken_phrase([], lang) + _forced_phrase(details, lang, self.dutch_differences)
        # Households ranked alike share one list (see units_taken), alive as long as the details, so one phrase.
        key = (id(taken), lang)
        phrase = self._taken_phrases.get(key)
        if phrase is None:
            phrase = self._taken_phrases[key] = _taken_phrase(taken, lang)
        return opening + phrase + _forced_phrase(details, lang, self.dutch_differences)

    # --- units -----------------------------------------------------------------------
    def unit_reason(self, unit: int) -> tuple[str, dict[str, Any]]:
        u = self.prep.units
        if not u.available[unit]:
            if self._available_from is None:
                self._available_from = [d.isoformat() for d in self.prep.instance.units["available_from"].tolist()]
            return "not_available_yet", {"available_from": self._available_from[unit]}
        eligible = int(self.n_eligible_u[unit])
        if eligible == 0:
            return "no_eligible_household", {
                "households": len(self.prep.households.ids),
                "excluded_by": self.unit_rule_counts(unit),
            }
        nbh = int(u.neighbourhood[unit])
        if self.cap_reached[nbh]:
            name = self.prep.codes.neighbourhoods[nbh]
            details: dict[str, Any] = {"neighbourhood": name, "cap": int(self.cap[nbh])}
            if half_year_binds(self.prep.instance.policy, name):
                details["half_year"] = cap_details(self.prep.instance.policy, name, int(self.placed_nbh[nbh]))
            return "neighbourhood_cap", details
        s = self.prep.structure
        if self._placed_per_profile is None:
            self._placed_per_profile = np.bincount(s.household_profile[self.placed_h], minlength=len(s.household_rep))
        elsewhere = int(self._placed_per_profile[s.eligible[:, s.unit_profile[unit]]].sum())
        elsewhere -= int(self.placed_h[s.excluded_household[s.excluded_unit == unit]].sum())
        return "outranked", {"eligible_households": eligible, "placed_elsewhere": elsewhere}

    def unit_sentence(self, unit: int, reason: str, details: Mapping[str, Any], lang: str) -> str:
        policy = self.prep.instance.policy
        if reason == "not_available_yet":
            if lang == "nl":
                available = dutch_date(details["available_from"])
                return f"Pas beschikbaar vanaf {available}, na de horizon van {policy.horizon_days} dagen."
            return f"Only available from {details['available_from']}, after the {policy.horizon_days}-day horizon."
        if reason == "no_eligible_household":
            phrase = _rule_phrase(details["excluded_by"], lang)
            total = details["households"]
            if total == 0:
                return (
                    "Er staan deze week geen huishoudens in de pool." if lang == "nl" else "No households are waiting this week."
                )
            if lang == "nl":
                return f"Geen huishouden komt in aanmerking: van de {total} huishoudens zijn er {phrase}."
            return f"No household is eligible: of the {total} households, {phrase}."
        if reason == "neighbourhood_cap":
            if "half_year" in details:
                return cap_sentence(details["half_year"], policy.planning_date, lang)
            if lang == "nl":
                return f"Het plafond van wijk {details['neighbourhood']} ({details['cap']} huishoudens) is deze week bereikt."
            return f"The cap of neighbourhood {details['neighbourhood']} ({details['cap']} households) is reached this week."
        n, elsewhere = details["eligible_households"], details["placed_elsewhere"]
        rest = n - elsewhere
        if lang == "nl":
            return (
                f"{n} huishouden{'' if n == 1 else 's'} {'komt' if n == 1 else 'komen'} in aanmerking; {elsewhere} "
                f"{'kreeg' if elsewhere == 1 else 'kregen'} een andere woning en voor de overige {rest} verbetert deze "
                "woning het voorstel volgens de prioriteiten van het beleid niet."
            )
        return (
            f"{n} household{'' if n == 1 else 's'} {'is' if n == 1 else 'are'} eligible; {elsewhere} got another unit and for "
            f"the other {rest} this unit does not improve the proposal under the policy's priorities."
        )
