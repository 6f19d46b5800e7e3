"""Single sign-on against a real OpenID provider (npm ``oidc-provider``, run on 127.0.0.1 by
the tests): tokens it issues through its login form work per role; tokens that are wrong in
one way each (issuer, audience, expiry, not-before, algorithm, key, signature) are refused
while the same token without the defect is accepted; an identity without a municipality
sees no data; the provider's keys rotate without a restart, and made-up key ids do not make
the service read the keys again and again. On SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from service_helpers import csv_rows, error_of, load_example, make_tokens, typed

from api.app import create_app
from api.oidc import key_fits, subject_id
from api.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oidc"))

from openid_provider import AUDIENCE, OTHER_AUDIENCE, Provider, claims_of, free_port, running_provider


@pytest.fixture(scope="module")
def openid() -> Iterator[Provider]:
    with running_provider() as provider:
        yield provider


Client = Callable[..., TestClient]


@pytest.fixture
def sso(database_url: str, openid: Provider) -> Iterator[Client]:
    """Makes a running app with single sign-on against the test provider (settings may be
    overridden); every app made is stopped at the end."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings: dict[str, Any] = {
            "database_url": database_url,
            "oidc_issuer": openid.issuer,
            "oidc_audience": AUDIENCE,
            "oidc_jwks_min_refresh_seconds": 60,
            # Refused tokens here are about the checks, not the failed-login limit (which has
            # tests of its own): far more of them are allowed than the tests send.
            "auth_failure_burst": 10_000,
            **overrides,
        }
        client = TestClient(create_app(Settings(**settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


def add_heumen_household(client: TestClient, admin: dict[str, str]) -> None:
    """One household of another municipality beside the example week's Nijmegen pool."""
    row = {**typed(csv_rows("households.csv")[0]), "household_id": "H-HEUMEN-1", "municipality": "Heumen"}
    response = client.post("/v1/households/batch", headers=admin, json={"rows": [row]})
    assert response.status_code == 200, response.text


# -- people and roles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "role", "name"),
    [
        ("vera", "viewer", "Vera Kijker"),
        ("otto", "officer", "Otto Beleid"),
        ("wim", "wbb", "Wim van der WBB"),
        ("anna", "admin", "Anna de Beheerder"),
    ],
)
def test_a_token_from_the_provider_works_per_role(sso: Client, openid: Provider, login: str, role: str, name: str) -> None:
    """A person who logs in at the provider calls the API with its access token: the role is
    the highest matcher.* value of the roles claim (Wim holds viewer and wbb: wbb), the
    municipality comes from its claim, the actor is the person's name, and the id in the audit
    log is a hash of issuer and subject. What the role may not do is refused (403)."""
    client = sso()
    token = openid.access_token(login)
    me = client.get("/v1/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "token_id": subject_id(openid.issuer, login),
        "role": role,
        "municipality": "Nijmegen",
        "actor": name,
        "corporation": None,
    }
    tokens = client.get("/v1/tokens", headers=bearer(token))
    assert tokens.status_code == (200 if role == "admin" else 403), tokens.text
    solve = client.post("/v1/solve", headers=bearer(token), json={"households": [], "units": []})
    assert (solve.status_code == 403) == (role == "viewer"), solve.text


def test_claims_in_other_shapes(sso: Client, openid: Provider) -> None:
    """Roles as one space-separated string and the municipality as a list of one are read
    too; without a name the actor is the preferred username."""
    me = sso().get("/v1/me", headers=bearer(openid.access_token("kees")))
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["municipality"], me.json()["actor"]) == ("officer", "Nijmegen", "kees")


def test_roles_from_a_nested_claim(sso: Client, openid: Provider) -> None:
    """MATCHER_OIDC_ROLES_CLAIM may name a path into nested claims, as Keycloak puts client
    roles (resource_access.<client>.roles); the top-level roles claim is then not read."""
    client = sso(oidc_roles_claim="resource_access.matcher.roles")
    nested = openid.sign(
        openid.claims("vera", roles=["matcher.viewer"], resource_access={"matcher": {"roles": ["matcher.admin"]}})
    )
    me = client.get("/v1/me", headers=bearer(nested))
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "admin"
    flat_only = openid.sign(openid.claims("vera"))
    assert error_of(client.get("/v1/me", headers=bearer(flat_only)), 403)["code"] == "sso_no_role"


def test_an_identity_without_a_matcher_role_is_refused(sso: Client, openid: Provider) -> None:
    """A valid token whose roles claim holds no matcher.* value gets 403, named as such."""
    response = sso().get("/v1/me", headers=bearer(openid.access_token("rik")))
    assert error_of(response, 403)["code"] == "sso_no_role"


def test_local_tokens_keep_working_beside_single_sign_on(sso: Client, database_url: str, openid: Provider) -> None:
    """With single sign-on on, a token from `matcher token create` still works, and an
    unknown one is still refused."""
    tokens = make_tokens(database_url)
    client = sso()
    me = client.get("/v1/me", headers=bearer(tokens["admin"]))
    assert me.status_code == 200 and me.json()["role"] == "admin", me.text
    assert client.get("/v1/me", headers=bearer("wbb_tok-0000_not-a-real-secret")).status_code == 401


def test_without_single_sign_on_a_provider_token_is_refused(database_url: str, openid: Provider) -> None:
    """Single sign-on is off while MATCHER_OIDC_ISSUER is unset: the provider's real token is
    then just an unknown token (401)."""
    token = openid.access_token("anna")
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        error_of(client.get("/v1/me", headers=bearer(token)), 401)


# -- tokens that are wrong in one way ------------------------------------------------------------

NOW = int(time.time())


def _wrong_issuer(openid: Provider) -> tuple[str, str]:
    return openid.sign(openid.claims("anna", iss="http://127.0.0.1:9/other")), openid.sign(openid.claims("anna"))


def _wrong_audience(openid: Provider) -> tuple[str, str]:
    # Real tokens of the provider, for another resource server and for this one.
    return openid.access_token("anna", resource=OTHER_AUDIENCE), openid.access_token("anna")


def _id_token(openid: Provider) -> tuple[str, str]:
    # The ID token is for the pages' client (aud = client id), not for the API.
    tokens = openid.login("anna")
    return tokens["id_token"], tokens["access_token"]


def _expired(openid: Provider) -> tuple[str, str]:
    now = int(time.time())
    return openid.sign(openid.claims("anna", iat=now - 1200, exp=now - 300)), openid.sign(openid.claims("anna", iat=now - 1200))


def _not_yet_valid(openid: Provider) -> tuple[str, str]:
    now = int(time.time())
    return openid.sign(openid.claims("anna", nbf=now + 600, exp=now + 1200)), openid.sign(openid.claims("anna", nbf=now - 5))


def _no_expiry(openid: Provider) -> tuple[str, str]:
    claims = openid.claims("anna")
    del claims["exp"]
    return openid.sign(claims), openid.sign(openid.claims("anna"))


def _alg_none(openid: Provider) -> tuple[str, str]:
    real = openid.access_token("anna")
    header = json.loads(base64.urlsafe_b64decode(real.split(".")[0] + "=="))
    unsigned = f"{_segment({**header, 'alg': 'none'})}.{real.split('.')[1]}."
    return unsigned, real


def _hs256_with_public_key(openid: Provider) -> tuple[str, str]:
    """The classic confusion: HMAC over the token with the provider's public key as secret."""
    kid = openid.stats()["rsa_kid"]
    jwk = next(k for k in openid.public_jwks()["keys"] if k["kid"] == kid)
    from jwt.algorithms import RSAAlgorithm

    public = RSAAlgorithm.from_jwk(json.dumps(jwk))
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[union-attr]
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid})}.{_segment(openid.claims('anna'))}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}", openid.sign(openid.claims("anna"))


