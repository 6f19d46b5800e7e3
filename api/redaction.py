"""Special-category data (health, sexual orientation) only for the roles that work with it.

A household's ``vulnerabilities`` say whether someone uses a wheelchair, has a medical or
psychosocial need, or needs an LHBTIQ+-safe place: health and sexual orientation, special
categories under AVG/GDPR article 9. Housing officers, the WBB and administrators match
and decide with them; a ``viewer`` (someone who follows the numbers) does not need them.

So for a viewer the service withholds them, and everything that would let a reader infer
them for one household:

- the ``vulnerable`` term of a match, and every number the term is added into: the value
  and bound of each tier that weights it, and the tier differences of a match's
  alternatives (the difference to the next-best household holds this household's term
  minus that one's, beside terms the viewer can read);
- the explanation and details of an unmatched household (their rule counts name a
  household's accessibility needs), and of an unused unit whose explanation counts
  households (how many fail on accessibility or documents, how many are eligible);
- in the mismatch report, every cell that is small or that a small cell can be
  subtracted from, by the scheme below.

Small cells (``SMALL_CELL``)
----------------------------
A viewer can count the waiting households of every profile (persons now and after
reunification) from the household list, so a profile's total is public, and any need cell
shown beside it can be subtracted from it. The mismatch report a viewer reads therefore has,
per profile:

- one row for the whole profile (``needs: null``): households, placed and unplaced, which
  the viewer can count anyway;
- below it, one row per combination of needs that has at least ``SMALL_CELL`` households,
  with its number of households only; and only while the households of the profile outside
  the shown need rows number at least ``SMALL_CELL`` as well (otherwise the smallest shown
  need row is withheld too, until that holds or none is left). So no shown number and no
  difference of shown numbers counts fewer than ``SMALL_CELL`` households with a need, or
  tells that every household of the profile has one.

Fitting units (``eligible_units``) and documents (``documents_incomplete``) are withheld in
every row: the number of fitting units follows from each household's needs (one household
of 7 whose fitting units are fewer than its size, rent cap and gender allow has a need), and
the documents flag per household is in the household list, so a documents count per group
can be matched to it. The Overzicht's count of households without documents is not shown to
a viewer when it is 1 to ``SMALL_CELL`` - 1. What was withheld is listed in the document's
``withheld`` field, so a reader knows it was withheld rather than absent. Every document a
viewer reads (proposal JSON and Excel, the Overzicht) goes through this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from api.auth import Caller
from api.words import needs_text
from matcher.errors import InputError
from matcher.input.policy import parse_policy

SPECIAL_CATEGORY_ROLE = "officer"
"""The lowest role that sees special-category fields."""

SMALL_CELL = 5
"""The fewest households a figure about needs (or documents) may count when a viewer reads it."""

WITHHELD_EXPLANATION = (
    "Toelichting niet getoond: die kan gezondheid of seksuele oriëntatie van het huishouden prijsgeven "
    "(zichtbaar voor de rollen officer, wbb en admin)."
)
WITHHELD_UNIT_EXPLANATION = (
    "Toelichting niet getoond: de aantallen huishoudens erin kunnen gezondheid of seksuele oriëntatie "
    "van een huishouden prijsgeven (zichtbaar voor de rollen officer, wbb en admin)."
)
UNIT_REASONS_WITH_COUNTS = ("no_eligible_household", "outranked")

WITHHELD_FIELDS = [
    "matches[].terms.vulnerable",
    "matches[].alternatives.*.tier_difference (tiers that weight vulnerable)",
    "solver.tiers[].value and bound (tiers that weight vulnerable)",
    "unmatched_households[].explanation",
    "unmatched_households[].details",
    "unused_units[].explanation and details (household counts)",
    f"mismatch[] with needs (groups under {SMALL_CELL} households, or leaving under {SMALL_CELL} others)",
    "mismatch[].eligible_units",
    "mismatch[].documents_incomplete",
    "mismatch[].placed and unplaced of groups with needs",
]
DASHBOARD_WITHHELD = [
    *(field for field in WITHHELD_FIELDS if field.startswith("mismatch")),
    f"pool.documents_incomplete (under {SMALL_CELL})",
]

_NOT_SHOWN = {"nl": "niet getoond", "en": "not shown"}
_DIFFERENCE = re.compile(
    r"\b(?:(verschil per prioriteit|verschil|difference per tier|difference) [+-]?\d+(?: / [+-]?\d+)*"
    r"|zou [^;]*? opleveren|volgens het beleid even goed)"
)  # the numbers of an English explanation, the words of a Dutch one (matcher.explain.reasons.tier_difference_nl)


def sees_special_categories(caller: Caller) -> bool:
    """True for the roles that match and decide with health and sexual-orientation data."""
    return caller.allows(SPECIAL_CATEGORY_ROLE)


def small(count: int | None) -> bool:
    """A count of households a viewer may not see: one to SMALL_CELL - 1."""
    return count is not None and 0 < count < SMALL_CELL


# --- the mismatch report --------------------------------------------------------------


def _who(n: int, persons: int, future: int, lang: str) -> str:
    if lang == "nl":
        if persons == 1:
            who = "alleenstaande" if n == 1 else "alleenstaanden"
        else:
            who = f"huishouden{'s' if n != 1 else ''} van {persons}"
        return who + (f" (straks {future} met nareizigers)" if future > persons else "")
    who = ("single person" if n == 1 else "single persons") if persons == 1 else f"household{'s' if n != 1 else ''} of {persons}"
    return who + (f" ({future} once family arrives)" if future > persons else "")


def _profile_row(persons: int, future: int, rows: Sequence[dict[str, Any]], lang: str) -> dict[str, Any]:
    households = sum(int(r.get("households", 0)) for r in rows)
    placed = sum(int(r.get("placed", 0)) for r in rows)
    if lang == "nl":
        sentence = f"{households} {_who(households, persons, future, lang)} in de pool, {placed} geplaatst."
    else:
        sentence = f"{households} {_who(households, persons, future, lang)} in the pool, {placed} placed."
    return {
        "persons": persons,
        "future_size": future,
        "needs": None,
        "households": households,
        "documents_incomplete": None,
        "eligible_units": None,
        "placed": placed,
        "unplaced": households - placed,
        "explanation": sentence,
    }


def _need_row(persons: int, future: int, row: dict[str, Any], lang: str) -> dict[str, Any]:
    n, needs = int(row["households"]), list(row["needs"])
    sentence = f"Waarvan {n} met {needs_text(needs)}." if lang == "nl" else f"Of these, {n} needing {', '.join(needs)}."
    return {
        "persons": persons,
        "future_size": future,
        "needs": needs,
        "households": n,
        "documents_incomplete": None,
        "eligible_units": None,
        "placed": None,
        "unplaced": None,
        "explanation": sentence,
    }


def shown_need_rows(total: int, need_rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The need rows of one profile a viewer may see: each of at least SMALL_CELL households, and
    at least SMALL_CELL households of the profile left outside them (the smallest go first)."""
    shown = sorted(
        (r for r in need_rows if int(r["households"]) >= SMALL_CELL),
        key=lambda r: (-int(r["households"]), list(r["needs"])),
    )
    while shown and total - sum(int(r["households"]) for r in shown) < SMALL_CELL:
        shown.pop()
    return shown


