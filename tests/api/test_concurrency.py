"""Concurrency through the real server: runs and decisions raced over HTTP from threads, and
a flood of runs against the bounded queue. Each test checks the outcome both through the
API and directly in the database."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from service_helpers import ServerProcess, accept_body, load_example, make_tokens, policy, spawn
from sqlalchemy import func, select

from api.db import make_engine, make_sessionmaker
from api.models import CaseEvent, Decision, Household, Run, Unit

CONFLICT_CODES = {"household_offered", "unit_offered", "unit_let", "run_superseded", "run_not_done"}


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _wait_all(client: httpx.Client, headers: dict[str, str], ids: list[int], timeout: float = 120.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    runs: list[dict[str, Any]] = []
    for run_id in ids:
        while True:
            run: dict[str, Any] = client.get(f"/v1/runs/{run_id}", headers=headers).json()
            if run["status"] in ("done", "failed"):
                runs.append(run)
                break
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
            time.sleep(0.05)
    return runs


def _accept(client: httpx.Client, headers: dict[str, str], run_id: int, match: dict[str, Any]) -> tuple[int, Any]:
    body = accept_body(match)
    response = client.post(f"/v1/runs/{run_id}/decisions", headers=headers, json=body)
    return response.status_code, response.json()


def _check_one_let_per_unit(client: httpx.Client, viewer: dict[str, str], url: str) -> list[Any]:
    """Through the API and in the database: no household housed twice, no non-shared unit
    let to two households, no shared unit over its beds; returns the stored accepts."""
    accepts = client.get("/v1/decisions?kind=accept&limit=1000", headers=viewer).json()["items"]
    units = {u["unit_id"]: u for u in client.get("/v1/units?limit=1000", headers=viewer).json()["items"]}
    per_household = Counter(d["household_id"] for d in accepts)
    assert max(per_household.values(), default=0) <= 1, per_household.most_common(3)
    per_unit = Counter(d["unit_id"] for d in accepts if not units[d["unit_id"]]["shared"])
    assert max(per_unit.values(), default=0) <= 1, per_unit.most_common(3)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            twice = session.execute(
                select(Decision.unit_id)
                .join(Unit, Unit.unit_id == Decision.unit_id)
                .where(Decision.kind == "accept", Unit.shared.is_(False))
                .group_by(Decision.unit_id)
                .having(func.count() > 1)
            ).all()
            assert twice == []
            beds = session.execute(
                select(Unit.unit_id, Unit.beds, Unit.beds_taken + Unit.beds_held, func.coalesce(func.sum(Decision.persons), 0))
                .outerjoin(Decision, (Decision.unit_id == Unit.unit_id) & (Decision.kind == "accept"))
                .where(Unit.shared.is_(True))
                .group_by(Unit.unit_id, Unit.beds, Unit.beds_taken, Unit.beds_held)
            ).all()
            assert all(taken == persons and (total is None or taken <= total) for _, total, taken, persons in beds), beds
            offered = set(session.scalars(select(Household.household_id).where(Household.status == "offered")))
            assert offered == set(per_household)
            stored = list(session.execute(select(Decision.id, Decision.household_id, Decision.unit_id)))
    finally:
        engine.dispose()
    return stored


def test_runs_and_decisions_raced_never_let_a_unit_twice(database_url: str) -> None:
    """Three runs submitted at once, and while they solve every pair of the current proposal
    accepted twice at the same time, then every pair of the newest run accepted twice (and the old run's
    again): each answer is 201 or a 409 with a conflict code; every 201 is stored; a pair
    whose household or unit was taken after the run's snapshot is always refused; and no
    household or non-shared unit is placed twice, through the API and in the database."""
    tokens = make_tokens(database_url)
    wbb, viewer = _auth(tokens, "wbb"), _auth(tokens, "viewer")
    running = spawn({"DATABASE_URL": database_url, "MATCHER_WORKERS": "2", "MATCHER_QUEUE_MAX": "16"})
    client = running.client
    try:
        load_example(client, _auth(tokens, "admin"))  # type: ignore[arg-type]
        first = client.post("/v1/runs", headers=wbb, json={"policy": policy()}).json()
        _wait_all(client, wbb, [first["id"]])
        old = client.get(f"/v1/runs/{first['id']}/proposal", headers=wbb).json()["matches"]
        answers: list[tuple[int, Any]] = []

        def submit_run(_: object) -> int:
            # what_it_would_take makes a run slower: the accepts below land while it solves.
            response = client.post("/v1/runs", headers=wbb, json={"policy": policy(), "what_it_would_take": True})
            assert response.status_code == 202, response.text
            return int(response.json()["id"])

        with ThreadPoolExecutor(8) as pool:
            run_ids = list(pool.map(submit_run, range(3)))
            answers += pool.map(lambda m: _accept(client, wbb, first["id"], m), old * 2)
        assert any(status == 201 for status, _ in answers), "no accept landed before the new runs finished"
        runs = _wait_all(client, wbb, run_ids)
        assert all(r["status"] == "done" for r in runs)
        newest = max(run_ids)

        housed = {
            h["household_id"] for h in client.get("/v1/households?state=offered&limit=1000", headers=viewer).json()["items"]
        }
        units = {u["unit_id"]: u for u in client.get("/v1/units?limit=1000", headers=viewer).json()["items"]}
        latest = client.get(f"/v1/runs/{newest}/proposal", headers=wbb).json()["matches"]
        stale = [m for m in latest if m["household_id"] in housed or (units[m["unit_id"]]["status"] != "available")]
        assert stale, "the newest run's snapshot was taken after every accept"
        jobs = [(lambda m: _accept(client, wbb, newest, m), m) for m in latest] * 2
        jobs += [(lambda m: _accept(client, wbb, first["id"], m), m) for m in old]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda job: job[0](job[1]), jobs))
        answers += results
        for match, (status, body) in zip(latest * 2, results[: 2 * len(latest)], strict=True):
            if match in stale:
                assert status == 409 and body["error"]["code"] in ("household_offered", "unit_offered", "unit_let"), body
        assert all(status == 409 and body["error"]["code"] == "run_superseded" for status, body in results[2 * len(latest) :])

        assert {status for status, _ in answers} <= {201, 409}
        assert {body["error"]["code"] for status, body in answers if status == 409} <= CONFLICT_CODES
        created = {body["id"] for status, body in answers if status == 201}
        stored = _check_one_let_per_unit(client, viewer, database_url)
        assert created == {row.id for row in stored}
    finally:
        running.stop()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


QUEUE_MAX = 3
FLOOD = 150
RSS_GROWTH_BOUND_MIB = 64


def test_flood_of_runs_is_refused_with_429_while_reads_go_on(database_url: str) -> None:
    """150 runs sent at once from 8 threads to a service whose queue holds 3: the queue never
    holds more than 3 waiting runs, every run beyond is refused with 429 (queue_full), every
    run accepted is stored and solved, reads sent meanwhile all answer 200, and the server's
    memory (RSS from /proc) grows by less than the stated bound."""
    tokens = make_tokens(database_url)
    wbb, viewer = _auth(tokens, "wbb"), _auth(tokens, "viewer")
    running: ServerProcess = spawn({"DATABASE_URL": database_url, "MATCHER_WORKERS": "1", "MATCHER_QUEUE_MAX": str(QUEUE_MAX)})
    client = running.client
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        load_example(client, _auth(tokens, "admin"))  # type: ignore[arg-type]
        body = {"policy": policy(), "what_it_would_take": True}
        warm = client.post("/v1/runs", headers=wbb, json=body).json()
        _wait_all(client, wbb, [warm["id"]])
        baseline = _rss_kib(running.pid)
        peak, most_waiting = baseline, 0
        reads: list[tuple[int, float]] = []
        done = threading.Event()

        def watch() -> None:
            nonlocal peak, most_waiting
            while not done.is_set():
                peak = max(peak, _rss_kib(running.pid))
                with sessions() as session:
                    waiting = session.scalar(select(func.count()).select_from(Run).where(Run.status == "queued"))
                most_waiting = max(most_waiting, int(waiting or 0))
                time.sleep(0.02)

        def read() -> None:
            while not done.is_set():
                for path in ("/healthz", "/v1/households?limit=100", "/v1/runs?limit=5"):
                    started = time.perf_counter()
                    status = client.get(path, headers=viewer).status_code
                    reads.append((status, time.perf_counter() - started))

        def submit(_: int) -> tuple[int, Any]:
            response = client.post("/v1/runs", headers=wbb, json=body)
            return response.status_code, response.json()

        watchers = [threading.Thread(target=watch), threading.Thread(target=read)]
        for thread in watchers:
            thread.start()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(submit, range(FLOOD)))
        done.set()
        for thread in watchers:
            thread.join()

        statuses = Counter(status for status, _ in answers)
        assert set(statuses) == {202, 429}, statuses
        assert all(b["error"]["code"] == "queue_full" for status, b in answers if status == 429)
        assert most_waiting <= QUEUE_MAX
        accepted = [b["id"] for status, b in answers if status == 202]
        runs = _wait_all(client, viewer, accepted)
        assert all(r["status"] == "done" for r in runs)
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Run)) == len(accepted) + 1
        assert reads and all(status == 200 for status, _ in reads)
        latencies = [seconds for _, seconds in reads]
        growth_mib = (peak - baseline) / 1024
        print(
            f"flood: {dict(statuses)}, most waiting {most_waiting}, reads {len(reads)}, "
            f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms, "
            f"rss {baseline / 1024:.0f} MiB + {growth_mib:.0f} MiB"
        )
        assert growth_mib < RSS_GROWTH_BOUND_MIB
    finally:
        engine.dispose()
        running.stop()


def _racing(jobs: list[tuple[str, str, dict[str, Any]]], client: httpx.Client, headers: dict[str, str]) -> list[tuple[int, Any]]:
    """Send every (method, path, body) at the same moment, each from its own thread, lined up by a barrier."""
    barrier = threading.Barrier(len(jobs))

    def send(job: tuple[str, str, dict[str, Any]]) -> tuple[int, Any]:
        method, path, body = job
        barrier.wait()
        response = client.request(method, path, headers=headers, json=body)
        return response.status_code, response.json()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(send, jobs))


def test_the_same_move_recorded_at_once_over_http_is_stored_once(database_url: str) -> None:
    """Against the real server (on PostgreSQL: concurrent transactions, row locks): four people
    record each of six moves at the same moment: per household one 201 and three 409 naming the
    state housed; one moved_in event each, the persons counted once, each unit let once. And
    four offered homes each withdrawn at the moment the household's move is recorded: exactly
    one of the two succeeds, and the household and the unit agree on which."""
    tokens = make_tokens(database_url)
    wbb, admin = _auth(tokens, "wbb"), _auth(tokens, "admin")
    person = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31,
              "adults": 2, "children": 1}  # fmt: skip
    home = {"municipality": "Nijmegen", "neighbourhood": "Hatert", "unit_type": "social", "bedrooms": 2, "max_occupants": 4,
            "rent": 600, "available_from": "2025-03-01"}  # fmt: skip
    running = spawn({"DATABASE_URL": database_url})
    client = running.client
    try:
        households = [person | {"household_id": f"H-{i}"} for i in range(10)]
        units = [home | {"unit_id": f"S-{i}"} for i in range(10)]
        for kind, rows in (("households", households), ("units", units)):
            assert client.post(f"/v1/{kind}/batch", headers=admin, json={"rows": rows}).status_code == 200
        run = client.post("/v1/runs", headers=wbb, json={"policy": {"planning_date": "2025-03-03"}}).json()
        _wait_all(client, wbb, [run["id"]])
        matches = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).json()["matches"]
        assert len(matches) == 10
        for match in matches:
            status, body = _accept(client, wbb, run["id"], match)
            assert status == 201, body
        pairs = {m["household_id"]: m["unit_id"] for m in matches}
        moving, withdrawn = sorted(pairs)[:6], sorted(pairs)[6:]
        move = {"kind": "moved_in", "date": "2025-03-10"}
        withdraw = {"kind": "withdrawn", "date": "2025-03-10", "reason": "back_to_market", "by": "corporation"}
        jobs = [("POST", f"/v1/households/{h}/events", move) for h in moving for _ in range(4)]
        jobs += [("POST", f"/v1/households/{h}/events", move) for h in withdrawn]
        jobs += [("POST", f"/v1/units/{pairs[h]}/events", withdraw) for h in withdrawn]
        answers = _racing(jobs, client, wbb)

        for household in moving:
            got = sorted(status for (_, path, _), (status, _) in zip(jobs, answers, strict=True) if f"/{household}/" in path)
            assert got == [201, 409, 409, 409], (household, got)
        codes = {body["error"]["code"] for (_, path, _), (status, body) in zip(jobs, answers, strict=True)
                 if status == 409 and "/households/" in path and path.split("/")[3] in moving}  # fmt: skip
        assert codes == {"household_housed"}
        for household in withdrawn:
            moved = answers[jobs.index(("POST", f"/v1/households/{household}/events", move))]
            pulled = answers[jobs.index(("POST", f"/v1/units/{pairs[household]}/events", withdraw))]
            assert sorted([moved[0], pulled[0]]) == [201, 409], (household, moved, pulled)
            if moved[0] == 201:
                assert pulled[1]["error"]["code"] == "unit_let"
            else:
                assert moved[1]["error"]["code"] == "household_waiting"

        engine = make_engine(database_url)
        try:
            with make_sessionmaker(engine)() as session:
                moves = Counter(session.scalars(select(CaseEvent.household_id).where(CaseEvent.kind == "moved_in")))
                counted = session.scalar(select(func.sum(CaseEvent.persons_counted))) or 0
                rows = {h.household_id: h for h in session.scalars(select(Household))}
                states = {u.unit_id: u.status for u in session.scalars(select(Unit))}
        finally:
            engine.dispose()
        assert max(moves.values()) == 1 and set(moving) <= set(moves)
        assert counted == 3 * len(moves)
        for household in moving:
            assert (rows[household].status, states[pairs[household]]) == ("housed", "let")
        for household in withdrawn:
            expected = ("housed", "let") if household in moves else ("waiting", "withdrawn")
            assert (rows[household].status, states[pairs[household]]) == expected, household
    finally:
        running.stop()
