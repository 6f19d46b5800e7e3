"""The national week against the example week: whole `matcher propose` processes, measured in the same run.

Target (2-core machine, default policy): the national profile (20,000 households x 5,000
homes) takes at most 3 x the example week's whole process, with a peak memory (RSS of
the whole process) of at most 500 MB, and its proposal is proven optimal in every tier.
The two commands run in turn, several times, so a load that changes during the run
affects both alike; the figures are medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def propose_process(folder: Path, out: Path) -> tuple[float, float]:
    """Run `matcher propose` on a folder in a new process: (wall seconds, peak RSS in MB of that process)."""
    command = [sys.executable, "-m", "cli", "propose", "--quiet", "--out", str(out),
               "--households", str(folder / "households.csv"), "--units", str(folder / "units.csv"),
               "--policy", str(folder / "policy.json")]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"matcher propose exited with {process.returncode}"
    return elapsed, usage.ru_maxrss / 1024  # kilobytes on Linux


# The validator's checks of the explanations (next-best units and households, reasons, exclusions,
# units taken) re-derive every (household, unit) pair in plain Python: about 100 million here, more
# than the machine holds. The tests run them on the example week and the regional instance.
EXPLANATION_CHECKS = frozenset({
    "next_best_unit", "next_best_household", "mismatch", "household_reasons", "units_taken", "household_exclusions",
    "household_explanations", "unit_reasons", "unit_exclusions", "unit_explanations",
})  # fmt: skip


def validator_problems(folder: Path, proposal: dict[str, Any]) -> dict[str, list[str]]:
    """The problems every other check of ``matcher.validate`` finds in the national proposal, by check."""
    from matcher.input.instance import load_instance
    from matcher.validate import CHECKS, Context

    context = Context.of(load_instance(folder / "households.csv", folder / "units.csv", folder / "policy.json"), proposal)
    found = {name: check(context) for name, check in CHECKS if name not in EXPLANATION_CHECKS}
    return {name: problems for name, problems in found.items() if problems}


@pytest.mark.slow
def test_national_week_against_example_week(
    benchmark: Any, instances: dict[str, Path], report: list[dict[str, object]], tmp_path: Path
) -> None:
    """National `matcher propose` at most 3 x the example week's whole process (medians of alternating runs),
    at most 500 MB peak RSS, and proven optimal: every tier's value equals its bound, and every check of the
    validator but those of the explanations finds nothing."""
    example, national = instances["nijmegen-week"], instances["national"]
    example_s, national_s, example_mb, national_mb = [], [], [], []
    for run in range(RUNS):
        seconds, mb = propose_process(example, tmp_path / f"example-{run}.json")
        example_s.append(seconds)
        example_mb.append(mb)
        seconds, mb = propose_process(national, tmp_path / "national.json")
        national_s.append(seconds)
        national_mb.append(mb)
    proposal = json.loads((tmp_path / "national.json").read_text(encoding="utf-8"))
    benchmark.pedantic(lambda: None, rounds=1)
    ratios = [n / e for n, e in zip(national_s, example_s, strict=True)]
    row = {
        "instance": "national-vs-example", "example_median_s": round(statistics.median(example_s), 3),
        "national_median_s": round(statistics.median(national_s), 3),
        "ratio_of_medians": round(statistics.median(national_s) / statistics.median(example_s), 2),
        "ratios": [round(r, 2) for r in ratios], "example_peak_mb": round(statistics.median(example_mb), 1),
        "national_peak_mb": round(statistics.median(national_mb), 1), "status": proposal["status"],
        "method": proposal["solver"]["method"],
    }  # fmt: skip
    benchmark.extra_info.update(row)
    report.append(row)
    assert proposal["status"] == "optimal"
    assert all(tier["value"] == tier["bound"] for tier in proposal["solver"]["tiers"])
    problems = validator_problems(national, proposal)
    assert problems == {}, problems
    assert statistics.median(national_mb) <= 500
    assert statistics.median(national_s) <= 3 * statistics.median(example_s)
