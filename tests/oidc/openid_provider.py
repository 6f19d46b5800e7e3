"""The OpenID provider the single sign-on tests run against, and what a client does with it.

``provider.mjs`` beside this file runs the certified ``oidc-provider`` package from npm
(``package.json``, ``package-lock.json``; ``npm ci`` in this folder installs it) under Node on
127.0.0.1 and a free port. It is version 8, the newest major that runs both on Node.js 20 and
on Debian 12's Node.js 18 (version 9 needs a newer Node.js than Debian 12 has).

``running_provider()`` starts it with the test users and clients and stops it by its pid.
``Provider.login()`` goes through the authorization code flow with PKCE as a program would:
the provider's login form (user name and password), then the token endpoint. Without Node or
the npm packages the tests are skipped, unless MATCHER_REQUIRE_SYSTEM=1, where that is a
failure.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

FOLDER = Path(__file__).resolve().parent
AUDIENCE = "urn:matcher:api"
OTHER_AUDIENCE = "urn:other:api"
CLIENT_ID = "matcher-pages"
PROGRAM_REDIRECT = "http://127.0.0.1:9/terug"  # never visited: the code is read from the Location header
PASSWORD = "geheim"  # every test user's password at the provider

# The people of the tests: name, and the claims in their access tokens.
USERS: dict[str, dict[str, Any]] = {
    "vera": {"name": "Vera Kijker", "claims": {"roles": ["matcher.viewer"], "municipality": "Nijmegen"}},
    "otto": {"name": "Otto Beleid", "claims": {"roles": ["matcher.officer"], "municipality": "Nijmegen"}},
    "wim": {"name": "Wim van der WBB", "claims": {"roles": ["matcher.viewer", "matcher.wbb"], "municipality": "Nijmegen"}},
    "anna": {"name": "Anna de Beheerder", "claims": {"roles": ["matcher.admin"], "municipality": "Nijmegen"}},
    "hans": {"name": "Hans Heumen", "claims": {"roles": ["matcher.wbb"], "municipality": "Heumen"}},
    "nora": {"name": "Nora Nergens", "claims": {"roles": ["matcher.wbb"]}},
    "paul": {"name": "Paul Provincie", "claims": {"roles": ["matcher.admin", "matcher.all_municipalities"]}},
    "rik": {"name": "Rik Zonderrol", "claims": {"roles": ["other.app"], "municipality": "Nijmegen"}},
    "kees": {"claims": {"roles": "matcher.officer", "municipality": ["Nijmegen"]}},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "no Node.js here (node)"
    if not (FOLDER / "node_modules" / "oidc-provider" / "package.json").exists():
        return f"the test provider's npm packages are not installed (npm ci in {FOLDER})"
    return None


def require_provider() -> None:
    """Skip (or with MATCHER_REQUIRE_SYSTEM=1 fail) when the provider cannot run here."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("MATCHER_REQUIRE_SYSTEM") == "1":
        pytest.fail(f"{reason}, and MATCHER_REQUIRE_SYSTEM=1 requires it")
    pytest.skip(reason)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims_of(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, unchecked (for assertions about what the provider issued)."""
    part = jwt.split(".")[1]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


@dataclass
class Provider:
    """A running provider: its issuer URL and its test controls."""

    issuer: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.request(method, f"{self.issuer}/__control/{path}", json=body, timeout=30)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def rotate(self, keep_old: bool) -> str:
        """A new signing key, in the running provider; returns its kid."""
        return str(self.control("POST", "rotate", {"keep_old": keep_old})["kid"])

    def sign(self, payload: dict[str, Any], header: dict[str, Any] | None = None, key: str = "rsa") -> str:
        """A JWT signed with the provider's current RSA (or its EC) private key."""
        return str(
            self.control("POST", "sign", {"header": {"alg": "RS256", **(header or {})}, "payload": payload, "key": key})["token"]
        )

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")

    def public_jwks(self) -> dict[str, Any]:
        loaded: dict[str, Any] = httpx.get(f"{self.issuer}/jwks", timeout=30).json()
        return loaded

    def claims(self, login: str, audience: str = AUDIENCE, **extra: Any) -> dict[str, Any]:
        """The claims a real access token of ``login`` carries, with ``extra`` on top (to sign
        one that differs in one way)."""
        now = int(time.time())
        user = USERS[login]
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": login,
            "iat": now,
            "exp": now + 600,
            "preferred_username": login,
            "client_id": CLIENT_ID,
            **user.get("claims", {}),
        }
        if "name" in user:
            claims["name"] = user["name"]
        claims.update(extra)
        return claims

    def login(self, login: str, resource: str = AUDIENCE, redirect_uri: str = PROGRAM_REDIRECT) -> dict[str, Any]:
        """The authorization code flow with PKCE, as a program does it: the provider's login
        form is filled in and sent; the code is traded at the token endpoint. Returns the
        token response (access_token, id_token, ...)."""
        verifier = secrets.token_urlsafe(48)
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
            "resource": resource,
        }
        with httpx.Client(base_url=self.issuer, follow_redirects=False, timeout=30) as client:
            response = client.get("/auth", params=params)
            for _ in range(10):
                location = response.headers.get("location", "")
                if response.status_code in (302, 303) and location.startswith(redirect_uri):
                    break
                if response.status_code in (302, 303):
                    response = client.get(location)
                    continue
                assert response.status_code == 200, response.text
                action = re.search(r'action="([^"]+)"', response.text)
                assert action and "Onbekende gebruikersnaam" not in response.text, response.text
                response = client.post(action.group(1), data={"login": login, "password": PASSWORD})
            query = httpx.URL(response.headers["location"]).params
            assert query.get("state") == state and query.get("iss") == self.issuer, str(query)
            token = client.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": query["code"],
                    "redirect_uri": redirect_uri,
                    "client_id": CLIENT_ID,
                    "code_verifier": verifier,
                    "resource": resource,
                },
            )
        assert token.status_code == 200, token.text
        tokens: dict[str, Any] = token.json()
        assert claims_of(tokens["id_token"])["nonce"] == nonce
        return tokens

    def access_token(self, login: str, resource: str = AUDIENCE) -> str:
        return str(self.login(login, resource)["access_token"])


@contextmanager
def running_provider(redirect_uris: list[str] | None = None, port: int | None = None) -> Iterator[Provider]:
    """Start the provider on 127.0.0.1 (a free port unless given); stop it by its pid at the end.

    The pages' client may redirect to ``redirect_uris`` besides the programs' address."""
    require_provider()
    port = port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="matcher-oidc-"))
    config = {
        "port": port,
        "audience": AUDIENCE,
        "other_audiences": [OTHER_AUDIENCE],
        "clients": [{"client_id": CLIENT_ID, "redirect_uris": [PROGRAM_REDIRECT, *(redirect_uris or [])]}],
        "users": USERS,
        "password": PASSWORD,
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    log_path = folder / "provider.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["node", str(FOLDER / "provider.mjs"), str(folder / "config.json")], cwd=FOLDER, stdout=log, stderr=subprocess.STDOUT
        )
    provider = Provider(issuer=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the OpenID provider did not start: {provider.output()}")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
