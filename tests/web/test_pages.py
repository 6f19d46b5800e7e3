"""The web pages in a real browser against the real server: login, the weekly meeting from
Weekvoorstel, the Overzicht charts, a scenario on Wat-als, and what each role sees."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from service_helpers import EXAMPLE
from web_helpers import Site, Watched, login


def rows(page: Any, table: str) -> Any:
    return page.locator(f"#{table} tbody tr")


def test_wrong_token_is_refused_and_nothing_is_shown(site: Site, watched: Watched) -> None:
    """An unknown token gets a message on the login form; the page content stays hidden."""
    watched.expect_error("401")
    page = watched.page
    page.goto(site.url + "/")
    page.get_by_label("Token").fill("wbb_tok-nope_nope")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_text("Deze token is onbekend of ingetrokken.").wait_for()
    assert page.locator("#content").is_hidden()
    assert page.evaluate("sessionStorage.getItem('wbb-token')") is None


def test_an_expired_token_is_told_so_and_the_person_is_named(site: Site, watched: Watched) -> None:
    """A token past its expiry gets "Deze token is verlopen" on the login form and nothing is
    shown; a valid token shows the owner's name and role at the top of the page."""
    from sqlalchemy import text

    from api.auth import create_token
    from api.db import make_engine, make_sessionmaker, session_scope

    engine = make_engine(f"sqlite:///{site.folder / 'matcher.db'}")
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            row, secret = create_token(session, "wbb", None, None, owner="V. Verlopen", days=1)
            session.execute(text("UPDATE tokens SET expires_at = '2025-03-03 09:00:00' WHERE id = :id"), {"id": row.id})
    finally:
        engine.dispose()
    watched.expect_error("401")
    page = watched.page
    page.goto(site.url + "/")
    page.get_by_label("Token").fill(secret)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_text("Deze token is verlopen; vraag de beheerder om een nieuwe.").wait_for()
    assert page.locator("#content").is_hidden()
    page = login(watched, site, "/", "wbb")
    assert page.locator("#who-role").inner_text() == "W. Bemiddelaar (WBB)"


