"""Backup and restore, round trip, on SQLite and on PostgreSQL: `matcher backup` of a database
with a pool, runs, decisions, case events, targets, a scenario run and audit entries, taken
while the service runs; `matcher restore` into a fresh database. The restored copy holds
every row the same, `matcher audit verify` passes on it, a server started on it answers the
same pages, and a restore never lands on a database that is not empty unless told.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from service_helpers import (
    ROOT,
    ServerProcess,
    accept_body,
    load_example,
    make_tokens,
    move_in_match,
    proposal,
    spawn,
    start_run,
)
from sqlalchemy import MetaData, Table, create_engine, inspect, select

from api.settings import sqlalchemy_url

_names = itertools.count()
ON = "2025-06-30"


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `matcher ...` as a user would, with DATABASE_URL set."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind as ``database_url``: where the backup goes back."""
    if database_url.startswith("sqlite"):
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'matcher.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    name = f"restored_{os.getpid()}_{next(_names)}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order (nothing for a SQLite file not made yet)."""
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            found: dict[str, list[tuple[Any, ...]]] = {}
            for name in sorted(inspect(connection).get_table_names()):
                table = Table(name, metadata, autoload_with=connection)
                order = list(table.primary_key.columns) or list(table.columns)
                found[name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
            return found
    finally:
        engine.dispose()


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def fill(running: ServerProcess, tokens: dict[str, str]) -> None:
    """The weekly cycle once: pool, a run, accepts, a decline, a move, a target, a scenario run."""
    client, admin, wbb = running.client, _auth(tokens, "admin"), _auth(tokens, "wbb")
    load_example(client, admin)
    run = start_run(client, wbb)
    matches = proposal(client, wbb, run["id"])["matches"]
    for match in matches[:2]:
        assert (
            client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=accept_body(match, "2025-03-10")).status_code == 201
        )
    decline = {**accept_body(matches[2]), "kind": "decline", "reason": "household_refused"}
    assert client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=decline).status_code == 201
    move_in_match(client, wbb, matches[0], "2025-03-17")
    assert client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=wbb, json={"persons": 120}).status_code == 200
    body = {"scenario": {"name": "klein", "horizon_weeks": 4, "hindsight": False, "seed": 3}, "replicates": 1}
    scenario = client.post("/v1/scenarios", headers=_auth(tokens, "officer"), json=body).json()["id"]
    while client.get(f"/v1/scenarios/{scenario}", headers=wbb).json()["status"] not in ("done", "failed"):
        time.sleep(0.2)


def pages(running: ServerProcess, tokens: dict[str, str]) -> dict[str, Any]:
    """What the pages show: the Overzicht figures, the taakstelling, the runs, a proposal, a
    household's timeline, the decisions and the scenario runs."""
    client, wbb = running.client, _auth(tokens, "wbb")
    runs = client.get("/v1/runs", headers=wbb).json()
    first = runs["items"][-1]["id"]
    household = proposal(client, wbb, first)["matches"][0]["household_id"]
    paths = [
        f"/v1/dashboard?on={ON}",
        f"/v1/taakstelling?on={ON}",
        "/v1/runs",
        f"/v1/runs/{first}/proposal",
        f"/v1/households/{household}/timeline",
        "/v1/households?limit=200",
        "/v1/decisions",
        "/v1/scenarios",
    ]
    shown: dict[str, Any] = {}
    for path in paths:
        response = client.get(path, headers=wbb)
        assert response.status_code == 200, (path, response.text)
        shown[path] = response.json()
    return shown


def test_backup_while_serving_then_restore_gives_the_same_database(database_url: str, fresh_url: str, tmp_path: Path) -> None:
    """A backup taken while the service runs, restored into a fresh database: every table
    holds the same rows, `matcher audit verify` finds the same number of entries intact and
    none cut off against the service's last checkpoint, and a server started on the copy is
    ready and shows the same pages."""
    tokens = make_tokens(database_url)
    checkpoint = tmp_path / "audit.checkpoint"
    source = spawn({"DATABASE_URL": database_url, "MATCHER_AUDIT_CHECKPOINT": str(checkpoint)})
    try:
        fill(source, tokens)
        shown = pages(source, tokens)
        out = tmp_path / "backups" / "matcher.backup"
        made = cli(database_url, "backup", "--out", str(out))
        assert made.returncode == 0, made.stderr
        assert f"backup written to {out}" in made.stdout and out.stat().st_size > 0
    finally:
        source.stop()
    before = rows(database_url)
    assert before["audit_log"] and before["case_events"] and before["decisions"] and before["scenario_runs"]

    restored = cli(fresh_url, "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    after = rows(fresh_url)
    assert after == before
    verified = cli(fresh_url, "audit", "verify", "--checkpoint", str(checkpoint))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"audit log intact: {len(before['audit_log'])} entries")

    copy = spawn({"DATABASE_URL": fresh_url})
    try:
        assert copy.client.get("/readyz").status_code == 200
        assert pages(copy, tokens) == shown
    finally:
        copy.stop()


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(database_url: str, fresh_url: str, tmp_path: Path) -> None:
    """Restoring over a database with data is refused (exit 2, naming DATABASE_URL) and changes
    nothing; with --force the database afterwards holds exactly the backup, rows written
    there since gone."""
    tokens = make_tokens(database_url)
    with_data = spawn({"DATABASE_URL": database_url})
    try:
        load_example(with_data.client, _auth(tokens, "admin"))
    finally:
        with_data.stop()
    out = tmp_path / "pool.backup"
    assert cli(database_url, "backup", "--out", str(out)).returncode == 0
    backed_up = rows(database_url)

    make_tokens(fresh_url)  # another database with its own tokens and audit entries
    other = rows(fresh_url)
    refused = cli(fresh_url, "restore", str(out))
    assert refused.returncode == 2, refused.stdout
    assert "DATABASE_URL" in refused.stderr and "not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert rows(fresh_url) == other

    forced = cli(fresh_url, "restore", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert rows(fresh_url) == backed_up
    assert cli(fresh_url, "audit", "verify").returncode == 0


def test_a_file_that_is_not_a_backup_changes_nothing(database_url: str, fresh_url: str, tmp_path: Path) -> None:
    """A CSV given as backup, a truncated backup and a backup of the other kind of database are
    refused with exit 2 and a message naming the file; the empty database stays empty."""
    make_tokens(database_url)
    good = tmp_path / "good.backup"
    assert cli(database_url, "backup", "--out", str(good)).returncode == 0
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    other_kind = tmp_path / "other.backup"
    if database_url.startswith("sqlite"):
        other_kind.write_bytes(b"PGDMP" + bytes(200))
    else:
        sqlite_url = f"sqlite:///{tmp_path / 'other.db'}"
        make_tokens(sqlite_url)
        assert cli(sqlite_url, "backup", "--out", str(other_kind)).returncode == 0
    csv = ROOT / "examples" / "nijmegen-week" / "households.csv"
    for bad in (csv, truncated, other_kind):
        refused = cli(fresh_url, "restore", str(bad))
        assert refused.returncode == 2, (bad, refused.stdout)
        assert str(bad) in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
        assert not any(rows(fresh_url).values()), bad
