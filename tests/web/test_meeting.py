"""The weekly WBB meeting over three weeks, in a real browser against the real server: week 1
the proposal is accepted, one household refuses its home, one accept is undone (reopen) and
one household moves into a flexwoning; week 2 the reopened pair returns and the refused one
does not, and the household moves in; week 3 nareizigers join the household in the
flexwoning, which is now too small, and the run offers it a permanent home ("verhuist door
vanuit F-1"); it moves on and leaves the flexwoning free. Everything is done on the pages
(Weekvoorstel: proposal, decisions, offers in progress; Huishouden: events and timeline);
a screenshot is saved at each step under test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import httpx
from web_helpers import Site, Watched

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "M", "head_age": 30}
HOUSEHOLDS = [
    PERSON | {"household_id": "H-A", "adults": 1, "children": 0, "expected_reunification": 2},
    PERSON | {"household_id": "H-B", "adults": 2, "children": 2, "gender": "F"},
    PERSON | {"household_id": "H-C", "adults": 1, "children": 0},
]
HOME = {"municipality": "Nijmegen", "unit_type": "social", "bedrooms": 2, "rent": 600, "available_from": "2025-03-01"}
UNITS = [
    HOME | {"unit_id": "S-1", "neighbourhood": "Hatert", "max_occupants": 4},
    HOME | {"unit_id": "S-2", "neighbourhood": "Lent", "max_occupants": 2, "bedrooms": 1},
    HOME | {"unit_id": "F-1", "neighbourhood": "Lindenholt", "unit_type": "flex", "max_occupants": 2, "stay_limit_weeks": 26},
    HOME | {"unit_id": "S-3", "neighbourhood": "Dukenburg", "max_occupants": 4, "available_from": "2025-03-28"},
]


def _api(site: Site, role: str, method: str, path: str, **options: Any) -> Any:
    response = httpx.request(method, site.url + path, headers={"Authorization": f"Bearer {site.tokens[role]}"}, **options)
    assert response.status_code < 300, response.text
    return response.json()


def _proposed(page: Any) -> dict[str, str]:
    return {r.get_attribute("data-household"): r.get_attribute("data-unit") for r in page.locator("#matches tbody tr").all()}


def _run(page: Any, planning_date: str, number: int) -> dict[str, str]:
    """Compute the week's proposal on Weekvoorstel; returns it as household -> unit."""
    page.get_by_label("Planningsdatum").fill(planning_date)
    page.locator("#rerun").click()
    page.wait_for_selector(f"body[data-loaded='{number}']", state="attached", timeout=120_000)
    return _proposed(page)


def _accept(page: Any, household: str, move: str) -> None:
    page.get_by_label("Verwachte verhuisdatum bij accepteren").fill(move)
    page.locator(f"#row-{household}").get_by_role("button", name="Accepteren").click()
    page.locator(f"#row-{household} .badge.accept").wait_for()
    page.locator(f"#offer-{household}").wait_for()


def _offer_event(page: Any, household: str, date: str, button: str, reason: str | None = None, confirm: str = "") -> None:
    """Record what happened to an offer from the table Lopende aanbiedingen."""
    page.get_by_label("Datum van de gebeurtenis").fill(date)
    row = page.locator(f"#offer-{household}")
    row.get_by_role("button", name=button).click()
    if reason is not None:
        row.get_by_label("Reden").select_option(reason)
        row.get_by_role("button", name=confirm).click()
    page.locator(f"#offer-{household}").wait_for(state="detached")


def _household_event(page: Any, site: Site, household: str, kind: str, date: str, **fields: str) -> None:
    """Record an event on the Huishouden page and wait until the timeline shows it."""
    page.goto(f"{site.url}/huishouden?id={household}")
    page.wait_for_selector("#timeline-table", state="attached")
    before = page.locator("#timeline-table tbody tr").count()
    page.get_by_label("Wat").select_option(kind)
    page.get_by_label("Datum", exact=True).fill(date)
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Vastleggen").click()
    page.get_by_text("Vastgelegd:").wait_for()
    assert page.locator("#timeline-table tbody tr").count() == before + 1