def _tampered_payload(openid: Provider) -> tuple[str, str]:
    """A viewer's real token with the role changed to admin, signature kept."""
    real = openid.access_token("vera")
    header, _payload, signature = real.split(".")
    claims = claims_of(real)
    forged = _segment({**claims, "roles": ["matcher.admin"]})
    return f"{header}.{forged}.{signature}", real


def _tampered_signature(openid: Provider) -> tuple[str, str]:
    real = openid.access_token("anna")
    header, payload, signature = real.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}", real


def _unknown_key(openid: Provider) -> tuple[str, str]:
    return openid.sign(openid.claims("anna"), header={"kid": "rsa-unknown"}), openid.sign(openid.claims("anna"))


def _ec_algorithm_on_rsa_key(openid: Provider) -> tuple[str, str]:
    """Signed with the provider's EC key, but naming its RSA key: the algorithm does not fit
    the key's type."""
    rsa_kid = openid.stats()["rsa_kid"]
    return (
        openid.sign(openid.claims("anna"), header={"alg": "ES256", "kid": rsa_kid}, key="ec"),
        openid.sign(openid.claims("anna"), header={"alg": "ES256"}, key="ec"),
    )


def _rsa_algorithm_on_ec_key(openid: Provider) -> tuple[str, str]:
    ec_kid = openid.stats()["ec_kid"]
    return openid.sign(openid.claims("anna"), header={"kid": ec_kid}), openid.sign(openid.claims("anna"))


