"""A sweep on a real two-node Ray cluster writes what the local backend writes.

The cluster (tests/ray_cluster.py) runs in a private network namespace on 127.0.0.2 and
127.0.0.3 with Ray's token authentication on; the head node has no CPUs, so every replicate
runs on the worker node. Without root or namespaces the test is skipped, unless
MATCHER_REQUIRE_SYSTEM=1, where that is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from ray_cluster import WORKER_CPUS, differences, missing, ray_cluster  # noqa: E402

SCENARIOS = [ROOT / "examples" / "scenarios" / name for name in ("q1-ndw21-flexwoningen.yaml", "q2-half-social.yaml")]
REPLICATES = "3"


@pytest.fixture(scope="module")
def cluster_or_skip() -> None:
    why = missing()
    if why is not None:
        if os.environ.get("MATCHER_REQUIRE_SYSTEM") == "1":
            pytest.fail(f"no Ray cluster here ({why}), and MATCHER_REQUIRE_SYSTEM=1 requires it")
        pytest.skip(f"no Ray cluster here: {why}")


def _simulate(extra: list[str], out: Path) -> list[str]:
    matcher = str(Path(sys.executable).with_name("matcher"))
    # Without the exact hindsight (a solve per replicate): what is compared is the backends, not the reference.
    command = [matcher, "simulate", *map(str, SCENARIOS), "--replicates", REPLICATES, "--no-exact-hindsight"]
    return [*command, "--out", str(out), *extra]


@pytest.mark.slow
def test_sweep_on_a_two_node_cluster_writes_the_local_files(cluster_or_skip: None, tmp_path: Path) -> None:
    """Two scenarios and their base, swept over the cluster with --address, give the local backend's files.

    Every file is compared: result.json and the CSVs apart from their timing fields, the charts
    byte for byte; the timing block records the ray backend and the worker node's CPUs."""
    local = tmp_path / "local"
    subprocess.run(_simulate(["--workers", "2"], local), check=True, capture_output=True, timeout=600, cwd=ROOT)
    with ray_cluster() as cluster:
        remote = tmp_path / "remote"
        cluster.run(_simulate(["--backend", "ray", "--address", cluster.address], remote), timeout=900, cwd=ROOT)
    written = sorted(p.name for p in remote.iterdir())
    assert {"q1-ndw21-flexwoningen", "q2-half-social", "nijmegen-base"} <= set(written), written
    assert differences(local, remote) == []
    timing = json.loads((remote / "q1-ndw21-flexwoningen" / "result.json").read_text())["timing"]
    assert timing["backend"] == "ray" and timing["workers"] == WORKER_CPUS


def test_differences_sees_a_changed_figure(tmp_path: Path) -> None:
    """The folder comparison is not blind: a changed figure or a missing file is reported; timing is not."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, housed, wall in ((a, 10, 1.0), (b, 10, 9.0)):
        folder.mkdir()
        (folder / "result.json").write_text(json.dumps({"summary": {"housed": housed}, "timing": {"wall_s": wall}}))
        (folder / "replicates.csv").write_text(f"replicate,housed,solve_s\n0,{housed},{wall}\n")
    assert differences(a, b) == []
    (b / "replicates.csv").write_text("replicate,housed,solve_s\n0,11,9.0\n")
    (b / "extra.svg").write_text("<svg/>")
    assert differences(a, b) == ["file lists differ: ['extra.svg']", "replicates.csv"]
