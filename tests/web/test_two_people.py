"""Deciding at the meeting, also when two people work at once: every decision is told at its row,
a colleague's new run or import is said on the page with the newest proposal one press away, a
second tab needs no new login, and a run on an empty pool does not pass for a proposal."""

from __future__ import annotations

from typing import Any

from web_helpers import Site, Watched, login


def row_of(page: Any, household: str) -> Any:
    return page.locator(f"#row-{household}")


def focused_row(page: Any) -> str | None:
    return page.evaluate("document.activeElement.closest('tr') && document.activeElement.closest('tr').id")


def test_a_decision_is_told_at_its_row(site: Site, watched: Watched) -> None:
    """An accept that a colleague beat by a moment is refused, and the reason stands in the row
    itself with the focus still on the row's Accepteren (before: the message sat at the top of
    the page, out of view); a successful accept says at the row what it did, the row shows its
    new state and keeps the focus."""
    run = site.week()
    watched.expect_error("409")
    page = login(watched, site, "/weekvoorstel", "wbb")
    rows = page.locator("#matches tbody tr")
    taken = rows.nth(20)
    household, unit = taken.get_attribute("data-household"), taken.get_attribute("data-unit")
    with site.client() as client:  # a colleague accepts the same pair a moment earlier
        body = {"household_id": household, "unit_id": unit, "kind": "accept", "housed_on": "2025-03-10"}
        assert client.post(f"/v1/runs/{run['id']}/decisions", headers=site.auth("wbb"), json=body).status_code == 201
    row_of(page, household).get_by_role("button", name="Accepteren").click()
    message = row_of(page, household).locator(".row-status.error")
    message.wait_for()
    assert message.inner_text().startswith("Niet vastgelegd: Dit huishouden wacht niet meer")
    assert page.evaluate("document.activeElement.textContent") == "Accepteren" and focused_row(page) == f"row-{household}"
    watched.check("besluit-geweigerd-bij-de-regel")
    first = rows.first.get_attribute("data-household")
    row_of(page, first).get_by_role("button", name="Accepteren").click()
    told = row_of(page, first).locator(".row-status.ok")
    told.wait_for()
    assert "is aangeboden aan" in told.inner_text() and "3 maart 2025" in told.inner_text()
    assert "decided" in (row_of(page, first).get_attribute("class") or "")
    assert row_of(page, first).locator(".badge.accept").count() == 1
    assert focused_row(page) == f"row-{first}"
    watched.check("besluit-bij-de-regel", phone=False)


def test_a_colleague_runs_again_and_imports(site: Site, watched: Watched) -> None:
    """A colleague runs again while the page shows the older run: a decision is refused at its
    row, the page says there is a newer proposal and loads it with one press; a second tab opens
    without a new login; after a colleague's import the page says the proposal is out of date."""
    site.week()
    watched.expect_error("409")
    page = login(watched, site, "/weekvoorstel", "wbb")
    with site.client() as client:
        older = client.get("/v1/runs", headers=site.auth("wbb")).json()["items"][0]
        newer = client.post("/v1/runs", headers=site.auth("wbb"), json={"policy": older["policy"]}).json()
        while client.get(f"/v1/runs/{newer['id']}", headers=site.auth("wbb")).json()["status"] != "done":
            page.wait_for_timeout(200)
    household = page.locator("#matches tbody tr").first.get_attribute("data-household")
    row_of(page, household).get_by_role("button", name="Vastzetten").click()
    row_of(page, household).locator(".row-status.error").wait_for()
    banner = page.locator("#newer")
    banner.wait_for()
    assert f"run {newer['id']}" in banner.inner_text()
    watched.check("nieuwer-voorstel")
    page.get_by_role("button", name="Nieuwste voorstel laden").click()
    page.wait_for_selector(f"body[data-loaded='{newer['id']}']", state="attached")
    assert banner.is_hidden()

    second = page.context.new_page()
    second.goto(site.url + "/weekvoorstel")
    second.wait_for_selector(f"body[data-loaded='{newer['id']}']", state="attached")
    assert second.locator("#token").count() == 0
    second.close()

    with site.client() as client:
        from service_helpers import load_example

        load_example(client, site.auth("admin"))  # type: ignore[arg-type]
    page.reload()
    page.wait_for_selector("body[data-loaded]", state="attached")
    banner.wait_for()
    assert "verouderd" in banner.inner_text()


def test_a_run_on_an_empty_pool_says_so(site: Site, watched: Watched) -> None:
    """A run over a municipality with no households waiting ends "klaar" with nothing in it: the
    page says there was nothing to match and to read in the lists first, not "Voorstel geladen"."""
    with site.client() as client:
        created = client.post(
            "/v1/tokens", headers=site.auth("admin"), json={"role": "wbb", "owner": "L. de Leeg", "municipality": "Leegstad"}
        )
        token = created.json()["token"]
        empty = client.post(
            "/v1/runs", headers={"Authorization": f"Bearer {token}"}, json={"policy": {"planning_date": "2025-03-03"}}
        )
        assert empty.status_code == 202, empty.text
        while (
            client.get(f"/v1/runs/{empty.json()['id']}", headers={"Authorization": f"Bearer {token}"}).json()["status"] != "done"
        ):
            watched.page.wait_for_timeout(200)
    site.tokens["wbb@Leegstad"] = token
    page = login(watched, site, "/weekvoorstel", "wbb@Leegstad")
    status = page.locator("#status").inner_text()
    assert "er wachtten geen huishoudens" in status and "Lees eerst de lijsten in" in status, status
    watched.check("lege-pool")
