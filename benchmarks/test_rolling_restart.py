"""A rolling restart under load: two `matcher serve` processes on one PostgreSQL database,
behind a load balancer, restarted one at a time while clients keep sending requests.

The load balancer is the client side of this file and does what nginx or HAProxy do in
front of the replicas: it sends requests only to a backend whose ``/readyz`` answered 200
(looked at every 0.25 s), and sends a request to the other backend when the connection is
refused (nothing was sent) or when the answer is 503 with ``Retry-After`` from a backend
that is draining (nothing was done). Each restart is SIGTERM, waiting for the process to
exit, and starting it again on the same port.

Every request a backend accepted must be answered: no connection cut mid-request, no time-
out, no status other than the expected one or the draining 503. Every proposal run started
during the restarts ends done, solved once. The figures land in
``.benchmarks/rolling-restart-report.json`` and on screen (see docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import numpy as np
import pytest
from sqlalchemy import select
from test_service_load import ROOT, Call, database, prepare_pool, read_calls, solve_body

sys.path.insert(0, str(ROOT / "tests" / "api"))

from service_helpers import csv_rows, free_port, make_tokens, policy

from api.db import make_engine, make_sessionmaker
from api.models import Run

CONCURRENCY = 6
STEADY_SECONDS = 4.0  # load before the first restart, between the two, and after the second
DRAIN_SECONDS = 10
GRACE_SECONDS = 2
READY_POLL_SECONDS = 0.25
ENV = {
    "MATCHER_DRAIN_SECONDS": str(DRAIN_SECONDS),
    "MATCHER_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
    "MATCHER_QUEUE_MAX": "200",
    "MATCHER_JOB_POLL_SECONDS": "0.5",
}


@dataclass
class Backend:
    """One replica: its port, its process and whether the balancer sends it traffic."""

    name: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    ready: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start(backend: Backend, url: str) -> None:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    backend.log = tempfile.TemporaryFile()  # noqa: SIM115 (read at the end)
    backend.process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(backend.port)],
        cwd=ROOT,
        env={**clean, **ENV, "DATABASE_URL": url},
        stdout=backend.log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(backend: Backend, timeout: float = 90.0) -> float:
    """Seconds until the backend's /readyz answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(backend.url + "/readyz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        assert backend.process is not None and backend.process.poll() is None, "the server did not start"
        time.sleep(0.1)
    raise AssertionError(f"{backend.name} not ready after {timeout} s")


