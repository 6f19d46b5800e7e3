"""Proposals stay what they were: a digest of each proposal, recorded before the engine's
modules were rearranged, for the example week and three generated profiles.

The digest covers the whole document (matches, explanations, unmatched households, unused
units, KPIs, mismatch, tier values and bounds) except the timing fields and the solver's
library name and version (the name changed from a wrong ``cp-sat`` to ``or-tools``, and the
FIFO baseline now names this package instead of OR-Tools). A deliberate change of
the engine's answers must regenerate the file with ``python tests/test_unchanged.py`` and say
why in its commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import matcher
from matcher.generate import generate_instance

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden") / "proposals.json"
EXAMPLE = ROOT / "examples" / "nijmegen-week"
GENERATED = {
    "nijmegen-week-seed3": ("nijmegen-week", 3, {}),
    "regional-seed2": ("regional", 2, {}),
    # Families in shared places: a knapsack, so CP-SAT proves part of the answer.
    "nijmegen-week-families-seed7": ("nijmegen-week", 7, {"shared_max_household_size": 3}),
}
EXAMPLE_CASES = {
    "example-week": {"what_it_would_take": True},
    "example-week-fifo": {"strategy": "fifo"},
    "example-week-en": {"lang": "en"},
}


def canonical(document: dict[str, Any]) -> str:
    """The proposal without its timing fields and library name, as sorted JSON."""
    doc = json.loads(json.dumps(document))
    doc["solver"] = {k: v for k, v in doc["solver"].items() if not k.endswith("_s") and k not in ("name", "version")}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def _instance(case: str) -> matcher.Instance:
    if case in EXAMPLE_CASES:
        return matcher.load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json")
    profile, seed, extra = GENERATED[case]
    households, units, policy = generate_instance(profile, seed, dt.date(2025, 3, 3))
    return matcher.build_instance(households.to_dict("records"), units.to_dict("records"), {**policy, **extra})


def proposal_of(case: str) -> dict[str, Any]:
    options: dict[str, Any] = EXAMPLE_CASES.get(case, {})
    result = matcher.solve(_instance(case), options.get("strategy", "optimise"))
    document: dict[str, Any] = result.proposal(options.get("lang"), options.get("what_it_would_take", False)).model_dump(
        mode="json"
    )
    return document


def summary(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "sha256": hashlib.sha256(canonical(document).encode("utf-8")).hexdigest(),
        "tiers": [t["value"] for t in document["solver"]["tiers"]],
        "method": document["solver"]["method"],
        "matches": len(document["matches"]),
    }


@pytest.mark.parametrize("case", [*EXAMPLE_CASES, *GENERATED])
def test_proposal_is_unchanged(case: str) -> None:
    """The same inputs give the same proposal as before the rearrangement, explanations included."""
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[case]
    document = proposal_of(case)
    assert document["status"] == "optimal" or case == "example-week-fifo"
    assert summary(document) == expected


@pytest.mark.parametrize(
    ("case", "method", "name"),
    [("example-week", "min-cost-flow", "or-tools"), ("example-week-fifo", "fifo", "statushouder-matcher")],
)
def test_solver_label_names_what_ran(case: str, method: str, name: str) -> None:
    """``solver.name`` is the library that solved and ``method`` what proved the tiers; the
    example week is one network, so CP-SAT never runs and is never named."""
    options: dict[str, Any] = EXAMPLE_CASES[case]
    solver = matcher.solve(_instance(case), options.get("strategy", "optimise")).proposal().model_dump(mode="json")["solver"]
    assert (solver["name"], solver["method"], solver["cpsat_components"]) == (name, method, 0)
    assert "cp-sat" not in json.dumps(solver)


if __name__ == "__main__":
    cases = {case: summary(proposal_of(case)) for case in [*EXAMPLE_CASES, *GENERATED]}
    GOLDEN.write_text(json.dumps(cases, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {GOLDEN}\n")
