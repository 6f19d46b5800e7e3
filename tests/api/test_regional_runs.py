"""A regional run read per municipality: each municipality's token sees its own households only, in every
document it can read (the proposal JSON, the Excel workbook, and the list of regional runs), with every municipality's balance."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from service_helpers import ROOT, Service, owner_of, proposal, start_run

from api.auth import create_token
from api.db import make_engine, make_sessionmaker, session_scope

REGIONAL = ROOT / "examples" / "regional"
MUNICIPALITIES = ("Nijmegen", "Wijchen", "Druten")


def _subset(kind: str, per_municipality: int) -> bytes:
    """The regional example's first rows of each municipality (a smaller pool, same agreement)."""
    with (REGIONAL / f"{kind}.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows, seen = [], {}
        for row in reader:
            seen[row["municipality"]] = seen.get(row["municipality"], 0) + 1
            if seen[row["municipality"]] <= per_municipality:
                rows.append(row)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _tokens(service: Service) -> dict[str, str]:
    """A viewer and an officer token for each municipality of the test (Nijmegen's exist already)."""
    engine = make_engine(service.url)
    tokens = dict(service.tokens)
    with session_scope(make_sessionmaker(engine)) as session:
        for municipality in MUNICIPALITIES[1:]:
            for role in ("viewer", "officer"):
                who = f"{role}@{municipality}"
                tokens[who] = create_token(session, role, municipality, None, owner=owner_of(who))[1]
    engine.dispose()
    return tokens


@pytest.fixture
def regional_run(service: Service) -> tuple[int, dict[str, str], dict[str, Any]]:
    admin = service.auth("admin")
    for kind, n in (("households", 40), ("units", 15)):
        files = {"file": (f"{kind}.csv", _subset(kind, n), "text/csv")}
        assert service.client.post(f"/v1/{kind}/import", headers=admin, files=files).status_code == 200
    policy = json.loads((REGIONAL / "policy.json").read_text(encoding="utf-8"))
    run = start_run(service.client, service.auth("wbb"), {"policy": policy})
    assert run["status"] == "done", run
    return run["id"], _tokens(service), proposal(service.client, service.auth("wbb"), run["id"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _households_of(path: Path, municipality: str | None) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["household_id"] for r in csv.DictReader(handle) if municipality in (None, r["municipality"])}


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_each_municipality_reads_its_own_households_only(
    service: Service, regional_run: tuple[int, dict[str, str], dict[str, Any]], municipality: str, role: str
) -> None:
    """The proposal a municipality's token reads names none of the other municipalities' households anywhere in
    the document, holds every one of its own (placed or not) exactly as the whole proposal has them for an officer,
    and shows every municipality's balance."""
    run_id, tokens, whole = regional_run
    response = service.client.get(f"/v1/regional-runs/{run_id}/proposal", headers=_auth(tokens[f"{role}@{municipality}"]))
    assert response.status_code == 200, response.text
    text, document = response.text, response.json()
    everyone = {m["household_id"] for m in whole["matches"]} | {x["household_id"] for x in whole["unmatched_households"]}
    own = {h for h in everyone if h in _households_of(REGIONAL / "households.csv", municipality)}
    others = everyone - own
    assert own and others
    for hid in others:
        assert f'"{hid}"' not in text and f"{hid} " not in text and f"{hid}," not in text, hid
    seen = {m["household_id"] for m in document["matches"]} | {x["household_id"] for x in document["unmatched_households"]}
    assert seen == own
    assert document["own_households"] == municipality
    assert document["mismatch"] == [] and "lookahead" not in document
    assert document["kpis"]["placed_households"] == len(document["matches"])
    assert document["regional_balance"] == whole["regional_balance"]
    if role == "officer":
        whole_matches = {m["household_id"]: m for m in whole["matches"]}
        for match in document["matches"]:
            assert match["unit_id"] == whole_matches[match["household_id"]]["unit_id"]
    else:
        assert all("vulnerable" not in m["terms"] for m in document["matches"])


def test_the_regional_run_is_listed_for_its_municipalities_only(
    service: Service, regional_run: tuple[int, dict[str, str], dict[str, Any]]
) -> None:
    """Wijchen's token lists the regional run (with its municipalities); a municipality outside the run
    neither lists it nor reads it (404, as for a run that does not exist)."""
    run_id, tokens, _ = regional_run
    listed = service.client.get("/v1/regional-runs", headers=_auth(tokens["viewer@Wijchen"])).json()["items"]
    assert [item["id"] for item in listed] == [run_id]
    assert "Wijchen" in listed[0]["municipalities"] and listed[0]["planning_date"] == "2025-03-03"
    engine = make_engine(service.url)
    with session_scope(make_sessionmaker(engine)) as session:
        outside = create_token(session, "officer", "Arnhem", None, owner="Officer Arnhem")[1]
    engine.dispose()
    assert service.client.get("/v1/regional-runs", headers=_auth(outside)).json()["items"] == []
    response = service.client.get(f"/v1/regional-runs/{run_id}/proposal", headers=_auth(outside))
    assert response.status_code == 404
    assert service.client.get(f"/v1/runs/{run_id}/proposal", headers=_auth(tokens["officer@Wijchen"])).status_code == 404


def test_a_run_that_is_not_regional_is_not_a_regional_run(service: Service) -> None:
    """A run over one municipality's pool is not found under /v1/regional-runs."""
    admin = service.auth("admin")
    for kind in ("households", "units"):
        files = {"file": (f"{kind}.csv", _subset(kind, 10), "text/csv")}
        assert service.client.post(f"/v1/{kind}/import", headers=admin, files=files).status_code == 200
    run = start_run(service.client, service.auth("wbb@Nijmegen"), {"policy": {"planning_date": "2025-03-03"}})
    response = service.client.get(f"/v1/regional-runs/{run['id']}/proposal", headers=service.auth("officer@Nijmegen"))
    assert response.status_code == 404
    assert service.client.get("/v1/regional-runs", headers=service.auth("officer")).json()["items"] == []


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_each_municipalitys_workbook_holds_its_own_households_only(
    service: Service, regional_run: tuple[int, dict[str, str], dict[str, Any]], municipality: str
) -> None:
    """The Excel workbook a municipality's officer downloads names none of the other municipalities' households
    on any sheet, lists each of its own matches, and has the sheet Regionale balans with every municipality."""
    run_id, tokens, whole = regional_run
    response = service.client.get(f"/v1/regional-runs/{run_id}/proposal.xlsx", headers=_auth(tokens[f"officer@{municipality}"]))
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    text = "\n".join(cells)
    own = _households_of(REGIONAL / "households.csv", municipality)
    everyone = {m["household_id"] for m in whole["matches"]} | {x["household_id"] for x in whole["unmatched_households"]}
    leaked = [hid for hid in everyone - own if re.search(rf"(?<![\w-]){re.escape(hid)}(?![\w-])", text)]
    assert leaked == []
    placed = {row[0] for row in book["Voorstel"].iter_rows(min_row=2, values_only=True)}
    assert placed == {m["household_id"] for m in whole["matches"]} & own
    balance = list(book["Regionale balans"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in balance] == [row["municipality"] for row in whole["regional_balance"]["municipalities"]]
    assert book.sheetnames[0] == "Voorblad" and book.sheetnames[-1] == "Besluiten"
