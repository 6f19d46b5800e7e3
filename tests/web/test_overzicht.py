"""Overzicht at a peildatum: the taakstelling of that half year only (no "2 van 0" before a target
exists, nothing of later half years), placements up to that day, and a target form that shows
what is stored; on Weekvoorstel an accept's date starts at the planning date."""

from __future__ import annotations

from web_helpers import Site, Watched, login


def test_taakstelling_and_placements_follow_the_peildatum(site: Site, watched: Watched) -> None:
    """One household moves in on 10 March 2025; a target exists only for the second half of 2026.
    At peildatum 3 March 2025 the Overzicht says no target is set for the first half of 2025
    (no "1 van 0 personen", no negative work to do), shows nothing of the 2026 target, and no
    placements yet; a target set in the form is shown as stored and the form follows the
    peildatum; at 31 March the move shows in the placements per wijk."""
    run = site.week()
    with site.client() as client:
        wbb = site.auth("wbb")
        match = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).json()["matches"][0]
        decision = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "accept"}
        response = client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=decision | {"housed_on": "2025-03-10"})
        assert response.status_code == 201, response.text
        event = {"kind": "moved_in", "date": "2025-03-10", "temporary_until": "2025-09-10"}
        moved = client.post(f"/v1/households/{match['household_id']}/events", headers=wbb, json=event)
        if moved.status_code == 422:  # a permanent home takes no end of stay
            moved = client.post(
                f"/v1/households/{match['household_id']}/events", headers=wbb, json={"kind": "moved_in", "date": "2025-03-10"}
            )
        assert moved.status_code == 201, moved.text
        assert client.put("/v1/taakstelling/Nijmegen/2026-H2", headers=wbb, json={"persons": 777}).status_code in (200, 201)
    page = login(watched, site, "/weekvoorstel", "wbb")
    assert page.locator("#housed-on").input_value() == "2025-03-03"  # the planning date, not today
    page.goto(site.url + "/")
    page.wait_for_selector("body[data-loaded]", state="attached")
    page.get_by_label("Peildatum").fill("2025-03-03")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("per 3 maart 2025").wait_for()
    taak = page.locator("#taakstelling").inner_text()
    assert "nog geen taakstelling ingesteld" in taak, taak
    assert " van 0 personen" not in taak and "-" not in taak.replace("Nijmegen", "") and "777" not in taak, taak
    assert "nog niemand verhuisd" in page.locator("#chart-placements").inner_text()
    # The form is filled once the whole page has loaded, a moment after the taakstelling shows.
    page.wait_for_function("() => document.getElementById('target-half').value === '2025-H1'")
    assert page.get_by_label("Halfjaar", exact=True).input_value() == "2025-H1"
    watched.check("overzicht-zonder-taakstelling")
    page.get_by_label("Personen", exact=True).fill("20")
    page.get_by_role("button", name="Taakstelling opslaan").click()
    page.get_by_text("Taakstelling opgeslagen: 20 personen").wait_for()
    assert page.get_by_label("Personen", exact=True).input_value() == "20"
    assert "0 van 20 personen gehuisvest" in page.locator("#taakstelling").inner_text()
    page.get_by_label("Peildatum").fill("2025-07-15")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("per 15 juli 2025").wait_for()
    # The form is filled once the whole page has loaded, a moment after the taakstelling shows.
    page.wait_for_function("() => document.getElementById('target-half').value === '2025-H2'")
    assert page.get_by_label("Halfjaar", exact=True).input_value() == "2025-H2"
    assert page.get_by_label("Personen", exact=True).input_value() == ""
    page.get_by_label("Peildatum").fill("2025-03-31")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("per 31 maart 2025").wait_for()
    assert page.locator("svg[data-chart='placements'] rect.bar").count() >= 1
    assert f"{match['persons']} van 20 personen gehuisvest" in page.locator("#taakstelling").inner_text()
    watched.check("overzicht")


def test_a_reached_taakstelling_reads_clearly(site: Site, watched: Watched) -> None:
    """When the half year's target is reached the meter is filled green to the end; its words stay readable
    over it (axe-core's contrast check passes, as it did not when dark text sat on the green fill)."""
    run = site.week()
    with site.client() as client:
        wbb = site.auth("wbb")
        match = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).json()["matches"][0]
        decision = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "accept"}
        response = client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=decision | {"housed_on": "2025-03-10"})
        assert response.status_code == 201, response.text
        persons = match["persons"]
        assert client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=wbb, json={"persons": persons}).status_code in (200, 201)
    page = login(watched, site, "/", "wbb")
    page.get_by_label("Peildatum").fill("2025-03-31")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("per 31 maart 2025").wait_for()
    page.get_by_text(f"{persons} van {persons} personen gehuisvest").wait_for()
    assert page.locator(".meter .fill").first.evaluate("node => node.style.width") == "100%"
    watched.check("overzicht-gehaald")
