"""Lijsten inlezen on Weekvoorstel: both lists together or neither, a Dutch hint for a semicolon
file, and a replace that says what leaves the pool and waits for a yes."""

from __future__ import annotations

from pathlib import Path

from service_helpers import EXAMPLE
from web_helpers import Site, Watched, login


def pool(site: Site) -> tuple[int, int]:
    with site.client() as client:
        return (
            client.get("/v1/households?limit=1", headers=site.auth("admin")).json()["total"],
            client.get("/v1/units?limit=1", headers=site.auth("admin")).json()["total"],
        )


def test_import_is_all_or_nothing_and_replace_asks_first(site: Site, watched: Watched, tmp_path: Path) -> None:
    """A good households file with a bad units file stores nothing (before, the households were
    stored and only the units refused), and the message names the units file, row and column in
    Dutch; a units file saved by Dutch Excel (semicolons) gets one hint about the separator; the
    good pair is read in; a replace with ten households fewer first says that ten waiting
    households leave the pool, stores nothing when cancelled, and removes them when confirmed."""
    households = EXAMPLE / "households.csv"
    bad_units = tmp_path / "units.csv"
    bad_units.write_bytes((EXAMPLE / "units.csv").read_bytes().replace(b",social,", b",villa,", 1))
    page = login(watched, site, "/weekvoorstel", "admin")
    watched.expect_error("422")
    page.get_by_label("Huishoudens (CSV of XLSX)").set_input_files(str(households))
    page.get_by_label("Woningen (CSV of XLSX)").set_input_files(str(bad_units))
    page.get_by_role("button", name="Inlezen").click()
    page.get_by_text("De invoer heeft 1 probleem.").wait_for()
    message = page.locator("#status").inner_text()
    assert "units.csv, rij 3, kolom unit_type: verwacht een van social, flex, transit" in message, message
    assert pool(site) == (0, 0)
    watched.check("inlezen-fout")

    semicolons = tmp_path / "puntkomma" / "units.csv"
    semicolons.parent.mkdir()
    lines = (EXAMPLE / "units.csv").read_text(encoding="utf-8").splitlines()
    semicolons.write_text("\n".join(line.replace(",", ";") for line in lines) + "\n", encoding="utf-8")
    page.get_by_label("Woningen (CSV of XLSX)").set_input_files(str(semicolons))
    page.get_by_role("button", name="Inlezen").click()
    page.get_by_text("puntkomma").wait_for()
    assert page.locator("#status").inner_text().count("verplichte kolom ontbreekt") == 0
    assert pool(site) == (0, 0)
    watched.check("inlezen-puntkomma")

    page.get_by_label("Woningen (CSV of XLSX)").set_input_files(str(EXAMPLE / "units.csv"))
    page.get_by_role("button", name="Inlezen").click()
    page.get_by_text("huishoudens: 150 nieuw").wait_for()
    assert pool(site) == (150, 40)

    fewer = tmp_path / "minder" / "households.csv"
    fewer.parent.mkdir()
    fewer.write_text("\n".join(households.read_text(encoding="utf-8").splitlines()[:-10]) + "\n", encoding="utf-8")
    page.get_by_label("Huishoudens (CSV of XLSX)").set_input_files(str(fewer))
    page.get_by_label("Woningen (CSV of XLSX)").set_input_files([])
    page.get_by_label("Werkwijze").select_option("replace")
    page.get_by_role("button", name="Inlezen").click()
    question = page.locator("#import-confirm-text")
    question.wait_for()
    assert "10 wachtende huishoudens" in question.inner_text()
    assert page.evaluate("document.activeElement.id") == "import-confirm-yes"
    watched.check("inlezen-vervangen-bevestigen")
    page.get_by_role("button", name="Annuleren").click()
    assert pool(site) == (150, 40)
    page.get_by_role("button", name="Inlezen").click()
    page.get_by_role("button", name="Ja, vervangen").click()
    page.get_by_text("10 uit de pool").wait_for()
    assert pool(site) == (140, 40)
