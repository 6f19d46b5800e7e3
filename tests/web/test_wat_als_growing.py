"""Wat-als while the runs run: bands that grow with the herhalingen done, how precise the
difference already is, and a Stoppen button that cancels both runs and keeps what is done."""

from __future__ import annotations

import re
from typing import Any

from test_wat_als import run_pair
from web_helpers import Site, Watched, login

REPLICATES = 40


def _shown_replicates(page: Any, which: str) -> int:
    value = page.locator(f"#chart-{which} svg").get_attribute("data-replicates")
    return int(value or 0)


def test_bands_grow_and_stoppen_cancels(site: Site, watched: Watched) -> None:
    """An officer runs a pair with 40 herhalingen. Before the base is done its chart shows the
    bands of the herhalingen done so far ("x van 40 herhalingen klaar", x growing); once the
    variant has some, the page says how precise the paired difference is; Stoppen cancels both
    runs (the service says cancelled), and the page shows the figures over what was done."""
    page = login(watched, site, "/wat-als", "officer")
    run_pair(page, "Nijmegen zoals het is", "50 flexwoningen bij NDW21 in juni", "4", str(REPLICATES))
    page.wait_for_selector("#chart-base svg[data-replicates]", timeout=180_000)
    first = _shown_replicates(page, "base")
    caption = page.locator("#base-caption").inner_text()
    assert re.search(rf"\b{first} van {REPLICATES} herhalingen klaar\)$", caption), caption
    assert 1 <= first < REPLICATES
    assert re.search(r"basis \d+ van 40 herhalingen klaar", page.locator("#status").inner_text())
    page.wait_for_function(
        f"() => Number(document.querySelector('#chart-base svg')?.dataset.replicates || 0) > {first}", timeout=180_000
    )
    page.wait_for_function(
        "() => document.getElementById('precision').textContent.startsWith('Hoe precies het antwoord nu is')",
        timeout=300_000,
    )
    precision = page.locator("#precision").inner_text()
    assert re.search(r"over \d+ herhaling(en)? huisvest de variant gemiddeld", precision), precision
    assert "in 8 van 10 herhalingen ligt het verschil tussen" in precision
    watched.check("wat-als-groeiend", phone=False)
    page.get_by_role("button", name="Stoppen").click()
    page.wait_for_selector("body[data-shown]", state="attached", timeout=60_000)
    assert "Gestopt voor alle herhalingen klaar waren" in page.locator("#status").inner_text()
    base_id = int(page.locator("#base-run").input_value())
    variant_id = int(page.locator("#variant-run").input_value())
    with site.client() as client:
        variant = client.get(f"/v1/scenarios/{variant_id}", headers=site.auth("viewer")).json()
        base = client.get(f"/v1/scenarios/{base_id}", headers=site.auth("viewer")).json()
    assert base["status"] == "done" and variant["status"] == "cancelled", (base["status"], variant["status"])
    assert 1 <= variant["replicates_done"] < REPLICATES
    caption = page.locator("#variant-caption").inner_text()
    assert caption.endswith(f"(run {variant_id}, {variant['replicates_done']} van {REPLICATES} herhalingen klaar)"), caption
