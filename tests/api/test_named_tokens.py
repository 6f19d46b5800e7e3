"""Tokens of named people: every token has an owner, who is the name on what is done with it
(decisions, case events, audit entries); tokens expire; `last_used` is written at most once a
minute; revoking a token revokes the tokens made with it, and a person can be revoked by name,
over the API and with the command line. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

from service_helpers import ROOT, Service, error_of, owner_of
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from api.db import make_engine, make_sessionmaker
from api.models import Token

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31, "adults": 1}


def _make(service: Service, who: str, role: str, owner: str, **extra: Any) -> dict[str, Any]:
    """A token made over the API with the token ``who``; returns the answer (with the secret)."""
    response = service.client.post("/v1/tokens", headers=service.auth(who), json={"role": role, "owner": owner, **extra})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _sql(url: str, statement: str, **params: Any) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def _token_row(url: str, token_id: str) -> Token:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            row = session.get(Token, token_id)
            assert row is not None
            session.expunge(row)
            return row
    finally:
        engine.dispose()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_token_is_made_for_a_named_person_and_expires(service: Service) -> None:
    """Without an owner, or with the reserved 'onbekend', no token is made (422 naming owner);
    a token is valid for 90 days unless `days` says otherwise (1 to 366), and /v1/me names its owner."""
    for body in ({"role": "viewer"}, {"role": "viewer", "owner": "onbekend"}, {"role": "viewer", "owner": " "}):
        error = error_of(service.client.post("/v1/tokens", headers=service.auth("admin"), json=body), 422)
        assert [p["column"] for p in error["problems"]] == ["owner"]
    for days in (0, 367):
        body = {"role": "viewer", "owner": "M. Bakker", "days": days}
        error = error_of(service.client.post("/v1/tokens", headers=service.auth("admin"), json=body), 422)
        assert [p["column"] for p in error["problems"]] == ["days"]
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    standard = _make(service, "admin", "wbb", "M. Bakker")
    short = _make(service, "admin", "viewer", "P. Pietersen", days=7)
    after = dt.datetime.now(dt.UTC)
    for made, days in ((standard, 90), (short, 7)):
        expires = dt.datetime.fromisoformat(made["expires_at"])
        assert before + dt.timedelta(days=days) <= expires <= after + dt.timedelta(days=days)
        assert made["last_used"] is None
    me = service.client.get("/v1/me", headers=_bearer(standard["token"])).json()
    assert (me["actor"], me["role"], me["token_id"]) == ("M. Bakker", "wbb", standard["id"])
    listed = {t["id"]: t for t in service.client.get("/v1/tokens", headers=service.auth("admin")).json()}
    assert listed[short["id"]]["owner"] == "P. Pietersen" and "token" not in listed[short["id"]]


def test_an_expired_token_is_refused_in_english_and_dutch(service: Service) -> None:
    """A token past its `expires_at` answers 401 with code token_expired and a message that says
    when it expired, in English and in Dutch ("3 maart 2025"), whatever the route."""
    made = _make(service, "admin", "wbb", "M. Bakker")
    assert service.client.get("/v1/runs", headers=_bearer(made["token"])).status_code == 200
    _sql(service.url, "UPDATE tokens SET expires_at = :at WHERE id = :id", at=dt.datetime(2025, 3, 3, 9, 0), id=made["id"])
    for method, path in (("GET", "/v1/runs"), ("GET", "/v1/me"), ("POST", "/v1/runs")):
        response = service.client.request(method, path, headers=_bearer(made["token"]), json={})
        error = error_of(response, 401)
        assert error["code"] == "token_expired"
        assert "expired on 2025-03-03" in error["message"] and "verlopen op 3 maart 2025" in error["message"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


def _updates_of_tokens(factory: sessionmaker[Session]) -> list[str]:
    """Collects every UPDATE statement on the tokens table that the app's engine sends."""
    statements: list[str] = []
    engine = factory.kw["bind"]

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TOKENS"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return statements


