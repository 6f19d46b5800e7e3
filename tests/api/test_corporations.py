"""The corporation role and the prestatieafspraken over HTTP: a corporation sees its own units
and the offers, refusals and lets on them with only what an offer needs, records a refusal or
a move-in on its own units only and in its person's name; prestatieafspraken are set by the
WBB in a named person's name, strictly checked, and read against what was realised. Every
test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

import openpyxl
from service_helpers import ROOT, Service, csv_rows, error_of, load_example, owner_of, proposal, start_run

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31, "adults": 1, "children": 0}
UNIT = {
    "municipality": "Nijmegen",
    "neighbourhood": "Hatert",
    "unit_type": "social",
    "bedrooms": 1,
    "max_occupants": 2,
    "rent": 600,
    "available_from": "2025-03-01",
}
# Household details a corporation must never read (H-W's and H-L's vulnerabilities beyond the
# wheelchair need, and fields no offer needs).
NEVER = ("lgbtiq", "medical", "psychosocial", "ex_amv", "koppeling", "gender", "head_age", "2025-01-06", "vulnerab")


def _setup(service: Service) -> tuple[int, dict[str, str]]:
    """H-W (wheelchair, lgbtiq, medical), H-L (lgbtiq, psychosocial) and H-X; Portaal's
    wheelchair home P-W and its lgbtiq-safe home with support P-2, and Talis's T-1. One run,
    every pair accepted; returns the run and its pairs."""
    households = [
        PERSON | {"household_id": "H-W", "vulnerabilities": ["wheelchair", "lgbtiq", "medical"]},
        PERSON | {"household_id": "H-L", "vulnerabilities": ["lgbtiq", "psychosocial"]},
        PERSON | {"household_id": "H-X", "koppeling_date": "2025-01-20"},
    ]
    units = [
        UNIT | {"unit_id": "P-W", "corporation": "Portaal", "wheelchair": True, "step_free": True},
        UNIT | {"unit_id": "P-2", "corporation": "Portaal", "lgbtiq_safe": True, "support": True},
        UNIT | {"unit_id": "T-1", "corporation": "Talis"},
    ]
    admin = service.auth("admin")
    for kind, rows in (("households", households), ("units", units)):
        response = service.client.post(f"/v1/{kind}/batch", headers=admin, json={"rows": rows})
        assert response.status_code == 200, response.text
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": "2025-03-03"}})
    assert run["status"] == "done", run
    pairs = {m["household_id"]: m["unit_id"] for m in proposal(service.client, service.auth("wbb"), run["id"])["matches"]}
    assert pairs == {"H-W": "P-W", "H-L": "P-2", "H-X": "T-1"}
    for household_id, unit_id in pairs.items():
        body = {"household_id": household_id, "unit_id": unit_id, "kind": "accept"}
        response = service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body)
        assert response.status_code == 201, response.text
    return run["id"], pairs


def _offers(service: Service, who: str = "corporation") -> tuple[str, list[dict[str, Any]]]:
    response = service.client.get("/v1/corporation/offers", headers=service.auth(who))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return response.text, items


def _state(service: Service, household_id: str) -> str:
    state: str = service.client.get(f"/v1/households/{household_id}", headers=service.auth("wbb")).json()["status"]
    return state


def test_a_corporation_sees_its_own_units_only(service: Service) -> None:
    """On the example week, Portaal's token lists exactly the units whose corporation column
    says Portaal, read from the file; a token for another corporation lists its own."""
    load_example(service.client, service.auth("admin"))
    expected = sorted(r["unit_id"] for r in csv_rows("units.csv") if r["corporation"] == "Portaal")
    assert expected, "the example week has Portaal units"
    for who in ("corporation", "corporation@Nijmegen"):
        body = service.client.get("/v1/corporation/units", headers=service.auth(who)).json()
        assert body["corporation"] == "Portaal" and body["actor"] == owner_of(who)
        assert sorted(u["unit_id"] for u in body["units"]) == expected
    other = service.client.post(
        "/v1/tokens",
        headers=service.auth("admin"),
        json={"role": "corporation", "corporation": "Standvast Wonen", "owner": "S. Wonen"},
    ).json()["token"]
    listed = service.client.get("/v1/corporation/units", headers={"Authorization": f"Bearer {other}"}).json()
    assert sorted(u["unit_id"] for u in listed["units"]) == sorted(
        r["unit_id"] for r in csv_rows("units.csv") if r["corporation"] == "Standvast Wonen"
    )


def test_offers_refusals_and_lets_show_only_what_an_offer_needs(service: Service) -> None:
    """Portaal sees the offers on its two homes and none on Talis's; the wheelchair household's
    row names the wheelchair need with rule E7 and nothing else of it; the lgbtiq household's
    row names no need. It records a refusal and a move-in on its homes in its person's name,
    and these appear as refused and let. No document it reads holds another vulnerability,
    the koppeling date, gender or age."""
    _setup(service)
    text, items = _offers(service)
    assert {(i["unit_id"], i["household_id"], i["kind"]) for i in items} == {("P-W", "H-W", "offered"), ("P-2", "H-L", "offered")}
    needs = {i["household_id"]: i["needs"] for i in items}
    assert [n["need"] for n in needs["H-W"]] == ["wheelchair"] and "E7" in needs["H-W"][0]["rule"]
    assert needs["H-L"] == []
    assert all(i["date"] == "2025-03-03" and i["persons"] == 1 for i in items)

    refused = service.client.post(
        "/v1/corporation/units/P-2/events",
        headers=service.auth("corporation"),
        json={"kind": "offer_refused", "date": "2025-03-05", "reason": "corporation_refused"},
    )
    assert refused.status_code == 201, refused.text
    assert (refused.json()["kind"], refused.json()["reason"], refused.json()["household_id"]) == (
        "refused",
        "corporation_refused",
        "H-L",
    )
    moved = service.client.post(
        "/v1/corporation/units/P-W/events", headers=service.auth("corporation"), json={"kind": "moved_in", "date": "2025-03-10"}
    )
    assert moved.status_code == 201, moved.text
    assert (moved.json()["kind"], moved.json()["persons"]) == ("let", 1)
    assert _state(service, "H-L") == "waiting" and _state(service, "H-W") == "housed"

    timeline = service.client.get("/v1/households/H-W/timeline", headers=service.auth("wbb")).json()["items"]
    moves = [i for i in timeline if i.get("kind") == "moved_in"]
    assert len(moves) == 1 and owner_of("corporation") in str(moves[0])

    text, items = _offers(service)
    assert sorted((i["unit_id"], i["kind"]) for i in items) == [
        ("P-2", "offered"),
        ("P-2", "refused"),
        ("P-W", "let"),
        ("P-W", "offered"),
    ]
    documents = [
        text,
        refused.text,
        moved.text,
        service.client.get("/v1/corporation/units", headers=service.auth("corporation")).text,
    ]
    for document in documents:
        assert "H-X" not in document and "T-1" not in document
        for word in NEVER:
            assert word not in document.lower(), (word, document)


def test_an_offer_the_wbb_undid_or_that_ended_by_leaving_shows_as_lapsed(service: Service) -> None:
    """When the WBB reopens its accept of P-W, and H-L leaves the municipality's task while P-2 is
    offered to it, Portaal's list shows each offer followed by a lapsed one on the same home, with
    no reason; both homes are available again and a move-in on them is refused (409)."""
    _setup(service)
    for household_id, kind, reason in (("H-W", "reopen", "decided_in_error"), ("H-L", "left", "moved_away")):
        body = {"kind": kind, "date": "2025-03-06", "reason": reason}
        response = service.client.post(f"/v1/households/{household_id}/events", headers=service.auth("wbb"), json=body)
        assert response.status_code == 201, response.text
    text, items = _offers(service)
    assert sorted((i["unit_id"], i["kind"]) for i in items) == [
        ("P-2", "lapsed"),
        ("P-2", "offered"),
        ("P-W", "lapsed"),
        ("P-W", "offered"),
    ]
    assert all(i["reason"] is None for i in items)
    assert "decided_in_error" not in text and "moved_away" not in text
    units = service.client.get("/v1/corporation/units", headers=service.auth("corporation")).json()["units"]
    assert {u["unit_id"]: u["status"] for u in units} == {"P-W": "available", "P-2": "available"}
    moved = service.client.post(
        "/v1/corporation/units/P-W/events", headers=service.auth("corporation"), json={"kind": "moved_in", "date": "2025-03-10"}
    )
    assert error_of(moved, 409)["code"] == "unit_not_offered"


def test_a_corporation_records_on_its_own_units_only(service: Service) -> None:
    """Talis's home answers Portaal's token exactly as a unit that does not exist (404), and
    the household offered it stays offered; a home offered to nobody is 409; a unit id of
    another municipality is 404 for a corporation token limited to Nijmegen."""
    _setup(service)
    body = {"kind": "moved_in", "date": "2025-03-10"}
    other = error_of(service.client.post("/v1/corporation/units/T-1/events", headers=service.auth("corporation"), json=body), 404)
    missing = error_of(
        service.client.post("/v1/corporation/units/NONE/events", headers=service.auth("corporation"), json=body), 404
    )
    assert other["message"] == missing["message"].replace("NONE", "T-1")
    assert _state(service, "H-X") == "offered"
    refuse = {"kind": "offer_refused", "date": "2025-03-05", "reason": "household_refused"}
    assert (
        service.client.post("/v1/corporation/units/P-2/events", headers=service.auth("corporation"), json=refuse).status_code
        == 201
    )
    again = service.client.post("/v1/corporation/units/P-2/events", headers=service.auth("corporation"), json=refuse)
    assert error_of(again, 409)["code"] == "unit_not_offered"


def test_bad_corporation_events_name_the_field_and_store_nothing(service: Service) -> None:
    """A refusal without a reason code, a kind a corporation may not record and an unknown
    field are 422 naming the field; the household stays offered and no event is stored."""
    _setup(service)
    bad = [
        ({"kind": "offer_refused", "date": "2025-03-05"}, "reason"),
        ({"kind": "offer_refused", "date": "2025-03-05", "reason": "te duur"}, "reason"),
        ({"kind": "left", "date": "2025-03-05", "reason": "moved_away"}, "kind"),
        ({"kind": "moved_in", "date": "2025-03-10", "adults": 2}, "adults"),
        ({"kind": "moved_in", "date": "1999-03-10"}, "date"),
    ]
    for body, field in bad:
        response = service.client.post("/v1/corporation/units/P-W/events", headers=service.auth("corporation"), json=body)
        error = error_of(response, 422)
        assert any(field in str(p.get("column")) for p in error["problems"]), (body, error)
    assert _state(service, "H-W") == "offered"
    timeline = service.client.get("/v1/households/H-W/timeline", headers=service.auth("wbb")).json()["items"]
    assert not [i for i in timeline if i.get("kind") in ("moved_in", "offer_refused")]


def test_prestatieafspraken_agreed_against_realised(service: Service) -> None:
    """The WBB sets Portaal's agreement for 2025 (audited with its person and the before and
    after); the report counts Portaal's offers, lets and persons moved in from the decisions
    and events, Talis has no agreement but its offer, and a municipality's viewer reads its own."""
    _setup(service)
    service.client.post(
        "/v1/corporation/units/P-W/events", headers=service.auth("corporation"), json={"kind": "moved_in", "date": "2025-03-10"}
    )
    for homes in (10, 12):
        response = service.client.put(
            "/v1/prestatieafspraken/Nijmegen/Portaal/2025", headers=service.auth("wbb"), json={"homes": homes}
        )
        assert response.status_code == 200, response.text
    report = service.client.get("/v1/prestatieafspraken?year=2025", headers=service.auth("viewer@Nijmegen")).json()
    rows = {r["corporation"]: r for r in report["rows"]}
    assert {k: rows["Portaal"][k] for k in ("agreed", "offered", "let", "persons")} == {
        "agreed": 12,
        "offered": 2,
        "let": 1,
        "persons": 1,
    }
    assert (rows["Talis"]["agreed"], rows["Talis"]["offered"], rows["Talis"]["let"]) == (None, 1, 0)
    assert service.client.get("/v1/prestatieafspraken?year=2024", headers=service.auth("viewer")).json()["rows"] == []
    audit = service.client.get("/v1/audit?action=agreement.set", headers=service.auth("admin")).json()
    entries = [e for e in audit["items"] if e["action"] == "agreement.set"]
    assert len(entries) == 2 and all(e["actor"] == owner_of("wbb") for e in entries)
    assert "12" in str(entries[-1]["details"]) or "12" in str(entries[0]["details"])


