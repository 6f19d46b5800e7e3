"""The day a household's family is expected (``expected_arrival_date``) in the service: imported,
changed by hand, recorded as a ``family_expected`` event, passed to the engine in every run,
kept when a list is imported again, and refused where it cannot be right. Every test runs on
SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from service_helpers import ROOT, Service, error_of, event, proposal, start_run

SINGLE = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "M", "head_age": 30, "adults": 1, "children": 0}
HOME = {
    "unit_id": "S-1",
    "municipality": "Nijmegen",
    "neighbourhood": "Hatert",
    "unit_type": "social",
    "bedrooms": 1,
    "max_occupants": 2,
    "rent": 500,
    "available_from": "2025-03-01",
}
# Families due within 8 weeks of the planning date are planned for (rule E5: a permanent home
# must fit the household with its family); later ones are not yet.
POLICY = {"planning_date": "2025-03-03", "reunification_horizon_weeks": 8}


def _import(service: Service, rows: list[dict[str, Any]], kind: str = "households") -> Any:
    return service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": rows})


def _household(service: Service, household_id: str) -> dict[str, Any]:
    found: dict[str, Any] = service.client.get(f"/v1/households/{household_id}", headers=service.auth("wbb")).json()
    return found


def _placed(service: Service, policy: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    run = start_run(service.client, service.auth("wbb"), {"policy": {**policy, "previous_pairs": []}})
    assert run["status"] == "done", run
    document = proposal(service.client, service.auth("wbb"), run["id"])
    return run, {m["household_id"] for m in document["matches"]}


def test_an_imported_date_reaches_the_engine_and_decides_what_is_planned(service: Service) -> None:
    """Two singles expecting three family members each, one due in 20 weeks and one in 2: the
    date is stored from the import and reaches the engine, which gives a home for two only to
    the household whose family comes later than the horizon (the other has no eligible unit)."""
    rows = [
        SINGLE | {"household_id": "H-late", "expected_reunification": 3, "expected_arrival_date": "2025-07-21"},
        SINGLE | {"household_id": "H-soon", "expected_reunification": 3, "expected_arrival_date": "2025-03-17"},
    ]
    assert _import(service, rows).status_code == 200
    assert _import(service, [HOME, HOME | {"unit_id": "S-2"}], "units").status_code == 200
    assert _household(service, "H-late")["expected_arrival_date"] == "2025-07-21"
    run, placed = _placed(service, POLICY)
    assert placed == {"H-late"}
    document = proposal(service.client, service.auth("wbb"), run["id"])
    unmatched = {u["household_id"]: u["reason"] for u in document["unmatched_households"]}
    assert unmatched == {"H-soon": "no_eligible_unit"}


def test_a_family_expected_event_sets_the_date_on_the_timeline_and_the_next_run_uses_it(service: Service) -> None:
    """Without a date a family counts as due (the engine plans for it, no home for two); the
    officer records that it comes in 20 weeks: the date is on the household and its timeline,
    the event is audited, and the next run places the household."""
    assert _import(service, [SINGLE | {"household_id": "H-1", "expected_reunification": 3}]).status_code == 200
    assert _import(service, [HOME], "units").status_code == 200
    assert _placed(service, POLICY)[1] == set()
    response = event(service.client, service.auth("wbb"), "H-1", "family_expected", "2025-02-20", expected="2025-07-21")
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert (recorded["expected"], recorded["state_after"], recorded["persons_counted"]) == ("2025-07-21", "waiting", 0)
    assert _household(service, "H-1")["expected_arrival_date"] == "2025-07-21"
    timeline = service.client.get("/v1/households/H-1/timeline", headers=service.auth("viewer")).json()
    assert [(i["kind"], i["details"].get("expected")) for i in timeline["items"]][-1] == ("family_expected", "2025-07-21")
    assert _placed(service, POLICY)[1] == {"H-1"}
    audit = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).json()["items"]
    assert "case.family_expected" in [entry["action"] for entry in audit]


def test_the_family_arriving_clears_the_date_and_a_reimport_keeps_what_events_set(service: Service) -> None:
    """A date recorded by an event survives a list imported again without it; when the last
    family members arrive the date is gone, and the list imported again does not bring it back."""
    row = SINGLE | {"household_id": "H-1", "expected_reunification": 2}
    assert _import(service, [row]).status_code == 200
    assert (
        event(service.client, service.auth("wbb"), "H-1", "family_expected", "2025-02-01", expected="2025-04-01").status_code
        == 201
    )
    assert _import(service, [row]).status_code == 200
    assert _household(service, "H-1")["expected_arrival_date"] == "2025-04-01"
    arrived = event(service.client, service.auth("wbb"), "H-1", "family_arrived", "2025-04-01", adults=1, children=1)
    assert arrived.status_code == 201, arrived.text
    assert _import(service, [row | {"expected_arrival_date": "2025-05-01"}]).status_code == 200
    household = _household(service, "H-1")
    assert (household["expected_arrival_date"], household["expected_reunification"], household["adults"]) == (None, 0, 2)


def test_a_date_can_be_changed_by_hand_while_waiting(service: Service) -> None:
    """An admin corrects the date of a waiting household (PATCH), checked as an import is."""
    assert _import(service, [SINGLE | {"household_id": "H-1", "expected_reunification": 1}]).status_code == 200
    response = service.client.patch(
        "/v1/households/H-1", headers=service.auth("admin"), json={"expected_arrival_date": "2025-06-02"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["expected_arrival_date"] == "2025-06-02"
    bad = service.client.patch("/v1/households/H-1", headers=service.auth("admin"), json={"expected_arrival_date": "2024-12-01"})
    assert "expected_arrival_date" in {p["column"] for p in error_of(bad, 422)["problems"]}


def test_bad_dates_are_refused_naming_row_and_column_and_nothing_is_stored(service: Service) -> None:
    """Before the koppeling, outside the window of plausible dates, or not a date: 422 naming the
    row and the column; ``current_unit_id`` cannot be imported (the service knows where a
    household lives from its moves). Nothing of the refused lists is stored."""
    for value, row in (("2024-12-01", 2), ("2999-01-01", 2), ("volgend jaar", 2)):
        response = _import(
            service, [SINGLE | {"household_id": "H-1", "expected_reunification": 1, "expected_arrival_date": value}]
        )
        problems = error_of(response, 422)["problems"]
        assert {(p["row"], p["column"]) for p in problems} == {(row, "expected_arrival_date")}, (value, problems)
    error = error_of(_import(service, [SINGLE | {"household_id": "H-1", "current_unit_id": "F-1"}]), 422)
    assert {p["column"] for p in error["problems"]} == {"current_unit_id"}
    assert service.client.get("/v1/households", headers=service.auth("wbb")).json()["total"] == 0


def test_family_expected_refuses_what_cannot_be_right(service: Service) -> None:
    """No date, a date before the day it is recorded or outside the window, no family
    expected: 422 naming ``expected``; a household that left: 409 naming the state."""
    rows = [SINGLE | {"household_id": "H-1", "expected_reunification": 2}, SINGLE | {"household_id": "H-2"}]
    assert _import(service, rows).status_code == 200
    for household, fields in (
        ("H-1", {}),
        ("H-1", {"expected": "2025-01-31"}),
        ("H-1", {"expected": "2999-01-01"}),
        ("H-2", {"expected": "2025-06-01"}),
    ):
        response = event(service.client, service.auth("wbb"), household, "family_expected", "2025-02-01", **fields)
        assert "expected" in {p["column"] for p in error_of(response, 422)["problems"]}, (household, fields)
    assert event(service.client, service.auth("wbb"), "H-1", "left", "2025-02-02", reason="moved_away").status_code == 201
    error = error_of(
        event(service.client, service.auth("wbb"), "H-1", "family_expected", "2025-02-03", expected="2025-06-01"), 409
    )
    assert error["code"] == "household_left" and "left" in error["message"]
    assert _household(service, "H-1")["expected_arrival_date"] is None


def test_retention_erases_the_date_with_the_other_personal_fields(service: Service) -> None:
    """`matcher retention`: a household housed long ago loses the day its family was expected,
    with its other personal fields; a waiting household keeps it."""
    rows = [
        SINGLE | {"household_id": f"H-{i}", "expected_reunification": 1, "expected_arrival_date": "2025-09-01"} for i in (1, 2)
    ]
    assert _import(service, rows).status_code == 200
    assert _import(service, [HOME], "units").status_code == 200
    run, placed = _placed(service, {"planning_date": "2025-03-03"})
    [housed] = placed
    body = {"household_id": housed, "unit_id": "S-1", "kind": "accept"}
    assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    assert event(service.client, service.auth("wbb"), housed, "moved_in", "2025-03-10").status_code == 201
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": service.url}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "retention", "--older-than-days", "30"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    waiting = ({"H-1", "H-2"} - {housed}).pop()
    assert _household(service, housed)["expected_arrival_date"] is None
    assert _household(service, waiting)["expected_arrival_date"] == "2025-09-01"