def test_weekly_meeting_from_weekvoorstel(site: Site, watched: Watched) -> None:
    """Admin imports the lists; a run is made; the page names the token's owner as the one who
    decides (read-only, no field to type a name); one pair accepted, one declined with a reason, one
    pinned, each stored in the owner's name; the re-run drops the housed household, never proposes the declined pair again and
    keeps the pinned one; the Excel workbook downloads and opens."""
    page = login(watched, site, "/weekvoorstel", "admin")
    page.get_by_label("Huishoudens (CSV of XLSX)").set_input_files(str(EXAMPLE / "households.csv"))
    page.get_by_label("Woningen (CSV of XLSX)").set_input_files(str(EXAMPLE / "units.csv"))
    page.get_by_role("button", name="Inlezen").click()
    page.get_by_text("huishoudens: 150 nieuw").wait_for()
    page.get_by_label("Planningsdatum").fill("2025-03-03")
    page.get_by_role("button", name="Voorstel berekenen").click()
    page.wait_for_selector("body[data-loaded='1']", state="attached", timeout=120_000)
    matches = rows(page, "matches")
    assert matches.count() > 3 and rows(page, "unmatched").count() > 0
    first, second, third = (matches.nth(k) for k in range(3))
    accepted = (first.get_attribute("data-household"), first.get_attribute("data-unit"))
    declined = (second.get_attribute("data-household"), second.get_attribute("data-unit"))
    pinned = (third.get_attribute("data-household"), third.get_attribute("data-unit"))

    decided_by = page.locator("#decided-by")
    assert decided_by.inner_text() == "A. Beheer" and decided_by.evaluate("node => node.tagName") == "STRONG"
    assert page.get_by_label("Besloten door", exact=False).count() == 0  # read-only: no field to type another name
    page.get_by_label("Verwachte verhuisdatum bij accepteren").fill("2025-03-10")
    first.get_by_role("button", name="Accepteren").click()
    page.locator(f"#row-{accepted[0]} .badge.accept").wait_for()
    page.locator(f"#row-{declined[0]}").get_by_role("button", name="Afwijzen").click()
    page.get_by_label("Reden").select_option("unit_unsuitable")
    page.get_by_role("button", name="Afwijzing bevestigen").click()
    page.locator(f"#row-{declined[0]} .badge.decline").wait_for()
    page.locator(f"#row-{pinned[0]}").get_by_role("button", name="Vastzetten").click()
    page.locator(f"#row-{pinned[0]} .badge.pin").wait_for()
    assert "1 geaccepteerd, 1 afgewezen, 1 vastgezet" in page.locator("#decided").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download Excel").click()
    download = download_info.value
    assert download.suggested_filename == "voorstel-run-1.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert {"Voorstel", "Niet geplaatst"} <= set(workbook.sheetnames)
    watched.shoot("weekvoorstel")

    page.get_by_role("button", name="Opnieuw berekenen").click()
    page.wait_for_selector("body[data-loaded='2']", state="attached", timeout=120_000)
    proposed = {(r.get_attribute("data-household"), r.get_attribute("data-unit")) for r in rows(page, "matches").all()}
    assert accepted[0] not in {h for h, _ in proposed}
    assert declined not in proposed and pinned in proposed
    decisions = httpx.get(f"{site.url}/v1/decisions", headers={"Authorization": f"Bearer {site.tokens['viewer']}"}).json()
    assert {(d["household_id"], d["unit_id"], d["kind"], d["housed_on"], d["reason"]) for d in decisions["items"]} == {
        (*accepted, "accept", "2025-03-10", None),
        (*declined, "decline", None, "unit_unsuitable"),
        (*pinned, "pin", None, None),
    }
    assert {d["decided_by"] for d in decisions["items"]} == {"A. Beheer"}
    pinned_row = page.locator(f"#row-{pinned[0]}")
    assert pinned_row.inner_text().count("(vast)") == 1 and pinned_row.locator(".badge.pin").count() == 1
    assert pinned_row.get_by_role("button", name="Vastzetten").count() == 0
    assert pinned_row.get_by_role("button", name="Accepteren").count() == 1

    total = rows(page, "unmatched").count()
    page.get_by_label("Waarom niet geplaatst").select_option(label="voorrang voor anderen")
    shown = rows(page, "unmatched")
    assert 0 < shown.count() < total
    assert all(r.locator("td").first.inner_text() == "voorrang voor anderen" for r in shown.all())


