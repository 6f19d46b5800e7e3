"""Every page on a 390x844 phone: nothing wider than the screen, a header that leaves the screen
to the page, and tables read as cards that fit their box."""

from __future__ import annotations

from typing import Any

from web_helpers import PHONE, Site, Watched, login

WIDTHS = """() => ({
  page: document.documentElement.scrollWidth,
  header: document.querySelector('header.top').getBoundingClientRect().height,
  wide: [...document.querySelectorAll('main *')].filter(e => e.offsetParent !== null)
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right)),
  tables: [...document.querySelectorAll('main table')].filter(t => t.offsetParent !== null)
          .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).map(t => t.id + ' ' + t.scrollWidth),
})"""


def fits(page: Any, where: str) -> None:
    measured = page.evaluate(WIDTHS)
    assert measured["page"] <= PHONE["width"], f"{where}: {measured}"
    assert measured["wide"] == [] and measured["tables"] == [], f"{where}: {measured}"
    assert measured["header"] <= 0.2 * PHONE["height"], f"{where}: header {measured['header']} px"


def test_every_page_fits_a_phone(site: Site, watched: Watched) -> None:
    """Overzicht, Weekvoorstel, Wat-als (with results) and Huishouden at 390x844: no element
    reaches past the screen's edge, no table is wider than its box, and the header takes at most
    a fifth of the screen (before: Overzicht 526 px and Wat-als 642 px wide, the header a third of
    the screen, the proposal table 808 px in a 345 px box)."""
    run = site.week()
    page = login(watched, site, "/", "officer")
    page.set_viewport_size(PHONE)
    fits(page, "Overzicht")
    page.goto(site.url + "/weekvoorstel")
    page.wait_for_selector("body[data-loaded]", state="attached")
    fits(page, "Weekvoorstel")
    page.goto(site.url + "/wat-als")
    page.wait_for_selector("body[data-loaded]", state="attached")
    page.get_by_label("Horizon in weken (voor beide)").fill("2")
    page.get_by_label("Herhalingen").fill("1")
    page.get_by_role("button", name="Doorrekenen").click()
    page.wait_for_selector("body[data-shown]", state="attached", timeout=180_000)
    fits(page, "Wat-als")
    with site.client() as client:
        household = client.get(f"/v1/runs/{run['id']}/proposal", headers=site.auth("wbb")).json()["matches"][0]["household_id"]
    page.goto(f"{site.url}/huishouden?id={household}")
    page.wait_for_selector("body[data-loaded]", state="attached")
    fits(page, "Huishouden")
    watched.check("huishouden")
