"""Dates enter the service only inside a plausible window, and a stored date outside it never
takes the Overzicht or the taakstelling down."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from service_helpers import (
    Service,
    accept_body,
    csv_rows,
    error_of,
    load_example,
    move_in_match,
    proposal,
    start_run,
    typed,
)
from sqlalchemy import text

from api.dates import latest
from api.db import make_engine

IMPLAUSIBLE = ["0001-01-01", "1900-01-01", "1999-12-31", "2999-12-31"]


def _first_match(service: Service) -> tuple[int, dict[str, Any]]:
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    return run["id"], proposal(service.client, service.auth("wbb"), run["id"])["matches"][0]


def _reads_answer(service: Service) -> dict[str, Any]:
    """The Overzicht and the taakstelling answer 200 (for a viewer and for an admin)."""
    out: dict[str, Any] = {}
    for who in ("viewer", "admin"):
        dashboard = service.client.get("/v1/dashboard", headers=service.auth(who), params={"on": "2025-04-01"})
        report = service.client.get("/v1/taakstelling", headers=service.auth(who))
        assert dashboard.status_code == 200, dashboard.text
        assert report.status_code == 200, report.text
        out[who] = {"dashboard": dashboard.json(), "taakstelling": report.json()}
    return out


@pytest.mark.parametrize("day", IMPLAUSIBLE)
def test_an_implausible_housing_date_is_refused(service: Service, day: str) -> None:
    """An accept housed on 0001-01-01, 1900-01-01, 1999-12-31 or 2999-12-31 is refused with 422 naming
    housed_on; nothing is stored, and the Overzicht and the taakstelling keep answering."""
    run_id, match = _first_match(service)
    response = service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=accept_body(match, day))
    error = error_of(response, 422)
    assert [(p["source"], p["column"]) for p in error["problems"]] == [("body", "housed_on")]
    assert day not in response.text
    assert service.client.get("/v1/decisions", headers=service.auth("wbb")).json()["total"] == 0
    household = service.client.get(f"/v1/households/{match['household_id']}", headers=service.auth("wbb")).json()
    assert household["status"] == "waiting" and household["housed_on"] is None
    _reads_answer(service)


def test_the_last_day_of_the_window_is_accepted(service: Service) -> None:
    """The last day of the window is accepted; the day after it is refused."""
    run_id, match = _first_match(service)
    after = (latest() + dt.timedelta(days=1)).isoformat()
    body = accept_body(match, after)
    error_of(service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body), 422)
    body = accept_body(match, latest().isoformat())
    assert service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    _reads_answer(service)


def test_a_housing_date_before_the_koppeling_is_refused(service: Service) -> None:
    """A household cannot be housed before the COA linked it to the municipality."""
    run_id, match = _first_match(service)
    koppeling = next(r["koppeling_date"] for r in csv_rows("households.csv") if r["household_id"] == match["household_id"])
    day_before = (dt.date.fromisoformat(koppeling) - dt.timedelta(days=1)).isoformat()
    body = accept_body(match, day_before)
    error = error_of(service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body), 422)
    assert [p["column"] for p in error["problems"]] == ["housed_on"]
    body = accept_body(match, koppeling)
    assert service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body).status_code == 201


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "2999-12-31"])
def test_a_stored_date_outside_the_window_does_not_break_the_reads(
    service: Service, day: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A move's date, a target and a koppeling date outside the window, written into the database
    directly, are left out of the figures (and counted in the log, without ids or dates); the
    Overzicht and the taakstelling answer 200 with the figures of the plausible rows."""
    run_id, match = _first_match(service)
    body = accept_body(match, "2025-03-10")
    assert service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    move_in_match(service.client, service.auth("wbb"), match, "2025-03-10")
    assert (
        service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": 40}).status_code
        == 200
    )
    clean = _reads_answer(service)
    second = proposal(service.client, service.auth("wbb"), run_id)["matches"][1]
    assert (
        service.client.post(
            f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=accept_body(second, "2025-03-11")
        ).status_code
        == 201
    )
    move_in_match(service.client, service.auth("wbb"), second, "2025-03-11")
    engine = make_engine(service.url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE decisions SET housed_on = :day WHERE household_id = :id"),
                {"day": dt.date.fromisoformat(day), "id": second["household_id"]},
            )
            connection.execute(
                text("UPDATE households SET housed_on = :day WHERE household_id = :id"),
                {"day": dt.date.fromisoformat(day), "id": second["household_id"]},
            )
            connection.execute(
                text("UPDATE case_events SET date = :day WHERE household_id = :id AND kind = 'moved_in'"),
                {"day": dt.date.fromisoformat(day), "id": second["household_id"]},
            )
            connection.execute(
                text(
                    "INSERT INTO targets (municipality, half_year, persons, updated_at, updated_by) "
                    "VALUES ('Nijmegen', :half, 7, CURRENT_TIMESTAMP, 'tok-x')"
                ),
                {"half": f"{day[:4]}-H1"},
            )
    finally:
        engine.dispose()
    with caplog.at_level(logging.INFO):
        dirty = _reads_answer(service)
    for who in ("viewer", "admin"):
        assert dirty[who]["taakstelling"] == clean[who]["taakstelling"]
        assert dirty[who]["dashboard"]["taakstelling"] == clean[who]["dashboard"]["taakstelling"]
        assert dirty[who]["dashboard"]["placements_by_neighbourhood"]["months"] == ["2025-03"]
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("api."))
    assert "outside the window" in logged
    assert second["household_id"] not in logged and day not in logged and day[:4] not in logged


