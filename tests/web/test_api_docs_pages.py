"""/docs and /redoc in real Chromium, with MATCHER_API_DOCS=1: both viewers render the service's
API from files it serves itself; no request leaves localhost and the browser reports no
error (a script or style blocked by the Content-Security-Policy would be one)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_helpers import server
from web_helpers import Watched


@pytest.fixture(scope="module")
def docs_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`matcher serve` with the API documentation enabled, on a fresh SQLite file."""
    folder: Path = tmp_path_factory.mktemp("docs")
    env = {"DATABASE_URL": f"sqlite:///{folder / 'matcher.db'}", "MATCHER_API_DOCS": "1"}
    assert os.environ.get("MATCHER_AUDIT_KEY")
    with server(env, cwd=folder) as client:
        yield str(client.base_url).rstrip("/")


def test_swagger_ui_renders_from_local_files(docs_url: str, watched: Watched) -> None:
    """/docs shows the API's title and its households operations."""
    page = watched.page
    page.goto(f"{docs_url}/docs")
    page.wait_for_selector(".info .title", timeout=30_000)
    assert "WBB service" in page.inner_text(".info .title")
    page.get_by_text("/v1/households/import", exact=True).wait_for()


def test_redoc_renders_from_local_files(docs_url: str, watched: Watched) -> None:
    """/redoc shows the API's title and the households operations. ReDoc's footer names a logo on
    Redocly's site: the policy blocks it (the one error allowed), so nothing is loaded from there."""
    page = watched.page
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "violates" in message.text else None)
    watched.expect_error("cdn.redoc.ly/redoc/logo-mini.svg' violates the following Content Security Policy")
    page.goto(f"{docs_url}/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    assert "WBB service" in page.inner_text("h1")
    page.locator("h2", has_text="List households").wait_for()
    assert all("cdn.redoc.ly" in text for text in blocked), blocked
