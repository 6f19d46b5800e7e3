"""The proposal as an Excel workbook: the sheets, their rows, and formula-like text made harmless."""

from __future__ import annotations

import io
import json

import openpyxl
from service_helpers import Service, error_of, load_example, proposal, start_run

from api.excel import proposal_workbook, safe


def test_workbook_has_the_proposal_rows(service: Service) -> None:
    """Matches, Unmatched, Unused units and Mismatch hold one row per item of the proposal."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    response = service.client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=service.auth("viewer"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Matches", "Unmatched", "Unused units", "Mismatch"]
    document = proposal(service.client, service.auth("viewer"), run["id"])
    matches = list(book["Matches"].iter_rows(values_only=True))
    assert matches[0][:3] == ("household_id", "unit_id", "persons")
    assert [(r[0], r[1]) for r in matches[1:]] == [(m["household_id"], m["unit_id"]) for m in document["matches"]]
    assert matches[1][-1] == document["matches"][0]["explanation"]
    assert book["Unmatched"].max_row == len(document["unmatched_households"]) + 1
    assert book["Unused units"].max_row == len(document["unused_units"]) + 1
    assert book["Mismatch"].max_row == len(document["mismatch"]) + 1


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
