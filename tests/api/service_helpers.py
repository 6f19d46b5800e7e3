"""Shared steps of the service tests: the example week as upload or JSON, waiting for runs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from fastapi.testclient import TestClient

from api.auth import CORPORATION, ROLES, create_token
from api.db import make_engine, make_sessionmaker, session_scope, upgrade
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nijmegen-week"
BOOL_COLUMNS = {"documents_complete", "temporary", "shared", "step_free", "wheelchair", "lgbtiq_safe", "support"}
INT_COLUMNS = {"adults", "children", "head_age", "expected_reunification", "beds", "bedrooms", "min_occupants", "max_occupants"}
LIST_COLUMNS = {"vulnerabilities", "preferred_neighbourhoods"}


def csv_rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def typed(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a JSON client sends it: booleans, numbers and lists typed, empty cells left out."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value == "":
            continue
        if key in BOOL_COLUMNS:
            out[key] = value.lower() == "true"
        elif key in INT_COLUMNS:
            out[key] = int(value)
        elif key in LIST_COLUMNS:
            out[key] = [part for part in value.split(";") if part]
        else:
            out[key] = value
    return out


def policy() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLE / "policy.json").read_text())
    return loaded


def upload(client: TestClient, headers: dict[str, str], kind: str, path: Path | None = None) -> dict[str, Any]:
    """Import the example's households or units as a CSV upload; asserts success."""
    path = path or EXAMPLE / f"{kind}.csv"
    response = client.post(f"/v1/{kind}/import", headers=headers, files={"file": (path.name, path.read_bytes(), "text/csv")})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def load_example(client: TestClient, headers: dict[str, str]) -> None:
    upload(client, headers, "households")
    upload(client, headers, "units")


def wait_for(client: TestClient, headers: dict[str, str], run_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a run until it has ended: done, failed or cancelled."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/runs/{run_id}", headers=headers)
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()
        if run["status"] in ("done", "failed", "cancelled"):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']} after {timeout} s"
        time.sleep(0.05)


def start_run(client: TestClient, headers: dict[str, str], body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start a run, wait for it and return the finished run."""
    response = client.post("/v1/runs", headers=headers, json=body if body is not None else {"policy": policy()})
    assert response.status_code == 202, response.text
    return wait_for(client, headers, response.json()["id"])


def proposal(client: TestClient, headers: dict[str, str], run_id: int) -> dict[str, Any]:
    response = client.get(f"/v1/runs/{run_id}/proposal", headers=headers)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def accept_body(match: dict[str, Any], housed_on: str | None = None) -> dict[str, Any]:
    """The decision that accepts a proposed pair (taken by the owner of the token that sends it)."""
    body: dict[str, Any] = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "accept"}
    if housed_on is not None:
        body["housed_on"] = housed_on
    return body


def event(client: TestClient, headers: dict[str, str], household_id: str, kind: str, date: str, **fields: Any) -> Any:
    """Record an event on a household's case; returns the response."""
    return client.post(f"/v1/households/{household_id}/events", headers=headers, json={"kind": kind, "date": date, **fields})


def move_in(client: TestClient, headers: dict[str, str], household_id: str, date: str, **fields: Any) -> dict[str, Any]:
    """Record that an offered household moved in; asserts success and returns the event."""
    response = event(client, headers, household_id, "moved_in", date, **fields)
    assert response.status_code == 201, response.text
    recorded: dict[str, Any] = response.json()
    return recorded


def move_in_match(client: TestClient, headers: dict[str, str], match: dict[str, Any], date: str) -> dict[str, Any]:
    """Record the move of a proposed (and accepted) match; a temporary place gets an end half a year later."""
    extra: dict[str, Any] = {}
    if match["terms"].get("temporary"):
        extra["temporary_until"] = (dt.date.fromisoformat(date) + dt.timedelta(days=182)).isoformat()
    return move_in(client, headers, match["household_id"], date, **extra)


def pairs(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m["household_id"], m["unit_id"]) for m in document["matches"]}


def error_of(response: Any, status: int) -> dict[str, Any]:
    """Assert the one error shape and the status; returns the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["status"] == status and isinstance(error["code"], str) and error["message"]
    assert isinstance(error["problems"], list)
    return error


@dataclass
class Service:
    """A running app with a test client and one token per role (plus scoped ones)."""

    client: TestClient
    url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def audit_key() -> bytes:
    """The audit key the tests run with (set in the environment by ``tests/conftest.py``)."""
    from api.audit_key import load_key

    return load_key(Settings())


def owner_of(who: str) -> str:
    """The person a test token belongs to: "wbb" is "Wbb Allen", "wbb@Nijmegen" is "Wbb Nijmegen"."""
    role, _, municipality = who.partition("@")
    return f"{role.capitalize()} {municipality or 'Allen'}"


def make_tokens(url: str, scoped: str = "Nijmegen") -> dict[str, str]:
    engine = make_engine(url)
    upgrade(engine)
    tokens: dict[str, str] = {}
    with session_scope(make_sessionmaker(engine)) as session:
        for role in ROLES:
            for who, municipality in ((role, None), (f"{role}@{scoped}", scoped)):
                tokens[who] = create_token(session, role, municipality, None, owner=owner_of(who))[1]
        for who, municipality in ((CORPORATION, None), (f"{CORPORATION}@{scoped}", scoped)):
            # A corporation's staff member: Portaal, a corporation of the example week.
            made = create_token(session, CORPORATION, municipality, None, owner=owner_of(who), corporation="Portaal")
            tokens[who] = made[1]
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A `matcher serve` process; its output goes to a temp file, so a chatty server never
    blocks on a full pipe."""

    process: subprocess.Popen[bytes]
    client: httpx.Client
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def crash(self) -> None:
        """Kill with SIGKILL: no shutdown code runs, open transactions are cut off."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.client.close()
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        """Stop with Ctrl-C, as a person at the terminal would; asserts a clean exit."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.client.close()
        assert self.process.returncode == 0, self.output()


def spawn(env: dict[str, str], cwd: Path = ROOT, port: int | None = None) -> ServerProcess:
    """Start `matcher serve` on a free port (or ``port``) and wait until /healthz answers."""
    port = port or free_port()
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the life of the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        cwd=cwd,
        env={**clean, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = ServerProcess(process, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60), log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if running.client.get("/healthz").status_code == 200:
                return running
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise AssertionError(f"server did not start: {running.output()}")
        time.sleep(0.1)


@contextmanager
def server(env: dict[str, str], cwd: Path = ROOT, log: Path | None = None, port: int | None = None) -> Iterator[httpx.Client]:
    """Start `matcher serve` on a free port (or ``port``), wait for /healthz, stop it with
    Ctrl-C at the end.

    With ``log`` the server's output is copied to that file when it stops."""
    running = spawn(env, cwd, port)
    try:
        yield running.client
    finally:
        try:
            running.stop()
        finally:
            if log is not None:
                log.write_text(running.output(), encoding="utf-8")
