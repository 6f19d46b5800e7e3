"""The real server: `matcher serve` in its own process, real HTTP; data survives a restart."""

from __future__ import annotations

import time

from service_helpers import EXAMPLE, accept_body, make_tokens, policy, server


def test_data_survives_a_restart(database_url: str) -> None:
    """Pool, run, proposal and decision written through one server process are read back
    through a second one started on the same database."""
    tokens = make_tokens(database_url)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    with server({"DATABASE_URL": database_url}) as client:
        for kind in ("households", "units"):
            path = EXAMPLE / f"{kind}.csv"
            response = client.post(f"/v1/{kind}/import", headers=admin, files={"file": (path.name, path.read_bytes())})
            assert response.status_code == 200, response.text
        run_id = client.post("/v1/runs", headers=admin, json={"policy": policy()}).json()["id"]
        for _ in range(600):
            run = client.get(f"/v1/runs/{run_id}", headers=admin).json()
            if run["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert run["status"] == "done"
        before = client.get(f"/v1/runs/{run_id}/proposal", headers=admin).text
        match = client.get(f"/v1/runs/{run_id}/proposal", headers=admin).json()["matches"][0]
        body = accept_body(match, "2025-03-10")
        assert client.post(f"/v1/runs/{run_id}/decisions", headers=admin, json=body).status_code == 201
    with server({"DATABASE_URL": database_url}) as client:
        assert client.get("/v1/households", headers=admin).json()["total"] == 150
        assert client.get("/v1/units", headers=admin).json()["total"] == 40
        assert client.get(f"/v1/runs/{run_id}/proposal", headers=admin).text == before
        household = client.get(f"/v1/households/{match['household_id']}", headers=admin).json()
        assert household["status"] == "offered" and household["offered_unit_id"] == match["unit_id"]
        decisions = client.get("/v1/decisions", headers=admin).json()
        assert [d["kind"] for d in decisions["items"]] == ["accept"]


def test_runs_left_waiting_are_solved_after_a_restart(database_url: str) -> None:
    """A run stored as queued or running when the service stopped is solved when it starts again."""
    from fastapi.testclient import TestClient
    from service_helpers import csv_rows, wait_for

    from api.app import create_app
    from api.db import make_engine, make_sessionmaker, session_scope
    from api.models import Run
    from api.settings import Settings

    tokens = make_tokens(database_url)
    snapshot = {"households": csv_rows("households.csv"), "units": csv_rows("units.csv"), "policy": policy()}
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        for status in ("queued", "running"):
            session.add(Run(created_by="test", status=status, stage=status, progress=0.5, policy=policy(), snapshot=snapshot))
    engine.dispose()
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        for run_id in (1, 2):
            run = wait_for(client, headers, run_id)
            assert run["status"] == "done" and run["kpis"]["placed_households"] > 0
