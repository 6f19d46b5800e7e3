"""Cases over HTTP: one household walked through every path of the event table, the other
ways out (left), refused events naming the state, bad fields, two people recording the same
move at once, a re-import after events, the timeline, and the worklists of the dashboard.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from service_helpers import Service, error_of, event, owner_of, proposal, start_run

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31}
UNIT = {"municipality": "Nijmegen", "neighbourhood": "Hatert", "bedrooms": 2, "max_occupants": 4, "rent": 600}


def _pool(service: Service, households: list[dict[str, Any]], units: list[dict[str, Any]]) -> None:
    admin = service.auth("admin")
    response = service.client.post("/v1/households/batch", headers=admin, json={"rows": households})
    assert response.status_code == 200, response.text
    response = service.client.post("/v1/units/batch", headers=admin, json={"rows": units})
    assert response.status_code == 200, response.text


def _household(service: Service, household_id: str) -> dict[str, Any]:
    response = service.client.get(f"/v1/households/{household_id}", headers=service.auth("wbb"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _unit(service: Service, unit_id: str) -> dict[str, Any]:
    found: dict[str, Any] = service.client.get(f"/v1/units/{unit_id}", headers=service.auth("wbb")).json()
    return found


def _run(service: Service, planning_date: str) -> tuple[int, dict[str, str]]:
    """A run on the planning date; returns its id and its pairs as household -> unit."""
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": planning_date}})
    assert run["status"] == "done", run
    document = proposal(service.client, service.auth("wbb"), run["id"])
    return run["id"], {m["household_id"]: m["unit_id"] for m in document["matches"]}


def _accept(service: Service, run_id: int, household_id: str, unit_id: str) -> None:
    body = {"household_id": household_id, "unit_id": unit_id, "kind": "accept"}
    response = service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body)
    assert response.status_code == 201, response.text


def _event(service: Service, household_id: str, kind: str, date: str, **fields: Any) -> dict[str, Any]:
    response = event(service.client, service.auth("wbb"), household_id, kind, date, **fields)
    assert response.status_code == 201, response.text
    recorded: dict[str, Any] = response.json()
    return recorded


def _state(service: Service, state: str) -> set[str]:
    listed = service.client.get(f"/v1/households?state={state}", headers=service.auth("viewer")).json()
    return {h["household_id"] for h in listed["items"]}


def test_one_household_walks_every_path(service: Service) -> None:
    """H-1 comes in without documents, gets them, is offered a home and refuses (the pair never
    returns), is offered a flexwoning and the accept is reopened (the pair may return), moves
    into the flexwoning (persons counted; the stay ends after the place's stay limit), grows
    when family arrives (counted), is a move-on candidate when the stay nears its end, moves
    on to a permanent home (not counted again) and moves out of the flexwoning, which is free
    from that day. Each step is checked in the household, its unit, the state lists and the
    next run; leaving a home for good is refused naming the state."""
    _pool(
        service,
        [PERSON | {"household_id": "H-1", "adults": 1, "children": 1, "documents_complete": False}],
        [
            UNIT | {"unit_id": "S-1", "unit_type": "social", "available_from": "2025-03-01"},
            UNIT | {"unit_id": "F-1", "unit_type": "flex", "stay_limit_weeks": 26, "available_from": "2025-03-01"},
            UNIT | {"unit_id": "S-2", "unit_type": "social", "available_from": "2025-09-01", "neighbourhood": "Lent"},
        ],
    )
    # documents_expected and documents_complete: waiting -> waiting
    _event(service, "H-1", "documents_expected", "2025-02-10", expected="2025-03-01")
    assert _household(service, "H-1")["documents_expected"] == "2025-03-01"
    assert _run(service, "2025-03-03")[1] == {}
    _event(service, "H-1", "documents_complete", "2025-03-01")
    household = _household(service, "H-1")
    assert household["documents_complete"] is True and household["documents_expected"] is None

    # accept, then offer_refused: offered -> waiting, the unit free, the pair excluded
    run_id, pairs = _run(service, "2025-03-03")
    assert pairs == {"H-1": "S-1"}
    _accept(service, run_id, "H-1", "S-1")
    assert _state(service, "offered") == {"H-1"} and _unit(service, "S-1")["status"] == "offered"
    refused = _event(service, "H-1", "offer_refused", "2025-03-05", reason="household_refused")
    assert (refused["state_before"], refused["state_after"], refused["unit_id"]) == ("offered", "waiting", "S-1")
    assert _unit(service, "S-1")["status"] == "available"

    # accept, then reopen: offered -> waiting, the unit free, the pair not excluded
    run_id, pairs = _run(service, "2025-03-05")
    assert pairs == {"H-1": "F-1"}
    assert ["H-1", "S-1"] in service.client.get(f"/v1/runs/{run_id}", headers=service.auth("wbb")).json()["policy"][
        "excluded_pairs"
    ]
    _accept(service, run_id, "H-1", "F-1")
    _event(service, "H-1", "reopen", "2025-03-06", reason="decided_in_error")
    assert _household(service, "H-1")["status"] == "waiting" and _unit(service, "F-1")["status"] == "available"

    # moved_in into a temporary place: housed_temporary until the stay limit, persons counted
    run_id, pairs = _run(service, "2025-03-07")
    assert pairs == {"H-1": "F-1"}
    _accept(service, run_id, "H-1", "F-1")
    moved = _event(service, "H-1", "moved_in", "2025-03-10")
    assert (moved["state_after"], moved["persons_counted"], moved["temporary_until"]) == ("housed_temporary", 2, "2025-09-08")
    assert _unit(service, "F-1")["status"] == "let" and _state(service, "housed_temporary") == {"H-1"}

    # family_arrived: any but left; counted while the household lives here
    arrived = _event(service, "H-1", "family_arrived", "2025-04-01", adults=1)
    assert arrived["persons_counted"] == 1 and _household(service, "H-1")["adults"] == 2

    # not a move-on candidate far from the end of the stay; a candidate within 8 weeks of it
    assert _run(service, "2025-06-02")[1] == {}
    run_id, pairs = _run(service, "2025-08-25")
    assert pairs == {"H-1": "S-2"}
    document = proposal(service.client, service.auth("wbb"), run_id)
    assert document["matches"][0]["move_on_from"] == "F-1" and document["kpis"]["move_on_placed"] == 1
    _accept(service, run_id, "H-1", "S-2")
    household = _household(service, "H-1")
    assert household["status"] == "offered" and household["current_unit_id"] == "F-1"

    # moved_in on: housed, not counted again; the old place is still held until moved_out
    moved = _event(service, "H-1", "moved_in", "2025-09-01")
    assert (moved["state_after"], moved["persons_counted"]) == ("housed", 0)
    household = _household(service, "H-1")
    assert (household["current_unit_id"], household["previous_unit_id"]) == ("S-2", "F-1")
    assert _unit(service, "F-1")["status"] == "let" and _unit(service, "S-2")["status"] == "let"

    # moved_out: the old place is available from that day, and the next run offers it again
    out = _event(service, "H-1", "moved_out", "2025-09-03")
    assert out["unit_id"] == "F-1"
    freed = _unit(service, "F-1")
    assert (freed["status"], freed["available_from"], freed["beds_taken"]) == ("available", "2025-09-03", 0)
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": "2025-09-08"}})
    assert (run["units"], run["households"]) == (2, 0)  # F-1 again, and S-1 that H-1 refused

    # left does not fit a housed household; moved_in does not fit either; both name the state
    for kind, extra in (("left", {"reason": "moved_away"}), ("moved_in", {}), ("moved_out", {})):
        error = error_of(event(service.client, service.auth("wbb"), "H-1", kind, "2025-09-10", **extra), 409)
        assert error["code"] == "household_housed" and "housed" in error["message"], error

    report = service.client.get("/v1/taakstelling?on=2025-12-31", headers=service.auth("viewer")).json()
    [nijmegen] = report["municipalities"]
    assert [(h["half_year"], h["realised"]) for h in nijmegen["half_years"]] == [("2025-H1", 3), ("2025-H2", 0)]


def test_left_from_waiting_offered_and_a_temporary_place(service: Service) -> None:
    """Leaving frees what the household held: nothing (waiting), the offered home, the
    temporary place (from the day it was left). A household that left accepts no more events."""
    _pool(
        service,
        [PERSON | {"household_id": f"H-{i}", "adults": 1, "children": 0} for i in (1, 2, 3)],
        [
            UNIT | {"unit_id": f"F-{i}", "unit_type": "flex", "stay_limit_weeks": 12, "available_from": "2025-03-01"}
            for i in (2, 3)
        ],
    )
    run_id, pairs = _run(service, "2025-03-03")
    assert set(pairs) == {"H-1", "H-2", "H-3"} - {next(h for h in ("H-1", "H-2", "H-3") if h not in pairs)}
    waiting = next(h for h in ("H-1", "H-2", "H-3") if h not in pairs)
    offered, housed = sorted(pairs)
    for household in (offered, housed):
        _accept(service, run_id, household, pairs[household])
    _event(service, housed, "moved_in", "2025-03-10")
    for household in (waiting, offered, housed):
        gone = _event(service, household, "left", "2025-04-01", reason="moved_away")
        assert gone["state_after"] == "left"
    assert _unit(service, pairs[offered])["status"] == "available"
    temporary = _unit(service, pairs[housed])
    assert (temporary["status"], temporary["available_from"]) == ("available", "2025-04-01")
    assert _state(service, "left") == {"H-1", "H-2", "H-3"}
    error = error_of(event(service.client, service.auth("wbb"), waiting, "family_arrived", "2025-05-01", adults=1), 409)
    assert error["code"] == "household_left"
    assert _run(service, "2025-04-07")[1] == {}


def test_bad_fields_are_422_and_name_the_field(service: Service) -> None:
    """Unknown kinds, a missing or unknown reason, a field of another kind, a date before the
    koppeling or more than a year ahead, an end of stay ten years away: 422 naming the field;
    nothing is recorded."""
    _pool(service, [PERSON | {"household_id": "H-1", "adults": 1, "children": 0, "documents_complete": False}], [])
    cases = [
        ({"kind": "moved_away", "date": "2025-02-01"}, "kind"),
        ({"kind": "left", "date": "2025-02-01"}, "reason"),
        ({"kind": "left", "date": "2025-02-01", "reason": "gone"}, "reason"),
        ({"kind": "documents_complete", "date": "2025-02-01", "adults": 1}, "adults"),
        ({"kind": "documents_complete", "date": "2024-12-31"}, "date"),
        ({"kind": "documents_complete", "date": "2099-01-01"}, "date"),
        ({"kind": "documents_expected", "date": "2025-02-01"}, "expected"),
        ({"kind": "documents_expected", "date": "2025-02-01", "expected": "2025-01-20"}, "expected"),
        ({"kind": "family_arrived", "date": "2025-02-01"}, "adults"),
        ({"kind": "family_arrived", "date": "2025-02-01", "children": -1}, "children"),
        ({"kind": "moved_in", "date": "2025-02-01", "temporary_until": "2040-01-01"}, "temporary_until"),
        ({"kind": "documents_complete", "date": "gisteren"}, "date"),
        ({"kind": "documents_complete", "date": "2025-02-01", "by": "JdV"}, "by"),
    ]
    for body, column in cases:
        response = service.client.post("/v1/households/H-1/events", headers=service.auth("wbb"), json=body)
        error = error_of(response, 422)
        assert column in {p["column"] for p in error["problems"]}, (body, error)
    timeline = service.client.get("/v1/households/H-1/timeline", headers=service.auth("viewer")).json()
    assert [item["kind"] for item in timeline["items"]] == ["koppeling"]
    error_of(event(service.client, service.auth("wbb"), "H-none", "documents_complete", "2025-02-01"), 404)


def test_a_municipality_token_records_only_its_own(service: Service) -> None:
    """A Nijmegen token gets 404 for a Wijchen household's events and timeline; a viewer may read but not record."""
    _pool(service, [PERSON | {"household_id": "W-1", "municipality": "Wijchen", "adults": 1, "children": 0}], [])
    error_of(event(service.client, service.auth("wbb@Nijmegen"), "W-1", "left", "2025-02-01", reason="other"), 404)
    error_of(service.client.get("/v1/households/W-1/timeline", headers=service.auth("viewer@Nijmegen")), 404)
    error_of(event(service.client, service.auth("viewer"), "W-1", "left", "2025-02-01", reason="other"), 403)
    error_of(event(service.client, service.auth("officer"), "W-1", "left", "2025-02-01", reason="other"), 403)


def test_two_people_recording_the_same_move_get_one_201_and_the_rest_409(service: Service) -> None:
    """Four officers record each of three moves at the same moment (threads): one is stored,
    the others get 409 naming the state housed; the persons count once; every unit is let once."""
    households = [PERSON | {"household_id": f"H-{i}", "adults": 2, "children": 1} for i in range(3)]
    units = [UNIT | {"unit_id": f"S-{i}", "unit_type": "social", "available_from": "2025-03-01"} for i in range(3)]
    _pool(service, households, units)
    run_id, pairs = _run(service, "2025-03-03")
    assert len(pairs) == 3
    for household, unit in pairs.items():
        _accept(service, run_id, household, unit)

    def move(household: str) -> tuple[str, int, Any]:
        response = event(service.client, service.auth("wbb"), household, "moved_in", "2025-03-10")
        return household, response.status_code, response.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(move, sorted(pairs) * 4))
    for household in pairs:
        statuses = sorted(status for h, status, _ in answers if h == household)
        assert statuses == [201, 409, 409, 409], (household, statuses)
    assert {body["error"]["code"] for _, status, body in answers if status == 409} == {"household_housed"}
    report = service.client.get("/v1/taakstelling?on=2025-06-30", headers=service.auth("viewer")).json()
    assert report["municipalities"][0]["half_years"][-1]["realised"] == 9
    for household, unit in pairs.items():
        timeline = service.client.get(f"/v1/households/{household}/timeline", headers=service.auth("viewer")).json()
        assert [i["kind"] for i in timeline["items"]].count("moved_in") == 1
        assert _unit(service, unit)["status"] == "let"


