"""Taakstelling: targets per half year, persons counted from moved_in and family_arrived events,
backlog carried over, at any peildatum, and the Excel report for the Provincie."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, accept_body, error_of, load_example, move_in_match, proposal, start_run

from api.taakstelling import half_year_of


def test_half_year_of_dates() -> None:
    """June belongs to H1, July to H2."""
    import datetime as dt

    assert half_year_of(dt.date(2025, 6, 30)) == "2025-H1" and half_year_of(dt.date(2025, 7, 1)) == "2025-H2"


def _accept(service: Service, run_id: int, match: dict[str, Any], day: str) -> None:
    """Accept the pair and record the move on ``day``."""
    body = accept_body(match, day)
    assert service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    move_in_match(service.client, service.auth("wbb"), match, day)


FIGURES = ("half_year", "target", "carried_in", "due", "realised", "remaining")


def _figures(half: dict[str, Any]) -> dict[str, Any]:
    return {k: half[k] for k in FIGURES}


def test_realised_persons_and_backlog_carry_over(service: Service) -> None:
    """Persons count in the half year of their move; what is not realised is due in the next
    half year, on top of its own target."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    matches = proposal(service.client, service.auth("wbb"), run["id"])["matches"]
    _accept(service, run["id"], matches[0], "2025-03-10")
    _accept(service, run["id"], matches[1], "2025-08-01")
    for half, persons in (("2025-H1", 20), ("2025-H2", 30)):
        response = service.client.put(f"/v1/taakstelling/Nijmegen/{half}", headers=service.auth("wbb"), json={"persons": persons})
        assert response.status_code == 200 and response.json()["persons"] == persons
    report = service.client.get("/v1/taakstelling", headers=service.auth("viewer")).json()
    [nijmegen] = report["municipalities"]
    first, second = (_figures(h) for h in nijmegen["half_years"])
    p0, p1 = matches[0]["persons"], matches[1]["persons"]
    assert first == {"half_year": "2025-H1", "target": 20, "carried_in": 0, "due": 20, "realised": p0, "remaining": 20 - p0}
    assert second == {
        "half_year": "2025-H2",
        "target": 30,
        "carried_in": 20 - p0,
        "due": 50 - p0,
        "realised": p1,
        "remaining": 50 - p0 - p1,
    }
    assert nijmegen["backlog"] == 50 - p0 - p1


def test_target_validation_and_scope(service: Service) -> None:
    """A bad half year or negative target is 422; a scoped token cannot set another municipality's target."""
    error_of(service.client.put("/v1/taakstelling/Nijmegen/2025-H3", headers=service.auth("wbb"), json={"persons": 1}), 422)
    error_of(service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": -1}), 422)
    error_of(
        service.client.put("/v1/taakstelling/Wijchen/2025-H1", headers=service.auth("wbb@Nijmegen"), json={"persons": 1}), 404
    )
    service.client.put("/v1/taakstelling/Wijchen/2025-H1", headers=service.auth("wbb"), json={"persons": 5})
    assert service.client.get("/v1/taakstelling", headers=service.auth("viewer@Nijmegen")).json() == {
        "on": None,
        "municipalities": [],
    }
