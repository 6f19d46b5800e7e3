"""The Corporatie page in Chromium: Portaal's staff member logs in with a corporation token,
sees only Portaal's homes and the offers on them, in Dutch, with a wheelchair need named with
its rule and no other vulnerability, records a move-in through the form, and the page shows
the let; the municipality's pages are not in its navigation. A WBB token on the page gets a
Dutch explanation and no corporation data."""

from __future__ import annotations

from typing import Any

from web_helpers import Site, Watched, login

PERSON = {"municipality": "Nijmegen", "koppeling_date": "2025-01-06", "gender": "F", "head_age": 31, "adults": 1, "children": 0}
UNIT = {
    "municipality": "Nijmegen",
    "neighbourhood": "Hatert",
    "unit_type": "social",
    "bedrooms": 1,
    "max_occupants": 2,
    "rent": 600,
    "available_from": "2025-03-01",
}


def _offers(site: Site) -> dict[str, str]:
    """Two households offered a Portaal home (one a wheelchair user who is also lgbtiq and
    has a medical need) and one offered a Talis home; returns the proposal's pairs."""
    households = [
        PERSON | {"household_id": "CW-1", "vulnerabilities": ["wheelchair", "lgbtiq", "medical"]},
        PERSON | {"household_id": "CW-2", "vulnerabilities": ["lgbtiq"]},
        PERSON | {"household_id": "CW-3", "koppeling_date": "2025-01-20"},
    ]
    units = [
        UNIT | {"unit_id": "CP-W", "corporation": "Portaal", "wheelchair": True, "step_free": True},
        UNIT | {"unit_id": "CP-2", "corporation": "Portaal", "lgbtiq_safe": True, "support": True},
        UNIT | {"unit_id": "CT-1", "corporation": "Talis"},
    ]
    with site.client() as client:
        admin, wbb = site.auth("admin"), site.auth("wbb")
        for kind, rows in (("households", households), ("units", units)):
            response = client.post(f"/v1/{kind}/batch", headers=admin, json={"rows": rows, "mode": "replace"})
            assert response.status_code == 200, response.text
        made = client.post(
            "/v1/tokens", headers=admin, json={"role": "corporation", "corporation": "Portaal", "owner": "P. Verhuur"}
        )
        assert made.status_code == 201, made.text
        site.tokens["corporation"] = made.json()["token"]
        run: dict[str, Any] = client.post("/v1/runs", headers=wbb, json={"policy": {"planning_date": "2025-03-03"}}).json()
        for _ in range(600):
            run = client.get(f"/v1/runs/{run['id']}", headers=wbb).json()
            if run["status"] in ("done", "failed", "cancelled"):
                break
            client.get("/healthz")
        assert run["status"] == "done", run
        matches = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).json()["matches"]
        pairs = {m["household_id"]: m["unit_id"] for m in matches}
        for household_id, unit_id in pairs.items():
            body = {"household_id": household_id, "unit_id": unit_id, "kind": "accept"}
            assert client.post(f"/v1/runs/{run['id']}/decisions", headers=wbb, json=body).status_code == 201
    return pairs