def test_a_reimport_after_events_keeps_the_events_and_states(service: Service) -> None:
    """The same list imported again after a move, a refusal, a family arrival and completed
    documents: the housed household is kept as it is, the waiting ones keep the size and the
    documents their events gave, and every event and state stays."""
    households = [
        PERSON | {"household_id": "H-1", "adults": 1, "children": 0},
        PERSON | {"household_id": "H-2", "adults": 1, "children": 0, "documents_complete": False},
        PERSON | {"household_id": "H-3", "adults": 1, "children": 0, "expected_reunification": 2},
    ]
    _pool(service, households, [UNIT | {"unit_id": "S-1", "unit_type": "social", "available_from": "2025-03-01"}])
    run_id, pairs = _run(service, "2025-03-03")
    [(housed, unit)] = pairs.items()
    _accept(service, run_id, housed, unit)
    _event(service, housed, "moved_in", "2025-03-10")
    _event(service, "H-2", "documents_complete", "2025-03-11")
    waiting = next(h for h in ("H-1", "H-3") if h != housed)
    _event(service, waiting, "family_arrived", "2025-03-12", children=2)
    before = {h["household_id"]: h for h in service.client.get("/v1/households", headers=service.auth("wbb")).json()["items"]}
    response = service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": households})
    assert response.status_code == 200, response.text
    assert (response.json()["kept"], response.json()["updated"]) == (1, 2)
    after = {h["household_id"]: h for h in service.client.get("/v1/households", headers=service.auth("wbb")).json()["items"]}
    for household_id, row in before.items():
        same = {k: v for k, v in row.items() if k != "updated_at"}
        assert {k: v for k, v in after[household_id].items() if k != "updated_at"} == same, household_id
    assert after[waiting]["children"] == 2 and after["H-2"]["documents_complete"] is True
    timeline = service.client.get(f"/v1/households/{housed}/timeline", headers=service.auth("viewer")).json()
    assert [i["kind"] for i in timeline["items"]] == ["koppeling", "accept", "moved_in"]


