"""The bad-input rules of the case, each checked over HTTP on SQLite and PostgreSQL: an event
that does not fit answers 409 naming the household's state (for every state) and changes
nothing; events read in date order; every date an event carries lies in the window of
plausible dates (422 naming the field); a list imported again, also in replace mode, keeps
every event and state."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, error_of, event, proposal, start_run

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31, "adults": 1, "children": 0}
UNIT = {"municipality": "Nijmegen", "neighbourhood": "Hatert", "bedrooms": 1, "max_occupants": 2, "rent": 500,
        "available_from": "2025-03-01"}  # fmt: skip


def _pool(service: Service, households: list[dict[str, Any]], units: list[dict[str, Any]], mode: str = "upsert") -> Any:
    answers = []
    for kind, rows in (("households", households), ("units", units)):
        if rows:
            response = service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": rows, "mode": mode})
            assert response.status_code == 200, response.text
            answers.append(response.json())
    return answers


def _ok(service: Service, household_id: str, kind: str, date: str, **fields: Any) -> dict[str, Any]:
    response = event(service.client, service.auth("wbb"), household_id, kind, date, **fields)
    assert response.status_code == 201, response.text
    recorded: dict[str, Any] = response.json()
    return recorded


def _timeline(service: Service, household_id: str) -> list[tuple[str, str]]:
    items = service.client.get(f"/v1/households/{household_id}/timeline", headers=service.auth("viewer")).json()["items"]
    return [(item["date"], item["kind"]) for item in items]


def _households(service: Service) -> dict[str, dict[str, Any]]:
    items = service.client.get("/v1/households?limit=1000", headers=service.auth("wbb")).json()["items"]
    return {h["household_id"]: {k: v for k, v in h.items() if k != "updated_at"} for h in items}


def _one_in_each_state(service: Service) -> dict[str, str]:
    """Five households: waiting, offered, housed, housed_temporary and left; returns state -> household."""
    households = [PERSON | {"household_id": f"H-{state}"} for state in ("waiting", "offered", "housed", "temporary", "left")]
    units = [
        UNIT | {"unit_id": "S-1", "unit_type": "social"},
        UNIT | {"unit_id": "S-2", "unit_type": "social", "neighbourhood": "Lent"},
        UNIT | {"unit_id": "F-1", "unit_type": "flex", "stay_limit_weeks": 26},
    ]
    _pool(service, households, units)
    _ok(service, "H-left", "left", "2025-02-01", reason="moved_away")
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": "2025-03-03"}})
    matches = {m["household_id"]: m["unit_id"] for m in proposal(service.client, service.auth("wbb"), run["id"])["matches"]}
    assert len(matches) == 3, matches
    placed = sorted(matches, key=lambda h: (matches[h] != "F-1", h))  # the one in the flexwoning first
    roles = {"housed_temporary": placed[0], "offered": placed[1], "housed": placed[2]}
    for household in placed:
        body = {"household_id": household, "unit_id": matches[household], "kind": "accept"}
        assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    _ok(service, roles["housed_temporary"], "moved_in", "2025-03-05")
    _ok(service, roles["housed"], "moved_in", "2025-03-05")
    waiting = next(h["household_id"] for h in households if h["household_id"] not in matches and h["household_id"] != "H-left")
    return roles | {"waiting": waiting, "left": "H-left"}


def test_an_event_that_does_not_fit_names_the_state_for_every_state_and_changes_nothing(service: Service) -> None:
    """For each state an event that does not fit it: 409 with the code ``household_<state>``,
    the state in the message and what fits instead; the household and its timeline unchanged."""
    who = _one_in_each_state(service)
    misfits = {
        "waiting": ("moved_in", {}),
        "offered": ("documents_complete", {}),
        "housed": ("left", {"reason": "moved_away"}),
        "housed_temporary": ("offer_refused", {"reason": "household_refused"}),
        "left": ("family_arrived", {"adults": 1}),
    }
    before = _households(service)
    timelines = {h: _timeline(service, h) for h in who.values()}
    for state, (kind, fields) in misfits.items():
        response = event(service.client, service.auth("wbb"), who[state], kind, "2025-03-20", **fields)
        error = error_of(response, 409)
        assert error["code"] == f"household_{state}", (state, error)
        assert f"household that is {state}" in error["message"] and "it fits:" in error["message"], error
    assert _households(service) == before
    assert {h: _timeline(service, h) for h in who.values()} == timelines


def test_events_read_in_date_order(service: Service) -> None:
    """A move dated before the meeting that offered the home, or a refusal before it: 422 naming
    ``date`` (the household became offered on the meeting's date); nothing is recorded."""
    who = _one_in_each_state(service)
    for kind, fields in (("moved_in", {}), ("offer_refused", {"reason": "household_refused"})):
        response = event(service.client, service.auth("wbb"), who["offered"], kind, "2025-03-02", **fields)
        problems = error_of(response, 422)["problems"]
        assert [(p["column"], "2025-03-03" in p["message"]) for p in problems] == [("date", True)], problems
    assert _timeline(service, who["offered"])[-1][1] == "accept"


def test_every_date_of_an_event_lies_in_the_window(service: Service) -> None:
    """Dates far outside the years the service works in are typing errors: the event's date, the
    expected day of documents or family, the end of a stay and a withdrawal's date all answer
    422 naming their field, with the window in the message, and store nothing."""
    who = _one_in_each_state(service)
    _pool(service, [PERSON | {"household_id": "H-family", "expected_reunification": 2}], [])
    far = "2999-12-31"
    cases = [
        (who["waiting"], {"kind": "documents_complete", "date": far}, "date"),
        (who["waiting"], {"kind": "family_arrived", "date": "0001-01-01", "adults": 1}, "date"),
        (who["waiting"], {"kind": "documents_expected", "date": "2025-03-01", "expected": far}, "expected"),
        ("H-family", {"kind": "family_expected", "date": "2025-03-01", "expected": far}, "expected"),
        (who["offered"], {"kind": "moved_in", "date": "2025-03-10", "temporary_until": far}, "temporary_until"),
    ]
    for household, body, column in cases:
        response = service.client.post(f"/v1/households/{household}/events", headers=service.auth("wbb"), json=body)
        problems = error_of(response, 422)["problems"]
        assert column in {p["column"] for p in problems}, (body, problems)
    withdrawal = {"kind": "withdrawn", "date": far, "reason": "other", "by": "wbb"}
    response = service.client.post("/v1/units/S-1/events", headers=service.auth("wbb"), json=withdrawal)
    assert [p["column"] for p in error_of(response, 422)["problems"]] == ["date"]
    assert _households(service)["H-family"]["expected_arrival_date"] is None
    assert _timeline(service, who["waiting"]) == [("2025-01-06", "koppeling")]


def test_a_list_imported_again_in_replace_mode_keeps_every_event_and_state(service: Service) -> None:
    """After moves, a refusal and an arrival, the same list imported again with ``mode=replace``
    (and once without the households that moved on): nothing that happened is undone, no
    household with a case is removed, every timeline stays as it was."""
    who = _one_in_each_state(service)
    _ok(service, who["waiting"], "family_arrived", "2025-03-12", children=1)
    everyone = [PERSON | {"household_id": h} for h in sorted(who.values())]
    timelines = {h: _timeline(service, h) for h in who.values()}
    before = _households(service)
    [answer] = _pool(service, everyone, [], mode="replace")
    assert (answer["kept"], answer["updated"], answer["removed"]) == (4, 1, 0), answer
    assert _households(service) == before
    only_waiting = [PERSON | {"household_id": who["waiting"]}]
    [answer] = _pool(service, only_waiting, [], mode="replace")
    assert answer["removed"] == 0 and _households(service) == before
    assert {h: _timeline(service, h) for h in who.values()} == timelines
