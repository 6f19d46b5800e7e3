"""Counterfactual cost: every unmatched household of the example week, and 20 on the regional instance.

Run with ``bash scripts/benchmark.sh -k counterfactual``. The baseline is one prepare +
optimise of the same instance, measured in the same run; each counterfactual search costs
at most ``max_candidates`` such re-solves per household, fewer where households share a
change. Target: the whole search stays within the re-solves it reports, i.e. at most
1.5 x (re-solves x one solve), medians of 3 runs.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from matcher.explain.counterfactual import DEFAULT_MAX_CANDIDATES, Verifier, unmatched_households
from matcher.input.instance import load_instance
from matcher.model import Prepared, Solution, optimise, prepare

REPEATS = 3


def _one_solve(prep: Prepared) -> float:
    started = time.perf_counter()
    optimise(prepare(prep.instance))
    return time.perf_counter() - started


def _search(prep: Prepared, solution: Solution, households: list[int]) -> tuple[float, int, int]:
    started = time.perf_counter()
    verifier = Verifier(prep, solution)
    found = sum(verifier.find(hi, DEFAULT_MAX_CANDIDATES) is not None for hi in households)
    return time.perf_counter() - started, verifier.resolves, found


@pytest.mark.parametrize(("name", "limit"), [("nijmegen-week", None), ("regional", 20)])
def test_counterfactual_cost(name: str, limit: int | None, instances: dict[str, Path], report: list[dict[str, object]]) -> None:
    """The search costs what its re-solves cost: no hidden work per household or candidate."""
    folder = instances[name]
    inst = load_instance(folder / "households.csv", folder / "units.csv", folder / "policy.json")
    prep = prepare(inst)
    solution = optimise(prep)
    households = unmatched_households(prep, solution)[:limit]
    baseline = statistics.median(_one_solve(prep) for _ in range(REPEATS))
    runs = [_search(prep, solution, households) for _ in range(REPEATS)]
    seconds = statistics.median(r[0] for r in runs)
    resolves, found = runs[0][1], runs[0][2]
    report.append(
        {
            "benchmark": f"counterfactuals {name}",
            "households": len(households),
            "found": found,
            "resolves": resolves,
            "seconds": round(seconds, 3),
            "one_solve_s": round(baseline, 4),
            "ratio_to_resolves": round(seconds / max(resolves * baseline, 1e-9), 2),
        }
    )
    assert resolves <= DEFAULT_MAX_CANDIDATES * len(households)
    assert seconds <= 1.5 * resolves * baseline + 0.5
