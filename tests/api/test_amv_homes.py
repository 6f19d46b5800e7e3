"""AMV homes in the service: the unit column amv_home is stored, shown, and rule B2 holds in a run."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, error_of, policy, proposal, start_run


def _household(hid: str, koppeling: str, vulnerabilities: list[str]) -> dict[str, Any]:
    return {"household_id": hid, "municipality": "Nijmegen", "koppeling_date": koppeling, "adults": 1, "children": 0,
            "gender": "M", "head_age": 19, "vulnerabilities": vulnerabilities}  # fmt: skip


def _unit(uid: str, amv_home: bool) -> dict[str, Any]:
    return {"unit_id": uid, "municipality": "Nijmegen", "neighbourhood": "Hatert", "unit_type": "social", "bedrooms": 1,
            "max_occupants": 1, "rent": "450.00", "available_from": "2025-03-01", "amv_home": amv_home}  # fmt: skip


def _batch(service: Service, kind: str, rows: list[dict[str, Any]]) -> Any:
    return service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": rows})


def test_an_amv_home_goes_to_the_ex_amv_youngster(service: Service) -> None:
    """Two singles and one AMV home: the one waiting longest has no ex_amv mark, so the home goes to the ex-AMV
    youngster; the stored unit shows amv_home, and the other household is told why in the rule's words."""
    households = [_household("H-1", "2024-06-01", []), _household("H-2", "2025-01-10", ["ex_amv"])]
    assert _batch(service, "households", households).status_code == 200
    assert _batch(service, "units", [_unit("U-1", True)]).status_code == 200
    shown = service.client.get("/v1/units/U-1", headers=service.auth("officer")).json()
    assert shown["amv_home"] is True
    run = start_run(service.client, service.auth("wbb"), {"policy": policy()})
    assert run["status"] == "done", run
    document = proposal(service.client, service.auth("wbb"), run["id"])
    assert [(m["household_id"], m["unit_id"]) for m in document["matches"]] == [("H-2", "U-1")]
    other = next(x for x in document["unmatched_households"] if x["household_id"] == "H-1")
    assert "1 bewaard voor ex-AMV-jongeren" in other["explanation"]


def test_a_bad_amv_home_value_is_refused_and_nothing_stored(service: Service) -> None:
    """A non-boolean amv_home names its row and column; no unit is stored."""
    row = _unit("U-1", True) | {"amv_home": "soms"}
    problems = error_of(_batch(service, "units", [row]), 422)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "amv_home")]
    assert service.client.get("/v1/units", headers=service.auth("viewer")).json()["total"] == 0


def test_a_viewer_does_not_see_which_homes_are_amv_homes(service: Service) -> None:
    """A match to an AMV home would tell a viewer which household came as an unaccompanied minor (special-category
    data here), so below officer amv_home reads null in the unit list and the unit; an officer sees it."""
    assert _batch(service, "units", [_unit("U-1", True)]).status_code == 200
    for who, expected in (("viewer", None), ("officer", True)):
        one = service.client.get("/v1/units/U-1", headers=service.auth(who)).json()
        listed = service.client.get("/v1/units", headers=service.auth(who)).json()["items"][0]
        assert one["amv_home"] is expected and listed["amv_home"] is expected, who
