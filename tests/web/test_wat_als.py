"""Wat-als: base and variant stay what the officer chose, runs carry their Dutch names, each end
figure says in one sentence what it means, and a reload while runs are busy follows them."""

from __future__ import annotations

import json
from typing import Any

from web_helpers import Site, Watched, login


def run_pair(page: Any, base: str, variant: str, horizon: str, replicates: str) -> None:
    page.get_by_label("Basis", exact=True).select_option(label=base)
    page.get_by_label("Variant", exact=True).select_option(label=variant)
    page.get_by_label("Horizon in weken (voor beide)").fill(horizon)
    page.get_by_label("Herhalingen").fill(replicates)
    page.get_by_role("button", name="Doorrekenen").click()


def test_base_and_variant_are_never_swapped(site: Site, watched: Watched) -> None:
    """An officer runs "Nijmegen zoals het is" against "50 flexwoningen bij NDW21 in juni". After
    a reload the earlier runs are offered by their Dutch names, and the default pair is the base
    as base and the variant as variant (before, the variant was posted first and shown as the
    base: adding homes read as fewer persons housed); the table says per figure what the
    difference means."""
    page = login(watched, site, "/wat-als", "officer")
    run_pair(page, "Nijmegen zoals het is", "50 flexwoningen bij NDW21 in juni", "4", "2")
    page.wait_for_selector("body[data-shown]", state="attached", timeout=180_000)
    page.reload()
    page.wait_for_selector("body[data-loaded]", state="attached")
    options = page.locator("#base-run option").all_inner_texts()
    assert any(o.startswith("Nijmegen zoals het is (run ") for o in options), options
    assert any(o.startswith("50 flexwoningen bij NDW21 in juni (run ") for o in options), options
    assert not any("q1-" in o or "nijmegen-base" in o for o in options), options
    page.get_by_role("button", name="Tonen").click()
    page.wait_for_selector("body[data-shown]", state="attached")
    assert page.locator("#base-caption").inner_text().startswith("Basis: Nijmegen zoals het is")
    assert page.locator("#variant-caption").inner_text().startswith("Variant: 50 flexwoningen bij NDW21 in juni")
    with site.client() as client:
        runs = client.get("/v1/scenarios", headers=site.auth("viewer")).json()["items"]
    names = {r["id"]: r["name"] for r in runs}
    base_id = int(page.locator("#base-run").input_value())
    variant_id = int(page.locator("#variant-run").input_value())
    assert (names[base_id], names[variant_id]) == ("nijmegen-base", "q1-ndw21-flexwoningen")
    housed = page.locator("tr[data-figure='persons_housed_total'] td.expl").inner_text()
    assert housed.startswith(("De variant geeft na 4 weken", "Geen verschil na 4 weken")), housed
    watched.check("wat-als-vergelijking")


def test_a_reload_while_runs_are_busy_follows_them(site: Site, watched: Watched) -> None:
    """A reload while the two runs are still busy does not say "Klaar." and forget them, and does
    not reset the form: the page says they are being computed, follows them, and shows them when
    they are done."""
    page = login(watched, site, "/wat-als", "officer")
    run_pair(page, "Nijmegen zoals het is", "Half zoveel sociale huurwoningen", "8", "3")
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('Bezig met doorrekenen')")
    page.reload()
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.get_by_label("Variant", exact=True).input_value() == "2"  # the form as it was sent, not reset
    assert page.get_by_label("Horizon in weken (voor beide)").input_value() == "8"
    status = page.locator("#status").inner_text()
    assert (status != "Klaar." and "doorgerekend" in status) or "Bezig" in status, status
    assert page.get_by_role("button", name="Doorrekenen").is_disabled()
    page.wait_for_selector("body[data-shown]", state="attached", timeout=180_000)
    assert page.locator("#variant-caption").inner_text().startswith("Variant: Half zoveel sociale huurwoningen")
    assert page.locator("#base-caption").inner_text().startswith("Basis: Nijmegen zoals het is")


