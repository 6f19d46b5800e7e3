"""The keyed audit chain and its checkpoint: each way of tampering with the database directly
is found by `matcher audit verify`, with a message naming what and exit code 1.

Every test writes through the service (with a checkpoint file, as an operator would set
it), then changes the database with SQL, as someone with database access but without the
audit key could, and runs the command."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import Service, accept_body, event, load_example, make_tokens, owner_of, proposal, start_run
from sqlalchemy import select, text
from typer.testing import CliRunner

from api.app import create_app
from api.audit import GENESIS, chain_hash, entry_mac
from api.db import make_engine
from api.models import AuditEntry
from api.settings import Settings
from cli.main import app as cli


@dataclass
class Audited:
    """A service whose audit checkpoint is written to ``checkpoint``."""

    service: Service
    checkpoint: Path


@pytest.fixture
def audited(database_url: str, tmp_path: Path) -> Iterator[Audited]:
    checkpoint = tmp_path / "elsewhere" / "audit-checkpoint.json"
    tokens = make_tokens(database_url)
    settings = Settings(database_url=database_url, queue_max=4, audit_checkpoint=checkpoint)
    with TestClient(create_app(settings)) as client:
        yield Audited(Service(client=client, url=database_url, tokens=tokens), checkpoint)


def run_cli(url: str, *args: str, **env: str) -> Any:
    """`matcher` with DATABASE_URL set to ``url`` (and the test audit key of the environment)."""
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url, "MATCHER_AUDIT_CHECKPOINT": None, **env})


def verify(url: str, checkpoint: Path | None = None) -> Any:
    return run_cli(url, "audit", "verify", *(["--checkpoint", str(checkpoint)] if checkpoint else []))


def sql(url: str, statement: str, **params: Any) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def entries(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(AuditEntry).order_by(AuditEntry.id)))
    finally:
        engine.dispose()


def decide_and_move(service: Service) -> dict[str, Any]:
    """The example week imported, a run, one accepted pair and its move: returns the event."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    match = proposal(service.client, service.auth("wbb"), run["id"])["matches"][0]
    body = accept_body(match, "2025-03-10")
    created = service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body)
    assert created.status_code == 201, created.text
    moved = event(
        service.client, service.auth("wbb"), match["household_id"], "moved_in", "2025-03-10", temporary_until="2025-09-01"
    )
    assert moved.status_code == 201, moved.text
    recorded: dict[str, Any] = moved.json()
    return recorded


def test_an_untouched_log_verifies_against_its_checkpoint(audited: Audited, caplog: Any) -> None:
    """After imports, a run, a decision and an event, the checkpoint names the newest entry and
    the number of entries (in the file and in a log line), and verify with it exits 0,
    comparing the decision and the event."""
    import logging

    caplog.set_level(logging.INFO, logger="api.audit_checkpoint")
    decide_and_move(audited.service)
    rows = entries(audited.service.url)
    written = json.loads(audited.checkpoint.read_text(encoding="utf-8"))
    assert (written["entry_id"], written["entries"], written["head"]) == (rows[-1].id, len(rows), rows[-1].entry_hash)
    line = f"audit checkpoint: entry {rows[-1].id}, {len(rows)} entries, head {rows[-1].entry_hash}, mac {written['mac']}"
    assert line in caplog.text
    result = verify(audited.service.url, audited.checkpoint)
    assert result.exit_code == 0, result.output
    assert f"audit log intact: {len(rows)} entries" in result.stdout
    assert "2 decisions and events match their entries" in result.stdout
    assert "its end matches the checkpoint" in result.stdout


def test_a_changed_entry_is_found(audited: Audited) -> None:
    """One entry's ids changed in the database: exit 1 naming that entry, as changed."""
    decide_and_move(audited.service)
    target = entries(audited.service.url)[3].id
    sql(audited.service.url, "UPDATE audit_log SET object_ids = :ids WHERE id = :id", ids='["H-9999"]', id=target)
    result = verify(audited.service.url, audited.checkpoint)
    assert result.exit_code == 1
    assert f"audit log broken at entry {target}:" in result.stderr and "the entry was changed" in result.stderr


def test_a_changed_detail_is_found(audited: Audited) -> None:
    """A decision entry's details (covered by the MAC) changed: exit 1 naming the entry."""
    decide_and_move(audited.service)
    target = next(e for e in entries(audited.service.url) if e.action == "decision.accept")
    details = dict(target.details)
    details["decision"] = details["decision"] | {"decided_by": "someone else"}
    sql(audited.service.url, "UPDATE audit_log SET details = :d WHERE id = :id", d=json.dumps(details), id=target.id)
    result = verify(audited.service.url)
    assert result.exit_code == 1 and f"audit log broken at entry {target.id}:" in result.stderr


def test_a_removed_middle_entry_is_found(audited: Audited) -> None:
    """An entry deleted from the middle: exit 1 naming the entry after it."""
    decide_and_move(audited.service)
    rows = entries(audited.service.url)
    sql(audited.service.url, "DELETE FROM audit_log WHERE id = :id", id=rows[2].id)
    result = verify(audited.service.url, audited.checkpoint)
    assert result.exit_code == 1
    assert f"audit log broken at entry {rows[3].id}:" in result.stderr and "was removed" in result.stderr


