"""What-if scenarios over HTTP: background runs with progress and bands, located 422s,
comparison of a variant with its base, scoping, the queue limit and restarts."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from service_helpers import Service, error_of

from api.app import create_app
from api.db import make_engine, make_sessionmaker, session_scope
from api.models import ScenarioRun
from api.settings import Settings
from matcher.simulate import SimulationResult, compare, parse_scenario, run_scenario

SMALL: dict[str, Any] = {"name": "klein", "horizon_weeks": 5, "hindsight": False, "seed": 3}


def wait_scenario(client: TestClient, headers: dict[str, str], scenario_id: int, timeout: float = 120.0) -> dict[str, Any]:
    """Poll a scenario run until it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/scenarios/{scenario_id}", headers=headers)
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()
        if run["status"] in ("done", "failed"):
            return run
        assert time.monotonic() < deadline, f"scenario run {scenario_id} still {run['status']} after {timeout} s"
        time.sleep(0.1)


def start(service: Service, scenario: dict[str, Any], replicates: int = 2, who: str = "officer") -> dict[str, Any]:
    response = service.client.post(
        "/v1/scenarios", headers=service.auth(who), json={"scenario": scenario, "replicates": replicates}
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/scenarios/{response.json()['id']}"
    return wait_scenario(service.client, service.auth("viewer"), response.json()["id"])


def test_scenario_run_gives_the_simulators_bands(service: Service) -> None:
    """A finished run holds, per strategy and KPI, weekly mean and 10-90% bands over the horizon,
    exactly what the simulator's function API gives for the same scenario and replicates."""
    run = start(service, SMALL, replicates=2)
    assert run["status"] == "done" and run["progress"] == 1.0, run
    assert (run["replicates"], run["horizon_weeks"], run["seed"], run["name"]) == (2, 5, 3, "klein")
    result = run["result"]
    assert result["format"] == "simulation-result/v1" and set(result["weekly"]) == {"optimise", "fifo"}
    housed = result["weekly"]["optimise"]["persons_housed_cum"]
    assert all(len(housed[k]) == 5 for k in ("mean", "p10", "p50", "p90"))
    assert all(lo <= m <= hi for lo, m, hi in zip(housed["p10"], housed["mean"], housed["p90"], strict=True))
    direct = run_scenario(parse_scenario(SMALL), 2).to_json()
    for key in ("weekly", "summary", "comparison", "placements_by_neighbourhood", "weekly_placements_by_neighbourhood"):
        assert result[key] == direct[key], key
    untimed = [{k: v for k, v in row.items() if k != "solve_s"} for row in result["per_replicate"]]
    assert untimed == [{k: v for k, v in row.items() if k != "solve_s"} for row in direct["per_replicate"]]


def test_bad_scenario_is_422_naming_the_field_path(service: Service) -> None:
    """Every problem of the scenario is listed with the field path; nothing is stored."""
    body = {"scenario": {"vacancies": {"statushouder_share": 1.5}, "horizon_week": 5}, "replicates": 2}
    error = error_of(service.client.post("/v1/scenarios", headers=service.auth("officer"), json=body), 422)
    assert sorted((p["source"], p["column"]) for p in error["problems"]) == [
        ("scenario", "horizon_week"),
        ("scenario", "vacancies.statushouder_share"),
    ]
    assert service.client.get("/v1/scenarios", headers=service.auth("viewer")).json()["total"] == 0


def test_scenario_naming_server_files_is_refused(service: Service) -> None:
    """A base file or start files would make the server read its own files: 422 naming each field."""
    body = {"scenario": {"base": "nijmegen-base.yaml", "start": {"households": "/etc/passwd", "units": "u.csv"}}}
    error = error_of(service.client.post("/v1/scenarios", headers=service.auth("officer"), json=body), 422)
    assert sorted(p["column"] for p in error["problems"]) == ["base", "start.households", "start.units"]


def test_replicates_out_of_range_is_422(service: Service) -> None:
    """Zero replicates, or more than the service allows, is a 422 naming `replicates`."""
    for replicates in (0, 201):
        body = {"scenario": SMALL, "replicates": replicates}
        error = error_of(service.client.post("/v1/scenarios", headers=service.auth("officer"), json=body), 422)
        assert [(p["source"], p["column"]) for p in error["problems"]] == [("body", "replicates")], replicates


def test_compare_variant_with_base(service: Service) -> None:
    """Compare gives the simulator's comparison; with one seed it is paired, and the mean
    difference is the difference of the means."""
    base = start(service, SMALL)
    variant = start(service, SMALL | {"name": "minder-sociaal", "vacancies": {"statushouder_share": 0.0}})
    response = service.client.get(
        f"/v1/scenarios/compare?base={base['id']}&variant={variant['id']}", headers=service.auth("viewer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["base_id"], body["variant_id"], body["paired"]) == (base["id"], variant["id"], True)
    expected = compare(SimulationResult.from_json(base["result"]), SimulationResult.from_json(variant["result"]))
    assert body["comparison"] == expected
    housed = body["comparison"]["strategies"]["optimise"]["persons_housed_total"]
    assert abs(housed["difference"]["mean"] - (housed["variant"]["mean"] - housed["base"]["mean"])) < 1e-3


def test_compare_refuses_runs_over_other_weeks_or_unfinished(service: Service) -> None:
    """Different horizons are 409 not_comparable; a run without result is 409; an unknown id 404."""
    base = start(service, SMALL, replicates=1)
    longer = start(service, SMALL | {"horizon_weeks": 6}, replicates=1)
    url = f"/v1/scenarios/compare?base={base['id']}&variant={longer['id']}"
    assert error_of(service.client.get(url, headers=service.auth("viewer")), 409)["code"] == "not_comparable"
    engine = make_engine(service.url)
    with session_scope(make_sessionmaker(engine)) as session:
        waiting = ScenarioRun(
            name="wacht", created_by="test", status="failed", stage="failed", progress=1.0, replicates=1, scenario=SMALL
        )
        session.add(waiting)
        session.flush()
        waiting_id = waiting.id
    engine.dispose()
    url = f"/v1/scenarios/compare?base={base['id']}&variant={waiting_id}"
    assert error_of(service.client.get(url, headers=service.auth("viewer")), 409)["code"] == "scenario_not_done"
    error_of(service.client.get(f"/v1/scenarios/compare?base={base['id']}&variant=999", headers=service.auth("viewer")), 404)


def test_list_newest_first_and_scoped(service: Service) -> None:
    """Runs list newest first; a municipality's token sees only runs started under that municipality."""
    everyone = start(service, SMALL, replicates=1)
    nijmegen = start(service, SMALL | {"name": "nijmegen"}, replicates=1, who="officer@Nijmegen")
    listed = service.client.get("/v1/scenarios", headers=service.auth("viewer")).json()
    assert [r["id"] for r in listed["items"]] == [nijmegen["id"], everyone["id"]] and listed["total"] == 2
    assert "result" not in listed["items"][0]
    scoped = service.client.get("/v1/scenarios", headers=service.auth("viewer@Nijmegen")).json()
    assert [r["id"] for r in scoped["items"]] == [nijmegen["id"]]
    error_of(service.client.get(f"/v1/scenarios/{everyone['id']}", headers=service.auth("viewer@Nijmegen")), 404)
    error_of(service.client.get("/v1/scenarios/999", headers=service.auth("viewer")), 404)


def test_full_queue_is_429(service: Service) -> None:
    """With as many scenario runs waiting as the queue holds, a new one is refused with 429."""
    engine = make_engine(service.url)
    with session_scope(make_sessionmaker(engine)) as session:
        for _ in range(Settings().scenario_queue_max):
            session.add(
                ScenarioRun(name="x", created_by="t", status="queued", stage="queued", progress=0.0, replicates=1, scenario={})
            )
    engine.dispose()
    body = {"scenario": SMALL, "replicates": 1}
    assert error_of(service.client.post("/v1/scenarios", headers=service.auth("officer"), json=body), 429)["code"] == "queue_full"


def test_run_left_running_is_finished_after_a_restart(database_url: str) -> None:
    """A scenario run stored as running when the service stopped is simulated when it starts again."""
    from service_helpers import make_tokens

    tokens = make_tokens(database_url)
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        row = ScenarioRun(
            name="klein", created_by="t", status="running", stage="simulating", progress=0.5, replicates=1,
            scenario=parse_scenario(SMALL).model_dump(mode="json"),
        )  # fmt: skip
        session.add(row)
        session.flush()
        scenario_id = row.id
    engine.dispose()
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        run = wait_scenario(client, {"Authorization": f"Bearer {tokens['viewer']}"}, scenario_id)
    assert run["status"] == "done" and run["result"]["replicates"] == 1