def _ps256_on_a_key_published_for_rs256(openid: Provider) -> tuple[str, str]:
    """A valid PS256 signature by the RSA key, which the provider publishes with alg RS256:
    the key's own algorithm rules (the signature library alone would accept it)."""
    return openid.sign(openid.claims("anna"), header={"alg": "PS256"}), openid.sign(openid.claims("anna"))


DEFECTS: dict[str, Callable[[Provider], tuple[str, str]]] = {
    "wrong issuer": _wrong_issuer,
    "wrong audience": _wrong_audience,
    "ID token instead of access token": _id_token,
    "expired": _expired,
    "not yet valid": _not_yet_valid,
    "no expiry": _no_expiry,
    "alg none": _alg_none,
    "HS256 with the public key as secret": _hs256_with_public_key,
    "payload changed after signing": _tampered_payload,
    "signature changed": _tampered_signature,
    "key the provider does not publish": _unknown_key,
    "ES256 naming an RSA key": _ec_algorithm_on_rsa_key,
    "RS256 naming an EC key": _rsa_algorithm_on_ec_key,
    "PS256 on a key published for RS256": _ps256_on_a_key_published_for_rs256,
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_a_token_wrong_in_one_way_is_refused(sso: Client, openid: Provider, defect: str) -> None:
    """Each token is wrong in exactly one way and answers 401 with the one error shape (and
    WWW-Authenticate: Bearer); its twin without that defect, from the same provider and key,
    is accepted, so the refusal is for the defect and nothing else."""
    client = sso(oidc_jwks_min_refresh_seconds=0, oidc_algorithms="RS256,PS256,ES256")
    bad, good = DEFECTS[defect](openid)
    accepted = client.get("/v1/me", headers=bearer(good))
    assert accepted.status_code == 200, accepted.text
    refused = client.get("/v1/me", headers=bearer(bad))
    error = error_of(refused, 401)
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert bad not in refused.text and "anna" not in error["message"]


@pytest.mark.parametrize(
    "bearer_text",
    [
        "a.b.c",
        "eyJ.eyJ.",
        f"{_segment({'alg': 'RS256'})}.{_segment({'sub': 'x'})}.c2ln",  # no kid
        f"{_b64(b'[1, 2]')}.{_segment({'sub': 'x'})}.c2ln",  # header not an object
        f"{_segment({'alg': ['RS256'], 'kid': 'k'})}.{_segment({'sub': 'x'})}.c2ln",
        f"{_segment({'alg': 'RS256', 'kid': 7})}.{_segment({'sub': 'x'})}.c2ln",
        f"{_b64(b'not json')}.{_b64(b'not json')}.c2ln",
    ],
)
def test_garbage_that_looks_like_a_jwt_is_a_401(sso: Client, openid: Provider, bearer_text: str) -> None:
    """Three dot-separated parts that are no valid token (bad base64, a header that is not an
    object, no key id, odd types) get 401 in the one error shape, never a 500."""
    error_of(sso().get("/v1/me", headers=bearer(bearer_text)), 401)


def test_claims_of_odd_types_give_no_access(sso: Client, openid: Provider) -> None:
    """A correctly signed token whose roles claim is an object and municipality a number is
    refused as having no role; a name that is not a string falls back to the user name; an
    object as municipality gives no municipality (default deny)."""
    client = sso()
    odd_roles = openid.sign(openid.claims("anna", roles={"matcher.admin": True}, municipality=42))
    assert error_of(client.get("/v1/me", headers=bearer(odd_roles)), 403)["code"] == "sso_no_role"
    odd_name = openid.sign(openid.claims("anna", name=7))
    assert client.get("/v1/me", headers=bearer(odd_name)).json()["actor"] == "anna"
    odd_place = openid.sign(openid.claims("anna", municipality={"name": "Nijmegen"}))
    assert error_of(client.get("/v1/me", headers=bearer(odd_place)), 403)["code"] == "sso_no_municipality"
    two_places = openid.sign(openid.claims("anna", municipality=["Nijmegen", "Heumen"]))
    assert error_of(client.get("/v1/me", headers=bearer(two_places)), 403)["code"] == "sso_no_municipality"


def test_an_algorithm_off_the_allow_list_is_refused(sso: Client, openid: Provider) -> None:
    """A correctly signed ES256 token is refused while MATCHER_OIDC_ALGORITHMS leaves ES256 out
    (the default RS256,PS256,ES256 without it), and accepted once it is on the list."""
    token = openid.sign(openid.claims("anna"), header={"alg": "ES256"}, key="ec")
    error_of(sso(oidc_algorithms="RS256").get("/v1/me", headers=bearer(token)), 401)
    assert sso(oidc_algorithms="RS256,ES256").get("/v1/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    ("algorithm", "jwk", "fits"),
    [
        ("RS256", {"kty": "RSA", "alg": "RS256", "use": "sig"}, True),
        ("RS256", {"kty": "RSA"}, True),
        ("PS256", {"kty": "RSA", "alg": "RS256"}, False),
        ("RS256", {"kty": "RSA", "use": "enc"}, False),
        ("RS256", {"kty": "RSA", "key_ops": ["encrypt"]}, False),
        ("ES256", {"kty": "RSA"}, False),
        ("ES256", {"kty": "EC", "crv": "P-256"}, True),
        ("ES256", {"kty": "EC", "crv": "P-384"}, False),
        ("RS256", {"kty": "EC", "crv": "P-256"}, False),
        ("HS256", {"kty": "oct"}, False),
        ("HS256", {"kty": "RSA"}, False),
        ("none", {"kty": "RSA"}, False),
        ("EdDSA", {"kty": "OKP", "crv": "Ed25519"}, True),
    ],
)
def test_an_algorithm_must_fit_the_key(algorithm: str, jwk: dict[str, Any], fits: bool) -> None:
    """The key a token names decides which algorithm may verify it: its type and curve, its
    own alg and use; HMAC and none fit no key."""
    assert key_fits(algorithm, jwk) is fits


# -- municipalities: default deny --------------------------------------------------------------


def test_no_municipality_claim_sees_no_data(sso: Client, openid: Provider, database_url: str) -> None:
    """Nora has the wbb role but no municipality claim: every call is refused (403
    sso_no_municipality), lists included, and a change she tries is not made; the seven
    refusals are counted under her id in the audit log."""
    tokens = make_tokens(database_url)
    client = sso()
    load_example(client, bearer(tokens["admin"]))
    nora = bearer(openid.access_token("nora"))
    for path in ("/v1/me", "/v1/households", "/v1/units", "/v1/runs", "/v1/dashboard", "/v1/taakstelling"):
        assert error_of(client.get(path, headers=nora), 403)["code"] == "sso_no_municipality", path
    refused = client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=nora, json={"persons": 10})
    error_of(refused, 403)
    state = client.app.state  # type: ignore[attr-defined]
    state.denials.flush(state.sessions, everything=True)  # refusals are counted; written as the service stops
    audit = client.get("/v1/audit", headers=bearer(tokens["admin"])).json()["items"]
    assert not [e for e in audit if e["action"] == "target.set"]
    denied = [e for e in audit if e["action"] == "denied.403"]
    assert [e["token_id"] for e in denied] == [subject_id(openid.issuer, "nora")] * len(denied) and denied
    assert sum(int(i.split("=", 1)[1]) for e in denied for i in e["object_ids"] if i.startswith("count=")) == 7


