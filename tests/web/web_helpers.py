"""What the browser tests share: the running site, a watched page, screenshots at two sizes, the
accessibility check (axe-core) and the check for English a person would read."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openpyxl
from service_helpers import ROOT, load_example, start_run

sys.path.insert(0, str(ROOT / "tests"))

from english import english

ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
# WCAG 2.1 A and AA; a violation of impact serious or critical fails the test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SEVERE = ("serious", "critical")


@dataclass
class Site:
    """The running service: its address and one token per role."""

    url: str
    tokens: dict[str, str]
    folder: Path

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    @contextmanager
    def client(self) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=120) as client:
            yield client

    def week(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The example week imported (admin) and one finished run on it (wbb), over HTTP."""
        with self.client() as client:
            load_example(client, self.auth("admin"))  # type: ignore[arg-type]
            return start_run(client, self.auth("wbb"), body)  # type: ignore[arg-type]


@dataclass
class Watched:
    """A page with what went wrong on it: console errors, page errors, requests that left localhost."""

    page: Any
    axe_source: str = ""
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    read: list[tuple[str, str]] = field(default_factory=list)  # (where, text) a person read

    def expect_error(self, fragment: str) -> None:
        """A console error containing ``fragment`` is part of the test (e.g. the 401 of a wrong token)."""
        self.expected.append(fragment)

    def shoot(self, name: str, phone: bool = True) -> Path:
        """Full-page screenshots at the desktop size and, with ``phone``, at the phone size."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        size = self.page.viewport_size
        self.page.set_viewport_size(DESKTOP)
        self.page.screenshot(path=str(path), full_page=True)
        if phone:
            self.page.set_viewport_size(PHONE)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-telefoon.png"), full_page=True)
        self.page.set_viewport_size(size)
        return path

    def check(self, name: str, phone: bool = True) -> None:
        """The page as it is now: screenshots, no serious WCAG 2.1 AA violation, no English."""
        self.shoot(name, phone)
        violations = self.accessibility()
        assert violations == [], f"{name}: accessibility violations: {violations}"
        self.assert_dutch(name)

    def accessibility(self) -> list[str]:
        """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(self.axe_source + "\n;true")
        result = self.page.evaluate(
            "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }",
            AXE_TAGS,
        )
        return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result if v["impact"] in SEVERE]

    def visible_text(self) -> str:
        """What a person reads: the text, the options of every list, labels for screen readers,
        titles and placeholders, and the charts' descriptions."""
        text: str = self.page.evaluate(
            """() => [document.body.innerText,
               ...[...document.querySelectorAll('option')].map(o => o.textContent),
               ...[...document.querySelectorAll('[aria-label],[title],[placeholder]')].flatMap(
                   e => [e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder')]),
               ...[...document.querySelectorAll('svg title, svg desc')].map(e => e.textContent),
              ].filter(Boolean).join('\\n')"""
        )
        return text

    def assert_dutch(self, where: str) -> None:
        text = self.visible_text()
        self.read.append((where, text))
        found = english(text)
        assert found == [], f"{where}: English on the page: {found}"


def workbook_text(content: bytes) -> str:
    """Every sheet name and cell of a workbook, one line per row."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    lines = []
    for sheet in book:
        lines.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            lines.append(" | ".join("" if v is None else str(v) for v in row))
    return "\n".join(lines)


def login(watched: Watched, site: Site, path: str, role: str) -> Any:
    """Open a page, log in with the role's token and wait until the page has loaded its data."""
    page = watched.page
    page.goto(site.url + path)
    page.get_by_label("Token").fill(site.tokens[role])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_selector("body[data-loaded]", state="attached")
    return page
