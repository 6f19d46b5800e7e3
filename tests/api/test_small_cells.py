"""Small cells: no figure a viewer reads counts fewer than five households with a need (or with
documents missing), not directly and not as the difference of figures the viewer can see.

The attack these tests make is the one a viewer can make: count the households of each
profile (persons now and after reunification) in the household list, and subtract the groups
of the mismatch report shown beside it. Each document a viewer reads is attacked: the
Overzicht (GET /v1/dashboard), the proposal as JSON, and the proposal as an Excel workbook.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import openpyxl
from service_helpers import Service, csv_rows, load_example, proposal, start_run, typed

from api.excel import MISMATCH_COLUMNS
from api.redaction import SMALL_CELL
from api.words import NEEDS

Profile = tuple[int, int]

# The household of the report: 7 persons, 9 once the family arrives, a wheelchair user, the only one of that size.
SINGLED_OUT = typed(csv_rows("households.csv")[1]) | {
    "household_id": "H-0999",
    "adults": 2,
    "children": 5,
    "expected_reunification": 2,
    "vulnerabilities": ["wheelchair"],
}


def _week(service: Service) -> tuple[int, dict[str, Any]]:
    """The example week plus the singled-out household; the run and its proposal as an officer reads it."""
    load_example(service.client, service.auth("admin"))
    response = service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": [SINGLED_OUT]})
    assert response.status_code == 200, response.text
    run = start_run(service.client, service.auth("wbb"))
    return run["id"], proposal(service.client, service.auth("officer"), run["id"])


def _small(value: Any) -> bool:
    return isinstance(value, int) and 0 < value < SMALL_CELL


def _viewer_knowledge(service: Service, document: dict[str, Any]) -> dict[str, Counter[Profile]]:
    """What a viewer counts without any need: households, placed ones and ones without documents per profile."""
    items = service.client.get("/v1/households", headers=service.auth("viewer"), params={"limit": 1000}).json()["items"]
    assert all(item["vulnerabilities"] is None for item in items)
    profile = {
        h["household_id"]: (h["adults"] + h["children"], h["adults"] + h["children"] + h["expected_reunification"])
        for h in items
        if h["status"] == "waiting"
    }
    placed_ids = {m["household_id"] for m in document["matches"]}
    return {
        "households": Counter(profile.values()),
        "placed": Counter(p for hid, p in profile.items() if hid in placed_ids),
        "documents_incomplete": Counter(
            p for h in items if (p := profile.get(h["household_id"])) and not h["documents_complete"]
        ),
    }


def _truth(officer_rows: list[dict[str, Any]]) -> tuple[dict[Profile, int], set[tuple[Profile, tuple[str, ...]]]]:
    """From the officer's report: households with a need per profile, and the small need groups."""
    with_needs: Counter[Profile] = Counter()
    small_groups = set()
    for row in officer_rows:
        if row["needs"]:
            key = (row["persons"], row["future_size"])
            with_needs[key] += row["households"]
            if _small(row["households"]):
                small_groups.add((key, tuple(row["needs"])))
    return dict(with_needs), small_groups


