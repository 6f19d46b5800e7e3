"""Proposal runs: background jobs with status, stored input, failures, queue limit, listing."""

from __future__ import annotations

import time

from service_helpers import Service, error_of, load_example, pairs, policy, proposal, start_run, wait_for

from api.db import make_engine, make_sessionmaker, session_scope
from api.models import Run


def test_run_is_queued_then_done_with_its_input(service: Service) -> None:
    """POST answers 202 with the run's URL; the finished run holds snapshot size, hash, policy and solver report."""
    load_example(service.client, service.auth("admin"))
    response = service.client.post("/v1/runs", headers=service.auth("wbb"), json={"policy": policy()})
    assert response.status_code == 202
    assert response.headers["location"] == f"/v1/runs/{response.json()['id']}"
    assert response.json()["status"] in ("queued", "running", "done")
    run = wait_for(service.client, service.auth("viewer"), response.json()["id"])
    assert run["status"] == "done" and run["progress"] == 1.0 and run["current"] is True
    assert (run["households"], run["units"]) == (150, 40)
    assert run["policy"]["planning_date"] == "2025-03-03"
    document = proposal(service.client, service.auth("viewer"), run["id"])
    assert run["input_sha256"] == document["input_sha256"] and len(run["input_sha256"]) == 64
    assert run["solver"]["tiers"] == document["solver"]["tiers"] and run["kpis"] == document["kpis"]


def test_same_pool_and_policy_give_the_same_hash_and_matches(service: Service) -> None:
    """Over an unchanged pool a second run keeps every pair of the first (previous_pairs); with
    previous_pairs switched off it has exactly the first run's input hash and matches."""
    load_example(service.client, service.auth("admin"))
    first = start_run(service.client, service.auth("wbb"))
    second = start_run(service.client, service.auth("wbb"))
    a = proposal(service.client, service.auth("wbb"), first["id"])
    b = proposal(service.client, service.auth("wbb"), second["id"])
    assert a["matches"] == b["matches"]
    assert second["solver"]["previous_pairs_kept"] == len(a["matches"])
    assert sorted(map(tuple, second["policy"]["previous_pairs"])) == sorted(pairs(a))
    third = start_run(service.client, service.auth("wbb"), {"policy": policy() | {"previous_pairs": []}})
    assert third["input_sha256"] == first["input_sha256"]
    assert proposal(service.client, service.auth("wbb"), third["id"])["matches"] == a["matches"]


def test_run_can_ask_what_it_would_take(service: Service) -> None:
    """A run with what_it_would_take stores it and its unmatched households carry the smallest change."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"), {"policy": policy(), "what_it_would_take": True})
    assert run["status"] == "done" and run["what_it_would_take"] is True
    document = proposal(service.client, service.auth("wbb"), run["id"])
    assert any("what_it_would_take" in u["details"] for u in document["unmatched_households"])
    plain = start_run(service.client, service.auth("wbb"))
    assert plain["what_it_would_take"] is False
    assert not any(
        "what_it_would_take" in u["details"]
        for u in proposal(service.client, service.auth("wbb"), plain["id"])["unmatched_households"]
    )


def test_bad_policy_is_refused_at_once(service: Service) -> None:
    """A policy the engine refuses is a 422 naming the field; no run is stored."""
    error = error_of(service.client.post("/v1/runs", headers=service.auth("wbb"), json={"policy": {"horizon_days": "soon"}}), 422)
    assert [(p["source"], p["column"]) for p in error["problems"]] == [("policy", "horizon_days")]
    assert service.client.get("/v1/runs", headers=service.auth("wbb")).json()["total"] == 0


def test_run_whose_input_fails_with_the_pool_lists_the_problems(service: Service) -> None:
    """A fixed pair naming an unknown household makes a failed run listing the problem; it has no proposal."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"), {"policy": {"fixed_pairs": [["H-none", "U-0001"]]}})
    assert run["status"] == "failed"
    assert [(p["source"], p["column"]) for p in run["problems"]] == [("policy", "fixed_pairs")]
    assert "H-none" in run["problems"][0]["message"]
    error_of(service.client.get(f"/v1/runs/{run['id']}/proposal", headers=service.auth("wbb")), 409)


def test_full_queue_is_429(service: Service) -> None:
    """With as many runs waiting as the queue holds, a new run is refused with 429."""
    engine = make_engine(service.url)
    with session_scope(make_sessionmaker(engine)) as session:
        for _ in range(4):  # the fixture's queue_max
            session.add(Run(created_by="test", status="queued", stage="queued", progress=0.0, policy={}, snapshot={}))
    engine.dispose()
    error_of(service.client.post("/v1/runs", headers=service.auth("wbb"), json={}), 429)


