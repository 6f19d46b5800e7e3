"""A sweep of the five example scenarios over a real two-node Ray cluster against the local backend.

Target: the cluster writes the same files as the local backend, byte for byte apart from the
timing fields (see ``differences`` in tests/ray_cluster.py). Both runs use two CPUs (the local
backend two worker processes, the cluster's worker node two CPUs), so the wall-time ratio
shows what Ray's scheduling and transport cost on one machine; a real cluster adds machines.
``MATCHER_BENCH_RAY_REPLICATES`` sets the replicates per scenario (default 200).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ray_cluster import differences, missing, ray_cluster  # noqa: E402

SCENARIOS = ["nijmegen-base", "q1-ndw21-flexwoningen", "q2-half-social", "q3-nareizigers-spring", "q4-hold-singles-in-transit"]


def test_ray_sweep_writes_the_local_files(benchmark: Any, report: list[dict[str, object]], tmp_path: Path) -> None:
    """5 scenarios x N replicates on the local backend and on the cluster: no file differs beyond timing."""
    why = missing()
    if why is not None:
        pytest.skip(f"no Ray cluster here: {why}")
    replicates = os.environ.get("MATCHER_BENCH_RAY_REPLICATES", "200")
    matcher = str(Path(sys.executable).with_name("matcher"))
    paths = [str(ROOT / "examples" / "scenarios" / f"{name}.yaml") for name in SCENARIOS]

    def command(out: Path, extra: list[str]) -> list[str]:
        return [matcher, "simulate", *paths, "--replicates", replicates, "--no-charts", "--out", str(out), *extra]

    started = time.perf_counter()
    subprocess.run(command(tmp_path / "local", ["--workers", "2"]), check=True, capture_output=True, cwd=ROOT)
    local_s = time.perf_counter() - started
    with ray_cluster() as cluster:
        started = time.perf_counter()
        benchmark.pedantic(
            cluster.run,
            args=(command(tmp_path / "ray", ["--backend", "ray", "--address", cluster.address]),),
            kwargs={"timeout": 7200, "cwd": ROOT},
            rounds=1,
        )
        ray_s = time.perf_counter() - started
    found = differences(tmp_path / "local", tmp_path / "ray")
    row = {
        "instance": f"sweep 5 scenarios x {replicates} replicates",
        "local_2_workers_s": round(local_s, 1),
        "ray_2_cpus_s": round(ray_s, 1),
        "ray_over_local": round(ray_s / local_s, 2),
        "files_differing": len(found),
    }
    benchmark.extra_info.update(row)
    report.append(row)
    assert found == []
