"""Privacy: no personal value or token in any log line at DEBUG, CORS closed, security headers
on pages and API, and retention that erases personal fields while the figures stay."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from service_helpers import ROOT, Service, csv_rows, load_example, move_in, policy, proposal, start_run, typed
from sqlalchemy import select

from api.db import make_engine
from api.models import Run

LOGGERS = ("", "api", "matcher", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "alembic", "httpx", "uvicorn", "fastapi")


class Capture(logging.Handler):
    """Keeps every record, rendered with its arguments and any traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append((record.name, text))


@pytest.fixture
def debug_log() -> Iterator[Capture]:
    """Every logger at DEBUG (SQL statements included), all records captured."""
    capture = Capture()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(capture)
    try:
        yield capture
    finally:
        logging.getLogger().removeHandler(capture)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _decide(service: Service, run_id: int, match: dict[str, Any], **extra: Any) -> None:
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], **extra}
    assert service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body).status_code == 201


def _house(service: Service, run_id: int, match: dict[str, Any], day: str) -> None:
    """Accept the pair and record the move on ``day``."""
    _decide(service, run_id, match, kind="accept", housed_on=day)
    move_in(service.client, service.auth("wbb"), match["household_id"], day)


def _permanent(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Matches into permanent homes: the households become housed (not housed_temporary)."""
    return [m for m in matches if m["terms"].get("temporary") == 0]


def test_full_flow_at_debug_logs_no_personal_value_or_token(service: Service, debug_log: Capture) -> None:
    """Import, reads, an edit, solve, a run, exports, decisions, a token, bad input and a bad
    token, with every logger at DEBUG: no vulnerability, no gender or age next to its field,
    no koppeling date of a row and no token secret (given or made) appears in any record."""
    admin, wbb = service.auth("admin"), service.auth("wbb")
    load_example(service.client, admin)
    households = csv_rows("households.csv")
    service.client.get("/v1/households?limit=1000", headers=admin)
    service.client.get("/v1/households/H-0002", headers=admin)
    assert service.client.patch("/v1/households/H-0002", headers=admin, json={"vulnerabilities": ["medical"]}).status_code == 200
    body = {"households": [typed(r) for r in households], "units": [typed(r) for r in csv_rows("units.csv")], "policy": policy()}
    assert service.client.post("/v1/solve", headers=service.auth("officer"), json=body).status_code == 200
    run = start_run(service.client, wbb)
    matches = proposal(service.client, wbb, run["id"])["matches"]
    service.client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=wbb)
    _decide(service, run["id"], matches[0], kind="accept", housed_on="2025-03-10")
    _decide(service, run["id"], matches[1], kind="decline", reason="household_refused")
    _decide(service, run["id"], matches[2], kind="pin")
    made = service.client.post("/v1/tokens", headers=admin, json={"role": "viewer", "owner": "T. Tester"}).json()["token"]
    service.client.get("/v1/dashboard", headers=service.auth("viewer"))
    service.client.post("/v1/households/batch", headers=admin, json={"rows": [typed(households[5]) | {"head_age": "oud"}]})
    service.client.get("/v1/me", headers={"Authorization": "Bearer wbb_tok-0000_not-a-real-secret"})

    assert any(name.startswith("sqlalchemy.engine") for name, _ in debug_log.lines), "SQL logging was not captured"
    assert any("run" in text for _, text in debug_log.lines)
    text = "\n".join(line for _, line in debug_log.lines)
    secrets = [*service.tokens.values(), made, "wbb_tok-0000_not-a-real-secret"]
    leaks = [s for s in secrets if s in text]
    for row in households:
        leaks += [v for v in filter(None, row["vulnerabilities"].split(";")) if re.search(rf"\b{re.escape(v)}\b", text)]
        leaks += [row["koppeling_date"]] if row["koppeling_date"] in text else []
    leaks += re.findall(r"(?:gender|head_age)\W{1,4}(?:[MFX]\b|\d)", text)
    leaks += ["oud"] if re.search(r"\boud\b", text) else []
    assert leaks == []


def test_cors_is_closed_by_default(service: Service) -> None:
    """A preflight and a request from another origin get no Access-Control-Allow-Origin header."""
    origin = {"Origin": "https://elders.example"}
    preflight = service.client.options(
        "/v1/households",
        headers=origin | {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    response = service.client.get("/v1/households", headers=origin | service.auth("viewer"))
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/", "/weekvoorstel", "/wat-als", "/v1/households", "/v1/nothing-here", "/healthz"])
def test_security_headers_on_pages_and_api(service: Service, path: str) -> None:
    """Pages and API answers (successes and errors) forbid sniffing and framing and send no referrer;
    API answers are not stored by caches and load nothing."""
    response = service.client.get(path, headers=service.auth("viewer"))
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    if path.startswith("/v1") or path == "/healthz":
        assert headers["cache-control"] == "no-store"
        assert headers["content-security-policy"].startswith("default-src 'none'")


def _retention(url: str, days: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "cli", "retention", "--older-than-days", str(days)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _figures(service: Service) -> dict[str, Any]:
    viewer = service.auth("viewer")
    return {
        "taakstelling": service.client.get("/v1/taakstelling", headers=viewer).json(),
        "housed": service.client.get("/v1/households?status=housed", headers=viewer).json()["total"],
        "waiting": service.client.get("/v1/households?status=waiting", headers=viewer).json()["total"],
        "decisions": service.client.get("/v1/decisions", headers=viewer).json(),
        "pool": service.client.get("/v1/dashboard?on=2025-06-01", headers=viewer).json()["pool"],
    }


def test_retention_erases_personal_fields_of_long_housed_households_only(service: Service) -> None:
    """`matcher retention --older-than-days 30`: a household housed in 2025 loses gender, age,
    vulnerabilities, wishes and reunification (in the pool and in stored run inputs); one housed
    today and the waiting ones keep theirs; a second call changes nothing."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    old, recent = _permanent(proposal(service.client, service.auth("wbb"), run["id"])["matches"])[:2]
    _house(service, run["id"], old, "2025-03-10")
    _house(service, run["id"], recent, dt.date.today().isoformat())
    staff = service.auth("officer")  # the role that sees vulnerabilities
    before = {
        m["household_id"]: service.client.get(f"/v1/households/{m['household_id']}", headers=staff).json() for m in (old, recent)
    }
    waiting_before = service.client.get("/v1/households?status=waiting&limit=1000", headers=staff).json()["items"]

    result = _retention(service.url, 30)
    assert result.returncode == 0, result.stderr
    assert "erased the personal fields of 1 households" in result.stdout

    erased = service.client.get(f"/v1/households/{old['household_id']}", headers=staff).json()
    assert (erased["gender"], erased["head_age"], erased["vulnerabilities"], erased["preferred_neighbourhoods"]) == (
        "",
        0,
        [],
        [],
    )
    assert erased["expected_reunification"] == 0
    kept = ("household_id", "municipality", "koppeling_date", "adults", "children", "status", "housed_on")
    assert {k: erased[k] for k in kept} == {k: before[old["household_id"]][k] for k in kept}
    recent_after = service.client.get(f"/v1/households/{recent['household_id']}", headers=staff).json()
    assert {k: v for k, v in recent_after.items() if k != "updated_at"} == {
        k: v for k, v in before[recent["household_id"]].items() if k != "updated_at"
    }
    waiting_after = service.client.get("/v1/households?status=waiting&limit=1000", headers=staff).json()["items"]
    assert waiting_after == waiting_before

    engine = make_engine(service.url)
    try:
        with engine.connect() as connection:
            snapshot = connection.scalar(select(Run.snapshot).where(Run.id == run["id"]))
    finally:
        engine.dispose()
    rows = {r["household_id"]: r for r in snapshot["households"]}
    assert rows[old["household_id"]]["gender"] == "" and rows[old["household_id"]]["vulnerabilities"] == []
    assert rows[recent["household_id"]]["gender"] == before[recent["household_id"]]["gender"]
    assert "erased the personal fields of 0 households" in _retention(service.url, 30).stdout


def test_retention_keeps_the_figures(service: Service) -> None:
    """Taakstelling (targets, realised, backlog), counts of housed and waiting households, the
    decisions and the pool figures are the same before and after retention."""
    load_example(service.client, service.auth("admin"))
    assert (
        service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": 40}).status_code
        == 200
    )
    run = start_run(service.client, service.auth("wbb"))
    for match, day in zip(
        _permanent(proposal(service.client, service.auth("wbb"), run["id"])["matches"])[:3],
        ("2025-03-10", "2025-04-01", "2025-05-02"),
        strict=True,
    ):
        _house(service, run["id"], match, day)
    before = _figures(service)
    assert before["taakstelling"]["municipalities"][0]["half_years"][0]["realised"] > 0
    result = _retention(service.url, 0)
    assert result.returncode == 0 and "of 3 households" in result.stdout, result.stdout + result.stderr
    assert _figures(service) == before
