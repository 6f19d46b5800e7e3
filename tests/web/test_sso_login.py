"""The pages' "Inloggen met de gemeente" in real Chromium, through the real OpenID provider's
login form (npm ``oidc-provider`` on 127.0.0.1): the authorization code flow with PKCE, the
state and the nonce checked by the page, the access token then used as the API's bearer; an
identity without a municipality is told so in Dutch; logging out ends the provider's session
too. The token form stays beside it."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from service_helpers import EXAMPLE, make_tokens, server
from web_helpers import Watched

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oidc"))

from openid_provider import AUDIENCE, CLIENT_ID, PASSWORD, Provider, claims_of, free_port, running_provider


@dataclass
class SsoSite:
    """The service with single sign-on for the pages, and its provider."""

    url: str
    provider: Provider
    admin: str


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoSite]:
    """`matcher serve` with MATCHER_OIDC_* set for the pages, on a port the provider knows as
    the pages' redirect address; the example week imported with a local admin token (the
    database and its tokens made first, as `matcher token create` does)."""
    port = free_port()
    with running_provider(redirect_uris=[f"http://127.0.0.1:{port}/"]) as provider:
        folder = tmp_path_factory.mktemp("sso-site")
        env = {
            "DATABASE_URL": f"sqlite:///{folder / 'matcher.db'}",
            "MATCHER_OIDC_ISSUER": provider.issuer,
            "MATCHER_OIDC_AUDIENCE": AUDIENCE,
            "MATCHER_OIDC_CLIENT_ID": CLIENT_ID,
            "MATCHER_OIDC_RESOURCE": AUDIENCE,
        }
        admin = make_tokens(env["DATABASE_URL"])["admin"]
        with server(env, cwd=folder, port=port) as client:
            for kind in ("households", "units"):
                path = EXAMPLE / f"{kind}.csv"
                response = client.post(
                    f"/v1/{kind}/import",
                    headers={"Authorization": f"Bearer {admin}"},
                    files={"file": (path.name, path.read_bytes(), "text/csv")},
                )
                assert response.status_code == 200, response.text
            yield SsoSite(url=str(client.base_url).rstrip("/"), provider=provider, admin=admin)


def sign_in_at_provider(page: Any, site: SsoSite, login: str) -> None:
    """Click "Inloggen met de gemeente" and fill in the provider's own login form."""
    page.get_by_role("button", name="Inloggen met de gemeente").click()
    page.wait_for_url(f"{site.provider.issuer}/interaction/**")
    page.get_by_label("Gebruikersnaam").fill(login)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_login_with_the_municipality(sso_site: SsoSite, watched: Watched) -> None:
    """From Weekvoorstel, Wim logs in at the provider and lands back on Weekvoorstel, named
    with his role and municipality, the week's proposal page loaded. The authorization
    request carried an S256 challenge, a state and a nonce; the token request the verifier
    whose SHA-256 is that challenge; every API call the provider's access token for the
    service's audience; the code is gone from the address bar."""
    page = watched.page
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r))
    response = page.goto(sso_site.url + "/weekvoorstel")
    csp = response.headers["content-security-policy"]
    assert f"connect-src 'self' {sso_site.provider.issuer};" in csp and "script-src 'self';" in csp
    assert page.get_by_label("Token").is_visible()  # the token form stays
    watched.shoot("sso-inloggen")
    sign_in_at_provider(page, sso_site, "wim")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert urlsplit(page.url).path == "/weekvoorstel" and "code=" not in page.url
    assert page.locator("#who-role").inner_text() == "Wim van der WBB (WBB, Nijmegen)"
    watched.shoot("sso-weekvoorstel")

    authorize = next(r for r in requests if r.url.startswith(f"{sso_site.provider.issuer}/auth?"))
    asked = {k: v[0] for k, v in parse_qs(urlsplit(authorize.url).query).items()}
    assert asked["code_challenge_method"] == "S256" and asked["response_type"] == "code"
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32 and asked["resource"] == AUDIENCE
    exchange = next(r for r in requests if r.url == f"{sso_site.provider.issuer}/token" and r.method == "POST")
    sent = {k: v[0] for k, v in parse_qs(exchange.post_data).items()}
    assert _b64(hashlib.sha256(sent["code_verifier"].encode()).digest()) == asked["code_challenge"]
    assert sent["grant_type"] == "authorization_code" and "client_secret" not in sent

    stored = page.evaluate("sessionStorage.getItem('wbb-token')")
    claims = claims_of(stored)
    assert (claims["sub"], claims["aud"], claims["iss"]) == ("wim", AUDIENCE, sso_site.provider.issuer)
    api_calls = [r for r in requests if r.url.startswith(sso_site.url + "/v1/")]
    assert api_calls and all(r.headers.get("authorization") == f"Bearer {stored}" for r in api_calls)


