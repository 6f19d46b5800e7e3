"""Half-year wijk caps in the service: the households placed earlier are counted from the recorded
moves and the offers in progress, stored with the run, and the proposal says what is left."""

from __future__ import annotations

from typing import Any

from service_helpers import Service, accept_body, load_example, move_in_match, policy, proposal, start_run


def _first_matches_in_one_wijk(document: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    by_wijk: dict[str, list[dict[str, Any]]] = {}
    for match in document["matches"]:
        by_wijk.setdefault(match["neighbourhood"], []).append(match)
    wijk = max(sorted(by_wijk), key=lambda name: len(by_wijk[name]))
    return wijk, by_wijk[wijk]


def test_half_year_placed_counts_moves_and_offers(service: Service) -> None:
    """One household moved into the wijk and one accepted offer there count as 2 placed earlier in the half-year;
    the next run stores that count, keeps within what is left of the cap and names the cap in Dutch."""
    client, wbb = service.client, service.auth("wbb")
    load_example(client, service.auth("admin"))
    first = start_run(client, wbb)
    wijk, matches = _first_matches_in_one_wijk(proposal(client, wbb, first["id"]))
    assert len(matches) >= 3
    moved, offered = matches[0], matches[1]
    for match in (moved, offered):
        assert client.post(f"/v1/runs/{first['id']}/decisions", headers=wbb, json=accept_body(match)).status_code == 201
    move_in_match(client, wbb, moved, "2025-03-05")
    body = {"policy": policy() | {"planning_date": "2025-03-10", "half_year_caps": {wijk: 3}}}
    second = start_run(client, wbb, body)
    assert second["status"] == "done", second
    assert second["policy"]["half_year_placed"] == {wijk: 2}
    document = proposal(client, wbb, second["id"])
    [section] = document["half_year_caps"]
    assert section["placed_before"] == 2 and section["placed_now"] <= 1
    assert document["kpis"]["by_neighbourhood"].get(wijk, 0) <= 1
    assert section["explanation"].startswith(f"Wijk {wijk} heeft een halfjaarplafond van 3 huishoudens in het eerste halfjaar")


def test_moves_of_an_earlier_half_year_do_not_count(service: Service) -> None:
    """A move recorded in the first half-year does not count against the cap of the second."""
    client, wbb = service.client, service.auth("wbb")
    load_example(client, service.auth("admin"))
    first = start_run(client, wbb)
    wijk, matches = _first_matches_in_one_wijk(proposal(client, wbb, first["id"]))
    assert client.post(f"/v1/runs/{first['id']}/decisions", headers=wbb, json=accept_body(matches[0])).status_code == 201
    move_in_match(client, wbb, matches[0], "2025-03-05")
    body = {"policy": policy() | {"planning_date": "2025-07-07", "half_year_caps": {wijk: 3}}}
    second = start_run(client, wbb, body)
    assert second["policy"]["half_year_placed"] == {wijk: 0}


def test_counts_sent_with_the_policy_are_kept(service: Service) -> None:
    """A policy that brings its own half_year_placed is solved and stored with those numbers."""
    client, wbb = service.client, service.auth("wbb")
    load_example(client, service.auth("admin"))
    run = start_run(client, wbb, {"policy": policy() | {"half_year_caps": {"Hatert": 4}, "half_year_placed": {"Hatert": 4}}})
    assert run["policy"]["half_year_placed"] == {"Hatert": 4}
    document = proposal(client, wbb, run["id"])
    assert document["kpis"]["by_neighbourhood"].get("Hatert", 0) == 0


def test_a_bad_half_year_setting_is_refused_naming_its_field(service: Service) -> None:
    """A half-year cap that is not a whole number is a 422 naming the field; no run is stored."""
    client, wbb = service.client, service.auth("wbb")
    load_example(client, service.auth("admin"))
    before = client.get("/v1/runs", headers=wbb).json()["total"]
    response = client.post("/v1/runs", headers=wbb, json={"policy": policy() | {"half_year_caps": {"Hatert": 2.5}}})
    assert response.status_code == 422, response.text
    assert "half_year_caps.Hatert" in response.text
    assert client.get("/v1/runs", headers=wbb).json()["total"] == before
