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


def test_realised_from_events_at_two_peildata_and_the_provincie_workbook(service: Service) -> None:
    """Moves and family arrivals count on their dates, an accept alone counts nothing. At
    30 June 2025 only the first half year is reported (2 persons realised, 2 households
    still waiting, the offered one among them); at 31 December 2025 the second half year
    carries the backlog in and counts the later move and the nareiziger. With counting of
    arrivals switched off, a later arrival counts nothing. The workbook has Dutch headers and
    dates written out."""
    import datetime as dt
    import io

    import openpyxl

    person = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31}
    households = [
        person | {"household_id": "H-1", "adults": 1, "children": 1},
        person | {"household_id": "H-2", "adults": 2, "children": 1},
        person | {"household_id": "H-3", "adults": 1, "children": 0, "documents_complete": False},
    ]
    unit = {"municipality": "Nijmegen", "neighbourhood": "Hatert", "unit_type": "social", "bedrooms": 2, "max_occupants": 4,
            "rent": 600, "available_from": "2025-03-01"}  # fmt: skip
    admin, wbb, viewer = service.auth("admin"), service.auth("wbb"), service.auth("viewer")
    assert service.client.post("/v1/households/batch", headers=admin, json={"rows": households}).status_code == 200
    rows = [unit | {"unit_id": "S-1"}, unit | {"unit_id": "S-2"}]
    assert service.client.post("/v1/units/batch", headers=admin, json={"rows": rows}).status_code == 200
    for half, persons in (("2025-H1", 10), ("2025-H2", 5)):
        assert service.client.put(f"/v1/taakstelling/Nijmegen/{half}", headers=wbb, json={"persons": persons}).status_code == 200
    run = start_run(service.client, wbb, {"policy": {"planning_date": "2025-03-03"}})
    matches = {m["household_id"]: m for m in proposal(service.client, wbb, run["id"])["matches"]}
    assert set(matches) == {"H-1", "H-2"}
    for match in matches.values():
        body = accept_body(match)
        assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=body).status_code == 201
    move_in_match(service.client, wbb, matches["H-1"], "2025-03-10")
    move_in_match(service.client, wbb, matches["H-2"], "2025-07-07")

    def family(household: str, day: str, children: int) -> int:
        body = {"kind": "family_arrived", "date": day, "children": children}
        response = service.client.post(f"/v1/households/{household}/events", headers=wbb, json=body)
        assert response.status_code == 201, response.text
        counted: int = response.json()["persons_counted"]
        return counted

    assert family("H-1", "2025-08-01", 1) == 1

    june = service.client.get("/v1/taakstelling?on=2025-06-30", headers=viewer).json()
    assert june["on"] == "2025-06-30"
    [first] = june["municipalities"][0]["half_years"]
    assert _figures(first) == {"half_year": "2025-H1", "target": 10, "carried_in": 0, "due": 10, "realised": 2, "remaining": 8}
    assert (first["waiting_on"], first["waiting_households"], first["waiting_persons"]) == ("2025-06-30", 2, 4)
    assert (first["waiting_over_deadline"], first["longest_waiting_weeks"]) == (2, 25)

    december = service.client.get("/v1/taakstelling?on=2025-12-31", headers=viewer).json()
    first, second = december["municipalities"][0]["half_years"]
    assert _figures(first) == _figures(june["municipalities"][0]["half_years"][0])
    assert _figures(second) == {"half_year": "2025-H2", "target": 5, "carried_in": 8, "due": 13, "realised": 4, "remaining": 9}
    assert (second["realised_moved_in"], second["realised_family_arrived"]) == (3, 1)
    assert (second["waiting_households"], second["waiting_persons"]) == (1, 1)
    assert december["municipalities"][0]["backlog"] == 9

    response = service.client.put("/v1/municipalities/Nijmegen/settings", headers=wbb, json={"count_family_arrivals": False})
    assert response.json() == {"municipality": "Nijmegen", "count_family_arrivals": False}
    assert family("H-2", "2025-09-01", 2) == 0
    assert service.client.get("/v1/taakstelling?on=2025-12-31", headers=viewer).json() == december

    response = service.client.get("/v1/taakstelling/report.xlsx?on=2025-12-31", headers=viewer)
    assert response.status_code == 200 and "taakstelling-2025-12-31.xlsx" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Taakstelling", "Gerealiseerd", "Prestatieafspraken"]
    sheet = [list(row) for row in book["Taakstelling"].iter_rows(values_only=True)]
    assert sheet[0][0] == "Taakstelling statushouders, peildatum 31 december 2025"
    header = sheet[2]
    assert header[:6] == ["Gemeente", "Halfjaar", "Taakstelling (personen)", "Achterstand meegenomen", "Opgave", "Gerealiseerd"]
    line = dict(zip(header, sheet[4], strict=True))
    assert (line["Halfjaar"], line["Achterstand meegenomen"], line["Gerealiseerd"], line["Nog te realiseren"]) == (
        "2e halfjaar 2025", 8, 4, 9,
    )  # fmt: skip
    assert line["Stand wachtenden op"] == "31 december 2025" and line["Wachtende huishoudens"] == 1
    realised = [list(row) for row in book["Gerealiseerd"].iter_rows(values_only=True)]
    assert realised[1] == ["Nijmegen", "10 maart 2025", "1e halfjaar 2025", "H-1", "Verhuizing", 2]
    assert [r[4] for r in realised[1:]] == ["Verhuizing", "Verhuizing", "Nareizigers"]
    assert dt.date(2025, 3, 3).isoformat() not in str(realised)