def test_last_used_is_written_at_most_once_a_minute(service: Service) -> None:
    """Twenty reads with one token write its `last_used` once; within a minute of it no read writes
    again; a minute later the next read does."""
    made = _make(service, "admin", "viewer", "K. Kijker")
    updates = _updates_of_tokens(service.client.app.state.sessions)  # type: ignore[attr-defined]
    for _ in range(20):
        assert service.client.get("/v1/runs", headers=_bearer(made["token"])).status_code == 200
    assert len(updates) == 1
    first = _token_row(service.url, made["id"]).last_used
    assert first is not None and dt.datetime.now(dt.UTC) - first < dt.timedelta(minutes=1)
    half_a_minute_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(seconds=30)
    _sql(service.url, "UPDATE tokens SET last_used = :at WHERE id = :id", at=half_a_minute_ago, id=made["id"])
    for _ in range(5):
        service.client.get("/v1/runs", headers=_bearer(made["token"]))
    assert len(updates) == 1
    _sql(
        service.url,
        "UPDATE tokens SET last_used = :at WHERE id = :id",
        at=half_a_minute_ago - dt.timedelta(seconds=31),
        id=made["id"],
    )
    service.client.get("/v1/runs", headers=_bearer(made["token"]))
    assert len(updates) == 2
    latest = _token_row(service.url, made["id"]).last_used
    assert latest is not None and dt.datetime.now(dt.UTC) - latest < dt.timedelta(seconds=30)


def test_revoking_a_token_revokes_the_tokens_made_with_it(service: Service) -> None:
    """A is made by the root admin, B (admin) with A, C (viewer) with B; D is made by the root
    admin too. Revoking A refuses A, B and C (401) and leaves D and the root admin working; the
    audit entry of the revocation lists all three."""
    a = _make(service, "admin", "admin", "A. Eerste")
    service.tokens["A"] = a["token"]
    b = _make(service, "A", "admin", "B. Tweede")
    service.tokens["B"] = b["token"]
    c = _make(service, "B", "viewer", "C. Derde")
    d = _make(service, "admin", "viewer", "D. Vierde")
    assert service.client.delete(f"/v1/tokens/{a['id']}", headers=service.auth("admin")).status_code == 204
    for made in (a, b, c):
        error_of(service.client.get("/v1/runs", headers=_bearer(made["token"])), 401)
    assert service.client.get("/v1/runs", headers=_bearer(d["token"])).status_code == 200
    assert service.client.get("/v1/runs", headers=service.auth("admin")).status_code == 200
    listed = {t["id"]: t for t in service.client.get("/v1/tokens", headers=service.auth("admin")).json()}
    assert [listed[m["id"]]["revoked"] for m in (a, b, c, d)] == [True, True, True, False]
    entry = service.client.get("/v1/audit?action=token.revoke", headers=service.auth("admin")).json()["items"][0]
    assert sorted(entry["object_ids"]) == sorted([a["id"], b["id"], c["id"]])
    assert entry["actor"] == owner_of("admin")


def test_revoking_a_person_revokes_their_tokens_and_what_they_made(service: Service) -> None:
    """Revoking the owner M. Bakker refuses both of her tokens and the token she made for someone
    else; P. Pietersen's token keeps working. An owner with no token is 404, and a scoped admin
    reaches only its own municipality's tokens of that owner."""
    admin = _make(service, "admin", "admin", "M. Bakker")
    service.tokens["bakker"] = admin["token"]
    viewer = _make(service, "admin", "viewer", "M. Bakker", municipality="Nijmegen")
    made_by_her = _make(service, "bakker", "wbb", "J. Jansen")
    other = _make(service, "admin", "wbb", "P. Pietersen")
    elsewhere = _make(service, "admin", "viewer", "M. Bakker", municipality="Arnhem")
    scoped = service.client.post("/v1/tokens/revoke", headers=service.auth("admin@Nijmegen"), json={"owner": "M. Bakker"})
    assert scoped.status_code == 200 and scoped.json()["revoked"] == [viewer["id"]]
    assert service.client.get("/v1/runs", headers=_bearer(admin["token"])).status_code == 200
    response = service.client.post("/v1/tokens/revoke", headers=service.auth("admin"), json={"owner": "M. Bakker"})
    assert response.status_code == 200
    assert sorted(response.json()["revoked"]) == sorted([admin["id"], made_by_her["id"], elsewhere["id"]])
    for made in (admin, viewer, made_by_her, elsewhere):
        error_of(service.client.get("/v1/runs", headers=_bearer(made["token"])), 401)
    assert service.client.get("/v1/runs", headers=_bearer(other["token"])).status_code == 200
    error_of(service.client.post("/v1/tokens/revoke", headers=service.auth("admin"), json={"owner": "Niemand Bekend"}), 404)
    error_of(
        service.client.post("/v1/tokens/revoke", headers=service.auth("admin@Nijmegen"), json={"owner": "P. Pietersen"}), 404
    )


