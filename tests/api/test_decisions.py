"""Decisions: the weekly flow (accept, decline, pin, run again) and the conflicts that are refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from service_helpers import EXAMPLE, Service, accept_body, error_of, load_example, move_in, pairs, proposal, start_run


def _decide(service: Service, run_id: int, match: dict[str, Any], kind: str, **extra: Any) -> Any:
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": kind, **extra}
    return service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body)


def _first_run(service: Service) -> tuple[dict[str, Any], dict[str, Any]]:
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    return run, proposal(service.client, service.auth("wbb"), run["id"])


def test_decision_flow_keeps_accepted_and_pinned_and_never_repeats_declined(service: Service) -> None:
    """Run, accept one, decline one, pin one, run again: the accepted pair has left the pool,
    the pinned pair is kept (fixed), the declined pair is not proposed, in this run or the next."""
    run, document = _first_run(service)
    accepted, declined, pinned = document["matches"][0], document["matches"][1], document["matches"][2]
    assert _decide(service, run["id"], accepted, "accept", housed_on="2025-03-10").status_code == 201
    assert _decide(service, run["id"], declined, "decline", reason="household_refused").status_code == 201
    assert _decide(service, run["id"], pinned, "pin").status_code == 201

    household = service.client.get(f"/v1/households/{accepted['household_id']}", headers=service.auth("viewer")).json()
    unit = service.client.get(f"/v1/units/{accepted['unit_id']}", headers=service.auth("viewer")).json()
    assert household["status"] == "offered" and household["offered_unit_id"] == accepted["unit_id"]
    assert household["offered_on"] == "2025-03-03" and household["housed_on"] is None
    assert unit["status"] == "offered" or unit["shared"]

    second = start_run(service.client, service.auth("wbb"))
    assert second["households"] == run["households"] - 1
    assert [pinned["household_id"], pinned["unit_id"]] in second["policy"]["fixed_pairs"]
    assert [declined["household_id"], declined["unit_id"]] in second["policy"]["excluded_pairs"]
    again = proposal(service.client, service.auth("wbb"), second["id"])
    found = pairs(again)
    assert (pinned["household_id"], pinned["unit_id"]) in found
    assert (declined["household_id"], declined["unit_id"]) not in found
    assert accepted["household_id"] not in {h for h, _ in found}
    assert next(m for m in again["matches"] if m["household_id"] == pinned["household_id"])["fixed"] is True

    third = start_run(service.client, service.auth("wbb"))
    assert (declined["household_id"], declined["unit_id"]) not in pairs(
        proposal(service.client, service.auth("wbb"), third["id"])
    )


def test_decisions_on_a_superseded_run_are_409(service: Service) -> None:
    """Once a newer run has finished, decisions on the older one are refused."""
    run, document = _first_run(service)
    start_run(service.client, service.auth("wbb"))
    error = error_of(_decide(service, run["id"], document["matches"][0], "pin"), 409)
    assert error["code"] == "run_superseded"


def test_accept_twice_and_pair_not_proposed_are_409(service: Service) -> None:
    """A household cannot be offered twice (the 409 names its state); a pair that is not proposed is refused."""
    run, document = _first_run(service)
    match = document["matches"][0]
    assert _decide(service, run["id"], match, "accept").status_code == 201
    error = error_of(_decide(service, run["id"], match, "accept"), 409)
    assert error["code"] == "household_offered" and "offered" in error["message"]
    other = document["matches"][1]
    wrong = {"household_id": other["household_id"], "unit_id": match["unit_id"]}
    assert error_of(_decide(service, run["id"], wrong, "accept"), 409)["code"] == "not_proposed"


def test_declined_pair_cannot_be_pinned_and_decline_needs_reason(service: Service) -> None:
    """A decline without a reason is 422; a declined pair cannot then be pinned or accepted (409)."""
    run, document = _first_run(service)
    match = document["matches"][0]
    error_of(_decide(service, run["id"], match, "decline"), 422)
    assert _decide(service, run["id"], match, "decline", reason="unit_unsuitable").status_code == 201
    assert error_of(_decide(service, run["id"], match, "pin"), 409)["code"] == "pair_declined"
    assert error_of(_decide(service, run["id"], match, "accept"), 409)["code"] == "pair_declined"


def test_decisions_are_listed(service: Service) -> None:
    """Decisions show per run and across runs, filtered by kind."""
    run, document = _first_run(service)
    _decide(service, run["id"], document["matches"][0], "pin")
    _decide(service, run["id"], document["matches"][1], "decline", reason="other")
    per_run = service.client.get(f"/v1/runs/{run['id']}/decisions", headers=service.auth("viewer")).json()
    assert [d["kind"] for d in per_run["items"]] == ["pin", "decline"]
    declines = service.client.get("/v1/decisions?kind=decline", headers=service.auth("viewer")).json()
    assert declines["total"] == 1 and declines["items"][0]["reason"] == "other"


def test_scoped_wbb_cannot_decide_outside_its_runs(service: Service) -> None:
    """A Nijmegen wbb token gets 404 for a run over all municipalities."""
    run, document = _first_run(service)
    match = document["matches"][0]
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "pin"}
    error_of(service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb@Nijmegen"), json=body), 404)


def test_second_run_keeps_as_many_earlier_pairs_as_the_policy_allows(service: Service) -> None:
    """Stable re-solve: after a decline, the next run passes the rest of the last proposal as
    previous_pairs and keeps at least as many of them as the same input solved without them."""
    from api.db import make_engine, make_sessionmaker
    from api.models import Run

    run, document = _first_run(service)
    declined = document["matches"][0]
    assert _decide(service, run["id"], declined, "decline", reason="household_refused").status_code == 201
    second = start_run(service.client, service.auth("wbb"))
    earlier = pairs(document) - {(declined["household_id"], declined["unit_id"])}
    assert {tuple(p) for p in second["policy"]["previous_pairs"]} == earlier
    kept = len(earlier & pairs(proposal(service.client, service.auth("wbb"), second["id"])))
    assert second["solver"]["previous_pairs_kept"] == kept

    engine = make_engine(service.url)
    with make_sessionmaker(engine)() as session:
        stored = session.get(Run, second["id"])
        assert stored is not None
        snapshot = stored.snapshot
    engine.dispose()
    plain_policy = {k: v for k, v in snapshot["policy"].items() if k != "previous_pairs"}
    body = {"households": snapshot["households"], "units": snapshot["units"], "policy": plain_policy}
    response = service.client.post("/v1/solve", headers=service.auth("officer"), json=body)
    assert response.status_code == 200, response.text
    plain = response.json()
    assert kept >= len(earlier & pairs(plain))
    assert [t["value"] for t in second["solver"]["tiers"]][: len(plain["solver"]["tiers"])] == [
        t["value"] for t in plain["solver"]["tiers"]
    ]


def test_shared_unit_is_let_only_when_its_beds_are_full(service: Service) -> None:
    """Accepting one of two households in a shared unit leaves its other bed on offer; the
    next run offers that bed only, and accepting the second household lets the unit."""
    person = {
        "municipality": "Nijmegen",
        "koppeling_date": "2025-01-01",
        "adults": 1,
        "children": 0,
        "gender": "M",
        "head_age": 30,
    }
    households = [{"household_id": hid, **person} for hid in ("H-1", "H-2")]
    shared = {
        "unit_id": "S-1",
        "municipality": "Nijmegen",
        "neighbourhood": "Hatert",
        "unit_type": "flex",
        "shared": True,
        "beds": 2,
        "bedrooms": 2,
        "max_occupants": 2,
        "rent": 300,
        "available_from": "2025-03-01",
    }
    admin = service.auth("admin")
    assert service.client.post("/v1/households/batch", headers=admin, json={"rows": households}).status_code == 200
    assert service.client.post("/v1/units/batch", headers=admin, json={"rows": [shared]}).status_code == 200
    body = {"policy": {"planning_date": "2025-03-03"}}
    run = start_run(service.client, service.auth("wbb"), body)
    assert pairs(proposal(service.client, service.auth("wbb"), run["id"])) == {("H-1", "S-1"), ("H-2", "S-1")}
    assert _decide(service, run["id"], {"household_id": "H-1", "unit_id": "S-1"}, "accept").status_code == 201
    unit = service.client.get("/v1/units/S-1", headers=admin).json()
    assert (unit["status"], unit["beds_taken"], unit["beds_held"]) == ("available", 0, 1)
    second = start_run(service.client, service.auth("wbb"), body)
    assert (second["households"], second["units"]) == (1, 1)
    assert pairs(proposal(service.client, service.auth("wbb"), second["id"])) == {("H-2", "S-1")}
    assert _decide(service, second["id"], {"household_id": "H-2", "unit_id": "S-1"}, "accept").status_code == 201
    unit = service.client.get("/v1/units/S-1", headers=admin).json()
    assert (unit["status"], unit["beds_taken"], unit["beds_held"]) == ("offered", 0, 2)
    for household in ("H-1", "H-2"):
        move_in(service.client, service.auth("wbb"), household, "2025-03-10", temporary_until="2025-09-01")
    unit = service.client.get("/v1/units/S-1", headers=admin).json()
    assert (unit["status"], unit["beds_taken"], unit["beds_held"]) == ("let", 2, 0)


def test_offered_household_and_held_unit_cannot_be_edited_and_a_reimport_keeps_them(service: Service) -> None:
    """After an accept, the household and the unit follow their case: an edit or a delete is 409,
    and a re-import of the same lists keeps them as they are (counted as kept)."""
    run, document = _first_run(service)
    match = document["matches"][0]
    assert _decide(service, run["id"], match, "accept").status_code == 201
    admin = service.auth("admin")
    error = error_of(service.client.patch(f"/v1/households/{match['household_id']}", headers=admin, json={"children": 1}), 409)
    assert "offered" in error["message"]
    assert error_of(service.client.patch(f"/v1/units/{match['unit_id']}", headers=admin, json={"rent": 100}), 409)
    assert error_of(service.client.delete(f"/v1/households/{match['household_id']}", headers=admin), 409)
    response = service.client.post(
        "/v1/households/import", headers=admin, files={"file": ("households.csv", (EXAMPLE / "households.csv").read_bytes())}
    )
    assert response.status_code == 200 and response.json()["kept"] == 1 and response.json()["updated"] == 149
    household = service.client.get(f"/v1/households/{match['household_id']}", headers=admin).json()
    assert household["status"] == "offered"


def test_concurrent_accepts_give_one_201_and_one_409(service: Service) -> None:
    """Of several simultaneous accepts of one pair, exactly one is stored; the others are 409."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    statuses = []
    for match in proposal(service.client, service.auth("wbb"), run["id"])["matches"][:5]:
        body = accept_body(match)

        def post(_: int, body: dict[str, Any] = body) -> int:
            return service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code

        with ThreadPoolExecutor(4) as pool:
            statuses.append(sorted(pool.map(post, range(4))))
    assert statuses == [[201, 409, 409, 409]] * 5
