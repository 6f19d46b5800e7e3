"""An audit log you can trust: hash-chained so tampering is found by `matcher audit verify`,
exactly one entry per change or refused change, decisions with a named person, a reason for
every deviation from the proposal, and the override rate."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from service_helpers import ROOT, Service, audit_key, error_of, load_example, owner_of, proposal, start_run
from sqlalchemy import func, select, text

from api.db import make_engine
from api.models import AuditEntry


def _verify(url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "cli", "audit", "verify"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _sql(url: str, statement: str, **params: Any) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def _entries(url: str) -> list[tuple[int, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [
                (int(i), str(a)) for i, a in connection.execute(select(AuditEntry.id, AuditEntry.action).order_by(AuditEntry.id))
            ]
    finally:
        engine.dispose()


def _count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    finally:
        engine.dispose()


def _some_changes(service: Service) -> None:
    load_example(service.client, service.auth("admin"))
    assert (
        service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": 9}).status_code
        == 200
    )
    assert service.client.delete("/v1/households/H-0001", headers=service.auth("admin")).status_code == 204


def test_verify_passes_on_an_untouched_log(service: Service) -> None:
    """After imports, a target and a delete, `matcher audit verify` exits 0 and counts every entry."""
    _some_changes(service)
    result = _verify(service.url)
    assert result.returncode == 0, result.stderr
    assert f"audit log intact: {_count(service.url)} entries" in result.stdout


def test_verify_names_an_entry_changed_in_the_database(service: Service) -> None:
    """Changing one entry's ids directly in the database: verify exits 1 and names that entry."""
    _some_changes(service)
    target = _entries(service.url)[2][0]
    _sql(service.url, "UPDATE audit_log SET object_ids = :ids WHERE id = :id", ids='["H-9999"]', id=target)
    result = _verify(service.url)
    assert result.returncode == 1
    assert f"broken at entry {target}:" in result.stderr and "was changed" in result.stderr


def test_verify_names_the_entry_after_a_removed_one(service: Service) -> None:
    """Deleting an entry in the middle: verify exits 1 and names the entry that followed it."""
    _some_changes(service)
    entries = _entries(service.url)
    _sql(service.url, "DELETE FROM audit_log WHERE id = :id", id=entries[1][0])
    result = _verify(service.url)
    assert result.returncode == 1
    assert f"broken at entry {entries[2][0]}:" in result.stderr


def test_verify_finds_a_changed_action_even_with_its_hash_recomputed_alone(service: Service) -> None:
    """Rewriting an entry and its own MAC consistently (even with the key) still breaks the link to the next entry."""
    from api.audit import entry_mac

    _some_changes(service)
    engine = make_engine(service.url)
    try:
        with engine.begin() as connection:
            row = connection.execute(select(AuditEntry).order_by(AuditEntry.id).offset(2).limit(1)).one()
            forged = entry_mac(
                audit_key(),
                row.prev_hash,
                row.at,
                row.token_id,
                "units.read",
                row.object_type,
                row.object_ids,
                row.details,
                row.actor,
            )
            connection.execute(
                text("UPDATE audit_log SET action = 'units.read', entry_hash = :h WHERE id = :id"), {"h": forged, "id": row.id}
            )
            following = connection.scalar(select(AuditEntry.id).where(AuditEntry.id > row.id).order_by(AuditEntry.id).limit(1))
    finally:
        engine.dispose()
    result = _verify(service.url)
    assert result.returncode == 1 and f"broken at entry {following}:" in result.stderr


@pytest.fixture
def decided_run(service: Service) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The example week imported and one finished run with its proposed matches."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    return run, proposal(service.client, service.auth("wbb"), run["id"])["matches"]


def _writes(run_id: int, matches: list[dict[str, Any]]) -> list[tuple[str, str, str, Any, int]]:
    """(method, path, token, JSON body, expected status) of successful changes, one per write endpoint."""
    h, u = matches[0]["household_id"], matches[0]["unit_id"]
    return [
        ("POST", "/v1/households/batch", "admin", {"rows": []}, 200),
        ("PATCH", f"/v1/households/{matches[1]['household_id']}", "admin", {"children": 0}, 200),
        ("DELETE", f"/v1/households/{matches[2]['household_id']}", "admin", None, 204),
        ("POST", "/v1/units/batch", "admin", {"rows": []}, 200),
        ("PATCH", f"/v1/units/{matches[3]['unit_id']}", "admin", {"corporation": "Talis"}, 200),
        ("DELETE", f"/v1/units/{matches[4]['unit_id']}", "admin", None, 204),
        (
            "POST",
            f"/v1/runs/{run_id}/decisions",
            "wbb",
            {"household_id": h, "unit_id": u, "kind": "pin"},
            201,
        ),
        ("PUT", "/v1/taakstelling/Nijmegen/2025-H1", "wbb", {"persons": 5}, 200),
        ("POST", "/v1/tokens", "admin", {"role": "viewer", "owner": "T. Tester"}, 201),
        ("POST", "/v1/solve", "officer", {"households": [], "units": []}, 200),
        ("POST", "/v1/runs", "wbb", {"policy": {"planning_date": "2025-03-03"}}, 202),
    ]


