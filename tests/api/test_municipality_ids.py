"""Ids are unique within a municipality: a token limited to one municipality meets an id that
another municipality uses exactly as a new id, and learns nothing about the other's data."""

from __future__ import annotations

from typing import Any

import pytest
from service_helpers import Service, csv_rows, error_of, load_example, proposal, start_run, typed

from api.auth import create_token
from api.db import make_engine, make_sessionmaker, session_scope

OTHER = "Heumen"
ROWS = {
    "households": lambda: [typed(r) for r in csv_rows("households.csv")[:3]],
    "units": lambda: [typed(r) for r in csv_rows("units.csv")[:3]],
}
KEY = {"households": "household_id", "units": "unit_id"}


def _other_rows(kind: str) -> list[dict[str, Any]]:
    """The first rows of the example week, as another municipality's (same ids, own neighbourhood names)."""
    rows = [r | {"municipality": OTHER} for r in ROWS[kind]()]
    if kind == "units":
        rows = [r | {"neighbourhood": f"{OTHER}-{r['neighbourhood']}"} for r in rows]
    return rows


def _import(service: Service, who: str, kind: str, rows: list[dict[str, Any]], mode: str = "upsert") -> Any:
    return service.client.post(f"/v1/{kind}/batch", headers=service.auth(who), json={"rows": rows, "mode": mode})


def _audit(service: Service) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = service.client.get("/v1/audit?limit=1000", headers=service.auth("admin")).json()["items"]
    return items


def _tokens(service: Service, municipality: str, *roles: str) -> None:
    engine = make_engine(service.url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            for role in roles:
                service.tokens[f"{role}@{municipality}"] = create_token(
                    session, role, municipality, None, owner=f"{role.capitalize()} {municipality}"
                )[1]
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["households", "units"])
def test_an_id_of_another_municipality_answers_as_a_new_id(service: Service, kind: str) -> None:
    """Heumen holds an id; Nijmegen's admin imports a row with that id and a row with a fresh id:
    the two answers are the same (status and body), both rows are stored as Nijmegen's, and
    Heumen's row is unchanged and invisible to Nijmegen. The audit log names the shared id."""
    key = KEY[kind]
    theirs = _other_rows(kind)
    assert _import(service, "admin", kind, theirs).status_code == 200
    before = [service.client.get(f"/v1/{kind}/{r[key]}", headers=service.auth("admin")).json() for r in theirs]

    shared, fresh = ROWS[kind]()[0], ROWS[kind]()[1] | {key: "X-fresh"}
    answer_shared = _import(service, "admin@Nijmegen", kind, [shared])
    answer_fresh = _import(service, "admin@Nijmegen", kind, [fresh])
    assert (answer_shared.status_code, answer_shared.json()) == (answer_fresh.status_code, answer_fresh.json())
    assert answer_shared.status_code == 200 and answer_shared.json()["created"] == 1

    # Nijmegen sees its own row under the shared id, and nothing of Heumen's.
    mine = service.client.get(f"/v1/{kind}/{shared[key]}", headers=service.auth("viewer@Nijmegen"))
    assert mine.status_code == 200 and mine.json()["municipality"] == "Nijmegen"
    listed = service.client.get(f"/v1/{kind}?limit=1000", headers=service.auth("admin@Nijmegen")).json()
    assert {item["municipality"] for item in listed["items"]} == {"Nijmegen"} and listed["total"] == 2
    error_of(service.client.get(f"/v1/{kind}/{shared[key]}?municipality={OTHER}", headers=service.auth("viewer@Nijmegen")), 404)
    error_of(service.client.get(f"/v1/{kind}/{theirs[2][key]}", headers=service.auth("viewer@Nijmegen")), 404)

    # Changing and replacing as Nijmegen leaves Heumen's rows as they were.
    change = {"children": 4} if kind == "households" else {"rent": "401.00"}
    assert (
        service.client.patch(f"/v1/{kind}/{shared[key]}", headers=service.auth("admin@Nijmegen"), json=change).status_code == 200
    )
    assert _import(service, "admin@Nijmegen", kind, [shared], mode="replace").json()["removed"] == 1
    assert service.client.delete(f"/v1/{kind}/{shared[key]}", headers=service.auth("admin@Nijmegen")).status_code == 204
    after = [
        service.client.get(f"/v1/{kind}/{r[key]}?municipality={OTHER}", headers=service.auth("admin")).json() for r in theirs
    ]
    assert after == before

    # A token for all municipalities names the municipality of a shared id.
    assert _import(service, "admin@Nijmegen", kind, [shared]).status_code == 200
    ambiguous = error_of(service.client.get(f"/v1/{kind}/{shared[key]}", headers=service.auth("viewer")), 409)
    assert ambiguous["code"] == "ambiguous_id"
    entries = [e for e in _audit(service) if e["action"] == f"{kind}.import.shared_id"]
    assert entries and all(e["object_ids"] == [shared[key]] for e in entries)