def test_the_coa_pipeline_changes_what_a_run_is_computed_with(site: Site, watched: Watched) -> None:
    """After an admin uploads the COA's pipeline, Wat-als offers it with what it announces; a pair run with it
    carries the pipeline in both scenarios, and the page says per run where its koppelingen and the look-ahead's
    forecast come from (before the upload the choice is not offered)."""
    page = login(watched, site, "/wat-als", "officer")
    assert page.locator("#pipeline-field").is_hidden()
    text = (
        "pipeline_id,municipality,kind,expected_date,adults,children,households\n"
        "P-1,Nijmegen,koppeling,2025-03-10,2,2,3\n"
        "P-2,Nijmegen,amv,2025-03-17,1,0,2\n"
    )
    with site.client() as client:
        stored = client.post(
            "/v1/pipeline/import", headers=site.auth("admin"), files={"file": ("pipeline.csv", text.encode(), "text/csv")}
        )
        assert stored.status_code == 200, stored.text
    page.reload()
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.locator("#pipeline-note").inner_text().strip() == "5 huishoudens aangekondigd, tot en met 17 maart 2025"
    page.get_by_label("Met de pijplijn van het COA").check()
    run_pair(page, "Nijmegen zoals het is", "Vooruitkijken met bewaking van lang wachten (beleid)", "3", "1")
    page.wait_for_selector("body[data-shown]", state="attached", timeout=180_000)
    base = page.locator("#forecast-source [data-source='base']").inner_text()
    variant = page.locator("#forecast-source [data-source='variant']").inner_text()
    assert "koppelingen tot en met 17 maart 2025 uit de pijplijn van het COA (5 huishoudens)" in base
    assert "vooruitkijken" not in base
    assert variant.endswith("vooruitkijken rekent met de pijplijn en daarna met die aantallen."), variant
    with site.client() as client:
        runs = client.get("/v1/scenarios?limit=2", headers=site.auth("officer")).json()["items"]
        documents = [client.get(f"/v1/scenarios/{r['id']}", headers=site.auth("officer")).json() for r in runs]
    assert all([i["pipeline_id"] for i in d["scenario"]["inflow"]["pipeline"]] == ["P-1", "P-2"] for d in documents)


def test_the_amv_taakstelling_of_a_variant_is_shown_apart(site: Site, watched: Watched) -> None:
    """A variant with an indicative AMV taakstelling of 69 persons a half year shows it under the figures per group,
    over the horizon, beside the ex-AMV youngsters housed per way of working; the base without one shows none."""
    page = login(watched, site, "/wat-als", "officer")
    page.get_by_label("Basis", exact=True).select_option(label="Nijmegen zoals het is")
    page.get_by_label("Variant", exact=True).select_option(label="Nijmegen zoals het is")
    page.get_by_text("Scenario's aanpassen").click()
    variant = json.loads(page.get_by_label("Variant als JSON").input_value())
    variant["taakstelling"] = {**variant.get("taakstelling", {}), "amv_persons_per_half_year": 69}
    page.get_by_label("Variant als JSON").fill(json.dumps(variant))
    page.get_by_label("Horizon in weken (voor beide)").fill("3")
    page.get_by_label("Herhalingen").fill("1")
    page.get_by_role("button", name="Doorrekenen").click()
    page.wait_for_selector("body[data-shown]", state="attached", timeout=180_000)
    text = page.locator("#amv-taakstelling").inner_text()
    assert text.startswith("AMV-taakstelling (indicatief, apart geteld): 69 personen per halfjaar, 8 over deze 3 weken."), text
    assert "Optimalisatie (engine)" in text and "Volgorde van koppeling (FIFO)" in text
    assert page.locator("#fairness tbody tr[data-group='ex_amv:yes'] th").inner_text() == "Ex-AMV-jongeren"
    page.get_by_label("Basisrun").select_option(index=0)
    page.get_by_label("Variantrun").select_option(index=1)
    page.get_by_role("button", name="Tonen").click()
    page.wait_for_function("() => document.getElementById('amv-taakstelling').textContent === ''")
