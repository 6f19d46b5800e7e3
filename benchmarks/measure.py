"""Helpers that run one solve in a fresh process, so timings and peak memory are the whole job's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from matcher.input.instance import load_instance
from matcher.explain.proposal import build_proposal
from matcher.model import prepare, optimise, fifo
folder, strategy = Path(sys.argv[1]), sys.argv[2]
t1 = time.perf_counter()
inst = load_instance(folder / "households.csv", folder / "units.csv", folder / "policy.json")
t2 = time.perf_counter()
prep = prepare(inst)
t3 = time.perf_counter()
solution = optimise(prep) if strategy == "optimise" else fifo(prep)
t4 = time.perf_counter()
proposal = build_proposal(prep, solution, t4 - t0)
t5 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "build_s": t3 - t2, "solve_s": t4 - t3, "explain_s": t5 - t4,
    "total_s": t5 - t0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "status": proposal.status, "tiers": [[t.value, t.bound] for t in proposal.solver.tiers],
    "method": proposal.solver.method, "pairs": prep.n_pairs, "kpis": proposal.kpis.model_dump(),
}))
"""


def run_child(folder: Path, strategy: str = "optimise") -> dict[str, object]:
    """Run one whole solve (imports included) in a new Python process and return its figures."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), strategy], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
