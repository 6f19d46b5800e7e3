"""The Overzicht figures (GET /v1/dashboard) and the caller (GET /v1/me), checked against
counts made independently from the example files and from the decisions taken."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service_helpers import Service, accept_body, csv_rows, load_example, move_in_match, proposal, start_run, typed

ON = dt.date(2025, 3, 3)


def dashboard(service: Service, who: str = "viewer", **params: Any) -> dict[str, Any]:
    response = service.client.get("/v1/dashboard", headers=service.auth(who), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_me_names_role_and_municipality(service: Service) -> None:
    """/v1/me answers the token's role and municipality, and never the secret."""
    body = service.client.get("/v1/me", headers=service.auth("officer@Nijmegen")).json()
    assert (body["role"], body["municipality"]) == ("officer", "Nijmegen") and body["token_id"].startswith("tok-")
    assert service.tokens["officer@Nijmegen"] not in str(body)


def test_pool_figures_match_the_example_files(service: Service) -> None:
    """Households, persons, overdue (longer than 10 weeks), documents incomplete and the
    waiting-time histogram agree with counts made from households.csv."""
    load_example(service.client, service.auth("admin"))
    rows = csv_rows("households.csv")
    weeks = [(ON - dt.date.fromisoformat(r["koppeling_date"])).days // 7 for r in rows]
    body = dashboard(service, "officer", on=ON.isoformat())
    pool = body["pool"]
    assert (pool["households"], pool["persons"]) == (len(rows), sum(int(r["adults"]) + int(r["children"]) for r in rows))
    assert pool["overdue"] == sum(1 for r in rows if (ON - dt.date.fromisoformat(r["koppeling_date"])).days > 70)
    assert pool["documents_incomplete"] == sum(1 for r in rows if r["documents_complete"].lower() == "false") == 3
    assert dashboard(service, on=ON.isoformat())["pool"]["documents_incomplete"] is None  # a small cell for a viewer
    bins = pool["waiting_weeks"]
    assert sum(b["households"] for b in bins) == len(rows)
    assert any(b["from"] == 10 for b in bins), "the 10-week line falls on a bin edge"
    for b in bins:
        assert b["households"] == sum(1 for w in weeks if b["from"] <= w < b["to"])
    assert body["units_available"] == len(csv_rows("units.csv")) and body["municipalities"] == ["Nijmegen"]
    later = dashboard(service, on="2026-03-03")["pool"]
    assert later["overdue"] == len(rows) and later["households"] == len(rows)


def test_by_size_counts_demand_fitting_units_and_placed(service: Service) -> None:
    """Per household size: waiting households, offered units whose occupancy range admits the
    size (shared places: single persons), and households of that size in the current proposal."""
    load_example(service.client, service.auth("admin"))
    before = {r["persons"]: r for r in dashboard(service)["by_size"]}
    assert all(r["placed"] == 0 for r in before.values())
    households, units = csv_rows("households.csv"), csv_rows("units.csv")
    for size in (1, 3, 8):
        assert before[size]["households"] == sum(1 for h in households if min(int(h["adults"]) + int(h["children"]), 8) == size)
        assert before[size]["units_fitting"] == sum(
            1
            for u in units
            if (size == 1 if u["shared"].lower() == "true" else int(u["min_occupants"]) <= size <= int(u["max_occupants"])
                or (size == 8 and int(u["max_occupants"]) >= 8))
        )  # fmt: skip
    run = start_run(service.client, service.auth("wbb"))
    document = proposal(service.client, service.auth("wbb"), run["id"])
    after = {r["persons"]: r for r in dashboard(service)["by_size"]}
    for size in range(1, 9):
        assert after[size]["placed"] == sum(1 for m in document["matches"] if min(m["persons"], 8) == size)
    current = dashboard(service, "officer")["current_run"]
    assert current["id"] == run["id"] and current["mismatch"] == document["mismatch"]
    viewer = proposal(service.client, service.auth("viewer"), run["id"])
    assert dashboard(service)["current_run"]["mismatch"] == viewer["mismatch"] != document["mismatch"]


def test_taakstelling_and_placements_follow_the_decisions(service: Service) -> None:
    """An accepted pair counts only once the household moves in: for the half year of the move,
    under its unit's wijk and month; the current half year shows the target set for it."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    match = proposal(service.client, service.auth("wbb"), run["id"])["matches"][0]
    body = accept_body(match, "2025-03-10")
    assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    assert dashboard(service, on="2025-04-01")["taakstelling"][0]["realised"] == 0
    move_in_match(service.client, service.auth("wbb"), match, "2025-03-10")
    put = service.client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=service.auth("wbb"), json={"persons": 120})
    assert put.status_code == 200
    figures = dashboard(service, on="2025-04-01")
    [half] = figures["taakstelling"]
    assert (half["half_year"], half["target"], half["realised"]) == ("2025-H1", 120, match["persons"])
    assert half["remaining"] == 120 - match["persons"] == half["backlog"]
    placements = figures["placements_by_neighbourhood"]
    assert placements["months"] == ["2025-03"]
    assert placements["neighbourhoods"] == [{"neighbourhood": match["neighbourhood"], "persons": [match["persons"]]}]
    nothing_yet = dashboard(service, on="2025-09-01")["taakstelling"][0]
    assert (nothing_yet["half_year"], nothing_yet["carried_in"], nothing_yet["realised"]) == (
        "2025-H2",
        120 - match["persons"],
        0,
    )


def test_a_municipality_sees_only_its_own_pool(service: Service) -> None:
    """A token limited to Nijmegen does not count another municipality's households."""
    load_example(service.client, service.auth("admin"))
    other = typed(csv_rows("households.csv")[0]) | {"household_id": "H-elders", "municipality": "Wijchen"}
    response = service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": [other]})
    assert response.status_code == 200, response.text
    assert dashboard(service)["pool"]["households"] == 151
    scoped = dashboard(service, who="viewer@Nijmegen")
    assert scoped["pool"]["households"] == 150 and scoped["municipalities"] == ["Nijmegen"]
    assert dashboard(service)["municipalities"] == ["Nijmegen", "Wijchen"]


def test_waiting_figures_are_those_of_the_peildatum(service: Service) -> None:
    """Every waiting figure counts the pool on the peildatum: households gekoppeld by then and not yet
    housed, their waiting counted to that day. A household that moved in on 10 March still waited on
    3 March; one gekoppeld on 1 April is not in the pool before that. Without a peildatum: today."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    match = proposal(service.client, service.auth("wbb"), run["id"])["matches"][0]
    decided = service.client.post(
        f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=accept_body(match, "2025-03-10")
    )
    assert decided.status_code == 201, decided.text
    move_in_match(service.client, service.auth("wbb"), match, "2025-03-10")
    later = typed(csv_rows("households.csv")[0]) | {
        "household_id": "H-later", "koppeling_date": "2025-04-01", "adults": 2, "children": 3, "documents_complete": False,
    }  # fmt: skip
    response = service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": [later]})
    assert response.status_code == 200, response.text
    rows = [*csv_rows("households.csv"), {k: str(v) for k, v in later.items()}]

    def expected(on: dt.date) -> tuple[list[dict[str, str]], list[int]]:
        housed = on >= dt.date(2025, 3, 10)
        pool = [
            r
            for r in rows
            if dt.date.fromisoformat(r["koppeling_date"]) <= on and not (housed and r["household_id"] == match["household_id"])
        ]
        return pool, [(on - dt.date.fromisoformat(r["koppeling_date"])).days for r in pool]

    for on in (dt.date(2025, 3, 3), dt.date(2025, 3, 10), dt.date(2025, 4, 1), dt.date.today()):
        pool_rows, days = expected(on)
        body = dashboard(service, "officer", on=on.isoformat())  # exact counts: an officer sees small cells too
        pool = body["pool"]
        assert pool["households"] == len(pool_rows), on
        assert pool["persons"] == sum(int(r["adults"]) + int(r["children"]) for r in pool_rows), on
        assert pool["overdue"] == sum(1 for d in days if d > 70), on
        assert pool["documents_incomplete"] == sum(1 for r in pool_rows if r["documents_complete"].lower() == "false"), on
        weeks = sorted(d // 7 for d in days)
        assert pool["median_waiting_weeks"] == (weeks[(len(weeks) - 1) // 2] + weeks[len(weeks) // 2]) / 2, on
        for b in pool["waiting_weeks"]:
            assert b["households"] == sum(1 for w in weeks if b["from"] <= w < b["to"]), on
        assert sum(b["households"] for b in pool["waiting_weeks"]) == len(pool_rows), on
        by_size = {r["persons"]: r["households"] for r in body["by_size"]}
        for size in range(1, 9):
            assert by_size[size] == sum(1 for r in pool_rows if min(int(r["adults"]) + int(r["children"]), 8) == size), on
    assert dashboard(service, "officer")["pool"] == dashboard(service, "officer", on=dt.date.today().isoformat())["pool"]
