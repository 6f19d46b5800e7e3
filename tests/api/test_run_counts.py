"""A run's household and unit counts: stored beside the snapshot, filled in for runs stored
before migration 0014, and read by the list of runs without its snapshot or proposal."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_helpers import Service, load_example, make_tokens, start_run
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.app import create_app
from api.db import make_engine, upgrade
from api.settings import Settings

# Runs stored before the upgrade: more than one batch of the migration (it reads 20 at a time).
STORED = 45


def _snapshot(number: int) -> dict[str, Any]:
    """A stored snapshot whose sizes differ from run to run; every seventh one has no units key
    and every eleventh is empty, as snapshots of failed or early runs may be."""
    if number % 11 == 0:
        return {}
    snapshot: dict[str, Any] = {"households": [{"household_id": f"H-{number}-{i}"} for i in range(number)]}
    if number % 7:
        snapshot["units"] = [{"unit_id": f"U-{number}-{i}"} for i in range(number % 5 + 1)]
    return snapshot


def _counts_from(snapshot: dict[str, Any]) -> tuple[int, int]:
    """How the list counted before the counts were stored: the lengths of the snapshot's lists."""
    return len(snapshot.get("households", [])), len(snapshot.get("units", []))


def _listed(client: TestClient, headers: dict[str, str]) -> dict[int, tuple[int, int]]:
    """Every run the token sees in the list (all pages), with its households and units."""
    found: dict[int, tuple[int, int]] = {}
    while True:
        page = client.get("/v1/runs", headers=headers, params={"limit": 20, "offset": len(found)}).json()
        found |= {item["id"]: (item["households"], item["units"]) for item in page["items"]}
        if not page["items"] or len(found) >= page["total"]:
            return found


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL every engine sends while the block runs (the app's own engine included)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_upgrade_counts_the_runs_stored_before(database_url: str) -> None:
    """Runs stored at revision 0013 (some with run pairs referring to them, so the upgrade must
    not copy the table) are listed after the upgrade with the counts the list used to read
    from their snapshots, across several of the migration's batches."""
    engine = make_engine(database_url)
    runs = sa.table(
        "runs",
        *(sa.column(name) for name in ("id", "created_by", "strategy", "status", "stage", "progress")),
        sa.column("created_at", sa.DateTime()),
        sa.column("policy", sa.JSON()),
        sa.column("snapshot", sa.JSON()),
    )
    pairs = sa.table("run_pairs", *(sa.column(name) for name in ("run_id", "household_id", "unit_id", "persons", "fixed")))
    snapshots = {number: _snapshot(number) for number in range(1, STORED + 1)}
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            for number, snapshot in snapshots.items():
                row = {"id": number, "created_by": "tok-old", "strategy": "optimise", "status": "done", "stage": "done"}
                connection.execute(
                    sa.insert(runs).values(**row, progress=1.0, created_at=sa.func.now(), policy={}, snapshot=snapshot)
                )
            connection.execute(sa.insert(pairs).values(run_id=1, household_id="H-1-0", unit_id="U-1-0", persons=1, fixed=False))
        upgrade(engine)
    finally:
        engine.dispose()
    tokens = make_tokens(database_url)
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        listed = _listed(client, {"Authorization": f"Bearer {tokens['viewer']}"})
    assert listed == {number: _counts_from(snapshot) for number, snapshot in snapshots.items()}
    assert len(set(listed.values())) > 10  # the counts differ from run to run, not one default


def test_a_new_run_stores_the_counts_of_its_snapshot(service: Service) -> None:
    """A run made by the service stores its snapshot's sizes, and the list and the run's own
    status give those numbers (for a run over all municipalities and a scoped one)."""
    load_example(service.client, service.auth("admin"))
    made = [start_run(service.client, service.auth(who))["id"] for who in ("wbb", "wbb@Nijmegen")]
    engine = make_engine(service.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, snapshot, households_count, units_count FROM runs")).all()
    finally:
        engine.dispose()
    stored: dict[int, tuple[int, int]] = {}
    for run_id, snapshot, households, units in rows:
        document = snapshot if isinstance(snapshot, dict) else json.loads(snapshot)
        assert (households, units) == _counts_from(document)
        stored[run_id] = (households, units)
    assert sorted(stored) == sorted(made) and all(h > 0 and u > 0 for h, u in stored.values())
    assert _listed(service.client, service.auth("viewer")) == stored
    for run_id, counts in stored.items():
        run = service.client.get(f"/v1/runs/{run_id}", headers=service.auth("viewer")).json()
        assert (run["households"], run["units"]) == counts


def test_the_list_reads_neither_snapshot_nor_proposal(service: Service) -> None:
    """Listing runs, and reading one run's status, select runs without their two large columns
    (the input snapshot and the proposal text) and read the counts from their own columns."""
    load_example(service.client, service.auth("admin"))
    run_id = start_run(service.client, service.auth("wbb"))["id"]
    start_run(service.client, service.auth("wbb"))
    for path in ("/v1/runs", f"/v1/runs/{run_id}"):
        with _statements() as sent:
            assert service.client.get(path, headers=service.auth("viewer")).status_code == 200
        rows = [s for s in sent if s.lstrip().upper().startswith("SELECT") and "runs.status" in s]
        assert rows, f"{path}: no query read the runs"
        large = [s for s in rows if "runs.snapshot" in s or "runs.proposal_json" in s]
        assert large == [], f"{path} read a large column: {large}"
        assert any("runs.households_count" in s and "runs.units_count" in s for s in rows)


def test_a_proposal_and_its_workbook_leave_the_snapshot_unread(service: Service) -> None:
    """Reading a run's proposal (JSON and Excel) selects the proposal but not the run's input
    snapshot, of which they need only the counts; the workbook's front sheet still shows them."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    for suffix in ("proposal", "proposal.xlsx"):
        with _statements() as sent:
            response = service.client.get(f"/v1/runs/{run['id']}/{suffix}", headers=service.auth("wbb"))
        assert response.status_code == 200
        assert any("runs.proposal_json" in s for s in sent), f"{suffix}: the proposal was not read"
        assert not [s for s in sent if "runs.snapshot" in s], f"{suffix} read the snapshot"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    front = {row[0]: row[1] for row in book["Voorblad"].iter_rows(min_row=3, values_only=True) if row[0]}
    pool = (front["Huishoudens in de invoer"], front["Woningen in de invoer"])
    assert pool == (run["households"], run["units"]) and min(pool) > 0
