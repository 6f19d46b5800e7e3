"""Request ids and JSON logs: every answer carries its request id, error bodies and audit
entries name it, and with MATCHER_LOG_FORMAT=json the real server writes only JSON lines
with known fields, one per request with the route template, and no value sent to it."""

from __future__ import annotations

import json
from typing import Any

from service_helpers import Service, csv_rows, error_of, load_example, make_tokens, policy, spawn, wait_for
from test_authorisation import MARKER, _marker_requests

LINE_FIELDS = {"time", "level", "logger", "message", "request_id", "method", "route", "status", "duration_ms", "exception"}


def test_every_answer_has_a_request_id_that_errors_and_audit_entries_repeat(service: Service) -> None:
    """Answers carry X-Request-ID; an error body names the same id; the audit entry written by
    a request holds the id of that request; a proxy's well-formed id is kept, a malformed
    one (spaces, too long) replaced."""
    ok = service.client.get("/healthz")
    assert len(ok.headers["x-request-id"]) == 32
    refused = service.client.get("/v1/households", headers={"Authorization": "Bearer nope"})
    assert error_of(refused, 401)["request_id"] == refused.headers["x-request-id"]
    assert service.client.get("/healthz").headers["x-request-id"] != ok.headers["x-request-id"]

    kept = service.client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21"})
    assert kept.headers["x-request-id"] == "lb-7f3a9c21"
    for bad in ("has spaces in it", "x" * 65, "short"):
        replaced = service.client.get("/healthz", headers={"X-Request-ID": bad})
        assert replaced.headers["x-request-id"] != bad and len(replaced.headers["x-request-id"]) == 32

    admin = service.auth("admin")
    imported = service.client.post("/v1/households/batch", headers={**admin, "X-Request-ID": "import-0001"}, json={"rows": []})
    assert imported.status_code == 200, imported.text
    entries = service.client.get("/v1/audit", headers=admin).json()["items"]
    assert [e["request_id"] for e in entries if e["action"].startswith("households.")] == ["import-0001"]


def test_json_logs_hold_known_fields_only_and_no_value_sent(database_url: str) -> None:
    """The real server with JSON logs, through a run and every kind of refused input (each
    holding a marker): every line is a JSON object with known fields; each request has one
    line with its route template and status; a refused request's id in the log is the one in
    its error body; neither the marker, nor a token, nor the raw path of an id appears. On
    SQLite the start says to run one process on the database."""
    tokens = make_tokens(database_url)
    running = spawn({"DATABASE_URL": database_url, "MATCHER_LOG_FORMAT": "json"})
    try:
        client = running.client
        roles = ("admin", "wbb", "officer", "viewer", "corporation")
        auth = {role: {"Authorization": f"Bearer {tokens[role]}"} for role in roles}
        load_example(client, auth["admin"])
        run = client.post("/v1/runs", headers=auth["wbb"], json={"policy": policy()}).json()
        wait_for(client, auth["wbb"], run["id"])  # type: ignore[arg-type]
        household = csv_rows("households.csv")[0]["household_id"]
        assert client.get(f"/v1/households/{household}", headers=auth["viewer"]).status_code == 200
        refused: list[str] = []
        for method, path, who, kwargs in _marker_requests():
            response = client.request(method, path, headers=auth[who], **kwargs)
            assert 400 <= response.status_code < 500, (path, response.status_code)
            refused.append(response.json()["error"]["request_id"])
    finally:
        running.stop()
    output = running.output()
    lines: list[dict[str, Any]] = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert lines and all(set(line) <= LINE_FIELDS for line in lines), [set(line) - LINE_FIELDS for line in lines]
    requests = [line for line in lines if line["logger"] == "api.access"]
    routes = {(line["method"], line["route"], line["status"]) for line in requests}
    assert ("GET", "/v1/households/{household_id}", 200) in routes and ("POST", "/v1/runs", 202) in routes
    logged_ids = {line["request_id"] for line in requests}
    assert set(refused) <= logged_ids
    assert any(line["message"].startswith(f"run {run['id']} started by") for line in lines)
    one_process = [line for line in lines if "run one service process on it" in line["message"]]
    assert len(one_process) == (1 if database_url.startswith("sqlite") else 0)  # SQLite says so at the start
    assert MARKER.lower() not in output.lower()
    assert household not in output
    for secret in tokens.values():
        assert secret not in output