def test_bad_prestatieafspraken_name_the_field_and_store_nothing(service: Service) -> None:
    """Negative or too many homes, a year out of range, a corporation name with spaces around
    it and another municipality for a limited token are refused naming the field (or 404),
    and nothing is stored."""
    wbb = service.auth("wbb")
    for path, body, field in (
        ("/v1/prestatieafspraken/Nijmegen/Portaal/2025", {"homes": -1}, "homes"),
        ("/v1/prestatieafspraken/Nijmegen/Portaal/2025", {"homes": 100_001}, "homes"),
        ("/v1/prestatieafspraken/Nijmegen/Portaal/2025", {"homes": "veel"}, "homes"),
        ("/v1/prestatieafspraken/Nijmegen/Portaal/1999", {"homes": 1}, "year"),
        ("/v1/prestatieafspraken/Nijmegen/%20Portaal/2025", {"homes": 1}, "corporation"),
    ):
        error = error_of(service.client.put(path, headers=wbb, json=body), 422)
        assert any(field in str(p.get("column")) for p in error["problems"]), (path, error)
    error_of(
        service.client.put("/v1/prestatieafspraken/Arnhem/Portaal/2025", headers=service.auth("wbb@Nijmegen"), json={"homes": 3}),
        404,
    )
    assert service.client.get("/v1/prestatieafspraken?year=2025", headers=service.auth("viewer")).json()["rows"] == []


