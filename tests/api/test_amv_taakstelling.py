"""The indicative AMV taakstelling: stored beside the target, validated strictly, reported per
half year apart from (and never subtracted from) the main count, and the ex-AMV figure only
for the roles that see special-category data, in JSON, on the Overzicht and in the workbook."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from service_helpers import Service, accept_body, error_of, move_in_match, proposal, start_run
from sqlalchemy import text

from api.db import make_engine, make_sessionmaker, session_scope, upgrade
from api.retention import erase_housed

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "M", "head_age": 18}
UNIT = {"municipality": "Nijmegen", "neighbourhood": "Hatert", "unit_type": "social", "bedrooms": 2, "max_occupants": 4,
        "rent": 600, "available_from": "2025-03-01"}  # fmt: skip


def _housed(service: Service) -> None:
    """Two ex-AMV youngsters and a family of three; all three move in, on 10 March 2025."""
    admin, wbb = service.auth("admin"), service.auth("wbb")
    households = [
        PERSON | {"household_id": "A-1", "adults": 1, "children": 0, "vulnerabilities": ["ex_amv"]},
        PERSON | {"household_id": "A-2", "adults": 1, "children": 0, "vulnerabilities": ["ex_amv"]},
        PERSON | {"household_id": "F-1", "adults": 2, "children": 1, "head_age": 35},
    ]
    assert service.client.post("/v1/households/batch", headers=admin, json={"rows": households}).status_code == 200
    small = {"bedrooms": 1, "max_occupants": 1, "rent": 450}
    rows = [UNIT | {"unit_id": "S-1"}, UNIT | small | {"unit_id": "S-2"}, UNIT | small | {"unit_id": "S-3"}]
    assert service.client.post("/v1/units/batch", headers=admin, json={"rows": rows}).status_code == 200
    run = start_run(service.client, wbb, {"policy": {"planning_date": "2025-03-03"}})
    matches = {m["household_id"]: m for m in proposal(service.client, wbb, run["id"])["matches"]}
    assert set(matches) == {"A-1", "A-2", "F-1"}
    for match in matches.values():
        assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=accept_body(match)).status_code == 201
        move_in_match(service.client, wbb, match, "2025-03-10")


def _put(service: Service, body: dict[str, Any], who: str = "wbb") -> Any:
    return service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth(who), json=body)


def _half(service: Service, who: str) -> dict[str, Any]:
    report = service.client.get("/v1/taakstelling?on=2025-06-30", headers=service.auth(who)).json()
    [half] = report["municipalities"][0]["half_years"]
    result: dict[str, Any] = half
    return result


def test_amv_target_is_stored_kept_and_cleared(service: Service) -> None:
    """The AMV target is stored beside the target; a PUT without it keeps it, null clears it."""
    saved = _put(service, {"persons": 20, "amv_persons": 12})
    assert saved.status_code == 200 and (saved.json()["persons"], saved.json()["amv_persons"]) == (20, 12)
    assert _put(service, {"persons": 25}).json()["amv_persons"] == 12
    assert _half(service, "viewer")["amv_target"] == 12 and _half(service, "viewer")["target"] == 25
    assert _put(service, {"persons": 25, "amv_persons": None}).json()["amv_persons"] is None
    assert _half(service, "viewer")["amv_target"] is None


@pytest.mark.parametrize("value", [-1, "3", True, 2.5, 2_000_000])
def test_bad_amv_target_names_the_field_and_stores_nothing(service: Service, value: Any) -> None:
    """A negative, text, boolean, fractional or absurd AMV target is a 422 naming amv_persons; the stored target stays."""
    assert _put(service, {"persons": 20, "amv_persons": 4}).status_code == 200
    error = error_of(_put(service, {"persons": 30, "amv_persons": value}), 422)
    assert [p["column"] for p in error["problems"]] == ["amv_persons"]
    half = _half(service, "wbb")
    assert (half["target"], half["amv_target"]) == (20, 4)


def test_ex_amv_persons_are_counted_apart_and_not_subtracted(service: Service) -> None:
    """Officer, wbb and admin read 2 ex-AMV persons housed against an AMV target of 12, while the
    main count stays all 5 persons who moved in; moves of households without the mark do not count for AMV."""
    _housed(service)
    assert _put(service, {"persons": 20, "amv_persons": 12}).status_code == 200
    for who in ("officer", "wbb", "admin", "officer@Nijmegen"):
        half = _half(service, who)
        assert (half["realised"], half["remaining"], half["amv_target"], half["amv_realised"]) == (5, 15, 12, 2), who


@pytest.mark.parametrize("who", ["viewer", "viewer@Nijmegen"])
def test_a_viewer_gets_the_amv_target_but_no_ex_amv_count(service: Service, who: str) -> None:
    """A viewer reads the AMV target and the main figures, never the ex-AMV count: not in the
    report, not on the Overzicht, not in the workbook (any count of it would differ between two
    peildata by the ex-AMV youngsters among the moves in between)."""
    _housed(service)
    assert _put(service, {"persons": 20, "amv_persons": 12}).status_code == 200
    half = _half(service, who)
    assert (half["realised"], half["amv_target"], half["amv_realised"]) == (5, 12, None)
    dashboard = service.client.get("/v1/dashboard?on=2025-06-30", headers=service.auth(who)).json()
    [row] = dashboard["taakstelling"]
    assert (row["realised"], row["amv_target"], row["amv_realised"]) == (5, 12, None)
    sheet = _workbook_row(service, who)
    assert (sheet["AMV-taakstelling (indicatief, personen)"], sheet["Ex-AMV gehuisvest (personen)"]) == (12, "niet getoond")


def test_the_overzicht_and_workbook_carry_the_ex_amv_count_for_an_officer(service: Service) -> None:
    """The Overzicht and the Provincie workbook hold the AMV target and 2 ex-AMV persons housed for an officer."""
    _housed(service)
    assert _put(service, {"persons": 20, "amv_persons": 12}).status_code == 200
    dashboard = service.client.get("/v1/dashboard?on=2025-06-30", headers=service.auth("officer")).json()
    [row] = dashboard["taakstelling"]
    assert (row["realised"], row["amv_target"], row["amv_realised"]) == (5, 12, 2)
    sheet = _workbook_row(service, "officer")
    assert (sheet["Gerealiseerd"], sheet["AMV-taakstelling (indicatief, personen)"], sheet["Ex-AMV gehuisvest (personen)"]) == (
        5,
        12,
        2,
    )


def _workbook_row(service: Service, who: str) -> dict[str, Any]:
    """The Taakstelling sheet's one data row of the workbook at 30 June 2025, by header."""
    response = service.client.get("/v1/taakstelling/report.xlsx?on=2025-06-30", headers=service.auth(who))
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Taakstelling"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Gemeente")
    [data] = [r for r in rows[header_at + 1 :] if r and r[0] == "Nijmegen"]
    return dict(zip(rows[header_at], data, strict=True))


