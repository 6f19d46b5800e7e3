"""Printing Weekvoorstel for the meeting: the whole proposal on paper, in the order of the agenda.

The page is printed as Chromium prints it (print media, A4, to PDF); the PDF is read back as
text with pdftotext and turned into images with pdftoppm (poppler-utils), kept under
test-artifacts/print/."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
from web_helpers import ARTIFACTS, Site, Watched, login

PRINTS = ARTIFACTS / "print"
ROW = re.compile(r"^\s{0,3}(H-\d{4})\b", re.M)  # a row of a table starts with its household id


def printed(page: Any, name: str) -> list[str]:
    """The page printed to an A4 PDF as Chromium prints it; the text of each sheet of paper, and
    the sheets as images."""
    for tool in ("pdftotext", "pdftoppm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} (poppler-utils) is needed to read the printed pages")
    PRINTS.mkdir(parents=True, exist_ok=True)
    for old in PRINTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf = PRINTS / f"{name}.pdf"
    page.emulate_media(media="print")
    pdf.write_bytes(page.pdf(format="A4", prefer_css_page_size=True, print_background=True))
    page.emulate_media(media="screen")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(PRINTS / name)], check=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [sheet for sheet in text.split("\f") if sheet.strip()]


def section(sheets: list[str], heading: str, following: str | None) -> tuple[int, str]:
    """The sheet a section starts on and its text up to the next section's heading."""
    start = next(k for k, sheet in enumerate(sheets) if re.search(rf"^\s*{re.escape(heading)}\b", sheet, re.M))
    text = "\f".join(sheets[start:])
    body = text[re.search(rf"^\s*{re.escape(heading)}\b", text, re.M).end() :]  # type: ignore[union-attr]
    if following is not None:
        body = body[: re.search(rf"^\s*{re.escape(following)}\b", body, re.M).start()]  # type: ignore[union-attr]
    return start, body


def test_the_proposal_prints_whole_in_agenda_order(site: Site, watched: Watched) -> None:
    """Printed, Weekvoorstel holds every row of the proposal (37), every unplaced household (113)
    and every unused home, in the order of the agenda (summary, proposal, not placed, unused
    homes), each section on a sheet of its own, with the run and its planning date at the top of
    every sheet; no scroll box cuts a table and no button or form is printed."""
    run = site.week()
    with site.client() as client:
        document = client.get(f"/v1/runs/{run['id']}/proposal", headers=site.auth("wbb")).json()
    page = login(watched, site, "/weekvoorstel", "wbb")
    sheets = printed(page, "weekvoorstel")
    assert len(sheets) >= 4
    for number, sheet in enumerate(sheets, start=1):
        assert f"run {run['id']}" in sheet and "planningsdatum 3 maart 2025" in sheet, f"sheet {number}"
        assert f"pagina {number} van {len(sheets)}" in sheet
    order = [section(sheets, h, None)[0] for h in ("Samenvatting", "Voorstel", "Niet geplaatst", "Niet gebruikte woningen")]
    assert order == sorted(order) and len(set(order)) == 4, order
    _, matches = section(sheets, "Voorstel", "Niet geplaatst")
    _, unmatched = section(sheets, "Niet geplaatst", "Niet gebruikte woningen")
    _, unused = section(sheets, "Niet gebruikte woningen", None)
    assert ROW.findall(matches) == [m["household_id"] for m in document["matches"]]
    assert ROW.findall(unmatched) == [u["household_id"] for u in document["unmatched_households"]]
    assert re.findall(r"^\s{0,3}(U-\d{4})\b", unused, re.M) == [u["unit_id"] for u in document["unused_units"]]
    everything = "\n".join(sheets)
    for control in ("Opnieuw berekenen", "Download Excel", "Accepteren", "Inlezen", "Vergelijken"):
        assert control not in everything
    assert len(list(PRINTS.glob("weekvoorstel-*.png"))) == len(sheets)