def test_cli_makes_a_corporation_token_and_refuses_one_without_a_corporation(service: Service) -> None:
    """`matcher token create --role corporation --corporation Portaal` prints a token that sees
    Portaal's units and is refused the pool; without --corporation, or with it for another
    role, the command fails naming the option and makes nothing."""
    env = {**os.environ, "DATABASE_URL": service.url}
    base = [sys.executable, "-m", "cli", "token", "create", "--owner", "J. de Vries"]
    made = subprocess.run(
        [*base, "--role", "corporation", "--corporation", "Portaal"], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert made.returncode == 0, made.stderr
    assert ": corporation for J. de Vries, corporation Portaal, valid until" in made.stderr  # says whom it speaks for
    headers = {"Authorization": f"Bearer {made.stdout.strip()}"}
    assert service.client.get("/v1/corporation/units", headers=headers).json()["corporation"] == "Portaal"
    error_of(service.client.get("/v1/households", headers=headers), 403)
    before = len(service.client.get("/v1/tokens", headers=service.auth("admin")).json())
    for args in (["--role", "corporation"], ["--role", "viewer", "--corporation", "Portaal"]):
        refused = subprocess.run([*base, *args], capture_output=True, text=True, cwd=ROOT, env=env)
        assert refused.returncode != 0 and "--corporation" in refused.stderr and "Traceback" not in refused.stderr
    assert len(service.client.get("/v1/tokens", headers=service.auth("admin")).json()) == before


def test_the_provincie_report_holds_the_prestatieafspraken(service: Service) -> None:
    """The Provincie workbook at a peildatum in 2025 has a sheet Prestatieafspraken with
    Portaal's agreement beside what it realised, the same figures as the JSON report, and
    Talis marked as without agreement; a municipality's viewer gets its own rows."""
    _setup(service)
    service.client.post(
        "/v1/corporation/units/P-W/events", headers=service.auth("corporation"), json={"kind": "moved_in", "date": "2025-03-10"}
    )
    assert (
        service.client.put(
            "/v1/prestatieafspraken/Nijmegen/Portaal/2025", headers=service.auth("wbb"), json={"homes": 12}
        ).status_code
        == 200
    )
    for who in ("viewer", "viewer@Nijmegen"):
        response = service.client.get("/v1/taakstelling/report.xlsx?on=2025-06-30", headers=service.auth(who))
        assert response.status_code == 200, response.text
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = [" | ".join(str(v) for v in row) for row in book["Prestatieafspraken"].iter_rows(values_only=True)]
        assert sheet[0] == "Gemeente | Corporatie | Jaar | Afgesproken woningen | Aangeboden | Verhuurd | Personen verhuisd"
        assert sheet[1:3] == ["Nijmegen | Portaal | 2025 | 12 | 2 | 1 | 1", "Nijmegen | Talis | 2025 | geen afspraak | 1 | 0 | 0"]


def test_a_shared_unit_offered_to_two_households_is_not_guessed(service: Service) -> None:
    """Two households offered beds in one shared Portaal unit: the corporation's event cannot
    say which household it concerns, so it is refused (409) and both stay offered."""
    admin = service.auth("admin")
    rows = [PERSON | {"household_id": "H-S1"}, PERSON | {"household_id": "H-S2", "koppeling_date": "2025-01-07"}]
    assert service.client.post("/v1/households/batch", headers=admin, json={"rows": rows}).status_code == 200
    shared = UNIT | {
        "unit_id": "P-S",
        "corporation": "Portaal",
        "shared": True,
        "beds": 2,
        "max_occupants": 2,
    }
    response = service.client.post("/v1/units/batch", headers=admin, json={"rows": [shared]})
    assert response.status_code == 200, response.text
    run = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": "2025-03-03"}})
    pairs = {m["household_id"]: m["unit_id"] for m in proposal(service.client, service.auth("wbb"), run["id"])["matches"]}
    assert pairs == {"H-S1": "P-S", "H-S2": "P-S"}
    for household_id in pairs:
        body = {"household_id": household_id, "unit_id": "P-S", "kind": "accept"}
        assert service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb"), json=body).status_code == 201
    moved = service.client.post(
        "/v1/corporation/units/P-S/events", headers=service.auth("corporation"), json={"kind": "moved_in", "date": "2025-03-10"}
    )
    assert error_of(moved, 409)["code"] == "unit_offered_to_several"
    assert _state(service, "H-S1") == "offered" and _state(service, "H-S2") == "offered"


def test_the_corporation_errors_read_in_dutch_on_the_pages(service: Service) -> None:
    """Asked in Dutch (as the pages ask), a corporation's refusals, a home offered to nobody and
    a bad corporation name of a prestatieafspraak leave no English in message or problems."""
    sys.path.insert(0, str(ROOT / "tests"))
    from english import english

    _setup(service)
    dutch = {"Accept-Language": "nl"}
    refuse = {"kind": "offer_refused", "date": "2025-03-05", "reason": "household_refused"}
    service.client.post("/v1/corporation/units/P-2/events", headers=service.auth("corporation"), json=refuse)
    answers = [
        service.client.get("/v1/households", headers=service.auth("corporation") | dutch),
        service.client.get("/v1/corporation/units", headers=service.auth("wbb") | dutch),
        service.client.post("/v1/corporation/units/P-2/events", headers=service.auth("corporation") | dutch, json=refuse),
        service.client.put("/v1/prestatieafspraken/Nijmegen/%20P/2025", headers=service.auth("wbb") | dutch, json={"homes": 1}),
        service.client.put("/v1/prestatieafspraken/Nijmegen/P/2025", headers=service.auth("wbb") | dutch, json={"homes": -1}),
    ]
    for response in answers:
        assert response.status_code in (403, 409, 422), response.text
        error = response.json()["error"]
        texts = [error["message"], *(p["message"] for p in error["problems"])]
        assert english(" ".join(texts)) == [], texts