def test_one_municipality_deployment_limits_identities_without_the_claim(
    sso: Client, openid: Provider, database_url: str
) -> None:
    """With MATCHER_MUNICIPALITY=Nijmegen, Nora (no claim) is limited to Nijmegen: she reads
    Nijmegen's households and not Heumen's; Hans, whose claim says Heumen, is refused."""
    tokens = make_tokens(database_url)
    client = sso(municipality="Nijmegen")
    load_example(client, bearer(tokens["admin"]))
    add_heumen_household(client, bearer(tokens["admin"]))
    nora = bearer(openid.access_token("nora"))
    assert client.get("/v1/me", headers=nora).json()["municipality"] == "Nijmegen"
    households = client.get("/v1/households", headers=nora, params={"limit": 1000})
    assert households.status_code == 200, households.text
    rows = households.json()["items"]
    assert rows and {h["municipality"] for h in rows} == {"Nijmegen"}
    assert client.get("/v1/households/H-HEUMEN-1", headers=nora).status_code == 404
    hans = bearer(openid.access_token("hans"))
    assert error_of(client.get("/v1/households", headers=hans), 403)["code"] == "sso_no_municipality"


def test_municipality_claim_and_the_all_municipalities_role(sso: Client, openid: Provider, database_url: str) -> None:
    """Hans's claim says Heumen: he sees Heumen's household and none of Nijmegen's. Paul holds
    matcher.all_municipalities and no claim: he sees both, and as an admin for all
    municipalities reads the audit log."""
    tokens = make_tokens(database_url)
    client = sso()
    load_example(client, bearer(tokens["admin"]))
    add_heumen_household(client, bearer(tokens["admin"]))

    def municipalities(headers: dict[str, str]) -> set[str]:
        response = client.get("/v1/households", headers=headers, params={"limit": 1000})
        assert response.status_code == 200, response.text
        return {h["municipality"] for h in response.json()["items"]}

    hans, paul = bearer(openid.access_token("hans")), bearer(openid.access_token("paul"))
    assert municipalities(hans) == {"Heumen"}
    assert client.get("/v1/households/H-0001", headers=hans).status_code == 404
    assert municipalities(paul) == {"Heumen", "Nijmegen"}
    assert client.get("/v1/me", headers=paul).json()["municipality"] is None
    assert client.get("/v1/audit", headers=paul).status_code == 200