def test_every_change_leaves_exactly_one_entry(service: Service, decided_run: Any) -> None:
    """Each successful write (pool, runs, decisions, targets, tokens, solve) adds exactly one entry."""
    run, matches = decided_run
    for method, path, who, body, status in _writes(run["id"], matches):
        before = _count(service.url)
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        response = service.client.request(method, path, headers=service.auth(who), **kwargs)
        assert response.status_code == status, (path, response.text)
        assert _count(service.url) == before + 1, (method, path)


REFUSED: list[tuple[str, str, str, Any, int]] = [
    ("POST", "/v1/households/batch", "wbb", {"rows": []}, 403),
    ("PATCH", "/v1/households/H-0001", "viewer", {}, 403),
    ("PATCH", "/v1/households/H-none", "admin", {}, 404),
    ("DELETE", "/v1/households/H-none", "admin", None, 404),
    ("POST", "/v1/units/batch", "officer", {"rows": []}, 403),
    ("DELETE", "/v1/units/U-none", "admin@Nijmegen", None, 404),
    ("POST", "/v1/runs", "officer", {}, 403),
    ("POST", "/v1/runs/999/decisions", "wbb", {"household_id": "H", "unit_id": "U", "kind": "pin"}, 404),
    ("PUT", "/v1/taakstelling/Arnhem/2025-H1", "wbb@Nijmegen", {"persons": 1}, 404),
    ("POST", "/v1/tokens", "admin@Nijmegen", {"role": "viewer", "municipality": "Arnhem", "owner": "T. Tester"}, 403),
    ("DELETE", "/v1/tokens/tok-none", "admin", None, 404),
    ("POST", "/v1/solve", "viewer", {"households": [], "units": []}, 403),
    ("POST", "/v1/scenarios", "viewer", {"scenario": {"horizon_weeks": 1}}, 403),
]


def _flush(service: Service) -> None:
    """Write the counted refusals now, as the service does when it stops."""
    state = service.client.app.state  # type: ignore[attr-defined]
    state.denials.flush(state.sessions, everything=True)


@pytest.mark.parametrize(("method", "path", "who", "body", "status"), REFUSED, ids=[f"{m} {p} {w}" for m, p, w, _, _ in REFUSED])
def test_every_refused_change_leaves_exactly_one_entry(
    service: Service, method: str, path: str, who: str, body: Any, status: int
) -> None:
    """A write refused with 404 adds exactly one `denied.404` entry at once; one refused with 403 is
    counted instead (no write during the request) and becomes one `denied.403` entry with count 1
    when the counts are written. Either names the token and the route."""
    before = _entries(service.url)
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    error_of(service.client.request(method, path, headers=service.auth(who), **kwargs), status)
    after = _entries(service.url)
    assert len(after) == len(before) + (1 if status == 404 else 0)
    if status == 403:
        _flush(service)
        assert len(_entries(service.url)) == len(before) + 1
    entry = service.client.get("/v1/audit?limit=1", headers=service.auth("admin")).json()["items"][0]
    assert entry["action"] == f"denied.{status}" and entry["object_ids"][0].startswith(f"{method} /v1/")
    if status == 403:
        assert "count=1" in entry["object_ids"]
    me = service.client.get("/v1/me", headers=service.auth(who)).json()
    assert entry["token_id"] == me["token_id"] and entry["actor"] == me["actor"]


