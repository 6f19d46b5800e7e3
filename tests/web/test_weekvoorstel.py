"""Weekvoorstel as a WBB member works with it: search, filter and sort the proposal, open a
household's case, reach every part by keyboard, close a form with Escape, the policy as a form
in words, and the withheld explanations said once."""

from __future__ import annotations

from typing import Any

from web_helpers import Site, Watched, login


def visible(page: Any, table: str) -> list[dict[str, str]]:
    return page.evaluate(
        f"() => [...document.querySelectorAll('#{table} tbody tr')].filter(r => !r.hidden).map(r => ({{...r.dataset}}))"
    )


def test_search_filter_sort_and_open_a_household(site: Site, watched: Watched) -> None:
    """The proposal is searched by household, filtered by wijk and by kind of home, sorted by a
    column (both ways); the unplaced households by reason and id; a household id opens its case."""
    run = site.week()
    with site.client() as client:
        document = client.get(f"/v1/runs/{run['id']}/proposal", headers=site.auth("wbb")).json()
    page = login(watched, site, "/weekvoorstel", "wbb")
    matches = document["matches"]
    target = matches[5]
    page.get_by_label("Zoeken (huishouden of woning)").fill(target["household_id"])
    assert [r["household"] for r in visible(page, "matches")] == [target["household_id"]]
    assert page.locator("#match-count").inner_text() == f"1 van {len(matches)} regels getoond"
    page.get_by_label("Zoeken (huishouden of woning)").fill("")
    wijk = target["neighbourhood"]
    page.get_by_label("Wijk", exact=True).select_option(wijk)
    rows = visible(page, "matches")
    assert {r["neighbourhood"] for r in rows} == {wijk} and len(rows) == sum(m["neighbourhood"] == wijk for m in matches)
    page.get_by_label("Wijk", exact=True).select_option("")
    page.get_by_label("Soort woning").select_option("sociale huurwoning")
    rows = visible(page, "matches")
    assert rows and {r["kind"] for r in rows} == {"sociale huurwoning"}
    page.get_by_label("Soort woning").select_option("")
    page.locator("#matches thead").get_by_role("button", name="Personen").click()
    persons = [int(r["persons"]) for r in visible(page, "matches")]
    assert persons == sorted(persons) and persons[0] < persons[-1]
    page.locator("#matches thead").get_by_role("button", name="Personen").click()
    assert [int(r["persons"]) for r in visible(page, "matches")] == sorted(persons, reverse=True)
    assert page.locator("#matches th[aria-sort='descending']").count() == 1
    watched.check("weekvoorstel-gefilterd")
    page.get_by_label("Waarom niet geplaatst").select_option(label="geen passende woning")
    shown = visible(page, "unmatched")
    assert shown and {r["reason"] for r in shown} == {"geen passende woning"}
    page.locator(f"#row-{target['household_id']} th a").click()
    page.wait_for_url(f"**/huishouden?id={target['household_id']}")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert target["household_id"] in page.locator("#case").inner_text()


def test_keyboard_reaches_the_parts_and_escape_closes_the_form(site: Site, watched: Watched) -> None:
    """After login the focus is on the page's heading (not the body); a jump link brings the
    keyboard to the unplaced households' filter in a few Tabs (before: over a hundred); Escape
    closes the decline form and gives the focus back to the row's Afwijzen button."""
    site.week()
    page = watched.page
    page.goto(site.url + "/weekvoorstel")
    page.get_by_label("Token").fill(site.tokens["wbb"])
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.evaluate("document.activeElement.tagName") == "H1"
    for _ in range(11):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Niet geplaatst":
            break
    else:
        raise AssertionError("no jump link to Niet geplaatst within 11 Tabs")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "unmatched-filter"
    row = page.locator("#matches tbody tr").first
    household = row.get_attribute("data-household")
    row.get_by_role("button", name="Afwijzen").click()
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    watched.check("weekvoorstel-afwijzen", phone=False)
    page.keyboard.press("Escape")
    assert page.get_by_role("button", name="Afwijzing bevestigen").count() == 0
    assert (
        page.evaluate("document.activeElement.getAttribute('aria-label')")
        == f"Afwijzen: {household} naar {row.get_attribute('data-unit')}"
    )


def test_policy_as_a_form_in_words(site: Site, watched: Watched) -> None:
    """Beleid aanpassen shows the priorities in words with their weights (no JSON); a wijkplafond
    typed as "Wijk: 1" goes into the next run's policy and the priorities stay as they were."""
    run = site.week()
    page = login(watched, site, "/weekvoorstel", "wbb")
    page.get_by_text("Beleid aanpassen").click()
    assert page.locator("#policy-form textarea, #policy-form").first.is_visible()
    assert page.get_by_label("personen geplaatst: gewicht in prioriteit 1").input_value() == "10"
    assert (
        page.get_by_label("wachtdagen van wie geplaatst wordt (langst wachtenden eerst): gewicht in prioriteit 2").input_value()
        == "1"
    )
    wijk = next(iter(run["policy"].get("neighbourhood_caps") or {"Lankforst": 1}))
    page.get_by_label("Wijkplafonds", exact=False).fill(f"{wijk}: 1")
    watched.check("weekvoorstel-beleid")
    page.get_by_role("button", name="Opnieuw berekenen").click()
    page.wait_for_selector(f"body[data-loaded='{run['id'] + 1}']", state="attached", timeout=120_000)
    with site.client() as client:
        again = client.get(f"/v1/runs/{run['id'] + 1}", headers=site.auth("wbb")).json()
    assert again["policy"]["neighbourhood_caps"] == {wijk: 1}
    default = [
        {"placed_persons": 10, "overdue": 5, "vulnerable": 3},
        {"waiting_days": 1},
        {"temporary": -10, "underoccupancy": -3, "preferred": 5, "own_municipality": 5},
    ]
    assert again["policy"].get("objective", default) == run["policy"].get("objective", default)


def test_a_viewer_reads_the_withheld_notice_once(site: Site, watched: Watched) -> None:
    """A viewer sees once, above the table, that the explanations of unplaced households are
    withheld; the rows carry no explanation column repeating it (before: 113 times)."""
    site.week()
    page = login(watched, site, "/weekvoorstel", "viewer")
    assert page.locator("#withheld").is_visible()
    table = page.locator("#unmatched").inner_text()
    assert "niet getoond" not in table and page.locator("#unmatched td.expl").count() == 0
    assert page.locator("#unmatched tbody tr").count() > 100
    watched.check("weekvoorstel-kijker")
