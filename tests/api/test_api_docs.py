"""/docs and /redoc: off unless MATCHER_API_DOCS=1; then served from installed files only,
with no inline script and a Content-Security-Policy that loads nothing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

PATHS = ("/docs", "/redoc", "/api-docs/assets/swagger-ui-bundle.js", "/api-docs/start-swagger-ui.js")


def test_the_docs_are_off_by_default(tmp_path: Path) -> None:
    """Without MATCHER_API_DOCS neither page nor its files exist (404); the OpenAPI document stays."""
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"))) as client:
        for path in PATHS:
            assert client.get(path).status_code == 404, path
        assert client.get("/openapi.json").status_code == 200


def test_enabled_docs_load_only_local_files_under_a_strict_policy(tmp_path: Path) -> None:
    """With MATCHER_API_DOCS=1: both pages answer, every script and stylesheet they name is on
    this origin and served (the files of the installed package), no script is inline, and the
    policy allows scripts only from this origin."""
    import fastapi_offline

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", api_docs=True)
    with TestClient(create_app(settings)) as client:
        for page in ("/docs", "/redoc"):
            response = client.get(page)
            assert response.status_code == 200
            policy = response.headers["content-security-policy"]
            assert "script-src 'self';" in policy and "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), page
            addresses = re.findall(r'(?:src|href)="([^"]+)"', response.text)
            assert addresses and all(a.startswith("/") and not a.startswith("//") for a in addresses), addresses
            for address in addresses:
                assert client.get(address).status_code == 200, address
        shipped = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
        assert client.get("/api-docs/assets/redoc.standalone.js").content == shipped.read_bytes()
