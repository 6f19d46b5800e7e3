"""The audit log: who, what, when and which ids, for every change; nothing personal; no way to change it."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, accept_body, csv_rows, error_of, load_example, proposal, start_run


def test_changes_are_audited_with_token_and_ids(service: Service) -> None:
    """Import, run and decision each leave an entry naming the token id, the action and the ids."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    match = proposal(service.client, service.auth("wbb"), run["id"])["matches"][0]
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "pin"}
    assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    entries = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).json()["items"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions[:4] == ["audit.keyed", "households.import", "units.import", "run.create"]
    entries = [e for e in entries if e["action"] != "audit.keyed"]
    assert "run.proposal.read" in actions and actions[-1] == "decision.pin"
    tokens = {e["token_id"] for e in entries}
    assert all(t is not None and t.startswith("tok-") for t in tokens)
    last = entries[0]
    assert last["object_type"] == "decision" and last["object_ids"][1:] == [match["household_id"], match["unit_id"]]
    imported = next(e for e in entries if e["action"] == "households.import")
    assert len(imported["object_ids"]) == 150


def test_audit_holds_no_personal_fields(service: Service) -> None:
    """No household field value other than the id (municipality, dates, vulnerabilities) appears in the log."""
    load_example(service.client, service.auth("admin"))
    text = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).text
    for row in csv_rows("households.csv")[:20]:
        assert row["koppeling_date"] not in text and "Nijmegen" not in text
        for vulnerability in filter(None, row["vulnerabilities"].split(";")):
            assert vulnerability not in text


def test_audit_cannot_be_changed_over_http(service: Service) -> None:
    """There is no route to change or delete entries: 405 for PUT, PATCH and DELETE."""
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        error_of(service.client.request(method, "/v1/audit", headers=service.auth("admin")), 405)


def test_filter_by_action(service: Service) -> None:
    """The log can be filtered by action."""
    load_example(service.client, service.auth("admin"))
    entries = service.client.get("/v1/audit?action=units.import", headers=service.auth("admin")).json()
    assert entries["total"] == 1 and entries["items"][0]["object_type"] == "unit"


def test_service_log_holds_no_personal_fields_or_tokens(service: Service, caplog: Any) -> None:
    """While importing, solving and deciding, the service's log never shows field values or a token."""
    import logging

    caplog.set_level(logging.DEBUG)
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    match = proposal(service.client, service.auth("wbb"), run["id"])["matches"][0]
    body = accept_body(match, "2025-03-10")
    assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    text = caplog.text
    assert "run" in text  # the log does say what happened
    for token in service.tokens.values():
        assert token not in text
    for row in csv_rows("households.csv"):
        assert row["koppeling_date"] not in text
        for vulnerability in filter(None, row["vulnerabilities"].split(";")):
            assert vulnerability not in text