def test_a_corporation_sees_and_records_on_its_own_homes(site: Site, watched: Watched) -> None:
    """Portaal's page lists CP-W and CP-2 with their offers (3 maart 2025), CW-1's row says a
    wheelchair home is needed by rule E7 and nothing of lgbtiq or a medical need, nothing of
    Talis or CW-3 is shown; the move-in recorded in the form shows as let on 10 maart 2025.
    The navigation shows only Corporatie, and all text is Dutch."""
    pairs = _offers(site)
    assert pairs == {"CW-1": "CP-W", "CW-2": "CP-2", "CW-3": "CT-1"}
    page = login(watched, site, "/corporatie", "corporation")
    page.get_by_role("heading", name="Corporatie Portaal").wait_for()
    offers = page.locator("#offers-table").inner_text()
    assert "CP-W" in offers and "CP-2" in offers and "3 maart 2025" in offers
    assert "rolstoelwoning nodig (regel E7" in offers
    units = page.locator("#units-table").inner_text()
    text = watched.visible_text()
    for hidden in ("CT-1", "CW-3", "lgbtiq", "medisch", "medical", "Talis"):
        assert hidden not in text, hidden
    assert "CP-W" in units and "CP-2" in units
    nav = [n for n in page.locator("header nav li").all() if n.is_visible()]
    assert [n.inner_text() for n in nav] == ["Corporatie"]
    watched.assert_dutch("corporatie")
    watched.check("corporatie")

    form = page.locator("#event-form")
    form.get_by_label("Woning").select_option(label="CP-W (Hatert)")
    form.get_by_label("Wat").select_option("moved_in")
    form.get_by_label("Datum").fill("2025-03-10")
    page.get_by_role("button", name="Vastleggen").click()
    page.get_by_text("Vastgelegd: woning CP-W verhuurd (ingetrokken) op 10 maart 2025.").wait_for()
    let = page.locator("#offers-table tr[data-kind='let']")
    assert let.count() == 1 and "CP-W" in let.inner_text() and "10 maart 2025" in let.inner_text()
    with site.client() as client:
        household = client.get("/v1/households/CW-1", headers=site.auth("wbb")).json()
    assert household["status"] == "housed"
    watched.assert_dutch("corporatie na verhuizing")


def test_the_municipalitys_roles_get_no_corporation_data_on_the_page(site: Site, watched: Watched) -> None:
    """A WBB token on /corporatie reads that the page is for a corporation's staff, sees no
    homes or offers, and has no Corporatie link in its navigation."""
    page = login(watched, site, "/corporatie", "wbb")
    page.get_by_text("Deze pagina is voor medewerkers van een woningcorporatie.").wait_for()
    assert page.locator("#offers-section").is_hidden() and page.locator("#units-section").is_hidden()
    nav = [n.inner_text() for n in page.locator("header nav li").all() if n.is_visible()]
    assert "Corporatie" not in nav and "Overzicht" in nav
    watched.assert_dutch("corporatie voor de WBB")


def test_the_overzicht_shows_agreed_against_realised_and_the_wbb_sets_an_agreement(site: Site, watched: Watched) -> None:
    """At peildatum 30 juni 2025 the WBB sets Portaal's agreement to 7 homes in the form; the
    table shows 7 beside the offers, lets and persons the service reports for Portaal in 2025,
    and what is left to go; a viewer sees the table but not the form."""
    if "corporation" not in site.tokens:
        _offers(site)
    page = login(watched, site, "/", "wbb")
    page.get_by_label("Peildatum").fill("2025-06-30")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("in 2025").wait_for()
    page.get_by_label("Corporatie").fill("Portaal")
    page.get_by_label("Afgesproken woningen").fill("7")
    page.get_by_role("button", name="Afspraak opslaan").click()
    page.get_by_text("Afspraak opgeslagen: Portaal biedt in 2025 7 woningen aan.").wait_for()
    with site.client() as client:
        rows = client.get("/v1/prestatieafspraken?year=2025", headers=site.auth("viewer")).json()["rows"]
    portaal = next(r for r in rows if r["corporation"] == "Portaal")
    assert portaal["agreed"] == 7 and portaal["offered"] >= 1
    cells = page.locator("#afspraken-table tr[data-corporation='Portaal'] > *").all_inner_texts()
    expected = ["Portaal", "Nijmegen", "7", str(portaal["offered"]), str(portaal["let"]), str(portaal["persons"])]
    assert cells == [*expected, str(max(7 - portaal["let"], 0))]
    watched.assert_dutch("overzicht met prestatieafspraken")
    watched.check("overzicht-prestatieafspraken")
    page.evaluate("() => sessionStorage.clear()")
    page = login(watched, site, "/", "viewer")
    page.get_by_label("Peildatum").fill("2025-06-30")
    page.get_by_role("button", name="Tonen").first.click()
    page.get_by_text("in 2025").wait_for()
    page.locator("#afspraken-table tr[data-corporation='Portaal']").wait_for()
    assert page.locator("#afspraak-form").is_hidden()
