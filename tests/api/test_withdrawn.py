"""Units withdrawn from the offer: an available unit, an offered one (the household back where it
was, on its timeline), a shared place with a resident, and what is refused (a home someone
lives in, a unit withdrawn already, an accept on a withdrawn unit, bad fields, another
municipality's unit). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, error_of, event, proposal, start_run

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31, "adults": 1, "children": 0}
UNIT = {"municipality": "Nijmegen", "neighbourhood": "Hatert", "bedrooms": 1, "max_occupants": 2, "rent": 500}
SOCIAL = UNIT | {"unit_type": "social", "available_from": "2025-03-01"}
FLEX = UNIT | {"unit_type": "flex", "stay_limit_weeks": 26, "available_from": "2025-03-01"}


def _pool(service: Service, households: list[dict[str, Any]], units: list[dict[str, Any]]) -> None:
    for kind, rows in (("households", households), ("units", units)):
        response = service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": rows})
        assert response.status_code == 200, response.text


def _withdraw(service: Service, unit_id: str, date: str = "2025-03-05", who: str = "wbb", **fields: Any) -> Any:
    body = {"kind": "withdrawn", "date": date, "reason": "back_to_market", "by": "corporation"} | fields
    return service.client.post(f"/v1/units/{unit_id}/events", headers=service.auth(who), json=body)


def _run(service: Service, planning_date: str) -> tuple[int, dict[str, str]]:
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": planning_date}})
    assert run["status"] == "done", run
    document = proposal(service.client, service.auth("wbb"), run["id"])
    return run["id"], {m["household_id"]: m["unit_id"] for m in document["matches"]}


def _accept(service: Service, run_id: int, household_id: str, unit_id: str) -> Any:
    body = {"household_id": household_id, "unit_id": unit_id, "kind": "accept"}
    return service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body)


def _get(service: Service, kind: str, row_id: str) -> dict[str, Any]:
    found: dict[str, Any] = service.client.get(f"/v1/{kind}/{row_id}", headers=service.auth("wbb")).json()
    return found


def test_an_available_unit_withdrawn_is_out_of_every_later_run_and_stays_withdrawn(service: Service) -> None:
    """The corporation withdraws an available home: 201, the unit is withdrawn, its events list
    the withdrawal, the audit log has it, the next run does not offer it, and importing the
    list again leaves it withdrawn."""
    _pool(service, [PERSON | {"household_id": "H-1"}], [SOCIAL | {"unit_id": "S-1"}])
    response = _withdraw(service, "S-1")
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert (recorded["kind"], recorded["by"], recorded["households"], recorded["status_before"]) == (
        "withdrawn", "corporation", [], "available"
    )  # fmt: skip
    assert _get(service, "units", "S-1")["status"] == "withdrawn"
    listed = service.client.get("/v1/units/S-1/events", headers=service.auth("viewer")).json()["items"]
    assert [(e["kind"], e["date"], e["reason"]) for e in listed] == [("withdrawn", "2025-03-05", "back_to_market")]
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": "2025-03-10"}})
    assert (run["households"], run["units"]) == (1, 0)
    again = service.client.post("/v1/units/batch", headers=service.auth("admin"), json={"rows": [SOCIAL | {"unit_id": "S-1"}]})
    assert again.json()["kept"] == 1 and _get(service, "units", "S-1")["status"] == "withdrawn"
    audit = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).json()["items"]
    assert any(e["action"] == "unit.withdrawn" and "S-1" in e["object_ids"] for e in audit)


def test_an_offered_unit_withdrawn_sends_the_household_back_to_waiting_on_its_timeline(service: Service) -> None:
    """The WBB accepted a pair; the corporation withdraws the home: the household waits again
    (the next run has it), the timeline shows ``unit_withdrawn`` with the state after it, and
    the pair is not held against the household as a refusal."""
    _pool(
        service,
        [PERSON | {"household_id": "H-1"}],
        [SOCIAL | {"unit_id": "S-1"}, SOCIAL | {"unit_id": "S-2", "neighbourhood": "Lent"}],
    )
    run_id, pairs = _run(service, "2025-03-03")
    unit = pairs["H-1"]
    assert _accept(service, run_id, "H-1", unit).status_code == 201
    response = _withdraw(service, unit, reason="unit_unsuitable", by="wbb")
    assert response.status_code == 201, response.text
    assert (response.json()["households"], response.json()["status_before"]) == (["H-1"], "offered")
    household = _get(service, "households", "H-1")
    assert (household["status"], household["offered_unit_id"]) == ("waiting", None)
    assert _get(service, "units", unit)["status"] == "withdrawn"
    timeline = service.client.get("/v1/households/H-1/timeline", headers=service.auth("viewer")).json()["items"]
    last = timeline[-1]
    assert (last["kind"], last["unit_id"], last["reason"], last["state_after"]) == (
        "unit_withdrawn",
        unit,
        "unit_unsuitable",
        "waiting",
    )
    assert last["details"]["state_before"] == "offered"
    run_id, pairs = _run(service, "2025-03-10")
    assert set(pairs) == {"H-1"} and pairs["H-1"] != unit
    run = service.client.get(f"/v1/runs/{run_id}", headers=service.auth("wbb")).json()
    assert ["H-1", unit] not in run["policy"].get("excluded_pairs", [])


def test_a_move_on_household_whose_new_home_is_withdrawn_stays_in_its_place(service: Service) -> None:
    """A household in a flexwoning is offered a permanent home; the home is withdrawn: it is
    housed_temporary in its flexwoning again."""
    _pool(service, [PERSON | {"household_id": "H-1"}], [FLEX | {"unit_id": "F-1"}])
    run_id, _ = _run(service, "2025-03-03")
    assert _accept(service, run_id, "H-1", "F-1").status_code == 201
    assert event(service.client, service.auth("wbb"), "H-1", "moved_in", "2025-03-05").status_code == 201
    _pool(service, [], [SOCIAL | {"unit_id": "S-1", "available_from": "2025-08-01"}])
    run_id, pairs = _run(service, "2025-08-04")
    assert pairs == {"H-1": "S-1"}
    assert _accept(service, run_id, "H-1", "S-1").status_code == 201
    assert _withdraw(service, "S-1", date="2025-08-06").status_code == 201
    household = _get(service, "households", "H-1")
    assert (household["status"], household["current_unit_id"], household["offered_unit_id"]) == ("housed_temporary", "F-1", None)


def test_a_shared_place_withdrawn_keeps_its_resident_and_releases_its_offer(service: Service) -> None:
    """A shared place of three beds: one person lives there, one is offered a bed. Withdrawn: the
    offered household waits again, the resident stays, no bed is offered any more; when the
    resident leaves, the place stays withdrawn."""
    shared = UNIT | {"unit_id": "G-1", "unit_type": "transit", "shared": True, "beds": 3, "max_occupants": 3,
                     "stay_limit_weeks": 26, "available_from": "2025-03-01", "gender": "F"}  # fmt: skip
    _pool(service, [PERSON | {"household_id": "H-1"}], [shared])
    run_id, _ = _run(service, "2025-03-03")
    assert _accept(service, run_id, "H-1", "G-1").status_code == 201
    assert event(service.client, service.auth("wbb"), "H-1", "moved_in", "2025-03-05").status_code == 201
    _pool(service, [PERSON | {"household_id": "H-2"}], [])
    run_id, pairs = _run(service, "2025-03-10")
    assert pairs == {"H-2": "G-1"}
    assert _accept(service, run_id, "H-2", "G-1").status_code == 201
    response = _withdraw(service, "G-1", date="2025-03-11")
    assert response.status_code == 201, response.text
    assert response.json()["households"] == ["H-2"]
    unit = _get(service, "units", "G-1")
    assert (unit["status"], unit["beds_taken"], unit["beds_held"]) == ("withdrawn", 1, 0)
    assert (_get(service, "households", "H-1")["status"], _get(service, "households", "H-2")["status"]) == (
        "housed_temporary",
        "waiting",
    )
    assert _run(service, "2025-03-17")[1] == {}
    assert event(service.client, service.auth("wbb"), "H-1", "left", "2025-04-01", reason="own_housing").status_code == 201
    unit = _get(service, "units", "G-1")
    assert (unit["status"], unit["beds_taken"]) == ("withdrawn", 0)


def test_what_cannot_be_withdrawn_is_refused_and_changes_nothing(service: Service) -> None:
    """A home someone lives in: 409 ``unit_let``; withdrawn twice: 409 ``unit_withdrawn``; an
    accept of a pair whose unit was withdrawn after the run: 409 ``unit_withdrawn``; bad fields
    and a date outside the window: 422 naming the field; another municipality's unit: 404;
    a viewer: 403."""
    _pool(service, [PERSON | {"household_id": f"H-{i}"} for i in (1, 2)], [SOCIAL | {"unit_id": f"S-{i}"} for i in (1, 2)])
    run_id, pairs = _run(service, "2025-03-03")
    assert set(pairs) == {"H-1", "H-2"}
    assert _accept(service, run_id, "H-1", pairs["H-1"]).status_code == 201
    assert event(service.client, service.auth("wbb"), "H-1", "moved_in", "2025-03-05").status_code == 201
    error = error_of(_withdraw(service, pairs["H-1"]), 409)
    assert error["code"] == "unit_let" and "let" in error["message"]
    assert _get(service, "units", pairs["H-1"])["status"] == "let"
    assert _withdraw(service, pairs["H-2"]).status_code == 201
    assert error_of(_withdraw(service, pairs["H-2"]), 409)["code"] == "unit_withdrawn"
    error = error_of(_accept(service, run_id, "H-2", pairs["H-2"]), 409)
    assert error["code"] == "unit_withdrawn", error
    assert _get(service, "households", "H-2")["status"] == "waiting"
    for fields, column in (
        ({"reason": "sold"}, "reason"),
        ({"by": "coa"}, "by"),
        ({"date": "2999-01-01"}, "date"),
        ({"kind": "let"}, "kind"),
    ):
        problems = error_of(_withdraw(service, pairs["H-1"], **fields), 422)["problems"]
        assert column in {p["column"] for p in problems}, (fields, problems)
    _pool(service, [], [SOCIAL | {"unit_id": "W-1", "municipality": "Wijchen", "neighbourhood": "Wijchen-Centrum"}])
    wijchen = service.client.post(
        "/v1/units/W-1/events",
        headers=service.auth("wbb@Nijmegen"),
        json={"kind": "withdrawn", "date": "2025-03-05", "reason": "other", "by": "wbb"},
    )
    error_of(wijchen, 404)
    error_of(_withdraw(service, "W-1", who="viewer"), 403)
    assert _get(service, "units", "W-1")["status"] == "available"