def test_list_and_get(service: Service) -> None:
    """Runs list newest first; only the newest finished run is current; unknown ids are 404."""
    load_example(service.client, service.auth("admin"))
    first = start_run(service.client, service.auth("wbb"))
    second = start_run(service.client, service.auth("wbb"))
    listed = service.client.get("/v1/runs", headers=service.auth("viewer")).json()
    assert [r["id"] for r in listed["items"]] == [second["id"], first["id"]]
    assert [r["current"] for r in listed["items"]] == [True, False]
    error_of(service.client.get("/v1/runs/999", headers=service.auth("viewer")), 404)


def test_scoped_run_covers_only_its_municipality(service: Service) -> None:
    """A Nijmegen wbb token's run covers Nijmegen only, and other-scope tokens cannot see it."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb@Nijmegen"))
    assert run["scope"] == "Nijmegen" and run["households"] == 150
    assert service.client.get(f"/v1/runs/{run['id']}", headers=service.auth("viewer@Nijmegen")).status_code == 200
    unscoped = start_run(service.client, service.auth("wbb"))
    error_of(service.client.get(f"/v1/runs/{unscoped['id']}", headers=service.auth("viewer@Nijmegen")), 404)


def test_a_long_run_does_not_hold_up_the_request(service: Service) -> None:
    """On a regional instance (2,000 households) POST /v1/runs answers before the run has
    finished, other calls are served meanwhile, and the run then finishes on its own."""
    import json

    from matcher.generate import generate_instance

    households, units, regional_policy = generate_instance("regional", 3, None)
    admin = service.auth("admin")
    for kind, frame in (("households", households), ("units", units)):
        rows = json.loads(frame.to_json(orient="records", date_format="iso"))
        response = service.client.post(f"/v1/{kind}/batch", headers=admin, json={"rows": rows})
        assert response.status_code == 200, response.text
    response = service.client.post("/v1/runs", headers=service.auth("wbb"), json={"policy": regional_policy})
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running")
    assert service.client.get("/healthz").status_code == 200
    assert service.client.get("/v1/households?limit=1", headers=admin).json()["total"] == 2000
    run = wait_for(service.client, admin, response.json()["id"])
    assert run["status"] == "done" and run["households"] == 2000


def test_a_run_submitted_twice_is_solved_once(service: Service) -> None:
    """Waking three workers for the same run, twice, beside the workers of a second app on the
    same database: one worker claims it, the others leave it alone, and it is solved once."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    load_example(service.client, service.auth("admin"))
    wbb = service.auth("wbb")
    with TestClient(create_app(Settings(database_url=service.url, workers=3))) as client:
        queue = client.app.state.queue  # type: ignore[attr-defined]
        run_id = client.post("/v1/runs", headers=wbb, json={"policy": policy()}).json()["id"]
        for _ in range(2):
            queue.submit(run_id)
        run = wait_for(client, wbb, run_id)
        time.sleep(0.5)  # room for a second solve to store itself, if there were one
        again = client.get(f"/v1/runs/{run_id}", headers=wbb).json()
    assert again["status"] == "done" and again["error"] is None and again["finished_at"] == run["finished_at"]
    assert len(proposal(service.client, wbb, run_id)["matches"]) == again["kpis"]["placed_households"]


def test_the_current_run_says_when_the_lists_changed_after_it(service: Service) -> None:
    """A run is not out of date after decisions on it; it is once the lists are read in again
    (``pool_changed``), and a new run is not until the next import."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    match = service.client.get(f"/v1/runs/{run['id']}/proposal", headers=service.auth("wbb")).json()["matches"][0]
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "pin"}
    assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    assert service.client.get(f"/v1/runs/{run['id']}", headers=service.auth("viewer")).json()["pool_changed"] is False
    load_example(service.client, service.auth("admin"))
    assert service.client.get(f"/v1/runs/{run['id']}", headers=service.auth("viewer")).json()["pool_changed"] is True
    assert service.client.get("/v1/runs", headers=service.auth("viewer")).json()["items"][0]["pool_changed"] is True
    again = start_run(service.client, service.auth("wbb"))
    assert service.client.get(f"/v1/runs/{again['id']}", headers=service.auth("viewer")).json()["pool_changed"] is False
