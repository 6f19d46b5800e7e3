"""The proposal as an Excel workbook: the sheets, their rows, the front sheet and decisions that make it
the minutes of the meeting, and formula-like text made harmless."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import openpyxl
from service_helpers import Service, accept_body, error_of, load_example, owner_of, proposal, start_run

from api.excel import dutch_date, local_time, proposal_workbook, safe


def test_workbook_has_the_proposal_rows(service: Service) -> None:
    """Voorstel, Niet geplaatst, Niet gebruikte woningen and Vraag en aanbod hold one row per item of
    the proposal, under Dutch headers, with reasons in Dutch words."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    response = service.client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=service.auth("viewer"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Voorblad",
        "Voorstel",
        "Niet geplaatst",
        "Niet gebruikte woningen",
        "Vraag en aanbod",
        "Besluiten",
    ]
    document = proposal(service.client, service.auth("viewer"), run["id"])
    matches = list(book["Voorstel"].iter_rows(values_only=True))
    assert matches[0][:3] == ("Huishouden", "Woning", "Personen")
    assert [(r[0], r[1]) for r in matches[1:]] == [(m["household_id"], m["unit_id"]) for m in document["matches"]]
    assert matches[1][-1] == document["matches"][0]["explanation"]
    unmatched = list(book["Niet geplaatst"].iter_rows(values_only=True))
    assert len(unmatched) == len(document["unmatched_households"]) + 1
    assert {r[1] for r in unmatched[1:]} <= {
        "voorrang voor anderen",
        "geen passende woning",
        "documenten onvolledig (BSN/IBAN)",
        "wijkplafond bereikt",
    }
    assert book["Niet gebruikte woningen"].max_row == len(document["unused_units"]) + 1
    assert book["Vraag en aanbod"].max_row == len(document["mismatch"]) + 1


def test_formula_like_text_is_escaped() -> None:
    """Text starting with =, +, -, @ is written with a leading quote and never as a formula."""
    assert [safe(v) for v in ("=1+1", "+31", "-x", "@SUM(A1)", "H-1", 5)] == ["'=1+1", "'+31", "'-x", "'@SUM(A1)", "H-1", 5]
    document = {
        "matches": [
            {
                "household_id": '=HYPERLINK("x")',
                "unit_id": "@U",
                "persons": 1,
                "terms": {},
                "explanation": "-2",
                "neighbourhood": "+N",
            }
        ],
        "unmatched_households": [{"household_id": "=A1", "reason": "outranked", "explanation": "=cmd"}],
        "unused_units": [],
        "mismatch": [],
    }
    book = openpyxl.load_workbook(io.BytesIO(proposal_workbook(json.dumps(document))))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells if isinstance(c.value, str)]
    assert '\'=HYPERLINK("x")' in values and "'@U" in values and "'-2" in values and "'=cmd" in values


def test_workbook_of_unfinished_run_is_409(service: Service) -> None:
    """A failed run has no workbook."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"), {"policy": {"fixed_pairs": [["H-none", "U-0001"]]}})
    assert run["status"] == "failed"
    error_of(service.client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=service.auth("viewer")), 409)


def _workbook(service: Service, who: str, run_id: int) -> Any:
    response = service.client.get(f"/v1/runs/{run_id}/proposal.xlsx", headers=service.auth(who))
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _front(book: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in book["Voorblad"].iter_rows(min_row=3, values_only=True) if row[0]}


def test_workbook_is_the_minutes_of_the_meeting(service: Service) -> None:
    """The workbook opens with Voorblad (run id and planning date in its first row, the pool, the
    status, who started the run) and ends with Besluiten: every decision taken on the run with Dutch
    headers (wanneer, wie, wat, reden), "wie" the owner of the token that sent each decision, dates as
    "10 maart 2025". After a rerun the earlier run's
    workbook says it was superseded and still lists its decisions."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    matches = proposal(service.client, service.auth("wbb"), run["id"])["matches"]
    bodies = [
        accept_body(matches[0], "2025-03-10"),
        {**accept_body(matches[1]), "kind": "decline", "reason": "unit_unsuitable"},
        {**accept_body(matches[2]), "kind": "pin"},
    ]
    for body, who in zip(bodies, ("wbb", "admin", "wbb"), strict=True):
        response = service.client.post(f"/v1/runs/{run['id']}/decisions", headers=service.auth(who), json=body)
        assert response.status_code == 201, response.text
    decided = service.client.get(f"/v1/runs/{run['id']}/decisions", headers=service.auth("wbb")).json()["items"]

    book = _workbook(service, "viewer", run["id"])
    assert book.sheetnames[0] == "Voorblad" and book.sheetnames[-1] == "Besluiten"
    assert book["Voorblad"]["A1"].value == f"Voorstel WBB, run {run['id']}, planningsdatum 3 maart 2025"
    front = _front(book)
    assert (front["Run"], front["Planningsdatum"], front["Gemeente"]) == (run["id"], "3 maart 2025", "alle gemeenten")
    owner = next(
        t["owner"] for t in service.client.get("/v1/tokens", headers=service.auth("admin")).json() if t["id"] == run["created_by"]
    )
    assert front["Status"].startswith("actueel") and front["Gestart door"] == f"{owner} ({run['created_by']})"
    assert front["Invoer (SHA-256)"] == run["input_sha256"] and front["Besluiten op deze run"].startswith("3 ")
    assert "Niet getoond voor deze rol" in front
    rows = list(book["Besluiten"].iter_rows(values_only=True))
    assert rows[0] == (
        "Wanneer",
        "Tijd",
        "Wie",
        "Wat",
        "Huishouden",
        "Woning",
        "Personen",
        "Reden",
        "Verwachte verhuisdatum",
        "Token",
    )
    when = [local_time(dt.datetime.fromisoformat(d["created_at"])) for d in decided]
    assert [r[:2] for r in rows[1:]] == [(dutch_date(w.date()), f"{w:%H:%M}") for w in when]
    assert [r[2:9] for r in rows[1:]] == [
        (owner_of("wbb"), "geaccepteerd", matches[0]["household_id"], matches[0]["unit_id"], matches[0]["persons"], None,
         "10 maart 2025"),
        (owner_of("admin"), "afgewezen", matches[1]["household_id"], matches[1]["unit_id"], matches[1]["persons"],
         "woning niet geschikt", None),
        (owner_of("wbb"), "vastgezet", matches[2]["household_id"], matches[2]["unit_id"], matches[2]["persons"], None, None),
    ]  # fmt: skip
    assert {r[9] for r in rows[1:]} == {d["created_by"] for d in decided}
    assert "Niet getoond voor deze rol" not in _front(_workbook(service, "officer", run["id"]))

    second = start_run(service.client, service.auth("wbb"), {"policy": {"planning_date": "2025-03-10"}})
    earlier = _workbook(service, "viewer", run["id"])
    assert _front(earlier)["Status"] == f"vervangen door run {second['id']}"
    assert earlier["Besluiten"].max_row == 4
    later = _workbook(service, "viewer", second["id"])
    assert later["Voorblad"]["A1"].value == f"Voorstel WBB, run {second['id']}, planningsdatum 10 maart 2025"
    assert later["Besluiten"].max_row == 1


def test_dutch_dates() -> None:
    """Dates in the minutes are written as the meeting writes them."""
    assert [dutch_date(dt.date(2025, m, d)) for m, d in ((3, 3), (1, 31), (12, 1))] == [
        "3 maart 2025",
        "31 januari 2025",
        "1 december 2025",
    ]