def test_the_audit_log_names_the_person(sso: Client, openid: Provider, database_url: str) -> None:
    """A change made with single sign-on is in the audit log under the person's id (a hash
    of issuer and subject), the same id /v1/me shows, with the person's name as its actor
    (inside the keyed chain); the login name appears nowhere."""
    tokens = make_tokens(database_url)
    client = sso()
    wim = bearer(openid.access_token("wim"))
    response = client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=wim, json={"persons": 12})
    assert response.status_code == 200, response.text
    items = client.get("/v1/audit", headers=bearer(tokens["admin"])).json()["items"]
    mine = [e for e in items if e["token_id"] == subject_id(openid.issuer, "wim")]
    assert [(e["action"], e["object_ids"], e["actor"]) for e in mine] == [("target.set", ["Nijmegen/2025-H1"], "Wim van der WBB")]
    assert "wim" not in json.dumps(items)


# -- the provider's keys -----------------------------------------------------------------------


def test_keys_rotate_without_a_restart(sso: Client, openid: Provider) -> None:
    """The provider replaces its signing key while the service runs: a token signed with the
    new key is accepted by the same app (it reads the keys again for the unknown key id),
    and a token of the removed key is refused from then on."""
    client = sso(oidc_jwks_min_refresh_seconds=0.5)
    old = openid.access_token("anna")
    assert client.get("/v1/me", headers=bearer(old)).status_code == 200
    reads = openid.stats()["jwks_requests"]
    new_kid = openid.rotate(keep_old=False)
    time.sleep(0.6)
    new = openid.access_token("anna")
    assert json.loads(base64.urlsafe_b64decode(new.split(".")[0] + "=="))["kid"] == new_kid
    accepted = client.get("/v1/me", headers=bearer(new))
    assert accepted.status_code == 200, accepted.text
    assert openid.stats()["jwks_requests"] == reads + 1
    time.sleep(0.6)
    error_of(client.get("/v1/me", headers=bearer(old)), 401)


def test_keys_are_read_again_after_their_max_age(sso: Client, openid: Provider) -> None:
    """A key the provider withdraws stops working once the keys read are older than
    MATCHER_OIDC_JWKS_MAX_AGE_SECONDS (5 s here), even when no token names an unknown key:
    before that the key read earlier is still used, after it the keys are read again. (The
    age is generous so that a slow request on a busy machine still falls inside it.)"""
    max_age = 5.0
    client = sso(oidc_jwks_min_refresh_seconds=0.2, oidc_jwks_max_age_seconds=max_age)
    old = openid.access_token("anna")
    started = time.monotonic()  # the keys are read during the next request, so no earlier than this
    assert client.get("/v1/me", headers=bearer(old)).status_code == 200
    reads = openid.stats()["jwks_requests"]
    openid.rotate(keep_old=False)
    assert client.get("/v1/me", headers=bearer(old)).status_code == 200
    assert time.monotonic() - started < max_age  # the check above did run inside the age
    assert openid.stats()["jwks_requests"] == reads
    time.sleep(max(0.0, started + max_age + 0.3 - time.monotonic()))
    error_of(client.get("/v1/me", headers=bearer(old)), 401)
    assert openid.stats()["jwks_requests"] == reads + 1


