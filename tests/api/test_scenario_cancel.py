"""Scenario runs answer while they run and can be cancelled, on SQLite and on PostgreSQL.

A running scenario run's result grows: the figures over the first k replicates, exactly those
of a run asked for k replicates, with k and an estimate of the time left. A cancel over HTTP
ends the run at once, keeps those figures, and really stops the replicate processes (checked
by their process ids); the metrics count the cancelled run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import Service, error_of, make_tokens

from api.app import create_app
from api.settings import Settings
from matcher.simulate import parse_scenario, run_scenario

SMALL: dict[str, Any] = {"name": "klein", "horizon_weeks": 5, "hindsight": False, "seed": 3}
MANY = 150  # far more replicates than a test waits for
FIGURES = ("weekly", "summary", "comparison", "placements_by_neighbourhood", "weekly_placements_by_neighbourhood")


@pytest.fixture
def two_workers(database_url: str) -> Iterator[Service]:
    """The app with two replicate processes per scenario run."""
    tokens = make_tokens(database_url)
    settings = Settings(database_url=database_url, scenario_processes=2, auth_failure_burst=10_000)
    with TestClient(create_app(settings)) as client:
        yield Service(client=client, url=database_url, tokens=tokens)


def _post(service: Service, replicates: int) -> int:
    response = service.client.post(
        "/v1/scenarios", headers=service.auth("officer"), json={"scenario": SMALL, "replicates": replicates}
    )
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def _get(service: Service, scenario_id: int) -> dict[str, Any]:
    response = service.client.get(f"/v1/scenarios/{scenario_id}", headers=service.auth("viewer"))
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


def _until(service: Service, scenario_id: int, done: int, timeout: float = 120.0) -> dict[str, Any]:
    """Poll until the run's result is over at least ``done`` replicates."""
    deadline = time.monotonic() + timeout
    while True:
        run = _get(service, scenario_id)
        if run["replicates_done"] >= done:
            return run
        assert run["status"] in ("queued", "running"), run
        assert time.monotonic() < deadline, f"only {run['replicates_done']} replicates after {timeout} s"
        time.sleep(0.1)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return True
    return state == "Z"


def _cancelled_count(service: Service) -> float:
    metrics = service.client.app.state.metrics  # type: ignore[attr-defined]
    value = metrics.registry.get_sample_value("matcher_jobs_finished_total", {"kind": "scenario", "outcome": "cancelled"})
    return float(value or 0.0)


def test_the_result_grows_over_the_first_replicates(two_workers: Service) -> None:
    """While the run runs, its result is partial: over the first k replicates (the same figures
    as a run of k replicates), with k, the number asked for and an estimate of the time left."""
    scenario_id = _post(two_workers, MANY)
    run = _until(two_workers, scenario_id, 2)
    assert run["status"] == "running", run
    result = run["result"]
    k = result["replicates"]
    assert run["replicates_done"] == k >= 2
    assert result["partial"]["replicates_done"] == k and result["partial"]["replicates_requested"] == MANY
    assert run["seconds_left"] is not None and run["seconds_left"] > 0
    assert [row["replicate"] for row in result["per_replicate"] if row["strategy"] == "fifo"] == list(range(k))
    direct = run_scenario(parse_scenario(SMALL), k).to_json()
    for key in FIGURES:
        assert result[key] == direct[key], key
    two_workers.client.post(f"/v1/scenarios/{scenario_id}/cancel", headers=two_workers.auth("officer"))


def test_cancel_stops_the_workers_and_keeps_the_partial_result(two_workers: Service) -> None:
    """A cancel of a running run answers `cancelled` at once; its replicate processes are gone
    within seconds; the partial result stays and is not overwritten later; the metric counts it."""
    queue = two_workers.client.app.state.scenarios  # type: ignore[attr-defined]
    before = _cancelled_count(two_workers)
    scenario_id = _post(two_workers, MANY)
    _until(two_workers, scenario_id, 1)
    pids = queue.worker_pids()
    assert len(pids) == 2 and not any(_gone(pid) for pid in pids), pids
    response = two_workers.client.post(f"/v1/scenarios/{scenario_id}/cancel", headers=two_workers.auth("officer"))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in pids):
        assert time.monotonic() < deadline, [pid for pid in pids if not _gone(pid)]
        time.sleep(0.1)
    assert queue.worker_pids() == []
    while _cancelled_count(two_workers) < before + 1:
        assert time.monotonic() < deadline, "the cancelled run was not counted"
        time.sleep(0.1)
    time.sleep(1.5)  # longer than the partial results' interval: nothing is written after the cancel
    run = _get(two_workers, scenario_id)
    assert run["status"] == "cancelled" and run["seconds_left"] is None
    k = run["replicates_done"]
    assert 1 <= k < MANY and run["result"]["partial"]["replicates_done"] == k
    direct = run_scenario(parse_scenario(SMALL), k).to_json()
    assert run["result"]["summary"] == direct["summary"]


def test_a_waiting_run_is_cancelled_before_it_starts(two_workers: Service) -> None:
    """A run cancelled while it waits behind another never starts and is counted as cancelled;
    a viewer may not cancel (403); a run that has ended cannot be cancelled (409)."""
    first = _post(two_workers, MANY)
    second = _post(two_workers, 2)
    error_of(two_workers.client.post(f"/v1/scenarios/{second}/cancel", headers=two_workers.auth("viewer")), 403)
    before = _cancelled_count(two_workers)
    response = two_workers.client.post(f"/v1/scenarios/{second}/cancel", headers=two_workers.auth("officer"))
    assert response.status_code == 200 and response.json()["status"] == "cancelled", response.text
    assert _cancelled_count(two_workers) == before + 1
    two_workers.client.post(f"/v1/scenarios/{first}/cancel", headers=two_workers.auth("officer"))
    time.sleep(1.0)
    run = _get(two_workers, second)
    assert run["status"] == "cancelled" and run["started_at"] is None and run["result"] is None
    error = error_of(two_workers.client.post(f"/v1/scenarios/{second}/cancel", headers=two_workers.auth("officer")), 409)
    assert error["code"] == "scenario_ended"
