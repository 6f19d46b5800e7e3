"""What survives a crash: the real server killed with SIGKILL in the middle of an import, a
proposal run and a stream of decisions, then started again on the same database.

A crash is SIGKILL: no shutdown code runs and the open transaction is cut off where it
stands. Each test finds the moment to kill from the outside (the database shows the write
in progress, or the run reports the stage it is in), without any hook in the service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from service_helpers import (
    ServerProcess,
    accept_body,
    audit_key,
    csv_rows,
    load_example,
    make_tokens,
    policy,
    proposal,
    spawn,
    start_run,
)
from sqlalchemy import Engine, event, func, select

from api import audit_verify
from api.app import create_app
from api.db import make_engine, make_sessionmaker
from api.models import AuditEntry, Decision, Household, Run, RunPair, Unit
from api.settings import Settings

BIG_IMPORT_ROWS = 12_000


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _wait(client: httpx.Client, headers: dict[str, str], run_id: int, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = client.get(f"/v1/runs/{run_id}", headers=headers).json()
        if run["status"] in ("done", "failed"):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']} after {timeout} s"
        time.sleep(0.05)


class Database:
    """Direct reads of the database, next to the API, to see what is really stored."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)

    def scalar(self, query: Any) -> Any:
        with self.sessions() as session:
            return session.scalar(query)

    def rows(self, query: Any) -> list[Any]:
        with self.sessions() as session:
            return list(session.execute(query))

    def audit_intact(self) -> int:
        """Entries in the audit log; fails when the hash chain is broken."""
        with self.sessions() as session:
            report = audit_verify.verify(session, audit_key())
        assert report.intact, report
        return report.entries

    def wal_size(self) -> int:
        """Bytes in SQLite's write-ahead log (0 on PostgreSQL)."""
        if not self.url.startswith("sqlite"):
            return 0
        wal = Path(self.url.removeprefix("sqlite:///") + "-wal")
        return wal.stat().st_size if wal.exists() else 0

    def write_in_progress(self, wal_before: int = 0) -> bool:
        """True while a transaction of another connection has written rows it has not committed.

        SQLite: the write lock is held and more than 1 MB of pages went to the log since
        ``wal_before``. PostgreSQL: a backend holds a transaction id, given at its first write."""
        if self.url.startswith("sqlite"):
            path = self.url.removeprefix("sqlite:///")
            probe = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:  # the write lock is held: a write transaction is open
                return self.wal_size() > wal_before + 1_000_000
            finally:
                probe.close()
        with psycopg.connect(self.url, autocommit=True) as connection:
            found = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            ).fetchone()
        return bool(found and found[0])

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    make_tokens(database_url)  # creates the schema
    db = Database(database_url)
    yield db
    db.close()


def _big_households_file(changed: list[dict[str, str]]) -> bytes:
    """The waiting households given, each with a changed koppeling date, plus many new ones."""
    template = csv_rows("households.csv")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(template[0]))
    writer.writeheader()
    for row in changed:
        writer.writerow({**row, "koppeling_date": "2023-01-02"})
    for i in range(BIG_IMPORT_ROWS):
        writer.writerow({**template[i % len(template)], "household_id": f"H-N{i:06d}"})
    return out.getvalue().encode()


def test_an_answer_is_sent_only_after_its_change_is_committed(database_url: str) -> None:
    """A 201 for a decision leaves the service only once the decision is committed: a crash
    just after the answer cannot lose a decision the meeting was told is stored."""
    tokens = make_tokens(database_url)
    events: list[str] = []

    def on_commit(_connection: Any) -> None:
        events.append("commit")

    app = create_app(Settings(database_url=database_url))

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def watched_send(message: Any) -> None:
            if message["type"] == "http.response.start" and scope["path"].endswith("/decisions"):
                events.append("answer")
            await send(message)

        await app(scope, receive, watched_send)

    with TestClient(watched) as client:
        load_example(client, _auth(tokens, "admin"))
        run = start_run(client, _auth(tokens, "wbb"))
        match = proposal(client, _auth(tokens, "wbb"), run["id"])["matches"][0]
        body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "pin"}
        event.listen(Engine, "commit", on_commit)
        try:
            response = client.post(f"/v1/runs/{run['id']}/decisions", headers=_auth(tokens, "wbb"), json=body)
        finally:
            event.remove(Engine, "commit", on_commit)
    assert response.status_code == 201, response.text
    assert "commit" in events and "answer" in events
    assert events.index("answer") > max(i for i, name in enumerate(events) if name == "commit"), events


