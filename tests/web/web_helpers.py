"""What the browser tests share: the running site, a watched page, and screenshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service_helpers import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class Site:
    """The running service: its address and one token per role."""

    url: str
    tokens: dict[str, str]
    folder: Path


@dataclass
class Watched:
    """A page with what went wrong on it: console errors, page errors, requests that left localhost."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect_error(self, fragment: str) -> None:
        """A console error containing ``fragment`` is part of the test (e.g. the 401 of a wrong token)."""
        self.expected.append(fragment)

    def shoot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
