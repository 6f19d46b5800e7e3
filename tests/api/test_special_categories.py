"""Health and sexual-orientation data reach only the roles that match and decide with them."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import openpyxl
import pytest
from service_helpers import Service, csv_rows, load_example, proposal, start_run

from api.redaction import SMALL_CELL, WITHHELD_EXPLANATION

NEED_WORDS = re.compile(
    r"wheelchair|rolstoel|mobility|traploos|step-free|medical|lgbtiq|lhbtiq|psychosocial|ex_amv|vulnerable", re.IGNORECASE
)


def _with_needs() -> dict[str, list[str]]:
    """Households of the example week that have at least one vulnerability."""
    needs = {row["household_id"]: [v for v in row["vulnerabilities"].split(";") if v] for row in csv_rows("households.csv")}
    return {hid: listed for hid, listed in needs.items() if listed}


def _objects_naming(node: Any, household_id: str) -> list[Any]:
    """Every JSON object or string in the document that names this household id."""
    found: list[Any] = []
    if isinstance(node, dict):
        if any(value == household_id for value in node.values()):
            found.append(node)
        for value in node.values():
            found += _objects_naming(value, household_id)
    elif isinstance(node, list):
        for value in node:
            found += _objects_naming(value, household_id)
    elif isinstance(node, str) and re.search(rf"\b{re.escape(household_id)}\b", node):
        found.append(node)
    return found


@pytest.mark.parametrize("role", ["viewer", "officer", "wbb", "admin"])
def test_household_vulnerabilities_are_shown_from_officer_up(service: Service, role: str) -> None:
    """A viewer gets ``vulnerabilities: null`` in the list and in one household; officer, wbb and admin
    get the stored list."""
    load_example(service.client, service.auth("admin"))
    hid, listed = next(iter(_with_needs().items()))
    one = service.client.get(f"/v1/households/{hid}", headers=service.auth(role))
    many = service.client.get("/v1/households", headers=service.auth(role), params={"limit": 1000})
    assert one.status_code == many.status_code == 200
    shown = [item["vulnerabilities"] for item in many.json()["items"]]
    if role == "viewer":
        assert one.json()["vulnerabilities"] is None and set(map(str, shown)) == {"None"}
    else:
        assert sorted(one.json()["vulnerabilities"]) == sorted(listed)
        assert any(shown)


def test_viewer_proposal_names_no_household_together_with_a_need(service: Service) -> None:
    """In the proposal a viewer reads, nothing that names a household with a vulnerability also names a
    need (no ``vulnerable`` term, no withheld explanation or details, no mismatch row grouped by needs
    under SMALL_CELL households), and the document says what was withheld."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    document = proposal(service.client, service.auth("viewer"), run["id"])
    for hid in _with_needs():
        for item in _objects_naming(document, hid):
            assert not NEED_WORDS.search(json.dumps(item)), (hid, item)
    assert all("vulnerable" not in m["terms"] for m in document["matches"])
    assert {u["explanation"] for u in document["unmatched_households"]} == {WITHHELD_EXPLANATION}
    assert all(u["details"] == {} for u in document["unmatched_households"])
    assert all(row["needs"] is None or row["households"] >= SMALL_CELL for row in document["mismatch"])
    assert "matches[].terms.vulnerable" in document["withheld"]


def test_officer_reads_the_proposal_as_stored(service: Service) -> None:
    """From officer up the proposal is the engine's document, need-bearing parts included: the
    ``vulnerable`` term, the rule counts of unmatched households and the mismatch rows by needs."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    document = proposal(service.client, service.auth("officer"), run["id"])
    assert "withheld" not in document
    assert all("vulnerable" in m["terms"] for m in document["matches"])
    assert any(row["needs"] for row in document["mismatch"])
    assert any(u["details"] for u in document["unmatched_households"])
    assert proposal(service.client, service.auth("admin"), run["id"]) == document


def test_viewer_workbook_has_no_vulnerable_column_or_household_explanations(service: Service) -> None:
    """The Excel export follows the same rule: a viewer's workbook has no column Kwetsbaar and the
    sheet Niet geplaatst carries the withheld sentence; an officer's workbook has both."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    books = {}
    for role in ("viewer", "officer"):
        response = service.client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=service.auth(role))
        assert response.status_code == 200
        books[role] = openpyxl.load_workbook(io.BytesIO(response.content))
    header = {role: next(book["Voorstel"].iter_rows(values_only=True)) for role, book in books.items()}
    assert "Kwetsbaar" not in header["viewer"] and "Kwetsbaar" in header["officer"]
    unmatched = [row[2] for row in books["viewer"]["Niet geplaatst"].iter_rows(min_row=2, values_only=True)]
    assert unmatched and set(unmatched) == {WITHHELD_EXPLANATION}