def test_timeline_lists_koppeling_decisions_and_events_in_date_order_with_who(service: Service) -> None:
    """The timeline: the koppeling, the accept on the meeting's date with the person who took
    it and the token that sent it, then the events on their dates with the token; a viewer
    reads it (no special-category field in it) and the read is audited."""
    _pool(
        service,
        [PERSON | {"household_id": "H-1", "adults": 1, "children": 0, "vulnerabilities": ["medical"]}],
        [UNIT | {"unit_id": "S-1", "unit_type": "social", "available_from": "2025-03-01"}],
    )
    run_id, _ = _run(service, "2025-03-03")
    _accept(service, run_id, "H-1", "S-1")
    _event(service, "H-1", "family_arrived", "2025-03-04", children=1)
    _event(service, "H-1", "moved_in", "2025-03-12")
    response = service.client.get("/v1/households/H-1/timeline", headers=service.auth("viewer"))
    assert response.status_code == 200
    assert "vulnerab" not in response.text and "medical" not in response.text
    items = response.json()["items"]
    assert [(i["date"], i["source"], i["kind"]) for i in items] == [
        ("2025-01-06", "koppeling", "koppeling"),
        ("2025-03-03", "decision", "accept"),
        ("2025-03-04", "event", "family_arrived"),
        ("2025-03-12", "event", "moved_in"),
    ]
    assert items[1]["decided_by"] == items[1]["actor"] == owner_of("wbb") and items[1]["recorded_by"].startswith("tok-")
    assert items[3]["actor"] == owner_of("wbb")
    assert items[3]["recorded_by"] == items[1]["recorded_by"] and items[3]["persons_counted"] == 2
    audit = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).json()["items"]
    actions = [entry["action"] for entry in audit]
    assert "household.timeline.read" in actions and "case.moved_in" in actions and "case.family_arrived" in actions


