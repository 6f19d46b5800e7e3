"""Two `matcher serve` processes on one PostgreSQL database, as two replicas behind a load
balancer: jobs are shared, a process killed mid-run has its jobs taken over once their
leases expire, and a process restarting never touches the jobs the other one holds.

Each process is a real server on loopback with JSON logs; the tests read what happened from
the database, from both processes' logs and from `/metrics`.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from service_helpers import ServerProcess, load_example, make_tokens, policy, spawn
from sqlalchemy import func, select
from test_shutdown import nijmegen_base, terminate

from api.db import make_engine, make_sessionmaker
from api.models import Run, RunPair, ScenarioRun

METRICS_TOKEN = "metrics-secret-for-tests"
SMALL: dict[str, Any] = {"name": "klein", "horizon_weeks": 8, "hindsight": False, "seed": 3}
_names = itertools.count()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database in the tests' PostgreSQL cluster, with the schema and no rows."""
    name = f"replicas_{os.getpid()}_{next(_names)}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "MATCHER_LOG_FORMAT": "json",
        "MATCHER_LEASE_SECONDS": "3",
        "MATCHER_JOB_POLL_SECONDS": "0.5",
        "MATCHER_WORKERS": "2",
        "MATCHER_QUEUE_MAX": "100",
        "MATCHER_SCENARIO_QUEUE_MAX": "20",
        "MATCHER_DRAIN_SECONDS": "6",
        "MATCHER_SHUTDOWN_GRACE_SECONDS": "1",
        "MATCHER_METRICS_TOKEN": METRICS_TOKEN,
    }


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


class Database:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)

    def jobs(self, model: type[Run] | type[ScenarioRun]) -> list[Any]:
        with self.sessions() as session:
            return list(
                session.execute(select(model.id, model.status, model.lease_owner, model.attempts, model.error).order_by(model.id))
            )

    def held_by(self, pid: int) -> dict[str, set[int]]:
        """The running jobs a process holds (its lease owner names its pid)."""
        held: dict[str, set[int]] = {}
        for kind, model in (("run", Run), ("scenario", ScenarioRun)):
            held[kind] = {row.id for row in self.jobs(model) if row.status == "running" and f":{pid}:" in (row.lease_owner or "")}
        return held

    def close(self) -> None:
        self.engine.dispose()


def _log(running: ServerProcess, killed: bool = False) -> list[dict[str, Any]]:
    """The process's log: every line must be a JSON object. After a SIGKILL, Python's
    multiprocessing resource tracker (a process of its own, which outlives the server for a
    moment) may add its plain warning about the server's semaphores; those lines are left out."""
    lines = [line for line in running.output().splitlines() if line.strip()]
    if killed:
        lines = [line for line in lines if line.startswith("{")]
    return [json.loads(line) for line in lines]


def _started(lines: list[dict[str, Any]]) -> Counter[tuple[str, int]]:
    """How often this process started each job, from its "<kind> <id> started by" lines."""
    found: Counter[tuple[str, int]] = Counter()
    for line in lines:
        words = line["message"].split()
        if " started by " in line["message"]:
            kind = "scenario" if words[0] == "scenario" else "run"
            found[(kind, int(words[2] if kind == "scenario" else words[1]))] += 1
    return found


