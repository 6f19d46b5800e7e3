"""The service sends scenario runs to a real two-node Ray cluster (``MATCHER_RAY_ADDRESS``).

The cluster of tests/ray_cluster.py runs in a private network namespace (head node on
127.0.0.2 with no CPUs, worker node on 127.0.0.3); `matcher serve` runs in the same namespace
on its 127.0.0.1, and so does the HTTP client, so not a byte leaves the machine. Without root
or namespaces the test is skipped, unless MATCHER_REQUIRE_SYSTEM=1, where that is a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from service_helpers import make_tokens

from matcher.simulate import parse_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from ray_cluster import WORKER_CPUS, missing, ray_cluster  # noqa: E402

SMALL: dict[str, Any] = {"name": "klein", "horizon_weeks": 5, "hindsight": False, "seed": 3}
REPLICATES = 4
PORT = 8765  # free by construction: the namespace is new

# Run inside the namespace: start a scenario run over HTTP, follow it, print the finished run.
CLIENT = """
import json, sys, time, httpx
port, token, body = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
headers = {"Authorization": "Bearer " + token}
with httpx.Client(base_url="http://127.0.0.1:" + port, timeout=60) as client:
    deadline = time.monotonic() + 120
    while True:
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            sys.exit("the service did not start")
        time.sleep(0.2)
    created = client.post("/v1/scenarios", headers=headers, json=body)
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + 600
    while True:
        run = client.get("/v1/scenarios/%d" % created.json()["id"], headers=headers).json()
        if run["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
print(json.dumps(run))
"""


@pytest.fixture(scope="module")
def cluster_or_skip() -> None:
    why = missing()
    if why is not None:
        if os.environ.get("MATCHER_REQUIRE_SYSTEM") == "1":
            pytest.fail(f"no Ray cluster here ({why}), and MATCHER_REQUIRE_SYSTEM=1 requires it")
        pytest.skip(f"no Ray cluster here: {why}")


@pytest.mark.slow
def test_a_scenario_run_over_http_runs_on_the_cluster(cluster_or_skip: None, tmp_path: Path) -> None:
    """A scenario run started over HTTP on a service with MATCHER_RAY_ADDRESS is simulated on
    the cluster's worker node and gives exactly the figures of the local simulator."""
    url = f"sqlite:///{tmp_path / 'matcher.db'}"
    tokens = make_tokens(url)
    with ray_cluster() as cluster:
        env = {**cluster.env, "DATABASE_URL": url, "MATCHER_RAY_ADDRESS": cluster.address}
        with open(tmp_path / "serve.log", "wb") as log:
            server = subprocess.Popen(
                cluster.enter([sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(PORT)]),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            body = json.dumps({"scenario": SMALL, "replicates": REPLICATES})
            done = cluster.run([sys.executable, "-c", CLIENT, str(PORT), tokens["officer"], body], timeout=900)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    run = json.loads(done.stdout.strip().splitlines()[-1])
    assert run["status"] == "done", (run, (tmp_path / "serve.log").read_text(errors="replace")[-3000:])
    result = run["result"]
    assert result["timing"]["backend"] == "ray" and result["timing"]["workers"] == WORKER_CPUS
    direct = run_scenario(parse_scenario(SMALL), REPLICATES).to_json()
    for key in ("weekly", "summary", "comparison", "placements_by_neighbourhood", "weekly_placements_by_neighbourhood"):
        assert result[key] == direct[key], key
