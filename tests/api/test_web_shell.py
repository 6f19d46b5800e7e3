"""The web pages as files: served without a token with strict security headers, nothing
loaded from elsewhere, no inline script, everything shipped as package data, and the
Wat-als presets equal to the example scenario files."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import ROOT

from api.app import create_app
from api.settings import Settings
from api.web import HERE, PAGES
from matcher.simulate.scenario import parse_scenario

WEB_FILES = sorted(p for p in HERE.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    database = tmp_path_factory.mktemp("web") / "matcher.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{database}"))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_are_served_without_token_with_security_headers(client: TestClient, path: str) -> None:
    """Each page is an app shell: 200 without a token, HTML, and CSP with frame-ancestors none,
    nosniff and no-referrer; the page holds no data of the pool."""
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert 'lang="nl"' in response.text and "H-0" not in response.text


def test_static_files_are_served_with_the_same_headers(client: TestClient) -> None:
    """Scripts and styles come from /static with the security headers; /docs is off unless enabled."""
    for path in ("/static/js/charts.js", "/static/app.css", "/static/scenarios.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert client.get("/docs").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


def test_no_inline_script_and_no_outside_address() -> None:
    """No <script> without src, no inline event handler or style attribute in the pages, and no
    http(s) address in any shipped file except the SVG namespace."""
    for page in HERE.glob("pages/*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page.name
        assert not re.search(r"\son[a-z]+=", text) and " style=" not in text, page.name
    for path in WEB_FILES:
        text = path.read_text(encoding="utf-8")
        addresses = set(re.findall(r"(?:https?:)?//[a-zA-Z0-9.-]+\.[a-z]{2,}[^\s\"')]*", text))
        assert addresses <= {"http://www.w3.org/2000/svg"}, (path.name, addresses)


def test_every_web_file_is_package_data() -> None:
    """An installed package serves the pages: every file under api/web matches a package-data pattern."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["api"]
    for path in WEB_FILES:
        relative = path.relative_to(HERE.parent).as_posix()
        assert any(fnmatch.fnmatch(relative, p) and relative.count("/") == p.count("/") for p in patterns), relative


def test_presets_are_the_example_scenarios() -> None:
    """The Wat-als presets are every example scenario file with its base merged in, each under
    a Dutch name and valid; the shipped file is what `python -m api.web.presets` writes."""
    from api.web import presets

    files = sorted(p.name for p in (ROOT / "examples" / "scenarios").glob("*.yaml"))
    assert sorted(presets.LABELS) == files, "give every example scenario a Dutch name in api/web/presets.py"
    assert (HERE / "static" / "scenarios.json").read_text(encoding="utf-8") == presets.text(), "run python -m api.web.presets"
    for preset in json.loads(presets.text())["presets"]:
        assert preset["label"] and "base" not in preset["scenario"]
        parse_scenario(preset["scenario"], preset["file"])


def test_pages_link_each_other_and_load_their_module(client: TestClient) -> None:
    """Every page links the three pages, marks itself as the current one and loads its own module."""
    for path, name in PAGES.items():
        text = client.get(path).text
        assert all(f'href="{other}"' in text for other in PAGES)
        assert re.search(rf'href="{re.escape(path)}" aria-current="page"', text)
        assert f'src="/static/js/{Path(name).stem}.js"' in text


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_page_is_the_same_whatever_the_query(client: TestClient, path: str) -> None:
    """A page takes nothing from the query string: no parameter picks another file or puts text in it."""
    page = client.get(path).text
    for query in ({"_name": "../__init__.py"}, {"_html": "<p>injected</p>"}, {"name": "wat-als.html"}):
        assert client.get(path, params=query).text == page


def test_the_pages_words_are_the_services_words() -> None:
    """The pages' Dutch words for the codes (static/js/words.js) are api/words.py's, as
    `python -m api.words` writes them."""
    from api import words

    assert (HERE / "static" / "js" / "words.js").read_text(encoding="utf-8") == words.javascript(), "run python -m api.words"


def test_every_objective_term_has_dutch_words() -> None:
    """Every term a policy may name reads in Dutch on the pages and in the explanations' tier sentences,
    never as its English code."""
    from api import words
    from matcher.explain.reasons import TERM_NAMES_NL
    from matcher.input.policy import TERMS

    assert [t for t in TERMS if t not in words.TERMS] == []
    assert [t for t in TERMS if t not in TERM_NAMES_NL] == []
