"""Single sign-on: bearer JWTs from the municipality's OpenID provider, checked here.

A person who signs in with the municipality's identity provider (Entra ID, Keycloak, ...)
calls the API with the provider's access token, a JWT. This module turns such a token into a
``Caller`` or refuses it, and is the only place that reads one: ``SingleSignOn.authenticate``.

What is checked, in this order: the algorithm is on the allow-list (public-key algorithms
only, never ``none`` or HMAC); the token names a key (``kid``) the provider publishes and the
algorithm fits that key's type (an RSA key never verifies an ``ES256`` token, and is never an
HMAC secret); the signature; the issuer; the audience; expiry and not-before (with
``CLOCK_SKEW`` of slack); a subject. Then the identity needs a role (the highest
``matcher.*`` value of the roles claim wins) and a municipality: the municipality claim, or,
without one, ``matcher.all_municipalities`` for every municipality, or the one municipality
of the deployment (``MATCHER_MUNICIPALITY``). Without any of these it sees no data (403).

The provider's keys (JWKS) are read when first needed and again after
``MATCHER_OIDC_JWKS_MAX_AGE_SECONDS``; a token naming an unknown key makes them be read again
at once, so a provider's key rotation needs no restart, but never twice within
``MATCHER_OIDC_JWKS_MIN_REFRESH_SECONDS``: made-up key ids cannot make the service hammer the
provider. Tokens and claims are never logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

from api.auth import CORPORATION, ROLES, Caller, corporation_problem
from api.errors import ApiError
from api.settings import Settings, is_safe_url

log = logging.getLogger(__name__)

ROLE_PREFIX = "matcher."
ALL_MUNICIPALITIES = "matcher.all_municipalities"
CLOCK_SKEW = 30  # seconds of slack on exp, nbf and iat: clocks of two servers differ a little
FETCH_TIMEOUT = 5.0
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_MUNICIPALITY_LENGTH = 200  # as stored with households and units
# The key type each algorithm needs, and for EC the curve.
KEY_TYPES = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

Fetch = Callable[[str], dict[str, Any]]


def looks_like_jwt(bearer: str) -> bool:
    """Three base64url parts separated by dots; local tokens never have a dot."""
    return _JWT_SHAPE.fullmatch(bearer) is not None


class IdentityRefused(ApiError):
    """403 for a valid identity that may see no data; ``token_id`` names it in the audit log."""

    def __init__(self, token_id: str, message: str, code: str) -> None:
        super().__init__(403, message, code=code)
        self.token_id = token_id


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be read."""