def test_a_hundred_refused_calls_cost_one_entry(service: Service) -> None:
    """A viewer sending 100 writes it may not make (403) adds no entry while it does so, and one
    `denied.403` entry with count=100 when the counts are written: the log cannot be flooded."""
    before = len(_entries(service.url))
    for _ in range(100):
        error_of(service.client.post("/v1/runs", headers=service.auth("viewer"), json={}), 403)
    assert len(_entries(service.url)) == before
    _flush(service)
    entries = service.client.get("/v1/audit?action=denied.403", headers=service.auth("admin")).json()["items"]
    assert len(_entries(service.url)) - before == len(entries) <= 2  # one per minute: two if a minute ended meanwhile
    assert sum(int(next(i for i in e["object_ids"] if i.startswith("count="))[6:]) for e in entries) == 100
    assert {e["object_ids"][0] for e in entries} == {"POST /v1/runs"}


def test_a_decision_is_taken_in_the_name_of_the_tokens_owner(service: Service, decided_run: Any) -> None:
    """`decided_by` cannot be sent (422 naming it, nothing stored), whichever name it holds; the
    decision is stored in the name of the token's owner, shown in the decision list and as the
    actor of its audit entry."""
    run, matches = decided_run
    base = {"household_id": matches[0]["household_id"], "unit_id": matches[0]["unit_id"], "kind": "pin"}
    url = f"/v1/runs/{run['id']}/decisions"
    me = service.client.get("/v1/me", headers=service.auth("wbb")).json()
    for name in ("M. Bakker", me["actor"], "   "):
        problems = error_of(service.client.post(url, headers=service.auth("wbb"), json=base | {"decided_by": name}), 422)
        assert [p["column"] for p in problems["problems"]] == ["decided_by"]
    assert service.client.get("/v1/decisions", headers=service.auth("viewer")).json()["total"] == 0
    created = service.client.post(url, headers=service.auth("wbb"), json=base)
    assert created.status_code == 201 and created.json()["decided_by"] == me["actor"] == owner_of("wbb")
    listed = service.client.get("/v1/decisions", headers=service.auth("viewer")).json()["items"][0]
    assert listed["decided_by"] == owner_of("wbb") and listed["created_by"] == me["token_id"]
    entry = service.client.get("/v1/audit?action=decision.pin", headers=service.auth("admin")).json()["items"][0]
    assert (entry["token_id"], entry["actor"]) == (me["token_id"], owner_of("wbb"))


def test_a_deviation_needs_a_reason(service: Service, decided_run: Any) -> None:
    """A decline (the meeting deviates from the proposal) without a reason is 422 and stores nothing."""
    run, matches = decided_run
    body = {"household_id": matches[0]["household_id"], "unit_id": matches[0]["unit_id"], "kind": "decline"}
    error = error_of(service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body), 422)
    assert error["problems"][0]["column"] == "reason"
    assert service.client.get("/v1/decisions", headers=service.auth("viewer")).json()["total"] == 0


def test_override_rate_counts_declines_among_decisions(service: Service, decided_run: Any) -> None:
    """One accept, one pin and two declines: 2 of 4 decisions deviate, per reason; nothing decided gives null."""
    empty = service.client.get("/v1/audit/override-rate", headers=service.auth("viewer")).json()
    assert empty == {"decisions": 0, "deviations": 0, "override_rate": None, "by_reason": {}}
    run, matches = decided_run
    extras = [
        {"kind": "accept"},
        {"kind": "pin"},
        {"kind": "decline", "reason": "household_refused"},
        {"kind": "decline", "reason": "unit_unsuitable"},
    ]
    for match, extra in zip(matches, extras, strict=False):
        body = {"household_id": match["household_id"], "unit_id": match["unit_id"], **extra}
        assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    rate = service.client.get("/v1/audit/override-rate", headers=service.auth("viewer")).json()
    assert rate == {
        "decisions": 4,
        "deviations": 2,
        "override_rate": 0.5,
        "by_reason": {"household_refused": 1, "unit_unsuitable": 1},
    }


def test_simultaneous_changes_keep_one_unbroken_chain(service: Service) -> None:
    """Forty changes sent from eight threads at once: forty new entries, and the chain verifies
    (writers never both append after the same entry)."""
    from concurrent.futures import ThreadPoolExecutor

    from api.audit_verify import verify
    from api.db import make_sessionmaker

    before = _count(service.url)

    def change(k: int) -> int:
        half_year = f"{2000 + k // 2}-H{k % 2 + 1}"
        return service.client.put(
            f"/v1/taakstelling/Nijmegen/{half_year}", headers=service.auth("wbb"), json={"persons": k}
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(change, range(40)))
    assert statuses == [200] * 40
    engine = make_engine(service.url)
    try:
        with make_sessionmaker(engine)() as session:
            report = verify(session, audit_key())
    finally:
        engine.dispose()
    assert report.intact and report.entries == before + 40