def test_overzicht_shows_the_charts(site: Site, watched: Watched) -> None:
    """After the meeting and the moves (recorded over the API on the expected dates), on the
    peildatum of the example week: the taakstelling meter counts the persons who moved in by
    the peildatum against a target just set, the tiles count the pool of that day and those past
    the 10 weeks, and the waiting-time histogram with the 10-week line and the mismatch chart
    render, with the placements per wijk of the moves up to that day. A week later the household
    accepted for that day has left the pool and its move shows in the placements per wijk."""
    accepted = httpx.get(
        f"{site.url}/v1/decisions?kind=accept", headers={"Authorization": f"Bearer {site.tokens['viewer']}"}
    ).json()["items"]
    for decision in accepted:
        body = {"kind": "moved_in", "date": decision["housed_on"]}
        url = f"{site.url}/v1/households/{decision['household_id']}/events"
        wbb = {"Authorization": f"Bearer {site.tokens['wbb']}"}
        response = httpx.post(url, headers=wbb, json=body)
        if response.status_code == 422:  # a temporary place without a stay limit: give the end of the stay
            until = dt.date.fromisoformat(decision["housed_on"]) + dt.timedelta(days=182)
            response = httpx.post(url, headers=wbb, json=body | {"temporary_until": until.isoformat()})
        assert response.status_code == 201, response.text
    page = login(watched, site, "/", "wbb")
    page.get_by_label("Peildatum").fill("2025-03-03")
    page.get_by_role("button", name="Tonen").click()
    page.get_by_text("per 3 maart 2025").wait_for()
    page.get_by_label("Halfjaar", exact=True).fill("2025-H1")
    page.get_by_label("Personen", exact=True).fill("182")
    page.get_by_role("button", name="Taakstelling opslaan").click()
    page.get_by_text("Taakstelling opgeslagen:").wait_for()
    # The meter counts who moved in by the peildatum (from the moved_in events), never decisions alone.
    realised = sum(d["persons"] for d in accepted if d["housed_on"] <= "2025-03-03")
    assert f"{realised} van 182 personen gehuisvest" in page.locator("#taakstelling").inner_text()
    # The pool of the peildatum: a household accepted for a later housing date still waited then.
    housed = {d["household_id"] for d in accepted if d["housed_on"] <= "2025-03-03"}
    assert page.locator("#tile-pool .value").inner_text() == str(150 - len(housed))
    waiting = page.locator("svg[data-chart='waiting']")
    assert waiting.locator("rect.bar").count() > 0 and waiting.locator("line.deadline").count() == 1
    assert page.locator("svg[data-chart='mismatch'] rect.bar").count() > 0
    # Placements per wijk are those up to the peildatum: the moves of 10 March are not there yet.
    moved_by_then = any(d["housed_on"] <= "2025-03-03" for d in accepted)
    assert (page.locator("svg[data-chart='placements'] rect.bar").count() >= 1) == moved_by_then
    watched.shoot("overzicht")
    overdue = sum(
        1
        for row in csv.DictReader((EXAMPLE / "households.csv").open(encoding="utf-8"))
        if row["household_id"] not in housed and (dt.date(2025, 3, 3) - dt.date.fromisoformat(row["koppeling_date"])).days > 70
    )
    assert page.locator("#tile-overdue .value").inner_text() == str(overdue)
    # The long waiters say what the current proposal does for them: a proposed home, or why none.
    long_waiters = page.locator("#waiting-overdue-table tbody tr")
    assert long_waiters.count() > 0 and page.locator("#waiting-overdue-table th", has_text="Deze week").count() == 1
    answers = [r.locator("td").last.inner_text() for r in long_waiters.all()]
    assert any(a.startswith("geen woning: ") for a in answers) and all(a.strip() for a in answers)
    page.get_by_label("Peildatum").fill("2025-03-10")
    page.get_by_role("button", name="Tonen").click()
    page.get_by_text("per 10 maart 2025").wait_for()
    housed_later = {d["household_id"] for d in accepted if d["housed_on"] <= "2025-03-10"}
    assert len(housed_later) > len(housed)
    assert page.locator("#tile-pool .value").inner_text() == str(150 - len(housed_later))
    realised_later = sum(d["persons"] for d in accepted if d["housed_on"] <= "2025-03-10")
    assert realised_later > realised
    assert f"{realised_later} van 182 personen gehuisvest" in page.locator("#taakstelling").inner_text()
    assert page.locator("svg[data-chart='placements'] rect.bar").count() >= 1


def test_scenario_on_wat_als(site: Site, watched: Watched) -> None:
    """An officer runs base and variant (small horizon, two replicates): a variant edited into a
    bad scenario is refused naming the field and starts nothing; the corrected pair runs, both
    charts show lines with bands per strategy, the comparison table fills (with rows for alleengaande
    vrouwen and eenoudergezinnen among the groups), and another KPI redraws the charts."""
    page = login(watched, site, "/wat-als", "officer")
    page.get_by_label("Basis", exact=True).select_option(label="Nijmegen zoals het is")
    page.get_by_label("Variant", exact=True).select_option(label="Half zoveel sociale huurwoningen")
    page.get_by_label("Horizon in weken (voor beide)").fill("3")
    page.get_by_label("Herhalingen").fill("2")
    page.get_by_text("Scenario's aanpassen").click()
    good_variant = page.get_by_label("Variant als JSON").input_value()
    page.get_by_label("Variant als JSON").fill('{"vacancies": {"statushouder_share": 2}}')
    watched.expect_error("422")
    page.get_by_role("button", name="Doorrekenen").click()
    page.get_by_text("vacancies.statushouder_share").wait_for()
    assert (
        httpx.get(f"{site.url}/v1/scenarios", headers={"Authorization": f"Bearer {site.tokens['viewer']}"}).json()["total"] == 0
    )
    page.get_by_label("Variant als JSON").fill(good_variant)
    page.get_by_role("button", name="Doorrekenen").click()
    page.wait_for_selector("body[data-shown]", state="attached", timeout=180_000)
    for which in ("base", "variant"):
        chart = page.locator(f"svg[data-chart='scenario-{which}']")
        assert chart.locator("polyline.line").count() == 2 and chart.locator("polygon.band").count() == 2
    assert rows(page, "comparison").count() == 10
    # Who waits: the 90th percentile of weeks to a first offer per group, per way of working, and the difference with FIFO.
    fairness = page.locator("#fairness")
    assert fairness.locator("tbody tr").count() >= 5
    assert fairness.locator("thead th", has_text="min FIFO").count() == 1
    assert fairness.locator("tbody tr[data-group='all:all'] td").count() == 4
    # The groups derived from adults, children and gender have their own rows.
    assert fairness.locator("tbody tr[data-group='household_type:single_woman'] th").inner_text() == "Alleengaande vrouwen"
    assert fairness.locator("tbody tr[data-group='household_type:single_parent'] th").inner_text() == "Eenoudergezinnen"
    before = page.locator("svg[data-chart='scenario-base'] title").first.text_content()
    page.get_by_label("Kengetal").select_option("wait_median_weeks")
    assert page.locator("svg[data-chart='scenario-base'] title").first.text_content() != before
    watched.shoot("wat-als")


