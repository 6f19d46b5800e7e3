"""Graceful shutdown of the real server: SIGTERM during a scenario run and during a proposal
run ends the process within its drain bound, hands back the job it could not finish (lease
released, queued again) and never loses or repeats one; requests in flight are answered.

Each test starts `matcher serve` as its own process and signals it from outside, as systemd,
a rolling deploy or Kubernetes would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml
from service_helpers import ROOT, ServerProcess, load_example, make_tokens, policy, spawn
from sqlalchemy import select

from api.db import make_engine, make_sessionmaker
from api.models import Run, ScenarioRun

DRAIN_SECONDS = 6
# The process must be gone this long after SIGTERM: its drain bound plus time to close the
# database connections and the replicate processes (never minutes, never "for good").
EXIT_BOUND = DRAIN_SECONDS + 8


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def nijmegen_base() -> dict[str, Any]:
    """The Nijmegen base scenario as a client sends it (the file holds no file references)."""
    document: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "scenarios" / "nijmegen-base.yaml").read_text())
    document["start"]["date"] = str(document["start"]["date"])
    return document


def terminate(running: ServerProcess, bound: float) -> float:
    """SIGTERM, then the seconds until the process exited; kills it and fails past ``bound``."""
    sent = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    try:
        running.process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()
        raise AssertionError(f"still running {bound} s after SIGTERM:\n{running.output()[-3000:]}") from None
    finally:
        running.client.close()
    return time.monotonic() - sent


def _row(url: str, model: type[Any], row_id: int) -> Any:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(model).where(model.id == row_id))
    finally:
        engine.dispose()


@pytest.fixture
def servers() -> Iterator[Callable[[dict[str, str]], ServerProcess]]:
    """Start `matcher serve` processes; any still running when the test ends (a failed
    assertion) is killed, so none outlives its test."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str]) -> ServerProcess:
        started.append(spawn(env))
        return started[-1]

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
        running.client.close()


def _env(url: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "MATCHER_DRAIN_SECONDS": str(DRAIN_SECONDS), "MATCHER_SHUTDOWN_GRACE_SECONDS": "1", **extra}