def test_made_up_key_ids_do_not_hammer_the_provider(sso: Client, openid: Provider) -> None:
    """Fifty tokens naming key ids the provider never published cost at most one extra read of
    its keys within MATCHER_OIDC_JWKS_MIN_REFRESH_SECONDS (60 s here); all are refused, and a
    real token still works afterwards."""
    client = sso(oidc_jwks_min_refresh_seconds=60)
    assert client.get("/v1/me", headers=bearer(openid.access_token("anna"))).status_code == 200
    before = openid.stats()["jwks_requests"]
    for n in range(50):
        forged = openid.sign(openid.claims("anna"), header={"kid": f"made-up-{n}"})
        error_of(client.get("/v1/me", headers=bearer(forged)), 401)
    assert openid.stats()["jwks_requests"] - before <= 1
    assert client.get("/v1/me", headers=bearer(openid.access_token("anna"))).status_code == 200


def test_an_unreachable_provider_answers_503(database_url: str) -> None:
    """When the provider cannot be reached, a JWT gets 503 identity_provider_unavailable (try
    again later), not a 500 and not a success; local tokens are not affected."""
    tokens = make_tokens(database_url)
    settings = Settings(database_url=database_url, oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_audience=AUDIENCE)
    header = _segment({"alg": "RS256", "kid": "k1"})
    token = f"{header}.{_segment({'sub': 'x'})}.{_b64(b'x' * 256)}"
    with TestClient(create_app(settings)) as client:
        assert error_of(client.get("/v1/me", headers=bearer(token)), 503)["code"] == "identity_provider_unavailable"
        assert client.get("/v1/me", headers=bearer(tokens["viewer"])).status_code == 200


# -- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"oidc_issuer": "https://login.example.nl/tenant"}, "MATCHER_OIDC_AUDIENCE is required"),
        ({"oidc_issuer": "http://login.example.nl", "oidc_audience": "a"}, "must be an https URL"),
        ({"oidc_issuer": "https://login.example.nl", "oidc_audience": "a", "oidc_client_id": "a"}, "must differ"),
        ({"oidc_issuer": "https://login.example.nl", "oidc_audience": "a", "oidc_algorithms": "RS256,HS256"}, "HS256"),
        ({"oidc_issuer": "https://login.example.nl", "oidc_audience": "a", "oidc_algorithms": "none"}, "none"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, Any], fragment: str) -> None:
    """A half or unsafe single sign-on configuration stops the start with a message that
    names the variable or value, instead of refusing every login later."""
    with pytest.raises(ValueError, match=fragment):
        Settings(**settings)


def test_a_corporation_identity_speaks_for_the_corporation_of_its_claim(sso: Client, openid: Provider) -> None:
    """matcher.corporation with a corporation claim (a name with a space in it) reaches the
    corporation's own units in that corporation's name and is refused everything else; without
    the claim, or beside another matcher role, the identity is refused, each with its code."""
    client = sso()
    corporation = openid.sign(openid.claims("vera", roles=["matcher.corporation"], corporation="Standvast Wonen"))
    units = client.get("/v1/corporation/units", headers=bearer(corporation))
    assert units.status_code == 200, units.text
    assert (units.json()["corporation"], units.json()["actor"]) == ("Standvast Wonen", "Vera Kijker")
    assert error_of(client.get("/v1/households", headers=bearer(corporation)), 403)["code"] == "forbidden"
    assert client.get("/v1/me", headers=bearer(corporation)).json()["corporation"] == "Standvast Wonen"
    without = openid.sign(openid.claims("vera", roles=["matcher.corporation"]))
    assert error_of(client.get("/v1/corporation/units", headers=bearer(without)), 403)["code"] == "sso_no_corporation"
    both = openid.sign(openid.claims("vera", roles=["matcher.corporation", "matcher.viewer"], corporation="Portaal"))
    assert error_of(client.get("/v1/corporation/units", headers=bearer(both)), 403)["code"] == "sso_role_conflict"
    assert error_of(client.get("/v1/me", headers=bearer(both)), 403)["code"] == "sso_role_conflict"