def subtraction_attack(
    rows: list[dict[str, Any]], known: dict[str, Counter[Profile]], officer_rows: list[dict[str, Any]]
) -> list[str]:
    """Every small need (or documents) cell the viewer can read or derive from ``rows``; empty when none."""
    found: list[str] = []
    with_needs, small_groups = _truth(officer_rows)
    by_profile: dict[Profile, list[dict[str, Any]]] = {key: [] for key in known["households"]}
    for row in rows:
        by_profile.setdefault((row["persons"], row["future_size"]), []).append(row)
    # A report that lists needs-free groups says, by leaving one out, that a profile has none.
    lists_needs_free = any(r["needs"] == [] for r in rows)
    for key, shown in by_profile.items():
        need_rows = [r for r in shown if r["needs"]]
        free_rows = [r for r in shown if r["needs"] == []]
        # Read directly: a need group, or a count of its placed or documents-less households, under SMALL_CELL.
        for row in need_rows:
            if (key, tuple(row["needs"])) in small_groups:
                found.append(f"{key} {row['needs']}: a group of {row['households']} is shown")
            for column in ("households", "placed", "unplaced", "documents_incomplete"):
                if _small(row.get(column)):
                    found.append(f"{key} {row['needs']}: {column} {row[column]} is shown")
        for row in shown:
            if _small(row.get("documents_incomplete")):
                found.append(f"{key}: documents_incomplete {row['documents_incomplete']} is shown")
        # Subtracted: what the viewer counts for the profile, minus its needs-free rows and the need
        # rows' numbers shown, is a count of households with a need (those in no need row shown).
        for column in ("households", "placed", "documents_incomplete"):
            if lists_needs_free and all(isinstance(r.get(column), int) for r in free_rows):
                derived = known[column][key] - sum(r[column] for r in free_rows)
                derived -= sum(r[column] for r in need_rows if isinstance(r.get(column), int))
                if _small(derived):
                    found.append(f"{key}: {column} of households with needs, {derived}, is the size minus the rows shown")
        # Without a needs-free row, what is left of the profile beside the need rows shown mixes
        # households with and without needs: it must not be small if it holds any need, nor empty.
        shown_needs = sum(r["households"] for r in need_rows)
        rest = known["households"][key] - shown_needs
        if need_rows and not free_rows and (rest == 0 or (rest < SMALL_CELL and with_needs.get(key, 0) > shown_needs)):
            found.append(f"{key}: {rest} households left beside the need rows shown")
    return found


def _sheet_rows(content: bytes, title: str) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    values = list(book[title].iter_rows(values_only=True))
    keys = {dutch: key for key, dutch in MISMATCH_COLUMNS.items()}
    header = [keys.get(str(h), str(h)) for h in values[0]]
    rows = [dict(zip(header, row, strict=True)) for row in values[1:]]
    needs = {dutch: code for code, dutch in NEEDS.items()}
    for row in rows:
        if "needs" in row:  # Dutch words, separated by commas, back to the codes
            row["needs"] = (
                [needs[word] for word in str(row["needs"] or "").split(", ") if word] if row["needs"] is not None else None
            )
    return rows


def test_the_singled_out_household_is_in_the_officers_report(service: Service) -> None:
    """The test data holds the case: one household of 7 (9 with family) that uses a wheelchair, and
    the officer's report names that group with 1 household (officers keep seeing everything)."""
    _, document = _week(service)
    assert {"persons": 7, "future_size": 9, "needs": ["wheelchair"], "households": 1}.items() <= next(
        r for r in document["mismatch"] if (r["persons"], r["future_size"]) == (7, 9)
    ).items()
    officer = service.client.get("/v1/dashboard", headers=service.auth("officer")).json()
    assert officer["current_run"]["mismatch"] == document["mismatch"]
    assert officer["current_run"]["withheld"] is None
    assert officer["pool"]["documents_incomplete"] == sum(
        1 for r in csv_rows("households.csv") if r["documents_complete"].lower() == "false"
    )


def test_dashboard_gives_a_viewer_no_small_need_cell(service: Service) -> None:
    """GET /v1/dashboard for a viewer: the subtraction attack on the current run's mismatch report
    finds no need or documents cell under SMALL_CELL; the documents tile (3 households) is withheld."""
    run_id, document = _week(service)
    body = service.client.get("/v1/dashboard", headers=service.auth("viewer")).json()
    rows = body["current_run"]["mismatch"]
    known = _viewer_knowledge(service, proposal(service.client, service.auth("viewer"), run_id))
    assert subtraction_attack(rows, known, document["mismatch"]) == []
    assert not any(r["persons"] == 7 and r["future_size"] == 9 and r["needs"] for r in rows)
    assert body["pool"]["documents_incomplete"] is None
    assert body["current_run"]["withheld"]
    # The scheme still shows what is safe: each profile's size, and a need group of at least SMALL_CELL.
    assert {(r["persons"], r["future_size"]): r["households"] for r in rows if r["needs"] is None} == dict(known["households"])
    assert any(r["needs"] and r["households"] >= SMALL_CELL for r in rows)