def _metrics(running: ServerProcess) -> dict[str, float]:
    """The process's /metrics, parsed by Prometheus's own parser: sample name + labels -> value."""
    response = running.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait_done(db: Database, runs: int, scenarios: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = [row.status for row in db.jobs(Run)] + [row.status for row in db.jobs(ScenarioRun)]
        if len(states) == runs + scenarios and all(s in ("done", "failed") for s in states):
            return
        assert time.monotonic() < deadline, Counter(states)
        time.sleep(0.2)


@pytest.mark.slow
def test_two_processes_share_the_jobs_and_take_over_those_of_one_killed(postgres_url: str) -> None:
    """50 proposal runs and 10 scenario runs sent alternately to two processes; one is killed
    (SIGKILL) while it holds a run and a scenario run, and its replicate processes end by
    themselves. Every job ends done, exactly once: the
    jobs the killed process held are taken over after their leases expired (attempt 2), every
    other job was started once by one process only, each run stores its pairs once, and
    exactly one run is current. Both logs are JSON lines and the survivor's /metrics counts
    the takeovers."""
    tokens = make_tokens(postgres_url)
    db = Database(postgres_url)
    first, second = spawn(_env(postgres_url)), spawn(_env(postgres_url))
    try:
        load_example(first.client, _auth(tokens, "admin"))
        run_ids: list[int] = []
        scenario_ids: list[int] = []
        dead = threading.Event()
        sending = threading.Lock()  # the kill falls between two requests, never during one

        def submit() -> None:
            for i in range(60):
                with sending:
                    target = second if dead.is_set() or i % 2 else first  # a load balancer skips the dead one
                    if i % 6 == 5:
                        body: dict[str, Any] = {"scenario": SMALL, "replicates": 3}
                        response = target.client.post("/v1/scenarios", headers=_auth(tokens, "officer"), json=body)
                        scenario_ids.append(response.json()["id"])
                    else:
                        response = target.client.post("/v1/runs", headers=_auth(tokens, "wbb"), json={"policy": policy()})
                        run_ids.append(response.json()["id"])
                    assert response.status_code == 202, response.text

        submitter = threading.Thread(target=submit)
        submitter.start()
        deadline = time.monotonic() + 180
        # Kill it while it holds a run and a scenario run, with replicate processes running.
        while not (all(db.held_by(first.pid).values()) and _children(first.pid)):
            assert submitter.is_alive() and time.monotonic() < deadline, "the first process never held a run and a scenario run"
            time.sleep(0.01)
        with sending:
            replicate_processes = _children(first.pid)
            first.crash()
            dead.set()
        # What it held when it died (read now: its leases take 3 s to expire).
        taken = {(kind, job_id) for kind, ids in db.held_by(first.pid).items() for job_id in ids}
        assert any(kind == "scenario" for kind, _ in taken) and replicate_processes
        deadline = time.monotonic() + 15
        while not all(_gone(pid) for pid in replicate_processes):
            assert time.monotonic() < deadline, "replicate processes of the killed server are still running"
            time.sleep(0.2)
        submitter.join(timeout=300)
        assert (len(run_ids), len(scenario_ids)) == (50, 10)

        _wait_done(db, 50, 10, timeout=600)
        runs, scenarios = db.jobs(Run), db.jobs(ScenarioRun)
        assert [r.status for r in runs] == ["done"] * 50 and [s.status for s in scenarios] == ["done"] * 10
        attempts = {("run", r.id): r.attempts for r in runs} | {("scenario", s.id): s.attempts for s in scenarios}
        assert {job for job, n in attempts.items() if n != 1} == taken
        assert all(attempts[job] == 2 for job in taken)

        killed, survivor = _started(_log(first, killed=True)), _started(_log(second))
        assert max([*killed.values(), *survivor.values()]) == 1  # no process started a job twice
        assert set(killed) & set(survivor) == taken  # only the jobs of the killed process ran twice
        assert set(killed) | set(survivor) == set(attempts)
        takeovers = [line for line in _log(second) if "taken over from" in line["message"]]
        assert len(takeovers) == len(taken) and all(f":{first.pid}:" in line["message"] for line in takeovers)

        with db.sessions() as session:
            stored = dict(session.execute(select(RunPair.run_id, func.count()).group_by(RunPair.run_id)).all())
        for run in runs:
            kpis = second.client.get(f"/v1/runs/{run.id}", headers=_auth(tokens, "viewer")).json()["kpis"]
            assert stored.get(run.id, 0) == kpis["placed_households"] > 0
        listed = second.client.get("/v1/runs?limit=200", headers=_auth(tokens, "viewer")).json()["items"]
        assert [r["id"] for r in listed if r["current"]] == [max(run_ids)]

        metrics = _metrics(second)
        for kind in ("run", "scenario"):
            expected = sum(1 for k, _ in taken if k == kind)
            assert metrics[f"matcher_lease_takeovers_total{{kind={kind}}}"] == expected
            assert metrics[f"matcher_jobs{{kind={kind},status=done}}"] == (50 if kind == "run" else 10)
    finally:
        for running in (first, second):
            if running.process.poll() is None:
                terminate(running, 30)
        db.close()


@pytest.mark.slow
def test_restarting_one_process_never_resets_what_the_other_runs(postgres_url: str) -> None:
    """While one process simulates a scenario run and solves a proposal run, a second process
    starts, is stopped (SIGTERM) and starts again. Watched in the database every few
    milliseconds throughout, neither job is ever set back to queued or given to another
    owner; both end done at their first attempt."""
    tokens = make_tokens(postgres_url)
    db = Database(postgres_url)
    first = spawn(_env(postgres_url))
    second: ServerProcess | None = None
    seen: list[tuple[str, int, str, str | None, int]] = []
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            for kind, model in (("run", Run), ("scenario", ScenarioRun)):
                seen.extend((kind, row.id, row.status, row.lease_owner, row.attempts) for row in db.jobs(model))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    try:
        load_example(first.client, _auth(tokens, "admin"))
        body = {"scenario": {**nijmegen_base(), "hindsight": False}, "replicates": 80}  # long enough to outlast a restart
        scenario = first.client.post("/v1/scenarios", headers=_auth(tokens, "officer"), json=body).json()["id"]
        run_body = {"policy": policy(), "what_it_would_take": True}
        run = first.client.post("/v1/runs", headers=_auth(tokens, "wbb"), json=run_body).json()["id"]
        deadline = time.monotonic() + 60
        while db.held_by(first.pid) != {"run": {run}, "scenario": {scenario}}:
            assert time.monotonic() < deadline, db.held_by(first.pid)
            time.sleep(0.01)
        watcher.start()
        second = spawn(_env(postgres_url))
        terminate(second, 30)
        assert second.process.returncode == 0, second.output()[-2000:]
        second = spawn(_env(postgres_url))
        time.sleep(2)  # the restarted process's workers have looked for work several times
        assert db.held_by(first.pid)["scenario"] == {scenario}, "the scenario run ended before the restart was done"
        _wait_done(db, 1, 1, timeout=300)
    finally:
        watching.set()
        if watcher.is_alive():
            watcher.join()
        for running in (first, second):
            if running is not None and running.process.poll() is None:
                terminate(running, 30)
        db.close()
    for kind, job_id in (("run", run), ("scenario", scenario)):
        history = [(status, owner, attempts) for k, i, status, owner, attempts in seen if (k, i) == (kind, job_id)]
        assert history, (kind, job_id)
        owners = {owner for _, owner, _ in history}
        assert "queued" not in {status for status, _, _ in history}, (kind, history[:3])
        assert len(owners) == 1 and f":{first.pid}:" in str(next(iter(owners))), owners
        assert {attempts for _, _, attempts in history} == {1}
        assert history[-1][0] == "done"