def test_entries_cut_off_at_the_end_are_found_by_the_checkpoint(audited: Audited) -> None:
    """The last two entries deleted: the chain that is left still holds, so verify without a
    checkpoint cannot tell; with the checkpoint it exits 1 saying entries were removed from the end."""
    service = audited.service
    load_example(service.client, service.auth("admin"))
    for persons in (3, 4):
        assert (
            service.client.put(
                "/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": persons}
            ).status_code
            == 200
        )
    rows = entries(service.url)
    sql(service.url, "DELETE FROM audit_log WHERE id >= :id", id=rows[-2].id)
    assert verify(service.url).exit_code == 0
    result = verify(service.url, audited.checkpoint)
    assert result.exit_code == 1
    assert f"names entry {rows[-1].id} ({len(rows)} entries)" in result.stderr
    assert f"the log ends at entry {rows[-3].id}: entries were removed from the end" in result.stderr


def test_the_service_keeps_a_checkpoint_that_no_longer_fits(audited: Audited, caplog: Any) -> None:
    """After the end was cut off, the next change does not overwrite the checkpoint (it is the
    evidence): the service logs an error and verify still finds the removed entries."""
    import logging

    service = audited.service
    load_example(service.client, service.auth("admin"))
    rows = entries(service.url)
    before = audited.checkpoint.read_text(encoding="utf-8")
    sql(service.url, "DELETE FROM audit_log WHERE id = :id", id=rows[-1].id)
    caplog.set_level(logging.INFO)
    response = service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": 3})
    assert response.status_code == 200
    assert audited.checkpoint.read_text(encoding="utf-8") == before
    assert "not overwritten" in caplog.text and f"names entry {rows[-1].id}" in caplog.text
    result = verify(service.url, audited.checkpoint)
    assert result.exit_code == 1 and f"names entry {rows[-1].id}" in result.stderr


def _rechain(url: str, mac: Any, drop_keying: bool = False) -> None:
    """Recompute every entry's hash in id order with ``mac(prev, row)``, as someone rewriting the whole log would."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if drop_keying:
                connection.execute(text("DELETE FROM audit_log WHERE action = 'audit.keyed'"))
            previous = GENESIS
            for row in connection.execute(select(AuditEntry).order_by(AuditEntry.id)).all():
                new = mac(previous, row)
                connection.execute(
                    text("UPDATE audit_log SET prev_hash = :p, entry_hash = :h WHERE id = :id"),
                    {"p": previous, "h": new, "id": row.id},
                )
                previous = new
    finally:
        engine.dispose()


def _plain(previous: str, row: Any) -> str:
    return chain_hash(previous, row.at, row.token_id, row.action, row.object_type, row.object_ids)


@pytest.mark.parametrize("drop_keying", [False, True], ids=["keying entry kept", "keying entry removed"])
def test_a_log_recomputed_with_plain_sha256_is_found(audited: Audited, drop_keying: bool) -> None:
    """The whole chain recomputed with plain SHA-256 (with or without the keying entry): exit 1,
    without needing a checkpoint."""
    decide_and_move(audited.service)
    if drop_keying:
        sql(audited.service.url, "UPDATE audit_log SET details = NULL, actor = NULL")
    _rechain(audited.service.url, _plain, drop_keying)
    result = verify(audited.service.url)
    assert result.exit_code == 1
    if drop_keying:
        assert "holds no keying entry" in result.stderr
    else:
        keying = next(e for e in entries(audited.service.url) if e.action == "audit.keyed")
        assert f"broken at entry {keying.id}:" in result.stderr and "MAC does not match" in result.stderr


def test_a_log_recomputed_with_another_key_is_found(audited: Audited) -> None:
    """The whole chain recomputed with HMAC under a wrong key: exit 1 at the first keyed entry."""
    decide_and_move(audited.service)
    wrong = b"w" * 40

    def other(previous: str, row: Any) -> str:
        if row.details is None and row.action != "audit.keyed":
            return _plain(previous, row)
        return entry_mac(
            wrong, previous, row.at, row.token_id, row.action, row.object_type, row.object_ids, row.details, row.actor
        )

    _rechain(audited.service.url, other)
    keying = next(e for e in entries(audited.service.url) if e.action == "audit.keyed")
    result = verify(audited.service.url, audited.checkpoint)
    assert result.exit_code == 1
    assert f"broken at entry {keying.id}:" in result.stderr and "another one" in result.stderr


def test_a_reordered_entry_is_found(audited: Audited) -> None:
    """Two entries swapped (their ids exchanged): exit 1 at the first of them."""
    decide_and_move(audited.service)
    rows = entries(audited.service.url)
    first, second = rows[2].id, rows[3].id
    sql(audited.service.url, "UPDATE audit_log SET id = :spare WHERE id = :id", spare=10**6, id=first)
    sql(audited.service.url, "UPDATE audit_log SET id = :id WHERE id = :other", id=first, other=second)
    sql(audited.service.url, "UPDATE audit_log SET id = :other WHERE id = :spare", other=second, spare=10**6)
    result = verify(audited.service.url, audited.checkpoint)
    assert result.exit_code == 1 and f"broken at entry {first}:" in result.stderr


def test_a_decision_edited_in_the_database_is_found(audited: Audited) -> None:
    """A stored decision's reason, date and person changed directly: exit 1 naming the decision,
    its entry and each changed field with both values."""
    decide_and_move(audited.service)
    sql(audited.service.url, "UPDATE decisions SET decided_by = 'A. Ander', housed_on = :d", d=dt.date(2025, 4, 1))
    entry = next(e for e in entries(audited.service.url) if e.action == "decision.accept")
    decision_id = entry.object_ids[0]
    result = verify(audited.service.url)
    assert result.exit_code == 1
    assert f"decision {decision_id} does not match audit entry {entry.id}:" in result.stderr
    assert f"decided_by is 'A. Ander' in the database, '{owner_of('wbb')}' in the log" in result.stderr
    assert "housed_on is '2025-04-01' in the database, '2025-03-10' in the log" in result.stderr


def test_an_event_edited_in_the_database_is_found(audited: Audited) -> None:
    """A stored case event's date changed directly: exit 1 naming the event and the field."""
    moved = decide_and_move(audited.service)
    sql(audited.service.url, "UPDATE case_events SET date = :d WHERE id = :id", d=dt.date(2025, 2, 1), id=moved["id"])
    result = verify(audited.service.url)
    assert result.exit_code == 1
    assert f"event {moved['id']} does not match audit entry" in result.stderr and "date is '2025-02-01'" in result.stderr


