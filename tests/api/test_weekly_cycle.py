"""The weekly cycle end to end as a coordinator runs it: the README's two commands
(`matcher token create`, `matcher serve`) and plain HTTP, against the default SQLite file
in the working folder, and against PostgreSQL by setting DATABASE_URL only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import openpyxl
from service_helpers import EXAMPLE, server


def _token(env: dict[str, str], cwd: Path, role: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "token", "create", "--role", role, "--owner", f"{role.capitalize()} Test"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _run(client: httpx.Client, headers: dict[str, str], policy: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/runs", headers=headers, json={"policy": policy})
    assert response.status_code == 202, response.text
    for _ in range(600):
        run: dict[str, Any] = client.get(response.headers["location"], headers=headers).json()
        if run["status"] in ("done", "failed"):
            assert run["status"] == "done", run
            return run
        time.sleep(0.1)
    raise AssertionError("run did not finish")


def test_weekly_cycle_over_http(database_url: str, tmp_path: Path) -> None:
    """Import, run, workbook, accept/decline/pin, the move, run again, taakstelling: every step over HTTP."""
    env = {} if database_url.startswith("sqlite") else {"DATABASE_URL": database_url}
    admin = {"Authorization": f"Bearer {_token(env, tmp_path, 'admin')}"}
    wbb = {"Authorization": f"Bearer {_token(env, tmp_path, 'wbb')}"}
    policy = {"planning_date": "2025-03-03", "neighbourhood_caps": {"Hatert": 2}}
    with server(env, cwd=tmp_path) as client:
        for kind in ("households", "units"):
            path = EXAMPLE / f"{kind}.csv"
            assert (
                client.post(f"/v1/{kind}/import", headers=admin, files={"file": (path.name, path.read_bytes())}).status_code
                == 200
            )
        first = _run(client, wbb, policy)
        workbook = client.get(f"/v1/runs/{first['id']}/proposal.xlsx", headers=wbb)
        assert workbook.status_code == 200
        sheets = openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
        assert (sheets[0], sheets[1], sheets[-1]) == ("Voorblad", "Voorstel", "Besluiten")
        matches = client.get(f"/v1/runs/{first['id']}/proposal", headers=wbb).json()["matches"]
        decisions = [
            (matches[0], {"kind": "accept", "housed_on": "2025-03-10"}),
            (matches[1], {"kind": "decline", "reason": "household_refused"}),
            (matches[2], {"kind": "pin"}),
        ]
        for match, extra in decisions:
            body = {"household_id": match["household_id"], "unit_id": match["unit_id"], **extra}
            assert client.post(f"/v1/runs/{first['id']}/decisions", headers=wbb, json=body).status_code == 201
        moved = {"kind": "moved_in", "date": "2025-03-10"}
        if matches[0]["terms"].get("temporary"):
            moved["temporary_until"] = "2025-09-10"
        assert client.post(f"/v1/households/{matches[0]['household_id']}/events", headers=wbb, json=moved).status_code == 201
        second = _run(client, wbb, policy)
        found = {
            (m["household_id"], m["unit_id"])
            for m in client.get(f"/v1/runs/{second['id']}/proposal", headers=wbb).json()["matches"]
        }
        assert (matches[2]["household_id"], matches[2]["unit_id"]) in found
        assert (matches[1]["household_id"], matches[1]["unit_id"]) not in found
        assert matches[0]["household_id"] not in {h for h, _ in found}
        assert client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=wbb, json={"persons": 40}).status_code == 200
        [report] = client.get("/v1/taakstelling", headers=wbb).json()["municipalities"]
        assert report["half_years"][0]["realised"] == matches[0]["persons"]
    assert (tmp_path / "matcher.db").exists() == database_url.startswith("sqlite")