def suppressed_mismatch(rows: Sequence[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The mismatch report as a viewer may read it: a row per profile and the large need groups
    (see the module's description); profiles with most households unplaced first."""
    profiles: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in rows:
        profiles.setdefault((int(row["persons"]), int(row["future_size"])), []).append(row)
    blocks: list[tuple[tuple[int, int, int], list[dict[str, Any]]]] = []
    for (persons, future), group in profiles.items():
        head = _profile_row(persons, future, group, lang)
        needs = shown_need_rows(head["households"], (r for r in group if r.get("needs")))
        blocks.append(((-head["unplaced"], persons, future), [head, *(_need_row(persons, future, r, lang) for r in needs)]))
    blocks.sort(key=lambda block: block[0])
    return [row for _, block in blocks for row in block]


# --- the proposal ---------------------------------------------------------------------


def tiers_weighting_needs(policy: dict[str, Any] | None) -> set[int] | None:
    """The tiers (0-based) whose objective weights the ``vulnerable`` term; None: not known, so all."""
    try:
        objective = parse_policy(policy or {}, "policy").objective
    except InputError:
        return None
    return {index for index, tier in enumerate(objective) if tier.get("vulnerable", 0)}


def _withhold_tier_values(solver: dict[str, Any], tiers: set[int] | None) -> None:
    for index, tier in enumerate(solver.get("tiers") or []):
        if (tiers is None or index in tiers) and isinstance(tier, dict):
            tier["value"] = tier["bound"] = None


def _withhold_tiers(doc: dict[str, Any], tiers: set[int] | None) -> None:
    if tiers is not None and not tiers:
        return
    _withhold_tier_values(doc.get("solver") or {}, tiers)
    not_shown = _NOT_SHOWN.get(str(doc.get("lang", "nl")), _NOT_SHOWN["nl"])
    for match in doc.get("matches", []):
        for other in (match.get("alternatives") or {}).values():
            if isinstance(other, dict) and "tier_difference" in other:
                other["tier_difference"] = None
        if isinstance(match.get("explanation"), str):
            match["explanation"] = _DIFFERENCE.sub(
                lambda m: f"{m.group(1)} {not_shown}" if m.group(1) else "afweging niet getoond", match["explanation"]
            )


def redacted_proposal(proposal: dict[str, Any], tiers: set[int] | None = None) -> dict[str, Any]:
    """A copy of a proposal/v1 document without special-category data about any one household.

    ``tiers``: the tiers that weight the ``vulnerable`` term (``tiers_weighting_needs``); None withholds every tier's numbers."""
    doc: dict[str, Any] = json.loads(json.dumps(proposal))
    for match in doc.get("matches", []):
        match.get("terms", {}).pop("vulnerable", None)
    _withhold_tiers(doc, tiers)
    for item in doc.get("unmatched_households", []):
        item["explanation"] = WITHHELD_EXPLANATION
        item["details"] = {}
    for item in doc.get("unused_units", []):
        if item.get("reason") in UNIT_REASONS_WITH_COUNTS:
            item["explanation"] = WITHHELD_UNIT_EXPLANATION
            item["details"] = {}
    if "mismatch" in doc:
        doc["mismatch"] = suppressed_mismatch(doc["mismatch"], str(doc.get("lang", "nl")))
    doc["withheld"] = list(WITHHELD_FIELDS)
    return doc


def proposal_for(caller: Caller, proposal_json: str, policy: dict[str, Any] | None) -> str:
    """The stored proposal as the caller may see it: unchanged for officer and above.

    ``policy``: the run's policy, which says which tiers weight the ``vulnerable`` term."""
    if sees_special_categories(caller):
        return proposal_json
    doc = redacted_proposal(json.loads(proposal_json), tiers_weighting_needs(policy))
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def solver_for(caller: Caller, solver: dict[str, Any] | None, policy: dict[str, Any] | None) -> dict[str, Any] | None:
    """A run's solver report as the caller may see it: for a viewer without the values and bounds
    of the tiers that weight the ``vulnerable`` term (as in the proposal)."""
    if solver is None or sees_special_categories(caller):
        return solver
    shown: dict[str, Any] = json.loads(json.dumps(solver))
    _withhold_tier_values(shown, tiers_weighting_needs(policy))
    return shown


# --- the Overzicht --------------------------------------------------------------------


def dashboard_for(caller: Caller, figures: dict[str, Any]) -> dict[str, Any]:
    """The Overzicht figures as the caller may see them: the current run's mismatch report by
    the small-cell scheme, and the count of households without documents not when it is a small cell."""
    if sees_special_categories(caller):
        return figures
    shown = dict(figures)
    pool = dict(shown["pool"])
    if small(pool.get("documents_incomplete")):
        pool["documents_incomplete"] = None
    shown["pool"] = pool
    current = shown.get("current_run")
    if current is not None:
        shown["current_run"] = current | {
            "mismatch": suppressed_mismatch(current.get("mismatch") or [], str(current.get("lang") or "nl")),
            "withheld": list(DASHBOARD_WITHHELD),
        }
    return shown
