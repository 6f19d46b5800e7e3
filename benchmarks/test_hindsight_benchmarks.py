"""The exact hindsight optimum on the Nijmegen base scenario: how far the engine and FIFO are from it.

Run with ``bash scripts/benchmark.sh -k hindsight``. For each of N replicates of
``examples/scenarios/nijmegen-base.yaml`` (52 weeks; N from ``MATCHER_HINDSIGHT_REPLICATES``,
default 20; other scenario files from ``MATCHER_HINDSIGHT_SCENARIOS``, comma-separated names
under ``examples/scenarios/``), one fresh process draws the world, solves the exact hindsight
(timed, with its peak memory, before anything else runs in that process), then computes the
relaxed reference and runs the look-ahead, the engine and FIFO on the same world (the same
replicates, and so the same figures, as ``test_lookahead_benchmarks.py``). Two processes run
at a time (``MATCHER_HINDSIGHT_WORKERS``).

Reported, as mean [10%-90%] over the replicates: the measure ``objective`` (persons at first
placement x weeks left) of the look-ahead, the engine, FIFO, the relaxed and the exact
hindsight (value, bound and gap; how many replicates are proven optimal), and each strategy's
share of each reference, paired per replicate, with the replicates where the look-ahead
reaches 95% of the exact optimum counted; the exact solve's wall and CPU seconds and peak memory
per replicate. ``.benchmarks/hindsight-report.json`` keeps every replicate's figures.

The benchmark asserts what must hold whatever the machine: the exact value is at most the
relaxed reference and at most its own bound, and no strategy beats the exact bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from matcher.simulate.scenario import load_scenario
from matcher.simulate.world import build_world
from matcher.simulate.hindsight import exact_hindsight, hindsight_optimum
from matcher.simulate.simulator import run_replicate
path, replicate = Path(sys.argv[1]), int(sys.argv[2])
scenario = load_scenario(path)
world = build_world(scenario, replicate)
wall, cpu = time.perf_counter(), time.process_time()
exact = exact_hindsight(scenario, replicate, world=world)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
figures = {"replicate": replicate, "exact": exact.to_json(), "exact_wall_s": wall, "exact_cpu_s": cpu, "exact_peak_mb": peak,
           "relaxed": hindsight_optimum(scenario, world).objective}
for strategy in ("lookahead", "optimise", "fifo"):
    figures[strategy] = run_replicate(scenario, world, replicate, strategy).objective
print(json.dumps(figures))
"""


def _child(path: Path, replicate: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(replicate)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _band(values: list[float], digits: int = 1) -> str:
    array = np.asarray(values, dtype=float)
    p10, p90 = np.percentile(array, [10, 90])
    return f"{array.mean():.{digits}f} [{p10:.{digits}f}-{p90:.{digits}f}]"


def _reaching(rows: list[dict[str, Any]], exact: list[float], strategy: str) -> str:
    """In how many replicates the strategy's objective is at least 95% of the exact optimum."""
    count = sum(1 for row, value in zip(rows, exact, strict=True) if row[strategy] >= 0.95 * value)
    return f"{count} of {len(rows)}"


def test_exact_hindsight_on_nijmegen_base(report: list[dict[str, object]]) -> None:
    """Look-ahead, engine, FIFO, relaxed and exact hindsight on N replicates: the shares of each reference, time and memory."""
    replicates = int(os.environ.get("MATCHER_HINDSIGHT_REPLICATES", "20"))
    workers = int(os.environ.get("MATCHER_HINDSIGHT_WORKERS", "2"))
    names = os.environ.get("MATCHER_HINDSIGHT_SCENARIOS", "nijmegen-base").split(",")
    results: dict[str, Any] = {"replicates": replicates, "scenarios": {}}
    lines = [f"\nexact hindsight, {replicates} replicates per scenario, {workers} at a time"]
    for name in names:
        path = ROOT / "examples" / "scenarios" / f"{name}.yaml"
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = sorted(pool.map(_child, [path] * replicates, range(replicates)), key=lambda row: int(row["replicate"]))
        for row in rows:
            exact = row["exact"]
            assert exact["value"] is not None and exact["bound"] is not None
            assert exact["value"] <= exact["bound"] <= row["relaxed"]
            assert max(row["lookahead"], row["optimise"], row["fifo"]) <= exact["bound"]
        value = [float(r["exact"]["value"]) for r in rows]
        bound = [float(r["exact"]["bound"]) for r in rows]
        relaxed = [float(r["relaxed"]) for r in rows]
        proven = sum(1 for r in rows if r["exact"]["status"] == "optimal")
        summary = {
            "lookahead": _band([r["lookahead"] for r in rows], 0),
            "engine": _band([r["optimise"] for r in rows], 0),
            "fifo": _band([r["fifo"] for r in rows], 0),
            "relaxed_hindsight": _band(relaxed, 0),
            "exact_hindsight": _band(value, 0),
            "exact_bound": _band(bound, 0),
            "exact_gap_percent": _band([100 * (b - v) / b for v, b in zip(value, bound, strict=True)], 2),
            "proven_optimal": f"{proven} of {len(rows)}",
            "lookahead_pct_of_exact": _band([100 * r["lookahead"] / v for r, v in zip(rows, value, strict=True)]),
            "lookahead_pct_of_exact_bound": _band([100 * r["lookahead"] / b for r, b in zip(rows, bound, strict=True)]),
            "lookahead_pct_of_relaxed": _band([100 * r["lookahead"] / x for r, x in zip(rows, relaxed, strict=True)]),
            "lookahead_95pct_of_exact_in": _reaching(rows, value, "lookahead"),
            "engine_95pct_of_exact_in": _reaching(rows, value, "optimise"),
            "engine_pct_of_exact": _band([100 * r["optimise"] / v for r, v in zip(rows, value, strict=True)]),
            "engine_pct_of_exact_bound": _band([100 * r["optimise"] / b for r, b in zip(rows, bound, strict=True)]),
            "engine_pct_of_relaxed": _band([100 * r["optimise"] / x for r, x in zip(rows, relaxed, strict=True)]),
            "fifo_pct_of_exact": _band([100 * r["fifo"] / v for r, v in zip(rows, value, strict=True)]),
            "fifo_pct_of_relaxed": _band([100 * r["fifo"] / x for r, x in zip(rows, relaxed, strict=True)]),
            "exact_over_relaxed_pct": _band([100 * v / x for v, x in zip(value, relaxed, strict=True)]),
            "moves_in_exact_plan": _band([float(r["exact"]["moves"]) for r in rows]),
            "exact_wall_s": _band([r["exact_wall_s"] for r in rows]),
            "exact_cpu_s": _band([r["exact_cpu_s"] for r in rows]),
            "exact_cpu_s_max": round(max(r["exact_cpu_s"] for r in rows), 1),
            "exact_peak_mb_max": round(max(r["exact_peak_mb"] for r in rows)),
            "model_columns": _band([float(r["exact"]["model_size"]["columns"]) for r in rows], 0),
            "methods": sorted({r["exact"]["method"] for r in rows}),
            "load_avg_1min": os.getloadavg()[0],
        }
        results["scenarios"][name] = {"summary": summary, "replicates": rows}
        lines.append(f"  {name}")
        lines.extend(f"    {key:28s} {value}" for key, value in summary.items())
        report.append({"instance": f"exact hindsight {name}, {replicates} replicates", **summary})
    print("\n".join(lines))
    out = ROOT / ".benchmarks" / "hindsight-report.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