# role -> (decide and run on Weekvoorstel, import lists, set the taakstelling, run scenarios)
CONTROLS = {
    "viewer": (False, False, False, False),
    "officer": (False, False, False, True),
    "wbb": (True, False, True, True),
    "admin": (True, True, True, True),
}


@pytest.mark.parametrize("role", list(CONTROLS))
def test_controls_follow_the_role(site: Site, watched: Watched, role: str) -> None:
    """Each role sees the proposal and the download; the buttons for deciding and running, the
    import, the taakstelling form and the scenario form show only for the roles allowed to use them; only a
    viewer sees the note that explanations per unmatched household are withheld."""
    decide, imports, target, scenarios = CONTROLS[role]
    page = login(watched, site, "/weekvoorstel", role)
    assert rows(page, "matches").count() > 0
    assert page.get_by_role("button", name="Download Excel").is_enabled()
    assert (page.get_by_role("button", name="Accepteren").count() > 0) == decide
    assert page.locator("#rerun").is_visible() == decide
    assert page.locator("#import-form").is_visible() == imports
    # Health and sexual orientation: a viewer reads that the unmatched households' explanations are withheld.
    assert page.locator("#withheld").is_visible() == (role == "viewer")
    page.goto(site.url + "/")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.locator("#target-form").is_visible() == target
    page.goto(site.url + "/wat-als")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.locator("#scenario-form").is_visible() == scenarios
    assert page.locator("#base-run option").count() >= 2  # earlier runs can be compared by everyone


def test_login_and_navigation_by_keyboard(site: Site, watched: Watched) -> None:
    """Token typed and sent with Enter; the navigation links are reached with Tab and followed with Enter."""
    page = watched.page
    page.goto(site.url + "/wat-als")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'token'")
    page.keyboard.type(site.tokens["wbb"])  # the token field has the focus
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-loaded]", state="attached")
    page.get_by_role("link", name="Weekvoorstel").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/weekvoorstel")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.get_by_role("button", name="Opnieuw berekenen").is_visible()


def test_the_watch_catches_outside_requests_and_console_errors(site: Site, watched: Watched) -> None:
    """The guards of every browser test work: on a page of the service the Content-Security-Policy
    refuses a request to another host (a console error); where no policy applies, the request is
    blocked and recorded by the test. Both records are cleared here, so only this test sees them."""
    page = watched.page
    page.goto(site.url + "/wat-als")
    page.evaluate("() => fetch('http://example.org/from-page').catch(() => null)")
    page.wait_for_function("() => true")
    assert any("Content Security Policy" in e and "example.org" in e for e in watched.errors), watched.errors
    page.goto("about:blank")
    page.evaluate("() => fetch('http://example.org/probe').catch(() => null)")
    page.evaluate("() => console.error('probe error')")
    page.wait_for_function("() => true")
    assert watched.outside == ["http://example.org/probe"]
    assert "probe error" in watched.errors
    watched.outside.clear()
    watched.errors.clear()
