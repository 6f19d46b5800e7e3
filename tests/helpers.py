"""Small instances written inline, and a solve that always runs the independent validator."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from matcher import solve
from matcher.explain.proposal import build_proposal
from matcher.input.instance import Instance, build_instance
from matcher.validate import check_proposal

PLANNING = "2025-03-03"


def household(hid: str = "H-1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "household_id": hid,
        "municipality": "Nijmegen",
        "koppeling_date": "2025-01-01",
        "adults": 1,
        "children": 0,
        "gender": "M",
        "head_age": 30,
    }
    row.update(fields)
    return row


def unit(uid: str = "U-1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "unit_id": uid,
        "municipality": "Nijmegen",
        "neighbourhood": "Hatert",
        "unit_type": "social",
        "bedrooms": 1,
        "max_occupants": 2,
        "rent": "450.00",
        "available_from": "2025-03-01",
    }
    row.update(fields)
    return row


def instance(households: list[dict[str, Any]], units: list[dict[str, Any]], **policy: Any) -> Instance:
    policy.setdefault("planning_date", PLANNING)
    return build_instance(households, units, policy, today=dt.date(2025, 3, 3))


def propose(inst: Instance, strategy: str = "optimise", engine: str = "auto") -> dict[str, Any]:
    """Solve, build the proposal, and fail the test if the validator finds anything."""
    result = solve(inst, strategy, engine=engine)
    prep, solution = result.prepared, result.solution
    proposal = json.loads(build_proposal(prep, solution, 0.0).to_json())
    problems = check_proposal(inst, proposal)
    assert not problems, problems
    return proposal


def matched(proposal: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m["household_id"], m["unit_id"]) for m in proposal["matches"]}


def reason_of(proposal: dict[str, Any], hid: str) -> str:
    return next(x["reason"] for x in proposal["unmatched_households"] if x["household_id"] == hid)


def unit_reason_of(proposal: dict[str, Any], uid: str) -> str:
    return next(x["reason"] for x in proposal["unused_units"] if x["unit_id"] == uid)