def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON object from the provider (https, or http on loopback), at most 1 MiB."""
    if not is_safe_url(url):
        raise ProviderUnavailable(f"refusing to read {url}: not https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise ProviderUnavailable(f"reading {url} failed: {type(error).__name__}") from error
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ProviderUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise ProviderUnavailable(f"{url} did not answer JSON") from error
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} did not answer a JSON object")
    return document


class ProviderKeys:
    """The provider's discovery document and signing keys, read lazily and kept.

    ``key(kid)`` reads the keys again when they are older than ``max_age`` or do not hold
    ``kid``, but never sooner than ``min_refresh`` after the previous read (or failed read)."""

    def __init__(
        self,
        issuer: str,
        min_refresh: float,
        max_age: float,
        fetch: Fetch = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.min_refresh = min_refresh
        self.max_age = max_age
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: dict[str, dict[str, Any]] = {}
        self._read_at: float | None = None  # last successful read of the keys
        self._tried_at: float | None = None  # last attempt, successful or not
        self.reads = 0

    def discovery(self) -> dict[str, Any]:
        """The provider's metadata; its ``issuer`` must be exactly the configured one."""
        if self._discovery is None:
            document = self._fetch(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if document.get("issuer") != self.issuer:
                raise ProviderUnavailable(
                    f"the provider calls itself {document.get('issuer')!r}, but MATCHER_OIDC_ISSUER is {self.issuer!r}"
                )
            jwks_uri = document.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not is_safe_url(jwks_uri):
                raise ProviderUnavailable("the provider's discovery document has no https jwks_uri")
            self._discovery = document
        return self._discovery

    def key(self, kid: str) -> dict[str, Any] | None:
        """The published JWK with this id, or None when the provider does not publish it."""
        with self._lock:
            now = self._clock()
            stale = self._read_at is None or now - self._read_at >= self.max_age
            if (stale or kid not in self._keys) and self._may_try(now):
                self._refresh(now)
            if self._read_at is None:
                raise ProviderUnavailable("the provider's keys could not be read")
            return self._keys.get(kid)

    def _may_try(self, now: float) -> bool:
        return self._tried_at is None or now - self._tried_at >= self.min_refresh

    def _refresh(self, now: float) -> None:
        self._tried_at = now
        try:
            document = self._fetch(str(self.discovery()["jwks_uri"]))
        except ProviderUnavailable as error:
            log.warning("single sign-on: %s; keeping the keys read before", error)
            return
        keys = document.get("keys")
        if not isinstance(keys, list):
            log.warning("single sign-on: the provider's JWKS has no list of keys; keeping the keys read before")
            return
        self._keys = {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}
        self._read_at = now
        self.reads += 1
        log.info("single sign-on: read %d keys of the provider", len(self._keys))


def key_fits(algorithm: str, jwk: dict[str, Any]) -> bool:
    """The published key may verify a token signed with ``algorithm``: its type (and curve)
    is the one the algorithm needs, its own ``alg`` (if given) is the same, and it is meant
    for signatures."""
    kty, crv = KEY_TYPES.get(algorithm, (None, None))
    if kty is None or jwk.get("kty") != kty:
        return False
    if crv is not None and jwk.get("crv") != crv:
        return False
    if "alg" in jwk and jwk["alg"] != algorithm:
        return False
    if jwk.get("use", "sig") != "sig":
        return False
    ops = jwk.get("key_ops")
    return ops is None or (isinstance(ops, list) and "verify" in ops)


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by its name; a dotted name that is not a claim itself is a path into nested
    claims (Keycloak's ``resource_access.matcher.roles``)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _strings(value: Any) -> list[str]:
    """A claim as a list of strings: a list of strings, or one string (space-separated values)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def subject_id(issuer: str, subject: str) -> str:
    """The id an identity has in decisions and the audit log: stable per person, 32 characters,
    and no personal data (the provider's subject is hashed with its issuer)."""
    return "sso-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:28]


class SingleSignOn:
    """Checks bearer JWTs against the configured provider; one per app (``app.state.sso``)."""

    def __init__(self, settings: Settings, fetch: Fetch = fetch_json) -> None:
        if settings.oidc_issuer is None or settings.oidc_audience is None:
            raise ValueError("single sign-on needs MATCHER_OIDC_ISSUER and MATCHER_OIDC_AUDIENCE")
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.algorithms = settings.algorithms()
        self.roles_claim = settings.oidc_roles_claim
        self.municipality_claim = settings.oidc_municipality_claim
        self.corporation_claim = settings.oidc_corporation_claim
        self.deployment_municipality = settings.municipality
        self.keys = ProviderKeys(
            self.issuer, settings.oidc_jwks_min_refresh_seconds, settings.oidc_jwks_max_age_seconds, fetch=fetch
        )
        self._keys_parsed: dict[tuple[str, str], tuple[dict[str, Any], jwt.PyJWK]] = {}

    def authenticate(self, bearer: str) -> Caller | None:
        """The caller for a valid token; None for a token that is not valid (401).

        Raises ``IdentityRefused`` (403) for a valid identity that may see no data (no role,
        no municipality), and ``ApiError`` 503 when the provider's keys cannot be read at all."""
        claims = self._verified_claims(bearer)
        if claims is None:
            return None
        subject = claims["sub"]
        token_id = subject_id(self.issuer, subject)
        try:
            role = self._role(claims)
            corporation = self._corporation(claims) if role == CORPORATION else None
            municipality = self._municipality(claims)
        except ApiError as refused:
            log.info("single sign-on: %s has no access: %s", token_id, refused.code)
            raise IdentityRefused(token_id, refused.message, refused.code) from None
        actor = next(
            (
                v.strip()
                for v in (claims.get("name"), claims.get("preferred_username"), subject)
                if isinstance(v, str) and v.strip()
            ),
            subject,
        )
        return Caller(
            token_id=token_id,
            role=role,
            municipality=municipality,
            actor=actor[:64],
            subject=subject,
            corporation=corporation,
        )

    def _verified_claims(self, bearer: str) -> dict[str, Any] | None:
        try:
            header = jwt.get_unverified_header(bearer)
        except jwt.PyJWTError:
            log.info("single sign-on: refused a token that is not a JWT")
            return None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self.algorithms:
            log.info("single sign-on: refused a token signed with %s, which is not allowed", str(algorithm)[:16])
            return None
        if not isinstance(kid, str) or not kid:
            log.info("single sign-on: refused a token that names no key")
            return None
        try:
            jwk = self.keys.key(kid)
        except ProviderUnavailable as error:
            log.warning("single sign-on: %s", error)
            raise ApiError(
                503, "The identity provider cannot be reached; try again later.", code="identity_provider_unavailable"
            ) from error
        if jwk is None:
            log.info("single sign-on: refused a token naming a key the provider does not publish")
            return None
        if not key_fits(algorithm, jwk):
            log.info("single sign-on: refused a token whose algorithm %s does not fit its key", algorithm)
            return None
        try:
            key = self._parsed(kid, algorithm, jwk)
            claims: dict[str, Any] = jwt.decode(
                bearer,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            log.info("single sign-on: refused a token: %s", type(error).__name__)
            return None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            log.info("single sign-on: refused a token without a subject")
            return None
        return claims

    def _parsed(self, kid: str, algorithm: str, jwk: dict[str, Any]) -> jwt.PyJWK:
        """The key as the signature library needs it, parsed once per published key."""
        cached = self._keys_parsed.get((kid, algorithm))
        if cached is not None and cached[0] is jwk:
            return cached[1]
        key = jwt.PyJWK(jwk, algorithm=algorithm)
        self._keys_parsed[(kid, algorithm)] = (jwk, key)
        return key

    def _role(self, claims: dict[str, Any]) -> str:
        """The highest ``matcher.*`` role of the ladder; ``corporation`` when ``matcher.corporation``
        is the only one (a corporation's staff member and the municipality's at once is refused:
        the two see different things, and neither may be guessed)."""
        values = set(_strings(_claim(claims, self.roles_claim)))
        granted = [role for role in ROLES if ROLE_PREFIX + role in values]
        if ROLE_PREFIX + CORPORATION in values:
            if granted:
                raise ApiError(
                    403,
                    f"The identity has {ROLE_PREFIX}{CORPORATION} and {ROLE_PREFIX}{granted[-1]}; "
                    "a corporation's identity may have no other role for this service.",
                    code="sso_role_conflict",
                )
            return CORPORATION
        if not granted:
            raise ApiError(
                403,
                f"The identity has no role for this service: its {self.roles_claim} claim holds none of "
                + ", ".join(ROLE_PREFIX + r for r in ROLES)
                + ".",
                code="sso_no_role",
            )
        return granted[-1]

    def _corporation(self, claims: dict[str, Any]) -> str:
        """The corporation a ``matcher.corporation`` identity speaks for: its corporation claim,
        one name (403 ``sso_no_corporation`` without it)."""
        raw = _claim(claims, self.corporation_claim)
        values = [raw] if isinstance(raw, str) else _strings(raw)  # a name may hold spaces
        if len(values) != 1 or corporation_problem(CORPORATION, values[0].strip()) is not None:
            raise ApiError(
                403,
                f"A {ROLE_PREFIX}{CORPORATION} identity needs a {self.corporation_claim} claim naming one corporation.",
                code="sso_no_corporation",
            )
        return values[0].strip()

    def _municipality(self, claims: dict[str, Any]) -> str | None:
        """The municipality the identity is limited to; None: all municipalities."""
        raw = _claim(claims, self.municipality_claim)
        listed = [raw] if isinstance(raw, str) else [v for v in raw if isinstance(v, str)] if isinstance(raw, list) else []
        values = [v.strip() for v in listed if v.strip()]
        if len(values) > 1 or any(len(v) > MAX_MUNICIPALITY_LENGTH for v in values):
            raise ApiError(
                403,
                f"The identity's {self.municipality_claim} claim must name one municipality.",
                code="sso_no_municipality",
            )
        if values:
            if self.deployment_municipality is not None and values[0] != self.deployment_municipality:
                raise ApiError(
                    403, "The identity belongs to another municipality than this service's.", code="sso_no_municipality"
                )
            return values[0]
        if ALL_MUNICIPALITIES in set(_strings(_claim(claims, self.roles_claim))):
            return None
        if self.deployment_municipality is not None:
            return self.deployment_municipality
        raise ApiError(
            403,
            f"The identity has no {self.municipality_claim} claim, so it may see no municipality's data.",
            code="sso_no_municipality",
        )
