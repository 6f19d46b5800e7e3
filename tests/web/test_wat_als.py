"""Wat-als: base and variant stay what the officer chose, runs carry their Dutch names, each end
figure says in one sentence what it means, and a reload while runs are busy follows them."""

from __future__ import annotations

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
