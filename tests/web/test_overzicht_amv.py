"""Overzicht: the indicative AMV taakstelling set in the target form and shown as its own Dutch
line beside the main taakstelling, with the ex-AMV youngsters housed against it."""

from __future__ import annotations

from web_helpers import Site, Watched, login


def test_the_amv_target_is_set_in_the_form_and_read_as_its_own_line(site: Site, watched: Watched) -> None:
    """An ex-AMV youngster of the example week moves in on 10 March 2025. At peildatum 31 March
    the WBB sets 20 persons and an AMV target of 12 in the form; the Overzicht then reads
    "AMV-taakstelling (indicatief): 1 van 12 jongeren gehuisvest" (the youngster's persons)
    while the main meter still counts them, and the form shows the stored AMV target."""
    run = site.week()
    with site.client() as client:
        wbb = site.auth("wbb")
        matches = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).json()["matches"]
        marked = [
            m
            for m in matches
            if "ex_amv" in (client.get(f"/v1/households/{m['household_id']}", headers=wbb).json()["vulnerabilities"] or [])
        ]
        assert marked, "the example week has an ex-AMV youngster among the matches"
        match = marked[0]
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
    page = login(watched, site, "/", "wbb")
    page.get_by_label("Peildatum").fill("2025-03-31")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("per 31 maart 2025").wait_for()
    assert "AMV-taakstelling" not in page.locator("#taakstelling").inner_text()
    page.get_by_label("Personen", exact=True).fill("20")
    page.get_by_label("AMV-jongeren (indicatief, leeg: geen)").fill("12")
    page.get_by_role("button", name="Taakstelling opslaan").click()
    page.get_by_text("Taakstelling opgeslagen: 20 personen").wait_for()
    persons = match["persons"]
    page.get_by_text(f"AMV-taakstelling (indicatief): {persons} van 12 jongeren gehuisvest").wait_for()
    assert f"{persons} van 20 personen gehuisvest" in page.locator("#taakstelling").inner_text()
    assert page.get_by_label("AMV-jongeren (indicatief, leeg: geen)").input_value() == "12"
    watched.check("overzicht-amv")