def test_proposal_json_gives_a_viewer_no_small_need_cell(service: Service) -> None:
    """The proposal a viewer reads as JSON: the subtraction attack finds nothing, in the mismatch
    report and in the household counts of the unused units' explanations."""
    run_id, document = _week(service)
    seen = proposal(service.client, service.auth("viewer"), run_id)
    known = _viewer_knowledge(service, seen)
    assert subtraction_attack(seen["mismatch"], known, document["mismatch"]) == []
    for unit in seen["unused_units"]:
        counts = unit["details"].get("excluded_by", {})
        assert not any(_small(counts.get(rule)) for rule in ("E1", "E6", "E7")), unit
        assert "eligible_households" not in unit["details"], unit
        assert not re.search(r"\d+ (niet toegankelijk|zonder BSN|gedeelde woningen die niet passen)", unit["explanation"]), unit
    # Officers read the document as stored.
    assert proposal(service.client, service.auth("officer"), run_id) == document


def test_excel_gives_a_viewer_no_small_need_cell(service: Service) -> None:
    """The workbook a viewer downloads: the subtraction attack on the Mismatch sheet finds nothing,
    and the sheet Niet gebruikte woningen counts no households for a viewer."""
    run_id, document = _week(service)
    response = service.client.get(f"/v1/runs/{run_id}/proposal.xlsx", headers=service.auth("viewer"))
    assert response.status_code == 200
    rows = _sheet_rows(response.content, "Vraag en aanbod")
    known = _viewer_knowledge(service, proposal(service.client, service.auth("viewer"), run_id))
    assert subtraction_attack(rows, known, document["mismatch"]) == []
    for unit in _sheet_rows(response.content, "Niet gebruikte woningen"):
        assert not re.search(r"\d+ (niet toegankelijk|zonder BSN|gedeelde woningen die niet passen)", str(unit["explanation"]))


def test_the_attack_finds_what_the_stored_report_gives_away(service: Service) -> None:
    """The attack itself works: on the officer's report, and on that report with its need rows
    removed (the earlier redaction), it derives the singled-out household's need group."""
    _, document = _week(service)
    known = _viewer_knowledge(service, document)
    assert any("(7, 9)" in finding for finding in subtraction_attack(document["mismatch"], known, document["mismatch"]))
    needs_free = [r for r in document["mismatch"] if not r["needs"]]
    assert any("(7, 9)" in finding for finding in subtraction_attack(needs_free, known, document["mismatch"]))


# How a Dutch explanation tells a tier difference: in words, never as numbers per tier.
TIER_WORDS = r"verschil(?: per prioriteit)? [+-]?\d|zou .* opleveren|volgens het beleid even goed"


def test_viewer_cannot_read_the_vulnerable_term_back_from_tier_numbers(service: Service) -> None:
    """The first tier weights vulnerable: its value minus the terms a viewer can read gives the number of
    placed households with a need, and a tier difference to the next-best household gives whether one of
    the two has a need. For a viewer those numbers are withheld (JSON and the explanations); the other
    tiers' values stay. The run itself (GET /v1/runs) shows the viewer the same report."""
    run_id, document = _week(service)
    seen = proposal(service.client, service.auth("viewer"), run_id)
    assert seen["solver"]["tiers"][0] == {"value": None, "bound": None}
    assert seen["solver"]["tiers"][1:] == document["solver"]["tiers"][1:]
    for who, tiers in (("viewer", seen["solver"]["tiers"]), ("officer", document["solver"]["tiers"])):
        assert service.client.get(f"/v1/runs/{run_id}", headers=service.auth(who)).json()["solver"]["tiers"] == tiers
        listed = service.client.get("/v1/runs", headers=service.auth(who)).json()["items"][0]
        assert listed["solver"]["tiers"] == tiers
    for match in seen["matches"]:
        for other in match["alternatives"].values():
            if other:
                assert other["tier_difference"] is None
        assert not re.search(TIER_WORDS, match["explanation"]), match["explanation"]
    assert any(re.search(TIER_WORDS, m["explanation"]) for m in document["matches"])