def test_dashboard_worklists(service: Service) -> None:
    """The dashboard lists an offered household past its 14 days, waiting households over the
    10 weeks with the weeks over, and the documents worklist with since and expected dates."""
    households = [
        PERSON | {"household_id": "H-1", "adults": 1, "children": 0},
        PERSON | {"household_id": "H-2", "adults": 1, "children": 0, "koppeling_date": "2024-12-01"},
        PERSON | {"household_id": "H-3", "adults": 1, "children": 0, "documents_complete": False},
    ]
    _pool(service, households, [UNIT | {"unit_id": "S-1", "unit_type": "social", "available_from": "2025-03-01"}])
    run_id, pairs = _run(service, "2025-03-03")
    [(offered, unit)] = pairs.items()
    _accept(service, run_id, offered, unit)
    _event(service, "H-3", "documents_expected", "2025-02-01", expected="2025-03-15")
    figures = service.client.get("/v1/dashboard?on=2025-03-20", headers=service.auth("viewer")).json()
    assert figures["moves_overdue"] == [
        {"household_id": offered, "municipality": "Nijmegen", "unit_id": unit, "offered_on": "2025-03-03",
         "due": "2025-03-17", "days_over": 3}
    ]  # fmt: skip
    over = {w["household_id"]: w["weeks_over"] for w in figures["waiting_overdue"]}
    assert over == {h: weeks for h, weeks in {"H-1": 1, "H-2": 6, "H-3": 1}.items() if h != offered}
    assert figures["documents"] == [
        {"household_id": "H-3", "municipality": "Nijmegen", "since": "2025-01-06", "expected": "2025-03-15",
         "expected_passed": True}
    ]  # fmt: skip
    assert figures["states"]["offered"] == 1 and figures["states"]["waiting"] == 2
    within = service.client.get("/v1/dashboard?on=2025-03-17", headers=service.auth("viewer")).json()
    assert within["moves_overdue"] == []
