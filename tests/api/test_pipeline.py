"""The COA's pipeline in the service: an upload behind the admin role, stored whole or not at all, read by the next
run that looks ahead."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, error_of, load_example, policy, proposal, start_run

LOOKAHEAD = [{"placed_persons": 10, "lookahead": 2, "long_wait": 65, "vulnerable": 3}, {"waiting_days": 1}]
HEADER = "pipeline_id,municipality,kind,expected_date,adults,children,expected_reunification,households\n"
# Planning date of the example: 2025-03-03; the look-ahead's window is 4 weeks (to 2025-03-31).
GOOD = HEADER + (
    "P-1,Nijmegen,koppeling,2025-03-05,2,3,0,1\n"
    "P-2,Nijmegen,expected,2025-03-20,1,0,2,6\n"
    "P-3,Nijmegen,amv,2025-03-28,1,0,0,2\n"
    "P-4,Nijmegen,koppeling,2025-02-20,1,0,0,1\n"  # already due: a koppeling in the household file by now
    "P-5,Nijmegen,expected,2025-06-01,1,0,0,9\n"  # after the window
)


def _upload(service: Service, who: str, text: str, name: str = "pipeline.csv") -> Any:
    return service.client.post(
        "/v1/pipeline/import", headers=service.auth(who), files={"file": (name, text.encode(), "text/csv")}
    )


def _stored(service: Service) -> dict[str, Any]:
    response = service.client.get("/v1/pipeline?planning_date=2025-03-03", headers=service.auth("officer"))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_upload_feeds_the_next_lookahead_run(service: Service) -> None:
    """An admin uploads the pipeline; the officer reads it back with what is due in the next 4 weeks per kind;
    the next run that looks ahead takes its forecast's households from the pipeline (due within the window, per
    week), names the source in its stored policy and in the proposal's lookahead section."""
    load_example(service.client, service.auth("admin"))
    response = _upload(service, "admin", GOOD)
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 5, "municipalities": {"Nijmegen": 19}}
    stored = _stored(service)
    assert stored["total"] == 5 and [i["pipeline_id"] for i in stored["items"]] == ["P-1", "P-2", "P-3", "P-4", "P-5"]
    assert stored["due"] == {"koppeling": 1, "expected": 6, "amv": 2}
    run = start_run(service.client, service.auth("wbb"), {"policy": policy() | {"objective": LOOKAHEAD}})
    assert run["status"] == "done", run
    forecast = run["policy"]["forecast"]
    assert forecast["source"] == "coa_pipeline+recent_weeks"
    assert forecast["households"] == [
        {"persons": 1, "expected_reunification": 0, "per_week": 0.5},
        {"persons": 1, "expected_reunification": 2, "per_week": 1.5},
        {"persons": 5, "expected_reunification": 0, "per_week": 0.25},
    ]
    assert forecast["units"], "the homes still come from recent weeks"
    assert proposal(service.client, service.auth("wbb"), run["id"])["lookahead"]["source"] == "coa_pipeline+recent_weeks"


def test_a_bad_file_stores_nothing_and_names_row_and_column(service: Service) -> None:
    """A pipeline with a bad date and an unknown kind is refused with both problems (row and column), and the
    pipeline stored before stays as it was; a run then still looks ahead with it."""
    assert _upload(service, "admin", GOOD).status_code == 200
    bad = HEADER + "Q-1,Nijmegen,koppeling,2025-13-01,1,0,0,1\nQ-2,Nijmegen,azc,2025-03-10,1,0,0,1\n"
    problems = error_of(_upload(service, "admin", bad), 422)["problems"]
    where = {(p["source"], p["row"], p["column"]) for p in problems}
    assert where == {("pipeline.csv", 2, "expected_date"), ("pipeline.csv", 3, "kind")}
    assert [i["pipeline_id"] for i in _stored(service)["items"]] == ["P-1", "P-2", "P-3", "P-4", "P-5"]


def test_a_misspelt_column_is_refused(service: Service) -> None:
    """An optional column with a typo would silently count no nareizigers; it is refused at the header instead."""
    text = GOOD.replace("expected_reunification", "expected_reunificaton")
    problems = error_of(_upload(service, "admin", text), 422)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(1, "expected_reunificaton")]
    assert _stored(service)["total"] == 0


def test_an_upload_replaces_the_named_municipality_only(service: Service) -> None:
    """A second upload for Nijmegen replaces Nijmegen's pipeline and leaves Wijchen's alone."""
    assert _upload(service, "admin", GOOD + "W-1,Wijchen,koppeling,2025-03-10,1,0,0,1\n").status_code == 200
    assert _upload(service, "admin", HEADER + "P-9,Nijmegen,koppeling,2025-03-12,2,0,0,1\n").status_code == 200
    assert {(i["municipality"], i["pipeline_id"]) for i in _stored(service)["items"]} == {("Nijmegen", "P-9"), ("Wijchen", "W-1")}


def test_scoped_tokens_stay_in_their_municipality(service: Service) -> None:
    """An admin of Nijmegen cannot upload Wijchen's pipeline (the row is named, nothing is stored); an officer of
    Nijmegen reads Nijmegen's rows only; below admin nobody uploads."""
    mixed = GOOD + "W-1,Wijchen,koppeling,2025-03-10,1,0,0,1\n"
    problems = error_of(_upload(service, "admin@Nijmegen", mixed), 422)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(7, "municipality")]
    assert _stored(service)["total"] == 0
    assert _upload(service, "admin", mixed).status_code == 200
    scoped = service.client.get("/v1/pipeline", headers=service.auth("officer@Nijmegen")).json()
    assert {i["municipality"] for i in scoped["items"]} == {"Nijmegen"} and scoped["total"] == 5
    assert _upload(service, "wbb", GOOD).status_code == 403
    assert service.client.get("/v1/pipeline", headers=service.auth("viewer")).status_code == 403


def test_a_viewer_reads_a_scenario_without_the_pipelines_kinds(service: Service) -> None:
    """A scenario run with the pipeline in it: the officer reads its lines whole; a viewer reads their dates and sizes
    without the reference and the kind (an amv line says who came as an unaccompanied minor)."""
    lines = [
        {"pipeline_id": "P-1", "kind": "amv", "expected_date": "2025-03-10", "adults": 1, "children": 0},
        {"pipeline_id": "P-2", "expected_date": "2025-03-17", "adults": 2, "children": 1, "households": 2},
    ]
    body = {"scenario": {"horizon_weeks": 2, "inflow": {"pipeline": lines}, "hindsight": False}, "replicates": 1}
    created = service.client.post("/v1/scenarios", headers=service.auth("officer"), json=body)
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    officer = service.client.get(f"/v1/scenarios/{run_id}", headers=service.auth("officer")).json()
    viewer = service.client.get(f"/v1/scenarios/{run_id}", headers=service.auth("viewer")).json()
    assert [line["kind"] for line in officer["scenario"]["inflow"]["pipeline"]] == ["amv", "koppeling"]
    shown = viewer["scenario"]["inflow"]["pipeline"]
    assert shown == [
        {"expected_date": "2025-03-10", "adults": 1, "children": 0, "expected_reunification": 0, "households": 1},
        {"expected_date": "2025-03-17", "adults": 2, "children": 1, "expected_reunification": 0, "households": 2},
    ]
    assert "'kind'" not in str(viewer) and "P-1" not in str(viewer)