def test_an_identity_without_a_municipality_is_told_so(sso_site: SsoSite, watched: Watched) -> None:
    """Nora logs in at the provider but her identity has no municipality: the page says so in
    Dutch, shows no content and keeps no token."""
    watched.expect_error("403")
    page = watched.page
    page.goto(sso_site.url + "/")
    sign_in_at_provider(page, sso_site, "nora")
    page.get_by_text("Uw account hoort bij geen gemeente van deze dienst").wait_for()
    assert page.locator("#content").is_hidden()
    assert page.evaluate("sessionStorage.getItem('wbb-token')") is None


def test_an_answer_with_another_state_is_refused(sso_site: SsoSite, watched: Watched) -> None:
    """A code sent back with a state the page did not make (a forged or replayed login) is not
    traded for a token: a Dutch message, no token, no call to the token endpoint."""
    page = watched.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(sso_site.url + "/")
    page.get_by_role("button", name="Inloggen met de gemeente").click()
    page.wait_for_url(f"{sso_site.provider.issuer}/interaction/**")
    page.goto(f"{sso_site.url}/?code=stolen&state=forged&iss={sso_site.provider.issuer}")
    page.get_by_text("hoort niet bij deze aanvraag").wait_for()
    assert page.evaluate("sessionStorage.getItem('wbb-token')") is None
    assert not [u for u in requests if u.startswith(f"{sso_site.provider.issuer}/token")]


def test_an_id_token_with_another_nonce_is_refused(sso_site: SsoSite, watched: Watched) -> None:
    """The token endpoint's answer is changed on its way to the page so that the ID token
    carries another nonce (an ID token from another login): the page keeps no token."""
    page = watched.page

    def other_nonce(route: Any) -> None:
        answer = route.fetch()
        tokens = answer.json()
        header, _payload, signature = tokens["id_token"].split(".")
        claims = {**claims_of(tokens["id_token"]), "nonce": "from-another-login"}
        tokens["id_token"] = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
        route.fulfill(response=answer, body=json.dumps(tokens))

    page.route(f"{sso_site.provider.issuer}/token", other_nonce)
    page.goto(sso_site.url + "/")
    sign_in_at_provider(page, sso_site, "wim")
    page.get_by_text("het identiteitsbewijs hoort niet bij deze aanvraag").wait_for()
    assert page.evaluate("sessionStorage.getItem('wbb-token')") is None
    assert page.locator("#content").is_hidden()


def test_an_expired_session_asks_to_log_in_again(sso_site: SsoSite, watched: Watched) -> None:
    """When the access token expires while the page is open, the next call to the API (here
    starting a run) gets 401: the page forgets the token and shows the login again with a
    Dutch message, instead of an error in English."""
    watched.expect_error("401")
    page = watched.page
    page.goto(sso_site.url + "/weekvoorstel")
    sign_in_at_provider(page, sso_site, "wim")
    page.wait_for_selector("body[data-loaded]", state="attached")
    now = int(time.time())
    expired = sso_site.provider.sign(sso_site.provider.claims("wim", iat=now - 1200, exp=now - 300))
    page.evaluate("token => sessionStorage.setItem('wbb-token', token)", expired)
    page.get_by_role("button", name="Voorstel berekenen").click()
    page.get_by_text("Uw inlogsessie is verlopen of ingetrokken. Log opnieuw in.").wait_for()
    assert page.get_by_role("button", name="Inloggen met de gemeente").is_visible()
    assert page.locator("#content").is_hidden()
    assert page.evaluate("sessionStorage.getItem('wbb-token')") is None


def test_logout_ends_the_providers_session_too(sso_site: SsoSite, watched: Watched) -> None:
    """After Uitloggen (and the provider's confirmation) the page shows the login again, and
    the next "Inloggen met de gemeente" asks for the password again instead of logging the
    last person in silently."""
    page = watched.page
    page.goto(sso_site.url + "/")
    sign_in_at_provider(page, sso_site, "otto")
    page.wait_for_selector("body[data-loaded]", state="attached")
    page.get_by_role("button", name="Uitloggen").click()
    page.get_by_role("button", name="Ja, uitloggen").click()
    page.wait_for_url(sso_site.url + "/")
    page.get_by_role("button", name="Inloggen met de gemeente").wait_for()
    assert page.evaluate("sessionStorage.getItem('wbb-token')") is None
    page.get_by_role("button", name="Inloggen met de gemeente").click()
    page.wait_for_url(f"{sso_site.provider.issuer}/interaction/**")
    assert page.get_by_label("Wachtwoord").is_visible()
