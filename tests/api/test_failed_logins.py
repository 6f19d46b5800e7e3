"""Failed logins are limited per client and counted, not written one by one: 200 wrong tokens
from one address over real HTTP run into 429 with Retry-After, another address with the right
token gets in, and the audit log grows by a few counted entries, not by 200. The limiter's
buckets and the counter are also checked on their own, with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from service_helpers import Service, error_of, make_tokens, spawn
from sqlalchemy import func, select

from api.db import make_engine, make_sessionmaker
from api.denials import DenialCounter
from api.models import AuditEntry
from api.ratelimit import FailureLimiter


def _entries(url: str) -> list[AuditEntry]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def _field(entry: AuditEntry, name: str) -> str:
    return next(str(i).split("=", 1)[1] for i in entry.object_ids if str(i).startswith(f"{name}="))


def _client_from(address: str, base_url: Any) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (any 127.x.y.z is this machine)."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_two_hundred_wrong_tokens_run_into_the_limit(database_url: str) -> None:
    """From 127.0.0.2, 200 requests with wrong tokens: the first 20 (the burst) get 401, the rest
    429 with a Retry-After of at most 10 s, and from then on even a right token from that address
    waits. From 127.0.0.3 the right token works and a request without a token is a plain 401.
    Nothing is written while this happens; when the service stops, the refusals are in the audit
    log as at most 6 counted entries whose counts add up to what the clients saw."""
    tokens = make_tokens(database_url)
    before = len(_entries(database_url))
    env = {"DATABASE_URL": database_url, "MATCHER_DENIAL_FLUSH_SECONDS": "3600"}
    running = spawn(env)
    try:
        guesser = _client_from("127.0.0.2", running.client.base_url)
        other = _client_from("127.0.0.3", running.client.base_url)
        statuses: list[int] = []
        for k in range(200):
            response = guesser.get("/v1/runs", headers={"Authorization": f"Bearer wbb_tok-{k:08x}_guess"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                wait = int(response.headers["Retry-After"])
                assert 1 <= wait <= 10 and error_of(response, 429)["code"] == "too_many_failed_logins"
        refused = statuses.count(401)
        assert 20 <= refused <= 22 and statuses[:20] == [401] * 20  # a slow machine may refill one or two
        assert statuses.count(429) == 200 - refused
        assert guesser.get("/v1/runs", headers={"Authorization": f"Bearer {tokens['wbb']}"}).status_code == 429
        assert other.get("/v1/runs", headers={"Authorization": f"Bearer {tokens['wbb']}"}).status_code == 200
        assert error_of(other.get("/v1/runs"), 401)["code"] == "unauthorized"
        assert len(_entries(database_url)) == before  # counted in memory, not one write per request
        guesser.close()
        other.close()
    finally:
        running.stop()
    added = _entries(database_url)[before:]
    assert 3 <= len(added) <= 6
    by_action: dict[tuple[str, str], int] = {}
    for entry in added:
        key = (entry.action, _field(entry, "client"))
        by_action[key] = by_action.get(key, 0) + int(_field(entry, "count"))
    assert by_action == {
        ("denied.401", "127.0.0.2"): refused,
        ("denied.429", "127.0.0.2"): 200 - refused + 1,
        ("denied.401", "127.0.0.3"): 1,
    }
    assert {e.object_ids[0] for e in added if e.action == "denied.401"} == {"unknown", "missing"}


def test_a_client_may_try_again_as_its_bucket_refills() -> None:
    """Burst 3, 6 a minute: three failures are allowed, then the client waits 10 s (less as time
    passes); after that one more is allowed; another client is untouched. With more clients than
    kept, full buckets are forgotten first: a client that failed lately keeps its count."""
    now = [0.0]
    limiter = FailureLimiter(burst=3, per_minute=6, max_clients=2, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("a") is None
        limiter.failed("a")
    assert limiter.retry_after("a") == 10 and limiter.retry_after("b") is None
    now[0] = 5.0
    assert limiter.retry_after("a") in (5, 6)
    now[0] = 11.0
    assert limiter.retry_after("a") is None
    limiter.failed("a")
    assert limiter.retry_after("a") in (9, 10)
    limiter.failed("b")
    now[0] = 100.0  # both buckets are full again
    limiter.failed("a")  # a: 2 left
    limiter.failed("c")  # a third client: b, full, is forgotten
    assert len(limiter) == 2
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.retry_after("a") is not None  # a kept its count (forgotten, it would have 1 left)
    assert limiter.retry_after("b") is None and limiter.retry_after("c") is None


def test_counts_are_bounded_and_written_once_their_minute_is_over(service: Service) -> None:
    """Refusals of a minute that is over are written at the next flush, one entry per kind, with
    the count; those of the current minute wait; beyond the cap, new kinds fall into one count
    for the client 'other'. An admin reads them in the audit listing."""
    counter = DenialCounter(max_keys=3)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    for _ in range(50):
        counter.add(401, "10.0.0.1", None, "unknown", at=earlier)
    counter.add(401, "10.0.0.1", "tok-old", "revoked", at=earlier)
    counter.add(403, "10.0.0.2", "tok-viewer", "POST /v1/runs")
    for k in range(5):  # beyond the cap of 3 kinds
        counter.add(401, f"10.9.9.{k}", None, "unknown", at=earlier)
    assert counter.pending() == 57
    sessions = service.client.app.state.sessions  # type: ignore[attr-defined]
    assert counter.flush(sessions) == 3  # the minute that is over: unknown, revoked, other
    assert counter.pending() == 1
    listed = service.client.get("/v1/audit?action=denied.401", headers=service.auth("admin")).json()["items"]
    found = {(e["object_ids"][0], _field_of(e, "client"), _field_of(e, "count"), e["token_id"]) for e in listed}
    assert found == {("unknown", "10.0.0.1", "50", None), ("revoked", "10.0.0.1", "1", "tok-old"), ("other", "other", "5", None)}
    assert counter.flush(sessions, everything=True) == 1 and counter.pending() == 0
    engine = make_engine(service.url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "denied.403")
            assert connection.scalar(query) == 1
    finally:
        engine.dispose()


def _field_of(entry: dict[str, Any], name: str) -> str:
    return next(i.split("=", 1)[1] for i in entry["object_ids"] if i.startswith(f"{name}="))
