"""Reads of special-category data are audited with who, what and how many (one entry per
request, lists included); changes of the pool record before and after of each changed field,
personal fields by name only."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, csv_rows, load_example, proposal, start_run


def _log(service: Service) -> list[dict[str, Any]]:
    """Every audit entry, oldest first."""
    items: list[dict[str, Any]] = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).json()["items"]
    return list(reversed(items))


def _new(service: Service, before: int) -> list[dict[str, Any]]:
    return _log(service)[before:]


def test_a_household_list_with_needs_is_one_entry_with_its_count(service: Service) -> None:
    """An officer's list of all 150 households (it shows vulnerabilities) adds exactly one entry
    naming the token, the 150 ids and the count; a viewer's list (without them) adds none."""
    load_example(service.client, service.auth("admin"))
    before = len(_log(service))
    listed = service.client.get("/v1/households?limit=1000", headers=service.auth("officer")).json()
    assert listed["total"] == 150 and any(h["vulnerabilities"] for h in listed["items"])
    added = _new(service, before)
    assert [e["action"] for e in added] == ["households.list"]
    me = service.client.get("/v1/me", headers=service.auth("officer")).json()
    entry = added[0]
    assert entry["token_id"] == me["token_id"] and entry["actor"] == me["actor"]
    assert sorted(entry["object_ids"]) == sorted(h["household_id"] for h in listed["items"])
    assert entry["details"]["count"] == 150 and entry["details"]["special_category"] is True
    page = service.client.get("/v1/households?limit=10&offset=5", headers=service.auth("wbb")).json()
    entry = _new(service, before + 1)[0]
    assert entry["details"]["count"] == 10 and entry["object_ids"] == [h["household_id"] for h in page["items"]]
    assert entry["details"]["filters"]["offset"] == 5
    before = len(_log(service))
    assert service.client.get("/v1/households?limit=1000", headers=service.auth("viewer")).status_code == 200
    assert _new(service, before) == []


def test_single_reads_and_timelines_say_what_they_showed(service: Service) -> None:
    """A single household read by an officer is marked special-category, by a viewer not; a
    timeline read counts its items."""
    load_example(service.client, service.auth("admin"))
    before = len(_log(service))
    for who in ("officer", "viewer"):
        assert service.client.get("/v1/households/H-0001", headers=service.auth(who)).status_code == 200
    service.client.get("/v1/households/H-0001/timeline", headers=service.auth("viewer"))
    officer, viewer, timeline = _new(service, before)
    assert (officer["action"], officer["details"]) == ("household.read", {"count": 1, "special_category": True})
    assert viewer["details"] == {"count": 1, "special_category": False}
    assert timeline["action"] == "household.timeline.read" and timeline["details"]["count"] >= 1


def test_proposal_reads_and_exports_count_households(service: Service) -> None:
    """The proposal as JSON and Excel: one entry each with the run's households; special-category
    for the WBB, not for a viewer (whose copy is redacted)."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    before = len(_log(service))
    proposal(service.client, service.auth("wbb"), run["id"])
    service.client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=service.auth("viewer"))
    read, export = _new(service, before)
    assert read["action"] == "run.proposal.read" and read["details"] == {"count": 150, "special_category": True}
    assert export["action"] == "run.proposal.export" and export["details"] == {"count": 150, "special_category": False}


def test_the_overzicht_with_needs_is_audited_for_officers_only(service: Service) -> None:
    """After a run, an officer's Overzicht (mismatch by need, unsuppressed) adds one entry
    counting the need rows; a viewer's (suppressed) adds none."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    before = len(_log(service))
    dashboard = service.client.get("/v1/dashboard?on=2025-03-03", headers=service.auth("officer")).json()
    need_rows = [row for row in dashboard["current_run"]["mismatch"] if row["needs"]]
    assert need_rows
    service.client.get("/v1/dashboard?on=2025-03-03", headers=service.auth("viewer"))
    added = _new(service, before)
    assert [e["action"] for e in added] == ["dashboard.read"]
    assert added[0]["details"]["count"] == len(need_rows) and added[0]["object_ids"] == [str(run["id"])]


def test_an_update_records_before_and_after_without_personal_values(service: Service) -> None:
    """Changing a household's children and vulnerabilities records children's old and new value
    and only the name of vulnerabilities; a unit's corporation records both values."""
    load_example(service.client, service.auth("admin"))
    row = next(r for r in csv_rows("households.csv") if r["household_id"] == "H-0001")
    before = len(_log(service))
    changed = service.client.patch(
        "/v1/households/H-0001", headers=service.auth("admin"), json={"children": 5, "vulnerabilities": ["medical"]}
    )
    assert changed.status_code == 200, changed.text
    unit = service.client.get("/v1/units?limit=1", headers=service.auth("admin")).json()["items"][0]
    response = service.client.patch(f"/v1/units/{unit['unit_id']}", headers=service.auth("admin"), json={"corporation": "Talis"})
    assert response.status_code == 200
    household, unit_entry = _new(service, before)
    assert household["action"] == "household.update"
    assert household["details"] == {"changes": {"children": [int(row["children"]), 5]}, "personal": ["vulnerabilities"]}
    assert "medical" not in str(household)
    assert unit_entry["details"]["changes"] == {"corporation": [unit["corporation"] or None, "Talis"]}


def test_targets_and_settings_record_before_and_after(service: Service) -> None:
    """Setting a target twice records [null, 9] then [9, 12]; turning off counting family
    arrivals records [true, false]; a PUT that changes nothing records no change."""
    before = len(_log(service))
    for persons in (9, 12, 12):
        response = service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": persons})
        assert response.status_code == 200
    response = service.client.put(
        "/v1/municipalities/Nijmegen/settings", headers=service.auth("wbb"), json={"count_family_arrivals": False}
    )
    assert response.status_code == 200, response.text
    first, second, same, setting = _new(service, before)
    assert first["details"]["changes"] == {"persons": [None, 9]} and second["details"]["changes"] == {"persons": [9, 12]}
    assert same["details"]["changes"] == {}
    assert setting["action"] == "municipality.settings"
    assert setting["details"]["changes"] == {"count_family_arrivals": [True, False]}