def test_upgrade_keeps_targets_set_before_the_amv_column(database_url: str) -> None:
    """A target stored at revision 0012 survives the upgrade with its persons and no AMV target."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0012")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO targets (municipality, half_year, persons, updated_at, updated_by) "
                    "VALUES ('Nijmegen', '2025-H1', 69, CURRENT_TIMESTAMP, 'tok-old')"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT municipality, half_year, persons, amv_persons FROM targets")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("Nijmegen", "2025-H1", 69, None)]


def test_retention_keeps_the_ex_amv_figure_of_a_past_half_year(service: Service) -> None:
    """`matcher retention --older-than-days 0` erases the housed youngsters' personal fields but
    keeps their ex_amv mark (and only that mark), so the ex-AMV persons housed in 2025-H1 stay 2."""
    _housed(service)
    assert _put(service, {"persons": 20, "amv_persons": 12}).status_code == 200
    before = _half(service, "officer")
    engine = make_engine(service.url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            erased = erase_housed(session, 0, dt.date.today())
    finally:
        engine.dispose()
    assert erased == ["A-1", "A-2", "F-1"]
    assert _half(service, "officer") == before and before["amv_realised"] == 2
    staff = service.auth("officer")
    marks = {h: service.client.get(f"/v1/households/{h}", headers=staff).json() for h in ("A-1", "F-1")}
    assert marks["A-1"]["vulnerabilities"] == ["ex_amv"] and marks["A-1"]["gender"] == "" and marks["A-1"]["head_age"] == 0
    assert marks["F-1"]["vulnerabilities"] == []