def _kill_while(running: ServerProcess, in_window: Any, request: Any, timeout: float = 60.0) -> dict[str, Any]:
    """Send ``request`` from a thread, SIGKILL the server as soon as ``in_window()`` is true.
    Returns what the thread saw: an answer, or the transport error of a cut connection."""
    seen: dict[str, Any] = {}

    def send() -> None:
        try:
            seen["response"] = request()
        except httpx.TransportError as error:
            seen["error"] = error

    thread = threading.Thread(target=send)
    thread.start()
    deadline = time.monotonic() + timeout
    while not in_window():
        assert thread.is_alive(), f"the request finished before the window was seen: {seen}"
        assert time.monotonic() < deadline, "the window was never seen"
        time.sleep(0.005)
    running.crash()
    thread.join(timeout=30)
    return seen


def test_import_killed_midway_is_all_or_nothing(database: Database) -> None:
    """SIGKILL while a 12,000-row import is being written: after a restart the pool is
    exactly the one before (no row of the file, no changed field) or, had the commit come
    first, exactly the imported one, never a mix; the run, the decision and the audit
    entries stored before are all there, and the audit chain verifies."""
    tokens = make_tokens(database.url)
    admin, wbb = _auth(tokens, "admin"), _auth(tokens, "wbb")
    running = spawn({"DATABASE_URL": database.url})
    client = running.client
    load_example(client, admin)
    run = start_run(client, wbb)
    match = proposal(client, wbb, run["id"])["matches"][0]
    body = accept_body(match)
    assert client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=body).status_code == 201
    waiting = [row for row in csv_rows("households.csv") if row["household_id"] != match["household_id"]]
    content = _big_households_file(waiting)
    pool = select(Household.household_id, Household.koppeling_date, Household.status).order_by(Household.household_id)
    before_pool = [tuple(row) for row in database.rows(pool)]
    changed, template = {row["household_id"] for row in waiting}, csv_rows("households.csv")
    after_pool = sorted(
        [(h, dt.date(2023, 1, 2) if h in changed else day, status) for h, day, status in before_pool]
        + [
            (f"H-N{i:06d}", dt.date.fromisoformat(template[i % len(template)]["koppeling_date"]), "waiting")
            for i in range(BIG_IMPORT_ROWS)
        ]
    )
    before_proposal = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).text
    before_audit = database.audit_intact()

    wal_before = database.wal_size()
    seen = _kill_while(
        running,
        lambda: database.write_in_progress(wal_before),
        lambda: client.post("/v1/households/import", headers=admin, files={"file": ("households.csv", content)}),
    )
    assert "error" in seen, f"the import was answered before the kill: {seen}"

    running = spawn({"DATABASE_URL": database.url})
    try:
        stored = [tuple(row) for row in database.rows(pool)]
        if stored == before_pool:
            assert database.audit_intact() == before_audit
        else:  # committed just before the kill: the whole file, and its audit entry
            assert stored == after_pool
            assert database.audit_intact() == before_audit + 1
        assert running.client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).text == before_proposal
        decisions = running.client.get("/v1/decisions", headers=wbb).json()["items"]
        assert [(d["household_id"], d["kind"]) for d in decisions] == [(match["household_id"], "accept")]
        # No lock or half transaction is left behind: the restarted service stores an import.
        small = content[: content.index(b"\n", 2000) + 1]
        response = running.client.post("/v1/households/import", headers=admin, files={"file": ("households.csv", small)})
        assert response.status_code == 200 and response.json()["updated"] > 0, response.text
    finally:
        running.stop()