def test_sigterm_during_a_scenario_run_exits_within_the_drain_bound(
    database_url: str, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    """SIGTERM three seconds into a 40-replicate scenario run on the Nijmegen base: the process
    exits within its bound, with exit code 0; the run it could not finish is handed back
    (queued, no lease, no result), and a process started afterwards simulates it to done."""
    tokens = make_tokens(database_url)
    running = servers(_env(database_url))
    body = {"scenario": nijmegen_base(), "replicates": 40}
    response = running.client.post("/v1/scenarios", headers=_auth(tokens, "officer"), json=body)
    assert response.status_code == 202, response.text
    scenario_id = response.json()["id"]
    time.sleep(3)
    assert running.client.get(f"/v1/scenarios/{scenario_id}", headers=_auth(tokens, "viewer")).json()["status"] == "running"
    seconds = terminate(running, EXIT_BOUND)
    assert running.process.returncode == 0, running.output()[-3000:]
    assert seconds < EXIT_BOUND
    row = _row(database_url, ScenarioRun, scenario_id)
    assert (row.status, row.lease_owner, row.result) == ("queued", None, None), running.output()[-3000:]

    again = servers(_env(database_url))
    try:
        deadline = time.monotonic() + 300
        while (run := again.client.get(f"/v1/scenarios/{scenario_id}", headers=_auth(tokens, "viewer")).json())[
            "status"
        ] != "done":
            assert run["status"] != "failed", run
            assert time.monotonic() < deadline, run
            time.sleep(0.5)
        assert run["result"]["replicates"] == 40
        assert _row(database_url, ScenarioRun, scenario_id).attempts == 1
    finally:
        terminate(again, EXIT_BOUND)


def test_sigterm_during_a_proposal_run_hands_it_back_and_answers_requests_in_flight(
    database_url: str, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    """SIGTERM while a proposal run is solving (what_it_would_take keeps it busy for seconds)
    and while a request is in flight: the request is answered, the process exits within its
    bound, the run is finished by it or handed back and then solved once by the next process."""
    tokens = make_tokens(database_url)
    running = servers(_env(database_url, MATCHER_DRAIN_SECONDS="2"))
    load_example(running.client, _auth(tokens, "admin"))
    response = running.client.post(
        "/v1/runs", headers=_auth(tokens, "wbb"), json={"policy": policy(), "what_it_would_take": True}
    )
    run_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while running.client.get(f"/v1/runs/{run_id}", headers=_auth(tokens, "wbb")).json()["stage"] not in ("solving", "explaining"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    seen: dict[str, Any] = {}

    def slow_request() -> None:
        with httpx.Client(base_url=str(running.client.base_url), timeout=60) as client:
            body = {"households": [], "units": []}
            seen["status"] = client.post("/v1/solve", headers=_auth(tokens, "officer"), json=body).status_code

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(0.05)
    terminate(running, 2 + 8)
    thread.join(timeout=30)
    assert running.process.returncode == 0, running.output()[-3000:]
    assert seen.get("status") in (200, 503), seen
    row = _row(database_url, Run, run_id)
    finished, handed_back = row.status == "done", (row.status, row.lease_owner) == ("queued", None)
    assert finished or handed_back, (row.status, row.lease_owner)
    again = servers(_env(database_url))
    try:
        deadline = time.monotonic() + 120
        while (run := again.client.get(f"/v1/runs/{run_id}", headers=_auth(tokens, "wbb")).json())["status"] != "done":
            assert run["status"] != "failed", run
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert _row(database_url, Run, run_id).attempts == 1
    finally:
        terminate(again, EXIT_BOUND)


def test_while_draining_requests_in_flight_are_answered_and_new_ones_get_503(
    database_url: str, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    """SIGTERM while a what-if solve is in flight (its body still arriving, as from a slow
    connection): that request is answered 200 in full; during the grace period /readyz is 503
    and a new request gets 503 with Retry-After (the port is still open: no refused
    connection); then the process exits 0 within its bound."""
    from service_helpers import csv_rows, typed

    tokens = make_tokens(database_url)
    # The request in flight must finish within the drain bound; on a loaded machine its solve alone
    # can take several seconds, so this test gives it a generous bound (the exit is still checked).
    drain = 40
    env = _env(database_url, MATCHER_SHUTDOWN_GRACE_SECONDS="3", MATCHER_METRICS_TOKEN="scrape")
    running = servers({**env, "MATCHER_DRAIN_SECONDS": str(drain)})
    body = {"households": [typed(r) for r in csv_rows("households.csv")], "units": [typed(r) for r in csv_rows("units.csv")]}
    payload = json.dumps(body).encode()
    first_part_sent = threading.Event()
    seen: dict[str, Any] = {}

    def slowly() -> Iterator[bytes]:
        step = len(payload) // 15 + 1
        for start in range(0, len(payload), step):
            yield payload[start : start + step]
            first_part_sent.set()
            time.sleep(0.15)

    def in_flight() -> None:
        with httpx.Client(base_url=str(running.client.base_url), timeout=120) as client:
            headers = {**_auth(tokens, "officer"), "Content-Type": "application/json"}
            try:
                response = client.post("/v1/solve", headers=headers, content=slowly())
            except httpx.HTTPError as error:  # shown in the failure instead of an empty dict
                seen["error"] = repr(error)
                return
            seen["status"], seen["matches"] = response.status_code, len(response.json().get("matches", []))

    def being_answered() -> float:
        """Requests the server is answering, this scrape included."""
        text = running.client.get("/metrics", headers={"Authorization": "Bearer scrape"}).text
        return float(next(line.split()[1] for line in text.splitlines() if line.startswith("matcher_http_requests_in_flight ")))

    thread = threading.Thread(target=in_flight)
    thread.start()
    assert first_part_sent.wait(30)
    deadline = time.monotonic() + 30
    while being_answered() < 2:  # the server has taken the request up (its body is still arriving)
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    running.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with httpx.Client(base_url=str(running.client.base_url), timeout=10) as fresh:
        ready = fresh.get("/readyz")
        refused = fresh.get("/v1/households", headers=_auth(tokens, "viewer"))
    assert thread.is_alive(), "the request in flight ended before the new ones were sent"
    assert ready.status_code == 503 and ready.json()["error"]["code"] == "not_ready"
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "draining"
    assert refused.headers["retry-after"] == "2"
    thread.join(timeout=drain + 20)
    assert seen.get("status") == 200 and seen["matches"] > 0, seen
    running.process.wait(timeout=drain + 8)
    running.client.close()
    assert running.process.returncode == 0, running.output()[-2000:]
