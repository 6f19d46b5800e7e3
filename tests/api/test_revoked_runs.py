"""A run started with a token that is revoked before the run is done never becomes the current
run: it is cancelled with the reason, whether the revocation comes while it waits for a worker,
while the service is down, or while it is being solved. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from service_helpers import Service, csv_rows, error_of, load_example, make_tokens, policy, proposal, wait_for

from api.app import create_app
from api.auth import create_token, revoke
from api.db import make_engine, make_sessionmaker, session_scope
from api.models import Run, RunPair, Token
from api.settings import Settings


def _made(service: Service, role: str, owner: str) -> dict[str, Any]:
    response = service.client.post("/v1/tokens", headers=service.auth("admin"), json={"role": role, "owner": owner})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_a_run_whose_token_is_revoked_while_it_waits_is_cancelled(service: Service) -> None:
    """The only worker is busy (a run that also works out what it would take); a run started
    with M. Bakker's token waits; her token is revoked; when the worker is free the run is
    cancelled (not solved, no pairs, no proposal), the earlier run stays current and decisions
    are still taken on it."""
    load_example(service.client, service.auth("admin"))
    made = _made(service, "wbb", "M. Bakker")
    long = service.client.post("/v1/runs", headers=service.auth("wbb"), json={"policy": policy(), "what_it_would_take": True})
    deadline = time.monotonic() + 30
    while service.client.get(f"/v1/runs/{long.json()['id']}", headers=service.auth("viewer")).json()["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    response = service.client.post("/v1/runs", headers={"Authorization": f"Bearer {made['token']}"}, json={"policy": policy()})
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert service.client.delete(f"/v1/tokens/{made['id']}", headers=service.auth("admin")).status_code == 204
    waiting = service.client.get(f"/v1/runs/{response.json()['id']}", headers=service.auth("viewer")).json()
    assert waiting["status"] == "queued", "the first run ended before the token was revoked"
    first = wait_for(service.client, service.auth("viewer"), long.json()["id"])
    assert first["status"] == "done"
    run = wait_for(service.client, service.auth("viewer"), response.json()["id"])
    assert run["status"] == "cancelled" and run["current"] is False and run["superseded"] is False
    assert made["id"] in run["error"] and "revoked" in run["error"]
    assert run["started_at"] is not None and run["kpis"] is None
    error_of(service.client.get(f"/v1/runs/{run['id']}/proposal", headers=service.auth("viewer")), 409)
    assert service.client.get(f"/v1/runs/{first['id']}", headers=service.auth("viewer")).json()["current"] is True
    match = proposal(service.client, service.auth("wbb"), first["id"])["matches"][0]
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "pin"}
    assert service.client.post(f"/v1/runs/{first['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    engine = make_engine(service.url)
    try:
        with make_sessionmaker(engine)() as session:
            assert session.query(RunPair).filter(RunPair.run_id == run["id"]).count() == 0
    finally:
        engine.dispose()


def test_a_run_left_waiting_by_a_token_revoked_meanwhile_is_cancelled_on_restart(database_url: str) -> None:
    """Runs stored as waiting when the service stopped: the one whose token was revoked while the
    service was down is cancelled when it starts again; the one of a valid token is solved."""
    tokens = make_tokens(database_url)
    snapshot = {"households": csv_rows("households.csv"), "units": csv_rows("units.csv"), "policy": policy()}
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            revoked, _ = create_token(session, "wbb", None, None, owner="M. Bakker")
            valid, _ = create_token(session, "wbb", None, None, owner="P. Pietersen")
            for token in (revoked, valid):
                session.add(Run(created_by=token.id, status="queued", stage="queued", progress=0.0, policy=policy(),
                                snapshot=snapshot))  # fmt: skip
            session.flush()
            revoke(session, [revoked])
    finally:
        engine.dispose()
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        cancelled, solved = wait_for(client, headers, 1), wait_for(client, headers, 2)
    assert (cancelled["status"], solved["status"]) == ("cancelled", "done")
    assert solved["current"] is True and "revoked" in cancelled["error"]


def test_a_run_whose_token_is_revoked_while_it_is_solved_is_not_stored(service: Service) -> None:
    """A run being solved by this process when its token is revoked: storing its result cancels
    it instead, in the same transaction, so it never becomes current."""
    import datetime as dt

    made = _made(service, "wbb", "M. Bakker")
    owner = service.client.app.state.owner  # type: ignore[attr-defined]
    engine = make_engine(service.url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            held = {"lease_owner": owner, "lease_expires_at": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), "attempts": 1}
            run = Run(
                created_by=made["id"], status="running", stage="solving", progress=0.5, policy=policy(), snapshot={}, **held
            )
            session.add(run)
            session.flush()
            run_id = run.id
            token = session.get(Token, made["id"])
            assert token is not None
            revoke(session, [token])
    finally:
        engine.dispose()
    stored: list[int] = []
    queue = service.client.app.state.queue  # type: ignore[attr-defined]
    assert queue._finish(run_id, lambda _session, row: stored.append(row.id)) is False
    assert stored == []
    shown = service.client.get(f"/v1/runs/{run_id}", headers=service.auth("viewer")).json()
    assert shown["status"] == "cancelled" and shown["current"] is False and made["id"] in shown["error"]
