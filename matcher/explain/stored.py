"""Explaining one household or unit of a stored proposal, for `matcher explain`.

A WBB member asks about one household or one unit during the meeting. The stored
proposal already holds the why and why not; what it would take needs the inputs again,
because it is found by re-solving. Those inputs must be the ones the proposal was made
from: the input hash is checked, so an answer never mixes two different weeks. With them,
every candidate change for that one household is tried, also when the stored proposal
holds an answer from a run that stopped after the first few.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matcher.errors import InputError

WORDS = {
    "nl": {
        "placed": "Huishouden {id}: geplaatst in {unit}",
        "unplaced": "Huishouden {id}: niet geplaatst ({reason})",
        "terms": "Waarden per term: {terms}",
        "take": "Wat ervoor nodig is: {sentence}",
        "ask_inputs": "Geef --households en --units (en --policy) van dit voorstel om te zoeken wat ervoor nodig is.",
        "fifo": "Wat ervoor nodig is, wordt alleen gezocht bij een voorstel van de optimalisatie, niet bij FIFO.",
        "unit_used": "Woning {id}: naar {households}",
        "unit_unused": "Woning {id}: niet gebruikt ({reason})",
    },
    "en": {
        "placed": "Household {id}: placed in {unit}",
        "unplaced": "Household {id}: not placed ({reason})",
        "terms": "Values per term: {terms}",
        "take": "What it would take: {sentence}",
        "ask_inputs": "Give --households and --units (and --policy) of this proposal to find what it would take.",
        "fifo": "What it would take is searched for proposals of the optimiser only, not for FIFO.",
        "unit_used": "Unit {id}: to {households}",
        "unit_unused": "Unit {id}: not used ({reason})",
    },
}


def load_proposal(path: Path) -> dict[str, Any]:
    """Read a proposal.json; anything else is an input error naming the file."""
    name = path.name
    if not path.exists():
        raise InputError.single(name, f"file not found: {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError.single(name, "not a JSON file") from None
    if not isinstance(doc, dict) or doc.get("format") != "proposal/v1":
        raise InputError.single(name, 'not a proposal: expected "format": "proposal/v1"')
    return doc


def _language(doc: dict[str, Any], lang: str | None) -> str:
    return lang or str(doc.get("lang", "nl"))


def explain_household(
    doc: dict[str, Any],
    household_id: str,
    lang: str | None = None,
    households: Path | None = None,
    units: Path | None = None,
    policy: Path | None = None,
) -> list[str]:
    """Lines about one household: where it goes and why, or why not and what it would take."""
    words = WORDS[_language(doc, lang)]
    match = next((m for m in doc["matches"] if m["household_id"] == household_id), None)
    if match is not None:
        terms = ", ".join(f"{k} {v}" for k, v in match["terms"].items())
        return [
            words["placed"].format(id=household_id, unit=match["unit_id"]),
            match["explanation"],
            words["terms"].format(terms=terms),
        ]
    item = next((x for x in doc["unmatched_households"] if x["household_id"] == household_id), None)
    if item is None:
        raise InputError.single("--household", f'no household "{household_id}" in this proposal')
    lines = [words["unplaced"].format(id=household_id, reason=item["reason"]), item["explanation"]]
    details = item.get("details", {})
    stored = "what_it_would_take" in details
    if households is None or units is None:
        if stored and (details["what_it_would_take"] is not None or details.get("all_changes_tried")):
            return lines  # the stored sentence, part of the explanation, is the whole answer
        return [*lines, words["ask_inputs"]]
    if doc.get("solver", {}).get("method") == "fifo":
        return [*lines, words["fifo"]]
    if stored:
        # The run may have stopped after the first few changes; the answer below tries them all.
        lines[1] = _without_stored_answer(item["explanation"], details, str(doc.get("lang", "nl")))
    return [
        *lines,
        words["take"].format(sentence=_what_it_would_take(doc, household_id, _language(doc, lang), households, units, policy)),
    ]


def _without_stored_answer(explanation: str, details: dict[str, Any], lang: str) -> str:
    """The stored explanation without its closing what-it-would-take sentence."""
    from matcher.explain.counterfactual import render_counterfactual

    sentence = render_counterfactual(
        details["what_it_would_take"], lang, details.get("changes_tried", 0), bool(details.get("all_changes_tried"))
    )
    return explanation.removesuffix(f" {sentence}")


def _what_it_would_take(
    doc: dict[str, Any], household_id: str, lang: str, households: Path, units: Path, policy: Path | None
) -> str:
    from matcher.explain.counterfactual import Verifier, render_counterfactual
    from matcher.input.instance import load_instance
    from matcher.model.solve import optimise, prepare

    instance = load_instance(households, units, policy)
    if instance.input_sha256 != doc["input_sha256"]:
        raise InputError.single(households.name, "these files are not the ones the proposal was made from (input_sha256 differs)")
    prep = prepare(instance)
    solution = optimise(prep)
    index = prep.households.ids.index(household_id)
    verifier = Verifier(prep, solution)
    found = verifier.find(index, max_candidates=None)  # one household on request: every candidate
    return render_counterfactual(found, lang, *verifier.searched[index])


def explain_unit(doc: dict[str, Any], unit_id: str, lang: str | None = None) -> list[str]:
    """Lines about one unit: who gets it and why, or why it stays unused."""
    words = WORDS[_language(doc, lang)]
    matches = [m for m in doc["matches"] if m["unit_id"] == unit_id]
    if matches:
        names = ", ".join(m["household_id"] for m in matches)
        return [words["unit_used"].format(id=unit_id, households=names), *(m["explanation"] for m in matches)]
    item = next((x for x in doc["unused_units"] if x["unit_id"] == unit_id), None)
    if item is None:
        raise InputError.single("--unit", f'no unit "{unit_id}" in this proposal')
    return [words["unit_unused"].format(id=unit_id, reason=item["reason"]), item["explanation"]]