def test_a_decision_added_or_removed_in_the_database_is_found(audited: Audited) -> None:
    """A decision inserted without an entry, and one deleted while its entry stays: each named."""
    decide_and_move(audited.service)
    sql(
        audited.service.url,
        "INSERT INTO decisions (run_id, household_id, unit_id, kind, municipality, unit_municipality, persons, "
        "created_at, created_by, decided_by) SELECT run_id, household_id, unit_id, 'pin', municipality, unit_municipality, "
        "persons, created_at, created_by, decided_by FROM decisions",
    )
    engine = make_engine(audited.service.url)
    with engine.connect() as connection:
        first, added = connection.execute(text("SELECT min(id), max(id) FROM decisions")).one()
    engine.dispose()
    result = verify(audited.service.url)
    assert result.exit_code == 1 and f"decision {added} has no audit entry" in result.stderr
    sql(audited.service.url, "DELETE FROM case_events")
    sql(audited.service.url, "DELETE FROM decisions")
    result = verify(audited.service.url)
    assert result.exit_code == 1 and f"decision {first} of audit entry" in result.stderr and "missing" in result.stderr


def test_a_changed_checkpoint_file_is_refused(audited: Audited) -> None:
    """A checkpoint whose entry id was lowered by hand (to hide a truncation): its signature fails, exit 1."""
    load_example(audited.service.client, audited.service.auth("admin"))
    written = json.loads(audited.checkpoint.read_text(encoding="utf-8"))
    audited.checkpoint.write_text(json.dumps(written | {"entry_id": written["entry_id"] - 1}), encoding="utf-8")
    result = verify(audited.service.url, audited.checkpoint)
    assert result.exit_code == 1 and "signature does not match" in result.stderr


def test_the_checkpoint_command_writes_only_for_an_intact_log(service: Service, tmp_path: Path) -> None:
    """`matcher audit checkpoint` writes a signed head that verify accepts; on a broken log it
    writes nothing and exits 1."""
    load_example(service.client, service.auth("admin"))
    path = tmp_path / "cp.json"
    result = run_cli(service.url, "audit", "checkpoint", "--out", str(path))
    assert result.exit_code == 0, result.output
    rows = entries(service.url)
    assert f"entry {rows[-1].id}, {len(rows)} entries" in result.stdout
    assert verify(service.url, path).exit_code == 0
    sql(service.url, "UPDATE audit_log SET action = 'x' WHERE id = :id", id=rows[-1].id)
    other = tmp_path / "other.json"
    result = run_cli(service.url, "audit", "checkpoint", "--out", str(other))
    assert result.exit_code == 1 and "no checkpoint written" in result.stderr and not other.exists()


def test_the_actor_of_an_entry_is_in_the_chain(database_url: str) -> None:
    """An entry written with the person acting keeps that name under the MAC: changing it in
    the database breaks the chain at that entry."""
    from api import audit
    from api.db import make_sessionmaker, session_scope

    make_tokens(database_url)
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            entry = audit.record(session, "tok-1", "target.set", "target", ["Nijmegen/2025-H1"], actor="M. Bakker")
            entry_id = entry.id
    finally:
        engine.dispose()
    assert verify(database_url).exit_code == 0
    sql(database_url, "UPDATE audit_log SET actor = 'A. Ander' WHERE id = :id", id=entry_id)
    result = verify(database_url)
    assert result.exit_code == 1 and f"broken at entry {entry_id}:" in result.stderr
