"""The audit key: the service refuses to start without one (except in development mode), reads
it from the environment or a file, and an existing plain log stays verifiable after keying."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import ROOT, audit_key, make_tokens
from sqlalchemy import select, text
from typer.testing import CliRunner

from api.app import create_app
from api.audit_key import DEVELOPMENT_KEY, AuditKeyError, load_key
from api.audit_verify import verify
from api.db import make_engine, make_sessionmaker, upgrade
from api.models import AuditEntry
from api.settings import Settings
from cli.main import app as cli

KEYLESS = {"MATCHER_AUDIT_KEY": None, "MATCHER_AUDIT_KEY_FILE": None, "MATCHER_DEVELOPMENT": None}


def test_the_app_refuses_to_start_without_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With neither MATCHER_AUDIT_KEY nor MATCHER_AUDIT_KEY_FILE, making the app fails with a
    message naming both settings."""
    monkeypatch.delenv("MATCHER_AUDIT_KEY", raising=False)
    with pytest.raises(AuditKeyError, match=r"MATCHER_AUDIT_KEY.*MATCHER_AUDIT_KEY_FILE"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"))


def test_matcher_serve_without_a_key_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """`matcher serve` without a key exits 2 with the message on stderr, before listening."""
    env = {k: v for k, v in os.environ.items() if k not in KEYLESS} | {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--port", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "No audit key: set MATCHER_AUDIT_KEY" in result.stderr and "Traceback" not in result.stderr


def test_command_line_tools_without_a_key_exit_2(tmp_path: Path) -> None:
    """`matcher token create`, `matcher audit verify` and `matcher retention` without a key: exit 2 naming the setting."""
    runner = CliRunner()
    env: dict[str, str | None] = {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", **KEYLESS}
    token_create = ["token", "create", "--role", "viewer", "--owner", "K. Kijker"]
    for args in (token_create, ["audit", "verify"], ["retention", "--older-than-days", "1"]):
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert "MATCHER_AUDIT_KEY" in result.stderr


def test_development_mode_starts_with_the_published_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """MATCHER_DEVELOPMENT=1 without a key: the service starts and keys the chain with the
    development key, and verify with that key finds the log intact."""
    test_key = audit_key()
    monkeypatch.delenv("MATCHER_AUDIT_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'm.db'}"
    settings = Settings(database_url=url, development=True)
    assert load_key(settings) == DEVELOPMENT_KEY
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            assert verify(session, DEVELOPMENT_KEY).intact
            assert not verify(session, test_key).intact
    finally:
        engine.dispose()


def test_the_key_comes_from_a_file(tmp_path: Path) -> None:
    """MATCHER_AUDIT_KEY_FILE names a file holding the key; a missing file, a short key, the
    development key, and both settings at once are each refused with a message saying which."""
    path = tmp_path / "audit.key"
    path.write_text("f" * 40 + "\n", encoding="utf-8")
    assert load_key(Settings(audit_key=None, audit_key_file=path)) == b"f" * 40
    cases: list[tuple[dict[str, Any], str]] = [
        ({"audit_key": None, "audit_key_file": tmp_path / "none.key"}, "cannot be read"),
        ({"audit_key": "short"}, "needs at least 32"),
        ({"audit_key": DEVELOPMENT_KEY.decode()}, "published development key"),
        ({"audit_key": "g" * 40, "audit_key_file": path}, "set one of them"),
    ]
    for fields, message in cases:
        with pytest.raises(AuditKeyError, match=message):
            load_key(Settings(**fields))


def _plain_log(url: str) -> None:
    """A database at revision 0006 (before the keying) with three chained plain entries."""
    from api.audit import GENESIS, chain_hash

    engine = make_engine(url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as connection:
            previous = GENESIS
            for day, action in enumerate(("households.import", "run.create", "decision.pin"), start=1):
                at = dt.datetime(2025, 1, day, 10, 0)
                entry_hash = chain_hash(previous, at, "tok-old", action, "x", ["H-1"])
                connection.execute(
                    text(
                        "INSERT INTO audit_log (at, token_id, action, object_type, object_ids, prev_hash, entry_hash) "
                        "VALUES (:at, 'tok-old', :action, 'x', '[\"H-1\"]', :prev, :hash)"
                    ),
                    {"at": at, "action": action, "prev": previous, "hash": entry_hash},
                )
                previous = entry_hash
    finally:
        engine.dispose()


def test_a_plain_log_stays_verifiable_and_is_sealed_by_the_keying(database_url: str) -> None:
    """Entries written before the keying keep their plain SHA-256 and verify after the upgrade
    (3 plain, then the keying entry); a plain entry changed afterwards, even with the plain
    hashes after it recomputed, breaks at the keying entry, whose MAC covers the last plain hash."""
    from api.audit import chain_hash

    _plain_log(database_url)
    make_tokens(database_url)  # upgrades to the newest revision, keyed with the test key
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            report = verify(session, audit_key())
            assert report.intact and (report.entries, report.plain) == (4, 3)
        with engine.begin() as connection:
            rows = connection.execute(select(AuditEntry).order_by(AuditEntry.id)).all()
            previous = rows[0].prev_hash
            for number, row in enumerate(rows[:3]):
                token = "tok-other" if number == 0 else row.token_id
                new = chain_hash(previous, row.at, token, row.action, row.object_type, row.object_ids)
                connection.execute(
                    text("UPDATE audit_log SET token_id = :t, prev_hash = :p, entry_hash = :h WHERE id = :id"),
                    {"t": token, "p": previous, "h": new, "id": row.id},
                )
                previous = new
        with make_sessionmaker(engine)() as session:
            report = verify(session, audit_key())
        assert report.chain is not None and report.chain.entry_id == rows[3].id and report.plain == 3
    finally:
        engine.dispose()


def test_verify_on_a_database_not_yet_keyed_says_so(database_url: str) -> None:
    """`matcher audit verify` on a database still at the schema before the keying: exit 2 with
    a message saying to upgrade it first, no traceback."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0006")
    finally:
        engine.dispose()
    result = CliRunner().invoke(cli, ["audit", "verify"], env={"DATABASE_URL": database_url, "MATCHER_AUDIT_CHECKPOINT": None})
    assert result.exit_code == 2, result.output
    assert "not keyed yet" in result.stderr and "Upgrade it first" in result.stderr
