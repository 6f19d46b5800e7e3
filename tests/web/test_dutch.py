"""No English a person reads: every page, in the states the meeting meets, with every error the
pages can provoke, and every sheet of the workbooks, checked against a list of English
giveaways (tests/english.py). What was read is kept in test-artifacts/gelezen.txt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from english import english
from service_helpers import EXAMPLE
from web_helpers import ARTIFACTS, Site, Watched, login, workbook_text


def error_shown(page: Any, watched: Watched, where: str) -> str:
    """Wait for an error in the page's status line, check the whole page, return the error."""
    page.wait_for_selector("#status.error, #login-status.error", state="visible")
    watched.assert_dutch(where)
    return page.locator("#status.error, #login-status.error").first.inner_text()


def test_every_page_error_and_sheet_reads_dutch(site: Site, watched: Watched, tmp_path: Path) -> None:
    """The pages as admin, wbb and viewer; the errors of a wrong token, a bad cell, a semicolon
    file, a file of the wrong kind, an accept a colleague beat, a decision on a run that was
    replaced, an event that does not fit, a date out of range, an unknown household, a bad half
    year, a bad wijkplafond and a refused scenario; and the proposal and taakstelling workbooks:
    none holds an English giveaway (before: "String should have at least 1 character",
    "Run 4 is superseded by a newer run", stage "explaining", sheets and codes in English)."""
    run = site.week()
    page = watched.page
    for fragment in ("401", "404", "409", "415", "422"):
        watched.expect_error(fragment)

    page.goto(site.url + "/")
    page.get_by_label("Token").fill("wbb_tok-nope_nope")
    page.get_by_role("button", name="Inloggen").click()
    error_shown(page, watched, "inloggen met een onbekende token")

    page = login(watched, site, "/", "admin")
    watched.assert_dutch("Overzicht (beheerder)")
    page.get_by_label("Halfjaar", exact=True).fill("1999-H1")
    page.get_by_label("Personen", exact=True).fill("10")
    page.get_by_role("button", name="Taakstelling opslaan").click()
    error_shown(page, watched, "taakstelling voor een halfjaar buiten het venster")

    page.goto(site.url + "/weekvoorstel")
    page.wait_for_selector("body[data-loaded]", state="attached")
    watched.assert_dutch("Weekvoorstel (beheerder)")
    bad = tmp_path / "households.csv"
    bad.write_bytes((EXAMPLE / "households.csv").read_bytes().replace(b",M,", b",man,", 1))
    page.get_by_label("Huishoudens (CSV of XLSX)").set_input_files(str(bad))
    page.get_by_role("button", name="Inlezen").click()
    error_shown(page, watched, "inlezen met een foute cel")
    text = tmp_path / "lijst.txt"
    text.write_text("household_id\n", encoding="utf-8")
    page.get_by_label("Huishoudens (CSV of XLSX)").set_input_files(str(text))
    page.get_by_role("button", name="Inlezen").click()
    page.get_by_text("Kies een CSV- of XLSX-bestand.").wait_for()
    watched.assert_dutch("inlezen van een tekstbestand")

    taken = page.locator("#matches tbody tr").nth(3)
    with site.client() as client:  # a colleague accepts the pair a moment earlier
        body = {"household_id": taken.get_attribute("data-household"), "unit_id": taken.get_attribute("data-unit")}
        accept = body | {"kind": "accept", "housed_on": "2025-03-10"}
        assert client.post(f"/v1/runs/{run['id']}/decisions", headers=site.auth("wbb"), json=accept).status_code == 201
    taken.get_by_role("button", name="Accepteren").click()
    error_shown(page, watched, "accepteren van een paar dat een collega al accepteerde")
    page.get_by_text("Beleid aanpassen").click()
    page.get_by_label("Wijkplafonds", exact=False).fill("Hatert twee")
    page.get_by_role("button", name="Opnieuw berekenen").click()
    error_shown(page, watched, "een wijkplafond dat niet te lezen is")

    with site.client() as client:  # a colleague runs again: this page's run is replaced
        newer = client.post("/v1/runs", headers=site.auth("wbb"), json={"policy": run["policy"]}).json()
        while client.get(f"/v1/runs/{newer['id']}", headers=site.auth("wbb")).json()["status"] not in ("done", "failed"):
            page.wait_for_timeout(200)
    page.locator("#matches tbody tr").first.get_by_role("button", name="Vastzetten").click()
    error_shown(page, watched, "besluit op een vervangen run")

    page.goto(f"{site.url}/huishouden?id=H-9999")
    page.wait_for_selector("#status.error")
    watched.assert_dutch("onbekend huishouden")
    household = "H-0001"
    page.get_by_label("Huishouden (id)").fill(household)
    page.get_by_role("button", name="Tonen").click()
    page.wait_for_selector("#case-section:not([hidden])")
    watched.assert_dutch("Huishouden")
    page.get_by_label("Wat").select_option("moved_in")
    page.get_by_role("button", name="Vastleggen").click()
    error_shown(page, watched, "een verhuizing van een wachtend huishouden")
    page.get_by_label("Wat").select_option("documents_expected")
    page.get_by_label("Datum", exact=True).fill("1999-01-01")
    page.get_by_role("button", name="Vastleggen").click()
    error_shown(page, watched, "een datum buiten het venster")

    page.goto(site.url + "/wat-als")
    page.wait_for_selector("body[data-loaded]", state="attached")
    watched.assert_dutch("Wat-als (beheerder)")
    page.get_by_text("Scenario's aanpassen").click()
    page.get_by_label("Variant als JSON").fill('{"vacancies": {"statushouder_share": 3}}')
    page.get_by_role("button", name="Doorrekenen").click()
    error_shown(page, watched, "een scenario dat niet kan")

    page.get_by_role("button", name="Uitloggen").click()
    page = login(watched, site, "/weekvoorstel", "viewer")
    watched.assert_dutch("Weekvoorstel (kijker)")
    page.goto(site.url + "/")
    page.wait_for_selector("body[data-loaded]", state="attached")
    watched.assert_dutch("Overzicht (kijker)")

    sheets = []
    with site.client() as client:
        for role in ("wbb", "viewer"):
            response = client.get(f"/v1/runs/{run['id']}/proposal.xlsx", headers=site.auth(role))
            sheets.append((f"werkmap voorstel ({role})", workbook_text(response.content)))
        report = client.get("/v1/taakstelling/report.xlsx?on=2025-03-03", headers=site.auth("viewer"))
        sheets.append(("werkmap taakstelling", workbook_text(report.content)))
    ARTIFACTS.mkdir(exist_ok=True)
    read = [*watched.read, *sheets]
    (ARTIFACTS / "gelezen.txt").write_text("\n\n".join(f"== {where}\n{text}" for where, text in read), encoding="utf-8")
    found = {where: english(text) for where, text in sheets if english(text)}
    assert found == {}