def test_run_killed_while_solving_is_solved_again_and_keeps_the_decisions(database: Database) -> None:
    """SIGKILL while a run is being computed (solving, or explaining the result; asking for
    what_it_would_take makes that take seconds): the database holds no part of its proposal
    (no pairs, no document), only the run marked as still running; after a restart the run
    is solved again to done (the killed process's lease on it expired: 3 s here), and the
    accept, decline and pin taken before it are all kept and honoured by it."""
    tokens = make_tokens(database.url)
    admin, wbb = _auth(tokens, "admin"), _auth(tokens, "wbb")
    running = spawn({"DATABASE_URL": database.url, "MATCHER_LEASE_SECONDS": "3"})
    load_example(running.client, admin)
    first = start_run(running.client, wbb)
    matches = running.client.get(f"/v1/runs/{first['id']}/proposal", headers=wbb).json()["matches"]
    accepted, declined, pinned = matches[0], matches[1], matches[2]
    for match, kind, extra in (
        (accepted, "accept", {}),
        (declined, "decline", {"reason": "household_refused"}),
        (pinned, "pin", {}),
    ):
        body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": kind, **extra}
        assert running.client.post(f"/v1/runs/{first['id']}/decisions", headers=wbb, json=body).status_code == 201
    decisions = select(Decision.id, Decision.kind, Decision.household_id, Decision.unit_id).order_by(Decision.id)
    before_decisions = database.rows(decisions)

    second = running.client.post("/v1/runs", headers=wbb, json={"policy": policy(), "what_it_would_take": True}).json()

    def solving() -> bool:
        stage = running.client.get(f"/v1/runs/{second['id']}", headers=wbb).json()["stage"]
        assert stage != "done", "the run finished before it could be killed"
        return stage in ("solving", "explaining")

    deadline = time.monotonic() + 60
    while not solving():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    running.crash()

    stored = database.scalar(select(Run).where(Run.id == second["id"]))
    assert stored.status == "running" and stored.proposal_json is None and stored.kpis is None
    assert database.scalar(select(func.count()).select_from(RunPair).where(RunPair.run_id == second["id"])) == 0

    running = spawn({"DATABASE_URL": database.url, "MATCHER_LEASE_SECONDS": "3"})
    try:
        again = _wait(running.client, wbb, second["id"])
        assert again["status"] == "done" and again["error"] is None
        document = running.client.get(f"/v1/runs/{second['id']}/proposal", headers=wbb).json()
        found = {(m["household_id"], m["unit_id"]) for m in document["matches"]}
        stored_pairs = database.scalar(select(func.count()).select_from(RunPair).where(RunPair.run_id == second["id"]))
        assert stored_pairs == len(found) == again["kpis"]["placed_households"] > 0
        assert accepted["household_id"] not in {h for h, _ in found}
        assert (declined["household_id"], declined["unit_id"]) not in found
        assert (pinned["household_id"], pinned["unit_id"]) in found
        assert database.rows(decisions) == before_decisions
        database.audit_intact()
    finally:
        running.stop()


def test_decisions_in_flight_when_killed_are_stored_whole_or_not_at_all(database: Database) -> None:
    """SIGKILL in the middle of a stream of accepts: every decision answered 201 is stored;
    every stored decision has its audit entry and its effect (household offered, unit held);
    at most the one in flight is stored without an answer; the audit chain verifies."""
    tokens = make_tokens(database.url)
    admin, wbb = _auth(tokens, "admin"), _auth(tokens, "wbb")
    running = spawn({"DATABASE_URL": database.url})
    load_example(running.client, admin)
    run = start_run(running.client, wbb)
    matches = proposal(running.client, wbb, run["id"])["matches"]
    answered: list[int] = []
    cut_off: list[BaseException] = []

    def accept_all() -> None:
        try:
            for match in matches:
                body = accept_body(match)
                response = running.client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=body)
                assert response.status_code == 201, response.text
                answered.append(response.json()["id"])
        except httpx.TransportError as error:
            cut_off.append(error)

    thread = threading.Thread(target=accept_all)
    thread.start()
    while len(answered) < 5:
        assert thread.is_alive()
        time.sleep(0.001)
    running.crash()
    thread.join(timeout=30)
    assert cut_off and len(answered) < len(matches), "the stream was not cut off"

    stored = database.rows(select(Decision.id, Decision.household_id, Decision.unit_id))
    assert set(answered) <= {d.id for d in stored} and len(stored) - len(answered) in (0, 1)
    entries = database.rows(select(AuditEntry.object_ids).where(AuditEntry.action == "decision.accept"))
    assert sorted(tuple(e.object_ids) for e in entries) == sorted((str(d.id), d.household_id, d.unit_id) for d in stored)
    offered = {row.household_id for row in database.rows(select(Household.household_id).where(Household.status == "offered"))}
    assert offered == {d.household_id for d in stored}
    held = {row.unit_id for row in database.rows(select(Unit.unit_id).where(Unit.beds_held > 0))}
    assert held == {d.unit_id for d in stored}
    assert database.audit_intact() > 0