def test_a_neighbourhood_clash_does_not_name_the_other_municipality(service: Service) -> None:
    """A neighbourhood name that Heumen uses is refused for Nijmegen's limited admin without naming
    Heumen (a token for all municipalities is told which one); each refusal is in the audit log."""
    theirs = [r | {"neighbourhood": "Centrum"} for r in _other_rows("units")]
    assert _import(service, "admin", "units", theirs).status_code == 200
    row = ROWS["units"]()[0] | {"unit_id": "U-new", "neighbourhood": "Centrum"}
    scoped = error_of(_import(service, "admin@Nijmegen", "units", [row]), 422)
    assert [(p["row"], p["column"]) for p in scoped["problems"]] == [(2, "neighbourhood")]
    assert OTHER not in str(scoped) and "another municipality" in scoped["problems"][0]["message"]
    patched = service.client.patch("/v1/units/U-0002", headers=service.auth("admin@Nijmegen"), json={})
    assert patched.status_code == 404  # Nijmegen has no U-0002 yet; Heumen's is not reached
    unscoped = error_of(_import(service, "admin", "units", [row]), 422)
    assert OTHER in unscoped["problems"][0]["message"]
    clashes = [e for e in _audit(service) if e["action"] == "units.import.neighbourhood_clash"]
    assert [e["object_ids"] for e in clashes] == [["U-new"], ["U-new"]]
    assert service.client.get("/v1/units/U-new", headers=service.auth("admin")).status_code == 404


def test_runs_and_decisions_keep_to_their_municipality(service: Service) -> None:
    """Nijmegen and Heumen import the same week under the same ids. Each municipality's run covers its
    own pool; an accept or a decline in Nijmegen leaves Heumen's household and pairs alone; a run over
    both municipalities fails on the shared ids instead of mixing them."""
    load_example(service.client, service.auth("admin"))
    households = [typed(r) | {"municipality": OTHER} for r in csv_rows("households.csv")]
    units = [typed(r) | {"municipality": OTHER, "neighbourhood": f"{OTHER}-{r['neighbourhood']}"} for r in csv_rows("units.csv")]
    assert _import(service, "admin", "households", households).status_code == 200
    assert _import(service, "admin", "units", units).status_code == 200
    _tokens(service, OTHER, "wbb", "viewer")

    ours = start_run(service.client, service.auth("wbb@Nijmegen"))
    assert ours["status"] == "done" and ours["households"] == len(households)
    matches = proposal(service.client, service.auth("wbb@Nijmegen"), ours["id"])["matches"]
    accepted, declined = matches[0], matches[1]
    for match, extra in (
        (accepted, {"kind": "accept", "housed_on": "2025-03-10"}),
        (declined, {"kind": "decline", "reason": "other"}),
    ):
        body = {"household_id": match["household_id"], "unit_id": match["unit_id"], **extra}
        response = service.client.post(f"/v1/runs/{ours['id']}/decisions", headers=service.auth("wbb@Nijmegen"), json=body)
        assert response.status_code == 201, response.text
    theirs_household = service.client.get(f"/v1/households/{accepted['household_id']}", headers=service.auth(f"viewer@{OTHER}"))
    assert theirs_household.json()["status"] == "waiting" and theirs_household.json()["municipality"] == OTHER

    theirs = start_run(service.client, service.auth(f"wbb@{OTHER}"))
    assert theirs["status"] == "done" and theirs["households"] == len(households)
    assert [declined["household_id"], declined["unit_id"]] not in theirs["policy"].get("excluded_pairs", [])
    again = start_run(service.client, service.auth("wbb@Nijmegen"))
    assert [declined["household_id"], declined["unit_id"]] in again["policy"]["excluded_pairs"]
    assert again["households"] == len(households) - 1

    both = start_run(service.client, service.auth("wbb"))
    assert both["status"] == "failed" and any(p["column"] == "household_id" for p in both["problems"])