def test_the_weekly_meeting_over_three_weeks(site: Site, watched: Watched) -> None:
    """Offer, refusal, reopen, move-in, nareizigers arriving and a move-on run, each on the pages,
    each checked on the page and in the service (every decision and event in the name of the
    token's owner), with a screenshot per step."""
    _api(site, "admin", "POST", "/v1/households/batch", json={"rows": HOUSEHOLDS})
    _api(site, "admin", "POST", "/v1/units/batch", json={"rows": UNITS})
    page = watched.page
    page.goto(site.url + "/weekvoorstel")
    page.get_by_label("Token").fill(site.tokens["wbb"])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.locator("#decided-by").inner_text() == "W. Bemiddelaar"  # read-only: the token's owner decides

    # Week 1: every pair accepted; the family refuses, one accept is undone, one moves in.
    assert _run(page, "2025-03-03", 1) == {"H-A": "F-1", "H-B": "S-1", "H-C": "S-2"}
    for household in ("H-A", "H-B", "H-C"):
        _accept(page, household, "2025-03-07")
    assert page.locator("#offers tbody tr").count() == 3
    assert "17 maart 2025" in page.locator("#offer-H-B").inner_text()  # 14 days after the meeting
    watched.shoot("meeting-week1-aanbiedingen")
    _offer_event(page, "H-B", "2025-03-05", "Geweigerd", "household_refused", "Weigering vastleggen")
    watched.shoot("meeting-week1-geweigerd")
    _offer_event(page, "H-C", "2025-03-05", "Terugdraaien", "decided_in_error", "Terugdraaien bevestigen")
    watched.shoot("meeting-week1-teruggedraaid")
    _offer_event(page, "H-A", "2025-03-07", "Verhuisd")
    assert page.locator("#offers tbody tr").count() == 0
    watched.shoot("meeting-week1-verhuisd")
    units = {u["unit_id"]: u["status"] for u in _api(site, "viewer", "GET", "/v1/units")["items"]}
    assert units == {"S-1": "available", "S-2": "available", "F-1": "let", "S-3": "available"}

    # Week 2: the reopened pair returns, the refused pair does not; the single moves in.
    assert _run(page, "2025-03-10", 2) == {"H-C": "S-2"}
    _accept(page, "H-C", "2025-03-12")
    _offer_event(page, "H-C", "2025-03-12", "Verhuisd")
    watched.shoot("meeting-week2-verhuisd")

    # Week 3: the partner and a child of H-A arrive in the flexwoning for two: it must move on.
    _household_event(
        page, site, "H-A", "family_arrived", "2025-03-14", **{"Volwassenen aangekomen": "1", "Kinderen aangekomen": "1"}
    )
    facts = page.locator("#case").inner_text()
    assert "3 (2 volwassenen, 1 kinderen)" in facts and "Moet doorstromen" in facts
    watched.shoot("meeting-week3-nareizigers")
    page.goto(site.url + "/weekvoorstel")
    page.wait_for_selector("body[data-loaded='2']", state="attached")
    assert _run(page, "2025-03-17", 3) == {"H-A": "S-1", "H-B": "S-3"}
    assert "verhuist door vanuit F-1" in page.locator("#row-H-A").inner_text()
    _accept(page, "H-A", "2025-03-20")
    assert "woont nu in F-1" in page.locator("#offer-H-A").inner_text()
    watched.shoot("meeting-week3-doorstroom")
    _offer_event(page, "H-A", "2025-03-20", "Verhuisd")
    _household_event(page, site, "H-A", "moved_out", "2025-03-21")
    watched.shoot("meeting-week3-tijdlijn")

    items = _api(site, "viewer", "GET", "/v1/households/H-A/timeline")["items"]
    assert [i["kind"] for i in items] == ["koppeling", "accept", "moved_in", "family_arrived", "accept", "moved_in", "moved_out"]
    assert {i["actor"] for i in items[1:]} == {"W. Bemiddelaar"}
    for household, kind in (("H-B", "offer_refused"), ("H-C", "reopen")):
        assert kind in [i["kind"] for i in _api(site, "viewer", "GET", f"/v1/households/{household}/timeline")["items"]]
    units = {u["unit_id"]: u for u in _api(site, "viewer", "GET", "/v1/units")["items"]}
    assert (units["F-1"]["status"], units["F-1"]["available_from"]) == ("available", "2025-03-21")
    report = _api(site, "viewer", "GET", "/v1/taakstelling?on=2025-03-31")
    [nijmegen] = report["municipalities"]
    # H-A counted once at its first move (1), its family on arrival (2), H-C (1); moving on counts nothing.
    assert nijmegen["half_years"][-1]["realised"] == 4