def test_the_command_line_makes_and_revokes_tokens_of_named_people(service: Service) -> None:
    """`matcher token create` refuses a missing owner, the reserved 'onbekend' and days out of range
    (exit 2, naming the option); with --owner and --days it prints a token that works and expires
    that many days on. `matcher token revoke --owner` and `matcher token revoke ID` revoke (with the
    tokens made with them); an owner nobody has exits 1."""
    missing = _cli(service.url, "token", "create", "--role", "wbb")
    assert missing.returncode == 2 and "--owner" in missing.stderr
    for args, option in ((["--owner", "onbekend"], "--owner"), (["--owner", "M. Bakker", "--days", "0"], "--days")):
        refused = _cli(service.url, "token", "create", "--role", "wbb", *args)
        assert refused.returncode == 2 and option in refused.stderr and "Traceback" not in refused.stderr
    made = _cli(service.url, "token", "create", "--role", "admin", "--owner", "M. Bakker", "--days", "5")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    me = service.client.get("/v1/me", headers=_bearer(secret)).json()
    assert me["actor"] == "M. Bakker"
    row = _token_row(service.url, me["token_id"])
    assert dt.timedelta(days=4, hours=23) < row.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(days=5)
    service.tokens["bakker"] = secret
    child = _make(service, "bakker", "viewer", "J. Jansen")
    revoked = _cli(service.url, "token", "revoke", "--owner", "M. Bakker")
    assert revoked.returncode == 0, revoked.stderr
    assert me["token_id"] in revoked.stdout and child["id"] in revoked.stdout
    for token in (secret, child["token"]):
        error_of(service.client.get("/v1/runs", headers=_bearer(token)), 401)
    other = _make(service, "admin", "viewer", "P. Pietersen")
    assert _cli(service.url, "token", "revoke", other["id"]).returncode == 0
    error_of(service.client.get("/v1/runs", headers=_bearer(other["token"])), 401)
    assert _cli(service.url, "token", "revoke", "--owner", "Niemand Bekend").returncode == 1


def test_decisions_and_events_are_recorded_in_the_owners_name(service: Service) -> None:
    """A case event is stored with the token's owner as its actor (in the answer, the timeline
    and the audit log); a token without a known owner (as an upgrade leaves older tokens) may
    still read but neither decide nor record events (403 owner_unknown), and nothing is stored."""
    admin = service.auth("admin")
    rows = [PERSON | {"household_id": "H-1", "children": 0, "documents_complete": False}]
    assert service.client.post("/v1/households/batch", headers=admin, json={"rows": rows}).status_code == 200
    body = {"kind": "documents_expected", "date": "2025-02-01", "expected": "2025-03-01"}
    recorded = service.client.post("/v1/households/H-1/events", headers=service.auth("wbb"), json=body)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["actor"] == owner_of("wbb")
    items = service.client.get("/v1/households/H-1/timeline", headers=service.auth("viewer")).json()["items"]
    assert items[-1]["actor"] == owner_of("wbb")
    entry = service.client.get("/v1/audit?action=case.documents_expected", headers=admin).json()["items"][0]
    assert entry["actor"] == owner_of("wbb")

    unnamed = _make(service, "admin", "wbb", "Nog Onbekend")
    _sql(service.url, "UPDATE tokens SET owner = 'onbekend' WHERE id = :id", id=unnamed["id"])
    assert service.client.get("/v1/households", headers=_bearer(unnamed["token"])).status_code == 200
    body = {"kind": "documents_complete", "date": "2025-02-10"}
    error = error_of(service.client.post("/v1/households/H-1/events", headers=_bearer(unnamed["token"]), json=body), 403)
    assert error["code"] == "owner_unknown"
    pin = {"household_id": "H-1", "unit_id": "U-1", "kind": "pin"}
    error = error_of(service.client.post("/v1/runs/1/decisions", headers=_bearer(unnamed["token"]), json=pin), 403)
    assert error["code"] == "owner_unknown"
    household = service.client.get("/v1/households/H-1", headers=admin).json()
    assert household["documents_complete"] is False