def test_a_failed_run_reads_dutch(site: Site, watched: Watched) -> None:
    """A run that fails on its input (a fixed pair names a household that is not in the pool) is
    shown with its problems in Dutch (before: the engine's English problem list)."""
    with site.client() as client:
        wbb = site.auth("wbb")
        runs = client.get("/v1/runs", headers=wbb).json()["items"]
        run = runs[0] if runs and runs[0]["status"] == "done" else site.week()
        unit = client.get(f"/v1/runs/{run['id']}/proposal", headers=wbb).json()["matches"][0]["unit_id"]
        policy = {**run["policy"], "fixed_pairs": [["H-9999", unit]]}
        started = client.post("/v1/runs", headers=wbb, json={"policy": policy})
        assert started.status_code == 202, started.text
        failed = started.json()
        while client.get(f"/v1/runs/{failed['id']}", headers=wbb).json()["status"] not in ("done", "failed"):
            watched.page.wait_for_timeout(200)
    page = login(watched, site, "/weekvoorstel", "wbb")
    status = page.locator("#status").inner_text()
    assert status.startswith(f"Run {failed['id']} is mislukt: De invoer van deze run heeft problemen:"), status
    assert 'huishouden "H-9999" staat niet (meer) in de pool' in status, status
    watched.check("run-mislukt")
