"""Regio in a real browser: a municipality's officer sees every municipality's balance of the newest regional run
and the proposed placements of its own households only; the page is Dutch and accessible."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from service_helpers import ROOT, start_run
from web_helpers import Site, Watched, login

REGIONAL = ROOT / "examples" / "regional"


def _subset(kind: str, per_municipality: int) -> bytes:
    """The regional example's first rows of each municipality."""
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


def _regional_run(site: Site) -> tuple[dict[str, Any], str]:
    """The regional pool imported and one regional run finished; a token for Wijchen's officer."""
    with site.client() as client:
        admin = site.auth("admin")
        for kind, n in (("households", 30), ("units", 12)):
            files = {"file": (f"{kind}.csv", _subset(kind, n), "text/csv")}
            assert client.post(f"/v1/{kind}/import", headers=admin, files=files).status_code == 200
        policy = json.loads((REGIONAL / "policy.json").read_text(encoding="utf-8"))
        run = start_run(client, site.auth("wbb"), {"policy": policy})  # type: ignore[arg-type]
        assert run["status"] == "done", run
        whole = client.get(f"/v1/runs/{run['id']}/proposal", headers=site.auth("wbb")).json()
        body = {"role": "officer", "owner": "Officer Wijchen", "municipality": "Wijchen"}
        created = client.post("/v1/tokens", headers=admin, json=body)
        assert created.status_code == 201, created.text
        return whole, created.json()["token"]


def test_regio_shows_the_balance_and_own_households_only(site: Site, watched: Watched) -> None:
    """Wijchen's officer reads each municipality's row of the balance with the proposal's numbers (Dutch
    formatting), the half-year caps in Dutch, and a placement row for each of Wijchen's matched households and
    for no other municipality's household."""
    whole, token = _regional_run(site)
    site.tokens["officer@Wijchen"] = token
    page = login(watched, site, "/regio", "officer@Wijchen")
    page.get_by_role("heading", name="Regionale balans per gemeente").wait_for()
    rows = page.locator("#balance tbody tr")
    section = whole["regional_balance"]["municipalities"]
    assert rows.count() == len(section) == 7
    for i, row in enumerate(section):
        cells = [c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
        keys = (
            "taakstelling",
            "homes_offered",
            "persons_housed",
            "persons_placed_elsewhere",
            "persons_taken_in",
            "persons_counted",
        )
        assert cells == [row["municipality"], *(str(row[k]) for k in keys)], cells
    assert "telt volgens de regionale afspraak voor de gemeente van het huishouden" in page.locator("#balance-rule").inner_text()
    caps = page.locator("#caps li").all_inner_texts()
    assert caps and all("halfjaarplafond" in c and "eerste halfjaar van 2025" in c for c in caps), caps
    wijchen = {m["household_id"] for m in whole["matches"] if m["household_id"] in _households("Wijchen")}
    shown = {t.strip() for t in page.locator("#own tbody tr td:first-child").all_inner_texts()}
    assert shown == wijchen and wijchen
    text = page.locator("main").inner_text()
    others = {m["household_id"] for m in whole["matches"]} - wijchen
    assert not [hid for hid in others if hid in text]
    assert "3 maart 2025" in page.locator("#run-facts").inner_text()
    watched.check("regio")


def _households(municipality: str) -> set[str]:
    with (REGIONAL / "households.csv").open(encoding="utf-8", newline="") as handle:
        return {r["household_id"] for r in csv.DictReader(handle) if r["municipality"] == municipality}
