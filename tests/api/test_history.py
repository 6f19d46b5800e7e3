"""The history of the runs: superseded runs stay readable within the caller's municipality and role."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, accept_body, error_of, load_example, proposal, start_run


def _decide(service: Service, run_id: int, body: dict[str, Any]) -> None:
    response = service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body)
    assert response.status_code == 201, response.text


def _first_run(service: Service, who: str = "wbb") -> tuple[dict[str, Any], dict[str, Any]]:
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth(who))
    return run, proposal(service.client, service.auth(who), run["id"])


def test_superseded_runs_stay_readable(service: Service) -> None:
    """After a rerun the list shows both runs with planning date, who started them, when, and which
    is current or superseded; the superseded run, its proposal (redacted for a viewer), workbook and
    decisions are still readable, and deciding on it is refused."""
    first, document = _first_run(service, "wbb@Nijmegen")
    _decide(service, first["id"], accept_body(document["matches"][0], "2025-03-10"))
    second = start_run(service.client, service.auth("wbb@Nijmegen"), {"policy": {"planning_date": "2025-03-10"}})

    listed = service.client.get("/v1/runs", headers=service.auth("viewer@Nijmegen")).json()["items"]
    assert [(r["id"], r["planning_date"], r["current"], r["superseded"]) for r in listed] == [
        (second["id"], "2025-03-10", True, False),
        (first["id"], "2025-03-03", False, True),
    ]
    assert all(r["created_by"] and r["created_at"] and r["status"] == "done" for r in listed)

    for who in ("viewer@Nijmegen", "viewer", "officer@Nijmegen"):
        run = service.client.get(f"/v1/runs/{first['id']}", headers=service.auth(who)).json()
        assert (run["status"], run["current"], run["superseded"], run["planning_date"]) == ("done", False, True, "2025-03-03")
    viewed = proposal(service.client, service.auth("viewer@Nijmegen"), first["id"])
    assert viewed["withheld"] and all("vulnerable" not in m["terms"] for m in viewed["matches"])
    assert proposal(service.client, service.auth("officer@Nijmegen"), first["id"])["matches"] == document["matches"]
    xlsx = service.client.get(f"/v1/runs/{first['id']}/proposal.xlsx", headers=service.auth("viewer@Nijmegen"))
    assert xlsx.status_code == 200
    decisions = service.client.get(f"/v1/runs/{first['id']}/decisions", headers=service.auth("viewer@Nijmegen")).json()
    assert [d["kind"] for d in decisions["items"]] == ["accept"]
    error = error_of(
        service.client.post(
            f"/v1/runs/{first['id']}/decisions",
            headers=service.auth("wbb@Nijmegen"),
            json=accept_body(document["matches"][1]),
        ),
        409,
    )
    assert error["code"] == "run_superseded"

    other = service.client.post("/v1/tokens", headers=service.auth("admin"), json={"role": "viewer", "municipality": "Arnhem"})
    arnhem = {"Authorization": f"Bearer {other.json()['token']}"}
    for path in (f"/v1/runs/{first['id']}", f"/v1/runs/{first['id']}/proposal", f"/v1/runs/{first['id']}/proposal.xlsx"):
        error_of(service.client.get(path, headers=arnhem), 404)
    assert service.client.get("/v1/runs", headers=arnhem).json()["total"] == 0
