"""Browser fixtures: the real server (`matcher serve` on a free port, a fresh SQLite file, tokens
from `matcher token create`) and headless Debian Chromium driven by Playwright.

Every page a test opens is watched: a request to any host but 127.0.0.1/localhost is blocked
and recorded, and so is every console error and uncaught page error; the test fails on any.
Without Chromium, or without axe-core (`npm ci` in tests/web installs it), the tests are skipped,
unless MATCHER_REQUIRE_SYSTEM=1, where that is a failure. Screenshots (desktop 1400x900 and phone
390x844) and printed pages go to test-artifacts/ (kept by CI, ignored by git).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_helpers import server
from web_helpers import AXE, DESKTOP, Site, Watched

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=nl-NL",  # date fields as a Dutch browser shows them (dd-mm-jjjj)
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
OWNERS = {"viewer": "K. de Kijker", "officer": "B. Beleid", "wbb": "W. Bemiddelaar", "admin": "A. Beheer"}


def _missing(what: str) -> None:
    if os.environ.get("MATCHER_REQUIRE_SYSTEM") == "1":
        pytest.fail(f"{what}, and MATCHER_REQUIRE_SYSTEM=1 requires it")
    pytest.skip(what)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright (never a browser Playwright downloads)."""
    executable = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if executable is None:
        _missing("no Chromium here")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("no Playwright here")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _tokens(env: dict[str, str], folder: Path, roles: list[str]) -> dict[str, str]:
    """One token per role from `matcher token create`, the commands run side by side."""
    processes = {
        role: subprocess.Popen(
            [sys.executable, "-m", "cli", "token", "create", "--role", role, "--owner", OWNERS[role]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=folder,
            env=env,
        )
        for role in roles
    }
    tokens: dict[str, str] = {}
    for role, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        tokens[role] = out.strip()
    return tokens


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`matcher serve` on a fresh SQLite file in a temp folder, as a user would start it."""
    folder = tmp_path_factory.mktemp("site")
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env = {**clean, "DATABASE_URL": f"sqlite:///{folder / 'matcher.db'}"}
    tokens = _tokens(env, folder, ["admin"])  # first alone: it creates the database schema
    tokens |= _tokens(env, folder, ["viewer", "officer", "wbb"])
    with server({"DATABASE_URL": env["DATABASE_URL"]}, cwd=folder) as client:
        yield Site(url=str(client.base_url).rstrip("/"), tokens=tokens, folder=folder)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry (tests/web/package.json), injected into the pages by the tests."""
    if not AXE.exists():
        _missing("no axe-core here (run `npm ci` in tests/web)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def watched(chromium: Any, axe_source: str) -> Iterator[Watched]:
    """A fresh browser context (Dutch locale, desktop size); fails the test on console errors or outside requests."""
    context = chromium.new_context(locale="nl-NL", viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    watched = Watched(page=page, axe_source=axe_source)

    def route(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("http://", "https://", "ws://", "wss://")) and host not in LOCAL_HOSTS:
            watched.outside.append(route.request.url)
            route.abort()
            return
        route.continue_()

    context.route("**/*", route)
    page.on("console", lambda message: watched.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watched.errors.append(f"page error: {error}"))
    yield watched
    # Every test ends with the accessibility check of the state its page is in (on the service's
    # own pages): no serious or critical WCAG 2.1 AA violation; tests check earlier states too.
    violations: list[str] = []
    if not page.is_closed() and page.url.startswith("http") and page.evaluate("() => !!document.querySelector('header.top')"):
        violations = watched.accessibility()
    context.close()
    assert violations == [], f"accessibility violations at the end of the test: {violations}"
    assert watched.outside == [], f"requests left localhost: {watched.outside}"
    unexpected = [e for e in watched.errors if not any(fragment in e for fragment in watched.expected)]
    assert unexpected == [], f"console errors: {unexpected}"