@dataclass
class Tally:
    """What the clients saw."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: Counter[str] = field(default_factory=Counter)  # group + final status
    draining_503: int = 0  # answered 503 Retry-After by a draining backend, then sent elsewhere
    refused: int = 0  # connection refused (nothing sent), then sent elsewhere
    failures: list[str] = field(default_factory=list)  # accepted and not answered, or a wrong status
    seconds: list[float] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)


class Balancer:
    """Round robin over the ready backends, readiness polled from /readyz."""

    def __init__(self, backends: list[Backend]) -> None:
        self.backends = backends
        self.turn = 0
        self.lock = threading.Lock()

    def watch(self, stop: threading.Event) -> None:
        with httpx.Client(timeout=1) as client:
            while not stop.is_set():
                for backend in self.backends:
                    try:
                        backend.ready = client.get(backend.url + "/readyz").status_code == 200
                    except httpx.HTTPError:
                        backend.ready = False
                time.sleep(READY_POLL_SECONDS)

    def pick(self, tried: set[str]) -> Backend | None:
        with self.lock:
            ready = [b for b in self.backends if b.ready and b.name not in tried]
            if not ready:
                return None
            self.turn += 1
            return ready[self.turn % len(ready)]


def send(balancer: Balancer, clients: dict[str, httpx.Client], call: Call, tally: Tally) -> None:
    """One request through the balancer, as a proxy forwards it."""
    tried: set[str] = set()
    deadline = time.monotonic() + 60
    started = time.perf_counter()
    while time.monotonic() < deadline:
        backend = balancer.pick(tried)
        if backend is None:
            tried.clear()
            time.sleep(0.05)
            continue
        headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = clients[backend.name].request(call.method, call.path, headers=headers, content=call.body)
        except httpx.ConnectError:
            with tally.lock:
                tally.refused += 1
            backend.ready = False
            tried.add(backend.name)
            continue
        except httpx.HTTPError as error:
            with tally.lock:
                tally.failures.append(f"{call.group} at {backend.name}: {type(error).__name__}: {error}")
            return
        if response.status_code == 503 and "retry-after" in response.headers:
            with tally.lock:
                tally.draining_503 += 1
            backend.ready = False
            tried.add(backend.name)
            continue
        with tally.lock:
            tally.answered[f"{call.group} {response.status_code}"] += 1
            tally.seconds.append(time.perf_counter() - started)
            if response.status_code != call.expected:
                tally.failures.append(f"{call.group} at {backend.name}: status {response.status_code}: {response.text[:200]}")
            elif call.group == "run (start)":
                tally.runs.append(int(response.json()["id"]))
        return
    with tally.lock:
        tally.failures.append(f"{call.group}: no backend answered within 60 s")


@pytest.mark.parametrize("kind", ["postgresql"])
def test_rolling_restart_under_load(kind: str, tmp_path: Path) -> None:
    """Both replicas restarted one after the other under load: every accepted request answered,
    errors only 503 with Retry-After from a draining replica, every run started ends done once."""
    body = solve_body()
    with database(kind, tmp_path) as url:
        tokens = make_tokens(url)
        viewer, officer, wbb, admin = tokens["viewer"], tokens["officer"], tokens["wbb"], tokens["admin"]
        backends = [Backend("a", free_port()), Backend("b", free_port())]
        for backend in backends:
            start(backend, url)
        for backend in backends:
            wait_ready(backend)
        with httpx.Client(base_url=backends[0].url, timeout=60) as client:
            run_id = prepare_pool(client, admin, wbb)
        households = [row["household_id"] for row in csv_rows("households.csv")]
        units = [row["unit_id"] for row in csv_rows("units.csv")]
        plan = read_calls(170, viewer, run_id, households, units)
        plan += [Call("solve", "POST", "/v1/solve", officer, body) for _ in range(10)]
        plan += [Call("run (start)", "POST", "/v1/runs", wbb, json.dumps({"policy": policy()}).encode(), 202) for _ in range(4)]
        plan = [plan[(i * 37) % len(plan)] for i in range(len(plan))]  # a fixed shuffle (37 is prime to 184)

        balancer, tally, stop = Balancer(backends), Tally(), threading.Event()

        def client_loop(offset: int) -> None:
            clients = {b.name: httpx.Client(base_url=b.url, timeout=120) for b in backends}
            try:
                i = offset
                while not stop.is_set():
                    send(balancer, clients, plan[i % len(plan)], tally)
                    i += CONCURRENCY
            finally:
                for c in clients.values():
                    c.close()

        watcher = threading.Thread(target=balancer.watch, args=(stop,))
        watcher.start()
        time.sleep(2 * READY_POLL_SECONDS)
        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CONCURRENCY)]
        for thread in threads:
            thread.start()
        restarts: list[dict[str, float]] = []
        load_started = time.monotonic()
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        try:
            time.sleep(STEADY_SECONDS)
            for backend in backends:
                assert backend.process is not None
                signalled = time.monotonic()
                backend.process.send_signal(signal.SIGTERM)
                backend.process.wait(timeout=DRAIN_SECONDS + 10)
                exited = time.monotonic() - signalled
                assert backend.process.returncode == 0
                start(backend, url)
                restarts.append({"exit_s": round(exited, 2), "ready_again_s": round(wait_ready(backend), 2)})
                time.sleep(STEADY_SECONDS)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=180)
            watcher.join(timeout=10)
        load_seconds = time.monotonic() - load_started
        load_after = Path("/proc/loadavg").read_text().split()[:3]

        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            deadline = time.monotonic() + 180
            while True:
                stored = {r.id: (r.status, r.attempts) for r in session.execute(select(Run.id, Run.status, Run.attempts))}
                if all(stored[i][0] in ("done", "failed") for i in tally.runs) or time.monotonic() > deadline:
                    break
                session.expire_all()
                time.sleep(0.5)
        engine.dispose()
        for backend in backends:
            assert backend.process is not None
            backend.process.send_signal(signal.SIGTERM)
            backend.process.wait(timeout=DRAIN_SECONDS + 10)

    ms = np.array(tally.seconds) * 1000
    record = {
        "database": kind,
        "concurrency": CONCURRENCY,
        "answered": sum(tally.answered.values()),
        "load_seconds": round(load_seconds, 1),
        "by_status": dict(sorted(tally.answered.items())),
        "draining_503_then_elsewhere": tally.draining_503,
        "refused_connections_then_elsewhere": tally.refused,
        "failures": len(tally.failures),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
        "restarts": restarts,
        "runs_started": len(tally.runs),
        "runs_done_once": sum(1 for i in tally.runs if stored[i] == ("done", 1)),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    print("\n[rolling restart] " + json.dumps(record, indent=2))
    out = ROOT / ".benchmarks" / "rolling-restart-report.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    assert not tally.failures, tally.failures[:5]
    assert record["answered"] > 0 and tally.runs
    assert record["runs_done_once"] == len(tally.runs), {i: stored[i] for i in tally.runs}
    assert all(r["exit_s"] <= DRAIN_SECONDS + 2 for r in restarts), restarts