def test_a_stored_koppeling_date_outside_the_window_does_not_break_the_overzicht(service: Service) -> None:
    """A household whose koppeling date was set to 0001-01-01 in the database still counts in the pool,
    but not in the waiting times."""
    load_example(service.client, service.auth("admin"))
    engine = make_engine(service.url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE households SET koppeling_date = :day WHERE household_id = 'H-0001'"), {"day": dt.date(1, 1, 1)}
            )
    finally:
        engine.dispose()
    pool = _reads_answer(service)["viewer"]["dashboard"]["pool"]
    assert pool["households"] == 150
    assert sum(b["households"] for b in pool["waiting_weeks"]) == 149
    assert len(pool["waiting_weeks"]) <= 30


def test_dates_outside_the_window_are_refused_where_they_enter(service: Service) -> None:
    """The peildatum of the Overzicht, a target's half year, a run's planning date, and the dates of
    imported or changed households and units: each is refused with 422 naming the field."""
    load_example(service.client, service.auth("admin"))
    admin, wbb = service.auth("admin"), service.auth("wbb")
    far = "2999-12-31"

    error = error_of(service.client.get("/v1/dashboard", headers=service.auth("viewer"), params={"on": "0001-01-01"}), 422)
    assert [(p["source"], p["column"]) for p in error["problems"]] == [("query", "on")]
    for half in ("1999-H2", "2999-H1", "0001-H1"):
        error = error_of(service.client.put(f"/v1/taakstelling/Nijmegen/{half}", headers=wbb, json={"persons": 1}), 422)
        assert [p["column"] for p in error["problems"]] == ["half_year"]
    error = error_of(service.client.post("/v1/runs", headers=wbb, json={"policy": {"planning_date": "1900-01-01"}}), 422)
    assert [(p["source"], p["column"]) for p in error["problems"]] == [("policy", "planning_date")]

    household = typed(csv_rows("households.csv")[0]) | {"household_id": "H-new", "koppeling_date": "1999-12-31"}
    error = error_of(service.client.post("/v1/households/batch", headers=admin, json={"rows": [household]}), 422)
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(2, "koppeling_date")]
    unit = typed(csv_rows("units.csv")[0]) | {"unit_id": "U-new", "available_from": far}
    error = error_of(service.client.post("/v1/units/batch", headers=admin, json={"rows": [unit]}), 422)
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(2, "available_from")]
    error = error_of(service.client.patch("/v1/households/H-0001", headers=admin, json={"koppeling_date": "1900-01-01"}), 422)
    assert [p["column"] for p in error["problems"]] == ["koppeling_date"]
    error = error_of(service.client.patch("/v1/units/U-0001", headers=admin, json={"available_from": far}), 422)
    assert [p["column"] for p in error["problems"]] == ["available_from"]
    assert far not in str(error) and "1999-12-31" not in str(error)
    assert service.client.get("/v1/households/H-new", headers=admin).status_code == 404
    assert service.client.get("/v1/households/H-0001", headers=admin).json()["koppeling_date"] != "1900-01-01"
    assert service.client.get("/v1/runs", headers=wbb).json()["total"] == 0
