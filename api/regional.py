"""A regional run read by one municipality: its own households only.

A regional run (a run over all municipalities whose policy says ``regional: true``) places
households across municipal borders. Each municipality in it may read the run, but a
token limited to a municipality must not learn anything about another municipality's
households. Its copy of the proposal therefore holds:

- the matches and unmatched households of its own households, and the unused homes in its
  own municipality;
- KPIs recomputed over those matches;
- the regional balance and the half-year caps (figures per municipality and per wijk, not
  about any one household), and the solver's report;
- no mismatch report and no look-ahead model (both are computed over every household of the
  region);
- wherever a kept sentence or detail names a household of another municipality (the
  household that got a home, the next-best household), that id replaced by the words
  ``een huishouden uit een andere gemeente``.

``own_households`` records the municipality it was cut for, and ``withheld`` lists what was
left out. A token for all municipalities reads the whole proposal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from api.models import Run

OTHER_HOUSEHOLD = "een huishouden uit een andere gemeente"
WITHHELD_REGIONAL = [
    "matches[] and unmatched_households[] of other municipalities' households",
    "unused_units[] in other municipalities",
    "mismatch[] (computed over the whole region)",
    "lookahead (computed over the whole region)",
    "ids of other municipalities' households in explanations and details",
]


def is_regional(run: Run) -> bool:
    """A run over all municipalities whose policy places across municipal borders."""
    return run.scope is None and isinstance(run.policy, dict) and run.policy.get("regional") is True


def municipalities_of(run: Run) -> list[str]:
    """The municipalities whose households or homes are in the run."""
    snapshot = run.snapshot or {}
    names = {str(h["municipality"]) for h in snapshot.get("households", [])}
    names |= {str(u["municipality"]) for u in snapshot.get("units", [])}
    return sorted(names)


def _scrub(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """``value`` with every id ``pattern`` matches replaced, in strings at any depth."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(OTHER_HOUSEHOLD, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    return value


def _kpis(matches: list[dict[str, Any]], run: Run, own: dict[str, dict[str, Any]]) -> dict[str, Any]:
    units = {u["unit_id"]: u for u in run.snapshot.get("units", [])}
    policy = run.policy or {}
    planning = dt.date.fromisoformat(str(policy.get("planning_date")))
    deadline = 7 * int(policy.get("deadline_weeks", 10))
    by_nbh: dict[str, int] = {}
    for match in matches:
        by_nbh[match["neighbourhood"]] = by_nbh.get(match["neighbourhood"], 0) + 1
    return {
        "placed_households": len(matches),
        "placed_persons": sum(int(m["persons"]) for m in matches),
        "overdue_placed": sum(
            1
            for m in matches
            if (planning - dt.date.fromisoformat(str(own[m["household_id"]]["koppeling_date"]))).days > deadline
        ),
        "temporary_placements": sum(1 for m in matches if str(units[m["unit_id"]].get("temporary")).lower() == "true"),
        "by_neighbourhood": dict(sorted(by_nbh.items())),
        "move_on_placed": sum(1 for m in matches if m.get("move_on_from")),
    }


def own_households_only(proposal_json: str, run: Run, municipality: str) -> str:
    """The proposal of a regional run as one municipality may read it (see the module's docstring)."""
    doc: dict[str, Any] = json.loads(proposal_json)
    households = run.snapshot.get("households", [])
    own = {str(h["household_id"]): h for h in households if h["municipality"] == municipality}
    others = sorted({str(h["household_id"]) for h in households} - set(own), key=lambda x: (-len(x), x))
    own_units = {str(u["unit_id"]) for u in run.snapshot.get("units", []) if u["municipality"] == municipality}
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(x) for x in others) + r")(?![\w-])") if others else None
    matches = [m for m in doc["matches"] if m["household_id"] in own]
    doc["matches"] = _scrub(matches, pattern)
    doc["unmatched_households"] = _scrub([x for x in doc["unmatched_households"] if x["household_id"] in own], pattern)
    doc["unused_units"] = _scrub([x for x in doc["unused_units"] if x["unit_id"] in own_units], pattern)
    doc["kpis"] = _kpis(matches, run, own)
    doc["mismatch"] = []
    doc.pop("lookahead", None)
    doc["own_households"] = municipality
    doc["withheld"] = [*doc.get("withheld", []), *WITHHELD_REGIONAL]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
